package postgres

import (
	"github.com/tldguard/tldguard"
)

// PutBlocked inserts b or replaces the entry for its name. ENOTFOUND when
// its action or case is missing (0 stands for none); that aborts the
// transaction, so callers check first.
func (t *tx) PutBlocked(b *tldguard.Blocked) error {
	_, err := t.exec("blocked name", `
		INSERT INTO blocked (name, action_id, case_id, reason, blocked_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET action_id = excluded.action_id, case_id = excluded.case_id,
			reason = excluded.reason, blocked_at = excluded.blocked_at`,
		b.Name, nullID(b.ActionID), nullID(b.CaseID), b.Reason, ts(b.BlockedAt))
	return err
}

// BlockedName returns the entry for name; ENOTFOUND when it is not blocked.
func (t *tx) BlockedName(name string) (*tldguard.Blocked, error) {
	b := new(tldguard.Blocked)
	err := t.tx.QueryRow(t.ctx, `
		SELECT name, coalesce(action_id, 0), coalesce(case_id, 0), reason, blocked_at FROM blocked WHERE name = $1`,
		name).Scan(&b.Name, &b.ActionID, &b.CaseID, &b.Reason, scanTime(&b.BlockedAt))
	if err != nil {
		return nil, t.fail(err, "blocked name")
	}
	return b, nil
}

// DeleteBlocked lets name be registered again; ENOTFOUND when it is not
// blocked.
func (t *tx) DeleteBlocked(name string) error {
	tag, err := t.exec("blocked name", `DELETE FROM blocked WHERE name = $1`, name)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("blocked name")
	}
	return err
}
