package sqlite

import (
	"encoding/json"
	"strings"

	"github.com/tldguard/tldguard"
)

const reportColumns = `id, reporter_id, source, format, threat_type, category, description, request, raw_sha256,
	content_type, idempotency_key, received_at`

// scanReport scans reportColumns, plus raw when withRaw.
func scanReport(row interface{ Scan(...any) error }, withRaw bool) (*tldguard.Report, error) {
	r := new(tldguard.Report)
	var req *string
	dest := []any{&r.ID, idCol{&r.ReporterID}, &r.Source, &r.Format, &r.ThreatType, &r.Category, &r.Description, &req,
		&r.RawSHA256, &r.ContentType, &r.IdempotencyKey, timeCol{&r.ReceivedAt}}
	if withRaw {
		dest = append(dest, &r.Raw)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if req != nil {
		r.Request = new(tldguard.AuthorityRequest)
		if err := json.Unmarshal([]byte(*req), r.Request); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// InsertReport stores r with its raw bytes, targets and request, and sets
// r.ID. Evidence and case links are stored by their own methods.
func (t *tx) InsertReport(r *tldguard.Report) error {
	var req any
	if r.Request != nil {
		b, err := json.Marshal(r.Request)
		if err != nil {
			return tldguard.Internal(err, "encode request")
		}
		req = string(b)
	}
	id, err := t.insert("report", `INSERT INTO reports (reporter_id, source, format, threat_type, category, description,
			request, raw, raw_sha256, content_type, idempotency_key, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(r.ReporterID), r.Source, r.Format, r.ThreatType, r.Category, r.Description,
		req, blob(r.Raw), blob(r.RawSHA256), r.ContentType, r.IdempotencyKey, micros(r.ReceivedAt))
	if err != nil {
		return err
	}
	for i, tg := range r.Targets {
		_, err := t.exec(`INSERT INTO report_targets (report_id, n, input, host, url, domain, tld)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, i, tg.Input, tg.Host, tg.URL, tg.Domain, tg.TLD)
		if err != nil {
			return dbError(err, "report target")
		}
	}
	r.ID = id
	return nil
}

// ReportByID returns the report with everything: Raw, Targets, Request,
// Evidence (metadata) and CaseIDs.
func (t *tx) ReportByID(id int64) (*tldguard.Report, error) {
	r, err := scanReport(t.queryRow("SELECT "+reportColumns+", raw FROM reports WHERE id = ?", id), true)
	if err != nil {
		return nil, dbError(err, "report")
	}
	if err := t.loadReportDetails([]*tldguard.Report{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ListReports returns reports newest (highest id) first, with everything
// ReportByID returns but Raw.
func (t *tx) ListReports(f tldguard.ReportFilter) ([]*tldguard.Report, error) {
	var where []string
	var args []any
	if f.ReporterID != 0 {
		where, args = append(where, "reporter_id = ?"), append(args, f.ReporterID)
	}
	if f.CaseID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM report_cases rc WHERE rc.report_id = reports.id AND rc.case_id = ?)")
		args = append(args, f.CaseID)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := "SELECT " + reportColumns + " FROM reports"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := t.query(q+" ORDER BY id DESC LIMIT ?", append(args, limit(f.Limit))...)
	if err != nil {
		return nil, dbError(err, "reports")
	}
	defer rows.Close()
	var out []*tldguard.Report
	for rows.Next() {
		r, err := scanReport(rows, false)
		if err != nil {
			return nil, dbError(err, "report")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "reports")
	}
	if err := t.loadReportDetails(out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadReportDetails fills in the targets, evidence and case ids of rs, a
// few hundred reports per query.
func (t *tx) loadReportDetails(rs []*tldguard.Report) error {
	const chunk = 500
	for len(rs) > 0 {
		n := min(len(rs), chunk)
		if err := t.loadReportChunk(rs[:n]); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

func (t *tx) loadReportChunk(rs []*tldguard.Report) error {
	byID := make(map[int64]*tldguard.Report, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		byID[r.ID], args[i] = r, r.ID
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rs)), ",") + ")"

	rows, err := t.query(`SELECT report_id, input, host, url, domain, tld FROM report_targets
		WHERE report_id IN `+in+` ORDER BY report_id, n`, args...)
	if err != nil {
		return dbError(err, "report targets")
	}
	for rows.Next() {
		var id int64
		var tg tldguard.Target
		if err := rows.Scan(&id, &tg.Input, &tg.Host, &tg.URL, &tg.Domain, &tg.TLD); err != nil {
			rows.Close()
			return dbError(err, "report target")
		}
		byID[id].Targets = append(byID[id].Targets, tg)
	}
	if err := closeRows(rows); err != nil {
		return dbError(err, "report targets")
	}

	// Each case once, in the order of the first target filed on it.
	rows, err = t.query(`SELECT report_id, case_id FROM report_cases WHERE report_id IN `+in+`
		GROUP BY report_id, case_id ORDER BY report_id, min(target)`, args...)
	if err != nil {
		return dbError(err, "report cases")
	}
	for rows.Next() {
		var id, caseID int64
		if err := rows.Scan(&id, &caseID); err != nil {
			rows.Close()
			return dbError(err, "report case")
		}
		byID[id].CaseIDs = append(byID[id].CaseIDs, caseID)
	}
	if err := closeRows(rows); err != nil {
		return dbError(err, "report cases")
	}

	rows, err = t.query("SELECT "+evidenceColumns+" FROM evidence WHERE report_id IN "+in+" ORDER BY id", args...)
	if err != nil {
		return dbError(err, "evidence")
	}
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			rows.Close()
			return dbError(err, "evidence")
		}
		byID[e.ReportID].Evidence = append(byID[e.ReportID].Evidence, e)
	}
	return dbError(closeRows(rows), "evidence")
}

// closeRows closes rows and returns the iteration's error, if any.
func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// LinkReportCase records that the report's target number target is filed
// on caseID; ECONFLICT when that target is filed already.
func (t *tx) LinkReportCase(reportID, caseID int64, target int) error {
	_, err := t.exec("INSERT INTO report_cases (report_id, target, case_id) VALUES (?, ?, ?)", reportID, target, caseID)
	return dbError(err, "report target's case")
}
