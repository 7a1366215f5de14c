package stats_test

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/stats"
)

const h = 3600.0 // seconds in an hour

// figure is one hand-computed expectation.
type figure struct {
	name string
	got  any
	want any
}

func check(t *testing.T, figs []figure) {
	t.Helper()
	for _, f := range figs {
		got, want := deref(f.got), deref(f.want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", f.name, got, want)
		}
	}
}

// deref compares pointers by what they point at (nil stays nil).
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return rv.Elem().Interface()
	}
	return v
}

func report(t *testing.T, w *world, period, tld string) *stats.Report {
	t.Helper()
	p, err := stats.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.stats.Report(w.auditor, stats.Query{Period: p, TLD: tld, Detail: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// detailOf returns the detail line of case key.
func detailOf(t *testing.T, w *world, r *stats.Report, key string) *stats.Detail {
	t.Helper()
	num := tldguard.CaseNumber(w.cases[key])
	for i := range r.Detail {
		if r.Detail[i].Case == num {
			return &r.Detail[i]
		}
	}
	return nil
}

// octoberFigures are October 2026's figures over every TLD, computed by
// hand from buildWorld's story.
func octoberFigures(t *testing.T, w *world, r *stats.Report) []figure {
	hours := func(n float64) *float64 { v := n * h; return &v }
	zero := 0.0
	return []figure{
		// Identified: C2 C3 C4 C5 C7 C8 C13 (C6 is out of scope; C1, C10,
		// C11 were opened in September).
		{"identified.total", r.Identified.Total, int64(7)},
		{"identified.unique_names", r.Identified.UniqueNames, int64(6)}, // mal1 twice (C2, C13)
		{"identified.registered", r.Identified.Registered, int64(6)},
		{"identified.unregistered", r.Identified.Unregistered, int64(1)}, // bot1.test
		{"identified.by_type", r.Identified.ByType, map[string]int64{"phishing": 3, "malware": 1, "botnet": 1, "pharming": 1, "spam": 1}},
		{"identified.by_source", r.Identified.BySource, map[string]int64{"law_enforcement": 2, "government": 1,
			"trusted_notifier": 1, "registrar": 1, "feed": 1, "public": 1, "unknown": 0}},
		// Out of scope: C6.
		{"out_of_scope", r.OutOfScope, stats.OutOfScope{Received: 1, Answered: 1, OpenAtEnd: 0,
			ByCategory: []stats.Reason{{Reason: "copyright", Count: 1}}}},
		// Actions: the closures C1, C2 (twice), C4, C7, C8.
		{"actions.total", r.Actions.Total, int64(6)},
		{"actions.by_type", r.Actions.ByType, []stats.ActionCount{
			{Kind: "request_info"}, {Kind: "refer_registrar"}, {Kind: "hold"},
			{Kind: "lock"}, {Kind: "redirect"}, {Kind: "transfer"},
			{Kind: "delete"}, {Kind: "block"}, {Kind: "no_action", Count: 6}, {Kind: "release"}}},
		{"actions.by_actor", r.Actions.ByActor, map[string]int64{"registry": 6, "registrar_after_referral": 0}},
		{"actions.no_action_reasons", r.Actions.NoActionReasons, []stats.Reason{
			{Reason: "cleaned", Count: 2}, {Reason: "False positive", Count: 2},
			{Reason: "registrar suspended the name", Count: 1}, {Reason: "site taken down by host", Count: 1}}},
		{"actions.undone (slot)", r.Actions.Undone, int64(0)},
		// Responses: C8 0.5h, C2 6h, C7 27h (high, late), C4 48h, C1 98h (late).
		{"responses.count", r.Responses.Count, int64(5)},
		{"responses.within_clock", r.Responses.WithinClock, int64(3)},
		{"responses.late", r.Responses.Late, int64(2)},
		{"responses.median", r.Responses.TimeToRespond.MedianSeconds, hours(27)},
		{"responses.p90", r.Responses.TimeToRespond.P90Seconds, hours(98)},
		{"responses.high", r.Responses.ByPriority[0], stats.PriorityResponses{Priority: "high", ClockSeconds: 24 * h,
			Count: 2, WithinClock: 1, Late: 1, TimeToRespond: stats.Distribution{Count: 2, MedianSeconds: hours(6), P90Seconds: hours(27)}}},
		{"responses.standard", r.Responses.ByPriority[1], stats.PriorityResponses{Priority: "standard", ClockSeconds: 72 * h,
			Count: 3, WithinClock: 2, Late: 1, TimeToRespond: stats.Distribution{Count: 3, MedianSeconds: hours(48), P90Seconds: hours(98)}}},
		// Acknowledgements: every reported case at once; C4 (zone check) none.
		{"acks", r.Acks, stats.Acks{Count: 6, NotAcknowledged: 1, Late: 0,
			TimeToAcknowledge: stats.Distribution{Count: 6, MedianSeconds: &zero, P90Seconds: &zero}}},
		// Clocks: C1 (10-01), C3 (10-08), C7 (10-16), C13 (10-28) ran out
		// in October; C10 ran out in September.
		{"clocks", r.Clocks, stats.ClockStats{Missed: 4, OverdueAtEnd: 3, RespondedLate: 2}},
		// Open at the end: C3 (in progress), C5, C10, C11 (reopened), C13.
		{"open_at_end", r.OpenAtEnd, stats.OpenAtEnd{Total: 5,
			ByStatus:   map[string]int64{"open": 4, "in_progress": 1},
			ByType:     map[string]int64{"phishing": 2, "malware": 1, "botnet": 1, "pharming": 0, "spam": 1},
			ByPriority: map[string]int64{"high": 0, "standard": 5}, Overdue: 3}},
		{"reopened", r.Reopened, int64(2)}, // C11 10-04, C2 10-20
		{"registrars", r.Registrars, []stats.RegistrarRow{
			{ID: "9002", Name: "Bravo Domains", Identified: 4, Responded: 2, Actions: 3, OpenAtEnd: 3, OverdueAtEnd: 1},
			{ID: "9001", Name: "Alpha Names", Identified: 2, Responded: 3, Actions: 3, OpenAtEnd: 1, OverdueAtEnd: 1},
			{ID: "", Name: "(not registered)", Identified: 1, OpenAtEnd: 1, OverdueAtEnd: 1}}},
		{"abuse_rate", r.AbuseRate, stats.AbuseRate{Registrations: 25, UniqueRegisteredNames: 5, Per10000: ptr(2000.0)}},
		{"tlds", r.TLDs, []stats.TLDRow{
			{TLD: "example", Registrations: 20, Identified: 6, UniqueNames: 5, UniqueRegisteredNames: 5, Per10000: ptr(2500.0)},
			{TLD: "test", Registrations: 5, Identified: 1, UniqueNames: 1, UniqueRegisteredNames: 0, Per10000: ptr(0.0)}}},
		// Runs R1 (ok), R2 (failed), R3 (ok, the last); R0 ran in September.
		{"zone_check", r.ZoneCheck, stats.ZoneCheck{Runs: 3, Failed: 1, NamesChecked: 25, NewFindings: ptr(int64(1)), NewCases: ptr(int64(1))}},
		{"weekly totals", weekTotals(r), []string{"2026-09-28:1", "2026-10-05:2", "2026-10-12:1", "2026-10-19:1", "2026-10-26:2"}},
		{"weekly 10-26 by type", r.Weekly[4].ByType, map[string]int64{"phishing": 1, "malware": 0, "botnet": 0, "pharming": 0, "spam": 1}},
		{"respond_times", bucketCounts(r), []int64{1, 0, 1, 0, 1, 1, 1, 0}},
		// Detail: every case that counts, none other (C9 and C12 do not).
		{"detail cases", detailCases(w, r), []string{"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C10", "C11", "C13"}},
		{"C1 counts", detailOf(t, w, r, "C1").Counts, []string{"responded", "responded_late", "action", "clock_missed"}},
		{"C2 counts", detailOf(t, w, r, "C2").Counts, []string{"identified", "acknowledged", "responded", "action", "reopened"}},
		{"C3 counts", detailOf(t, w, r, "C3").Counts, []string{"identified", "acknowledged", "clock_missed", "open_at_end", "overdue_at_end"}},
		{"C4 source", detailOf(t, w, r, "C4").Source + "/" + detailOf(t, w, r, "C4").Feed, "feed/urlhaus"},
		{"C4 counts", detailOf(t, w, r, "C4").Counts, []string{"identified", "responded", "action"}},
		{"C6 counts", detailOf(t, w, r, "C6").Counts, []string{"out_of_scope"}},
		{"C8 outcome", detailOf(t, w, r, "C8").Outcome, "no_action: false positive"},
		{"C10 counts", detailOf(t, w, r, "C10").Counts, []string{"open_at_end", "overdue_at_end"}},
		{"C11 counts", detailOf(t, w, r, "C11").Counts, []string{"reopened", "open_at_end"}},
		{"C11 reopened", detailOf(t, w, r, "C11").Reopened, []time.Time{day(time.October, 4, 10, 0)}},
		{"C2 responses", len(detailOf(t, w, r, "C2").Responses), 2},
		{"C7 priority and due", detailOf(t, w, r, "C7").Priority + " " + detailOf(t, w, r, "C7").ResponseDueAt.Format(time.RFC3339),
			"high 2026-10-16T10:00:00Z"},
	}
}

func ptr[T any](v T) *T { return &v }

func weekTotals(r *stats.Report) []string {
	var out []string
	for _, w := range r.Weekly {
		out = append(out, fmt.Sprintf("%s:%d", w.Start, w.Total))
	}
	return out
}

func bucketCounts(r *stats.Report) []int64 {
	var out []int64
	for _, b := range r.RespondTimes {
		out = append(out, b.Count)
	}
	return out
}

func detailCases(w *world, r *stats.Report) []string {
	byNumber := map[string]string{}
	for k, id := range w.cases {
		byNumber[tldguard.CaseNumber(id)] = k
	}
	var out []string
	for _, d := range r.Detail {
		out = append(out, byNumber[d.Case])
	}
	slices.SortFunc(out, func(a, b string) int {
		var x, y int
		fmt.Sscanf(a, "C%d", &x)
		fmt.Sscanf(b, "C%d", &y)
		return x - y
	})
	return out
}

// TestFigures checks every figure of October 2026 against the hand-computed
// values, on both engines, before and after November's changes to the same
// cases (a case spanning two periods, cases reopened and re-prioritised
// after the month): the month's report must not move.
func TestFigures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w)
		before := report(t, w, "2026-10", "")
		check(t, octoberFigures(t, w, before))

		buildNovember(w)
		after := report(t, w, "2026-10", "")
		check(t, octoberFigures(t, w, after))
		after.GeneratedAt = before.GeneratedAt
		a, _ := stats.EncodeJSON(before)
		b, _ := stats.EncodeJSON(after)
		if !bytes.Equal(a, b) {
			t.Errorf("October's report changed after November's changes:\n%s\n%s", a, b)
		}
	})
}

