package service_test

import (
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
)

func TestCaseQueue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		std := f.submit(f.notifier, reportJSON("phishing", "shop.example"))
		f.clock.add(time.Hour)
		high := f.submit(f.le, urgentLE) // bad.example, high, due in 24h
		f.clock.add(time.Hour)
		bot := f.submit(f.public, reportJSON("botnet", "gen1.example", "gen2.example", "other.test"))

		ids := func(p *tldguard.CasePage) []int64 {
			var out []int64
			for _, c := range p.Cases {
				out = append(out, c.ID)
			}
			return out
		}
		q := func(fl tldguard.CaseFilter) []int64 {
			t.Helper()
			p, err := f.svc.Cases(f.analyst, fl)
			if err != nil {
				t.Fatal(err)
			}
			return ids(p)
		}
		// Default order: nearest deadline first, so the high case leads.
		all := q(tldguard.CaseFilter{})
		if len(all) != 5 || all[0] != high.Cases[0].ID {
			t.Fatalf("queue %v should start with the high case %d", all, high.Cases[0].ID)
		}
		if got := q(tldguard.CaseFilter{Priority: tldguard.PriorityHigh}); len(got) != 1 || got[0] != high.Cases[0].ID {
			t.Errorf("priority=high: %v", got)
		}
		if got := q(tldguard.CaseFilter{ThreatType: tldguard.ThreatBotnet}); len(got) != 3 {
			t.Errorf("threat=botnet: %v", got)
		}
		if got := q(tldguard.CaseFilter{TLD: "test"}); len(got) != 1 || got[0] != bot.Cases[2].ID {
			t.Errorf("tld=test: %v", got)
		}
		if got := q(tldguard.CaseFilter{RegistrarID: "9002"}); len(got) != 2 {
			t.Errorf("registrar=9002 (shop.example, other.test): %v", got)
		}
		if got := q(tldguard.CaseFilter{Domain: "BAD.example."}); len(got) != 1 || got[0] != high.Cases[0].ID {
			t.Errorf("domain=bad.example: %v", got)
		}
		newest := q(tldguard.CaseFilter{Sort: tldguard.SortNewest})
		if newest[len(newest)-1] != std.Cases[0].ID {
			t.Errorf("newest first should end with the oldest case: %v", newest)
		}
		// Overdue: after 30h only the high case (24h clock) has run out.
		f.clock.add(30 * time.Hour)
		if got := q(tldguard.CaseFilter{Overdue: true}); len(got) != 1 || got[0] != high.Cases[0].ID {
			t.Errorf("overdue after 30h: %v", got)
		}
		// Keyset pages of 2 walk the whole queue once, in order.
		var walked []int64
		var cur *tldguard.CaseCursor
		for pages := 0; ; pages++ {
			p, err := f.svc.Cases(f.analyst, tldguard.CaseFilter{Limit: 2, After: cur})
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, ids(p)...)
			if p.Next == nil {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			cur = p.Next
		}
		if len(walked) != len(all) {
			t.Fatalf("paged walk %v, want %v", walked, all)
		}
		for i := range all {
			if walked[i] != all[i] {
				t.Fatalf("paged walk %v, want %v", walked, all)
			}
		}
		for _, bad := range []tldguard.CaseFilter{{Status: []tldguard.CaseStatus{"pending"}}, {Priority: "urgent"}, {ThreatType: "spam2"}, {Sort: "oldest"}, {Limit: 201}} {
			if _, err := f.svc.Cases(f.analyst, bad); tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) == "" {
				t.Errorf("filter %+v: %v, want invalid naming the field", bad, err)
			}
		}
		if _, err := f.svc.Cases(f.registrar, tldguard.CaseFilter{}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("registrar listing the queue: %v, want forbidden until referrals exist", err)
		}
	})
}

func TestCaseTriage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r := f.submit(f.notifier, reportJSON("phishing", "bad.example"))
		id := r.Cases[0].ID
		opened := f.clock.now()

		c, err := f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Assignee: ptr("ann@nic.example"), Status: ptr(tldguard.StatusInProgress)})
		if err != nil {
			t.Fatal(err)
		}
		if c.Assignee != "ann@nic.example" || c.Status != tldguard.StatusInProgress || c.Version != 2 {
			t.Errorf("after assign: %+v", c)
		}
		// Priority and classification changes need a reason.
		if _, err := f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Priority: ptr(tldguard.PriorityHigh)}); tldguard.ErrorField(err) != "reason" {
			t.Errorf("raise without reason: %v", err)
		}
		f.clock.add(2 * time.Hour)
		c, err = f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Priority: ptr(tldguard.PriorityHigh), Reason: "ransomware C2 confirmed by CERT call"})
		if err != nil {
			t.Fatal(err)
		}
		if want := f.clock.now().Add(24 * time.Hour); !c.ResponseDueAt.Equal(want) {
			t.Errorf("raised: due %v, want %v", c.ResponseDueAt, want)
		}
		c, err = f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Priority: ptr(tldguard.PriorityStandard), Reason: "not urgent after all"})
		if err != nil {
			t.Fatal(err)
		}
		if want := opened.Add(72 * time.Hour); !c.ResponseDueAt.Equal(want) {
			t.Errorf("lowered: due %v, want %v", c.ResponseDueAt, want)
		}
		// Stale version: someone else changed the case.
		if _, err := f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Classification: ptr(tldguard.ClassMalicious), Reason: "x", Version: 1}); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("stale version: %v, want conflict", err)
		}
		if _, err := f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Assignee: ptr("nobody@nic.example")}); tldguard.ErrorField(err) != "assignee" {
			t.Errorf("assign to a stranger: %v", err)
		}
		if _, err := f.svc.UpdateCase(f.auditor, id, tldguard.CaseUpdate{Assignee: ptr("")}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("auditor changing a case: %v", err)
		}
		if _, err := f.svc.UpdateCase(f.notifier, id, tldguard.CaseUpdate{Assignee: ptr("")}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("reporter changing a case: %v", err)
		}
		// Close with a reason; the response clock stops.
		f.clock.add(time.Hour)
		if _, err := f.svc.UpdateCase(f.approver, id, tldguard.CaseUpdate{Status: ptr(tldguard.StatusClosed)}); tldguard.ErrorField(err) != "reason" {
			t.Errorf("close without reason: %v", err)
		}
		c, err = f.svc.UpdateCase(f.approver, id, tldguard.CaseUpdate{Status: ptr(tldguard.StatusClosed), Reason: "false positive: parked page"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != tldguard.StatusClosed || c.RespondedAt.IsZero() || c.Resolution != "false positive: parked page" {
			t.Errorf("closed: %+v", c)
		}
		// A new report on the name opens a new case; reopening the old one
		// then conflicts.
		again := f.submit(f.notifier, reportJSON("phishing", "bad.example"))
		if again.Cases[0].ID == id || !again.Cases[0].New {
			t.Errorf("report after close should open a new case: %+v", again.Cases[0])
		}
		if _, err := f.svc.UpdateCase(f.analyst, id, tldguard.CaseUpdate{Status: ptr(tldguard.StatusOpen)}); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("reopen with another case open: %v", err)
		}
		d, err := f.svc.Case(f.auditor, id)
		if err != nil {
			t.Fatal(err)
		}
		updates := 0
		for _, e := range d.Events {
			if e.Action == "case.updated" {
				updates++
			}
		}
		if updates != 4 {
			t.Errorf("%d case.updated events, want 4", updates)
		}
		f.verify()
	})
}
