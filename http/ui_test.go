package http

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestUISignedOutGoesToSignIn(t *testing.T) {
	f := newFixture(t)
	f.happy()
	w := f.do("GET", "/cases?status=open", "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin?next=%2Fcases%3Fstatus%3Dopen" {
		t.Fatalf("status %d Location %q", w.Code, w.Header().Get("Location"))
	}
	// A stale cookie is cleared on the way.
	w = f.do("GET", "/cases", "", "Cookie", sessionCookie+"=stale")
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Set-Cookie"), sessionCookie+"=;") {
		t.Fatalf("stale cookie: %d, Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	// API tokens do not open pages.
	if w := f.do("GET", "/cases", "", as(tldguard.RoleAnalyst)...); w.Code != http.StatusSeeOther {
		t.Fatalf("bearer token on a page: %d", w.Code)
	}
	// The sign-in page goes back where the browser wanted to go.
	w = f.do("GET", "/signin?next=%2Fcases%2F7", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="next" value="/cases/7"`) {
		t.Fatalf("sign-in page keeps next: %d %s", w.Code, w.Body)
	}
	for _, bad := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "/signin", "cases"} {
		if got := safeNext(bad); got != "" {
			t.Errorf("safeNext(%q) = %q, want refused", bad, got)
		}
	}
}

func TestUIHeaders(t *testing.T) {
	f := newFixture(t)
	f.happy()
	for _, w := range []*httptest.ResponseRecorder{
		f.do("GET", "/signin", ""),
		f.do("GET", "/cases", "", session(tldguard.RoleAnalyst)...),
		f.do("GET", "/admin/users", "", session(tldguard.RoleAnalyst)...), // 403 page
	} {
		h := w.Header()
		if h.Get("Content-Security-Policy") != uiCSP || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", h)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html; charset=utf-8") {
			t.Errorf("Content-Type %q", h.Get("Content-Type"))
		}
		// No inline script or style: the policy would block it.
		if b := w.Body.String(); strings.Contains(b, "<script") || strings.Contains(b, "style=") || strings.Contains(b, "<style") {
			t.Errorf("page has inline script or style")
		}
	}
	css := f.do("GET", f.srv.ui.cssURL, "")
	if css.Code != http.StatusOK || css.Header().Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(css.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet: %d %v", css.Code, css.Header())
	}
	if w := f.do("GET", "/static/tldguard.css", "", "If-None-Match", css.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Errorf("conditional stylesheet: %d", w.Code)
	}
	// The session cookie as the sign-in sets it.
	w := f.postForm("/signin", "", url.Values{"email": {"analyst@nic.example"}, "password": {"pw"}, csrfField: {csrfToken(signinSecretForTest)}},
		"Cookie", signinCookie+"="+signinSecretForTest)
	c := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(c) != 1 || c[0].Name != sessionCookie || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode || c[0].Secure {
		t.Fatalf("sign-in over plain HTTP: %d cookies %+v", w.Code, c)
	}
	r := req("POST", "/signin", url.Values{"email": {"a@nic.example"}, "password": {"pw"}, csrfField: {csrfToken(signinSecretForTest)}}.Encode(),
		append(formCT, "Cookie", signinCookie+"="+signinSecretForTest)...)
	r.TLS = &tls.ConnectionState{}
	if c := f.serve(r).Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Fatalf("sign-in over TLS: cookies %+v", c)
	}
}

// postForms finds the POST forms of a page and the CSRF token each carries.
var (
	postForms = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>.*?</form>`)
	tokenIn   = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="([^"]*)">`)
)

// TestUIEveryFormCarriesItsToken renders each page with forms as a role
// that sees them and checks every POST form carries the session's token.
func TestUIEveryFormCarriesItsToken(t *testing.T) {
	f := newFixture(t)
	f.happy()
	for _, tc := range []struct {
		path string
		role tldguard.Role
	}{
		{"/cases", tldguard.RoleAnalyst},
		{"/cases/1", tldguard.RoleAnalyst},
		{"/report", tldguard.RoleReporter},
		{"/reports", tldguard.RoleReporter},
		{"/account", tldguard.RoleAdmin},
		{"/admin/users", tldguard.RoleAdmin},
		{"/admin/reporters", tldguard.RoleAdmin},
		{"/audit", tldguard.RoleAuditor},
		{"/admin/policy", tldguard.RoleApprover},
	} {
		w := f.do("GET", tc.path, "", session(tc.role)...)
		if w.Code != http.StatusOK {
			t.Errorf("%s as %s: %d %s", tc.path, tc.role, w.Code, w.Body)
			continue
		}
		forms := postForms.FindAllString(w.Body.String(), -1)
		if len(forms) == 0 {
			t.Errorf("%s: no POST form (the layout's sign-out at least)", tc.path)
		}
		checkLabels(t, tc.path, w.Body.String())
		for _, form := range forms {
			m := tokenIn.FindStringSubmatch(form)
			if m == nil || m[1] != csrfToken("sess-"+string(tc.role)) {
				t.Errorf("%s: a form without the session's token:\n%s", tc.path, form)
			}
		}
	}
	// The sign-in forms carry the sign-in cookie's token.
	w := f.do("GET", "/signin", "", "Cookie", signinCookie+"="+signinSecretForTest)
	forms := postForms.FindAllString(w.Body.String(), -1)
	if len(forms) != 2 {
		t.Fatalf("sign-in page has %d POST forms, want 2", len(forms))
	}
	for _, form := range forms {
		if m := tokenIn.FindStringSubmatch(form); m == nil || m[1] != csrfToken(signinSecretForTest) {
			t.Errorf("sign-in form without the sign-in token:\n%s", form)
		}
	}
	checkLabels(t, "/signin", w.Body.String())
}

