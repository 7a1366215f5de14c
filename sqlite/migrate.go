package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaNewer is returned (wrapped) by Migrate when the database holds a
// migration newer than this binary knows: an older tldguard must not write
// to a schema it does not understand.
var ErrSchemaNewer = errors.New("the database schema is newer than this tldguard")

type migration struct {
	version int
	name    string // the file name without .sql, e.g. "0001_init"
	sql     string
}

// migrations returns the embedded migrations in order. Their file names
// start with the version, 1, 2, 3, ... with no gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, p := range names { // Glob sorts
		name := strings.TrimSuffix(path.Base(p), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("sqlite: migration %s: want version %d first in its name", p, len(ms)+1)
		}
		b, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	return ms, nil
}

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate applies the migrations the database has not yet had, each in its
// own transaction, and returns their names. Migrations are forward-only.
// It refuses (with ErrSchemaNewer) a database migrated by a newer binary.
// Two processes may run it at once: the second waits and applies nothing.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	_, err = s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, m := range ms {
		done, err := s.apply(ctx, m, ms[len(ms)-1].version)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// apply runs m if the database is at the version before it.
func (s *Store) apply(ctx context.Context, m migration, latest int) (bool, error) {
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer stx.Rollback()
	var cur int
	if err := stx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&cur); err != nil {
		return false, fmt.Errorf("sqlite: migrate: %w", err)
	}
	switch {
	case cur > latest:
		return false, fmt.Errorf("sqlite: %s is at schema version %d, this tldguard knows up to %d: upgrade tldguard: %w", s.path, cur, latest, ErrSchemaNewer)
	case cur >= m.version:
		return false, nil
	case cur != m.version-1:
		return false, fmt.Errorf("sqlite: migrate: the database is at version %d, cannot apply %s", cur, m.name)
	}
	if _, err := stx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	_, err = stx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, time.Now().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if err := stx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: commit: %w", m.name, err)
	}
	return true, nil
}
