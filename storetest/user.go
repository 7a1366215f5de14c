package storetest

import (
	"slices"
	"testing"

	"github.com/tldguard/tldguard"
)

var userTests = []test{
	{"CreateAndGet", testUserCreateAndGet},
	{"TakenEmail", testUserTakenEmail},
	{"NotFound", testUserNotFound},
	{"List", testUserList},
	{"Update", testUserUpdate},
}

func byID[T any](xs []T, id func(T) int64) []T {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b T) int { return int(id(a) - id(b)) })
	return out
}

func testUserCreateAndGet(t *testing.T, s tldguard.Store) {
	u1, u2 := newUser(1), newUser(2)
	u2.Disabled = true
	u2.Role = tldguard.RoleAdmin
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(u1); err != nil {
			return err
		}
		return tx.CreateUser(u2)
	})
	if u1.ID <= 0 || u2.ID <= 0 || u1.ID == u2.ID {
		t.Fatalf("CreateUser set ids %d and %d, want distinct positive ids", u1.ID, u2.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, u := range []*tldguard.User{u1, u2} {
			got, err := tx.UserByID(u.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "UserByID", got, u)
			if got, err = tx.UserByEmail(u.Email); err != nil {
				return err
			}
			wantEqual(t, "UserByEmail", got, u)
		}
		return nil
	})
}

func testUserTakenEmail(t *testing.T, s tldguard.Store) {
	write(t, s, func(tx tldguard.Tx) error { return tx.CreateUser(newUser(1)) })
	dup := newUser(1)
	dup.Name = "Someone Else"
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.CreateUser(dup) })
	wantKind(t, "CreateUser with a taken e-mail", err, tldguard.ECONFLICT)
	read(t, s, func(tx tldguard.Tx) error {
		us, err := tx.ListUsers()
		if len(us) != 1 {
			t.Errorf("%d users stored, want 1", len(us))
		}
		return err
	})
}

func testUserNotFound(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.UserByID(1)
		wantKind(t, "UserByID", err, tldguard.ENOTFOUND)
		_, err = tx.UserByEmail("nobody@nic.example")
		wantKind(t, "UserByEmail", err, tldguard.ENOTFOUND)
		us, err := tx.ListUsers()
		if err != nil {
			return err
		}
		if len(us) != 0 {
			t.Errorf("ListUsers on an empty store returned %d users", len(us))
		}
		return nil
	})
}

func testUserList(t *testing.T, s tldguard.Store) {
	var want []*tldguard.User
	write(t, s, func(tx tldguard.Tx) error {
		want = nil // Write may run fn again
		for _, n := range []int{3, 1, 2} {
			u := newUser(n)
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			want = append(want, u)
		}
		return nil
	})
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ListUsers()
		if err != nil {
			return err
		}
		// ListUsers promises no order.
		id := func(u *tldguard.User) int64 { return u.ID }
		wantEqual(t, "ListUsers", byID(got, id), byID(want, id))
		return nil
	})
}

func testUserUpdate(t *testing.T, s tldguard.Store) {
	u1, u2 := newUser(1), newUser(2)
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(u1); err != nil {
			return err
		}
		return tx.CreateUser(u2)
	})
	u1.Email = "ana@nic.example"
	u1.Name = "Ana"
	u1.Role = tldguard.RoleApprover
	u1.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$bmV3c2FsdA$bmV3aGFzaA"
	u1.Disabled = true
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateUser(u1) })
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.UserByID(u1.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "updated user", got, u1)
		_, err = tx.UserByEmail(newUser(1).Email)
		wantKind(t, "UserByEmail of the old e-mail", err, tldguard.ENOTFOUND)
		return nil
	})

	taken := *u2
	taken.Email = u1.Email
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateUser(&taken) })
	wantKind(t, "UpdateUser to a taken e-mail", err, tldguard.ECONFLICT)

	missing := newUser(9)
	missing.ID = u2.ID + 100
	err = s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateUser(missing) })
	wantKind(t, "UpdateUser of a missing user", err, tldguard.ENOTFOUND)
}

var tokenTests = []test{
	{"CreateGetRevoke", testToken},
	{"NotFound", testTokenNotFound},
}

