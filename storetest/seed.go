package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// SeedBase is the time the seeded queue starts at.
var SeedBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// SeedCase returns the i-th case (from 0) of the queue SeedCases stores: a
// long-lived registry's queue, 70% closed, 20% open and 10% in progress,
// one case every 30 seconds with jitter, 5% high priority (24-hour clock)
// and the rest standard (72 hours). Engines that seed with their own SQL
// should keep these proportions so that benchmarks compare.
func SeedCase(i int) *tldguard.Case {
	status := tldguard.StatusClosed
	switch i % 10 {
	case 0, 3:
		status = tldguard.StatusOpen
	case 6:
		status = tldguard.StatusInProgress
	}
	opened := SeedBase.Add(time.Duration(i)*30*time.Second - time.Duration(i*7919%3600)*time.Second)
	clock, prio := 72*time.Hour, tldguard.PriorityStandard
	if i%20 == 7 {
		clock, prio = 24*time.Hour, tldguard.PriorityHigh
	}
	tld := []string{"example", "test", "invalid"}[i%3]
	c := &tldguard.Case{
		Domain:         fmt.Sprintf("seed%08d.%s", i, tld),
		TLD:            tld,
		ThreatType:     tldguard.ThreatTypes[i%5],
		Status:         status,
		Priority:       prio,
		Classification: tldguard.ClassUnknown,
		Registered:     true,
		RegistrarID:    fmt.Sprint(1000 + i%50),
		RegistrarName:  fmt.Sprintf("Registrar %d", i%50),
		ReportCount:    1,
		OpenedAt:       opened,
		AckedAt:        opened,
		ResponseDueAt:  opened.Add(clock),
		UpdatedAt:      opened,
	}
	if status == tldguard.StatusClosed {
		c.RespondedAt = opened.Add(clock / 2)
		c.ClosedAt = c.RespondedAt
		c.Resolution = "hold"
		c.UpdatedAt = c.ClosedAt
	}
	return c
}

// SeedCases stores the cases SeedCase(0) to SeedCase(n-1) through the Store
// interface, a thousand per transaction.
func SeedCases(ctx context.Context, s tldguard.Store, n int) error {
	const batch = 1000
	for from := 0; from < n; from += batch {
		err := s.Write(ctx, func(tx tldguard.Tx) error {
			for i := from; i < min(from+batch, n); i++ {
				if err := tx.InsertCase(SeedCase(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seeding cases %d to %d: %w", from, min(from+batch, n)-1, err)
		}
	}
	return nil
}

// BenchListCases measures the first page (Limit 50) of the case queue in
// the default (due) and newest sorts, without and with a status filter, on
// a store an engine has already seeded (SeedCases or its own SQL).
func BenchListCases(b *testing.B, s tldguard.Store) {
	open := []tldguard.CaseStatus{tldguard.StatusOpen}
	active := []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress}
	for _, bc := range []struct {
		name string
		f    tldguard.CaseFilter
	}{
		{"due", tldguard.CaseFilter{Sort: tldguard.SortDue}},
		{"newest", tldguard.CaseFilter{Sort: tldguard.SortNewest}},
		{"due/status=open", tldguard.CaseFilter{Sort: tldguard.SortDue, Status: open}},
		{"newest/status=open", tldguard.CaseFilter{Sort: tldguard.SortNewest, Status: open}},
		{"due/status=open,in_progress", tldguard.CaseFilter{Sort: tldguard.SortDue, Status: active}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := bc.f
			f.Limit = 50
			for b.Loop() {
				err := s.Read(b.Context(), func(tx tldguard.Tx) error {
					cs, err := tx.ListCases(f)
					if err == nil && len(cs) != f.Limit {
						err = fmt.Errorf("got %d cases, want %d", len(cs), f.Limit)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
