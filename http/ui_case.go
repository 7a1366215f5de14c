package http

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
)

// The case queue and the case page.

// queuePageSize is how many cases one page of the queue shows.
const queuePageSize = 50

// queuePage is the data of GET /cases.
type queuePage struct {
	page
	Filter     queueForm
	Statuses   []option
	Priorities []option
	Threats    []option
	TLDs       []option // empty when the viewer cannot filter by TLD
	Registrars []option
	Sorts      []option
	Errors     map[string]string
	Rows       []queueRow
	Next       string // the next page's URL, "" on the last
	First      string // the first page's URL, when this is a later one
	Reporter   bool   // the viewer is a reporter: their own cases only
}

// queueForm is the filter form's values, as submitted.
type queueForm struct {
	Status, Priority, Threat, TLD, Registrar, Sort, Q string
	Overdue                                           bool
	Filtered                                          bool // any filter beyond the default
}

// queueRow is one case in the queue.
type queueRow struct {
	Href           string
	Number         string
	Domain         string
	Threat         string
	Status         string
	StatusClass    string
	Priority       string
	PriorityClass  string
	Classification string
	Registrar      string
	Assignee       string
	Reports        int
	Confidential   bool
	Opened         *when
	Due            *when
	Clock          clock
}

// uiQueue answers GET /cases: the queue, most urgent first. Without
// filters it shows the cases still to be answered (open and in progress)
// in due order, so the overdue ones lead.
func (s *Server) uiQueue(w http.ResponseWriter, r *http.Request) error {
	p := tldguard.FromContext(r.Context())
	q := r.URL.Query()
	pg := queuePage{page: s.base(r, "Case queue"), Reporter: p.Kind == tldguard.PrincipalReporter}
	if pg.Reporter {
		pg.Title = "My cases"
	}
	var suffixes *dnsname.Suffixes
	if !pg.Reporter && s.svc.Directory != nil {
		tlds, err := s.svc.Directory.TLDs(r.Context())
		if err != nil {
			return err
		}
		registrars, err := s.svc.Directory.Registrars(r.Context())
		if err != nil {
			return err
		}
		pg.TLDs = options(lastValue(q, "tld"), "", "Any TLD")
		for _, t := range tlds {
			pg.TLDs = append(pg.TLDs, option{Value: t, Label: "." + t, Selected: t == lastValue(q, "tld")})
		}
		pg.Registrars = options(lastValue(q, "registrar"), "", "Any registrar")
		for _, rr := range registrars {
			pg.Registrars = append(pg.Registrars, option{Value: rr.ID, Label: rr.Name + " (" + rr.ID + ")", Selected: rr.ID == lastValue(q, "registrar")})
		}
		if len(tlds) > 0 {
			suffixes, _ = dnsname.NewSuffixes(tlds)
		}
	}
	f, form, errs, jump := s.queueFilter(q, suffixes)
	if jump != "" {
		return seeOther(w, r, jump)
	}
	pg.Filter, pg.Errors = form, errs
	pg.Statuses = options(form.Status, "active", "To answer", "open", "Open", "in_progress", "In progress", "closed", "Closed", "all", "Any status")
	pg.Priorities = options(form.Priority, "", "Any priority", "high", "High", "standard", "Standard")
	pg.Threats = threatOptions(form.Threat, "Any threat")
	pg.Sorts = options(form.Sort, "due", "Due first", "newest", "Newest first")
	if len(errs) > 0 {
		return s.render(w, http.StatusBadRequest, "queue", pg)
	}
	casePage, err := s.svc.Cases.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	now := s.now()
	pg.Rows = make([]queueRow, len(casePage.Cases))
	for i, c := range casePage.Cases {
		pg.Rows[i] = toQueueRow(c, now)
	}
	if casePage.Next != nil {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", casePage.Next.String())
		pg.Next = "/cases?" + nq.Encode()
	}
	if q.Get("cursor") != "" {
		fq := url.Values{}
		for k, v := range q {
			fq[k] = v
		}
		fq.Del("cursor")
		pg.First = "/cases"
		if len(fq) > 0 {
			pg.First += "?" + fq.Encode()
		}
	}
	return s.render(w, http.StatusOK, "queue", pg)
}

