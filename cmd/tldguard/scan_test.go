package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/postgres"
	"github.com/tldguard/tldguard/sqlite"
)

const (
	checkZone = "example.\t900\tin\tsoa\ta.nic.example.\tnoc.nic.example.\t2026110201 1800 900 604800 86400\n" +
		"example.\t172800\tin\tns\ta.nic.example.\n" +
		"bad.example.\t86400\tin\tns\tns1.host.test.\n" +
		"bad.example.\t86400\tin\tns\tns2.host.test.\n" +
		"shop.example.\t86400\tin\tns\tns1.host.test.\n" +
		"sub.shop.example.\t86400\tin\tns\tns1.other.test.\n" +
		"xn--bcher-kva.example.\t86400\tin\tns\tns1.host.test.\n"
	checkURLhausHeader = "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
)

func checkURLhausRow(id int, url string) string {
	return fmt.Sprintf(`"%d","2026-11-02 08:00:00","%s","online","","malware_download","exe","https://urlhaus.abuse.ch/url/%d/","r"`+"\n", id, url, id)
}

// scanDoc is the part of "scan --json" the tests read.
type scanDoc struct {
	Run struct {
		ID          int64                         `json:"id"`
		Status      string                        `json:"status"`
		Error       string                        `json:"error"`
		Trigger     string                        `json:"trigger"`
		Zones       []tldguard.ZoneStat           `json:"zones"`
		Feeds       []tldguard.FeedStat           `json:"feeds"`
		Names       int64                         `json:"names_checked"`
		Findings    int64                         `json:"findings"`
		NewFindings int64                         `json:"new_findings"`
		NewCases    int64                         `json:"new_cases"`
		Delisted    int64                         `json:"delisted"`
		ByThreat    map[tldguard.ThreatType]int64 `json:"by_threat"`
	} `json:"run"`
	Findings []struct {
		Name   string   `json:"name"`
		Threat string   `json:"threat"`
		Feeds  []string `json:"feeds"`
		URLs   []string `json:"urls"`
		Case   string   `json:"case"`
		New    bool     `json:"new"`
	} `json:"findings"`
}

// scanJSON runs "tldguard scan ... --json" and decodes its stdout; code is
// the exit code.
func scanJSON(t *testing.T, w where, args ...string) (scanDoc, int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), append(append([]string{"scan"}, args...), append(w, "--json")...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var doc scanDoc
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("scan --json: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
	}
	return doc, code, stderr.String()
}

