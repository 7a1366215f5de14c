// Package policy holds the operator's playbook for the Framework for
// Registry Operator to Respond to Security Threats: which reports are high
// priority and how long each kind of case may wait for its response.
//
// The Framework is voluntary and every operator tunes it, so each rule is a
// field with the Framework's default; Default returns them. (The YAML policy
// file, proposals and approvals arrive with the actions work.)
package policy

import (
	"fmt"
	"time"

	"github.com/tldguard/tldguard"
)

// Policy is the effective playbook.
type Policy struct {
	Clocks Clocks
}

// Clocks are the response windows.
type Clocks struct {
	// HighResponse is how long a high-priority case may wait for its
	// response (the action taken, or the reason for none). Framework: 24h.
	HighResponse time.Duration
	// StandardResponse is the same for every other case. Framework: 72h.
	StandardResponse time.Duration
}

// Default returns the Framework's defaults.
func Default() *Policy {
	return &Policy{Clocks: Clocks{HighResponse: 24 * time.Hour, StandardResponse: 72 * time.Hour}}
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
	return nil
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
