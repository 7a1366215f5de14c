package http

import (
	"cmp"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// The auditor's and the admin's pages: the audit chain, users and their
// API tokens, reporter accounts and their out-of-band verification, and the
// effective policy. Auditors read what admins change; the route table says
// so row by row.

// auditPage is the data of GET /audit.
type auditPage struct {
	page
	Chain    *tldguard.ChainReport
	Anchor   string // the exported head checked against, as entered
	Checked  *when
	Errors   map[string]string
	Verified bool // the chain holds (and matches the anchor, if given)
}

// uiAudit answers GET /audit[?head=SEQ:HASH]: it recomputes the audit
// log's hash chain and shows the head to keep elsewhere; with head, it also
// checks the log against a head exported earlier.
func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	pg := auditPage{page: s.base(r, "Audit log"), Anchor: strings.TrimSpace(r.URL.Query().Get("head")), Checked: at(s.now())}
	var anchor *tldguard.ChainHead
	if pg.Anchor != "" {
		h, err := tldguard.ParseChainHead(pg.Anchor)
		if err != nil {
			pg.Errors = map[string]string{"head": "An exported head looks like 1234:0a1b… (the sequence number, a colon and 64 hex digits): " + tldguard.ErrorMessage(err)}
			return s.render(w, http.StatusBadRequest, "audit", pg)
		}
		anchor = &h
	}
	rep, err := s.svc.Audit.VerifyChain(r.Context(), anchor)
	if err != nil {
		return err
	}
	pg.Chain, pg.Verified = rep, rep.OK
	return s.render(w, http.StatusOK, "audit", pg)
}

// usersPage is the data of GET /admin/users.
type usersPage struct {
	page
	Users   []userRow
	CanEdit bool
	Secret  *secret // a password or token just made, shown once
	New     newUserForm
	Roles   []option
	Emails  []option
	Label   string
	Errors  map[string]string
}

type userRow struct {
	Email    string
	Name     string
	Role     string
	Disabled bool
	Created  *when
}

type newUserForm struct {
	Email, Name, Role string
}

// secret is a credential shown once, right after it was made.
type secret struct {
	What  string // "Password", "API token"
	For   string
	Value string
}

// uiUsers answers GET /admin/users.
func (s *Server) uiUsers(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, newUserForm{}, "", nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, nu newUserForm, label string, sec *secret, errs map[string]string) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	users, err := s.svc.Admin.Users(r.Context())
	if err != nil {
		return err
	}
	p := tldguard.FromContext(r.Context())
	pg := usersPage{
		page: s.base(r, "Users"), CanEdit: s.mayRead(p, "POST /admin/users"), Secret: sec, New: nu, Label: label, Errors: errs,
		Roles: options(cmp.Or(nu.Role, string(tldguard.RoleAnalyst)), "analyst", "Analyst: works the queue", "approver", "Approver: approves actions", "auditor", "Auditor: reads everything, changes nothing", "admin", "Admin: accounts and settings"),
	}
	for _, u := range users {
		pg.Users = append(pg.Users, userRow{Email: u.Email, Name: u.Name, Role: roleText(u.Role), Disabled: u.Disabled, Created: at(u.CreatedAt)})
		if !u.Disabled {
			pg.Emails = append(pg.Emails, option{Value: u.Email, Label: u.Email})
		}
	}
	return s.render(w, status, "users", pg)
}

// uiCreateUser answers POST /admin/users: it adds a staff member and shows
// their generated password once.
func (s *Server) uiCreateUser(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	nu := newUserForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role")}
	errs := map[string]string{}
	if _, err := mail.ParseAddress(nu.Email); err != nil || nu.Email == "" || strings.ContainsAny(nu.Email, "<> ") {
		errs["email"] = "Enter an e-mail address, like ana@nic.example."
	}
	if !tldguard.Role(nu.Role).Staff() {
		errs["role"] = "Choose a role from the list."
	}
	if len(nu.Name) > 200 {
		errs["name"] = "A name has at most 200 characters."
	}
	if len(errs) > 0 {
		return s.renderUsers(w, r, http.StatusBadRequest, nu, "", nil, errs)
	}
	u, password, err := s.svc.Admin.CreateUser(r.Context(), nu.Email, nu.Name, tldguard.Role(nu.Role))
	if err != nil {
		if field, ok := formError(err, "email", "role", "name"); ok {
			return s.renderUsers(w, r, statusOf(tldguard.ErrorKind(err)), nu, "", nil, map[string]string{field: errorSentence(err)})
		}
		return err
	}
	sec := &secret{What: "Password", For: u.Email, Value: password}
	return s.renderUsers(w, r, http.StatusCreated, newUserForm{}, "", sec, nil)
}