// queueFilter reads the queue's query. Unlike the API it forgives unknown
// parameters (a bookmarked URL from an older version still opens); a bad
// value is shown beside its field. A search for a case number returns
// where to go instead.
func (s *Server) queueFilter(q url.Values, suffixes *dnsname.Suffixes) (tldguard.CaseFilter, queueForm, map[string]string, string) {
	f := tldguard.CaseFilter{Now: s.now(), Limit: queuePageSize}
	form := queueForm{
		Status: lastValue(q, "status"), Priority: lastValue(q, "priority"), Threat: lastValue(q, "threat"),
		TLD: lastValue(q, "tld"), Registrar: lastValue(q, "registrar"), Sort: lastValue(q, "sort"), Q: lastValue(q, "q"),
	}
	errs := map[string]string{}
	switch form.Status {
	case "", "active":
		form.Status = "active"
		f.Status = []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress}
	case "all":
	default:
		st := tldguard.CaseStatus(form.Status)
		if !st.Valid() {
			errs["status"] = "Choose a status from the list."
		}
		f.Status = []tldguard.CaseStatus{st}
	}
	if form.Priority != "" {
		if f.Priority = tldguard.Priority(form.Priority); !f.Priority.Valid() {
			errs["priority"] = "Choose high or standard."
		}
	}
	if form.Threat != "" {
		if f.ThreatType = tldguard.ThreatType(form.Threat); !f.ThreatType.Valid() {
			errs["threat"] = "Choose a threat type from the list."
		}
	}
	if form.TLD != "" {
		f.TLD = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(form.TLD), "."), ".")
		if len(f.TLD) > 63 || !ldh(f.TLD, false) {
			errs["tld"] = "Choose a TLD from the list."
		}
	}
	if form.Registrar != "" {
		if len(form.Registrar) > 64 || !printable(form.Registrar) {
			errs["registrar"] = "Choose a registrar from the list."
		}
		f.RegistrarID = form.Registrar
	}
	if v := lastValue(q, "overdue"); v != "" {
		form.Overdue = v == "1" || v == "true" || v == "on"
		f.Overdue = form.Overdue
	}
	switch form.Sort {
	case "", "due":
		form.Sort = "due"
		f.Sort = tldguard.SortDue
	case "newest":
		f.Sort = tldguard.SortNewest
	default:
		errs["sort"] = "Choose an order from the list."
	}
	if v := lastValue(q, "cursor"); v != "" {
		var err error
		if f.After, err = tldguard.ParseCaseCursor(v); err != nil {
			errs["cursor"] = "The page link is damaged; start again from the first page."
		}
	}
	if form.Q != "" {
		if looksLikeCaseNumber(form.Q) {
			if id, err := tldguard.ParseCaseNumber(form.Q); err == nil {
				return f, form, errs, "/cases/" + strconv.FormatInt(id, 10)
			}
		}
		domain, err := searchDomain(form.Q, suffixes)
		if err != nil {
			errs["q"] = "Search for a case number (TG-0000042), a domain name or a URL: " + tldguard.ErrorMessage(err)
		}
		f.Domain = domain
	}
	form.Filtered = form.Status != "active" || form.Priority != "" || form.Threat != "" || form.TLD != "" ||
		form.Registrar != "" || form.Overdue || form.Q != "" || form.Sort != "due"
	return f, form, errs, ""
}

// looksLikeCaseNumber reports whether a search is a case number rather
// than a name: "TG-42" or digits only.
func looksLikeCaseNumber(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) > 3 && strings.EqualFold(q[:3], "TG-") {
		return true
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return false
		}
	}
	return q != ""
}

