package stats

import (
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// Period is the span a report covers: the instants from From up to, not
// including, To, in UTC. A change at exactly To belongs to the next period.
type Period struct {
	Label string    `json:"label"` // as parsed: "2026-10-05", "2026-10", "2026-Q4", "2026", "2026-10-01..2026-10-15"
	Kind  string    `json:"kind"`  // day, month, quarter, year or custom
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Period kinds.
const (
	KindDay     = "day"
	KindMonth   = "month"
	KindQuarter = "quarter"
	KindYear    = "year"
	KindCustom  = "custom"
)

// maxSpan bounds a custom period: a report reads every case of its span.
const maxSpan = 10 * 366 * 24 * time.Hour

// ParsePeriod reads a period: a day "2026-10-05", a month "2026-10", a
// quarter "2026-Q4", a year "2026", or a custom span "FROM..TO" whose ends
// are dates (TO's whole day included) or RFC 3339 instants (TO excluded).
// Errors are EINVALID naming the field "period".
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, ".."); ok {
		return ParseRange(from, to)
	}
	bad := func() (Period, error) {
		return Period{}, tldguard.FieldErrorf(tldguard.EINVALID, "period",
			"%q is not a period (a day 2026-10-05, a month 2026-10, a quarter 2026-Q4, a year 2026, or FROM..TO)", s)
	}
	switch {
	case len(s) == 10:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return bad()
		}
		return Period{Label: s, Kind: KindDay, From: d, To: d.AddDate(0, 0, 1)}, nil
	case len(s) == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q'):
		y, err1 := strconv.Atoi(s[:4])
		q, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil || q < 1 || q > 4 || y < 1970 {
			return bad()
		}
		from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
		return Period{Label: s[:4] + "-Q" + s[6:], Kind: KindQuarter, From: from, To: from.AddDate(0, 3, 0)}, nil
	case len(s) == 7:
		m, err := time.Parse("2006-01", s)
		if err != nil {
			return bad()
		}
		return Month(m), nil
	case len(s) == 4:
		y, err := strconv.Atoi(s)
		if err != nil || y < 1970 {
			return bad()
		}
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return Period{Label: s, Kind: KindYear, From: from, To: from.AddDate(1, 0, 0)}, nil
	}
	return bad()
}

// ParseRange reads a custom period from its two ends (the "from" and "to"
// query parameters): dates, the to date's whole day included, or RFC 3339
// instants, to excluded. Errors are EINVALID naming "from" or "to".
func ParseRange(from, to string) (Period, error) {
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	f, err := parseEnd(from, "from", false)
	if err != nil {
		return Period{}, err
	}
	t, err := parseEnd(to, "to", true)
	if err != nil {
		return Period{}, err
	}
	switch {
	case !f.Before(t):
		return Period{}, tldguard.FieldErrorf(tldguard.EINVALID, "to", "the period ends (%s) before it starts (%s)", t.Format(time.RFC3339), f.Format(time.RFC3339))
	case t.Sub(f) > maxSpan:
		return Period{}, tldguard.FieldErrorf(tldguard.EINVALID, "to", "a period may span at most ten years")
	}
	return Period{Label: from + ".." + to, Kind: KindCustom, From: f, To: t}, nil
}

// parseEnd reads one end of a custom period; a date as the end means the
// end of that day.
func parseEnd(s, field string, end bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, tldguard.FieldErrorf(tldguard.EINVALID, field, "%q is not a date (2026-10-05) or an RFC 3339 time (2026-10-05T12:00:00Z)", s)
	}
	return tldguard.Truncate(t), nil
}

// Month returns the calendar month (UTC) holding t.
func Month(t time.Time) Period {
	t = t.UTC()
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: from.Format("2006-01"), Kind: KindMonth, From: from, To: from.AddDate(0, 1, 0)}
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(p.From) && t.Before(p.To)
}
