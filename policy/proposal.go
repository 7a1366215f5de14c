package policy

import (
	"fmt"

	"github.com/tldguard/tldguard"
)

// Rule is one line of the playbook: for cases matching the threat,
// classification, source and registration state (empty fields match
// anything), propose these actions, for this reason.
type Rule struct {
	Threat         tldguard.ThreatType
	Classification tldguard.Classification
	Source         tldguard.Source
	Registered     *bool
	Propose        []tldguard.ActionKind
	Why            string
}

// DefaultRules are the Framework's defaults: a name registered to do harm is
// held, a legitimate site that was broken into is referred to its registrar
// (holding it would take down an innocent registrant), a name nobody holds
// is blocked, and reports outside DNS abuse are answered without action.
func DefaultRules() []Rule {
	no := false
	return []Rule{
		{Threat: tldguard.ThreatOutOfScope, Propose: []tldguard.ActionKind{tldguard.ActionNoAction},
			Why: "outside DNS abuse: answer the reporter, take no action at the registry"},
		{Registered: &no, Propose: []tldguard.ActionKind{tldguard.ActionBlock},
			Why: "not registered: stop its registration (a botnet's generated names, look-alikes)"},
		{Classification: tldguard.ClassMalicious, Propose: []tldguard.ActionKind{tldguard.ActionHold},
			Why: "registered to do harm: hold the name so it leaves the zone"},
		{Classification: tldguard.ClassCompromised, Propose: []tldguard.ActionKind{tldguard.ActionReferRegistrar},
			Why: "a legitimate site broken into: refer it to the registrar to have it cleaned; a hold would take down an innocent registrant"},
		{Threat: tldguard.ThreatBotnet, Propose: []tldguard.ActionKind{tldguard.ActionHold},
			Why: "botnet command and control: hold"},
		{Propose: []tldguard.ActionKind{tldguard.ActionReferRegistrar, tldguard.ActionRequestInfo},
			Why: "classification unknown: refer to the registrar and ask the reporter for more evidence"},
	}
}

// Matches reports whether the rule applies to the case.
func (r *Rule) Matches(c *tldguard.Case, source tldguard.Source) bool {
	return (r.Threat == "" || r.Threat == c.ThreatType) &&
		(r.Classification == "" || r.Classification == c.Classification) &&
		(r.Source == "" || r.Source == source) &&
		(r.Registered == nil || *r.Registered == c.Registered)
}

// Proposal is one action the policy proposes, and why.
type Proposal struct {
	Kind tldguard.ActionKind `json:"kind"`
	Why  string              `json:"why"`
	// Rule is the index of the rule that proposed it (-1 for an
	// authority's request).
	Rule int `json:"rule"`
}

// Propose returns what the playbook proposes for a case whose most trusted
// report came from source. An authority's requested action comes first
// (it is their request, and the analyst should see it), then the first
// matching rule's actions; an action is proposed once.
func (p *Policy) Propose(c *tldguard.Case, source tldguard.Source, requested tldguard.ActionKind, authority string) []Proposal {
	var out []Proposal
	seen := map[tldguard.ActionKind]bool{}
	add := func(k tldguard.ActionKind, why string, rule int) {
		if seen[k] || !applicable(k, c) {
			return
		}
		seen[k] = true
		out = append(out, Proposal{Kind: k, Why: why, Rule: rule})
	}
	if requested.Valid() {
		who := authority
		if who == "" {
			who = "the reporter"
		}
		add(requested, fmt.Sprintf("requested by %s (%s)", who, source), -1)
	}
	for i := range p.Proposals {
		r := &p.Proposals[i]
		if r.Matches(c, source) {
			for _, k := range r.Propose {
				add(k, r.Why, i)
			}
			break
		}
	}
	return out
}

// Escalation returns the registry's own action when a registrar did not
// answer a referral in time, or refused: a registrar's silence never stops
// the registry from acting.
func (p *Policy) Escalation(c *tldguard.Case) Proposal {
	if c.Classification == tldguard.ClassCompromised {
		return Proposal{Kind: tldguard.ActionRedirect, Rule: -1,
			Why: "the registrar did not mitigate in time; the name is a compromised site, so redirect it to the sinkhole rather than take it down"}
	}
	return Proposal{Kind: tldguard.ActionHold, Rule: -1, Why: "the registrar did not mitigate in time: the registry acts itself"}
}

// applicable filters out actions that make no sense for the case: registry
// changes on a name nobody holds, a block on a registered name, a referral
// without a registrar.
func applicable(k tldguard.ActionKind, c *tldguard.Case) bool {
	switch k {
	case tldguard.ActionBlock:
		return !c.Registered
	case tldguard.ActionReferRegistrar:
		return c.Registered && c.RegistrarID != ""
	case tldguard.ActionHold, tldguard.ActionLock, tldguard.ActionRedirect, tldguard.ActionTransfer, tldguard.ActionDelete, tldguard.ActionRelease:
		return c.Registered
	}
	return true
}