// openEngine opens the store a where names, for checks behind the CLI.
func openEngine(t *testing.T, w where) tldguard.Store {
	t.Helper()
	var s tldguard.Store
	var err error
	if w[0] == "--data" {
		s, err = sqlite.Open(filepath.Join(w[1], "tldguard.db"))
	} else {
		s, err = postgres.Open(context.Background(), w[1])
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func findings(t *testing.T, s tldguard.Store, f tldguard.FindingFilter) map[string]*tldguard.Finding {
	t.Helper()
	out := map[string]*tldguard.Finding{}
	err := s.Read(context.Background(), func(tx tldguard.Tx) error {
		fs, err := tx.ListFindings(f)
		for _, x := range fs {
			out[x.Domain+"/"+x.Feed] = x
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t *testing.T, s tldguard.Store) (cases, reports int) {
	t.Helper()
	err := s.Read(context.Background(), func(tx tldguard.Tx) error {
		cs, err := tx.ListCases(tldguard.CaseFilter{Sort: tldguard.SortNewest, Limit: 1000})
		if err != nil {
			return err
		}
		rs, err := tx.ListReports(tldguard.ReportFilter{Limit: 1000})
		cases, reports = len(cs), len(rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases, reports
}

// TestScanCommand runs the whole check from "tldguard scan" on files:
// cases and findings, an idempotent re-run, delisting when a feed drops a
// name, none when a feed drifts, a failed run's exit code, beside a
// running server.
func TestScanCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		dir := t.TempDir()
		zone := filepath.Join(dir, "example.zone")
		phish := filepath.Join(dir, "openphish.txt")
		mal := filepath.Join(dir, "urlhaus.csv")
		write := func(p, s string) {
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(zone, checkZone)
		write(phish, "https://login.bad.example/a\nhttp://WWW.Shop.Example/b\nhttps://bücher.example/c\nhttp://www.elsewhere.com/d\nhttp://192.0.2.7/e\njunk ::\n")
		write(mal, checkURLhausHeader+checkURLhausRow(1, "http://a.b.sub.shop.example/x.exe")+checkURLhausRow(2, "http://bad.example/y.exe")+checkURLhausRow(3, "http://other.test/z.exe"))
		mustTool(t, w, "tld", "add", "--name", "example")
		srv := startServer(t, w, "serve")
		args := []string{"--zone", zone, "--feed", "openphish=" + phish, "--feed", "urlhaus=" + mal}

		doc, code, stderr := scanJSON(t, w, args...)
		if code != 0 || doc.Run.Status != "ok" || doc.Run.Trigger != "cli" {
			t.Fatalf("exit %d, run %+v\n%s", code, doc.Run, stderr)
		}
		if doc.Run.Names != 4 || doc.Run.Zones[0].Serial != 2026110201 || doc.Run.Findings != 5 || doc.Run.NewCases != 5 {
			t.Errorf("run %+v", doc.Run)
		}
		got := map[string]string{}
		for _, f := range doc.Findings {
			got[f.Name+"/"+f.Threat] = strings.Join(f.Feeds, ",")
			if !f.New || !strings.HasPrefix(f.Case, "TG-") || len(f.URLs) == 0 {
				t.Errorf("finding %+v", f)
			}
		}
		want := map[string]string{"bad.example/phishing": "openphish", "bad.example/malware": "urlhaus",
			"shop.example/phishing": "openphish", "sub.shop.example/malware": "urlhaus", "xn--bcher-kva.example/phishing": "openphish"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("findings %v, want %v", got, want)
		}
		store := openEngine(t, w)
		cases, reports := countRows(t, store)
		if cases != 5 || reports != 5 {
			t.Errorf("%d cases, %d reports after the first run; want 5, 5", cases, reports)
		}

		// The same inputs again: nothing new.
		doc, code, _ = scanJSON(t, w, args...)
		if code != 0 || doc.Run.NewFindings != 0 || doc.Run.NewCases != 0 || doc.Run.Findings != 5 || doc.Run.Delisted != 0 {
			t.Errorf("re-run: exit %d, %+v", code, doc.Run)
		}
		if c, r := countRows(t, store); c != cases || r != reports {
			t.Errorf("re-run made cases or reports: %d, %d", c, r)
		}

		// A feed drops a name: delisted.
		write(phish, "https://login.bad.example/a\nhttps://bücher.example/c\n")
		doc, _, _ = scanJSON(t, w, args...)
		if doc.Run.Delisted != 1 || doc.Run.Findings != 4 {
			t.Errorf("after shop left the feed: %+v", doc.Run)
		}
		if f := findings(t, store, tldguard.FindingFilter{Domain: "shop.example"})["shop.example/openphish"]; f == nil || f.DelistedAt.IsZero() {
			t.Errorf("shop finding %+v", f)
		}

		// A feed drifts: an alarm, and nothing of it delisted.
		write(mal, "# id,dateadded,link,status\n\"1\",\"2026-11-02\",\"http://x.example/\",\"online\"\n")
		doc, code, _ = scanJSON(t, w, args...)
		if code != 0 || doc.Run.Delisted != 0 || !strings.Contains(doc.Run.Feeds[1].Alarm, "drift") {
			t.Errorf("drifted urlhaus: exit %d, %+v", code, doc.Run)
		}
		if act := findings(t, store, tldguard.FindingFilter{Feed: "urlhaus", Active: true}); len(act) != 2 {
			t.Errorf("drifted feed: %d active findings, want 2", len(act))
		}

		// The check cannot be completed: non-zero exit, a failed run.
		doc, code, stderr = scanJSON(t, w, "--zone", filepath.Join(dir, "gone.zone"), "--feed", "openphish="+phish)
		if code == 0 || doc.Run.Status != "failed" || !strings.Contains(stderr, "gone.zone") {
			t.Errorf("missing zone: exit %d, run %+v, stderr %s", code, doc.Run, stderr)
		}
		out := mustTool(t, w, "scan", "list")
		if lines := strings.Count(out, "\n"); !strings.Contains(out, "failed") || lines < 6 {
			t.Errorf("scan list:\n%s", out)
		}

		// The server lists the runs the CLI made.
		token := lastLine(mustTool(t, w, "user", "add", "--email", "ana@nic.example", "--role", "analyst", "--token"))
		req, _ := http.NewRequest("GET", srv.url("/api/v1/scans?limit=2"), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Scans []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"scans"`
			Next string `json:"next_cursor"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(page.Scans) != 2 || page.Scans[0].Status != "failed" || page.Next == "" {
			t.Errorf("GET /api/v1/scans: %d %+v", resp.StatusCode, page)
		}
		out = mustTool(t, w, "audit", "verify")
		if !strings.Contains(out, "intact") {
			t.Errorf("audit verify: %s", out)
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("server: %v", err)
		}
	})
}

// TestScanConfigFile: the config file's zones and feeds, "tldguard feeds",
// and errors that name the line and field.
func TestScanConfigFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(data, "feeds"), 0o755)
	os.WriteFile(filepath.Join(data, "example.zone"), []byte(checkZone), 0o644)
	os.WriteFile(filepath.Join(data, "feeds", "c2.txt"), []byte("c2.bad.example\n"), 0o644)
	cfg := "zones:\n  - example.zone\nfeeds:\n  - name: c2\n    format: list\n    threat: botnet\n    source: feeds/c2.txt\nscan:\n  interval: 12h\n"
	os.WriteFile(filepath.Join(data, configName), []byte(cfg), 0o644)
	w := where{"--data", data}
	mustTool(t, w, "tld", "add", "--name", "example")
	doc, code, stderr := scanJSON(t, w)
	if code != 0 || len(doc.Findings) != 1 || doc.Findings[0].Name != "bad.example" || doc.Findings[0].Threat != "botnet" {
		t.Fatalf("configured check: exit %d, %+v\n%s", code, doc, stderr)
	}
	out := mustTool(t, w, "feeds")
	if !strings.Contains(out, "c2") || !strings.Contains(out, "list") || !strings.Contains(out, "ok: 1 entries, 1 matched") {
		t.Errorf("feeds:\n%s", out)
	}

	for _, tc := range []struct{ file, want string }{
		{"zones:\n  - example.zone\nfeeds:\n  - name: c2\n    format: list\n    threat: botnet\n    colour: red\n    source: x\n", "line 7: feeds[0].colour: unknown key"},
		{"feeds:\n  - name: c2\n    format: rss\n    source: x\n", "line 3: feeds[0].format: unknown format \"rss\""},
		{"feeds:\n  - name: c2\n    format: list\n    source: x\n", "feeds[0].threat: a list feed needs"},
		{"scan:\n  interval: daily\n", "line 2: scan.interval"},
		{"zones: example.zone\n", "line 1: zones: must be a list"},
		{"feeds:\n  - name: p\n    format: csv\n    source: x\n    csv: {threat: malware}\n", "feeds[0].csv.column"},
	} {
		bad := filepath.Join(dir, "bad.yaml")
		os.WriteFile(bad, []byte(tc.file), 0o644)
		out, err := tool(t, w, "scan", "--config", bad)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("config %q: err %v, output %q; want %q", tc.file, err, out, tc.want)
		}
		out, err = tool(t, w, "serve", "--config", bad, "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("serve with config %q: err %v, output %q", tc.file, err, out)
		}
	}
}

// checkFeeds serves a zone and a feed over HTTP with ETags.
type checkFeeds struct {
	mu       sync.Mutex
	files    map[string]string
	full     int
	notMod   int
	requests int
}

func (c *checkFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	body, ok := c.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%d"`, len(body))
	if r.Header.Get("If-None-Match") == etag {
		c.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	c.full++
	w.Header().Set("ETag", etag)
	fmt.Fprint(w, body)
}

// TestServeSchedulesChecks: "serve" with zones and feeds configured runs
// the check at start-up (none ran before) from HTTP sources, and a restart
// soon after does not run it again.
func TestServeSchedulesChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		cf := &checkFeeds{files: map[string]string{
			"/zones/example.zone.txt": checkZone,
			"/feeds/phish.txt":        "https://login.bad.example/a\nhttps://shop.example/b\n",
		}}
		hs := httptest.NewServer(cf)
		defer hs.Close()
		cfgPath := filepath.Join(t.TempDir(), "checks.yaml")
		os.WriteFile(cfgPath, []byte(fmt.Sprintf("zones:\n  - source: %s/zones/example.zone.txt\n    apex: example\nfeeds:\n  - name: phish\n    format: openphish\n    source: %s/feeds/phish.txt\nscan:\n  interval: 24h\n  cache_dir: %s\n",
			hs.URL, hs.URL, filepath.Join(filepath.Dir(cfgPath), "cache"))), 0o644)
		mustTool(t, w, "tld", "add", "--name", "example")
		token := lastLine(mustTool(t, w, "user", "add", "--email", "ana@nic.example", "--role", "auditor", "--token"))

		list := func(srv *server) []map[string]any {
			req, _ := http.NewRequest("GET", srv.url("/api/v1/scans"), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var page struct {
				Scans []map[string]any `json:"scans"`
			}
			json.NewDecoder(resp.Body).Decode(&page)
			return page.Scans
		}
		srv := startServer(t, w, "serve", "--config", cfgPath)
		deadline := time.Now().Add(60 * time.Second)
		var runs []map[string]any
		for {
			runs = list(srv)
			if len(runs) == 1 && runs[0]["status"] != "running" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no finished scheduled run: %v\n%s", runs, srv.output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if runs[0]["status"] != "ok" || runs[0]["trigger"] != "schedule" || runs[0]["findings"] != 2.0 || runs[0]["new_cases"] != 2.0 {
			t.Errorf("scheduled run %v\n%s", runs[0], srv.output())
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v", err)
		}

		// Restarted within the interval: no new run.
		srv = startServer(t, w, "serve", "--config", cfgPath)
		time.Sleep(time.Second)
		if runs := list(srv); len(runs) != 1 {
			t.Errorf("after a restart: %d runs, want 1", len(runs))
		}
		// A run from the command line beside it uses the cached copies.
		mustTool(t, w, "scan", "--config", cfgPath)
		cf.mu.Lock()
		full, notMod := cf.full, cf.notMod
		cf.mu.Unlock()
		if full != 2 || notMod != 2 {
			t.Errorf("downloads: %d full, %d not modified; want 2 and 2", full, notMod)
		}

		// SIGHUP with a broken file changes nothing; with a good one the
		// next run uses the new feed and interval, no restart.
		os.WriteFile(cfgPath, []byte("zones: [\n"), 0o644)
		srv.cmd.Process.Signal(syscall.SIGHUP)
		waitLog := func(what string) {
			t.Helper()
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(srv.output(), what); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no %q in the log:\n%s", what, srv.output())
				}
			}
		}
		waitLog("config reload failed")
		cf.mu.Lock()
		cf.files["/feeds/more.txt"] = "https://xn--bcher-kva.example/x\n"
		cf.mu.Unlock()
		os.WriteFile(cfgPath, []byte(fmt.Sprintf("zones:\n  - source: %s/zones/example.zone.txt\n    apex: example\nfeeds:\n  - name: phish\n    format: openphish\n    source: %s/feeds/phish.txt\n  - name: more\n    format: openphish\n    source: %s/feeds/more.txt\nscan:\n  interval: 1s\n  cache_dir: %s\n",
			hs.URL, hs.URL, hs.URL, filepath.Join(filepath.Dir(cfgPath), "cache"))), 0o644)
		srv.cmd.Process.Signal(syscall.SIGHUP)
		waitLog("zone check rescheduled")
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			runs = list(srv)
			if len(runs) > 2 && runs[0]["status"] != "running" && runs[0]["trigger"] == "schedule" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no scheduled run after the reload: %v\n%s", runs, srv.output())
			}
		}
		feeds, _ := runs[0]["feeds"].([]any)
		if runs[0]["status"] != "ok" || len(feeds) != 2 || runs[0]["findings"] != 3.0 {
			t.Errorf("run after the reload: %v", runs[0])
		}
		srv.stop(t, syscall.SIGTERM)
	})
}
