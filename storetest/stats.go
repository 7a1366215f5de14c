package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var statsTests = []test{
	{"History", testStatsHistory},
	{"PeriodSelection", testStatsPeriodSelection},
	{"FirstReportAndFinding", testStatsFirstReportAndFinding},
	{"StopsOnError", testStatsStopsOnError},
	{"Snapshot", testStatsSnapshot},
	{"SnapshotConflictLeavesTxUsable", testStatsSnapshotConflict},
	{"CountReportsAfter", testCountReportsAfter},
	{"CountOpenCasesAndClocks", testCountOpenCasesAndClocks},
}

// statsCases returns StatsCases(f) in its own read transaction, copying
// each record (a store may reuse it once fn returns).
func statsCases(t *testing.T, s tldguard.Store, f tldguard.StatsFilter) []*tldguard.StatsCase {
	t.Helper()
	var out []*tldguard.StatsCase
	read(t, s, func(tx tldguard.Tx) error {
		return tx.StatsCases(f, func(c *tldguard.StatsCase) error {
			cp := *c
			cp.History = slices.Clone(c.History)
			out = append(out, &cp)
			return nil
		})
	})
	return out
}

// updateCase writes c with UpdatedAt at the given minute.
func updateCase(t *testing.T, s tldguard.Store, c *tldguard.Case, minutes int) {
	t.Helper()
	c.UpdatedAt = at(minutes)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })
}

// stateOf is the CaseState c's fields make at the given minute.
func stateOf(c *tldguard.Case, minutes int) tldguard.CaseState {
	return tldguard.CaseState{At: at(minutes), Status: c.Status, Priority: c.Priority, AckedAt: c.AckedAt,
		ResponseDueAt: c.ResponseDueAt, RespondedAt: c.RespondedAt, Resolution: c.Resolution}
}

// testStatsHistory: the stores write a state for the opening and for every
// change of a tracked field (status, priority, acknowledgement, deadline,
// response, resolution), none for other changes, and StatsCases returns
// them oldest first, only those before the filter's end.
func testStatsHistory(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("history.example", tldguard.ThreatPhishing))
	want := []tldguard.CaseState{stateOf(c, 0)}

	c.ReportCount, c.Assignee, c.Classification = 2, "ana@nic.example", tldguard.ClassMalicious
	updateCase(t, s, c, 5) // nothing the statistics read: no state

	c.Status = tldguard.StatusInProgress
	updateCase(t, s, c, 10)
	want = append(want, stateOf(c, 10))

	c.Priority, c.ResponseDueAt = tldguard.PriorityHigh, at(24*60)
	updateCase(t, s, c, 20)
	want = append(want, stateOf(c, 20))

	c.Status, c.Resolution, c.RespondedAt, c.ClosedAt = tldguard.StatusClosed, "false positive", at(30), at(30)
	updateCase(t, s, c, 30)
	want = append(want, stateOf(c, 30))

	c.Status, c.Resolution, c.ClosedAt = tldguard.StatusOpen, "", time.Time{} // reopened
	updateCase(t, s, c, 40)
	want = append(want, stateOf(c, 40))

	c.AckedAt = at(41)
	updateCase(t, s, c, 41)
	want = append(want, stateOf(c, 41))

	all := tldguard.StatsFilter{From: at(-60), To: at(60)}
	got := statsCases(t, s, all)
	if len(got) != 1 {
		t.Fatalf("StatsCases returned %d records, want 1", len(got))
	}
	wantEqual(t, "the record", got[0], &tldguard.StatsCase{
		CaseID: c.ID, Domain: c.Domain, TLD: c.TLD, ThreatType: c.ThreatType, Registered: true,
		RegistrarID: c.RegistrarID, RegistrarName: c.RegistrarName, OpenedAt: c.OpenedAt, History: want,
	})

	// A change at the filter's end belongs to the next period.
	got = statsCases(t, s, tldguard.StatsFilter{From: at(-60), To: at(30)})
	if len(got) != 1 {
		t.Fatalf("StatsCases to minute 30 returned %d records, want 1", len(got))
	}
	wantEqual(t, "the history before minute 30", got[0].History, want[:3])
}