var (
	controls = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttr   = regexp.MustCompile(` id="([^"]+)"`)
)

// checkLabels fails for a form control without a <label for> naming it.
func checkLabels(t *testing.T, path, page string) {
	t.Helper()
	for _, c := range controls.FindAllString(page, -1) {
		if strings.Contains(c, `type="hidden"`) {
			continue
		}
		m := idAttr.FindStringSubmatch(c)
		if m == nil || !strings.Contains(page, `<label for="`+m[1]+`"`) {
			t.Errorf("%s: a control without a label: %s", path, c)
		}
	}
}

func TestUICSRF(t *testing.T) {
	f := newFixture(t)
	f.happy()
	calls := 0
	f.cases.UpdateCaseFn = func(_ context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
		calls++
		return &tldguard.Case{ID: id}, nil
	}
	triage := url.Values{"version": {"1"}, "status": {"in_progress"}}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"no token":    f.postForm("/cases/1", tldguard.RoleAnalyst, url.Values{"version": {"1"}, csrfField: nil}),
		"wrong token": f.postForm("/cases/1", tldguard.RoleAnalyst, url.Values{"version": {"1"}, csrfField: {csrfToken("sess-admin")}}),
		"header only": f.do("POST", "/cases/1", "version=1", hdrs(formCT, session(tldguard.RoleAnalyst), []string{csrfHeader, csrfToken("sess-analyst")})...),
		"cross-site":  f.postForm("/cases/1", tldguard.RoleAnalyst, triage, "Sec-Fetch-Site", "cross-site"),
		"as JSON":     f.do("POST", "/cases/1", `{"csrf_token":"`+csrfToken("sess-analyst")+`"}`, hdrs(jsonCT, session(tldguard.RoleAnalyst))...),
	} {
		if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	if calls != 0 {
		t.Fatalf("UpdateCase called %d times by refused posts", calls)
	}
	if w := f.postForm("/cases/1", tldguard.RoleAnalyst, triage); w.Code != http.StatusSeeOther || calls != 1 {
		t.Fatalf("with the token: %d (calls %d) %s", w.Code, calls, w.Body)
	}
	// Signing out needs the token too.
	f.auth.LogoutFn = func(context.Context, string) error { t.Error("Logout called without a token"); return nil }
	if w := f.postForm("/signout", tldguard.RoleAnalyst, url.Values{csrfField: {"nope"}}); w.Code != http.StatusForbidden {
		t.Errorf("sign-out without the token: %d", w.Code)
	}
	// The sign-in form's token comes from the sign-in cookie: without the
	// cookie (a form posted from another site) nothing is checked.
	f.auth.LoginFn = func(context.Context, string, string) (string, *tldguard.Principal, error) {
		t.Error("Login called without the sign-in token")
		return "", nil, nil
	}
	login := url.Values{"email": {"analyst@nic.example"}, "password": {"pw"}, csrfField: {csrfToken(signinSecretForTest)}}
	if w := f.postForm("/signin", "", login); w.Code != http.StatusForbidden {
		t.Errorf("sign-in without its cookie: %d", w.Code)
	}
	login.Set(csrfField, "forged")
	if w := f.postForm("/signin", "", login, "Cookie", signinCookie+"="+signinSecretForTest); w.Code != http.StatusForbidden {
		t.Errorf("sign-in with a wrong token: %d", w.Code)
	}
}

