package http

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// The Framework's actions in the web UI: on the case page the policy's
// assessment (classification, collateral, proposals with their dry-run),
// the form to propose an action and the case's actions with their
// approvals and the registry's answer; the forms that approve, reject and
// undo; and the approvers' list of what waits for them (ui_approval.go).
// Every form posts to a row of the route table with the rule of the API
// route doing the same work, and the service checks again.

// caseActions is the actions part of the case page (staff only).
type caseActions struct {
	Note       string // why the assessment is missing, "" when shown
	Verdict    *verdictView
	Collateral []warningView
	Guarded    bool
	Proposals  []proposalView
	Propose    *proposeForm // nil when the viewer may not propose
	Closed     bool         // the case is closed: nothing can be proposed
	Actions    []actionView // newest first
	ActionNote string       // why the list is missing
}

type verdictView struct {
	Class      string
	ClassClass string
	Score      int
	Reasons    []string
}

type warningView struct {
	Message string
	Guarded bool
}

// proposalView is one of the policy's proposals. Quick is set when it can
// be proposed as it stands, with one button.
type proposalView struct {
	Kind      string
	KindText  string
	Why       string
	Approvals string
	DryRun    []string
	Quick     bool
	NeedsMore string // why there is no button
}

// proposeForm is the form to propose any action, with what was submitted.
type proposeForm struct {
	Kinds       []option
	Reason      string
	NameServers string
	RegistrarID string
	Names       string
	Sinkhole    string // the policy's sinkhole, for the hint
	Errors      map[string]string
}

// actionView is one action as the case page and the approvals list show
// it, with the forms the viewer may use on it.
type actionView struct {
	ID           int64
	Anchor       string
	Kind         string
	KindText     string
	State        string
	StateText    string
	StateClass   string
	Reason       string
	Params       []fact
	ApprovalText string
	Approvals    []approvalView
	ProposedBy   string
	Proposed     *when
	RejectedBy   string
	RejectReason string
	WillChange   []string // for an action not yet carried out
	Before       *stateView
	After        *stateView
	Result       string
	Done         *when
	Attempts     int
	LastError    string
	Due          *when
	DueClock     clock
	Answer       *answerView
	ReleasedBy   string // "action 14 (waiting for approval)" for a hold released or being released

	// Forms, and what a refused form sent back.
	CSRF        string
	Back        string // "approvals" when the forms should come back to that list
	CanApprove  bool
	CanReject   bool
	CanUndo     bool
	OwnProposal bool // the viewer proposed it, so may not approve it
	Approved    bool // the viewer approved it already
	Error       string
	RejectError string
	UndoError   string
	NoteInput   string
	RejectInput string
	UndoInput   string
}

type fact struct {
	Key   string
	Value string
}

type approvalView struct {
	By   string
	At   *when
	Note string
}

type stateView struct {
	Statuses    []string
	NameServers []string
	Registrar   string
}

type answerView struct {
	Outcome string
	Detail  string
	By      string
	At      *when
}

