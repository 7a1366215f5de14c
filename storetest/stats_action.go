package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var statsActionTests = []test{
	{"CountActions", testCountActions},
	{"StatsActions", testStatsActions},
}

// countActions returns CountActions in its own read transaction.
func countActions(t *testing.T, s tldguard.Store) []tldguard.ActionStateCount {
	t.Helper()
	var got []tldguard.ActionStateCount
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		got, err = actionTx(t, tx).CountActions()
		return err
	})
	return got
}

// testCountActions: every action counts once under its kind and its
// current state, sorted by kind then state; an empty store has no rows,
// and a change of state moves the action from one count to the other.
func testCountActions(t *testing.T, s tldguard.Store) {
	if got := countActions(t, s); len(got) != 0 {
		t.Errorf("CountActions on an empty store = %v, want none", got)
	}
	c := mustInsertCase(t, s, newCase("login-bank.example", tldguard.ThreatPhishing))
	add := func(kind tldguard.ActionKind, state tldguard.ActionState) *tldguard.Action {
		a := newAction(c.ID, c.Domain)
		a.Kind, a.State = kind, state
		return mustInsertAction(t, s, a)
	}
	hold := add(tldguard.ActionHold, tldguard.ActionDone)
	add(tldguard.ActionHold, tldguard.ActionDone)
	add(tldguard.ActionHold, tldguard.ActionFailed)
	add(tldguard.ActionReferRegistrar, tldguard.ActionDone)
	add(tldguard.ActionNoAction, tldguard.ActionProposed)
	add(tldguard.ActionLock, tldguard.ActionRejected)
	want := []tldguard.ActionStateCount{
		{Kind: tldguard.ActionHold, State: tldguard.ActionDone, Count: 2},
		{Kind: tldguard.ActionHold, State: tldguard.ActionFailed, Count: 1},
		{Kind: tldguard.ActionLock, State: tldguard.ActionRejected, Count: 1},
		{Kind: tldguard.ActionNoAction, State: tldguard.ActionProposed, Count: 1},
		{Kind: tldguard.ActionReferRegistrar, State: tldguard.ActionDone, Count: 1},
	}
	if got := countActions(t, s); !slices.Equal(got, want) {
		t.Errorf("CountActions = %v\nwant %v", got, want)
	}

	hold.State = tldguard.ActionUndone
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateAction(hold) })
	want = []tldguard.ActionStateCount{
		{Kind: tldguard.ActionHold, State: tldguard.ActionDone, Count: 1},
		{Kind: tldguard.ActionHold, State: tldguard.ActionFailed, Count: 1},
		{Kind: tldguard.ActionHold, State: tldguard.ActionUndone, Count: 1},
		{Kind: tldguard.ActionLock, State: tldguard.ActionRejected, Count: 1},
		{Kind: tldguard.ActionNoAction, State: tldguard.ActionProposed, Count: 1},
		{Kind: tldguard.ActionReferRegistrar, State: tldguard.ActionDone, Count: 1},
	}
	if got := countActions(t, s); !slices.Equal(got, want) {
		t.Errorf("after undoing a hold: CountActions = %v\nwant %v", got, want)
	}
}

// statsActions returns the ids StatsActions yields for f, and the records.
func statsActions(t *testing.T, s tldguard.Store, f tldguard.StatsFilter) ([]int64, map[int64]tldguard.StatsAction) {
	t.Helper()
	var ids []int64
	recs := map[int64]tldguard.StatsAction{}
	read(t, s, func(tx tldguard.Tx) error {
		return actionTx(t, tx).StatsActions(f, func(r *tldguard.StatsAction) error {
			ids = append(ids, r.ID)
			recs[r.ID] = *r
			return nil
		})
	})
	return ids, recs
}

