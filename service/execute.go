package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// Job running: durable, retried, exactly-once in effect.
//
// A job is claimed for a while (claimTTL, longer than any adapter's
// timeout); a worker that dies leaves the claim to expire and another worker
// takes the job over. Should a slow job outlive its claim, the second run is
// harmless: Apply is idempotent and the record is written once. Carrying out an
// action is made idempotent by the adapter (it reads the registry first and
// changes only what differs), so a crash between the registry change and
// its record repeats the read, finds the change in place, and records it
// once.
const (
	maxAttempts = 8
	claimTTL    = 30 * time.Second
	pollEvery   = 500 * time.Millisecond
	jobParallel = 16
)

// RunJobs claims and runs due jobs until ctx ends. worker names this
// process in the claims (host and pid).
func (s *Service) RunJobs(ctx context.Context, worker string) {
	ctx = tldguard.System(ctx, "jobs:"+worker)
	for {
		n, err := s.RunDueJobs(ctx, worker, 32)
		if err != nil && ctx.Err() == nil {
			s.log.Error("jobs: claim failed", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(pollEvery):
		}
	}
}

// RunDueJobs claims up to limit due jobs, runs them, and returns how many
// it ran. Tests and benchmarks call it directly.
func (s *Service) RunDueJobs(ctx context.Context, worker string, limit int) (int, error) {
	now := s.clock()
	var jobs []*tldguard.Job
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(worker, now, now.Add(claimTTL), limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	// Jobs run side by side, so that their writes share group commits.
	sem := make(chan struct{}, jobParallel)
	var wg sync.WaitGroup
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.runJob(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

// runJob runs one claimed job and records the outcome.
func (s *Service) runJob(ctx context.Context, j *tldguard.Job) {
	var err error
	switch j.Kind {
	case jobAction:
		err = s.executeAction(ctx, j)
	case jobReferral:
		err = s.checkReferral(ctx, j)
	default:
		err = tldguard.Errorf(tldguard.EINTERNAL, "unknown job kind %q", j.Kind)
	}
	if err == nil {
		return // the handler finished the job in its own transaction
	}
	j.Attempts++
	j.LastError = err.Error()
	now := s.clock()
	retry := tldguard.ErrorKind(err) == tldguard.EUNAVAILABLE && j.Attempts < j.MaxAttempts
	if retry {
		j.State = tldguard.JobQueued
		j.RunAt = now.Add(backoff(j.Attempts))
	} else {
		j.State = tldguard.JobFailed
	}
	j.LockedBy, j.LockedUntil, j.UpdatedAt = "", time.Time{}, now
	werr := s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.UpdateJob(j); err != nil {
			return err
		}
		if retry || j.Kind != jobAction {
			return nil
		}
		return s.failAction(ctx, tx, j.Ref, err, now)
	})
	if werr != nil {
		s.log.Error("jobs: recording a failure failed", "job", j.ID, "err", werr)
	}
	s.log.Warn("jobs: job failed", "job", j.ID, "kind", j.Kind, "ref", j.Ref, "attempt", j.Attempts, "retry", retry, "err", err)
}

// kick wakes this process's job runner.
func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// backoff is exponential with jitter, from 2s to 10 minutes.
func backoff(attempt int) time.Duration {
	d := 2 * time.Second << min(attempt-1, 9)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// failAction marks an action failed for good, on its case and in the log.
func (s *Service) failAction(ctx context.Context, tx tldguard.Tx, id int64, cause error, now time.Time) error {
	a, err := tx.ActionByID(id)
	if err != nil {
		return err
	}
	if a.State == tldguard.ActionDone || a.State == tldguard.ActionFailed {
		return nil
	}
	a.State, a.LastError, a.UpdatedAt = tldguard.ActionFailed, tldguard.ErrorMessage(cause), now
	a.Attempts++
	if err := tx.UpdateAction(a); err != nil {
		return err
	}
	return tx.AppendEvent(event(ctx, now, "action.failed", a.CaseID, fmt.Sprintf("action:%d", a.ID), map[string]any{
		"action_id": a.ID, "kind": a.Kind, "error": tldguard.ErrorMessage(cause)}))
}

// executeAction carries an approved action out and records the result, the
// case's response, and the notices, in one transaction after the registry
// answered.
func (s *Service) executeAction(ctx context.Context, j *tldguard.Job) error {
	var a, undone *tldguard.Action
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		if a, err = tx.ActionByID(j.Ref); err != nil {
			return err
		}
		if a.Kind == tldguard.ActionRelease {
			undone, err = tx.ActionByID(a.UndoOf)
		}
		return err
	})
	if err != nil {
		return err
	}
	if a.State != tldguard.ActionApproved && a.State != tldguard.ActionRunning {
		return s.finishJob(ctx, j, nil) // done, failed or rejected meanwhile: nothing to do
	}
	var res *tldguard.ChangeResult
	if a.Kind.AtRegistry() && a.Kind != tldguard.ActionBlock {
		if s.adapter == nil {
			return tldguard.Errorf(tldguard.EUNAVAILABLE, "no registry adapter is configured")
		}
		res, err = s.adapter.Apply(ctx, *changeFor(a, undone))
		if err != nil {
			return err
		}
	}
	// A referral's address may come from RDAP: asked before the
	// transaction, never inside it.
	var abuse *tldguard.Registrar
	if a.Kind == tldguard.ActionReferRegistrar && s.abuse != nil {
		if abuse, err = s.abuse.AbuseContact(ctx, a.Domain); err != nil {
			s.log.Warn("referral: no abuse contact from the registry", "domain", a.Domain, "err", err)
			abuse = nil
		}
	}
	now := s.clock()
	return s.commit.do(ctx, func(tx tldguard.Tx) error {
		// Re-read: the body may run again, and nobody else may have
		// finished the action meanwhile.
		a, err := tx.ActionByID(j.Ref)
		if err != nil {
			return err
		}
		if a.State == tldguard.ActionDone {
			return s.finishJobTx(tx, j, now)
		}
		c, err := tx.CaseByID(a.CaseID)
		if err != nil {
			return err
		}
		data := map[string]any{"action_id": a.ID, "kind": a.Kind}
		switch a.Kind {
		case tldguard.ActionBlock:
			for _, n := range a.Names {
				if err := tx.PutBlocked(&tldguard.Blocked{Name: n, ActionID: a.ID, CaseID: a.CaseID, Reason: a.Reason, BlockedAt: now}); err != nil {
					return err
				}
			}
			a.Result = fmt.Sprintf("%d names blocked", len(a.Names))
		case tldguard.ActionReferRegistrar:
			if err := s.refer(ctx, tx, a, c, abuse, now); err != nil {
				return err
			}
		case tldguard.ActionRequestInfo:
			if err := s.noticeReporters(tx, c, tldguard.NoticeRequestInfo, now); err != nil {
				return err
			}
			a.Result = "reporters asked for more evidence"
		case tldguard.ActionNoAction:
			c.Status, c.ClosedAt, c.Resolution = tldguard.StatusClosed, now, "no action: "+a.Reason
			a.Result = "case closed without action"
		}
		if res != nil {
			before, after := res.Before, res.After
			a.Before, a.After, a.Result = &before, &after, res.Detail
			data["applied"], data["before"], data["after"], data["detail"] = res.Applied, before, after, res.Detail
		}
		if a.Kind == tldguard.ActionRelease {
			u, err := tx.ActionByID(a.UndoOf)
			if err != nil {
				return err
			}
			u.State, u.UpdatedAt = tldguard.ActionUndone, now
			if err := tx.UpdateAction(u); err != nil {
				return err
			}
		}
		a.State, a.DoneAt, a.UpdatedAt = tldguard.ActionDone, now, now
		a.Attempts = j.Attempts + 1
		if err := tx.UpdateAction(a); err != nil {
			return err
		}
		// The response clock stops at the first response: an action at the
		// registry, a referral, or a decision to take none.
		if a.Kind != tldguard.ActionRequestInfo && c.RespondedAt.IsZero() {
			c.RespondedAt = now
			data["responded"] = true
		}
		if c.Status == tldguard.StatusOpen {
			c.Status = tldguard.StatusInProgress
		}
		c.UpdatedAt = now
		if err := tx.UpdateCase(c); err != nil {
			return err
		}
		if a.Kind.AtRegistry() || a.Kind == tldguard.ActionNoAction {
			if err := s.noticeReporters(tx, c, tldguard.NoticeOutcome, now); err != nil {
				return err
			}
		}
		if err := tx.AppendEvent(event(ctx, now, "action.done", a.CaseID, fmt.Sprintf("action:%d", a.ID), data)); err != nil {
			return err
		}
		return s.finishJobTx(tx, j, now)
	})
}

func (s *Service) finishJob(ctx context.Context, j *tldguard.Job, _ error) error {
	now := s.clock()
	return s.store.Write(ctx, func(tx tldguard.Tx) error { return s.finishJobTx(tx, j, now) })
}

func (s *Service) finishJobTx(tx tldguard.Tx, j *tldguard.Job, now time.Time) error {
	done := *j
	done.State, done.LockedBy, done.LockedUntil, done.UpdatedAt = tldguard.JobDone, "", time.Time{}, now
	return tx.UpdateJob(&done)
}

// noticeReporters queues a notice of kind to every reporter of the case.
func (s *Service) noticeReporters(tx tldguard.Tx, c *tldguard.Case, kind tldguard.NoticeKind, now time.Time) error {
	reports, err := tx.ListReports(tldguard.ReportFilter{CaseID: c.ID})
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, r := range reports {
		if seen[r.ReporterID] || r.Source == tldguard.SourceFeed {
			continue
		}
		seen[r.ReporterID] = true
		rep, err := tx.ReporterByID(r.ReporterID)
		if err != nil {
			return err
		}
		if err := tx.QueueNotice(&tldguard.Notice{Kind: kind, Status: tldguard.NoticeQueued, ReporterID: rep.ID, ReportID: r.ID, CaseID: c.ID, To: rep.Email, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}
