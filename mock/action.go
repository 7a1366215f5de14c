package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.ActionService = (*ActionService)(nil)

// ActionService is a tldguard.ActionService made of function fields.
type ActionService struct {
	TriageFn         func(ctx context.Context, caseID int64) (*tldguard.Triage, error)
	ProposeActionFn  func(ctx context.Context, caseID int64, in tldguard.ActionInput) (*tldguard.Action, error)
	ApproveActionFn  func(ctx context.Context, id int64, note string) (*tldguard.Action, error)
	RejectActionFn   func(ctx context.Context, id int64, reason string) (*tldguard.Action, error)
	UndoActionFn     func(ctx context.Context, id int64, reason string) (*tldguard.Action, error)
	ActionFn         func(ctx context.Context, id int64) (*tldguard.Action, error)
	ActionsFn        func(ctx context.Context, f tldguard.ActionFilter) ([]*tldguard.Action, error)
	ReferralsFn      func(ctx context.Context) ([]tldguard.Referral, error)
	AnswerReferralFn func(ctx context.Context, id int64, outcome, detail string) (*tldguard.Action, error)
	BlockedFn        func(ctx context.Context, name string) (*tldguard.Blocked, error)
}

// Triage calls TriageFn.
func (m *ActionService) Triage(ctx context.Context, caseID int64) (*tldguard.Triage, error) {
	if m.TriageFn == nil {
		unset("ActionService.Triage")
	}
	return m.TriageFn(ctx, caseID)
}

// ProposeAction calls ProposeActionFn.
func (m *ActionService) ProposeAction(ctx context.Context, caseID int64, in tldguard.ActionInput) (*tldguard.Action, error) {
	if m.ProposeActionFn == nil {
		unset("ActionService.ProposeAction")
	}
	return m.ProposeActionFn(ctx, caseID, in)
}

// ApproveAction calls ApproveActionFn.
func (m *ActionService) ApproveAction(ctx context.Context, id int64, note string) (*tldguard.Action, error) {
	if m.ApproveActionFn == nil {
		unset("ActionService.ApproveAction")
	}
	return m.ApproveActionFn(ctx, id, note)
}

// RejectAction calls RejectActionFn.
func (m *ActionService) RejectAction(ctx context.Context, id int64, reason string) (*tldguard.Action, error) {
	if m.RejectActionFn == nil {
		unset("ActionService.RejectAction")
	}
	return m.RejectActionFn(ctx, id, reason)
}

// UndoAction calls UndoActionFn.
func (m *ActionService) UndoAction(ctx context.Context, id int64, reason string) (*tldguard.Action, error) {
	if m.UndoActionFn == nil {
		unset("ActionService.UndoAction")
	}
	return m.UndoActionFn(ctx, id, reason)
}

// Action calls ActionFn.
func (m *ActionService) Action(ctx context.Context, id int64) (*tldguard.Action, error) {
	if m.ActionFn == nil {
		unset("ActionService.Action")
	}
	return m.ActionFn(ctx, id)
}

// Actions calls ActionsFn.
func (m *ActionService) Actions(ctx context.Context, f tldguard.ActionFilter) ([]*tldguard.Action, error) {
	if m.ActionsFn == nil {
		unset("ActionService.Actions")
	}
	return m.ActionsFn(ctx, f)
}

// Referrals calls ReferralsFn.
func (m *ActionService) Referrals(ctx context.Context) ([]tldguard.Referral, error) {
	if m.ReferralsFn == nil {
		unset("ActionService.Referrals")
	}
	return m.ReferralsFn(ctx)
}

// AnswerReferral calls AnswerReferralFn.
func (m *ActionService) AnswerReferral(ctx context.Context, id int64, outcome, detail string) (*tldguard.Action, error) {
	if m.AnswerReferralFn == nil {
		unset("ActionService.AnswerReferral")
	}
	return m.AnswerReferralFn(ctx, id, outcome, detail)
}

// Blocked calls BlockedFn.
func (m *ActionService) Blocked(ctx context.Context, name string) (*tldguard.Blocked, error) {
	if m.BlockedFn == nil {
		unset("ActionService.Blocked")
	}
	return m.BlockedFn(ctx, name)
}