// caseActions builds the actions part of the case page. Failures of the
// assessment or the list leave a note, not a broken page: the rest of the
// case is still worth reading.
func (s *Server) caseActions(r *http.Request, c *tldguard.Case) *caseActions {
	if s.svc.Actions == nil {
		return nil
	}
	ctx := r.Context()
	p := tldguard.FromContext(ctx)
	ca := &caseActions{Closed: c.Status == tldguard.StatusClosed}
	var reg *tldguard.Registration
	t, err := s.svc.Actions.Triage(ctx, c.ID)
	if err != nil {
		s.log.WarnContext(ctx, "http: triage failed", "case", c.ID, "request_id", requestID(ctx), "err", err)
		ca.Note = "The policy's assessment is not available right now: " + tldguard.ErrorMessage(err)
	} else {
		reg = t.Registration
		ca.Verdict = &verdictView{Class: classText(t.Verdict.Class), ClassClass: "class-" + string(t.Verdict.Class),
			Score: t.Verdict.Score, Reasons: t.Verdict.Reasons}
		if ca.Verdict.ClassClass == "class-" {
			ca.Verdict.ClassClass = "class-unknown"
		}
		for _, w := range t.Collateral {
			ca.Collateral = append(ca.Collateral, warningView{Message: sentence(w.Message), Guarded: w.Guarded})
		}
		ca.Guarded = t.Guarded
		for _, pr := range t.Proposals {
			pv := proposalView{Kind: string(pr.Kind), KindText: kindText(pr.Kind), Why: sentence(pr.Why),
				Approvals: approvalsNeeded(pr.RequiredApprovals), DryRun: pr.DryRun, Quick: true}
			switch {
			case pr.Kind == tldguard.ActionTransfer:
				pv.Quick, pv.NeedsMore = false, "A transfer needs the gaining registrar the authority named: use the form below."
			case pr.Kind == tldguard.ActionNoAction && pr.Why == "":
				pv.Quick, pv.NeedsMore = false, "Say why in the form below."
			}
			ca.Proposals = append(ca.Proposals, pv)
		}
	}
	if s.mayRead(p, "POST /cases/{id}/actions") && !ca.Closed {
		ca.Propose = &proposeForm{Kinds: kindOptions(""), Errors: map[string]string{}}
		if s.svc.Directory != nil {
			if pol := s.svc.Directory.Policy(); pol != nil {
				ca.Propose.Sinkhole = strings.Join(pol.Sinkhole, ", ")
			}
		}
	}
	as, err := s.svc.Actions.Actions(ctx, tldguard.ActionFilter{CaseID: c.ID})
	if err != nil {
		s.log.WarnContext(ctx, "http: listing actions failed", "case", c.ID, "request_id", requestID(ctx), "err", err)
		ca.ActionNote = "The case's actions could not be read right now."
		return ca
	}
	byID := map[int64]*tldguard.Action{}
	for _, a := range as {
		byID[a.ID] = a
	}
	for i := len(as) - 1; i >= 0; i-- {
		ca.Actions = append(ca.Actions, s.actionView(r, as[i], reg, byID[as[i].UndoOf], as))
	}
	return ca
}

// actionView shows a for the viewer of r. reg is the name's registration
// now (for what a pending action would change), undone the action a
// release undoes, and siblings the case's other actions (to see whether a
// release is already under way), when known.
func (s *Server) actionView(r *http.Request, a *tldguard.Action, reg *tldguard.Registration, undone *tldguard.Action, siblings []*tldguard.Action) actionView {
	p := tldguard.FromContext(r.Context())
	now := s.now()
	v := actionView{
		ID: a.ID, Anchor: "action-" + strconv.FormatInt(a.ID, 10), Kind: string(a.Kind), KindText: kindText(a.Kind),
		State: string(a.State), StateText: stateText(a.State), StateClass: "state-" + string(a.State),
		Reason: a.Reason, ProposedBy: a.ProposedBy, Proposed: at(a.ProposedAt),
		RejectedBy: a.RejectedBy, RejectReason: a.RejectReason, Result: a.Result, Done: at(a.DoneAt),
		Attempts: a.Attempts, LastError: a.LastError, Before: toStateView(a.Before), After: toStateView(a.After),
	}
	if len(a.NameServers) > 0 {
		v.Params = append(v.Params, fact{"Name servers", strings.Join(a.NameServers, ", ")})
	}
	if a.RegistrarID != "" {
		v.Params = append(v.Params, fact{"Gaining registrar", a.RegistrarID})
	}
	if len(a.Names) > 0 {
		v.Params = append(v.Params, fact{"Names", strings.Join(a.Names, ", ")})
	}
	if a.UndoOf != 0 {
		v.Params = append(v.Params, fact{"Undoes", "action " + strconv.FormatInt(a.UndoOf, 10)})
	}
	switch {
	case a.RequiredApprovals == 0:
		v.ApprovalText = "None needed"
	default:
		v.ApprovalText = fmt.Sprintf("%d of %d", len(a.Approvals), a.RequiredApprovals)
	}
	for _, ap := range a.Approvals {
		v.Approvals = append(v.Approvals, approvalView{By: ap.By, At: at(ap.At), Note: ap.Note})
		v.Approved = v.Approved || ap.By == p.Actor()
	}
	if a.State == tldguard.ActionProposed || a.State == tldguard.ActionApproved {
		v.WillChange = willChange(a, reg, undone)
	}
	if a.Kind == tldguard.ActionReferRegistrar && !a.DueAt.IsZero() {
		v.Due = at(a.DueAt)
		v.DueClock = deadlineClock(a.DueAt, a.Answer != nil, now)
	}
	if a.Answer != nil {
		v.Answer = &answerView{Outcome: outcomeText(a.Answer.Outcome), Detail: a.Answer.Detail, By: a.Answer.By, At: at(a.Answer.At)}
	}
	releasing := false
	for _, o := range siblings {
		if o.Kind == tldguard.ActionRelease && o.UndoOf == a.ID && o.State != tldguard.ActionRejected && o.State != tldguard.ActionFailed {
			releasing = true
			v.ReleasedBy = fmt.Sprintf("action %d (%s)", o.ID, strings.ToLower(stateText(o.State)))
		}
	}
	v.CSRF = formToken(r)
	if a.State == tldguard.ActionProposed {
		v.OwnProposal = a.ProposedBy == p.Actor()
		v.CanApprove = s.mayRead(p, "POST /actions/{id}/approve") && !v.OwnProposal && !v.Approved
		v.CanReject = s.mayRead(p, "POST /actions/{id}/reject")
	}
	if a.State == tldguard.ActionDone && undoable(a.Kind) && !releasing {
		v.CanUndo = s.mayRead(p, "POST /actions/{id}/undo")
	}
	return v
}

