package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// refer sends the referral: a notice to the sponsoring registrar's abuse
// contact, and a job that checks for its answer when the window ends.
// The address comes from the registrar table, or else from abuse (the
// registry's RDAP answer for the name), when that names the same registrar.
func (s *Service) refer(ctx context.Context, tx tldguard.Tx, a *tldguard.Action, c *tldguard.Case, abuse *tldguard.Registrar, now time.Time) error {
	if c.Confidential && confidentialFromRegistrar(tx, c.ID) {
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the requesting authority asked that the registrar not be told")
	}
	reg, err := tx.Registrar(c.RegistrarID)
	if (err != nil || reg.AbuseEmail == "") && abuse != nil && abuse.AbuseEmail != "" && abuse.ID == c.RegistrarID {
		reg, err = abuse, nil
	}
	if err != nil || reg.AbuseEmail == "" {
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "registrar %s has no abuse contact in the registrar table or the registry's RDAP: nowhere to refer to", c.RegistrarID)
	}
	if err := tx.QueueNotice(&tldguard.Notice{Kind: tldguard.NoticeReferral, Status: tldguard.NoticeQueued, CaseID: c.ID, To: reg.AbuseEmail, CreatedAt: now}); err != nil {
		return err
	}
	a.DueAt = now.Add(s.policy.ReferralWindow(c.Priority))
	a.Result = fmt.Sprintf("referred to %s (%s), answer due %s", reg.Name, reg.AbuseEmail, a.DueAt.Format(time.RFC3339))
	return tx.EnqueueJob(&tldguard.Job{Kind: jobReferral, Ref: a.ID, State: tldguard.JobQueued, RunAt: a.DueAt, MaxAttempts: maxAttempts, CreatedAt: now, UpdatedAt: now})
}

// checkReferral runs when a referral's answer is due. Unanswered, or
// answered without mitigation, it escalates: the registry's own action is
// proposed and the case comes back to the queue.
func (s *Service) checkReferral(ctx context.Context, j *tldguard.Job) error {
	now := s.clock()
	return s.store.Write(ctx, func(tx tldguard.Tx) error {
		a, err := tx.ActionByID(j.Ref)
		if err != nil {
			return err
		}
		if a.Answer == nil || a.Answer.Outcome != "mitigated" {
			if err := s.escalate(ctx, tx, a, "no answer by "+a.DueAt.Format(time.RFC3339), now); err != nil {
				return err
			}
		}
		return s.finishJobTx(tx, j, now)
	})
}

// escalate proposes the registry's own action after a referral failed.
func (s *Service) escalate(ctx context.Context, tx tldguard.Tx, referral *tldguard.Action, why string, now time.Time) error {
	c, err := tx.CaseByID(referral.CaseID)
	if err != nil {
		return err
	}
	if c.Status == tldguard.StatusClosed {
		return nil
	}
	p := s.policy.Escalation(c)
	a := &tldguard.Action{CaseID: c.ID, Kind: p.Kind, State: tldguard.ActionProposed, Domain: c.Domain,
		Reason:     fmt.Sprintf("escalated from referral %d (%s): %s", referral.ID, why, p.Why),
		ProposedBy: tldguard.FromContext(ctx).Actor(), ProposedAt: now, UpdatedAt: now}
	s.fillDefaults(a, c)
	a.RequiredApprovals = s.policy.RequiredApprovals(a.Kind, false)
	if a.RequiredApprovals == 0 {
		a.State = tldguard.ActionApproved
	}
	if err := tx.InsertAction(a); err != nil {
		return err
	}
	if c.Status == tldguard.StatusInProgress {
		c.Status, c.UpdatedAt = tldguard.StatusOpen, now // back to the queue
		if err := tx.UpdateCase(c); err != nil {
			return err
		}
	}
	if err := tx.AppendEvent(event(ctx, now, "referral.escalated", c.ID, fmt.Sprintf("action:%d", referral.ID), map[string]any{
		"referral_id": referral.ID, "why": why, "proposed_action_id": a.ID, "proposed": a.Kind})); err != nil {
		return err
	}
	if a.State == tldguard.ActionApproved {
		return s.queueAction(tx, a, now)
	}
	return nil
}

