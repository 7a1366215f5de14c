package http

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tldguard/tldguard"
)

// The lists of reports: a reporter's own ("My reports"), or every report
// for staff, and one report's page; each shows the status of the cases the
// reports are filed on.

// reportsPage is the data of GET /reports.
type reportsPage struct {
	page
	Rows  []reportRow
	Next  string
	First string
	Staff bool
}

type reportRow struct {
	ID       int64
	Href     string
	Received *when
	Source   string
	Threat   string
	Names    []string
	More     int
	Cases    []caseRef
}

// caseRef is a case a report is filed on, with its status when the
// viewer may see it.
type caseRef struct {
	Number      string
	Href        string
	Domain      string
	Status      string
	StatusClass string
	Due         *when
	Clock       clock
	Known       bool
}

// uiReports answers GET /reports: a reporter's own reports (staff: all),
// newest first, with the status of each case they are filed on.
func (s *Server) uiReports(w http.ResponseWriter, r *http.Request) error {
	p := tldguard.FromContext(r.Context())
	pg := reportsPage{page: s.base(r, "Reports"), Staff: p.Kind == tldguard.PrincipalUser}
	if !pg.Staff {
		pg.Title = "My reports"
	}
	f := tldguard.ReportFilter{Limit: reportsPageSize + 1}
	if v := r.URL.Query().Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "before", "The page link is damaged; start again from the first page.")
		}
		f.BeforeID = id
		pg.First = "/reports"
	}
	reports, err := s.svc.Reports.Reports(r.Context(), f)
	if err != nil {
		return err
	}
	if len(reports) > reportsPageSize {
		reports = reports[:reportsPageSize]
		pg.Next = "/reports?before=" + strconv.FormatInt(reports[len(reports)-1].ID, 10)
	}
	cases := s.caseRefs(r, p)
	for _, rp := range reports {
		row := reportRow{
			ID: rp.ID, Href: "/reports/" + strconv.FormatInt(rp.ID, 10), Received: at(rp.ReceivedAt),
			Source: sourceText(rp.Source), Threat: threatText(rp.ThreatType),
		}
		if rp.Category != "" {
			row.Threat += " (" + rp.Category + ")"
		}
		for i, t := range rp.Targets {
			if i == 3 {
				row.More = len(rp.Targets) - 3
				break
			}
			row.Names = append(row.Names, t.Input)
		}
		for _, id := range rp.CaseIDs {
			row.Cases = append(row.Cases, cases(id))
		}
		pg.Rows = append(pg.Rows, row)
	}
	return s.render(w, http.StatusOK, "reports", pg)
}

// caseRefs returns a function that describes a case for a report list,
// reading each case once, and only when the viewer may read cases.
func (s *Server) caseRefs(r *http.Request, p *tldguard.Principal) func(id int64) caseRef {
	may := s.mayRead(p, "GET /cases/{id}")
	seen := map[int64]caseRef{}
	now := s.now()
	return func(id int64) caseRef {
		if ref, ok := seen[id]; ok {
			return ref
		}
		ref := caseRef{Number: tldguard.CaseNumber(id)}
		if may {
			ref.Href = "/cases/" + strconv.FormatInt(id, 10)
			if d, err := s.svc.Cases.Case(r.Context(), id); err == nil && d != nil && d.Case != nil {
				c := d.Case
				ref.Known, ref.Domain = true, c.Domain
				ref.Status, ref.StatusClass = statusText(c.Status), "status-"+string(c.Status)
				ref.Due, ref.Clock = at(c.ResponseDueAt), clockOf(c, now)
			}
		}
		seen[id] = ref
		return ref
	}
}

// reportPage is the data of GET /reports/{id}.
type reportPage struct {
	page
	Report   reportView
	Evidence []evidenceView
	Cases    []caseRef
}

// uiReport answers GET /reports/{id}: one report as received, with the
// cases it is filed on. A reporter asking for another's report gets 404.
func (s *Server) uiReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no report %q.", r.PathValue("id"))
	}
	rp, err := s.svc.Reports.Report(r.Context(), id)
	if err != nil {
		return err
	}
	if rp == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "Report returned no report")
	}
	pg := reportPage{page: s.base(r, fmt.Sprintf("Report %d", rp.ID)), Report: toReportView(rp)}
	for _, e := range rp.Evidence {
		pg.Evidence = append(pg.Evidence, toEvidenceView(e))
	}
	cases := s.caseRefs(r, tldguard.FromContext(r.Context()))
	for _, cid := range rp.CaseIDs {
		pg.Cases = append(pg.Cases, cases(cid))
	}
	return s.render(w, http.StatusOK, "report", pg)
}

// reportView is a report for a page: never the raw bytes, but their SHA-256.
type reportView struct {
	ID          int64
	Href        string
	Received    *when
	Source      string
	Format      string
	Threat      string
	Description string
	Targets     []targetView
	Request     *requestView
	SHA256      string
	ContentType string
	Evidence    int
}

type targetView struct {
	Input  string
	Domain string
	URL    string
}

type requestView struct {
	Authority, Jurisdiction, LegalBasis, Reference, Contact string
	RequestedAction, Urgency, UrgencyReason                 string
	NoNotifyRegistrant, NoNotifyRegistrar                   bool
}

// evidenceView is an evidence item's metadata. URLs are shown as text and
// never as links: they are what was reported.
type evidenceView struct {
	ReportID    int64
	Filename    string
	MediaType   string
	Size        string
	SHA256      string
	URL         string
	Description string
}

func toReportView(rp *tldguard.Report) reportView {
	v := reportView{
		ID: rp.ID, Href: "/reports/" + strconv.FormatInt(rp.ID, 10), Received: at(rp.ReceivedAt),
		Source: sourceText(rp.Source), Format: rp.Format, Threat: threatText(rp.ThreatType),
		Description: rp.Description, SHA256: sum(rp.RawSHA256), ContentType: rp.ContentType, Evidence: len(rp.Evidence),
	}
	if rp.Category != "" {
		v.Threat += " (" + rp.Category + ")"
	}
	for _, t := range rp.Targets {
		v.Targets = append(v.Targets, targetView{Input: t.Input, Domain: t.Domain, URL: t.URL})
	}
	if q := rp.Request; q != nil {
		v.Request = &requestView{
			Authority: q.Authority, Jurisdiction: q.Jurisdiction, LegalBasis: q.LegalBasis, Reference: q.Reference,
			Contact: q.Contact, UrgencyReason: q.UrgencyReason,
			NoNotifyRegistrant: q.DoNotNotifyRegistrant, NoNotifyRegistrar: q.DoNotNotifyRegistrar,
		}
		if q.RequestedAction != "" {
			v.Request.RequestedAction = actionText(q.RequestedAction)
		}
		if q.Urgency != tldguard.UrgencyNone {
			v.Request.Urgency = urgencyText(q.Urgency)
		}
	}
	return v
}

func toEvidenceView(e tldguard.Evidence) evidenceView {
	v := evidenceView{
		ReportID: e.ReportID, Filename: e.Filename, MediaType: e.MediaType, SHA256: sum(e.SHA256),
		URL: e.URL, Description: e.Description,
	}
	if e.SHA256 != nil {
		v.Size = byteCount(e.Size)
	}
	return v
}

// byteCount writes a size for people.
func byteCount(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
