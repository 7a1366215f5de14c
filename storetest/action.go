package storetest

import (
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var actionTests = []test{
	{"InsertAndGet", testActionInsertAndGet},
	{"NoneReadsBackAsNone", testActionNone},
	{"Update", testActionUpdate},
	{"UpdateVersionConflict", testActionUpdateConflict},
	{"List", testListActions},
	{"MissingReferences", testActionMissingReferences},
}

// actionTx returns tx's ActionTx methods. ActionTx joins tldguard.Tx once
// both engines implement it; until then an engine without it fails here,
// and afterwards the assertion always holds.
func actionTx(t *testing.T, tx tldguard.Tx) tldguard.ActionTx {
	t.Helper()
	a, ok := tx.(tldguard.ActionTx)
	if !ok {
		t.Fatalf("the engine's Tx (%T) does not implement tldguard.ActionTx", tx)
	}
	return a
}

// newAction returns a proposed hold of domain on case caseID, with the
// fields of a fresh proposal set and the rest zero.
func newAction(caseID int64, domain string) *tldguard.Action {
	return &tldguard.Action{
		CaseID:            caseID,
		Kind:              tldguard.ActionHold,
		State:             tldguard.ActionProposed,
		Domain:            domain,
		Reason:            "phishing kit at /login, confirmed by the analyst",
		RequiredApprovals: 1,
		ProposedBy:        "user:ana@nic.example",
		ProposedAt:        at(0),
		UpdatedAt:         at(0),
	}
}

// mustInsertAction stores a in its own transaction.
func mustInsertAction(t *testing.T, s tldguard.Store, a *tldguard.Action) *tldguard.Action {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).InsertAction(a) })
	return a
}

// actionByID returns the stored action id, failing the test when it cannot.
func actionByID(t *testing.T, s tldguard.Store, id int64) *tldguard.Action {
	t.Helper()
	var got *tldguard.Action
	read(t, s, func(tx tldguard.Tx) error {
		var err error
		got, err = actionTx(t, tx).ActionByID(id)
		return err
	})
	return got
}

func actionIDs(as []*tldguard.Action) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// testActionInsertAndGet: every field round-trips, the JSON-shaped ones
// (approvals, before and after, the answer) with their times in UTC at the
// stores' precision, and zero times inside them and outside come back zero.
func testActionInsertAndGet(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("login-bank.example", tldguard.ThreatPhishing))
	hold := newAction(c.ID, c.Domain)
	hold.Version = 7 // InsertAction sets 1 whatever it is given
	hold.State = tldguard.ActionDone
	hold.RequiredApprovals = 2
	hold.Approvals = []tldguard.Approval{
		{By: "user:bo@nic.example", At: at(3), Note: "checked the kit \u2713"},
		{By: "user:cy@nic.example", At: at(4)},
		{By: "user:legacy@nic.example"}, // a zero time inside a document
	}
	hold.Attempts = 2
	hold.LastError = "EPP 2400: command failed"
	hold.Before = &tldguard.RegistryState{
		Statuses:    []string{"clientTransferProhibited"},
		NameServers: []string{"ns1.host.example", "ns2.host.example"},
		RegistrarID: "9999",
	}
	hold.After = &tldguard.RegistryState{
		Statuses:    []string{"clientTransferProhibited", tldguard.StatusServerHold},
		NameServers: []string{"ns1.host.example", "ns2.host.example"},
		RegistrarID: "9999",
	}
	hold.Result = "1000 Command completed successfully; svTRID=\"x-42\""
	hold.DoneAt = at(6)
	hold.UpdatedAt = at(6)

	referral := newAction(c.ID, c.Domain)
	referral.Kind = tldguard.ActionReferRegistrar
	referral.State = tldguard.ActionDone
	referral.RequiredApprovals = 0
	referral.DueAt = at(48 * 60)
	referral.Answer = &tldguard.RegistrarAnswer{
		Outcome: "mitigated", Detail: "suspended the account", By: "registrar:9999", At: at(30),
	}

	redirect := newAction(c.ID, c.Domain)
	redirect.Kind = tldguard.ActionRedirect
	redirect.NameServers = []string{"sinkhole1.nic.example", "sinkhole2.nic.example"}
	redirect.ProposedAt = time.Time{} // zero times come back zero
	redirect.UpdatedAt = time.Time{}

	transfer := newAction(c.ID, c.Domain)
	transfer.Kind = tldguard.ActionTransfer
	transfer.RegistrarID = "1234"
	transfer.State = tldguard.ActionRejected
	transfer.RejectedBy = "user:bo@nic.example"
	transfer.RejectReason = "no court order attached"

	block := newAction(c.ID, c.Domain)
	block.Kind = tldguard.ActionBlock
	block.Names = []string{"login-bank1.example", "login-bank2.example", "xn--bcher-kva.example"}

	noAction := newAction(c.ID, c.Domain)
	noAction.Kind = tldguard.ActionNoAction
	noAction.State = tldguard.ActionDone
	noAction.Reason = "the registrar cleaned the site"
	// An answer without a time: the zero time inside the document.
	noAction.Answer = &tldguard.RegistrarAnswer{Outcome: "no_action", Detail: "not abusive", By: "registrar:9999"}

	all := []*tldguard.Action{hold, referral, redirect, transfer, block, noAction}
	write(t, s, func(tx tldguard.Tx) error {
		for _, a := range all {
			if err := actionTx(t, tx).InsertAction(a); err != nil {
				return err
			}
		}
		return nil
	})
	seen := map[int64]bool{}
	for _, a := range all {
		if a.ID <= 0 || seen[a.ID] || a.Version != 1 {
			t.Fatalf("InsertAction set ID %d and Version %d, want a new positive id and version 1", a.ID, a.Version)
		}
		seen[a.ID] = true
	}

	// A release names the action it undoes.
	release := newAction(c.ID, c.Domain)
	release.Kind = tldguard.ActionRelease
	release.UndoOf = hold.ID
	mustInsertAction(t, s, release)
	all = append(all, release)

	for _, want := range all {
		wantEqual(t, "ActionByID("+string(want.Kind)+")", actionByID(t, s, want.ID), want)
	}
	read(t, s, func(tx tldguard.Tx) error {
		_, err := actionTx(t, tx).ActionByID(release.ID + 100)
		wantKind(t, "ActionByID of a missing action", err, tldguard.ENOTFOUND)
		return nil
	})
}

