package stats

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/metrics"
)

// zoneCheckBounds are the zone-check duration histogram's buckets, seconds.
var zoneCheckBounds = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200}

// Collector writes the operational metrics the database holds: reports in
// by source and threat, the working queue by priority and status, response
// clocks near their end and missed, the zone check's runs, the durable
// jobs waiting and failed, and the actions by kind and state. Counters are
// the database's totals, so every node reports the same values; each scrape
// reads only the reports and runs stored since the last one.
type Collector struct {
	store tldguard.Store
	now   tldguard.Now
	warn  time.Duration

	mu           sync.Mutex
	reportsAfter int64
	reports      map[[2]string]int64
	runsAfter    int64 // every run up to this id is counted
	counted      map[int64]bool
	runs         map[tldguard.ScanStatus]int64
	durations    []uint64 // per bucket, the last one past every bound
	durationSum  float64
	newFindings  int64
	newCases     int64
	lastOK       *tldguard.ScanRun
}

// Collector returns the service's metrics collector. warn is how long
// before its end a response clock counts as near its end (default 6h).
func (s *Service) Collector(warn time.Duration) *Collector {
	if warn <= 0 {
		warn = 6 * time.Hour
	}
	return &Collector{store: s.store, now: s.now, warn: warn, reports: map[[2]string]int64{},
		counted: map[int64]bool{}, runs: map[tldguard.ScanStatus]int64{}, durations: make([]uint64, len(zoneCheckBounds)+1)}
}

var _ metrics.Collector = (*Collector)(nil)

// Collect implements metrics.Collector.
func (c *Collector) Collect(ctx context.Context, w *metrics.Writer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := tldguard.Truncate(c.now())
	var open []tldguard.OpenCaseCount
	var clocks tldguard.ClockCounts
	var running int64
	var actions []tldguard.ActionStateCount
	jobs := map[tldguard.JobState]int64{}
	err := c.store.Read(ctx, func(tx tldguard.Tx) error {
		counts, last, err := tx.CountReportsAfter(c.reportsAfter)
		if err != nil {
			return err
		}
		for _, rc := range counts {
			c.reports[[2]string{string(rc.Source), string(rc.ThreatType)}] += rc.Count
		}
		c.reportsAfter = last
		if open, err = tx.CountOpenCases(); err != nil {
			return err
		}
		if clocks, err = tx.CountClocks(now, now.Add(c.warn)); err != nil {
			return err
		}
		if actions, err = tx.CountActions(); err != nil {
			return err
		}
		for _, st := range []tldguard.JobState{tldguard.JobQueued, tldguard.JobRunning, tldguard.JobFailed} {
			if jobs[st], err = tx.CountJobs(st); err != nil {
				return err
			}
		}
		running, err = c.readRuns(tx)
		return err
	})
	if err != nil {
		return err
	}

	w.Family("tldguard_reports_received_total", "counter", "Threat reports received, by the reporter's source tier and the threat type.")
	keys := make([][2]string, 0, len(c.reports))
	for k := range c.reports {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, k := range keys {
		w.Sample("tldguard_reports_received_total", float64(c.reports[k]), "source", k[0], "threat_type", k[1])
	}

	w.Family("tldguard_cases_open", "gauge", "Cases not closed, by priority and status.")
	for _, p := range []tldguard.Priority{tldguard.PriorityHigh, tldguard.PriorityStandard} {
		for _, st := range []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress} {
			var n int64
			for _, oc := range open {
				if oc.Priority == p && oc.Status == st {
					n = oc.Count
				}
			}
			w.Sample("tldguard_cases_open", float64(n), "priority", string(p), "status", string(st))
		}
	}
	w.Family("tldguard_case_clocks_near_end", "gauge", "Open cases without a response whose deadline is within the warning window.")
	w.Sample("tldguard_case_clocks_near_end", float64(clocks.NearEnd))
	w.Family("tldguard_case_clocks_missed", "gauge", "Open cases without a response whose deadline has passed.")
	w.Sample("tldguard_case_clocks_missed", float64(clocks.Missed))

	w.Family("tldguard_zone_check_runs_total", "counter", "Finished zone-check runs, by outcome.")
	for _, st := range []tldguard.ScanStatus{tldguard.ScanOK, tldguard.ScanFailed} {
		w.Sample("tldguard_zone_check_runs_total", float64(c.runs[st]), "status", string(st))
	}
	w.Family("tldguard_zone_check_running", "gauge", "Zone-check runs in progress.")
	w.Sample("tldguard_zone_check_running", float64(running))
	w.Family("tldguard_zone_check_duration_seconds", "histogram", "How long finished zone-check runs took.")
	cum := make([]uint64, len(c.durations))
	var n uint64
	for i, d := range c.durations {
		n += d
		cum[i] = n
	}
	w.Histogram("tldguard_zone_check_duration_seconds", zoneCheckBounds, cum, c.durationSum)
	w.Family("tldguard_zone_check_new_findings_total", "counter", "Names the zone check saw listed for the first time.")
	w.Sample("tldguard_zone_check_new_findings_total", float64(c.newFindings))
	w.Family("tldguard_zone_check_new_cases_total", "counter", "Cases the zone check opened.")
	w.Sample("tldguard_zone_check_new_cases_total", float64(c.newCases))
	w.Family("tldguard_zone_check_last_success_timestamp_seconds", "gauge", "When the last successful zone-check run finished (unix seconds).")
	w.Family("tldguard_zone_check_names_checked", "gauge", "Names the last successful zone-check run checked.")
	w.Family("tldguard_zone_check_findings", "gauge", "Names listed in the last successful zone-check run, by threat type.")
	w.Family("tldguard_zone_check_feed_alarms", "gauge", "Feeds that looked broken in the last successful zone-check run.")
	w.Family("tldguard_zone_check_stale_zones", "gauge", "Zones the last successful zone-check run read from an older copy because the download failed.")
	if r := c.lastOK; r != nil {
		w.Sample("tldguard_zone_check_last_success_timestamp_seconds", float64(r.FinishedAt.UnixMicro())/1e6)
		w.Sample("tldguard_zone_check_names_checked", float64(r.NamesChecked))
		for _, t := range tldguard.ThreatTypes {
			w.Sample("tldguard_zone_check_findings", float64(r.ByThreat[t]), "threat_type", string(t))
		}
		var alarms int64
		for _, f := range r.Feeds {
			if f.Alarm != "" {
				alarms++
			}
		}
		w.Sample("tldguard_zone_check_feed_alarms", float64(alarms))
		var stale int64
		for _, z := range r.Zones {
			if z.Stale {
				stale++
			}
		}
		w.Sample("tldguard_zone_check_stale_zones", float64(stale))
	}

	// The durable jobs and the actions, from the jobs and actions tables.
	w.Family("tldguard_job_queue_depth", "gauge", "Durable jobs not finished, by state: queued (waiting to run or to retry) and running (claimed by a worker).")
	for _, st := range []tldguard.JobState{tldguard.JobQueued, tldguard.JobRunning} {
		w.Sample("tldguard_job_queue_depth", float64(jobs[st]), "state", string(st))
	}
	w.Family("tldguard_jobs_failed_total", "counter", "Durable jobs that failed for good (gave up after their retries; failed is final).")
	w.Sample("tldguard_jobs_failed_total", float64(jobs[tldguard.JobFailed]))
	// An action moves between states (proposed, approved, done, undone),
	// so a count by state can fall: the family is a gauge, the actions
	// stored by kind and the state each stands in now. Summed over the
	// states it only grows. Every kind and state is sampled, zeros too.
	w.Family("tldguard_actions_total", "gauge", "Actions stored, by kind and the state each stands in now (done, failed, undone, ...).")
	for _, k := range tldguard.ActionKinds {
		for _, st := range actionStates {
			var n int64
			for _, ac := range actions {
				if ac.Kind == k && ac.State == st {
					n += ac.Count
				}
			}
			w.Sample("tldguard_actions_total", float64(n), "kind", string(k), "state", string(st))
		}
	}
	return nil
}