// Referrals lists the referrals to the calling registrar (registrar
// accounts only): other registrars' cases are invisible to it.
func (s *Service) Referrals(ctx context.Context) ([]tldguard.Referral, error) {
	p, err := require(ctx, tldguard.RoleRegistrar)
	if err != nil {
		return nil, err
	}
	regID := registrarOf(p)
	var out []tldguard.Referral
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		as, err := tx.ListActions(tldguard.ActionFilter{Kind: tldguard.ActionReferRegistrar, State: []tldguard.ActionState{tldguard.ActionDone}})
		if err != nil {
			return err
		}
		for _, a := range as {
			c, err := tx.CaseByID(a.CaseID)
			if err != nil {
				return err
			}
			if regID != "" && c.RegistrarID == regID {
				out = append(out, tldguard.Referral{Action: a, Case: c})
			}
		}
		return nil
	})
	slices.Reverse(out) // newest first
	return out, err
}

func registrarOf(p *tldguard.Principal) string {
	if p.Reporter == nil {
		return ""
	}
	return p.Reporter.RegistrarID
}

// AnswerReferral records a registrar's answer: "mitigated" with what it
// did, or "no_action" with why. A refusal escalates at once.
func (s *Service) AnswerReferral(ctx context.Context, id int64, outcome, detail string) (*tldguard.Action, error) {
	p, err := require(ctx, tldguard.RoleRegistrar)
	if err != nil {
		return nil, err
	}
	detail = strings.TrimSpace(detail)
	if outcome != "mitigated" && outcome != "no_action" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "outcome", "%q is not an answer (mitigated, no_action)", outcome)
	}
	if detail == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "detail", "say what was done, or why nothing was")
	}
	now := s.clock()
	var a *tldguard.Action
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if a, err = tx.ActionByID(id); err != nil || a.Kind != tldguard.ActionReferRegistrar {
			return tldguard.Errorf(tldguard.ENOTFOUND, "no referral %d", id)
		}
		c, err := tx.CaseByID(a.CaseID)
		if err != nil {
			return err
		}
		if c.RegistrarID != registrarOf(p) || registrarOf(p) == "" {
			return tldguard.Errorf(tldguard.ENOTFOUND, "no referral %d", id) // not theirs: not even its existence
		}
		if a.Answer != nil {
			return tldguard.Errorf(tldguard.ECONFLICT, "referral %d was answered already (%s)", id, a.Answer.Outcome)
		}
		a.Answer = &tldguard.RegistrarAnswer{Outcome: outcome, Detail: detail, By: p.Actor(), At: now}
		a.UpdatedAt = now
		if err := tx.UpdateAction(a); err != nil {
			return err
		}
		if err := tx.AppendEvent(event(ctx, now, "referral.answered", c.ID, fmt.Sprintf("action:%d", a.ID), map[string]any{
			"action_id": a.ID, "outcome": outcome, "detail": detail, "in_time": !now.After(a.DueAt)})); err != nil {
			return err
		}
		if outcome == "no_action" {
			return s.escalate(ctx, tx, a, "the registrar declined: "+detail, now)
		}
		return nil
	})
	return a, err
}

// Blocked answers whether a name may be registered, for the registry's
// registration system. Any authenticated caller may ask.
func (s *Service) Blocked(ctx context.Context, name string) (*tldguard.Blocked, error) {
	if _, err := require(ctx, tldguard.Roles...); err != nil {
		return nil, err
	}
	var b *tldguard.Blocked
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		b, err = tx.BlockedName(strings.ToLower(strings.TrimSuffix(name, ".")))
		return err
	})
	return b, err
}
