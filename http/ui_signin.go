package http

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// Signing in and out of the web UI.
//
// Staff sign in with e-mail and password (AuthService.Login); reporter
// accounts, which have API tokens rather than passwords, exchange a token
// for a portal session (SessionService.ReporterLogin), so the token need not
// stay in the browser. Both set the session cookie the API uses
// (HttpOnly, SameSite=Lax, Secure over TLS).
//
// Password guessing meets two limits. Each client address has a token
// bucket for the sign-in routes (Config.LoginRate and LoginBurst, shared
// with POST /api/v1/session). And each staff account is locked for
// lockoutFor after lockoutAfter failed sign-ins within lockoutWindow,
// whatever address they came from; while it is locked the password is not
// even checked. The lockout is kept in memory on each node: with n nodes
// behind a balancer a guesser gets at most n times the attempts, and a
// restart forgets it (the per-address limit still holds). Unknown
// addresses are locked like real ones, so the lockout tells nobody which
// accounts exist. Reporter tokens are 256-bit random values, which no
// amount of guessing finds; the per-address limit covers them.

const (
	// signinCookie holds a random value whose CSRF token the sign-in forms
	// carry, so another site cannot sign a browser into its own account.
	signinCookie = "tldguard_signin"

	lockoutAfter   = 5
	lockoutWindow  = 15 * time.Minute
	lockoutFor     = 15 * time.Minute
	lockoutEntries = 10000
)

// lockout counts failed sign-ins per account.
type lockout struct {
	now tldguard.Now

	mu       sync.Mutex
	accounts map[string]*failures
}

type failures struct {
	count int
	first time.Time // of the failures counted
	last  time.Time
	until time.Time // locked until; zero when not locked
}

func newLockout(now tldguard.Now) *lockout {
	return &lockout{now: now, accounts: map[string]*failures{}}
}

// locked reports whether key is locked, and until when.
func (l *lockout) locked(key string) (time.Time, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.accounts[key]
	if f == nil || !now.Before(f.until) {
		return time.Time{}, false
	}
	return f.until, true
}

// fail records a failed sign-in for key and returns when the account is
// locked until (zero when it is not).
func (l *lockout) fail(key string) time.Time {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.accounts[key]
	if f == nil {
		if len(l.accounts) >= lockoutEntries {
			l.evict(now)
		}
		f = &failures{first: now}
		l.accounts[key] = f
	}
	if now.Sub(f.first) > lockoutWindow && !now.Before(f.until) {
		*f = failures{first: now}
	}
	f.count++
	f.last = now
	if f.count >= lockoutAfter {
		f.until = now.Add(lockoutFor)
		f.count, f.first = 0, f.until
	}
	return f.until
}

// reset forgets key's failures after a successful sign-in.
func (l *lockout) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, key)
}

// evict drops the entries that no longer matter and, if the map is still
// full, the one that failed longest ago and is not locked.
func (l *lockout) evict(now time.Time) {
	for k, f := range l.accounts {
		if now.Sub(f.last) > lockoutWindow && !now.Before(f.until) {
			delete(l.accounts, k)
		}
	}
	if len(l.accounts) < lockoutEntries {
		return
	}
	var oldest string
	var at time.Time
	for k, f := range l.accounts {
		if now.Before(f.until) {
			continue
		}
		if oldest == "" || f.last.Before(at) {
			oldest, at = k, f.last
		}
	}
	delete(l.accounts, oldest)
}

// signinPage is the data of the sign-in page.
type signinPage struct {
	page
	Next    string
	Email   string
	Message string
	Errors  map[string]string // email, password, token, staff, reporter
}

// uiSignInPage answers GET /signin. A browser that is signed in already
// goes to its page.
func (s *Server) uiSignInPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if p, err := s.svc.Auth.AuthenticateSession(r.Context(), c.Value); err == nil && p != nil {
			return seeOther(w, r, cmp.Or(next, home(p)))
		}
		s.clearSession(w, r)
	}
	pg := signinPage{page: s.base(r, "Sign in"), Next: next}
	pg.CSRF = csrfToken(s.signinSecret(w, r))
	switch r.URL.Query().Get("signed_out") {
	case "1":
		pg.Message = "You have signed out."
	case "all":
		pg.Message = "You have signed out on every device."
	}
	return s.render(w, http.StatusOK, "signin", pg)
}

// signinSecret returns the sign-in cookie's value, setting a new one when
// the browser has none.
func (s *Server) signinSecret(w http.ResponseWriter, r *http.Request) string {
	if v := signinCookieValue(r); v != "" {
		return v
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: signinCookie, Value: v, Path: "/signin",
		HttpOnly: true, Secure: s.overTLS(r), SameSite: http.SameSiteLaxMode,
	})
	return v
}

// signinCookieValue returns the sign-in cookie, "" when absent or malformed.
func signinCookieValue(r *http.Request) string {
	c, err := r.Cookie(signinCookie)
	if err != nil || len(c.Value) < 32 || len(c.Value) > 64 {
		return ""
	}
	return c.Value
}

