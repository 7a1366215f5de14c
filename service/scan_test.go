package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/scan"
	"github.com/tldguard/tldguard/service"
)

// scanZone delegates bad, shop and fresh (fresh is unknown to the
// registry); held.example is registered on hold, so absent.
const scanZone = "example.\t900\tin\tsoa\ta.nic.example.\tnoc.nic.example.\t2026110201 1800 900 604800 86400\n" +
	"example.\t172800\tin\tns\ta.nic.example.\n" +
	"bad.example.\t86400\tin\tns\tns1.host.test.\n" +
	"fresh.example.\t86400\tin\tns\tns1.host.test.\n" +
	"shop.example.\t86400\tin\tns\tns1.host.test.\n"

const urlhausHeader = "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"

func urlhausRow(id int, url string) string {
	return fmt.Sprintf(`"%d","2026-11-02 08:00:00","%s","online","","malware_download","exe","https://urlhaus.abuse.ch/url/%d/","r"`+"\n", id, url, id)
}

// scanFiles writes the zone and two feeds and returns a config over them.
type scanFiles struct {
	dir, zone, phish, mal string
}

func newScanFiles(t *testing.T) *scanFiles {
	t.Helper()
	s := &scanFiles{dir: t.TempDir()}
	s.zone = filepath.Join(s.dir, "example.zone")
	s.phish = filepath.Join(s.dir, "openphish.txt")
	s.mal = filepath.Join(s.dir, "urlhaus.csv")
	s.write(s.zone, scanZone)
	s.write(s.phish, "http://login.bad.example/a\nhttp://www.shop.example/b\nhttp://held.example/c\nhttp://elsewhere.com/d\n")
	s.write(s.mal, urlhausHeader+urlhausRow(1, "http://bad.example/x.exe")+urlhausRow(2, "http://FRESH.example/y.exe"))
	return s
}

func (s *scanFiles) write(path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		panic(err)
	}
}

func (s *scanFiles) config() service.ScanConfig {
	return service.ScanConfig{
		Trigger: "cli",
		Zones:   []scan.Zone{{Source: s.zone}},
		Feeds: []scan.Feed{
			{Spec: feed.Spec{Name: "openphish", Format: feed.FormatOpenPhish}, Source: s.phish},
			{Spec: feed.Spec{Name: "urlhaus", Format: feed.FormatURLhaus}, Source: s.mal},
		},
		CacheDir: filepath.Join(s.dir, "cache"),
		Node:     "node-a",
	}
}

func (f *fixture) scan(cfg service.ScanConfig) (*tldguard.ScanRun, []service.Match) {
	f.t.Helper()
	run, ms, err := f.svc.RunScan(f.admin, cfg)
	if err != nil {
		f.t.Fatalf("RunScan: %v", err)
	}
	return run, ms
}

func (f *fixture) findings(filter tldguard.FindingFilter) map[string]*tldguard.Finding {
	f.t.Helper()
	fs, err := f.svc.Findings(f.analyst, filter)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*tldguard.Finding{}
	for _, x := range fs {
		out[x.Domain+"/"+x.Feed+"/"+string(x.ThreatType)] = x
	}
	return out
}

func (f *fixture) reportCount() int {
	f.t.Helper()
	rs, err := f.svc.Reports(f.analyst, tldguard.ReportFilter{Limit: 200})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(rs)
}

