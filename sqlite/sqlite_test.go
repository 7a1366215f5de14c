package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/storetest"
)

// openTest opens and migrates a database in a fresh temp dir.
func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tldguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tldguard.Store { return openTest(t) })
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tldguard.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range ms {
		want = append(want, m.name)
	}
	if !slices.Equal(applied, want) || len(want) == 0 || want[0] != "0001_init" {
		t.Errorf("first Migrate applied %v, want %v", applied, want)
	}
	if SchemaVersion() != len(ms) {
		t.Errorf("SchemaVersion() = %d, want %d", SchemaVersion(), len(ms))
	}
	if applied, err = s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}

	var mode string
	var sync, fk int
	if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	if err := s.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d (%v), want 2 (FULL)", sync, err)
	}
	if err := s.w.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}

	// A database migrated by a newer binary is refused, with a clear error.
	if _, err := s.w.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)",
		len(ms)+1); err != nil {
		t.Fatal(err)
	}
	_, err = s.Migrate(ctx)
	if !errors.Is(err, ErrSchemaNewer) {
		t.Errorf("Migrate of a newer database = %v, want ErrSchemaNewer", err)
	} else {
		t.Logf("newer schema: %v", err)
	}
}

// TestReadersAreQueryOnly checks that a write through the reader pool fails
// even outside Store.Read.
func TestReadersAreQueryOnly(t *testing.T) {
	s := openTest(t)
	if _, err := s.r.Exec("INSERT INTO tlds (name, added_at) VALUES ('x', 0)"); err == nil {
		t.Error("a reader connection wrote to the database")
	}
}

func TestReopenKeepsCommittedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tldguard.db")
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &tldguard.Case{Domain: "kept.example", TLD: "example", ThreatType: tldguard.ThreatMalware,
		Status: tldguard.StatusOpen, Priority: tldguard.PriorityHigh, OpenedAt: time.Now()}
	e := &tldguard.Event{At: time.Now(), Actor: "system:test", Action: "case.opened"}
	err = s.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.InsertCase(c); err != nil {
			return err
		}
		e.CaseID = c.ID
		return tx.AppendEvent(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The commit is in the WAL before Close: copy the files as a crash would
	// leave them and open the copy.
	crash := filepath.Join(t.TempDir(), "crash.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{path, crash} {
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
			t.Errorf("%s: Migrate after reopening = %v, %v", p, applied, err)
		}
		err = s.Read(ctx, func(tx tldguard.Tx) error {
			got, err := tx.CaseByID(c.ID)
			if err != nil {
				return err
			}
			if got.Domain != c.Domain || got.Version != 1 {
				t.Errorf("%s: reopened case = %+v", p, got)
			}
			h, err := tx.ChainHead()
			if err != nil {
				return err
			}
			if h.Seq != 1 || string(h.Hash) != string(e.Hash) {
				t.Errorf("%s: reopened chain head = %v, want 1:%x", p, h, e.Hash)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		s.Close()
	}
}

// TestDriverErrorKinds checks that result codes, not message strings, pick
// the error kind.
func TestDriverErrorKinds(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		name, query, kind string
	}{
		{"primary key", "INSERT INTO tlds (name, added_at) VALUES ('a', 0), ('a', 0)", tldguard.ECONFLICT},
		{"unique", `INSERT INTO users (email, name, role, password_hash, disabled, created_at)
			VALUES ('a@x', '', '', '', 0, 0), ('a@x', '', '', '', 0, 0)`, tldguard.ECONFLICT},
		{"foreign key", "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (x'01', 999, 0, 0)", tldguard.ENOTFOUND},
		{"not null", "INSERT INTO tlds (name, added_at) VALUES ('b', NULL)", tldguard.EINTERNAL},
		{"syntax", "SELEKT 1", tldguard.EINTERNAL},
	} {
		err := s.Write(t.Context(), func(ttx tldguard.Tx) error {
			_, err := ttx.(*tx).exec(tc.query)
			return dbError(err, "thing")
		})
		if got := tldguard.ErrorKind(err); got != tc.kind {
			t.Errorf("%s: kind %q (%v), want %q", tc.name, got, err, tc.kind)
		}
	}
	if got := tldguard.ErrorKind(dbError(fmt.Errorf("wrapped: %w", sql.ErrNoRows), "thing")); got != tldguard.ENOTFOUND {
		t.Errorf("sql.ErrNoRows: kind %q, want %q", got, tldguard.ENOTFOUND)
	}
}

// TestEmptyBlobs checks that empty byte slices are stored as empty BLOBs,
// not NULLs, in NOT NULL columns.
func TestEmptyBlobs(t *testing.T) {
	s := openTest(t)
	rec := &tldguard.IdempotencyRecord{ReporterID: 1, Key: "k", RequestSHA256: []byte{}, Response: nil}
	if err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.PutIdempotent(rec) }); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("new database file has mode %v, want 0600", fi.Mode().Perm())
	}
	for _, bad := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(bad); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