func undoable(k tldguard.ActionKind) bool {
	return k == tldguard.ActionHold || k == tldguard.ActionLock || k == tldguard.ActionRedirect
}

func toStateView(st *tldguard.RegistryState) *stateView {
	if st == nil {
		return nil
	}
	return &stateView{Statuses: st.Statuses, NameServers: st.NameServers, Registrar: st.RegistrarID}
}

// willChange says what a pending action will change at the registry,
// against the registration as it stands now (reg may be nil when the
// registry did not answer).
func willChange(a *tldguard.Action, reg *tldguard.Registration, undone *tldguard.Action) []string {
	switch a.Kind {
	case tldguard.ActionRequestInfo:
		return []string{"asks the reporters for more evidence; nothing changes at the registry"}
	case tldguard.ActionReferRegistrar:
		return []string{"sends the registrar's abuse contact the evidence and starts its answer clock; nothing changes at the registry"}
	case tldguard.ActionNoAction:
		return []string{"closes the case with the stated reason; nothing changes at the registry"}
	case tldguard.ActionBlock:
		return []string{"refuses registration of " + strings.Join(a.Names, ", ")}
	case tldguard.ActionDelete:
		return []string{"deletes " + a.Domain + " from the registry: it leaves the zone and can be registered again later"}
	case tldguard.ActionTransfer:
		return []string{"moves " + a.Domain + " to registrar " + a.RegistrarID}
	}
	var statuses, ns []string
	if reg != nil {
		statuses, ns = reg.Statuses, reg.NameServers
	}
	var add, remove, newNS []string
	switch a.Kind {
	case tldguard.ActionHold:
		add = []string{tldguard.StatusServerHold}
	case tldguard.ActionLock:
		add = tldguard.LockStatuses
	case tldguard.ActionRedirect:
		newNS = a.NameServers
	case tldguard.ActionRelease:
		if undone == nil {
			return []string{"releases action " + strconv.FormatInt(a.UndoOf, 10)}
		}
		switch undone.Kind {
		case tldguard.ActionHold:
			remove = []string{tldguard.StatusServerHold}
		case tldguard.ActionLock:
			remove = tldguard.LockStatuses
		case tldguard.ActionRedirect:
			if undone.Before != nil {
				newNS = undone.Before.NameServers
				if newNS == nil {
					newNS = []string{}
				}
			}
		}
		if undone.Before != nil {
			remove = slices.DeleteFunc(slices.Clone(remove), func(st string) bool { return slices.Contains(undone.Before.Statuses, st) })
		}
	}
	var words []string
	for _, st := range add {
		if slices.Contains(statuses, st) {
			words = append(words, st+" is already set")
		} else {
			words = append(words, "adds "+st)
		}
	}
	for _, st := range remove {
		if reg == nil || slices.Contains(statuses, st) {
			words = append(words, "removes "+st)
		}
	}
	if newNS != nil {
		words = append(words, fmt.Sprintf("replaces the name servers %s with %s", listOrNone(ns, reg != nil), listOrNone(newNS, true)))
	}
	if slices.Contains(add, tldguard.StatusServerHold) {
		words = append(words, a.Domain+" and every name under it stop resolving")
	}
	if len(words) == 0 {
		words = []string{"nothing to change: the registry already is in that state"}
	}
	if reg == nil {
		words = append(words, "(the registry did not say what the name holds now)")
	}
	return words
}