func TestRunScan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		err := f.svc.ImportRegistry(f.admin, nil, []*tldguard.Registration{{Name: "held.example", TLD: "example",
			RegistrarID: "9001", RegistrarName: "Alpha Names", Statuses: []string{"serverHold"}, CreatedAt: f.clock.now().Add(-time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		// A public report has already opened the (bad.example, phishing) case.
		pre := f.submit(f.public, reportJSON("phishing", "http://bad.example/old"))
		files := newScanFiles(t)

		f.clock.add(time.Hour)
		run, ms := f.scan(files.config())
		if run.Status != tldguard.ScanOK || run.Error != "" || run.Trigger != "cli" || run.Node != "node-a" {
			t.Fatalf("run %+v", run)
		}
		if run.NamesChecked != 3 || len(run.Zones) != 1 || run.Zones[0].Serial != 2026110201 || run.Zones[0].Apex != "example" {
			t.Errorf("zones %+v, names %d", run.Zones, run.NamesChecked)
		}
		if run.Findings != 5 || run.NewFindings != 5 || run.NewCases != 4 || run.Delisted != 0 {
			t.Errorf("findings %d new %d cases %d delisted %d; want 5 5 4 0", run.Findings, run.NewFindings, run.NewCases, run.Delisted)
		}
		if run.ByThreat[tldguard.ThreatPhishing] != 3 || run.ByThreat[tldguard.ThreatMalware] != 2 || run.ByFeed["openphish"] != 3 || run.ByFeed["urlhaus"] != 2 {
			t.Errorf("by threat %v, by feed %v", run.ByThreat, run.ByFeed)
		}
		if fs := run.Feeds; len(fs) != 2 || fs[0].Entries != 4 || fs[0].Skipped != 1 || fs[0].Matched != 3 || fs[1].Matched != 2 || fs[0].Alarm != "" {
			t.Errorf("feed stats %+v", fs)
		}
		if len(ms) != 5 {
			t.Fatalf("%d matches", len(ms))
		}
		byName := map[string]service.Match{}
		for _, m := range ms {
			byName[m.Domain+"/"+string(m.Threat)] = m
			if !m.New || m.FindingID == 0 || m.CaseID == 0 {
				t.Errorf("match %+v not recorded as new", m)
			}
		}
		if m := byName["bad.example/phishing"]; m.CaseID != pre.Cases[0].ID || m.NewCase {
			t.Errorf("bad.example phishing went to case %d (new %v), want the open case %d", m.CaseID, m.NewCase, pre.Cases[0].ID)
		}
		if m := byName["held.example/phishing"]; !m.Held || !m.NewCase {
			t.Errorf("held.example: %+v", m)
		}

		// The held name's case has its registrar; the delegated name the
		// registry does not know is registered without one.
		held := caseOf(t, f, byName["held.example/phishing"].CaseID)
		fresh := caseOf(t, f, byName["fresh.example/malware"].CaseID)
		if !held.Registered || held.RegistrarID != "9001" || !fresh.Registered || fresh.RegistrarID != "" {
			t.Errorf("held case %+v, fresh case %+v", held, fresh)
		}
		if fresh.Priority != tldguard.PriorityStandard || fresh.Domain != "fresh.example" {
			t.Errorf("fresh case %+v", fresh)
		}

		// The report: from the feed's own account, the entries as evidence.
		d, err := f.svc.Case(f.analyst, fresh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Reports) != 1 || len(d.Evidence) != 1 {
			t.Fatalf("fresh case: %d reports, %d evidence", len(d.Reports), len(d.Evidence))
		}
		rep, err := f.svc.Report(f.analyst, d.Reports[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Source != tldguard.SourceFeed || rep.Format != "feed:urlhaus" || rep.ThreatType != tldguard.ThreatMalware ||
			len(rep.Targets) != 1 || rep.Targets[0].URL != "http://fresh.example/y.exe" || rep.Targets[0].Input != "http://FRESH.example/y.exe" {
			t.Errorf("report %+v", rep)
		}
		var doc struct {
			Feed    string `json:"feed"`
			Entries []struct {
				URL  string `json:"url"`
				Line int    `json:"line"`
				ID   string `json:"id"`
			} `json:"entries"`
		}
		if err := json.Unmarshal(rep.Raw, &doc); err != nil || doc.Feed != "urlhaus" || len(doc.Entries) != 1 || doc.Entries[0].ID != "2" || doc.Entries[0].Line != 3 {
			t.Errorf("raw %s: %v", rep.Raw, err)
		}
		reporters, err := f.svc.Reporters(f.admin)
		if err != nil {
			t.Fatal(err)
		}
		feedAccounts := 0
		for _, r := range reporters {
			if strings.HasPrefix(r.Name, "feed:") {
				feedAccounts++
				if r.Source != tldguard.SourceFeed {
					t.Errorf("reporter %+v", r)
				}
			}
		}
		if feedAccounts != 2 {
			t.Errorf("%d feed reporter accounts, want 2", feedAccounts)
		}
		before := f.findings(tldguard.FindingFilter{Active: true})
		reports := f.reportCount()

		// The same inputs again create nothing.
		f.clock.add(time.Hour)
		run2, ms2 := f.scan(files.config())
		if run2.Findings != 5 || run2.NewFindings != 0 || run2.NewCases != 0 || run2.Delisted != 0 || len(ms2) != 5 {
			t.Errorf("re-run: %+v", run2)
		}
		after := f.findings(tldguard.FindingFilter{Active: true})
		if len(after) != 5 || f.reportCount() != reports {
			t.Errorf("re-run: %d findings, %d reports (were %d)", len(after), f.reportCount(), reports)
		}
		for k, x := range after {
			if b := before[k]; b == nil || b.ID != x.ID || !x.LastSeen.Equal(f.clock.now()) || x.LastRunID != run2.ID || !x.FirstSeen.Equal(b.FirstSeen) {
				t.Errorf("finding %s: before %+v after %+v", k, b, x)
			}
		}

		// A feed stops listing a name: its finding is delisted.
		files.write(files.phish, "http://login.bad.example/a\nhttp://held.example/c\n")
		f.clock.add(time.Hour)
		run3, _ := f.scan(files.config())
		if run3.Delisted != 1 || run3.Findings != 4 {
			t.Errorf("after dropping shop: %+v", run3)
		}
		all := f.findings(tldguard.FindingFilter{Domain: "shop.example"})
		if x := all["shop.example/openphish/phishing"]; x == nil || !x.DelistedAt.Equal(f.clock.now()) {
			t.Errorf("shop finding %+v", x)
		}

		// A drifted feed delists nothing and keeps its findings.
		files.write(files.mal, "# id,dateadded,link,status,last_online,threat,tags,urlhaus_link,reporter\n"+urlhausRow(1, "http://bad.example/x.exe"))
		f.clock.add(time.Hour)
		run4, _ := f.scan(files.config())
		if run4.Status != tldguard.ScanOK || run4.Delisted != 0 || !strings.Contains(run4.Feeds[1].Alarm, "drift") {
			t.Errorf("drifted urlhaus: %+v, feeds %+v", run4, run4.Feeds)
		}
		if act := f.findings(tldguard.FindingFilter{Active: true, Feed: "urlhaus"}); len(act) != 2 {
			t.Errorf("drifted feed's findings: %d active, want 2", len(act))
		}

		// Back in the feed: a new finding, filed on the still open case.
		files.write(files.phish, "http://www.shop.example/b\nhttp://login.bad.example/a\nhttp://held.example/c\n")
		f.clock.add(time.Hour)
		run5, ms5 := f.scan(files.config())
		if run5.NewFindings != 1 || run5.NewCases != 0 {
			t.Errorf("relisted shop: %+v", run5)
		}
		for _, m := range ms5 {
			if m.Domain == "shop.example" && (!m.New || m.CaseID != byName["shop.example/phishing"].CaseID) {
				t.Errorf("relisted shop: %+v", m)
			}
		}

		runs, err := f.svc.ScanRuns(f.auditor, 0, 0)
		if err != nil || len(runs) != 5 || runs[0].ID != run5.ID {
			t.Fatalf("ScanRuns: %d, %v", len(runs), err)
		}
		got, err := f.svc.ScanRun(f.analyst, run.ID)
		if err != nil || got.NewCases != 4 || got.Zones[0].Serial != 2026110201 || got.ByFeed["urlhaus"] != 2 {
			t.Errorf("ScanRun: %+v, %v", got, err)
		}
		if _, err := f.svc.ScanRuns(f.public, 0, 0); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("reporter lists runs: %v", err)
		}
		if _, _, err := f.svc.RunScan(f.analyst, files.config()); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst runs a check: %v", err)
		}
		f.verify()
	})
}

// TestRunScanFailures: a check that could not be completed is recorded as
// failed with its reason and changes no finding.
func TestRunScanFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		files := newScanFiles(t)
		f.scan(files.config())

		cfg := files.config()
		cfg.Zones = []scan.Zone{{Source: filepath.Join(files.dir, "missing.zone")}}
		f.clock.add(time.Hour)
		run, _, err := f.svc.RunScan(f.admin, cfg)
		if err == nil || run == nil || run.Status != tldguard.ScanFailed || !strings.Contains(run.Error, "missing.zone") {
			t.Fatalf("missing zone: run %+v, err %v", run, err)
		}
		if act := f.findings(tldguard.FindingFilter{Active: true}); len(act) != 4 {
			t.Errorf("a failed run changed findings: %d active", len(act))
		}
		cfg = files.config()
		cfg.Feeds[0].Source = filepath.Join(files.dir, "gone.txt")
		cfg.Feeds[1].Source = filepath.Join(files.dir, "gone.csv")
		run, _, err = f.svc.RunScan(f.admin, cfg)
		if err == nil || run.Status != tldguard.ScanFailed || !strings.Contains(run.Error, "every feed failed") {
			t.Fatalf("no feeds: run %+v, err %v", run, err)
		}
		got, _ := f.svc.ScanRun(f.admin, run.ID)
		if got.Status != tldguard.ScanFailed || got.Feeds[0].Alarm == "" || got.FinishedAt.IsZero() {
			t.Errorf("stored failed run %+v", got)
		}

		// Stopped half way (the server shuts down): recorded as interrupted.
		ctx, cancel := context.WithCancel(f.admin)
		cfg = files.config()
		cfg.Progress = func(p scan.Progress) {
			if p.Stage == scan.StageZone {
				cancel()
			}
		}
		run, _, err = f.svc.RunScan(ctx, cfg)
		if err == nil || run.Status != tldguard.ScanFailed || !strings.HasPrefix(run.Error, "interrupted: ") {
			t.Fatalf("cancelled: run %+v, err %v", run, err)
		}
		if _, _, err := f.svc.RunScan(f.admin, files.config()); err != nil {
			t.Errorf("the lease was not released: %v", err)
		}
		f.verify()
	})
}

