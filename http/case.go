package http

import (
	"net/http"
	"time"

	"github.com/tldguard/tldguard"
)

// handleCases answers GET /api/v1/cases: one page of the case queue, in the
// order of sort (due, the default, or newest), filtered by the query (see
// caseFilter). The next page's cursor is in next_cursor and a Link header.
func (s *Server) handleCases(w http.ResponseWriter, r *http.Request) error {
	f, err := s.caseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.svc.Cases.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	now := s.now()
	out := caseListJSON{Cases: make([]caseJSON, len(page.Cases))}
	for i, c := range page.Cases {
		out.Cases[i] = toCaseJSON(c, now)
	}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
		setNextLink(w, r, out.NextCursor)
	}
	return s.writeJSON(w, http.StatusOK, out)
}

// handleCase answers GET /api/v1/cases/{id}, where id is the case id or its
// number ("TG-0000042"): the case with its reports, evidence and events.
func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	d, err := s.svc.Cases.Case(r.Context(), id)
	if err != nil {
		return err
	}
	if d == nil || d.Case == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "Case returned no case")
	}
	out := caseDetailJSON{
		caseJSON: toCaseJSON(d.Case, s.now()),
		Reports:  make([]reportJSON, len(d.Reports)),
		Evidence: make([]evidenceJSON, len(d.Evidence)),
		Events:   make([]eventJSON, len(d.Events)),
	}
	for i, rp := range d.Reports {
		out.Reports[i] = toReportJSON(rp)
	}
	for i, e := range d.Evidence {
		out.Evidence[i] = toEvidenceJSON(e)
	}
	for i, e := range d.Events {
		out.Events[i] = toEventJSON(e)
	}
	return s.writeJSON(w, http.StatusOK, out)
}

// caseUpdateRequest is the body of PATCH /api/v1/cases/{id}. Absent (or
// null) members stay as they are; "assignee": "" unassigns.
type caseUpdateRequest struct {
	Assignee       *string                  `json:"assignee"`
	Classification *tldguard.Classification `json:"classification"`
	Priority       *tldguard.Priority       `json:"priority"`
	Status         *tldguard.CaseStatus     `json:"status"`
	Reason         string                   `json:"reason"`
	Version        int64                    `json:"version"`
}

// handleUpdateCase answers PATCH /api/v1/cases/{id} with the updated case.
// A stale version is 409; the service's refusals (a missing reason, a
// forbidden transition) come back with their kinds.
func (s *Server) handleUpdateCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var req caseUpdateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Classification != nil && !req.Classification.Valid():
		return tldguard.FieldErrorf(tldguard.EINVALID, "classification", "must be malicious, compromised or unknown, got %q", *req.Classification)
	case req.Priority != nil && !req.Priority.Valid():
		return tldguard.FieldErrorf(tldguard.EINVALID, "priority", "must be high or standard, got %q", *req.Priority)
	case req.Status != nil && !req.Status.Valid():
		return tldguard.FieldErrorf(tldguard.EINVALID, "status", "must be open, in_progress or closed, got %q", *req.Status)
	case req.Version < 0:
		return tldguard.FieldErrorf(tldguard.EINVALID, "version", "must not be negative")
	}
	c, err := s.svc.Cases.UpdateCase(r.Context(), id, tldguard.CaseUpdate{
		Assignee:       req.Assignee,
		Classification: req.Classification,
		Priority:       req.Priority,
		Status:         req.Status,
		Reason:         req.Reason,
		Version:        req.Version,
	})
	if err != nil {
		return err
	}
	if c == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "UpdateCase returned no case")
	}
	return s.writeJSON(w, http.StatusOK, toCaseJSON(c, s.now()))
}

// caseID reads the {id} path segment: a case id or number.
func caseID(r *http.Request) (int64, error) {
	id, err := tldguard.ParseCaseNumber(r.PathValue("id"))
	if err != nil {
		return 0, tldguard.FieldErrorf(tldguard.EINVALID, "id", "%q is not a case id or number (e.g. 42 or TG-0000042)", r.PathValue("id"))
	}
	return id, nil
}

type caseListJSON struct {
	Cases      []caseJSON `json:"cases"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// caseJSON is a case as the API shows it. Times are RFC 3339 in UTC; those
// not yet reached (responded, closed ...) are left out.
type caseJSON struct {
	ID             int64                   `json:"id"`
	Number         string                  `json:"number"`
	Domain         string                  `json:"domain"`
	TLD            string                  `json:"tld"`
	ThreatType     tldguard.ThreatType     `json:"threat_type"`
	Status         tldguard.CaseStatus     `json:"status"`
	Priority       tldguard.Priority       `json:"priority"`
	PriorityReason string                  `json:"priority_reason,omitempty"`
	Classification tldguard.Classification `json:"classification"`
	Registered     bool                    `json:"registered"`
	RegistrarID    string                  `json:"registrar_id,omitempty"`
	RegistrarName  string                  `json:"registrar_name,omitempty"`
	Assignee       string                  `json:"assignee,omitempty"`
	Confidential   bool                    `json:"confidential"`
	Resolution     string                  `json:"resolution,omitempty"`
	ReportCount    int                     `json:"report_count"`
	Overdue        bool                    `json:"overdue"`
	OpenedAt       time.Time               `json:"opened_at"`
	AckedAt        time.Time               `json:"acked_at,omitzero"`
	ResponseDueAt  time.Time               `json:"response_due_at,omitzero"`
	RespondedAt    time.Time               `json:"responded_at,omitzero"`
	ClosedAt       time.Time               `json:"closed_at,omitzero"`
	UpdatedAt      time.Time               `json:"updated_at"`
	Version        int64                   `json:"version"`
}

// caseDetailJSON is a case with what its page shows.
type caseDetailJSON struct {
	caseJSON
	Reports  []reportJSON   `json:"reports"`
	Evidence []evidenceJSON `json:"evidence"`
	Events   []eventJSON    `json:"events"`
}

func toCaseJSON(c *tldguard.Case, now time.Time) caseJSON {
	return caseJSON{
		ID: c.ID, Number: c.Number(), Domain: c.Domain, TLD: c.TLD, ThreatType: c.ThreatType,
		Status: c.Status, Priority: c.Priority, PriorityReason: c.PriorityReason,
		Classification: c.Classification, Registered: c.Registered,
		RegistrarID: c.RegistrarID, RegistrarName: c.RegistrarName, Assignee: c.Assignee,
		Confidential: c.Confidential, Resolution: c.Resolution, ReportCount: c.ReportCount,
		Overdue:  c.Overdue(now),
		OpenedAt: utc(c.OpenedAt), AckedAt: utc(c.AckedAt), ResponseDueAt: utc(c.ResponseDueAt),
		RespondedAt: utc(c.RespondedAt), ClosedAt: utc(c.ClosedAt), UpdatedAt: utc(c.UpdatedAt),
		Version: c.Version,
	}
}
