package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var findingTests = []test{
	{"InsertAndGet", testFindingInsertAndGet},
	{"OneActivePerKey", testFindingOneActive},
	{"DelistAndListAgain", testFindingDelistAndListAgain},
	{"Update", testFindingUpdate},
	{"DelistFindings", testDelistFindings},
	{"List", testListFindings},
	{"MissingReferences", testFindingMissingReferences},
	{"ActiveOnAndSee", testFindingsActiveOnAndSee},
}

// testFindingsActiveOnAndSee: ActiveFindingsOn returns exactly the active
// findings on the names asked, of any feed and threat; SeeFindings moves
// last seen and last run on the ids given and nothing else.
func testFindingsActiveOnAndSee(t *testing.T, s tldguard.Store) {
	run := mustInsertScanRun(t, s, newScanRun(0))
	a1 := mustInsertFinding(t, s, newFinding("a.example", "urlhaus", tldguard.ThreatMalware))
	a2 := mustInsertFinding(t, s, newFinding("a.example", "openphish", tldguard.ThreatPhishing))
	b := mustInsertFinding(t, s, newFinding("b.example", "urlhaus", tldguard.ThreatMalware))
	gone := newFinding("c.example", "urlhaus", tldguard.ThreatMalware)
	gone.DelistedAt = at(5)
	mustInsertFinding(t, s, gone)
	other := mustInsertFinding(t, s, newFinding("d.example", "urlhaus", tldguard.ThreatMalware))
	byID := func(fs []*tldguard.Finding) []*tldguard.Finding {
		return slices.SortedFunc(slices.Values(fs), func(x, y *tldguard.Finding) int { return cmp.Compare(x.ID, y.ID) })
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ActiveFindingsOn([]string{"a.example", "c.example", "b.example", "nothing.example", "a.example"})
		if err != nil {
			return err
		}
		wantEqual(t, "ActiveFindingsOn", byID(got), []*tldguard.Finding{a1, a2, b})
		none, err := tx.ActiveFindingsOn(nil)
		if err != nil || len(none) != 0 {
			t.Errorf("ActiveFindingsOn(nil) = %v, %v", none, err)
		}
		return nil
	})
	var n int64
	write(t, s, func(tx tldguard.Tx) error {
		var err error
		n, err = tx.SeeFindings([]int64{a2.ID, b.ID, 1 << 40}, run.ID, at(30))
		return err
	})
	if n != 2 {
		t.Errorf("SeeFindings changed %d findings, want 2", n)
	}
	a2.LastSeen, a2.LastRunID = at(30), run.ID
	b.LastSeen, b.LastRunID = at(30), run.ID
	wantEqual(t, "after SeeFindings", byID(listFindings(t, s, tldguard.FindingFilter{Active: true})), []*tldguard.Finding{a1, a2, b, other})
	write(t, s, func(tx tldguard.Tx) error {
		n, err := tx.SeeFindings(nil, run.ID, at(40))
		if err != nil || n != 0 {
			t.Errorf("SeeFindings(nil) = %d, %v", n, err)
		}
		return nil
	})
}

// newFinding returns an active finding with every field set but CaseID,
// LastRunID and DelistedAt.
func newFinding(domain, feed string, threat tldguard.ThreatType) *tldguard.Finding {
	return &tldguard.Finding{
		Domain:     domain,
		TLD:        tldOf(domain),
		Feed:       feed,
		ThreatType: threat,
		URLs: []string{
			"http://" + domain + "/login.php",
			"https://" + domain + "/caf\u00e9/?a=1&b=%22x%22#frag",
		},
		FirstSeen: at(0),
		LastSeen:  at(10),
	}
}

// mustInsertFinding stores f in its own transaction.
func mustInsertFinding(t *testing.T, s tldguard.Store, f *tldguard.Finding) *tldguard.Finding {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return tx.InsertFinding(f) })
	return f
}

// listFindings returns ListFindings(f) in its own read transaction.
func listFindings(t *testing.T, s tldguard.Store, f tldguard.FindingFilter) []*tldguard.Finding {
	t.Helper()
	var out []*tldguard.Finding
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		out, err = tx.ListFindings(f)
		return err
	})
	return out
}