// testStatsPeriodSelection: a case counts in a period when it was opened
// before the period's end and is not closed for good before its start; the
// TLD filter selects one TLD; records come in case id order.
func testStatsPeriodSelection(t *testing.T, s tldguard.Store) {
	// Minute 0 is the period's start, 100 its end.
	const never = math.MinInt // not closed
	mk := func(domain string, opened int, closed int) *tldguard.Case {
		c := newCase(domain, tldguard.ThreatMalware)
		c.OpenedAt, c.AckedAt, c.UpdatedAt = at(opened), at(opened), at(opened)
		c = mustInsertCase(t, s, c)
		if closed != never {
			c.Status, c.Resolution, c.RespondedAt, c.ClosedAt = tldguard.StatusClosed, "cleaned", at(closed), at(closed)
			updateCase(t, s, c, closed)
		}
		return c
	}
	mk("closed-before.example", -50, -10)          // closed for good before the start: out
	during := mk("closed-during.example", -50, 50) // closed in the period: in
	atStart := mk("closed-at-start.test", -50, 0)  // closed at the start instant: in
	open := mk("open-long.example", -500, never)   // opened long before, still open: in
	mk("opened-after.example", 100, never)         // opened at the end instant: out
	reopened := mk("reopened.test", -50, -20)      // closed before the start, reopened in it: in
	reopened.Status, reopened.Resolution, reopened.ClosedAt = tldguard.StatusOpen, "", time.Time{}
	updateCase(t, s, reopened, 10)

	ids := func(rs []*tldguard.StatsCase) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.CaseID)
		}
		return out
	}
	got := ids(statsCases(t, s, tldguard.StatsFilter{From: at(0), To: at(100)}))
	wantEqual(t, "the period's cases", got, []int64{during.ID, atStart.ID, open.ID, reopened.ID})
	got = ids(statsCases(t, s, tldguard.StatsFilter{TLD: "test", From: at(0), To: at(100)}))
	wantEqual(t, "the period's cases in .test", got, []int64{atStart.ID, reopened.ID})
	got = ids(statsCases(t, s, tldguard.StatsFilter{TLD: "invalid", From: at(0), To: at(100)}))
	wantEqual(t, "the period's cases in .invalid", got, []int64(nil))
}

// testStatsFirstReportAndFinding: a record names its first report's source
// and category (the lowest report id, whatever came later) and its earliest
// finding first seen before the period's end.
func testStatsFirstReportAndFinding(t *testing.T, s tldguard.Store) {
	le := mustCreateReporter(t, s, newReporter("metro-police", tldguard.SourceLawEnforcement))
	pub := mustCreateReporter(t, s, newReporter("someone", tldguard.SourcePublic))
	reported := mustInsertCase(t, s, newCase("reported.example", tldguard.ThreatOutOfScope))
	found := mustInsertCase(t, s, newCase("found.example", tldguard.ThreatMalware))
	bare := mustInsertCase(t, s, newCase("bare.example", tldguard.ThreatBotnet))

	first := newReport(le.ID, "reported.example")
	first.Source, first.ThreatType, first.Category = tldguard.SourceLawEnforcement, tldguard.ThreatOutOfScope, "copyright"
	mustInsertReport(t, s, first, reported.ID)
	second := newReport(pub.ID, "reported.example", "found.example")
	second.Source, second.Category = tldguard.SourcePublic, "trademark"
	mustInsertReport(t, s, second, reported.ID, found.ID)

	early := newFinding("found.example", "urlhaus", tldguard.ThreatMalware)
	early.CaseID, early.FirstSeen = found.ID, at(-5)
	mustInsertFinding(t, s, early)
	late := newFinding("found.example", "openphish", tldguard.ThreatMalware)
	late.CaseID, late.FirstSeen = found.ID, at(-10)
	late.DelistedAt = at(20) // delisted findings still count: the zone check saw the name
	mustInsertFinding(t, s, late)
	future := newFinding("bare.example", "threatfox", tldguard.ThreatBotnet)
	future.CaseID, future.FirstSeen = bare.ID, at(200) // after the period's end: not seen yet
	mustInsertFinding(t, s, future)

	got := statsCases(t, s, tldguard.StatsFilter{From: at(-60), To: at(60)})
	if len(got) != 3 {
		t.Fatalf("StatsCases returned %d records, want 3", len(got))
	}
	for i, want := range []struct {
		id        int64
		source    tldguard.Source
		category  string
		feed      string
		findingAt time.Time
	}{
		{reported.ID, tldguard.SourceLawEnforcement, "copyright", "", time.Time{}},
		{found.ID, tldguard.SourcePublic, "trademark", "openphish", at(-10)},
		{bare.ID, "", "", "", time.Time{}},
	} {
		r := got[i]
		if r.CaseID != want.id || r.ReportSource != want.source || r.Category != want.category || r.FindingFeed != want.feed {
			t.Errorf("record %d: case %d, source %q, category %q, feed %q; want case %d, %q, %q, %q",
				i, r.CaseID, r.ReportSource, r.Category, r.FindingFeed, want.id, want.source, want.category, want.feed)
		}
		wantEqual(t, "FindingAt", r.FindingAt, want.findingAt)
	}
}