// searchDomain turns what someone typed (a name, a host in it, a URL,
// defanged or in Unicode) into the registered name the queue is keyed by.
func searchDomain(q string, suffixes *dnsname.Suffixes) (string, error) {
	if suffixes != nil {
		t, err := suffixes.Target(q)
		if err != nil {
			return "", err
		}
		return t.Domain, nil
	}
	t, err := dnsname.ParseTarget(q)
	if err != nil {
		return "", err
	}
	return t.Host, nil
}

func toQueueRow(c *tldguard.Case, now time.Time) queueRow {
	row := queueRow{
		Href: "/cases/" + strconv.FormatInt(c.ID, 10), Number: c.Number(), Domain: c.Domain,
		Threat: threatText(c.ThreatType), Status: statusText(c.Status), StatusClass: "status-" + string(c.Status),
		Priority: priorityText(c.Priority), PriorityClass: "prio-" + string(c.Priority),
		Classification: classText(c.Classification), Registrar: c.RegistrarName, Assignee: c.Assignee,
		Reports: c.ReportCount, Confidential: c.Confidential, Opened: at(c.OpenedAt), Due: at(c.ResponseDueAt),
		Clock: clockOf(c, now),
	}
	if !c.Registered {
		row.Registrar = "not registered"
	}
	return row
}

// casePage is the data of GET /cases/{id}.
type casePage struct {
	page
	Case         caseView
	Registration *registrationView
	RegistryNote string // why there is no registration data
	Reports      []reportView
	Evidence     []evidenceView
	Events       []eventView
	Staff        bool         // the operator's view: registration data and events
	Triage       *triageForm  // nil when the viewer may not triage
	Actions      *caseActions // staff: assessment, proposals and actions; nil without the service
	Errors       map[string]string
}

// caseView is a case's own fields for its page.
type caseView struct {
	ID             int64
	Href           string
	Number         string
	Domain         string
	TLD            string
	Threat         string
	Status         string
	StatusClass    string
	Priority       string
	PriorityClass  string
	PriorityReason string
	Classification string
	ClassClass     string
	Registered     bool
	Registrar      string
	Assignee       string
	Confidential   bool
	Resolution     string
	Reports        int
	Opened         *when
	Acked          *when
	Due            *when
	Responded      *when
	Closed         *when
	Updated        *when
	Clock          clock
	Version        int64
}

// registrationView is what the registry says about the name.
type registrationView struct {
	Registrar   string
	Created     *when
	Updated     *when
	Age         string // how old the registration was when the case opened
	Statuses    []string
	NameServers []string
}

// triageForm is the triage form's values.
type triageForm struct {
	Assignee        string
	Classifications []option
	Priorities      []option
	Statuses        []option
	Reason          string
	Version         int64
}

// uiCase answers GET /cases/{id}. A reporter sees its own reports on the
// case and no event log (the service decides); staff also see registration
// data and the timeline; roles that may triage get the form.
func (s *Server) uiCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no case %q.", r.PathValue("id"))
	}
	pg, err := s.casePage(r, id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") == "1" {
		pg.Notice = "Case updated."
	} else {
		pg.Notice = actionNotice(r)
	}
	return s.render(w, http.StatusOK, "case", pg)
}

