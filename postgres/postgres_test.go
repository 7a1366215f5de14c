package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/storetest"
)

// testDSN returns the database the tests use, from TLDGUARD_TEST_POSTGRES,
// and skips the test when it is not set (CI always sets it).
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("TLDGUARD_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("TLDGUARD_TEST_POSTGRES is not set")
	}
	return dsn
}

// withSearchPath returns dsn with search_path set to schema.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("TLDGUARD_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// admin runs sql on its own connection to the test database.
func admin(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// newSchema creates a schema with a random name, dropped with everything in
// it when the test ends, and returns a DSN whose search_path is that schema.
func newSchema(tb testing.TB) string {
	tb.Helper()
	dsn := testDSN(tb)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "tldguard_test_" + hex.EncodeToString(b)
	admin(tb, dsn, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { admin(tb, dsn, "DROP SCHEMA "+schema+" CASCADE") })
	return withSearchPath(tb, dsn, schema)
}

// openStore opens a store on dsn, closed when the test ends.
func openStore(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a migrated store in a fresh schema.
func newStore(tb testing.TB) *Store {
	tb.Helper()
	s := openStore(tb, newSchema(tb))
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) tldguard.Store { return newStore(t) })
}

func TestOpenKeepsCommitsDurable(t *testing.T) {
	dsn := newSchema(t) + "&synchronous_commit=off"
	if !strings.Contains(dsn, "://") {
		t.Skip("needs a URL DSN")
	}
	s := openStore(t, dsn)
	var v string
	if err := s.pool.QueryRow(t.Context(), "SHOW synchronous_commit").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "on" {
		t.Errorf("synchronous_commit = %q with a DSN that turns it off, want on", v)
	}
}

