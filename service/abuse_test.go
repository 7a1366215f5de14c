package service_test

import (
	"context"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// rdapAbuse stands in for the registry's RDAP (above the storage layer).
type rdapAbuse map[string]*tldguard.Registrar

func (r rdapAbuse) AbuseContact(ctx context.Context, name string) (*tldguard.Registrar, error) {
	if reg, ok := r[name]; ok {
		return reg, nil
	}
	return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no registrar for %s", name)
}

// TestReferralAbuseFromRDAP: a registrar missing from the registrar table
// is referred to at the abuse address RDAP gives, and only when RDAP names
// the same registrar.
func TestReferralAbuseFromRDAP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		reg := localregistry.New(store)
		abuse := rdapAbuse{
			"newreg.example":   {ID: "7777", Name: "New Registrar", AbuseEmail: "abuse@newreg.example"},
			"mismatch.example": {ID: "1234", Name: "Someone Else", AbuseEmail: "abuse@else.example"},
		}
		svc := service.New(service.Config{Store: store, Registry: reg, Adapter: reg, Abuse: abuse})
		t.Cleanup(svc.Close)
		admin := tldguard.System(context.Background(), "test")
		if _, err := svc.AddTLD(admin, "example"); err != nil {
			t.Fatal(err)
		}
		// Both names' registrar 7777 is not in the registrar table.
		if err := svc.ImportRegistry(admin, nil, []*tldguard.Registration{
			{Name: "newreg.example", TLD: "example", RegistrarID: "7777", Statuses: []string{"ok"}},
			{Name: "mismatch.example", TLD: "example", RegistrarID: "7777", Statuses: []string{"ok"}},
		}); err != nil {
			t.Fatal(err)
		}
		_, tok, _ := svc.CreateReporter(admin, service.ReporterInput{Name: "N", Source: tldguard.SourceTrustedNotifier})
		p, _ := svc.Authenticate(context.Background(), tok)
		notifier := tldguard.NewContext(context.Background(), p)
		refer := func(name string) *tldguard.Action {
			r, err := svc.SubmitReport(notifier, &tldguard.Submission{Raw: []byte(`{"threat_type":"phishing","names":["` + name + `"]}`)})
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.ProposeAction(admin, r.Cases[0].ID, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar})
			if err != nil {
				t.Fatal(err)
			}
			for {
				n, err := svc.RunDueJobs(context.Background(), "test", 10)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			got, err := svc.Action(admin, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if a := refer("newreg.example"); a.State != tldguard.ActionDone {
			t.Errorf("referral with the RDAP abuse contact: %s %q", a.State, a.LastError)
		}
		var to []string
		store.Read(context.Background(), func(tx tldguard.Tx) error {
			ns, err := tx.ListNotices(tldguard.NoticeQueued, 0)
			for _, n := range ns {
				if n.Kind == tldguard.NoticeReferral {
					to = append(to, n.To)
				}
			}
			return err
		})
		if len(to) != 1 || to[0] != "abuse@newreg.example" {
			t.Errorf("referral notices to %q", to)
		}
		if a := refer("mismatch.example"); a.State != tldguard.ActionFailed {
			t.Errorf("RDAP naming another registrar must not be used: %s", a.State)
		}
	})
}
