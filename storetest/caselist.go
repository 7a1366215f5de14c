package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var listCasesTests = []test{
	{"Empty", testListCasesEmpty},
	{"FiltersSortsAndPages", testListCases},
	{"SeedCases", testSeedCases},
}

// testSeedCases checks the benchmark helper on the engine: SeedCases stores
// SeedCase(0..n-1), and the queue lists them in order.
func testSeedCases(t *testing.T, s tldguard.Store) {
	const n = 120
	if err := SeedCases(t.Context(), s, n); err != nil {
		t.Fatal(err)
	}
	var want []*tldguard.Case
	for i := range n {
		c := SeedCase(i)
		c.Version = 1
		want = append(want, c)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, sort := range []tldguard.CaseSort{tldguard.SortDue, tldguard.SortNewest} {
			got, err := tx.ListCases(tldguard.CaseFilter{Sort: sort, Limit: n + 1})
			if err != nil {
				return err
			}
			for _, c := range want {
				c.ID = 0
			}
			// Ids are the engine's: match by domain, then compare.
			byDomain := map[string]*tldguard.Case{}
			for _, c := range want {
				byDomain[c.Domain] = c
			}
			for _, c := range got {
				if w := byDomain[c.Domain]; w != nil {
					w.ID = c.ID
				}
			}
			wantEqual(t, fmt.Sprintf("seeded cases, sort %q", sort), got, sortCases(want, sort))
		}
		return nil
	})
}

func testListCasesEmpty(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		for _, sort := range []tldguard.CaseSort{tldguard.SortDue, tldguard.SortNewest} {
			got, err := tx.ListCases(tldguard.CaseFilter{Sort: sort, Limit: 50})
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("ListCases on an empty store returned %d cases", len(got))
			}
		}
		return nil
	})
}

// queue is a case queue with ties in both sort keys, every status, and
// reports from two reporters.
type queue struct {
	cases     []*tldguard.Case
	reporters map[int64][]int64 // case id -> ids of reporters with a report on it
	r1, r2    *tldguard.Reporter
}

func seedQueue(t *testing.T, s tldguard.Store) *queue {
	q := &queue{reporters: map[int64][]int64{}}
	q.r1 = mustCreateReporter(t, s, newReporter("r1", tldguard.SourceTrustedNotifier))
	q.r2 = mustCreateReporter(t, s, newReporter("r2", tldguard.SourcePublic))
	statuses := []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress, tldguard.StatusClosed, tldguard.StatusOpen}
	write(t, s, func(tx tldguard.Tx) error {
		q.cases = nil // Write may run fn again
		for i := range 48 {
			c := newCase(fmt.Sprintf("q%02d.%s", i, []string{"example", "test"}[i%2]), tldguard.ThreatTypes[i%3])
			c.Status = statuses[i%4]
			if i%6 == 0 {
				c.Priority = tldguard.PriorityHigh
			}
			c.RegistrarID = []string{"r1", "r2", ""}[(i/3)%3]
			c.OpenedAt = at((i * 7) % 16 * 10)       // 16 values, three cases each
			c.ResponseDueAt = at(1000 + (i*5)%12*60) // 12 values, four cases each
			if i%8 == 1 {
				c.RespondedAt = at(500)
			}
			// Zero sort keys sort last in every order.
			switch i {
			case 5, 17:
				c.ResponseDueAt = time.Time{}
			case 22:
				c.OpenedAt = time.Time{}
			case 30:
				c.ResponseDueAt, c.OpenedAt = time.Time{}, time.Time{}
			}
			if err := tx.InsertCase(c); err != nil {
				return err
			}
			q.cases = append(q.cases, c)
		}
		return nil
	})
	for i, c := range q.cases {
		if i%4 == 0 {
			// Two targets filed on the same case: it must still be listed once.
			mustInsertReport(t, s, newReport(q.r1.ID, c.Domain, "www."+c.Domain), c.ID, c.ID)
			q.reporters[c.ID] = append(q.reporters[c.ID], q.r1.ID)
		}
		if i%5 == 0 {
			mustInsertReport(t, s, newReport(q.r2.ID, "x.example", c.Domain), 0, c.ID)
			q.reporters[c.ID] = append(q.reporters[c.ID], q.r2.ID)
		}
	}
	return q
}

