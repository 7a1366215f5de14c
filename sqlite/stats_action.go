package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tldguard/tldguard"
)

// CountActions counts every stored action by kind and state.
func (t *tx) CountActions() ([]tldguard.ActionStateCount, error) {
	rows, err := t.query(`SELECT kind, state, count(*) FROM actions GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, dbError(err, "action counts")
	}
	defer rows.Close()
	var out []tldguard.ActionStateCount
	for rows.Next() {
		var c tldguard.ActionStateCount
		if err := rows.Scan(&c.Kind, &c.State, &c.Count); err != nil {
			return nil, dbError(err, "action counts")
		}
		out = append(out, c)
	}
	return out, dbError(rows.Err(), "action counts")
}

// StatsActions yields the actions carried out before f.To that can count
// in [f.From, f.To), with their case's fields, in id order.
func (t *tx) StatsActions(f tldguard.StatsFilter, fn func(*tldguard.StatsAction) error) error {
	f.From, f.To = tldguard.Truncate(f.From), tldguard.Truncate(f.To) // the stored precision
	rows, err := t.query(`SELECT a.id, a.case_id, a.kind, a.reason, a.undo_of, a.done_at, a.due_at, a.answer,
			c.domain, c.tld, c.threat_type, c.registered, c.registrar_id, c.registrar_name
		FROM actions a JOIN cases c ON c.id = a.case_id
		WHERE a.state IN ('done', 'undone') AND a.done_at <> 0 AND a.done_at < ?1
			AND (a.done_at >= ?2 OR a.kind = 'refer_registrar') AND (?3 = '' OR c.tld = ?3)
		ORDER BY a.id`, micros(f.To), micros(f.From), f.TLD)
	if err != nil {
		return dbError(err, "stats actions")
	}
	defer rows.Close()
	var r tldguard.StatsAction
	for rows.Next() {
		var answer sql.NullString
		r = tldguard.StatsAction{}
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Kind, &r.Reason, idCol{&r.UndoOf}, timeCol{&r.DoneAt},
			timeCol{&r.DueAt}, &answer, &r.Domain, &r.TLD, &r.ThreatType, &r.Registered, &r.RegistrarID,
			&r.RegistrarName); err != nil {
			return dbError(err, "stats actions")
		}
		if answer.Valid {
			var x answerDoc
			if err := json.Unmarshal([]byte(answer.String), &x); err != nil {
				return tldguard.Internal(fmt.Errorf("action %d: answer: %w", r.ID, err), "stats actions")
			}
			if at := docTime(x.At); at.Before(f.To) {
				r.AnswerOutcome, r.AnswerAt = x.Outcome, at
			}
		}
		if r.Kind == tldguard.ActionReferRegistrar && r.DoneAt.Before(f.From) && r.AnswerOutcome != "" &&
			r.AnswerAt.Before(f.From) {
			continue // answered before the period: counts in none of its figures
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return dbError(rows.Err(), "stats actions")
}
