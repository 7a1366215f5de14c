package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/stats"
	"github.com/tldguard/tldguard/storetest"
)

// TestStatsTablesRefuseChanges: the case log and the snapshots cannot be
// changed by a stray statement, and a snapshot cannot be deleted before
// its keep_until.
func TestStatsTablesRefuseChanges(t *testing.T) {
	s := openTest(t)
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
		"UPDATE stats_snapshots SET report = x'7b7d0a' WHERE period = '2026-10'",
		"UPDATE stats_snapshots SET keep_until = 0 WHERE period = '2026-10'",
		"DELETE FROM stats_snapshots WHERE period = '2026-10'",
	} {
		if _, err := s.w.Exec(q); err == nil || !strings.Contains(err.Error(), "only") && !strings.Contains(err.Error(), "kept") && !strings.Contains(err.Error(), "never") {
			t.Errorf("%s: %v, want a refusal", q, err)
		}
	}
	// Past its term a snapshot may go (no tldguard command does it).
	if _, err := s.w.Exec("DELETE FROM stats_snapshots WHERE period = '2016-10'"); err != nil {
		t.Errorf("deleting a snapshot past its term: %v", err)
	}
}

// TestStatsMigrationBackfill applies 0004 to a database that already holds
// cases, reports and findings: each gets a history and an origin.
func TestStatsMigrationBackfill(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "tldguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version >= 4 {
			break
		}
		if _, err := s.apply(t.Context(), m, len(ms)); err != nil {
			t.Fatal(err)
		}
	}
	storetest.BackfillSeed(t, s)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.BackfillCheck(t, s)
}

// statsSeedSQL builds the benchmark's month: 100,000 cases opened in
// October 2026 with their states, 300,000 reports, 10,000 zone-check
// findings, 1,000,000 audit events and 200,000 registrations. The same
// data as the postgres package's seed, so that the figures compare.
var statsSeedSQL = []string{
	`INSERT INTO tlds (name, added_at) VALUES ('example', 1), ('test', 1), ('invalid', 1)`,
	`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < 100000),
	c AS (SELECT i, CASE i % 3 WHEN 0 THEN 'example' WHEN 1 THEN 'test' ELSE 'invalid' END AS tld,
		1790812800000000 + i * 26000000 AS opened,
		CASE WHEN i % 20 = 7 THEN 86400000000 ELSE 259200000000 END AS clock FROM seq)
	INSERT INTO cases (id, domain, tld, threat_type, status, priority, priority_reason, classification, registered,
		registrar_id, registrar_name, assignee, confidential, resolution, report_count, opened_at, acked_at,
		response_due_at, responded_at, closed_at, updated_at, version)
	SELECT i + 1, printf('s%07d.%s', i, tld), tld,
		CASE WHEN i % 20 = 19 THEN 'out_of_scope' ELSE CASE i % 5 WHEN 0 THEN 'phishing' WHEN 1 THEN 'malware'
			WHEN 2 THEN 'botnet' WHEN 3 THEN 'pharming' ELSE 'spam' END END,
		'open', CASE WHEN i % 20 = 7 THEN 'high' ELSE 'standard' END, '', 'unknown', i % 25 <> 0,
		CASE WHEN i % 25 = 0 THEN '' ELSE CAST(1000 + i % 50 AS TEXT) END,
		CASE WHEN i % 25 = 0 THEN '' ELSE 'Registrar ' || (i % 50) END, '', 0, '', 3,
		opened, CASE WHEN i % 10 = 5 THEN 0 ELSE opened END, opened + clock, 0, 0, opened, 1
	FROM c`,
	`UPDATE cases SET status = 'in_progress', updated_at = opened_at + 3600000000, version = 2 WHERE (id - 1) % 10 = 6`,
	`UPDATE cases SET status = 'closed', version = version + 1,
		resolution = CASE (id - 1) % 4 WHEN 0 THEN 'false positive' WHEN 1 THEN 'cleaned' WHEN 2 THEN 'held' ELSE 'insufficient evidence' END,
		responded_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + 3600000000 ELSE (response_due_at - opened_at) / 2 END,
		closed_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + 3600000000 ELSE (response_due_at - opened_at) / 2 END,
		updated_at = opened_at + CASE WHEN (id - 1) % 10 = 9 THEN response_due_at - opened_at + 3600000000 ELSE (response_due_at - opened_at) / 2 END
	WHERE (id - 1) % 10 NOT IN (0, 3, 6)`,
	`INSERT INTO reporters (id, name, source, email, registrar_id, verified, verified_by, verified_at, verified_how, disabled, created_at)
	VALUES (1, 'LE', 'law_enforcement', '', '', 0, '', 0, '', 0, 1), (2, 'Gov', 'government', '', '', 0, '', 0, '', 0, 1),
		(3, 'TN', 'trusted_notifier', '', '', 0, '', 0, '', 0, 1), (4, 'Reg', 'registrar', '', '1000', 0, '', 0, '', 0, 1),
		(5, 'Pub', 'public', '', '', 0, '', 0, '', 0, 1)`,
	`WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM seq WHERE j + 1 < 300000)
	INSERT INTO reports (id, reporter_id, source, format, threat_type, category, description, request, raw, raw_sha256,
		content_type, idempotency_key, received_at)
	SELECT j + 1, j % 5 + 1, CASE j % 5 WHEN 0 THEN 'law_enforcement' WHEN 1 THEN 'government' WHEN 2 THEN 'trusted_notifier'
			WHEN 3 THEN 'registrar' ELSE 'public' END, 'tldguard', c.threat_type,
		CASE WHEN c.threat_type = 'out_of_scope' THEN 'copyright' ELSE '' END, 'seeded report', NULL,
		randomblob(480), randomblob(32), 'application/json', '', c.opened_at + (j % 3) * 60000000
	FROM seq JOIN cases c ON c.id = j / 3 + 1`,
	`INSERT INTO report_cases (report_id, target, case_id) SELECT id, 0, (id - 1) / 3 + 1 FROM reports`,
	`INSERT INTO findings (domain, tld, feed, threat_type, urls, compromised, case_id, first_seen, last_seen, last_run_id, delisted_at)
	SELECT domain, tld, 'urlhaus', threat_type, '["http://' || domain || '/"]', 0, id, opened_at, opened_at, NULL, 0
	FROM cases WHERE (id - 1) % 10 = 5`,
	`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000000)
	INSERT INTO events (seq, at, actor, action, case_id, subject, data, prev_hash, hash)
	SELECT n, 1790812800000000 + n * 2600000, 'reporter:seed',
		CASE n % 10 WHEN 0 THEN 'case.opened' WHEN 1 THEN 'case.updated' WHEN 2 THEN 'case.report_attached'
			WHEN 3 THEN 'case.report_attached' ELSE 'report.received' END,
		(n - 1) / 10 + 1, 'case:' || ((n - 1) / 10 + 1),
		CAST('{"report_id":' || n || ',"source":"public","format":"tldguard","threat_type":"phishing","sha256":"' || hex(randomblob(32)) || '"}' AS BLOB),
		randomblob(32), randomblob(32)
	FROM seq`,
	`UPDATE chain_head SET seq = 1000000, hash = randomblob(32) WHERE id = 1`,
	`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < 200000)
	INSERT INTO registrations (name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at)
	SELECT printf('s%07d.%s', i, CASE i % 3 WHEN 0 THEN 'example' WHEN 1 THEN 'test' ELSE 'invalid' END),
		CASE i % 3 WHEN 0 THEN 'example' WHEN 1 THEN 'test' ELSE 'invalid' END,
		CAST(1000 + i % 50 AS TEXT), 'Registrar ' || (i % 50), '["ok"]', '["ns1.host.example"]', 1, 1
	FROM seq`,
	`ANALYZE`,
}

