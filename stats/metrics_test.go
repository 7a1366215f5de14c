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
			`tldguard_zone_check_stale_zones 0`,
			`tldguard_zone_check_duration_seconds_bucket{le="600"} 4`,
			`tldguard_zone_check_duration_seconds_count 4`,
			"# TYPE tldguard_job_queue_depth gauge",
			"# TYPE tldguard_actions_total gauge",
		)
		buildNovember(w)
		w.staleZone = true
		w.run("R4", 20*time.Minute, tldguard.ScanOK, 2, 1, day(time.November, 30, 5, 55))
		want(scrape(),
			`tldguard_reports_received_total{source="public",threat_type="spam"} 2`,
			`tldguard_reports_received_total{source="government",threat_type="botnet"} 2`, // C3 and C9
			`tldguard_cases_open{priority="high",status="in_progress"} 1`,                 // C3 raised
			`tldguard_zone_check_runs_total{status="ok"} 4`,
			`tldguard_zone_check_new_findings_total 3`,
			`tldguard_zone_check_stale_zones 1`,
			`tldguard_zone_check_duration_seconds_bucket{le="600"} 4`,
			`tldguard_zone_check_duration_seconds_bucket{le="1800"} 5`,
		)
	})
}

// TestCollectorJobsAndActions checks the job and action metrics: a hold
// carried out, a lock approved and waiting for its job, a release proposed,
// and a job that failed for good, all read from the database.
func TestCollectorJobsAndActions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		w := newWorld(t, store)
		c := w.stats.Collector(0)
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
		first := scrape()
		want(first,
			"# TYPE tldguard_job_queue_depth gauge",
			`tldguard_job_queue_depth{state="queued"} 0`,
			`tldguard_job_queue_depth{state="running"} 0`,
			"# TYPE tldguard_jobs_failed_total counter",
			`tldguard_jobs_failed_total 0`,
			"# TYPE tldguard_actions_total gauge",
			`tldguard_actions_total{kind="hold",state="done"} 0`,
			`tldguard_actions_total{kind="release",state="undone"} 0`,
		)
		if n := strings.Count(first, "tldguard_actions_total{"); n != len(tldguard.ActionKinds)*7 {
			t.Errorf("%d tldguard_actions_total samples, want every kind in every state (%d)", n, len(tldguard.ActionKinds)*7)
		}

		w.report("C1", day(time.September, 2, 10, 0), w.notifier, "phishing", "phish1.example", "")
		propose := func(kind tldguard.ActionKind, undo int64) *tldguard.Action {
			t.Helper()
			a, err := w.svc.ProposeAction(w.analyst, w.cases["C1"], tldguard.ActionInput{Kind: kind, Reason: "kit", UndoOf: undo})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		approve := func(a *tldguard.Action) {
			t.Helper()
			if _, err := w.svc.ApproveAction(w.approver, a.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		hold := propose(tldguard.ActionHold, 0)
		approve(hold)
		if n, err := w.svc.RunDueJobs(context.Background(), "test", 10); err != nil || n != 1 {
			t.Fatalf("RunDueJobs = %d, %v; want the hold's job", n, err)
		}
		approve(propose(tldguard.ActionLock, 0)) // its job is queued, not run
		propose(tldguard.ActionRelease, hold.ID) // waiting for approval: no job
		err := store.Write(context.Background(), func(tx tldguard.Tx) error {
			return tx.EnqueueJob(&tldguard.Job{Kind: "notice", Ref: 1, State: tldguard.JobFailed, RunAt: w.clock.now(),
				Attempts: 5, MaxAttempts: 5, LastError: "smtp: refused", CreatedAt: w.clock.now(), UpdatedAt: w.clock.now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		want(scrape(),
			`tldguard_job_queue_depth{state="queued"} 1`,
			`tldguard_job_queue_depth{state="running"} 0`,
			`tldguard_jobs_failed_total 1`,
			`tldguard_actions_total{kind="hold",state="done"} 1`,
			`tldguard_actions_total{kind="lock",state="approved"} 1`,
			`tldguard_actions_total{kind="release",state="proposed"} 1`,
			`tldguard_actions_total{kind="hold",state="failed"} 0`,
			`tldguard_actions_total{kind="no_action",state="done"} 0`,
		)
	})
}
