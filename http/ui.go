package http

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/policy"
)

// The web UI.
//
// Pages are server-rendered from html/template files embedded in the
// binary and parsed once at start-up; each page has its own data struct
// (embedding page, which the layout reads). They work with JavaScript off:
// there is none. Every UI route is a row of the one route table (kind
// kindUI), under the same rules as the API routes that do the same work,
// and guardUI enforces them:
//
//   - Authentication is the session cookie only (a browser never sends a
//     bearer token). A request without a valid session is redirected to
//     /signin (303), with the page it wanted in "next" for a GET; a stale
//     cookie is cleared.
//   - A signed-in role the route does not allow gets a 403 page.
//   - Every state-changing request (POST) carries the session's CSRF token
//     (session.go: an HMAC of the session value) in the hidden form field
//     csrf_token; the sign-in forms, before there is a session, carry the
//     token of a sign-in cookie set by GET /signin. A POST whose browser
//     says it came from another site (Sec-Fetch-Site: cross-site) is refused
//     too. Forms that only read (filters, search) use GET and carry no
//     token, which would otherwise end up in URLs and history.
//   - Pages send a strict Content-Security-Policy (uiCSP): the one
//     stylesheet from this origin, images only from here or data: URLs, no
//     scripts at all, forms posting only here, no framing, no <base>.
//
// Screens of later work slot in the same way: a template, a data struct, a
// row in the table, and an entry in navigation, which each role sees only
// if its row allows it. The Framework's actions are built that way: the
// case page's "actions" template (between the summary and the reports)
// shows the assessment, the policy's proposals with their dry-run and the
// case's actions with their forms (ui_action.go); the approvers' list of
// what waits for them (ui_approval.go) and a registrar's referral inbox
// (ui_referral.go) are pages of their own.

// RegistryReader reads registration data for the case page.
// localregistry.Registry implements it (as does any tldguard.Registry).
type RegistryReader interface {
	// Lookup returns the registration of a registered name, ENOTFOUND when
	// nobody holds it.
	Lookup(ctx context.Context, name string) (*tldguard.Registration, error)
}

// SessionService is what the UI's sign-in needs beyond
// tldguard.AuthService. *service.Service implements it.
type SessionService interface {
	// ReporterLogin opens a portal session for a reporter account in
	// exchange for one of its API tokens.
	ReporterLogin(ctx context.Context, token string) (session string, p *tldguard.Principal, err error)
	// LogoutEverywhere ends every session of the signed-in staff member.
	LogoutEverywhere(ctx context.Context) error
}

// AdminService is what the admin pages do. *service.Service implements
// it; each method checks the principal in ctx itself.
type AdminService interface {
	Users(ctx context.Context) ([]*tldguard.User, error)
	// CreateUser returns the new user and their generated password.
	CreateUser(ctx context.Context, email, name string, role tldguard.Role) (*tldguard.User, string, error)
	// CreateUserToken returns a new API token for the user with email.
	CreateUserToken(ctx context.Context, email, label string) (string, error)
	Reporters(ctx context.Context) ([]*tldguard.Reporter, error)
	// AddReporter creates a reporter account (with its out-of-band
	// verification when r.Verification is set) and returns its first token.
	AddReporter(ctx context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error)
	// VerifyReporter records who checked an account out of band, and how.
	VerifyReporter(ctx context.Context, id int64, by, how string) (*tldguard.Reporter, error)
}

// Directory is the reference data pages show: the operator's TLDs and
// registrars (queue filters) and the effective policy. *service.Service
// implements it.
type Directory interface {
	TLDs(ctx context.Context) ([]string, error)
	Registrars(ctx context.Context) ([]*tldguard.Registrar, error)
	Policy() *policy.Policy
}

// uiCSP is the Content-Security-Policy of every UI response.
const uiCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// csrfField is the hidden form field that carries the CSRF token.
const csrfField = "csrf_token"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/tldguard.css
var stylesheet []byte

// ui holds what the pages need that is built once at start-up.
type ui struct {
	pages   map[string]*template.Template // by page name (the file name without .html)
	cssURL  string                        // the stylesheet's URL, versioned by its content
	cssTag  string                        // its ETag
	lockout *lockout
	access  map[string]access // "METHOD pattern" -> rule, for the navigation
}

// newUI parses every page template (each with the layout and the shared
// partials) once.
func newUI(now tldguard.Now) (*ui, error) {
	u := &ui{pages: map[string]*template.Template{}, access: map[string]access{}, lockout: newLockout(now)}
	sum := sha256.Sum256(stylesheet)
	u.cssTag = `"` + hex.EncodeToString(sum[:8]) + `"`
	u.cssURL = "/static/tldguard.css?v=" + hex.EncodeToString(sum[:6])
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", file)
		if err != nil {
			return nil, fmt.Errorf("http: template %s: %w", file, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("http: template %s defines no \"content\"", file)
		}
		u.pages[name] = t
	}
	return u, nil
}

// page is what the layout of every page shows: the title, who is signed
// in, their navigation, the CSRF token for the page's forms and a one-line
// notice ("Case updated.").
type page struct {
	Title  string
	Viewer *viewer
	Nav    []navLink
	CSRF   string
	Notice string
	CSS    string
}

