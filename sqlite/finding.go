package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

const findingColumns = `id, domain, tld, feed, threat_type, urls, compromised, case_id, first_seen, last_seen,
	last_run_id, delisted_at`

func scanFinding(row interface{ Scan(...any) error }) (*tldguard.Finding, error) {
	f := new(tldguard.Finding)
	err := row.Scan(&f.ID, &f.Domain, &f.TLD, &f.Feed, &f.ThreatType, listCol{&f.URLs}, &f.Compromised,
		idCol{&f.CaseID}, timeCol{&f.FirstSeen}, timeCol{&f.LastSeen}, idCol{&f.LastRunID}, timeCol{&f.DelistedAt})
	return f, err
}

// findingError is dbError for a write of a finding, whose only unique
// clash is findings_one_active.
func findingError(err error) error {
	err = dbError(err, "finding")
	if e, ok := err.(*tldguard.Error); ok && e.Kind == tldguard.ECONFLICT {
		e.Message = "an active finding for this name, feed and threat exists"
	}
	return err
}

// ActiveFinding returns the finding for (domain, feed, threat) that is not
// delisted, or ENOTFOUND. The literal 0 lets SQLite use findings_one_active.
func (t *tx) ActiveFinding(domain, feed string, threat tldguard.ThreatType) (*tldguard.Finding, error) {
	f, err := scanFinding(t.queryRow("SELECT "+findingColumns+` FROM findings
		WHERE domain = ? AND feed = ? AND threat_type = ? AND delisted_at = 0`, domain, feed, threat))
	if err != nil {
		return nil, dbError(err, "active finding")
	}
	return f, nil
}

// ActiveFindingsOn returns the active findings on any of domains. The
// list travels as one JSON parameter, so the statement is the same for
// any number of names (and stays prepared).
func (t *tx) ActiveFindingsOn(domains []string) ([]*tldguard.Finding, error) {
	if len(domains) == 0 {
		return nil, nil
	}
	return collectFindings(t.query("SELECT "+findingColumns+` FROM findings
		WHERE domain IN (SELECT value FROM json_each(?)) AND delisted_at = 0`, jsonList(domains)))
}

// SeeFindings sets last_seen and last_run_id on the findings ids.
func (t *tx) SeeFindings(ids []int64, runID int64, at time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return 0, tldguard.Internal(err, "SeeFindings")
	}
	res, err := t.exec(`UPDATE findings SET last_seen = ?, last_run_id = ?
		WHERE id IN (SELECT value FROM json_each(?))`, micros(at), nullID(runID), string(b))
	if err != nil {
		return 0, findingError(err)
	}
	n, err := res.RowsAffected()
	return n, dbError(err, "findings")
}

// InsertFinding stores f and sets f.ID. ECONFLICT when f is active and an
// active finding for its (domain, feed, threat) is stored; ENOTFOUND when
// its case or run is missing.
func (t *tx) InsertFinding(f *tldguard.Finding) error {
	res, err := t.exec(`INSERT INTO findings (domain, tld, feed, threat_type, urls, compromised,
			case_id, first_seen, last_seen, last_run_id, delisted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.Domain, f.TLD, f.Feed, f.ThreatType, jsonList(f.URLs), f.Compromised, nullID(f.CaseID),
		micros(f.FirstSeen), micros(f.LastSeen), nullID(f.LastRunID), micros(f.DelistedAt))
	if err != nil {
		return findingError(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "finding")
	}
	f.ID = id
	return nil
}

// UpdateFinding writes URLs, Compromised, CaseID, LastSeen, LastRunID and
// DelistedAt. ENOTFOUND when there is no finding f.ID (or its case or run is
// missing); ECONFLICT when clearing DelistedAt would make a second active
// finding for its (domain, feed, threat).
func (t *tx) UpdateFinding(f *tldguard.Finding) error {
	res, err := t.exec(`UPDATE findings SET urls = ?, compromised = ?, case_id = ?, last_seen = ?,
			last_run_id = ?, delisted_at = ?
		WHERE id = ?`,
		jsonList(f.URLs), f.Compromised, nullID(f.CaseID), micros(f.LastSeen), nullID(f.LastRunID),
		micros(f.DelistedAt), f.ID)
	if err != nil {
		return findingError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, "finding")
	}
	if n == 0 {
		return notFound("finding")
	}
	return nil
}

// DelistFindings marks every active finding of feed whose last run is not
// runID as delisted at the given time and returns how many it marked. A
// zero time would mark nothing (zero is "still listed"): it is a caller's
// bug, EINTERNAL.
func (t *tx) DelistFindings(feed string, runID int64, at time.Time) (int64, error) {
	if at.IsZero() {
		return 0, tldguard.Internal(errors.New("the delisting time is zero"), "DelistFindings")
	}
	res, err := t.exec(`UPDATE findings SET delisted_at = ?
		WHERE feed = ? AND delisted_at = 0 AND last_run_id IS NOT ?`, micros(at), feed, nullID(runID))
	if err != nil {
		return 0, dbError(err, "findings")
	}
	n, err := res.RowsAffected()
	return n, dbError(err, "findings")
}

// ListFindings returns up to f.Limit findings (all when it is not positive)
// newest first, by id, below f.BeforeID when that is set.
func (t *tx) ListFindings(f tldguard.FindingFilter) ([]*tldguard.Finding, error) {
	var where []string
	var args []any
	add := func(cond string, a any) { where, args = append(where, cond), append(args, a) }
	if f.Domain != "" {
		add("domain = ?", f.Domain)
	}
	if f.Feed != "" {
		add("feed = ?", f.Feed)
	}
	if f.CaseID != 0 {
		add("case_id = ?", f.CaseID)
	}
	if f.RunID != 0 {
		add("last_run_id = ?", f.RunID)
	}
	if f.Active {
		where = append(where, "delisted_at = 0")
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	q := "SELECT " + findingColumns + " FROM findings"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return collectFindings(t.query(q+" ORDER BY id DESC LIMIT ?", append(args, limit(f.Limit))...))
}

// collectFindings reads the findings a query returned.
func collectFindings(rows *sql.Rows, err error) ([]*tldguard.Finding, error) {
	if err != nil {
		return nil, dbError(err, "findings")
	}
	defer rows.Close()
	var out []*tldguard.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, dbError(err, "finding")
		}
		out = append(out, f)
	}
	return out, dbError(rows.Err(), "findings")
}
