package storetest

import (
	"math"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var scanRunTests = []test{
	{"InsertAndGet", testScanRunInsertAndGet},
	{"Update", testScanRunUpdate},
	{"List", testListScanRuns},
}

// newScanRun returns a run as the zone check starts it: running, with no
// statistics yet.
func newScanRun(minutes int) *tldguard.ScanRun {
	return &tldguard.ScanRun{
		Trigger:   "schedule",
		Node:      "ns1.nic.example",
		Status:    tldguard.ScanRunning,
		StartedAt: at(minutes),
	}
}

// finishScanRun sets every field a finished run has, with values that
// catch lossy storage: the largest serial, counts past 2^53, an alarm.
func finishScanRun(r *tldguard.ScanRun) {
	r.Status = tldguard.ScanOK
	r.FinishedAt = r.StartedAt.Add(90 * time.Second)
	r.Zones = []tldguard.ZoneStat{
		{Apex: "example", Source: "/var/lib/tldguard/zones/example.zone", Serial: math.MaxUint32,
			Names: 1_234_567, Records: 9_876_543, Lines: 10_000_001, BadLines: 2},
		{Apex: "test", Source: "https://czds.example/test.zone.gz", Serial: 2025060101,
			Error: `line 17: bad TTL "1x"`},
	}
	r.Feeds = []tldguard.FeedStat{
		{Name: "urlhaus", Format: "urlhaus-csv", Source: "https://urlhaus.example/csv", Entries: 40_000,
			BadLines: 1, Skipped: 39_000, Matched: 12},
		{Name: "dnsbl", Format: "hosts", Source: "/etc/tldguard/dnsbl.txt", Stale: true,
			Alarm: "no valid rows: format drift?"},
	}
	r.NamesChecked = 1<<53 + 1
	r.Findings = 14
	r.NewFindings = 3
	r.NewCases = 2
	r.Delisted = 5
	r.ByThreat = map[tldguard.ThreatType]int64{tldguard.ThreatPhishing: 9, tldguard.ThreatMalware: 5}
	r.ByFeed = map[string]int64{"urlhaus": 12, "dnsbl": 2, "caf\u00e9 \"feed\"": 1 << 62}
}

// mustInsertScanRun stores r in its own transaction.
func mustInsertScanRun(t *testing.T, s tldguard.Store, r *tldguard.ScanRun) *tldguard.ScanRun {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return tx.InsertScanRun(r) })
	return r
}

// scanRunByID returns ScanRunByID(id) in its own read transaction.
func scanRunByID(t *testing.T, s tldguard.Store, id int64) *tldguard.ScanRun {
	t.Helper()
	var r *tldguard.ScanRun
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		r, err = tx.ScanRunByID(id)
		return err
	})
	return r
}

// testScanRunInsertAndGet: a starting run (zero times, no statistics) and
// a finished one (every field, lists and maps) round-trip.
func testScanRunInsertAndGet(t *testing.T, s tldguard.Store) {
	started := newScanRun(0)
	done := newScanRun(5)
	done.Trigger, done.Node = "cli", "worker-2"
	finishScanRun(done)
	failed := newScanRun(10)
	failed.Trigger, failed.Status, failed.Error = "api", tldguard.ScanFailed, "zone example: open: permission denied"
	failed.StartedAt = time.Time{}
	failed.ByThreat, failed.ByFeed = map[tldguard.ThreatType]int64{}, map[string]int64{} // empty, not nil
	failed.Zones, failed.Feeds = []tldguard.ZoneStat{}, []tldguard.FeedStat{}
	write(t, s, func(tx tldguard.Tx) error {
		for _, r := range []*tldguard.ScanRun{started, done, failed} {
			if err := tx.InsertScanRun(r); err != nil {
				return err
			}
		}
		return nil
	})
	if started.ID <= 0 || started.ID == done.ID || done.ID == failed.ID {
		t.Fatalf("InsertScanRun set ids %d, %d, %d", started.ID, done.ID, failed.ID)
	}
	for _, want := range []*tldguard.ScanRun{started, done, failed} {
		wantEqual(t, "ScanRunByID", scanRunByID(t, s, want.ID), want)
	}
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.ScanRunByID(failed.ID + 100)
		wantKind(t, "ScanRunByID of a missing run", err, tldguard.ENOTFOUND)
		return nil
	})
}