func listOrNone(xs []string, known bool) string {
	switch {
	case !known:
		return "(unknown)"
	case len(xs) == 0:
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

// kindChoices are the kinds an analyst proposes, with what each does; a
// release is proposed with the undo button of what it releases.
var kindChoices = []string{
	"request_info", "Request information: ask the reporters for more evidence",
	"refer_registrar", "Refer to the registrar: its abuse contact gets the evidence and an answer clock",
	"hold", "Hold: add serverHold, the name leaves the zone",
	"lock", "Lock: no updates, transfers or deletion",
	"redirect", "Redirect: point the name at the sinkhole name servers",
	"transfer", "Transfer: move the name to a registrar the authority named",
	"delete", "Delete the name (only on an authority's direction)",
	"block", "Block registration of names not yet registered",
	"no_action", "No action: close with the stated reason",
}

func kindOptions(selected string) []option {
	return options(selected, append([]string{"", "Choose an action"}, kindChoices...)...)
}

func kindText(k tldguard.ActionKind) string {
	switch k {
	case tldguard.ActionRequestInfo:
		return "Request information"
	case tldguard.ActionReferRegistrar:
		return "Refer to the registrar"
	case tldguard.ActionHold:
		return "Hold"
	case tldguard.ActionLock:
		return "Lock"
	case tldguard.ActionRedirect:
		return "Redirect to the sinkhole"
	case tldguard.ActionTransfer:
		return "Transfer"
	case tldguard.ActionDelete:
		return "Delete"
	case tldguard.ActionBlock:
		return "Block registration"
	case tldguard.ActionNoAction:
		return "No action"
	case tldguard.ActionRelease:
		return "Release"
	}
	return string(k)
}

func stateText(st tldguard.ActionState) string {
	switch st {
	case tldguard.ActionProposed:
		return "Waiting for approval"
	case tldguard.ActionApproved:
		return "Approved, queued to run"
	case tldguard.ActionRunning:
		return "Running"
	case tldguard.ActionDone:
		return "Done"
	case tldguard.ActionFailed:
		return "Failed"
	case tldguard.ActionRejected:
		return "Rejected"
	case tldguard.ActionUndone:
		return "Undone"
	}
	return string(st)
}

func outcomeText(o string) string {
	switch o {
	case "mitigated":
		return "Mitigated"
	case "no_action":
		return "No action"
	}
	return o
}

func approvalsNeeded(n int) string {
	switch n {
	case 0:
		return "No approval needed"
	case 1:
		return "Needs 1 approval"
	}
	return fmt.Sprintf("Needs %d approvals", n)
}

// sentence starts s with a capital letter and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Flash messages after a form: the redirect names one of these and the
// action, never free text.
var actionNotices = map[string]string{
	"proposed":      "Action %d proposed. It waits for approval.",
	"queued":        "Action %d needs no approval and is queued to run.",
	"approved":      "Action %d approved and queued to run.",
	"approved-more": "Your approval of action %d is recorded. It needs another approver.",
	"rejected":      "Action %d rejected.",
	"undo":          "Release proposed as action %d. It waits for approval.",
	"undo-queued":   "Release queued to run as action %d.",
	"answered":      "Your answer to referral %d is recorded.",
	"answered-no":   "Your answer to referral %d is recorded. The registry will now act on the name itself.",
}

// actionNotice reads the flash message a redirect asked for.
func actionNotice(r *http.Request) string {
	q := r.URL.Query()
	format, ok := actionNotices[q.Get("done")]
	id, err := strconv.ParseInt(q.Get("action"), 10, 64)
	if !ok || err != nil || id <= 0 {
		return ""
	}
	return fmt.Sprintf(format, id)
}

// afterAction is where a form that changed action a goes back to.
func afterAction(back string, a *tldguard.Action, done string) string {
	anchor := "#action-" + strconv.FormatInt(a.ID, 10)
	q := "?done=" + done + "&action=" + strconv.FormatInt(a.ID, 10)
	if back == "approvals" {
		return "/approvals" + q
	}
	return "/cases/" + strconv.FormatInt(a.CaseID, 10) + q + anchor
}

// uiProposeAction answers POST /cases/{id}/actions: the propose form and
// the proposals' own buttons.
func (s *Server) uiProposeAction(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Actions, "Actions"); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no case %q.", r.PathValue("id"))
	}
	form := r.PostForm
	in := tldguard.ActionInput{Kind: tldguard.ActionKind(strings.TrimSpace(form.Get("kind"))), Reason: strings.TrimSpace(form.Get("reason"))}
	kept := proposeForm{Kinds: kindOptions(string(in.Kind)), Reason: form.Get("reason"), NameServers: form.Get("name_servers"),
		RegistrarID: form.Get("registrar_id"), Names: form.Get("names"), Errors: map[string]string{}}
	switch in.Kind {
	case tldguard.ActionRedirect:
		in.NameServers = fieldsOf(kept.NameServers)
	case tldguard.ActionTransfer:
		in.RegistrarID = strings.TrimSpace(kept.RegistrarID)
	case tldguard.ActionBlock:
		in.Names = fieldsOf(kept.Names)
	}
	switch {
	case in.Kind == "":
		kept.Errors["kind"] = "Choose the action to propose."
	case !in.Kind.Valid() || in.Kind == tldguard.ActionRelease:
		kept.Errors["kind"] = "Choose an action from the list."
	case len(in.Names) > 1000:
		kept.Errors["names"] = "Block at most 1000 names at once."
	case len(in.NameServers) > 13:
		kept.Errors["name_servers"] = "Give at most 13 name servers."
	}
	if len(kept.Errors) == 0 {
		a, err := s.svc.Actions.ProposeAction(r.Context(), id, in)
		if err == nil {
			done := "proposed"
			if a.State != tldguard.ActionProposed {
				done = "queued"
			}
			return seeOther(w, r, afterAction("", a, done))
		}
		if !shownOnForm(err) {
			return err
		}
		field := tldguard.ErrorField(err)
		if i := strings.IndexByte(field, '['); i > 0 {
			field = field[:i]
		}
		switch field {
		case "kind", "reason", "name_servers", "registrar_id", "names":
			kept.Errors[field] = errorSentence(err)
		default:
			kept.Errors["form"] = errorSentence(err)
		}
		return s.caseWithActionErrors(w, r, id, statusOf(tldguard.ErrorKind(err)), &kept, nil)
	}
	return s.caseWithActionErrors(w, r, id, http.StatusBadRequest, &kept, nil)
}

