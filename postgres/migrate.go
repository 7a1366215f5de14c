package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew is wrapped by the error Migrate returns for a database
// migrated by a newer tldguard: running an older binary on it could
// misread or damage its data.
var ErrSchemaTooNew = errors.New("postgres: the database schema is newer than this tldguard")

// migration is one numbered step of the schema, from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string // the file name without .sql, e.g. "0001_init"
	sql     string
}

// loadMigrations reads the migrations of fsys and checks that they are
// numbered 1, 2, 3, ... without gaps or duplicates.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, file := range files {
		name := strings.TrimSuffix(path.Base(file), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %s does not start with its number", file)
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s should be number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// Migrate brings the schema up to date and returns the names of the
// migrations it applied (none when the schema was current). Each migration
// runs in its own transaction under an advisory lock on the schema, so that
// nodes starting at once apply each migration exactly once. A database with
// a migration this binary does not know is refused (ErrSchemaTooNew).
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, tldguard.Internal(err, "postgres: load migrations")
	}
	return s.migrate(ctx, ms)
}

func (s *Store) migrate(ctx context.Context, ms []migration) (applied []string, err error) {
	for {
		name, err := s.migrateOne(ctx, ms)
		if err != nil || name == "" {
			return applied, err
		}
		applied = append(applied, name)
	}
}

// migrateOne applies the first migration the database lacks and returns its
// name, or "" when there is none.
func (s *Store) migrateOne(ctx context.Context, ms []migration) (string, error) {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", unavailable(err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	fail := func(err error, what string) (string, error) {
		return "", tldguard.Internal(err, "postgres: migrate: "+what)
	}
	// The lock is per schema (search_path), like the migrations themselves,
	// and is released by the commit. Creating the bookkeeping table under it
	// avoids the race of two concurrent CREATE TABLE IF NOT EXISTS.
	if _, err := ptx.Exec(ctx, `SELECT pg_advisory_xact_lock(
		hashtextextended('tldguard.migrate:' || coalesce(current_schema(), ''), 0))`); err != nil {
		return fail(err, "lock")
	}
	if _, err := ptx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fail(err, "create schema_migrations")
	}
	rows, _ := ptx.Query(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	done, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Version int
		Name    string
	}])
	if err != nil {
		return fail(err, "read schema_migrations")
	}
	for i, d := range done {
		switch {
		case d.Version > len(ms):
			return "", &tldguard.Error{Kind: tldguard.EINTERNAL,
				Message: fmt.Sprintf("the database has migration %d (%s) but this tldguard knows only up to %d: run a newer tldguard",
					d.Version, d.Name, len(ms)),
				Err: ErrSchemaTooNew}
		case d.Version != i+1 || d.Name != ms[i].name:
			return "", tldguard.Errorf(tldguard.EINTERNAL,
				"the database's migration %d is %q, where this tldguard has %q: the schema history differs",
				d.Version, d.Name, ms[i].name)
		}
	}
	if len(done) == len(ms) {
		return "", nil
	}
	m := ms[len(done)]
	if _, err := ptx.Exec(ctx, m.sql); err != nil {
		return fail(err, m.name)
	}
	if _, err := ptx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fail(err, "record "+m.name)
	}
	if err := ptx.Commit(ctx); err != nil {
		return fail(err, "commit "+m.name)
	}
	return m.name, nil
}
