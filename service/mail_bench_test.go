package service_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// The mail intake benchmarks run SubmitMail on SQLite, as the SMTP
// listener and the import command do:
//
//	go test -run '^$' -bench '^BenchmarkSubmitMail$' -benchtime 3000x ./service/
//	go test -run '^$' -bench SubmitMailLarge -benchtime 20x ./service/
//
// BenchmarkSubmitMail reports messages parsed and stored per second, one
// at a time and from 16 senders at once (an MTA delivers over several
// connections; group commit then shares each fsync). Each message is a
// plain report with an HTML alternative, a defanged URL and a signature.
func BenchmarkSubmitMail(b *testing.B) {
	for _, senders := range []int{1, 16} {
		b.Run(fmt.Sprintf("sqlite/senders=%d", senders), func(b *testing.B) {
			svc := benchMailService(b)
			ctx := tldguard.System(context.Background(), "bench")
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for s := 0; s < senders; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1))
						if i > b.N {
							return
						}
						if _, err := svc.SubmitMail(ctx, benchMail(i), service.MailOptions{Channel: "smtp"}); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d messages failed", n, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkSubmitMailLarge stores 25 MB messages (a short report and
// large attachments) and reports what each costs in Go heap allocations
// (alloc-MiB/msg: reading it, with the raw bytes held by the caller and
// passed to the store as they are) and the peak heap in use above the heap
// before, sampled every millisecond (which includes garbage the collector
// has not yet reclaimed).
func BenchmarkSubmitMailLarge(b *testing.B) {
	svc := benchMailService(b)
	ctx := tldguard.System(context.Background(), "bench")
	msgs := make([][]byte, 0, 2)
	for i := 0; i < 2; i++ {
		msgs = append(msgs, largeBenchMail(i, 25<<20))
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	b.SetBytes(int64(len(msgs[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raw := msgs[i%len(msgs)]
		if i >= len(msgs) {
			// A new message each time (a repeat would be answered from the
			// first receipt): change its Message-ID in place.
			copy(raw[strings.Index(string(raw[:200]), "<")+1:], fmt.Sprintf("%08d", i))
		}
		if _, err := svc.SubmitMail(ctx, raw, service.MailOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	b.ReportMetric(float64(end.TotalAlloc-base.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/msg")
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(msgs[0]))/(1<<20), "message-MiB")
}

func benchMailService(b *testing.B) *service.Service {
	store := testdb.SQLite(b)
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	b.Cleanup(svc.Close)
	admin := tldguard.System(context.Background(), "bench")
	if _, err := svc.AddTLD(admin, "example"); err != nil {
		b.Fatal(err)
	}
	return svc
}

// benchMail is the i-th benchmark message: one name, spread over 5,000
// names so that cases are both opened and attached to.
func benchMail(i int) []byte {
	return []byte(fmt.Sprintf("Return-Path: <sender%d@mail.test>\r\nFrom: Sender %d <sender%d@mail.test>\r\nTo: abuse@nic.example\r\n"+
		"Subject: Phishing site\r\nMessage-ID: <bench-%d@mail.test>\r\nDate: Thu, 05 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Hello,\r\n\r\nthe page hxxps://login[.]bench%d[.]example/verify/%d copies my bank's sign-in page.\r\n\r\n-- \r\nA. Sender\r\nhttps://www.sender.example.org/\r\n"+
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello,</p><p>the page <a href=\"https://login.bench%d.example/verify/%d\">here</a> copies my bank's sign-in page.</p>\r\n"+
		"--alt--\r\n", i, i, i, i, i%5000, i, i%5000, i))
}

func largeBenchMail(i, n int) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Message-ID: <%08d@large.test>\r\nFrom: big@mail.test\r\nSubject: phishing kit and captures\r\nMIME-Version: 1.0\r\n", i)
	sb.WriteString("Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n")
	fmt.Fprintf(&sb, "The kit is at hxxps://kit%d[.]bad[.]example/login; captures attached.\r\n", i)
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for part := 0; sb.Len() < n-1024; part++ {
		fmt.Fprintf(&sb, "--big\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"capture%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", part)
		for written := 0; written < 8<<20 && sb.Len() < n-1024; written += len(line) {
			sb.WriteString(line)
		}
	}
	sb.WriteString("--big--\r\n")
	return []byte(sb.String())
}
