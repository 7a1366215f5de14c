package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/policy"
)

// Job kinds.
const (
	jobAction   = "action"   // carry out an approved action
	jobReferral = "referral" // a referral's answer is due: escalate if unanswered
)

// Triage computes the case's classification, collateral and proposals.
// Staff only.
func (s *Service) Triage(ctx context.Context, caseID int64) (*tldguard.Triage, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var c *tldguard.Case
	var reports []*tldguard.Report
	var findings []*tldguard.Finding
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		if c, err = tx.CaseByID(caseID); err != nil {
			return err
		}
		if reports, err = tx.ListReports(tldguard.ReportFilter{CaseID: caseID}); err != nil {
			return err
		}
		findings, err = tx.ListFindings(tldguard.FindingFilter{CaseID: caseID})
		return err
	})
	if err != nil {
		return nil, notFoundCase(err, caseID)
	}
	var reg *tldguard.Registration
	if c.Registered {
		if reg, err = s.registry.Lookup(ctx, c.Domain); err != nil && tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			return nil, err
		}
	}
	t := &tldguard.Triage{Case: c, Registration: reg}
	t.Verdict = s.policy.Classify(classifyInput(c, reg, reports, findings))
	ci := collateralInput(c, reg, reports)
	if c.Registered {
		err := s.store.Read(ctx, func(tx tldguard.Tx) error {
			n, err := tx.CountDependents(c.Domain)
			ci.DependentNames = int(n)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	t.Collateral = s.policy.Collateral(ci)
	t.Guarded = policy.Guarded(t.Collateral)
	source, requested, authority := strongest(reports)
	// The proposals follow the analyst's classification if one was set,
	// else the computed one.
	pc := *c
	if pc.Classification == tldguard.ClassUnknown {
		pc.Classification = t.Verdict.Class
	}
	for _, p := range s.policy.Propose(&pc, source, requested, authority) {
		pv := tldguard.Proposal{Kind: p.Kind, Why: p.Why, RequiredApprovals: s.policy.RequiredApprovals(p.Kind, t.Guarded)}
		a := &tldguard.Action{Kind: p.Kind, Domain: c.Domain}
		s.fillDefaults(a, c)
		pv.Change, pv.DryRun = s.dryRun(a, reg, nil)
		t.Proposals = append(t.Proposals, pv)
	}
	return t, nil
}

// strongest returns the most trusted source among a case's reports, and
// the action and authority of the most trusted report that requested one.
func strongest(reports []*tldguard.Report) (tldguard.Source, tldguard.ActionKind, string) {
	best := tldguard.SourcePublic
	rank := func(s tldguard.Source) int { return slices.Index(tldguard.Sources, s) }
	var requested tldguard.ActionKind
	var authority string
	reqRank := len(tldguard.Sources)
	for _, r := range reports {
		if rank(r.Source) >= 0 && rank(r.Source) < rank(best) {
			best = r.Source
		}
		if r.Request != nil && r.Request.RequestedAction != "" && rank(r.Source) < reqRank {
			requested, authority, reqRank = tldguard.ActionKind(r.Request.RequestedAction), r.Request.Authority, rank(r.Source)
		}
	}
	return best, requested, authority
}

func classifyInput(c *tldguard.Case, reg *tldguard.Registration, reports []*tldguard.Report, findings []*tldguard.Finding) policy.ClassifyInput {
	in := policy.ClassifyInput{Domain: c.Domain, Registered: c.Registered, FirstReport: c.OpenedAt}
	if reg != nil {
		in.CreatedAt = reg.CreatedAt
	}
	for _, r := range reports {
		for _, t := range r.Targets {
			if t.URL != "" && t.Domain == c.Domain {
				in.URLs = append(in.URLs, t.URL)
			}
		}
	}
	for _, f := range findings {
		in.URLs = append(in.URLs, f.URLs...)
		in.AbusedLegitimate = in.AbusedLegitimate || f.Compromised
	}
	return in
}

func collateralInput(c *tldguard.Case, reg *tldguard.Registration, reports []*tldguard.Report) policy.CollateralInput {
	in := policy.CollateralInput{Domain: c.Domain}
	if reg != nil {
		in.NameServers = reg.NameServers
	}
	hosts := map[string]bool{}
	for _, r := range reports {
		for _, t := range r.Targets {
			if t.Domain == c.Domain {
				hosts[t.Host] = true
			}
		}
	}
	in.ReportedHosts = len(hosts)
	return in
}

// fillDefaults completes an action's parameters from the case and policy.
func (s *Service) fillDefaults(a *tldguard.Action, c *tldguard.Case) {
	switch a.Kind {
	case tldguard.ActionRedirect:
		if len(a.NameServers) == 0 {
			a.NameServers = slices.Clone(s.policy.Sinkhole)
		}
	case tldguard.ActionBlock:
		if len(a.Names) == 0 {
			a.Names = []string{c.Domain}
		}
	}
}

// dryRun returns the registry change an action makes on reg, and says it
// in words. undone is the action a release undoes.
func (s *Service) dryRun(a *tldguard.Action, reg *tldguard.Registration, undone *tldguard.Action) (*tldguard.Change, []string) {
	ch := changeFor(a, undone)
	var words []string
	switch a.Kind {
	case tldguard.ActionRequestInfo:
		return nil, []string{"asks the reporters for more evidence; nothing changes at the registry"}
	case tldguard.ActionReferRegistrar:
		return nil, []string{"sends the registrar's abuse contact the evidence and an XARF report, and starts its answer clock; nothing changes at the registry"}
	case tldguard.ActionNoAction:
		return nil, []string{"closes the case with the stated reason; nothing changes at the registry"}
	case tldguard.ActionBlock:
		return nil, []string{fmt.Sprintf("refuses registration of %s", strings.Join(a.Names, ", "))}
	case tldguard.ActionDelete:
		return ch, []string{fmt.Sprintf("deletes %s from the registry: it leaves the zone and can be registered again later", a.Domain)}
	case tldguard.ActionTransfer:
		return ch, []string{fmt.Sprintf("moves %s to registrar %s", a.Domain, a.RegistrarID)}
	}
	var cur []string
	var ns []string
	if reg != nil {
		cur, ns = reg.Statuses, reg.NameServers
	}
	for _, st := range ch.AddStatuses {
		if slices.Contains(cur, st) {
			words = append(words, fmt.Sprintf("%s is already set", st))
		} else {
			words = append(words, "adds "+st)
		}
	}
	for _, st := range ch.RemoveStatuses {
		if slices.Contains(cur, st) {
			words = append(words, "removes "+st)
		}
	}
	if ch.NameServers != nil {
		words = append(words, fmt.Sprintf("replaces the name servers %s with %s", listOrNone(ns), listOrNone(ch.NameServers)))
	}
	if slices.Contains(ch.AddStatuses, tldguard.StatusServerHold) {
		words = append(words, fmt.Sprintf("%s and every name under it stop resolving", a.Domain))
	}
	if len(words) == 0 {
		words = []string{"nothing to change: the registry already is in that state"}
	}
	return ch, words
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

// changeFor is the registry change an action asks for.
func changeFor(a *tldguard.Action, undone *tldguard.Action) *tldguard.Change {
	ch := &tldguard.Change{Kind: a.Kind, Domain: a.Domain, Reference: fmt.Sprintf("tldguard-action-%d", a.ID)}
	switch a.Kind {
	case tldguard.ActionHold:
		ch.AddStatuses = []string{tldguard.StatusServerHold}
	case tldguard.ActionLock:
		ch.AddStatuses = slices.Clone(tldguard.LockStatuses)
	case tldguard.ActionRedirect:
		ch.NameServers = slices.Clone(a.NameServers)
	case tldguard.ActionTransfer:
		ch.RegistrarID = a.RegistrarID
	case tldguard.ActionRelease:
		if undone == nil {
			break
		}
		switch undone.Kind {
		case tldguard.ActionHold:
			ch.RemoveStatuses = []string{tldguard.StatusServerHold}
		case tldguard.ActionLock:
			ch.RemoveStatuses = slices.Clone(tldguard.LockStatuses)
		case tldguard.ActionRedirect:
			if undone.Before != nil {
				ch.NameServers = slices.Clone(undone.Before.NameServers)
				if ch.NameServers == nil {
					ch.NameServers = []string{}
				}
			}
		}
		// A status that was there before the undone action stays.
		if undone.Before != nil {
			ch.RemoveStatuses = slices.DeleteFunc(ch.RemoveStatuses, func(st string) bool { return slices.Contains(undone.Before.Statuses, st) })
		}
	}
	return ch
}

// ProposeAction records a proposed action on a case (analyst, approver,
// admin). Actions that need no approval under the policy are approved at
// once and queued to run in the same transaction.
func (s *Service) ProposeAction(ctx context.Context, caseID int64, in tldguard.ActionInput) (*tldguard.Action, error) {
	p, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover)
	if err != nil {
		return nil, err
	}
	if !in.Kind.Valid() {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "kind", "%q is not an action (%s)", in.Kind, kindList())
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if len(in.Reason) > 4096 {
		return nil, tldguard.FieldErrorf(tldguard.ETOOLARGE, "reason", "is longer than 4096 characters")
	}
	if in.Kind == tldguard.ActionNoAction && in.Reason == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "no_action needs the reason (false positive, cleaned, out of scope, insufficient evidence, ...)")
	}
	for i, ns := range in.NameServers {
		n, err := dnsname.Normalize(ns)
		if err != nil {
			return nil, withField(err, fmt.Sprintf("name_servers[%d]", i))
		}
		in.NameServers[i] = n
	}
	now := s.clock()
	var a *tldguard.Action
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		c, err := tx.CaseByID(caseID)
		if err != nil {
			return notFoundCase(err, caseID)
		}
		if c.Status == tldguard.StatusClosed {
			return tldguard.Errorf(tldguard.ECONFLICT, "%s is closed; reopen it first", c.Number())
		}
		a = &tldguard.Action{CaseID: c.ID, Kind: in.Kind, State: tldguard.ActionProposed, Domain: c.Domain, Reason: in.Reason,
			NameServers: in.NameServers, RegistrarID: in.RegistrarID, Names: in.Names, UndoOf: in.UndoOf,
			ProposedBy: p.Actor(), ProposedAt: now, UpdatedAt: now}
		s.fillDefaults(a, c)
		if err := s.checkAction(tx, a, c); err != nil {
			return err
		}
		guarded := false
		if a.Kind.ChangesResolution() {
			reg, _ := tx.Registration(c.Domain)
			var reports []*tldguard.Report
			if reports, err = tx.ListReports(tldguard.ReportFilter{CaseID: c.ID}); err != nil {
				return err
			}
			ci := collateralInput(c, reg, reports)
			n, err := tx.CountDependents(c.Domain)
			if err != nil {
				return err
			}
			ci.DependentNames = int(n)
			guarded = policy.Guarded(s.policy.Collateral(ci))
		}
		a.RequiredApprovals = s.policy.RequiredApprovals(a.Kind, guarded)
		if a.RequiredApprovals == 0 {
			a.State = tldguard.ActionApproved
		}
		if err := tx.InsertAction(a); err != nil {
			return err
		}
		if err := tx.AppendEvent(event(ctx, now, "action.proposed", c.ID, fmt.Sprintf("action:%d", a.ID), map[string]any{
			"action_id": a.ID, "kind": a.Kind, "reason": a.Reason, "required_approvals": a.RequiredApprovals,
			"guarded": guarded, "name_servers": a.NameServers, "registrar_id": a.RegistrarID, "names": a.Names, "undo_of": a.UndoOf,
		})); err != nil {
			return err
		}
		if a.State == tldguard.ActionApproved {
			return s.queueAction(tx, a, now)
		}
		return nil
	})
	if err == nil && a.State == tldguard.ActionApproved {
		s.kick()
	}
	return a, err
}

