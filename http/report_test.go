package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestSubmitReport(t *testing.T) {
	f := newFixture(t)
	paris := time.FixedZone("CET", 3600)
	var got *tldguard.Submission
	var actor string
	f.reports.SubmitReportFn = func(ctx context.Context, s *tldguard.Submission) (*tldguard.Receipt, error) {
		got, actor = s, tldguard.FromContext(ctx).Actor()
		due := time.Date(2025, 3, 4, 13, 0, 0, 0, paris)
		return &tldguard.Receipt{
			ReportID: 17, ReceivedAt: time.Date(2025, 3, 1, 13, 0, 0, 0, paris), SHA256: "ab12",
			Priority: tldguard.PriorityStandard, ResponseDueAt: due,
			Cases: []tldguard.ReceiptCase{{ID: 42, Number: "TG-0000042", Domain: "bad.example",
				ThreatType: tldguard.ThreatPhishing, Priority: tldguard.PriorityStandard, ResponseDueAt: due, Registered: true, New: true}},
		}, nil
	}
	body := `{"type":"phishing","names":["bad.example"]}`
	w := f.do("POST", "/api/v1/reports", body, hdrs(as(tldguard.RoleReporter),
		[]string{"Content-Type", "application/vnd.tldguard.report+json", "Idempotency-Key", "k-1"})...)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "/api/v1/reports/17" {
		t.Errorf("Location = %q", loc)
	}
	if string(got.Raw) != body || got.ContentType != "application/vnd.tldguard.report+json" || got.IdempotencyKey != "k-1" {
		t.Errorf("submission = %+v", got)
	}
	if actor != "reporter:CERT-reporter" {
		t.Errorf("service saw actor %q", actor)
	}
	m := decode(t, w)
	if m["report_id"] != 17.0 || m["received_at"] != "2025-03-01T12:00:00Z" || m["response_due_at"] != "2025-03-04T12:00:00Z" {
		t.Errorf("receipt = %v", m)
	}
	c := m["cases"].([]any)[0].(map[string]any)
	if c["number"] != "TG-0000042" || c["threat_type"] != "phishing" || c["response_due_at"] != "2025-03-04T12:00:00Z" || c["new"] != true {
		t.Errorf("receipt case = %v", c)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
}

func TestSubmitReportTooLarge(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.BodyLimit = 1024 })
	f.reports.SubmitReportFn = func(context.Context, *tldguard.Submission) (*tldguard.Receipt, error) {
		t.Fatal("the service got an oversized body")
		return nil, nil
	}
	big := strings.Repeat("x", 1025)
	// Declared too large, and too large without a declared length.
	w := f.do("POST", "/api/v1/reports", big, as(tldguard.RoleReporter)...)
	p := wantProblem(t, w, http.StatusRequestEntityTooLarge, "")
	if p.Kind != tldguard.ETOOLARGE || !strings.Contains(p.Detail, "1 KiB") {
		t.Errorf("problem = %+v", p)
	}
	r := req("POST", "/api/v1/reports", big, as(tldguard.RoleReporter)...)
	r.ContentLength = -1
	wantProblem(t, f.serve(r), http.StatusRequestEntityTooLarge, "")
}

func TestSubmitReportIdempotencyKeyChecked(t *testing.T) {
	f := newFixture(t)
	for _, key := range []string{strings.Repeat("k", 256), "tab\there"} {
		w := f.do("POST", "/api/v1/reports", "{}", hdrs(as(tldguard.RoleRegistrar), []string{"Idempotency-Key", key})...)
		wantProblem(t, w, http.StatusBadRequest, "Idempotency-Key")
	}
}