// testStatsStopsOnError: an error from fn ends the scan and comes back as
// it is.
func testStatsStopsOnError(t *testing.T, s tldguard.Store) {
	for _, d := range []string{"a.example", "b.example", "c.example"} {
		mustInsertCase(t, s, newCase(d, tldguard.ThreatSpam))
	}
	calls := 0
	err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		return tx.StatsCases(tldguard.StatsFilter{From: at(-60), To: at(60)}, func(*tldguard.StatsCase) error {
			calls++
			return errSentinel
		})
	})
	if !errors.Is(err, errSentinel) || calls != 1 {
		t.Errorf("StatsCases returned %v after %d calls, want the sentinel after 1", err, calls)
	}
}

// newSnapshot returns a snapshot whose event is appended in tx.
func newSnapshot(tx tldguard.Tx, period, tld string, report string) (*tldguard.StatsSnapshot, error) {
	sum := sha256.Sum256([]byte(report))
	e := &tldguard.Event{At: at(0), Actor: "system:scheduler", Action: "stats.snapshot", Subject: "stats:" + period,
		Data: []byte(`{"period":"` + period + `"}`)}
	if err := tx.AppendEvent(e); err != nil {
		return nil, err
	}
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return &tldguard.StatsSnapshot{
		Period: period, TLD: tld, From: from, To: from.AddDate(0, 1, 0), CreatedAt: at(1),
		KeepUntil: from.AddDate(10, 1, 0), Report: []byte(report), SHA256: sum[:], EventSeq: e.Seq,
	}, nil
}

// testStatsSnapshot: snapshots round-trip byte for byte, one per (period,
// TLD), listed by period then TLD without their reports.
func testStatsSnapshot(t *testing.T, s tldguard.Store) {
	var all, example, sept *tldguard.StatsSnapshot
	write(t, s, func(tx tldguard.Tx) error {
		var err error
		if all, err = newSnapshot(tx, "2026-10", "", `{"identified":{"total":3}}`+"\n"); err != nil {
			return err
		}
		if err := tx.InsertStatsSnapshot(all); err != nil {
			return err
		}
		if example, err = newSnapshot(tx, "2026-10", "example", "{\"caf\u00e9\":\"\\u0000\"}"); err != nil {
			return err
		}
		if err := tx.InsertStatsSnapshot(example); err != nil {
			return err
		}
		if sept, err = newSnapshot(tx, "2026-09", "", `{}`); err != nil {
			return err
		}
		sept.From, sept.To = sept.From.AddDate(0, -1, 0), sept.From
		return tx.InsertStatsSnapshot(sept)
	})
	if all.ID <= 0 || example.ID == all.ID {
		t.Fatalf("InsertStatsSnapshot set ids %d and %d", all.ID, example.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, want := range []*tldguard.StatsSnapshot{all, example, sept} {
			got, err := tx.StatsSnapshot(want.Period, want.TLD)
			if err != nil {
				return err
			}
			wantEqual(t, "StatsSnapshot "+want.Period+" "+want.TLD, got, want)
			if !bytes.Equal(got.Report, want.Report) {
				t.Errorf("the report changed: %q, want %q", got.Report, want.Report)
			}
		}
		_, err := tx.StatsSnapshot("2026-11", "")
		wantKind(t, "StatsSnapshot of a month without one", err, tldguard.ENOTFOUND)
		list, err := tx.ListStatsSnapshots()
		if err != nil {
			return err
		}
		var periods []string
		for _, l := range list {
			if l.Report != nil {
				t.Errorf("ListStatsSnapshots returned the report of %s", l.Period)
			}
			periods = append(periods, l.Period+"/"+l.TLD)
		}
		wantEqual(t, "ListStatsSnapshots", periods, []string{"2026-09/", "2026-10/", "2026-10/example"})
		return nil
	})
}

// testStatsSnapshotConflict: a second snapshot of a (period, TLD) is
// ECONFLICT and the transaction goes on.
func testStatsSnapshotConflict(t *testing.T, s tldguard.Store) {
	write(t, s, func(tx tldguard.Tx) error {
		first, err := newSnapshot(tx, "2026-10", "", `{"n":1}`)
		if err != nil {
			return err
		}
		return tx.InsertStatsSnapshot(first)
	})
	write(t, s, func(tx tldguard.Tx) error {
		again, err := newSnapshot(tx, "2026-10", "", `{"n":2}`)
		if err != nil {
			return err
		}
		wantKind(t, "a second snapshot of 2026-10", tx.InsertStatsSnapshot(again), tldguard.ECONFLICT)
		other, err := newSnapshot(tx, "2026-10", "test", `{"n":3}`)
		if err != nil {
			return err
		}
		return tx.InsertStatsSnapshot(other)
	})
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.StatsSnapshot("2026-10", "")
		if err == nil && string(got.Report) != `{"n":1}` {
			t.Errorf("the first snapshot was replaced: %s", got.Report)
		}
		return err
	})
}

