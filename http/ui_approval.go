package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tldguard/tldguard"
)

// The approvers' list: every action waiting for approval, oldest first,
// with the case's evidence beside what the action would change.

// approvalsLimit bounds the list; past it the page says so.
const approvalsLimit = 100

// approvalsPage is the data of GET /approvals.
type approvalsPage struct {
	page
	Items     []approvalItem
	More      bool // more wait than the page shows
	MayDecide bool // the viewer's role approves and rejects
	Errors    map[string]string
}

// approvalItem is one action waiting, with its case.
type approvalItem struct {
	actionView
	CaseHref      string
	CaseNumber    string
	Domain        string
	Threat        string
	Class         string
	Priority      string
	PriorityClass string
	Clock         clock
	Registrar     string
	Reports       int
	FirstThreat   string
	FirstSource   string
	Evidence      int
	CaseNote      string // why the case could not be read
}

// uiApprovals answers GET /approvals.
func (s *Server) uiApprovals(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.approvalsPage(r)
	if err != nil {
		return err
	}
	pg.Notice = actionNotice(r)
	return s.render(w, http.StatusOK, "approvals", pg)
}

// approvalsWithError shows the list again with a refused decision at its
// action (or at the top, when the action no longer waits).
func (s *Server) approvalsWithError(w http.ResponseWriter, r *http.Request, status int, d *decision) error {
	pg, err := s.approvalsPage(r)
	if err != nil {
		return err
	}
	pg.Errors = map[string]string{}
	for i := range pg.Items {
		if pg.Items[i].ID == d.id {
			pg.Errors[d.apply(&pg.Items[i].actionView)] = d.msg
		}
	}
	if len(pg.Errors) == 0 {
		pg.Errors["approvals-title"] = "Action " + strconv.FormatInt(d.id, 10) + ": " + d.msg
	}
	return s.render(w, status, "approvals", pg)
}

func (s *Server) approvalsPage(r *http.Request) (*approvalsPage, error) {
	if err := need(s.svc.Actions, "Actions"); err != nil {
		return nil, err
	}
	ctx := r.Context()
	p := tldguard.FromContext(ctx)
	pg := &approvalsPage{page: s.base(r, "Waiting for approval"), MayDecide: s.mayRead(p, "POST /actions/{id}/approve")}
	as, err := s.svc.Actions.Actions(ctx, tldguard.ActionFilter{State: []tldguard.ActionState{tldguard.ActionProposed}, Limit: approvalsLimit + 1})
	if err != nil {
		return nil, err
	}
	if len(as) > approvalsLimit {
		as, pg.More = as[:approvalsLimit], true
	}
	cases := map[int64]*caseFacts{}
	now := s.now()
	for _, a := range as {
		cf := cases[a.CaseID]
		if cf == nil {
			cf = s.caseFacts(ctx, a.CaseID)
			cases[a.CaseID] = cf
		}
		var undone *tldguard.Action
		if a.Kind == tldguard.ActionRelease && a.UndoOf != 0 {
			undone, _ = s.svc.Actions.Action(ctx, a.UndoOf)
		}
		v := s.actionView(r, a, cf.reg, undone, nil)
		v.Back = "approvals"
		it := approvalItem{actionView: v, CaseHref: "/cases/" + strconv.FormatInt(a.CaseID, 10),
			CaseNumber: tldguard.CaseNumber(a.CaseID), Domain: a.Domain, CaseNote: cf.note}
		if c := cf.c; c != nil {
			it.Threat, it.Class = threatText(c.ThreatType), classText(c.Classification)
			it.Priority, it.PriorityClass = priorityText(c.Priority), "prio-"+string(c.Priority)
			it.Clock, it.Registrar, it.Reports = clockOf(c, now), registrarText(c), c.ReportCount
		}
		if d := cf.detail; d != nil {
			it.Evidence = len(d.Evidence)
			if len(d.Reports) > 0 {
				first := d.Reports[0]
				for _, rp := range d.Reports[1:] {
					if rp.ReceivedAt.Before(first.ReceivedAt) {
						first = rp
					}
				}
				it.FirstThreat, it.FirstSource = threatText(first.ThreatType), sourceText(first.Source)
			}
		}
		pg.Items = append(pg.Items, it)
	}
	return pg, nil
}

// caseFacts is what the approvals list reads about a case once, however
// many of its actions wait.
type caseFacts struct {
	c      *tldguard.Case
	detail *tldguard.CaseDetail
	reg    *tldguard.Registration
	note   string
}

func (s *Server) caseFacts(ctx context.Context, id int64) *caseFacts {
	cf := &caseFacts{}
	d, err := s.svc.Cases.Case(ctx, id)
	if err != nil || d == nil || d.Case == nil {
		s.log.WarnContext(ctx, "http: reading a case for the approvals list failed", "case", id, "request_id", requestID(ctx), "err", err)
		cf.note = "The case could not be read right now."
		return cf
	}
	cf.c, cf.detail = d.Case, d
	if s.svc.Registry != nil && d.Case.Registered {
		if reg, err := s.svc.Registry.Lookup(ctx, d.Case.Domain); err == nil {
			cf.reg = reg
		}
	}
	return cf
}
