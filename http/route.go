package http

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tldguard/tldguard"
)

// access is a route's rule: anyone (public), or a principal holding one of
// roles. There is no default: a route with neither is refused at start-up.
type access struct {
	public bool
	roles  []tldguard.Role
}

var (
	// anyone may call the route, signed in or not; it authenticates nobody.
	anyone = access{public: true}
	// signedIn is every role.
	signedIn = access{roles: tldguard.Roles}
	// staff is every operator role.
	staff = access{roles: tldguard.StaffRoles}
)

// only lets the listed roles in.
func only(roles ...tldguard.Role) access { return access{roles: roles} }

// allows reports whether a principal with role may call the route.
func (a access) allows(role tldguard.Role) bool {
	return a.public || slices.Contains(a.roles, role)
}

func (a access) String() string {
	if a.public {
		return "public"
	}
	s := make([]string, len(a.roles))
	for i, r := range a.roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// routeKind says how a route answers errors and which headers it sends.
// The web UI adds its own kind (HTML error pages, a CSP allowing its own
// assets) to the same table, under the same rules.
type routeKind int

const (
	kindAPI routeKind = iota // JSON, errors as problem details; in the OpenAPI document
	kindUI                   // HTML pages: sign-in redirects, error pages, form CSRF, the UI's CSP (ui.go)
)

// limitKind says which rate limit applies to a route besides the
// per-credential one every authenticated request counts against.
type limitKind int

const (
	limitNone     limitKind = iota
	limitClientIP           // per client address (sign-in: slows password guessing)
)

// handlerFunc is a handler that returns its error for the route to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one row of the route table.
type route struct {
	method  string
	pattern string // a ServeMux path pattern, e.g. "/api/v1/cases/{id}"
	access  access
	kind    routeKind
	limit   limitKind
	handle  handlerFunc
}

// routes is the route table: every route the server answers, with who may
// call it. It is the only way to register a handler.
func (s *Server) routes() []route {
	return []route{
		{method: "GET", pattern: "/healthz", access: anyone, handle: s.handleHealth},
		{method: "GET", pattern: "/api/v1/openapi.json", access: anyone, handle: s.handleOpenAPI},

		{method: "POST", pattern: "/api/v1/session", access: anyone, limit: limitClientIP, handle: s.handleLogin},
		{method: "GET", pattern: "/api/v1/session", access: signedIn, handle: s.handleSession},
		{method: "DELETE", pattern: "/api/v1/session", access: anyone, handle: s.handleLogout},

		{method: "POST", pattern: "/api/v1/reports", access: only(tldguard.RoleReporter, tldguard.RoleRegistrar), handle: s.handleSubmitReport},
		{method: "GET", pattern: "/api/v1/reports", access: signedIn, handle: s.handleReports},
		{method: "GET", pattern: "/api/v1/reports/{id}", access: signedIn, handle: s.handleReport},

		{method: "GET", pattern: "/api/v1/cases", access: caseReaders, handle: s.handleCases},
		{method: "GET", pattern: "/api/v1/cases/{id}", access: caseReaders, handle: s.handleCase},
		{method: "PATCH", pattern: "/api/v1/cases/{id}", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), handle: s.handleUpdateCase},

		{method: "GET", pattern: "/api/v1/audit/verify", access: only(tldguard.RoleAdmin, tldguard.RoleAuditor), handle: s.handleVerifyAudit},
		{method: "GET", pattern: "/api/v1/stats", access: staff, handle: s.handleStats},
		{method: "GET", pattern: "/api/v1/transparency", access: anyone, handle: s.handleTransparency},

		{method: "GET", pattern: "/api/v1/scans", access: staff, handle: s.handleScans},
		{method: "GET", pattern: "/api/v1/scans/{id}", access: staff, handle: s.handleScan},

		{method: "GET", pattern: "/api/v1/cases/{id}/proposals", access: staff, handle: s.handleTriage},
		{method: "GET", pattern: "/api/v1/cases/{id}/actions", access: staff, handle: s.handleCaseActions},
		{method: "POST", pattern: "/api/v1/cases/{id}/actions", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), handle: s.handleProposeAction},
		{method: "GET", pattern: "/api/v1/actions", access: staff, handle: s.handleActions},
		{method: "GET", pattern: "/api/v1/actions/{id}", access: staff, handle: s.handleAction},
		{method: "POST", pattern: "/api/v1/actions/{id}/approve", access: only(tldguard.RoleAdmin, tldguard.RoleApprover), handle: s.handleDecision("approve")},
		{method: "POST", pattern: "/api/v1/actions/{id}/reject", access: only(tldguard.RoleAdmin, tldguard.RoleApprover), handle: s.handleDecision("reject")},
		{method: "POST", pattern: "/api/v1/actions/{id}/undo", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), handle: s.handleDecision("undo")},
		{method: "GET", pattern: "/api/v1/referrals", access: only(tldguard.RoleRegistrar), handle: s.handleReferrals},
		{method: "POST", pattern: "/api/v1/referrals/{id}/answer", access: only(tldguard.RoleRegistrar), handle: s.handleAnswerReferral},
		{method: "GET", pattern: "/api/v1/blocked/{name}", access: signedIn, handle: s.handleBlocked},

		// The web UI (ui*.go): the same rules as the API routes that do the
		// same work. A signed-out browser is sent to the sign-in page; a
		// refused one gets a 403 page.
		{method: "GET", pattern: "/{$}", access: signedIn, kind: kindUI, handle: s.uiHome},
		{method: "GET", pattern: "/static/tldguard.css", access: anyone, kind: kindUI, handle: s.uiStylesheet},
		{method: "GET", pattern: "/signin", access: anyone, kind: kindUI, handle: s.uiSignInPage},
		{method: "POST", pattern: "/signin", access: anyone, kind: kindUI, limit: limitClientIP, handle: s.uiSignIn},
		{method: "POST", pattern: "/signin/reporter", access: anyone, kind: kindUI, limit: limitClientIP, handle: s.uiReporterSignIn},
		{method: "POST", pattern: "/signout", access: signedIn, kind: kindUI, handle: s.uiSignOut},
		{method: "POST", pattern: "/signout/everywhere", access: staff, kind: kindUI, handle: s.uiSignOutEverywhere},
		{method: "GET", pattern: "/account", access: signedIn, kind: kindUI, handle: s.uiAccount},

		{method: "GET", pattern: "/cases", access: caseReaders, kind: kindUI, handle: s.uiQueue},
		{method: "GET", pattern: "/cases/{id}", access: caseReaders, kind: kindUI, handle: s.uiCase},
		{method: "POST", pattern: "/cases/{id}", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), kind: kindUI, handle: s.uiTriage},

		// The Framework's actions (ui_action.go, ui_approval.go, ui_referral.go).
		{method: "POST", pattern: "/cases/{id}/actions", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), kind: kindUI, handle: s.uiProposeAction},
		{method: "POST", pattern: "/actions/{id}/approve", access: only(tldguard.RoleAdmin, tldguard.RoleApprover), kind: kindUI, handle: s.uiDecide("approve")},
		{method: "POST", pattern: "/actions/{id}/reject", access: only(tldguard.RoleAdmin, tldguard.RoleApprover), kind: kindUI, handle: s.uiDecide("reject")},
		{method: "POST", pattern: "/actions/{id}/undo", access: only(tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover), kind: kindUI, handle: s.uiDecide("undo")},
		{method: "GET", pattern: "/approvals", access: staff, kind: kindUI, handle: s.uiApprovals},
		{method: "GET", pattern: "/referrals", access: only(tldguard.RoleRegistrar), kind: kindUI, handle: s.uiReferrals},
		{method: "POST", pattern: "/referrals/{id}/answer", access: only(tldguard.RoleRegistrar), kind: kindUI, handle: s.uiAnswerReferral},

		{method: "GET", pattern: "/report", access: only(tldguard.RoleReporter, tldguard.RoleRegistrar), kind: kindUI, handle: s.uiReportForm},
		{method: "POST", pattern: "/report", access: only(tldguard.RoleReporter, tldguard.RoleRegistrar), kind: kindUI, handle: s.uiSubmitReport},
		{method: "GET", pattern: "/reports", access: signedIn, kind: kindUI, handle: s.uiReports},
		{method: "GET", pattern: "/reports/{id}", access: signedIn, kind: kindUI, handle: s.uiReport},

		{method: "GET", pattern: "/audit", access: only(tldguard.RoleAdmin, tldguard.RoleAuditor), kind: kindUI, handle: s.uiAudit},

		{method: "GET", pattern: "/admin/users", access: only(tldguard.RoleAdmin, tldguard.RoleAuditor), kind: kindUI, handle: s.uiUsers},
		{method: "POST", pattern: "/admin/users", access: only(tldguard.RoleAdmin), kind: kindUI, handle: s.uiCreateUser},
		{method: "POST", pattern: "/admin/tokens", access: only(tldguard.RoleAdmin), kind: kindUI, handle: s.uiCreateToken},
		{method: "GET", pattern: "/admin/reporters", access: only(tldguard.RoleAdmin, tldguard.RoleAuditor), kind: kindUI, handle: s.uiReporters},
		{method: "POST", pattern: "/admin/reporters", access: only(tldguard.RoleAdmin), kind: kindUI, handle: s.uiCreateReporter},
		{method: "POST", pattern: "/admin/reporters/{id}/verify", access: only(tldguard.RoleAdmin), kind: kindUI, handle: s.uiVerifyReporter},
		{method: "GET", pattern: "/admin/policy", access: staff, kind: kindUI, handle: s.uiPolicy},
		{method: "GET", pattern: "/stats", access: staff, kind: kindUI, handle: s.uiStats},
	}
}

