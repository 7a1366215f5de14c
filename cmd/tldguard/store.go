package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/postgres"
	"github.com/tldguard/tldguard/sqlite"
)

// engine is a Store that can migrate its own schema.
type engine interface {
	tldguard.Store
	Migrate(ctx context.Context) ([]string, error)
}

// dbFlags are the flags that say where the data lives.
type dbFlags struct {
	data string
	db   string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "", "data directory (SQLite database tldguard.db, created if missing)")
	fs.StringVar(&f.db, "db", os.Getenv("TLDGUARD_DB"), "PostgreSQL connection string instead of --data (default $TLDGUARD_DB)")
}

// open opens the configured store and applies pending migrations, so every
// command works on a fresh data directory. Migrations are forward-only and
// serialised by each engine, so a tool run beside a server is safe.
func (f *dbFlags) open(ctx context.Context) (engine, error) {
	var (
		e   engine
		err error
	)
	switch {
	case f.db != "" && f.data != "":
		return nil, usagef("give --data or --db, not both")
	case f.db != "":
		if !strings.HasPrefix(f.db, "postgres://") && !strings.HasPrefix(f.db, "postgresql://") {
			return nil, usagef("--db must be a postgres:// URL")
		}
		e, err = postgres.Open(ctx, f.db)
	case f.data != "":
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		e, err = sqlite.Open(filepath.Join(f.data, "tldguard.db"))
	default:
		return nil, usagef("say where the data is: --data DIR or --db postgres://...")
	}
	if err != nil {
		return nil, err
	}
	if _, err := e.Migrate(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return e, nil
}