func kindList() string {
	var s []string
	for _, k := range tldguard.ActionKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// checkAction refuses actions that cannot apply to the case.
func (s *Service) checkAction(tx tldguard.Tx, a *tldguard.Action, c *tldguard.Case) error {
	switch {
	case a.Kind == tldguard.ActionBlock && c.Registered && len(a.Names) == 1 && a.Names[0] == c.Domain:
		return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "kind", "%s is registered: block stops registration of names not yet registered; hold or delete a registered name", c.Domain)
	case a.Kind.AtRegistry() && a.Kind != tldguard.ActionBlock && !c.Registered:
		return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "kind", "%s is not registered: only block applies", c.Domain)
	case a.Kind == tldguard.ActionReferRegistrar && c.RegistrarID == "":
		return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "kind", "%s has no sponsoring registrar to refer to", c.Domain)
	case a.Kind == tldguard.ActionReferRegistrar && c.Confidential && confidentialFromRegistrar(tx, c.ID):
		return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "kind", "the requesting authority asked that the registrar not be told; act at the registry instead")
	case a.Kind == tldguard.ActionTransfer && a.RegistrarID == "":
		return tldguard.FieldErrorf(tldguard.EINVALID, "registrar_id", "a transfer needs the gaining registrar the authority named")
	case a.Kind == tldguard.ActionRedirect && len(a.NameServers) == 0:
		return tldguard.FieldErrorf(tldguard.EINVALID, "name_servers", "a redirect needs sinkhole name servers (none in the policy)")
	case a.Kind == tldguard.ActionRelease:
		if a.UndoOf == 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "undo_of", "a release names the hold, lock or redirect it undoes")
		}
		u, err := tx.ActionByID(a.UndoOf)
		if err != nil || u.CaseID != c.ID {
			return tldguard.FieldErrorf(tldguard.EINVALID, "undo_of", "action %d is not an action of %s", a.UndoOf, c.Number())
		}
		if u.State != tldguard.ActionDone || (u.Kind != tldguard.ActionHold && u.Kind != tldguard.ActionLock && u.Kind != tldguard.ActionRedirect) {
			return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "undo_of", "only a carried-out hold, lock or redirect can be released (action %d is a %s, %s)", u.ID, u.Kind, u.State)
		}
	}
	for i, n := range a.Names {
		if _, err := dnsname.Normalize(n); err != nil {
			return withField(err, fmt.Sprintf("names[%d]", i))
		}
	}
	return nil
}

