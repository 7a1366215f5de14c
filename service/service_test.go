package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a service over a real store with a TLD, a few registrations,
// reporters of every tier and staff.
type fixture struct {
	t     *testing.T
	store tldguard.Store
	svc   *service.Service
	clock *clock
	admin context.Context // the operator at the command line

	adapter *flakyAdapter

	le, leUnverified, notifier, public, registrar context.Context
	analyst, auditor, approver                    context.Context
}

func newFixture(t *testing.T, store tldguard.Store) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}
	reg := localregistry.New(store)
	f := &fixture{t: t, store: store, clock: c, admin: tldguard.System(context.Background(), "test"), adapter: &flakyAdapter{RegistryAdapter: reg}}
	svc := service.New(service.Config{Store: store, Registry: reg, Adapter: f.adapter, Now: c.now})
	t.Cleanup(svc.Close)
	f.svc = svc
	if _, err := svc.AddTLD(f.admin, "example"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddTLD(f.admin, "test"); err != nil {
		t.Fatal(err)
	}
	err := svc.ImportRegistry(f.admin,
		[]*tldguard.Registrar{{ID: "9001", Name: "Alpha Names", AbuseEmail: "abuse@alpha.example"}, {ID: "9002", Name: "Bravo Domains", AbuseEmail: "abuse@bravo.example"}},
		[]*tldguard.Registration{
			{Name: "bad.example", TLD: "example", RegistrarID: "9001", RegistrarName: "Alpha Names", Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example"}, CreatedAt: c.now().Add(-48 * time.Hour)},
			{Name: "shop.example", TLD: "example", RegistrarID: "9002", RegistrarName: "Bravo Domains", Statuses: []string{"ok"}, CreatedAt: c.now().Add(-900 * 24 * time.Hour)},
			{Name: "other.test", TLD: "test", RegistrarID: "9002", RegistrarName: "Bravo Domains", Statuses: []string{"ok"}, CreatedAt: c.now().Add(-90 * 24 * time.Hour)},
		})
	if err != nil {
		t.Fatal(err)
	}
	f.le = f.reporter(service.ReporterInput{Name: "Metro Police", Source: tldguard.SourceLawEnforcement, Email: "cyber@police.example", VerifiedBy: "admin", VerifiedHow: "called the switchboard"})
	f.leUnverified = f.reporter(service.ReporterInput{Name: "Unknown Police", Source: tldguard.SourceLawEnforcement})
	f.notifier = f.reporter(service.ReporterInput{Name: "Notifier", Source: tldguard.SourceTrustedNotifier})
	f.public = f.reporter(service.ReporterInput{Name: "Public", Source: tldguard.SourcePublic})
	f.registrar = f.reporter(service.ReporterInput{Name: "Alpha Names", Source: tldguard.SourceRegistrar, RegistrarID: "9001"})
	f.analyst = f.user("ann@nic.example", tldguard.RoleAnalyst)
	f.auditor = f.user("aud@nic.example", tldguard.RoleAuditor)
	f.approver = f.user("app@nic.example", tldguard.RoleApprover)
	return f
}

// reporter creates a reporter and returns a context acting as it, via its
// real token.
func (f *fixture) reporter(in service.ReporterInput) context.Context {
	f.t.Helper()
	_, token, err := f.svc.CreateReporter(f.admin, in)
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.svc.Authenticate(context.Background(), token)
	if err != nil {
		f.t.Fatal(err)
	}
	return tldguard.NewContext(context.Background(), p)
}

func (f *fixture) user(email string, role tldguard.Role) context.Context {
	f.t.Helper()
	if _, _, err := f.svc.CreateUser(f.admin, email, "", role); err != nil {
		f.t.Fatal(err)
	}
	token, err := f.svc.CreateUserToken(f.admin, email, "test")
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.svc.Authenticate(context.Background(), token)
	if err != nil {
		f.t.Fatal(err)
	}
	return tldguard.NewContext(context.Background(), p)
}

func (f *fixture) submit(ctx context.Context, body string) *tldguard.Receipt {
	f.t.Helper()
	r, err := f.svc.SubmitReport(ctx, &tldguard.Submission{Raw: []byte(body), ContentType: "application/json"})
	if err != nil {
		f.t.Fatalf("submit %s: %v", body, err)
	}
	return r
}

func (f *fixture) verify() {
	f.t.Helper()
	rep, err := f.svc.VerifyChain(f.admin, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if !rep.OK {
		f.t.Fatalf("audit chain broken: %s", rep.Broken)
	}
}

func (f *fixture) head() tldguard.ChainHead {
	f.t.Helper()
	h, err := f.svc.ChainHead(f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func ptr[T any](v T) *T { return &v }

func caseOf(t *testing.T, f *fixture, id int64) *tldguard.Case {
	t.Helper()
	d, err := f.svc.Case(f.analyst, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Case
}

func reportJSON(threat string, names ...string) string {
	s := `{"threat_type":"` + threat + `","names":[`
	for i, n := range names {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%q", n)
	}
	return s + "]}"
}