// fieldsOf splits a list typed one a line (or separated by spaces or
// commas) into its items.
func fieldsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// shownOnForm reports whether a service error belongs beside the form
// that caused it (a refusal the person can act on), not on an error page.
func shownOnForm(err error) bool {
	switch tldguard.ErrorKind(err) {
	case tldguard.EINVALID, tldguard.EUNPROCESSABLE, tldguard.ETOOLARGE, tldguard.ECONFLICT, tldguard.EFORBIDDEN:
		return true
	}
	return false
}

// proposeErrorIDs are the propose form's controls, by the field names the
// service reports.
var proposeErrorIDs = map[string]string{
	"kind": "action-kind", "reason": "action-reason", "name_servers": "action-name-servers",
	"registrar_id": "action-registrar", "names": "action-names", "form": "propose",
}

// caseWithActionErrors shows the case page again with a refused form's
// errors beside it and in the summary at the top.
func (s *Server) caseWithActionErrors(w http.ResponseWriter, r *http.Request, caseID int64, status int, kept *proposeForm, decided *decision) error {
	pg, err := s.casePage(r, caseID)
	if err != nil {
		return err
	}
	pg.Errors = map[string]string{}
	if kept != nil && pg.Actions != nil && pg.Actions.Propose != nil {
		kept.Sinkhole = pg.Actions.Propose.Sinkhole
		pg.Actions.Propose = kept
		for field, msg := range kept.Errors {
			pg.Errors[proposeErrorIDs[field]] = msg
		}
	} else if kept != nil {
		for _, msg := range kept.Errors {
			pg.Errors["actions"] = msg
		}
	}
	if decided != nil && pg.Actions != nil {
		for i := range pg.Actions.Actions {
			if pg.Actions.Actions[i].ID == decided.id {
				pg.Errors[decided.apply(&pg.Actions.Actions[i])] = decided.msg
			}
		}
	}
	if len(pg.Errors) == 0 && decided != nil {
		pg.Errors["actions"] = decided.msg
	}
	return s.render(w, status, "case", pg)
}

