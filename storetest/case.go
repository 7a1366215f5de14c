package storetest

import (
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var caseTests = []test{
	{"InsertAndGet", testCaseInsertAndGet},
	{"OneOpenCasePerDomainAndThreat", testCaseOneOpen},
	{"OpenCase", testOpenCase},
	{"Update", testCaseUpdate},
	{"UpdateVersionConflict", testCaseUpdateConflict},
}

func testCaseInsertAndGet(t *testing.T, s tldguard.Store) {
	c := newCase("login-bank.example", tldguard.ThreatPhishing)
	c.Version = 7 // InsertCase sets 1 whatever it is given
	c.Confidential = true
	c.Assignee = "ana@nic.example"
	c.Priority = tldguard.PriorityHigh
	c.Classification = tldguard.ClassMalicious
	// RespondedAt and ClosedAt stay zero: zero times come back zero.
	mustInsertCase(t, s, c)
	if c.ID <= 0 || c.Version != 1 {
		t.Fatalf("InsertCase set ID %d and Version %d, want a positive id and version 1", c.ID, c.Version)
	}
	u := newCase("unregistered.example", tldguard.ThreatBotnet)
	u.Registered, u.RegistrarID, u.RegistrarName = false, "", ""
	u.AckedAt = at(1)
	mustInsertCase(t, s, u)
	if u.ID == c.ID {
		t.Fatalf("two cases got id %d", c.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, want := range []*tldguard.Case{c, u} {
			got, err := tx.CaseByID(want.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "CaseByID", got, want)
		}
		_, err := tx.CaseByID(u.ID + c.ID + 100)
		wantKind(t, "CaseByID of a missing case", err, tldguard.ENOTFOUND)
		return nil
	})
}

// closeCase closes c in its own transaction.
func closeCase(t *testing.T, s tldguard.Store, c *tldguard.Case) {
	t.Helper()
	c.Status = tldguard.StatusClosed
	c.Resolution = "no_action: cleaned"
	c.RespondedAt, c.ClosedAt = at(100), at(100)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })
}

func testCaseOneOpen(t *testing.T, s tldguard.Store) {
	first := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	insert := func(c *tldguard.Case) error {
		return s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.InsertCase(c) })
	}
	wantKind(t, "a second open case for the same name and threat", insert(newCase("a.example", tldguard.ThreatPhishing)), tldguard.ECONFLICT)
	if err := insert(newCase("a.example", tldguard.ThreatMalware)); err != nil {
		t.Errorf("another threat on the same name: %v", err)
	}
	if err := insert(newCase("b.example", tldguard.ThreatPhishing)); err != nil {
		t.Errorf("the same threat on another name: %v", err)
	}
	// in_progress is not closed: it still blocks.
	first.Status = tldguard.StatusInProgress
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(first) })
	wantKind(t, "a second case while the first is in progress", insert(newCase("a.example", tldguard.ThreatPhishing)), tldguard.ECONFLICT)

	closeCase(t, s, first)
	second := newCase("a.example", tldguard.ThreatPhishing)
	if err := insert(second); err != nil {
		t.Fatalf("a new case after the first was closed: %v", err)
	}
	// Closed cases never clash, with each other or with the open one.
	closed := newCase("a.example", tldguard.ThreatPhishing)
	closed.Status = tldguard.StatusClosed
	if err := insert(closed); err != nil {
		t.Errorf("inserting a closed case beside an open one: %v", err)
	}
	// Reopening the first while the second is open clashes.
	first.Status = tldguard.StatusOpen
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateCase(first) })
	wantKind(t, "reopening a case while another is open", err, tldguard.ECONFLICT)
}

func testOpenCase(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	mustInsertCase(t, s, newCase("a.example", tldguard.ThreatMalware))
	openCase := func(domain string, threat tldguard.ThreatType) (*tldguard.Case, error) {
		var got *tldguard.Case
		err := s.Read(t.Context(), func(tx tldguard.Tx) error {
			var err error
			got, err = tx.OpenCase(domain, threat)
			return err
		})
		return got, err
	}
	got, err := openCase("a.example", tldguard.ThreatPhishing)
	if err != nil {
		t.Fatalf("OpenCase: %v", err)
	}
	wantEqual(t, "OpenCase", got, c)
	_, err = openCase("a.example", tldguard.ThreatBotnet)
	wantKind(t, "OpenCase of another threat", err, tldguard.ENOTFOUND)
	_, err = openCase("b.example", tldguard.ThreatPhishing)
	wantKind(t, "OpenCase of another name", err, tldguard.ENOTFOUND)

	c.Status = tldguard.StatusInProgress
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })
	if got, err = openCase("a.example", tldguard.ThreatPhishing); err != nil {
		t.Fatalf("OpenCase of an in-progress case: %v", err)
	}
	wantEqual(t, "OpenCase of an in-progress case", got, c)

	closeCase(t, s, c)
	_, err = openCase("a.example", tldguard.ThreatPhishing)
	wantKind(t, "OpenCase after the case was closed", err, tldguard.ENOTFOUND)

	next := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	if got, err = openCase("a.example", tldguard.ThreatPhishing); err != nil {
		t.Fatalf("OpenCase: %v", err)
	}
	wantEqual(t, "OpenCase with a closed and an open case", got, next)
}

func testCaseUpdate(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	// Every field but the identity (ID, Domain, TLD, ThreatType, OpenedAt) changes.
	c.Status = tldguard.StatusClosed
	c.Priority = tldguard.PriorityHigh
	c.PriorityReason = "verified authority: threat to life"
	c.Classification = tldguard.ClassCompromised
	c.Registered = false
	c.RegistrarID = "1234"
	c.RegistrarName = "Other Registrar"
	c.Assignee = "ana@nic.example"
	c.Confidential = true
	c.Resolution = "hold"
	c.ReportCount = 3
	c.AckedAt = at(2)
	c.ResponseDueAt = at(24 * 60)
	c.RespondedAt = at(30)
	c.ClosedAt = at(31)
	c.UpdatedAt = at(31)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })
	if c.Version != 2 {
		t.Errorf("Version after UpdateCase = %d, want 2", c.Version)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.CaseByID(c.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "updated case", got, c)
		return nil
	})

	// Fields can go back to zero.
	c.Status, c.Assignee, c.Resolution = tldguard.StatusOpen, "", ""
	c.RespondedAt, c.ClosedAt = time.Time{}, time.Time{}
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.CaseByID(c.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "reopened case", got, c)
		return nil
	})

	missing := newCase("missing.example", tldguard.ThreatPhishing)
	missing.ID, missing.Version = c.ID+100, 1
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateCase(missing) })
	wantKind(t, "UpdateCase of a missing case", err, tldguard.ENOTFOUND)
}

func testCaseUpdateConflict(t *testing.T, s tldguard.Store) {
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	stale := *c
	c.Assignee = "ana@nic.example"
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateCase(c) })

	stale.Assignee = "bo@nic.example"
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateCase(&stale) })
	wantKind(t, "UpdateCase with a stale version", err, tldguard.ECONFLICT)
	if stale.Version != 1 {
		t.Errorf("a refused UpdateCase changed Version to %d", stale.Version)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.CaseByID(c.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "case after a refused update", got, c)
		return nil
	})
}