// testActionNone: nil and empty lists both read back empty; a nil Before,
// After or Answer reads back nil and an empty one non-nil (an answer with
// nothing in it is still an answer).
func testActionNone(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatMalware))
	nils := newAction(c.ID, c.Domain)
	empties := newAction(c.ID, c.Domain)
	empties.NameServers, empties.Names, empties.Approvals = []string{}, []string{}, []tldguard.Approval{}
	empties.Before = &tldguard.RegistryState{Statuses: []string{}, NameServers: []string{}}
	empties.After = &tldguard.RegistryState{}
	empties.Answer = &tldguard.RegistrarAnswer{}
	write(t, s, func(tx tldguard.Tx) error {
		if err := actionTx(t, tx).InsertAction(nils); err != nil {
			return err
		}
		return actionTx(t, tx).InsertAction(empties)
	})
	got := actionByID(t, s, nils.ID)
	wantEqual(t, "action with nil lists and documents", got, nils)
	if got.Before != nil || got.After != nil || got.Answer != nil {
		t.Errorf("nil Before, After and Answer read back as %v, %v, %v", got.Before, got.After, got.Answer)
	}
	got = actionByID(t, s, empties.ID)
	wantEqual(t, "action with empty lists and documents", got, empties)
	if len(got.NameServers) != 0 || len(got.Names) != 0 || len(got.Approvals) != 0 {
		t.Errorf("empty lists read back as %q, %q, %v", got.NameServers, got.Names, got.Approvals)
	}
	if got.Before == nil || got.After == nil || got.Answer == nil {
		t.Errorf("empty Before, After and Answer read back as %v, %v, %v (want non-nil)", got.Before, got.After, got.Answer)
	}
}

