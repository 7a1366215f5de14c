package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var reporterTests = []test{
	{"CreateAndGet", testReporterCreateAndGet},
	{"TakenName", testReporterTakenName},
	{"Update", testReporterUpdate},
	{"List", testReporterList},
	{"ByName", testReporterByName},
}

func testReporterCreateAndGet(t *testing.T, s tldguard.Store) {
	plain := newReporter("phishfinder", tldguard.SourcePublic)
	police := newReporter("police", tldguard.SourceLawEnforcement)
	police.Verification = &tldguard.Verification{
		By:  "admin@nic.example",
		At:  at(90),
		How: "called the agency's published switchboard, spoke to the duty officer",
	}
	rr := newReporter("registrar-9999", tldguard.SourceRegistrar)
	rr.RegistrarID = "9999"
	rr.Disabled = true
	for _, r := range []*tldguard.Reporter{plain, police, rr} {
		mustCreateReporter(t, s, r)
	}
	if plain.ID <= 0 || plain.ID == police.ID || police.ID == rr.ID {
		t.Fatalf("CreateReporter set ids %d, %d, %d", plain.ID, police.ID, rr.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, r := range []*tldguard.Reporter{plain, police, rr} {
			got, err := tx.ReporterByID(r.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "ReporterByID", got, r)
		}
		_, err := tx.ReporterByID(rr.ID + 100)
		wantKind(t, "ReporterByID of a missing reporter", err, tldguard.ENOTFOUND)
		return nil
	})
}

func testReporterTakenName(t *testing.T, s tldguard.Store) {
	mustCreateReporter(t, s, newReporter("cert", tldguard.SourceGovernment))
	err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		return tx.CreateReporter(newReporter("cert", tldguard.SourcePublic))
	})
	wantKind(t, "CreateReporter with a taken name", err, tldguard.ECONFLICT)
}

func testReporterUpdate(t *testing.T, s tldguard.Store) {
	r := mustCreateReporter(t, s, newReporter("police", tldguard.SourcePublic))
	other := mustCreateReporter(t, s, newReporter("other", tldguard.SourcePublic))

	r.Name = "national-police"
	r.Source = tldguard.SourceLawEnforcement
	r.Email = "cyber@police.example"
	r.Verification = &tldguard.Verification{By: "admin@nic.example", At: at(60), How: "in person"}
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateReporter(r) })
	check := func(what string) {
		t.Helper()
		read(t, s, func(tx tldguard.Tx) error {
			got, err := tx.ReporterByID(r.ID)
			if err != nil {
				return err
			}
			wantEqual(t, what, got, r)
			return nil
		})
	}
	check("verified reporter")

	// Withdrawing the verification stores nil again.
	r.Verification = nil
	r.Disabled = true
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateReporter(r) })
	check("reporter after the verification was withdrawn")

	other.Name = r.Name
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateReporter(other) })
	wantKind(t, "UpdateReporter to a taken name", err, tldguard.ECONFLICT)

	missing := newReporter("missing", tldguard.SourcePublic)
	missing.ID = r.ID + other.ID + 100
	err = s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateReporter(missing) })
	wantKind(t, "UpdateReporter of a missing reporter", err, tldguard.ENOTFOUND)
}

func testReporterList(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		rs, err := tx.ListReporters()
		if len(rs) != 0 {
			t.Errorf("ListReporters on an empty store returned %d", len(rs))
		}
		return err
	})
	var want []*tldguard.Reporter
	for _, name := range []string{"b", "a", "c"} {
		r := newReporter(name, tldguard.SourceTrustedNotifier)
		if name == "a" {
			r.Verification = &tldguard.Verification{By: "admin@nic.example", At: at(3), How: "mail"}
		}
		want = append(want, mustCreateReporter(t, s, r))
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ListReporters()
		if err != nil {
			return err
		}
		id := func(r *tldguard.Reporter) int64 { return r.ID }
		wantEqual(t, "ListReporters", byID(got, id), byID(want, id))
		return nil
	})
}

// testReporterByName: the name must match exactly, byte for byte.
func testReporterByName(t *testing.T, s tldguard.Store) {
	police := newReporter("Metro Police", tldguard.SourceLawEnforcement)
	police.Verification = &tldguard.Verification{By: "admin@nic.example", At: at(3), How: "switchboard call-back"}
	mustCreateReporter(t, s, police)
	other := mustCreateReporter(t, s, newReporter("metro-police", tldguard.SourcePublic))
	read(t, s, func(tx tldguard.Tx) error {
		for _, want := range []*tldguard.Reporter{police, other} {
			got, err := tx.ReporterByName(want.Name)
			if err != nil {
				return err
			}
			wantEqual(t, "ReporterByName("+want.Name+")", got, want)
		}
		for _, name := range []string{"metro police", "Metro Police ", "METRO POLICE", "Metro", ""} {
			_, err := tx.ReporterByName(name)
			wantKind(t, "ReporterByName("+name+")", err, tldguard.ENOTFOUND)
		}
		return nil
	})
}