// sortCases orders cs as ListCases must: SortDue (the default) by
// (ResponseDueAt, ID) ascending, SortNewest by (OpenedAt, ID) descending,
// and in both the cases whose key is the zero time last (in ID order of the
// sort's direction).
func sortCases(cs []*tldguard.Case, sort tldguard.CaseSort) []*tldguard.Case {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b *tldguard.Case) int {
		ka, kb := tldguard.Truncate(a.ResponseDueAt), tldguard.Truncate(b.ResponseDueAt)
		if sort == tldguard.SortNewest {
			ka, kb = tldguard.Truncate(a.OpenedAt), tldguard.Truncate(b.OpenedAt)
		}
		switch {
		case ka.IsZero() && !kb.IsZero():
			return 1
		case !ka.IsZero() && kb.IsZero():
			return -1
		case sort == tldguard.SortNewest:
			return cmp.Or(kb.Compare(ka), cmp.Compare(b.ID, a.ID))
		}
		return cmp.Or(ka.Compare(kb), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func testListCases(t *testing.T, s tldguard.Store) {
	q := seedQueue(t, s)
	// Now falls exactly on four cases' deadline (at the stores' precision):
	// they are not overdue yet, as Case.Overdue says.
	now := at(1000 + 5*60)
	is := func(statuses ...tldguard.CaseStatus) func(*tldguard.Case) bool {
		return func(c *tldguard.Case) bool { return slices.Contains(statuses, c.Status) }
	}
	reportedBy := func(id int64) func(*tldguard.Case) bool {
		return func(c *tldguard.Case) bool { return slices.Contains(q.reporters[c.ID], id) }
	}
	overdue := func(c *tldguard.Case) bool { return c.Overdue(tldguard.Truncate(now)) }
	open, inProgress, closed := tldguard.StatusOpen, tldguard.StatusInProgress, tldguard.StatusClosed
	domain := q.cases[7].Domain
	filters := []struct {
		name string
		f    tldguard.CaseFilter
		keep func(*tldguard.Case) bool
	}{
		{"all", tldguard.CaseFilter{}, func(*tldguard.Case) bool { return true }},
		{"status open", tldguard.CaseFilter{Status: []tldguard.CaseStatus{open}}, is(open)},
		{"status open or in_progress", tldguard.CaseFilter{Status: []tldguard.CaseStatus{open, inProgress}}, is(open, inProgress)},
		{"status closed", tldguard.CaseFilter{Status: []tldguard.CaseStatus{closed}}, is(closed)},
		{"every status", tldguard.CaseFilter{Status: tldguard.CaseStatuses}, is(tldguard.CaseStatuses...)},
		{"priority high", tldguard.CaseFilter{Priority: tldguard.PriorityHigh}, func(c *tldguard.Case) bool { return c.Priority == tldguard.PriorityHigh }},
		{"tld", tldguard.CaseFilter{TLD: "test"}, func(c *tldguard.Case) bool { return c.TLD == "test" }},
		{"threat", tldguard.CaseFilter{ThreatType: tldguard.ThreatMalware}, func(c *tldguard.Case) bool { return c.ThreatType == tldguard.ThreatMalware }},
		{"registrar", tldguard.CaseFilter{RegistrarID: "r1"}, func(c *tldguard.Case) bool { return c.RegistrarID == "r1" }},
		{"domain", tldguard.CaseFilter{Domain: domain}, func(c *tldguard.Case) bool { return c.Domain == domain }},
		{"overdue", tldguard.CaseFilter{Overdue: true, Now: now}, overdue},
		{"reporter r1", tldguard.CaseFilter{ReporterID: q.r1.ID}, reportedBy(q.r1.ID)},
		{"reporter r2", tldguard.CaseFilter{ReporterID: q.r2.ID}, reportedBy(q.r2.ID)},
		{"overdue open example", tldguard.CaseFilter{Status: []tldguard.CaseStatus{open, inProgress}, TLD: "example", Overdue: true, Now: now},
			func(c *tldguard.Case) bool { return c.Status != closed && c.TLD == "example" && overdue(c) }},
		{"reporter r1 open phishing", tldguard.CaseFilter{ReporterID: q.r1.ID, Status: []tldguard.CaseStatus{open}, ThreatType: tldguard.ThreatPhishing},
			func(c *tldguard.Case) bool {
				return reportedBy(q.r1.ID)(c) && c.Status == open && c.ThreatType == tldguard.ThreatPhishing
			}},
		{"nothing", tldguard.CaseFilter{TLD: "nope"}, func(*tldguard.Case) bool { return false }},
	}
	sorts := []tldguard.CaseSort{"", tldguard.SortDue, tldguard.SortNewest}
	read(t, s, func(tx tldguard.Tx) error {
		for _, fc := range filters {
			var matching []*tldguard.Case
			for _, c := range q.cases {
				if fc.keep(c) {
					matching = append(matching, c)
				}
			}
			for _, sort := range sorts {
				name := fmt.Sprintf("%s, sort %q", fc.name, sort)
				want := sortCases(matching, sort)
				// A Limit of 0 means no limit.
				f := fc.f
				f.Sort, f.Limit = sort, 0
				got, err := tx.ListCases(f)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				wantEqual(t, name+": ids", caseIDs(got), caseIDs(want))
				wantEqual(t, name+": cases", got, want)

				// Pages of 5, walked with cursors as the API passes them.
				f.Limit = 5
				f.After = nil
				var walked []*tldguard.Case
				for page := 0; page <= len(want)/5+1; page++ {
					got, err := tx.ListCases(f)
					if err != nil {
						return fmt.Errorf("%s: page %d: %w", name, page, err)
					}
					if len(got) > f.Limit {
						t.Errorf("%s: page %d has %d cases, limit %d", name, page, len(got), f.Limit)
					}
					walked = append(walked, got...)
					if len(got) < f.Limit {
						break
					}
					cur, err := tldguard.ParseCaseCursor(tldguard.CursorFor(got[len(got)-1], sort).String())
					if err != nil {
						return err
					}
					f.After = cur
				}
				wantEqual(t, name+": ids walked in pages of 5", caseIDs(walked), caseIDs(want))
			}
		}
		return nil
	})
}
