package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/mock"
)

// fixture is a Server over mocks, with a clock the test moves and a log it
// reads. Tokens "tok-<role>" and sessions "sess-<role>" authenticate as a
// principal of that role; anything else is unauthorized.
type fixture struct {
	t       *testing.T
	srv     *Server
	reports *mock.ReportService
	cases   *mock.CaseService
	auth    *mock.AuthService
	audit   *mock.AuditService
	actions *mock.ActionService
	ui      *uiFake // the web UI's own services (ui_fixture_test.go)

	mu   sync.Mutex
	now  time.Time
	logs syncBuffer
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, configure ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{
		t: t, now: t0,
		reports: &mock.ReportService{}, cases: &mock.CaseService{}, audit: &mock.AuditService{}, actions: &mock.ActionService{}, ui: newUIFake(),
	}
	f.auth = &mock.AuthService{
		AuthenticateFn: func(_ context.Context, token string) (*tldguard.Principal, error) {
			return principalOf(token, "tok-")
		},
		AuthenticateSessionFn: func(_ context.Context, session string) (*tldguard.Principal, error) {
			return principalOf(session, "sess-")
		},
	}
	cfg := Config{
		Logger: slog.New(slog.NewTextHandler(&f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    f.clock,
	}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := NewServer(cfg, Services{Reports: f.reports, Cases: f.cases, Auth: f.auth, Audit: f.audit, Actions: f.actions,
		Registry: f.ui, Sessions: f.ui, Admin: f.ui, Directory: f.ui})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// principalOf resolves a test credential "<prefix><role>".
func principalOf(cred, prefix string) (*tldguard.Principal, error) {
	role := tldguard.Role(strings.TrimPrefix(cred, prefix))
	if !strings.HasPrefix(cred, prefix) || !slices.Contains(tldguard.Roles, role) {
		return nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "unknown credentials")
	}
	return principal(role), nil
}

func principal(role tldguard.Role) *tldguard.Principal {
	if role.Staff() {
		return &tldguard.Principal{Kind: tldguard.PrincipalUser, ID: 7, Name: string(role) + "@nic.example", Role: role}
	}
	rp := &tldguard.Reporter{ID: 3, Name: "CERT-" + string(role), Source: tldguard.SourceTrustedNotifier}
	if role == tldguard.RoleRegistrar {
		rp.Source, rp.RegistrarID = tldguard.SourceRegistrar, "9999"
	}
	return &tldguard.Principal{Kind: tldguard.PrincipalReporter, ID: rp.ID, Name: rp.Name, Role: role, Reporter: rp}
}

// req builds a request; hdr is header name, value pairs.
func req(method, target, body string, hdr ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

// serve runs r through the server's whole handler.
func (f *fixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// do serves a request; hdr is header name, value pairs.
func (f *fixture) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	return f.serve(req(method, target, body, hdr...))
}

// as returns the Authorization header pair for role's token.
func as(role tldguard.Role) []string {
	return []string{"Authorization", "Bearer tok-" + string(role)}
}

func hdrs(pairs ...[]string) []string {
	var out []string
	for _, p := range pairs {
		out = append(out, p...)
	}
	return out
}

var jsonCT = []string{"Content-Type", "application/json"}

// wantProblem checks w is a problem with status (and field, when given) and
// returns it.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, field string) problem {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %s: %v", w.Body, err)
	}
	if p.Status != status || p.Type == "" || p.Title == "" {
		t.Fatalf("problem = %+v: want status %d, type and title", p, status)
	}
	if field != "" && p.Field != field {
		t.Fatalf("problem field = %q, want %q; detail %q", p.Field, field, p.Detail)
	}
	return p
}

// decode decodes w's JSON body into a generic map (to see the wire names).
func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body %s", ct, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	return m
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
