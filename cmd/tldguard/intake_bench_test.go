package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tldguard/tldguard/internal/testdb"
)

// The intake benchmarks drive the real binary over HTTP, as a reporter's
// system would, and read the server process's peak memory from /proc.
//
//	go test -run '^$' -bench Intake -benchtime 20000x ./cmd/tldguard/   # throughput
//	go test -run '^$' -bench IntakeLatency -benchtime 2000x ./cmd/tldguard/   # 10 s at 200/s

type benchServer struct {
	srv   *server
	token string
}

// benchSetup prepares a store with the TLD and a reporter, and starts the
// server with no effective rate limit.
func benchSetup(b *testing.B, engine string) *benchServer {
	b.Helper()
	var w where
	switch engine {
	case "sqlite":
		w = where{"--data", b.TempDir()}
	case "postgres":
		w = where{"--db", testdb.PostgresDSN(b)}
	}
	mustTool(b, w, "tld", "add", "--name", "example")
	token := lastLine(mustTool(b, w, "reporter", "add", "--name", "Bench Notifier", "--kind", "trusted_notifier"))
	srv := startServer(b, w, "serve", "--rate-limit", "1000000", "--rate-burst", "1000000")
	b.Cleanup(func() { srv.stop(b, syscall.SIGTERM) })
	return &benchServer{srv: srv, token: token}
}

// report returns the i-th benchmark report: one name, spread over 5,000
// registered-looking names so cases are both opened and attached to.
func benchReport(i int) string {
	return fmt.Sprintf(`{"threat_type":"phishing","names":["https://login.bench%d.example/%d"]}`, i%5000, i)
}

func (s *benchServer) post(client *http.Client, i int) (time.Duration, error) {
	req, _ := http.NewRequest("POST", s.srv.url("/api/v1/reports"), strings.NewReader(benchReport(i)))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// peakRSS returns the server process's peak resident memory in MB.
func (s *benchServer) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.srv.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func benchClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// BenchmarkIntakeThroughput sends b.N single-name reports from 32
// concurrent clients and reports sustained reports/s.
func BenchmarkIntakeThroughput(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			s := benchSetup(b, engine)
			const conns = 32
			client := benchClient(conns)
			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := 0; c < conns; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1))
						if i > b.N {
							return
						}
						if _, err := s.post(client, i); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d reports failed", n, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
			b.ReportMetric(s.peakRSS(), "peak-RSS-MB")
		})
	}
}

// BenchmarkIntakeLatency sends b.N reports at a steady 200 per second
// (open loop: a slow answer does not slow the sender) and reports the
// latency percentiles.
func BenchmarkIntakeLatency(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			s := benchSetup(b, engine)
			client := benchClient(256)
			lat := make([]time.Duration, b.N)
			var failed atomic.Int64
			var wg sync.WaitGroup
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				<-tick.C
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					d, err := s.post(client, i)
					if err != nil {
						failed.Add(1)
					}
					lat[i] = d
				}(i)
			}
			wg.Wait()
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d reports failed", n, b.N)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(s.peakRSS(), "peak-RSS-MB")
			b.ReportMetric(float64(runtime.NumCPU()), "cpus")
		})
	}
}
