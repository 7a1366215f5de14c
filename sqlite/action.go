package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

var _ tldguard.ActionTx = (*tx)(nil)

const actionColumns = `id, case_id, kind, state, domain, reason, name_servers, registrar_id, names, undo_of,
	required_approvals, approvals, proposed_by, proposed_at, rejected_by, reject_reason, attempts, last_error,
	before_state, after_state, result, done_at, due_at, answer, updated_at, version`

// approvalDoc, registryStateDoc and answerDoc are the stored JSON forms of
// the root types. Their own field names keep the stored documents stable
// when the Go types change, and their times go in as UTC microseconds, the
// precision of every other time in the file.
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

// actionDocs are an action's JSON columns: approvals is always an array;
// before, after and answer are a document, or nil (NULL) for a nil pointer.
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
			return d, tldguard.Internal(err, "encode action approvals")
		}
		d.approvals = string(b)
	}
	doc := func(v any) (any, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, tldguard.Internal(err, "encode action")
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
func decodeActionDocs(a *tldguard.Action, approvals string, before, after, answer sql.NullString) error {
	var as []approvalDoc
	if err := json.Unmarshal([]byte(approvals), &as); err != nil {
		return fmt.Errorf("approvals: %w", err)
	}
	a.Approvals = nil
	for _, x := range as {
		a.Approvals = append(a.Approvals, tldguard.Approval{By: x.By, At: docTime(x.At), Note: x.Note})
	}
	state := func(doc sql.NullString) (*tldguard.RegistryState, error) {
		if !doc.Valid {
			return nil, nil
		}
		var s registryStateDoc
		if err := json.Unmarshal([]byte(doc.String), &s); err != nil {
			return nil, err
		}
		s.Statuses, s.NameServers = listOrNil(s.Statuses), listOrNil(s.NameServers)
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
	if answer.Valid {
		var x answerDoc
		if err := json.Unmarshal([]byte(answer.String), &x); err != nil {
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

func listOrNil(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func scanAction(row interface{ Scan(...any) error }) (*tldguard.Action, error) {
	a := new(tldguard.Action)
	var approvals string
	var before, after, answer sql.NullString
	err := row.Scan(&a.ID, &a.CaseID, &a.Kind, &a.State, &a.Domain, &a.Reason, listCol{&a.NameServers},
		&a.RegistrarID, listCol{&a.Names}, idCol{&a.UndoOf}, &a.RequiredApprovals, &approvals, &a.ProposedBy,
		timeCol{&a.ProposedAt}, &a.RejectedBy, &a.RejectReason, &a.Attempts, &a.LastError, &before, &after,
		&a.Result, timeCol{&a.DoneAt}, timeCol{&a.DueAt}, &answer, timeCol{&a.UpdatedAt}, &a.Version)
	if err != nil {
		return nil, err
	}
	if err := decodeActionDocs(a, approvals, before, after, answer); err != nil {
		return nil, fmt.Errorf("action %d: %w", a.ID, err)
	}
	return a, nil
}

// InsertAction stores a and sets a.ID and a.Version (1). ENOTFOUND when its
// case (or the action it undoes) is missing.
func (t *tx) InsertAction(a *tldguard.Action) error {
	d, err := encodeActionDocs(a)
	if err != nil {
		return err
	}
	id, err := t.insert("action", `INSERT INTO actions (case_id, kind, state, domain, reason, name_servers,
			registrar_id, names, undo_of, required_approvals, approvals, proposed_by, proposed_at, rejected_by,
			reject_reason, attempts, last_error, before_state, after_state, result, done_at, due_at, answer,
			updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		a.CaseID, a.Kind, a.State, a.Domain, a.Reason, jsonList(a.NameServers), a.RegistrarID, jsonList(a.Names),
		nullID(a.UndoOf), a.RequiredApprovals, d.approvals, a.ProposedBy, micros(a.ProposedAt), a.RejectedBy,
		a.RejectReason, a.Attempts, a.LastError, d.before, d.after, a.Result, micros(a.DoneAt), micros(a.DueAt),
		d.answer, micros(a.UpdatedAt))
	if err != nil {
		return err
	}
	a.ID, a.Version = id, 1
	return nil
}

// UpdateAction writes every field but ID, CaseID, Kind, Domain, ProposedBy
// and ProposedAt if the stored version is a.Version, and bumps a.Version.
// ECONFLICT when the version is stale; ENOTFOUND when there is no action
// a.ID (or UndoOf names a missing one).
func (t *tx) UpdateAction(a *tldguard.Action) error {
	d, err := encodeActionDocs(a)
	if err != nil {
		return err
	}
	res, err := t.exec(`UPDATE actions SET state = ?, reason = ?, name_servers = ?, registrar_id = ?, names = ?,
			undo_of = ?, required_approvals = ?, approvals = ?, rejected_by = ?, reject_reason = ?, attempts = ?,
			last_error = ?, before_state = ?, after_state = ?, result = ?, done_at = ?, due_at = ?, answer = ?,
			updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		a.State, a.Reason, jsonList(a.NameServers), a.RegistrarID, jsonList(a.Names), nullID(a.UndoOf),
		a.RequiredApprovals, d.approvals, a.RejectedBy, a.RejectReason, a.Attempts, a.LastError, d.before, d.after,
		a.Result, micros(a.DoneAt), micros(a.DueAt), d.answer, micros(a.UpdatedAt), a.ID, a.Version)
	if err != nil {
		return dbError(err, "action")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, "action")
	}
	if n == 0 {
		var one int
		if err := t.queryRow("SELECT 1 FROM actions WHERE id = ?", a.ID).Scan(&one); err != nil {
			return dbError(err, "action")
		}
		return tldguard.Errorf(tldguard.ECONFLICT, "action %d was changed by someone else", a.ID)
	}
	a.Version++
	return nil
}

func (t *tx) ActionByID(id int64) (*tldguard.Action, error) {
	a, err := scanAction(t.queryRow("SELECT "+actionColumns+" FROM actions WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "action")
	}
	return a, nil
}

// ListActions returns up to f.Limit actions (all when it is not positive)
// of f.CaseID, in any of f.State and of f.Kind (each when set), oldest
// first by id.
func (t *tx) ListActions(f tldguard.ActionFilter) ([]*tldguard.Action, error) {
	var where []string
	var args []any
	if f.CaseID != 0 {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if len(f.State) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.State)-1)+")")
		for _, s := range f.State {
			args = append(args, s)
		}
	}
	q := "SELECT " + actionColumns + " FROM actions"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := t.query(q+" ORDER BY id LIMIT ?", append(args, limit(f.Limit))...)
	if err != nil {
		return nil, dbError(err, "actions")
	}
	defer rows.Close()
	var out []*tldguard.Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, dbError(err, "action")
		}
		out = append(out, a)
	}
	return out, dbError(rows.Err(), "actions")
}