// TestOtherPeriods checks periods around October: September (C11 closed
// then, reopened in October, counts as closed at September's end), one day,
// one TLD, the quarter and November.
func TestOtherPeriods(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w)
		buildNovember(w)
		hours := func(n float64) *float64 { v := n * h; return &v }

		sep := report(t, w, "2026-09", "")
		check(t, []figure{
			{"sep identified", sep.Identified.Total, int64(4)}, // C12 C10 C11 C1
			{"sep by type", sep.Identified.ByType, map[string]int64{"phishing": 2, "malware": 1, "botnet": 0, "pharming": 0, "spam": 1}},
			{"sep responses", sep.Responses.Count, int64(2)}, // C12, C11 (24h each)
			{"sep median", sep.Responses.TimeToRespond.MedianSeconds, hours(24)},
			{"sep missed", sep.Clocks.Missed, int64(1)},             // C10 on 09-13
			{"sep open at end", sep.OpenAtEnd.Total, int64(2)},      // C10, C1; C11 was closed then
			{"sep overdue at end", sep.OpenAtEnd.Overdue, int64(1)}, // C10 (C1 is due 10-01)
			{"sep reopened", sep.Reopened, int64(0)},
			{"sep actions", sep.Actions.Total, int64(2)},
			{"sep zone check", sep.ZoneCheck.Runs, int64(1)}, // R0
		})

		oct3 := report(t, w, "2026-10-03", "")
		check(t, []figure{
			{"10-03 identified", oct3.Identified.Total, int64(1)}, // C2
			{"10-03 responses", oct3.Responses.Count, int64(1)},
			{"10-03 median", oct3.Responses.TimeToRespond.MedianSeconds, hours(6)},
			{"10-03 actions", oct3.Actions.Total, int64(1)},
			{"10-03 open at end", oct3.OpenAtEnd.Total, int64(1)}, // C10; C1 was closed on 10-02, C11 reopens on 10-04
			{"10-03 overdue", oct3.OpenAtEnd.Overdue, int64(1)},
			{"10-03 weekly", weekTotals(oct3), []string{"2026-09-28:1"}},
		})

		test := report(t, w, "2026-10", "test")
		check(t, []figure{
			{"test identified", test.Identified.Total, int64(1)}, // C3
			{"test open at end", test.OpenAtEnd.Total, int64(2)}, // C3, C11
			{"test reopened", test.Reopened, int64(1)},           // C11
			{"test abuse rate", test.AbuseRate, stats.AbuseRate{Registrations: 5, UniqueRegisteredNames: 0, Per10000: ptr(0.0)}},
			{"test zone check", test.ZoneCheck, stats.ZoneCheck{Runs: 3, Failed: 1, NamesChecked: 5}},
			{"test detail", detailCases(w, test), []string{"C3", "C11"}},
		})

		q4 := report(t, w, "2026-Q4", "")
		check(t, []figure{
			{"q4 identified", q4.Identified.Total, int64(8)}, // October's 7 and C9
			// Responses: October's five, then C5 (11-01, 38h), C10 (11-02,
			// 53d) and C13 (11-08, 14d 2h); C8's and C11's later closures
			// are not first responses.
			{"q4 responses", q4.Responses.Count, int64(8)},
			// October's 6, then November's 9 (see TestActionFigures).
			{"q4 actions", q4.Actions.Total, int64(15)},
			{"q4 reopened", q4.Reopened, int64(4)},           // C11, C2, C8, C1
			{"q4 open at end", q4.OpenAtEnd.Total, int64(3)}, // C3, C9, C1 (reopened 11-09)
		})

		nov := report(t, w, "2026-11", "")
		check(t, []figure{
			{"nov identified", nov.Identified.Total, int64(1)},        // C9
			{"nov responses", nov.Responses.Count, int64(3)},          // C5, C10, C13
			{"nov late", nov.Responses.Late, int64(2)},                // C10, C13
			{"nov high", nov.Responses.ByPriority[0].Count, int64(1)}, // C13 was raised before its response
			{"nov missed", nov.Clocks.Missed, int64(1)},               // C9 due 11-06 10:00
			{"nov actions", nov.Actions.Total, int64(9)},              // see TestActionFigures
			{"nov reasons", nov.Actions.NoActionReasons[0], stats.Reason{Reason: "cleaned", Count: 2}},
		})
	})
}

