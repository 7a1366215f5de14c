package stats_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/stats"
)

func snapshotKeys(snaps []*tldguard.StatsSnapshot) []string {
	var out []string
	for _, s := range snaps {
		out = append(out, s.Period+"/"+s.TLD)
	}
	return out
}

// TestSnapshotRerun takes the monthly snapshots as the scheduler does,
// changes October's cases in November, and re-runs October from the
// records: the numbers, and the JSON byte for byte, are the snapshot's.
func TestSnapshotRerun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w) // the clock is at 2026-11-01 01:30: October is over, past the grace hour
		sys := tldguard.System(context.Background(), "scheduler")

		made, err := w.stats.SnapshotDue(sys)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"2026-09/", "2026-09/example", "2026-09/test", "2026-10/", "2026-10/example", "2026-10/test"}
		if got := snapshotKeys(made); !slices.Equal(got, want) {
			t.Fatalf("SnapshotDue took %v, want %v", got, want)
		}
		again, err := w.stats.SnapshotDue(sys)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second SnapshotDue took %v (%v), want nothing", snapshotKeys(again), err)
		}

		oct, err := w.stats.StoredSnapshot(w.auditor, "2026-10", "")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(oct.Report)
		if !bytes.Equal(sum[:], oct.SHA256) || oct.KeepUntil != time.Date(2036, 11, 1, 0, 0, 0, 0, time.UTC) {
			t.Errorf("snapshot hash %x (report hashes to %x), kept until %s", oct.SHA256, sum, oct.KeepUntil)
		}
		var snapped stats.Report
		if err := json.Unmarshal(oct.Report, &snapped); err != nil {
			t.Fatal(err)
		}
		check(t, octoberFigures(t, w, &snapped))
		// The audit chain holds the hash in the event the snapshot names.
		var seen bool
		err = store.Read(context.Background(), func(tx tldguard.Tx) error {
			return tx.ScanEvents(oct.EventSeq-1, func(e *tldguard.Event) error {
				var data map[string]any
				json.Unmarshal(e.Data, &data)
				seen = e.Action == "stats.snapshot" && e.Subject == "stats:2026-10" && data["sha256"] == hex.EncodeToString(oct.SHA256)
				return context.Canceled
			})
		})
		if !seen || err != context.Canceled {
			t.Errorf("the audit event %d does not hold the snapshot's hash (%v)", oct.EventSeq, err)
		}

		buildNovember(w)
		rerun := report(t, w, "2026-10", "")
		rerun.GeneratedAt = snapped.GeneratedAt
		body, err := stats.EncodeJSON(rerun)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, oct.Report) {
			t.Errorf("re-running October gives another report:\nsnapshot %s\nre-run   %s", oct.Report, body)
		}
		for _, tld := range []string{"", "example", "test"} {
			v, err := w.stats.Verify(w.auditor, "2026-10", tld)
			if err != nil {
				t.Fatal(err)
			}
			if !v.Sealed || !v.Reproduced {
				t.Errorf("Verify(2026-10, %q) = %+v, want sealed and reproduced", tld, v)
			}
		}

		// November is over too now; only its snapshots are due.
		made, err = w.stats.SnapshotDue(sys)
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshotKeys(made); !slices.Equal(got, []string{"2026-11/", "2026-11/example", "2026-11/test"}) {
			t.Errorf("SnapshotDue in December took %v", got)
		}

		// The abuse rate's denominator is the registry's count now: a new
		// registration shows as a difference there, and only there.
		err = w.svc.ImportRegistry(w.admin, nil, []*tldguard.Registration{{Name: "new.example", TLD: "example",
			RegistrarID: "9001", RegistrarName: "Alpha Names", Statuses: []string{"ok"}, CreatedAt: w.clock.now()}})
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.stats.Verify(w.auditor, "2026-10", "example")
		if err != nil {
			t.Fatal(err)
		}
		if !v.Sealed || v.Reproduced || !slices.Equal(v.Differences, []string{".abuse_rate.per_10000", ".abuse_rate.registrations", ".tlds[0].per_10000", ".tlds[0].registrations"}) {
			t.Errorf("Verify after a new registration = %+v", v)
		}
		if r, _ := w.svc.VerifyChain(w.admin, nil); r == nil || !r.OK {
			t.Errorf("the audit chain does not verify: %+v", r)
		}
	})
}

