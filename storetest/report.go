package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var reportTests = []test{
	{"InsertAndGet", testReportInsertAndGet},
	{"WithoutRequest", testReportWithoutRequest},
	{"NotFound", testReportNotFound},
	{"EvidenceAndCases", testReportEvidenceAndCases},
	{"List", testReportList},
}

// allBytes is a raw report that is not UTF-8: stores keep it byte for byte.
func allBytes() []byte {
	b := []byte("From: cert@police.example\r\n\r\n")
	for i := range 256 {
		b = append(b, byte(i))
	}
	return append(b, 0, 0, '\r', '\n')
}

func testReportInsertAndGet(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("police", tldguard.SourceLawEnforcement))
	r := newReport(rep.ID, "login-bank.example", "paypa1.example", "login-bank.example")
	r.Targets[1].Input = "https://paypa1.example/sign in?x=1"
	r.Targets[1].URL = "https://paypa1.example/sign%20in?x=1"
	r.Source = tldguard.SourceLawEnforcement
	r.Format = "arf"
	r.ThreatType = tldguard.ThreatOutOfScope
	r.Category = "copyright"
	r.Raw = allBytes()
	r.RawSHA256 = sum(r.Raw)
	r.ContentType = "message/rfc822"
	r.IdempotencyKey = "5f0c6a1e-idem"
	r.Request = &tldguard.AuthorityRequest{
		Authority: "National Police", Jurisdiction: "EX", LegalBasis: "Art. 12 Cybercrime Act",
		Reference: "NP-2025-0042", Contact: "+1.5555550199", RequestedAction: "hold",
		Urgency: tldguard.UrgencyLife, UrgencyReason: "ransom threat", DoNotNotifyRegistrant: true, DoNotNotifyRegistrar: true,
	}
	mustInsertReport(t, s, r)
	if r.ID <= 0 {
		t.Fatalf("InsertReport set id %d", r.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ReportByID(r.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "ReportByID", got, r)
		return nil
	})
}

func testReportWithoutRequest(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("public", tldguard.SourcePublic))
	r := mustInsertReport(t, s, newReport(rep.ID, "a.example"))
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ReportByID(r.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "ReportByID", got, r)
		if got.Request != nil {
			t.Errorf("Request = %+v, want nil", got.Request)
		}
		return nil
	})
}

func testReportNotFound(t *testing.T, s tldguard.Store) {
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.ReportByID(7)
		wantKind(t, "ReportByID", err, tldguard.ENOTFOUND)
		return nil
	})
}

func newEvidence(reportID int64, content []byte) *tldguard.Evidence {
	e := &tldguard.Evidence{ReportID: reportID, MediaType: "image/png", Filename: "screenshot.png", Description: "the login form"}
	if content != nil {
		e.SHA256, e.Size = sum(content), int64(len(content))
	}
	return e
}

// testReportEvidenceAndCases: CaseIDs lists the cases the report is filed
// on, each once, in the order of the first target filed on it.
func testReportEvidenceAndCases(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("notifier", tldguard.SourceTrustedNotifier))
	c1 := mustInsertCase(t, s, newCase("b.example", tldguard.ThreatPhishing))
	c2 := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	r := newReport(rep.ID, "a.example", "b.example", "www.a.example", "other.example")
	mustInsertReport(t, s, r, c2.ID, c1.ID, c2.ID)

	png := allBytes()
	e1 := newEvidence(r.ID, png)
	e2 := &tldguard.Evidence{ReportID: r.ID, URL: "https://a.example/login", Description: "still up at 12:00"}
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.InsertEvidence(e1, png); err != nil {
			return err
		}
		return tx.InsertEvidence(e2, nil)
	})
	if e1.ID <= 0 || e2.ID <= 0 || e1.ID == e2.ID {
		t.Fatalf("InsertEvidence set ids %d and %d", e1.ID, e2.ID)
	}
	want := *r
	want.Evidence = []tldguard.Evidence{*e1, *e2}
	want.CaseIDs = []int64{c2.ID, c1.ID}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.ReportByID(r.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "ReportByID with evidence and cases", got, &want)
		return nil
	})
}

