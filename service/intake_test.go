package service_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
)

const urgentLE = `{"threat_type":"phishing","names":["https://secure.login.bad.example/acct"],
 "request":{"authority":"Metro Police","requested_action":"hold","urgency":"life","urgency_reason":"hostage negotiation","do_not_notify_registrant":true}}`

func TestIntakePriorityAndClocks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		now := f.clock.now()

		r := f.submit(f.le, urgentLE)
		if r.Priority != tldguard.PriorityHigh || len(r.Cases) != 1 {
			t.Fatalf("verified LE with imminent threat: receipt %+v", r)
		}
		c := r.Cases[0]
		if c.Domain != "bad.example" || !c.New || !c.Registered || c.Number != tldguard.CaseNumber(c.ID) {
			t.Errorf("case in receipt: %+v", c)
		}
		if want := now.Add(24 * time.Hour); !c.ResponseDueAt.Equal(want) || !r.ResponseDueAt.Equal(want) {
			t.Errorf("response due %v, want %v", c.ResponseDueAt, want)
		}
		got := caseOf(t, f, c.ID)
		if got.RegistrarID != "9001" || !got.Confidential || got.Priority != tldguard.PriorityHigh || !got.AckedAt.Equal(now) {
			t.Errorf("stored case: %+v", got)
		}

		// The same claim from an unverified account stays standard, says why.
		r2 := f.submit(f.leUnverified, strings.Replace(urgentLE, "phishing", "malware", 1))
		if r2.Priority != tldguard.PriorityStandard || !r2.ResponseDueAt.Equal(now.Add(72*time.Hour)) {
			t.Errorf("unverified LE: priority %s due %v", r2.Priority, r2.ResponseDueAt)
		}
		if len(r2.Notes) == 0 || !strings.Contains(r2.Notes[0], "unverified") {
			t.Errorf("unverified LE: notes %q should explain the standard priority", r2.Notes)
		}
		f.verify()
	})
}

func TestIntakeAttachesToOpenCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		first := f.submit(f.notifier, reportJSON("phishing", "http://bad.example/a"))
		f.clock.add(time.Hour)
		// Two URLs under the same name make one case; a name in the other TLD
		// makes another.
		second := f.submit(f.public, reportJSON("phishing", "BAD.example.", "https://www.bad.example/b", "other.test"))
		if len(second.Cases) != 2 {
			t.Fatalf("want 2 cases (bad.example, other.test), got %+v", second.Cases)
		}
		if second.Cases[0].ID != first.Cases[0].ID || second.Cases[0].New {
			t.Errorf("report on the same name and threat should attach to case %d, got %+v", first.Cases[0].ID, second.Cases[0])
		}
		if !second.Cases[1].New || second.Cases[1].Domain != "other.test" {
			t.Errorf("second case: %+v", second.Cases[1])
		}
		c := caseOf(t, f, first.Cases[0].ID)
		if c.ReportCount != 2 {
			t.Errorf("report count %d, want 2", c.ReportCount)
		}
		// A different threat on the same name is its own case.
		third := f.submit(f.notifier, reportJSON("malware", "bad.example"))
		if third.Cases[0].ID == first.Cases[0].ID {
			t.Error("a malware report attached to the phishing case")
		}

		// A verified authority's urgent report raises the open case and
		// starts the 24h clock from now.
		f.clock.add(time.Hour)
		raised := f.submit(f.le, urgentLE)
		if raised.Cases[0].ID != first.Cases[0].ID || raised.Cases[0].Priority != tldguard.PriorityHigh {
			t.Fatalf("urgent report did not raise case: %+v", raised.Cases[0])
		}
		if want := f.clock.now().Add(24 * time.Hour); !raised.Cases[0].ResponseDueAt.Equal(want) {
			t.Errorf("raised case due %v, want %v", raised.Cases[0].ResponseDueAt, want)
		}
		d, err := f.svc.Case(f.analyst, first.Cases[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Reports) != 3 {
			t.Errorf("case has %d reports, want 3", len(d.Reports))
		}
		var actions []string
		for _, e := range d.Events {
			actions = append(actions, e.Action)
		}
		if want := "case.opened case.report_attached case.report_attached"; strings.Join(actions, " ") != want {
			t.Errorf("case events %q, want %q", actions, want)
		}
		f.verify()
	})
}

func TestIntakeUnregisteredAndOutOfScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r := f.submit(f.notifier, reportJSON("botnet", "qz9v2ml4pa8r.example", "xk7f3q9vzt2m.example"))
		for _, c := range r.Cases {
			if c.Registered {
				t.Errorf("%s is not registered but the case says it is", c.Domain)
			}
		}
		oos := f.submit(f.public, reportJSON("copyright", "shop.example"))
		if oos.Cases[0].ThreatType != tldguard.ThreatOutOfScope || len(oos.Notes) == 0 {
			t.Errorf("out-of-scope report: %+v", oos)
		}
	})
}

func TestIntakeRefusalsStoreNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		before := f.head()
		tests := []struct {
			name  string
			body  string
			kind  string
			field string
		}{
			{"name outside the TLDs", reportJSON("phishing", "bad.example", "evil.com"), tldguard.EUNPROCESSABLE, "names[1]"},
			{"IP address", reportJSON("phishing", "http://192.0.2.7/login"), tldguard.EUNPROCESSABLE, "names[0]"},
			{"the TLD itself", reportJSON("phishing", "example"), tldguard.EUNPROCESSABLE, "names[0]"},
			{"no names", `{"threat_type":"phishing","names":[]}`, tldguard.EINVALID, "names"},
			{"malformed JSON", `{"threat_type":"phishing",`, tldguard.EINVALID, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.SubmitReport(f.notifier, &tldguard.Submission{Raw: []byte(tt.body), ContentType: "application/json"})
				if tldguard.ErrorKind(err) != tt.kind {
					t.Fatalf("error %v, want kind %s", err, tt.kind)
				}
				if tt.field != "" && tldguard.ErrorField(err) != tt.field {
					t.Errorf("error names field %q, want %q (%v)", tldguard.ErrorField(err), tt.field, err)
				}
			})
		}
		// Staff do not submit through the reporter intake.
		if _, err := f.svc.SubmitReport(f.analyst, &tldguard.Submission{Raw: []byte(reportJSON("phishing", "bad.example"))}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("analyst submitting: %v, want forbidden", err)
		}
		if after := f.head(); after.Seq != before.Seq {
			t.Errorf("refused reports wrote %d audit events", after.Seq-before.Seq)
		}
		rs, err := f.svc.Reports(f.analyst, tldguard.ReportFilter{})
		if err != nil || len(rs) != 0 {
			t.Errorf("refused reports stored: %d reports, err %v", len(rs), err)
		}
	})
}

func TestIntakeIdempotency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		sub := func(key, body string) (*tldguard.Receipt, error) {
			return f.svc.SubmitReport(f.notifier, &tldguard.Submission{Raw: []byte(body), ContentType: "application/json", IdempotencyKey: key})
		}
		body := reportJSON("phishing", "bad.example")
		first, err := sub("k-1", body)
		if err != nil {
			t.Fatal(err)
		}
		head := f.head()
		again, err := sub("k-1", body)
		if err != nil {
			t.Fatal(err)
		}
		if again.ReportID != first.ReportID || again.Cases[0].ID != first.Cases[0].ID || !again.ReceivedAt.Equal(first.ReceivedAt) {
			t.Errorf("repeat answered %+v, want the first receipt %+v", again, first)
		}
		if f.head().Seq != head.Seq {
			t.Error("a repeated key wrote audit events")
		}
		if _, err := sub("k-1", reportJSON("malware", "bad.example")); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("same key, different body: %v, want conflict", err)
		}
		// Keys are per reporter: another reporter's k-1 is a new report.
		other, err := f.svc.SubmitReport(f.public, &tldguard.Submission{Raw: []byte(body), IdempotencyKey: "k-1"})
		if err != nil || other.ReportID == first.ReportID {
			t.Errorf("another reporter's key: %+v %v", other, err)
		}

		// Concurrent repeats of one new key: one report, one answer.
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r, err := sub("k-race", reportJSON("pharming", "shop.example"))
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = r.ReportID
			}(i)
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent repeats got different reports: %v", ids)
			}
		}
		f.verify()
	})
}

