-- 0004: the §3(b) statistics: every case's state history, and the monthly
-- snapshots kept for the term of the registry agreement.
--
-- Conventions as in 0001: times are INTEGER unix microseconds (0 for the
-- zero time), ids of 0 are NULL in foreign-key columns.

-- A case's state after each change of the fields the statistics read,
-- written by the triggers below in the statement that makes the change, so
-- the history is complete whichever code changed the case. at is the case's
-- opened_at for the first state and its updated_at after that. A report
-- for a past period reads the states written before the period's end, so a
-- case reopened or re-prioritised later does not change it.
CREATE TABLE case_log (
	case_id         INTEGER NOT NULL REFERENCES cases (id),
	seq             INTEGER NOT NULL, -- 1, 2, 3, ... within the case
	at              INTEGER NOT NULL,
	status          TEXT    NOT NULL,
	priority        TEXT    NOT NULL,
	acked_at        INTEGER NOT NULL,
	response_due_at INTEGER NOT NULL,
	responded_at    INTEGER NOT NULL,
	resolution      TEXT    NOT NULL,
	-- The state as the statistics read it, in one column (a column costs
	-- more to read than the bytes in it): "at,acked_at,response_due_at,
	-- responded_at,status,priority,resolution", the resolution last so
	-- that it may hold commas.
	packed          TEXT    GENERATED ALWAYS AS (at || ',' || acked_at || ',' || response_due_at || ',' ||
		responded_at || ',' || status || ',' || priority || ',' || resolution) STORED,
	-- Stored by case: a case's states are one range of the table.
	PRIMARY KEY (case_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER case_log_insert AFTER INSERT ON cases
BEGIN
	INSERT INTO case_log (case_id, seq, at, status, priority, acked_at, response_due_at, responded_at, resolution)
	VALUES (NEW.id, 1, CASE NEW.opened_at WHEN 0 THEN NEW.updated_at ELSE NEW.opened_at END, NEW.status,
		NEW.priority, NEW.acked_at, NEW.response_due_at, NEW.responded_at, NEW.resolution);
END;
CREATE TRIGGER case_log_update AFTER UPDATE ON cases
WHEN NEW.status IS NOT OLD.status OR NEW.priority IS NOT OLD.priority OR NEW.acked_at IS NOT OLD.acked_at
	OR NEW.response_due_at IS NOT OLD.response_due_at OR NEW.responded_at IS NOT OLD.responded_at
	OR NEW.resolution IS NOT OLD.resolution
BEGIN
	INSERT INTO case_log (case_id, seq, at, status, priority, acked_at, response_due_at, responded_at, resolution)
	VALUES (NEW.id, (SELECT coalesce(max(seq), 0) + 1 FROM case_log WHERE case_id = NEW.id), NEW.updated_at,
		NEW.status, NEW.priority, NEW.acked_at, NEW.response_due_at, NEW.responded_at, NEW.resolution);
END;
CREATE TRIGGER case_log_no_update BEFORE UPDATE ON case_log
BEGIN
	SELECT RAISE(ABORT, 'the case log is append-only');
END;
CREATE TRIGGER case_log_no_delete BEFORE DELETE ON case_log
BEGIN
	SELECT RAISE(ABORT, 'the case log is append-only');
END;

-- The cases stored before this migration have no history: each gets its
-- opening state and, if it moved on since, its state now (at its closing
-- time, or its last update).
INSERT INTO case_log (case_id, seq, at, status, priority, acked_at, response_due_at, responded_at, resolution)
	SELECT id, 1, CASE opened_at WHEN 0 THEN updated_at ELSE opened_at END, 'open', priority, acked_at,
		response_due_at, 0, ''
	FROM cases ORDER BY id;
INSERT INTO case_log (case_id, seq, at, status, priority, acked_at, response_due_at, responded_at, resolution)
	SELECT id, 2, CASE closed_at WHEN 0 THEN updated_at ELSE closed_at END, status, priority, acked_at,
		response_due_at, responded_at, resolution
	FROM cases WHERE status <> 'open' OR responded_at <> 0 OR resolution <> '' ORDER BY id;

-- What identified each case: its first report (the lowest report id filed
-- on it) and its earliest zone-check finding, kept by the triggers below as
-- reports are filed and findings recorded, so that the statistics read one
-- small row per case instead of the reports (which hold the raw bytes).
-- report_at is when that report was filed on the case: the case's
-- updated_at as the link is written (intake updates the case first).
CREATE TABLE case_origins (
	case_id         INTEGER PRIMARY KEY REFERENCES cases (id),
	report_id       INTEGER REFERENCES reports (id),
	report_source   TEXT    NOT NULL DEFAULT '',
	report_category TEXT    NOT NULL DEFAULT '',
	report_at       INTEGER NOT NULL DEFAULT 0,
	finding_id      INTEGER REFERENCES findings (id),
	finding_feed    TEXT    NOT NULL DEFAULT '',
	finding_at      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TRIGGER case_origins_report AFTER INSERT ON report_cases
BEGIN
	INSERT INTO case_origins (case_id, report_id, report_source, report_category, report_at)
	SELECT NEW.case_id, r.id, r.source, r.category, coalesce((SELECT c.updated_at FROM cases c WHERE c.id = NEW.case_id), 0)
	FROM reports r WHERE r.id = NEW.report_id
	ON CONFLICT (case_id) DO UPDATE SET report_id = excluded.report_id, report_source = excluded.report_source,
		report_category = excluded.report_category, report_at = excluded.report_at
	WHERE case_origins.report_id IS NULL OR excluded.report_id < case_origins.report_id;
END;
CREATE TRIGGER case_origins_finding AFTER INSERT ON findings
WHEN NEW.case_id IS NOT NULL AND NEW.first_seen <> 0
BEGIN
	INSERT INTO case_origins (case_id, finding_id, finding_feed, finding_at)
	VALUES (NEW.case_id, NEW.id, NEW.feed, NEW.first_seen)
	ON CONFLICT (case_id) DO UPDATE SET finding_id = excluded.finding_id, finding_feed = excluded.finding_feed,
		finding_at = excluded.finding_at
	WHERE case_origins.finding_id IS NULL OR excluded.finding_at < case_origins.finding_at
		OR excluded.finding_at = case_origins.finding_at AND excluded.finding_id < case_origins.finding_id;
END;
CREATE TRIGGER case_origins_finding_case AFTER UPDATE OF case_id ON findings
WHEN NEW.case_id IS NOT NULL AND NEW.first_seen <> 0 AND NEW.case_id IS NOT OLD.case_id
BEGIN
	INSERT INTO case_origins (case_id, finding_id, finding_feed, finding_at)
	VALUES (NEW.case_id, NEW.id, NEW.feed, NEW.first_seen)
	ON CONFLICT (case_id) DO UPDATE SET finding_id = excluded.finding_id, finding_feed = excluded.finding_feed,
		finding_at = excluded.finding_at
	WHERE case_origins.finding_id IS NULL OR excluded.finding_at < case_origins.finding_at
		OR excluded.finding_at = case_origins.finding_at AND excluded.finding_id < case_origins.finding_id;
END;
INSERT INTO case_origins (case_id, report_id, report_source, report_category, report_at)
	SELECT m.case_id, r.id, r.source, r.category, r.received_at
	FROM (SELECT case_id, min(report_id) AS report_id FROM report_cases GROUP BY case_id) m
	JOIN reports r ON r.id = m.report_id
	WHERE true;
INSERT INTO case_origins (case_id, finding_id, finding_feed, finding_at)
	SELECT f.case_id, f.id, f.feed, f.first_seen FROM findings f
	WHERE f.case_id IS NOT NULL AND f.first_seen <> 0 AND f.id = (SELECT f2.id FROM findings f2
		WHERE f2.case_id = f.case_id AND f2.first_seen <> 0 ORDER BY f2.first_seen, f2.id LIMIT 1)
	ON CONFLICT (case_id) DO UPDATE SET finding_id = excluded.finding_id, finding_feed = excluded.finding_feed,
		finding_at = excluded.finding_at;

-- The statistics read the cases that can count in a period: opened before
-- its end and not closed before its start.
CREATE INDEX cases_closed ON cases (closed_at);

-- A month's statistical report, computed at the month's end and kept for
-- the term: report is the JSON exactly as hashed, and event_seq the audit
-- event holding its SHA-256. tld is '' for every TLD. Never updated;
-- deleted only after keep_until (no tldguard command deletes it).
CREATE TABLE stats_snapshots (
	id          INTEGER PRIMARY KEY,
	period      TEXT    NOT NULL,
	tld         TEXT    NOT NULL,
	period_from INTEGER NOT NULL,
	period_to   INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	keep_until  INTEGER NOT NULL,
	report      BLOB    NOT NULL,
	sha256      BLOB    NOT NULL,
	event_seq   INTEGER NOT NULL REFERENCES events (seq),
	UNIQUE (period, tld)
) STRICT;
CREATE TRIGGER stats_snapshots_no_update BEFORE UPDATE ON stats_snapshots
BEGIN
	SELECT RAISE(ABORT, 'statistics snapshots are never changed');
END;
CREATE TRIGGER stats_snapshots_kept BEFORE DELETE ON stats_snapshots
WHEN OLD.keep_until > CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)
BEGIN
	SELECT RAISE(ABORT, 'statistics snapshots are kept for the term: this one is kept until its keep_until');
END;