func TestUISignIn(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LoginBurst = 1000 })
	f.happy()
	var tries int
	f.auth.LoginFn = func(_ context.Context, email, password string) (string, *tldguard.Principal, error) {
		tries++
		if password != "right" {
			return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "wrong e-mail or password")
		}
		return "sess-analyst", principal(tldguard.RoleAnalyst), nil
	}
	signin := func(email, password, next string) *httptest.ResponseRecorder {
		return f.postForm("/signin", "", url.Values{"email": {email}, "password": {password}, "next": {next},
			csrfField: {csrfToken(signinSecretForTest)}}, "Cookie", signinCookie+"="+signinSecretForTest)
	}
	w := signin("", "", "")
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter your e-mail address.") ||
		!strings.Contains(w.Body.String(), `id="email" name="email" type="email" autocomplete="username" spellcheck="false" value="" required aria-invalid="true"`) {
		t.Fatalf("empty form: %d %s", w.Code, w.Body)
	}
	if w := signin("ann@nic.example", "right", "/cases/9"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/cases/9" {
		t.Fatalf("sign-in: %d Location %q", w.Code, w.Header().Get("Location"))
	}
	if w := signin("ann@nic.example", "right", "https://evil.example/"); w.Header().Get("Location") != "/cases" {
		t.Fatalf("open redirect: Location %q", w.Header().Get("Location"))
	}

	// Five failures lock the account; then the password is not even tried.
	for i := range lockoutAfter - 1 {
		if w := signin("Ann@nic.example", "wrong", ""); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Wrong e-mail or password.") {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	w = signin("ann@nic.example", "wrong", "")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "Too many failed sign-ins") || w.Header().Get("Retry-After") != "900" {
		t.Fatalf("fifth failure: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	before := tries
	if w := signin("ann@nic.example", "right", ""); w.Code != http.StatusTooManyRequests || tries != before {
		t.Fatalf("locked account: %d, Login called %d times", w.Code, tries-before)
	}
	// Other accounts are not affected; the lock ends.
	if w := signin("bob@nic.example", "right", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("other account: %d", w.Code)
	}
	f.advance(lockoutFor + time.Second)
	if w := signin("ann@nic.example", "right", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("after the lock: %d", w.Code)
	}

	// Reporters sign in with their token.
	var got string
	f.ui.ReporterLoginFn = func(_ context.Context, token string) (string, *tldguard.Principal, error) {
		got = token
		if token == "tgu_staff" {
			return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "staff sign in with e-mail and password")
		}
		return "sess-reporter", principal(tldguard.RoleReporter), nil
	}
	rsign := func(token string) *httptest.ResponseRecorder {
		return f.postForm("/signin/reporter", "", url.Values{"token": {token}, csrfField: {csrfToken(signinSecretForTest)}},
			"Cookie", signinCookie+"="+signinSecretForTest)
	}
	w = rsign(" tgr_abc ")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/report" || got != "tgr_abc" ||
		!strings.Contains(w.Header().Get("Set-Cookie"), sessionCookie+"=sess-reporter") {
		t.Fatalf("reporter sign-in: %d %v (token %q)", w.Code, w.Header(), got)
	}
	if w := rsign("tgu_staff"); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "staff API token") {
		t.Fatalf("staff token at the reporter form: %d %s", w.Code, w.Body)
	}
	if w := rsign(""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter your reporter account") {
		t.Fatalf("no token: %d", w.Code)
	}
}

func TestUISignOut(t *testing.T) {
	f := newFixture(t)
	f.happy()
	var ended string
	f.auth.LogoutFn = func(_ context.Context, s string) error { ended = s; return nil }
	w := f.postForm("/signout", tldguard.RoleAuditor, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin?signed_out=1" || ended != "sess-auditor" ||
		!strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d %v ended %q", w.Code, w.Header(), ended)
	}
	everywhere := false
	f.ui.LogoutEverywhereFn = func(ctx context.Context) error {
		everywhere = tldguard.FromContext(ctx).Role == tldguard.RoleApprover
		return nil
	}
	w = f.postForm("/signout/everywhere", tldguard.RoleApprover, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin?signed_out=all" || !everywhere {
		t.Fatalf("sign-out everywhere: %d %v", w.Code, w.Header())
	}
	if w := f.postForm("/signout/everywhere", tldguard.RoleReporter, nil); w.Code != http.StatusForbidden {
		t.Fatalf("a reporter signing out everywhere: %d", w.Code)
	}
}

func TestLockoutForgets(t *testing.T) {
	now := t0
	l := newLockout(func() time.Time { return now })
	for range lockoutAfter - 1 {
		l.fail("a")
	}
	now = now.Add(lockoutWindow + time.Minute) // old failures age out
	if until := l.fail("a"); !until.IsZero() {
		t.Fatal("locked by failures spread over more than the window")
	}
	for range lockoutAfter - 1 {
		l.fail("a")
	}
	if _, ok := l.locked("a"); !ok {
		t.Fatal("not locked after five failures in the window")
	}
	l.reset("a")
	if _, ok := l.locked("a"); ok {
		t.Fatal("still locked after reset")
	}
	for i := range lockoutEntries + 10 {
		l.fail(string(rune('a'+i%26)) + strings.Repeat("x", i))
	}
	if len(l.accounts) > lockoutEntries {
		t.Fatalf("%d entries kept", len(l.accounts))
	}
}
