package postgres

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// target is the stored JSON form of a tldguard.Target; its own field names
// keep the stored documents stable when the Go type changes.
type target struct {
	Input  string `json:"input"`
	Host   string `json:"host,omitempty"`
	URL    string `json:"url,omitempty"`
	Domain string `json:"domain,omitempty"`
	TLD    string `json:"tld,omitempty"`
}

func encodeTargets(ts []tldguard.Target) ([]byte, error) {
	if ts == nil {
		return nil, nil
	}
	out := make([]target, len(ts))
	for i, t := range ts {
		out[i] = target(t)
	}
	return json.Marshal(out)
}

func decodeTargets(b []byte) ([]tldguard.Target, error) {
	if b == nil {
		return nil, nil
	}
	var in []target
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]tldguard.Target, len(in))
	for i, t := range in {
		out[i] = tldguard.Target(t)
	}
	return out, nil
}

// InsertReport stores r with its raw bytes, targets and request, and sets
// r.ID. Evidence and case links are stored by their own methods.
func (t *tx) InsertReport(r *tldguard.Report) error {
	targets, err := encodeTargets(r.Targets)
	if err != nil {
		return tldguard.Internal(err, "postgres: encode targets")
	}
	var request []byte
	if r.Request != nil {
		if request, err = json.Marshal(r.Request); err != nil {
			return tldguard.Internal(err, "postgres: encode request")
		}
	}
	var id int64
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO reports (reporter_id, source, format, threat_type, category, description,
			targets, request, raw, raw_sha256, content_type, idempotency_key, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13)
		RETURNING id`,
		nullID(r.ReporterID), r.Source, r.Format, r.ThreatType, r.Category, r.Description,
		jsonText(targets), jsonText(request), r.Raw, r.RawSHA256, r.ContentType, r.IdempotencyKey, ts(r.ReceivedAt)).Scan(&id)
	if err != nil {
		return t.fail(err, "report")
	}
	t.setID(&r.ID, id)
	return nil
}

// jsonText passes a JSON document as text (NULL for nil), so that the server
// parses it into jsonb whatever pgx's default for []byte is.
func jsonText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// reportColumns are the columns of a report without its raw bytes; the last
// is its case ids, each case once, in the order of its first target.
const reportColumns = `r.id, coalesce(r.reporter_id, 0), r.source, r.format, r.threat_type, r.category,
	r.description, r.targets::text, r.request::text, r.raw_sha256, r.content_type, r.idempotency_key, r.received_at,
	ARRAY(SELECT rc.case_id FROM report_cases rc WHERE rc.report_id = r.id
		GROUP BY rc.case_id ORDER BY min(rc.target))`

func scanReport(row pgx.Row, raw bool) (*tldguard.Report, error) {
	r := new(tldguard.Report)
	var targets, request *string
	dst := []any{&r.ID, &r.ReporterID, &r.Source, &r.Format, &r.ThreatType, &r.Category,
		&r.Description, &targets, &request, &r.RawSHA256, &r.ContentType, &r.IdempotencyKey, scanTime(&r.ReceivedAt),
		&r.CaseIDs}
	if raw {
		dst = append(dst, &r.Raw)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	r.CaseIDs = emptyNil(r.CaseIDs)
	if targets != nil {
		ts, err := decodeTargets([]byte(*targets))
		if err != nil {
			return nil, fmt.Errorf("report %d targets: %w", r.ID, err)
		}
		r.Targets = ts
	}
	if request != nil {
		r.Request = new(tldguard.AuthorityRequest)
		if err := json.Unmarshal([]byte(*request), r.Request); err != nil {
			return nil, fmt.Errorf("report %d request: %w", r.ID, err)
		}
	}
	return r, nil
}

// ReportByID returns a report with its raw bytes, targets, request, evidence
// metadata and case ids.
func (t *tx) ReportByID(id int64) (*tldguard.Report, error) {
	r, err := scanReport(t.tx.QueryRow(t.ctx, `SELECT `+reportColumns+`, r.raw FROM reports r WHERE r.id = $1`, id), true)
	if err != nil {
		return nil, t.fail(err, "report")
	}
	if err := t.attachEvidence([]*tldguard.Report{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ListReports returns reports newest first, with everything but Raw.
func (t *tx) ListReports(f tldguard.ReportFilter) ([]*tldguard.Report, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ReporterID != 0 {
		where = append(where, "r.reporter_id = "+arg(f.ReporterID))
	}
	if f.CaseID != 0 {
		where = append(where, "r.id IN (SELECT report_id FROM report_cases WHERE case_id = "+arg(f.CaseID)+")")
	}
	if f.BeforeID != 0 {
		where = append(where, "r.id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + reportColumns + ` FROM reports r`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY r.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	reports, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Report, error) { return scanReport(r, false) })
	if err != nil {
		return nil, t.fail(err, "report")
	}
	if err := t.attachEvidence(reports); err != nil {
		return nil, err
	}
	return emptyNil(reports), nil
}

// attachEvidence fills in the evidence metadata of reports with one query.
func (t *tx) attachEvidence(reports []*tldguard.Report) error {
	if len(reports) == 0 {
		return nil
	}
	byID := make(map[int64]*tldguard.Report, len(reports))
	ids := make([]int64, len(reports))
	for i, r := range reports {
		byID[r.ID], ids[i] = r, r.ID
	}
	rows, _ := t.tx.Query(t.ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE report_id = ANY($1) ORDER BY id`, ids)
	items, err := pgx.CollectRows(rows, scanEvidence)
	if err != nil {
		return t.fail(err, "evidence")
	}
	for _, e := range items {
		r := byID[e.ReportID]
		r.Evidence = append(r.Evidence, e)
	}
	return nil
}

// LinkReportCase files the report's target number target on caseID.
// ECONFLICT when that target is already filed; ENOTFOUND when the report or
// the case does not exist.
func (t *tx) LinkReportCase(reportID, caseID int64, target int) error {
	tag, err := t.exec("report link", `
		INSERT INTO report_cases (report_id, target, case_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, reportID, target, caseID)
	if err == nil && tag.RowsAffected() == 0 {
		return conflict("target %d of report %d is already filed on a case", target, reportID)
	}
	return err
}
