package http

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/metrics"
	"github.com/tldguard/tldguard/stats"
)

// statsFake answers with a small report and remembers the query.
type statsFake struct {
	got          stats.Query
	transparency bool
}

func (f *statsFake) Report(ctx context.Context, q stats.Query) (*stats.Report, error) {
	if p := tldguard.FromContext(ctx); p == nil || !p.HasRole(tldguard.StaffRoles...) {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "staff only")
	}
	f.got = q
	r := &stats.Report{Format: stats.FormatVersion, Period: q.Period, TLD: q.TLD,
		Identified: stats.Identified{Total: 3, ByType: map[string]int64{"phishing": 3}, BySource: map[string]int64{"public": 3}},
		Actions:    stats.Actions{ByActor: map[string]int64{}},
		OpenAtEnd:  stats.OpenAtEnd{ByStatus: map[string]int64{}, ByType: map[string]int64{}, ByPriority: map[string]int64{}}}
	if q.Detail {
		r.Detail = []stats.Detail{{Case: "TG-0000001", Domain: "bad.example", Counts: []string{"identified"}}}
	}
	return r, nil
}

func (f *statsFake) Transparency(context.Context) (*stats.Transparency, error) {
	if !f.transparency {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "not published")
	}
	return &stats.Transparency{Months: []stats.PublicMonth{{Period: "2026-10", Identified: 3}}}, nil
}

// newStatsFixture is the fixture's server rebuilt with a statistics
// service and a metrics registry.
func newStatsFixture(t *testing.T) (*fixture, *statsFake, *metrics.Registry) {
	f := newFixture(t)
	fake := &statsFake{transparency: true}
	reg := metrics.NewRegistry()
	srv, err := NewServer(Config{Logger: slog.New(slog.DiscardHandler), Now: f.clock, Metrics: reg},
		Services{Reports: f.reports, Cases: f.cases, Auth: f.auth, Audit: f.audit, Stats: fake})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f, fake, reg
}

// TestStatsRoles walks the statistics routes as every role: staff read the
// report, nobody else; anyone reads the transparency report.
func TestStatsRoles(t *testing.T) {
	f, _, _ := newStatsFixture(t)
	for _, role := range append([]tldguard.Role{""}, tldguard.Roles...) {
		var hdr []string
		if role != "" {
			hdr = as(role)
		}
		w := f.do("GET", "/api/v1/stats?period=2026-10", "", hdr...)
		switch {
		case role == "":
			wantProblem(t, w, http.StatusUnauthorized, "")
		case role.Staff():
			if w.Code != http.StatusOK {
				t.Errorf("%s: status %d, body %s", role, w.Code, w.Body)
			}
		default:
			wantProblem(t, w, http.StatusForbidden, "")
		}
		if w := f.do("GET", "/api/v1/transparency", "", hdr...); w.Code != http.StatusOK {
			t.Errorf("transparency as %q: status %d", role, w.Code)
		}
	}
}

