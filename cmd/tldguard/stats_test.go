package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
	"github.com/tldguard/tldguard/stats"
)

// runTool runs one command line in process and returns its exit code and
// output.
func runTool(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// lastMonth is the calendar month before the current one: over, so it can
// be snapshotted.
func lastMonth() stats.Period { return monthBefore(stats.Month(time.Now())) }

func monthBefore(p stats.Period) stats.Period { return stats.Month(p.From.Add(-time.Hour)) }

// TestStatsCommand: the report in each format, snapshots stored once,
// listed, shown byte for byte as hashed, and verified, on both engines.
func TestStatsCommand(t *testing.T) {
	eachEngine(t, func(t *testing.T, w where) {
		db := []string(w)
		if code, _, errOut := runTool(t, append([]string{"tld", "add", "--name", "example"}, db...)...); code != 0 {
			t.Fatalf("tld add: %s", errOut)
		}
		month := lastMonth().Label

		code, out, errOut := runTool(t, append([]string{"stats", "--period", month, "--format", "csv"}, db...)...)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if code != 0 || err != nil || rows[0][0] != "section" {
			t.Fatalf("stats csv: %d %v %s %s", code, err, errOut, out)
		}
		code, out, _ = runTool(t, append([]string{"stats", "--period", month, "--tld", "example", "--format", "html"}, db...)...)
		if code != 0 || !strings.Contains(out, "<svg") || !strings.Contains(out, "TLD .example") {
			t.Errorf("stats html: %d %.200s", code, out)
		}
		code, out, _ = runTool(t, append([]string{"stats", "--from", "2026-01-01", "--to", "2026-01-31", "--detail"}, db...)...)
		var rep stats.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Period.Kind != stats.KindCustom {
			t.Errorf("stats json: %d %.300s", code, out)
		}

		code, out, errOut = runTool(t, append([]string{"stats", "snapshot", "--period", month}, db...)...)
		if code != 0 || !strings.Contains(out, "2 snapshot(s) stored") {
			t.Fatalf("stats snapshot: %d %s %s", code, out, errOut)
		}
		code, out, _ = runTool(t, append([]string{"stats", "snapshot", "--period", month}, db...)...)
		if code != 0 || !strings.Contains(out, "already stored") || !strings.Contains(out, "0 snapshot(s) stored") {
			t.Errorf("a second stats snapshot: %d %s", code, out)
		}
		code, out, _ = runTool(t, append([]string{"stats", "snapshot", "--period", month, "--tld", "example"}, db...)...)
		if code != 1 {
			t.Errorf("a second snapshot of one TLD: exit %d, want 1", code)
		}
		code, out, _ = runTool(t, append([]string{"stats", "snapshots"}, db...)...)
		if code != 0 || !strings.Contains(out, month) || !strings.Contains(out, ".example") {
			t.Errorf("stats snapshots: %d %s", code, out)
		}
		code, shown, _ := runTool(t, append([]string{"stats", "show", "--period", month}, db...)...)
		sum := sha256.Sum256([]byte(shown))
		if code != 0 || !strings.Contains(out, hex.EncodeToString(sum[:])) {
			t.Errorf("stats show does not print the hashed bytes: %d\n%s", code, out)
		}
		code, out, errOut = runTool(t, append([]string{"stats", "verify", "--period", month, "--tld", "example"}, db...)...)
		if code != 0 || !strings.Contains(out, "same report: true") {
			t.Errorf("stats verify: %d %s %s", code, out, errOut)
		}

		thisMonth := stats.Month(time.Now()).Label
		if code, _, errOut := runTool(t, append([]string{"stats", "snapshot", "--period", thisMonth}, db...)...); code != 1 || !strings.Contains(errOut, "not over") {
			t.Errorf("a snapshot of this month: %d %s", code, errOut)
		}
		for _, bad := range [][]string{
			{"stats", "--period", "2026-13"},
			{"stats", "--period", month, "--format", "xml"},
			{"stats"},
			{"stats", "snapshot", "--period", "2026-Q3"},
		} {
			if code, _, _ := runTool(t, append(bad, db...)...); code != 2 {
				t.Errorf("%v: exit %d, want 2", bad, code)
			}
		}
	})
}

// TestServeStatsAndMetrics: a server with --metrics-addr and
// --transparency serves the statistics, the public report and /metrics on
// its own listener, and takes the missed monthly snapshots at start.
func TestServeStatsAndMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		ctx := tldguard.System(context.Background(), "test")
		// Two months ago is over, its grace hour too, whenever the test runs.
		early := monthBefore(lastMonth())
		setup := service.New(service.Config{Store: store, Registry: localregistry.New(store), Now: func() time.Time { return early.From.Add(time.Hour) }})
		if _, err := setup.AddTLD(ctx, "example"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := setup.CreateUser(ctx, "aud@nic.example", "", tldguard.RoleAuditor); err != nil {
			t.Fatal(err)
		}
		token, err := setup.CreateUserToken(ctx, "aud@nic.example", "test")
		if err != nil {
			t.Fatal(err)
		}
		setup.Close()
		m := &Main{Config: Config{Store: store.(engine), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Transparency: true,
			Logger: slog.New(slog.DiscardHandler)}}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		base := "http://" + m.Addr().String()
		get := func(url, token, accept string) (int, string, http.Header) {
			t.Helper()
			req, _ := http.NewRequest("GET", url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		if code, body, hdr := get(base+"/api/v1/stats?period="+lastMonth().Label, token, "text/csv"); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Errorf("stats: %d %s", code, body)
		}
		// The scheduler takes the snapshots of the months since the first
		// event at start; the public report then lists them.
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, body, _ := get(base+"/api/v1/transparency", "", "")
			if code == 200 && strings.Contains(body, `"period":"`+early.Label+`"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("transparency: %d %s", code, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		code, body, hdr := get("http://"+m.MetricsAddr().String()+"/metrics", "", "")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("metrics: %d %s", code, body)
		}
		for _, want := range []string{
			`tldguard_http_requests_total{route="GET /api/v1/stats",code="200"} 1`,
			`tldguard_cases_open{priority="standard",status="open"} 0`,
			"# TYPE tldguard_zone_check_duration_seconds histogram",
			`tldguard_metrics_collector_errors{collector="database"} 0`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
		// The metrics are not on the main listener.
		if code, _, _ := get(base+"/metrics", "", ""); code != http.StatusNotFound {
			t.Errorf("/metrics on the main listener: %d", code)
		}
	})
}
