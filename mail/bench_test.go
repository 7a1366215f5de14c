package mail_test

import (
	"fmt"
	"io"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/mail"
)

// BenchmarkSMTPIntake sends b.N reports over real SMTP sessions to the
// listener on a SQLite store, from 1 and from 8 connections at once, each
// connection sending message after message, and reports the messages
// parsed and stored per second (each answered 250 only once stored):
//
//	go test -run '^$' -bench SMTPIntake -benchtime 3000x ./mail/
func BenchmarkSMTPIntake(b *testing.B) {
	for _, conns := range []int{1, 8} {
		b.Run(fmt.Sprintf("sqlite/connections=%d", conns), func(b *testing.B) {
			svc := newService(b, testdb.SQLite(b))
			srv := startServer(b, mail.Config{}, svc)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := 0; c < conns; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cl, err := smtp.Dial(srv.Addr().String())
					if err != nil {
						failed.Add(1)
						return
					}
					defer cl.Close()
					cl.Hello("bench.mail.test")
					for {
						i := int(next.Add(1))
						if i > b.N {
							cl.Quit()
							return
						}
						if err := sendOn(cl, i); err != nil {
							failed.Add(1)
							b.Log(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d failures", n)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

func sendOn(c *smtp.Client, i int) error {
	if err := c.Mail(fmt.Sprintf("sender%d@mail.test", i)); err != nil {
		return err
	}
	if err := c.Rcpt(intake); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := strings.Replace(phishMail, "smtp-test-1", fmt.Sprintf("bench-%d", i), 1)
	msg = strings.Replace(msg, "login[.]bad[.]example/verify", fmt.Sprintf("login[.]n%d[.]example/verify/%d", i%5000, i), 1)
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}
