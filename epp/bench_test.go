package epp

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// BenchmarkHoldLatency measures decision-to-registry latency over the
// test peer: one Apply of a hold (info, update, info over one TLS session
// kept open) and one of its release per iteration, each timed on its own.
// Run with -benchtime=1000x for 1,000 holds and 1,000 releases; it
// reports the 50th and 99th percentiles of each.
func BenchmarkHoldLatency(b *testing.B) {
	srv := newEPPServer(b)
	c := newTestClient(b, srv, nil)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	hold := tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", Reference: "bench"}
	release := tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", RemoveStatuses: []string{tldguard.StatusServerHold}, Reference: "bench"}
	var holds, releases []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := c.Apply(ctx, hold)
		holds = append(holds, time.Since(start))
		if err != nil || !res.Applied {
			b.Fatalf("hold: %v %v", res, err)
		}
		start = time.Now()
		res, err = c.Apply(ctx, release)
		releases = append(releases, time.Since(start))
		if err != nil || !res.Applied {
			b.Fatalf("release: %v %v", res, err)
		}
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), name+"-p99-µs")
	}
	report("hold", holds)
	report("release", releases)
}
