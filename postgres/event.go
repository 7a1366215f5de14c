package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// scanPage is how many events ScanEvents holds in memory at once.
const scanPage = 1000

const eventColumns = `seq, at, actor, action, coalesce(case_id, 0), subject, data, prev_hash, hash`

func scanEvent(row pgx.Row) (*tldguard.Event, error) {
	e := new(tldguard.Event)
	err := row.Scan(&e.Seq, scanTime(&e.At), &e.Actor, &e.Action, &e.CaseID, &e.Subject, &e.Data, &e.PrevHash, &e.Hash)
	return e, err
}

// AppendEvent locks the chain head, seals e after it and writes e and the new
// head. The lock is held to the end of the transaction, so events of
// concurrent transactions, on this node or another, queue behind it and the
// chain stays linear with no gaps.
func (t *tx) AppendEvent(e *tldguard.Event) error {
	if t.head == nil {
		var h tldguard.ChainHead
		err := t.tx.QueryRow(t.ctx, `SELECT seq, hash FROM chain_head FOR UPDATE`).Scan(&h.Seq, &h.Hash)
		if err != nil {
			return t.fail(err, "chain head")
		}
		t.head = &h
	}
	old := *e
	t.onUndo(func() { *e = old })
	e.Seal(t.head.Seq, t.head.Hash)
	_, err := t.exec("event", `
		WITH appended AS (
			INSERT INTO events (seq, at, actor, action, case_id, subject, data, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		)
		UPDATE chain_head SET seq = $1, hash = $9`,
		e.Seq, ts(e.At), e.Actor, e.Action, nullID(e.CaseID), e.Subject, e.Data, e.PrevHash, e.Hash)
	if err != nil {
		t.head = nil
		return err
	}
	t.head = &tldguard.ChainHead{Seq: e.Seq, Hash: e.Hash}
	return nil
}

// ChainHead returns the newest event's position; zero for an empty log.
func (t *tx) ChainHead() (tldguard.ChainHead, error) {
	var h tldguard.ChainHead
	err := t.tx.QueryRow(t.ctx, `SELECT seq, hash FROM chain_head`).Scan(&h.Seq, &h.Hash)
	return h, t.fail(err, "chain head")
}

// ScanEvents reads the log a page at a time by sequence number, so memory
// stays constant however long the chain, and fn may use the Tx between rows.
func (t *tx) ScanEvents(after int64, fn func(*tldguard.Event) error) error {
	page := make([]*tldguard.Event, 0, scanPage)
	for {
		rows, _ := t.tx.Query(t.ctx, `SELECT `+eventColumns+` FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, scanPage)
		page = page[:0]
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return t.fail(err, "event")
			}
			page = append(page, e)
		}
		if err := rows.Err(); err != nil {
			return t.fail(err, "event")
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

// EventsByCase returns a case's events, oldest first.
func (t *tx) EventsByCase(caseID int64) ([]*tldguard.Event, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+eventColumns+` FROM events WHERE case_id = $1 ORDER BY seq`, caseID)
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Event, error) { return scanEvent(r) })
	return emptyNil(events), t.fail(err, "event")
}
