package stats

import (
	"time"

	"github.com/tldguard/tldguard"
)

// facts is what one case's record says about one period: the case's
// timeline, evaluated once, from which every figure is counted.
type facts struct {
	rec     *tldguard.StatsCase
	inScope bool
	source  string
	first   time.Time // first seen

	identified bool // opened in the period
	end        tldguard.CaseState
	openAtEnd  bool

	acked    bool // acknowledged before the period's end
	ackDelay time.Duration

	// The first response, if given before the period's end.
	hasResponse   bool
	respondedAt   time.Time
	responseDue   time.Time
	responsePrio  tldguard.Priority
	late          bool
	respondedHere bool // the first response falls in the period

	missedAt     time.Time // when the response clock ran out; zero if it has not
	overdueAtEnd bool

	closures []closure // every closure before the period's end
	reopens  []time.Time
}

type closure struct {
	at     time.Time
	reason string
}

// sourceOf names the source that identified the threat: the zone check
// (feed) when one of its findings saw the name no later than the case was
// opened, else the tier of the first report, else "unknown".
func sourceOf(r *tldguard.StatsCase) string {
	if r.FindingFeed != "" && (r.ReportSource == "" || !r.FindingAt.After(r.OpenedAt)) {
		return string(tldguard.SourceFeed)
	}
	if r.ReportSource != "" {
		return string(r.ReportSource)
	}
	return sourceUnknown
}

const sourceUnknown = "unknown"

// evaluate fills f from r, walking the record's states (all written before
// p.To) once. It reuses f's slices: the builder evaluates every case into
// one facts.
func (f *facts) evaluate(r *tldguard.StatsCase, p Period) {
	*f = facts{
		rec:        r,
		inScope:    r.ThreatType != tldguard.ThreatOutOfScope,
		source:     sourceOf(r),
		first:      r.OpenedAt,
		identified: p.Contains(r.OpenedAt),
		closures:   f.closures[:0],
		reopens:    f.reopens[:0],
	}
	if !r.FindingAt.IsZero() && r.FindingAt.Before(f.first) {
		f.first = r.FindingAt
	}
	h := r.History
	if len(h) == 0 { // the stores never yield one; keep the opening state
		h = []tldguard.CaseState{{At: r.OpenedAt, Status: tldguard.StatusOpen}}
	}
	f.end = h[len(h)-1]
	f.openAtEnd = f.end.Status != tldguard.StatusClosed

	if a := f.end.AckedAt; !a.IsZero() && a.Before(p.To) {
		f.acked, f.ackDelay = true, a.Sub(r.OpenedAt)
	}

	for i, s := range h {
		closed := s.Status == tldguard.StatusClosed
		wasClosed := i > 0 && h[i-1].Status == tldguard.StatusClosed
		switch {
		case closed && !wasClosed:
			f.closures = append(f.closures, closure{at: s.At, reason: s.Resolution})
		case !closed && wasClosed:
			f.reopens = append(f.reopens, s.At)
		}
		if !f.hasResponse && !s.RespondedAt.IsZero() && s.RespondedAt.Before(p.To) {
			f.hasResponse = true
			f.respondedAt, f.responseDue, f.responsePrio = s.RespondedAt, s.ResponseDueAt, s.Priority
			f.late = !s.ResponseDueAt.IsZero() && s.RespondedAt.After(s.ResponseDueAt)
			f.respondedHere = p.Contains(s.RespondedAt)
		}
		// The clock runs out at the first instant the case, still without
		// a response, is past its deadline as it then stands: the deadline
		// itself, or the start of this state if the deadline was already
		// behind it. The state lasts until the next one.
		if f.missedAt.IsZero() && !f.hasResponse && !s.ResponseDueAt.IsZero() {
			m := s.ResponseDueAt
			if m.Before(s.At) {
				m = s.At
			}
			if i == len(h)-1 || m.Before(h[i+1].At) {
				f.missedAt = m
			}
		}
	}
	f.overdueAtEnd = f.openAtEnd && !f.hasResponse && !f.end.ResponseDueAt.IsZero() && f.end.ResponseDueAt.Before(p.To)
}

// missedHere reports whether the response clock ran out in the period.
func (f *facts) missedHere(p Period) bool { return p.Contains(f.missedAt) }

// counts reports whether the case counts in any figure of the period.
func (f *facts) countsIn(p Period) bool {
	if f.identified || f.respondedHere || f.openAtEnd || f.missedHere(p) {
		return true
	}
	for _, c := range f.closures {
		if p.Contains(c.at) {
			return true
		}
	}
	for _, at := range f.reopens {
		if p.Contains(at) {
			return true
		}
	}
	return false
}
