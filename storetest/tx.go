package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var txTests = []test{
	{"Ping", testPing},
	{"WriteCommits", testWriteCommits},
	{"WriteFnErrorRollsBack", testWriteFnErrorRollsBack},
	{"WriteCanceledContext", testWriteCanceledContext},
	{"ReadReturnsFnError", testReadReturnsFnError},
	{"ReadIsReadOnly", testReadIsReadOnly},
	{"ReadDoesNotWaitForWrite", testReadDoesNotWaitForWrite},
	{"ErrorLeavesTxUsable", testErrorLeavesTxUsable},
}

func testPing(t *testing.T, s tldguard.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// userExists reports whether a user with the e-mail is stored.
func userExists(t *testing.T, s tldguard.Store, email string) bool {
	t.Helper()
	found := false
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.UserByEmail(email)
		switch tldguard.ErrorKind(err) {
		case "":
			found = true
		case tldguard.ENOTFOUND:
		default:
			return err
		}
		return nil
	})
	return found
}

func testWriteCommits(t *testing.T, s tldguard.Store) {
	u := newUser(1)
	e := newEvent(1, 0)
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		return tx.AppendEvent(e)
	})
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.UserByID(u.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "user after Write", got, u)
		return nil
	})
	wantEqual(t, "ChainHead after Write", chainHead(t, s), tldguard.ChainHead{Seq: 1, Hash: e.Hash})
}

func testWriteFnErrorRollsBack(t *testing.T, s tldguard.Store) {
	appendEvents(t, s, 2, 0)
	before := chainHead(t, s)
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		if err := tx.CreateUser(newUser(1)); err != nil {
			return err
		}
		if err := tx.InsertCase(newCase("gone.example", tldguard.ThreatMalware)); err != nil {
			return err
		}
		if err := tx.AppendEvent(newEvent(1, 0)); err != nil {
			return err
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	if userExists(t, s, newUser(1).Email) {
		t.Error("the user of a failed Write was committed")
	}
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.OpenCase("gone.example", tldguard.ThreatMalware)
		wantKind(t, "OpenCase after a failed Write", err, tldguard.ENOTFOUND)
		return nil
	})
	wantEqual(t, "ChainHead after a failed Write", chainHead(t, s), before)
	appendEvents(t, s, 1, 0)
	if n := verifyChain(t, s); n != 3 {
		t.Errorf("verified %d events, want 3 (the failed Write's event must leave no gap)", n)
	}
}

func testWriteCanceledContext(t *testing.T, s tldguard.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Write(ctx, func(tx tldguard.Tx) error { return tx.CreateUser(newUser(1)) })
	if err == nil {
		t.Error("Write with a canceled context returned nil")
	}
	if userExists(t, s, newUser(1).Email) {
		t.Error("Write with a canceled context committed")
	}
}

func testReadReturnsFnError(t *testing.T, s tldguard.Store) {
	err := s.Read(t.Context(), func(tx tldguard.Tx) error { return errSentinel })
	if !errors.Is(err, errSentinel) {
		t.Errorf("Read returned %v, want fn's error", err)
	}
}

func testReadIsReadOnly(t *testing.T, s tldguard.Store) {
	var inner error
	_ = s.Read(t.Context(), func(tx tldguard.Tx) error {
		inner = tx.CreateUser(newUser(1))
		return nil
	})
	if inner == nil {
		t.Error("CreateUser inside Read succeeded, want an error")
	}
	if userExists(t, s, newUser(1).Email) {
		t.Error("a write inside Read was stored")
	}
}

// testReadDoesNotWaitForWrite runs a Read while a Write is open: the Read
// must neither wait for the Write nor see its uncommitted change.
func testReadDoesNotWaitForWrite(t *testing.T, s tldguard.Store) {
	write(t, s, func(tx tldguard.Tx) error { return tx.CreateUser(newUser(1)) })
	type result struct{ saw1, saw2 bool }
	var done chan result
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(newUser(2)); err != nil {
			return err
		}
		done = make(chan result, 1) // one per run: Write may run fn again
		go func() {
			var r result
			err := s.Read(t.Context(), func(rtx tldguard.Tx) error {
				_, err1 := rtx.UserByEmail(newUser(1).Email)
				_, err2 := rtx.UserByEmail(newUser(2).Email)
				r.saw1, r.saw2 = err1 == nil, err2 == nil
				return nil
			})
			if err != nil {
				t.Errorf("Read during Write: %v", err)
			}
			done <- r
		}()
		select {
		case r := <-done:
			if !r.saw1 {
				t.Error("Read during Write does not see committed data")
			}
			if r.saw2 {
				t.Error("Read during Write sees the Write's uncommitted data")
			}
			done <- r
		case <-time.After(10 * time.Second):
			// Commit, or the waiting Read never ends.
			t.Error("Read waited behind an open Write")
		}
		return nil
	})
	<-done
	if !userExists(t, s, newUser(2).Email) {
		t.Error("Write did not commit")
	}
}

// testErrorLeavesTxUsable: "a missing row on a read and an ECONFLICT leave
// the transaction usable", whether the conflict comes from a unique index or
// a version check. (A write referring to a missing row may abort the
// transaction; testReferences checks its error kind on its own.)
func testErrorLeavesTxUsable(t *testing.T, s tldguard.Store) {
	r := mustCreateReporter(t, s, newReporter("notifier", tldguard.SourceTrustedNotifier))
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(newUser(1)); err != nil {
			return err
		}
		if err := tx.AddTLD("example", at(0)); err != nil {
			return err
		}
		return tx.InsertCase(newCase("a.example", tldguard.ThreatPhishing))
	})
	u := newUser(2)
	write(t, s, func(tx tldguard.Tx) error {
		wantKind(t, "CreateUser with a taken e-mail", tx.CreateUser(newUser(1)), tldguard.ECONFLICT)
		wantKind(t, "AddTLD twice", tx.AddTLD("example", at(0)), tldguard.ECONFLICT)
		wantKind(t, "InsertCase of a second open case", tx.InsertCase(newCase("a.example", tldguard.ThreatPhishing)), tldguard.ECONFLICT)
		rec := &tldguard.IdempotencyRecord{ReporterID: r.ID, Key: "k", Status: 201, CreatedAt: at(0)}
		if err := tx.PutIdempotent(rec); err != nil {
			return err
		}
		wantKind(t, "PutIdempotent twice", tx.PutIdempotent(rec), tldguard.ECONFLICT)
		_, err := tx.UserByID(12345)
		wantKind(t, "UserByID of a missing user", err, tldguard.ENOTFOUND)
		return tx.CreateUser(u)
	})
	if !userExists(t, s, u.Email) {
		t.Error("the write after an ECONFLICT in the same transaction was not committed")
	}
}
