package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/policy"
)

// uiFake stands in for the UI's own services (RegistryReader,
// SessionService, AdminService, Directory). newUIFake makes every call
// succeed with a small answer; tests replace the fields they look at.
type uiFake struct {
	LookupFn           func(ctx context.Context, name string) (*tldguard.Registration, error)
	ReporterLoginFn    func(ctx context.Context, token string) (string, *tldguard.Principal, error)
	LogoutEverywhereFn func(ctx context.Context) error
	UsersFn            func(ctx context.Context) ([]*tldguard.User, error)
	CreateUserFn       func(ctx context.Context, email, name string, role tldguard.Role) (*tldguard.User, string, error)
	CreateUserTokenFn  func(ctx context.Context, email, label string) (string, error)
	ReportersFn        func(ctx context.Context) ([]*tldguard.Reporter, error)
	AddReporterFn      func(ctx context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error)
	VerifyReporterFn   func(ctx context.Context, id int64, by, how string) (*tldguard.Reporter, error)
	TLDsFn             func(ctx context.Context) ([]string, error)
	RegistrarsFn       func(ctx context.Context) ([]*tldguard.Registrar, error)
	PolicyValue        *policy.Policy
}

func newUIFake() *uiFake {
	return &uiFake{
		LookupFn: func(_ context.Context, name string) (*tldguard.Registration, error) {
			return &tldguard.Registration{Name: name, RegistrarID: "9001", RegistrarName: "Alpha Names", Statuses: []string{"ok"},
				NameServers: []string{"ns1.host.example"}, CreatedAt: t0.Add(-48 * time.Hour)}, nil
		},
		ReporterLoginFn: func(context.Context, string) (string, *tldguard.Principal, error) {
			return "sess-reporter", principal(tldguard.RoleReporter), nil
		},
		LogoutEverywhereFn: func(context.Context) error { return nil },
		UsersFn: func(context.Context) ([]*tldguard.User, error) {
			return []*tldguard.User{{ID: 1, Email: "ann@nic.example", Role: tldguard.RoleAnalyst, CreatedAt: t0}}, nil
		},
		CreateUserFn: func(_ context.Context, email, name string, role tldguard.Role) (*tldguard.User, string, error) {
			return &tldguard.User{ID: 2, Email: email, Name: name, Role: role}, "generated-password", nil
		},
		CreateUserTokenFn: func(context.Context, string, string) (string, error) { return "tgu_new", nil },
		ReportersFn: func(context.Context) ([]*tldguard.Reporter, error) {
			return []*tldguard.Reporter{{ID: 1, Name: "Metro Police", Source: tldguard.SourceLawEnforcement}}, nil
		},
		AddReporterFn: func(_ context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error) {
			r.ID = 2
			return &r, "tgr_new", nil
		},
		VerifyReporterFn: func(_ context.Context, id int64, by, how string) (*tldguard.Reporter, error) {
			return &tldguard.Reporter{ID: id, Verification: &tldguard.Verification{By: by, How: how}}, nil
		},
		TLDsFn: func(context.Context) ([]string, error) { return []string{"example"}, nil },
		RegistrarsFn: func(context.Context) ([]*tldguard.Registrar, error) {
			return []*tldguard.Registrar{{ID: "9001", Name: "Alpha Names"}}, nil
		},
		PolicyValue: policy.Default(),
	}
}

