package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var evidenceTests = []test{
	{"ContentOncePerSHA256", testEvidenceContent},
	{"ByCase", testEvidenceByCase},
}

func testEvidenceContent(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("notifier", tldguard.SourceTrustedNotifier))
	r1 := mustInsertReport(t, s, newReport(rep.ID, "a.example"))
	r2 := mustInsertReport(t, s, newReport(rep.ID, "b.example"))
	shot := allBytes()
	other := []byte("<html>phish</html>")
	e1, e2, e3 := newEvidence(r1.ID, shot), newEvidence(r2.ID, shot), newEvidence(r2.ID, other)
	e3.MediaType, e3.Filename = "text/html", "page.html"
	// The same content under two items (in two transactions) is no conflict.
	write(t, s, func(tx tldguard.Tx) error { return tx.InsertEvidence(e1, shot) })
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.InsertEvidence(e2, shot); err != nil {
			return err
		}
		return tx.InsertEvidence(e3, other)
	})
	if e1.ID == e2.ID || e2.ID == e3.ID {
		t.Errorf("InsertEvidence set ids %d, %d, %d", e1.ID, e2.ID, e3.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.EvidenceContent(sum(shot))
		if err != nil {
			return err
		}
		wantEqual(t, "EvidenceContent", got, shot)
		if got, err = tx.EvidenceContent(sum(other)); err != nil {
			return err
		}
		wantEqual(t, "EvidenceContent", got, other)
		_, err = tx.EvidenceContent(sum([]byte("never stored")))
		wantKind(t, "EvidenceContent of unknown content", err, tldguard.ENOTFOUND)

		rr, err := tx.ReportByID(r2.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "report evidence", rr.Evidence, []tldguard.Evidence{*e2, *e3})
		return nil
	})
}

// testEvidenceByCase: a case's evidence is that of the reports filed on
// it, each item once, oldest first.
func testEvidenceByCase(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("notifier", tldguard.SourceTrustedNotifier))
	ca := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	cb := mustInsertCase(t, s, newCase("b.example", tldguard.ThreatPhishing))
	cc := mustInsertCase(t, s, newCase("c.example", tldguard.ThreatPhishing))
	r1 := mustInsertReport(t, s, newReport(rep.ID, "a.example"), ca.ID)
	r2 := mustInsertReport(t, s, newReport(rep.ID, "a.example", "www.a.example", "b.example"), ca.ID, ca.ID, cb.ID)
	r3 := mustInsertReport(t, s, newReport(rep.ID, "b.example"), cb.ID)
	var e [4]*tldguard.Evidence
	write(t, s, func(tx tldguard.Tx) error {
		for i, rid := range []int64{r1.ID, r2.ID, r2.ID, r3.ID} {
			content := []byte{byte(i), 0xff}
			e[i] = newEvidence(rid, content)
			if err := tx.InsertEvidence(e[i], content); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx tldguard.Tx) error {
		for _, tc := range []struct {
			id   int64
			want []tldguard.Evidence
		}{
			{ca.ID, []tldguard.Evidence{*e[0], *e[1], *e[2]}},
			{cb.ID, []tldguard.Evidence{*e[1], *e[2], *e[3]}},
			{cc.ID, nil},
		} {
			got, err := tx.EvidenceByCase(tc.id)
			if err != nil {
				return err
			}
			wantEqual(t, "EvidenceByCase", got, tc.want)
		}
		return nil
	})
}
