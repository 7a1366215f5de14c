package postgres

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const findingColumns = `id, domain, tld, feed, threat_type, urls, compromised, coalesce(case_id, 0),
	first_seen, last_seen, coalesce(last_run_id, 0), delisted_at`

func scanFinding(row pgx.Row) (*tldguard.Finding, error) {
	f := new(tldguard.Finding)
	err := row.Scan(&f.ID, &f.Domain, &f.TLD, &f.Feed, &f.ThreatType, &f.URLs, &f.Compromised, &f.CaseID,
		scanTime(&f.FirstSeen), scanTime(&f.LastSeen), &f.LastRunID, scanTime(&f.DelistedAt))
	f.URLs = emptyNil(f.URLs)
	return f, err
}

// ActiveFinding returns the finding for (domain, feed, threat) that is not
// delisted, or ENOTFOUND.
func (t *tx) ActiveFinding(domain, feed string, threat tldguard.ThreatType) (*tldguard.Finding, error) {
	f, err := scanFinding(t.tx.QueryRow(t.ctx, `SELECT `+findingColumns+` FROM findings
		WHERE domain = $1 AND feed = $2 AND threat_type = $3 AND delisted_at IS NULL`, domain, feed, threat))
	if err != nil {
		return nil, t.fail(err, "active finding")
	}
	return f, nil
}

// ActiveFindingsOn returns the active findings on any of domains.
func (t *tx) ActiveFindingsOn(domains []string) ([]*tldguard.Finding, error) {
	if len(domains) == 0 {
		return nil, nil
	}
	rows, _ := t.tx.Query(t.ctx, `SELECT `+findingColumns+` FROM findings
		WHERE domain = ANY($1) AND delisted_at IS NULL`, domains)
	fs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Finding, error) { return scanFinding(r) })
	return emptyNil(fs), t.fail(err, "findings")
}

// SeeFindings sets last_seen and last_run_id on the findings ids.
func (t *tx) SeeFindings(ids []int64, runID int64, at time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := t.exec("findings", `UPDATE findings SET last_seen = $2, last_run_id = $3 WHERE id = ANY($1)`,
		ids, ts(at), nullID(runID))
	return tag.RowsAffected(), err
}

// InsertFinding stores f and sets f.ID. ECONFLICT when f is active and an
// active finding for its (domain, feed, threat) is stored (ON CONFLICT keeps
// the transaction usable); ENOTFOUND when its case or run is missing.
func (t *tx) InsertFinding(f *tldguard.Finding) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO findings (domain, tld, feed, threat_type, urls, compromised, case_id,
			first_seen, last_seen, last_run_id, delisted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING RETURNING id`,
		f.Domain, f.TLD, f.Feed, f.ThreatType, f.URLs, f.Compromised, nullID(f.CaseID),
		ts(f.FirstSeen), ts(f.LastSeen), nullID(f.LastRunID), ts(f.DelistedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("an active finding for %s from %s (%s) exists", f.Domain, f.Feed, f.ThreatType)
	}
	if err != nil {
		return t.fail(err, "finding")
	}
	t.setID(&f.ID, id)
	return nil
}

// UpdateFinding writes URLs, Compromised, CaseID, LastSeen, LastRunID and
// DelistedAt. ENOTFOUND for an unknown id (or a missing case or run);
// ECONFLICT, with the transaction still usable, when clearing DelistedAt
// would make a second active finding for its (domain, feed, threat).
func (t *tx) UpdateFinding(f *tldguard.Finding) error {
	tag, err := t.exec("finding", `
		UPDATE findings SET urls = $2, compromised = $3, case_id = $4, last_seen = $5, last_run_id = $6,
			delisted_at = $7
		WHERE id = $1
			AND ($7::timestamptz IS NOT NULL OR delisted_at IS NULL OR NOT EXISTS (
				SELECT 1 FROM findings o WHERE o.domain = findings.domain AND o.feed = findings.feed
					AND o.threat_type = findings.threat_type AND o.delisted_at IS NULL))`,
		f.ID, f.URLs, f.Compromised, nullID(f.CaseID), ts(f.LastSeen), nullID(f.LastRunID), ts(f.DelistedAt))
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var one int
	if err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM findings WHERE id = $1`, f.ID).Scan(&one); err != nil {
		return t.fail(err, "finding")
	}
	return conflict("another active finding for this name, feed and threat exists")
}

// DelistFindings marks every active finding of feed whose last run is not
// runID as delisted at the given time and returns how many it marked. A
// zero time would mark nothing (zero is "still listed"): it is a caller's
// bug, EINTERNAL.
func (t *tx) DelistFindings(feed string, runID int64, at time.Time) (int64, error) {
	if at.IsZero() {
		return 0, tldguard.Internal(errors.New("the delisting time is zero"), "DelistFindings")
	}
	tag, err := t.exec("findings", `UPDATE findings SET delisted_at = $3
		WHERE feed = $1 AND delisted_at IS NULL AND last_run_id IS DISTINCT FROM $2`,
		feed, nullID(runID), ts(at))
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ListFindings returns up to f.Limit findings (all for a limit <= 0) newest
// first, by id, below f.BeforeID when that is set.
func (t *tx) ListFindings(f tldguard.FindingFilter) ([]*tldguard.Finding, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Domain != "" {
		where = append(where, "domain = "+arg(f.Domain))
	}
	if f.Feed != "" {
		where = append(where, "feed = "+arg(f.Feed))
	}
	if f.CaseID != 0 {
		where = append(where, "case_id = "+arg(f.CaseID))
	}
	if f.RunID != 0 {
		where = append(where, "last_run_id = "+arg(f.RunID))
	}
	if f.Active {
		where = append(where, "delisted_at IS NULL")
	}
	if f.BeforeID != 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + findingColumns + ` FROM findings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	fs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Finding, error) { return scanFinding(r) })
	return emptyNil(fs), t.fail(err, "finding")
}