func testReportList(t *testing.T, s tldguard.Store) {
	a := mustCreateReporter(t, s, newReporter("a", tldguard.SourceTrustedNotifier))
	b := mustCreateReporter(t, s, newReporter("b", tldguard.SourcePublic))
	c := mustInsertCase(t, s, newCase("listed.example", tldguard.ThreatMalware))
	var all []*tldguard.Report // oldest first
	for i := range 9 {
		who := a
		if i%3 == 2 {
			who = b
		}
		r := newReport(who.ID, "listed.example", "x.example")
		r.ReceivedAt = at(i)
		var link []int64
		if i%2 == 0 {
			link = []int64{c.ID, c.ID}
		}
		mustInsertReport(t, s, r, link...)
		write(t, s, func(tx tldguard.Tx) error { return tx.InsertEvidence(newEvidence(r.ID, nil), nil) })
		all = append(all, r)
	}
	// What ListReports must return: ReportByID's answer without Raw, newest first.
	var full []*tldguard.Report
	read(t, s, func(tx tldguard.Tx) error {
		for i := len(all) - 1; i >= 0; i-- {
			r, err := tx.ReportByID(all[i].ID)
			if err != nil {
				return err
			}
			r.Raw = nil
			full = append(full, r)
		}
		return nil
	})
	filter := func(keep func(*tldguard.Report) bool) []*tldguard.Report {
		var out []*tldguard.Report
		for _, r := range full {
			if keep(r) {
				out = append(out, r)
			}
		}
		return out
	}
	cases := []struct {
		name string
		f    tldguard.ReportFilter
		want []*tldguard.Report
	}{
		{"all", tldguard.ReportFilter{Limit: 100}, full},
		{"no limit", tldguard.ReportFilter{}, full},
		{"negative limit", tldguard.ReportFilter{Limit: -1}, full},
		{"limit", tldguard.ReportFilter{Limit: 4}, full[:4]},
		{"reporter", tldguard.ReportFilter{ReporterID: b.ID, Limit: 100}, filter(func(r *tldguard.Report) bool { return r.ReporterID == b.ID })},
		{"case", tldguard.ReportFilter{CaseID: c.ID, Limit: 100}, filter(func(r *tldguard.Report) bool { return len(r.CaseIDs) > 0 })},
		{"case and reporter", tldguard.ReportFilter{CaseID: c.ID, ReporterID: a.ID, Limit: 100},
			filter(func(r *tldguard.Report) bool { return len(r.CaseIDs) > 0 && r.ReporterID == a.ID })},
		{"before", tldguard.ReportFilter{BeforeID: all[5].ID, Limit: 100}, full[4:]},
		{"other case", tldguard.ReportFilter{CaseID: c.ID + 1, Limit: 100}, nil},
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, tc := range cases {
			got, err := tx.ListReports(tc.f)
			if err != nil {
				return err
			}
			for _, r := range got {
				if len(r.Raw) != 0 {
					t.Errorf("ListReports %s: report %d has Raw", tc.name, r.ID)
				}
			}
			wantEqual(t, "ListReports "+tc.name, got, tc.want)
		}
		// Keyset pages of 2 walk the whole list without gaps or repeats.
		var walked []*tldguard.Report
		f := tldguard.ReportFilter{Limit: 2}
		for range len(full) + 1 {
			page, err := tx.ListReports(f)
			if err != nil {
				return err
			}
			walked = append(walked, page...)
			if len(page) < f.Limit {
				break
			}
			f.BeforeID = page[len(page)-1].ID
		}
		wantEqual(t, "ListReports pages", walked, full)
		return nil
	})
}
