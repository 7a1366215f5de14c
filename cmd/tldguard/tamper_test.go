package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tldguard/tldguard"
	_ "modernc.org/sqlite"
)

// TestAuditVerifyFindsTampering alters and removes stored audit events
// behind tldguard's back, as an attacker with database access would (first
// dropping the append-only triggers), and expects "audit verify" to exit
// non-zero naming the first bad event.
func TestAuditVerifyFindsTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		for _, name := range []string{"A", "B", "C"} {
			mustTool(t, w, "reporter", "add", "--name", name, "--kind", "public")
		}
		out := mustTool(t, w, "audit", "verify")
		if !strings.Contains(out, "intact") {
			t.Fatalf("fresh log: %s", out)
		}
		head := lastLine(mustTool(t, w, "audit", "head"))

		// Events: 1 tld.added, then reporter.created and token.created per
		// reporter (2..7). Change one field of event 4.
		sqlExec(t, w, "UPDATE events SET actor = 'mallory' WHERE seq = 4")
		out, err := tool(t, w, "audit", "verify")
		if err == nil || !strings.Contains(out, "event 4") {
			t.Fatalf("verify after altering event 4: err %v\n%s", err, out)
		}

		// An attacker who rewrites the chain from event 4 on with
		// consistent hashes passes the plain check, but not the check
		// against the head exported before.
		rehash(t, w, 4)
		if out, err := tool(t, w, "audit", "verify"); err != nil {
			t.Fatalf("a consistently rewritten chain should verify on its own (that is what the exported head is for): %v\n%s", err, out)
		}
		out, err = tool(t, w, "audit", "verify", "--head", head)
		if err == nil || !strings.Contains(out, "rewritten") {
			t.Fatalf("verify against the exported head after a rewrite: err %v\n%s", err, out)
		}
	})
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		mustTool(t, w, "reporter", "add", "--name", "A", "--kind", "public")
		mustTool(t, w, "reporter", "add", "--name", "B", "--kind", "public")
		sqlExec(t, w, "DELETE FROM events WHERE seq = 2")
		out, err := tool(t, w, "audit", "verify")
		if err == nil || !strings.Contains(out, "event 2 is missing") {
			t.Fatalf("verify after deleting event 2: err %v\n%s", err, out)
		}
	})
}

// rehash recomputes the hash chain from event from onwards, as a forger
// would after altering it, and moves the stored head along.
func rehash(t *testing.T, w where, from int64) {
	t.Helper()
	var events []*tldguard.Event
	withStore(t, w, func(s tldguard.Store) {
		err := s.Read(context.Background(), func(tx tldguard.Tx) error {
			return tx.ScanEvents(0, func(e *tldguard.Event) error {
				c := *e
				events = append(events, &c)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	prev := events[from-2]
	for _, e := range events[from-1:] {
		e.Seal(prev.Seq, prev.Hash)
		sqlExec(t, w, fmt.Sprintf("UPDATE events SET actor = '%s', prev_hash = %s, hash = %s WHERE seq = %d", e.Actor, hexLit(w, e.PrevHash), hexLit(w, e.Hash), e.Seq))
		prev = e
	}
	sqlExec(t, w, fmt.Sprintf("UPDATE chain_head SET hash = %s", hexLit(w, prev.Hash)))
}

func hexLit(w where, b []byte) string {
	if w[0] == "--db" {
		return "'\\x" + hex.EncodeToString(b) + "'::bytea"
	}
	return "x'" + hex.EncodeToString(b) + "'"
}

func withStore(t *testing.T, w where, fn func(tldguard.Store)) {
	f := dbFlags{}
	if w[0] == "--db" {
		f.db = w[1]
	} else {
		f.data = w[1]
	}
	s, err := f.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

// sqlExec runs a statement directly on the engine's database, with the
// append-only triggers dropped first.
func sqlExec(t *testing.T, w where, stmt string) {
	t.Helper()
	ctx := context.Background()
	switch w[0] {
	case "--data":
		db, err := sql.Open("sqlite", filepath.Join(w[1], "tldguard.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range []string{"DROP TRIGGER IF EXISTS events_no_update", "DROP TRIGGER IF EXISTS events_no_delete", stmt} {
			if _, err := db.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	case "--db":
		conn, err := pgx.Connect(ctx, w[1])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, s := range []string{"DROP TRIGGER IF EXISTS events_append_only ON events", stmt} {
			if _, err := conn.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
}
