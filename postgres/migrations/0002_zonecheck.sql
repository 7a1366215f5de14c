-- 0002: the zone check (findings, scan runs, leases) and threading of
-- acknowledgements under the mail they answer.
--
-- Conventions as in 0001: timestamptz with NULL for the zero time, NULL for
-- a missing reference, "C" collation for names that are range-scanned.

-- A notice's In-Reply-To: the Message-ID of the mail it answers, or ''.
ALTER TABLE notices ADD COLUMN in_reply_to text NOT NULL DEFAULT '';

-- One zone check: what it read and what it found, for the statistics.
-- triggered_by holds ScanRun.Trigger (TRIGGER is an SQL keyword).
CREATE TABLE scan_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    triggered_by  text NOT NULL,
    node          text NOT NULL,
    status        text NOT NULL,
    error         text NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    zones         jsonb NOT NULL, -- array of ZoneStat
    feeds         jsonb NOT NULL, -- array of FeedStat
    names_checked bigint NOT NULL,
    findings      bigint NOT NULL,
    new_findings  bigint NOT NULL,
    new_cases     bigint NOT NULL,
    delisted      bigint NOT NULL,
    by_threat     jsonb NOT NULL, -- object, threat type to count
    by_feed       jsonb NOT NULL  -- object, feed name to count
);

-- A name one feed lists for one threat, from first to last sighting.
-- delisted_at is NULL while the feed still lists the name.
CREATE TABLE findings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain      text COLLATE "C" NOT NULL,
    tld         text COLLATE "C" NOT NULL,
    feed        text NOT NULL,
    threat_type text NOT NULL,
    urls        text[],
    compromised boolean NOT NULL,
    case_id     bigint REFERENCES cases,
    first_seen  timestamptz,
    last_seen   timestamptz,
    last_run_id bigint REFERENCES scan_runs,
    delisted_at timestamptz
);
-- One active (not delisted) finding per (name, feed, threat).
CREATE UNIQUE INDEX findings_one_active ON findings (domain, feed, threat_type) WHERE delisted_at IS NULL;
-- Delisting: a feed's active findings not seen in the run.
CREATE INDEX findings_feed_run ON findings (feed, last_run_id) WHERE delisted_at IS NULL;
-- ListFindings' filters, each in its order (newest id first).
CREATE INDEX findings_case ON findings (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX findings_run ON findings (last_run_id, id) WHERE last_run_id IS NOT NULL;
CREATE INDEX findings_domain ON findings (domain, id);

-- Named leases keep a singleton job (the zone check) to one holder at a time
-- across nodes.
CREATE TABLE leases (
    name   text PRIMARY KEY,
    holder text NOT NULL,
    until  timestamptz
);
