package tldguard

// ThreatType is what a report or finding says a name is used for. The five
// DNS-abuse types are the ones the 2024 registry-agreement amendments define;
// anything else is accepted as ThreatOutOfScope and answered, never dropped.
type ThreatType string

const (
	ThreatPhishing   ThreatType = "phishing"
	ThreatMalware    ThreatType = "malware"
	ThreatBotnet     ThreatType = "botnet" // command and control
	ThreatPharming   ThreatType = "pharming"
	ThreatSpam       ThreatType = "spam" // only as a delivery vector for the others
	ThreatOutOfScope ThreatType = "out_of_scope"
)

// ThreatTypes lists the types in their canonical order (reports and
// statistics use it).
var ThreatTypes = []ThreatType{ThreatPhishing, ThreatMalware, ThreatBotnet, ThreatPharming, ThreatSpam, ThreatOutOfScope}

// Valid reports whether t is one of the known types.
func (t ThreatType) Valid() bool {
	for _, k := range ThreatTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Source is a reporter's trust tier, most trusted first. It always comes from
// the reporter's account, never from what a message says about itself.
type Source string

const (
	SourceLawEnforcement  Source = "law_enforcement"
	SourceGovernment      Source = "government"
	SourceTrustedNotifier Source = "trusted_notifier"
	SourceRegistrar       Source = "registrar"
	SourceFeed            Source = "feed" // a reputation list or the zone check
	SourcePublic          Source = "public"
)

// Sources lists the tiers, most trusted first.
var Sources = []Source{SourceLawEnforcement, SourceGovernment, SourceTrustedNotifier, SourceRegistrar, SourceFeed, SourcePublic}

// Valid reports whether s is a known tier.
func (s Source) Valid() bool {
	for _, k := range Sources {
		if s == k {
			return true
		}
	}
	return false
}

// Authority reports whether the tier is a public authority (law enforcement
// or government), the only tiers whose verified requests can be high priority.
func (s Source) Authority() bool { return s == SourceLawEnforcement || s == SourceGovernment }

// Priority orders the case queue and picks the response clock.
type Priority string

const (
	PriorityHigh     Priority = "high"
	PriorityStandard Priority = "standard"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p == PriorityHigh || p == PriorityStandard }

// Classification says whether a name was registered to do harm or is a
// legitimate site that was broken into; it decides between hold and referral.
type Classification string

const (
	ClassUnknown     Classification = "unknown"
	ClassMalicious   Classification = "malicious"
	ClassCompromised Classification = "compromised"
)

// Valid reports whether c is a known classification.
func (c Classification) Valid() bool {
	return c == ClassUnknown || c == ClassMalicious || c == ClassCompromised
}

// Urgency is the imminent threat a public authority states; with a verified
// authority account it makes a case high priority.
type Urgency string

const (
	UrgencyNone                   Urgency = ""
	UrgencyLife                   Urgency = "life"
	UrgencyCriticalInfrastructure Urgency = "critical_infrastructure"
	UrgencyChildExploitation      Urgency = "child_exploitation"
)

// Valid reports whether u is empty or a known urgency.
func (u Urgency) Valid() bool {
	switch u {
	case UrgencyNone, UrgencyLife, UrgencyCriticalInfrastructure, UrgencyChildExploitation:
		return true
	}
	return false
}
