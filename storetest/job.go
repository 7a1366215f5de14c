package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var jobTests = []test{
	{"EnqueueAndGet", testJobEnqueueAndGet},
	{"Claim", testClaimJobs},
	{"ClaimRolledBack", testClaimJobsRolledBack},
	{"ConcurrentClaimers", testClaimJobsConcurrent},
	{"Update", testJobUpdate},
	{"Count", testCountJobs},
}

// newJob returns a queued action job due at the given minute, created a
// minute before.
func newJob(ref int64, runAt int) *tldguard.Job {
	return &tldguard.Job{
		Kind:        "action",
		Ref:         ref,
		State:       tldguard.JobQueued,
		RunAt:       at(runAt),
		MaxAttempts: 5,
		CreatedAt:   at(runAt - 1),
		UpdatedAt:   at(runAt - 1),
	}
}

// enqueueJobs stores jobs in one transaction.
func enqueueJobs(t *testing.T, s tldguard.Store, jobs ...*tldguard.Job) {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error {
		for _, j := range jobs {
			if err := actionTx(t, tx).EnqueueJob(j); err != nil {
				return err
			}
		}
		return nil
	})
}

// claimJobs runs ClaimJobs in its own Write (minutes for the times).
func claimJobs(t *testing.T, s tldguard.Store, worker string, now, lockUntil, limit int) []*tldguard.Job {
	t.Helper()
	var got []*tldguard.Job
	write(t, s, func(tx tldguard.Tx) error {
		var err error
		got, err = actionTx(t, tx).ClaimJobs(worker, at(now), at(lockUntil), limit)
		return err
	})
	return got
}

// jobByID returns the stored job id, failing the test when it cannot.
func jobByID(t *testing.T, s tldguard.Store, id int64) *tldguard.Job {
	t.Helper()
	var got *tldguard.Job
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		got, err = actionTx(t, tx).JobByID(id)
		return err
	})
	return got
}