// viewer is the signed-in principal as the layout shows it.
type viewer struct {
	Name  string
	Role  string
	Staff bool
}

type navLink struct {
	Href    string
	Label   string
	Current bool
}

// navigation lists the main pages; each appears only for the roles its
// route allows.
var navigation = []navLink{
	{Href: "/cases", Label: "Case queue"},
	{Href: "/report", Label: "Submit a report"},
	{Href: "/reports", Label: "Reports"},
	{Href: "/approvals", Label: "Approvals"},
	{Href: "/referrals", Label: "Referrals"},
	{Href: "/stats", Label: "Statistics"},
	{Href: "/audit", Label: "Audit log"},
	{Href: "/admin/users", Label: "Users"},
	{Href: "/admin/reporters", Label: "Reporters"},
	{Href: "/admin/policy", Label: "Policy"},
}

// base returns the layout data for a page of r.
func (s *Server) base(r *http.Request, title string) page {
	pg := page{Title: title, CSS: s.ui.cssURL}
	p := tldguard.FromContext(r.Context())
	if p == nil {
		return pg
	}
	pg.Viewer = &viewer{Name: p.Name, Role: roleText(p.Role), Staff: p.Kind == tldguard.PrincipalUser}
	if c := credentialFrom(r.Context()); c.session != "" {
		pg.CSRF = csrfToken(c.session)
	}
	links := navigation
	if p.Kind == tldguard.PrincipalReporter {
		// A reporter comes to report first.
		links = append([]navLink{navigation[1], navigation[0]}, navigation[2:]...)
	}
	for _, l := range links {
		if a, ok := s.ui.access["GET "+l.Href]; ok && !a.public && p.HasRole(a.roles...) {
			if p.Kind == tldguard.PrincipalReporter && l.Href == "/reports" {
				l.Label = "My reports"
			}
			if p.Kind == tldguard.PrincipalReporter && l.Href == "/cases" {
				l.Label = "My cases"
			}
			l.Current = r.URL.Path == l.Href || strings.HasPrefix(r.URL.Path, l.Href+"/")
			pg.Nav = append(pg.Nav, l)
		}
	}
	return pg
}

// render executes a page into a buffer first, so a template error becomes
// a clean error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	t := s.ui.pages[name]
	if t == nil {
		return tldguard.Internal(fmt.Errorf("no page %q", name), "render")
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return tldguard.Internal(err, "render "+name)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
	return nil
}

// setUIHeaders replaces the API's policy with the pages' own.
func setUIHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// guardUI wraps a UI route's handler with its rule (see the top of this
// file).
func (s *Server) guardUI(rt route) http.Handler {
	s.ui.access[rt.method+" "+rt.pattern] = rt.access
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setUIHeaders(w)
		if rt.limit == limitClientIP {
			if ok, wait := s.logins.allow(addrKey(s.clientIP(r))); !ok {
				w.Header().Set("Retry-After", retryAfter(wait))
				s.uiError(w, r, tldguard.Errorf(tldguard.ERATELIMITED, "Too many sign-in attempts from your address. Wait a minute and try again."))
				return
			}
		}
		unsafe := !safeMethod(r.Method)
		if unsafe && r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			s.uiError(w, r, tldguard.Errorf(tldguard.EFORBIDDEN, "This form was sent from another site, so it was refused."))
			return
		}
		var (
			cred credential
			p    *tldguard.Principal
		)
		if !rt.access.public {
			var err error
			if cred, p, err = s.authenticateUI(r); err != nil {
				s.uiError(w, r, err)
				return
			}
			if ok, wait := s.limiter.allow(cred.key()); !ok {
				w.Header().Set("Retry-After", retryAfter(wait))
				s.uiError(w, r, tldguard.Errorf(tldguard.ERATELIMITED, "Too many requests. Wait a moment and try again."))
				return
			}
			r = r.WithContext(withCredential(tldguard.NewContext(r.Context(), p), cred))
		}
		if unsafe {
			// The body is read only once the sender is known (or, for the
			// sign-in forms, within the per-address limit).
			if err := s.parseUIForm(w, r); err != nil {
				s.uiError(w, r, err)
				return
			}
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			switch {
			case rt.access.public && !validFormCSRF(r, signinCookieValue(r)):
				s.uiError(w, r, errSigninCSRF)
				return
			case !rt.access.public && !validFormCSRF(r, cred.session):
				s.uiError(w, r, errFormCSRF)
				return
			}
		}
		if !rt.access.public && !p.HasRole(rt.access.roles...) {
			s.uiError(w, r, tldguard.Errorf(tldguard.EFORBIDDEN, "Your role (%s) does not give access to this page.", roleText(p.Role)))
			return
		}
		if err := rt.handle(w, r); err != nil {
			s.uiError(w, r, err)
		}
	})
}

