package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/tldguard/tldguard"
)

var eventTests = []test{
	{"EmptyLog", testEventEmptyLog},
	{"AppendEvent", testAppendEvent},
	{"ScanEvents", testScanEvents},
	{"EventsByCase", testEventsByCase},
	{"LongChainVerifies", testLongChainVerifies},
}

func newEvent(n int, caseID int64) *tldguard.Event {
	return &tldguard.Event{
		At:      at(n),
		Actor:   "user:ana@nic.example",
		Action:  "case.updated",
		CaseID:  caseID,
		Subject: fmt.Sprintf("case:%d", caseID),
		Data:    []byte(fmt.Sprintf(`{"n":%d,"note":"caf\u00e9 \u2603"}`, n)),
	}
}

// appendEvents appends n events in one transaction and returns them as sealed.
func appendEvents(t *testing.T, s tldguard.Store, n int, caseID int64) []*tldguard.Event {
	t.Helper()
	var out []*tldguard.Event
	write(t, s, func(tx tldguard.Tx) error {
		out = nil // Write may run fn again
		for i := range n {
			e := newEvent(i, caseID)
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out
}

// scanAll returns every stored event after seq.
func scanAll(t *testing.T, s tldguard.Store, after int64) []*tldguard.Event {
	t.Helper()
	var out []*tldguard.Event
	read(t, s, func(tx tldguard.Tx) error {
		return tx.ScanEvents(after, func(e *tldguard.Event) error {
			out = append(out, e)
			return nil
		})
	})
	return out
}

// verifyChain checks the stored log with tldguard.ChainVerifier, as
// "tldguard audit verify" does, and returns the number of events.
func verifyChain(t *testing.T, s tldguard.Store) int64 {
	t.Helper()
	var v tldguard.ChainVerifier
	var n int64
	var head tldguard.ChainHead
	read(t, s, func(tx tldguard.Tx) error {
		err := tx.ScanEvents(0, func(e *tldguard.Event) error {
			n++
			if !v.Add(e) {
				return errors.New(v.Broken)
			}
			return nil
		})
		if err != nil {
			return err
		}
		head, err = tx.ChainHead()
		return err
	})
	got := v.Finish(head, nil)
	if v.Broken != "" {
		t.Fatalf("chain broken at %d: %s", v.BrokenSeq, v.Broken)
	}
	if got.Seq != n {
		t.Fatalf("verified head %d, want %d events", got.Seq, n)
	}
	return n
}

func chainHead(t *testing.T, s tldguard.Store) tldguard.ChainHead {
	t.Helper()
	var h tldguard.ChainHead
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		h, err = tx.ChainHead()
		return err
	})
	return h
}

func testEventEmptyLog(t *testing.T, s tldguard.Store) {
	h := chainHead(t, s)
	if h.Seq != 0 || len(h.Hash) != 0 {
		t.Errorf("ChainHead of an empty log = %v, want the zero head", h)
	}
	if evs := scanAll(t, s, 0); len(evs) != 0 {
		t.Errorf("ScanEvents on an empty log returned %d events", len(evs))
	}
	read(t, s, func(tx tldguard.Tx) error {
		evs, err := tx.EventsByCase(1)
		if err != nil {
			t.Errorf("EventsByCase on an empty log: %v", err)
		}
		if len(evs) != 0 {
			t.Errorf("EventsByCase on an empty log returned %d events", len(evs))
		}
		return nil
	})
	verifyChain(t, s)
}

func testAppendEvent(t *testing.T, s tldguard.Store) {
	first := appendEvents(t, s, 3, 0)
	// Seal overwrites whatever the caller put in Seq, PrevHash and Hash.
	e := newEvent(3, 0)
	e.Seq, e.PrevHash, e.Hash = 99, []byte("junk"), []byte("junk")
	e.Data = nil
	write(t, s, func(tx tldguard.Tx) error { return tx.AppendEvent(e) })
	all := append(first, e)

	prev := tldguard.ZeroHash
	for i, e := range all {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d: Seq = %d, want %d", i, e.Seq, i+1)
		}
		if !bytes.Equal(e.PrevHash, prev) {
			t.Errorf("event %d: PrevHash does not link to the event before", e.Seq)
		}
		if !bytes.Equal(e.Hash, e.ComputeHash()) {
			t.Errorf("event %d: Hash is not ComputeHash()", e.Seq)
		}
		if e.At != tldguard.Truncate(e.At) {
			t.Errorf("event %d: At %v is not truncated", e.Seq, e.At)
		}
		prev = e.Hash
	}
	h := chainHead(t, s)
	wantEqual(t, "ChainHead", h, tldguard.ChainHead{Seq: 4, Hash: e.Hash})
	wantEqual(t, "stored events", scanAll(t, s, 0), all)
	if n := verifyChain(t, s); n != 4 {
		t.Errorf("verified %d events, want 4", n)
	}
}

func testScanEvents(t *testing.T, s tldguard.Store) {
	all := appendEvents(t, s, 10, 0)
	wantEqual(t, "ScanEvents(0)", scanAll(t, s, 0), all)
	wantEqual(t, "ScanEvents(6)", scanAll(t, s, 6), all[6:])
	if evs := scanAll(t, s, 10); len(evs) != 0 {
		t.Errorf("ScanEvents(10) returned %d events, want none", len(evs))
	}
	// An error from fn stops the scan and comes back unchanged.
	var seen []int64
	err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		return tx.ScanEvents(2, func(e *tldguard.Event) error {
			seen = append(seen, e.Seq)
			if e.Seq == 5 {
				return errSentinel
			}
			return nil
		})
	})
	if !errors.Is(err, errSentinel) {
		t.Errorf("ScanEvents with a failing fn returned %v, want fn's error", err)
	}
	wantEqual(t, "seqs seen before fn failed", seen, []int64{3, 4, 5})
}

func testEventsByCase(t *testing.T, s tldguard.Store) {
	c1 := mustInsertCase(t, s, newCase("one.example", tldguard.ThreatPhishing))
	c2 := mustInsertCase(t, s, newCase("two.example", tldguard.ThreatPhishing))
	var want1, want2 []*tldguard.Event
	write(t, s, func(tx tldguard.Tx) error {
		want1, want2 = nil, nil // Write may run fn again
		for i := range 9 {
			var id int64
			switch i % 3 {
			case 0:
				id = c1.ID
			case 1:
				id = c2.ID
			}
			e := newEvent(i, id)
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
			switch id {
			case c1.ID:
				want1 = append(want1, e)
			case c2.ID:
				want2 = append(want2, e)
			}
		}
		return nil
	})
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.EventsByCase(c1.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "EventsByCase(c1)", got, want1)
		if got, err = tx.EventsByCase(c2.ID); err != nil {
			return err
		}
		wantEqual(t, "EventsByCase(c2)", got, want2)
		if got, err = tx.EventsByCase(c2.ID + 100); err != nil {
			return err
		}
		if len(got) != 0 {
			t.Errorf("EventsByCase of an unknown case returned %d events", len(got))
		}
		return nil
	})
}

func testLongChainVerifies(t *testing.T, s tldguard.Store) {
	for range 5 {
		appendEvents(t, s, 60, 0)
	}
	if n := verifyChain(t, s); n != 300 {
		t.Errorf("verified %d events, want 300", n)
	}
}
