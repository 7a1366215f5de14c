package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var registryTests = []test{
	{"TLDs", testTLDs},
	{"Registrars", testRegistrars},
	{"Registrations", testRegistrations},
	{"HeldNames", testHeldNames},
	{"CountDependents", testCountDependents},
}

// testCountDependents: names whose name servers are under a domain, the
// domain itself not counted, label boundaries respected.
func testCountDependents(t *testing.T, s tldguard.Store) {
	write(t, s, func(tx tldguard.Tx) error {
		for name, ns := range map[string][]string{
			"host.example":  {"ns1.host.example", "ns2.host.example"}, // itself
			"a.example":     {"ns1.host.example"},
			"b.example":     {"ns.other.example", "dns.sub.host.example"},
			"c.example":     {"ns1.ghost.example"}, // not under host.example
			"d.example":     {"ns1.host.example.evil"},
			"e_pct.example": {"ns1.h_st.example"}, // LIKE wildcards in the name
		} {
			if err := tx.PutRegistration(&tldguard.Registration{Name: name, TLD: "example", RegistrarID: "1", Statuses: []string{"ok"}, NameServers: ns}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx tldguard.Tx) error {
		for domain, want := range map[string]int64{"host.example": 2, "other.example": 1, "h_st.example": 1, "hxst.example": 0, "nobody.example": 0} {
			n, err := tx.CountDependents(domain)
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("CountDependents(%s) = %d, want %d", domain, n, want)
			}
		}
		return nil
	})
}

// testHeldNames: names with serverHold or clientHold, sorted; a status that
// merely contains the word (serverHoldPending) does not count.
func testHeldNames(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		names, err := tx.HeldNames()
		if err != nil {
			return err
		}
		if len(names) != 0 {
			t.Errorf("HeldNames of an empty registry = %q", names)
		}
		return nil
	})
	write(t, s, func(tx tldguard.Tx) error {
		for name, statuses := range map[string][]string{
			"z-held.example": {"serverHold"},
			"a-held.example": {"clientTransferProhibited", "clientHold"},
			"m-held.test":    {"serverHold", "serverDeleteProhibited"},
			"ok.example":     {"ok"},
			"near.example":   {"serverHoldPending", "pendingDelete"},
			"none.example":   nil,
		} {
			if err := tx.PutRegistration(&tldguard.Registration{Name: name, TLD: "example", RegistrarID: "1", Statuses: statuses}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx tldguard.Tx) error {
		names, err := tx.HeldNames()
		if err != nil {
			return err
		}
		wantEqual(t, "HeldNames", names, []string{"a-held.example", "m-held.test", "z-held.example"})
		return nil
	})
}

func testTLDs(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.TLDs()
		if len(got) != 0 {
			t.Errorf("TLDs of an empty store = %v", got)
		}
		return err
	})
	write(t, s, func(tx tldguard.Tx) error {
		for _, name := range []string{"example", "abc", "xn--p1ai", "zz"} {
			if err := tx.AddTLD(name, at(0)); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.AddTLD("abc", at(1)) })
	wantKind(t, "AddTLD of a present TLD", err, tldguard.ECONFLICT)
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.TLDs()
		wantEqual(t, "TLDs", got, []string{"abc", "example", "xn--p1ai", "zz"})
		return err
	})
}

func testRegistrars(t *testing.T, s tldguard.Store) {
	a := &tldguard.Registrar{ID: "9999", Name: "Example Registrar", AbuseEmail: "abuse@registrar.example", AbusePhone: "+1.5555550100"}
	b := &tldguard.Registrar{ID: "1234", Name: "Other Registrar"}
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.PutRegistrar(a); err != nil {
			return err
		}
		return tx.PutRegistrar(b)
	})
	get := func(want *tldguard.Registrar) {
		t.Helper()
		read(t, s, func(tx tldguard.Tx) error {
			got, err := tx.Registrar(want.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "Registrar", got, want)
			return nil
		})
	}
	get(a)
	get(b)
	// Put replaces.
	a2 := &tldguard.Registrar{ID: "9999", Name: "Example Registrar GmbH", AbuseEmail: "abuse@new.example"}
	write(t, s, func(tx tldguard.Tx) error { return tx.PutRegistrar(a2) })
	get(a2)
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.Registrar("4242")
		wantKind(t, "Registrar of a missing id", err, tldguard.ENOTFOUND)
		got, err := tx.ListRegistrars()
		if err != nil {
			return err
		}
		if len(got) != 2 {
			t.Fatalf("ListRegistrars returned %d registrars, want 2", len(got))
		}
		if got[0].ID != "1234" {
			got[0], got[1] = got[1], got[0]
		}
		wantEqual(t, "ListRegistrars", got, []*tldguard.Registrar{b, a2})
		return nil
	})
}

func testRegistrations(t *testing.T, s tldguard.Store) {
	a := &tldguard.Registration{
		Name: "shop.example", TLD: "example", RegistrarID: "9999", RegistrarName: "Example Registrar",
		Statuses:    []string{"clientTransferProhibited", "serverHold"},
		NameServers: []string{"ns2.host.example", "ns1.host.example"},
		CreatedAt:   at(-10000), UpdatedAt: at(-5),
	}
	b := &tldguard.Registration{Name: "bank.example", TLD: "example", RegistrarID: "1234", Statuses: []string{"ok"}, CreatedAt: at(-3)}
	c := &tldguard.Registration{Name: "x.test", TLD: "test", RegistrarID: "1234"}
	write(t, s, func(tx tldguard.Tx) error {
		for _, r := range []*tldguard.Registration{a, b, c} {
			if err := tx.PutRegistration(r); err != nil {
				return err
			}
		}
		return nil
	})
	get := func(want *tldguard.Registration) {
		t.Helper()
		read(t, s, func(tx tldguard.Tx) error {
			got, err := tx.Registration(want.Name)
			if err != nil {
				return err
			}
			wantEqual(t, "Registration", got, want)
			return nil
		})
	}
	for _, r := range []*tldguard.Registration{a, b, c} {
		get(r)
	}
	// Put replaces by name, lists included.
	a2 := &tldguard.Registration{
		Name: "shop.example", TLD: "example", RegistrarID: "1234", RegistrarName: "Other",
		Statuses: []string{"ok"}, CreatedAt: at(-10000), UpdatedAt: at(1),
	}
	write(t, s, func(tx tldguard.Tx) error { return tx.PutRegistration(a2) })
	get(a2)
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.Registration("nobody.example")
		wantKind(t, "Registration of an unregistered name", err, tldguard.ENOTFOUND)
		all, err := tx.ListRegistrations("", "", 0)
		if err != nil {
			return err
		}
		wantEqual(t, "ListRegistrations", all, []*tldguard.Registration{b, a2, c})
		page, err := tx.ListRegistrations("example", "bank.example", 1)
		if err != nil {
			return err
		}
		wantEqual(t, "ListRegistrations after bank.example", page, []*tldguard.Registration{a2})
		for tld, want := range map[string]int64{"": 3, "example": 2, "test": 1, "other": 0} {
			n, err := tx.CountRegistrations(tld)
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("CountRegistrations(%q) = %d, want %d", tld, n, want)
			}
		}
		return nil
	})
}
