package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var referenceTests = []test{
	{"MissingRowIsNotFound", testMissingReferences},
}

// missingID is an id no test stores.
const missingID = 1 << 40

// testMissingReferences: a new row that refers to a missing one is
// ENOTFOUND ("a missing row that a new one refers to"), and nothing of the
// failed Write is stored.
func testMissingReferences(t *testing.T, s tldguard.Store) {
	u := newUser(1)
	write(t, s, func(tx tldguard.Tx) error { return tx.CreateUser(u) })
	rep := mustCreateReporter(t, s, newReporter("notifier", tldguard.SourceTrustedNotifier))
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	r := mustInsertReport(t, s, newReport(rep.ID, "a.example"))
	content := []byte("orphan evidence")
	for _, tc := range []struct {
		name string
		fn   func(tx tldguard.Tx) error
	}{
		{"CreateToken for a missing user", func(tx tldguard.Tx) error {
			return tx.CreateToken(&tldguard.Token{Hash: sum([]byte("t1")), UserID: missingID, CreatedAt: at(0)})
		}},
		{"CreateToken for a missing reporter", func(tx tldguard.Tx) error {
			return tx.CreateToken(&tldguard.Token{Hash: sum([]byte("t2")), ReporterID: missingID, CreatedAt: at(0)})
		}},
		{"CreateSession for a missing user", func(tx tldguard.Tx) error {
			return tx.CreateSession(&tldguard.Session{Hash: sum([]byte("s")), UserID: missingID, CreatedAt: at(0), ExpiresAt: at(1)})
		}},
		{"InsertReport from a missing reporter", func(tx tldguard.Tx) error {
			return tx.InsertReport(newReport(missingID, "a.example"))
		}},
		{"LinkReportCase to a missing case", func(tx tldguard.Tx) error { return tx.LinkReportCase(r.ID, missingID, 0) }},
		{"LinkReportCase of a missing report", func(tx tldguard.Tx) error { return tx.LinkReportCase(missingID, c.ID, 0) }},
		{"InsertEvidence for a missing report", func(tx tldguard.Tx) error {
			return tx.InsertEvidence(newEvidence(missingID, content), content)
		}},
		{"QueueNotice for a missing case", func(tx tldguard.Tx) error {
			return tx.QueueNotice(&tldguard.Notice{Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued,
				ReporterID: rep.ID, ReportID: r.ID, CaseID: missingID, CreatedAt: at(0)})
		}},
	} {
		wantKind(t, tc.name, s.Write(t.Context(), tc.fn), tldguard.ENOTFOUND)
	}
	read(t, s, func(tx tldguard.Tx) error {
		_, err := tx.EvidenceContent(sum(content))
		wantKind(t, "EvidenceContent of a failed Write", err, tldguard.ENOTFOUND)
		got, err := tx.ReportByID(r.ID)
		if err != nil {
			return err
		}
		if len(got.CaseIDs) != 0 {
			t.Errorf("a failed LinkReportCase left case ids %v", got.CaseIDs)
		}
		ns, err := tx.ListNotices(tldguard.NoticeQueued, 0)
		if len(ns) != 0 {
			t.Errorf("a failed QueueNotice left %d notices", len(ns))
		}
		return err
	})
}
