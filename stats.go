package tldguard

import "time"

// StatsFilter selects the per-domain records behind a statistical report:
// the period [From, To) and one TLD ("" for every TLD).
type StatsFilter struct {
	TLD  string
	From time.Time
	To   time.Time
}

// StatsCase is the compact per-domain record the §3(b) statistics are
// computed from: one case, what identified it, and its state after every
// change made before the period's end. Everything in it is fixed once the
// period is over, so a report re-run later from these records gives the
// same numbers (see the stats package for what each figure counts).
type StatsCase struct {
	CaseID        int64
	Domain        string
	TLD           string
	ThreatType    ThreatType
	Registered    bool
	RegistrarID   string
	RegistrarName string
	OpenedAt      time.Time
	// ReportSource and Category come from the first report filed on the
	// case (the lowest report id) if it was filed before the filter's To;
	// both are empty otherwise.
	ReportSource Source
	Category     string
	// FindingFeed and FindingAt come from the case's earliest zone-check
	// finding (by first seen, then id) if it was first seen before the
	// filter's To; empty and zero otherwise.
	FindingFeed string
	FindingAt   time.Time
	// History is the case's state after each change, oldest first: the
	// first entry is the state it was opened with. Only changes made before
	// the filter's To are included.
	History []CaseState
}

// CaseState is a case's state as one change left it. The stores write one
// for every change of these fields, in the transaction that makes it (a
// database trigger on the cases table), so the history is complete
// whichever code changed the case. At is the case's UpdatedAt (its
// OpenedAt for the first state): writers set UpdatedAt on every change.
type CaseState struct {
	At            time.Time
	Status        CaseStatus
	Priority      Priority
	AckedAt       time.Time
	ResponseDueAt time.Time
	RespondedAt   time.Time
	Resolution    string
}

// StatsSnapshot is a month's statistical report as it was computed at the
// month's end, kept for the term of the registry agreement. It is never
// changed: the stores have no update path and refuse UPDATE outright, and
// DELETE before KeepUntil, at the database. Its SHA-256 is written into
// the audit chain (event EventSeq) in the transaction that stores it.
type StatsSnapshot struct {
	ID        int64
	Period    string // the period's label, e.g. "2026-10"
	TLD       string // "" for every TLD
	From      time.Time
	To        time.Time
	CreatedAt time.Time
	KeepUntil time.Time // the end of the retention term; nothing is deleted before it
	Report    []byte    // the report as JSON, exactly as hashed
	SHA256    []byte
	EventSeq  int64 // the audit event that holds SHA256
}

// ReportCount is how many reports came in from one source tier for one
// threat type.
type ReportCount struct {
	Source     Source
	ThreatType ThreatType
	Count      int64
}

// OpenCaseCount is how many cases are not closed, by priority and status.
type OpenCaseCount struct {
	Priority Priority
	Status   CaseStatus
	Count    int64
}

// StatsAction is the compact record of one action carried out, behind
// the action and referral figures of the §3(b) statistics, with its case's
// name, TLD, threat type and sponsoring registrar.
type StatsAction struct {
	ID     int64
	CaseID int64
	Kind   ActionKind
	Reason string
	UndoOf int64     // release: the action it undoes
	DoneAt time.Time // when it was carried out
	DueAt  time.Time // referral: when the registrar's answer is due
	// AnswerOutcome ("mitigated" or "no_action") and AnswerAt are the
	// registrar's answer to a referral if it was given before the filter's
	// To; empty and zero otherwise.
	AnswerOutcome string
	AnswerAt      time.Time

	Domain        string
	TLD           string
	ThreatType    ThreatType
	Registered    bool
	RegistrarID   string
	RegistrarName string
}

// ActionStateCount is how many actions of one kind stand in one state.
type ActionStateCount struct {
	Kind  ActionKind
	State ActionState
	Count int64
}

// ClockCounts counts the open cases still waiting for their response by
// where their clock stands at a given instant.
type ClockCounts struct {
	Missed  int64 // the deadline has passed
	NearEnd int64 // the deadline is within the warning window, not yet passed
}