// uiCreateToken answers POST /admin/tokens: a new API token for a staff
// member, shown once.
func (s *Server) uiCreateToken(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	label := strings.TrimSpace(r.PostFormValue("label"))
	errs := map[string]string{}
	if email == "" {
		errs["token_email"] = "Choose whose token this is."
	}
	if label == "" {
		errs["label"] = "Say what the token is for (for example: ticketing integration)."
	} else if len(label) > 100 {
		errs["label"] = "A label has at most 100 characters."
	}
	if len(errs) > 0 {
		return s.renderUsers(w, r, http.StatusBadRequest, newUserForm{}, label, nil, errs)
	}
	token, err := s.svc.Admin.CreateUserToken(r.Context(), email, label)
	if err != nil {
		if _, ok := formError(err, "email"); ok {
			return s.renderUsers(w, r, statusOf(tldguard.ErrorKind(err)), newUserForm{}, label, nil, map[string]string{"token_email": errorSentence(err)})
		}
		return err
	}
	return s.renderUsers(w, r, http.StatusCreated, newUserForm{}, "", &secret{What: "API token", For: email + " (" + label + ")", Value: token}, nil)
}

// formError reports whether err is a refusal a form can show beside one of
// fields (or above the form), and which.
func formError(err error, fields ...string) (string, bool) {
	switch tldguard.ErrorKind(err) {
	case tldguard.EINVALID, tldguard.ECONFLICT, tldguard.ENOTFOUND, tldguard.EUNPROCESSABLE, tldguard.ETOOLARGE:
	default:
		return "", false
	}
	f := tldguard.ErrorField(err)
	for _, k := range fields {
		if f == k {
			return k, true
		}
	}
	return "form", true
}

// reportersPage is the data of GET /admin/reporters.
type reportersPage struct {
	page
	Reporters []reporterRow
	CanEdit   bool
	Secret    *secret
	New       newReporterForm
	Kinds     []option
	Errors    map[string]string
	VerifyFor int64 // the row whose verification form Errors are about
}

type reporterRow struct {
	ID          int64
	Name        string
	Source      string
	Authority   bool
	Email       string
	RegistrarID string
	Verified    bool
	VerifiedBy  string
	VerifiedHow string
	VerifiedAt  *when
	Disabled    bool
	Created     *when
	VerifyHref  string
}

type newReporterForm struct {
	Name, Kind, Email, RegistrarID, VerifiedBy, VerifiedHow string
}

func toReporterRow(rp *tldguard.Reporter) reporterRow {
	row := reporterRow{
		ID: rp.ID, Name: rp.Name, Source: sourceText(rp.Source), Authority: rp.Source.Authority(), Email: rp.Email,
		RegistrarID: rp.RegistrarID, Disabled: rp.Disabled, Created: at(rp.CreatedAt),
		VerifyHref: "/admin/reporters/" + strconv.FormatInt(rp.ID, 10) + "/verify",
	}
	if v := rp.Verification; v != nil {
		row.Verified, row.VerifiedBy, row.VerifiedHow, row.VerifiedAt = true, v.By, v.How, at(v.At)
	}
	return row
}

// uiReporters answers GET /admin/reporters.
func (s *Server) uiReporters(w http.ResponseWriter, r *http.Request) error {
	pg := reportersPage{}
	if id := r.URL.Query().Get("verified"); id != "" {
		pg.Notice = "Verification recorded."
	}
	return s.renderReporters(w, r, http.StatusOK, pg)
}

func (s *Server) renderReporters(w http.ResponseWriter, r *http.Request, status int, pg reportersPage) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	rs, err := s.svc.Admin.Reporters(r.Context())
	if err != nil {
		return err
	}
	notice := pg.Notice
	pg.page = s.base(r, "Reporters")
	pg.Notice = notice
	p := tldguard.FromContext(r.Context())
	pg.CanEdit = s.mayRead(p, "POST /admin/reporters")
	pg.Kinds = options(pg.New.Kind, "", "Choose the kind",
		string(tldguard.SourceLawEnforcement), "Law enforcement",
		string(tldguard.SourceGovernment), "Government",
		string(tldguard.SourceTrustedNotifier), "Trusted notifier",
		string(tldguard.SourceRegistrar), "Registrar (needs its IANA id)",
		string(tldguard.SourcePublic), "Public")
	for _, rp := range rs {
		pg.Reporters = append(pg.Reporters, toReporterRow(rp))
	}
	return s.render(w, status, "reporters", pg)
}

