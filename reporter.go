package tldguard

import "time"

// Reporter is an account that submits threat reports: a law-enforcement
// agency, a government body, a trusted notifier, a registrar or a member of
// the public. Its Source tier is set by an admin, never by a message.
type Reporter struct {
	ID     int64
	Name   string
	Source Source
	Email  string // where acknowledgements and outcomes go
	// RegistrarID ties a registrar reporter to its IANA registrar id: it sees
	// only the cases referred to that registrar.
	RegistrarID  string
	Verification *Verification // nil until an admin records an out-of-band check
	Disabled     bool
	CreatedAt    time.Time
}

// Verified reports whether an out-of-band check of the account is recorded.
// Only a verified law-enforcement or government account can make a case high
// priority: forged emergency requests from hijacked official mailboxes are a
// real attack.
func (r *Reporter) Verified() bool { return r != nil && r.Verification != nil }

// Verification records who checked a reporter account out of band, when, and
// how (e.g. "called the agency's published switchboard, spoke to ...").
type Verification struct {
	By  string
	At  time.Time
	How string
}