// TestActionFigures checks the action and referral figures of November
// and December 2026 by hand, from buildNovember's and buildDecember's
// actions carried out through the service:
//
//	November: closures without a no_action action C5, C10, C8, C11, C13
//	(5 no_action); referrals of C8 (09:30 on 11-05, answered "mitigated"
//	at 12:00, due 11-07 09:30: in time) and C11 (11-06, never answered);
//	the hold on C13 (11-08 11:00). 8 registry actions and Bravo's
//	mitigation: 9.
//	December: C13 reopened, the release of its hold, its closure "site
//	cleaned" (12-02); C11's referral is still unanswered at the end. C11
//	was closed for good in November: only its referral brings it into the
//	month. C9 closed by a no_action action (12-03): it counts once, as the
//	action with its reason, not again as a closure.
func TestActionFigures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w)
		buildNovember(w)
		w.clock.set(day(time.December, 1, 3, 0))
		novBefore := report(t, w, "2026-11", "")
		buildDecember(w)
		kinds := func(m map[string]int64) []stats.ActionCount {
			var out []stats.ActionCount
			for _, k := range []string{"request_info", "refer_registrar", "hold", "lock", "redirect", "transfer", "delete", "block", "no_action", "release"} {
				out = append(out, stats.ActionCount{Kind: k, Count: m[k]})
			}
			return out
		}

		nov := report(t, w, "2026-11", "")
		check(t, []figure{
			{"nov total", nov.Actions.Total, int64(9)},
			{"nov by type", nov.Actions.ByType, kinds(map[string]int64{"refer_registrar": 2, "hold": 1, "no_action": 5})},
			{"nov by actor", nov.Actions.ByActor, map[string]int64{"registry": 8, "registrar_after_referral": 1}},
			{"nov undone", nov.Actions.Undone, int64(0)},
			{"nov no_action reasons", nov.Actions.NoActionReasons, []stats.Reason{{Reason: "cleaned", Count: 2},
				{Reason: "false positive", Count: 1}, {Reason: "held at the registrar", Count: 1}, {Reason: "insufficient evidence", Count: 1}}},
			{"nov referrals", nov.Actions.Referrals, stats.Referrals{Sent: 2, AnsweredInTime: 1, UnansweredAtEnd: 1, Mitigated: 1}},
			// Bravo: closures C5 C8 C11 C13, referrals C8 C11, hold C13,
			// the mitigation of C8; Alpha: the closure of C10.
			// Not registered: C9 identified, C3 and C9 open; Alpha: C1 open
			// (reopened 11-09), C10's response and closure.
			{"nov registrars", nov.Registrars, []stats.RegistrarRow{
				{ID: "", Name: "(not registered)", Identified: 1, OpenAtEnd: 2, OverdueAtEnd: 2},
				{ID: "9001", Name: "Alpha Names", Responded: 1, Actions: 1, OpenAtEnd: 1},
				{ID: "9002", Name: "Bravo Domains", Responded: 2, Actions: 8, Referrals: 2, ReferralsAnsweredInTime: 1,
					ReferralsUnansweredAtEnd: 1, Mitigated: 1}}},
			// C13's first response is now the hold (11:00), 14d 1h after
			// it was opened, at high priority, late.
			{"nov C13 responded", detailOf(t, w, nov, "C13").RespondedAt, ptr(day(time.November, 8, 11, 0))},
			{"nov C13 counts", detailOf(t, w, nov, "C13").Counts, []string{"responded", "responded_late", "action"}},
			{"nov C13 responses", responses(detailOf(t, w, nov, "C13")), []string{"2026-11-08T11:00:00Z hold registry",
				"2026-11-08T12:00:00Z no_action registry"}},
			{"nov C8 counts", detailOf(t, w, nov, "C8").Counts, []string{"action", "referral", "reopened"}},
			{"nov C8 responses", responses(detailOf(t, w, nov, "C8")), []string{"2026-10-31T23:30:00Z no_action registry",
				"2026-11-05T09:30:00Z refer_registrar registry", "2026-11-05T12:00:00Z registrar_mitigated registrar_after_referral",
				"2026-11-06T09:00:00Z no_action registry"}},
			{"nov C11 counts", detailOf(t, w, nov, "C11").Counts, []string{"action", "referral"}},
			{"nov responses", nov.Responses.Count, int64(3)}, // C5, C10, C13 as before
			{"nov respond times", bucketCounts(nov), []int64{0, 0, 0, 0, 1, 0, 0, 2}},
		})

		dec := report(t, w, "2026-12", "")
		check(t, []figure{
			{"dec total", dec.Actions.Total, int64(3)},
			{"dec by type", dec.Actions.ByType, kinds(map[string]int64{"release": 1, "no_action": 2})},
			{"dec by actor", dec.Actions.ByActor, map[string]int64{"registry": 3, "registrar_after_referral": 0}},
			{"dec undone", dec.Actions.Undone, int64(1)},
			{"dec no_action reasons", dec.Actions.NoActionReasons, []stats.Reason{{Reason: "sinkholed by the CERT", Count: 1},
				{Reason: "site cleaned", Count: 1}}},
			{"dec responses", dec.Responses.Count, int64(1)}, // C9, late (due 11-06)
			{"dec C9 counts", detailOf(t, w, dec, "C9").Counts, []string{"responded", "responded_late", "action"}},
			{"dec C9 responses", responses(detailOf(t, w, dec, "C9")), []string{"2026-12-03T10:00:00Z no_action registry"}},
			{"dec reopened", dec.Reopened, int64(1)},
			{"dec referrals", dec.Actions.Referrals, stats.Referrals{UnansweredAtEnd: 1}},
			{"dec registrars", dec.Registrars, []stats.RegistrarRow{
				{ID: "9001", Name: "Alpha Names", OpenAtEnd: 1},
				{ID: "9002", Name: "Bravo Domains", Actions: 2, ReferralsUnansweredAtEnd: 1},
				{ID: "", Name: "(not registered)", Responded: 1, Actions: 1, OpenAtEnd: 1, OverdueAtEnd: 1}}},
			// Open at the end: C1 (reopened 11-09), C3.
			{"dec detail", detailCases(w, dec), []string{"C1", "C3", "C9", "C11", "C13"}},
			{"dec C13 counts", detailOf(t, w, dec, "C13").Counts, []string{"action", "undone", "reopened"}},
			{"dec C13 responses", responses(detailOf(t, w, dec, "C13")), []string{"2026-11-08T12:00:00Z no_action registry",
				"2026-12-02T10:00:00Z release registry", "2026-12-02T12:00:00Z no_action registry"}},
			{"dec C11 counts", detailOf(t, w, dec, "C11").Counts, []string{"referral"}},
			{"dec C11 responses", responses(detailOf(t, w, dec, "C11")), []string{"2026-11-06T10:00:00Z refer_registrar registry"}},
			{"dec C11 status", detailOf(t, w, dec, "C11").StatusAtEnd, "closed"},
		})

		// The quarter: October's, November's and December's together.
		q4 := report(t, w, "2026-Q4", "")
		check(t, []figure{
			{"q4 total", q4.Actions.Total, int64(18)},
			{"q4 by type", q4.Actions.ByType, kinds(map[string]int64{"refer_registrar": 2, "hold": 1, "no_action": 13, "release": 1})},
			{"q4 undone", q4.Actions.Undone, int64(1)},
			{"q4 referrals", q4.Actions.Referrals, stats.Referrals{Sent: 2, AnsweredInTime: 1, UnansweredAtEnd: 1, Mitigated: 1}},
		})

		// November's report does not move when December's release is
		// recorded (the hold is undone now, and still counts as a hold).
		nov.GeneratedAt = novBefore.GeneratedAt
		a, _ := stats.EncodeJSON(novBefore)
		b, _ := stats.EncodeJSON(nov)
		if !bytes.Equal(a, b) {
			t.Errorf("November's report changed after December's release:\n%s\n%s", a, b)
		}
	})
}

// responses lists a detail line's responses as "time action by".
func responses(d *stats.Detail) []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, r := range d.Responses {
		out = append(out, r.At.Format(time.RFC3339)+" "+r.Action+" "+r.By)
	}
	return out
}