// TestTwoStoresShareTheFile writes events from two Stores on one file at
// once, as the CLI beside a running server does: BEGIN IMMEDIATE and the
// busy timeout serialise them, and the chain stays gapless.
func TestTwoStoresShareTheFile(t *testing.T) {
	a := openTest(t)
	b, err := Open(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const rounds = 25
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for range rounds {
				err := s.Write(t.Context(), func(tx tldguard.Tx) error {
					return tx.AppendEvent(&tldguard.Event{At: time.Now(), Actor: "system:test", Action: "test"})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var v tldguard.ChainVerifier
	err = b.Read(t.Context(), func(tx tldguard.Tx) error {
		if err := tx.ScanEvents(0, func(e *tldguard.Event) error {
			v.Add(e)
			return nil
		}); err != nil {
			return err
		}
		h, err := tx.ChainHead()
		if err != nil {
			return err
		}
		if got := v.Finish(h, nil); got.Seq != 4*rounds {
			t.Errorf("chain has %d events, want %d", got.Seq, 4*rounds)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Broken != "" {
		t.Errorf("chain broken: %s", v.Broken)
	}
}

// TestBusyIsUnavailable holds the write lock from another connection past
// the busy timeout: Write gives up with EUNAVAILABLE.
func TestBusyIsUnavailable(t *testing.T) {
	defer func(d time.Duration) { busyTimeout = d }(busyTimeout)
	busyTimeout = 100 * time.Millisecond
	s := openTest(t)
	other, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.AddTLD("example", time.Now()) })
	if got := tldguard.ErrorKind(err); got != tldguard.EUNAVAILABLE {
		t.Errorf("Write while another process holds the lock: kind %q (%v), want %q", got, err, tldguard.EUNAVAILABLE)
	}
	// Reads go on.
	if err := s.Read(t.Context(), func(tx tldguard.Tx) error { _, err := tx.TLDs(); return err }); err != nil {
		t.Errorf("Read while another process holds the write lock: %v", err)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), func(tx tldguard.Tx) error { return tx.AddTLD("example", time.Now()) }); err != nil {
		t.Errorf("Write after the lock was released: %v", err)
	}
}

// TestPreparedStatements: a statement a transaction runs is prepared after
// it and reused by the next ones, on the writer and on the readers; the
// cache is bounded; results are the same either way.
func TestPreparedStatements(t *testing.T) {
	defer func(n int) { maxStmts = n }(maxStmts)
	maxStmts = 3
	s := openTest(t)
	ctx := t.Context()
	insert := func(name string) {
		t.Helper()
		if err := s.Write(ctx, func(x tldguard.Tx) error {
			_, err := x.(*tx).exec("INSERT INTO tlds (name, added_at) VALUES (?, 0)", name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := s.Read(ctx, func(x tldguard.Tx) error { return x.(*tx).queryRow(q).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert("a")
	if s.wStmts.get("INSERT INTO tlds (name, added_at) VALUES (?, 0)") == nil {
		t.Fatal("the writer's statement was not prepared after its transaction")
	}
	insert("b")
	insert("c")
	const all = "SELECT count(*) FROM tlds"
	for range 3 {
		if n := count(all); n != 3 {
			t.Fatalf("count %d, want 3", n)
		}
	}
	if s.rStmts.get(all) == nil {
		t.Error("the readers' statement was not prepared")
	}
	for i := range 5 {
		count(fmt.Sprintf("SELECT count(*) + %d FROM tlds", i))
	}
	if n := len(s.rStmts.m); n != maxStmts {
		t.Errorf("%d statements kept, want the bound %d", n, maxStmts)
	}
	// A statement that fails keeps failing the same way, prepared or not.
	for range 2 {
		err := s.Write(ctx, func(x tldguard.Tx) error {
			_, err := x.(*tx).exec("INSERT INTO tlds (name, added_at) VALUES (?, 0)", "a")
			return dbError(err, "tld")
		})
		if tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("duplicate insert: %v, want ECONFLICT", err)
		}
	}
}