// actionStates are the states tldguard_actions_total samples, in the order
// an action goes through them.
var actionStates = []tldguard.ActionState{tldguard.ActionProposed, tldguard.ActionApproved, tldguard.ActionRunning,
	tldguard.ActionDone, tldguard.ActionFailed, tldguard.ActionRejected, tldguard.ActionUndone}

// readRuns counts the zone-check runs finished since the last scrape, the
// newest first down to the watermark, and returns how many are running.
// The watermark stays below the oldest run still running, so a run is
// counted once, when it has finished.
func (c *Collector) readRuns(tx tldguard.Tx) (running int64, err error) {
	const page = 200
	var before int64
	oldestRunning := int64(0)
	highest := c.runsAfter
	for {
		rs, err := tx.ListScanRuns(before, page)
		if err != nil {
			return 0, err
		}
		done := len(rs) < page
		for _, r := range rs {
			if r.ID <= c.runsAfter {
				done = true
				break
			}
			highest = max(highest, r.ID)
			before = r.ID
			if r.Status == tldguard.ScanRunning {
				running++
				oldestRunning = r.ID
				continue
			}
			if c.counted[r.ID] {
				continue
			}
			c.counted[r.ID] = true
			c.runs[r.Status]++
			if r.Status == tldguard.ScanOK {
				c.newFindings += r.NewFindings
				c.newCases += r.NewCases
				if c.lastOK == nil || r.FinishedAt.After(c.lastOK.FinishedAt) {
					c.lastOK = r
				}
			}
			if !r.FinishedAt.IsZero() {
				secs := r.FinishedAt.Sub(r.StartedAt).Seconds()
				i, _ := slices.BinarySearch(zoneCheckBounds, secs)
				c.durations[i]++
				c.durationSum += secs
			}
		}
		if done {
			break
		}
	}
	if oldestRunning != 0 {
		c.runsAfter = oldestRunning - 1
	} else {
		c.runsAfter = highest
	}
	for id := range c.counted {
		if id <= c.runsAfter {
			delete(c.counted, id)
		}
	}
	return running, nil
}
