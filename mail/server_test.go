package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/service"
)

const intake = "abuse@nic.example"

// newService returns a service over store with the TLD example and one
// registered name.
func newService(t testing.TB, store tldguard.Store) *service.Service {
	t.Helper()
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	t.Cleanup(svc.Close)
	admin := tldguard.System(context.Background(), "test")
	if _, err := svc.AddTLD(admin, "example"); err != nil {
		t.Fatal(err)
	}
	err := svc.ImportRegistry(admin, []*tldguard.Registrar{{ID: "9001", Name: "Alpha Names"}},
		[]*tldguard.Registration{{Name: "bad.example", TLD: "example", RegistrarID: "9001", RegistrarName: "Alpha Names", Statuses: []string{"ok"}, CreatedAt: time.Now().Add(-time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// startServer runs a listener on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, cfg mail.Config, svc mail.Submitter) *mail.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Recipients == nil {
		cfg.Recipients = []string{intake}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := mail.NewServer(cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv
}

const phishMail = "From: Reporter <reporter@mail.test>\r\nTo: abuse@nic.example\r\nSubject: phishing site\r\n" +
	"Message-ID: <smtp-test-1@mail.test>\r\nDate: Thu, 05 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\nThe phishing page is at hxxps://login[.]bad[.]example/verify\r\n" +
	".leading dot line, which SMTP must escape\r\n"

// send delivers one message over a real SMTP session with net/smtp and
// returns the server's error, if any.
func send(addr, from string, to []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.mail.test"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// TestSMTPSessionFilesCase sends a report through a real SMTP session and
// finds its case through the service, on both engines.
func TestSMTPSessionFilesCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		svc := newService(t, store)
		srv := startServer(t, mail.Config{Options: service.MailOptions{OwnAddresses: []string{"nic.example"}}}, svc)
		if err := send(srv.Addr().String(), "bounces@mail.test", []string{"Abuse@NIC.example"}, phishMail); err != nil {
			t.Fatalf("send: %v", err)
		}
		// The 250 came after the commit: the case is there now.
		analyst := tldguard.System(context.Background(), "test")
		page, err := svc.Cases(analyst, tldguard.CaseFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Cases) != 1 || page.Cases[0].Domain != "bad.example" || page.Cases[0].ThreatType != tldguard.ThreatPhishing {
			t.Fatalf("cases %+v", page.Cases)
		}
		d, err := svc.Case(analyst, page.Cases[0].ID)
		if err != nil || len(d.Reports) != 1 {
			t.Fatalf("case detail %+v %v", d, err)
		}
		rep, err := svc.Report(analyst, d.Reports[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(rep.Raw) != phishMail {
			t.Errorf("stored message differs from the one sent:\n%q\n%q", rep.Raw, phishMail)
		}
		var notices []*tldguard.Notice
		store.Read(analyst, func(tx tldguard.Tx) error {
			notices, err = tx.ListNotices(tldguard.NoticeQueued, 10)
			return err
		})
		if len(notices) != 1 || notices[0].To != "bounces@mail.test" || notices[0].InReplyTo != "smtp-test-1@mail.test" {
			t.Errorf("acknowledgement %+v", notices)
		}
		// The same message again (a retry after a lost 250) is accepted and
		// stored once.
		if err := send(srv.Addr().String(), "bounces@mail.test", []string{intake}, phishMail); err != nil {
			t.Fatal(err)
		}
		if rs, _ := svc.Reports(analyst, tldguard.ReportFilter{}); len(rs) != 1 {
			t.Errorf("%d reports after a retried delivery", len(rs))
		}
	})
}

// TestSMTPRefusesOtherRecipients: no open relay.
func TestSMTPRefusesOtherRecipients(t *testing.T) {
	var calls atomic.Int64
	srv := startServer(t, mail.Config{}, submitFunc(func([]byte) error { calls.Add(1); return nil }))
	for _, rcpt := range []string{"postmaster@nic.example", "victim@elsewhere.test", "abuse@nic.example.evil.test", "abuse@nic.example@relay.test"} {
		err := send(srv.Addr().String(), "spammer@elsewhere.test", []string{rcpt}, phishMail)
		if c := smtpCode(err); c != 550 && c != 501 {
			t.Errorf("RCPT TO:<%s>: %v, want 550", rcpt, err)
		}
	}
	// A good recipient beside a bad one still gets the message; the bad one
	// is refused.
	c, err := smtp.Dial(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("x.test")
	c.Mail("a@x.test")
	if err := c.Rcpt("other@nic.example"); smtpCode(err) != 550 {
		t.Errorf("second recipient: %v", err)
	}
	if err := c.Rcpt(intake); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d messages submitted for refused recipients", calls.Load())
	}
}

// TestSMTPSizeLimit: a message over the limit is refused with 552 while it
// is read, and never reaches the service.
func TestSMTPSizeLimit(t *testing.T) {
	var calls atomic.Int64
	srv := startServer(t, mail.Config{MaxMessageBytes: 64 << 10}, submitFunc(func([]byte) error { calls.Add(1); return nil }))
	big := phishMail + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 1000)
	if err := send(srv.Addr().String(), "a@mail.test", []string{intake}, big); smtpCode(err) != 552 {
		t.Errorf("oversized message: %v, want 552", err)
	}
	if err := send(srv.Addr().String(), "a@mail.test", []string{intake}, phishMail); err != nil {
		t.Errorf("a message under the limit after one over it: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d messages submitted, want 1", calls.Load())
	}
}

// TestSMTPTemporaryFailure: when the store cannot take the message, the
// sender gets 451 and keeps it.
func TestSMTPTemporaryFailure(t *testing.T) {
	srv := startServer(t, mail.Config{}, submitFunc(func([]byte) error {
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "database down")
	}))
	if err := send(srv.Addr().String(), "a@mail.test", []string{intake}, phishMail); smtpCode(err) != 451 {
		t.Errorf("store down: %v, want 451", err)
	}
}

// TestSMTPStartTLS: with a certificate the listener offers STARTTLS and
// takes mail over it.
func TestSMTPStartTLS(t *testing.T) {
	cert := selfSigned(t)
	var got atomic.Value
	srv := startServer(t, mail.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}},
		submitFunc(func(raw []byte) error { got.Store(string(raw)); return nil }))
	c, err := smtp.Dial(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.mail.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("not encrypted after STARTTLS")
	}
	c.Mail("a@mail.test")
	if err := c.Rcpt(intake); err != nil {
		t.Fatal(err)
	}
	w, _ := c.Data()
	io.WriteString(w, phishMail)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got.Load() != phishMail {
		t.Errorf("message over TLS: %q", got.Load())
	}
}

// TestSMTPConnectionLimit: one connection more than allowed is answered
// 421 and closed; the others go on.
func TestSMTPConnectionLimit(t *testing.T) {
	srv := startServer(t, mail.Config{MaxConnections: 2}, submitFunc(func([]byte) error { return nil }))
	var open []*smtp.Client
	for i := 0; i < 2; i++ {
		c, err := smtp.Dial(srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		open = append(open, c)
	}
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := textproto.NewReader(bufio.NewReader(conn)).ReadLine()
	if !strings.HasPrefix(line, "421") {
		t.Errorf("third connection greeted %q, want 421", line)
	}
	if err := open[0].Hello("x.test"); err != nil {
		t.Errorf("an admitted connection: %v", err)
	}
}

// submitFunc is a Submitter for tests that do not need a store.
type submitFunc func(raw []byte) error

func (f submitFunc) SubmitMail(_ context.Context, raw []byte, _ service.MailOptions) (*service.MailReceipt, error) {
	if err := f(raw); err != nil {
		return nil, err
	}
	return &service.MailReceipt{Reports: []*tldguard.Receipt{{ReportID: 1}}}, nil
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.nic.example"}, DNSNames: []string{"mx.nic.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestSMTPConcurrentSessions sends from several clients at once to a real
// store and finds every report.
func TestSMTPConcurrentSessions(t *testing.T) {
	svc := newService(t, testdb.SQLite(t))
	srv := startServer(t, mail.Config{}, svc)
	const clients, each = 6, 5
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				msg := strings.Replace(phishMail, "smtp-test-1", fmt.Sprintf("c%d-%d", c, i), 1)
				if err := send(srv.Addr().String(), "a@mail.test", []string{intake}, msg); err != nil {
					t.Error(err)
				}
			}
		}(c)
	}
	wg.Wait()
	rs, err := svc.Reports(tldguard.System(context.Background(), "test"), tldguard.ReportFilter{Limit: 100})
	if err != nil || len(rs) != clients*each {
		t.Errorf("%d reports, want %d (%v)", len(rs), clients*each, err)
	}
}
