package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestUIQueue(t *testing.T) {
	f := newFixture(t)
	f.happy()
	now := t0
	var got tldguard.CaseFilter
	f.cases.CasesFn = func(_ context.Context, cf tldguard.CaseFilter) (*tldguard.CasePage, error) {
		got = cf
		return &tldguard.CasePage{
			Cases: []*tldguard.Case{
				{ID: 1, Domain: "late.example", Status: tldguard.StatusOpen, Priority: tldguard.PriorityHigh, ResponseDueAt: now.Add(-3 * time.Hour), OpenedAt: now.Add(-27 * time.Hour)},
				{ID: 2, Domain: "soon.example", Status: tldguard.StatusInProgress, Priority: tldguard.PriorityStandard, ResponseDueAt: now.Add(5 * time.Hour), Confidential: true},
				{ID: 3, Domain: "later.example", Status: tldguard.StatusOpen, Priority: tldguard.PriorityStandard, ResponseDueAt: now.Add(60 * time.Hour), Registered: true, RegistrarName: "Alpha Names"},
			},
			Next: &tldguard.CaseCursor{Key: now, ID: 3},
		}, nil
	}
	w := f.do("GET", "/cases", "", session(tldguard.RoleAnalyst)...)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("queue: %d %s", w.Code, body)
	}
	if len(got.Status) != 2 || got.Sort != tldguard.SortDue || got.Limit != queuePageSize || got.Now.IsZero() {
		t.Errorf("default filter %+v: want open and in progress, due order", got)
	}
	for _, want := range []string{
		`<span class="clock clock-overdue">Overdue by 3h</span>`,
		`<span class="clock clock-soon">5h left</span>`,
		`<span class="clock clock-ok">2d 12h left</span>`,
		`<a href="/cases/1" class="case-link">TG-0000001</a>`,
		`Confidential`,
		`rel="next"`,
		`<option value="example">.example</option>`,
		`<option value="9001">Alpha Names (9001)</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("queue lacks %s", want)
		}
	}
	if strings.Index(body, "late.example") > strings.Index(body, "soon.example") {
		t.Error("overdue case is not first")
	}

	// Filters and search.
	w = f.do("GET", "/cases?status=closed&priority=high&threat=malware&tld=example&registrar=9001&overdue=1&sort=newest&q=hxxps://login.bad[.]example/x", "", session(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusOK || got.Priority != tldguard.PriorityHigh || got.ThreatType != tldguard.ThreatMalware || got.TLD != "example" ||
		got.RegistrarID != "9001" || !got.Overdue || got.Sort != tldguard.SortNewest || got.Domain != "bad.example" ||
		len(got.Status) != 1 || got.Status[0] != tldguard.StatusClosed {
		t.Errorf("filters: %d %+v", w.Code, got)
	}
	if w := f.do("GET", "/cases?q=tg-42", "", session(tldguard.RoleAnalyst)...); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/cases/42" {
		t.Errorf("case number search: %d %q", w.Code, w.Header().Get("Location"))
	}
	w = f.do("GET", "/cases?q=evil.com&priority=urgent", "", session(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "not in a TLD this registry operates") ||
		!strings.Contains(w.Body.String(), "Choose high or standard.") {
		t.Errorf("bad filters: %d %s", w.Code, w.Body)
	}
	cursor := (&tldguard.CaseCursor{Key: now, ID: 3}).String()
	w = f.do("GET", "/cases?cursor="+cursor, "", session(tldguard.RoleAnalyst)...)
	if got.After == nil || got.After.ID != 3 || !strings.Contains(w.Body.String(), "First page") {
		t.Errorf("second page: %+v", got.After)
	}
}

func TestUICasePage(t *testing.T) {
	f := newFixture(t)
	f.happy()
	c := &tldguard.Case{ID: 5, Domain: "bad.example", TLD: "example", ThreatType: tldguard.ThreatPhishing, Status: tldguard.StatusOpen,
		Priority: tldguard.PriorityHigh, Classification: tldguard.ClassUnknown, Registered: true, RegistrarID: "9001", RegistrarName: "Alpha Names",
		OpenedAt: t0.Add(-time.Hour), ResponseDueAt: t0.Add(23 * time.Hour), Version: 4}
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		return &tldguard.CaseDetail{
			Case: c,
			Reports: []*tldguard.Report{{ID: 9, ThreatType: tldguard.ThreatPhishing, RawSHA256: bytes.Repeat([]byte{0xab}, 32),
				Targets: []tldguard.Target{{Input: "https://bad.example/login", Domain: "bad.example"}},
				Request: &tldguard.AuthorityRequest{Authority: "Metro Police", Urgency: tldguard.UrgencyLife, UrgencyReason: "victims"}}},
			Evidence: []tldguard.Evidence{{ReportID: 9, Filename: "shot.png", MediaType: "image/png", Size: 2048, SHA256: bytes.Repeat([]byte{0xcd}, 32)}},
			Events: []*tldguard.Event{{Seq: 3, At: t0, Actor: "user:ann@nic.example", Action: "case.updated", CaseID: 5,
				Data: []byte(`{"changes":{"classification":{"from":"unknown","to":"malicious"}},"reason":"new registration with bank brand","report_id":1000000}`),
				Hash: bytes.Repeat([]byte{1}, 32)}},
		}, nil
	}
	w := f.do("GET", "/cases/TG-0000005", "", session(tldguard.RoleAnalyst)...)
	body := w.Body.String()
	for _, want := range []string{
		strings.Repeat("ab", 32), strings.Repeat("cd", 32), "shot.png", "2.0 KiB",
		"classification</dt><dd>unknown → malicious", "Reason: new registration with bank brand", "report id</dt><dd>1000000",
		"Alpha Names (IANA 9001)", "ns1.host.example", "47h old when the case opened",
		`name="version" value="4"`, "Save triage", "Metro Police", "Imminent threat to human life",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	// An auditor reads it without the form; a reporter without the
	// operator's view.
	if b := f.do("GET", "/cases/5", "", session(tldguard.RoleAuditor)...).Body.String(); strings.Contains(b, "Save triage") || !strings.Contains(b, "Timeline") {
		t.Error("auditor's view")
	}
	f.ui.LookupFn = func(context.Context, string) (*tldguard.Registration, error) {
		t.Error("registry asked on a reporter's view")
		return nil, nil
	}
	if b := f.do("GET", "/cases/5", "", session(tldguard.RoleReporter)...).Body.String(); strings.Contains(b, "Save triage") || strings.Contains(b, "Timeline") || strings.Contains(b, "Registration") {
		t.Error("reporter's view shows operator data")
	}
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no case TG-0000005")
	}
	if w := f.do("GET", "/cases/5", "", session(tldguard.RoleReporter)...); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Not found") {
		t.Errorf("someone else's case: %d", w.Code)
	}
}

func TestUITriageForm(t *testing.T) {
	f := newFixture(t)
	f.happy()
	var got tldguard.CaseUpdate
	f.cases.UpdateCaseFn = func(_ context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
		got = u
		switch {
		case u.Classification != nil && *u.Classification == tldguard.ClassMalicious && u.Reason == "":
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "a reason is required to change priority or classification and to close a case")
		case u.Version == 3:
			return nil, tldguard.FieldErrorf(tldguard.ECONFLICT, "version", "the case changed since you read it")
		}
		return &tldguard.Case{ID: id}, nil
	}
	form := url.Values{"assignee": {" Ann@nic.example "}, "classification": {"malicious"}, "priority": {"high"}, "status": {"in_progress"}, "version": {"1"}}
	w := f.postForm("/cases/1", tldguard.RoleAnalyst, form)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `<p class="field-error" id="reason-error"><span class="visually-hidden">Error:</span> A reason is required`) {
		t.Fatalf("missing reason: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), `<option value="malicious" selected>`) {
		t.Error("the form lost the submitted classification")
	}
	form.Set("reason", "registered yesterday, bank brand in the label")
	w = f.postForm("/cases/1", tldguard.RoleAnalyst, form)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/cases/1?saved=1#triage" {
		t.Fatalf("triage: %d %s", w.Code, w.Body)
	}
	if *got.Assignee != "Ann@nic.example" || *got.Classification != tldguard.ClassMalicious || *got.Priority != tldguard.PriorityHigh ||
		*got.Status != tldguard.StatusInProgress || got.Version != 1 || got.Reason != "registered yesterday, bank brand in the label" {
		t.Errorf("update %+v", got)
	}
	form.Set("version", "3")
	if w := f.postForm("/cases/1", tldguard.RoleAnalyst, form); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "Someone else changed this case") {
		t.Errorf("stale version: %d", w.Code)
	}
	form.Set("classification", "evil")
	form.Del("version")
	w = f.postForm("/cases/1", tldguard.RoleAnalyst, form)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Choose a classification from the list.") || !strings.Contains(w.Body.String(), "missing the case&#39;s version") {
		t.Errorf("bad values: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/cases/1?saved=1", "", session(tldguard.RoleAnalyst)...); !strings.Contains(w.Body.String(), "Case updated.") {
		t.Error("no confirmation after saving")
	}
}

// multipartForm builds a multipart body with fields and one file.
func multipartForm(t *testing.T, fields url.Values, filename string, content []byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if filename != "" {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="evidence"; filename="` + filename + `"`}
		h["Content-Type"] = []string{"image/png"}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(content)
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