// activeFinding returns the active finding for the key, or nil when there
// is none (ENOTFOUND).
func activeFinding(t *testing.T, s tldguard.Store, domain, feed string, threat tldguard.ThreatType) *tldguard.Finding {
	t.Helper()
	var got *tldguard.Finding
	read(t, s, func(tx tldguard.Tx) error {
		f, err := tx.ActiveFinding(domain, feed, threat)
		switch tldguard.ErrorKind(err) {
		case "":
			got = f
		case tldguard.ENOTFOUND:
		default:
			return err
		}
		return nil
	})
	return got
}

func findingIDs(fs []*tldguard.Finding) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// testFindingInsertAndGet: every field round-trips, including a nil URL
// list, a missing case or run (0) and zero times.
func testFindingInsertAndGet(t *testing.T, s tldguard.Store) {
	run := mustInsertScanRun(t, s, newScanRun(0))
	c := mustInsertCase(t, s, newCase("login-bank.example", tldguard.ThreatPhishing))
	full := newFinding("login-bank.example", "urlhaus", tldguard.ThreatPhishing)
	full.Compromised = true
	full.CaseID = c.ID
	full.LastRunID = run.ID
	bare := &tldguard.Finding{Domain: "c2.test", TLD: "test", Feed: "dnsbl", ThreatType: tldguard.ThreatBotnet}
	gone := newFinding("old.example", "urlhaus", tldguard.ThreatMalware)
	gone.LastRunID = run.ID
	gone.DelistedAt = at(20) // stored delisted from the start
	write(t, s, func(tx tldguard.Tx) error {
		for _, f := range []*tldguard.Finding{full, bare, gone} {
			if err := tx.InsertFinding(f); err != nil {
				return err
			}
		}
		return nil
	})
	if full.ID <= 0 || full.ID == bare.ID || bare.ID == gone.ID {
		t.Fatalf("InsertFinding set ids %d, %d, %d", full.ID, bare.ID, gone.ID)
	}
	wantEqual(t, "ListFindings", listFindings(t, s, tldguard.FindingFilter{}),
		[]*tldguard.Finding{gone, bare, full})
	read(t, s, func(tx tldguard.Tx) error {
		for _, want := range []*tldguard.Finding{full, bare} {
			got, err := tx.ActiveFinding(want.Domain, want.Feed, want.ThreatType)
			if err != nil {
				return err
			}
			wantEqual(t, "ActiveFinding", got, want)
		}
		_, err := tx.ActiveFinding(gone.Domain, gone.Feed, gone.ThreatType)
		wantKind(t, "ActiveFinding of a delisted finding", err, tldguard.ENOTFOUND)
		_, err = tx.ActiveFinding(full.Domain, full.Feed, tldguard.ThreatMalware)
		wantKind(t, "ActiveFinding of another threat", err, tldguard.ENOTFOUND)
		_, err = tx.ActiveFinding(full.Domain, "phishtank", full.ThreatType)
		wantKind(t, "ActiveFinding of another feed", err, tldguard.ENOTFOUND)
		return nil
	})
}

// testFindingOneActive: at most one active finding per (domain, feed,
// threat); the ECONFLICT leaves the transaction usable. Delisted findings
// of the same key are history and do not count.
func testFindingOneActive(t *testing.T, s tldguard.Store) {
	first := mustInsertFinding(t, s, newFinding("a.example", "urlhaus", tldguard.ThreatMalware))
	other := newFinding("b.example", "urlhaus", tldguard.ThreatMalware)
	write(t, s, func(tx tldguard.Tx) error {
		wantKind(t, "a second active finding for the same key",
			tx.InsertFinding(newFinding("a.example", "urlhaus", tldguard.ThreatMalware)), tldguard.ECONFLICT)
		return tx.InsertFinding(other)
	})
	if got := activeFinding(t, s, other.Domain, other.Feed, other.ThreatType); got == nil {
		t.Error("the insert after an ECONFLICT in the same transaction was not committed")
	}
	for _, f := range []*tldguard.Finding{
		newFinding("a.example", "threatfox", tldguard.ThreatMalware), // another feed
		newFinding("a.example", "urlhaus", tldguard.ThreatPhishing),  // another threat
	} {
		if err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.InsertFinding(f) }); err != nil {
			t.Errorf("InsertFinding for (%s, %s, %s) beside an active finding: %v", f.Domain, f.Feed, f.ThreatType, err)
		}
	}
	old := newFinding("a.example", "urlhaus", tldguard.ThreatMalware)
	old.DelistedAt = at(-60)
	if err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.InsertFinding(old) }); err != nil {
		t.Errorf("InsertFinding of a delisted finding beside the active one: %v", err)
	}
	wantEqual(t, "ActiveFinding", activeFinding(t, s, "a.example", "urlhaus", tldguard.ThreatMalware), first)
}

