// Package testdb gives tests real databases: a SQLite file in a temporary
// directory always, and a fresh PostgreSQL schema when TLDGUARD_TEST_POSTGRES
// names a server. CI always sets it, so there the PostgreSQL runs never skip.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/postgres"
	"github.com/tldguard/tldguard/sqlite"
)

// EnvPostgres names the environment variable holding the test server's DSN.
const EnvPostgres = "TLDGUARD_TEST_POSTGRES"

// Each runs body once per engine as subtests "sqlite" and "postgres", each
// with a fresh, migrated, empty store that is closed when the test ends.
func Each(t *testing.T, body func(t *testing.T, store tldguard.Store)) {
	t.Run("sqlite", func(t *testing.T) { body(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { body(t, Postgres(t)) })
}

// SQLite returns a fresh migrated SQLite store in a temporary directory.
func SQLite(t testing.TB) tldguard.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "tldguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Postgres returns a fresh migrated PostgreSQL store in its own schema, or
// skips the test when TLDGUARD_TEST_POSTGRES is not set.
func Postgres(t testing.TB) tldguard.Store {
	t.Helper()
	dsn := PostgresDSN(t)
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN creates an empty schema, drops it when the test ends, and
// returns a DSN whose search_path points at it. It skips the test when
// TLDGUARD_TEST_POSTGRES is not set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skip(EnvPostgres + " is not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
