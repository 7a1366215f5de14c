package sqlite

import (
	"github.com/tldguard/tldguard"
)

// PutBlocked inserts b or replaces the entry for its name. ENOTFOUND when
// its action or case is missing (0 stands for none).
func (t *tx) PutBlocked(b *tldguard.Blocked) error {
	_, err := t.exec(`INSERT INTO blocked (name, action_id, case_id, reason, blocked_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET action_id = excluded.action_id, case_id = excluded.case_id,
			reason = excluded.reason, blocked_at = excluded.blocked_at`,
		b.Name, nullID(b.ActionID), nullID(b.CaseID), b.Reason, micros(b.BlockedAt))
	return dbError(err, "blocked name")
}

// BlockedName returns the entry for name; ENOTFOUND when it is not blocked.
func (t *tx) BlockedName(name string) (*tldguard.Blocked, error) {
	b := new(tldguard.Blocked)
	err := t.queryRow(`SELECT name, action_id, case_id, reason, blocked_at FROM blocked WHERE name = ?`, name).Scan(
		&b.Name, idCol{&b.ActionID}, idCol{&b.CaseID}, &b.Reason, timeCol{&b.BlockedAt})
	if err != nil {
		return nil, dbError(err, "blocked name")
	}
	return b, nil
}

// DeleteBlocked lets name be registered again; ENOTFOUND when it is not
// blocked.
func (t *tx) DeleteBlocked(name string) error {
	return t.update("blocked name", `DELETE FROM blocked WHERE name = ?`, name)
}
