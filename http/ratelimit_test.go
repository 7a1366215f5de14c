package http

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestRateLimitPerCredential(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.RateLimit = 2; c.RateBurst = 3 })
	f.happy()
	get := func(role tldguard.Role) *http.Response {
		return f.do("GET", "/api/v1/cases", "", as(role)...).Result()
	}
	for i := range 3 {
		if res := get(tldguard.RoleAnalyst); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i, res.StatusCode)
		}
	}
	w := f.do("GET", "/api/v1/cases", "", as(tldguard.RoleAnalyst)...)
	p := wantProblem(t, w, http.StatusTooManyRequests, "")
	if w.Header().Get("Retry-After") != "1" || p.Kind != tldguard.ERATELIMITED {
		t.Errorf("Retry-After %q, problem %+v", w.Header().Get("Retry-After"), p)
	}
	// Another credential is not affected; the bucket refills with time.
	if res := get(tldguard.RoleAdmin); res.StatusCode != http.StatusOK {
		t.Errorf("another token: status %d", res.StatusCode)
	}
	f.advance(500 * time.Millisecond)
	if res := get(tldguard.RoleAnalyst); res.StatusCode != http.StatusOK {
		t.Errorf("after refill: status %d", res.StatusCode)
	}
	// The cookie session of the same user is a credential of its own.
	if w := f.do("GET", "/api/v1/cases", "", "Cookie", "tldguard_session=sess-analyst"); w.Code != http.StatusOK {
		t.Errorf("session: status %d", w.Code)
	}
}

// TestRateLimitServiceKind checks a service's own rate_limited error gets a
// Retry-After too.
func TestRateLimitServiceKind(t *testing.T) {
	f := newFixture(t)
	f.reports.SubmitReportFn = func(context.Context, *tldguard.Submission) (*tldguard.Receipt, error) {
		return nil, tldguard.Errorf(tldguard.ERATELIMITED, "daily report quota reached")
	}
	w := f.do("POST", "/api/v1/reports", "{}", as(tldguard.RoleReporter)...)
	wantProblem(t, w, http.StatusTooManyRequests, "")
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestLimiterRetryAfter(t *testing.T) {
	now := t0
	l := newLimiter(0.5, 1, 10, func() time.Time { return now })
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.allow("k")
	if ok || wait != 2*time.Second {
		t.Fatalf("second request: ok %v, wait %v; want refused for 2s", ok, wait)
	}
	now = now.Add(1500 * time.Millisecond)
	if ok, wait := l.allow("k"); ok || wait != 500*time.Millisecond {
		t.Fatalf("after 1.5s: ok %v, wait %v", ok, wait)
	}
}

// TestLimiterMemoryIsBounded checks idle buckets are swept and the cap holds
// even when every bucket is busy.
func TestLimiterMemoryIsBounded(t *testing.T) {
	now := t0
	l := newLimiter(1, 2, 100, func() time.Time { return now })
	for i := range 1000 {
		l.allow(fmt.Sprint("busy", i))
		if l.size() > 100 {
			t.Fatalf("%d buckets after %d keys", l.size(), i+1)
		}
	}
	now = now.Add(2 * time.Minute) // all idle long enough to be full again
	l.allow("new")
	if l.size() != 1 {
		t.Errorf("%d buckets after the sweep, want 1", l.size())
	}
}
