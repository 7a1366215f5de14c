package http

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// The reporter portal: the submission form, its acknowledgement, and the
// list of a reporter's own reports.
//
// The form follows the Framework's list of what a request should hold. Its
// handler writes the answers as a tldguard JSON report document and hands
// it to ReportService.SubmitReport, exactly as POST /api/v1/reports would:
// the same decoder, intake rules, priority policy, audit events and durable
// commit. A hidden idempotency key makes a resubmitted form (a refresh, a
// double click) return the first acknowledgement instead of a second report.

const (
	// maxEvidenceFile caps one uploaded file (reportfmt's default cap for
	// one evidence item); the whole form is capped by Config.BodyLimit.
	maxEvidenceFile = 5 << 20
	// maxEvidenceFiles caps the files of one form.
	maxEvidenceFiles = 10
	// reportsPageSize is how many reports one page of the list shows.
	reportsPageSize = 20
)

// reportForm is the portal form's values.
type reportForm struct {
	Authority, Jurisdiction, LegalBasis, Reference, Contact string
	Names                                                   string // one per line
	Threat, ThreatOther                                     string
	Description                                             string
	EvidenceURLs, EvidenceNote                              string
	RequestedAction, Urgency, UrgencyReason                 string
	NoNotifyRegistrant, NoNotifyRegistrar                   bool
	Key                                                     string // the idempotency key
}

// reportFormPage is the data of GET /report.
type reportFormPage struct {
	page
	Form      reportForm
	Threats   []option
	Actions   []option
	Urgencies []option
	Errors    map[string]string
	Account   reporterRow
	MaxFile   string
	MaxFiles  int
	Authority bool // the account is a public authority: the request section leads
}

// uiReportForm answers GET /report with an empty form.
func (s *Server) uiReportForm(w http.ResponseWriter, r *http.Request) error {
	p := tldguard.FromContext(r.Context())
	f := reportForm{Key: newFormKey()}
	if p.Reporter != nil && (p.Reporter.Source.Authority() || p.Reporter.Source == tldguard.SourceTrustedNotifier) {
		f.Authority, f.Contact = p.Reporter.Name, p.Reporter.Email
	}
	return s.renderReportForm(w, r, http.StatusOK, f, nil)
}

func (s *Server) renderReportForm(w http.ResponseWriter, r *http.Request, status int, f reportForm, errs map[string]string) error {
	p := tldguard.FromContext(r.Context())
	pg := reportFormPage{
		page: s.base(r, "Submit a report"), Form: f, Errors: errs,
		Threats:   threatFormOptions(f.Threat),
		Actions:   options(f.RequestedAction, requestedActions...),
		Urgencies: options(f.Urgency, "", "No imminent threat", "life", urgencyText(tldguard.UrgencyLife), "critical_infrastructure", urgencyText(tldguard.UrgencyCriticalInfrastructure), "child_exploitation", urgencyText(tldguard.UrgencyChildExploitation)),
		MaxFile:   sizeText(maxEvidenceFile), MaxFiles: maxEvidenceFiles,
	}
	if p.Reporter != nil {
		pg.Account = toReporterRow(p.Reporter)
		pg.Authority = p.Reporter.Source.Authority()
	}
	return s.render(w, status, "report_form", pg)
}

// threatFormOptions are the threat choices of the portal: the five DNS-abuse
// types and "something else", which the reporter names.
func threatFormOptions(selected string) []option {
	pairs := []string{"", "Choose the threat"}
	for _, t := range tldguard.ThreatTypes[:5] {
		pairs = append(pairs, string(t), threatText(t))
	}
	pairs = append(pairs, "other", "Something else (name it below)")
	return options(selected, pairs...)
}

// newFormKey returns a fresh idempotency key for a form.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "ui-" + hex.EncodeToString(b)
}

// The report document the form becomes: tldguard's JSON format.
type formDoc struct {
	ThreatType  string         `json:"threat_type"`
	Names       []string       `json:"names"`
	Description string         `json:"description,omitempty"`
	Evidence    []formEvidence `json:"evidence,omitempty"`
	Request     *formRequest   `json:"request,omitempty"`
}

type formEvidence struct {
	Filename      string `json:"filename,omitempty"`
	MediaType     string `json:"media_type,omitempty"`
	ContentBase64 string `json:"content_base64,omitempty"`
	URL           string `json:"url,omitempty"`
	Description   string `json:"description,omitempty"`
}

type formRequest struct {
	Authority             string `json:"authority,omitempty"`
	Jurisdiction          string `json:"jurisdiction,omitempty"`
	LegalBasis            string `json:"legal_basis,omitempty"`
	Reference             string `json:"reference,omitempty"`
	Contact               string `json:"contact,omitempty"`
	RequestedAction       string `json:"requested_action,omitempty"`
	Urgency               string `json:"urgency,omitempty"`
	UrgencyReason         string `json:"urgency_reason,omitempty"`
	DoNotNotifyRegistrant bool   `json:"do_not_notify_registrant,omitempty"`
	DoNotNotifyRegistrar  bool   `json:"do_not_notify_registrar,omitempty"`
}

