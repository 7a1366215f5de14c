// Package policy holds the operator's playbook for the Framework for
// Registry Operator to Respond to Security Threats: which reports are high
// priority and how long each kind of case may wait for its response.
//
// The Framework is voluntary and every operator tunes it, so each rule is a
// field with the Framework's default; Default returns them, Load reads an
// operator's YAML file over them, and Text prints the effective policy.
package policy

import (
	"fmt"
	"time"

	"github.com/tldguard/tldguard"
)

// Policy is the effective playbook.
type Policy struct {
	Clocks Clocks
	// Referral is how long a registrar has to answer a referral before the
	// case comes back to the registry's queue with its own action proposed.
	Referral Referral
	// Approvals is how many distinct approvers each action needs (absent:
	// none). ProtectedExtra more are needed on a protected or
	// shared-service name.
	Approvals      map[tldguard.ActionKind]int
	ProtectedExtra int
	// Sinkhole is where a redirect points the name.
	Sinkhole []string
	// Protected names must never go dark without an extra approval (the
	// operator's own names, governments, banks); SharedServices host many
	// unrelated users (hosting, URL shorteners, dynamic DNS), so acting on
	// the name hits them all. Each entry matches the name and its subdomains.
	Protected      []string
	SharedServices []string
	// Proposals are the playbook's rules; the first that matches a case
	// says what to propose.
	Proposals []Rule
	// Classifier tunes the compromised-or-malicious classifier.
	Classifier ClassifyPolicy
	// Term is how long the statistical reports (the monthly snapshots) are
	// kept, in whole years after the end of the period each covers: the
	// term of the registry agreement, for which Specification 11 §3(b)
	// asks them to be kept. Default 10.
	Term int
}

// Referral holds the registrar answer windows per priority.
type Referral struct {
	HighAnswer     time.Duration
	StandardAnswer time.Duration
}

// Clocks are the response windows.
type Clocks struct {
	// HighResponse is how long a high-priority case may wait for its
	// response (the action taken, or the reason for none). Framework: 24h.
	HighResponse time.Duration
	// StandardResponse is the same for every other case. Framework: 72h.
	StandardResponse time.Duration
	// Warn is how long before a clock's end it shows as near its end and
	// is alerted.
	Warn time.Duration
}

// Default returns the Framework's defaults.
func Default() *Policy {
	return &Policy{
		Clocks:   Clocks{HighResponse: 24 * time.Hour, StandardResponse: 72 * time.Hour, Warn: 6 * time.Hour},
		Referral: Referral{HighAnswer: 4 * time.Hour, StandardAnswer: 48 * time.Hour},
		Approvals: map[tldguard.ActionKind]int{
			tldguard.ActionHold: 1, tldguard.ActionLock: 1, tldguard.ActionRedirect: 1,
			tldguard.ActionTransfer: 2, tldguard.ActionDelete: 2, tldguard.ActionBlock: 1, tldguard.ActionRelease: 1,
		},
		ProtectedExtra: 1,
		Sinkhole:       []string{"ns1.sinkhole.invalid", "ns2.sinkhole.invalid"},
		Proposals:      DefaultRules(),
		Classifier:     DefaultClassify(),
		Term:           10,
	}
}

// RequiredApprovals returns how many distinct approvers an action of kind
// needs, with the extra ones for a guarded (protected or shared) name.
func (p *Policy) RequiredApprovals(kind tldguard.ActionKind, guarded bool) int {
	n := p.Approvals[kind]
	if guarded && kind.AtRegistry() {
		n += p.ProtectedExtra
	}
	return n
}

// ReferralWindow returns how long a registrar has to answer a referral.
func (p *Policy) ReferralWindow(pr tldguard.Priority) time.Duration {
	if pr == tldguard.PriorityHigh {
		return p.Referral.HighAnswer
	}
	return p.Referral.StandardAnswer
}

// Validate reports the first field that makes p unusable.
func (p *Policy) Validate() error {
	if p.Clocks.HighResponse <= 0 {
		return tldguard.FieldErrorf(tldguard.EINVALID, "clocks.high_response", "must be a positive duration")
	}
	if p.Clocks.StandardResponse <= 0 {
		return tldguard.FieldErrorf(tldguard.EINVALID, "clocks.standard_response", "must be a positive duration")
	}
	if p.Clocks.HighResponse > p.Clocks.StandardResponse {
		return tldguard.FieldErrorf(tldguard.EINVALID, "clocks.high_response", "is longer than clocks.standard_response (%s > %s)", p.Clocks.HighResponse, p.Clocks.StandardResponse)
	}
	if p.Term < 1 || p.Term > 100 {
		return tldguard.FieldErrorf(tldguard.EINVALID, "term", "must be a whole number of years from 1 to 100 (the registry agreement's term), got %d", p.Term)
	}
	return nil
}

// KeepUntil returns when a statistical report of a period ending at end
// may first be deleted: Term years after end.
func (p *Policy) KeepUntil(end time.Time) time.Time {
	return end.AddDate(p.Term, 0, 0)
}

// ResponseWindow returns the response clock for a priority.
func (p *Policy) ResponseWindow(pr tldguard.Priority) time.Duration {
	if pr == tldguard.PriorityHigh {
		return p.Clocks.HighResponse
	}
	return p.Clocks.StandardResponse
}

// Priority decides a report's priority from the reporter's account and the
// request it carries, and says why. A case is high priority only when a
// verified law-enforcement or government account states an imminent threat
// to human life, to critical infrastructure, or of child exploitation; what
// a message claims about its sender never counts, so the same claim from an
// unverified account stays standard (and the reason says so, for the
// analyst who may raise it after checking).
func (p *Policy) Priority(r *tldguard.Reporter, req *tldguard.AuthorityRequest) (tldguard.Priority, string) {
	if req == nil || req.Urgency == tldguard.UrgencyNone {
		return tldguard.PriorityStandard, "no imminent threat stated"
	}
	threat := urgencyText(req.Urgency)
	switch {
	case r == nil:
		return tldguard.PriorityStandard, fmt.Sprintf("%s stated by an unknown sender", threat)
	case !r.Source.Authority():
		return tldguard.PriorityStandard, fmt.Sprintf("%s stated by a %s account; only verified law-enforcement or government accounts make a case high priority", threat, r.Source)
	case !r.Verified():
		return tldguard.PriorityStandard, fmt.Sprintf("%s stated by an unverified %s account; verify the account out of band before raising", threat, r.Source)
	}
	return tldguard.PriorityHigh, fmt.Sprintf("%s stated by verified %s account %q", threat, r.Source, r.Name)
}

func urgencyText(u tldguard.Urgency) string {
	switch u {
	case tldguard.UrgencyLife:
		return "imminent threat to human life"
	case tldguard.UrgencyCriticalInfrastructure:
		return "imminent threat to critical infrastructure"
	case tldguard.UrgencyChildExploitation:
		return "child exploitation"
	}
	return "urgency " + string(u)
}
