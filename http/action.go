package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// The Framework's actions over the API: the policy's triage of a case,
// proposals, approvals, rejections, undo, the registrar's referrals and
// the registration system's block check.

func (s *Server) actions() (tldguard.ActionService, error) {
	if s.svc.Actions == nil {
		return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "actions are not configured on this server")
	}
	return s.svc.Actions, nil
}

type actionJSON struct {
	ID                int64                     `json:"id"`
	CaseID            int64                     `json:"case_id"`
	CaseNumber        string                    `json:"case_number"`
	Kind              tldguard.ActionKind       `json:"kind"`
	State             tldguard.ActionState      `json:"state"`
	Domain            string                    `json:"domain"`
	Reason            string                    `json:"reason,omitempty"`
	NameServers       []string                  `json:"name_servers,omitempty"`
	RegistrarID       string                    `json:"registrar_id,omitempty"`
	Names             []string                  `json:"names,omitempty"`
	UndoOf            int64                     `json:"undo_of,omitempty"`
	RequiredApprovals int                       `json:"required_approvals"`
	Approvals         []tldguard.Approval       `json:"approvals"`
	ProposedBy        string                    `json:"proposed_by"`
	ProposedAt        time.Time                 `json:"proposed_at"`
	RejectedBy        string                    `json:"rejected_by,omitempty"`
	RejectReason      string                    `json:"reject_reason,omitempty"`
	Attempts          int                       `json:"attempts"`
	LastError         string                    `json:"last_error,omitempty"`
	Before            *tldguard.RegistryState   `json:"before,omitempty"`
	After             *tldguard.RegistryState   `json:"after,omitempty"`
	Result            string                    `json:"result,omitempty"`
	DoneAt            time.Time                 `json:"done_at,omitzero"`
	DueAt             time.Time                 `json:"due_at,omitzero"`
	Answer            *tldguard.RegistrarAnswer `json:"answer,omitempty"`
	UpdatedAt         time.Time                 `json:"updated_at"`
	Version           int64                     `json:"version"`
}

func toActionJSON(a *tldguard.Action) actionJSON {
	approvals := a.Approvals
	if approvals == nil {
		approvals = []tldguard.Approval{}
	}
	return actionJSON{
		ID: a.ID, CaseID: a.CaseID, CaseNumber: tldguard.CaseNumber(a.CaseID), Kind: a.Kind, State: a.State, Domain: a.Domain,
		Reason: a.Reason, NameServers: a.NameServers, RegistrarID: a.RegistrarID, Names: a.Names, UndoOf: a.UndoOf,
		RequiredApprovals: a.RequiredApprovals, Approvals: approvals, ProposedBy: a.ProposedBy, ProposedAt: utc(a.ProposedAt),
		RejectedBy: a.RejectedBy, RejectReason: a.RejectReason, Attempts: a.Attempts, LastError: a.LastError,
		Before: a.Before, After: a.After, Result: a.Result, DoneAt: utc(a.DoneAt), DueAt: utc(a.DueAt), Answer: a.Answer,
		UpdatedAt: utc(a.UpdatedAt), Version: a.Version,
	}
}

// handleTriage answers GET /api/v1/cases/{id}/proposals.
func (s *Server) handleTriage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	t, err := svc.Triage(r.Context(), id)
	if err != nil {
		return err
	}
	collateral := t.Collateral
	if collateral == nil {
		collateral = []tldguard.Warning{}
	}
	proposals := t.Proposals
	if proposals == nil {
		proposals = []tldguard.Proposal{}
	}
	return s.writeJSON(w, http.StatusOK, map[string]any{
		"case":           toCaseJSON(t.Case, s.now()),
		"classification": t.Verdict,
		"collateral":     collateral,
		"guarded":        t.Guarded,
		"proposals":      proposals,
	})
}

