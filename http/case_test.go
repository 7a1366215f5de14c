package http

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func testCase() *tldguard.Case {
	return &tldguard.Case{
		ID: 42, Domain: "bad.example", TLD: "example", ThreatType: tldguard.ThreatPhishing,
		Status: tldguard.StatusOpen, Priority: tldguard.PriorityHigh, Classification: tldguard.ClassMalicious,
		Registered: true, ReportCount: 2, Version: 3,
		OpenedAt: t0.Add(-48 * time.Hour), ResponseDueAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-time.Hour),
	}
}

func TestListCasesFilter(t *testing.T) {
	f := newFixture(t)
	var got tldguard.CaseFilter
	next := &tldguard.CaseCursor{Key: t0, ID: 41}
	f.cases.CasesFn = func(_ context.Context, fl tldguard.CaseFilter) (*tldguard.CasePage, error) {
		got = fl
		return &tldguard.CasePage{Cases: []*tldguard.Case{testCase()}, Next: next}, nil
	}
	cur := (&tldguard.CaseCursor{Key: t0.Add(time.Hour), ID: 50}).String()
	w := f.do("GET", "/api/v1/cases?status=open,in_progress&status=open&priority=high&tld=EXAMPLE.&threat_type=phishing"+
		"&registrar=9999&domain=Bad.Example&overdue=true&sort=newest&limit=10&cursor="+cur, "", as(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := tldguard.CaseFilter{
		Status: []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress}, Priority: tldguard.PriorityHigh,
		TLD: "example", ThreatType: tldguard.ThreatPhishing, RegistrarID: "9999", Domain: "bad.example",
		Overdue: true, Now: t0, Sort: tldguard.SortNewest, Limit: 10, After: &tldguard.CaseCursor{Key: t0.Add(time.Hour), ID: 50},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter\n got %+v\nwant %+v", got, want)
	}
	m := decode(t, w)
	if m["next_cursor"] != next.String() {
		t.Errorf("next_cursor = %v", m["next_cursor"])
	}
	c := m["cases"].([]any)[0].(map[string]any)
	if c["number"] != "TG-0000042" || c["overdue"] != true || c["opened_at"] != "2025-02-27T12:00:00Z" || c["version"] != 3.0 {
		t.Errorf("case = %v", c)
	}
	if _, ok := c["closed_at"]; ok {
		t.Error("a zero time is shown")
	}
	if link := w.Header().Get("Link"); !strings.Contains(link, "cursor="+next.String()) || !strings.Contains(link, "status=open%2Cin_progress") ||
		!strings.HasSuffix(link, `>; rel="next"`) {
		t.Errorf("Link = %q", link)
	}
}

func TestListCasesDefaults(t *testing.T) {
	f := newFixture(t)
	var got tldguard.CaseFilter
	f.cases.CasesFn = func(_ context.Context, fl tldguard.CaseFilter) (*tldguard.CasePage, error) {
		got = fl
		return &tldguard.CasePage{}, nil
	}
	w := f.do("GET", "/api/v1/cases", "", as(tldguard.RoleReporter)...)
	if w.Code != http.StatusOK || got.Limit != 50 || got.Status != nil || got.After != nil {
		t.Fatalf("status %d, filter %+v", w.Code, got)
	}
	if m := decode(t, w); len(m["cases"].([]any)) != 0 || m["next_cursor"] != nil || w.Header().Get("Link") != "" {
		t.Errorf("empty page = %v, Link %q", m, w.Header().Get("Link"))
	}
}

func TestListCasesBadParams(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{
		"status=pending", "status=open,", "priority=urgent", "tld=ex_ample", "threat_type=spamm",
		"domain=bad..example", "domain=example", "overdue=yes", "sort=oldest", "limit=0", "limit=201",
		"cursor=zzz", "stauts=open", "registrar=" + strings.Repeat("9", 65),
	} {
		w := f.do("GET", "/api/v1/cases?"+q, "", as(tldguard.RoleAdmin)...)
		wantProblem(t, w, http.StatusBadRequest, strings.SplitN(q, "=", 2)[0])
	}
}

func TestGetCase(t *testing.T) {
	f := newFixture(t)
	f.cases.CaseFn = func(_ context.Context, id int64) (*tldguard.CaseDetail, error) {
		if id != 42 {
			return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no case %d", id)
		}
		return &tldguard.CaseDetail{
			Case:     testCase(),
			Reports:  []*tldguard.Report{{ID: 9, Raw: []byte("raw report"), RawSHA256: []byte{0xff}, CaseIDs: []int64{42}}},
			Evidence: []tldguard.Evidence{{ID: 1, ReportID: 9, SHA256: []byte{0xaa}, Size: 3, MediaType: "text/plain", Filename: "x.txt"}, {ID: 2, URL: "http://bad.example/p"}},
			Events: []*tldguard.Event{{Seq: 1, At: t0, Actor: "reporter:CERT", Action: "case.opened", CaseID: 42, Subject: "case:42",
				Data: []byte(`{"domain":"bad.example"}`), PrevHash: tldguard.ZeroHash, Hash: []byte{0xbe, 0xef}}},
		}, nil
	}
	for _, id := range []string{"42", "TG-0000042", "tg-42"} {
		w := f.do("GET", "/api/v1/cases/"+id, "", as(tldguard.RoleAuditor)...)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", id, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "raw report") {
			t.Fatal("the case page shows a report's raw bytes")
		}
		m := decode(t, w)
		rp := m["reports"].([]any)[0].(map[string]any)
		ev := m["evidence"].([]any)
		e := m["events"].([]any)[0].(map[string]any)
		if m["number"] != "TG-0000042" || rp["sha256"] != "ff" || ev[0].(map[string]any)["sha256"] != "aa" ||
			ev[1].(map[string]any)["url"] != "http://bad.example/p" {
			t.Errorf("case = %v", m)
		}
		if e["seq"] != 1.0 || e["hash"] != "beef" || e["data"].(map[string]any)["domain"] != "bad.example" ||
			e["at"] != "2025-03-01T12:00:00Z" || e["prev_hash"] != strings.Repeat("0", 64) {
			t.Errorf("event = %v", e)
		}
	}
	wantProblem(t, f.do("GET", "/api/v1/cases/43", "", as(tldguard.RoleAuditor)...), http.StatusNotFound, "")
	wantProblem(t, f.do("GET", "/api/v1/cases/TG-x", "", as(tldguard.RoleAuditor)...), http.StatusBadRequest, "id")
}

