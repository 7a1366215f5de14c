package service_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// The action benchmarks (figures printed, never asserted):
//
//	go test -run '^$' -bench 'DecisionToRegistry|Drain' -benchtime 1x ./service/
//
// BenchmarkDecisionToRegistry measures, per hold, the time from the
// approver's decision to the change being in the embedded registry and
// recorded; BenchmarkDrain queues 10,000 approved holds at once and
// measures how fast the job runner carries them out.

type benchEnv struct {
	svc      *service.Service
	admin    context.Context
	analyst  context.Context
	approver context.Context
	notifier context.Context
}

func newBenchEnv(b *testing.B, store tldguard.Store, names int, holdApprovals int) *benchEnv {
	b.Helper()
	reg := localregistry.New(store)
	svc := service.New(service.Config{Store: store, Registry: reg, Adapter: reg})
	b.Cleanup(svc.Close)
	reg.UseWriter(svc.GroupWrite) // as cmd/tldguard wires it
	svc.Policy().Approvals[tldguard.ActionHold] = holdApprovals
	e := &benchEnv{svc: svc, admin: tldguard.System(context.Background(), "bench")}
	if _, err := svc.AddTLD(e.admin, "example"); err != nil {
		b.Fatal(err)
	}
	regs := make([]*tldguard.Registration, names)
	for i := range regs {
		regs[i] = &tldguard.Registration{Name: fmt.Sprintf("n%06d.example", i), TLD: "example", RegistrarID: "9001", RegistrarName: "Alpha",
			Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example"}, CreatedAt: time.Now().Add(-24 * time.Hour)}
	}
	if err := svc.ImportRegistry(e.admin, []*tldguard.Registrar{{ID: "9001", Name: "Alpha", AbuseEmail: "abuse@alpha.example"}}, regs); err != nil {
		b.Fatal(err)
	}
	as := func(email string, role tldguard.Role) context.Context {
		if _, _, err := svc.CreateUser(e.admin, email, "", role); err != nil {
			b.Fatal(err)
		}
		tok, err := svc.CreateUserToken(e.admin, email, "bench")
		if err != nil {
			b.Fatal(err)
		}
		p, err := svc.Authenticate(context.Background(), tok)
		if err != nil {
			b.Fatal(err)
		}
		return tldguard.NewContext(context.Background(), p)
	}
	e.analyst, e.approver = as("ann@nic.example", tldguard.RoleAnalyst), as("app@nic.example", tldguard.RoleApprover)
	_, tok, err := svc.CreateReporter(e.admin, service.ReporterInput{Name: "N", Source: tldguard.SourceTrustedNotifier})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := svc.Authenticate(context.Background(), tok)
	e.notifier = tldguard.NewContext(context.Background(), p)
	return e
}

// cases files one report per name, concurrently (group commit), and
// returns the case ids.
func (e *benchEnv) cases(b *testing.B, n int) []int64 {
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				r, err := e.svc.SubmitReport(e.notifier, &tldguard.Submission{Raw: []byte(fmt.Sprintf(`{"threat_type":"phishing","names":["n%06d.example"]}`, i))})
				if err != nil {
					b.Error(err)
					return
				}
				ids[i] = r.Cases[0].ID
			}
		}(w)
	}
	wg.Wait()
	return ids
}

func BenchmarkDecisionToRegistry(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			store := openBench(b, engine)
			n := max(b.N, 1)
			e := newBenchEnv(b, store, n, 1)
			ids := e.cases(b, n)
			actions := make([]int64, n)
			for i, id := range ids {
				a, err := e.svc.ProposeAction(e.analyst, id, tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				actions[i] = a.ID
			}
			lat := make([]time.Duration, n)
			b.ResetTimer()
			for i := 0; i < n; i++ {
				start := time.Now()
				if _, err := e.svc.ApproveAction(e.approver, actions[i], ""); err != nil {
					b.Fatal(err)
				}
				if ran, err := e.svc.RunDueJobs(context.Background(), "bench", 1); err != nil || ran != 1 {
					b.Fatalf("ran %d: %v", ran, err)
				}
				lat[i] = time.Since(start)
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func BenchmarkDrain(b *testing.B) {
	const holds = 10000
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				store := openBench(b, engine)
				e := newBenchEnv(b, store, holds, 0) // approved on proposal: all queue at once
				for _, id := range e.cases(b, holds) {
					if _, err := e.svc.ProposeAction(e.analyst, id, tldguard.ActionInput{Kind: tldguard.ActionHold}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				done := 0
				for {
					ran, err := e.svc.RunDueJobs(context.Background(), "bench", 100)
					if err != nil {
						b.Fatal(err)
					}
					if ran == 0 {
						break
					}
					done += ran
				}
				el := time.Since(start)
				if done != holds {
					b.Fatalf("ran %d jobs, want %d", done, holds)
				}
				b.ReportMetric(float64(holds)/el.Seconds(), "actions/s")
			}
		})
	}
}

func openBench(b *testing.B, engine string) tldguard.Store {
	if engine == "postgres" {
		return testdb.Postgres(b)
	}
	return testdb.SQLite(b)
}
