package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var blockedTests = []test{
	{"PutGetReplaceDelete", testBlocked},
	{"NotFoundLeavesTxUsable", testBlockedNotFoundLeavesTxUsable},
	{"MissingReferences", testBlockedMissingReferences},
}

// blockedName returns the entry for name, or nil when it is not blocked
// (ENOTFOUND).
func blockedName(t *testing.T, s tldguard.Store, name string) *tldguard.Blocked {
	t.Helper()
	var got *tldguard.Blocked
	read(t, s, func(tx tldguard.Tx) error {
		b, err := actionTx(t, tx).BlockedName(name)
		switch tldguard.ErrorKind(err) {
		case "":
			got = b
		case tldguard.ENOTFOUND:
		default:
			return err
		}
		return nil
	})
	return got
}

// putBlocked runs PutBlocked in its own Write.
func putBlocked(t *testing.T, s tldguard.Store, b *tldguard.Blocked) {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).PutBlocked(b) })
}

// testBlocked walks blocked names through put, replace and delete: a put
// of a blocked name replaces every field, names are exact (no parent or
// child matches), and a delete of a name not blocked is ENOTFOUND.
func testBlocked(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("dga-seed.example", tldguard.ThreatBotnet))
	block := newAction(c.ID, c.Domain)
	block.Kind, block.Names = tldguard.ActionBlock, []string{"qx7f2kd9.example", "zz81mmq0.example"}
	mustInsertAction(t, s, block)
	other := mustInsertAction(t, s, newAction(c.ID, c.Domain))

	first := &tldguard.Blocked{Name: "qx7f2kd9.example", ActionID: block.ID, CaseID: c.ID,
		Reason: "botnet DGA, law-enforcement request", BlockedAt: at(5)}
	second := &tldguard.Blocked{Name: "zz81mmq0.example", ActionID: block.ID, CaseID: c.ID,
		Reason: "botnet DGA", BlockedAt: at(5)}
	// Without an action or case, and without a time: 0 and zero come back.
	bare := &tldguard.Blocked{Name: "xn--bcher-kva.example"}
	write(t, s, func(tx tldguard.Tx) error {
		for _, b := range []*tldguard.Blocked{first, second, bare} {
			if err := actionTx(t, tx).PutBlocked(b); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []*tldguard.Blocked{first, second, bare} {
		wantEqual(t, "BlockedName("+want.Name+")", blockedName(t, s, want.Name), want)
	}
	for _, name := range []string{"sub.qx7f2kd9.example", "example", "kd9.example"} {
		if got := blockedName(t, s, name); got != nil {
			t.Errorf("BlockedName(%q) found %+v, want ENOTFOUND", name, got)
		}
	}

	// A second put replaces the entry, down to fields going back to zero.
	replaced := &tldguard.Blocked{Name: first.Name, ActionID: other.ID, Reason: "kept after review", BlockedAt: at(9)}
	putBlocked(t, s, replaced)
	wantEqual(t, "BlockedName after a replacing put", blockedName(t, s, first.Name), replaced)
	bareAgain := &tldguard.Blocked{Name: bare.Name, ActionID: block.ID, CaseID: c.ID, Reason: "now with a case", BlockedAt: at(10)}
	putBlocked(t, s, bareAgain)
	wantEqual(t, "BlockedName after filling in a bare entry", blockedName(t, s, bare.Name), bareAgain)
	wantEqual(t, "BlockedName of an untouched entry", blockedName(t, s, second.Name), second)

	write(t, s, func(tx tldguard.Tx) error { return actionTx(t, tx).DeleteBlocked(first.Name) })
	if got := blockedName(t, s, first.Name); got != nil {
		t.Errorf("BlockedName after DeleteBlocked = %+v, want ENOTFOUND", got)
	}
	wantEqual(t, "BlockedName of another name after a delete", blockedName(t, s, second.Name), second)
	for _, name := range []string{first.Name, "never-blocked.example"} {
		err := s.Write(t.Context(), func(tx tldguard.Tx) error { return actionTx(t, tx).DeleteBlocked(name) })
		wantKind(t, "DeleteBlocked("+name+") of a name not blocked", err, tldguard.ENOTFOUND)
	}
	// Blocking a name again after its release works like the first time.
	putBlocked(t, s, first)
	wantEqual(t, "BlockedName after blocking again", blockedName(t, s, first.Name), first)
}

// testBlockedNotFoundLeavesTxUsable: BlockedName and DeleteBlocked of a
// name not blocked are ENOTFOUND and the transaction goes on and commits.
func testBlockedNotFoundLeavesTxUsable(t *testing.T, s tldguard.Store) {
	b := &tldguard.Blocked{Name: "after.example", Reason: "look-alike", BlockedAt: at(1)}
	write(t, s, func(tx tldguard.Tx) error {
		_, err := actionTx(t, tx).BlockedName("nothing.example")
		wantKind(t, "BlockedName of a name not blocked", err, tldguard.ENOTFOUND)
		wantKind(t, "DeleteBlocked of a name not blocked", actionTx(t, tx).DeleteBlocked("nothing.example"), tldguard.ENOTFOUND)
		return actionTx(t, tx).PutBlocked(b)
	})
	wantEqual(t, "the entry put after ENOTFOUNDs", blockedName(t, s, b.Name), b)
}

// testBlockedMissingReferences: an entry naming a missing action or case is
// ENOTFOUND and is not stored.
func testBlockedMissingReferences(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatBotnet))
	a := mustInsertAction(t, s, newAction(c.ID, c.Domain))
	for _, b := range []*tldguard.Blocked{
		{Name: "x1.example", ActionID: missingID, CaseID: c.ID, BlockedAt: at(0)},
		{Name: "x2.example", ActionID: a.ID, CaseID: missingID, BlockedAt: at(0)},
	} {
		err := s.Write(t.Context(), func(tx tldguard.Tx) error { return actionTx(t, tx).PutBlocked(b) })
		wantKind(t, "PutBlocked of "+b.Name+" with a missing reference", err, tldguard.ENOTFOUND)
		if got := blockedName(t, s, b.Name); got != nil {
			t.Errorf("a failed PutBlocked stored %+v", got)
		}
	}
}
