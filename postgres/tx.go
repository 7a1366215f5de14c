package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tldguard/tldguard"
)

// tx is one transaction; it implements tldguard.Tx.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
	// head is the chain head while this transaction holds its row lock; nil
	// until the first AppendEvent and again after a savepoint rollback.
	head *tldguard.ChainHead
	// retry is the first serialization failure or deadlock the transaction
	// met. It is noted here as well as returned, so that a fn that swallows
	// the error still gets its transaction rerun rather than committed.
	retry error
	// undo restores what the Tx methods set on the caller's values, in
	// reverse, when the work is rolled back: a rerun fn must not see the
	// version its first run bumped.
	undo []func()
}

var _ tldguard.Tx = (*tx)(nil)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// fail turns a driver error into a *tldguard.Error by its SQLSTATE code;
// what names the thing the statement was about ("case", "user").
func (t *tx) fail(err error, what string) error {
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return &tldguard.Error{Kind: tldguard.ENOTFOUND, Message: "no such " + what, Err: err}
	case errors.As(err, &pe):
		switch pe.Code {
		case codeUniqueViolation:
			return &tldguard.Error{Kind: tldguard.ECONFLICT, Message: "the " + what + " clashes with a stored one", Err: err}
		case codeForeignKeyViolation:
			return &tldguard.Error{Kind: tldguard.ENOTFOUND, Message: "the " + what + " refers to something that does not exist", Err: err}
		case codeSerializationFailure, codeDeadlockDetected:
			if t.retry == nil {
				t.retry = err
			}
		}
	}
	return tldguard.Internal(err, "postgres: "+what)
}

func notFound(what string) error {
	return &tldguard.Error{Kind: tldguard.ENOTFOUND, Message: "no such " + what}
}

func conflict(format string, args ...any) error {
	return tldguard.Errorf(tldguard.ECONFLICT, format, args...)
}

// onUndo records how to restore a caller's value if the work is rolled back.
func (t *tx) onUndo(f func()) { t.undo = append(t.undo, f) }

// undoTo runs the undo steps recorded after mark, newest first.
func (t *tx) undoTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:mark]
}

// setID sets *p to id, remembering the old value.
func (t *tx) setID(p *int64, id int64) {
	old := *p
	t.onUndo(func() { *p = old })
	*p = id
}

func (t *tx) exec(what, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	return tag, t.fail(err, what)
}

// ts is the stored form of a time: NULL for the zero time, else microseconds
// in UTC.
func ts(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	return tldguard.Truncate(v)
}

// nullID is the stored form of an optional reference: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// utcTime scans a nullable timestamptz: NULL (or an infinity) becomes the
// zero time, anything else the instant in UTC.
type utcTime time.Time

func (u *utcTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*u = utcTime{}
		return nil
	}
	*u = utcTime(v.Time.UTC())
	return nil
}

// scanTime returns a scan destination for a nullable timestamptz into *p.
func scanTime(p *time.Time) *utcTime { return (*utcTime)(p) }

// emptyNil returns nil for an empty slice, so that "none" reads back the same
// way from every engine.
func emptyNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