// testFindingDelistAndListAgain: a finding the feed stopped listing is no
// longer active; when the feed lists the name again a new finding is
// stored, and the old one cannot be made active beside it.
func testFindingDelistAndListAgain(t *testing.T, s tldguard.Store) {
	f := mustInsertFinding(t, s, newFinding("a.example", "urlhaus", tldguard.ThreatMalware))
	f.DelistedAt = at(30)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateFinding(f) })
	if got := activeFinding(t, s, f.Domain, f.Feed, f.ThreatType); got != nil {
		t.Errorf("ActiveFinding after delisting returned finding %d, want ENOTFOUND", got.ID)
	}

	again := newFinding("a.example", "urlhaus", tldguard.ThreatMalware)
	again.FirstSeen, again.LastSeen = at(90), at(90)
	mustInsertFinding(t, s, again)
	if again.ID == f.ID {
		t.Fatalf("the new finding got the old one's id %d", f.ID)
	}
	wantEqual(t, "ActiveFinding after listing again", activeFinding(t, s, f.Domain, f.Feed, f.ThreatType), again)

	// Clearing the old finding's DelistedAt would make two active findings.
	u := newUser(1)
	write(t, s, func(tx tldguard.Tx) error {
		back := *f
		back.DelistedAt = time.Time{}
		wantKind(t, "UpdateFinding making a second active finding", tx.UpdateFinding(&back), tldguard.ECONFLICT)
		return tx.CreateUser(u)
	})
	if !userExists(t, s, u.Email) {
		t.Error("the write after UpdateFinding's ECONFLICT in the same transaction was not committed")
	}
	wantEqual(t, "ActiveFinding after the refused update", activeFinding(t, s, f.Domain, f.Feed, f.ThreatType), again)
	wantEqual(t, "ListFindings after the refused update", listFindings(t, s, tldguard.FindingFilter{}),
		[]*tldguard.Finding{again, f})
}

// testFindingUpdate: UpdateFinding writes URLs, Compromised, CaseID,
// LastSeen, LastRunID and DelistedAt, and nothing else (the key and the
// first sighting stay as stored).
func testFindingUpdate(t *testing.T, s tldguard.Store) {
	r1 := mustInsertScanRun(t, s, newScanRun(0))
	r2 := mustInsertScanRun(t, s, newScanRun(60))
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatMalware))
	f := newFinding("a.example", "urlhaus", tldguard.ThreatMalware)
	f.LastRunID = r1.ID
	mustInsertFinding(t, s, f)

	upd := *f
	upd.URLs = []string{"http://a.example/payload.exe"}
	upd.Compromised = true
	upd.CaseID = c.ID
	upd.LastSeen = at(60)
	upd.LastRunID = r2.ID
	upd.DelistedAt = at(61)
	upd.Domain, upd.TLD, upd.Feed, upd.ThreatType, upd.FirstSeen = "b.test", "test", "threatfox", tldguard.ThreatPhishing, at(-5)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateFinding(&upd) })
	want := upd
	want.Domain, want.TLD, want.Feed, want.ThreatType, want.FirstSeen = f.Domain, f.TLD, f.Feed, f.ThreatType, f.FirstSeen
	wantEqual(t, "finding after UpdateFinding", listFindings(t, s, tldguard.FindingFilter{}), []*tldguard.Finding{&want})

	// Back to none: no URLs, no case, no run, not delisted, zero times.
	want.URLs, want.Compromised, want.CaseID, want.LastRunID = nil, false, 0, 0
	want.LastSeen, want.DelistedAt = time.Time{}, time.Time{}
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateFinding(&want) })
	wantEqual(t, "finding after clearing", listFindings(t, s, tldguard.FindingFilter{}), []*tldguard.Finding{&want})
	wantEqual(t, "ActiveFinding after clearing DelistedAt", activeFinding(t, s, f.Domain, f.Feed, f.ThreatType), &want)

	missing := *f
	missing.ID = f.ID + 100
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateFinding(&missing) })
	wantKind(t, "UpdateFinding of a missing finding", err, tldguard.ENOTFOUND)
}

