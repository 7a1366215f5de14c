package main

import (
	"context"
	"encoding/json"
	"fmt"
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
)

// apiEnv is a whole server, in process, on a real store, with accounts.
type apiEnv struct {
	t       *testing.T
	base    string
	le      string // verified law-enforcement token
	public  string
	analyst string
	auditor string
}

func newAPIEnv(t *testing.T, store tldguard.Store) *apiEnv {
	t.Helper()
	e, ok := store.(engine)
	if !ok {
		t.Fatalf("%T cannot migrate", store)
	}
	ctx := tldguard.System(context.Background(), "test")
	setup := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	if _, err := setup.AddTLD(ctx, "example"); err != nil {
		t.Fatal(err)
	}
	registrars, regs := sampleRegistry(200, time.Now())
	if err := setup.ImportRegistry(ctx, registrars, regs); err != nil {
		t.Fatal(err)
	}
	env := &apiEnv{t: t}
	var err error
	if _, env.le, err = setup.CreateReporter(ctx, service.ReporterInput{Name: "Metro Police", Source: tldguard.SourceLawEnforcement, VerifiedBy: "admin", VerifiedHow: "switchboard call"}); err != nil {
		t.Fatal(err)
	}
	if _, env.public, err = setup.CreateReporter(ctx, service.ReporterInput{Name: "Public", Source: tldguard.SourcePublic}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		email string
		role  tldguard.Role
		tok   *string
	}{{"ann@nic.example", tldguard.RoleAnalyst, &env.analyst}, {"aud@nic.example", tldguard.RoleAuditor, &env.auditor}} {
		if _, _, err := setup.CreateUser(ctx, u.email, "", u.role); err != nil {
			t.Fatal(err)
		}
		if *u.tok, err = setup.CreateUserToken(ctx, u.email, "test"); err != nil {
			t.Fatal(err)
		}
	}
	setup.Close()
	m := &Main{Config: Config{Store: e, Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	env.base = "http://" + m.Addr().String()
	return env
}

// do sends a request and decodes a JSON answer into out (if non-nil).
func (e *apiEnv) do(method, path, token string, body string, hdr map[string]string, out any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp
}

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

func TestAPIEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		e := newAPIEnv(t, store)
		name := sampleName(7)

		var rec tldguard.Receipt
		resp := e.do("POST", "/api/v1/reports", e.le, `{"threat_type":"phishing","names":["https://login.`+name+`/x"],
			"request":{"authority":"Metro Police","urgency":"child_exploitation","urgency_reason":"grooming site","do_not_notify_registrar":true}}`, nil, &rec)
		if resp.StatusCode != http.StatusAccepted || rec.Priority != tldguard.PriorityHigh || len(rec.Cases) != 1 || !rec.Cases[0].Registered {
			t.Fatalf("urgent LE report: %d %+v", resp.StatusCode, rec)
		}
		if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/reports/%d", rec.ReportID) {
			t.Errorf("Location %q", loc)
		}
		caseID := rec.Cases[0].ID

		// XARF v4 from the public attaches to the same case.
		xarf := `{"xarf_version":"4.0.0","report_id":"5b0a","timestamp":"2026-11-02T08:00:00Z","reporter":{"org":"Someone","contact":"a@b.example","domain":"b.example"},
			"sender":{"org":"Someone","contact":"a@b.example","domain":"b.example"},"source_identifier":"192.0.2.1","category":"content","type":"phishing",
			"url":"http://www.` + name + `/wp-admin/login.php"}`
		var rec2 tldguard.Receipt
		resp = e.do("POST", "/api/v1/reports", e.public, xarf, map[string]string{"Content-Type": "application/json"}, &rec2)
		if resp.StatusCode != http.StatusAccepted || len(rec2.Cases) != 1 || rec2.Cases[0].ID != caseID || rec2.Priority != tldguard.PriorityHigh {
			t.Fatalf("XARF report: %d %+v", resp.StatusCode, rec2)
		}

		// Refusals name the field and store nothing.
		var p problem
		resp = e.do("POST", "/api/v1/reports", e.public, `{"threat_type":"phishing","names":["`+name+`","evil.com"]}`, nil, &p)
		if resp.StatusCode != http.StatusUnprocessableEntity || p.Field != "names[1]" || !strings.Contains(p.Detail, "evil.com") {
			t.Errorf("name outside the TLD: %d %+v", resp.StatusCode, p)
		}
		resp = e.do("POST", "/api/v1/reports", e.public, `{"threat_type":"phishing","names":["`+name+`"],"colour":"red"}`, nil, &p)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.Field+p.Detail, "colour") {
			t.Errorf("unknown field: %d %+v", resp.StatusCode, p)
		}
		resp = e.do("POST", "/api/v1/reports", "", `{"threat_type":"phishing","names":["`+name+`"]}`, nil, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no token: %d", resp.StatusCode)
		}
		resp = e.do("POST", "/api/v1/reports", e.analyst, `{"threat_type":"phishing","names":["`+name+`"]}`, nil, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("analyst submitting: %d", resp.StatusCode)
		}
		big := `{"threat_type":"phishing","names":["` + name + `"],"description":"` + strings.Repeat("x", 9<<20) + `"}`
		resp = e.do("POST", "/api/v1/reports", e.public, big, nil, nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("9 MiB body: %d", resp.StatusCode)
		}

		// Idempotency over HTTP.
		key := map[string]string{"Idempotency-Key": "abc-123"}
		body := `{"threat_type":"malware","names":["` + sampleName(8) + `"]}`
		var a, b tldguard.Receipt
		e.do("POST", "/api/v1/reports", e.public, body, key, &a)
		resp = e.do("POST", "/api/v1/reports", e.public, body, key, &b)
		if resp.StatusCode != http.StatusAccepted || a.ReportID == 0 || a.ReportID != b.ReportID {
			t.Errorf("idempotent repeat: %d first %d again %d", resp.StatusCode, a.ReportID, b.ReportID)
		}
		resp = e.do("POST", "/api/v1/reports", e.public, `{"threat_type":"spam","names":["`+sampleName(8)+`"]}`, key, nil)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("reused key, new body: %d", resp.StatusCode)
		}

		// The analyst's queue.
		var page struct {
			Cases []struct {
				ID       int64  `json:"id"`
				Number   string `json:"number"`
				Domain   string `json:"domain"`
				Priority string `json:"priority"`
			} `json:"cases"`
			Next string `json:"next_cursor"`
		}
		resp = e.do("GET", "/api/v1/cases?priority=high", e.analyst, "", nil, &page)
		if resp.StatusCode != http.StatusOK || len(page.Cases) != 1 || page.Cases[0].ID != caseID || page.Cases[0].Number != tldguard.CaseNumber(caseID) {
			t.Fatalf("high-priority queue: %d %+v", resp.StatusCode, page)
		}
		resp = e.do("GET", "/api/v1/cases?limit=1", e.analyst, "", nil, &page)
		if resp.StatusCode != http.StatusOK || len(page.Cases) != 1 || page.Next == "" {
			t.Fatalf("first page of 1: %+v", page)
		}
		resp = e.do("GET", "/api/v1/cases?limit=1&cursor="+page.Next, e.analyst, "", nil, &page)
		if resp.StatusCode != http.StatusOK || len(page.Cases) != 1 || page.Cases[0].ID == caseID {
			t.Errorf("second page: %+v", page)
		}
		resp = e.do("GET", "/api/v1/cases?priority=urgent", e.analyst, "", nil, &p)
		if resp.StatusCode != http.StatusBadRequest || p.Field != "priority" {
			t.Errorf("bad filter: %d %+v", resp.StatusCode, p)
		}

		// One case, by number, with reports and events.
		var detail struct {
			Version int64             `json:"version"`
			Reports []json.RawMessage `json:"reports"`
			Events  []struct {
				Action string `json:"action"`
			} `json:"events"`
		}
		resp = e.do("GET", "/api/v1/cases/"+tldguard.CaseNumber(caseID), e.analyst, "", nil, &detail)
		if resp.StatusCode != http.StatusOK || len(detail.Reports) != 2 || len(detail.Events) != 2 {
			t.Fatalf("case detail: %d reports %d events %d", resp.StatusCode, len(detail.Reports), len(detail.Events))
		}
		// The public reporter sees its own report on it, not the police's.
		var mine struct {
			Reports []json.RawMessage `json:"reports"`
			Events  []json.RawMessage `json:"events"`
		}
		resp = e.do("GET", fmt.Sprintf("/api/v1/cases/%d", caseID), e.public, "", nil, &mine)
		if resp.StatusCode != http.StatusOK || len(mine.Reports) != 1 || len(mine.Events) != 0 {
			t.Errorf("public reporter's view: %d reports %d events %d", resp.StatusCode, len(mine.Reports), len(mine.Events))
		}

		// Triage.
		patch := fmt.Sprintf(`{"classification":"malicious","reason":"registered two days before use, brand in label","version":%d}`, detail.Version)
		if detail.Version == 0 {
			t.Fatal("case detail has no version")
		}
		resp = e.do("PATCH", fmt.Sprintf("/api/v1/cases/%d", caseID), e.analyst, patch, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("triage: %d", resp.StatusCode)
		}
		resp = e.do("PATCH", fmt.Sprintf("/api/v1/cases/%d", caseID), e.analyst, patch, nil, &p)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("stale version: %d %+v", resp.StatusCode, p)
		}
		resp = e.do("PATCH", fmt.Sprintf("/api/v1/cases/%d", caseID), e.auditor, `{"assignee":""}`, nil, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor triaging: %d", resp.StatusCode)
		}

		var chain tldguard.ChainReport
		resp = e.do("GET", "/api/v1/audit/verify", e.auditor, "", nil, &chain)
		if resp.StatusCode != http.StatusOK || !chain.OK || chain.Events == 0 {
			t.Errorf("audit verify: %d %+v", resp.StatusCode, chain)
		}
		resp = e.do("GET", "/healthz", "", "", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("healthz: %d", resp.StatusCode)
		}
	})
}