// docFields remembers where each name and evidence item of the document
// came from, so an error about names[3] can point at its line.
type docFields struct {
	nameLines    []int // names[i] is on line nameLines[i] of the form's box
	evidenceFrom []string
}

// uiSubmitReport answers POST /report: the form becomes a report document
// and goes through the same intake as the API. Success shows the
// acknowledgement; a refusal shows the form again with the reason beside
// the field it is about.
func (s *Server) uiSubmitReport(w http.ResponseWriter, r *http.Request) error {
	v := r.PostForm
	f := reportForm{
		Authority: strings.TrimSpace(v.Get("authority")), Jurisdiction: strings.TrimSpace(v.Get("jurisdiction")),
		LegalBasis: strings.TrimSpace(v.Get("legal_basis")), Reference: strings.TrimSpace(v.Get("reference")),
		Contact: strings.TrimSpace(v.Get("contact")), Names: v.Get("names"),
		Threat: v.Get("threat"), ThreatOther: strings.TrimSpace(v.Get("threat_other")),
		Description:  strings.TrimSpace(v.Get("description")),
		EvidenceURLs: v.Get("evidence_urls"), EvidenceNote: strings.TrimSpace(v.Get("evidence_note")),
		RequestedAction: v.Get("requested_action"), Urgency: v.Get("urgency"),
		UrgencyReason:      strings.TrimSpace(v.Get("urgency_reason")),
		NoNotifyRegistrant: v.Get("no_notify_registrant") != "", NoNotifyRegistrar: v.Get("no_notify_registrar") != "",
		Key: strings.TrimSpace(v.Get("key")),
	}
	if f.Key == "" || len(f.Key) > 100 || !printable(f.Key) {
		f.Key = newFormKey()
	}
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["evidence"] {
			if fh.Size > 0 || fh.Filename != "" {
				files = append(files, fh)
			}
		}
	}
	doc, where, errs := buildReportDoc(f, files)
	if len(errs) > 0 {
		return s.renderReportForm(w, r, http.StatusBadRequest, f, errs)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return tldguard.Internal(err, "encode report form")
	}
	rc, err := s.svc.Reports.SubmitReport(r.Context(), &tldguard.Submission{Raw: raw, ContentType: "application/json", IdempotencyKey: f.Key})
	if err != nil {
		switch tldguard.ErrorKind(err) {
		case tldguard.EINVALID, tldguard.EUNPROCESSABLE, tldguard.ETOOLARGE, tldguard.ECONFLICT:
		default:
			return err
		}
		field, msg := where.formField(tldguard.ErrorField(err), errorSentence(err))
		if field == "key" {
			f.Key = newFormKey()
			field, msg = "form", "This form was already used to send a different report. Nothing new was stored; check the answers and send again."
		}
		return s.renderReportForm(w, r, statusOf(tldguard.ErrorKind(err)), f, map[string]string{field: msg})
	}
	if rc == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "SubmitReport returned no receipt")
	}
	return s.renderReceipt(w, r, rc)
}

// buildReportDoc checks the form and writes the report document. Checks
// here are the ones the form can name better than the decoder; the intake
// checks everything again.
func buildReportDoc(f reportForm, files []*multipart.FileHeader) (*formDoc, *docFields, map[string]string) {
	errs := map[string]string{}
	where := &docFields{}
	doc := &formDoc{Description: f.Description}
	switch f.Threat {
	case "":
		errs["threat"] = "Choose the kind of threat."
	case "other":
		if f.ThreatOther == "" {
			errs["threat_other"] = "Name the kind of abuse (for example: copyright)."
		}
		doc.ThreatType = f.ThreatOther
	default:
		if t := tldguard.ThreatType(f.Threat); !t.Valid() || t == tldguard.ThreatOutOfScope {
			errs["threat"] = "Choose a threat from the list."
		}
		doc.ThreatType = f.Threat
	}
	for i, line := range strings.Split(f.Names, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			doc.Names = append(doc.Names, line)
			where.nameLines = append(where.nameLines, i+1)
		}
	}
	if len(doc.Names) == 0 {
		errs["names"] = "List at least one domain name or URL, one per line."
	}
	if f.Urgency != "" && !tldguard.Urgency(f.Urgency).Valid() {
		errs["urgency"] = "Choose an urgency from the list."
	}
	if f.Urgency != "" && f.UrgencyReason == "" {
		errs["urgency_reason"] = "Say what makes the threat imminent: an urgent request needs a reason."
	}
	if actionText(f.RequestedAction) == f.RequestedAction && f.RequestedAction != "" {
		errs["requested_action"] = "Choose an action from the list."
	}
	if len(files) > maxEvidenceFiles {
		errs["evidence"] = fmt.Sprintf("Attach at most %d files.", maxEvidenceFiles)
	}
	for _, fh := range files {
		if len(errs) > 0 {
			break
		}
		if fh.Size > maxEvidenceFile {
			errs["evidence"] = fmt.Sprintf("%s is larger than %s.", baseFileName(fh.Filename), sizeText(maxEvidenceFile))
			break
		}
		content, err := readUpload(fh)
		if err != nil {
			errs["evidence"] = fmt.Sprintf("%s could not be read; attach it again.", baseFileName(fh.Filename))
			break
		}
		doc.Evidence = append(doc.Evidence, formEvidence{
			Filename: baseFileName(fh.Filename), MediaType: uploadType(fh),
			ContentBase64: base64.StdEncoding.EncodeToString(content), Description: f.EvidenceNote,
		})
		where.evidenceFrom = append(where.evidenceFrom, "evidence")
	}
	for line := range strings.SplitSeq(f.EvidenceURLs, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			doc.Evidence = append(doc.Evidence, formEvidence{URL: line, Description: f.EvidenceNote})
			where.evidenceFrom = append(where.evidenceFrom, "evidence_urls")
		}
	}
	req := formRequest{
		Authority: f.Authority, Jurisdiction: f.Jurisdiction, LegalBasis: f.LegalBasis, Reference: f.Reference,
		Contact: f.Contact, RequestedAction: f.RequestedAction, Urgency: f.Urgency, UrgencyReason: f.UrgencyReason,
		DoNotNotifyRegistrant: f.NoNotifyRegistrant, DoNotNotifyRegistrar: f.NoNotifyRegistrar,
	}
	if req != (formRequest{}) {
		doc.Request = &req
	}
	return doc, where, errs
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	file, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(io.LimitReader(file, maxEvidenceFile+1))
}

