// Package sqlite is tldguard's default storage engine: one SQLite file,
// written through modernc.org/sqlite (pure Go, no cgo).
//
// The file is in WAL mode with synchronous=FULL, so a committed write is on
// stable storage, and readers never wait for the writer. Writes go through
// one connection that begins with BEGIN IMMEDIATE; other processes (the CLI
// beside a running server) wait for the write lock under busy_timeout.
// Reads use a separate pool of query-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long a connection waits for a lock held by another
// process (the CLI beside the server) before Write gives up with
// EUNAVAILABLE. A variable so that a test can shorten it.
var busyTimeout = 10 * time.Second

// Store is a tldguard.Store on one SQLite file.
type Store struct {
	path   string
	w      *sql.DB // the one writer connection
	r      *sql.DB // query-only readers
	wStmts *stmtCache
	rStmts *stmtCache
}

var _ tldguard.Store = (*Store)(nil)

// Open opens the database at path, creating the file (mode 0600) if it does
// not exist, and puts it in WAL mode. It does not migrate: call Migrate
// before use.
func Open(path string) (*Store, error) {
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: %q is not a file path (in-memory databases are not supported: readers and the writer need a shared file)", path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("sqlite: the path %q contains '?'", path)
	}
	// The file holds password hashes and evidence: create it private.
	// SQLite gives its -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", path+"?_txlock=immediate&"+common+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: writes are serialised here rather than by SQLite's
	// lock, and a failed Write never leaves a second writer half-begun.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{path: path, w: w}
	var mode string
	if err := w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal mode is %q, want wal (is the file on a network file system?)", path, mode)
	}

	s.r, err = sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.wStmts, s.rStmts = newStmtCache(w), newStmtCache(s.r)
	if err := s.r.Ping(); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the connections. The last one to close checkpoints the WAL
// into the database file.
func (s *Store) Close() error {
	var err error
	if s.wStmts != nil {
		s.wStmts.close()
		s.rStmts.close()
	}
	if s.r != nil {
		err = s.r.Close()
	}
	if s.w != nil {
		// Keep the planner's statistics fresh, as SQLite recommends on close.
		_, _ = s.w.Exec("PRAGMA optimize")
		if werr := s.w.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// Ping reports whether the database answers a reader.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return tldguard.Internal(err, "ping")
	}
	return nil
}

// Read runs fn in a read-only transaction on a reader connection. Its
// snapshot is taken at the first read and holds until fn returns.
func (s *Store) Read(ctx context.Context, fn func(tldguard.Tx) error) error {
	stx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return dbError(err, "begin read")
	}
	t := &tx{ctx: ctx, tx: stx, stmts: s.rStmts}
	defer t.done()
	defer stx.Rollback()
	return fn(t)
}

// Write runs fn in one IMMEDIATE transaction and commits it; with
// synchronous=FULL the commit is synced before Write returns. fn's error is
// returned as it is, after rolling back. fn runs once: with the write lock
// taken at BEGIN there are no serialisation failures to retry. When another
// process holds the lock past the busy timeout, Write returns EUNAVAILABLE.
func (s *Store) Write(ctx context.Context, fn func(tldguard.Tx) error) error {
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err, "begin write")
	}
	t := &tx{ctx: ctx, tx: stx, stmts: s.wStmts}
	defer t.done()       // after the connection is back
	defer stx.Rollback() // after Commit, a no-op; on panic, the cleanup
	if err := fn(t); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return dbError(err, "commit")
	}
	return nil
}

// WriteBatch runs each fn inside its own SAVEPOINT of one transaction and
// commits once: a failed fn is rolled back to its savepoint alone.
func (s *Store) WriteBatch(ctx context.Context, fns []func(tldguard.Tx) error) []error {
	errs := make([]error, len(fns))
	if len(fns) == 0 {
		return errs
	}
	all := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return all(dbError(err, "begin batch"))
	}
	t := &tx{ctx: ctx, tx: stx, stmts: s.wStmts}
	defer t.done()
	defer stx.Rollback()
	for i, fn := range fns {
		if _, err := stx.ExecContext(ctx, "SAVEPOINT batch_fn"); err != nil {
			return all(tldguard.Internal(err, "savepoint"))
		}
		if errs[i] = fn(t); errs[i] != nil {
			// A failed statement can end the whole transaction (SQLITE_FULL,
			// IOERR); then the savepoint is gone and the batch fails as one.
			if _, err := stx.ExecContext(ctx, "ROLLBACK TO batch_fn"); err != nil {
				return all(tldguard.Internal(err, "rollback to savepoint"))
			}
		}
		if _, err := stx.ExecContext(ctx, "RELEASE batch_fn"); err != nil {
			return all(tldguard.Internal(err, "release savepoint"))
		}
	}
	if err := stx.Commit(); err != nil {
		return all(dbError(err, "commit batch"))
	}
	return errs
}