// testDelistFindings: DelistFindings marks the feed's active findings whose
// last run is not the given one (a finding never seen in a run included),
// leaves other feeds and findings delisted before alone, and counts.
func testDelistFindings(t *testing.T, s tldguard.Store) {
	r1 := mustInsertScanRun(t, s, newScanRun(0))
	r2 := mustInsertScanRun(t, s, newScanRun(60))
	mk := func(domain, feed string, threat tldguard.ThreatType, runID int64) *tldguard.Finding {
		f := newFinding(domain, feed, threat)
		f.LastRunID = runID
		return f
	}
	notSeen := mk("a.example", "urlhaus", tldguard.ThreatMalware, r1.ID)
	notSeenOtherThreat := mk("a.example", "urlhaus", tldguard.ThreatPhishing, r1.ID)
	noRun := mk("b.example", "urlhaus", tldguard.ThreatMalware, 0)
	seen := mk("c.example", "urlhaus", tldguard.ThreatMalware, r2.ID)
	otherFeed := mk("a.example", "spamhaus", tldguard.ThreatMalware, r1.ID)
	before := mk("d.example", "urlhaus", tldguard.ThreatMalware, r1.ID)
	before.DelistedAt = at(5)
	all := []*tldguard.Finding{notSeen, notSeenOtherThreat, noRun, seen, otherFeed, before}
	write(t, s, func(tx tldguard.Tx) error {
		for _, f := range all {
			if err := tx.InsertFinding(f); err != nil {
				return err
			}
		}
		return nil
	})
	delist := func(feed string, runID int64) int64 {
		t.Helper()
		var n int64
		write(t, s, func(tx tldguard.Tx) error {
			var err error
			n, err = tx.DelistFindings(feed, runID, at(70))
			return err
		})
		return n
	}
	if n := delist("urlhaus", r2.ID); n != 3 {
		t.Errorf("DelistFindings marked %d, want 3", n)
	}
	for _, f := range []*tldguard.Finding{notSeen, notSeenOtherThreat, noRun} {
		f.DelistedAt = at(70)
	}
	want := slices.Clone(all)
	slices.Reverse(want)
	wantEqual(t, "findings after DelistFindings", listFindings(t, s, tldguard.FindingFilter{}), want)
	if n := delist("urlhaus", r2.ID); n != 0 {
		t.Errorf("DelistFindings again marked %d, want 0", n)
	}
	if n := delist("phishtank", r2.ID); n != 0 {
		t.Errorf("DelistFindings of a feed without findings marked %d, want 0", n)
	}
	// The literal reading: a time of zero ("still listed") cannot mark
	// anything delisted; this suite takes it as a caller's bug (EINTERNAL).
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		_, err := tx.DelistFindings("spamhaus", r2.ID, time.Time{})
		return err
	})
	wantKind(t, "DelistFindings at the zero time", err, tldguard.EINTERNAL)
	wantEqual(t, "findings after DelistFindings at the zero time", listFindings(t, s, tldguard.FindingFilter{}), want)
}

// matchFinding is ListFindings' filter in Go, the reference for its test.
func matchFinding(x *tldguard.Finding, f tldguard.FindingFilter) bool {
	return (f.Domain == "" || x.Domain == f.Domain) &&
		(f.Feed == "" || x.Feed == f.Feed) &&
		(f.CaseID == 0 || x.CaseID == f.CaseID) &&
		(f.RunID == 0 || x.LastRunID == f.RunID) &&
		(!f.Active || x.DelistedAt.IsZero()) &&
		(f.BeforeID == 0 || x.ID < f.BeforeID)
}