var (
	errFormCSRF = tldguard.FieldErrorf(tldguard.EFORBIDDEN, csrfField,
		"The form did not carry this session's security token, so nothing was changed. Go back, reload the page and try again.")
	errSigninCSRF = tldguard.FieldErrorf(tldguard.EFORBIDDEN, csrfField,
		"The sign-in form has expired or your browser refused its cookie. Reload the sign-in page (with cookies enabled) and try again.")
)

// validFormCSRF reports whether r's form carries the CSRF token of secret
// (a session, or the sign-in cookie before there is one).
func validFormCSRF(r *http.Request, secret string) bool {
	got := r.PostFormValue(csrfField)
	return secret != "" && got != "" && hmac.Equal([]byte(got), []byte(csrfToken(secret)))
}

// authenticateUI resolves the session cookie; API tokens do not open pages.
func (s *Server) authenticateUI(r *http.Request) (credential, *tldguard.Principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return credential{}, nil, errNoCredentials
	}
	cred := credential{session: c.Value}
	p, err := s.svc.Auth.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		return cred, nil, err
	}
	if p == nil {
		return cred, nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "unknown session")
	}
	if info := infoFrom(r.Context()); info != nil {
		info.principal = p.Actor()
	}
	return cred, p, nil
}

// parseUIForm reads a POSTed form (URL-encoded, or multipart for the
// report form's evidence) within the body limit.
func (s *Server) parseUIForm(w http.ResponseWriter, r *http.Request) error {
	limit := s.cfg.BodyLimit
	tooLarge := tldguard.Errorf(tldguard.ETOOLARGE, "The form is larger than %s. Attach smaller files, or send the evidence through the API.", sizeText(limit))
	if r.ContentLength > limit {
		return tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		// Everything fits in memory: the body is capped at the limit.
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge
		}
		return tldguard.Errorf(tldguard.EINVALID, "The form could not be read; reload the page and try again.")
	}
	return nil
}

// errorPage is the data of the error page.
type errorPage struct {
	page
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// uiError answers err as a page: a browser without a valid session goes to
// the sign-in page; anything else gets an error page with the status the
// API would give. Internal detail is logged, never shown.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	kind := tldguard.ErrorKind(err)
	status := statusOf(kind)
	if status == http.StatusUnauthorized {
		if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
			s.clearSession(w, r)
		}
		target := "/signin"
		if safeMethod(r.Method) && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	pg := errorPage{page: s.base(r, http.StatusText(status)), Status: status, Heading: http.StatusText(status)}
	var e *tldguard.Error
	if errors.As(err, &e) {
		pg.Message = e.Message
	}
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		s.log.ErrorContext(r.Context(), "http: internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
		pg.Heading = "Something went wrong"
		pg.Message = "The page could not be shown. If it keeps happening, give the operator this request id."
		pg.RequestID = requestID(r.Context())
	case status == http.StatusServiceUnavailable:
		s.log.WarnContext(r.Context(), "http: dependency unavailable", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
		pg.RequestID = requestID(r.Context())
	case status == http.StatusForbidden:
		pg.Heading = "Not allowed"
	case status == http.StatusNotFound:
		pg.Heading = "Not found"
	case status == http.StatusTooManyRequests:
		pg.Heading = "Slow down"
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	case status == http.StatusRequestEntityTooLarge:
		w.Header().Set("Connection", "close")
	}
	if pg.Message == "" {
		pg.Message = http.StatusText(status)
	}
	if rerr := s.render(w, status, "error", pg); rerr != nil {
		s.log.ErrorContext(r.Context(), "http: render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// seeOther redirects a browser after a POST (or to its home page).
func seeOther(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// need returns EUNAVAILABLE when a UI service is not wired in.
func need(svc any, what string) error {
	if svc == nil {
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "%s is not configured on this server", what)
	}
	return nil
}

// home is where a principal lands after signing in.
func home(p *tldguard.Principal) string {
	if p != nil && p.Kind == tldguard.PrincipalReporter {
		return "/report"
	}
	return "/cases"
}

// uiHome answers GET /: the signed-in principal's main page.
func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	return seeOther(w, r, home(tldguard.FromContext(r.Context())))
}

// uiStylesheet answers GET /static/tldguard.css. The pages link it with
// its content hash, so that URL may be cached for good.
func (s *Server) uiStylesheet(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("ETag", s.ui.cssTag)
	if r.URL.RawQuery != "" && "/static/tldguard.css?"+r.URL.RawQuery == s.ui.cssURL {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == s.ui.cssTag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Write(stylesheet)
	return nil
}

// roleText names a role for people.
func roleText(r tldguard.Role) string {
	switch r {
	case tldguard.RoleAdmin:
		return "admin"
	case tldguard.RoleAnalyst:
		return "analyst"
	case tldguard.RoleApprover:
		return "approver"
	case tldguard.RoleAuditor:
		return "auditor"
	case tldguard.RoleReporter:
		return "reporter"
	case tldguard.RoleRegistrar:
		return "registrar"
	}
	return string(r)
}

// mayRead reports whether p may follow the UI route "METHOD pattern".
func (s *Server) mayRead(p *tldguard.Principal, route string) bool {
	a, ok := s.ui.access[route]
	return ok && (a.public || p.HasRole(a.roles...))
}
