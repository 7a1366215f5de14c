// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// inside a test, for the notice sender's tests: STARTTLS with a generated
// certificate, AUTH PLAIN, scripted 4xx and 5xx answers and dropped
// connections, and every message it accepted, byte for byte.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// TLS, when set, is offered with STARTTLS.
	TLS *tls.Config
	// Users are the AUTH PLAIN accounts (user name to password); AUTH is
	// offered only when there are some, and only over TLS unless
	// AllowInsecureAuth.
	Users             map[string]string
	AllowInsecureAuth bool
}

// Message is a message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // it came over TLS
	User string // the authenticated user, "" when none
}

// Step is where a scripted answer applies.
type Step string

const (
	StepMail Step = "MAIL"
	StepRcpt Step = "RCPT"
	StepData Step = "DATA" // after the message was read
)

// ErrDrop, returned by a script, closes the connection instead of
// answering.
var ErrDrop = errors.New("smtptest: drop the connection")

// Server is an SMTP server on a loopback port, stopped when the test ends.
type Server struct {
	Addr string

	mu        sync.Mutex
	msgs      []Message
	authTries int
	script    func(step Step, arg string) error
}

// Start starts a server.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c, users: opts.Users}, nil
	}))
	srv.Domain = "relay.test"
	srv.TLSConfig = opts.TLS
	srv.AllowInsecureAuth = opts.AllowInsecureAuth
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = quietLog{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Script sets the answers: fn is called at each step with the address
// (MAIL, RCPT) or "" (DATA) and answers with its error (an
// *smtp.SMTPError, ErrDrop) or nil to go on. nil removes the script.
func (s *Server) Script(fn func(step Step, arg string) error) {
	s.mu.Lock()
	s.script = fn
	s.mu.Unlock()
}

// Reply returns an SMTP error reply with the code and text.
func Reply(code int, text string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: text}
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// AuthTries counts the AUTH commands the server answered.
func (s *Server) AuthTries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTries
}

func (s *Server) answer(c *smtp.Conn, step Step, arg string) error {
	s.mu.Lock()
	fn := s.script
	s.mu.Unlock()
	if fn == nil {
		return nil
	}
	err := fn(step, arg)
	if errors.Is(err, ErrDrop) {
		c.Conn().Close()
	}
	return err
}

type session struct {
	s     *Server
	c     *smtp.Conn
	users map[string]string
	user  string
	msg   Message
}

func (ss *session) Reset()        { ss.msg = Message{} }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.s.answer(ss.c, StepMail, from); err != nil {
		return err
	}
	ss.msg = Message{From: from}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.answer(ss.c, StepRcpt, to); err != nil {
		return err
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.s.answer(ss.c, StepData, ""); err != nil {
		return err
	}
	_, isTLS := ss.c.TLSConnectionState()
	m := ss.msg
	m.Data, m.TLS, m.User = b, isTLS, ss.user
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) AuthMechanisms() []string {
	if len(ss.users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.authTries++
	ss.s.mu.Unlock()
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if want, ok := ss.users[user]; !ok || want != pass || (identity != "" && identity != user) {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}

// Certificate returns a self-signed certificate for the host names and IP
// addresses given, and a pool that trusts it.
func Certificate(t testing.TB, hosts ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
