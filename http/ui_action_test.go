package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// actionCase is the case the action tests look at.
var actionCase = &tldguard.Case{ID: 5, Domain: "bad.example", TLD: "example", ThreatType: tldguard.ThreatPhishing,
	Status: tldguard.StatusOpen, Priority: tldguard.PriorityHigh, Registered: true, RegistrarID: "9001", RegistrarName: "Alpha Names",
	ReportCount: 2, OpenedAt: t0.Add(-time.Hour), ResponseDueAt: t0.Add(23 * time.Hour), Version: 4}

// actionFixture is a fixture whose case 5 has a verdict, collateral,
// proposals and three actions: a hold waiting for approval (proposed by
// the analyst), a lock carried out, and a referral.
func actionFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.happy()
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		return &tldguard.CaseDetail{Case: actionCase, Reports: []*tldguard.Report{
			{ID: 8, ThreatType: tldguard.ThreatPhishing, Source: tldguard.SourcePublic, ReceivedAt: t0.Add(-30 * time.Minute)},
			{ID: 7, ThreatType: tldguard.ThreatPhishing, Source: tldguard.SourceLawEnforcement, ReceivedAt: t0.Add(-time.Hour)},
		}, Evidence: []tldguard.Evidence{{ReportID: 7, Filename: "shot.png"}}}, nil
	}
	f.actions.TriageFn = func(_ context.Context, id int64) (*tldguard.Triage, error) {
		if id != 5 {
			t.Errorf("Triage(%d)", id)
		}
		return &tldguard.Triage{
			Case:    actionCase,
			Verdict: tldguard.Verdict{Class: tldguard.ClassMalicious, Score: 7, Reasons: []string{"+4: registered 2 days before the first report", "+3: brand term \"bank\" in the label"}},
			Collateral: []tldguard.Warning{
				{Code: "protected", Guarded: true, Message: "bad.example is on the protected list (example): an extra approval is needed"},
				{Code: "glue", Message: "its name servers ns1.bad.example are under the name and stop answering"},
			},
			Guarded: true,
			Proposals: []tldguard.Proposal{
				{Kind: tldguard.ActionHold, Why: "malicious registration reported by law enforcement", RequiredApprovals: 2,
					DryRun: []string{"adds serverHold", "bad.example and every name under it stop resolving"}},
				{Kind: tldguard.ActionTransfer, Why: "the authority asked for a transfer", RequiredApprovals: 3, DryRun: []string{"moves bad.example to registrar "}},
			},
		}, nil
	}
	f.actions.ActionsFn = func(_ context.Context, af tldguard.ActionFilter) ([]*tldguard.Action, error) {
		if af.CaseID == 5 {
			return caseActionsFor(), nil
		}
		return nil, nil
	}
	return f
}

func caseActionsFor() []*tldguard.Action {
	return []*tldguard.Action{
		{ID: 11, CaseID: 5, Kind: tldguard.ActionLock, State: tldguard.ActionDone, Domain: "bad.example", Reason: "stop a transfer away",
			RequiredApprovals: 1, Approvals: []tldguard.Approval{{By: "user:approver@nic.example", At: t0.Add(-50 * time.Minute), Note: "evidence is clear"}},
			ProposedBy: "user:ann@nic.example", ProposedAt: t0.Add(-55 * time.Minute),
			Before: &tldguard.RegistryState{Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example"}},
			After:  &tldguard.RegistryState{Statuses: []string{"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"}, NameServers: []string{"ns1.host.example"}},
			Result: "1000 Command completed successfully", DoneAt: t0.Add(-49 * time.Minute)},
		{ID: 12, CaseID: 5, Kind: tldguard.ActionReferRegistrar, State: tldguard.ActionDone, Domain: "bad.example",
			ProposedBy: "user:ann@nic.example", ProposedAt: t0.Add(-40 * time.Minute), DueAt: t0.Add(3 * time.Hour),
			Result: "referred to Alpha Names (abuse@alpha.example)", DoneAt: t0.Add(-39 * time.Minute)},
		{ID: 13, CaseID: 5, Kind: tldguard.ActionHold, State: tldguard.ActionProposed, Domain: "bad.example", Reason: "kit confirmed",
			RequiredApprovals: 2, ProposedBy: "user:analyst@nic.example", ProposedAt: t0.Add(-10 * time.Minute)},
	}
}

// wantForms checks every POST form of a page carries role's CSRF token and
// every control has a label, and the page has no inline script or style.
func wantForms(t *testing.T, path string, role tldguard.Role, w *httptest.ResponseRecorder) []string {
	t.Helper()
	body := w.Body.String()
	forms := postForms.FindAllString(body, -1)
	for _, form := range forms {
		if m := tokenIn.FindStringSubmatch(form); m == nil || m[1] != csrfToken("sess-"+string(role)) {
			t.Errorf("%s: a form without the session's token:\n%s", path, form)
		}
	}
	checkLabels(t, path, body)
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Errorf("%s: inline script or style", path)
	}
	if ids := duplicateIDs(body); len(ids) > 0 {
		t.Errorf("%s: ids used twice: %v", path, ids)
	}
	if w.Header().Get("Content-Security-Policy") != uiCSP {
		t.Errorf("%s: CSP %q", path, w.Header().Get("Content-Security-Policy"))
	}
	return forms
}