// caseReaders may read the case queue and case pages. Reporters see only the
// cases their reports are filed on (the service enforces it). Registrars
// will see the cases referred to them once referrals exist.
var caseReaders = access{roles: append(slices.Clone(tldguard.StaffRoles), tldguard.RoleReporter)}

// newMux registers the table. A route without a rule, with an unknown role
// or registered twice is an error.
func (s *Server) newMux(table []route) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range table {
		key := rt.method + " " + rt.pattern
		switch {
		case seen[key]:
			return nil, fmt.Errorf("http: route %s is in the table twice", key)
		case rt.handle == nil:
			return nil, fmt.Errorf("http: route %s has no handler", key)
		case !rt.access.public && len(rt.access.roles) == 0:
			return nil, fmt.Errorf("http: route %s has no access rule", key)
		}
		for _, role := range rt.access.roles {
			if !slices.Contains(tldguard.Roles, role) {
				return nil, fmt.Errorf("http: route %s names unknown role %q", key, role)
			}
		}
		seen[key] = true
		mux.Handle(key, s.guard(rt))
	}
	return mux, nil
}

// guard wraps a route's handler with its rule: rate limits, authentication,
// CSRF for cookie sessions, the role check, and the principal in the
// context for the services.
func (s *Server) guard(rt route) http.Handler {
	if rt.kind == kindUI {
		return s.guardUI(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.limit == limitClientIP {
			if ok, wait := s.logins.allow(addrKey(s.clientIP(r))); !ok {
				s.refuseRate(w, r, wait)
				return
			}
		}
		if !rt.access.public {
			cred, p, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if ok, wait := s.limiter.allow(cred.key()); !ok {
				s.refuseRate(w, r, wait)
				return
			}
			if cred.session != "" && !safeMethod(r.Method) && !validCSRF(r, cred.session) {
				s.writeError(w, r, tldguard.FieldErrorf(tldguard.EFORBIDDEN, csrfHeader,
					"a request signed in by cookie must carry the session's CSRF token in the %s header", csrfHeader))
				return
			}
			if !p.HasRole(rt.access.roles...) {
				s.writeError(w, r, tldguard.Errorf(tldguard.EFORBIDDEN, "your role (%s) may not %s %s", p.Role, r.Method, rt.pattern))
				return
			}
			r = r.WithContext(withCredential(tldguard.NewContext(r.Context(), p), cred))
		}
		if err := rt.handle(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// safeMethod reports whether m changes nothing (RFC 9110 §9.2.1), so needs
// no CSRF token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
