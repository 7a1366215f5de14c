-- 0005: the Framework's actions, blocked names and durable jobs.
--
-- Conventions as in 0001: times are INTEGER unix microseconds (0 for the zero
-- time), lists of strings are JSON arrays in TEXT, ids of 0 are NULL in
-- foreign-key columns.

-- One response to a case, from proposal to the registry's answer.
-- approvals is a JSON array of {by, at, note}. before_state and after_state
-- hold the registry's state around the change ({statuses, name_servers,
-- registrar_id}) and answer a registrar's answer to a referral ({outcome,
-- detail, by, at}); each is NULL when there is none (not an empty object,
-- so that "no answer yet" is a plain IS NULL).
CREATE TABLE actions (
	id                 INTEGER PRIMARY KEY,
	case_id            INTEGER NOT NULL REFERENCES cases (id),
	kind               TEXT    NOT NULL,
	state              TEXT    NOT NULL,
	domain             TEXT    NOT NULL,
	reason             TEXT    NOT NULL,
	name_servers       TEXT    NOT NULL, -- JSON array
	registrar_id       TEXT    NOT NULL,
	names              TEXT    NOT NULL, -- JSON array
	undo_of            INTEGER REFERENCES actions (id),
	required_approvals INTEGER NOT NULL,
	approvals          TEXT    NOT NULL, -- JSON array
	proposed_by        TEXT    NOT NULL,
	proposed_at        INTEGER NOT NULL,
	rejected_by        TEXT    NOT NULL,
	reject_reason      TEXT    NOT NULL,
	attempts           INTEGER NOT NULL,
	last_error         TEXT    NOT NULL,
	before_state       TEXT,             -- JSON object or NULL
	after_state        TEXT,             -- JSON object or NULL
	result             TEXT    NOT NULL,
	done_at            INTEGER NOT NULL,
	due_at             INTEGER NOT NULL,
	answer             TEXT,             -- JSON object or NULL
	updated_at         INTEGER NOT NULL,
	version            INTEGER NOT NULL
) STRICT;
-- ListActions' filters; each index ends with the rowid (id), the order.
CREATE INDEX actions_case ON actions (case_id);
CREATE INDEX actions_state ON actions (state);
CREATE INDEX actions_kind_state ON actions (kind, state);
-- Referrals still waiting for the registrar's answer, by deadline, for the
-- escalation of those past it. A query uses this index when it repeats the
-- predicate (and should add due_at <> 0: a zero deadline is never past).
CREATE INDEX actions_referral_due ON actions (due_at) WHERE kind = 'refer_registrar' AND answer IS NULL;

-- Names that may not be registered, each with the action (and its case)
-- that blocked it.
CREATE TABLE blocked (
	name       TEXT    PRIMARY KEY,
	action_id  INTEGER REFERENCES actions (id),
	case_id    INTEGER REFERENCES cases (id),
	reason     TEXT    NOT NULL,
	blocked_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- The names one block action stopped, for its release.
CREATE INDEX blocked_action ON blocked (action_id);

-- Durable background work. ref is the action, notice or case the job is
-- about, by kind, so it has no foreign key. A running job's claim ends at
-- locked_until; past it another worker may claim the job again.
CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY,
	kind         TEXT    NOT NULL,
	ref          INTEGER NOT NULL,
	state        TEXT    NOT NULL,
	run_at       INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	max_attempts INTEGER NOT NULL,
	last_error   TEXT    NOT NULL,
	locked_by    TEXT    NOT NULL,
	locked_until INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;
-- Claiming: the due queued jobs and the expired running ones are ranges of
-- (state, run_at); done and failed jobs pile up outside them.
CREATE INDEX jobs_claim ON jobs (state, run_at);