// TestSnapshotRules: one snapshot per month and TLD, only of months that
// are over, only by an admin or the system; a lease another node holds
// keeps this one from taking any.
func TestSnapshotRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w)
		oct, _ := stats.ParsePeriod("2026-10")
		nov, _ := stats.ParsePeriod("2026-11")
		q4, _ := stats.ParsePeriod("2026-Q4")
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			p     stats.Period
			kind  string
			field string
		}{
			{"an analyst", w.analyst, oct, tldguard.EFORBIDDEN, ""},
			{"a reporter", w.public, oct, tldguard.EFORBIDDEN, ""},
			{"nobody", context.Background(), oct, tldguard.EUNAUTHORIZED, ""},
			{"a month not over", w.admin, nov, tldguard.EINVALID, "period"},
			{"a quarter", w.admin, q4, tldguard.EINVALID, "period"},
		} {
			_, err := w.stats.Snapshot(tc.ctx, tc.p, "")
			if tldguard.ErrorKind(err) != tc.kind || tldguard.ErrorField(err) != tc.field {
				t.Errorf("%s: Snapshot returned %v, want %s naming %q", tc.name, err, tc.kind, tc.field)
			}
		}
		if _, err := w.stats.Snapshot(w.admin, oct, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.stats.Snapshot(w.admin, oct, "test"); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("a second snapshot of October returned %v, want ECONFLICT", err)
		}
		if _, err := w.stats.Report(w.public, stats.Query{Period: oct}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("a reporter read the statistics: %v", err)
		}
		if _, err := w.stats.Report(w.auditor, stats.Query{Period: oct, TLD: "nope"}); tldguard.ErrorField(err) != "tld" {
			t.Errorf("an unknown TLD gave %v, want EINVALID naming tld", err)
		}

		// Another node holds the lease: this one takes nothing.
		err := store.Write(context.Background(), func(tx tldguard.Tx) error {
			_, err := tx.AcquireLease("stats-snapshot", "node-b", w.clock.now(), w.clock.now().Add(time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		made, err := w.stats.SnapshotDue(tldguard.System(context.Background(), "scheduler"))
		if err != nil || len(made) != 0 {
			t.Errorf("SnapshotDue under another node's lease took %v (%v)", snapshotKeys(made), err)
		}
	})
}

// TestScheduleTakesMissedMonths: the scheduler takes the months missed
// while no server ran as soon as it starts.
func TestScheduleTakesMissedMonths(t *testing.T) {
	store := testdb.SQLite(t)
	w := newWorld(t, store)
	buildWorld(w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.stats.Schedule(ctx, time.Hour); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		snaps, err := w.stats.Snapshots(w.auditor)
		if err != nil {
			t.Fatal(err)
		}
		if len(snaps) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler took %v", snapshotKeys(snaps))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestTransparency: off by default; when on, months from the snapshots,
// and nothing that names a domain, registrar or reason.
func TestTransparency(t *testing.T) {
	store := testdb.SQLite(t)
	w := newWorld(t, store)
	buildWorld(w)
	off := stats.New(stats.Config{Store: store, Now: w.clock.now})
	if _, err := off.Transparency(context.Background()); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
		t.Errorf("an operator that does not publish: %v, want ENOTFOUND", err)
	}
	if _, err := w.stats.SnapshotDue(tldguard.System(context.Background(), "scheduler")); err != nil {
		t.Fatal(err)
	}
	tr, err := w.stats.Transparency(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Months) != 2 || tr.Months[0].Period != "2026-10" || tr.Months[0].Identified != 7 || tr.Months[1].Period != "2026-09" {
		t.Fatalf("months = %+v", tr.Months)
	}
	var page bytes.Buffer
	if err := stats.WriteTransparencyHTML(&page, tr); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(tr)
	for _, secret := range []string{"mal1", "example", "Alpha", "Bravo", "cleaned", "False positive", "copyright", "urlhaus"} {
		if bytes.Contains(body, []byte(secret)) || bytes.Contains(page.Bytes(), []byte(secret)) {
			t.Errorf("the transparency report holds %q", secret)
		}
	}
}
