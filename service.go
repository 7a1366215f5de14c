package tldguard

import "context"

// The service interfaces are what the http package (and the CLI) consume.
// The service package implements them once over a Store; the mock package
// has function-field stand-ins for handler tests. Every method reads the
// acting Principal from ctx and checks it.

// ReportService takes threat reports in.
type ReportService interface {
	// SubmitReport decodes, checks and stores a report and files it on its
	// cases, all in one durable transaction, and returns the receipt. A
	// repeat of an Idempotency-Key returns the first receipt and stores
	// nothing; the same key with a different body is ECONFLICT. Errors:
	// EINVALID (malformed, naming the field), EUNPROCESSABLE (a name outside
	// the operator's TLDs), ETOOLARGE, EFORBIDDEN (not a reporter).
	SubmitReport(ctx context.Context, s *Submission) (*Receipt, error)
	// Report returns one report; a reporter sees only its own (ENOTFOUND
	// for others').
	Report(ctx context.Context, id int64) (*Report, error)
	// Reports lists reports newest first; a reporter sees only its own.
	Reports(ctx context.Context, f ReportFilter) ([]*Report, error)
}

// CaseService reads and triages cases.
type CaseService interface {
	// Cases returns one page of the queue. A reporter sees only the cases
	// its reports are filed on.
	Cases(ctx context.Context, f CaseFilter) (*CasePage, error)
	// Case returns a case with its reports, evidence and events.
	Case(ctx context.Context, id int64) (*CaseDetail, error)
	// UpdateCase changes triage fields (analyst, approver or admin).
	// ECONFLICT when u.Version is stale.
	UpdateCase(ctx context.Context, id int64, u CaseUpdate) (*Case, error)
}

// AuthService turns credentials into principals.
type AuthService interface {
	// Authenticate resolves an API token (user or reporter). EUNAUTHORIZED
	// when it is unknown, revoked or its owner is disabled.
	Authenticate(ctx context.Context, token string) (*Principal, error)
	// AuthenticateSession resolves a session cookie value.
	AuthenticateSession(ctx context.Context, session string) (*Principal, error)
	// Login checks a staff member's password and opens a session, returning
	// the cookie value.
	Login(ctx context.Context, email, password string) (session string, p *Principal, err error)
	// Logout ends the session.
	Logout(ctx context.Context, session string) error
}

// AuditService verifies the audit log.
type AuditService interface {
	// VerifyChain recomputes the hash chain from the first event, and checks
	// it against an exported head when one is given.
	VerifyChain(ctx context.Context, exported *ChainHead) (*ChainReport, error)
	// ChainHead returns the newest event's position, for export.
	ChainHead(ctx context.Context) (ChainHead, error)
}