// testCountReportsAfter: counts by source and threat above an id, with the
// highest id counted.
func testCountReportsAfter(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("cert", tldguard.SourceTrustedNotifier))
	var ids []int64
	for i, k := range []struct {
		src    tldguard.Source
		threat tldguard.ThreatType
	}{
		{tldguard.SourceTrustedNotifier, tldguard.ThreatPhishing},
		{tldguard.SourceTrustedNotifier, tldguard.ThreatPhishing},
		{tldguard.SourceLawEnforcement, tldguard.ThreatMalware},
		{tldguard.SourcePublic, tldguard.ThreatPhishing},
	} {
		r := newReport(rep.ID, "x.example")
		r.Source, r.ThreatType = k.src, k.threat
		r.ReceivedAt = at(i)
		ids = append(ids, mustInsertReport(t, s, r).ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, last, err := tx.CountReportsAfter(0)
		if err != nil {
			return err
		}
		wantEqual(t, "CountReportsAfter(0)", got, []tldguard.ReportCount{
			{Source: tldguard.SourceLawEnforcement, ThreatType: tldguard.ThreatMalware, Count: 1},
			{Source: tldguard.SourcePublic, ThreatType: tldguard.ThreatPhishing, Count: 1},
			{Source: tldguard.SourceTrustedNotifier, ThreatType: tldguard.ThreatPhishing, Count: 2},
		})
		if last != ids[3] {
			t.Errorf("CountReportsAfter(0) returned last id %d, want %d", last, ids[3])
		}
		got, last, err = tx.CountReportsAfter(ids[2])
		if err != nil {
			return err
		}
		wantEqual(t, "CountReportsAfter(third)", got, []tldguard.ReportCount{{Source: tldguard.SourcePublic, ThreatType: tldguard.ThreatPhishing, Count: 1}})
		if last != ids[3] {
			t.Errorf("CountReportsAfter(third) returned last id %d, want %d", last, ids[3])
		}
		got, last, err = tx.CountReportsAfter(ids[3])
		if err != nil {
			return err
		}
		if len(got) != 0 || last != ids[3] {
			t.Errorf("CountReportsAfter(last) = %v, %d; want nothing and %d", got, last, ids[3])
		}
		return nil
	})
}

// testCountOpenCasesAndClocks: the working queue by priority and status,
// and the clocks of the cases still owed a response.
func testCountOpenCasesAndClocks(t *testing.T, s tldguard.Store) {
	mk := func(domain string, p tldguard.Priority, st tldguard.CaseStatus, due int, responded bool) {
		c := newCase(domain, tldguard.ThreatPhishing)
		c.Priority, c.Status, c.ResponseDueAt = p, st, at(due)
		if responded {
			c.RespondedAt = at(1)
		}
		if st == tldguard.StatusClosed {
			c.ClosedAt, c.Resolution = at(1), "cleaned"
		}
		mustInsertCase(t, s, c)
	}
	// Now is minute 100; the warning window ends at minute 160.
	mk("missed.example", tldguard.PriorityHigh, tldguard.StatusOpen, 99, false)
	mk("missed2.example", tldguard.PriorityStandard, tldguard.StatusInProgress, 10, false)
	mk("near.example", tldguard.PriorityStandard, tldguard.StatusOpen, 100, false) // due now: near, not missed
	mk("near2.example", tldguard.PriorityStandard, tldguard.StatusOpen, 159, false)
	mk("later.example", tldguard.PriorityStandard, tldguard.StatusOpen, 160, false)  // past the window
	mk("answered.example", tldguard.PriorityHigh, tldguard.StatusOpen, 10, true)     // responded: no clock
	mk("closed.example", tldguard.PriorityStandard, tldguard.StatusClosed, 10, true) // closed: not counted
	nodue := newCase("nodue.example", tldguard.ThreatPhishing)
	nodue.ResponseDueAt = time.Time{}
	mustInsertCase(t, s, nodue)

	read(t, s, func(tx tldguard.Tx) error {
		open, err := tx.CountOpenCases()
		if err != nil {
			return err
		}
		wantEqual(t, "CountOpenCases", open, []tldguard.OpenCaseCount{
			{Priority: tldguard.PriorityHigh, Status: tldguard.StatusOpen, Count: 2},
			{Priority: tldguard.PriorityStandard, Status: tldguard.StatusInProgress, Count: 1},
			{Priority: tldguard.PriorityStandard, Status: tldguard.StatusOpen, Count: 4},
		})
		clocks, err := tx.CountClocks(at(100), at(160))
		if err != nil {
			return err
		}
		wantEqual(t, "CountClocks", clocks, tldguard.ClockCounts{Missed: 2, NearEnd: 2})
		return nil
	})
}