func TestUIReportForm(t *testing.T) {
	f := newFixture(t)
	f.happy()
	var sub *tldguard.Submission
	f.reports.SubmitReportFn = func(_ context.Context, s *tldguard.Submission) (*tldguard.Receipt, error) {
		sub = s
		var doc map[string]any
		json.Unmarshal(s.Raw, &doc)
		if names, _ := doc["names"].([]any); len(names) > 1 && names[1] == "evil.com" {
			return nil, tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "names[1]", `"evil.com" is not in a TLD this registry operates (example)`)
		}
		return &tldguard.Receipt{ReportID: 12, SHA256: "ff", Priority: tldguard.PriorityHigh, ResponseDueAt: t0.Add(24 * time.Hour),
			Cases: []tldguard.ReceiptCase{{ID: 42, Number: "TG-0000042", Domain: "bad.example", ThreatType: tldguard.ThreatPhishing,
				Priority: tldguard.PriorityHigh, ResponseDueAt: t0.Add(24 * time.Hour), Registered: true, New: true}}}, nil
	}
	csrf := csrfToken("sess-reporter")
	post := func(fields url.Values, filename string, content []byte) *httptest.ResponseRecorder {
		fields.Set(csrfField, csrf)
		body, ct := multipartForm(t, fields, filename, content)
		return f.do("POST", "/report", body, "Content-Type", ct, "Cookie", sessionCookie+"=sess-reporter")
	}

	// The form's own checks name the field, and nothing is submitted.
	w := post(url.Values{"names": {"\n \n"}, "urgency": {"life"}, "key": {"k1"}}, "", nil)
	body := w.Body.String()
	if w.Code != http.StatusBadRequest || sub != nil ||
		!strings.Contains(body, "Choose the kind of threat.") ||
		!strings.Contains(body, "List at least one domain name or URL") ||
		!strings.Contains(body, "Say what makes the threat imminent") ||
		!strings.Contains(body, `<a href="#urgency_reason">`) ||
		!strings.Contains(body, `name="key" value="k1"`) {
		t.Fatalf("empty form: %d sub %v\n%s", w.Code, sub, body)
	}
	if w := post(url.Values{"threat": {"phishing"}, "names": {"bad.example"}}, "big.png", bytes.Repeat([]byte("x"), maxEvidenceFile+1)); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "big.png is larger than 5 MiB") {
		t.Fatalf("big file: %d", w.Code)
	}

	// The intake's refusals come back beside the field, with the line.
	w = post(url.Values{"threat": {"phishing"}, "names": {"bad.example\n\nevil.com"}}, "", nil)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Line 3: &#34;evil.com&#34; is not in a TLD") {
		t.Fatalf("name outside the TLDs: %d %s", w.Code, w.Body)
	}

	// A whole request becomes a tldguard report document.
	sub = nil
	fields := url.Values{
		"threat": {"phishing"}, "names": {"https://login.bad.example/x\r\nbad.example"}, "description": {"kit"},
		"authority": {"Metro Police"}, "jurisdiction": {"Example County"}, "legal_basis": {"Fraud Act"}, "reference": {"MP-1"},
		"contact": {"cyber@police.example"}, "requested_action": {"hold"}, "urgency": {"life"}, "urgency_reason": {"threats to victims"},
		"no_notify_registrant": {"1"}, "evidence_urls": {"https://paste.example/abc"}, "evidence_note": {"capture"}, "key": {"ui-abc"},
	}
	w = post(fields, "shot.png", []byte("PNGDATA"))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Report received") || !strings.Contains(w.Body.String(), "TG-0000042") {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	if sub.ContentType != "application/json" || sub.IdempotencyKey != "ui-abc" {
		t.Errorf("submission %+v", sub)
	}
	var doc struct {
		ThreatType  string   `json:"threat_type"`
		Names       []string `json:"names"`
		Description string   `json:"description"`
		Evidence    []map[string]string
		Request     map[string]any
	}
	if err := json.Unmarshal(sub.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ThreatType != "phishing" || len(doc.Names) != 2 || doc.Names[0] != "https://login.bad.example/x" || doc.Description != "kit" {
		t.Errorf("document %s", sub.Raw)
	}
	if len(doc.Evidence) != 2 || doc.Evidence[0]["filename"] != "shot.png" || doc.Evidence[0]["media_type"] != "image/png" ||
		doc.Evidence[0]["content_base64"] != base64.StdEncoding.EncodeToString([]byte("PNGDATA")) ||
		doc.Evidence[1]["url"] != "https://paste.example/abc" || doc.Evidence[1]["description"] != "capture" {
		t.Errorf("evidence %v", doc.Evidence)
	}
	want := map[string]any{"authority": "Metro Police", "jurisdiction": "Example County", "legal_basis": "Fraud Act", "reference": "MP-1",
		"contact": "cyber@police.example", "requested_action": "hold", "urgency": "life", "urgency_reason": "threats to victims",
		"do_not_notify_registrant": true}
	for k, v := range want {
		if doc.Request[k] != v {
			t.Errorf("request.%s = %v, want %v", k, doc.Request[k], v)
		}
	}
	if _, ok := doc.Request["do_not_notify_registrar"]; ok {
		t.Error("unchecked box sent")
	}

	// A repeated key for another body is a conflict the form explains.
	f.reports.SubmitReportFn = func(context.Context, *tldguard.Submission) (*tldguard.Receipt, error) {
		return nil, tldguard.FieldErrorf(tldguard.ECONFLICT, "Idempotency-Key", "was already used for a different report")
	}
	w = post(url.Values{"threat": {"spam"}, "names": {"bad.example"}, "key": {"ui-abc"}}, "", nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already used to send a different report") || strings.Contains(w.Body.String(), `value="ui-abc"`) {
		t.Errorf("reused key: %d", w.Code)
	}
	// Staff cannot use the portal, as they cannot POST /api/v1/reports.
	if w := f.do("GET", "/report", "", session(tldguard.RoleAnalyst)...); w.Code != http.StatusForbidden {
		t.Errorf("analyst at the portal: %d", w.Code)
	}
	// A form over the body limit is refused before it is read.
	f2 := newFixture(t, func(c *Config) { c.BodyLimit = 1 << 10 })
	f2.happy()
	body2, ct := multipartForm(t, url.Values{csrfField: {csrf}, "threat": {"spam"}, "names": {"bad.example"}}, "big.png", bytes.Repeat([]byte("x"), 4<<10))
	if w := f2.do("POST", "/report", body2, "Content-Type", ct, "Cookie", sessionCookie+"=sess-reporter"); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", w.Code)
	}
}

