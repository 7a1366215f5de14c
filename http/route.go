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
