package tldguard

import (
	"context"
	"time"
)

// ActionKind is one of the Framework's responses to a threat.
type ActionKind string

const (
	ActionRequestInfo    ActionKind = "request_info"    // ask the reporter for more evidence
	ActionReferRegistrar ActionKind = "refer_registrar" // notify the sponsoring registrar, start its clock
	ActionHold           ActionKind = "hold"            // add serverHold: the name leaves the zone
	ActionLock           ActionKind = "lock"            // add the three server prohibitions
	ActionRedirect       ActionKind = "redirect"        // replace the name servers with the sinkhole's
	ActionTransfer       ActionKind = "transfer"        // move the name to a registrar the authority names
	ActionDelete         ActionKind = "delete"          // delete the name (only on an authority's direction)
	ActionBlock          ActionKind = "block"           // stop registration of names not yet registered
	ActionNoAction       ActionKind = "no_action"       // close with a stated reason
	ActionRelease        ActionKind = "release"         // undo a hold, lock or redirect
)

// ActionKinds lists the kinds in the Framework's order.
var ActionKinds = []ActionKind{ActionRequestInfo, ActionReferRegistrar, ActionHold, ActionLock, ActionRedirect, ActionTransfer, ActionDelete, ActionBlock, ActionNoAction, ActionRelease}

// Valid reports whether k is a known kind.
func (k ActionKind) Valid() bool {
	for _, x := range ActionKinds {
		if k == x {
			return true
		}
	}
	return false
}

// AtRegistry reports whether the action changes data at the registry.
func (k ActionKind) AtRegistry() bool {
	switch k {
	case ActionHold, ActionLock, ActionRedirect, ActionTransfer, ActionDelete, ActionBlock, ActionRelease:
		return true
	}
	return false
}

// ChangesResolution reports whether the action can make the name (and what
// is under it) stop resolving or resolve elsewhere: the collateral guard
// applies to these.
func (k ActionKind) ChangesResolution() bool {
	switch k {
	case ActionHold, ActionRedirect, ActionDelete, ActionTransfer:
		return true
	}
	return false
}

// Server statuses the registry actions set.
const (
	StatusServerHold               = "serverHold"
	StatusServerUpdateProhibited   = "serverUpdateProhibited"
	StatusServerDeleteProhibited   = "serverDeleteProhibited"
	StatusServerTransferProhibited = "serverTransferProhibited"
)

// LockStatuses are the statuses a lock adds.
var LockStatuses = []string{StatusServerUpdateProhibited, StatusServerDeleteProhibited, StatusServerTransferProhibited}

// ActionState is where an action stands.
type ActionState string

const (
	ActionProposed ActionState = "proposed" // waiting for approvals
	ActionApproved ActionState = "approved" // approved, queued to run
	ActionRunning  ActionState = "running"  // being applied
	ActionDone     ActionState = "done"
	ActionFailed   ActionState = "failed" // gave up after retries; shown on the case
	ActionRejected ActionState = "rejected"
	ActionUndone   ActionState = "undone" // released by a later action
)

// Action is one response to a case: proposed, approved, carried out at the
// registry by a durable job, and recorded with the registry's answer.
type Action struct {
	ID     int64
	CaseID int64
	Kind   ActionKind
	State  ActionState
	Domain string
	// Reason says why (required for no_action; shown to approvers).
	Reason string
	// Params hold what some kinds need.
	NameServers []string // redirect: the sinkhole name servers
	RegistrarID string   // transfer: the gaining registrar
	Names       []string // block: the names to stop registering
	UndoOf      int64    // release: the action it undoes
	// Approvals needed (from the policy at proposal time) and given.
	RequiredApprovals int
	Approvals         []Approval
	ProposedBy        string
	ProposedAt        time.Time
	RejectedBy        string
	RejectReason      string
	// Execution.
	Attempts  int
	LastError string
	// Before is the registry state read just before the change, so that a
	// release restores exactly what was there.
	Before *RegistryState
	After  *RegistryState
	Result string // the registry's answer, for the record
	DoneAt time.Time
	// DueAt is, for a referral, when the registrar's answer is due; past
	// it, an unanswered referral escalates to the registry.
	DueAt time.Time
	// Answer is the registrar's answer to a referral.
	Answer    *RegistrarAnswer
	UpdatedAt time.Time
	Version   int64
}

// RegistrarAnswer is a registrar's answer to a referral.
type RegistrarAnswer struct {
	Outcome string    `json:"outcome"` // "mitigated" or "no_action"
	Detail  string    `json:"detail"`  // what it did, or why not
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Approval is one approver's consent to an action.
type Approval struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// ActionFilter selects actions for listing.
type ActionFilter struct {
	CaseID int64
	State  []ActionState
	Kind   ActionKind
	Limit  int
}

// RegistryState is what the registry holds for a name, as far as actions
// touch it.
type RegistryState struct {
	Statuses    []string `json:"statuses"`
	NameServers []string `json:"name_servers"`
	RegistrarID string   `json:"registrar_id"`
}

// Change is one change an adapter makes at the registry. The adapters do
// not know about cases or approvals; they change names.
type Change struct {
	Kind   ActionKind
	Domain string
	// AddStatuses and RemoveStatuses are server statuses to set or clear.
	AddStatuses    []string
	RemoveStatuses []string
	// NameServers, when non-nil, replace the name's name servers.
	NameServers []string
	// RegistrarID, for a transfer, is the gaining registrar.
	RegistrarID string
	// Reference identifies the action (e.g. "tldguard-action-42"), for the
	// registry's own logs and for idempotent retries.
	Reference string
}

// ChangeResult is the registry's answer to a Change.
type ChangeResult struct {
	// Applied is false when the registry already was in the wanted state:
	// a retried hold is recorded, not applied twice.
	Applied bool
	Before  RegistryState
	After   RegistryState
	// Detail is the registry's own words (EPP result code and message,
	// HTTP status and body), kept on the action.
	Detail string
}

// RegistryAdapter is the registry as tldguard acts on it: the embedded
// registry, EPP, or an operator's webhook. Apply must be idempotent: it
// reads the current state first and changes only what differs. Errors:
// ENOTFOUND for a name the registry does not hold, EUNAVAILABLE for a
// failure worth retrying (timeouts, connection loss, registry busy), any
// other kind for a permanent refusal.
type RegistryAdapter interface {
	Registry
	Apply(ctx context.Context, c Change) (*ChangeResult, error)
}

// Blocked is a name that may not be registered (a botnet's generated
// names, look-alikes), with the action that blocked it.
type Blocked struct {
	Name      string
	ActionID  int64
	CaseID    int64
	Reason    string
	BlockedAt time.Time
}

// Job is durable background work, stored in the same transaction as the
// decision that needs it: carrying out an action, sending a notice,
// checking a clock. A runner claims due jobs, runs them, and retries with
// backoff; a job that keeps failing ends failed and shows on its case.
type Job struct {
	ID          int64
	Kind        string // e.g. "action", "notice", "clock"
	Ref         int64  // the action, notice or case it is about
	State       JobState
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LastError   string
	LockedBy    string
	LockedUntil time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// JobState is where a job stands.
type JobState string

const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running" // claimed; LockedUntil bounds the claim
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)
