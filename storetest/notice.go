package storetest

import (
	"testing"

	"github.com/tldguard/tldguard"
)

var idempotencyTests = []test{
	{"PutAndGet", testIdempotency},
}

func testIdempotency(t *testing.T, s tldguard.Store) {
	a := mustCreateReporter(t, s, newReporter("a", tldguard.SourceTrustedNotifier))
	b := mustCreateReporter(t, s, newReporter("b", tldguard.SourcePublic))
	rec := &tldguard.IdempotencyRecord{
		ReporterID: a.ID, Key: "4c1f9a7e-key", RequestSHA256: sum([]byte("body")),
		Status: 201, Response: []byte(`{"report_id":17}` + "\x00\xff"), CreatedAt: at(3),
	}
	write(t, s, func(tx tldguard.Tx) error { return tx.PutIdempotent(rec) })
	again := *rec
	again.Status = 500
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.PutIdempotent(&again) })
	wantKind(t, "PutIdempotent of a taken key", err, tldguard.ECONFLICT)
	// Keys are per reporter.
	other := *rec
	other.ReporterID = b.ID
	other.Status = 200
	write(t, s, func(tx tldguard.Tx) error { return tx.PutIdempotent(&other) })

	read(t, s, func(tx tldguard.Tx) error {
		got, err := tx.Idempotent(a.ID, rec.Key)
		if err != nil {
			return err
		}
		wantEqual(t, "Idempotent", got, rec)
		if got, err = tx.Idempotent(b.ID, rec.Key); err != nil {
			return err
		}
		wantEqual(t, "Idempotent of another reporter", got, &other)
		_, err = tx.Idempotent(a.ID, "unknown")
		wantKind(t, "Idempotent of an unknown key", err, tldguard.ENOTFOUND)
		return nil
	})
}

var noticeTests = []test{
	{"QueueAndList", testNotices},
}

// testNotices: ListNotices gives the oldest first, the order an outbox is
// worked in.
func testNotices(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("a", tldguard.SourceTrustedNotifier))
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	r := mustInsertReport(t, s, newReport(rep.ID, "a.example"), c.ID)
	mk := func(status tldguard.NoticeStatus, i int) *tldguard.Notice {
		return &tldguard.Notice{
			Kind: tldguard.NoticeAck, Status: status, ReporterID: rep.ID, ReportID: r.ID, CaseID: c.ID,
			To: rep.Email, CreatedAt: at(i),
		}
	}
	q1, q2, q3 := mk(tldguard.NoticeQueued, 1), mk(tldguard.NoticeQueued, 2), mk(tldguard.NoticeQueued, 3)
	q2.CaseID, q2.To = 0, ""
	sent := mk(tldguard.NoticeSent, 0)
	sent.SentAt, sent.Attempts = at(1), 1
	failed := mk(tldguard.NoticeFailed, 4)
	failed.Attempts, failed.LastError = 5, "550 5.1.1 mailbox unavailable"
	write(t, s, func(tx tldguard.Tx) error {
		for _, n := range []*tldguard.Notice{q1, sent, q2, failed, q3} {
			if err := tx.QueueNotice(n); err != nil {
				return err
			}
		}
		return nil
	})
	if q1.ID <= 0 || q1.ID == q2.ID {
		t.Fatalf("QueueNotice set ids %d and %d", q1.ID, q2.ID)
	}
	read(t, s, func(tx tldguard.Tx) error {
		for _, tc := range []struct {
			status tldguard.NoticeStatus
			limit  int
			want   []*tldguard.Notice
		}{
			{tldguard.NoticeQueued, 10, []*tldguard.Notice{q1, q2, q3}},
			{tldguard.NoticeQueued, 2, []*tldguard.Notice{q1, q2}},
			{tldguard.NoticeQueued, 0, []*tldguard.Notice{q1, q2, q3}},
			{tldguard.NoticeSent, 10, []*tldguard.Notice{sent}},
			{tldguard.NoticeFailed, 10, []*tldguard.Notice{failed}},
		} {
			got, err := tx.ListNotices(tc.status, tc.limit)
			if err != nil {
				return err
			}
			wantEqual(t, "ListNotices "+string(tc.status), got, tc.want)
		}
		return nil
	})
}