func (u *uiFake) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	return u.LookupFn(ctx, name)
}
func (u *uiFake) ReporterLogin(ctx context.Context, token string) (string, *tldguard.Principal, error) {
	return u.ReporterLoginFn(ctx, token)
}
func (u *uiFake) LogoutEverywhere(ctx context.Context) error          { return u.LogoutEverywhereFn(ctx) }
func (u *uiFake) Users(ctx context.Context) ([]*tldguard.User, error) { return u.UsersFn(ctx) }
func (u *uiFake) CreateUser(ctx context.Context, email, name string, role tldguard.Role) (*tldguard.User, string, error) {
	return u.CreateUserFn(ctx, email, name, role)
}
func (u *uiFake) CreateUserToken(ctx context.Context, email, label string) (string, error) {
	return u.CreateUserTokenFn(ctx, email, label)
}
func (u *uiFake) Reporters(ctx context.Context) ([]*tldguard.Reporter, error) {
	return u.ReportersFn(ctx)
}
func (u *uiFake) AddReporter(ctx context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error) {
	return u.AddReporterFn(ctx, r)
}
func (u *uiFake) VerifyReporter(ctx context.Context, id int64, by, how string) (*tldguard.Reporter, error) {
	return u.VerifyReporterFn(ctx, id, by, how)
}
func (u *uiFake) TLDs(ctx context.Context) ([]string, error) { return u.TLDsFn(ctx) }
func (u *uiFake) Registrars(ctx context.Context) ([]*tldguard.Registrar, error) {
	return u.RegistrarsFn(ctx)
}
func (u *uiFake) Policy() *policy.Policy { return u.PolicyValue }

var formCT = []string{"Content-Type", "application/x-www-form-urlencoded"}

// signinSecretForTest is a sign-in cookie value the tests send.
const signinSecretForTest = "walk-walk-walk-walk-walk-walk-walk"

// session returns the Cookie header pair of role's session.
func session(role tldguard.Role) []string {
	return []string{"Cookie", sessionCookie + "=sess-" + string(role)}
}

// postForm posts a URL-encoded form as role (anonymous when role is ""),
// with the right CSRF token unless the form already has one.
func (f *fixture) postForm(path string, role tldguard.Role, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	h := append([]string{}, formCT...)
	if role != "" {
		h = append(h, session(role)...)
		if _, ok := form[csrfField]; !ok {
			form.Set(csrfField, csrfToken("sess-"+string(role)))
		}
	}
	return f.do("POST", path, form.Encode(), append(h, hdr...)...)
}

// walkUI is the route walk for a UI route: a signed-out browser is sent to
// the sign-in page, a refused role gets a 403 page, an allowed one neither.
func walkUI(t *testing.T, f *fixture, rt route, role tldguard.Role) {
	t.Helper()
	path := strings.ReplaceAll(strings.ReplaceAll(rt.pattern, "{id}", "1"), "{$}", "")
	var hdr []string
	form := url.Values{}
	if rt.access.public {
		hdr = append(hdr, "Cookie", signinCookie+"="+signinSecretForTest)
		form.Set(csrfField, csrfToken(signinSecretForTest))
	}
	if role != "" {
		hdr = append(hdr, session(role)...)
		if !rt.access.public {
			form.Set(csrfField, csrfToken("sess-"+string(role)))
		}
	}
	var w *httptest.ResponseRecorder
	if rt.method == "POST" {
		w = f.do("POST", path, form.Encode(), append(hdr, formCT...)...)
	} else {
		w = f.do(rt.method, path, "", hdr...)
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp != uiCSP {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	loc := w.Header().Get("Location")
	toSignIn := w.Code == http.StatusSeeOther && (loc == "/signin" || strings.HasPrefix(loc, "/signin?next="))
	switch {
	case rt.access.public:
		if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 {
			t.Fatalf("public route: status %d, body %s", w.Code, w.Body)
		}
	case role == "":
		if !toSignIn {
			t.Fatalf("signed out: status %d, Location %q; want 303 to /signin", w.Code, w.Header().Get("Location"))
		}
	case !rt.access.allows(role):
		if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s is refused (%s): status %d, Content-Type %q", role, rt.access, w.Code, w.Header().Get("Content-Type"))
		}
		if !strings.Contains(w.Body.String(), "Not allowed") {
			t.Fatalf("403 page does not say so: %s", w.Body)
		}
	default:
		if toSignIn || w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 {
			t.Fatalf("%s is allowed (%s): status %d, Location %q, body %s", role, rt.access, w.Code, w.Header().Get("Location"), w.Body)
		}
	}
}
