package stats

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// WriteCSV writes the report's figures as CSV, one figure a row: section,
// figure, key, value, note (what qualifies the value, e.g. "exclusive" for
// the period's end). Every key of a breakdown is present, zeros included.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	row := func(section, figure, key, value, note string) {
		cw.Write([]string{section, figure, cell(key), cell(value), note})
	}
	n := func(section, figure, key string, v int64) { row(section, figure, key, strconv.FormatInt(v, 10), "") }
	secs := func(section, figure, key string, v *float64) {
		if v == nil {
			row(section, figure, key, "", "no values")
			return
		}
		row(section, figure, key, formatFloat(*v), "")
	}
	cw.Write([]string{"section", "figure", "key", "value", "note"})
	row("report", "format", "", r.Format, "")
	row("report", "period", "", r.Period.Label, r.Period.Kind)
	row("report", "from", "", r.Period.From.Format(time.RFC3339), "")
	row("report", "to", "", r.Period.To.Format(time.RFC3339), "exclusive")
	row("report", "tld", "", r.TLD, scopeNote(r.TLD))
	row("report", "generated_at", "", r.GeneratedAt.Format(time.RFC3339Nano), "")
	row("policy", "acknowledge_seconds", "", formatFloat(r.Policy.AcknowledgeSeconds), "")
	row("policy", "high_response_seconds", "", formatFloat(r.Policy.HighResponseSeconds), "")
	row("policy", "standard_response_seconds", "", formatFloat(r.Policy.StandardResponseSeconds), "")

	id := r.Identified
	n("identified", "total", "", id.Total)
	n("identified", "unique_names", "", id.UniqueNames)
	n("identified", "registered", "", id.Registered)
	n("identified", "unregistered", "", id.Unregistered)
	for _, t := range threatOrder() {
		n("identified", "by_type", t, id.ByType[t])
	}
	for _, s := range sourceOrder() {
		n("identified", "by_source", s, id.BySource[s])
	}

	o := r.OutOfScope
	n("out_of_scope", "received", "", o.Received)
	n("out_of_scope", "answered", "", o.Answered)
	n("out_of_scope", "open_at_end", "", o.OpenAtEnd)
	for _, c := range o.ByCategory {
		n("out_of_scope", "by_category", c.Reason, c.Count)
	}

	a := r.Actions
	n("actions", "total", "", a.Total)
	for _, k := range a.ByType {
		n("actions", "by_type", k.Kind, k.Count)
	}
	n("actions", "by_actor", actorRegistry, a.ByActor[actorRegistry])
	n("actions", "by_actor", actorRegistrar, a.ByActor[actorRegistrar])
	for _, re := range a.NoActionReasons {
		n("actions", "no_action_reason", re.Reason, re.Count)
	}
	n("actions", "undone", "", a.Undone)
	n("referrals", "sent", "", a.Referrals.Sent)
	n("referrals", "answered_in_time", "", a.Referrals.AnsweredInTime)
	n("referrals", "answered_late", "", a.Referrals.AnsweredLate)
	n("referrals", "unanswered_at_end", "", a.Referrals.UnansweredAtEnd)
	n("referrals", "mitigated", "", a.Referrals.Mitigated)
	n("referrals", "declined", "", a.Referrals.Declined)

	rs := r.Responses
	n("responses", "count", "", rs.Count)
	n("responses", "within_clock", "", rs.WithinClock)
	n("responses", "late", "", rs.Late)
	secs("responses", "median_seconds", "", rs.TimeToRespond.MedianSeconds)
	secs("responses", "p90_seconds", "", rs.TimeToRespond.P90Seconds)
	for _, p := range rs.ByPriority {
		row("responses", "clock_seconds", p.Priority, formatFloat(p.ClockSeconds), "")
		n("responses", "count", p.Priority, p.Count)
		n("responses", "within_clock", p.Priority, p.WithinClock)
		n("responses", "late", p.Priority, p.Late)
		secs("responses", "median_seconds", p.Priority, p.TimeToRespond.MedianSeconds)
		secs("responses", "p90_seconds", p.Priority, p.TimeToRespond.P90Seconds)
	}

	ak := r.Acks
	n("acknowledgements", "count", "", ak.Count)
	n("acknowledgements", "not_acknowledged", "", ak.NotAcknowledged)
	n("acknowledgements", "late", "", ak.Late)
	secs("acknowledgements", "median_seconds", "", ak.TimeToAcknowledge.MedianSeconds)
	secs("acknowledgements", "p90_seconds", "", ak.TimeToAcknowledge.P90Seconds)

	n("clocks", "missed", "", r.Clocks.Missed)
	n("clocks", "overdue_at_end", "", r.Clocks.OverdueAtEnd)
	n("clocks", "responded_late", "", r.Clocks.RespondedLate)

	e := r.OpenAtEnd
	n("open_at_end", "total", "", e.Total)
	for _, s := range []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress} {
		n("open_at_end", "by_status", string(s), e.ByStatus[string(s)])
	}
	for _, t := range threatOrder() {
		n("open_at_end", "by_type", t, e.ByType[t])
	}
	for _, p := range []tldguard.Priority{tldguard.PriorityHigh, tldguard.PriorityStandard} {
		n("open_at_end", "by_priority", string(p), e.ByPriority[string(p)])
	}
	n("open_at_end", "overdue", "", e.Overdue)
	n("cases", "reopened", "", r.Reopened)

	for _, g := range r.Registrars {
		row("registrar", "name", g.ID, g.Name, "")
		n("registrar", "identified", g.ID, g.Identified)
		n("registrar", "responded", g.ID, g.Responded)
		n("registrar", "actions", g.ID, g.Actions)
		n("registrar", "open_at_end", g.ID, g.OpenAtEnd)
		n("registrar", "overdue_at_end", g.ID, g.OverdueAtEnd)
		n("registrar", "referrals", g.ID, g.Referrals)
		n("registrar", "referrals_answered_in_time", g.ID, g.ReferralsAnsweredInTime)
		n("registrar", "referrals_answered_late", g.ID, g.ReferralsAnsweredLate)
		n("registrar", "referrals_unanswered_at_end", g.ID, g.ReferralsUnansweredAtEnd)
		n("registrar", "mitigated", g.ID, g.Mitigated)
		n("registrar", "declined", g.ID, g.Declined)
	}

	n("abuse_rate", "registrations", "", r.AbuseRate.Registrations)
	n("abuse_rate", "unique_registered_names", "", r.AbuseRate.UniqueRegisteredNames)
	optional("abuse_rate", "per_10000", "", r.AbuseRate.Per10000, row)
	for _, t := range r.TLDs {
		n("tld", "registrations", t.TLD, t.Registrations)
		n("tld", "identified", t.TLD, t.Identified)
		n("tld", "unique_names", t.TLD, t.UniqueNames)
		n("tld", "unique_registered_names", t.TLD, t.UniqueRegisteredNames)
		optional("tld", "per_10000", t.TLD, t.Per10000, row)
	}

	z := r.ZoneCheck
	n("zone_check", "runs", "", z.Runs)
	n("zone_check", "failed", "", z.Failed)
	n("zone_check", "names_checked", "", z.NamesChecked)
	optionalInt("zone_check", "new_findings", z.NewFindings, row)
	optionalInt("zone_check", "new_cases", z.NewCases, row)

	for _, w := range r.Weekly {
		n("weekly", "identified", w.Start, w.Total)
		for _, t := range threatOrder() {
			n("weekly", "identified", w.Start+"/"+t, w.ByType[t])
		}
	}
	for _, b := range r.RespondTimes {
		n("respond_times", "responses", b.Label, b.Count)
	}
	cw.Flush()
	return cw.Error()
}

