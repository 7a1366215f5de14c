package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
	"github.com/tldguard/tldguard/sqlite"
	"github.com/tldguard/tldguard/storetest"
)

// BenchmarkUIQueue renders the first page of the case queue server-side,
// through the whole handler (guard, service, store, template), with the
// real service over SQLite holding 1,000,000 cases. The seeded database is
// cached in the temp dir under the name the sqlite package's benchmark
// uses, so either benchmark seeds it once for both (delete it to reseed).
// Target: 100 ms a page.
//
// The session lookup is the one part left out: the benchmark must not
// write to the shared cached file, so a stand-in resolves the cookie.
func BenchmarkUIQueue(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tldguard-bench-sqlite-v%d-%d.db", sqlite.SchemaVersion(), n))
	store := openSeededForUI(b, path, n)
	defer store.Close()
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	defer svc.Close()
	srv, err := NewServer(Config{Logger: slog.New(slog.DiscardHandler), RateLimit: 1e9, RateBurst: 1e9},
		Services{Reports: svc, Cases: svc, Auth: benchAuth{svc}, Audit: svc,
			Registry: localregistry.New(store), Sessions: svc, Admin: svc, Directory: svc})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	for _, bc := range []struct{ name, query string }{
		{"default", ""}, // open and in progress, due first
		{"all", "?status=all"},
		{"newest", "?sort=newest"},
		{"high", "?priority=high"},
		{"overdue", "?overdue=1"},
		{"closed/newest", "?status=closed&sort=newest"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				r := httptest.NewRequest("GET", "/cases"+bc.query, nil)
				r.Header.Set("Cookie", sessionCookie+"=bench")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// benchAuth resolves any session to an analyst without reading the store.
type benchAuth struct{ *service.Service }

func (benchAuth) AuthenticateSession(context.Context, string) (*tldguard.Principal, error) {
	return &tldguard.Principal{Kind: tldguard.PrincipalUser, ID: 1, Name: "bench@nic.example", Role: tldguard.RoleAnalyst}, nil
}

// openSeededForUI opens the cached database at path, seeding it through
// the Store interface (storetest.SeedCases) when it is missing or
// incomplete.
func openSeededForUI(b *testing.B, path string, n int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	if s, err := sqlite.Open(path); err == nil {
		// Seeding writes ids 1..n and the file appears only when it is done.
		applied, err := s.Migrate(ctx)
		complete := false
		if err == nil && len(applied) == 0 {
			s.Read(ctx, func(tx tldguard.Tx) error {
				_, last := tx.CaseByID(int64(n))
				_, beyond := tx.CaseByID(int64(n) + 1)
				complete = last == nil && tldguard.ErrorKind(beyond) == tldguard.ENOTFOUND
				return nil
			})
		}
		if complete {
			return s
		}
		s.Close()
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	tmp := fmt.Sprintf("%s.seeding-http-%d", path, os.Getpid())
	start := time.Now()
	s, err := sqlite.Open(tmp)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := storetest.SeedCases(ctx, s, n); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		b.Fatal(err)
	}
	b.Logf("seeded %d cases in %s", n, time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	s, err = sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
