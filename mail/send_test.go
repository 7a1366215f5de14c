package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/smtptest"
	"github.com/tldguard/tldguard/mail"
)

var relayNow = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// relayTLS starts a relay offering STARTTLS (a certificate for 127.0.0.1)
// and AUTH PLAIN, and returns it with a client TLS config trusting it.
func relayTLS(t *testing.T) (*smtptest.Server, *tls.Config) {
	t.Helper()
	cert, pool := smtptest.Certificate(t, "127.0.0.1")
	srv := smtptest.Start(t, smtptest.Options{
		TLS:   &tls.Config{Certificates: []tls.Certificate{cert}},
		Users: map[string]string{"tldguard": "s3cret"},
	})
	return srv, &tls.Config{RootCAs: pool}
}

func newSender(t *testing.T, cfg mail.SenderConfig) *mail.Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "NIC Example Abuse Desk <abuse@nic.example>"
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return relayNow }
	}
	cfg.Timeout = 10 * time.Second
	s, err := mail.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func onlyMessage(t *testing.T, srv *smtptest.Server) smtptest.Message {
	t.Helper()
	ms := srv.Messages()
	if len(ms) != 1 {
		t.Fatalf("the relay has %d messages, want 1", len(ms))
	}
	return ms[0]
}

// checkWire checks what every message must be on the wire: CRLF line
// ends only, lines within SMTP's limit, 7-bit.
func checkWire(t *testing.T, data []byte) {
	t.Helper()
	for i, line := range bytes.Split(data, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
		for _, c := range line {
			if c > 127 {
				t.Fatalf("line %d has 8-bit data: %q", i+1, line)
			}
		}
	}
}

func TestSendTextMessage(t *testing.T) {
	srv, clientTLS := relayTLS(t)
	s := newSender(t, mail.SenderConfig{Addr: srv.Addr, Username: "tldguard", Password: "s3cret", TLS: clientTLS, StartTLS: mail.StartTLSRequired})
	subject := "Report 7 received: TG-0000042 – Bestätigung für bad.example, a subject long enough to be folded over several header lines"
	body := "Grüße,\nyour report was received.\n.a line starting with a dot\n" + strings.Repeat("long line ", 20) + "\nend\n"
	err := s.Send(context.Background(), mail.Message{
		To: []string{"Reporter <reporter@mail.test>"}, Subject: subject, Body: body,
		InReplyTo: "<orig.1@mail.test>", References: []string{"orig.1@mail.test"}, AutoSubmitted: "auto-replied",
	})
	if err != nil {
		t.Fatal(err)
	}
	m := onlyMessage(t, srv)
	if m.From != "abuse@nic.example" || len(m.To) != 1 || m.To[0] != "reporter@mail.test" || !m.TLS || m.User != "tldguard" {
		t.Errorf("envelope: %+v", m)
	}
	checkWire(t, m.Data)
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	gotSubject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || gotSubject != subject {
		t.Errorf("Subject %q decodes to %q (%v)", h.Get("Subject"), gotSubject, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(relayNow) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	for name, want := range map[string]string{
		"From": `"NIC Example Abuse Desk" <abuse@nic.example>`, "To": `"Reporter" <reporter@mail.test>`,
		"In-Reply-To": "<orig.1@mail.test>", "References": "<orig.1@mail.test>",
		"Auto-Submitted": "auto-replied", "MIME-Version": "1.0",
		"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@nic.example>") {
		t.Errorf("Message-ID %q: want one with the From domain", id)
	}
	got, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(body, "\n", "\r\n"); string(got) != want {
		t.Errorf("body:\n%q\nwant\n%q", got, want)
	}
}

func TestSendAttachment(t *testing.T) {
	srv, clientTLS := relayTLS(t)
	s := newSender(t, mail.SenderConfig{Addr: srv.Addr, TLS: clientTLS})
	report := []byte(`{"xarf_version":"4.0.0","category":"content","type":"phishing","url":"https://bad.example/login"}` + "\n" + strings.Repeat("x", 300))
	err := s.Send(context.Background(), mail.Message{
		To: []string{"abuse@alpha.example"}, Subject: "[TG-0000042] Abuse referral", Body: "See the attached report.\n",
		MessageID: "tldguard.notice.5.1@nic.example", AutoSubmitted: "auto-generated",
		Attachments: []mail.Attachment{{Name: "../xarf-TG-0000042.json", ContentType: "application/json", Data: report}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := onlyMessage(t, srv)
	if !m.TLS || m.User != "" {
		t.Errorf("opportunistic STARTTLS without credentials: TLS %v user %q", m.TLS, m.User)
	}
	checkWire(t, m.Data)
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Message-Id"); got != "<tldguard.notice.5.1@nic.example>" {
		t.Errorf("Message-ID %q", got)
	}
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q", got)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, err := mr.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	if text.Header.Get("Content-Type") != "text/plain; charset=utf-8" || text.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("text part header %v", text.Header)
	}
	if b, _ := io.ReadAll(quotedprintable.NewReader(text)); string(b) != "See the attached report.\r\n" {
		t.Errorf("text part %q", b)
	}
	att, err := mr.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != "xarf-TG-0000042.json" {
		t.Errorf("attachment file name %q (a path in the name must not survive)", att.FileName())
	}
	if ct, _, _ := mime.ParseMediaType(att.Header.Get("Content-Type")); ct != "application/json" {
		t.Errorf("attachment type %q", att.Header.Get("Content-Type"))
	}
	if att.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Errorf("attachment encoding %q", att.Header.Get("Content-Transfer-Encoding"))
	}
	if got, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att)); !bytes.Equal(got, report) {
		t.Errorf("attachment decodes to %q", got)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("more parts: %v", err)
	}
}