var anyID = regexp.MustCompile(`\sid="([^"]+)"`)

func duplicateIDs(page string) []string {
	seen := map[string]int{}
	var dup []string
	for _, m := range anyID.FindAllStringSubmatch(page, -1) {
		if seen[m[1]]++; seen[m[1]] == 2 {
			dup = append(dup, m[1])
		}
	}
	return dup
}

func formsTo(forms []string, action string) int {
	n := 0
	for _, f := range forms {
		if strings.Contains(f, `action="`+action+`"`) {
			n++
		}
	}
	return n
}

func TestUICaseActions(t *testing.T) {
	f := actionFixture(t)
	w := f.do("GET", "/cases/5", "", session(tldguard.RoleAnalyst)...)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("case page: %d %s", w.Code, body)
	}
	for _, want := range []string{
		// The verdict, with its score and reasons.
		"Malicious registration", "Score 7", "registered 2 days before the first report",
		// Collateral: the guarded warning stands out and says what it costs.
		`<li class="warning warning-guarded"><strong>Guarded:</strong> Bad.example is on the protected list`,
		"Actions that change resolution need an extra approval.",
		`<li class="warning">Its name servers ns1.bad.example are under the name`,
		// Proposals with the dry run and the approvals they need.
		"Needs 2 approvals", "<li>adds serverHold</li>", "bad.example and every name under it stop resolving",
		`Propose this<span class="visually-hidden">: Hold</span>`, "A transfer needs the gaining registrar",
		// The propose form.
		`<select id="action-kind" name="kind">`, `<option value="redirect">`, "ns1.sinkhole.invalid, ns2.sinkhole.invalid",
		`id="action-registrar"`, `id="action-names"`,
		// The actions, newest first, with approvals and the registry's answer.
		`id="action-13"`, "Waiting for approval", "0 of 2", "kit confirmed",
		"1 of 1", "user:approver@nic.example", "evidence is clear", "serverTransferProhibited", "1000 Command completed successfully",
		"Answer due", `<span class="clock clock-soon">3h left</span>`,
		// What the pending hold would change against the registration now.
		"Will change", "<li>adds serverHold</li>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Index(body, `id="action-13"`) > strings.Index(body, `id="action-11"`) {
		t.Error("actions are not newest first")
	}
	forms := wantForms(t, "/cases/5", tldguard.RoleAnalyst, w)
	// The analyst proposed action 13: no approve button for them (nor may
	// an analyst approve at all), but the lock can be undone.
	if n := formsTo(forms, "/actions/13/approve"); n != 0 {
		t.Error("the proposer is offered to approve")
	}
	if !strings.Contains(body, "You proposed this action: another approver must approve it.") {
		t.Error("the proposer is not told why there is no approve button")
	}
	if formsTo(forms, "/actions/11/undo") != 1 || formsTo(forms, "/actions/12/undo") != 0 || formsTo(forms, "/actions/13/undo") != 0 {
		t.Error("undo is offered for the wrong actions")
	}
	if formsTo(forms, "/cases/5/actions") != 2 { // the hold's button and the form
		t.Errorf("propose forms: %d", formsTo(forms, "/cases/5/actions"))
	}

	// The approver gets approve and reject on the waiting hold, no more.
	w = f.do("GET", "/cases/5", "", session(tldguard.RoleApprover)...)
	forms = wantForms(t, "/cases/5", tldguard.RoleApprover, w)
	if formsTo(forms, "/actions/13/approve") != 1 || formsTo(forms, "/actions/13/reject") != 1 || formsTo(forms, "/actions/11/approve") != 0 {
		t.Errorf("approver's forms: %v", forms)
	}

	// An auditor reads it all without a form; a reporter sees none of it.
	w = f.do("GET", "/cases/5", "", session(tldguard.RoleAuditor)...)
	if forms := wantForms(t, "/cases/5", tldguard.RoleAuditor, w); len(forms) != 1 || !strings.Contains(w.Body.String(), "Score 7") {
		t.Errorf("auditor: %d forms (want the sign-out only)", len(forms))
	}
	f.actions.TriageFn = func(context.Context, int64) (*tldguard.Triage, error) {
		t.Error("Triage called for a reporter")
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "no")
	}
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		return &tldguard.CaseDetail{Case: actionCase, Reports: []*tldguard.Report{{ID: 7}}}, nil
	}
	if b := f.do("GET", "/cases/5", "", session(tldguard.RoleReporter)...).Body.String(); strings.Contains(b, "Assessment") || strings.Contains(b, "Proposals") {
		t.Error("a reporter sees the assessment")
	}
}