// TestScanLease: one check at a time; a run whose node died is marked
// failed once its lease expires.
func TestScanLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		files := newScanFiles(t)
		now := f.clock.now()
		var stale *tldguard.ScanRun
		err := store.Write(context.Background(), func(tx tldguard.Tx) error {
			stale = &tldguard.ScanRun{Trigger: "schedule", Node: "node-b", Status: tldguard.ScanRunning, StartedAt: now}
			if err := tx.InsertScanRun(stale); err != nil {
				return err
			}
			ok, err := tx.AcquireLease("zonecheck", "node-b:77:x", now, now.Add(2*time.Minute))
			if !ok && err == nil {
				err = fmt.Errorf("lease not taken")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		run, _, err := f.svc.RunScan(f.admin, files.config())
		if tldguard.ErrorKind(err) != tldguard.ECONFLICT || run != nil || !strings.Contains(tldguard.ErrorMessage(err), "already running on node-b") {
			t.Fatalf("while node-b holds the lease: %v", err)
		}
		f.clock.add(3 * time.Minute)
		run, _ = f.scan(files.config())
		if run.Status != tldguard.ScanOK {
			t.Fatalf("after the lease expired: %+v", run)
		}
		old, _ := f.svc.ScanRun(f.admin, stale.ID)
		if old.Status != tldguard.ScanFailed || !strings.Contains(old.Error, "interrupted") {
			t.Errorf("node-b's run: %+v", old)
		}
		// The lease was released: the next run goes at once.
		if _, _, err := f.svc.RunScan(f.admin, files.config()); err != nil {
			t.Errorf("second run: %v", err)
		}
	})
}

