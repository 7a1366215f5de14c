-- 0002: the zone check (findings, scan runs, leases) and threading of
-- acknowledgements under the mail they answer.
--
-- Conventions as in 0001: times are INTEGER unix microseconds (0 for the zero
-- time), lists are JSON in TEXT, ids of 0 are NULL in foreign-key columns.

-- A notice's In-Reply-To: the Message-ID of the mail it answers, or ''.
ALTER TABLE notices ADD COLUMN in_reply_to TEXT NOT NULL DEFAULT '';

-- One zone check: what it read and what it found, for the statistics.
-- triggered_by holds ScanRun.Trigger (TRIGGER is an SQL keyword).
CREATE TABLE scan_runs (
	id            INTEGER PRIMARY KEY,
	triggered_by  TEXT    NOT NULL,
	node          TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	error         TEXT    NOT NULL,
	started_at    INTEGER NOT NULL,
	finished_at   INTEGER NOT NULL,
	zones         TEXT    NOT NULL, -- JSON array of ZoneStat
	feeds         TEXT    NOT NULL, -- JSON array of FeedStat
	names_checked INTEGER NOT NULL,
	findings      INTEGER NOT NULL,
	new_findings  INTEGER NOT NULL,
	new_cases     INTEGER NOT NULL,
	delisted      INTEGER NOT NULL,
	by_threat     TEXT    NOT NULL, -- JSON object, threat type to count
	by_feed       TEXT    NOT NULL  -- JSON object, feed name to count
) STRICT;

-- A name one feed lists for one threat, from first to last sighting.
-- delisted_at is 0 while the feed still lists the name.
CREATE TABLE findings (
	id          INTEGER PRIMARY KEY,
	domain      TEXT    NOT NULL,
	tld         TEXT    NOT NULL,
	feed        TEXT    NOT NULL,
	threat_type TEXT    NOT NULL,
	urls        TEXT    NOT NULL, -- JSON array
	compromised INTEGER NOT NULL,
	case_id     INTEGER REFERENCES cases (id),
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	last_run_id INTEGER REFERENCES scan_runs (id),
	delisted_at INTEGER NOT NULL
) STRICT;
-- One active (not delisted) finding per (name, feed, threat).
CREATE UNIQUE INDEX findings_one_active ON findings (domain, feed, threat_type) WHERE delisted_at = 0;
-- Delisting: a feed's active findings not seen in the run.
CREATE INDEX findings_feed_run ON findings (feed, last_run_id) WHERE delisted_at = 0;
-- ListFindings' filters; each index ends with the rowid (id), the order.
CREATE INDEX findings_case ON findings (case_id);
CREATE INDEX findings_run ON findings (last_run_id);
CREATE INDEX findings_domain ON findings (domain);

-- Named leases keep a singleton job (the zone check) to one holder at a time
-- across processes.
CREATE TABLE leases (
	name   TEXT    PRIMARY KEY,
	holder TEXT    NOT NULL,
	until  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