func optional(section, figure, key string, v *float64, row func(section, figure, key, value, note string)) {
	if v == nil {
		row(section, figure, key, "", "no registrations")
		return
	}
	row(section, figure, key, formatFloat(*v), "")
}

func optionalInt(section, figure string, v *int64, row func(section, figure, key, value, note string)) {
	if v == nil {
		row(section, figure, "", "", "recorded for all zones together")
		return
	}
	row(section, figure, "", strconv.FormatInt(*v, 10), "")
}

func scopeNote(tld string) string {
	if tld == "" {
		return "every TLD"
	}
	return ""
}

// DetailColumns are the per-domain CSV's columns.
var DetailColumns = []string{"case", "domain", "tld", "threat_type", "category", "source", "feed", "registered",
	"registrar_id", "registrar_name", "first_seen", "opened_at", "acked_at", "priority", "response_due_at",
	"responded_at", "responses", "reopened", "status_at_end", "outcome", "counts"}

// WriteDetailCSV writes the per-domain detail, one case a row. Lists are
// joined with "; " (responses as "TIME ACTION by WHO: REASON").
func WriteDetailCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write(DetailColumns)
	for _, d := range r.Detail {
		var responses, reopened []string
		for _, re := range d.Responses {
			responses = append(responses, re.At.Format(time.RFC3339)+" "+re.Action+" by "+re.By+": "+re.Reason)
		}
		for _, at := range d.Reopened {
			reopened = append(reopened, at.Format(time.RFC3339))
		}
		cw.Write([]string{
			d.Case, cell(d.Domain), d.TLD, d.ThreatType, cell(d.Category), d.Source, cell(d.Feed),
			strconv.FormatBool(d.Registered), cell(d.RegistrarID), cell(d.RegistrarName),
			d.FirstSeen.Format(time.RFC3339), d.OpenedAt.Format(time.RFC3339), timeCell(d.AckedAt), d.Priority,
			timeCell(d.ResponseDueAt), timeCell(d.RespondedAt), cell(strings.Join(responses, "; ")),
			strings.Join(reopened, "; "), d.StatusAtEnd, cell(d.Outcome), strings.Join(d.Counts, " "),
		})
	}
	cw.Flush()
	return cw.Error()
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// cell keeps free text from being read as a formula by a spreadsheet
// (OWASP's CSV injection advice): a leading =, +, -, @, tab or CR gets a
// leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// threatOrder is the in-scope threat types in their canonical order.
func threatOrder() []string {
	var out []string
	for _, t := range tldguard.ThreatTypes {
		if t != tldguard.ThreatOutOfScope {
			out = append(out, string(t))
		}
	}
	return out
}

// sourceOrder is the source tiers, most trusted first, then "unknown".
func sourceOrder() []string {
	var out []string
	for _, s := range tldguard.Sources {
		out = append(out, string(s))
	}
	return append(out, sourceUnknown)
}
