package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/service"
)

// Config configures the SMTP listener.
type Config struct {
	// Addr is the listen address HOST:PORT (port 0 picks a free one).
	Addr string
	// Domain is the host name the server greets with (default the host of
	// the first recipient address).
	Domain string
	// Recipients are the addresses mail is taken for, e.g.
	// abuse@nic.example; a RCPT to any other address is refused (550), so
	// the listener never relays. At least one is required.
	Recipients []string
	// MaxMessageBytes caps a message, enforced while it is read (552
	// beyond it); default DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxRecipients caps the RCPTs of one message (default 10).
	MaxRecipients int
	// MaxConnections caps the connections served at once; one more is
	// answered 421 and closed (default 64).
	MaxConnections int
	// ReadTimeout and WriteTimeout bound each command and each read or
	// write of a message (default 1 minute).
	ReadTimeout, WriteTimeout time.Duration
	// SessionTimeout bounds a whole connection (default 10 minutes).
	SessionTimeout time.Duration
	// SubmitTimeout bounds storing one message (default 1 minute); a
	// message not stored in time is answered 451 and the sender retries.
	SubmitTimeout time.Duration
	// TLS, when set, is offered with STARTTLS.
	TLS *tls.Config
	// Options are passed to SubmitMail for each message, with Channel
	// "smtp" and the message's envelope filled in.
	Options service.MailOptions
	Logger  *slog.Logger
}

// Server is the SMTP listener. It takes mail only for the configured
// recipients, keeps no state of its own, and answers 250 to a message only
// once SubmitMail has stored it durably; a temporary failure is answered
// 451, so the sending server keeps the message and tries again.
//
// It writes no Received trace field into the message (RFC 5321 §4.4): the
// message is stored exactly as the sender sent it, so that a retried
// delivery has the same SHA-256 and is recognised as a repeat; the
// envelope and the peer's address go into the audit log instead.
type Server struct {
	cfg        Config
	svc        Submitter
	log        *slog.Logger
	recipients map[string]bool
	smtp       *smtp.Server
	ln         net.Listener
	serving    chan struct{}
	base       context.Context
	stop       context.CancelFunc
}

// NewServer checks cfg and returns a server that is not yet listening.
func NewServer(cfg Config, svc Submitter) (*Server, error) {
	if len(cfg.Recipients) == 0 {
		return nil, tldguard.Errorf(tldguard.EINVALID, "the SMTP listener needs at least one recipient address to take mail for")
	}
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger, recipients: map[string]bool{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, r := range cfg.Recipients {
		r = strings.ToLower(strings.TrimSpace(r))
		if local, dom, ok := strings.Cut(r, "@"); !ok || local == "" || dom == "" || strings.ContainsAny(r, " <>,") {
			return nil, tldguard.Errorf(tldguard.EINVALID, "recipient %q is not an e-mail address", r)
		}
		s.recipients[r] = true
		if s.cfg.Domain == "" {
			_, s.cfg.Domain, _ = strings.Cut(r, "@")
		}
	}
	c := &s.cfg
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 10
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 64
	}
	def(&c.ReadTimeout, time.Minute)
	def(&c.WriteTimeout, time.Minute)
	def(&c.SessionTimeout, 10*time.Minute)
	def(&c.SubmitTimeout, time.Minute)

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Addr = c.Addr
	srv.Domain = c.Domain
	srv.MaxMessageBytes = c.MaxMessageBytes
	srv.MaxRecipients = c.MaxRecipients
	srv.ReadTimeout = c.ReadTimeout
	srv.WriteTimeout = c.WriteTimeout
	srv.TLSConfig = c.TLS
	srv.EnableSMTPUTF8 = true // messages are stored as bytes; UTF-8 addresses are fine
	srv.ErrorLog = slogPrinter{s.log}
	s.smtp = srv
	s.base, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Open binds the address and serves in the background; it returns once the
// port is bound.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp listener: %w", err)
	}
	s.ln = &limitListener{Listener: ln, sem: make(chan struct{}, s.cfg.MaxConnections), session: s.cfg.SessionTimeout, log: s.log}
	s.serving = make(chan struct{})
	go func() {
		defer close(s.serving)
		if err := s.smtp.Serve(s.ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("smtp listener stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address the listener is bound to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops taking connections and waits, until ctx ends, for the
// sessions in progress to finish; then it closes the rest. A message being
// stored when its connection is closed is stored all the same (the sender,
// without its 250, sends it again and gets the first receipt).
func (s *Server) Close(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	if err != nil {
		s.smtp.Close()
	}
	if s.serving != nil {
		<-s.serving
	}
	s.stop()
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c, remote: c.Conn().RemoteAddr().String()}, nil
}

// session is one SMTP connection's transaction state.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	remote string
	from   string
	size   int64
	to     []string
}

func (ss *session) Reset()        { ss.from, ss.size, ss.to = "", 0, nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	ss.Reset()
	ss.from = strings.ToLower(from)
	if opts != nil {
		ss.size = opts.Size
	}
	return nil
}

var errNoRelay = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "This server takes mail only for its abuse addresses; relaying denied"}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	addr := strings.ToLower(strings.TrimSpace(to))
	if !ss.srv.recipients[addr] {
		ss.srv.log.Info("smtp recipient refused", "rcpt", to, "from", ss.from, "remote", ss.remote)
		return errNoRelay
	}
	for _, a := range ss.to {
		if a == addr {
			return nil
		}
	}
	ss.to = append(ss.to, addr)
	return nil
}

