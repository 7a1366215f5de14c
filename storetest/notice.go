package storetest

import (
	"testing"
	"time"

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
	{"Update", testNoticeUpdate},
}

// testNotices: ListNotices gives the oldest first, the order an outbox is
// worked in; NoticeByID gives one, every field round-tripped.
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
	q3.InReplyTo = "<CAF=7x+Qm9@mail.police.example>"
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
			{"", 0, []*tldguard.Notice{q1, sent, q2, failed, q3}},
			{"", 3, []*tldguard.Notice{q1, sent, q2}},
		} {
			got, err := tx.ListNotices(tc.status, tc.limit)
			if err != nil {
				return err
			}
			wantEqual(t, "ListNotices "+string(tc.status), got, tc.want)
		}
		for _, want := range []*tldguard.Notice{failed, q2, q3} {
			got, err := tx.NoticeByID(want.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "NoticeByID", got, want)
		}
		_, err := tx.NoticeByID(q3.ID + 1000)
		wantKind(t, "NoticeByID of no notice", err, tldguard.ENOTFOUND)
		return nil
	})
}

// testNoticeUpdate: UpdateNotice writes Status, SentAt, Attempts and
// LastError, and nothing else; InReplyTo round-trips.
func testNoticeUpdate(t *testing.T, s tldguard.Store) {
	rep := mustCreateReporter(t, s, newReporter("a", tldguard.SourceTrustedNotifier))
	c := mustInsertCase(t, s, newCase("a.example", tldguard.ThreatPhishing))
	r := mustInsertReport(t, s, newReport(rep.ID, "a.example"), c.ID)
	n := &tldguard.Notice{
		Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued, ReporterID: rep.ID, ReportID: r.ID, CaseID: c.ID,
		To: rep.Email, InReplyTo: "<20250601120000.4711@mx.reporter.example>", CreatedAt: at(0),
	}
	other := &tldguard.Notice{Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued, ReporterID: rep.ID,
		To: rep.Email, CreatedAt: at(1)}
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.QueueNotice(n); err != nil {
			return err
		}
		return tx.QueueNotice(other)
	})
	check := func(what string, want ...*tldguard.Notice) {
		t.Helper()
		read(t, s, func(tx tldguard.Tx) error {
			got, err := tx.ListNotices("", 0)
			if err != nil {
				return err
			}
			wantEqual(t, what, got, want)
			return nil
		})
	}
	check("notices as queued", n, other)

	// A failed attempt, then delivery.
	upd := *n
	upd.Status, upd.Attempts, upd.LastError = tldguard.NoticeQueued, 1, "421 4.7.0 try again later"
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateNotice(&upd) })
	check("notice after a failed attempt", &upd, other)
	upd.Status, upd.SentAt, upd.Attempts, upd.LastError = tldguard.NoticeSent, at(9), 2, ""
	// Not written: what the notice is and where it goes.
	changed := upd
	changed.Kind, changed.ReporterID, changed.ReportID, changed.CaseID = "other", 0, 0, 0
	changed.To, changed.InReplyTo, changed.CreatedAt = "x@elsewhere.example", "", at(50)
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateNotice(&changed) })
	check("notice after delivery", &upd, other)

	// Back to queued: the sent time goes back to zero.
	upd.Status, upd.SentAt = tldguard.NoticeQueued, time.Time{}
	write(t, s, func(tx tldguard.Tx) error { return tx.UpdateNotice(&upd) })
	check("notice requeued", &upd, other)

	missing := *n
	missing.ID = other.ID + 100
	err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.UpdateNotice(&missing) })
	wantKind(t, "UpdateNotice of a missing notice", err, tldguard.ENOTFOUND)
}