func jobIDs(js []*tldguard.Job) []int64 {
	out := make([]int64, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

// testJobEnqueueAndGet: every field round-trips; a job without a state is
// stored queued; zero times come back zero.
func testJobEnqueueAndGet(t *testing.T, s tldguard.Store) {
	full := newJob(42, 10)
	full.State = tldguard.JobRunning
	full.Attempts = 2
	full.LastError = "EPP 2400: command failed \u2014 retrying"
	full.LockedBy = "node-a/worker-3"
	full.LockedUntil = at(15)
	full.UpdatedAt = at(11)
	noState := newJob(7, 20)
	noState.Kind, noState.State = "notice", ""
	bare := &tldguard.Job{Kind: "clock", State: tldguard.JobFailed} // every time zero
	enqueueJobs(t, s, full, noState, bare)
	if full.ID <= 0 || full.ID == noState.ID || noState.ID == bare.ID || full.ID == bare.ID {
		t.Fatalf("EnqueueJob set ids %d, %d, %d", full.ID, noState.ID, bare.ID)
	}
	wantEqual(t, "JobByID of a running job", jobByID(t, s, full.ID), full)
	queued := *noState
	queued.State = tldguard.JobQueued
	wantEqual(t, "JobByID of a job enqueued without a state", jobByID(t, s, noState.ID), &queued)
	wantEqual(t, "JobByID of a job without times", jobByID(t, s, bare.ID), bare)
	read(t, s, func(tx tldguard.Tx) error {
		_, err := actionTx(t, tx).JobByID(full.ID + noState.ID + bare.ID + 100)
		wantKind(t, "JobByID of a missing job", err, tldguard.ENOTFOUND)
		return nil
	})
}

// testClaimJobs claims from a mix of jobs, step by step. Claimable at now
// are queued jobs with RunAt <= now and running jobs whose LockedUntil <=
// now (a claim ending at T has expired at T, as a lease does); a claimed
// job becomes running by the worker until lockUntil, with UpdatedAt now,
// and nothing else changes. The order is RunAt, then id. Readings this
// suite takes where the contract is silent: a zero RunAt is due at once and
// sorts last (the Tx rule for zero sort keys); a running job with a zero
// LockedUntil holds no claim; a limit <= 0 means no limit (the Tx rule for
// list methods).
func testClaimJobs(t *testing.T, s tldguard.Store) {
	jobs := map[string]*tldguard.Job{}
	var order []string
	add := func(name string, runAt int, state tldguard.JobState, lockedUntil int) {
		j := newJob(int64(len(order)+1), runAt)
		j.State = state
		if state == tldguard.JobRunning {
			j.LockedBy, j.Attempts = "dead-worker", 1
			j.LockedUntil = at(lockedUntil)
			if lockedUntil < 0 {
				j.LockedUntil = time.Time{}
			}
		}
		jobs[name] = j
		order = append(order, name)
	}
	// Inserted out of RunAt order, so that ids do not give the order.
	const now = 100
	add("q1", 90, tldguard.JobQueued, 0)
	add("q4", 101, tldguard.JobQueued, 0) // not due yet
	add("r1", 70, tldguard.JobRunning, 99)
	add("qz", 0, tldguard.JobQueued, 0) // RunAt set to zero below
	add("tieA", 50, tldguard.JobQueued, 0)
	add("done", 0, tldguard.JobDone, 0)
	add("r3", 60, tldguard.JobRunning, 150) // a live claim
	add("q3", now, tldguard.JobQueued, 0)   // due at exactly now
	add("tieB", 50, tldguard.JobQueued, 0)
	add("r2", 10, tldguard.JobRunning, now) // the claim ends at exactly now
	add("failed", 0, tldguard.JobFailed, 0)
	add("rz", 80, tldguard.JobRunning, -1) // running without a claim's end
	jobs["qz"].RunAt = time.Time{}
	all := make([]*tldguard.Job, len(order))
	for i, name := range order {
		all[i] = jobs[name]
	}
	enqueueJobs(t, s, all...)

	for _, step := range []struct {
		worker     string
		now, until int
		limit      int
		want       []string
	}{
		{"w1", now, 110, 3, []string{"r2", "tieA", "tieB"}},
		{"w2", now, 120, 0, []string{"r1", "rz", "q1", "q3", "qz"}},
		{"w3", 105, 130, -1, []string{"q4"}},
		{"w4", 109, 140, 0, nil}, // every claim still holds
		{"w5", 110, 200, 2, []string{"r2", "tieA"}},
		{"w6", 150, 300, 100, []string{"tieB", "r3", "r1", "rz", "q1", "q3", "q4", "qz"}},
		{"w7", 199, 300, 0, nil},
	} {
		var want []*tldguard.Job
		for _, name := range step.want {
			j := jobs[name]
			j.State, j.LockedBy, j.LockedUntil, j.UpdatedAt = tldguard.JobRunning, step.worker, at(step.until), at(step.now)
			want = append(want, j)
		}
		got := claimJobs(t, s, step.worker, step.now, step.until, step.limit)
		wantEqual(t, fmt.Sprintf("ClaimJobs by %s at %d (limit %d): ids", step.worker, step.now, step.limit),
			jobIDs(got), jobIDs(want))
		wantEqual(t, fmt.Sprintf("ClaimJobs by %s", step.worker), got, want)
	}
	for _, name := range order {
		wantEqual(t, "JobByID("+name+") after the claims", jobByID(t, s, jobs[name].ID), jobs[name])
	}
}

// testClaimJobsRolledBack: a claim in a Write that fails is no claim.
func testClaimJobsRolledBack(t *testing.T, s tldguard.Store) {
	j := newJob(1, 0)
	enqueueJobs(t, s, j)
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		got, err := actionTx(t, tx).ClaimJobs("w1", at(1), at(60), 1)
		if err != nil {
			return err
		}
		if len(got) != 1 {
			t.Errorf("ClaimJobs claimed %d jobs, want 1", len(got))
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	wantEqual(t, "job after a rolled-back claim", jobByID(t, s, j.ID), j)
	got := claimJobs(t, s, "w2", 1, 60, 1)
	if len(got) != 1 || got[0].ID != j.ID || got[0].LockedBy != "w2" {
		t.Errorf("ClaimJobs after a rolled-back claim = %+v, want job %d claimed by w2", got, j.ID)
	}
}

// testClaimJobsConcurrent runs several workers, each claiming a few jobs at
// a time in its own Write until none is left: every job is claimed exactly
// once, by the worker whose claim returned it.
func testClaimJobsConcurrent(t *testing.T, s tldguard.Store) {
	const jobsN, workers, batch = 40, 6, 3
	var all []*tldguard.Job
	for i := range jobsN {
		all = append(all, newJob(int64(i+1), i%7))
	}
	enqueueJobs(t, s, all...)

	var mu sync.Mutex
	claimedBy := map[int64][]string{}
	var wg sync.WaitGroup
	for w := range workers {
		worker := fmt.Sprintf("node-%d", w)
		wg.Go(func() {
			for range jobsN + 1 { // bounded, in case a store never runs dry
				var got []*tldguard.Job
				err := s.Write(t.Context(), func(tx tldguard.Tx) error {
					a, ok := tx.(tldguard.ActionTx)
					if !ok {
						return errors.New("the engine's Tx does not implement tldguard.ActionTx")
					}
					var err error
					got, err = a.ClaimJobs(worker, at(10), at(60), batch)
					return err
				})
				if err != nil {
					t.Errorf("%s: ClaimJobs: %v", worker, err)
					return
				}
				if len(got) == 0 {
					return
				}
				if len(got) > batch {
					t.Errorf("%s: ClaimJobs returned %d jobs, limit %d", worker, len(got), batch)
				}
				mu.Lock()
				for _, j := range got {
					claimedBy[j.ID] = append(claimedBy[j.ID], worker)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if left := claimJobs(t, s, "late", 10, 60, 0); len(left) != 0 {
		t.Errorf("%d jobs were left for a claimer after the workers ran dry", len(left))
	}
	for _, j := range all {
		by := claimedBy[j.ID]
		if len(by) != 1 {
			t.Errorf("job %d was claimed %d times (%v), want once", j.ID, len(by), by)
			continue
		}
		if got := jobByID(t, s, j.ID); got.State != tldguard.JobRunning || got.LockedBy != by[0] {
			t.Errorf("job %d claimed by %s is stored %s by %q", j.ID, by[0], got.State, got.LockedBy)
		}
	}
	if len(claimedBy) != len(all) {
		t.Errorf("%d jobs claimed, want %d", len(claimedBy), len(all))
	}
}

// testJobUpdate: UpdateJob writes State, RunAt, Attempts, LastError,
// LockedBy, LockedUntil and UpdatedAt, and nothing else.
func testJobUpdate(t *testing.T, s tldguard.Store) {
	j, other := newJob(1, 0), newJob(2, 0)
	enqueueJobs(t, s, j, other)
	claimed := claimJobs(t, s, "w1", 0, 5, 1)
	if len(claimed) != 1 || claimed[0].ID != j.ID {
		t.Fatalf("ClaimJobs = %v, want job %d", jobIDs(claimed), j.ID)
	}
	j = claimed[0]

	// A failed attempt: back to the queue, later, with the error.
	j.State, j.RunAt, j.Attempts, j.LastError = tldguard.JobQueued, at(30), 1, "registry busy"
	j.LockedBy, j.LockedUntil, j.UpdatedAt = "", time.Time{}, at(2)
	sent := *j
	sent.Kind, sent.Ref, sent.MaxAttempts, sent.CreatedAt = "other", 99, 1, at(50) // not written
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateJob(&sent) })
	wantEqual(t, "job after a failed attempt", jobByID(t, s, j.ID), j)

	// Done, with every written time set.
	j.State, j.Attempts, j.LastError, j.LockedBy, j.LockedUntil, j.UpdatedAt = tldguard.JobDone, 2, "", "w2", at(40), at(35)
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateJob(j) })
	wantEqual(t, "job done", jobByID(t, s, j.ID), j)
	wantEqual(t, "the other job", jobByID(t, s, other.ID), other)

	// Times back to zero.
	j.RunAt, j.LockedUntil, j.UpdatedAt = time.Time{}, time.Time{}, time.Time{}
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateJob(j) })
	wantEqual(t, "job with zero times", jobByID(t, s, j.ID), j)

	missing := *j
	missing.ID = other.ID + 100
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateJob(&missing) })
	wantKind(t, "UpdateJob of a missing job", err, tldguard.ENOTFOUND)
}