// testListFindings checks every filter, alone and combined, against
// matchFinding, and pages through each with BeforeID.
func testListFindings(t *testing.T, s tldguard.Store) {
	if got := listFindings(t, s, tldguard.FindingFilter{}); len(got) != 0 {
		t.Errorf("ListFindings on an empty store returned %d", len(got))
	}
	r1 := mustInsertScanRun(t, s, newScanRun(0))
	r2 := mustInsertScanRun(t, s, newScanRun(60))
	c1 := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	c2 := mustInsertCase(t, s, newCase("b.example", tldguard.ThreatPhishing))
	domains := []string{"a.example", "b.example", "c.test"}
	feeds := []string{"urlhaus", "spamhaus"}
	var all []*tldguard.Finding
	for i := range 12 {
		f := newFinding(domains[i%3], feeds[i/3%2], tldguard.ThreatTypes[i/6])
		f.CaseID = []int64{c1.ID, c2.ID, 0, 0}[i%4]
		f.LastRunID = []int64{r1.ID, r2.ID, 0}[i/2%3]
		if i%5 == 2 {
			f.DelistedAt = at(i)
		}
		f.Compromised = i%2 == 1
		all = append(all, f)
	}
	write(t, s, func(tx tldguard.Tx) error {
		for _, f := range all {
			if err := tx.InsertFinding(f); err != nil {
				return err
			}
		}
		return nil
	})
	newest := slices.Clone(all)
	slices.SortFunc(newest, func(a, b *tldguard.Finding) int { return cmp.Compare(b.ID, a.ID) })
	mid := newest[5].ID
	for _, f := range []tldguard.FindingFilter{
		{},
		{Domain: "a.example"},
		{Feed: "spamhaus"},
		{CaseID: c1.ID},
		{RunID: r2.ID},
		{Active: true},
		{Domain: "b.example", Active: true},
		{Feed: "urlhaus", RunID: r1.ID},
		{Feed: "urlhaus", RunID: r1.ID, Active: true},
		{CaseID: c2.ID, Feed: "urlhaus"},
		{Domain: "c.test", Feed: "spamhaus", CaseID: c1.ID, RunID: r1.ID, Active: true},
		{Domain: "none.example"},
		{RunID: missingID},
		{BeforeID: mid},
		{BeforeID: mid, Active: true},
		{Limit: 3},
		{Limit: 2, Feed: "urlhaus", BeforeID: mid},
	} {
		var want []*tldguard.Finding
		for _, x := range newest {
			if matchFinding(x, f) && (f.Limit <= 0 || len(want) < f.Limit) {
				want = append(want, x)
			}
		}
		got := listFindings(t, s, f)
		wantEqual(t, fmt.Sprintf("ListFindings(%+v)", f), got, want)

		if f.Limit != 0 {
			continue
		}
		// Page by two through the same filter.
		var paged []*tldguard.Finding
		page := f
		page.Limit = 2
		for range len(all) + 1 {
			p := listFindings(t, s, page)
			paged = append(paged, p...)
			if len(p) < page.Limit {
				break
			}
			page.BeforeID = p[len(p)-1].ID
		}
		wantEqual(t, fmt.Sprintf("ListFindings(%+v) ids paged by 2", f), findingIDs(paged), findingIDs(want))
	}
}

// testFindingMissingReferences: a finding whose case or run is missing is
// ENOTFOUND, and nothing of the failed Write is stored.
func testFindingMissingReferences(t *testing.T, s tldguard.Store) {
	run := mustInsertScanRun(t, s, newScanRun(0))
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatMalware))
	f := newFinding("a.example", "urlhaus", tldguard.ThreatMalware)
	f.CaseID, f.LastRunID = c.ID, run.ID
	mustInsertFinding(t, s, f)
	for _, tc := range []struct {
		name string
		fn   func(tx tldguard.Tx) error
	}{
		{"InsertFinding for a missing case", func(tx tldguard.Tx) error {
			x := newFinding("b.example", "urlhaus", tldguard.ThreatMalware)
			x.CaseID = missingID
			return tx.InsertFinding(x)
		}},
		{"InsertFinding from a missing run", func(tx tldguard.Tx) error {
			x := newFinding("b.example", "urlhaus", tldguard.ThreatMalware)
			x.LastRunID = missingID
			return tx.InsertFinding(x)
		}},
		{"UpdateFinding to a missing case", func(tx tldguard.Tx) error {
			x := *f
			x.CaseID = missingID
			return tx.UpdateFinding(&x)
		}},
		{"UpdateFinding to a missing run", func(tx tldguard.Tx) error {
			x := *f
			x.LastRunID = missingID
			return tx.UpdateFinding(&x)
		}},
	} {
		wantKind(t, tc.name, s.Write(t.Context(), tc.fn), tldguard.ENOTFOUND)
	}
	wantEqual(t, "findings after the failed writes", listFindings(t, s, tldguard.FindingFilter{}), []*tldguard.Finding{f})
}
