package sqlite

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

const caseColumns = `id, domain, tld, threat_type, status, priority, priority_reason, classification, registered,
	registrar_id, registrar_name, assignee, confidential, resolution, report_count, opened_at, acked_at,
	response_due_at, responded_at, closed_at, updated_at, version`

// scanCase scans caseColumns, then into extra.
func scanCase(row interface{ Scan(...any) error }, extra ...any) (*tldguard.Case, error) {
	c := new(tldguard.Case)
	err := row.Scan(append([]any{&c.ID, &c.Domain, &c.TLD, &c.ThreatType, &c.Status, &c.Priority, &c.PriorityReason,
		&c.Classification, &c.Registered, &c.RegistrarID, &c.RegistrarName, &c.Assignee, &c.Confidential,
		&c.Resolution, &c.ReportCount, timeCol{&c.OpenedAt}, timeCol{&c.AckedAt}, timeCol{&c.ResponseDueAt},
		timeCol{&c.RespondedAt}, timeCol{&c.ClosedAt}, timeCol{&c.UpdatedAt}, &c.Version}, extra...)...)
	return c, err
}

// openCaseNoun names the unique index's clash in ECONFLICT messages.
const openCaseNoun = "an open case for this name and threat"

// InsertCase stores c and sets c.ID and c.Version (1). ECONFLICT when a
// case for the same (domain, threat) is not closed (the partial unique
// index cases_one_open).
func (t *tx) InsertCase(c *tldguard.Case) error {
	id, err := t.insert(openCaseNoun, `INSERT INTO cases (domain, tld, threat_type, status, priority, priority_reason,
			classification, registered, registrar_id, registrar_name, assignee, confidential, resolution, report_count,
			opened_at, acked_at, response_due_at, responded_at, closed_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		c.Domain, c.TLD, c.ThreatType, c.Status, c.Priority, c.PriorityReason, c.Classification, c.Registered,
		c.RegistrarID, c.RegistrarName, c.Assignee, c.Confidential, c.Resolution, c.ReportCount,
		micros(c.OpenedAt), micros(c.AckedAt), micros(c.ResponseDueAt), micros(c.RespondedAt), micros(c.ClosedAt),
		micros(c.UpdatedAt))
	if err != nil {
		return err
	}
	c.ID, c.Version = id, 1
	return nil
}

// UpdateCase writes every field but the identity (ID, Domain, TLD,
// ThreatType, OpenedAt) if the stored version is c.Version, and bumps
// c.Version. ECONFLICT when the version is stale or the change would open
// a second case for the name and threat; ENOTFOUND when there is no case.
func (t *tx) UpdateCase(c *tldguard.Case) error {
	res, err := t.exec(`UPDATE cases SET status = ?, priority = ?, priority_reason = ?, classification = ?,
			registered = ?, registrar_id = ?, registrar_name = ?, assignee = ?, confidential = ?, resolution = ?,
			report_count = ?, acked_at = ?, response_due_at = ?, responded_at = ?, closed_at = ?, updated_at = ?,
			version = version + 1
		WHERE id = ? AND version = ?`,
		c.Status, c.Priority, c.PriorityReason, c.Classification, c.Registered, c.RegistrarID, c.RegistrarName,
		c.Assignee, c.Confidential, c.Resolution, c.ReportCount, micros(c.AckedAt), micros(c.ResponseDueAt),
		micros(c.RespondedAt), micros(c.ClosedAt), micros(c.UpdatedAt), c.ID, c.Version)
	if err != nil {
		return dbError(err, openCaseNoun)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, "case")
	}
	if n == 0 {
		var one int
		if err := t.queryRow("SELECT 1 FROM cases WHERE id = ?", c.ID).Scan(&one); err != nil {
			return dbError(err, "case")
		}
		return tldguard.Errorf(tldguard.ECONFLICT, "case %s was changed by someone else", c.Number())
	}
	c.Version++
	return nil
}

func (t *tx) CaseByID(id int64) (*tldguard.Case, error) {
	c, err := scanCase(t.queryRow("SELECT "+caseColumns+" FROM cases WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "case")
	}
	return c, nil
}

// OpenCase returns the case for (domain, threat) that is not closed, or
// ENOTFOUND. The literal 'closed' lets SQLite use cases_one_open.
func (t *tx) OpenCase(domain string, threat tldguard.ThreatType) (*tldguard.Case, error) {
	c, err := scanCase(t.queryRow("SELECT "+caseColumns+` FROM cases
		WHERE domain = ? AND threat_type = ? AND status <> 'closed'`, domain, threat))
	if err != nil {
		return nil, dbError(err, "open case")
	}
	return c, nil
}

// ListCases returns up to f.Limit cases (all when Limit is not positive)
// in f.Sort order after f.After.
func (t *tx) ListCases(f tldguard.CaseFilter) ([]*tldguard.Case, error) {
	q, qargs, err := caseQuery(f)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(q, qargs...)
	if err != nil {
		return nil, dbError(err, "cases")
	}
	defer rows.Close()
	var out []*tldguard.Case
	for rows.Next() {
		var key int64
		c, err := scanCase(rows, &key)
		if err != nil {
			return nil, dbError(err, "case")
		}
		out = append(out, c)
	}
	return out, dbError(rows.Err(), "cases")
}

// sortKey is the stored sort key (due_key, opened_key) of a cursor's time:
// a zero time is the key that sorts last in that order.
func sortKey(t time.Time, sort tldguard.CaseSort) int64 {
	switch {
	case !t.IsZero():
		return t.UnixMicro()
	case sort == tldguard.SortNewest:
		return math.MinInt64
	}
	return math.MaxInt64
}

// caseQuery builds ListCases' query: its columns are caseColumns and the
// sort key. Each sort is an index range over a generated key column (due_key,
// opened_key) in which zero times sort last, so a page costs the same however
// many cases are stored. Several statuses become one arm per status, each a
// range of (status, key) cut to the limit, then merged and cut again: no arm
// reads more than a page.
func caseQuery(f tldguard.CaseFilter) (string, []any, error) {
	key, order, after := "due_key", "ASC", ">"
	switch f.Sort {
	case tldguard.SortDue, "":
	case tldguard.SortNewest:
		key, order, after = "opened_key", "DESC", "<"
	default:
		return "", nil, tldguard.FieldErrorf(tldguard.EINVALID, "sort", "unknown sort %q", f.Sort)
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.Priority != "" {
		add("priority = ?", f.Priority)
	}
	if f.TLD != "" {
		add("tld = ?", f.TLD)
	}
	if f.ThreatType != "" {
		add("threat_type = ?", f.ThreatType)
	}
	if f.RegistrarID != "" {
		add("registrar_id = ?", f.RegistrarID)
	}
	if f.Domain != "" {
		add("domain = ?", f.Domain)
	}
	if f.Overdue {
		// Case.Overdue at Now, at the stores' precision; a zero deadline's
		// key is the largest, so it is never overdue.
		add("responded_at = 0 AND due_key < ?", micros(f.Now))
	}
	if f.ReporterID != 0 {
		add(`EXISTS (SELECT 1 FROM report_cases rc JOIN reports r ON r.id = rc.report_id
			WHERE rc.case_id = cases.id AND r.reporter_id = ?)`, f.ReporterID)
	}
	if f.After != nil {
		add("("+key+", id) "+after+" (?, ?)", sortKey(f.After.Key, f.Sort), f.After.ID)
	}
	statuses := slices.Compact(slices.Sorted(slices.Values(f.Status)))
	orderBy := " ORDER BY " + key + " " + order + ", id " + order + " LIMIT ?"
	arm := func(status *tldguard.CaseStatus) (string, []any) {
		w, a := where, args
		if status != nil {
			w, a = append(slices.Clip(w), "status = ?"), append(slices.Clip(a), *status)
		}
		q := "SELECT " + caseColumns + ", " + key + " FROM cases"
		if len(w) > 0 {
			q += " WHERE " + strings.Join(w, " AND ")
		}
		return q + orderBy, append(a, limit(f.Limit))
	}
	var q string
	var qargs []any
	switch len(statuses) {
	case 0:
		q, qargs = arm(nil)
	case 1:
		q, qargs = arm(&statuses[0])
	default:
		arms := make([]string, len(statuses))
		for i := range statuses {
			var a []any
			arms[i], a = arm(&statuses[i])
			arms[i] = "SELECT * FROM (" + arms[i] + ")"
			qargs = append(qargs, a...)
		}
		q = strings.Join(arms, " UNION ALL ") + orderBy
		qargs = append(qargs, limit(f.Limit))
	}
	return q, qargs, nil
}
