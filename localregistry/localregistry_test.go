package localregistry_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
)

func seed(t *testing.T, s tldguard.Store) {
	t.Helper()
	err := s.Write(context.Background(), func(tx tldguard.Tx) error {
		for _, r := range []*tldguard.Registrar{{ID: "1", Name: "One"}, {ID: "2", Name: "Two"}} {
			if err := tx.PutRegistrar(r); err != nil {
				return err
			}
		}
		for _, r := range []*tldguard.Registration{
			{Name: "bad.example", TLD: "example", RegistrarID: "1", Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example", "ns2.host.example"}},
			{Name: "good.example", TLD: "example", RegistrarID: "1", Statuses: []string{"clientTransferProhibited"}, NameServers: []string{"ns.good.example"}},
			{Name: "gone.example", TLD: "example", RegistrarID: "2", Statuses: []string{"ok"}},
		} {
			if err := tx.PutRegistration(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestApplyAndZone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s tldguard.Store) {
		seed(t, s)
		r := localregistry.New(s)
		ctx := context.Background()
		apply := func(c tldguard.Change) *tldguard.ChangeResult {
			t.Helper()
			res, err := r.Apply(ctx, c)
			if err != nil {
				t.Fatalf("%+v: %v", c, err)
			}
			return res
		}
		hold := tldguard.Change{Kind: tldguard.ActionHold, Domain: "bad.example", AddStatuses: []string{tldguard.StatusServerHold}}
		if res := apply(hold); !res.Applied || !slices.Equal(res.Before.Statuses, []string{"ok"}) || !slices.Equal(res.After.Statuses, []string{tldguard.StatusServerHold}) {
			t.Errorf("hold: %+v", res)
		}
		if res := apply(hold); res.Applied {
			t.Errorf("a second hold applied again: %+v", res)
		}
		redirect := tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "good.example", NameServers: []string{"ns1.sinkhole.example"}}
		if res := apply(redirect); !res.Applied || !slices.Equal(res.Before.NameServers, []string{"ns.good.example"}) {
			t.Errorf("redirect: %+v", res)
		}
		if res := apply(tldguard.Change{Kind: tldguard.ActionTransfer, Domain: "gone.example", RegistrarID: "1"}); !res.Applied || res.After.RegistrarID != "1" {
			t.Errorf("transfer: %+v", res)
		}
		if _, err := r.Apply(ctx, tldguard.Change{Kind: tldguard.ActionTransfer, Domain: "gone.example", RegistrarID: "99"}); tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
			t.Errorf("transfer to an unknown registrar: %v", err)
		}
		if _, err := r.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "nobody.example", AddStatuses: []string{tldguard.StatusServerHold}}); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("hold of an unregistered name: %v", err)
		}
		var zone bytes.Buffer
		if err := r.WriteZone(ctx, &zone, "example", 2026112701); err != nil {
			t.Fatal(err)
		}
		z := zone.String()
		if strings.Contains(z, "bad.example.") || strings.Contains(z, "gone.example.") {
			t.Errorf("a held name or one without name servers is in the zone:\n%s", z)
		}
		if !strings.Contains(z, "good.example.\t86400\tin\tns\tns1.sinkhole.example.\n") || !strings.Contains(z, "2026112701") {
			t.Errorf("the redirected name should point at the sinkhole:\n%s", z)
		}
		// Release: remove the hold; the zone has the name again.
		apply(tldguard.Change{Kind: tldguard.ActionRelease, Domain: "bad.example", RemoveStatuses: []string{tldguard.StatusServerHold}})
		zone.Reset()
		r.WriteZone(ctx, &zone, "example", 1)
		if !strings.Contains(zone.String(), "bad.example.\t86400\tin\tns\tns1.host.example.\n") {
			t.Errorf("released name missing from the zone:\n%s", zone.String())
		}
	})
}
