package sqlite

import (
	"github.com/tldguard/tldguard"
)

// AppendEvent reads the chain head inside the transaction, seals e after
// it, and writes e and the new head. The writer connection serialises
// transactions, so no other event can take the same seq.
func (t *tx) AppendEvent(e *tldguard.Event) error {
	var seq int64
	var hash []byte
	if err := t.queryRow("SELECT seq, hash FROM chain_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return tldguard.Internal(err, "read chain head")
	}
	if seq == 0 {
		hash = nil
	}
	e.Seal(seq, hash)
	_, err := t.exec(`INSERT INTO events (seq, at, actor, action, case_id, subject, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, micros(e.At), e.Actor, e.Action, e.CaseID, e.Subject, blob(e.Data), e.PrevHash, e.Hash)
	if err != nil {
		return dbError(err, "event")
	}
	if _, err := t.exec("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash); err != nil {
		return dbError(err, "chain head")
	}
	return nil
}

// ChainHead returns the stored head, the zero head for an empty log.
func (t *tx) ChainHead() (tldguard.ChainHead, error) {
	var h tldguard.ChainHead
	if err := t.queryRow("SELECT seq, hash FROM chain_head WHERE id = 1").Scan(&h.Seq, &h.Hash); err != nil {
		return h, tldguard.Internal(err, "read chain head")
	}
	if h.Seq == 0 {
		h.Hash = nil
	}
	return h, nil
}

const eventColumns = "seq, at, actor, action, case_id, subject, data, prev_hash, hash"

func scanEvent(rows interface{ Scan(...any) error }) (*tldguard.Event, error) {
	e := new(tldguard.Event)
	err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Action, &e.CaseID, &e.Subject, &e.Data, &e.PrevHash, &e.Hash)
	return e, err
}

// ScanEvents streams the events after seq from one cursor: memory stays
// constant however long the log is.
func (t *tx) ScanEvents(after int64, fn func(*tldguard.Event) error) error {
	rows, err := t.query("SELECT "+eventColumns+" FROM events WHERE seq > ? ORDER BY seq", after)
	if err != nil {
		return dbError(err, "events")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return dbError(err, "event")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return dbError(rows.Err(), "events")
}

// EventsByCase returns a case's events, oldest first.
func (t *tx) EventsByCase(caseID int64) ([]*tldguard.Event, error) {
	rows, err := t.query("SELECT "+eventColumns+" FROM events WHERE case_id = ? ORDER BY seq", caseID)
	if err != nil {
		return nil, dbError(err, "events")
	}
	defer rows.Close()
	var out []*tldguard.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, dbError(err, "event")
		}
		out = append(out, e)
	}
	return out, dbError(rows.Err(), "events")
}