// decision is a refused approve, reject or undo, to show beside its form.
type decision struct {
	id    int64
	verb  string
	msg   string
	field string
	input string
}

// apply puts the refusal on the action's view and returns the id of the
// element the error summary links to.
func (d *decision) apply(v *actionView) string {
	switch {
	case d.verb == "reject" && d.field == "reason":
		v.RejectError, v.RejectInput = d.msg, d.input
		return "reject-reason-" + strconv.FormatInt(d.id, 10)
	case d.verb == "undo" && d.field == "reason":
		v.UndoError, v.UndoInput = d.msg, d.input
		return "undo-reason-" + strconv.FormatInt(d.id, 10)
	}
	v.Error = d.msg
	switch d.verb {
	case "approve":
		v.NoteInput = d.input
	case "reject":
		v.RejectInput = d.input
	case "undo":
		v.UndoInput = d.input
	}
	return v.Anchor
}

// uiDecide answers POST /actions/{id}/approve, /reject and /undo. Success
// goes back (to the case, or to the approvals list the form came from)
// with a flash message; a refusal shows that page again with the reason
// at the action.
func (s *Server) uiDecide(verb string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := need(s.svc.Actions, "Actions"); err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return tldguard.Errorf(tldguard.ENOTFOUND, "There is no action %q.", r.PathValue("id"))
		}
		back := r.PostForm.Get("back")
		if back != "approvals" {
			back = ""
		}
		var a *tldguard.Action
		var input string
		switch verb {
		case "approve":
			input = r.PostForm.Get("note")
			if len(input) > 4096 {
				err = tldguard.FieldErrorf(tldguard.ETOOLARGE, "note", "the note is longer than 4096 characters")
				break
			}
			a, err = s.svc.Actions.ApproveAction(r.Context(), id, input)
		case "reject":
			input = r.PostForm.Get("reason")
			if len(input) > 4096 {
				err = tldguard.FieldErrorf(tldguard.ETOOLARGE, "reason", "the reason is longer than 4096 characters")
				break
			}
			a, err = s.svc.Actions.RejectAction(r.Context(), id, input)
		case "undo":
			input = r.PostForm.Get("reason")
			if len(input) > 4096 {
				err = tldguard.FieldErrorf(tldguard.ETOOLARGE, "reason", "the reason is longer than 4096 characters")
				break
			}
			a, err = s.svc.Actions.UndoAction(r.Context(), id, input)
		}
		if err == nil {
			done := verb + "ed"
			switch {
			case verb == "approve" && a.State == tldguard.ActionProposed:
				done = "approved-more"
			case verb == "approve":
				done = "approved"
			case verb == "undo" && a.State == tldguard.ActionProposed:
				done = "undo"
			case verb == "undo":
				done = "undo-queued"
			}
			return seeOther(w, r, afterAction(back, a, done))
		}
		if !shownOnForm(err) {
			return err
		}
		d := &decision{id: id, verb: verb, msg: errorSentence(err), field: tldguard.ErrorField(err), input: input}
		status := statusOf(tldguard.ErrorKind(err))
		if back == "approvals" {
			return s.approvalsWithError(w, r, status, d)
		}
		act, aerr := s.svc.Actions.Action(r.Context(), id)
		if aerr != nil {
			return err
		}
		return s.caseWithActionErrors(w, r, act.CaseID, status, nil, d)
	}
}

// formToken is the CSRF token for the forms of r's page.
func formToken(r *http.Request) string {
	if c := credentialFrom(r.Context()); c.session != "" {
		return csrfToken(c.session)
	}
	return ""
}

// deadlineClock colours a deadline like a case's response clock: overdue
// red, under 6 hours amber, under a day yellow, more green, met grey.
func deadlineClock(due time.Time, met bool, now time.Time) clock {
	if met {
		return clock{Class: "clock-done", Text: "Answered"}
	}
	return dueClock(due, now)
}