func TestUICaseActionsDegrade(t *testing.T) {
	f := actionFixture(t)
	f.actions.TriageFn = func(context.Context, int64) (*tldguard.Triage, error) {
		return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "the registry did not answer")
	}
	f.actions.ActionsFn = func(context.Context, tldguard.ActionFilter) ([]*tldguard.Action, error) {
		return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "database busy")
	}
	w := f.do("GET", "/cases/5", "", session(tldguard.RoleAnalyst)...)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "The policy&#39;s assessment is not available right now") ||
		!strings.Contains(w.Body.String(), "could not be read right now") || !strings.Contains(w.Body.String(), "Save triage") {
		t.Fatalf("a failing action service breaks the case page: %d %s", w.Code, w.Body)
	}
	// A closed case offers no proposal.
	closed := *actionCase
	closed.Status = tldguard.StatusClosed
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		return &tldguard.CaseDetail{Case: &closed}, nil
	}
	if b := f.do("GET", "/cases/5", "", session(tldguard.RoleAnalyst)...).Body.String(); strings.Contains(b, `id="action-kind"`) || !strings.Contains(b, "reopen it to propose") {
		t.Error("a closed case offers the propose form")
	}
}

func TestUIProposeAction(t *testing.T) {
	f := actionFixture(t)
	var got []tldguard.ActionInput
	f.actions.ProposeActionFn = func(ctx context.Context, id int64, in tldguard.ActionInput) (*tldguard.Action, error) {
		if id != 5 || tldguard.FromContext(ctx).Role != tldguard.RoleAnalyst {
			t.Errorf("ProposeAction(%d) as %v", id, tldguard.FromContext(ctx))
		}
		got = append(got, in)
		st := tldguard.ActionProposed
		if in.Kind == tldguard.ActionReferRegistrar {
			st = tldguard.ActionApproved
		}
		return &tldguard.Action{ID: 20, CaseID: 5, Kind: in.Kind, State: st}, nil
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		return f.postForm("/cases/5/actions", tldguard.RoleAnalyst, form)
	}
	w := post(url.Values{"kind": {"redirect"}, "reason": {" kit confirmed "}, "name_servers": {"ns1.sink.example\r\nns2.sink.example"},
		"registrar_id": {"ignored"}, "names": {"ignored.example"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/cases/5?done=proposed&action=20#action-20" {
		t.Fatalf("propose: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if in := got[0]; in.Kind != tldguard.ActionRedirect || in.Reason != "kit confirmed" || len(in.NameServers) != 2 ||
		in.NameServers[1] != "ns2.sink.example" || in.RegistrarID != "" || in.Names != nil {
		t.Errorf("redirect input %+v", in)
	}
	post(url.Values{"kind": {"block"}, "names": {"a1.example\nb2.example\n\n"}, "name_servers": {"ns.example"}})
	post(url.Values{"kind": {"transfer"}, "registrar_id": {" 9002 "}})
	post(url.Values{"kind": {"hold"}, "name_servers": {"ns.example"}})
	if b, tr, h := got[1], got[2], got[3]; len(b.Names) != 2 || b.NameServers != nil || tr.RegistrarID != "9002" || h.NameServers != nil {
		t.Errorf("block %+v, transfer %+v, hold %+v", b, tr, h)
	}
	// One that needs no approval is queued at once, and the page says so.
	w = post(url.Values{"kind": {"refer_registrar"}})
	if w.Header().Get("Location") != "/cases/5?done=queued&action=20#action-20" {
		t.Errorf("queued: %q", w.Header().Get("Location"))
	}
	if b := f.do("GET", "/cases/5?done=queued&action=20", "", session(tldguard.RoleAnalyst)...).Body.String(); !strings.Contains(b, `<p class="notice" role="status">Action 20 needs no approval and is queued to run.</p>`) {
		t.Error("the flash message is not shown")
	}
	if b := f.do("GET", "/cases/5?done=%3Cscript%3E&action=20", "", session(tldguard.RoleAnalyst)...).Body.String(); strings.Contains(b, `class="notice"`) {
		t.Error("an unknown flash code is shown")
	}

	// No kind: refused before the service, shown beside the select.
	calls := len(got)
	w = post(url.Values{"reason": {"keep me"}})
	if w.Code != http.StatusBadRequest || len(got) != calls || !strings.Contains(w.Body.String(), `<a href="#action-kind">Choose the action to propose.</a>`) ||
		!strings.Contains(w.Body.String(), `aria-invalid="true" aria-describedby="action-kind-error"`) || !strings.Contains(w.Body.String(), ">keep me</textarea>") {
		t.Fatalf("no kind: %d %s", w.Code, w.Body)
	}
	// The service's refusal (422: not applicable) beside its field, with
	// what was typed kept.
	f.actions.ProposeActionFn = func(context.Context, int64, tldguard.ActionInput) (*tldguard.Action, error) {
		return nil, tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "kind", "bad.example is registered: block stops registration of names not yet registered")
	}
	w = post(url.Values{"kind": {"block"}, "reason": {"botnet"}, "names": {"bad.example"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Bad.example is registered: block stops registration") ||
		!strings.Contains(w.Body.String(), `<option value="block" selected>`) || !strings.Contains(w.Body.String(), ">bad.example</textarea>") {
		t.Fatalf("422: %d %s", w.Code, w.Body)
	}
	wantForms(t, "422 page", tldguard.RoleAnalyst, w)
	f.actions.ProposeActionFn = func(context.Context, int64, tldguard.ActionInput) (*tldguard.Action, error) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name_servers[1]", "\"-x\" is not a host name")
	}
	if w := post(url.Values{"kind": {"redirect"}, "name_servers": {"ns1.example -x"}}); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), `<a href="#action-name-servers">`) {
		t.Fatalf("bad name server: %d %s", w.Code, w.Body)
	}
	f.actions.ProposeActionFn = func(context.Context, int64, tldguard.ActionInput) (*tldguard.Action, error) {
		return nil, tldguard.Errorf(tldguard.ECONFLICT, "TG-0000005 is closed; reopen it first")
	}
	if w := post(url.Values{"kind": {"hold"}}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "TG-0000005 is closed; reopen it first") {
		t.Fatalf("409: %d %s", w.Code, w.Body)
	}
	// An internal failure is an error page, not a form message.
	f.actions.ProposeActionFn = func(context.Context, int64, tldguard.ActionInput) (*tldguard.Action, error) {
		return nil, tldguard.Errorf(tldguard.EINTERNAL, "disk on fire")
	}
	if w := post(url.Values{"kind": {"hold"}}); w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "disk on fire") {
		t.Fatalf("500: %d", w.Code)
	}

	// Without the CSRF token, or as an auditor, nothing is proposed.
	f.actions.ProposeActionFn = func(context.Context, int64, tldguard.ActionInput) (*tldguard.Action, error) {
		t.Error("ProposeAction called by a refused post")
		return nil, nil
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"no token":   f.postForm("/cases/5/actions", tldguard.RoleAnalyst, url.Values{"kind": {"hold"}, csrfField: nil}),
		"wrong one":  f.postForm("/cases/5/actions", tldguard.RoleAnalyst, url.Values{"kind": {"hold"}, csrfField: {csrfToken("sess-approver")}}),
		"cross-site": f.postForm("/cases/5/actions", tldguard.RoleAnalyst, url.Values{"kind": {"hold"}}, "Sec-Fetch-Site", "cross-site"),
		"auditor":    f.postForm("/cases/5/actions", tldguard.RoleAuditor, url.Values{"kind": {"hold"}}),
	} {
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Not allowed") {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
}

func TestUIDecide(t *testing.T) {
	f := actionFixture(t)
	var note string
	f.actions.ApproveActionFn = func(ctx context.Context, id int64, n string) (*tldguard.Action, error) {
		note = n
		return &tldguard.Action{ID: id, CaseID: 5, Kind: tldguard.ActionHold, State: tldguard.ActionProposed, RequiredApprovals: 2}, nil
	}
	w := f.postForm("/actions/13/approve", tldguard.RoleApprover, url.Values{"note": {"checked the kit"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/cases/5?done=approved-more&action=13#action-13" || note != "checked the kit" {
		t.Fatalf("approve: %d %q note %q", w.Code, w.Header().Get("Location"), note)
	}
	f.actions.ApproveActionFn = func(_ context.Context, id int64, _ string) (*tldguard.Action, error) {
		return &tldguard.Action{ID: id, CaseID: 5, State: tldguard.ActionApproved}, nil
	}
	w = f.postForm("/actions/13/approve", tldguard.RoleAdmin, url.Values{"back": {"approvals"}})
	if w.Header().Get("Location") != "/approvals?done=approved&action=13" {
		t.Fatalf("approve from the list: %q", w.Header().Get("Location"))
	}
	// Any other "back" goes to the case, never elsewhere.
	if w := f.postForm("/actions/13/approve", tldguard.RoleAdmin, url.Values{"back": {"https://evil.example/"}}); !strings.HasPrefix(w.Header().Get("Location"), "/cases/5?") {
		t.Fatalf("back: %q", w.Header().Get("Location"))
	}
	if b := f.do("GET", "/cases/5?done=approved&action=13", "", session(tldguard.RoleApprover)...).Body.String(); !strings.Contains(b, "Action 13 approved and queued to run.") {
		t.Error("approval flash")
	}

	// The service's refusals are shown at the action, with their status.
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{tldguard.Errorf(tldguard.EFORBIDDEN, "you proposed action 13; another approver must approve it"), 403, "You proposed action 13; another approver must approve it"},
		{tldguard.Errorf(tldguard.ECONFLICT, "you already approved action 13; it needs a different approver"), 409, "You already approved action 13"},
		{tldguard.Errorf(tldguard.ECONFLICT, "action 13 is approved, not waiting for approval"), 409, "Action 13 is approved, not waiting for approval"},
	} {
		f.actions.ApproveActionFn = func(context.Context, int64, string) (*tldguard.Action, error) { return nil, tc.err }
		w := f.postForm("/actions/13/approve", tldguard.RoleApprover, url.Values{"note": {"n"}})
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, `<a href="#action-13">`+tc.want) ||
			!strings.Contains(body, `<p class="form-error" role="alert">`+tc.want) || !strings.Contains(body, "TG-0000005") {
			t.Errorf("%v: %d %s", tc.err, w.Code, body)
		}
	}
	// A refusal from the approvals list comes back to the list.
	f.actions.ActionsFn = func(_ context.Context, af tldguard.ActionFilter) ([]*tldguard.Action, error) {
		return caseActionsFor()[2:], nil
	}
	f.actions.ApproveActionFn = func(context.Context, int64, string) (*tldguard.Action, error) {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "you proposed action 13; another approver must approve it")
	}
	w = f.postForm("/actions/13/approve", tldguard.RoleApprover, url.Values{"back": {"approvals"}})
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Waiting for approval") || !strings.Contains(w.Body.String(), `role="alert">You proposed action 13`) {
		t.Errorf("refusal on the list: %d %s", w.Code, w.Body)
	}
	f.actions.ActionsFn = func(_ context.Context, af tldguard.ActionFilter) ([]*tldguard.Action, error) {
		return caseActionsFor(), nil
	}

	// Reject needs a reason: the service's word goes beside the field.
	f.actions.RejectActionFn = func(_ context.Context, id int64, reason string) (*tldguard.Action, error) {
		if strings.TrimSpace(reason) == "" {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "say why the action is rejected")
		}
		return &tldguard.Action{ID: id, CaseID: 5, State: tldguard.ActionRejected}, nil
	}
	w = f.postForm("/actions/13/reject", tldguard.RoleApprover, url.Values{"reason": {"  "}})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `<a href="#reject-reason-13">Say why the action is rejected</a>`) ||
		!strings.Contains(w.Body.String(), `id="reject-reason-13" name="reason" type="text" value="  " aria-invalid="true"`) {
		t.Fatalf("reject without a reason: %d %s", w.Code, w.Body)
	}
	if w := f.postForm("/actions/13/reject", tldguard.RoleApprover, url.Values{"reason": {"not enough evidence"}}); w.Header().Get("Location") != "/cases/5?done=rejected&action=13#action-13" {
		t.Fatalf("reject: %d %q", w.Code, w.Header().Get("Location"))
	}

	// Undo proposes a release and goes to it.
	var undoReason string
	f.actions.UndoActionFn = func(_ context.Context, id int64, reason string) (*tldguard.Action, error) {
		undoReason = reason
		return &tldguard.Action{ID: 30, CaseID: 5, Kind: tldguard.ActionRelease, UndoOf: id, State: tldguard.ActionProposed}, nil
	}
	if w := f.postForm("/actions/11/undo", tldguard.RoleAnalyst, url.Values{"reason": {"court order lifted"}}); w.Header().Get("Location") != "/cases/5?done=undo&action=30#action-30" || undoReason != "court order lifted" {
		t.Fatalf("undo: %d %q", w.Code, w.Header().Get("Location"))
	}
	f.actions.UndoActionFn = func(context.Context, int64, string) (*tldguard.Action, error) {
		return nil, tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "undo_of", "only a carried-out hold, lock or redirect can be released (action 12 is a refer_registrar, done)")
	}
	if w := f.postForm("/actions/12/undo", tldguard.RoleAnalyst, nil); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `<a href="#action-12">Only a carried-out hold`) {
		t.Fatalf("422 undo: %d %s", w.Code, w.Body)
	}
	// An action that does not exist is a 404 page.
	f.actions.ApproveActionFn = func(context.Context, int64, string) (*tldguard.Action, error) {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no action 99")
	}
	if w := f.postForm("/actions/99/approve", tldguard.RoleApprover, nil); w.Code != http.StatusNotFound {
		t.Fatalf("unknown action: %d", w.Code)
	}
	if w := f.postForm("/actions/x/approve", tldguard.RoleApprover, nil); w.Code != http.StatusNotFound {
		t.Fatalf("bad id: %d", w.Code)
	}

	// Roles and CSRF: an analyst may not approve; no token, no decision.
	f.actions.ApproveActionFn = func(context.Context, int64, string) (*tldguard.Action, error) {
		t.Error("ApproveAction called by a refused post")
		return nil, nil
	}
	f.actions.RejectActionFn = func(context.Context, int64, string) (*tldguard.Action, error) {
		t.Error("RejectAction called by a refused post")
		return nil, nil
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"analyst approves": f.postForm("/actions/13/approve", tldguard.RoleAnalyst, nil),
		"auditor rejects":  f.postForm("/actions/13/reject", tldguard.RoleAuditor, url.Values{"reason": {"x"}}),
		"no token":         f.postForm("/actions/13/approve", tldguard.RoleApprover, url.Values{csrfField: nil}),
		"another session":  f.postForm("/actions/13/reject", tldguard.RoleApprover, url.Values{"reason": {"x"}, csrfField: {csrfToken("sess-admin")}}),
		"registrar undoes": f.postForm("/actions/11/undo", tldguard.RoleRegistrar, nil),
	} {
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
}

