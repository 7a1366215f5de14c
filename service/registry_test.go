package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/service"
)

// load is a RegistryLoad over a map of registrations.
func load(regs map[string]*tldguard.Registration, registrars []*tldguard.Registrar, replace bool) service.RegistryLoad {
	var names []string
	for n := range regs {
		names = append(names, n)
	}
	slices.Sort(names)
	return service.RegistryLoad{TLD: "example", Registrars: registrars, Names: names, Replace: replace,
		Registration: func(name string) *tldguard.Registration {
			r := *regs[name]
			return &r
		}}
}

func (f *fixture) events(action string) []*tldguard.Event {
	f.t.Helper()
	var out []*tldguard.Event
	err := f.store.Read(context.Background(), func(tx tldguard.Tx) error {
		return tx.ScanEvents(0, func(e *tldguard.Event) error {
			if e.Action == action {
				out = append(out, e)
			}
			return nil
		})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestLoadRegistry: a load checks everything first, refuses names that are
// registered already unless told to replace them, never undoes a standing
// hold, keeps names it does not hold, and writes batches with an audit
// event each.
func TestLoadRegistry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		// bad.example is held by tldguard.
		r := f.submit(f.notifier, reportJSON("phishing", "https://paypal.bad.example/login"))
		a, err := f.svc.ProposeAction(f.analyst, r.Cases[0].ID, tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "kit"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveAction(f.approver, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		f.run()

		created := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)
		regs := map[string]*tldguard.Registration{
			"bad.example":  {Name: "bad.example", RegistrarID: "9002", Statuses: []string{"ok"}, NameServers: []string{"ns1.other.test"}},
			"new.example":  {Name: "new.example", RegistrarID: "7001", Statuses: []string{"clientHold"}, CreatedAt: created},
			"bare.example": {Name: "bare.example", Statuses: []string{"ok"}, NameServers: []string{"ns1.host.test"}},
		}
		for i := range 4100 {
			n := fmt.Sprintf("n%05d.example", i)
			regs[n] = &tldguard.Registration{Name: n, RegistrarID: "9001", Statuses: []string{"ok"}, NameServers: []string{"ns1.host.test"}}
		}
		newRegistrar := []*tldguard.Registrar{{ID: "7001", Name: "Seven", AbuseEmail: "abuse@seven.example"}, {ID: "9001", Name: "Alpha Names Renamed"}}

		// Refusals write nothing.
		for _, c := range []struct {
			name string
			ctx  context.Context
			in   service.RegistryLoad
			kind string
			msg  string
		}{
			{"analyst", f.analyst, load(regs, newRegistrar, true), tldguard.EFORBIDDEN, ""},
			{"registered already", f.admin, load(regs, newRegistrar, false), tldguard.ECONFLICT, "1 of the names are registered already (the first is bad.example), and the load does not replace registrations"},
			{"unknown registrar", f.admin, load(regs, nil, true), tldguard.EUNPROCESSABLE, "registrar 7001 of new.example is not in the registrar table"},
			{"TLD not configured", f.admin, func() service.RegistryLoad { l := load(regs, newRegistrar, true); l.TLD = "nope"; return l }(), tldguard.EUNPROCESSABLE, `"nope" is not one of the operator's TLDs`},
			{"name in another TLD", f.admin, load(map[string]*tldguard.Registration{"a.test": {Name: "a.test"}}, nil, true), tldguard.EUNPROCESSABLE, `"a.test" is not a name registered directly under example`},
			{"name below a name", f.admin, load(map[string]*tldguard.Registration{"a.b.example": {Name: "a.b.example"}}, nil, true), tldguard.EUNPROCESSABLE, "not a name registered directly"},
			{"not sorted", f.admin, func() service.RegistryLoad {
				l := load(regs, newRegistrar, true)
				l.Names[0], l.Names[1] = l.Names[1], l.Names[0]
				return l
			}(), tldguard.EINVALID, "not sorted"},
		} {
			res, err := f.svc.LoadRegistry(c.ctx, c.in)
			if tldguard.ErrorKind(err) != c.kind || !strings.Contains(tldguard.ErrorMessage(err), c.msg) || res != nil {
				t.Errorf("%s: %v, %v; want %s with %q", c.name, res, err, c.kind, c.msg)
			}
		}
		if n := len(f.events("registry.imported")); n != 1 { // the fixture's own import
			t.Fatalf("a refused load wrote %d batch events", n-1)
		}

		var progress []int
		in := load(regs, newRegistrar, true)
		in.Progress = func(n int) { progress = append(progress, n) }
		res, err := f.svc.LoadRegistry(f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		want := service.RegistryLoadResult{Registrars: 2, NewRegistrars: 1, Written: 4102, Replaced: 0, Batches: 3,
			Kept: []string{"bad.example"}, Stale: 1, FirstStale: "shop.example"}
		if fmt.Sprint(*res) != fmt.Sprint(want) {
			t.Errorf("result %+v\nwant   %+v", *res, want)
		}
		if !slices.Equal(progress, []int{2000, 4000, 4102}) {
			t.Errorf("progress %v", progress)
		}
		if reg := f.registration("bad.example"); !slices.Contains(reg.Statuses, tldguard.StatusServerHold) || reg.RegistrarID != "9001" {
			t.Errorf("the held name was changed by the load: %+v", reg)
		}
		if reg := f.registration("new.example"); reg.TLD != "example" || reg.RegistrarName != "Seven" || !reg.CreatedAt.Equal(created) || !slices.Equal(reg.Statuses, []string{"clientHold"}) {
			t.Errorf("new.example %+v", reg)
		}
		if reg := f.registration("n00000.example"); reg.RegistrarName != "Alpha Names Renamed" {
			t.Errorf("registrar name %q: the load's registrars are written first", reg.RegistrarName)
		}
		if reg := f.registration("bare.example"); reg.RegistrarID != "" || reg.RegistrarName != "" {
			t.Errorf("a name without a registrar %+v", reg)
		}
		if reg := f.registration("shop.example"); reg.RegistrarID != "9002" {
			t.Errorf("a name the load does not hold was changed: %+v", reg)
		}
		batches := f.events("registry.imported")[1:]
		if len(batches) != 3 || !strings.Contains(string(batches[0].Data), `"registrations":2000`) ||
			!strings.Contains(string(batches[2].Data), `"last":"new.example"`) || !strings.Contains(string(batches[2].Data), `"tld":"example"`) {
			for _, e := range batches {
				t.Errorf("batch event %s", e.Data)
			}
		}

		// The same load again replaces what it wrote.
		res, err = f.svc.LoadRegistry(f.admin, load(regs, nil, true))
		if err != nil || res.Replaced != 4102 || res.Written != 4102 || len(res.Kept) != 1 || res.Registrars != 0 {
			t.Errorf("second load: %+v %v", res, err)
		}
		f.verify()
	})
}
