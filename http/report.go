package http

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/tldguard/tldguard"
)

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 255

// handleSubmitReport answers POST /api/v1/reports. The body is the report
// document itself (JSON, XARF, ARF, IODEF ...), passed byte for byte with its
// Content-Type to the service, which picks the decoder. The answer is 202
// with the receipt and Location: /api/v1/reports/{id}. A repeat with the same
// Idempotency-Key returns the first receipt; the same key with another body
// is 409.
func (s *Server) handleSubmitReport(w http.ResponseWriter, r *http.Request) error {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return tldguard.FieldErrorf(tldguard.EINVALID, "Idempotency-Key", "longer than %d characters", maxIdempotencyKey)
	}
	if !printable(key) {
		return tldguard.FieldErrorf(tldguard.EINVALID, "Idempotency-Key", "only printable ASCII characters are allowed")
	}
	raw, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	rc, err := s.svc.Reports.SubmitReport(r.Context(), &tldguard.Submission{
		Raw:            raw,
		ContentType:    r.Header.Get("Content-Type"),
		IdempotencyKey: key,
	})
	if err != nil {
		return err
	}
	if rc == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "SubmitReport returned no receipt")
	}
	out := *rc
	out.ReceivedAt, out.ResponseDueAt = utc(rc.ReceivedAt), utc(rc.ResponseDueAt)
	out.Cases = make([]tldguard.ReceiptCase, len(rc.Cases))
	for i, c := range rc.Cases {
		c.ResponseDueAt = utc(c.ResponseDueAt)
		out.Cases[i] = c
	}
	w.Header().Set("Location", "/api/v1/reports/"+strconv.FormatInt(rc.ReportID, 10))
	return s.writeJSON(w, http.StatusAccepted, out)
}

// handleReports answers GET /api/v1/reports, newest first: a reporter's own
// reports, or for staff all of them. Query: case (id or number), reporter
// (id; staff only, the service decides), limit (1..200, default 50), cursor.
func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "case", "reporter", "limit", "cursor"); err != nil {
		return err
	}
	var f tldguard.ReportFilter
	var err error
	if f.Limit, err = limitParam(q); err != nil {
		return err
	}
	if v := lastValue(q, "case"); v != "" {
		if f.CaseID, err = tldguard.ParseCaseNumber(v); err != nil {
			return badParam("case", "%q is not a case id or number", v)
		}
	}
	if v := lastValue(q, "reporter"); v != "" {
		if f.ReporterID, err = strconv.ParseInt(v, 10, 64); err != nil || f.ReporterID <= 0 {
			return badParam("reporter", "%q is not a reporter id", v)
		}
	}
	if v := lastValue(q, "cursor"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID <= 0 {
			return badParam("cursor", "malformed cursor")
		}
	}
	reports, err := s.svc.Reports.Reports(r.Context(), f)
	if err != nil {
		return err
	}
	// A full page may have a next one (which may turn out empty): the
	// service caps limits at 200, so asking for one more than the caller
	// wants cannot tell.
	out := reportListJSON{Reports: []reportJSON{}}
	if len(reports) >= f.Limit {
		reports = reports[:f.Limit]
		out.NextCursor = strconv.FormatInt(reports[f.Limit-1].ID, 10)
		setNextLink(w, r, out.NextCursor)
	}
	for _, rp := range reports {
		out.Reports = append(out.Reports, toReportJSON(rp))
	}
	return s.writeJSON(w, http.StatusOK, out)
}

// handleReport answers GET /api/v1/reports/{id}. A reporter asking for
// another's report gets 404, as if it did not exist.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rp, err := s.svc.Reports.Report(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, toReportJSON(rp))
}

type reportListJSON struct {
	Reports    []reportJSON `json:"reports"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// reportJSON is a report as the API shows it: never the raw bytes, but their
// SHA-256.
type reportJSON struct {
	ID             int64                      `json:"id"`
	ReporterID     int64                      `json:"reporter_id"`
	Source         tldguard.Source            `json:"source"`
	Format         string                     `json:"format"`
	ThreatType     tldguard.ThreatType        `json:"threat_type"`
	Category       string                     `json:"category,omitempty"`
	Description    string                     `json:"description,omitempty"`
	Targets        []targetJSON               `json:"targets"`
	Request        *tldguard.AuthorityRequest `json:"request,omitempty"`
	Evidence       []evidenceJSON             `json:"evidence"`
	SHA256         string                     `json:"sha256"`
	ContentType    string                     `json:"content_type,omitempty"`
	IdempotencyKey string                     `json:"idempotency_key,omitempty"`
	ReceivedAt     time.Time                  `json:"received_at"`
	Cases          []caseRefJSON              `json:"cases"`
}

type targetJSON struct {
	Input  string `json:"input"`
	Host   string `json:"host,omitempty"`
	URL    string `json:"url,omitempty"`
	Domain string `json:"domain,omitempty"`
	TLD    string `json:"tld,omitempty"`
}

// evidenceJSON is an evidence item's metadata; URLs are text, never fetched.
type evidenceJSON struct {
	ID          int64  `json:"id"`
	ReportID    int64  `json:"report_id"`
	SHA256      string `json:"sha256,omitempty"`
	Size        int64  `json:"size"`
	MediaType   string `json:"media_type,omitempty"`
	Filename    string `json:"filename,omitempty"`
	URL         string `json:"url,omitempty"`
	Description string `json:"description,omitempty"`
}

// caseRefJSON names a case a report is filed on.
type caseRefJSON struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
}

func toReportJSON(rp *tldguard.Report) reportJSON {
	out := reportJSON{
		ID: rp.ID, ReporterID: rp.ReporterID, Source: rp.Source, Format: rp.Format,
		ThreatType: rp.ThreatType, Category: rp.Category, Description: rp.Description,
		Request: rp.Request, SHA256: hex.EncodeToString(rp.RawSHA256), ContentType: rp.ContentType,
		IdempotencyKey: rp.IdempotencyKey, ReceivedAt: utc(rp.ReceivedAt),
		Targets: make([]targetJSON, len(rp.Targets)), Evidence: make([]evidenceJSON, len(rp.Evidence)),
		Cases: make([]caseRefJSON, len(rp.CaseIDs)),
	}
	for i, t := range rp.Targets {
		out.Targets[i] = targetJSON{Input: t.Input, Host: t.Host, URL: t.URL, Domain: t.Domain, TLD: t.TLD}
	}
	for i, e := range rp.Evidence {
		out.Evidence[i] = toEvidenceJSON(e)
	}
	for i, id := range rp.CaseIDs {
		out.Cases[i] = caseRefJSON{ID: id, Number: tldguard.CaseNumber(id)}
	}
	return out
}

func toEvidenceJSON(e tldguard.Evidence) evidenceJSON {
	return evidenceJSON{
		ID: e.ID, ReportID: e.ReportID, SHA256: hex.EncodeToString(e.SHA256), Size: e.Size,
		MediaType: e.MediaType, Filename: e.Filename, URL: e.URL, Description: e.Description,
	}
}