// confidentialFromRegistrar reports whether any report on the case asked
// that the registrar not be told.
func confidentialFromRegistrar(tx tldguard.Tx, caseID int64) bool {
	reports, err := tx.ListReports(tldguard.ReportFilter{CaseID: caseID})
	if err != nil {
		return true // fail closed: never leak a confidential request
	}
	for _, r := range reports {
		if r.Request != nil && r.Request.DoNotNotifyRegistrar {
			return true
		}
	}
	return false
}

// ApproveAction adds the caller's approval (approver or admin). The
// proposer never approves their own action, and one person counts once.
// The last needed approval queues the action to run, in the same
// transaction.
func (s *Service) ApproveAction(ctx context.Context, id int64, note string) (*tldguard.Action, error) {
	p, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleApprover)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var a *tldguard.Action
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if a, err = tx.ActionByID(id); err != nil {
			return notFoundAction(err, id)
		}
		switch {
		case a.State != tldguard.ActionProposed:
			return tldguard.Errorf(tldguard.ECONFLICT, "action %d is %s, not waiting for approval", id, a.State)
		case a.ProposedBy == p.Actor():
			return tldguard.Errorf(tldguard.EFORBIDDEN, "you proposed action %d; another approver must approve it", id)
		}
		for _, ap := range a.Approvals {
			if ap.By == p.Actor() {
				return tldguard.Errorf(tldguard.ECONFLICT, "you already approved action %d; it needs a different approver", id)
			}
		}
		a.Approvals = append(a.Approvals, tldguard.Approval{By: p.Actor(), At: now, Note: strings.TrimSpace(note)})
		if len(a.Approvals) >= a.RequiredApprovals {
			a.State = tldguard.ActionApproved
		}
		a.UpdatedAt = now
		if err := tx.UpdateAction(a); err != nil {
			return err
		}
		if err := tx.AppendEvent(event(ctx, now, "action.approved", a.CaseID, fmt.Sprintf("action:%d", a.ID), map[string]any{
			"action_id": a.ID, "approvals": len(a.Approvals), "required": a.RequiredApprovals, "note": note,
		})); err != nil {
			return err
		}
		if a.State == tldguard.ActionApproved {
			return s.queueAction(tx, a, now)
		}
		return nil
	})
	if err == nil && a.State == tldguard.ActionApproved {
		s.kick()
	}
	return a, err
}