// httpFeeds serves a zone and a feed with ETags and counts the answers.
type httpFeeds struct {
	mu      sync.Mutex
	files   map[string]string
	ok      map[string]int
	notMod  map[string]int
	failing bool
}

func (h *httpFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	body, found := h.files[r.URL.Path]
	if h.failing || !found {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	etag := fmt.Sprintf(`"v%d"`, len(body))
	if r.Header.Get("If-None-Match") == etag {
		h.notMod[r.URL.Path]++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.ok[r.URL.Path]++
	w.Header().Set("ETag", etag)
	fmt.Fprint(w, body)
}

func (h *httpFeeds) counts(path string) (ok, notMod int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ok[path], h.notMod[path]
}

// schedulerEnv is a real-clock service with a TLD, a zone and a feed
// served over HTTP.
type schedulerEnv struct {
	store tldguard.Store
	feeds *httpFeeds
	cfg   service.ScanConfig
}

func newSchedulerEnv(t *testing.T, store tldguard.Store) *schedulerEnv {
	t.Helper()
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	if _, err := svc.AddTLD(tldguard.System(context.Background(), "test"), "example"); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	h := &httpFeeds{ok: map[string]int{}, notMod: map[string]int{}, files: map[string]string{
		"/zones/example.zone": scanZone,
		"/feeds/openphish":    "http://login.bad.example/a\nhttp://www.shop.example/b\n",
	}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &schedulerEnv{store: store, feeds: h, cfg: service.ScanConfig{
		Zones:    []scan.Zone{{Source: srv.URL + "/zones/example.zone"}},
		Feeds:    []scan.Feed{{Spec: feed.Spec{Name: "openphish", Format: feed.FormatOpenPhish}, Source: srv.URL + "/feeds/openphish"}},
		CacheDir: t.TempDir(),
	}}
}

// start runs a scheduler on its own service (a node) until the test ends.
func (e *schedulerEnv) start(t *testing.T, interval time.Duration) {
	t.Helper()
	svc := service.New(service.Config{Store: e.store, Registry: localregistry.New(e.store)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&service.Scheduler{Service: svc, Config: e.cfg, Interval: interval, Logger: slog.New(slog.DiscardHandler)}).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })
}

func (e *schedulerEnv) runs(t *testing.T) []*tldguard.ScanRun {
	t.Helper()
	var runs []*tldguard.ScanRun
	err := e.store.Read(context.Background(), func(tx tldguard.Tx) error {
		var err error
		runs, err = tx.ListScanRuns(0, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// waitRuns waits until n runs have finished.
func (e *schedulerEnv) waitRuns(t *testing.T, n int) []*tldguard.ScanRun {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs := e.runs(t)
		done := 0
		for _, r := range runs {
			if r.Status != tldguard.ScanRunning {
				done++
			}
		}
		if done >= n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs finished after 30s, want %d", done, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *schedulerEnv) insertRun(t *testing.T, started time.Time, status tldguard.ScanStatus) {
	t.Helper()
	err := e.store.Write(context.Background(), func(tx tldguard.Tx) error {
		return tx.InsertScanRun(&tldguard.ScanRun{Trigger: "schedule", Node: "old", Status: status,
			StartedAt: tldguard.Truncate(started), FinishedAt: tldguard.Truncate(started.Add(time.Minute))})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSchedulerRunsOnHTTPFeeds: with no run before, the scheduler checks
// at once, then every interval, fetching zone and feed with conditional
// GETs; two nodes never run at once.
func TestSchedulerRunsOnHTTPFeeds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		e := newSchedulerEnv(t, store)
		e.start(t, 700*time.Millisecond)
		e.start(t, 700*time.Millisecond) // a second node
		var runs []*tldguard.ScanRun
		for _, r := range e.waitRuns(t, 3) {
			if r.Status != tldguard.ScanRunning {
				runs = append(runs, r)
			}
		}
		for _, r := range runs {
			if r.Status != tldguard.ScanOK || r.Trigger != "schedule" || r.Findings != 2 {
				t.Errorf("run %+v", r)
			}
		}
		for i := 1; i < len(runs); i++ {
			if runs[i-1].StartedAt.Before(runs[i].FinishedAt) {
				t.Errorf("runs %d and %d overlap", runs[i].ID, runs[i-1].ID)
			}
		}
		if last := runs[0]; last.NewFindings != 0 && len(runs) > 1 {
			t.Errorf("a later run created findings: %+v", last)
		}
		for _, p := range []string{"/zones/example.zone", "/feeds/openphish"} {
			if ok, notMod := e.feeds.counts(p); ok != 1 || notMod < 2 {
				t.Errorf("%s: %d full downloads and %d 304s, want 1 and at least 2", p, ok, notMod)
			}
		}
	})
}

// TestSchedulerMissedRun: a run missed while the server was down (the
// last one started 30h ago, the interval is 24h) happens at start-up.
func TestSchedulerMissedRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		e := newSchedulerEnv(t, store)
		e.insertRun(t, time.Now().Add(-30*time.Hour), tldguard.ScanOK)
		e.start(t, 24*time.Hour)
		runs := e.waitRuns(t, 2)
		if runs[0].Status != tldguard.ScanOK || runs[0].Trigger != "schedule" || runs[0].NewFindings != 2 {
			t.Errorf("missed run: %+v", runs[0])
		}
	})
}

// TestSchedulerNotDue: a run 2h ago with a 24h interval is not repeated at
// start-up; a failed one is retried.
func TestSchedulerNotDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		e := newSchedulerEnv(t, store)
		e.insertRun(t, time.Now().Add(-2*time.Hour), tldguard.ScanOK)
		e.start(t, 24*time.Hour)
		time.Sleep(500 * time.Millisecond)
		if runs := e.runs(t); len(runs) != 1 {
			t.Fatalf("%d runs, want no new one", len(runs))
		}
		svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
		defer svc.Close()
		sys := tldguard.System(context.Background(), "test")
		due, err := svc.NextScanDue(sys, 24*time.Hour, time.Hour)
		if err != nil || due.Sub(time.Now()) < 21*time.Hour {
			t.Errorf("next due %v (%v)", due, err)
		}
		e.insertRun(t, time.Now().Add(-2*time.Hour), tldguard.ScanFailed)
		due, err = svc.NextScanDue(sys, 24*time.Hour, time.Hour)
		if err != nil || due.After(time.Now()) {
			t.Errorf("after a failed run 2h ago: next due %v (%v), want now", due, err)
		}
		// A run cut short does not count: the one before it decides.
		e.insertRun(t, time.Now().Add(-30*time.Minute), tldguard.ScanOK)
		err = store.Write(context.Background(), func(tx tldguard.Tx) error {
			return tx.InsertScanRun(&tldguard.ScanRun{Trigger: "schedule", Node: "n", Status: tldguard.ScanFailed,
				Error: "interrupted: the check was stopped before it finished", StartedAt: tldguard.Truncate(time.Now().Add(-10 * time.Minute)),
				FinishedAt: tldguard.Truncate(time.Now().Add(-9 * time.Minute))})
		})
		if err != nil {
			t.Fatal(err)
		}
		due, err = svc.NextScanDue(sys, 24*time.Hour, time.Hour)
		if err != nil || due.Sub(time.Now()) < 23*time.Hour {
			t.Errorf("after an interrupted run: next due %v (%v), want 24h after the ok run before it", due, err)
		}
	})
}

