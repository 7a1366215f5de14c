package tldguard

import "time"

// Finding is one name in the operator's TLDs that one reputation feed lists
// for one threat, as the zone check saw it: when first and last, with the
// feed's URLs. A finding opens a case or adds evidence to the open one; when
// the feed stops listing the name the finding is marked delisted.
type Finding struct {
	ID         int64
	Domain     string // the registered name
	TLD        string
	Feed       string // the configured feed's name, e.g. "urlhaus"
	ThreatType ThreatType
	URLs       []string // the feed's entries for the name, capped
	// Compromised is set when the feed marks the listing as a legitimate
	// site that was broken into (e.g. a DNSBL's "abused legitimate" code).
	Compromised bool
	CaseID      int64
	FirstSeen   time.Time
	LastSeen    time.Time
	LastRunID   int64
	DelistedAt  time.Time // zero while the feed still lists the name
}

// FindingFilter selects findings for listing.
type FindingFilter struct {
	Domain   string
	Feed     string
	CaseID   int64
	RunID    int64 // seen in this run
	Active   bool  // not delisted
	BeforeID int64 // keyset: only ids below this
	Limit    int
}

// ScanStatus is where a zone-check run stands.
type ScanStatus string

const (
	ScanRunning ScanStatus = "running"
	ScanOK      ScanStatus = "ok"
	ScanFailed  ScanStatus = "failed"
)

// ScanRun is the record of one zone check, kept for the §3(b) statistics.
type ScanRun struct {
	ID           int64
	Trigger      string // "schedule", "cli", "api"
	Node         string // host that ran it
	Status       ScanStatus
	Error        string
	StartedAt    time.Time
	FinishedAt   time.Time
	Zones        []ZoneStat
	Feeds        []FeedStat
	NamesChecked int64
	Findings     int64 // names listed in this run, all feeds
	NewFindings  int64
	NewCases     int64
	Delisted     int64
	// ByThreat and ByFeed count this run's findings.
	ByThreat map[ThreatType]int64
	ByFeed   map[string]int64
}

// ZoneStat is what a run read from one zone file.
type ZoneStat struct {
	Apex     string `json:"apex"`
	Source   string `json:"source"`
	Serial   uint32 `json:"serial"`
	Names    int64  `json:"names"`
	Records  int64  `json:"records"`
	Lines    int64  `json:"lines"`
	BadLines int64  `json:"bad_lines"`
	Error    string `json:"error,omitempty"`
	// Stale is set when the download failed and the run read the last
	// good copy; Alarm then says when that copy was fetched and why the
	// download failed.
	Stale bool   `json:"stale,omitempty"`
	Alarm string `json:"alarm,omitempty"`
}

// FeedStat is what a run read from one feed. Alarm is set when the feed
// looks broken (format drift, no valid rows, too many bad rows, download
// failure): a broken feed must never read as "no threats".
type FeedStat struct {
	Name     string `json:"name"`
	Format   string `json:"format"`
	Source   string `json:"source"`
	Entries  int64  `json:"entries"`
	BadLines int64  `json:"bad_lines"`
	Skipped  int64  `json:"skipped"` // IPs and names outside the TLDs
	Matched  int64  `json:"matched"`
	Stale    bool   `json:"stale,omitempty"` // the last good copy was used
	Alarm    string `json:"alarm,omitempty"`
}
