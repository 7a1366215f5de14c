package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tldguard/tldguard"
)

var leaseTests = []test{
	{"AcquireAndRelease", testLeaseAcquireAndRelease},
	{"RefusalLeavesTxUsable", testLeaseRefusalLeavesTxUsable},
	{"RolledBack", testLeaseRolledBack},
	{"ConcurrentAcquirers", testLeaseConcurrentAcquirers},
}

// acquire runs AcquireLease in its own Write and returns its answer.
func acquire(t *testing.T, s tldguard.Store, name, holder string, now, until int) bool {
	t.Helper()
	var ok bool
	write(t, s, func(tx tldguard.Tx) error {
		var err error
		ok, err = tx.AcquireLease(name, holder, at(now), at(until))
		return err
	})
	return ok
}

// release runs ReleaseLease in its own Write.
func release(t *testing.T, s tldguard.Store, name, holder string) {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return tx.ReleaseLease(name, holder) })
}

// testLeaseAcquireAndRelease walks one lease through its states. A lease
// until T counts as expired at T (the reading this suite takes of "expired
// at now").
func testLeaseAcquireAndRelease(t *testing.T, s tldguard.Store) {
	const name = "zonecheck"
	for _, step := range []struct {
		what       string
		holder     string
		now, until int // minutes
		want       bool
		release    string // release by this holder instead of acquiring
	}{
		{what: "a free lease", holder: "node-a", now: 0, until: 10, want: true},
		{what: "a lease another holds", holder: "node-b", now: 5, until: 15, want: false},
		{what: "the holder renews", holder: "node-a", now: 5, until: 20, want: true},
		{what: "past the first term, within the renewed one", holder: "node-b", now: 15, until: 25, want: false},
		{what: "the renewed term's last instant", holder: "node-b", now: 20, until: 30, want: true},
		{what: "the old holder after expiry", holder: "node-a", now: 21, until: 31, want: false},
		{what: "release by a non-holder", release: "node-a"},
		{what: "after a non-holder's release", holder: "node-a", now: 21, until: 31, want: false},
		{what: "release by the holder", release: "node-b"},
		{what: "after the holder's release", holder: "node-a", now: 21, until: 31, want: true},
		{what: "a shorter renewal", holder: "node-a", now: 22, until: 23, want: true},
		{what: "after the shorter term", holder: "node-b", now: 23, until: 40, want: true},
	} {
		if step.release != "" {
			release(t, s, name, step.release)
			continue
		}
		if got := acquire(t, s, name, step.holder, step.now, step.until); got != step.want {
			t.Errorf("%s: AcquireLease(%s, %s, %d, %d) = %v, want %v",
				step.what, name, step.holder, step.now, step.until, got, step.want)
		}
	}
	// Names are independent; releasing a lease nobody holds is no error.
	if !acquire(t, s, "other-job", "node-a", 23, 40) {
		t.Error("AcquireLease of another name refused")
	}
	release(t, s, "never-taken", "node-a")
	release(t, s, name, "node-b")
	release(t, s, name, "node-b")
	if !acquire(t, s, name, "node-c", 23, 40) {
		t.Error("AcquireLease after release refused")
	}
	if acquire(t, s, "other-job", "node-c", 23, 40) {
		t.Error("releasing one lease freed another")
	}
}

// testLeaseRefusalLeavesTxUsable: a refused AcquireLease is an answer, not
// an error; the transaction goes on and commits.
func testLeaseRefusalLeavesTxUsable(t *testing.T, s tldguard.Store) {
	if !acquire(t, s, "zonecheck", "node-a", 0, 60) {
		t.Fatal("AcquireLease of a free lease refused")
	}
	u := newUser(1)
	write(t, s, func(tx tldguard.Tx) error {
		ok, err := tx.AcquireLease("zonecheck", "node-b", at(1), at(61))
		if err != nil {
			return err
		}
		if ok {
			t.Error("AcquireLease of a held lease succeeded")
		}
		if ok, err = tx.AcquireLease("report", "node-b", at(1), at(61)); err != nil || !ok {
			t.Errorf("AcquireLease of a free lease after a refusal = %v, %v", ok, err)
		}
		return tx.CreateUser(u)
	})
	if !userExists(t, s, u.Email) {
		t.Error("the write after a refused AcquireLease was not committed")
	}
	if acquire(t, s, "report", "node-a", 2, 62) {
		t.Error("the lease taken after a refusal in the same transaction was not kept")
	}
}

// testLeaseRolledBack: a lease taken in a Write that fails is not taken.
func testLeaseRolledBack(t *testing.T, s tldguard.Store) {
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		if _, err := tx.AcquireLease("zonecheck", "node-a", at(0), at(60)); err != nil {
			return err
		}
		return errSentinel
	})
	if err == nil {
		t.Fatal("Write returned nil, want fn's error")
	}
	if !acquire(t, s, "zonecheck", "node-b", 1, 61) {
		t.Error("a lease taken in a failed Write is held")
	}
}

// testLeaseConcurrentAcquirers races several holders, each in its own
// Write, for a lease nobody holds, then for the same lease once it has
// expired: each time exactly one wins, and it is the one that holds it.
func testLeaseConcurrentAcquirers(t *testing.T, s tldguard.Store) {
	const racers = 8
	race := func(round, now, until int) string {
		t.Helper()
		var mu sync.Mutex
		var winners []string
		var wg sync.WaitGroup
		for i := range racers {
			holder := fmt.Sprintf("node-%d-%d", round, i)
			wg.Go(func() {
				var ok bool
				err := s.Write(t.Context(), func(tx tldguard.Tx) error {
					var err error
					ok, err = tx.AcquireLease("zonecheck", holder, at(now), at(until))
					return err
				})
				if err != nil {
					t.Errorf("%s: Write: %v", holder, err)
					return
				}
				if ok {
					mu.Lock()
					winners = append(winners, holder)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d holders took the lease (%v), want exactly 1", round, len(winners), winners)
		}
		return winners[0]
	}
	first := race(1, 0, 10)
	if acquire(t, s, "zonecheck", "node-late", 5, 15) {
		t.Error("a late holder took the lease the race's winner holds")
	}
	if !acquire(t, s, "zonecheck", first, 5, 10) {
		t.Error("the race's winner cannot renew its lease")
	}
	second := race(2, 10, 20) // the lease expired at 10
	if acquire(t, s, "zonecheck", first, 11, 21) {
		t.Errorf("the first winner %s took the lease back from %s", first, second)
	}
	if !acquire(t, s, "zonecheck", second, 11, 21) {
		t.Error("the second race's winner cannot renew its lease")
	}
}