func TestUIAdminForms(t *testing.T) {
	f := newFixture(t)
	f.happy()
	w := f.postForm("/admin/users", tldguard.RoleAdmin, url.Values{"email": {"not an address"}, "role": {"root"}})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter an e-mail address") || !strings.Contains(w.Body.String(), "Choose a role from the list.") {
		t.Fatalf("bad user form: %d %s", w.Code, w.Body)
	}
	w = f.postForm("/admin/users", tldguard.RoleAdmin, url.Values{"email": {"new@nic.example"}, "role": {"analyst"}})
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `value="generated-password"`) {
		t.Fatalf("add user: %d %s", w.Code, w.Body)
	}
	f.ui.CreateUserFn = func(context.Context, string, string, tldguard.Role) (*tldguard.User, string, error) {
		return nil, "", tldguard.FieldErrorf(tldguard.ECONFLICT, "email", "a user with e-mail new@nic.example exists")
	}
	if w := f.postForm("/admin/users", tldguard.RoleAdmin, url.Values{"email": {"new@nic.example"}, "role": {"analyst"}}); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), "A user with e-mail new@nic.example exists") {
		t.Errorf("taken e-mail: %d", w.Code)
	}
	if w := f.postForm("/admin/tokens", tldguard.RoleAdmin, url.Values{"email": {"ann@nic.example"}, "label": {"ticketing"}}); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `value="tgu_new"`) {
		t.Errorf("token: %d", w.Code)
	}
	w = f.postForm("/admin/reporters", tldguard.RoleAdmin, url.Values{"name": {"Metro"}, "kind": {"registrar"}, "verified_by": {"me"}})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "needs its IANA registrar id") || !strings.Contains(w.Body.String(), "both who checked and how") {
		t.Errorf("bad reporter form: %d %s", w.Code, w.Body)
	}
	var added tldguard.Reporter
	f.ui.AddReporterFn = func(_ context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error) {
		added = r
		return &r, "tgr_new", nil
	}
	w = f.postForm("/admin/reporters", tldguard.RoleAdmin, url.Values{"name": {"Metro Police"}, "kind": {"law_enforcement"},
		"verified_by": {"ada@nic.example"}, "verified_how": {"called the switchboard"}})
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `value="tgr_new"`) || added.Verification == nil ||
		added.Verification.How != "called the switchboard" || added.Source != tldguard.SourceLawEnforcement {
		t.Errorf("add reporter: %d %+v", w.Code, added)
	}
	if w := f.postForm("/admin/reporters/1/verify", tldguard.RoleAdmin, url.Values{"verified_by": {"ada"}}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Say who checked") {
		t.Errorf("verification without how: %d", w.Code)
	}
	if w := f.postForm("/admin/reporters/1/verify", tldguard.RoleAdmin, url.Values{"verified_by": {"ada"}, "verified_how": {"video call"}}); w.Code != http.StatusSeeOther {
		t.Errorf("verification: %d", w.Code)
	}
	// Auditors read the lists without the forms.
	if b := f.do("GET", "/admin/users", "", session(tldguard.RoleAuditor)...).Body.String(); strings.Contains(b, "Add a staff member") || !strings.Contains(b, "ann@nic.example") {
		t.Error("auditor's users page")
	}
	if w := f.postForm("/admin/users", tldguard.RoleAuditor, url.Values{"email": {"x@nic.example"}, "role": {"admin"}}); w.Code != http.StatusForbidden {
		t.Errorf("auditor adding a user: %d", w.Code)
	}
}