// TestSendTLSRules: STARTTLS when required, and credentials never without
// TLS, even when the relay offers AUTH in the clear.
func TestSendTLSRules(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{Users: map[string]string{"tldguard": "s3cret"}, AllowInsecureAuth: true})
	ctx := context.Background()
	msg := mail.Message{To: []string{"r@mail.test"}, Subject: "s", Body: "b"}

	err := newSender(t, mail.SenderConfig{Addr: plain.Addr, StartTLS: mail.StartTLSRequired}).Send(ctx, msg)
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("required STARTTLS not offered: %v", err)
	}
	err = newSender(t, mail.SenderConfig{Addr: plain.Addr, Username: "tldguard", Password: "s3cret"}).Send(ctx, msg)
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("credentials over a plain connection: %v", err)
	}
	if n := plain.AuthTries(); n != 0 {
		t.Errorf("the client tried AUTH %d times without TLS", n)
	}
	if n := len(plain.Messages()); n != 0 {
		t.Fatalf("%d messages sent against the rules", n)
	}
	// Opportunistic without credentials: sent in the clear.
	if err := newSender(t, mail.SenderConfig{Addr: plain.Addr}).Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if m := onlyMessage(t, plain); m.TLS {
		t.Errorf("TLS on a relay that offers none")
	}

	srv, clientTLS := relayTLS(t)
	// A certificate the client does not trust: temporary (the operator
	// fixes it), nothing sent.
	err = newSender(t, mail.SenderConfig{Addr: srv.Addr}).Send(ctx, msg)
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Errorf("untrusted certificate: %v", err)
	}
	// A wrong password is the relay's permanent refusal.
	err = newSender(t, mail.SenderConfig{Addr: srv.Addr, TLS: clientTLS, Username: "tldguard", Password: "wrong"}).Send(ctx, msg)
	if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

// TestSendFailures: 4xx answers and dropped connections are temporary,
// 5xx answers permanent and named.
func TestSendFailures(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, mail.SenderConfig{Addr: srv.Addr})
	msg := mail.Message{To: []string{"abuse@alpha.example"}, Subject: "s", Body: "b"}
	for _, tt := range []struct {
		name   string
		script func(smtptest.Step, string) error
		kind   string
		reply  string
	}{
		{"4xx to RCPT", at(smtptest.StepRcpt, smtptest.Reply(451, "mailbox busy, try later")), tldguard.EUNAVAILABLE, "451 4.0.0 mailbox busy"},
		{"421 to MAIL", at(smtptest.StepMail, smtptest.Reply(421, "shutting down")), tldguard.EUNAVAILABLE, "421"},
		{"5xx to RCPT", at(smtptest.StepRcpt, smtptest.Reply(550, "no such user here")), tldguard.EUNPROCESSABLE, "550 5.0.0 no such user here"},
		{"5xx after DATA", at(smtptest.StepData, smtptest.Reply(554, "message refused as spam")), tldguard.EUNPROCESSABLE, "554 5.0.0 message refused"},
		{"connection dropped after the message", at(smtptest.StepData, smtptest.ErrDrop), tldguard.EUNAVAILABLE, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv.Script(tt.script)
			err := s.Send(context.Background(), msg)
			if tldguard.ErrorKind(err) != tt.kind || !strings.Contains(tldguard.ErrorMessage(err), tt.reply) {
				t.Errorf("got %v (%s), want %s naming %q", err, tldguard.ErrorKind(err), tt.kind, tt.reply)
			}
		})
	}
	srv.Script(nil)
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}

	// Nobody listening, and a server that hangs up before its greeting.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, addr := range []string{ln.Addr().String(), closedAddr} {
		err := newSender(t, mail.SenderConfig{Addr: addr}).Send(context.Background(), msg)
		if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func at(step smtptest.Step, err error) func(smtptest.Step, string) error {
	return func(s smtptest.Step, _ string) error {
		if s == step {
			return err
		}
		return nil
	}
}

// TestSendRefusesInjection: nothing a reporter controls (a subject, a
// Message-ID from their mail) can add a header or a recipient.
func TestSendRefusesInjection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, mail.SenderConfig{Addr: srv.Addr})
	err := s.Send(context.Background(), mail.Message{
		To: []string{"r@mail.test"}, Subject: "hello\r\nBcc: victim@evil.test", Body: "b",
		InReplyTo: "<a@b>\r\nBcc: victim@evil.test", References: []string{"x y@z", "<ok@mail.test>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := onlyMessage(t, srv)
	msg, _ := netmail.ReadMessage(bytes.NewReader(m.Data))
	if msg.Header.Get("Bcc") != "" || len(m.To) != 1 {
		t.Errorf("injected: %q", m.Data)
	}
	if msg.Header.Get("In-Reply-To") != "" || msg.Header.Get("References") != "<ok@mail.test>" {
		t.Errorf("threading headers: %v", msg.Header)
	}
	for _, bad := range []mail.Message{
		{Subject: "no recipient"},
		{To: []string{"r@mail.test\r\nRCPT TO:<x@evil.test>"}},
		{To: []string{"not an address"}},
	} {
		if err := s.Send(context.Background(), bad); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestNewSenderChecksConfig(t *testing.T) {
	for _, cfg := range []mail.SenderConfig{
		{Addr: "relay.test", From: "a@nic.example"},
		{Addr: "relay.test:25", From: "nobody"},
		{Addr: "relay.test:25", From: "a@nic.example", Username: "u"},
		{Addr: "relay.test:25", From: "a@nic.example", StartTLS: "sometimes"},
	} {
		if _, err := mail.NewSender(cfg); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
