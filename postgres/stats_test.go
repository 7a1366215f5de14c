package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/stats"
	"github.com/tldguard/tldguard/storetest"
)

// TestStatsTablesRefuseChanges: the case log and the snapshots cannot be
// changed by a stray statement, and a snapshot cannot be deleted before
// its keep_until.
func TestStatsTablesRefuseChanges(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	err := s.Write(ctx, func(ttx tldguard.Tx) error {
		c := &tldguard.Case{Domain: "a.example", TLD: "example", ThreatType: tldguard.ThreatSpam, Status: tldguard.StatusOpen,
			Priority: tldguard.PriorityStandard, Classification: tldguard.ClassUnknown, OpenedAt: time.Now(), UpdatedAt: time.Now()}
		if err := ttx.InsertCase(c); err != nil {
			return err
		}
		e := &tldguard.Event{At: time.Now(), Actor: "system:test", Action: "stats.snapshot", Data: []byte(`{}`)}
		if err := ttx.AppendEvent(e); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte("{}"))
		for _, sn := range []*tldguard.StatsSnapshot{
			{Period: "2026-10", From: time.Now(), To: time.Now(), CreatedAt: time.Now(), KeepUntil: time.Now().AddDate(10, 0, 0), Report: []byte("{}"), SHA256: sum[:], EventSeq: e.Seq},
			{Period: "2016-10", From: time.Now(), To: time.Now(), CreatedAt: time.Now(), KeepUntil: time.Now().Add(-time.Hour), Report: []byte("{}"), SHA256: sum[:], EventSeq: e.Seq},
		} {
			if err := ttx.InsertStatsSnapshot(sn); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE case_log SET status = 'closed'",
		"DELETE FROM case_log",
		"TRUNCATE case_log",
		"UPDATE stats_snapshots SET report = '\\x7b7d0a' WHERE period = '2026-10'",
		"DELETE FROM stats_snapshots WHERE period = '2026-10'",
		"TRUNCATE stats_snapshots",
	} {
		if _, err := s.pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") && !strings.Contains(err.Error(), "kept for the term") {
			t.Errorf("%s: %v, want a refusal", q, err)
		}
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM stats_snapshots WHERE period = '2016-10'"); err != nil {
		t.Errorf("deleting a snapshot past its term: %v", err)
	}
}

// TestStatsMigrationBackfill applies 0004 to a database that already holds
// cases, reports and findings: each gets a history and an origin.
func TestStatsMigrationBackfill(t *testing.T) {
	s := openStore(t, newSchema(t))
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrate(t.Context(), ms[:3]); err != nil {
		t.Fatal(err)
	}
	storetest.BackfillSeed(t, s)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.BackfillCheck(t, s)
}

// statsSeedVersion names the seed below in the kept benchmark schema.
const statsSeedVersion = 1

