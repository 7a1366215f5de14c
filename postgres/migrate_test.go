package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
)

func TestMigrationsAreNumbered(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].name != "0001_init" {
		t.Fatalf("migrations = %v, want 0001_init first", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		"no number": {"migrations/init.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted %v", name, fsys)
		}
	}
}

// TestMigrateConcurrently starts several nodes on one empty schema at once:
// each migration is applied by exactly one of them. The migrations sleep to
// make the nodes overlap.
func TestMigrateConcurrently(t *testing.T) {
	dsn := newSchema(t)
	var ms []migration
	for i := 1; i <= 4; i++ {
		ms = append(ms, migration{version: i, name: fmt.Sprintf("%04d_t%d", i, i),
			sql: fmt.Sprintf("SELECT pg_sleep(0.05); CREATE TABLE t%d (id int)", i)})
	}
	const nodes = 4
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = openStore(t, dsn)
	}
	var mu sync.Mutex
	var applied []string
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			names, err := s.migrate(t.Context(), ms)
			if err != nil {
				t.Errorf("migrate: %v", err)
			}
			mu.Lock()
			applied = append(applied, names...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(applied)
	if want := []string{"0001_t1", "0002_t2", "0003_t3", "0004_t4"}; !slices.Equal(applied, want) {
		t.Errorf("applied %v across the nodes, want each of %v once", applied, want)
	}
	var n int
	if err := stores[0].pool.QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != 4 {
		t.Errorf("schema_migrations has %d rows (%v), want 4", n, err)
	}
}

func TestMigrate(t *testing.T) {
	dsn := newSchema(t)
	ctx := context.Background()
	nodes := []*Store{openStore(t, dsn), openStore(t, dsn)}
	var mu sync.Mutex
	var applied []string
	var wg sync.WaitGroup
	for _, s := range nodes {
		wg.Go(func() {
			names, err := s.Migrate(ctx)
			if err != nil {
				t.Errorf("Migrate: %v", err)
			}
			mu.Lock()
			applied = append(applied, names...)
			mu.Unlock()
		})
	}
	wg.Wait()
	ms, _ := loadMigrations(migrationFiles)
	if len(applied) != len(ms) {
		t.Errorf("two concurrent Migrate calls applied %v, want each of %d migrations once", applied, len(ms))
	}
	s := nodes[0]
	if again, err := s.Migrate(ctx); err != nil || len(again) != 0 {
		t.Errorf("Migrate on a current schema = %v, %v; want nothing applied", again, err)
	}

	// A database from a newer tldguard is refused, and left alone.
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(ctx)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Migrate on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// TestMigrateRefusesDivergentHistory: a database whose migration N is not
// this binary's migration N was built from another history.
func TestMigrateRefusesDivergentHistory(t *testing.T) {
	s := openStore(t, newSchema(t))
	a := []migration{{1, "0001_a", "CREATE TABLE a (id int)"}}
	b := []migration{{1, "0001_b", "CREATE TABLE b (id int)"}}
	if _, err := s.migrate(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrate(t.Context(), b); err == nil {
		t.Error("migrate accepted a database with another migration 1")
	}
}