// uploadType is the media type the browser gave a file, or
// application/octet-stream when it gave none that parses.
func uploadType(fh *multipart.FileHeader) string {
	mt, _, err := mime.ParseMediaType(fh.Header.Get("Content-Type"))
	if err != nil || !strings.Contains(mt, "/") || len(mt) > 100 {
		return "application/octet-stream"
	}
	return mt
}

// baseFileName is the last element of an uploaded file's name.
func baseFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}

var indexed = regexp.MustCompile(`^([a-z_]+)\[(\d+)\](?:\.(.+))?$`)

// formField maps a field the intake named (a JSON path of the document) to
// the form field it came from, and says where in it.
func (d *docFields) formField(path, msg string) (string, string) {
	switch {
	case path == "":
		return "form", msg
	case path == "Idempotency-Key":
		return "key", msg
	case path == "threat_type":
		return "threat", msg
	case path == "description":
		return "description", msg
	case strings.HasPrefix(path, "request."):
		field := strings.TrimPrefix(path, "request.")
		switch field {
		case "authority", "jurisdiction", "legal_basis", "reference", "contact", "requested_action", "urgency", "urgency_reason":
			return field, msg
		}
		return "form", msg
	}
	if m := indexed.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[2])
		switch {
		case m[1] == "names" && i < len(d.nameLines):
			return "names", fmt.Sprintf("Line %d: %s", d.nameLines[i], msg)
		case m[1] == "evidence" && i < len(d.evidenceFrom):
			return d.evidenceFrom[i], msg
		}
	}
	if path == "names" || path == "evidence" {
		return path, msg
	}
	return "form", msg
}

// receiptPage is the acknowledgement shown after a submission.
type receiptPage struct {
	page
	ReportID   int64
	ReportHref string
	Received   *when
	SHA256     string
	Priority   string
	PrioClass  string
	Due        *when
	Cases      []receiptRow
	Notes      []string
	CaseLinks  bool // the viewer may open case pages
}

type receiptRow struct {
	Number     string
	Href       string
	Domain     string
	Threat     string
	Priority   string
	PrioClass  string
	Due        *when
	Registered bool
	New        bool
}

func (s *Server) renderReceipt(w http.ResponseWriter, r *http.Request, rc *tldguard.Receipt) error {
	p := tldguard.FromContext(r.Context())
	pg := receiptPage{
		page: s.base(r, "Report received"), ReportID: rc.ReportID, ReportHref: "/reports/" + strconv.FormatInt(rc.ReportID, 10),
		Received: at(rc.ReceivedAt), SHA256: rc.SHA256, Priority: priorityText(rc.Priority), PrioClass: "prio-" + string(rc.Priority),
		Due: at(rc.ResponseDueAt), Notes: rc.Notes, CaseLinks: s.mayRead(p, "GET /cases/{id}"),
	}
	for _, c := range rc.Cases {
		pg.Cases = append(pg.Cases, receiptRow{
			Number: c.Number, Href: "/cases/" + strconv.FormatInt(c.ID, 10), Domain: c.Domain, Threat: threatText(c.ThreatType),
			Priority: priorityText(c.Priority), PrioClass: "prio-" + string(c.Priority), Due: at(c.ResponseDueAt),
			Registered: c.Registered, New: c.New,
		})
	}
	return s.render(w, http.StatusOK, "receipt", pg)
}