// testActionUpdate: UpdateAction writes every field but ID, CaseID, Kind,
// Domain, ProposedBy and ProposedAt, and can set each back to zero.
func testActionUpdate(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	other := mustInsertCase(t, s, newCase("b.example", tldguard.ThreatPhishing))
	prior := mustInsertAction(t, s, newAction(c.ID, c.Domain))
	a := mustInsertAction(t, s, newAction(c.ID, c.Domain))
	stored := *a // what the unwritten fields must keep

	a.State = tldguard.ActionDone
	a.Reason = "approved: hold until the site is cleaned"
	a.NameServers = []string{"sinkhole.nic.example"}
	a.RegistrarID = "1234"
	a.Names = []string{"a1.example"}
	a.UndoOf = prior.ID
	a.RequiredApprovals = 2
	a.Approvals = []tldguard.Approval{{By: "user:bo@nic.example", At: at(2), Note: "ok"}, {By: "user:cy@nic.example", At: at(3)}}
	a.RejectedBy, a.RejectReason = "user:dee@nic.example", "first rejected, then approved"
	a.Attempts, a.LastError = 3, "timeout"
	a.Before = &tldguard.RegistryState{Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example"}, RegistrarID: "9999"}
	a.After = &tldguard.RegistryState{Statuses: []string{tldguard.StatusServerHold}, NameServers: []string{"ns1.host.example"}, RegistrarID: "9999"}
	a.Result = "1000 ok"
	a.DoneAt = at(9)
	a.DueAt = at(60)
	a.Answer = &tldguard.RegistrarAnswer{Outcome: "mitigated", Detail: "removed", By: "registrar:9999", At: at(8)}
	a.UpdatedAt = at(9)
	// Not written: the identity of the action and its proposal.
	sent := *a
	sent.CaseID, sent.Kind, sent.Domain = other.ID, tldguard.ActionDelete, other.Domain
	sent.ProposedBy, sent.ProposedAt = "user:mallory@nic.example", at(50)
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateAction(&sent) })
	if sent.Version != 2 {
		t.Errorf("Version after UpdateAction = %d, want 2", sent.Version)
	}
	a.Version = 2
	a.CaseID, a.Kind, a.Domain, a.ProposedBy, a.ProposedAt = stored.CaseID, stored.Kind, stored.Domain, stored.ProposedBy, stored.ProposedAt
	wantEqual(t, "updated action", actionByID(t, s, a.ID), a)

	// Every written field back to zero.
	a.State, a.Reason, a.NameServers, a.RegistrarID, a.Names, a.UndoOf = tldguard.ActionFailed, "", nil, "", nil, 0
	a.RequiredApprovals, a.Approvals, a.RejectedBy, a.RejectReason = 0, nil, "", ""
	a.Attempts, a.LastError, a.Before, a.After, a.Result = 0, "", nil, nil, ""
	a.DoneAt, a.DueAt, a.Answer, a.UpdatedAt = time.Time{}, time.Time{}, nil, time.Time{}
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateAction(a) })
	if a.Version != 3 {
		t.Errorf("Version after the second UpdateAction = %d, want 3", a.Version)
	}
	wantEqual(t, "action with its fields back to zero", actionByID(t, s, a.ID), a)
	wantEqual(t, "the other action after updates", actionByID(t, s, prior.ID), prior)

	missing := *a
	missing.ID = a.ID + 100
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateAction(&missing) })
	wantKind(t, "UpdateAction of a missing action", err, tldguard.ENOTFOUND)
}

// testActionUpdateConflict: a stale version is ECONFLICT, changes nothing,
// and leaves the transaction usable.
func testActionUpdateConflict(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	a := mustInsertAction(t, s, newAction(c.ID, c.Domain))
	stale := *a
	a.State = tldguard.ActionApproved
	a.Approvals = []tldguard.Approval{{By: "user:bo@nic.example", At: at(1)}}
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).UpdateAction(a) })

	stale.State, stale.RejectedBy = tldguard.ActionRejected, "user:cy@nic.example"
	u := newUser(1)
	write(t, s, func(tx tldguard.Tx) error {
		wantKind(t, "UpdateAction with a stale version", actionTx(t, tx).UpdateAction(&stale), tldguard.ECONFLICT)
		return tx.CreateUser(u)
	})
	if stale.Version != 1 {
		t.Errorf("a refused UpdateAction changed Version to %d", stale.Version)
	}
	if !userExists(t, s, u.Email) {
		t.Error("the write after a refused UpdateAction in the same transaction was not committed")
	}
	wantEqual(t, "action after a refused update", actionByID(t, s, a.ID), a)
}

