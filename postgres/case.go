package postgres

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const caseColumns = `id, domain, tld, threat_type, status, priority, priority_reason, classification,
	registered, registrar_id, registrar_name, assignee, confidential, resolution, report_count,
	opened_at, acked_at, response_due_at, responded_at, closed_at, updated_at, version`

func scanCase(row pgx.Row) (*tldguard.Case, error) {
	c := new(tldguard.Case)
	err := row.Scan(&c.ID, &c.Domain, &c.TLD, &c.ThreatType, &c.Status, &c.Priority, &c.PriorityReason, &c.Classification,
		&c.Registered, &c.RegistrarID, &c.RegistrarName, &c.Assignee, &c.Confidential, &c.Resolution, &c.ReportCount,
		scanTime(&c.OpenedAt), scanTime(&c.AckedAt), scanTime(&c.ResponseDueAt), scanTime(&c.RespondedAt),
		scanTime(&c.ClosedAt), scanTime(&c.UpdatedAt), &c.Version)
	return c, err
}

// OpenCase returns the case for (domain, threat) that is not closed.
func (t *tx) OpenCase(domain string, threat tldguard.ThreatType) (*tldguard.Case, error) {
	c, err := scanCase(t.tx.QueryRow(t.ctx, `SELECT `+caseColumns+` FROM cases
		WHERE domain = $1 AND threat_type = $2 AND status <> 'closed'`, domain, threat))
	if err != nil {
		return nil, t.fail(err, "open case")
	}
	return c, nil
}

// InsertCase stores c and sets c.ID and c.Version (1). ECONFLICT when a case
// for the same (domain, threat) is still open; ON CONFLICT keeps the
// transaction usable, so the caller can read that case and attach to it.
func (t *tx) InsertCase(c *tldguard.Case) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO cases (domain, tld, threat_type, status, priority, priority_reason, classification,
			registered, registrar_id, registrar_name, assignee, confidential, resolution, report_count,
			opened_at, acked_at, response_due_at, responded_at, closed_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1)
		ON CONFLICT DO NOTHING RETURNING id`,
		c.Domain, c.TLD, c.ThreatType, c.Status, c.Priority, c.PriorityReason, c.Classification,
		c.Registered, c.RegistrarID, c.RegistrarName, c.Assignee, c.Confidential, c.Resolution, c.ReportCount,
		ts(c.OpenedAt), ts(c.AckedAt), ts(c.ResponseDueAt), ts(c.RespondedAt), ts(c.ClosedAt), ts(c.UpdatedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("a case for %s (%s) is still open", c.Domain, c.ThreatType)
	}
	if err != nil {
		return t.fail(err, "case")
	}
	t.setID(&c.ID, id)
	t.setID(&c.Version, 1)
	return nil
}

// UpdateCase writes c's mutable fields (all but id, domain, TLD, threat type
// and opening time) if the stored version is c.Version, then bumps c.Version.
// ECONFLICT when the version is stale or when reopening c would make a second
// open case for its name and threat; ENOTFOUND for an unknown id.
func (t *tx) UpdateCase(c *tldguard.Case) error {
	var version int64
	err := t.tx.QueryRow(t.ctx, `
		UPDATE cases SET status = $3, priority = $4, priority_reason = $5, classification = $6,
			registered = $7, registrar_id = $8, registrar_name = $9, assignee = $10, confidential = $11,
			resolution = $12, report_count = $13, acked_at = $14, response_due_at = $15,
			responded_at = $16, closed_at = $17, updated_at = $18, version = version + 1
		WHERE id = $1 AND version = $2
			AND ($3 = 'closed' OR status <> 'closed' OR NOT EXISTS (
				SELECT 1 FROM cases o WHERE o.domain = cases.domain AND o.threat_type = cases.threat_type
					AND o.status <> 'closed' AND o.id <> cases.id))
		RETURNING version`,
		c.ID, c.Version, c.Status, c.Priority, c.PriorityReason, c.Classification,
		c.Registered, c.RegistrarID, c.RegistrarName, c.Assignee, c.Confidential,
		c.Resolution, c.ReportCount, ts(c.AckedAt), ts(c.ResponseDueAt),
		ts(c.RespondedAt), ts(c.ClosedAt), ts(c.UpdatedAt)).Scan(&version)
	if err == nil {
		t.setID(&c.Version, version)
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return t.fail(err, "case")
	}
	stored, err := t.CaseByID(c.ID)
	if err != nil {
		return err
	}
	if stored.Version != c.Version {
		return conflict("case %s was changed by someone else (version %d, not %d)", c.Number(), stored.Version, c.Version)
	}
	return conflict("another case for %s (%s) is open", stored.Domain, stored.ThreatType)
}

func (t *tx) CaseByID(id int64) (*tldguard.Case, error) {
	c, err := scanCase(t.tx.QueryRow(t.ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "case")
	}
	return c, nil
}

// The sort keys of the case queue. They match the expression indexes of the
// migrations character for character: a case without a deadline or an
// opening time sorts last in either order.
const (
	dueKey    = `coalesce(response_due_at, 'infinity'::timestamptz)`
	newestKey = `coalesce(opened_at, '-infinity'::timestamptz)`
)

// ListCases returns up to f.Limit cases (all for a limit <= 0) in f.Sort
// order after f.After. Every order is a keyset scan of an index: (due, id)
// ascending by default, (opened, id) descending for SortNewest. A cursor with
// a zero key stands for the cases without that time, which sort last.
func (t *tx) ListCases(f tldguard.CaseFilter) ([]*tldguard.Case, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		closed := false
		for i, s := range f.Status {
			statuses[i] = string(s)
			closed = closed || s == tldguard.StatusClosed
		}
		where = append(where, "status = ANY("+arg(statuses)+")")
		if !closed {
			// Redundant, but it lets the planner use the cases_active_* indexes.
			where = append(where, "status <> 'closed'")
		}
	}
	for _, eq := range []struct{ col, v string }{
		{"priority", string(f.Priority)},
		{"tld", f.TLD},
		{"threat_type", string(f.ThreatType)},
		{"registrar_id", f.RegistrarID},
		{"domain", f.Domain},
	} {
		if eq.v != "" {
			where = append(where, eq.col+" = "+arg(eq.v))
		}
	}
	if f.Overdue {
		// Case.Overdue: no response yet and the deadline passed. Written on
		// the sort key so that the due index bounds the scan.
		where = append(where, "responded_at IS NULL", dueKey+" < "+arg(ts(f.Now))+"::timestamptz")
	}
	if f.ReporterID != 0 {
		where = append(where, `id IN (SELECT rc.case_id FROM report_cases rc
			JOIN reports r ON r.id = rc.report_id WHERE r.reporter_id = `+arg(f.ReporterID)+`)`)
	}
	key, cmp, dir, inf := dueKey, ">", "ASC", "infinity"
	if f.Sort == tldguard.SortNewest {
		key, cmp, dir, inf = newestKey, "<", "DESC", "-infinity"
	}
	if f.After != nil {
		where = append(where, "("+key+", id) "+cmp+
			" (coalesce("+arg(ts(f.After.Key))+"::timestamptz, '"+inf+"'::timestamptz), "+arg(f.After.ID)+"::bigint)")
	}
	q := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + key + " " + dir + ", id " + dir
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Case, error) { return scanCase(r) })
	return emptyNil(cases), t.fail(err, "case")
}
