package service

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// Scheduler defaults.
const (
	DefaultScanInterval = 24 * time.Hour
	// scanRecheck bounds one wait, so that a run made elsewhere (the CLI,
	// another node) moves the next one.
	scanRecheck = 5 * time.Minute
	// scanBusyWait is how long to wait when another node holds the lease.
	scanBusyWait = time.Minute
)

// Scheduler runs the zone check periodically inside the server. It keeps
// no state of its own: the next run is due Interval after the start of the
// last finished run in the store (RetryAfter after its end when it failed),
// or at once when there is none. So a restart loses nothing, a run missed
// while the server was down happens at start-up, and a check run from the
// command line counts. The zone check's lease keeps one run at a time
// across nodes.
type Scheduler struct {
	Service *Service
	// Config is the check to run; its Trigger is set to "schedule".
	Config ScanConfig
	// Interval between runs (default DefaultScanInterval).
	Interval time.Duration
	// RetryAfter is the wait after a failed run (default: Interval, at
	// most an hour).
	RetryAfter time.Duration
	Logger     *slog.Logger

	mu   sync.Mutex
	wake chan struct{} // Update's signal to a waiting Run
}

// Update replaces the check and the interval of a running scheduler (a
// configuration reloaded). A wait in progress is measured again at once;
// a check in progress finishes with the configuration it started with.
func (sc *Scheduler) Update(cfg ScanConfig, interval time.Duration) {
	sc.mu.Lock()
	sc.Config, sc.Interval = cfg, interval
	w := sc.wakeLocked()
	sc.mu.Unlock()
	select {
	case w <- struct{}{}:
	default:
	}
}

func (sc *Scheduler) wakeLocked() chan struct{} {
	if sc.wake == nil {
		sc.wake = make(chan struct{}, 1)
	}
	return sc.wake
}

// current returns the check, interval and retry wait in force.
func (sc *Scheduler) current() (ScanConfig, time.Duration, time.Duration, chan struct{}) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	interval := sc.Interval
	if interval <= 0 {
		interval = DefaultScanInterval
	}
	retry := sc.RetryAfter
	if retry <= 0 {
		retry = min(interval, time.Hour)
	}
	cfg := sc.Config
	cfg.Trigger = "schedule"
	return cfg, interval, retry, sc.wakeLocked()
}

// Run runs checks when they are due until ctx ends.
func (sc *Scheduler) Run(ctx context.Context) {
	log := sc.Logger
	if log == nil {
		log = sc.Service.log
	}
	sys := tldguard.System(ctx, "scheduler")
	for {
		cfg, interval, retry, wake := sc.current()
		due, err := sc.Service.NextScanDue(sys, interval, retry)
		if err != nil {
			log.Error("zone check: reading the last run failed", "err", err)
			due = sc.Service.now().Add(scanBusyWait)
		}
		if wait := due.Sub(sc.Service.now()); wait > 0 {
			t := time.NewTimer(min(wait, scanRecheck))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			case <-wake:
				t.Stop()
			}
			continue
		}
		log.Info("zone check starting", "trigger", cfg.Trigger)
		run, _, err := sc.Service.RunScan(sys, cfg)
		switch {
		case ctx.Err() != nil:
			return
		case tldguard.ErrorKind(err) == tldguard.ECONFLICT && run == nil:
			log.Info("zone check: " + tldguard.ErrorMessage(err))
			if !sleep(ctx, min(scanBusyWait, interval)) {
				return
			}
		case err != nil:
			log.Error("zone check failed", "run", runID(run), "err", tldguard.ErrorMessage(err))
		default:
			log.Info("zone check finished", "run", run.ID, "names", run.NamesChecked, "findings", run.Findings,
				"new_findings", run.NewFindings, "new_cases", run.NewCases, "delisted", run.Delisted)
		}
	}
}

func runID(r *tldguard.ScanRun) int64 {
	if r == nil {
		return 0
	}
	return r.ID
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// interruptedPrefix starts the error of a run that was cut short rather
// than failed on its inputs.
const interruptedPrefix = "interrupted: "

func interrupted(r *tldguard.ScanRun) bool {
	return r.Status == tldguard.ScanFailed && strings.HasPrefix(r.Error, interruptedPrefix)
}

// NextScanDue says when the next scheduled check is due (admin): interval
// after the start of the last finished run, retry after the end of a
// failed one, now when there is none. Runs cut short (the server stopped,
// the node died) do not count, so their check runs again at start-up.
func (s *Service) NextScanDue(ctx context.Context, interval, retry time.Duration) (time.Time, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return time.Time{}, err
	}
	var last *tldguard.ScanRun
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		last = nil
		for before := int64(0); ; {
			runs, err := tx.ListScanRuns(before, 50)
			if err != nil || len(runs) == 0 {
				return err
			}
			for _, r := range runs {
				// A run cut short by a stop or a dead node did not check;
				// the one before it says when the next is due.
				if r.Status != tldguard.ScanRunning && !interrupted(r) {
					last = r
					return nil
				}
			}
			before = runs[len(runs)-1].ID
		}
	})
	switch {
	case err != nil:
		return time.Time{}, err
	case last == nil:
		return s.now(), nil
	case last.Status == tldguard.ScanFailed:
		return last.FinishedAt.Add(retry), nil
	}
	return last.StartedAt.Add(interval), nil
}
