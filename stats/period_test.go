package stats

import (
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestParsePeriod(t *testing.T) {
	d := func(y int, m time.Month, day, hh int) time.Time { return time.Date(y, m, day, hh, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		in       string
		kind     string
		label    string
		from, to time.Time
		field    string // the error's field, "" for success
	}{
		{"2026-10-05", KindDay, "2026-10-05", d(2026, 10, 5, 0), d(2026, 10, 6, 0), ""},
		{"2026-10", KindMonth, "2026-10", d(2026, 10, 1, 0), d(2026, 11, 1, 0), ""},
		{"2026-12", KindMonth, "2026-12", d(2026, 12, 1, 0), d(2027, 1, 1, 0), ""},
		{"2026-Q4", KindQuarter, "2026-Q4", d(2026, 10, 1, 0), d(2027, 1, 1, 0), ""},
		{"2026-q1", KindQuarter, "2026-Q1", d(2026, 1, 1, 0), d(2026, 4, 1, 0), ""},
		{"2026", KindYear, "2026", d(2026, 1, 1, 0), d(2027, 1, 1, 0), ""},
		{"2026-10-01..2026-10-15", KindCustom, "2026-10-01..2026-10-15", d(2026, 10, 1, 0), d(2026, 10, 16, 0), ""},
		{"2026-10-01T06:00:00Z..2026-10-01T18:00:00+02:00", KindCustom, "2026-10-01T06:00:00Z..2026-10-01T18:00:00+02:00", d(2026, 10, 1, 6), d(2026, 10, 1, 16), ""},
		{" 2026-10 ", KindMonth, "2026-10", d(2026, 10, 1, 0), d(2026, 11, 1, 0), ""},
		{"2026-13", "", "", time.Time{}, time.Time{}, "period"},
		{"2026-Q5", "", "", time.Time{}, time.Time{}, "period"},
		{"2026-02-30", "", "", time.Time{}, time.Time{}, "period"},
		{"october", "", "", time.Time{}, time.Time{}, "period"},
		{"", "", "", time.Time{}, time.Time{}, "period"},
		{"2026-10-15..2026-10-01", "", "", time.Time{}, time.Time{}, "to"},
		{"2026-10-01..soon", "", "", time.Time{}, time.Time{}, "to"},
		{"2000-01-01..2026-01-01", "", "", time.Time{}, time.Time{}, "to"},
	} {
		p, err := ParsePeriod(tc.in)
		if tc.field != "" {
			if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != tc.field {
				t.Errorf("ParsePeriod(%q) = %+v, %v; want EINVALID naming %q", tc.in, p, err, tc.field)
			}
			continue
		}
		if err != nil || p.Kind != tc.kind || p.Label != tc.label || !p.From.Equal(tc.from) || !p.To.Equal(tc.to) {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %s %s [%s, %s)", tc.in, p, err, tc.kind, tc.label, tc.from, tc.to)
		}
	}
}

func TestDistribution(t *testing.T) {
	hr := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Hour)
		}
		return out
	}
	for _, tc := range []struct {
		in          []time.Duration
		median, p90 float64 // hours
	}{
		{hr(5), 5, 5},
		{hr(2, 1), 1, 2},    // even count: the lower middle
		{hr(9, 1, 5), 5, 9}, // unsorted input
		{hr(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5, 9}, // rank ceil(0.9*10) = 9
		{hr(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6, 10},
	} {
		d := distribution(tc.in)
		if d.Count != int64(len(tc.in)) || *d.MedianSeconds != tc.median*3600 || *d.P90Seconds != tc.p90*3600 {
			t.Errorf("distribution(%v) = %d, %v, %v; want median %vh, p90 %vh", tc.in, d.Count, *d.MedianSeconds, *d.P90Seconds, tc.median, tc.p90)
		}
	}
	if d := distribution(nil); d.Count != 0 || d.MedianSeconds != nil || d.P90Seconds != nil {
		t.Errorf("distribution(nil) = %+v, want nulls", d)
	}
}

// TestEvaluateClock covers the response clock's edges state by state.
func TestEvaluateClock(t *testing.T) {
	at := func(h int) time.Time {
		return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
	}
	oct := Period{From: at(0), To: at(31 * 24)}
	open := func(h, due int) tldguard.CaseState {
		return tldguard.CaseState{At: at(h), Status: tldguard.StatusOpen, Priority: tldguard.PriorityStandard, ResponseDueAt: at(due)}
	}
	closed := func(h, due int) tldguard.CaseState {
		s := open(h, due)
		s.Status, s.RespondedAt, s.Resolution = tldguard.StatusClosed, at(h), "done"
		return s
	}
	for _, tc := range []struct {
		name    string
		history []tldguard.CaseState
		missed  time.Time
		late    bool
		overdue bool
	}{
		{"answered in time", []tldguard.CaseState{open(10, 82), closed(20, 82)}, time.Time{}, false, false},
		{"answered at the deadline instant", []tldguard.CaseState{open(10, 82), closed(82, 82)}, time.Time{}, false, false},
		{"answered late", []tldguard.CaseState{open(10, 82), closed(90, 82)}, at(82), true, false},
		{"never answered", []tldguard.CaseState{open(10, 82)}, at(82), false, true},
		{"deadline moved earlier, already past", []tldguard.CaseState{open(10, 500), open(100, 50)}, at(100), false, true},
		{"deadline moved later before it passed", []tldguard.CaseState{open(10, 30), open(20, 300), closed(200, 300)}, time.Time{}, false, false},
		{"deadline passed, then moved later", []tldguard.CaseState{open(10, 30), open(40, 300), closed(200, 300)}, at(30), false, false},
		{"reopened after an answer", []tldguard.CaseState{open(10, 82), closed(20, 82), open(100, 82)}, time.Time{}, false, false},
	} {
		var f facts
		f.evaluate(&tldguard.StatsCase{CaseID: 1, ThreatType: tldguard.ThreatPhishing, OpenedAt: at(10), History: tc.history}, oct)
		if !f.missedAt.Equal(tc.missed) || f.late != tc.late || f.overdueAtEnd != tc.overdue {
			t.Errorf("%s: missed at %v, late %v, overdue %v; want %v, %v, %v", tc.name, f.missedAt, f.late, f.overdueAtEnd, tc.missed, tc.late, tc.overdue)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0 s", 59: "59 s", 60: "1 min", 3600: "1 h", 5400: "1 h 30 min",
		97200: "27 h", 172800: "2 d", 352800: "4 d 2 h"} {
		if got := humanDuration(in); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", in, got, want)
		}
	}
}
