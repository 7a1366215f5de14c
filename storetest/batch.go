package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/tldguard/tldguard"
)

var batchTests = []test{
	{"CommitsAllButFailedFns", testBatchCommitsAllButFailed},
	{"LaterFnsSeeEarlierOnes", testBatchLaterFnsSeeEarlier},
	{"Empty", testBatchEmpty},
	{"AllFail", testBatchAllFail},
	{"ConcurrentWriters", testConcurrentWriters},
}

// createUserWithEvent returns a batch fn that creates user n and appends an
// event for it, then fails with fail (if non-nil).
func createUserWithEvent(n int, fail error) func(tx tldguard.Tx) error {
	return func(tx tldguard.Tx) error {
		u := newUser(n)
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		e := newEvent(n, 0)
		e.Subject = "user:" + u.Email
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		return fail
	}
}

func testBatchCommitsAllButFailed(t *testing.T, s tldguard.Store) {
	appendEvents(t, s, 1, 0)
	fns := []func(tldguard.Tx) error{
		createUserWithEvent(1, nil),
		createUserWithEvent(2, errSentinel),
		createUserWithEvent(3, nil),
		// Fails inside the store: a taken e-mail, after appending an event.
		func(tx tldguard.Tx) error {
			if err := tx.AppendEvent(newEvent(4, 0)); err != nil {
				return err
			}
			return tx.CreateUser(newUser(1))
		},
		createUserWithEvent(5, nil),
	}
	errs := s.WriteBatch(t.Context(), fns)
	if len(errs) != len(fns) {
		t.Fatalf("WriteBatch returned %d errors for %d fns", len(errs), len(fns))
	}
	for _, i := range []int{0, 2, 4} {
		if errs[i] != nil {
			t.Errorf("errs[%d] = %v, want nil", i, errs[i])
		}
	}
	if !errors.Is(errs[1], errSentinel) {
		t.Errorf("errs[1] = %v, want fn's error", errs[1])
	}
	wantKind(t, "errs[3]", errs[3], tldguard.ECONFLICT)
	for n, want := range map[int]bool{1: true, 2: false, 3: true, 5: true} {
		if got := userExists(t, s, newUser(n).Email); got != want {
			t.Errorf("user %d stored = %v, want %v", n, got, want)
		}
	}
	// The chain holds the first event and one per successful fn, gapless.
	if n := verifyChain(t, s); n != 4 {
		t.Errorf("verified %d events, want 4", n)
	}
	for _, e := range scanAll(t, s, 1) {
		if e.Subject == "user:"+newUser(2).Email || e.At.Equal(tldguard.Truncate(at(4))) {
			t.Errorf("event %d of a failed fn was committed", e.Seq)
		}
	}
}

func testBatchLaterFnsSeeEarlier(t *testing.T, s tldguard.Store) {
	u := newUser(1)
	var seen bool
	errs := s.WriteBatch(t.Context(), []func(tldguard.Tx) error{
		func(tx tldguard.Tx) error { return tx.CreateUser(u) },
		func(tx tldguard.Tx) error {
			_, err := tx.UserByID(u.ID)
			seen = err == nil
			return nil
		},
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("errs[%d] = %v", i, err)
		}
	}
	if !seen {
		t.Error("a fn does not see the change of an earlier fn in the same batch")
	}
}

func testBatchEmpty(t *testing.T, s tldguard.Store) {
	if errs := s.WriteBatch(t.Context(), nil); len(errs) != 0 {
		t.Errorf("WriteBatch(nil) = %v, want no errors", errs)
	}
}

func testBatchAllFail(t *testing.T, s tldguard.Store) {
	appendEvents(t, s, 2, 0)
	before := chainHead(t, s)
	errs := s.WriteBatch(t.Context(), []func(tldguard.Tx) error{
		createUserWithEvent(1, errSentinel),
		createUserWithEvent(2, errSentinel),
	})
	for i, err := range errs {
		if !errors.Is(err, errSentinel) {
			t.Errorf("errs[%d] = %v, want fn's error", i, err)
		}
	}
	wantEqual(t, "ChainHead after a batch that failed", chainHead(t, s), before)
	if userExists(t, s, newUser(1).Email) || userExists(t, s, newUser(2).Email) {
		t.Error("a failed fn's user was committed")
	}
	appendEvents(t, s, 1, 0)
	verifyChain(t, s)
}

// testConcurrentWriters writes events from several goroutines at once,
// through Write and WriteBatch (with a failing fn in every batch): the
// chain must come out gapless and verifying, with every committed event.
func testConcurrentWriters(t *testing.T, s tldguard.Store) {
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				n := w*1000 + r*10
				if w%2 == 0 {
					err := s.Write(t.Context(), func(tx tldguard.Tx) error {
						if err := tx.AppendEvent(newEvent(n, 0)); err != nil {
							return err
						}
						return tx.AppendEvent(newEvent(n+1, 0))
					})
					if err != nil {
						t.Errorf("worker %d: Write: %v", w, err)
					}
					continue
				}
				errs := s.WriteBatch(t.Context(), []func(tldguard.Tx) error{
					createUserWithEvent(n, nil),
					createUserWithEvent(n+1, errSentinel),
					createUserWithEvent(n+2, nil),
				})
				if len(errs) != 3 || errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], errSentinel) {
					t.Errorf("worker %d: WriteBatch errors %v", w, errs)
				}
			}
		})
	}
	wg.Wait()
	if n := verifyChain(t, s); n != workers*rounds*2 {
		t.Errorf("verified %d events, want %d", n, workers*rounds*2)
	}
	if h := chainHead(t, s); h.Seq != workers*rounds*2 {
		t.Errorf("ChainHead.Seq = %d, want %d", h.Seq, workers*rounds*2)
	}
	read(t, s, func(tx tldguard.Tx) error {
		us, err := tx.ListUsers()
		if err != nil {
			return err
		}
		if want := workers / 2 * rounds * 2; len(us) != want {
			t.Errorf("%d users stored, want %d", len(us), want)
		}
		return nil
	})
}
