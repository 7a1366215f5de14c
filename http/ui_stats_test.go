package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// TestUIStats: the statistics link opens the printable report of the month
// (or the period asked for) for staff, through the API route and the
// browser's session.
func TestUIStats(t *testing.T) {
	f := newFixture(t)
	f.happy()
	w := f.do("GET", "/stats", "", session(tldguard.RoleAuditor)...)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/api/v1/stats?") || !strings.Contains(loc, "format=html") ||
		!strings.Contains(loc, "period="+f.clock().UTC().Format("2006-01")) {
		t.Errorf("GET /stats: %d %q", w.Code, loc)
	}
	w = f.do("GET", "/stats?period=2026-Q3&tld=example&junk=1", "", session(tldguard.RoleAnalyst)...)
	if loc := w.Header().Get("Location"); !strings.Contains(loc, "period=2026-Q3") || !strings.Contains(loc, "tld=example") || strings.Contains(loc, "junk") {
		t.Errorf("period passed on: %q", loc)
	}
	if w := f.do("GET", "/stats", "", session(tldguard.RoleReporter)...); w.Code != http.StatusForbidden {
		t.Errorf("a reporter opening statistics: %d", w.Code)
	}
}