// testCountJobs counts by state, and all for "".
func testCountJobs(t *testing.T, s tldguard.Store) {
	count := func(what string, want map[tldguard.JobState]int64) {
		t.Helper()
		read(t, s, func(tx tldguard.Tx) error {
			for _, state := range []tldguard.JobState{"", tldguard.JobQueued, tldguard.JobRunning,
				tldguard.JobDone, tldguard.JobFailed, "unknown"} {
				n, err := actionTx(t, tx).CountJobs(state)
				if err != nil {
					return err
				}
				if n != want[state] {
					t.Errorf("%s: CountJobs(%q) = %d, want %d", what, state, n, want[state])
				}
			}
			return nil
		})
	}
	count("no jobs", nil)
	var jobs []*tldguard.Job
	for i, state := range []tldguard.JobState{tldguard.JobQueued, tldguard.JobDone, tldguard.JobQueued,
		tldguard.JobRunning, tldguard.JobQueued, tldguard.JobDone, tldguard.JobDone} {
		j := newJob(int64(i), i)
		j.State = state
		if state == tldguard.JobRunning {
			j.LockedBy, j.LockedUntil = "w0", at(1000)
		}
		jobs = append(jobs, j)
	}
	enqueueJobs(t, s, jobs...)
	count("as enqueued", map[tldguard.JobState]int64{"": 7, tldguard.JobQueued: 3, tldguard.JobRunning: 1, tldguard.JobDone: 3})
	claimed := claimJobs(t, s, "w1", 100, 200, 2)
	if !slices.Equal(jobIDs(claimed), []int64{jobs[0].ID, jobs[2].ID}) {
		t.Errorf("ClaimJobs = %v, want %v", jobIDs(claimed), []int64{jobs[0].ID, jobs[2].ID})
	}
	count("after a claim", map[tldguard.JobState]int64{"": 7, tldguard.JobQueued: 1, tldguard.JobRunning: 3, tldguard.JobDone: 3})
	claimed[0].State = tldguard.JobFailed
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateJob(claimed[0]) })
	count("after a failure", map[tldguard.JobState]int64{"": 7, tldguard.JobQueued: 1, tldguard.JobRunning: 2,
		tldguard.JobDone: 3, tldguard.JobFailed: 1})
}
