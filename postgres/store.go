// Package postgres is the tldguard store on PostgreSQL, for large operators
// and for several tldguard nodes sharing one database. It implements
// tldguard.Store with its own SQL and embedded, numbered, forward-only
// migrations, and passes the same behaviour suite (storetest) as sqlite.
//
// Writes run at READ COMMITTED. The audit chain stays linear across nodes
// because every AppendEvent locks the single-row chain head (SELECT ... FOR
// UPDATE) before sealing; lost updates on cases are caught by their version;
// "one open case per name and threat" is a partial unique index. Serialization
// failures and deadlocks are retried a bounded number of times.
package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tldguard/tldguard"
)

// maxAttempts bounds how often Write and WriteBatch run a transaction that
// hits a serialization failure or a deadlock.
const maxAttempts = 5

// Store is the tldguard store on a PostgreSQL database. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool *pgxpool.Pool
}

var _ tldguard.Store = (*Store)(nil)

// defaultMaxConns is the pool size unless the DSN sets pool_max_conns.
const defaultMaxConns = 16

// Open connects to the database named by dsn, a PostgreSQL URL or key=value
// string. The DSN may set search_path (to keep tldguard in its own schema)
// and pgxpool's pool_* settings. Open never lets synchronous_commit be off:
// a committed write must survive a crash. It does not migrate; call Migrate.
// Errors: EINVALID for a malformed dsn, EUNAVAILABLE when the database does
// not answer.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, &tldguard.Error{Kind: tldguard.EINVALID, Message: "malformed PostgreSQL connection string", Err: err}
	}
	cfg.AfterConnect = keepDurable
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) starves the
		// group committer behind concurrent reads on small machines.
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &tldguard.Error{Kind: tldguard.EINVALID, Message: "bad PostgreSQL configuration", Err: err}
	}
	s := &Store{pool: pool}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// keepDurable turns synchronous_commit back on for a connection on which the
// server, the role or the DSN turned it off. Other values (local,
// remote_write, remote_apply) are the operator's choice and stay.
func keepDurable(ctx context.Context, conn *pgx.Conn) error {
	var v string
	if err := conn.QueryRow(ctx, "SELECT current_setting('synchronous_commit')").Scan(&v); err != nil {
		return err
	}
	if v == "off" {
		_, err := conn.Exec(ctx, "SET synchronous_commit TO on")
		return err
	}
	return nil
}

// Close closes every connection; it waits for those in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers (EUNAVAILABLE if not).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Read runs fn in a read-only REPEATABLE READ transaction: every query in fn
// sees the same snapshot.
func (s *Store) Read(ctx context.Context, fn func(tldguard.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return unavailable(err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(&tx{ctx: ctx, tx: ptx}); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return tldguard.Internal(err, "postgres: commit read")
	}
	return nil
}

// Write runs fn in one read-write transaction and commits it. When it returns
// nil the change is durable. A serialization failure or deadlock reruns fn
// in a new transaction, up to maxAttempts times, after undoing what the
// Tx methods set on the caller's values (ids, versions, event seals); if the
// database stays busy Write returns EUNAVAILABLE.
func (s *Store) Write(ctx context.Context, fn func(tldguard.Tx) error) error {
	return s.write(ctx, []func(tldguard.Tx) error{fn}, false)[0]
}

// WriteBatch runs each fn in its own savepoint of one transaction and commits
// once (group commit). A fn that fails is rolled back to its savepoint; the
// others go on. If the commit fails every entry holds its error. Retries are
// as for Write, for the whole batch.
func (s *Store) WriteBatch(ctx context.Context, fns []func(tldguard.Tx) error) []error {
	if len(fns) == 0 {
		return nil
	}
	return s.write(ctx, fns, true)
}

func (s *Store) write(ctx context.Context, fns []func(tldguard.Tx) error, batch bool) []error {
	errs := make([]error, len(fns))
	var busy error
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return fill(errs, tldguard.Internal(err, "postgres: waiting to retry"))
			}
		}
		clear(errs)
		t, failed := s.attempt(ctx, fns, errs, batch)
		if t == nil {
			return errs
		}
		if failed {
			t.undoTo(0)
		}
		if t.retry == nil {
			return errs
		}
		busy = t.retry
	}
	return fill(errs, &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "the database stayed busy; try again", Err: busy})
}

// attempt runs fns in one transaction and commits unless asked to retry or a
// fn of a plain Write failed. It reports whether the transaction was rolled
// back; t is nil when no transaction could be started.
func (s *Store) attempt(ctx context.Context, fns []func(tldguard.Tx) error, errs []error, batch bool) (t *tx, failed bool) {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		fill(errs, unavailable(err))
		return nil, true
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	t = &tx{ctx: ctx, tx: ptx}
	if batch {
		failed = t.runBatch(fns, errs)
	} else {
		errs[0] = fns[0](t)
		failed = errs[0] != nil
	}
	if failed || t.retry != nil {
		return t, true
	}
	if err := ptx.Commit(ctx); err != nil {
		fill(errs, t.fail(err, "commit"))
		return t, true
	}
	return t, false
}

// runBatch runs fns each in a savepoint. The release of one savepoint and
// the start of the next go to the server together. It reports a failure of
// the transaction itself (every entry of errs then holds it).
func (t *tx) runBatch(fns []func(tldguard.Tx) error, errs []error) (failed bool) {
	next := "SAVEPOINT batch"
	for i, fn := range fns {
		if _, err := t.tx.Exec(t.ctx, next); err != nil {
			fill(errs, t.fail(err, "savepoint"))
			return true
		}
		mark := len(t.undo)
		err := fn(t)
		if t.retry != nil {
			return true
		}
		next = "RELEASE SAVEPOINT batch; SAVEPOINT batch"
		if err == nil && t.tx.Conn().PgConn().TxStatus() == 'E' {
			// fn ignored a failed statement: its work cannot be
			// committed, but the others' can.
			err = tldguard.Internal(errors.New("a statement failed and its error was ignored"), "postgres: batch")
		}
		if err != nil {
			errs[i] = err
			if _, err := t.tx.Exec(t.ctx, "ROLLBACK TO SAVEPOINT batch"); err != nil {
				fill(errs, t.fail(err, "rollback to savepoint"))
				return true
			}
			// Row locks taken since the savepoint, the chain head's
			// included, are gone with it.
			t.head = nil
			t.undoTo(mark)
		}
	}
	return false
}

// backoff sleeps a little longer on each attempt, with jitter so that the
// transactions that collided do not collide again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(5*time.Millisecond) << attempt))
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func unavailable(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return tldguard.Internal(err, "postgres")
	}
	return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "the database is unavailable", Err: err}
}
