package main

import (
	"testing"

	"github.com/tldguard/tldguard/internal/testdb"
)

// eachEngine runs a test body on each storage engine: SQLite always, and
// PostgreSQL when TLDGUARD_TEST_POSTGRES names a server (CI always sets it).
func eachEngine(t *testing.T, body func(t *testing.T, w where)) {
	t.Run("sqlite", func(t *testing.T) {
		body(t, where{"--data", t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		body(t, where{"--db", testdb.PostgresDSN(t)})
	})
}
