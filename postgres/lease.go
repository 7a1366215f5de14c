package postgres

import (
	"time"
)

// AcquireLease takes the named lease for holder until the given time if it
// is free, expired at now (its end is not after now), or already held by
// holder, and reports whether it did. The test and the take are one
// statement: INSERT ... ON CONFLICT DO UPDATE locks the lease's row and
// evaluates its WHERE on the newest committed version, so of several nodes
// racing for a lease exactly one takes it, and the losers get false, not an
// error, with their transactions still usable. A lease stored without an end
// (a zero until) counts as expired.
func (t *tx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	tag, err := t.exec("lease", `
		INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until IS NULL OR leases.until <= $4`,
		name, holder, ts(until), ts(now))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives the named lease up if holder holds it; otherwise
// (another holder, or no lease) it does nothing and returns nil.
func (t *tx) ReleaseLease(name, holder string) error {
	_, err := t.exec("lease", `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}