func TestStatsParameters(t *testing.T) {
	f, fake, _ := newStatsFixture(t)
	for _, tc := range []struct {
		query string
		field string
	}{
		{"", "period"},
		{"period=2026-13", "period"},
		{"period=2026-10&from=2026-10-01", "period"},
		{"from=2026-10-01", "to"},
		{"to=2026-10-01", "from"},
		{"from=2026-10-09&to=2026-10-01", "to"},
		{"period=2026-10&format=xml", "format"},
		{"period=2026-10&detail=maybe", "detail"},
		{"period=2026-10&color=red", "color"},
	} {
		wantProblem(t, f.do("GET", "/api/v1/stats?"+tc.query, "", as(tldguard.RoleAuditor)...), http.StatusBadRequest, tc.field)
	}
	w := f.do("GET", "/api/v1/stats?from=2026-10-01&to=2026-10-15&tld=example&detail=true", "", as(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC)
	if fake.got.TLD != "example" || !fake.got.Detail || !fake.got.Period.To.Equal(want) || fake.got.Period.Kind != stats.KindCustom {
		t.Errorf("the service was asked %+v", fake.got)
	}
}

// TestStatsFormats: the format parameter, else Accept, picks JSON, CSV or
// HTML; the HTML page gets a policy that allows its own stylesheet only.
func TestStatsFormats(t *testing.T) {
	f, _, _ := newStatsFixture(t)
	for _, tc := range []struct {
		query, accept string
		ctype         string
	}{
		{"", "", "application/json"},
		{"", "*/*", "application/json"},
		{"", "text/csv", "text/csv; charset=utf-8; header=present"},
		{"", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/html; charset=utf-8"},
		{"", "application/json;q=0.5, text/csv", "text/csv; charset=utf-8; header=present"},
		{"", "text/csv;q=0, application/xml", "application/json"},
		{"&format=html", "text/csv", "text/html; charset=utf-8"},
		{"&format=csv&detail=true", "", "text/csv; charset=utf-8; header=present"},
	} {
		hdr := as(tldguard.RoleApprover)
		if tc.accept != "" {
			hdr = append(hdr, "Accept", tc.accept)
		}
		w := f.do("GET", "/api/v1/stats?period=2026-10"+tc.query, "", hdr...)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tc.ctype {
			t.Errorf("%q, Accept %q: status %d, Content-Type %q, want %q", tc.query, tc.accept, w.Code, w.Header().Get("Content-Type"), tc.ctype)
			continue
		}
		if w.Header().Get("Vary") != "Accept" {
			t.Errorf("%q: no Vary: Accept", tc.query)
		}
		switch {
		case strings.HasPrefix(tc.ctype, "application/json"):
			var r stats.Report
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.Identified.Total != 3 {
				t.Errorf("JSON body %s: %v", w.Body, err)
			}
		case strings.HasPrefix(tc.ctype, "text/csv"):
			rows, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Errorf("CSV body %s: %v", w.Body, err)
			}
			wantName := `attachment; filename=tldguard-stats-2026-10.csv`
			if strings.Contains(tc.query, "detail") {
				wantName = `attachment; filename=tldguard-stats-2026-10-detail.csv`
				if rows[0][0] != "case" || rows[1][1] != "bad.example" {
					t.Errorf("detail CSV %v", rows)
				}
			}
			if got := w.Header().Get("Content-Disposition"); got != wantName {
				t.Errorf("Content-Disposition %q, want %q", got, wantName)
			}
		default:
			if !strings.Contains(w.Body.String(), "<svg") || w.Header().Get("Content-Security-Policy") != stats.ContentSecurityPolicy {
				t.Errorf("HTML page: CSP %q", w.Header().Get("Content-Security-Policy"))
			}
		}
	}
}

func TestTransparencyRoute(t *testing.T) {
	f, fake, _ := newStatsFixture(t)
	w := f.do("GET", "/api/v1/transparency", "", "Accept", "text/html")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "2026-10") || w.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("page: %d %q %s", w.Code, w.Header().Get("Cache-Control"), w.Body)
	}
	w = f.do("GET", "/api/v1/transparency", "")
	if m := decode(t, w); len(m["months"].([]any)) != 1 {
		t.Errorf("JSON: %v", m)
	}
	wantProblem(t, f.do("GET", "/api/v1/transparency?format=csv", ""), http.StatusBadRequest, "format")
	fake.transparency = false
	wantProblem(t, f.do("GET", "/api/v1/transparency", ""), http.StatusNotFound, "")
	// Without a statistics service the routes exist and answer 404.
	plain := newFixture(t)
	wantProblem(t, plain.do("GET", "/api/v1/stats?period=2026-10", "", as(tldguard.RoleAdmin)...), http.StatusNotFound, "")
}

// TestRequestMetrics: requests are counted by route pattern (never the raw
// path) and status, with their latency.
func TestRequestMetrics(t *testing.T) {
	f, _, reg := newStatsFixture(t)
	f.do("GET", "/api/v1/stats?period=2026-10", "", as(tldguard.RoleAdmin)...)
	f.do("GET", "/api/v1/stats?period=2026-10", "", as(tldguard.RoleReporter)...)
	f.do("GET", "/no/such/path/4711", "")
	f.do("GET", "/healthz", "")
	var page bytes.Buffer
	if err := reg.WriteTo(context.Background(), &page); err != nil {
		t.Fatal(err)
	}
	text := page.String()
	for _, want := range []string{
		`tldguard_http_requests_total{route="GET /api/v1/stats",code="200"} 1`,
		`tldguard_http_requests_total{route="GET /api/v1/stats",code="403"} 1`,
		`tldguard_http_requests_total{route="unmatched",code="404"} 1`,
		`tldguard_http_requests_total{route="GET /healthz",code="200"} 1`,
		`tldguard_http_request_duration_seconds_bucket{route="GET /healthz",code="200",le="+Inf"} 1`,
		`tldguard_http_request_duration_seconds_count{route="GET /api/v1/stats",code="403"} 1`,
		"# TYPE tldguard_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the metrics lack %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "4711") {
		t.Error("a raw path became a label")
	}
}