func testToken(t *testing.T, s tldguard.Store) {
	u := newUser(1)
	r := newReporter("cert", tldguard.SourceGovernment)
	ut := &tldguard.Token{Hash: sum([]byte("user token")), Prefix: "tg_u", Label: "laptop", CreatedAt: at(1)}
	rt := &tldguard.Token{Hash: sum([]byte("reporter token")), Prefix: "tg_r", Label: "api", CreatedAt: at(2)}
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		if err := tx.CreateReporter(r); err != nil {
			return err
		}
		ut.UserID, rt.ReporterID = u.ID, r.ID
		if err := tx.CreateToken(ut); err != nil {
			return err
		}
		return tx.CreateToken(rt)
	})
	if ut.ID <= 0 || rt.ID <= 0 || ut.ID == rt.ID {
		t.Fatalf("CreateToken set ids %d and %d, want distinct positive ids", ut.ID, rt.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, tok := range []*tldguard.Token{ut, rt} {
			got, err := tx.TokenByHash(tok.Hash)
			if err != nil {
				return err
			}
			wantEqual(t, "TokenByHash", got, tok)
		}
		return nil
	})
	// A revoked token is still found, with RevokedAt set: the service refuses it.
	write(t, s, func(tx tldguard.Tx) error { return tx.RevokeToken(ut.ID, at(30)) })
	ut.RevokedAt = at(30)
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.TokenByHash(ut.Hash)
		if err != nil {
			return err
		}
		wantEqual(t, "revoked token", got, ut)
		if got, err = tx.TokenByHash(rt.Hash); err != nil {
			return err
		}
		wantEqual(t, "the other token", got, rt)
		return nil
	})
}

func testTokenNotFound(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.TokenByHash(sum([]byte("nope")))
		wantKind(t, "TokenByHash", err, tldguard.ENOTFOUND)
		return nil
	})
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.RevokeToken(42, at(0)) })
	wantKind(t, "RevokeToken of a missing token", err, tldguard.ENOTFOUND)
}

var sessionTests = []test{
	{"CreateGetDelete", testSession},
	{"Reporter", testReporterSession},
}

// testReporterSession: a reporter account's session round-trips with its
// ReporterID, and a session must belong to exactly one kind of account.
func testReporterSession(t *testing.T, s tldguard.Store) {
	r := mustCreateReporter(t, s, newReporter("portal", tldguard.SourceLawEnforcement))
	x := &tldguard.Session{Hash: sum([]byte("r1")), ReporterID: r.ID, CreatedAt: at(0), ExpiresAt: at(60)}
	write(t, s, func(tx tldguard.Tx) error { return tx.CreateSession(x) })
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.SessionByHash(x.Hash)
		if err != nil {
			return err
		}
		wantEqual(t, "SessionByHash", got, x)
		return nil
	})
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		return tx.CreateSession(&tldguard.Session{Hash: sum([]byte("none")), CreatedAt: at(0), ExpiresAt: at(60)})
	})
	if err == nil {
		t.Error("CreateSession stored a session with no owner")
	}
}

func testSession(t *testing.T, s tldguard.Store) {
	a, b := newUser(1), newUser(2)
	sess := func(name string) *tldguard.Session {
		return &tldguard.Session{Hash: sum([]byte(name)), CreatedAt: at(0), ExpiresAt: at(12 * 60)}
	}
	a1, a2, b1 := sess("a1"), sess("a2"), sess("b1")
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateUser(a); err != nil {
			return err
		}
		if err := tx.CreateUser(b); err != nil {
			return err
		}
		a1.UserID, a2.UserID, b1.UserID = a.ID, a.ID, b.ID
		for _, x := range []*tldguard.Session{a1, a2, b1} {
			if err := tx.CreateSession(x); err != nil {
				return err
			}
		}
		return nil
	})
	if a1.ID <= 0 || a1.ID == a2.ID || a2.ID == b1.ID {
		t.Fatalf("CreateSession set ids %d, %d, %d", a1.ID, a2.ID, b1.ID)
	}
	found := func(x *tldguard.Session) bool {
		t.Helper()
		ok := false
		read(t, s, func(tx tldguard.Tx) error {
			got, err := tx.SessionByHash(x.Hash)
			if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
				return nil
			}
			if err != nil {
				return err
			}
			ok = true
			wantEqual(t, "SessionByHash", got, x)
			return nil
		})
		return ok
	}
	for _, x := range []*tldguard.Session{a1, a2, b1} {
		if !found(x) {
			t.Errorf("session %d not found by its hash", x.ID)
		}
	}

	write(t, s, func(tx tldguard.Tx) error { return tx.DeleteSession(a1.ID) })
	if found(a1) {
		t.Error("a deleted session is still found")
	}
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.DeleteSession(a1.ID) })
	wantKind(t, "DeleteSession of a missing session", err, tldguard.ENOTFOUND)

	a3 := sess("a3")
	a3.UserID = a.ID
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.CreateSession(a3); err != nil {
			return err
		}
		return tx.DeleteUserSessions(a.ID)
	})
	if found(a2) || found(a3) {
		t.Error("DeleteUserSessions left a session of the user")
	}
	if !found(b1) {
		t.Error("DeleteUserSessions removed another user's session")
	}
	// A user without sessions is no error.
	write(t, s, func(tx tldguard.Tx) error { return tx.DeleteUserSessions(a.ID) })
}
