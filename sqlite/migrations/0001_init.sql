-- 0001: the first schema.
--
-- Times are INTEGER unix microseconds (0 for the zero time); hashes and raw
-- bytes are BLOBs; lists of strings are JSON arrays in TEXT. Ids of 0 in Go
-- ("none") are NULL in foreign-key columns.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL,
	disabled      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE reporters (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL UNIQUE,
	source       TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	registrar_id TEXT    NOT NULL,
	-- verified is 1 when an out-of-band check is recorded (by, at, how).
	verified     INTEGER NOT NULL,
	verified_by  TEXT    NOT NULL,
	verified_at  INTEGER NOT NULL,
	verified_how TEXT    NOT NULL,
	disabled     INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
	id          INTEGER PRIMARY KEY,
	hash        BLOB    NOT NULL UNIQUE,
	prefix      TEXT    NOT NULL,
	user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
	reporter_id INTEGER REFERENCES reporters (id) ON DELETE CASCADE,
	label       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_reporter ON tokens (reporter_id);

CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY,
	hash       BLOB    NOT NULL UNIQUE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE tlds (
	name     TEXT    PRIMARY KEY,
	added_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE registrars (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	abuse_email TEXT NOT NULL,
	abuse_phone TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE registrations (
	name           TEXT    PRIMARY KEY,
	tld            TEXT    NOT NULL,
	registrar_id   TEXT    NOT NULL,
	registrar_name TEXT    NOT NULL,
	statuses       TEXT    NOT NULL, -- JSON array
	name_servers   TEXT    NOT NULL, -- JSON array
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX registrations_tld ON registrations (tld);

CREATE TABLE cases (
	id              INTEGER PRIMARY KEY,
	domain          TEXT    NOT NULL,
	tld             TEXT    NOT NULL,
	threat_type     TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	priority        TEXT    NOT NULL,
	priority_reason TEXT    NOT NULL,
	classification  TEXT    NOT NULL,
	registered      INTEGER NOT NULL,
	registrar_id    TEXT    NOT NULL,
	registrar_name  TEXT    NOT NULL,
	assignee        TEXT    NOT NULL,
	confidential    INTEGER NOT NULL,
	resolution      TEXT    NOT NULL,
	report_count    INTEGER NOT NULL,
	opened_at       INTEGER NOT NULL,
	acked_at        INTEGER NOT NULL,
	response_due_at INTEGER NOT NULL,
	responded_at    INTEGER NOT NULL,
	closed_at       INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL,
	-- The queue's sort keys: a zero time (0) sorts last in every order.
	due_key         INTEGER GENERATED ALWAYS AS
		(CASE response_due_at WHEN 0 THEN 9223372036854775807 ELSE response_due_at END) VIRTUAL,
	opened_key      INTEGER GENERATED ALWAYS AS
		(CASE opened_at WHEN 0 THEN -9223372036854775807 - 1 ELSE opened_at END) VIRTUAL
) STRICT;
-- One case per (name, threat) that is not closed.
CREATE UNIQUE INDEX cases_one_open ON cases (domain, threat_type) WHERE status <> 'closed';
CREATE INDEX cases_domain ON cases (domain);
-- The queue's sorts, with and without a status filter. Every index ends
-- with the rowid (id), the sorts' tie-breaker, so a page is an index range.
CREATE INDEX cases_due ON cases (due_key);
CREATE INDEX cases_opened ON cases (opened_key);
CREATE INDEX cases_status_due ON cases (status, due_key);
CREATE INDEX cases_status_opened ON cases (status, opened_key);

CREATE TABLE reports (
	id              INTEGER PRIMARY KEY,
	reporter_id     INTEGER REFERENCES reporters (id),
	source          TEXT    NOT NULL,
	format          TEXT    NOT NULL,
	threat_type     TEXT    NOT NULL,
	category        TEXT    NOT NULL,
	description     TEXT    NOT NULL,
	request         TEXT, -- JSON AuthorityRequest, NULL when none was given
	raw             BLOB    NOT NULL,
	raw_sha256      BLOB    NOT NULL,
	content_type    TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	received_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX reports_reporter ON reports (reporter_id);

CREATE TABLE report_targets (
	report_id INTEGER NOT NULL REFERENCES reports (id),
	n         INTEGER NOT NULL,
	input     TEXT    NOT NULL,
	host      TEXT    NOT NULL,
	url       TEXT    NOT NULL,
	domain    TEXT    NOT NULL,
	tld       TEXT    NOT NULL,
	PRIMARY KEY (report_id, n)
) STRICT, WITHOUT ROWID;

-- Which target of a report is filed on which case.
CREATE TABLE report_cases (
	report_id INTEGER NOT NULL REFERENCES reports (id),
	target    INTEGER NOT NULL,
	case_id   INTEGER NOT NULL REFERENCES cases (id),
	PRIMARY KEY (report_id, target)
) STRICT, WITHOUT ROWID;
CREATE INDEX report_cases_case ON report_cases (case_id, report_id);

-- Evidence content, stored once per SHA-256.
CREATE TABLE evidence_content (
	sha256  BLOB NOT NULL PRIMARY KEY,
	content BLOB NOT NULL
) STRICT;

CREATE TABLE evidence (
	id          INTEGER PRIMARY KEY,
	report_id   INTEGER NOT NULL REFERENCES reports (id),
	sha256      BLOB REFERENCES evidence_content (sha256), -- NULL for a URL-only item
	size        INTEGER NOT NULL,
	media_type  TEXT    NOT NULL,
	filename    TEXT    NOT NULL,
	url         TEXT    NOT NULL,
	description TEXT    NOT NULL
) STRICT;
CREATE INDEX evidence_report ON evidence (report_id);

CREATE TABLE idempotency (
	reporter_id    INTEGER NOT NULL,
	key            TEXT    NOT NULL,
	request_sha256 BLOB    NOT NULL,
	status         INTEGER NOT NULL,
	response       BLOB    NOT NULL,
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (reporter_id, key)
) STRICT;

CREATE TABLE notices (
	id          INTEGER PRIMARY KEY,
	kind        TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	reporter_id INTEGER REFERENCES reporters (id),
	report_id   INTEGER REFERENCES reports (id),
	case_id     INTEGER REFERENCES cases (id),
	to_addr     TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	last_error  TEXT    NOT NULL
) STRICT;
CREATE INDEX notices_status ON notices (status);

-- The audit log: a hash chain, append-only.
CREATE TABLE events (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	case_id   INTEGER NOT NULL, -- 0 when not about a case
	subject   TEXT    NOT NULL,
	data      BLOB    NOT NULL,
	prev_hash BLOB    NOT NULL,
	hash      BLOB    NOT NULL
) STRICT;
CREATE INDEX events_case ON events (case_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The newest event's position, kept beside the events; one row.
CREATE TABLE chain_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB    NOT NULL
) STRICT;
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, x'');