// uiCreateReporter answers POST /admin/reporters: a reporter account, with
// its out-of-band verification when the admin has made one, and its first
// API token shown once.
func (s *Server) uiCreateReporter(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	v := r.PostForm
	nr := newReporterForm{
		Name: strings.TrimSpace(v.Get("name")), Kind: v.Get("kind"), Email: strings.TrimSpace(v.Get("email")),
		RegistrarID: strings.TrimSpace(v.Get("registrar_id")), VerifiedBy: strings.TrimSpace(v.Get("verified_by")),
		VerifiedHow: strings.TrimSpace(v.Get("verified_how")),
	}
	errs := map[string]string{}
	src := tldguard.Source(nr.Kind)
	switch {
	case nr.Name == "":
		errs["name"] = "Enter the account's name (the organisation)."
	case len(nr.Name) > 200:
		errs["name"] = "A name has at most 200 characters."
	}
	if !src.Valid() || src == tldguard.SourceFeed {
		errs["kind"] = "Choose the kind of reporter."
	}
	if nr.Email != "" {
		if _, err := mail.ParseAddress(nr.Email); err != nil {
			errs["email"] = "Enter an e-mail address, or leave it empty."
		}
	}
	if src == tldguard.SourceRegistrar && nr.RegistrarID == "" {
		errs["registrar_id"] = "A registrar account needs its IANA registrar id."
	}
	if src != tldguard.SourceRegistrar && nr.RegistrarID != "" {
		errs["registrar_id"] = "Only registrar accounts have a registrar id."
	}
	if (nr.VerifiedBy == "") != (nr.VerifiedHow == "") {
		errs["verified_how"] = "A verification needs both who checked and how; or leave both empty."
	}
	if len(errs) > 0 {
		return s.renderReporters(w, r, http.StatusBadRequest, reportersPage{New: nr, Errors: errs})
	}
	in := tldguard.Reporter{Name: nr.Name, Source: src, Email: nr.Email, RegistrarID: nr.RegistrarID}
	if nr.VerifiedBy != "" {
		in.Verification = &tldguard.Verification{By: nr.VerifiedBy, How: nr.VerifiedHow}
	}
	rp, token, err := s.svc.Admin.AddReporter(r.Context(), in)
	if err != nil {
		if field, ok := formError(err, "name", "kind", "email", "registrar-id", "verified-how"); ok {
			field = strings.ReplaceAll(field, "-", "_")
			return s.renderReporters(w, r, statusOf(tldguard.ErrorKind(err)), reportersPage{New: nr, Errors: map[string]string{field: errorSentence(err)}})
		}
		return err
	}
	return s.renderReporters(w, r, http.StatusCreated, reportersPage{Secret: &secret{What: "API token", For: rp.Name, Value: token}})
}

// uiVerifyReporter answers POST /admin/reporters/{id}/verify: it records
// who checked the account out of band, and how.
func (s *Server) uiVerifyReporter(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Admin, "Account administration"); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no reporter %q.", r.PathValue("id"))
	}
	by, how := strings.TrimSpace(r.PostFormValue("verified_by")), strings.TrimSpace(r.PostFormValue("verified_how"))
	var msg string
	switch {
	case by == "" || how == "":
		msg = "Say who checked the account and how (for example: called the agency's published switchboard and spoke to the duty officer)."
	case len(by) > 200 || len(how) > 1000:
		msg = "That is too long: at most 200 characters for who and 1000 for how."
	}
	if msg == "" {
		_, err := s.svc.Admin.VerifyReporter(r.Context(), id, by, how)
		if err == nil {
			return seeOther(w, r, "/admin/reporters?verified="+strconv.FormatInt(id, 10)+"#reporter-"+strconv.FormatInt(id, 10))
		}
		if _, ok := formError(err); !ok {
			return err
		}
		msg = errorSentence(err)
	}
	return s.renderReporters(w, r, http.StatusBadRequest, reportersPage{VerifyFor: id, Errors: map[string]string{"verify": msg}})
}

// policyPage is the data of GET /admin/policy.
type policyPage struct {
	page
	High     string
	Standard string
}

// uiPolicy answers GET /admin/policy: the effective policy, read-only.
func (s *Server) uiPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Directory, "The policy"); err != nil {
		return err
	}
	pol := s.svc.Directory.Policy()
	if pol == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "no policy")
	}
	pg := policyPage{page: s.base(r, "Policy"), High: hours(pol.Clocks.HighResponse), Standard: hours(pol.Clocks.StandardResponse)}
	return s.render(w, http.StatusOK, "policy", pg)
}

// hours writes a policy duration as the Framework states them: "24 hours".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return d.String()
}