// openStatsSeeded opens the benchmark's database, cached in the temp dir
// and keyed by the migrations and the seed (delete it to reseed).
func openStatsSeeded(b testing.TB) *Store {
	h := fnv.New32a()
	ms, err := migrations()
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range ms {
		h.Write([]byte(m.sql))
	}
	for _, q := range statsSeedSQL {
		h.Write([]byte(q))
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tldguard-bench-stats-sqlite-%08x.db", h.Sum32()))
	ctx := context.Background()
	// Databases seeded for other schemas or seeds are stale (and large).
	stale, _ := filepath.Glob(filepath.Join(os.TempDir(), "tldguard-bench-stats-sqlite-*.db*"))
	for _, old := range stale {
		if !strings.HasPrefix(old, path) {
			os.Remove(old)
		}
	}
	if _, err := os.Stat(path); err == nil {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	tmp := path + ".seeding"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	start := time.Now()
	s, err := Open(tmp)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	for _, q := range statsSeedSQL {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			b.Fatalf("seeding: %v\n%s", err, q)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded the statistics benchmark in %s", time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkStatsMonth computes October 2026's report (every TLD) over
// 100,000 cases opened in the month and 1,000,000 audit events: the whole
// read, from the records to the figures. /detail adds the per-domain
// detail and its JSON, as a monthly snapshot does.
func BenchmarkStatsMonth(b *testing.B) {
	s := openStatsSeeded(b)
	defer s.Close()
	benchStatsMonth(b, s)
}

// benchStatsMonth is the measured work; it checks the report covers every
// seeded case.
func benchStatsMonth(b *testing.B, s tldguard.Store) {
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

// cpuTime is the process's CPU time so far: the benchmarks report it beside
// the wall time, which other work on a shared machine inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