// BackfillSeed stores, with the Tx methods a store has before its
// statistics migration, three cases the migration must give a history and
// an origin: one open with a report, one closed with a report and a
// finding, one in progress found by the zone check only.
func BackfillSeed(t *testing.T, s tldguard.Store) {
	t.Helper()
	pub := mustCreateReporter(t, s, newReporter("someone", tldguard.SourcePublic))
	open := mustInsertCase(t, s, newCase("open.example", tldguard.ThreatPhishing))
	closed := mustInsertCase(t, s, newCase("closed.example", tldguard.ThreatMalware))
	working := mustInsertCase(t, s, newCase("working.example", tldguard.ThreatBotnet))
	r := newReport(pub.ID, "open.example", "closed.example")
	r.Source = tldguard.SourcePublic
	mustInsertReport(t, s, r, open.ID, closed.ID)
	f := newFinding("closed.example", "urlhaus", tldguard.ThreatMalware)
	f.CaseID, f.FirstSeen = closed.ID, at(-3)
	mustInsertFinding(t, s, f)
	g := newFinding("working.example", "threatfox", tldguard.ThreatBotnet)
	g.CaseID, g.FirstSeen = working.ID, at(1)
	mustInsertFinding(t, s, g)
	closed.Status, closed.Resolution, closed.RespondedAt, closed.ClosedAt = tldguard.StatusClosed, "cleaned", at(30), at(30)
	updateCase(t, s, closed, 31)
	working.Status = tldguard.StatusInProgress
	updateCase(t, s, working, 40)
}

// BackfillCheck checks the records a store's statistics migration derived
// from BackfillSeed's cases: their opening state and their state when it
// ran (at the closing time, else the last update), and their origins.
func BackfillCheck(t *testing.T, s tldguard.Store) {
	t.Helper()
	got := statsCases(t, s, tldguard.StatsFilter{From: at(-600), To: at(600)})
	if len(got) != 3 {
		t.Fatalf("StatsCases after the migration returned %d records, want 3", len(got))
	}
	opening := func(c *tldguard.StatsCase) tldguard.CaseState {
		return tldguard.CaseState{At: at(0), Status: tldguard.StatusOpen, Priority: tldguard.PriorityStandard,
			AckedAt: at(0), ResponseDueAt: at(72 * 60)}
	}
	closedNow := opening(got[1])
	closedNow.At, closedNow.Status, closedNow.RespondedAt, closedNow.Resolution = at(30), tldguard.StatusClosed, at(30), "cleaned"
	workingNow := opening(got[2])
	workingNow.At, workingNow.Status = at(40), tldguard.StatusInProgress
	for i, want := range []struct {
		domain  string
		source  tldguard.Source
		feed    string
		history []tldguard.CaseState
	}{
		{"open.example", tldguard.SourcePublic, "", []tldguard.CaseState{opening(got[0])}},
		{"closed.example", tldguard.SourcePublic, "urlhaus", []tldguard.CaseState{opening(got[1]), closedNow}},
		{"working.example", "", "threatfox", []tldguard.CaseState{opening(got[2]), workingNow}},
	} {
		r := got[i]
		if r.Domain != want.domain || r.ReportSource != want.source || r.FindingFeed != want.feed {
			t.Errorf("record %d: %s, source %q, feed %q; want %s, %q, %q", i, r.Domain, r.ReportSource, r.FindingFeed, want.domain, want.source, want.feed)
		}
		wantEqual(t, want.domain+" history", r.History, want.history)
	}
	// Changes after the migration are recorded by the triggers.
	c := newCase("later.example", tldguard.ThreatSpam)
	mustInsertCase(t, s, c)
	if got := statsCases(t, s, tldguard.StatsFilter{From: at(-600), To: at(600)}); len(got) != 4 || len(got[3].History) != 1 {
		t.Errorf("a case stored after the migration has no history: %d records", len(got))
	}
}
