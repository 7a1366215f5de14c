package tldguard

import (
	"context"
	"time"
)

// Store is a storage engine: sqlite (the default) or postgres. Both keep the
// same data with their own SQL and pass the same behaviour suite (storetest).
// Business rules live above it, in the service package, written once.
type Store interface {
	// Read runs fn in a read-only transaction over a consistent snapshot.
	Read(ctx context.Context, fn func(Tx) error) error
	// Write runs fn in one read-write transaction. When Write returns nil the
	// change is committed and synced to stable storage. An engine may run fn
	// again after a serialisation failure, so fn must not keep state from an
	// earlier run; when the database stays busy, Write returns EUNAVAILABLE.
	Write(ctx context.Context, fn func(Tx) error) error
	// WriteBatch is group commit: it runs each fn in its own savepoint of one
	// transaction and commits once. errs[i] is the error of fns[i]; a fn that
	// fails is rolled back to its savepoint without touching the others. If
	// the commit itself fails, every entry holds that error. When an entry
	// is nil its change is committed and synced.
	WriteBatch(ctx context.Context, fns []func(Tx) error) (errs []error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is one transaction. Methods return *Error values: ENOTFOUND for a
// missing row (or a missing row that a new one refers to), ECONFLICT for a
// unique or version clash, EINTERNAL otherwise. A missing row on a read and
// an ECONFLICT leave the transaction usable; a write that refers to a
// missing row may abort it (PostgreSQL aborts on a foreign-key violation),
// so callers check references first. Times are stored with microsecond
// precision in UTC, and zero times round-trip as zero. A Limit of 0 or less
// in a list method means no limit; rows whose sort key is a zero time sort
// last in every order.
type Tx interface {
	ActionTx // actions, blocked names, durable jobs (below)

	// AppendEvent seals e as the event after the stored chain head (setting
	// Seq, PrevHash and Hash) and writes it and the new head.
	AppendEvent(e *Event) error
	// ChainHead returns the newest event's position (zero for an empty log).
	ChainHead() (ChainHead, error)
	// ScanEvents calls fn for every event with Seq > after, in Seq order,
	// until fn returns an error (which ScanEvents returns).
	ScanEvents(after int64, fn func(*Event) error) error
	// EventsByCase returns a case's events, oldest first.
	EventsByCase(caseID int64) ([]*Event, error)

	CreateUser(u *User) error // sets ID; ECONFLICT on a taken e-mail
	UserByID(id int64) (*User, error)
	UserByEmail(email string) (*User, error)
	ListUsers() ([]*User, error)
	UpdateUser(u *User) error

	CreateToken(t *Token) error // sets ID
	TokenByHash(hash []byte) (*Token, error)
	RevokeToken(id int64, at time.Time) error

	CreateSession(s *Session) error // sets ID
	SessionByHash(hash []byte) (*Session, error)
	DeleteSession(id int64) error
	DeleteUserSessions(userID int64) error

	CreateReporter(r *Reporter) error // sets ID; ECONFLICT on a taken name
	ReporterByID(id int64) (*Reporter, error)
	ListReporters() ([]*Reporter, error)
	UpdateReporter(r *Reporter) error

	AddTLD(name string, at time.Time) error // ECONFLICT when present
	TLDs() ([]string, error)                // sorted

	PutRegistrar(r *Registrar) error // insert or replace
	Registrar(id string) (*Registrar, error)
	ListRegistrars() ([]*Registrar, error)
	PutRegistration(r *Registration) error // insert or replace, by Name
	Registration(name string) (*Registration, error)
	CountRegistrations(tld string) (int64, error) // "" counts all
	// ListRegistrations returns up to limit registrations in tld ("" = all)
	// with names after the given one, in name order (keyset pagination).
	ListRegistrations(tld, after string, limit int) ([]*Registration, error)
	// CountDependents counts the other registered names whose name servers
	// are under domain (they stop resolving if domain goes dark).
	CountDependents(domain string) (int64, error)
	// HeldNames returns the registered names whose statuses include
	// serverHold or clientHold, sorted: registered but absent from the zone,
	// they still count for the zone check.
	HeldNames() ([]string, error)

	// InsertReport stores r with its raw bytes, targets and request fields
	// (not its evidence or case links) and sets r.ID.
	InsertReport(r *Report) error
	// ReportByID returns a report with Raw, Targets, Request, Evidence
	// (metadata) and CaseIDs.
	ReportByID(id int64) (*Report, error)
	// ListReports returns reports newest first, without Raw.
	ListReports(f ReportFilter) ([]*Report, error)
	// LinkReportCase records that report's target number target is filed on caseID.
	LinkReportCase(reportID, caseID int64, target int) error
	// InsertEvidence stores the item and, if not yet stored, its content
	// under its SHA-256; it sets e.ID.
	InsertEvidence(e *Evidence, content []byte) error
	EvidenceContent(sha256 []byte) ([]byte, error)
	EvidenceByCase(caseID int64) ([]Evidence, error)

	// OpenCase returns the case for (domain, threat) that is not closed.
	OpenCase(domain string, threat ThreatType) (*Case, error)
	// InsertCase stores c and sets c.ID and c.Version (1). ECONFLICT when a
	// case for the same (domain, threat) is still open.
	InsertCase(c *Case) error
	// UpdateCase writes c's mutable fields if the stored version equals
	// c.Version (else ECONFLICT), then increments c.Version.
	UpdateCase(c *Case) error
	CaseByID(id int64) (*Case, error)
	// ListCases returns up to f.Limit cases in f.Sort order after f.After.
	ListCases(f CaseFilter) ([]*Case, error)

	Idempotent(reporterID int64, key string) (*IdempotencyRecord, error)
	PutIdempotent(rec *IdempotencyRecord) error // ECONFLICT when the key is taken

	QueueNotice(n *Notice) error // sets ID
	// ListNotices returns notices in the status ("" = any), oldest first.
	ListNotices(status NoticeStatus, limit int) ([]*Notice, error)
	NoticeByID(id int64) (*Notice, error)
	// UpdateNotice writes Status, SentAt, Attempts and LastError.
	UpdateNotice(n *Notice) error

	// ReporterByName returns the reporter account with that exact name.
	ReporterByName(name string) (*Reporter, error)

	// ActiveFinding returns the finding for (domain, feed, threat) that is
	// not delisted.
	ActiveFinding(domain, feed string, threat ThreatType) (*Finding, error)
	// ActiveFindingsOn returns the active findings on any of domains, of
	// every feed and threat, in no particular order.
	ActiveFindingsOn(domains []string) ([]*Finding, error)
	// SeeFindings sets LastSeen to at and LastRunID to runID on the
	// findings ids in one statement and returns how many it changed: a
	// zone check's findings seen again, unchanged.
	SeeFindings(ids []int64, runID int64, at time.Time) (int64, error)
	InsertFinding(f *Finding) error // sets ID
	// UpdateFinding writes URLs, Compromised, CaseID, LastSeen, LastRunID
	// and DelistedAt.
	UpdateFinding(f *Finding) error
	// DelistFindings marks every active finding of feed whose LastRunID is
	// not runID as delisted at the given time and returns how many it marked.
	DelistFindings(feed string, runID int64, at time.Time) (int64, error)
	// ListFindings returns findings newest first (by id).
	ListFindings(f FindingFilter) ([]*Finding, error)

	InsertScanRun(r *ScanRun) error // sets ID
	// UpdateScanRun writes every field but ID, Trigger, Node and StartedAt.
	UpdateScanRun(r *ScanRun) error
	ScanRunByID(id int64) (*ScanRun, error)
	// ListScanRuns returns runs newest first, only ids below beforeID when
	// it is non-zero.
	ListScanRuns(beforeID int64, limit int) ([]*ScanRun, error)

	// AcquireLease takes the named lease for holder until the given time if
	// it is free, expired at now, or already held by holder, and reports
	// whether it did. Leases keep one zone check (or other singleton job)
	// running at a time across processes and nodes.
	AcquireLease(name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease gives the lease up if holder holds it.
	ReleaseLease(name, holder string) error

	// --- Statistics: the §3(b) report's records, its snapshots, and the
	// counts behind the operational metrics (see stats.go). ---

	// StatsCases calls fn, in case id order, with the record of every case
	// in f.TLD ("" = all) that can count in the period: opened before f.To
	// and not closed for good before f.From (its last closure, if it is
	// closed, is at or after f.From). Each record's History holds only the
	// states written before f.To. fn must not use the Tx nor keep the
	// record after it returns (the store may reuse it); an error from fn
	// stops the scan and is returned.
	StatsCases(f StatsFilter, fn func(*StatsCase) error) error
	// InsertStatsSnapshot stores s and sets s.ID. ECONFLICT when a snapshot
	// for (s.Period, s.TLD) is stored: snapshots are never replaced.
	InsertStatsSnapshot(s *StatsSnapshot) error
	// StatsSnapshot returns the snapshot for (period, tld), ENOTFOUND when
	// there is none.
	StatsSnapshot(period, tld string) (*StatsSnapshot, error)
	// ListStatsSnapshots returns every snapshot without its Report, oldest
	// period first (by From, then TLD).
	ListStatsSnapshots() ([]*StatsSnapshot, error)
	// CountReportsAfter counts the reports with an id above afterID by
	// source and threat type (sorted by both) and returns the highest id
	// counted (afterID when there is none).
	CountReportsAfter(afterID int64) ([]ReportCount, int64, error)
	// CountOpenCases counts the cases that are not closed by priority and
	// status (sorted by both).
	CountOpenCases() ([]OpenCaseCount, error)
	// CountClocks counts the open cases without a response whose deadline
	// is before now (missed) or at or after now and before warn (near end).
	CountClocks(now, warn time.Time) (ClockCounts, error)
}

// ActionTx holds the Tx methods for actions, blocked names and durable jobs
// (the Framework's responses at the registry).
type ActionTx interface {
	InsertAction(a *Action) error // sets ID and Version (1)
	// UpdateAction writes every field but ID, CaseID, Kind, Domain,
	// ProposedBy and ProposedAt if the stored version equals a.Version
	// (else ECONFLICT), then increments a.Version.
	UpdateAction(a *Action) error
	ActionByID(id int64) (*Action, error)
	// ListActions returns actions oldest first (by id).
	ListActions(f ActionFilter) ([]*Action, error)

	PutBlocked(b *Blocked) error // insert or replace, by Name
	BlockedName(name string) (*Blocked, error)
	DeleteBlocked(name string) error // ENOTFOUND when not blocked

	EnqueueJob(j *Job) error // sets ID; State defaults to queued
	// ClaimJobs marks up to limit jobs as running by worker until
	// lockUntil and returns them, earliest RunAt first: queued jobs due at
	// now (RunAt <= now), and running jobs whose claim expired (a worker
	// that died). Safe across processes and nodes: a job is claimed by one
	// worker at a time.
	ClaimJobs(worker string, now, lockUntil time.Time, limit int) ([]*Job, error)
	// UpdateJob writes State, RunAt, Attempts, LastError, LockedBy,
	// LockedUntil and UpdatedAt.
	UpdateJob(j *Job) error
	JobByID(id int64) (*Job, error)
	// CountJobs counts jobs in a state ("" = all).
	CountJobs(state JobState) (int64, error)

	// --- Statistics over actions (see stats.go): the counts behind the
	// operational metric tldguard_actions_total, and the records behind
	// the §3(b) report's action and referral figures. ---

	// CountActions counts every stored action by kind and state, sorted by
	// kind then state (byte order); a pair without actions is absent.
	CountActions() ([]ActionStateCount, error)
	// StatsActions calls fn, in action id order, with the record of every
	// action in f.TLD ("" = all; its case's TLD) carried out before f.To
	// (state done or undone, DoneAt before f.To) that can count in the
	// period: carried out at or after f.From, or a referral not answered
	// before f.From. Each record's answer is the one given before f.To. fn
	// must not use the Tx nor keep the record after it returns; an error
	// from fn stops the scan and is returned.
	StatsActions(f StatsFilter, fn func(*StatsAction) error) error
}

// IdempotencyRecord is the first answer given to a request with an
// Idempotency-Key, replayed for every repeat of that key by that reporter.
type IdempotencyRecord struct {
	ReporterID    int64
	Key           string
	RequestSHA256 []byte
	Status        int
	Response      []byte
	CreatedAt     time.Time
}