// TestSubmitReportServiceErrors checks the kinds the service returns come
// back with their status and the field they name.
func TestSubmitReportServiceErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		field  string
	}{
		{tldguard.Errorf(tldguard.ECONFLICT, "Idempotency-Key k-1 was used with another body"), http.StatusConflict, ""},
		{tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "names[0]", "evil.test is not in a TLD we run"), http.StatusUnprocessableEntity, "names[0]"},
		{tldguard.FieldErrorf(tldguard.EINVALID, "type", "unknown threat type"), http.StatusBadRequest, "type"},
		{tldguard.Errorf(tldguard.ETOOLARGE, "too many evidence items"), http.StatusRequestEntityTooLarge, ""},
	} {
		f := newFixture(t)
		f.reports.SubmitReportFn = func(context.Context, *tldguard.Submission) (*tldguard.Receipt, error) { return nil, tc.err }
		w := f.do("POST", "/api/v1/reports", "{}", as(tldguard.RoleReporter)...)
		p := wantProblem(t, w, tc.status, tc.field)
		if p.Detail != tldguard.ErrorMessage(tc.err) && !strings.HasSuffix(tldguard.ErrorMessage(tc.err), p.Detail) {
			t.Errorf("detail = %q for %v", p.Detail, tc.err)
		}
	}
}

func TestListReports(t *testing.T) {
	f := newFixture(t)
	var got tldguard.ReportFilter
	f.reports.ReportsFn = func(_ context.Context, fl tldguard.ReportFilter) ([]*tldguard.Report, error) {
		got = fl
		if fl.Limit == 2 {
			return []*tldguard.Report{{ID: 9, CaseIDs: []int64{42}, RawSHA256: []byte{0xab, 0xcd}}, {ID: 8}}, nil
		}
		return []*tldguard.Report{{ID: 9}}, nil
	}
	w := f.do("GET", "/api/v1/reports?limit=2&case=TG-0000042&cursor=10", "", as(tldguard.RoleAuditor)...)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got.Limit != 2 || got.CaseID != 42 || got.BeforeID != 10 {
		t.Errorf("filter = %+v", got)
	}
	m := decode(t, w)
	reports := m["reports"].([]any)
	if len(reports) != 2 || m["next_cursor"] != "8" {
		t.Fatalf("page = %v", m)
	}
	r0 := reports[0].(map[string]any)
	if r0["sha256"] != "abcd" || r0["cases"].([]any)[0].(map[string]any)["number"] != "TG-0000042" {
		t.Errorf("report = %v", r0)
	}
	if _, ok := r0["raw"]; ok {
		t.Error("a report shows its raw bytes")
	}
	if link := w.Header().Get("Link"); link != `</api/v1/reports?case=TG-0000042&cursor=8&limit=2>; rel="next"` {
		t.Errorf("Link = %q", link)
	}
	// A page shorter than the limit is the last.
	w = f.do("GET", "/api/v1/reports", "", as(tldguard.RoleReporter)...)
	if m := decode(t, w); got.Limit != 50 || m["next_cursor"] != nil || w.Header().Get("Link") != "" {
		t.Errorf("last page: limit %d, body %v, Link %q", got.Limit, m, w.Header().Get("Link"))
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=-1", "case=abc", "reporter=0", "sort=due"} {
		w := f.do("GET", "/api/v1/reports?"+q, "", as(tldguard.RoleAdmin)...)
		wantProblem(t, w, http.StatusBadRequest, strings.Split(q, "=")[0])
	}
}

func TestGetReport(t *testing.T) {
	f := newFixture(t)
	f.reports.ReportFn = func(_ context.Context, id int64) (*tldguard.Report, error) {
		if id != 5 {
			return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no report %d", id)
		}
		return &tldguard.Report{ID: 5, ThreatType: tldguard.ThreatMalware, Raw: []byte("secret raw"),
			Targets:  []tldguard.Target{{Input: "http://bad.example/x", Domain: "bad.example"}},
			Evidence: []tldguard.Evidence{{ID: 1, SHA256: []byte{1, 2}, Size: 10, MediaType: "image/png", Filename: "a.png"}}}, nil
	}
	w := f.do("GET", "/api/v1/reports/5", "", as(tldguard.RoleReporter)...)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "secret raw") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	m := decode(t, w)
	if m["threat_type"] != "malware" || m["evidence"].([]any)[0].(map[string]any)["sha256"] != "0102" {
		t.Errorf("report = %v", m)
	}
	wantProblem(t, f.do("GET", "/api/v1/reports/6", "", as(tldguard.RoleReporter)...), http.StatusNotFound, "")
	wantProblem(t, f.do("GET", "/api/v1/reports/x", "", as(tldguard.RoleReporter)...), http.StatusBadRequest, "id")
}
