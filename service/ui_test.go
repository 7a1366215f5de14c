package service_test

import (
	"context"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
)

func TestLogoutEverywhere(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		ctx := context.Background()
		_, pw, err := f.svc.CreateUser(f.admin, "lee@nic.example", "Lee", tldguard.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		laptop, p, err := f.svc.Login(ctx, "lee@nic.example", pw)
		if err != nil {
			t.Fatal(err)
		}
		phone, _, err := f.svc.Login(ctx, "lee@nic.example", pw)
		if err != nil {
			t.Fatal(err)
		}
		_, kimPW, err := f.svc.CreateUser(f.admin, "kim@nic.example", "Kim", tldguard.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		kim, _, err := f.svc.Login(ctx, "kim@nic.example", kimPW)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.LogoutEverywhere(tldguard.NewContext(ctx, p)); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{laptop, phone} {
			if _, err := f.svc.AuthenticateSession(ctx, s); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
				t.Errorf("session after signing out everywhere: %v", err)
			}
		}
		var last *tldguard.Event
		err = store.Read(ctx, func(tx tldguard.Tx) error {
			return tx.ScanEvents(0, func(e *tldguard.Event) error { last = e; return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		if last.Action != "user.signed_out_everywhere" || last.Actor != "user:lee@nic.example" {
			t.Errorf("last event %+v", last)
		}
		f.verify()

		// Another member's sessions stay; nobody signed in, and reporters,
		// cannot.
		if _, err := f.svc.AuthenticateSession(ctx, kim); err != nil {
			t.Errorf("another member's session ended too: %v", err)
		}
		if err := f.svc.LogoutEverywhere(ctx); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("signed out: %v", err)
		}
		if err := f.svc.LogoutEverywhere(f.le); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("reporter: %v", err)
		}
	})
}

func TestRegistrarsAndAddReporter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		rs, err := f.svc.Registrars(f.auditor)
		if err != nil || len(rs) != 2 || rs[0].ID != "9001" {
			t.Fatalf("registrars: %v %+v", err, rs)
		}
		if _, err := f.svc.Registrars(f.public); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("reporter listing registrars: %v", err)
		}
		r, token, err := f.svc.AddReporter(f.admin, tldguard.Reporter{Name: "Ministry CERT", Source: tldguard.SourceGovernment,
			Verification: &tldguard.Verification{By: "ada@nic.example", How: "signed letter"}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Verified() || r.Verification.How != "signed letter" || r.Verification.At.IsZero() || token == "" {
			t.Errorf("reporter %+v token %q", r, token)
		}
		p, err := f.svc.Authenticate(context.Background(), token)
		if err != nil || p.ID != r.ID {
			t.Fatalf("the new token: %+v %v", p, err)
		}
		if _, _, err := f.svc.AddReporter(f.analyst, tldguard.Reporter{Name: "X", Source: tldguard.SourcePublic}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst adding a reporter: %v", err)
		}
		if _, _, err := f.svc.AddReporter(f.admin, tldguard.Reporter{Name: "Y", Source: tldguard.SourceGovernment,
			Verification: &tldguard.Verification{By: "ada"}}); tldguard.ErrorField(err) != "verified-how" {
			t.Errorf("verification without how: %v", err)
		}
	})
}
