package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCrashKeepsAcknowledgedReports is the durability promise end to end:
// the real binary takes reports from concurrent clients, is killed with
// SIGKILL mid-stream, and after a restart every report that got a 202 is
// there, byte for byte, and the audit chain verifies.
func TestCrashKeepsAcknowledgedReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		token := lastLine(mustTool(t, w, "reporter", "add", "--name", "Notifier", "--kind", "trusted_notifier"))
		srv := startServer(t, w, "serve", "--rate-limit", "100000", "--rate-burst", "100000")

		type acked struct {
			id   int64
			body []byte
		}
		var (
			mu    sync.Mutex
			acks  []acked
			sent  atomic.Int64
			wg    sync.WaitGroup
			stop  = make(chan struct{})
			first = make(chan struct{})
			once  sync.Once
		)
		client := &http.Client{Timeout: 10 * time.Second}
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := []byte(fmt.Sprintf(`{"threat_type":"phishing","names":["https://login.crash-%d-%d.example/x"],"description":"crash test %d/%d"}`, g, i, g, i))
					req, _ := http.NewRequest("POST", srv.url("/api/v1/reports"), bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					sent.Add(1)
					resp, err := client.Do(req)
					if err != nil {
						return // the server died under us: expected
					}
					var r struct {
						ReportID int64 `json:"report_id"`
					}
					err = json.NewDecoder(resp.Body).Decode(&r)
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted && err == nil {
						mu.Lock()
						acks = append(acks, acked{r.ReportID, body})
						mu.Unlock()
						once.Do(func() { close(first) })
					}
				}
			}(g)
		}
		select {
		case <-first:
		case <-time.After(30 * time.Second):
			t.Fatalf("no report was acknowledged:\n%s", srv.output())
		}
		time.Sleep(700 * time.Millisecond) // mid-stream
		srv.stop(t, syscall.SIGKILL)
		close(stop)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(acks) < 10 {
			t.Fatalf("only %d reports acknowledged before the kill; the test needs more to mean anything", len(acks))
		}
		t.Logf("%d reports sent, %d acknowledged before SIGKILL", sent.Load(), len(acks))

		srv = startServer(t, w, "serve", "--rate-limit", "100000", "--rate-burst", "100000")
		for _, a := range acks {
			req, _ := http.NewRequest("GET", srv.url(fmt.Sprintf("/api/v1/reports/%d", a.id)), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				SHA256 string `json:"sha256"`
			}
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("acknowledged report %d is gone after the crash: status %d", a.id, resp.StatusCode)
			}
			// The stored raw bytes hash to what the client sent.
			if sum := sha256.Sum256(a.body); got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("report %d: stored sha256 %s differs from the body sent", a.id, got.SHA256)
			}
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("graceful stop after SIGTERM: %v\n%s", err, srv.output())
		}
		out, err := tool(t, w, "audit", "verify")
		if err != nil {
			t.Fatalf("audit verify after the crash: %v\n%s", err, out)
		}
	})
}
