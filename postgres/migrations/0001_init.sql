-- 0001: the first tldguard schema.
--
-- Conventions: times are timestamptz (NULL for Go's zero time), hashes and
-- raw bytes are bytea, optional references are NULL rather than 0, and names
-- that are sorted or range-scanned use the "C" collation so that the order is
-- byte order on every server, as in the sqlite engine.

-- The audit log: a hash chain, appended in the same transaction as the change
-- it records. chain_head is its single-row head; writers lock it FOR UPDATE
-- before sealing, which keeps the chain linear across tldguard nodes.
CREATE TABLE events (
    seq       bigint PRIMARY KEY CHECK (seq > 0),
    at        timestamptz,
    actor     text NOT NULL,
    action    text NOT NULL,
    case_id   bigint,
    subject   text NOT NULL,
    data      bytea,
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL
);
CREATE INDEX events_case ON events (case_id, seq) WHERE case_id IS NOT NULL;

CREATE TABLE chain_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL CHECK (seq >= 0),
    hash bytea
);
INSERT INTO chain_head (one, seq, hash) VALUES (true, 0, NULL);

-- The hash chain makes tampering visible; this makes the ordinary mistakes
-- (a stray UPDATE or DELETE) impossible without first dropping the trigger.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tldguard audit events are append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    role          text NOT NULL,
    password_hash text NOT NULL,
    disabled      boolean NOT NULL,
    created_at    timestamptz
);

CREATE TABLE reporters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    source       text NOT NULL,
    email        text NOT NULL,
    registrar_id text NOT NULL,
    verified     boolean NOT NULL,
    verified_by  text NOT NULL,
    verified_at  timestamptz,
    verified_how text NOT NULL,
    disabled     boolean NOT NULL,
    created_at   timestamptz
);

CREATE TABLE tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash        bytea NOT NULL UNIQUE,
    prefix      text NOT NULL,
    user_id     bigint REFERENCES users,
    reporter_id bigint REFERENCES reporters,
    label       text NOT NULL,
    created_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX tokens_reporter ON tokens (reporter_id) WHERE reporter_id IS NOT NULL;

CREATE TABLE sessions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       bytea NOT NULL UNIQUE,
    user_id    bigint NOT NULL REFERENCES users,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE tlds (
    name     text COLLATE "C" PRIMARY KEY,
    added_at timestamptz
);

CREATE TABLE registrars (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    abuse_email text NOT NULL,
    abuse_phone text NOT NULL
);

CREATE TABLE registrations (
    name           text COLLATE "C" PRIMARY KEY,
    tld            text COLLATE "C" NOT NULL,
    registrar_id   text NOT NULL,
    registrar_name text NOT NULL,
    statuses       text[],
    name_servers   text[],
    created_at     timestamptz,
    updated_at     timestamptz
);
CREATE INDEX registrations_tld ON registrations (tld);

-- Reports are kept byte for byte. targets and request are JSON documents
-- read and written whole; evidence content is stored once per SHA-256.
CREATE TABLE reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id     bigint REFERENCES reporters,
    source          text NOT NULL,
    format          text NOT NULL,
    threat_type     text NOT NULL,
    category        text NOT NULL,
    description     text NOT NULL,
    targets         jsonb,
    request         jsonb,
    raw             bytea,
    raw_sha256      bytea,
    content_type    text NOT NULL,
    idempotency_key text NOT NULL,
    received_at     timestamptz
);
CREATE INDEX reports_reporter ON reports (reporter_id, id);

CREATE TABLE evidence_content (
    sha256  bytea PRIMARY KEY,
    content bytea NOT NULL
);

CREATE TABLE evidence (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES reports,
    sha256      bytea REFERENCES evidence_content,
    size        bigint NOT NULL,
    media_type  text NOT NULL,
    filename    text NOT NULL,
    url         text NOT NULL,
    description text NOT NULL
);
CREATE INDEX evidence_report ON evidence (report_id, id);

CREATE TABLE cases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain          text COLLATE "C" NOT NULL,
    tld             text COLLATE "C" NOT NULL,
    threat_type     text NOT NULL,
    status          text NOT NULL,
    priority        text NOT NULL,
    priority_reason text NOT NULL,
    classification  text NOT NULL,
    registered      boolean NOT NULL,
    registrar_id    text NOT NULL,
    registrar_name  text NOT NULL,
    assignee        text NOT NULL,
    confidential    boolean NOT NULL,
    resolution      text NOT NULL,
    report_count    integer NOT NULL,
    opened_at       timestamptz,
    acked_at        timestamptz,
    response_due_at timestamptz,
    responded_at    timestamptz,
    closed_at       timestamptz,
    updated_at      timestamptz,
    version         bigint NOT NULL CHECK (version > 0)
);

-- One case per (name, threat) that is not closed; later reports attach to it.
CREATE UNIQUE INDEX cases_one_open ON cases (domain, threat_type) WHERE status <> 'closed';
CREATE INDEX cases_domain ON cases (domain, threat_type);
CREATE INDEX cases_registrar ON cases (registrar_id);

-- The case queue's orders, as keyset-paginated index scans. A case without a
-- deadline (or without an opening time) sorts last in either order: the sort
-- keys are coalesced to +infinity for "due" and -infinity for "newest", and
-- ListCases writes exactly these expressions.
CREATE INDEX cases_due ON cases ((coalesce(response_due_at, 'infinity'::timestamptz)), id);
CREATE INDEX cases_newest ON cases ((coalesce(opened_at, '-infinity'::timestamptz)), id);
-- The working queue (every status but closed) stays small however many
-- closed cases pile up; ListCases adds "status <> 'closed'" to a status
-- filter without closed so that the planner can prove these indexes apply
-- (a prepared statement's status = ANY($1) proves nothing).
CREATE INDEX cases_active_due ON cases ((coalesce(response_due_at, 'infinity'::timestamptz)), id)
    WHERE status <> 'closed';
CREATE INDEX cases_active_newest ON cases ((coalesce(opened_at, '-infinity'::timestamptz)), id)
    WHERE status <> 'closed';

CREATE TABLE report_cases (
    report_id bigint NOT NULL REFERENCES reports,
    target    integer NOT NULL CHECK (target >= 0),
    case_id   bigint NOT NULL REFERENCES cases,
    PRIMARY KEY (report_id, target)
);
CREATE INDEX report_cases_case ON report_cases (case_id, report_id);

CREATE TABLE idempotency (
    reporter_id    bigint NOT NULL,
    key            text NOT NULL,
    request_sha256 bytea,
    status         integer NOT NULL,
    response       bytea,
    created_at     timestamptz,
    PRIMARY KEY (reporter_id, key)
);

CREATE TABLE notices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    status      text NOT NULL,
    reporter_id bigint REFERENCES reporters,
    report_id   bigint REFERENCES reports,
    case_id     bigint REFERENCES cases,
    to_addr     text NOT NULL,
    created_at  timestamptz,
    sent_at     timestamptz,
    attempts    integer NOT NULL,
    last_error  text NOT NULL
);
CREATE INDEX notices_status ON notices (status, id);
