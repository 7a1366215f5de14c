package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/service"
)

func TestAuth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		ctx := context.Background()
		u, pw, err := f.svc.CreateUser(f.admin, "Lead@NIC.example", "Lee", tldguard.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "lead@nic.example" || u.PasswordHash == pw || len(pw) < 16 {
			t.Errorf("user %+v stored with a plain or short password", u)
		}
		if _, _, err := f.svc.Login(ctx, "lead@nic.example", "wrong"); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("wrong password: %v", err)
		}
		if _, _, err := f.svc.Login(ctx, "nobody@nic.example", pw); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("unknown user: %v", err)
		}
		session, p, err := f.svc.Login(ctx, " LEAD@nic.example ", pw)
		if err != nil {
			t.Fatal(err)
		}
		if p.Role != tldguard.RoleAnalyst {
			t.Errorf("principal %+v", p)
		}
		got, err := f.svc.AuthenticateSession(ctx, session)
		if err != nil || got.ID != u.ID {
			t.Fatalf("session: %+v %v", got, err)
		}
		// Sessions expire.
		f.clock.add(13 * time.Hour)
		if _, err := f.svc.AuthenticateSession(ctx, session); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("expired session: %v", err)
		}
		session, _, _ = f.svc.Login(ctx, "lead@nic.example", pw)
		if err := f.svc.Logout(tldguard.NewContext(ctx, p), session); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateSession(ctx, session); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("session after logout: %v", err)
		}
		for _, bad := range []string{"", "tgr_nonsense", "Bearer x", "tgu_" + string(make([]byte, 43))} {
			if _, err := f.svc.Authenticate(ctx, bad); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
				t.Errorf("token %q: %v", bad, err)
			}
		}
		// A reporter exchanges its token for a portal session.
		_, rtoken, err := f.svc.CreateReporter(f.admin, service.ReporterInput{Name: "Portal Police", Source: tldguard.SourceLawEnforcement})
		if err != nil {
			t.Fatal(err)
		}
		rs, rp, err := f.svc.ReporterLogin(ctx, rtoken)
		if err != nil || rp.Kind != tldguard.PrincipalReporter {
			t.Fatalf("reporter login: %+v %v", rp, err)
		}
		if got, err := f.svc.AuthenticateSession(ctx, rs); err != nil || got.ID != rp.ID || got.Role != tldguard.RoleReporter || got.Reporter == nil {
			t.Errorf("reporter session: %+v %v", got, err)
		}
		if _, _, err := f.svc.ReporterLogin(ctx, "tgr_wrong"); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Errorf("reporter login with a bad token: %v", err)
		}
		// Only admins manage accounts.
		if _, _, err := f.svc.CreateUser(f.analyst, "x@nic.example", "", tldguard.RoleAdmin); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst creating a user: %v", err)
		}
		if _, _, err := f.svc.CreateUser(f.admin, "lead@nic.example", "", tldguard.RoleAnalyst); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("duplicate e-mail: %v", err)
		}
		if _, _, err := f.svc.CreateUser(f.admin, "x@nic.example", "", tldguard.RoleReporter); tldguard.ErrorField(err) != "role" {
			t.Errorf("reporter role for staff: %v", err)
		}
	})
}

func TestReporterVerification(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r, token, err := f.svc.CreateReporter(f.admin, service.ReporterInput{Name: "County Sheriff", Source: tldguard.SourceLawEnforcement})
		if err != nil {
			t.Fatal(err)
		}
		as := func() context.Context {
			p, err := f.svc.Authenticate(context.Background(), token)
			if err != nil {
				t.Fatal(err)
			}
			return tldguard.NewContext(context.Background(), p)
		}
		if before := f.submit(as(), urgentLE); before.Priority != tldguard.PriorityStandard {
			t.Fatalf("unverified account made a case %s", before.Priority)
		}
		if _, err := f.svc.VerifyReporter(f.analyst, r.ID, "a", "b"); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst verifying: %v", err)
		}
		if _, err := f.svc.VerifyReporter(f.admin, r.ID, "a", ""); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("verification without how: %v", err)
		}
		v, err := f.svc.VerifyReporter(f.admin, r.ID, "admin@nic.example", "called the published switchboard, spoke to the duty officer")
		if err != nil {
			t.Fatal(err)
		}
		if !v.Verified() || v.Verification.By != "admin@nic.example" || !v.Verification.At.Equal(f.clock.now()) {
			t.Errorf("verification record: %+v", v.Verification)
		}
		// The same token now speaks for a verified account.
		after := f.submit(as(), strings.Replace(urgentLE, "phishing", "pharming", 1))
		if after.Priority != tldguard.PriorityHigh {
			t.Errorf("verified account's urgent report: %s", after.Priority)
		}
		if _, _, err := f.svc.CreateReporter(f.admin, service.ReporterInput{Name: "R", Source: tldguard.SourceRegistrar}); tldguard.ErrorField(err) != "registrar-id" {
			t.Errorf("registrar reporter without IANA id: %v", err)
		}
		if _, _, err := f.svc.CreateReporter(f.admin, service.ReporterInput{Name: "F", Source: tldguard.SourceFeed}); tldguard.ErrorField(err) != "kind" {
			t.Errorf("feed as a reporter kind: %v", err)
		}
	})
}