// testStatsActions: the records of the actions carried out before To that
// can count in [From, To): done (or since undone) at or after From, and
// referrals done before From unless answered before From; an answer given
// at or after To reads as none; not carried out (proposed, failed) never;
// the TLD filter goes by the case's TLD; each record carries its case's
// fields; an error from fn stops the scan.
func testStatsActions(t *testing.T, s tldguard.Store) {
	from, to := at(1000), at(2000)
	c := mustInsertCase(t, s, newCase("login-bank.example", tldguard.ThreatPhishing))
	other := newCase("malware.test", tldguard.ThreatMalware)
	other.Registered, other.RegistrarID, other.RegistrarName = false, "", ""
	other = mustInsertCase(t, s, other)
	type spec struct {
		kind   tldguard.ActionKind
		state  tldguard.ActionState
		done   int // minutes; -1 for never
		answer int // minutes; -1 for none
		onCase *tldguard.Case
	}
	specs := []spec{
		/* 0 */ {tldguard.ActionHold, tldguard.ActionUndone, 1500, -1, c}, // in, since undone
		/* 1 */ {tldguard.ActionHold, tldguard.ActionDone, 999, -1, c}, // before From
		/* 2 */ {tldguard.ActionRelease, tldguard.ActionDone, 1000, -1, c}, // at From: in
		/* 3 */ {tldguard.ActionLock, tldguard.ActionProposed, -1, -1, c},
		/* 4 */ {tldguard.ActionLock, tldguard.ActionFailed, -1, -1, c},
		/* 5 */ {tldguard.ActionNoAction, tldguard.ActionDone, 2000, -1, c}, // at To: out
		/* 6 */ {tldguard.ActionReferRegistrar, tldguard.ActionDone, 10, -1, c}, // unanswered: in
		/* 7 */ {tldguard.ActionReferRegistrar, tldguard.ActionDone, 10, 999, c}, // answered before From: out
		/* 8 */ {tldguard.ActionReferRegistrar, tldguard.ActionDone, 10, 1000, c}, // answered at From: in
		/* 9 */ {tldguard.ActionReferRegistrar, tldguard.ActionDone, 1990, 2000, c}, // answered at To: in, no answer
		/* 10 */ {tldguard.ActionBlock, tldguard.ActionDone, 1200, -1, other}, // .test
		/* 11 */ {tldguard.ActionReferRegistrar, tldguard.ActionApproved, -1, -1, c}, // not carried out
	}
	as := make([]*tldguard.Action, len(specs))
	for i, sp := range specs {
		a := newAction(sp.onCase.ID, sp.onCase.Domain)
		a.Kind, a.State, a.Reason = sp.kind, sp.state, fmt.Sprintf("reason %d", i)
		if sp.done >= 0 {
			a.DoneAt = at(sp.done)
		}
		if sp.kind == tldguard.ActionReferRegistrar && sp.done >= 0 {
			a.DueAt = at(sp.done + 100)
		}
		if sp.answer >= 0 {
			a.Answer = &tldguard.RegistrarAnswer{Outcome: "mitigated", Detail: "suspended", By: "registrar:9999", At: at(sp.answer)}
		}
		if sp.kind == tldguard.ActionRelease {
			a.UndoOf = as[0].ID
		}
		as[i] = mustInsertAction(t, s, a)
	}
	idsOf := func(is ...int) []int64 {
		var out []int64
		for _, i := range is {
			out = append(out, as[i].ID)
		}
		return out
	}

	ids, recs := statsActions(t, s, tldguard.StatsFilter{From: from, To: to})
	if want := idsOf(0, 2, 6, 8, 9, 10); !slices.Equal(ids, want) {
		t.Errorf("StatsActions(all) = %v, want %v", ids, want)
	}
	want := tldguard.StatsAction{ID: as[8].ID, CaseID: c.ID, Kind: tldguard.ActionReferRegistrar, Reason: "reason 8",
		DoneAt: at(10).UTC().Truncate(time.Microsecond), DueAt: at(110).UTC().Truncate(time.Microsecond),
		AnswerOutcome: "mitigated", AnswerAt: at(1000).UTC().Truncate(time.Microsecond),
		Domain: c.Domain, TLD: "example", ThreatType: tldguard.ThreatPhishing, Registered: true,
		RegistrarID: "9999", RegistrarName: "Example Registrar, Inc."}
	if got := recs[as[8].ID]; got != want {
		t.Errorf("referral answered in the period:\n got %+v\nwant %+v", got, want)
	}
	if got := recs[as[9].ID]; got.AnswerOutcome != "" || !got.AnswerAt.IsZero() {
		t.Errorf("an answer given at To reads as %q at %v, want none", got.AnswerOutcome, got.AnswerAt)
	}
	if got := recs[as[2].ID]; got.UndoOf != as[0].ID || got.Kind != tldguard.ActionRelease {
		t.Errorf("release: %+v, want UndoOf %d", got, as[0].ID)
	}
	if got := recs[as[10].ID]; got.Registered || got.RegistrarID != "" || got.TLD != "test" || got.ThreatType != tldguard.ThreatMalware {
		t.Errorf("block on an unregistered .test name: %+v", got)
	}
	if got := recs[as[0].ID]; got.UndoOf != 0 || !got.DueAt.IsZero() || got.AnswerOutcome != "" {
		t.Errorf("hold: %+v, want no UndoOf, DueAt or answer", got)
	}

	if ids, _ := statsActions(t, s, tldguard.StatsFilter{TLD: "test", From: from, To: to}); !slices.Equal(ids, idsOf(10)) {
		t.Errorf("StatsActions(test) = %v, want %v", ids, idsOf(10))
	}
	if ids, _ := statsActions(t, s, tldguard.StatsFilter{TLD: "invalid", From: from, To: to}); len(ids) != 0 {
		t.Errorf("StatsActions(invalid) = %v, want none", ids)
	}
	// A later period: the answered referrals drop out, the unanswered one
	// and the one answered in it stay.
	if ids, _ := statsActions(t, s, tldguard.StatsFilter{From: to, To: at(3000)}); !slices.Equal(ids, idsOf(5, 6, 9)) {
		t.Errorf("StatsActions(next period) = %v, want %v", ids, idsOf(5, 6, 9))
	}

	n := 0
	err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		return actionTx(t, tx).StatsActions(tldguard.StatsFilter{From: from, To: to}, func(*tldguard.StatsAction) error {
			n++
			return errSentinel
		})
	})
	if !errors.Is(err, errSentinel) || n != 1 {
		t.Errorf("StatsActions with a failing fn: %v after %d calls, want the fn's error after 1", err, n)
	}
}
