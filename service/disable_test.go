package service_test

import (
	"context"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/service"
)

func TestDisableAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		ctx := context.Background()
		r, token, err := f.svc.CreateReporter(f.admin, service.ReporterInput{Name: "Hijacked Police", Source: tldguard.SourceLawEnforcement})
		if err != nil {
			t.Fatal(err)
		}
		portal, _, err := f.svc.ReporterLogin(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetReporterDisabled(f.analyst, r.ID, true, "x"); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst disabling: %v", err)
		}
		if _, err := f.svc.SetReporterDisabled(f.admin, r.ID, true, ""); tldguard.ErrorField(err) != "reason" {
			t.Errorf("disabling without a reason: %v", err)
		}
		if _, err := f.svc.SetReporterDisabled(f.admin, r.ID, true, "mailbox hijacked, token leaked"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, token); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("a disabled reporter's token: %v", err)
		}
		if _, err := f.svc.AuthenticateSession(ctx, portal); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("a disabled reporter's portal session: %v", err)
		}
		if _, err := f.svc.SetReporterDisabled(f.admin, r.ID, false, "new token issued after the check"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, token); err != nil {
			t.Errorf("re-enabled reporter's token: %v", err)
		}

		// A staff member who left: sessions end, tokens stop.
		u, pw, err := f.svc.CreateUser(f.admin, "leaver@nic.example", "", tldguard.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		sess, p, err := f.svc.Login(ctx, u.Email, pw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetUserDisabled(tldguard.NewContext(ctx, p), u.Email, true, "x"); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst disabling: %v", err)
		}
		if _, err := f.svc.SetUserDisabled(f.admin, "LEAVER@nic.example", true, "left the company"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateSession(ctx, sess); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("a disabled user's session: %v", err)
		}
		if _, _, err := f.svc.Login(ctx, u.Email, pw); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("a disabled user signing in: %v", err)
		}
		if _, err := f.svc.SetUserDisabled(f.admin, "nobody@nic.example", true, "x"); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("disabling a stranger: %v", err)
		}
		f.verify()
	})
}