// RejectAction turns a proposal down with a reason (approver or admin).
func (s *Service) RejectAction(ctx context.Context, id int64, reason string) (*tldguard.Action, error) {
	p, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleApprover)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "say why the action is rejected")
	}
	now := s.clock()
	var a *tldguard.Action
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if a, err = tx.ActionByID(id); err != nil {
			return notFoundAction(err, id)
		}
		if a.State != tldguard.ActionProposed {
			return tldguard.Errorf(tldguard.ECONFLICT, "action %d is %s; only a proposal can be rejected", id, a.State)
		}
		a.State, a.RejectedBy, a.RejectReason, a.UpdatedAt = tldguard.ActionRejected, p.Actor(), reason, now
		if err := tx.UpdateAction(a); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "action.rejected", a.CaseID, fmt.Sprintf("action:%d", a.ID), map[string]any{"action_id": a.ID, "reason": reason}))
	})
	return a, err
}

// UndoAction proposes the release of a carried-out hold, lock or redirect.
func (s *Service) UndoAction(ctx context.Context, id int64, reason string) (*tldguard.Action, error) {
	var caseID int64
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		a, err := tx.ActionByID(id)
		if err != nil {
			return notFoundAction(err, id)
		}
		caseID = a.CaseID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ProposeAction(ctx, caseID, tldguard.ActionInput{Kind: tldguard.ActionRelease, UndoOf: id, Reason: reason})
}

