package stats_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/metrics"
)

// TestCollector checks the operational metrics against the fixed data set
// at 2026-11-01 01:30, then that a second scrape adds only what came in.
func TestCollector(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		buildWorld(w)
		c := w.stats.Collector(48 * time.Hour)
		scrape := func() string {
			m := &metrics.Writer{}
			if err := c.Collect(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			return m.String()
		}
		want := func(text string, lines ...string) {
			t.Helper()
			for _, l := range lines {
				if !strings.Contains(text, l+"\n") {
					t.Errorf("missing %q in\n%s", l, text)
				}
			}
		}
		want(scrape(),
			`tldguard_reports_received_total{source="public",threat_type="spam"} 2`,
			`tldguard_reports_received_total{source="trusted_notifier",threat_type="phishing"} 2`,
			`tldguard_reports_received_total{source="public",threat_type="out_of_scope"} 1`,
			`tldguard_reports_received_total{source="law_enforcement",threat_type="malware"} 1`,
			`tldguard_cases_open{priority="standard",status="open"} 4`,
			`tldguard_cases_open{priority="standard",status="in_progress"} 1`,
			`tldguard_cases_open{priority="high",status="open"} 0`,
			`tldguard_case_clocks_missed 3`,   // C3, C10, C13
			`tldguard_case_clocks_near_end 1`, // C5, due 11-02 20:00
			`tldguard_zone_check_runs_total{status="ok"} 3`,
			`tldguard_zone_check_runs_total{status="failed"} 1`,
			`tldguard_zone_check_new_findings_total 1`,
			`tldguard_zone_check_names_checked 25`,
			`tldguard_zone_check_duration_seconds_bucket{le="600"} 4`,
			`tldguard_zone_check_duration_seconds_count 4`,
			"# TYPE tldguard_job_queue_depth gauge",
			"# TYPE tldguard_actions_total counter",
		)
		buildNovember(w)
		w.run("R4", 20*time.Minute, tldguard.ScanOK, 2, 1, day(time.November, 30, 5, 55))
		want(scrape(),
			`tldguard_reports_received_total{source="public",threat_type="spam"} 2`,
			`tldguard_reports_received_total{source="government",threat_type="botnet"} 2`, // C3 and C9
			`tldguard_cases_open{priority="high",status="in_progress"} 1`,                 // C3 raised
			`tldguard_zone_check_runs_total{status="ok"} 4`,
			`tldguard_zone_check_new_findings_total 3`,
			`tldguard_zone_check_duration_seconds_bucket{le="600"} 4`,
			`tldguard_zone_check_duration_seconds_bucket{le="1800"} 5`,
		)
	})
}