func TestUpdateCase(t *testing.T) {
	f := newFixture(t)
	var got tldguard.CaseUpdate
	f.cases.UpdateCaseFn = func(ctx context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
		if id != 42 || tldguard.FromContext(ctx).Role != tldguard.RoleApprover {
			t.Errorf("UpdateCase(%d) by %+v", id, tldguard.FromContext(ctx))
		}
		got = u
		c := testCase()
		c.Status, c.Version = tldguard.StatusClosed, 4
		return c, nil
	}
	w := f.do("PATCH", "/api/v1/cases/TG-0000042", `{"assignee":"","status":"closed","classification":"compromised","reason":"cleaned","version":3}`,
		hdrs(as(tldguard.RoleApprover), jsonCT)...)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got.Assignee == nil || *got.Assignee != "" || *got.Status != tldguard.StatusClosed || *got.Classification != tldguard.ClassCompromised ||
		got.Priority != nil || got.Reason != "cleaned" || got.Version != 3 {
		t.Errorf("update = %+v", got)
	}
	if m := decode(t, w); m["status"] != "closed" || m["version"] != 4.0 {
		t.Errorf("case = %v", m)
	}
}

func TestUpdateCaseErrors(t *testing.T) {
	f := newFixture(t)
	f.cases.UpdateCaseFn = func(_ context.Context, _ int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
		switch {
		case u.Version == 2:
			return nil, tldguard.Errorf(tldguard.ECONFLICT, "the case changed since version 2")
		case u.Reason == "":
			return nil, tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "reason", "closing a case needs a reason")
		}
		return testCase(), nil
	}
	for _, tc := range []struct {
		body   string
		status int
		field  string
		detail string
	}{
		{`{"version":2}`, http.StatusConflict, "", "changed since"},
		{`{"status":"closed"}`, http.StatusUnprocessableEntity, "reason", "needs a reason"},
		{`{"statsu":"closed"}`, http.StatusBadRequest, "statsu", "unknown member"},
		{`{"status":"done"}`, http.StatusBadRequest, "status", "open, in_progress or closed"},
		{`{"priority":"urgent"}`, http.StatusBadRequest, "priority", ""},
		{`{"version":"3"}`, http.StatusBadRequest, "version", "expected a number"},
		{"{\n  \"status\": \"closed\",\n  \"reason\": x\n}", http.StatusBadRequest, "", "line 3, column 13"},
		{`{"status":"closed"`, http.StatusBadRequest, "", "line 1, column 19"},
		{`{} {}`, http.StatusBadRequest, "", "data after the JSON value"},
		{``, http.StatusBadRequest, "", "empty"},
		{`[]`, http.StatusBadRequest, "", "expected an object"},
	} {
		w := f.do("PATCH", "/api/v1/cases/42", tc.body, hdrs(as(tldguard.RoleAnalyst), jsonCT)...)
		p := wantProblem(t, w, tc.status, tc.field)
		if !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: detail %q, want it to contain %q", tc.body, p.Detail, tc.detail)
		}
	}
	// A body that is not declared JSON is refused before it is read.
	w := f.do("PATCH", "/api/v1/cases/42", `{"reason":"x"}`, hdrs(as(tldguard.RoleAnalyst), []string{"Content-Type", "application/x-www-form-urlencoded"})...)
	wantProblem(t, w, http.StatusBadRequest, "Content-Type")
}