// TestIntakeConcurrent is group commit under load: many reporters at once,
// several on the same names, end with one case per name and threat, every
// receipt's report stored, and a verifying chain.
func TestIntakeConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		const workers, each = 8, 15
		var wg sync.WaitGroup
		var mu sync.Mutex
		cases := map[string]map[int64]bool{}
		reports := map[int64]bool{}
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					name := fmt.Sprintf("n%d.example", i%5)
					r, err := f.svc.SubmitReport(f.notifier, &tldguard.Submission{Raw: []byte(reportJSON("phishing", name, fmt.Sprintf("https://w%d.n%d.example/%d", w, i%5, i)))})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					reports[r.ReportID] = true
					if cases[name] == nil {
						cases[name] = map[int64]bool{}
					}
					cases[name][r.Cases[0].ID] = true
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		if len(reports) != workers*each {
			t.Errorf("%d distinct reports, want %d", len(reports), workers*each)
		}
		for name, ids := range cases {
			if len(ids) != 1 {
				t.Errorf("%s has %d open cases, want 1", name, len(ids))
			}
		}
		page, err := f.svc.Cases(f.analyst, tldguard.CaseFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range page.Cases {
			total += c.ReportCount
		}
		if len(page.Cases) != 5 || total != workers*each {
			t.Errorf("%d cases holding %d reports, want 5 holding %d", len(page.Cases), total, workers*each)
		}
		f.verify()
	})
}

func TestIntakeEvidenceAndNotice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		body := `{"threat_type":"malware","names":["bad.example/dl/x.exe"],"evidence":[
			{"filename":"shot.png","media_type":"image/png","content_base64":"iVBORw0KGgo="},
			{"url":"https://bad.example/dl/x.exe","description":"the payload"}]}`
		r := f.submit(f.notifier, body)
		d, err := f.svc.Case(f.analyst, r.Cases[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Evidence) != 2 || len(d.Evidence[0].SHA256) != 32 || d.Evidence[0].Size != 8 || d.Evidence[1].URL == "" {
			t.Errorf("evidence: %+v", d.Evidence)
		}
		rep, err := f.svc.Report(f.analyst, r.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if string(rep.Raw) != body {
			t.Error("raw report not kept byte for byte")
		}
		var notices []*tldguard.Notice
		store.Read(f.admin, func(tx tldguard.Tx) error {
			notices, err = tx.ListNotices(tldguard.NoticeQueued, 10)
			return err
		})
		if len(notices) != 1 || notices[0].Kind != tldguard.NoticeAck || notices[0].ReportID != r.ReportID {
			t.Errorf("acknowledgement notice not queued: %+v", notices)
		}
	})
}

func TestReportVisibility(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		mine := f.submit(f.public, reportJSON("phishing", "bad.example"))
		theirs := f.submit(f.notifier, reportJSON("phishing", "shop.example"))
		if _, err := f.svc.Report(f.public, theirs.ReportID); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("reporter reading another's report: %v, want not found", err)
		}
		if _, err := f.svc.Report(f.public, mine.ReportID); err != nil {
			t.Errorf("reporter reading its own report: %v", err)
		}
		if _, err := f.svc.Case(f.public, theirs.Cases[0].ID); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("reporter reading another's case: %v, want not found", err)
		}
		d, err := f.svc.Case(f.public, mine.Cases[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 0 {
			t.Error("a reporter sees the operator's event log")
		}
		page, err := f.svc.Cases(f.public, tldguard.CaseFilter{})
		if err != nil || len(page.Cases) != 1 || page.Cases[0].ID != mine.Cases[0].ID {
			t.Errorf("reporter's queue: %+v %v", page, err)
		}
		list, err := f.svc.Reports(f.public, tldguard.ReportFilter{})
		if err != nil || len(list) != 1 {
			t.Errorf("reporter's reports: %d %v", len(list), err)
		}
	})
}