// errTempFail asks the sender to keep the message and try again.
var errTempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "The message could not be stored just now; please try again later"}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if ss.size > 0 && ss.size <= ss.srv.cfg.MaxMessageBytes {
		buf.Grow(int(ss.size))
	}
	// The reader stops at MaxMessageBytes with smtp.ErrDataTooLarge (552).
	if _, err := buf.ReadFrom(r); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			ss.srv.log.Info("smtp message refused", "from", ss.from, "remote", ss.remote, "err", err)
			return se
		}
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	opts := ss.srv.cfg.Options
	opts.Channel = "smtp"
	opts.Envelope = &service.MailEnvelope{From: ss.from, To: append([]string(nil), ss.to...), RemoteAddr: ss.remote, TLS: isTLS}
	ctx, cancel := context.WithTimeout(ss.srv.base, ss.srv.cfg.SubmitTimeout)
	defer cancel()
	start := time.Now()
	rec, err := ss.srv.svc.SubmitMail(tldguard.System(ctx, "mail:smtp"), buf.Bytes(), opts)
	if err != nil {
		ss.srv.log.Error("smtp message not stored", "from", ss.from, "remote", ss.remote, "bytes", buf.Len(), "err", err)
		if tldguard.ErrorKind(err) == tldguard.ETOOLARGE {
			return smtp.ErrDataTooLarge
		}
		return errTempFail
	}
	var ids []int64
	for _, r := range rec.Reports {
		ids = append(ids, r.ReportID)
	}
	ss.srv.log.Info("smtp message stored", "from", ss.from, "remote", ss.remote, "bytes", buf.Len(),
		"reports", ids, "reporter", rec.Reporter, "format", rec.Format, "duplicate", rec.Duplicate,
		"no_ack", rec.NoAck, "ms", time.Since(start).Milliseconds())
	return nil
}

// limitListener caps the connections served at once and the length of
// each.
type limitListener struct {
	net.Listener
	sem     chan struct{}
	session time.Duration
	log     *slog.Logger
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.sem <- struct{}{}:
			lc := &limitConn{Conn: c, release: func() { <-l.sem }}
			lc.timer = time.AfterFunc(l.session, func() { c.Close() })
			return lc, nil
		default:
			l.log.Warn("smtp connection refused: too many at once", "remote", c.RemoteAddr().String(), "max", cap(l.sem))
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "421 4.7.0 Too many connections; try again later\r\n")
			c.Close()
		}
	}
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
	timer   *time.Timer
}

func (c *limitConn) Close() error {
	c.once.Do(func() {
		c.timer.Stop()
		c.release()
	})
	return c.Conn.Close()
}

// slogPrinter lets go-smtp log its internal errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn("smtp: " + fmt.Sprintf(format, v...))
}
func (p slogPrinter) Println(v ...any) { p.log.Warn("smtp: " + fmt.Sprint(v...)) }