// casePage reads a case and everything its page shows.
func (s *Server) casePage(r *http.Request, id int64) (*casePage, error) {
	d, err := s.svc.Cases.Case(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if d == nil || d.Case == nil {
		return nil, tldguard.Errorf(tldguard.EINTERNAL, "Case returned no case")
	}
	p := tldguard.FromContext(r.Context())
	c := d.Case
	now := s.now()
	pg := &casePage{page: s.base(r, c.Number()+" "+c.Domain), Staff: p.Kind == tldguard.PrincipalUser}
	pg.Case = caseView{
		ID: c.ID, Href: "/cases/" + strconv.FormatInt(c.ID, 10), Number: c.Number(), Domain: c.Domain, TLD: c.TLD,
		Threat: threatText(c.ThreatType), Status: statusText(c.Status), StatusClass: "status-" + string(c.Status),
		Priority: priorityText(c.Priority), PriorityClass: "prio-" + string(c.Priority), PriorityReason: c.PriorityReason,
		Classification: classText(c.Classification), ClassClass: "class-" + string(c.Classification),
		Registered: c.Registered, Registrar: registrarText(c), Assignee: c.Assignee,
		Confidential: c.Confidential, Resolution: c.Resolution, Reports: c.ReportCount,
		Opened: at(c.OpenedAt), Acked: at(c.AckedAt), Due: at(c.ResponseDueAt), Responded: at(c.RespondedAt),
		Closed: at(c.ClosedAt), Updated: at(c.UpdatedAt), Clock: clockOf(c, now), Version: c.Version,
	}
	for _, rp := range d.Reports {
		pg.Reports = append(pg.Reports, toReportView(rp))
	}
	for _, e := range d.Evidence {
		pg.Evidence = append(pg.Evidence, toEvidenceView(e))
	}
	if pg.Staff {
		for _, e := range d.Events {
			pg.Events = append(pg.Events, toEventView(e))
		}
		pg.Registration, pg.RegistryNote = s.registration(r, c)
		pg.Actions = s.caseActions(r, c)
	}
	if a, ok := s.ui.access["POST /cases/{id}"]; ok && p.HasRole(a.roles...) {
		pg.Triage = &triageForm{
			Assignee: c.Assignee,
			Classifications: options(string(c.Classification),
				string(tldguard.ClassUnknown), classText(tldguard.ClassUnknown),
				string(tldguard.ClassMalicious), classText(tldguard.ClassMalicious),
				string(tldguard.ClassCompromised), classText(tldguard.ClassCompromised)),
			Priorities: options(string(c.Priority), "high", "High", "standard", "Standard"),
			Statuses:   options(string(c.Status), "open", "Open", "in_progress", "In progress", "closed", "Closed"),
			Version:    c.Version,
		}
	}
	return pg, nil
}

func registrarText(c *tldguard.Case) string {
	switch {
	case !c.Registered:
		return "Not registered"
	case c.RegistrarName != "" && c.RegistrarID != "":
		return c.RegistrarName + " (IANA " + c.RegistrarID + ")"
	}
	return c.RegistrarName + c.RegistrarID
}

// registration asks the registry about the case's name. A registry that
// does not answer leaves a note instead of failing the page.
func (s *Server) registration(r *http.Request, c *tldguard.Case) (*registrationView, string) {
	if s.svc.Registry == nil {
		return nil, "No registry is connected to this server."
	}
	reg, err := s.svc.Registry.Lookup(r.Context(), c.Domain)
	switch tldguard.ErrorKind(err) {
	case "":
	case tldguard.ENOTFOUND:
		return nil, c.Domain + " is not registered."
	default:
		s.log.WarnContext(r.Context(), "http: registry lookup failed", "domain", c.Domain,
			"request_id", requestID(r.Context()), "err", err)
		return nil, "The registry did not answer; registration data is not available right now."
	}
	v := &registrationView{
		Registrar: reg.RegistrarName, Created: at(reg.CreatedAt), Updated: at(reg.UpdatedAt),
		Statuses: reg.Statuses, NameServers: reg.NameServers,
	}
	if reg.RegistrarID != "" {
		v.Registrar += " (IANA " + reg.RegistrarID + ")"
	}
	if !reg.CreatedAt.IsZero() && !c.OpenedAt.IsZero() {
		if d := c.OpenedAt.Sub(reg.CreatedAt); d >= 0 {
			v.Age = age(d) + " old when the case opened"
		}
	}
	return v, ""
}

// uiTriage answers POST /cases/{id}: the triage form. Success goes back to
// the case page; a refusal shows the page again with the reason beside the
// field, and a stale version says someone else changed the case.
func (s *Server) uiTriage(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no case %q.", r.PathValue("id"))
	}
	form := r.PostForm
	u := tldguard.CaseUpdate{Reason: strings.TrimSpace(form.Get("reason"))}
	errs := map[string]string{}
	if _, ok := form["assignee"]; ok {
		a := strings.TrimSpace(form.Get("assignee"))
		u.Assignee = &a
	}
	if v := form.Get("classification"); v != "" {
		c := tldguard.Classification(v)
		if !c.Valid() {
			errs["classification"] = "Choose a classification from the list."
		}
		u.Classification = &c
	}
	if v := form.Get("priority"); v != "" {
		p := tldguard.Priority(v)
		if !p.Valid() {
			errs["priority"] = "Choose high or standard."
		}
		u.Priority = &p
	}
	if v := form.Get("status"); v != "" {
		st := tldguard.CaseStatus(v)
		if !st.Valid() {
			errs["status"] = "Choose a status from the list."
		}
		u.Status = &st
	}
	if u.Version, err = strconv.ParseInt(form.Get("version"), 10, 64); err != nil || u.Version <= 0 {
		errs["form"] = "The form is missing the case's version; reload the case and try again."
	}
	if len(u.Reason) > 4096 {
		errs["reason"] = "The reason is longer than 4096 characters."
	}
	if len(errs) == 0 {
		_, err := s.svc.Cases.UpdateCase(r.Context(), id, u)
		if err == nil {
			return seeOther(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?saved=1#triage")
		}
		switch tldguard.ErrorKind(err) {
		case tldguard.EINVALID, tldguard.EUNPROCESSABLE, tldguard.ETOOLARGE, tldguard.ECONFLICT:
		default:
			return err
		}
		stale := tldguard.ErrorKind(err) == tldguard.ECONFLICT && tldguard.ErrorField(err) == "version"
		switch field := tldguard.ErrorField(err); {
		case stale:
			errs["form"] = "Someone else changed this case while you were reading it. The page now shows their change; check it and submit yours again."
		case field == "assignee" || field == "classification" || field == "priority" || field == "status" || field == "reason":
			errs[field] = errorSentence(err)
		default:
			errs["form"] = errorSentence(err)
		}
		pg, perr := s.casePage(r, id)
		if perr != nil {
			return perr
		}
		pg.Errors = errs
		keepTriage(pg.Triage, u, stale)
		return s.render(w, statusOf(tldguard.ErrorKind(err)), "case", pg)
	}
	pg, err := s.casePage(r, id)
	if err != nil {
		return err
	}
	pg.Errors = errs
	keepTriage(pg.Triage, u, false)
	return s.render(w, http.StatusBadRequest, "case", pg)
}

// keepTriage puts what was submitted back into the form. After a version
// clash the form keeps the fresh version and values, and only the reason.
func keepTriage(t *triageForm, u tldguard.CaseUpdate, fresh bool) {
	if t == nil {
		return
	}
	t.Reason = u.Reason
	if fresh {
		return
	}
	if u.Assignee != nil {
		t.Assignee = *u.Assignee
	}
	sel := func(opts []option, v string) {
		for i := range opts {
			opts[i].Selected = opts[i].Value == v
		}
	}
	if u.Classification != nil {
		sel(t.Classifications, string(*u.Classification))
	}
	if u.Priority != nil {
		sel(t.Priorities, string(*u.Priority))
	}
	if u.Status != nil {
		sel(t.Statuses, string(*u.Status))
	}
}

// errorSentence is an error's message for a page: the service's words,
// which already name the field beside which the page shows them.
func errorSentence(err error) string {
	var e *tldguard.Error
	if errors.As(err, &e) && e.Message != "" {
		m := e.Message
		return strings.ToUpper(m[:1]) + m[1:]
	}
	return "That was refused."
}
