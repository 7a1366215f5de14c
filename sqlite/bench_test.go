package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/storetest"
)

// seedSQL inserts storetest.SeedCase(i) for every i in [0, ?1) in one
// statement; ?2 is storetest.SeedBase in unix microseconds.
const seedSQL = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1),
	c AS (SELECT i,
		CASE i % 3 WHEN 0 THEN 'example' WHEN 1 THEN 'test' ELSE 'invalid' END AS tld,
		CASE i % 10 WHEN 0 THEN 'open' WHEN 3 THEN 'open' WHEN 6 THEN 'in_progress' ELSE 'closed' END AS status,
		?2 + i * 30000000 - (i * 7919 % 3600) * 1000000 AS opened,
		CASE WHEN i % 20 = 7 THEN 86400000000 ELSE 259200000000 END AS clock
	FROM seq)
INSERT INTO cases (domain, tld, threat_type, status, priority, priority_reason, classification, registered,
	registrar_id, registrar_name, assignee, confidential, resolution, report_count, opened_at, acked_at,
	response_due_at, responded_at, closed_at, updated_at, version)
SELECT printf('seed%08d.%s', i, tld), tld,
	CASE i % 5 WHEN 0 THEN 'phishing' WHEN 1 THEN 'malware' WHEN 2 THEN 'botnet' WHEN 3 THEN 'pharming' ELSE 'spam' END,
	status, CASE WHEN i % 20 = 7 THEN 'high' ELSE 'standard' END, '', 'unknown', 1,
	CAST(1000 + i % 50 AS TEXT), 'Registrar ' || (i % 50), '', 0,
	CASE status WHEN 'closed' THEN 'hold' ELSE '' END, 1,
	opened, opened, opened + clock,
	CASE status WHEN 'closed' THEN opened + clock / 2 ELSE 0 END,
	CASE status WHEN 'closed' THEN opened + clock / 2 ELSE 0 END,
	CASE status WHEN 'closed' THEN opened + clock / 2 ELSE opened END,
	1
FROM c`

func seed(ctx context.Context, s *Store, n int) error {
	return s.Write(ctx, func(ttx tldguard.Tx) error {
		_, err := ttx.(*tx).exec(seedSQL, n, storetest.SeedBase.UnixMicro())
		return dbError(err, "seed")
	})
}

// TestSeedSQL checks that seedSQL stores what storetest.SeedCase describes.
func TestSeedSQL(t *testing.T) {
	s := openTest(t)
	const n = 250
	if err := seed(t.Context(), s, n); err != nil {
		t.Fatal(err)
	}
	err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		for i := range n {
			got, err := tx.CaseByID(int64(i + 1))
			if err != nil {
				return err
			}
			want := storetest.SeedCase(i)
			want.ID, want.Version = int64(i+1), 1
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d:\n got %+v\nwant %+v", i, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestListCasesPlans checks that the queue's queries read an index range
// rather than sorting the table.
func TestListCasesPlans(t *testing.T) {
	s := openTest(t)
	now := time.Now()
	for _, f := range []tldguard.CaseFilter{
		{},
		{Sort: tldguard.SortNewest},
		{Status: []tldguard.CaseStatus{tldguard.StatusOpen}},
		{Status: []tldguard.CaseStatus{tldguard.StatusOpen}, Sort: tldguard.SortNewest},
		{Status: []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress}},
		{Status: []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress}, Sort: tldguard.SortNewest},
		{Overdue: true, Now: now},
		{After: &tldguard.CaseCursor{Key: now, ID: 7}},
		{After: &tldguard.CaseCursor{Key: now, ID: 7}, Sort: tldguard.SortNewest, Status: []tldguard.CaseStatus{tldguard.StatusClosed}},
	} {
		f.Limit = 50
		q, args, err := caseQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%+v: %q", f, plan)
		arms := 0
		for _, step := range plan {
			switch {
			case strings.Contains(step, " cases ") && !strings.Contains(step, "USING INDEX cases_") &&
				!strings.Contains(step, "USING COVERING INDEX cases_"):
				t.Errorf("%+v: reads cases without an index: %q", f, step)
			case strings.Contains(step, "TEMP B-TREE"):
				arms++ // only the merge of per-status arms may sort, a page per arm
			}
		}
		if arms > 0 && len(f.Status) < 2 {
			t.Errorf("%+v: sorts: %q", f, plan)
		}
	}
}

// BenchmarkListCases measures the first page of the queue with 1,000,000
// cases stored. The seeded database is cached in the temp dir, keyed by
// schema version (delete it to reseed).
func BenchmarkListCases(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tldguard-bench-sqlite-v%d-%d.db", SchemaVersion(), n))
	s, err := openSeeded(b, path, n)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchListCases(b, s)
}

// openSeeded opens the cached database at path, seeding it first if it is
// missing or incomplete.
func openSeeded(b *testing.B, path string, n int) (*Store, error) {
	ctx := context.Background()
	if s, err := Open(path); err == nil {
		var count int
		applied, err := s.Migrate(ctx)
		if err == nil && len(applied) == 0 && s.r.QueryRow("SELECT count(*) FROM cases").Scan(&count) == nil && count == n {
			return s, nil
		}
		s.Close()
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	tmp := path + ".seeding"
	start := time.Now()
	s, err := Open(tmp)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := seed(ctx, s, n); err != nil {
		s.Close()
		return nil, err
	}
	// Closing checkpoints the WAL into the file, so the file alone is whole.
	if err := s.Close(); err != nil {
		return nil, err
	}
	b.Logf("seeded %d cases in %s", n, time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return Open(path)
}
