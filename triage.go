package tldguard

import "context"

// Verdict is a case's classification as computed, with its score and the
// reasons behind it in words an analyst can check.
type Verdict struct {
	Class   Classification `json:"classification"`
	Score   int            `json:"score"`
	Reasons []string       `json:"reasons"`
}

// Warning is one thing an action would take down besides the threat.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Guarded warnings need the policy's extra approval.
	Guarded bool `json:"guarded"`
}

// Proposal is an action the policy proposes for a case, with exactly what
// it would change at the registry (the dry-run).
type Proposal struct {
	Kind              ActionKind `json:"kind"`
	Why               string     `json:"why"`
	RequiredApprovals int        `json:"required_approvals"`
	Change            *Change    `json:"change,omitempty"`
	DryRun            []string   `json:"dry_run"`
}

// Triage is what the policy makes of a case.
type Triage struct {
	Case         *Case
	Registration *Registration // nil when not registered
	Verdict      Verdict
	Collateral   []Warning
	Guarded      bool
	Proposals    []Proposal
}

// ActionInput is an action as an analyst proposes it.
type ActionInput struct {
	Kind        ActionKind `json:"kind"`
	Reason      string     `json:"reason"`
	NameServers []string   `json:"name_servers,omitempty"` // redirect: default the policy's sinkhole
	RegistrarID string     `json:"registrar_id,omitempty"` // transfer: the gaining registrar
	Names       []string   `json:"names,omitempty"`        // block: default the case's name
	UndoOf      int64      `json:"undo_of,omitempty"`      // release: the action undone
}

// Referral is a referral as its registrar sees it.
type Referral struct {
	Action *Action
	Case   *Case
}

// ActionService proposes, approves and carries out the Framework's actions,
// and serves the registrar side of referrals.
type ActionService interface {
	// Triage computes classification, collateral and proposals (staff).
	Triage(ctx context.Context, caseID int64) (*Triage, error)
	// ProposeAction records a proposal (analyst, approver, admin); one that
	// needs no approval is approved and queued at once.
	ProposeAction(ctx context.Context, caseID int64, in ActionInput) (*Action, error)
	// ApproveAction adds an approval (approver, admin; never the proposer's
	// own, one per person); the last one queues the action.
	ApproveAction(ctx context.Context, id int64, note string) (*Action, error)
	RejectAction(ctx context.Context, id int64, reason string) (*Action, error)
	// UndoAction proposes the release of a carried-out hold, lock or redirect.
	UndoAction(ctx context.Context, id int64, reason string) (*Action, error)
	Action(ctx context.Context, id int64) (*Action, error)
	Actions(ctx context.Context, f ActionFilter) ([]*Action, error)
	// Referrals lists the calling registrar's referrals (registrar only).
	Referrals(ctx context.Context) ([]Referral, error)
	// AnswerReferral records the registrar's answer: "mitigated" or
	// "no_action" (which escalates to the registry at once).
	AnswerReferral(ctx context.Context, id int64, outcome, detail string) (*Action, error)
	// Blocked answers whether name may be registered: ENOTFOUND when it may.
	Blocked(ctx context.Context, name string) (*Blocked, error)
}
