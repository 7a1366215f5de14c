-- 0004: the §3(b) statistics: every case's state history, and the monthly
-- snapshots kept for the term of the registry agreement.
--
-- Conventions as in 0001: timestamptz with NULL for the zero time, NULL for
-- a missing reference.

-- A case's state after each change of the fields the statistics read,
-- written by the trigger below in the statement that makes the change, so
-- the history is complete whichever code (or node) changed the case. at is
-- the case's opened_at for the first state and its updated_at after that.
-- A report for a past period reads the states written before the period's
-- end, so a case reopened or re-prioritised later does not change it.
CREATE TABLE case_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES cases,
    at              timestamptz,
    status          text NOT NULL,
    priority        text NOT NULL,
    acked_at        timestamptz,
    response_due_at timestamptz,
    responded_at    timestamptz,
    resolution      text NOT NULL
);
CREATE INDEX case_log_case ON case_log (case_id, id);

CREATE FUNCTION case_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_log (case_id, at, status, priority, acked_at, response_due_at, responded_at, resolution)
    VALUES (NEW.id, CASE WHEN TG_OP = 'INSERT' THEN coalesce(NEW.opened_at, NEW.updated_at) ELSE NEW.updated_at END,
        NEW.status, NEW.priority, NEW.acked_at, NEW.response_due_at, NEW.responded_at, NEW.resolution);
    RETURN NULL;
END
$$;
CREATE TRIGGER case_log_insert AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION case_log_write();
CREATE TRIGGER case_log_update AFTER UPDATE ON cases
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.priority IS DISTINCT FROM OLD.priority
        OR NEW.acked_at IS DISTINCT FROM OLD.acked_at OR NEW.response_due_at IS DISTINCT FROM OLD.response_due_at
        OR NEW.responded_at IS DISTINCT FROM OLD.responded_at OR NEW.resolution IS DISTINCT FROM OLD.resolution)
    EXECUTE FUNCTION case_log_write();

CREATE FUNCTION case_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the tldguard case log is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER case_log_append_only BEFORE UPDATE OR DELETE ON case_log
    FOR EACH ROW EXECUTE FUNCTION case_log_append_only();
CREATE TRIGGER case_log_no_truncate BEFORE TRUNCATE ON case_log
    FOR EACH STATEMENT EXECUTE FUNCTION case_log_append_only();

-- The cases stored before this migration have no history: each gets its
-- opening state and, if it moved on since, its state now (at its closing
-- time, or its last update).
INSERT INTO case_log (case_id, at, status, priority, acked_at, response_due_at, responded_at, resolution)
    SELECT id, coalesce(opened_at, updated_at), 'open', priority, acked_at, response_due_at, NULL, ''
    FROM cases ORDER BY id;
INSERT INTO case_log (case_id, at, status, priority, acked_at, response_due_at, responded_at, resolution)
    SELECT id, coalesce(closed_at, updated_at), status, priority, acked_at, response_due_at, responded_at, resolution
    FROM cases WHERE status <> 'open' OR responded_at IS NOT NULL OR resolution <> '' ORDER BY id;

-- What identified each case: its first report (the lowest report id filed
-- on it) and its earliest zone-check finding, kept by the triggers below as
-- reports are filed and findings recorded, so that the statistics read one
-- small row per case instead of the reports (which hold the raw bytes).
-- The lowest id wins whatever order concurrent transactions commit in.
-- report_at is when that report was filed on the case: the case's
-- updated_at as the link is written (intake updates the case first).
CREATE TABLE case_origins (
    case_id         bigint PRIMARY KEY REFERENCES cases,
    report_id       bigint REFERENCES reports,
    report_source   text NOT NULL DEFAULT '',
    report_category text NOT NULL DEFAULT '',
    report_at       timestamptz,
    finding_id      bigint REFERENCES findings,
    finding_feed    text NOT NULL DEFAULT '',
    finding_at      timestamptz
);
CREATE FUNCTION case_origins_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_origins AS o (case_id, report_id, report_source, report_category, report_at)
    SELECT NEW.case_id, r.id, r.source, r.category, (SELECT c.updated_at FROM cases c WHERE c.id = NEW.case_id)
    FROM reports r WHERE r.id = NEW.report_id
    ON CONFLICT (case_id) DO UPDATE SET report_id = excluded.report_id, report_source = excluded.report_source,
        report_category = excluded.report_category, report_at = excluded.report_at
    WHERE o.report_id IS NULL OR excluded.report_id < o.report_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER case_origins_report AFTER INSERT ON report_cases
    FOR EACH ROW EXECUTE FUNCTION case_origins_report();
CREATE FUNCTION case_origins_finding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_origins AS o (case_id, finding_id, finding_feed, finding_at)
    VALUES (NEW.case_id, NEW.id, NEW.feed, NEW.first_seen)
    ON CONFLICT (case_id) DO UPDATE SET finding_id = excluded.finding_id, finding_feed = excluded.finding_feed,
        finding_at = excluded.finding_at
    WHERE o.finding_id IS NULL OR excluded.finding_at < o.finding_at
        OR excluded.finding_at = o.finding_at AND excluded.finding_id < o.finding_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER case_origins_finding AFTER INSERT ON findings
    FOR EACH ROW WHEN (NEW.case_id IS NOT NULL AND NEW.first_seen IS NOT NULL)
    EXECUTE FUNCTION case_origins_finding();
CREATE TRIGGER case_origins_finding_case AFTER UPDATE OF case_id ON findings
    FOR EACH ROW WHEN (NEW.case_id IS NOT NULL AND NEW.first_seen IS NOT NULL AND NEW.case_id IS DISTINCT FROM OLD.case_id)
    EXECUTE FUNCTION case_origins_finding();
INSERT INTO case_origins (case_id, report_id, report_source, report_category, report_at)
    SELECT m.case_id, r.id, r.source, r.category, r.received_at
    FROM (SELECT case_id, min(report_id) AS report_id FROM report_cases GROUP BY case_id) m
    JOIN reports r ON r.id = m.report_id;
INSERT INTO case_origins AS o (case_id, finding_id, finding_feed, finding_at)
    SELECT DISTINCT ON (f.case_id) f.case_id, f.id, f.feed, f.first_seen FROM findings f
    WHERE f.case_id IS NOT NULL AND f.first_seen IS NOT NULL
    ORDER BY f.case_id, f.first_seen, f.id
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
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period      text NOT NULL,
    tld         text COLLATE "C" NOT NULL,
    period_from timestamptz NOT NULL,
    period_to   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    keep_until  timestamptz NOT NULL,
    report      bytea NOT NULL,
    sha256      bytea NOT NULL,
    event_seq   bigint NOT NULL REFERENCES events (seq),
    UNIQUE (period, tld)
);
CREATE FUNCTION stats_snapshots_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.keep_until <= now() THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'tldguard statistics snapshots are never changed and are kept for the term (% refused)', TG_OP;
END
$$;
CREATE TRIGGER stats_snapshots_kept BEFORE UPDATE OR DELETE ON stats_snapshots
    FOR EACH ROW EXECUTE FUNCTION stats_snapshots_kept();
CREATE TRIGGER stats_snapshots_no_truncate BEFORE TRUNCATE ON stats_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION stats_snapshots_kept();
