package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

var _ tldguard.ActionTx = (*tx)(nil)

const actionColumns = `id, case_id, kind, state, domain, reason, name_servers, registrar_id, names,
	coalesce(undo_of, 0), required_approvals, approvals::text, proposed_by, proposed_at, rejected_by, reject_reason,
	attempts, last_error, before_state::text, after_state::text, result, done_at, due_at, answer::text, updated_at,
	version`

// approvalDoc, registryStateDoc and answerDoc are the stored JSON forms of
// the root types. Their own field names keep the stored documents stable
// when the Go types change, and their times go in as UTC microseconds, the
// precision of every timestamptz.
type approvalDoc struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

type registryStateDoc struct {
	Statuses    []string `json:"statuses"`
	NameServers []string `json:"name_servers"`
	RegistrarID string   `json:"registrar_id"`
}

type answerDoc struct {
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// actionDocs are an action's jsonb columns as text: approvals is always an
// array; before, after and answer are a document, or nil (NULL) for a nil
// pointer.
type actionDocs struct {
	approvals             string
	before, after, answer any
}

func encodeActionDocs(a *tldguard.Action) (actionDocs, error) {
	d := actionDocs{approvals: "[]"}
	if len(a.Approvals) > 0 {
		as := make([]approvalDoc, len(a.Approvals))
		for i, x := range a.Approvals {
			as[i] = approvalDoc{By: x.By, At: tldguard.Truncate(x.At), Note: x.Note}
		}
		b, err := json.Marshal(as)
		if err != nil {
			return d, tldguard.Internal(err, "postgres: encode action approvals")
		}
		d.approvals = string(b)
	}
	doc := func(v any) (any, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, tldguard.Internal(err, "postgres: encode action")
		}
		return string(b), nil
	}
	var err error
	if a.Before != nil {
		if d.before, err = doc(registryStateDoc(*a.Before)); err != nil {
			return d, err
		}
	}
	if a.After != nil {
		if d.after, err = doc(registryStateDoc(*a.After)); err != nil {
			return d, err
		}
	}
	if a.Answer != nil {
		x := answerDoc(*a.Answer)
		x.At = tldguard.Truncate(x.At)
		if d.answer, err = doc(x); err != nil {
			return d, err
		}
	}
	return d, nil
}

// decodeActionDocs fills in a's approvals, before and after states and
// answer from their stored documents. "None" reads back as nil.
func decodeActionDocs(a *tldguard.Action, approvals string, before, after, answer *string) error {
	var as []approvalDoc
	if err := json.Unmarshal([]byte(approvals), &as); err != nil {
		return fmt.Errorf("approvals: %w", err)
	}
	a.Approvals = nil
	for _, x := range as {
		a.Approvals = append(a.Approvals, tldguard.Approval{By: x.By, At: docTime(x.At), Note: x.Note})
	}
	state := func(doc *string) (*tldguard.RegistryState, error) {
		if doc == nil {
			return nil, nil
		}
		var s registryStateDoc
		if err := json.Unmarshal([]byte(*doc), &s); err != nil {
			return nil, err
		}
		s.Statuses, s.NameServers = emptyNil(s.Statuses), emptyNil(s.NameServers)
		r := tldguard.RegistryState(s)
		return &r, nil
	}
	var err error
	if a.Before, err = state(before); err != nil {
		return fmt.Errorf("before state: %w", err)
	}
	if a.After, err = state(after); err != nil {
		return fmt.Errorf("after state: %w", err)
	}
	a.Answer = nil
	if answer != nil {
		var x answerDoc
		if err := json.Unmarshal([]byte(*answer), &x); err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		x.At = docTime(x.At)
		ans := tldguard.RegistrarAnswer(x)
		a.Answer = &ans
	}
	return nil
}

// docTime returns a time read from a document in UTC; the zero time stays
// zero.
func docTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func scanAction(row pgx.Row) (*tldguard.Action, error) {
	a := new(tldguard.Action)
	var approvals string
	var before, after, answer *string
	err := row.Scan(&a.ID, &a.CaseID, &a.Kind, &a.State, &a.Domain, &a.Reason, &a.NameServers, &a.RegistrarID,
		&a.Names, &a.UndoOf, &a.RequiredApprovals, &approvals, &a.ProposedBy, scanTime(&a.ProposedAt),
		&a.RejectedBy, &a.RejectReason, &a.Attempts, &a.LastError, &before, &after, &a.Result, scanTime(&a.DoneAt),
		scanTime(&a.DueAt), &answer, scanTime(&a.UpdatedAt), &a.Version)
	if err != nil {
		return nil, err
	}
	a.NameServers, a.Names = emptyNil(a.NameServers), emptyNil(a.Names)
	if err := decodeActionDocs(a, approvals, before, after, answer); err != nil {
		return nil, fmt.Errorf("action %d: %w", a.ID, err)
	}
	return a, nil
}

