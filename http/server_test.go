package http

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/mock"
)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	f.happy()
	for _, w := range []interface{ Header() http.Header }{
		f.do("GET", "/api/v1/cases", "", as(tldguard.RoleAdmin)...),
		f.do("GET", "/api/v1/cases", ""),
		f.do("GET", "/nowhere", ""),
		f.do("GET", "/healthz", ""),
	} {
		h := w.Header()
		if h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("Cache-Control") != "no-store" || h.Get("X-Request-Id") == "" {
			t.Errorf("headers = %v", h)
		}
	}
}

func TestUnknownRouteAndWrongMethod(t *testing.T) {
	f := newFixture(t)
	p := wantProblem(t, f.do("GET", "/api/v1/nothing", "", as(tldguard.RoleAdmin)...), http.StatusNotFound, "")
	if p.Kind != tldguard.ENOTFOUND || !strings.Contains(p.Detail, "/api/v1/nothing") {
		t.Errorf("404 problem = %+v", p)
	}
	w := f.do("PUT", "/api/v1/cases/42", "{}", as(tldguard.RoleAdmin)...)
	wantProblem(t, w, http.StatusMethodNotAllowed, "")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
		t.Errorf("Allow = %q", allow)
	}
	// An unclean path is redirected to its clean form, as ServeMux does.
	if w := f.do("GET", "/api/v1//cases", ""); w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "/api/v1/cases" {
		t.Errorf("unclean path: status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}

func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	f.happy()
	f.do("GET", "/api/v1/cases?domain=bad.example", "", as(tldguard.RoleAnalyst)...)
	logs := f.logs.String()
	for _, want := range []string{"method=GET", "path=/api/v1/cases", "status=200", "duration=", "principal=user:analyst@nic.example"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "tok-analyst") || strings.Contains(logs, "bad.example") {
		t.Errorf("the log holds a token or the query:\n%s", logs)
	}
}

func TestNewServerNeedsServices(t *testing.T) {
	if _, err := NewServer(Config{}, Services{Reports: &mock.ReportService{}}); err == nil {
		t.Fatal("NewServer accepted missing services")
	}
}

// TestOpenAndClose starts the server on port 0, as cmd/tldguard's tests do,
// and stops it.
func TestOpenAndClose(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Addr = "127.0.0.1:0" })
	if err := f.srv.Open(); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Open(); err == nil {
		t.Error("a second Open succeeded")
	}
	res, err := http.Get("http://" + f.srv.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	if err := f.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + f.srv.Addr().String() + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestGracefulShutdown checks Close lets a request in flight finish, and
// answers it in full, before it returns.
func TestGracefulShutdown(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Addr = "127.0.0.1:0" })
	entered, release := make(chan struct{}), make(chan struct{})
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		close(entered)
		<-release
		return &tldguard.CaseDetail{Case: testCase()}, nil
	}
	if err := f.srv.Open(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		r, _ := http.NewRequest("GET", "http://"+f.srv.Addr().String()+"/api/v1/cases/42", nil)
		r.Header.Set("Authorization", "Bearer tok-analyst")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{res.StatusCode, string(b), err}
	}()
	<-entered

	closed := make(chan error, 1)
	go func() { closed <- f.srv.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	res := <-got
	if res.err != nil || res.status != http.StatusOK || !strings.Contains(res.body, "TG-0000042") {
		t.Fatalf("in-flight request: %+v", res)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestCloseGivesUpAtDeadline checks Close returns when its context ends,
// even while a request hangs.
func TestCloseGivesUpAtDeadline(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Addr = "127.0.0.1:0" })
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) {
		close(entered)
		<-release
		return &tldguard.CaseDetail{Case: testCase()}, nil
	}
	if err := f.srv.Open(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r, _ := http.NewRequest("GET", "http://"+f.srv.Addr().String()+"/api/v1/cases/42", nil)
		r.Header.Set("Authorization", "Bearer tok-analyst")
		if res, err := http.DefaultClient.Do(r); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := f.srv.Close(ctx); err == nil {
		t.Fatal("Close reported a clean shutdown with a request hanging")
	}
}