// uiSignIn answers POST /signin: a staff member's e-mail and password.
func (s *Server) uiSignIn(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	again := func(status int, errs map[string]string) error {
		pg := signinPage{page: s.base(r, "Sign in"), Next: next, Email: email, Errors: errs}
		pg.CSRF = csrfToken(s.signinSecret(w, r))
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tldguard"`)
		}
		return s.render(w, status, "signin", pg)
	}
	errs := map[string]string{}
	switch {
	case email == "":
		errs["email"] = "Enter your e-mail address."
	case len(email) > 254:
		errs["email"] = "An e-mail address has at most 254 characters."
	}
	switch {
	case password == "":
		errs["password"] = "Enter your password."
	case len(password) > 1024:
		errs["password"] = "A password has at most 1024 bytes."
	}
	if len(errs) > 0 {
		return again(http.StatusBadRequest, errs)
	}
	key := "staff:" + strings.ToLower(email)
	if until, ok := s.ui.lockout.locked(key); ok {
		w.Header().Set("Retry-After", retryAfter(until.Sub(s.now())))
		return again(http.StatusTooManyRequests, map[string]string{"staff": lockedText(until)})
	}
	session, p, err := s.svc.Auth.Login(r.Context(), email, password)
	if tldguard.ErrorKind(err) == tldguard.EUNAUTHORIZED {
		if until := s.ui.lockout.fail(key); !until.IsZero() {
			w.Header().Set("Retry-After", retryAfter(until.Sub(s.now())))
			return again(http.StatusTooManyRequests, map[string]string{"staff": lockedText(until)})
		}
		return again(http.StatusUnauthorized, map[string]string{"staff": "Wrong e-mail or password."})
	}
	if err != nil {
		return err
	}
	if session == "" || p == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "Login returned no session")
	}
	s.ui.lockout.reset(key)
	s.setSession(w, r, session, p)
	return seeOther(w, r, cmp.Or(next, home(p)))
}

// uiReporterSignIn answers POST /signin/reporter: a reporter account's API
// token, exchanged for a portal session.
func (s *Server) uiReporterSignIn(w http.ResponseWriter, r *http.Request) error {
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	again := func(status int, errs map[string]string) error {
		pg := signinPage{page: s.base(r, "Sign in"), Next: next, Errors: errs}
		pg.CSRF = csrfToken(s.signinSecret(w, r))
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tldguard"`)
		}
		return s.render(w, status, "signin", pg)
	}
	switch {
	case token == "":
		return again(http.StatusBadRequest, map[string]string{"token": "Enter your reporter account's API token."})
	case len(token) > 200:
		return again(http.StatusBadRequest, map[string]string{"token": "That is longer than any tldguard token."})
	}
	if err := need(s.svc.Sessions, "Reporter sign-in"); err != nil {
		return err
	}
	session, p, err := s.svc.Sessions.ReporterLogin(r.Context(), token)
	if tldguard.ErrorKind(err) == tldguard.EUNAUTHORIZED {
		msg := "That token was not accepted: it is unknown, revoked, or its account is disabled."
		if strings.HasPrefix(token, "tgu_") {
			msg = "That is a staff API token. Staff sign in with e-mail and password."
		}
		return again(http.StatusUnauthorized, map[string]string{"reporter": msg})
	}
	if err != nil {
		return err
	}
	if session == "" || p == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "ReporterLogin returned no session")
	}
	s.setSession(w, r, session, p)
	return seeOther(w, r, cmp.Or(next, home(p)))
}

// uiSignOut answers POST /signout: it ends this browser's session.
func (s *Server) uiSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Auth.Logout(r.Context(), credentialFrom(r.Context()).session); err != nil {
		if k := tldguard.ErrorKind(err); k != tldguard.ENOTFOUND && k != tldguard.EUNAUTHORIZED {
			return err
		}
	}
	s.clearSession(w, r)
	return seeOther(w, r, "/signin?signed_out=1")
}

// uiSignOutEverywhere answers POST /signout/everywhere: it ends every
// session of the signed-in staff member, on every device.
func (s *Server) uiSignOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Sessions, "Signing out everywhere"); err != nil {
		return err
	}
	if err := s.svc.Sessions.LogoutEverywhere(r.Context()); err != nil {
		return err
	}
	s.clearSession(w, r)
	return seeOther(w, r, "/signin?signed_out=all")
}

// accountPage is the data of the account page.
type accountPage struct {
	page
	Kind     string
	Reporter *reporterRow
}

// uiAccount answers GET /account: who is signed in, and the sign-out
// buttons.
func (s *Server) uiAccount(w http.ResponseWriter, r *http.Request) error {
	p := tldguard.FromContext(r.Context())
	pg := accountPage{page: s.base(r, "Your account"), Kind: "staff member"}
	if p.Kind == tldguard.PrincipalReporter {
		pg.Kind = "reporter account"
		if p.Reporter != nil {
			row := toReporterRow(p.Reporter)
			pg.Reporter = &row
		}
	}
	return s.render(w, http.StatusOK, "account", pg)
}

// setSession sets the session cookie, as POST /api/v1/session does.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, session string, p *tldguard.Principal) {
	if info := infoFrom(r.Context()); info != nil {
		info.principal = p.Actor()
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: session, Path: "/",
		HttpOnly: true, Secure: s.overTLS(r), SameSite: http.SameSiteLaxMode,
	})
}

// clearSession removes the session cookie.
func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.overTLS(r), SameSite: http.SameSiteLaxMode,
	})
}

// safeNext returns next if it is a path on this site to go to after
// signing in, "" otherwise (an absolute or scheme-relative URL would make
// the sign-in page an open redirect).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		strings.HasPrefix(u.Path, "/signin") || strings.HasPrefix(u.Path, "/signout") {
		return ""
	}
	return next
}

func lockedText(until time.Time) string {
	return "Too many failed sign-ins for this account. It is locked until " + until.UTC().Format("15:04 UTC") +
		"; try again then, or ask an admin."
}

// retryAfter is a Retry-After value: whole seconds, at least one.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
