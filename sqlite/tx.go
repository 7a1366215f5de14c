package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tldguard/tldguard"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// tx is one transaction; its methods, spread over one file per noun,
// implement tldguard.Tx.
type tx struct {
	ctx    context.Context
	tx     *sql.Tx
	stmts  *stmtCache // nil: prepare nothing
	missed []string   // run unprepared, to prepare after the transaction
}

var _ tldguard.Tx = (*tx)(nil)

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.stmt(query); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(query); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	if st := t.stmt(query); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// insert runs an INSERT and returns the new row's id.
func (t *tx) insert(noun, query string, args ...any) (int64, error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return 0, dbError(err, noun)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, dbError(err, noun)
	}
	return id, nil
}

// update runs an UPDATE or DELETE of one row and returns ENOTFOUND when
// there was none.
func (t *tx) update(noun, query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return dbError(err, noun)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, noun)
	}
	if n == 0 {
		return notFound(noun)
	}
	return nil
}

// dbError turns a driver error into a *tldguard.Error by its result code:
// unique and primary-key violations are ECONFLICT; no rows and foreign-key
// violations (a reference to a missing row) are ENOTFOUND; a lock still
// held after the busy timeout is EUNAVAILABLE; the rest EINTERNAL. noun
// names the thing for the message.
func dbError(err error, noun string) error {
	if err == nil {
		return nil
	}
	var te *tldguard.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(noun)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &tldguard.Error{Kind: tldguard.ECONFLICT, Message: noun + " already exists", Err: err}
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &tldguard.Error{Kind: tldguard.ENOTFOUND, Message: noun + " refers to a missing row", Err: err}
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			// Another process held the lock for the whole busy timeout.
			return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "the database is busy; try again", Err: err}
		}
	}
	return tldguard.Internal(err, noun)
}

func notFound(noun string) error {
	return tldguard.Errorf(tldguard.ENOTFOUND, "%s not found", noun)
}

// micros is how times are stored: unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// timeCol scans a micros column into a UTC time.Time (zero for 0).
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case int64:
		if v == 0 {
			*c.t = time.Time{}
		} else {
			*c.t = time.UnixMicro(v).UTC()
		}
		return nil
	case nil:
		*c.t = time.Time{}
		return nil
	}
	return fmt.Errorf("time column holds a %T", v)
}

// idCol scans a nullable id column, NULL being 0.
type idCol struct{ id *int64 }

func (c idCol) Scan(v any) error {
	switch v := v.(type) {
	case int64:
		*c.id = v
		return nil
	case nil:
		*c.id = 0
		return nil
	}
	return fmt.Errorf("id column holds a %T", v)
}

// nullID stores the id 0 ("none") as NULL, for foreign keys.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// listCol scans a JSON array of strings; an empty array is nil.
type listCol struct{ l *[]string }

func (c listCol) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*c.l = nil
		return nil
	default:
		return fmt.Errorf("list column holds a %T", v)
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	if len(l) == 0 {
		l = nil
	}
	*c.l = l
	return nil
}

func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// blob is b as a value for a NOT NULL BLOB column: nil becomes empty.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// limit is f.Limit for a LIMIT clause: -1 (none) when not positive.
func limit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}