func TestUIApprovals(t *testing.T) {
	f := actionFixture(t)
	var filter tldguard.ActionFilter
	release := &tldguard.Action{ID: 14, CaseID: 5, Kind: tldguard.ActionRelease, State: tldguard.ActionProposed, Domain: "bad.example",
		UndoOf: 11, RequiredApprovals: 1, ProposedBy: "user:approver@nic.example", ProposedAt: t0.Add(-time.Minute), Reason: "court order lifted"}
	f.actions.ActionsFn = func(_ context.Context, af tldguard.ActionFilter) ([]*tldguard.Action, error) {
		filter = af
		return []*tldguard.Action{caseActionsFor()[2], release}, nil
	}
	f.actions.ActionFn = func(_ context.Context, id int64) (*tldguard.Action, error) {
		if id != 11 {
			t.Errorf("Action(%d)", id)
		}
		a := caseActionsFor()[0]
		a.Before.Statuses = []string{"ok", "serverDeleteProhibited"}
		return a, nil
	}
	f.ui.LookupFn = func(_ context.Context, name string) (*tldguard.Registration, error) {
		return &tldguard.Registration{Name: name, Statuses: []string{"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"}}, nil
	}
	w := f.do("GET", "/approvals", "", session(tldguard.RoleApprover)...)
	body := w.Body.String()
	if w.Code != http.StatusOK || len(filter.State) != 1 || filter.State[0] != tldguard.ActionProposed {
		t.Fatalf("approvals: %d filter %+v %s", w.Code, filter, body)
	}
	for _, want := range []string{
		`<a href="/cases/5#action-13" class="case-link">TG-0000005</a>`, "bad.example", "High priority",
		"user:analyst@nic.example", "kit confirmed", "0 of 2",
		"<dt>Reports</dt><dd>2<br><span class=\"muted\">first: Phishing, from Law enforcement</span>", "<dt>Evidence items</dt><dd>1</dd>",
		"What it would change", "<li>adds serverHold</li>", "<li>bad.example and every name under it stop resolving</li>",
		// The release restores the lock's statuses, except one that was there before.
		"<li>removes serverUpdateProhibited</li>", "<li>removes serverTransferProhibited</li>", "court order lifted",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("approvals page lacks %q", want)
		}
	}
	if strings.Contains(body, "removes serverDeleteProhibited") {
		t.Error("the release would remove a status the name had before the lock")
	}
	forms := wantForms(t, "/approvals", tldguard.RoleApprover, w)
	// The approver proposed the release: approve only the hold; both go
	// back to this list.
	if formsTo(forms, "/actions/13/approve") != 1 || formsTo(forms, "/actions/14/approve") != 0 || formsTo(forms, "/actions/14/reject") != 1 {
		t.Errorf("forms: %v", forms)
	}
	for _, form := range forms {
		if strings.Contains(form, "/actions/") && !strings.Contains(form, `name="back" value="approvals"`) {
			t.Errorf("a form that does not come back to the list: %s", form)
		}
	}
	if w := f.do("GET", "/approvals?done=rejected&action=13", "", session(tldguard.RoleApprover)...); !strings.Contains(w.Body.String(), "Action 13 rejected.") {
		t.Error("flash")
	}
	// Analysts and auditors read the list without forms.
	w = f.do("GET", "/approvals", "", session(tldguard.RoleAuditor)...)
	if forms := wantForms(t, "/approvals", tldguard.RoleAuditor, w); w.Code != http.StatusOK || len(forms) != 1 || !strings.Contains(w.Body.String(), "approvers and admins decide") {
		t.Errorf("auditor: %d, %d forms", w.Code, len(forms))
	}
	f.actions.ActionsFn = func(context.Context, tldguard.ActionFilter) ([]*tldguard.Action, error) { return nil, nil }
	if b := f.do("GET", "/approvals", "", session(tldguard.RoleApprover)...).Body.String(); !strings.Contains(b, "Nothing waits for approval.") {
		t.Error("empty list")
	}
	if w := f.do("GET", "/approvals", "", session(tldguard.RoleRegistrar)...); w.Code != http.StatusForbidden {
		t.Errorf("registrar: %d", w.Code)
	}
}

