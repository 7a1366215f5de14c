package http

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// How the pages write times, clocks and the domain's words for people.
// Everything shown is computed here, so the templates only place it.

// when is an instant as a page shows it: in UTC, with the machine-readable
// form for <time datetime>.
type when struct {
	ISO  string
	Text string
}

// at returns t for a page, nil for the zero time (nothing to show).
func at(t time.Time) *when {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &when{ISO: t.Format(time.RFC3339), Text: t.Format("2006-01-02 15:04 UTC")}
}

// span writes a duration for people: "2d 4h", "5h 40m", "12m", "under a
// minute".
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		if m := int(d%time.Hour) / int(time.Minute); m > 0 && h < 10 {
			return fmt.Sprintf("%dh %dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	default:
		days := int(d / (24 * time.Hour))
		if h := int(d%(24*time.Hour)) / int(time.Hour); h > 0 && days < 10 {
			return fmt.Sprintf("%dd %dh", days, h)
		}
		return fmt.Sprintf("%dd", days)
	}
}

// age writes how old something is, coarser as it gets older: "47h",
// "12 days", "5 months", "4 years".
func age(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < 2*day:
		return span(d)
	case d < 60*day:
		return fmt.Sprintf("%d days", int(d/day))
	case d < 2*365*day:
		return fmt.Sprintf("%d months", int(d/(30*day)))
	}
	return fmt.Sprintf("%d years", int(d/(365*day)))
}

// clock is a case's response clock as the queue shows it: the words say
// everything, the class adds the colour (overdue red, under 6 hours amber,
// under a day yellow, more green, answered grey).
type clock struct {
	Class string
	Text  string
}

// Clock thresholds for the colours.
const (
	clockSoon  = 6 * time.Hour
	clockToday = 24 * time.Hour
)

func clockOf(c *tldguard.Case, now time.Time) clock {
	switch {
	case !c.RespondedAt.IsZero():
		return clock{Class: "clock-done", Text: "Answered"}
	case c.ResponseDueAt.IsZero():
		return clock{Class: "clock-done", Text: "No clock"}
	}
	return dueClock(c.ResponseDueAt, now)
}

// dueClock is the clock of a deadline not yet met.
func dueClock(due, now time.Time) clock {
	left := due.Sub(now)
	switch {
	case left < 0:
		return clock{Class: "clock-overdue", Text: "Overdue by " + span(left)}
	case left < clockSoon:
		return clock{Class: "clock-soon", Text: span(left) + " left"}
	case left < clockToday:
		return clock{Class: "clock-today", Text: span(left) + " left"}
	}
	return clock{Class: "clock-ok", Text: span(left) + " left"}
}

// option is one choice of a <select>.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// options builds a select's choices with the one equal to selected marked.
func options(selected string, pairs ...string) []option {
	out := make([]option, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, option{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == selected})
	}
	return out
}

func threatText(t tldguard.ThreatType) string {
	switch t {
	case tldguard.ThreatPhishing:
		return "Phishing"
	case tldguard.ThreatMalware:
		return "Malware"
	case tldguard.ThreatBotnet:
		return "Botnet C&C"
	case tldguard.ThreatPharming:
		return "Pharming"
	case tldguard.ThreatSpam:
		return "Spam (as a vector)"
	case tldguard.ThreatOutOfScope:
		return "Out of scope"
	}
	return string(t)
}

// threatOptions are the threat types for a select, with "" first when
// anyLabel is set.
func threatOptions(selected, anyLabel string) []option {
	var pairs []string
	if anyLabel != "" {
		pairs = append(pairs, "", anyLabel)
	}
	for _, t := range tldguard.ThreatTypes {
		pairs = append(pairs, string(t), threatText(t))
	}
	return options(selected, pairs...)
}

func statusText(s tldguard.CaseStatus) string {
	switch s {
	case tldguard.StatusOpen:
		return "Open"
	case tldguard.StatusInProgress:
		return "In progress"
	case tldguard.StatusClosed:
		return "Closed"
	}
	return string(s)
}

func priorityText(p tldguard.Priority) string {
	switch p {
	case tldguard.PriorityHigh:
		return "High"
	case tldguard.PriorityStandard:
		return "Standard"
	}
	return string(p)
}

func classText(c tldguard.Classification) string {
	switch c {
	case tldguard.ClassMalicious:
		return "Malicious registration"
	case tldguard.ClassCompromised:
		return "Compromised site"
	case tldguard.ClassUnknown, "":
		return "Not yet classified"
	}
	return string(c)
}

func sourceText(s tldguard.Source) string {
	switch s {
	case tldguard.SourceLawEnforcement:
		return "Law enforcement"
	case tldguard.SourceGovernment:
		return "Government"
	case tldguard.SourceTrustedNotifier:
		return "Trusted notifier"
	case tldguard.SourceRegistrar:
		return "Registrar"
	case tldguard.SourceFeed:
		return "Feed"
	case tldguard.SourcePublic:
		return "Public"
	}
	return string(s)
}

func urgencyText(u tldguard.Urgency) string {
	switch u {
	case tldguard.UrgencyLife:
		return "Imminent threat to human life"
	case tldguard.UrgencyCriticalInfrastructure:
		return "Imminent threat to critical infrastructure"
	case tldguard.UrgencyChildExploitation:
		return "Child exploitation"
	case tldguard.UrgencyNone:
		return "None stated"
	}
	return string(u)
}

// requestedActions are the Framework's actions a requester may ask for,
// with their words; reportfmt accepts the same set.
var requestedActions = []string{
	"", "No specific action",
	"request_info", "Ask us for more information",
	"refer_registrar", "Refer to the sponsoring registrar",
	"hold", "Hold (take the name out of the zone)",
	"lock", "Lock (no updates, transfers or deletion)",
	"redirect", "Redirect to sinkhole name servers",
	"transfer", "Transfer to a registrar you name",
	"delete", "Delete the name",
	"block", "Block registration (names not yet registered)",
	"no_action", "No action; for information",
}

func actionText(a string) string {
	for i := 0; i+1 < len(requestedActions); i += 2 {
		if requestedActions[i] == a {
			return requestedActions[i+1]
		}
	}
	return a
}

// sum writes a SHA-256 in hex; "" for none.
func sum(b []byte) string { return hex.EncodeToString(b) }

// eventText names an audit action for people.
func eventText(action string) string {
	switch action {
	case "case.opened":
		return "Case opened"
	case "case.report_attached":
		return "Report attached"
	case "case.updated":
		return "Case updated"
	case "report.received":
		return "Report received"
	}
	s := strings.NewReplacer(".", ": ", "_", " ").Replace(action)
	if s == "" {
		return action
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
