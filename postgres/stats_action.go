package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// CountActions counts every stored action by kind and state, in byte order
// whatever the database's collation.
func (t *tx) CountActions() ([]tldguard.ActionStateCount, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT kind, state, count(*) FROM actions
		GROUP BY kind, state ORDER BY kind COLLATE "C", state COLLATE "C"`)
	var out []tldguard.ActionStateCount
	var c tldguard.ActionStateCount
	_, err := pgx.ForEachRow(rows, []any{&c.Kind, &c.State, &c.Count}, func() error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, t.fail(err, "action counts")
	}
	return out, nil
}

// StatsActions yields the actions carried out before f.To that can count
// in [f.From, f.To), with their case's fields, in id order.
func (t *tx) StatsActions(f tldguard.StatsFilter, fn func(*tldguard.StatsAction) error) error {
	f.From, f.To = tldguard.Truncate(f.From), tldguard.Truncate(f.To) // the stored precision
	rows, err := t.tx.Query(t.ctx, `SELECT a.id, a.case_id, a.kind, a.reason, coalesce(a.undo_of, 0), a.done_at,
			a.due_at, a.answer::text, c.domain, c.tld, c.threat_type, c.registered, c.registrar_id, c.registrar_name
		FROM actions a JOIN cases c ON c.id = a.case_id
		WHERE a.state IN ('done', 'undone') AND a.done_at < $1
			AND (a.done_at >= $2 OR a.kind = 'refer_registrar') AND ($3 = '' OR c.tld = $3)
		ORDER BY a.id`, ts(f.To), ts(f.From), f.TLD)
	if err != nil {
		return t.fail(err, "stats actions")
	}
	defer rows.Close()
	var r tldguard.StatsAction
	for rows.Next() {
		var answer *string
		r = tldguard.StatsAction{}
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Kind, &r.Reason, &r.UndoOf, scanTime(&r.DoneAt), scanTime(&r.DueAt),
			&answer, &r.Domain, &r.TLD, &r.ThreatType, &r.Registered, &r.RegistrarID, &r.RegistrarName); err != nil {
			return t.fail(err, "stats actions")
		}
		if answer != nil {
			var x answerDoc
			if err := json.Unmarshal([]byte(*answer), &x); err != nil {
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
	return t.fail(rows.Err(), "stats actions")
}