// InsertAction stores a and sets a.ID and a.Version (1). ENOTFOUND when its
// case (or the action it undoes) is missing; that aborts the transaction,
// so callers check first.
func (t *tx) InsertAction(a *tldguard.Action) error {
	d, err := encodeActionDocs(a)
	if err != nil {
		return err
	}
	var id int64
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO actions (case_id, kind, state, domain, reason, name_servers, registrar_id, names, undo_of,
			required_approvals, approvals, proposed_by, proposed_at, rejected_by, reject_reason, attempts,
			last_error, before_state, after_state, result, done_at, due_at, answer, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17,
			$18::jsonb, $19::jsonb, $20, $21, $22, $23::jsonb, $24, 1)
		RETURNING id`,
		a.CaseID, a.Kind, a.State, a.Domain, a.Reason, a.NameServers, a.RegistrarID, a.Names, nullID(a.UndoOf),
		a.RequiredApprovals, d.approvals, a.ProposedBy, ts(a.ProposedAt), a.RejectedBy, a.RejectReason,
		a.Attempts, a.LastError, d.before, d.after, a.Result, ts(a.DoneAt), ts(a.DueAt), d.answer,
		ts(a.UpdatedAt)).Scan(&id)
	if err != nil {
		return t.fail(err, "action")
	}
	t.setID(&a.ID, id)
	t.setID(&a.Version, 1)
	return nil
}

// UpdateAction writes every field but ID, CaseID, Kind, Domain, ProposedBy
// and ProposedAt if the stored version is a.Version, then bumps a.Version.
// ECONFLICT (the transaction still usable) when the version is stale;
// ENOTFOUND for an unknown id, or when UndoOf names a missing action.
func (t *tx) UpdateAction(a *tldguard.Action) error {
	d, err := encodeActionDocs(a)
	if err != nil {
		return err
	}
	var version int64
	err = t.tx.QueryRow(t.ctx, `
		UPDATE actions SET state = $3, reason = $4, name_servers = $5, registrar_id = $6, names = $7,
			undo_of = $8, required_approvals = $9, approvals = $10::jsonb, rejected_by = $11,
			reject_reason = $12, attempts = $13, last_error = $14, before_state = $15::jsonb,
			after_state = $16::jsonb, result = $17, done_at = $18, due_at = $19, answer = $20::jsonb,
			updated_at = $21, version = version + 1
		WHERE id = $1 AND version = $2
		RETURNING version`,
		a.ID, a.Version, a.State, a.Reason, a.NameServers, a.RegistrarID, a.Names, nullID(a.UndoOf),
		a.RequiredApprovals, d.approvals, a.RejectedBy, a.RejectReason, a.Attempts, a.LastError, d.before,
		d.after, a.Result, ts(a.DoneAt), ts(a.DueAt), d.answer, ts(a.UpdatedAt)).Scan(&version)
	if err == nil {
		t.setID(&a.Version, version)
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return t.fail(err, "action")
	}
	var stored int64
	if err := t.tx.QueryRow(t.ctx, `SELECT version FROM actions WHERE id = $1`, a.ID).Scan(&stored); err != nil {
		return t.fail(err, "action")
	}
	return conflict("action %d was changed by someone else (version %d, not %d)", a.ID, stored, a.Version)
}

func (t *tx) ActionByID(id int64) (*tldguard.Action, error) {
	a, err := scanAction(t.tx.QueryRow(t.ctx, `SELECT `+actionColumns+` FROM actions WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "action")
	}
	return a, nil
}

// ListActions returns up to f.Limit actions (all for a limit <= 0) of
// f.CaseID, in any of f.State and of f.Kind (each when set), oldest first
// by id.
func (t *tx) ListActions(f tldguard.ActionFilter) ([]*tldguard.Action, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.CaseID != 0 {
		where = append(where, "case_id = "+arg(f.CaseID))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if len(f.State) > 0 {
		states := make([]string, len(f.State))
		for i, s := range f.State {
			states[i] = string(s)
		}
		where = append(where, "state = ANY("+arg(states)+")")
	}
	q := `SELECT ` + actionColumns + ` FROM actions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Action, error) { return scanAction(r) })
	return emptyNil(as), t.fail(err, "action")
}