func TestUIReferrals(t *testing.T) {
	f := actionFixture(t)
	ref := func(id int64, due time.Duration, answered bool) tldguard.Referral {
		a := &tldguard.Action{ID: id, CaseID: 5, Kind: tldguard.ActionReferRegistrar, State: tldguard.ActionDone, Domain: "bad.example",
			DoneAt: t0.Add(-time.Hour), DueAt: t0.Add(due)}
		if answered {
			a.Answer = &tldguard.RegistrarAnswer{Outcome: "mitigated", Detail: "suspended the account", By: "reporter:Alpha", At: t0}
		}
		return tldguard.Referral{Action: a, Case: actionCase}
	}
	f.actions.ReferralsFn = func(ctx context.Context) ([]tldguard.Referral, error) {
		if tldguard.FromContext(ctx).Role != tldguard.RoleRegistrar {
			t.Error("Referrals called for a non-registrar")
		}
		return []tldguard.Referral{ref(21, -2*time.Hour, false), ref(22, 4*time.Hour, false), ref(23, 40*time.Hour, true)}, nil
	}
	w := f.do("GET", "/referrals", "", session(tldguard.RoleRegistrar)...)
	body := w.Body.String()
	for _, want := range []string{
		"TG-0000005", "bad.example", "Phishing", "High",
		`<span class="clock clock-overdue">Overdue by 2h</span>`, `<span class="clock clock-soon">4h left</span>`, `<span class="clock clock-done">Answered</span>`,
		"suspended the account", `id="outcome-21-mitigated"`, `id="detail-22"`, "SHA-256",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	forms := wantForms(t, "/referrals", tldguard.RoleRegistrar, w)
	if formsTo(forms, "/referrals/21/answer") != 1 || formsTo(forms, "/referrals/23/answer") != 0 {
		t.Errorf("answer forms: %v", forms)
	}
	// The navigation: registrars get the inbox, staff the approvals.
	if !strings.Contains(body, `href="/referrals"`) || strings.Contains(body, `href="/approvals"`) {
		t.Error("registrar's navigation")
	}
	for role, want := range map[tldguard.Role][2]bool{
		tldguard.RoleApprover: {true, false}, tldguard.RoleAnalyst: {true, false}, tldguard.RoleReporter: {false, false},
	} {
		b := f.do("GET", "/account", "", session(role)...).Body.String()
		if strings.Contains(b, `<a href="/approvals"`) != want[0] || strings.Contains(b, `<a href="/referrals"`) != want[1] {
			t.Errorf("%s's navigation: approvals %v referrals %v", role, strings.Contains(b, `href="/approvals"`), strings.Contains(b, `href="/referrals"`))
		}
	}

	var got [3]string
	f.actions.AnswerReferralFn = func(ctx context.Context, id int64, outcome, detail string) (*tldguard.Action, error) {
		got = [3]string{string(tldguard.FromContext(ctx).Role), outcome, detail}
		if id == 99 { // another registrar's: the service says it does not exist
			return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no referral 99")
		}
		if id == 22 {
			return nil, tldguard.Errorf(tldguard.ECONFLICT, "referral 22 was answered already (mitigated)")
		}
		return &tldguard.Action{ID: id, CaseID: 5}, nil
	}
	w = f.postForm("/referrals/21/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"mitigated"}, "detail": {"took the site down"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/referrals?done=answered&action=21" || got != [3]string{"registrar", "mitigated", "took the site down"} {
		t.Fatalf("answer: %d %q %v", w.Code, w.Header().Get("Location"), got)
	}
	if w := f.postForm("/referrals/21/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"no_action"}, "detail": {"customer disputes"}}); w.Header().Get("Location") != "/referrals?done=answered-no&action=21" {
		t.Fatalf("no action: %q", w.Header().Get("Location"))
	}
	if b := f.do("GET", "/referrals?done=answered-no&action=21", "", session(tldguard.RoleRegistrar)...).Body.String(); !strings.Contains(b, "The registry will now act on the name itself.") {
		t.Error("flash")
	}
	if w := f.postForm("/referrals/99/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"mitigated"}, "detail": {"x"}}); w.Code != http.StatusNotFound {
		t.Errorf("another registrar's referral: %d", w.Code)
	}
	w = f.postForm("/referrals/22/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"mitigated"}, "detail": {"again"}})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "Referral 22 was answered already") {
		t.Errorf("answered twice: %d %s", w.Code, w.Body)
	}
	// Missing answers are refused before the service, beside the fields.
	got = [3]string{}
	w = f.postForm("/referrals/21/answer", tldguard.RoleRegistrar, url.Values{"detail": {"  "}})
	body = w.Body.String()
	if w.Code != http.StatusBadRequest || got != [3]string{} || !strings.Contains(body, `<a href="#outcome-21">Choose whether you mitigated`) ||
		!strings.Contains(body, `<a href="#detail-21">Say what you did`) || !strings.Contains(body, `aria-invalid="true" aria-describedby="detail-21-error"`) {
		t.Fatalf("empty answer: %d %s", w.Code, body)
	}
	wantForms(t, "/referrals (refused)", tldguard.RoleRegistrar, w)

	// Only registrars; with the token only.
	f.actions.AnswerReferralFn = func(context.Context, int64, string, string) (*tldguard.Action, error) {
		t.Error("AnswerReferral called by a refused post")
		return nil, nil
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"reporter":   f.postForm("/referrals/21/answer", tldguard.RoleReporter, url.Values{"outcome": {"mitigated"}, "detail": {"x"}}),
		"admin":      f.postForm("/referrals/21/answer", tldguard.RoleAdmin, url.Values{"outcome": {"mitigated"}, "detail": {"x"}}),
		"no token":   f.postForm("/referrals/21/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"mitigated"}, "detail": {"x"}, csrfField: nil}),
		"cross-site": f.postForm("/referrals/21/answer", tldguard.RoleRegistrar, url.Values{"outcome": {"mitigated"}, "detail": {"x"}}, "Sec-Fetch-Site", "cross-site"),
	} {
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	if w := f.do("GET", "/referrals", "", session(tldguard.RoleAnalyst)...); w.Code != http.StatusForbidden {
		t.Errorf("analyst on the inbox: %d", w.Code)
	}
}

func TestWillChange(t *testing.T) {
	reg := &tldguard.Registration{Statuses: []string{"ok", "serverHold"}, NameServers: []string{"ns1.host.example"}}
	for _, tc := range []struct {
		a      *tldguard.Action
		undone *tldguard.Action
		reg    *tldguard.Registration
		want   string
	}{
		{&tldguard.Action{Kind: tldguard.ActionHold, Domain: "a.example"}, nil, reg, "serverHold is already set|a.example and every name under it stop resolving"},
		{&tldguard.Action{Kind: tldguard.ActionRedirect, NameServers: []string{"ns1.sink.example"}}, nil, reg, "replaces the name servers ns1.host.example with ns1.sink.example"},
		{&tldguard.Action{Kind: tldguard.ActionRedirect, NameServers: []string{"ns1.sink.example"}}, nil, nil, "replaces the name servers (unknown) with ns1.sink.example|(the registry did not say what the name holds now)"},
		{&tldguard.Action{Kind: tldguard.ActionRelease, UndoOf: 3}, &tldguard.Action{Kind: tldguard.ActionRedirect, Before: &tldguard.RegistryState{}}, reg,
			"replaces the name servers ns1.host.example with (none)"},
		{&tldguard.Action{Kind: tldguard.ActionRelease, UndoOf: 3}, &tldguard.Action{Kind: tldguard.ActionHold, Before: &tldguard.RegistryState{Statuses: []string{"serverHold"}}}, reg,
			"nothing to change: the registry already is in that state"},
		{&tldguard.Action{Kind: tldguard.ActionRelease, UndoOf: 3}, nil, reg, "releases action 3"},
		{&tldguard.Action{Kind: tldguard.ActionBlock, Names: []string{"x1.example", "x2.example"}}, nil, nil, "refuses registration of x1.example, x2.example"},
	} {
		if got := strings.Join(willChange(tc.a, tc.reg, tc.undone), "|"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.a.Kind, got, tc.want)
		}
	}
}