// statsSeedSQL builds the benchmark's month as the sqlite package's seed
// does: 100,000 cases opened in October 2026 with their states, 300,000
// reports, 10,000 zone-check findings, 1,000,000 audit events and 200,000
// registrations.
var statsSeedSQL = []string{
	`INSERT INTO tlds (name, added_at) VALUES ('example', now()), ('test', now()), ('invalid', now())`,
	`INSERT INTO cases (domain, tld, threat_type, status, priority, priority_reason, classification, registered,
		registrar_id, registrar_name, assignee, confidential, resolution, report_count, opened_at, acked_at,
		response_due_at, responded_at, closed_at, updated_at, version)
	SELECT format('s%s.%s', lpad(i::text, 7, '0'), tld), tld,
		CASE WHEN i % 20 = 19 THEN 'out_of_scope' ELSE (ARRAY['phishing', 'malware', 'botnet', 'pharming', 'spam'])[i % 5 + 1] END,
		'open', CASE WHEN i % 20 = 7 THEN 'high' ELSE 'standard' END, '', 'unknown', i % 25 <> 0,
		CASE WHEN i % 25 = 0 THEN '' ELSE (1000 + i % 50)::text END,
		CASE WHEN i % 25 = 0 THEN '' ELSE 'Registrar ' || (i % 50) END, '', false, '', 3,
		opened, CASE WHEN i % 10 = 5 THEN NULL ELSE opened END, opened + clock, NULL, NULL, opened, 1
	FROM generate_series(0, 99999) AS i, LATERAL (SELECT
		(ARRAY['example', 'test', 'invalid'])[i % 3 + 1] AS tld,
		timestamptz '2026-10-01 00:00:00+00' + i * interval '26 seconds' AS opened,
		CASE WHEN i % 20 = 7 THEN interval '24 hours' ELSE interval '72 hours' END AS clock) AS seed
	ORDER BY i`,
	`UPDATE cases SET status = 'in_progress', updated_at = opened_at + interval '1 hour', version = 2 WHERE (id - 1) % 10 = 6`,
	`UPDATE cases SET status = 'closed', version = version + 1,
		resolution = (ARRAY['false positive', 'cleaned', 'held', 'insufficient evidence'])[(id - 1) % 4 + 1],
		responded_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + interval '1 hour' ELSE (response_due_at - opened_at) / 2 END,
		closed_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + interval '1 hour' ELSE (response_due_at - opened_at) / 2 END,
		updated_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + interval '1 hour' ELSE (response_due_at - opened_at) / 2 END
	WHERE (id - 1) % 10 NOT IN (0, 3, 6)`,
	`INSERT INTO reporters (name, source, email, registrar_id, verified, verified_by, verified_at, verified_how, disabled, created_at)
	VALUES ('LE', 'law_enforcement', '', '', false, '', NULL, '', false, now()), ('Gov', 'government', '', '', false, '', NULL, '', false, now()),
		('TN', 'trusted_notifier', '', '', false, '', NULL, '', false, now()), ('Reg', 'registrar', '', '1000', false, '', NULL, '', false, now()),
		('Pub', 'public', '', '', false, '', NULL, '', false, now())`,
	`INSERT INTO reports (reporter_id, source, format, threat_type, category, description, targets, request, raw, raw_sha256,
		content_type, idempotency_key, received_at)
	SELECT j % 5 + 1, (ARRAY['law_enforcement', 'government', 'trusted_notifier', 'registrar', 'public'])[j % 5 + 1],
		'tldguard', c.threat_type, CASE WHEN c.threat_type = 'out_of_scope' THEN 'copyright' ELSE '' END, 'seeded report',
		'[]'::jsonb, NULL, convert_to(repeat(md5(j::text), 15), 'UTF8'), decode(md5(j::text) || md5(c.id::text), 'hex'),
		'application/json', '', c.opened_at + (j % 3) * interval '1 minute'
	FROM generate_series(0, 299999) AS j JOIN cases c ON c.id = j / 3 + 1
	ORDER BY j`,
	`INSERT INTO report_cases (report_id, target, case_id) SELECT id, 0, (id - 1) / 3 + 1 FROM reports ORDER BY id`,
	`INSERT INTO findings (domain, tld, feed, threat_type, urls, compromised, case_id, first_seen, last_seen, last_run_id, delisted_at)
	SELECT domain, tld, 'urlhaus', threat_type, ARRAY['http://' || domain || '/'], false, id, opened_at, opened_at, NULL, NULL
	FROM cases WHERE (id - 1) % 10 = 5 ORDER BY id`,
	`INSERT INTO events (seq, at, actor, action, case_id, subject, data, prev_hash, hash)
	SELECT n, timestamptz '2026-10-01 00:00:00+00' + n * interval '2.6 seconds', 'reporter:seed',
		CASE n % 10 WHEN 0 THEN 'case.opened' WHEN 1 THEN 'case.updated' WHEN 2 THEN 'case.report_attached'
			WHEN 3 THEN 'case.report_attached' ELSE 'report.received' END,
		(n - 1) / 10 + 1, 'case:' || ((n - 1) / 10 + 1),
		convert_to('{"report_id":' || n || ',"source":"public","format":"tldguard","threat_type":"phishing","sha256":"' || md5(n::text) || md5((n + 1)::text) || '"}', 'UTF8'),
		decode(md5(n::text) || md5((n + 7)::text), 'hex'), decode(md5((n + 1)::text) || md5((n + 8)::text), 'hex')
	FROM generate_series(1, 1000000) AS n`,
	`UPDATE chain_head SET seq = 1000000, hash = decode(md5('head') || md5('head2'), 'hex')`,
	`INSERT INTO registrations (name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at)
	SELECT format('s%s.%s', lpad(i::text, 7, '0'), (ARRAY['example', 'test', 'invalid'])[i % 3 + 1]),
		(ARRAY['example', 'test', 'invalid'])[i % 3 + 1], (1000 + i % 50)::text, 'Registrar ' || (i % 50),
		ARRAY['ok'], ARRAY['ns1.host.example'], now(), now()
	FROM generate_series(0, 199999) AS i`,
}

// statsBenchSchema returns a DSN for a schema holding the benchmark's
// month, building it if a previous run did not (about a minute). The
// schema is kept between runs, named after the migrations and the seed.
func statsBenchSchema(b *testing.B) string {
	dsn := testDSN(b)
	ctx := context.Background()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		b.Fatal(err)
	}
	h := fnv.New32a()
	for _, m := range ms {
		h.Write([]byte(m.sql))
	}
	for _, q := range statsSeedSQL {
		h.Write([]byte(q))
	}
	fmt.Fprint(h, statsSeedVersion)
	schema := fmt.Sprintf("tldguard_statsbench_%08x", h.Sum32())
	const ready = "tldguard statistics benchmark: seeded"
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tldguard\_statsbench\_%' AND nspname <> $1`, schema)
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
	start := time.Now()
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
	for _, q := range statsSeedSQL {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			b.Fatalf("seeding: %v\n%s", err, q)
		}
	}
	for _, q := range []string{"VACUUM ANALYZE " + schema + ".cases", "VACUUM ANALYZE " + schema + ".case_log",
		"VACUUM ANALYZE " + schema + ".case_origins", "VACUUM ANALYZE " + schema + ".registrations",
		fmt.Sprintf("COMMENT ON SCHEMA %s IS '%s'", schema, ready)} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded the statistics benchmark in %s", time.Since(start).Round(time.Millisecond))
	return sdsn
}

// BenchmarkStatsMonth computes October 2026's report (every TLD) over
// 100,000 cases opened in the month and 1,000,000 audit events, as the
// sqlite package's benchmark of the same name does.
func BenchmarkStatsMonth(b *testing.B) {
	s := openStore(b, statsBenchSchema(b))
	svc := stats.New(stats.Config{Store: s})
	ctx := tldguard.System(context.Background(), "bench")
	oct, _ := stats.ParsePeriod("2026-10")
	for _, bc := range []struct {
		name   string
		detail bool
	}{{"summary", false}, {"detail", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cpu := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op") }()
			for b.Loop() {
				r, err := svc.Report(ctx, stats.Query{Period: oct, Detail: bc.detail})
				if err != nil {
					b.Fatal(err)
				}
				if got := r.Identified.Total + r.OutOfScope.Received; got != 100_000 {
					b.Fatalf("the report counts %d cases opened, want 100000", got)
				}
				if bc.detail {
					if _, err := stats.EncodeJSON(r); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// cpuTime is this process's CPU time so far (the server's is not in it).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
