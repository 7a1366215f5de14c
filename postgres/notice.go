package postgres

import (
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// QueueNotice stores n and sets n.ID; a notice without a status is queued.
func (t *tx) QueueNotice(n *tldguard.Notice) error {
	if n.Status == "" {
		t.onUndo(func() { n.Status = "" })
		n.Status = tldguard.NoticeQueued
	}
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO notices (kind, status, reporter_id, report_id, case_id, to_addr, in_reply_to,
			created_at, sent_at, attempts, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		n.Kind, n.Status, nullID(n.ReporterID), nullID(n.ReportID), nullID(n.CaseID), n.To, n.InReplyTo,
		ts(n.CreatedAt), ts(n.SentAt), n.Attempts, n.LastError).Scan(&id)
	if err != nil {
		return t.fail(err, "notice")
	}
	t.setID(&n.ID, id)
	return nil
}

const noticeColumns = `id, kind, status, coalesce(reporter_id, 0), coalesce(report_id, 0), coalesce(case_id, 0),
	to_addr, in_reply_to, created_at, sent_at, attempts, last_error`

func scanNotice(r pgx.Row) (*tldguard.Notice, error) {
	n := new(tldguard.Notice)
	err := r.Scan(&n.ID, &n.Kind, &n.Status, &n.ReporterID, &n.ReportID, &n.CaseID,
		&n.To, &n.InReplyTo, scanTime(&n.CreatedAt), scanTime(&n.SentAt), &n.Attempts, &n.LastError)
	return n, err
}

// ListNotices returns notices with the status ("" for any), oldest first,
// up to limit (none for limit <= 0).
func (t *tx) ListNotices(status tldguard.NoticeStatus, limit int) ([]*tldguard.Notice, error) {
	q := `SELECT ` + noticeColumns + ` FROM notices`
	var args []any
	if status != "" {
		args = append(args, string(status))
		q += " WHERE status = $1"
	}
	q += " ORDER BY id"
	if limit > 0 {
		args = append(args, limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	ns, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Notice, error) { return scanNotice(r) })
	return emptyNil(ns), t.fail(err, "notice")
}

// NoticeByID returns notice id, or ENOTFOUND.
func (t *tx) NoticeByID(id int64) (*tldguard.Notice, error) {
	n, err := scanNotice(t.tx.QueryRow(t.ctx, `SELECT `+noticeColumns+` FROM notices WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "notice")
	}
	return n, nil
}

// UpdateNotice writes n's delivery state: Status, SentAt, Attempts and
// LastError. ENOTFOUND when there is no notice n.ID.
func (t *tx) UpdateNotice(n *tldguard.Notice) error {
	tag, err := t.exec("notice", `UPDATE notices SET status = $2, sent_at = $3, attempts = $4, last_error = $5
		WHERE id = $1`, n.ID, n.Status, ts(n.SentAt), n.Attempts, n.LastError)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("notice")
	}
	return err
}
