package http

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

func TestLogin(t *testing.T) {
	f := newFixture(t)
	f.auth.LoginFn = func(_ context.Context, email, password string) (string, *tldguard.Principal, error) {
		if email != "analyst@nic.example" || password != "correct horse" {
			return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "wrong e-mail or password")
		}
		return "sess-analyst", principal(tldguard.RoleAnalyst), nil
	}
	body := `{"email":"analyst@nic.example","password":"correct horse"}`
	w := f.do("POST", "/api/v1/session", body, jsonCT...)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != "tldguard_session" || c[0].Value != "sess-analyst" || !c[0].HttpOnly ||
		c[0].SameSite != http.SameSiteLaxMode || c[0].Path != "/" || c[0].Secure {
		t.Fatalf("cookie = %+v", c)
	}
	m := decode(t, w)
	p := m["principal"].(map[string]any)
	if p["role"] != "analyst" || p["actor"] != "user:analyst@nic.example" || m["csrf_token"] != csrfToken("sess-analyst") {
		t.Errorf("session = %v", m)
	}
	if strings.Contains(f.logs.String(), "correct horse") || strings.Contains(f.logs.String(), "sess-analyst") {
		t.Errorf("a secret reached the log:\n%s", f.logs.String())
	}

	// Over TLS the cookie is Secure.
	r := req("POST", "/api/v1/session", body, jsonCT...)
	r.TLS = &tls.ConnectionState{}
	if c := f.serve(r).Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookie over TLS = %+v", c)
	}

	w = f.do("POST", "/api/v1/session", `{"email":"analyst@nic.example","password":"wrong"}`, jsonCT...)
	wantProblem(t, w, http.StatusUnauthorized, "")
	if w.Header().Get("WWW-Authenticate") == "" || len(w.Result().Cookies()) != 0 {
		t.Errorf("failed login: WWW-Authenticate %q, cookies %v", w.Header().Get("WWW-Authenticate"), w.Result().Cookies())
	}
	wantProblem(t, f.do("POST", "/api/v1/session", `{"email":"a@b"}`, jsonCT...), http.StatusBadRequest, "password")
	wantProblem(t, f.do("POST", "/api/v1/session", `{"email":"a@b","password":"x","otp":1}`, jsonCT...), http.StatusBadRequest, "otp")
}

func TestLoginRateLimitedPerAddress(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LoginBurst = 2; c.LoginRate = 0.1 })
	f.auth.LoginFn = func(context.Context, string, string) (string, *tldguard.Principal, error) {
		return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "wrong e-mail or password")
	}
	login := func(addr string) *http.Request {
		r := req("POST", "/api/v1/session", `{"email":"a@b","password":"guess"}`, jsonCT...)
		r.RemoteAddr = addr
		return r
	}
	for range 2 {
		wantProblem(t, f.serve(login("198.51.100.7:4000")), http.StatusUnauthorized, "")
	}
	w := f.serve(login("198.51.100.7:4001"))
	wantProblem(t, w, http.StatusTooManyRequests, "")
	if w.Header().Get("Retry-After") != "10" {
		t.Errorf("Retry-After = %q, want 10", w.Header().Get("Retry-After"))
	}
	// Another address has its own bucket; the same IPv6 /64 does not.
	wantProblem(t, f.serve(login("198.51.100.8:4000")), http.StatusUnauthorized, "")
	wantProblem(t, f.serve(login("[2001:db8::1]:4000")), http.StatusUnauthorized, "")
	wantProblem(t, f.serve(login("[2001:db8::2]:4000")), http.StatusUnauthorized, "")
	wantProblem(t, f.serve(login("[2001:db8::3]:4000")), http.StatusTooManyRequests, "")
}

// TestCookieCSRF checks a cookie-authenticated change needs the session's
// CSRF token, while reads and bearer requests do not.
func TestCookieCSRF(t *testing.T) {
	f := newFixture(t)
	f.happy()
	cookie := []string{"Cookie", "tldguard_session=sess-analyst"}
	body := `{"status":"in_progress"}`

	if w := f.do("GET", "/api/v1/cases/42", "", cookie...); w.Code != http.StatusOK {
		t.Fatalf("cookie GET: status %d: %s", w.Code, w.Body)
	}
	p := wantProblem(t, f.do("PATCH", "/api/v1/cases/42", body, hdrs(cookie, jsonCT)...), http.StatusForbidden, "X-CSRF-Token")
	if !strings.Contains(p.Detail, "CSRF") {
		t.Errorf("detail = %q", p.Detail)
	}
	wrong := []string{"X-CSRF-Token", csrfToken("sess-admin")}
	wantProblem(t, f.do("PATCH", "/api/v1/cases/42", body, hdrs(cookie, jsonCT, wrong)...), http.StatusForbidden, "X-CSRF-Token")
	right := []string{"X-CSRF-Token", csrfToken("sess-analyst")}
	if w := f.do("PATCH", "/api/v1/cases/42", body, hdrs(cookie, jsonCT, right)...); w.Code != http.StatusOK {
		t.Fatalf("PATCH with CSRF token: status %d: %s", w.Code, w.Body)
	}
	if w := f.do("PATCH", "/api/v1/cases/42", body, hdrs(as(tldguard.RoleAnalyst), jsonCT)...); w.Code != http.StatusOK {
		t.Fatalf("bearer PATCH: status %d: %s", w.Code, w.Body)
	}
	// A bad session is 401 without a Bearer error code.
	w := f.do("GET", "/api/v1/cases/42", "", "Cookie", "tldguard_session=stale")
	wantProblem(t, w, http.StatusUnauthorized, "")
	if w.Header().Get("WWW-Authenticate") != `Bearer realm="tldguard"` {
		t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
	}
}

func TestWhoAmI(t *testing.T) {
	f := newFixture(t)
	m := decode(t, f.do("GET", "/api/v1/session", "", "Cookie", "tldguard_session=sess-auditor"))
	if m["csrf_token"] != csrfToken("sess-auditor") || m["principal"].(map[string]any)["role"] != "auditor" {
		t.Errorf("cookie session = %v", m)
	}
	m = decode(t, f.do("GET", "/api/v1/session", "", as(tldguard.RoleRegistrar)...))
	p := m["principal"].(map[string]any)
	if _, ok := m["csrf_token"]; ok || p["kind"] != "reporter" || p["reporter"].(map[string]any)["registrar_id"] != "9999" {
		t.Errorf("bearer session = %v", m)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	var ended string
	var by string
	f.auth.LogoutFn = func(ctx context.Context, s string) error {
		ended, by = s, tldguard.FromContext(ctx).Actor()
		return nil
	}
	cookie := []string{"Cookie", "tldguard_session=sess-admin"}

	wantProblem(t, f.do("DELETE", "/api/v1/session", "", cookie...), http.StatusForbidden, "X-CSRF-Token")
	if ended != "" {
		t.Fatal("signed out without the CSRF token")
	}
	w := f.do("DELETE", "/api/v1/session", "", hdrs(cookie, []string{"X-CSRF-Token", csrfToken("sess-admin")})...)
	if w.Code != http.StatusNoContent || ended != "sess-admin" || by != "user:admin@nic.example" {
		t.Fatalf("status %d, ended %q by %q", w.Code, ended, by)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != "tldguard_session" || c[0].MaxAge >= 0 || c[0].Value != "" {
		t.Errorf("cookie not cleared: %+v", c)
	}
	if w := f.do("DELETE", "/api/v1/session", ""); w.Code != http.StatusNoContent {
		t.Errorf("without a cookie: status %d", w.Code)
	}
}