// TestRecordManyMatches: 250 names open 250 cases over several
// transactions; the next run sees them again in bulk (last seen and run
// moved on every one, the one whose URLs changed rewritten), creates
// nothing, and counts them in its findings_seen events.
func TestRecordManyMatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		files := newScanFiles(t)
		var zone, phish strings.Builder
		zone.WriteString(scanZone)
		const n = 250
		for i := range n {
			fmt.Fprintf(&zone, "n%03d.example.\t86400\tin\tns\tns1.host.test.\n", i)
			fmt.Fprintf(&phish, "http://n%03d.example/login\n", i)
		}
		files.write(files.zone, zone.String())
		files.write(files.phish, phish.String())
		files.write(files.mal, urlhausHeader+urlhausRow(1, "http://elsewhere.com/x.exe"))
		cfg := files.config()

		f.clock.add(time.Hour)
		run1, ms1 := f.scan(cfg)
		if run1.Status != tldguard.ScanOK || run1.NewFindings != n || run1.NewCases != n || len(ms1) != n {
			t.Fatalf("first run: %+v, %d matches", run1, len(ms1))
		}
		// One name gains a URL.
		files.write(files.phish, phish.String()+"http://n007.example/other\n")
		f.clock.add(time.Hour)
		reports := f.reportCount()
		run2, ms2 := f.scan(cfg)
		if run2.NewFindings != 0 || run2.NewCases != 0 || run2.Delisted != 0 || len(ms2) != n || f.reportCount() != reports {
			t.Fatalf("second run: %+v, %d matches, reports %d -> %d", run2, len(ms2), reports, f.reportCount())
		}
		all := f.findings(tldguard.FindingFilter{Feed: "openphish", Active: true})
		if len(all) != n {
			t.Fatalf("%d active findings, want %d", len(all), n)
		}
		for k, fd := range all {
			if fd.LastRunID != run2.ID || !fd.LastSeen.After(fd.FirstSeen) {
				t.Fatalf("%s not seen again: %+v", k, fd)
			}
		}
		if got := all["n007.example/openphish/phishing"].URLs; len(got) != 2 {
			t.Errorf("n007's URLs %q, want the new one too", got)
		}
		seen := 0
		for _, e := range f.events("scan.findings_seen") {
			var d struct {
				RunID    int64 `json:"run_id"`
				Findings int   `json:"findings"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.RunID == run2.ID {
				seen += d.Findings
			}
		}
		if seen != n {
			t.Errorf("findings_seen events of run 2 count %d, want %d", seen, n)
		}
		f.verify()
	})
}