// TestChainAcrossNodes writes events from two stores (two nodes, each with
// its own pool) on one database at once: the chain stays linear.
func TestChainAcrossNodes(t *testing.T) {
	dsn := newSchema(t)
	a := openStore(t, dsn)
	if _, err := a.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := openStore(t, dsn)
	const writers, rounds = 6, 15
	var wg sync.WaitGroup
	for w := range writers {
		s := []*Store{a, b}[w%2]
		wg.Go(func() {
			for r := range rounds {
				ev := func(tx tldguard.Tx) error {
					return tx.AppendEvent(&tldguard.Event{At: time.Now(), Actor: fmt.Sprintf("system:w%d", w), Action: "test", Data: []byte(fmt.Sprint(r))})
				}
				if w%3 == 0 {
					for i, err := range s.WriteBatch(t.Context(), []func(tldguard.Tx) error{ev, ev}) {
						if err != nil {
							t.Errorf("WriteBatch[%d]: %v", i, err)
						}
					}
				} else if err := s.Write(t.Context(), ev); err != nil {
					t.Errorf("Write: %v", err)
				}
			}
		})
	}
	wg.Wait()
	var v tldguard.ChainVerifier
	var head tldguard.ChainHead
	err := b.Read(t.Context(), func(tx tldguard.Tx) error {
		if err := tx.ScanEvents(0, func(e *tldguard.Event) error {
			if !v.Add(e) {
				return errors.New(v.Broken)
			}
			return nil
		}); err != nil {
			return err
		}
		var err error
		head, err = tx.ChainHead()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := v.Finish(head, nil)
	if want := int64(writers/3*rounds*2 + (writers-writers/3)*rounds); v.Broken != "" || got.Seq != want {
		t.Errorf("chain of %d events (%s), want %d verifying", got.Seq, v.Broken, want)
	}
}

// TestWriteRetriesDeadlock makes two transactions lock two users in opposite
// orders. PostgreSQL aborts one with a deadlock (40P01); Write reruns it,
// and the rerun starts from the values as they were before the first run
// (its UpdateCase must not see the version the aborted run bumped).
func TestWriteRetriesDeadlock(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := []*tldguard.User{{Email: "a@nic.example", Role: tldguard.RoleAnalyst}, {Email: "b@nic.example", Role: tldguard.RoleAnalyst}}
	c := []*tldguard.Case{
		{Domain: "a.example", TLD: "example", ThreatType: tldguard.ThreatPhishing, Status: tldguard.StatusOpen},
		{Domain: "b.example", TLD: "example", ThreatType: tldguard.ThreatPhishing, Status: tldguard.StatusOpen},
	}
	if err := s.Write(ctx, func(tx tldguard.Tx) error {
		for i := range 2 {
			if err := tx.CreateUser(u[i]); err != nil {
				return err
			}
			if err := tx.InsertCase(c[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	locked := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	var runs [2]int
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			mine, other := u[i], u[1-i]
			err := s.Write(ctx, func(tx tldguard.Tx) error {
				runs[i]++
				c[i].Assignee = mine.Email
				if err := tx.UpdateCase(c[i]); err != nil {
					return err
				}
				if err := tx.UpdateUser(mine); err != nil {
					return err
				}
				once[i].Do(func() { close(locked[i]) })
				<-locked[1-i]
				if err := tx.UpdateUser(other); err != nil {
					return err
				}
				return tx.AppendEvent(&tldguard.Event{Actor: "system:test", Action: "test"})
			})
			if err != nil {
				t.Errorf("Write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if runs[0]+runs[1] < 3 {
		t.Errorf("fns ran %v times: no deadlock was retried", runs)
	}
	for i := range 2 {
		if c[i].Version != 2 {
			t.Errorf("case %d: Version %d after one committed update, want 2", i, c[i].Version)
		}
	}
}

// TestListCasesWithoutTimes: cases without a deadline or an opening time
// sort last in either order, and cursors page through them.
func TestListCasesWithoutTimes(t *testing.T) {
	s := newStore(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []*tldguard.Case
	if err := s.Write(t.Context(), func(tx tldguard.Tx) error {
		for i := range 6 {
			c := &tldguard.Case{Domain: fmt.Sprintf("n%d.example", i), TLD: "example", ThreatType: tldguard.ThreatMalware, Status: tldguard.StatusOpen}
			if i%2 == 0 {
				c.OpenedAt, c.ResponseDueAt = base.Add(time.Duration(i)*time.Hour), base.Add(time.Duration(10-i)*time.Hour)
			}
			if err := tx.InsertCase(c); err != nil {
				return err
			}
			all = append(all, c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	id := func(i int) int64 { return all[i].ID }
	for sort, want := range map[tldguard.CaseSort][]int64{
		tldguard.SortDue:    {id(4), id(2), id(0), id(1), id(3), id(5)},
		tldguard.SortNewest: {id(4), id(2), id(0), id(5), id(3), id(1)},
	} {
		var got []int64
		f := tldguard.CaseFilter{Sort: sort, Limit: 2}
		for range 5 {
			var page []*tldguard.Case
			if err := s.Read(t.Context(), func(tx tldguard.Tx) (err error) {
				page, err = tx.ListCases(f)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.ID)
			}
			if len(page) < f.Limit {
				break
			}
			f.After, _ = tldguard.ParseCaseCursor(tldguard.CursorFor(page[len(page)-1], sort).String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("sort %q: paged %v, want %v", sort, got, want)
		}
	}
}

// TestBatchFnIgnoringAFailedStatement: a fn that ignores a failed statement
// (which aborts a PostgreSQL transaction) fails alone; the batch commits the
// other fns.
func TestBatchFnIgnoringAFailedStatement(t *testing.T) {
	s := newStore(t)
	user := func(n int) func(tx tldguard.Tx) error {
		return func(tx tldguard.Tx) error {
			return tx.CreateUser(&tldguard.User{Email: fmt.Sprintf("u%d@nic.example", n), Role: tldguard.RoleAnalyst})
		}
	}
	errs := s.WriteBatch(t.Context(), []func(tldguard.Tx) error{
		user(1),
		func(tx tldguard.Tx) error {
			_ = tx.CreateSession(&tldguard.Session{Hash: []byte("h"), UserID: 12345}) // no such user
			return nil
		},
		user(2),
	})
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("WriteBatch errors %v, want only the second to fail", errs)
	}
	if err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		us, err := tx.ListUsers()
		if len(us) != 2 {
			t.Errorf("%d users stored, want 2", len(us))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