func TestUIAuditPage(t *testing.T) {
	f := newFixture(t)
	f.happy()
	var anchor *tldguard.ChainHead
	f.audit.VerifyChainFn = func(_ context.Context, h *tldguard.ChainHead) (*tldguard.ChainReport, error) {
		anchor = h
		if h != nil {
			return &tldguard.ChainReport{Events: 7, Head: "7:aa", Broken: "event 5 differs from the exported chain head", BrokenAt: 5}, nil
		}
		return &tldguard.ChainReport{OK: true, Events: 7, Head: "7:aa"}, nil
	}
	w := f.do("GET", "/audit", "", session(tldguard.RoleAuditor)...)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "The audit log is intact") || !strings.Contains(w.Body.String(), `value="7:aa"`) {
		t.Fatalf("audit: %d %s", w.Code, w.Body)
	}
	head := "5:" + strings.Repeat("0a", 32)
	w = f.do("GET", "/audit?head="+head, "", session(tldguard.RoleAuditor)...)
	if anchor == nil || anchor.Seq != 5 || !strings.Contains(w.Body.String(), "The audit log is broken") || !strings.Contains(w.Body.String(), "First bad event: <strong>5</strong>") {
		t.Fatalf("anchored: %+v %s", anchor, w.Body)
	}
	if w := f.do("GET", "/audit?head=junk", "", session(tldguard.RoleAuditor)...); w.Code != http.StatusBadRequest {
		t.Errorf("bad head: %d", w.Code)
	}
}

func TestUIErrorsHideInternals(t *testing.T) {
	f := newFixture(t)
	f.happy()
	f.cases.CasesFn = func(context.Context, tldguard.CaseFilter) (*tldguard.CasePage, error) {
		return nil, tldguard.Internal(errSecret, "list")
	}
	w := f.do("GET", "/cases", "", session(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "db password") || !strings.Contains(w.Body.String(), w.Header().Get("X-Request-Id")) {
		t.Fatalf("internal error page: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(f.logs.String(), "db password") {
		t.Error("internal error not logged")
	}
}

var errSecret = &tldguard.Error{Kind: tldguard.EINTERNAL, Message: "db password is hunter2"}