// handleProposeAction answers POST /api/v1/cases/{id}/actions.
func (s *Server) handleProposeAction(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var in tldguard.ActionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := svc.ProposeAction(r.Context(), id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/actions/"+strconv.FormatInt(a.ID, 10))
	return s.writeJSON(w, http.StatusCreated, toActionJSON(a))
}

// handleCaseActions answers GET /api/v1/cases/{id}/actions.
func (s *Server) handleCaseActions(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	as, err := svc.Actions(r.Context(), tldguard.ActionFilter{CaseID: id})
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, map[string]any{"actions": actionList(as)})
}

// handleActions answers GET /api/v1/actions?state=proposed (the approver's
// list of what waits for approval).
func (s *Server) handleActions(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	var f tldguard.ActionFilter
	for _, v := range r.URL.Query()["state"] {
		for _, st := range strings.Split(v, ",") {
			state := tldguard.ActionState(strings.TrimSpace(st))
			switch state {
			case tldguard.ActionProposed, tldguard.ActionApproved, tldguard.ActionRunning, tldguard.ActionDone,
				tldguard.ActionFailed, tldguard.ActionRejected, tldguard.ActionUndone:
				f.State = append(f.State, state)
			default:
				return badParam("state", "%q is not an action state", st)
			}
		}
	}
	if k := r.URL.Query().Get("kind"); k != "" {
		f.Kind = tldguard.ActionKind(k)
		if !f.Kind.Valid() {
			return badParam("kind", "%q is not an action", k)
		}
	}
	as, err := svc.Actions(r.Context(), f)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, map[string]any{"actions": actionList(as)})
}

func actionList(as []*tldguard.Action) []actionJSON {
	out := make([]actionJSON, len(as))
	for i, a := range as {
		out[i] = toActionJSON(a)
	}
	return out
}

// handleAction answers GET /api/v1/actions/{id}.
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := svc.Action(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, toActionJSON(a))
}

type decisionRequest struct {
	Note   string `json:"note"`
	Reason string `json:"reason"`
}

// handleDecision answers POST /api/v1/actions/{id}/approve, /reject and
// /undo.
func (s *Server) handleDecision(verb string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := s.actions()
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req decisionRequest
		if r.ContentLength != 0 {
			if err := s.decodeJSON(w, r, &req); err != nil {
				return err
			}
		}
		var a *tldguard.Action
		switch verb {
		case "approve":
			a, err = svc.ApproveAction(r.Context(), id, req.Note)
		case "reject":
			a, err = svc.RejectAction(r.Context(), id, req.Reason)
		case "undo":
			a, err = svc.UndoAction(r.Context(), id, req.Reason)
		}
		if err != nil {
			return err
		}
		status := http.StatusOK
		if verb == "undo" {
			status = http.StatusCreated
			w.Header().Set("Location", "/api/v1/actions/"+strconv.FormatInt(a.ID, 10))
		}
		return s.writeJSON(w, status, toActionJSON(a))
	}
}

// handleReferrals answers GET /api/v1/referrals for a registrar.
func (s *Server) handleReferrals(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	rs, err := svc.Referrals(r.Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(rs))
	for i, x := range rs {
		out[i] = map[string]any{"referral": toActionJSON(x.Action), "case": toCaseJSON(x.Case, s.now())}
	}
	return s.writeJSON(w, http.StatusOK, map[string]any{"referrals": out})
}

type answerRequest struct {
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

// handleAnswerReferral answers POST /api/v1/referrals/{id}/answer.
func (s *Server) handleAnswerReferral(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req answerRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	a, err := svc.AnswerReferral(r.Context(), id, req.Outcome, req.Detail)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, toActionJSON(a))
}

// handleBlocked answers GET /api/v1/blocked/{name}: 200 with the block
// when the name may not be registered, 404 when it may.
func (s *Server) handleBlocked(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.actions()
	if err != nil {
		return err
	}
	b, err := svc.Blocked(r.Context(), r.PathValue("name"))
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return tldguard.Errorf(tldguard.ENOTFOUND, "%s is not blocked: it may be registered", r.PathValue("name"))
	}
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, map[string]any{
		"name": b.Name, "blocked": true, "action_id": b.ActionID, "case_id": b.CaseID,
		"case_number": tldguard.CaseNumber(b.CaseID), "reason": b.Reason, "blocked_at": utc(b.BlockedAt),
	})
}
