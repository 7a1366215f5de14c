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

// TestClockAlerts: a clock near its end is alerted once, and once more
// when it is missed; the audit events are the record, so a restarted
// notifier raises nothing again; a case that got its response is quiet.
func TestClockAlerts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{})
		ctx := context.Background()
		check := func(n *service.Notifier, want service.ClockAlerts) {
			t.Helper()
			got, err := n.CheckClocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("at %s: raised %+v, want %+v", nf.clock.now().Format(time.RFC3339), got, want)
			}
		}
		late := nf.submit(nf.hunters, reportJSON("phishing", "bad.example")).Cases[0] // due in 72h
		answered := nf.submit(nf.hunters, reportJSON("malware", "shop.example")).Cases[0].ID
		if _, err := nf.svc.ProposeAction(nf.analyst, answered, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar}); err != nil {
			t.Fatal(err)
		}
		nf.run() // the referral is shop.example's response

		check(nf.notifier, service.ClockAlerts{})
		nf.clock.add(65 * time.Hour) // 7h left: not yet in the 6h window
		check(nf.notifier, service.ClockAlerts{})
		nf.clock.add(90 * time.Minute) // 5h30m left
		check(nf.notifier, service.ClockAlerts{NearEnd: 1})
		check(nf.notifier, service.ClockAlerts{})
		nf.clock.add(time.Hour)
		check(nf.notifier, service.ClockAlerts{})

		nf.clock.add(5 * time.Hour) // 30m past the deadline
		check(nf.notifier, service.ClockAlerts{Missed: 1})
		check(nf.notifier, service.ClockAlerts{})
		// Another process (a restart, another node) finds the events.
		restarted, err := nf.svc.Notifier(service.NoticeConfig{Node: "test", AlertTo: []string{"soc@nic.example"}, PublicURL: "https://abuse.nic.example"})
		if err != nil {
			t.Fatal(err)
		}
		nf.clock.add(10 * time.Minute) // past the first notifier's lease
		check(restarted, service.ClockAlerts{})
		if got := nf.notifier.ClockAlerts(); got != (service.ClockAlerts{NearEnd: 1, Missed: 1}) {
			t.Errorf("counts %+v", got)
		}

		near, missed := nf.events("clock.near_end"), nf.events("clock.missed")
		if len(near) != 1 || len(missed) != 1 || near[0].CaseID != late.ID || missed[0].CaseID != late.ID {
			t.Fatalf("clock events: %d near_end, %d missed", len(near), len(missed))
		}
		if !strings.Contains(string(missed[0].Data), `"response_due_at":"2026-11-05T09:30:00Z"`) {
			t.Errorf("missed event data %s", missed[0].Data)
		}

		// The alerts, mailed to the operator.
		if _, err := restarted.SendNotices(ctx, nf.sender, 10); err != nil {
			t.Fatal(err)
		}
		alerts := nf.mails("soc@nic.example")
		if len(alerts) != 2 {
			t.Fatalf("%d alert mails, want 2", len(alerts))
		}
		wantContains(t, "the near-end alert", alerts[0].Subject, late.Number, "deadline near", "bad.example")
		wantContains(t, "the near-end alert", alerts[0].Body, "2026-11-05 09:30 UTC", "5h 30m left")
		wantContains(t, "the missed alert", alerts[1].Subject, late.Number, "deadline missed")
		wantContains(t, "the missed alert", alerts[1].Body, "passed 30m before", "https://abuse.nic.example/cases/")

		// Without alert addresses: the event and the count, no notice.
		quiet, err := nf.svc.Notifier(service.NoticeConfig{Node: "quiet"})
		if err != nil {
			t.Fatal(err)
		}
		third := nf.submit(nf.hunters, reportJSON("botnet", "other.test")).Cases[0]
		nf.clock.add(71 * time.Hour)
		nf.clock.add(10 * time.Minute) // the other notifiers' leases run out
		check(quiet, service.ClockAlerts{NearEnd: 1})
		for _, n := range nf.notices() {
			if n.CaseID == third.ID && n.Kind == "alert" {
				t.Errorf("an alert notice without an alert address: %+v", n)
			}
		}
		nf.verify()
	})
}
