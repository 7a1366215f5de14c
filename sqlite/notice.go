package sqlite

import (
	"github.com/tldguard/tldguard"
)

// QueueNotice stores n as given and sets n.ID.
func (t *tx) QueueNotice(n *tldguard.Notice) error {
	id, err := t.insert("notice", `INSERT INTO notices (kind, status, reporter_id, report_id, case_id, to_addr,
			in_reply_to, created_at, sent_at, attempts, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Kind, n.Status, nullID(n.ReporterID), nullID(n.ReportID), nullID(n.CaseID), n.To, n.InReplyTo,
		micros(n.CreatedAt), micros(n.SentAt), n.Attempts, n.LastError)
	if err != nil {
		return err
	}
	n.ID = id
	return nil
}

const noticeColumns = `id, kind, status, reporter_id, report_id, case_id, to_addr, in_reply_to,
	created_at, sent_at, attempts, last_error`

func scanNotice(row interface{ Scan(...any) error }) (*tldguard.Notice, error) {
	n := new(tldguard.Notice)
	err := row.Scan(&n.ID, &n.Kind, &n.Status, idCol{&n.ReporterID}, idCol{&n.ReportID}, idCol{&n.CaseID}, &n.To,
		&n.InReplyTo, timeCol{&n.CreatedAt}, timeCol{&n.SentAt}, &n.Attempts, &n.LastError)
	return n, err
}

// ListNotices returns up to limit notices with the status (any status for
// ""), oldest first: the order an outbox is worked in.
func (t *tx) ListNotices(status tldguard.NoticeStatus, limitN int) ([]*tldguard.Notice, error) {
	rows, err := t.query(`SELECT `+noticeColumns+`
		FROM notices WHERE ? = '' OR status = ? ORDER BY id LIMIT ?`, status, status, limit(limitN))
	if err != nil {
		return nil, dbError(err, "notices")
	}
	defer rows.Close()
	var out []*tldguard.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, dbError(err, "notice")
		}
		out = append(out, n)
	}
	return out, dbError(rows.Err(), "notices")
}

// NoticeByID returns notice id, or ENOTFOUND.
func (t *tx) NoticeByID(id int64) (*tldguard.Notice, error) {
	n, err := scanNotice(t.queryRow(`SELECT `+noticeColumns+` FROM notices WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(err, "notice")
	}
	return n, nil
}

// UpdateNotice writes n's delivery state: Status, SentAt, Attempts and
// LastError. ENOTFOUND when there is no notice n.ID.
func (t *tx) UpdateNotice(n *tldguard.Notice) error {
	return t.update("notice", `UPDATE notices SET status = ?, sent_at = ?, attempts = ?, last_error = ? WHERE id = ?`,
		n.Status, micros(n.SentAt), n.Attempts, n.LastError, n.ID)
}
