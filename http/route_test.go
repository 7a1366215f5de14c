package http

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// happy makes every service call succeed with a minimal answer.
func (f *fixture) happy() {
	c := &tldguard.Case{ID: 1, Domain: "bad.example", TLD: "example", Status: tldguard.StatusOpen, Version: 1}
	f.reports.SubmitReportFn = func(context.Context, *tldguard.Submission) (*tldguard.Receipt, error) {
		return &tldguard.Receipt{ReportID: 1}, nil
	}
	f.reports.ReportFn = func(context.Context, int64) (*tldguard.Report, error) { return &tldguard.Report{ID: 1}, nil }
	f.reports.ReportsFn = func(context.Context, tldguard.ReportFilter) ([]*tldguard.Report, error) { return nil, nil }
	f.cases.CasesFn = func(context.Context, tldguard.CaseFilter) (*tldguard.CasePage, error) {
		return &tldguard.CasePage{Cases: []*tldguard.Case{c}}, nil
	}
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) { return &tldguard.CaseDetail{Case: c}, nil }
	f.cases.UpdateCaseFn = func(context.Context, int64, tldguard.CaseUpdate) (*tldguard.Case, error) { return c, nil }
	f.auth.LoginFn = func(context.Context, string, string) (string, *tldguard.Principal, error) {
		return "sess-admin", principal(tldguard.RoleAdmin), nil
	}
	f.auth.LogoutFn = func(context.Context, string) error { return nil }
	f.audit.VerifyChainFn = func(context.Context, *tldguard.ChainHead) (*tldguard.ChainReport, error) {
		return &tldguard.ChainReport{OK: true}, nil
	}
	f.happyActions(c)
}

// happyActions makes every ActionService call succeed with a minimal
// answer about case c.
func (f *fixture) happyActions(c *tldguard.Case) {
	act := func(id int64, k tldguard.ActionKind) *tldguard.Action {
		return &tldguard.Action{ID: id, CaseID: c.ID, Kind: k, State: tldguard.ActionProposed, Domain: c.Domain, RequiredApprovals: 1}
	}
	f.actions.TriageFn = func(context.Context, int64) (*tldguard.Triage, error) {
		return &tldguard.Triage{Case: c, Verdict: tldguard.Verdict{Class: tldguard.ClassMalicious}}, nil
	}
	f.actions.ProposeActionFn = func(_ context.Context, _ int64, in tldguard.ActionInput) (*tldguard.Action, error) {
		return act(1, in.Kind), nil
	}
	f.actions.ApproveActionFn = func(_ context.Context, id int64, _ string) (*tldguard.Action, error) {
		return act(id, tldguard.ActionHold), nil
	}
	f.actions.RejectActionFn = func(_ context.Context, id int64, _ string) (*tldguard.Action, error) {
		return act(id, tldguard.ActionHold), nil
	}
	f.actions.UndoActionFn = func(_ context.Context, id int64, _ string) (*tldguard.Action, error) {
		return act(id+1, tldguard.ActionRelease), nil
	}
	f.actions.ActionFn = func(_ context.Context, id int64) (*tldguard.Action, error) { return act(id, tldguard.ActionHold), nil }
	f.actions.ActionsFn = func(context.Context, tldguard.ActionFilter) ([]*tldguard.Action, error) {
		return []*tldguard.Action{act(1, tldguard.ActionHold)}, nil
	}
	f.actions.ReferralsFn = func(context.Context) ([]tldguard.Referral, error) {
		ref := act(2, tldguard.ActionReferRegistrar)
		ref.State = tldguard.ActionDone
		return []tldguard.Referral{{Action: ref, Case: c}}, nil
	}
	f.actions.AnswerReferralFn = func(_ context.Context, id int64, outcome, detail string) (*tldguard.Action, error) {
		ref := act(id, tldguard.ActionReferRegistrar)
		ref.Answer = &tldguard.RegistrarAnswer{Outcome: outcome, Detail: detail}
		return ref, nil
	}
	f.actions.BlockedFn = func(_ context.Context, name string) (*tldguard.Blocked, error) {
		return &tldguard.Blocked{Name: name, ActionID: 1, CaseID: c.ID}, nil
	}
}

// walkRequest is a well-formed request for rt, so that only the access rule
// can refuse it.
func walkRequest(rt route) *http.Request {
	path := strings.ReplaceAll(strings.ReplaceAll(rt.pattern, "{id}", "1"), "{$}", "")
	switch {
	case rt.kind == kindUI && rt.method == "POST":
		return req(rt.method, path, "", formCT...)
	case rt.method == "POST" && rt.pattern == "/api/v1/session":
		return req(rt.method, path, `{"email":"a@nic.example","password":"pw"}`, jsonCT...)
	case rt.method == "POST" || rt.method == "PATCH":
		return req(rt.method, path, `{}`, jsonCT...)
	}
	return req(rt.method, path, "")
}

// TestRouteRoleWalk calls every route as every role and as nobody, and checks
// the answer is exactly what the route table's rule says.
func TestRouteRoleWalk(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LoginBurst = 1000 })
	f.happy()
	roles := append([]tldguard.Role{""}, tldguard.Roles...) // "" is anonymous
	for _, rt := range f.srv.routes() {
		for _, role := range roles {
			name := string(role)
			if name == "" {
				name = "anonymous"
			}
			t.Run(rt.method+" "+rt.pattern+" as "+name, func(t *testing.T) {
				if rt.kind == kindUI {
					walkUI(t, f, rt, role)
					return
				}
				r := walkRequest(rt)
				if role != "" {
					r.Header.Set("Authorization", "Bearer tok-"+string(role))
				}
				w := f.serve(r)
				switch {
				case rt.access.public:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 {
						t.Fatalf("public route: status %d, body %s", w.Code, w.Body)
					}
				case role == "":
					wantProblem(t, w, http.StatusUnauthorized, "")
					if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
						t.Fatalf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
					}
				case !rt.access.allows(role):
					wantProblem(t, w, http.StatusForbidden, "")
				default:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 {
						t.Fatalf("%s is allowed (%s): status %d, body %s", role, rt.access, w.Code, w.Body)
					}
				}
			})
		}
	}
}

// TestRouteTableRefusesBadRows checks newMux refuses what the table must
// not hold.
func TestRouteTableRefusesBadRows(t *testing.T) {
	f := newFixture(t)
	h := func(http.ResponseWriter, *http.Request) error { return nil }
	for name, table := range map[string][]route{
		"no rule":      {{method: "GET", pattern: "/x", handle: h}},
		"unknown role": {{method: "GET", pattern: "/x", access: only("root"), handle: h}},
		"twice":        {{method: "GET", pattern: "/x", access: anyone, handle: h}, {method: "GET", pattern: "/x", access: staff, handle: h}},
		"no handler":   {{method: "GET", pattern: "/x", access: anyone}},
	} {
		if _, err := f.srv.newMux(table); err == nil {
			t.Errorf("%s: newMux accepted the table", name)
		}
	}
}

// TestEveryRouteIsInTheTable checks that the mux answers exactly the
// table's routes: a request for a table route reaches a registered pattern.
func TestEveryRouteIsInTheTable(t *testing.T) {
	f := newFixture(t)
	for _, rt := range f.srv.routes() {
		_, pattern := f.srv.mux.Handler(walkRequest(rt))
		if pattern != rt.method+" "+rt.pattern {
			t.Errorf("%s %s is served by pattern %q", rt.method, rt.pattern, pattern)
		}
	}
}
