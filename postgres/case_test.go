package postgres

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/storetest"
)

var benchCases = flag.Int("cases", 1_000_000, "how many cases BenchmarkListCases seeds")

// seedVersion names the seed below; bump it when the seed changes so that
// a kept benchmark schema is rebuilt (a change of the migrations does that
// by itself).
const seedVersion = 1

// seedCases stores storetest.SeedCase(0) to SeedCase(n-1) with one INSERT
// ... SELECT over generate_series: the same queue the suite's seed builds,
// in seconds instead of minutes.
func seedCases(ctx context.Context, s *Store, n int) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO cases (domain, tld, threat_type, status, priority, priority_reason, classification,
			registered, registrar_id, registrar_name, assignee, confidential, resolution, report_count,
			opened_at, acked_at, response_due_at, responded_at, closed_at, updated_at, version)
		SELECT format('seed%s.%s', lpad(i::text, 8, '0'), tld), tld,
			(ARRAY['phishing', 'malware', 'botnet', 'pharming', 'spam'])[i % 5 + 1],
			status, priority, '', 'unknown', true, (1000 + i % 50)::text, 'Registrar ' || (i % 50), '', false,
			CASE WHEN status = 'closed' THEN 'hold' ELSE '' END, 1,
			opened, opened, opened + clock,
			CASE WHEN status = 'closed' THEN opened + clock / 2 END,
			CASE WHEN status = 'closed' THEN opened + clock / 2 END,
			CASE WHEN status = 'closed' THEN opened + clock / 2 ELSE opened END,
			1
		FROM generate_series(0, $1::bigint - 1) AS i, LATERAL (SELECT
			CASE WHEN i % 10 IN (0, 3) THEN 'open' WHEN i % 10 = 6 THEN 'in_progress' ELSE 'closed' END AS status,
			$2::timestamptz + (i * 30 - i * 7919 % 3600) * interval '1 second' AS opened,
			CASE WHEN i % 20 = 7 THEN interval '24 hours' ELSE interval '72 hours' END AS clock,
			CASE WHEN i % 20 = 7 THEN 'high' ELSE 'standard' END AS priority,
			(ARRAY['example', 'test', 'invalid'])[i % 3 + 1] AS tld) AS seed
		ORDER BY i`, n, storetest.SeedBase)
	return err
}

// TestSeedMatchesStoretest checks the SQL seed against storetest.SeedCase,
// so that this engine's benchmark figures compare with the others'.
func TestSeedMatchesStoretest(t *testing.T) {
	s := newStore(t)
	const n = 200
	if err := seedCases(t.Context(), s, n); err != nil {
		t.Fatal(err)
	}
	err := s.Read(t.Context(), func(tx tldguard.Tx) error {
		got, err := tx.ListCases(tldguard.CaseFilter{Sort: tldguard.SortNewest})
		if err != nil {
			return err
		}
		if len(got) != n {
			return fmt.Errorf("seeded %d cases, want %d", len(got), n)
		}
		for _, c := range got {
			want := storetest.SeedCase(int(c.ID - 1))
			want.ID, want.Version = c.ID, 1
			if g, w := fmt.Sprintf("%+v", *c), fmt.Sprintf("%+v", *want); g != w {
				t.Errorf("case %d:\n got %s\nwant %s", c.ID, g, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkListCases measures the first page of the case queue over
// -cases cases (a million by default). The seeded schema is kept between
// runs, named after the schema version, the seed and the count; building
// it takes a minute or so.
func BenchmarkListCases(b *testing.B) {
	s := openStore(b, benchSchema(b, *benchCases))
	storetest.BenchListCases(b, s)
}

// benchSchema returns a DSN for a schema holding n seeded cases, building it
// if a previous run did not, and drops benchmark schemas of other versions.
func benchSchema(b *testing.B, n int) string {
	dsn := testDSN(b)
	ctx := context.Background()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		b.Fatal(err)
	}
	// The name changes with the schema (every migration's text) and the seed.
	h := fnv.New32a()
	for _, m := range ms {
		h.Write([]byte(m.sql))
	}
	fmt.Fprint(h, seedVersion)
	schema := fmt.Sprintf("tldguard_bench_v%d_%08x_n%d", len(ms), h.Sum32(), n)
	ready := fmt.Sprintf("tldguard benchmark: %d cases seeded", n)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tldguard\_bench\_%' AND nspname <> $1`, schema)
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	for _, old := range stale {
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+old+" CASCADE"); err != nil {
			b.Fatal(err)
		}
	}
	var comment *string
	err = conn.QueryRow(ctx, `SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1`, schema).Scan(&comment)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		b.Fatal(err)
	}
	sdsn := withSearchPath(b, dsn, schema)
	if comment != nil && *comment == ready {
		return sdsn
	}
	b.Logf("seeding %d cases into schema %s", n, schema)
	for _, q := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Open(ctx, sdsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := seedCases(ctx, s, n); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"VACUUM ANALYZE " + schema + ".cases", fmt.Sprintf("COMMENT ON SCHEMA %s IS '%s'", schema, ready)} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	return sdsn
}