// testScanRunUpdate: UpdateScanRun writes every field but ID, Trigger,
// Node and StartedAt.
func testScanRunUpdate(t *testing.T, s tldguard.Store) {
	r := mustInsertScanRun(t, s, newScanRun(0))
	other := mustInsertScanRun(t, s, newScanRun(1))

	upd := *r
	finishScanRun(&upd)
	upd.Trigger, upd.Node, upd.StartedAt = "api", "elsewhere", at(-30)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateScanRun(&upd) })
	want := upd
	want.Trigger, want.Node, want.StartedAt = r.Trigger, r.Node, r.StartedAt
	wantEqual(t, "run after UpdateScanRun", scanRunByID(t, s, r.ID), &want)
	wantEqual(t, "the other run", scanRunByID(t, s, other.ID), other)

	// Failed after all: the statistics go, the finish time too.
	want.Status, want.Error = tldguard.ScanFailed, "feed urlhaus: 503"
	want.FinishedAt = time.Time{}
	want.Zones, want.Feeds, want.ByThreat, want.ByFeed = nil, nil, nil, map[string]int64{}
	want.NamesChecked, want.Findings, want.NewFindings, want.NewCases, want.Delisted = 0, 0, 0, 0, 0
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateScanRun(&want) })
	wantEqual(t, "run after clearing", scanRunByID(t, s, r.ID), &want)

	missing := *r
	missing.ID = other.ID + 100
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateScanRun(&missing) })
	wantKind(t, "UpdateScanRun of a missing run", err, tldguard.ENOTFOUND)
}

// testListScanRuns: newest first, paged by beforeID.
func testListScanRuns(t *testing.T, s tldguard.Store) {
	list := func(beforeID int64, limit int) []*tldguard.ScanRun {
		t.Helper()
		var rs []*tldguard.ScanRun
		read(t, s, func(tx tldguard.Tx) error {
			var err error
			rs, err = tx.ListScanRuns(beforeID, limit)
			return err
		})
		return rs
	}
	if rs := list(0, 10); len(rs) != 0 {
		t.Errorf("ListScanRuns on an empty store returned %d", len(rs))
	}
	var runs []*tldguard.ScanRun
	for i := range 5 {
		r := newScanRun(i)
		if i%2 == 1 {
			finishScanRun(r)
		}
		runs = append(runs, r)
	}
	write(t, s, func(tx tldguard.Tx) error {
		for _, r := range runs {
			if err := tx.InsertScanRun(r); err != nil {
				return err
			}
		}
		return nil
	})
	newest := []*tldguard.ScanRun{runs[4], runs[3], runs[2], runs[1], runs[0]}
	wantEqual(t, "ListScanRuns(0, 0)", list(0, 0), newest)
	wantEqual(t, "ListScanRuns(0, -1)", list(0, -1), newest)
	wantEqual(t, "ListScanRuns(0, 2)", list(0, 2), newest[:2])
	wantEqual(t, "ListScanRuns(before the third newest, 0)", list(newest[2].ID, 0), newest[3:])
	wantEqual(t, "ListScanRuns(before the oldest, 0)", list(runs[0].ID, 0), []*tldguard.ScanRun{})
	wantEqual(t, "ListScanRuns(past the newest, 1)", list(runs[4].ID+100, 1), newest[:1])

	var paged []*tldguard.ScanRun
	var before int64
	for range len(runs) + 1 {
		p := list(before, 2)
		paged = append(paged, p...)
		if len(p) < 2 {
			break
		}
		before = p[len(p)-1].ID
	}
	wantEqual(t, "ListScanRuns paged by 2", paged, newest)
}
