-- 0005: the Framework's actions, blocked names and durable jobs.
--
-- Conventions as in 0001: timestamptz with NULL for the zero time, NULL for
-- a missing reference, "C" collation for names that are sorted or
-- range-scanned.

-- One response to a case, from proposal to the registry's answer.
-- approvals is an array of {by, at, note}. before_state and after_state
-- hold the registry's state around the change ({statuses, name_servers,
-- registrar_id}) and answer a registrar's answer to a referral ({outcome,
-- detail, by, at}); each is NULL when there is none (not an empty object,
-- so that "no answer yet" is a plain IS NULL).
CREATE TABLE actions (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id            bigint NOT NULL REFERENCES cases,
    kind               text NOT NULL,
    state              text NOT NULL,
    domain             text COLLATE "C" NOT NULL,
    reason             text NOT NULL,
    name_servers       text[],
    registrar_id       text NOT NULL,
    names              text[],
    undo_of            bigint REFERENCES actions,
    required_approvals integer NOT NULL,
    approvals          jsonb NOT NULL,
    proposed_by        text NOT NULL,
    proposed_at        timestamptz,
    rejected_by        text NOT NULL,
    reject_reason      text NOT NULL,
    attempts           integer NOT NULL,
    last_error         text NOT NULL,
    before_state       jsonb,
    after_state        jsonb,
    result             text NOT NULL,
    done_at            timestamptz,
    due_at             timestamptz,
    answer             jsonb,
    updated_at         timestamptz,
    version            bigint NOT NULL CHECK (version > 0)
);
-- ListActions' filters, each in its order (oldest id first).
CREATE INDEX actions_case ON actions (case_id, id);
CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_kind_state ON actions (kind, state, id);
-- Referrals still waiting for the registrar's answer, by deadline, for the
-- escalation of those past it. A query uses this index when it repeats the
-- predicate; a comparison on due_at implies it is not NULL.
CREATE INDEX actions_referral_due ON actions (due_at, id)
    WHERE kind = 'refer_registrar' AND answer IS NULL AND due_at IS NOT NULL;

-- Names that may not be registered, each with the action (and its case)
-- that blocked it.
CREATE TABLE blocked (
    name       text COLLATE "C" PRIMARY KEY,
    action_id  bigint REFERENCES actions,
    case_id    bigint REFERENCES cases,
    reason     text NOT NULL,
    blocked_at timestamptz
);
-- The names one block action stopped, for its release.
CREATE INDEX blocked_action ON blocked (action_id) WHERE action_id IS NOT NULL;

-- Durable background work. ref is the action, notice or case the job is
-- about, by kind, so it has no foreign key. A running job's claim ends at
-- locked_until; past it another worker may claim the job again. ClaimJobs
-- locks the rows it takes FOR UPDATE SKIP LOCKED, so nodes claiming at once
-- take different jobs without waiting for each other.
CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    ref          bigint NOT NULL,
    state        text NOT NULL,
    run_at       timestamptz,
    attempts     integer NOT NULL,
    max_attempts integer NOT NULL,
    last_error   text NOT NULL,
    locked_by    text NOT NULL,
    locked_until timestamptz,
    created_at   timestamptz,
    updated_at   timestamptz
);
-- Claiming: the due queued jobs and the expired running ones are ranges of
-- (state, run_at), in claim order; done and failed jobs pile up outside them.
CREATE INDEX jobs_claim ON jobs (state, run_at, id);
