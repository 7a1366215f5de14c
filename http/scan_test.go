package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// fakeScans holds runs with ids 1..n, newest last.
type fakeScans struct {
	runs      []*tldguard.ScanRun
	gotBefore int64
	gotLimit  int
}

func (f *fakeScans) ScanRuns(_ context.Context, before int64, limit int) ([]*tldguard.ScanRun, error) {
	f.gotBefore, f.gotLimit = before, limit
	var out []*tldguard.ScanRun
	for i := len(f.runs) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || f.runs[i].ID < before {
			out = append(out, f.runs[i])
		}
	}
	return out, nil
}

func (f *fakeScans) ScanRun(_ context.Context, id int64) (*tldguard.ScanRun, error) {
	for _, r := range f.runs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no zone-check run %d", id)
}

func TestScans(t *testing.T) {
	f := newFixture(t)
	fake := &fakeScans{}
	start := time.Date(2026, 11, 2, 3, 0, 0, 0, time.FixedZone("x", 3600))
	for i := 1; i <= 5; i++ {
		fake.runs = append(fake.runs, &tldguard.ScanRun{
			ID: int64(i), Trigger: "schedule", Node: "node-a", Status: tldguard.ScanOK, StartedAt: start.Add(time.Duration(i) * time.Hour),
			FinishedAt: start.Add(time.Duration(i)*time.Hour + time.Minute), NamesChecked: 3,
			Zones:    []tldguard.ZoneStat{{Apex: "example", Source: "example.zone", Serial: 7, Names: 3}},
			Feeds:    []tldguard.FeedStat{{Name: "urlhaus", Format: "urlhaus", Entries: 10, Matched: 2}},
			Findings: 2, ByThreat: map[tldguard.ThreatType]int64{tldguard.ThreatMalware: 2}, ByFeed: map[string]int64{"urlhaus": 2},
		})
	}
	fake.runs[4].Status, fake.runs[4].FinishedAt = tldguard.ScanRunning, time.Time{}
	f.srv.svc.Scans = fake

	w := f.do("GET", "/api/v1/scans?limit=2", "", as(tldguard.RoleAuditor)...)
	m := decode(t, w)
	scans := m["scans"].([]any)
	if w.Code != http.StatusOK || len(scans) != 2 || m["next_cursor"] != "4" || fake.gotLimit != 3 {
		t.Fatalf("first page: %d %v (asked for %d)", w.Code, m, fake.gotLimit)
	}
	if link := w.Header().Get("Link"); !strings.Contains(link, "cursor=4") {
		t.Errorf("Link %q", link)
	}
	running := scans[0].(map[string]any)
	if running["status"] != "running" || running["finished_at"] != nil {
		t.Errorf("running run %v", running)
	}
	done := scans[1].(map[string]any)
	if done["started_at"] != "2026-11-02T06:00:00Z" || done["by_feed"].(map[string]any)["urlhaus"] != 2.0 ||
		done["zones"].([]any)[0].(map[string]any)["serial"] != 7.0 {
		t.Errorf("run 4: %v", done)
	}
	w = f.do("GET", "/api/v1/scans?limit=2&cursor=2", "", as(tldguard.RoleAnalyst)...)
	if m := decode(t, w); len(m["scans"].([]any)) != 1 || m["next_cursor"] != nil || fake.gotBefore != 2 {
		t.Errorf("last page: %v", m)
	}
	w = f.do("GET", "/api/v1/scans/3", "", as(tldguard.RoleAdmin)...)
	if m := decode(t, w); m["id"] != 3.0 || m["trigger"] != "schedule" {
		t.Errorf("run 3: %v", m)
	}
	wantProblem(t, f.do("GET", "/api/v1/scans/9", "", as(tldguard.RoleAdmin)...), http.StatusNotFound, "")
	wantProblem(t, f.do("GET", "/api/v1/scans?cursor=x", "", as(tldguard.RoleAdmin)...), http.StatusBadRequest, "cursor")
	wantProblem(t, f.do("GET", "/api/v1/scans?sort=old", "", as(tldguard.RoleAdmin)...), http.StatusBadRequest, "sort")
	wantProblem(t, f.do("GET", "/api/v1/scans", "", as(tldguard.RoleReporter)...), http.StatusForbidden, "")

	// A server without zone checks has no runs.
	f.srv.svc.Scans = nil
	if m := decode(t, f.do("GET", "/api/v1/scans", "", as(tldguard.RoleAdmin)...)); len(m["scans"].([]any)) != 0 {
		t.Errorf("no scan service: %v", m)
	}
}