// testListActions: the filters combine, several states are alternatives,
// and the order is oldest first (by id) whatever the filter.
func testListActions(t *testing.T, s tldguard.Store) {
	c1 := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	c2 := mustInsertCase(t, s, newCase("b.example", tldguard.ThreatMalware))
	mk := func(c *tldguard.Case, kind tldguard.ActionKind, state tldguard.ActionState) *tldguard.Action {
		a := newAction(c.ID, c.Domain)
		a.Kind, a.State = kind, state
		return a
	}
	refer1 := mk(c1, tldguard.ActionReferRegistrar, tldguard.ActionDone)
	hold1 := mk(c1, tldguard.ActionHold, tldguard.ActionProposed)
	hold2 := mk(c2, tldguard.ActionHold, tldguard.ActionApproved)
	lock1 := mk(c1, tldguard.ActionLock, tldguard.ActionApproved)
	refer2 := mk(c2, tldguard.ActionReferRegistrar, tldguard.ActionProposed)
	hold1b := mk(c1, tldguard.ActionHold, tldguard.ActionRunning)
	all := []*tldguard.Action{refer1, hold1, hold2, lock1, refer2, hold1b}
	write(t, s, func(tx tldguard.Tx) error {
		for _, a := range all {
			if err := actionTx(t, tx).InsertAction(a); err != nil {
				return err
			}
		}
		return nil
	})
	none := []*tldguard.Action{}
	states := func(ss ...tldguard.ActionState) []tldguard.ActionState { return ss }
	read(t, s, func(tx tldguard.Tx) error {
		for _, tc := range []struct {
			name string
			f    tldguard.ActionFilter
			want []*tldguard.Action
		}{
			{"all", tldguard.ActionFilter{}, all},
			{"limit", tldguard.ActionFilter{Limit: 2}, []*tldguard.Action{refer1, hold1}},
			{"negative limit", tldguard.ActionFilter{Limit: -1}, all},
			{"case", tldguard.ActionFilter{CaseID: c2.ID}, []*tldguard.Action{hold2, refer2}},
			{"kind", tldguard.ActionFilter{Kind: tldguard.ActionHold}, []*tldguard.Action{hold1, hold2, hold1b}},
			{"state", tldguard.ActionFilter{State: states(tldguard.ActionApproved)}, []*tldguard.Action{hold2, lock1}},
			{"states", tldguard.ActionFilter{State: states(tldguard.ActionRunning, tldguard.ActionProposed)},
				[]*tldguard.Action{hold1, refer2, hold1b}},
			{"kind and state", tldguard.ActionFilter{Kind: tldguard.ActionHold,
				State: states(tldguard.ActionApproved, tldguard.ActionRunning)}, []*tldguard.Action{hold2, hold1b}},
			{"case, kind and states", tldguard.ActionFilter{CaseID: c1.ID, Kind: tldguard.ActionHold,
				State: states(tldguard.ActionProposed, tldguard.ActionRunning, tldguard.ActionDone)},
				[]*tldguard.Action{hold1, hold1b}},
			{"case and limit", tldguard.ActionFilter{CaseID: c1.ID, Limit: 3}, []*tldguard.Action{refer1, hold1, lock1}},
			{"no match", tldguard.ActionFilter{CaseID: c2.ID, Kind: tldguard.ActionLock}, none},
			{"unknown case", tldguard.ActionFilter{CaseID: c2.ID + 100}, none},
			{"no state matches", tldguard.ActionFilter{State: states(tldguard.ActionUndone)}, none},
		} {
			got, err := actionTx(t, tx).ListActions(tc.f)
			if err != nil {
				return err
			}
			wantEqual(t, "ListActions "+tc.name+" ids", actionIDs(got), actionIDs(tc.want))
			wantEqual(t, "ListActions "+tc.name, got, tc.want)
		}
		return nil
	})
}

// testActionMissingReferences: an action on a missing case, or undoing a
// missing action, is ENOTFOUND, and nothing of the failed Write is stored.
func testActionMissingReferences(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	a := mustInsertAction(t, s, newAction(c.ID, c.Domain))
	for _, tc := range []struct {
		name string
		fn   func(tx tldguard.Tx) error
	}{
		{"InsertAction on a missing case", func(tx tldguard.Tx) error {
			return actionTx(t, tx).InsertAction(newAction(missingID, "gone.example"))
		}},
		{"InsertAction undoing a missing action", func(tx tldguard.Tx) error {
			x := newAction(c.ID, c.Domain)
			x.Kind, x.UndoOf = tldguard.ActionRelease, missingID
			return actionTx(t, tx).InsertAction(x)
		}},
		{"UpdateAction to undo a missing action", func(tx tldguard.Tx) error {
			x := *a
			x.UndoOf = missingID
			return actionTx(t, tx).UpdateAction(&x)
		}},
	} {
		wantKind(t, tc.name, s.Write(t.Context(), tc.fn), tldguard.ENOTFOUND)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := actionTx(t, tx).ListActions(tldguard.ActionFilter{})
		if err != nil {
			return err
		}
		wantEqual(t, "actions after the failed writes", got, []*tldguard.Action{a})
		return nil
	})
}