// Action returns one action (staff).
func (s *Service) Action(ctx context.Context, id int64) (*tldguard.Action, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var a *tldguard.Action
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		a, err = tx.ActionByID(id)
		return notFoundAction(err, id)
	})
	return a, err
}

// Actions lists actions (staff): a case's, or those in the given states
// (the approver's "waiting for me" list is State proposed).
func (s *Service) Actions(ctx context.Context, f tldguard.ActionFilter) ([]*tldguard.Action, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var as []*tldguard.Action
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		as, err = tx.ListActions(f)
		return err
	})
	return as, err
}

// queueAction enqueues the job that carries an approved action out.
func (s *Service) queueAction(tx tldguard.Tx, a *tldguard.Action, now time.Time) error {
	return tx.EnqueueJob(&tldguard.Job{Kind: jobAction, Ref: a.ID, State: tldguard.JobQueued, RunAt: now, MaxAttempts: maxAttempts, CreatedAt: now, UpdatedAt: now})
}

func notFoundCase(err error, id int64) error {
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return tldguard.Errorf(tldguard.ENOTFOUND, "no case %s", tldguard.CaseNumber(id))
	}
	return err
}

func notFoundAction(err error, id int64) error {
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return tldguard.Errorf(tldguard.ENOTFOUND, "no action %d", id)
	}
	return err
}
