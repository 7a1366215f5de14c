package sqlite

import (
	"time"
)

// AcquireLease takes the named lease for holder until the given time if it
// is free, expired at now (its end is not after now), or already held by
// holder, and reports whether it did. One statement does the test and the
// take, inside the writer's IMMEDIATE transaction: no other process can
// take the lease in between.
func (t *tx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.until <= ? OR leases.holder = excluded.holder`,
		name, holder, micros(until), micros(now))
	if err != nil {
		return false, dbError(err, "lease")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(err, "lease")
	}
	return n == 1, nil
}

// ReleaseLease gives the named lease up if holder holds it; otherwise
// (another holder, or no lease) it does nothing and returns nil.
func (t *tx) ReleaseLease(name, holder string) error {
	_, err := t.exec("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
	return dbError(err, "lease")
}
