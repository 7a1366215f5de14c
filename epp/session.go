package epp

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// session is one EPP connection and its login. Whoever took it from the
// pool owns it; mu guards only the conn pointer, for Close to interrupt a
// command that outlives its grace period.
type session struct {
	c        *Client
	id       int
	mu       sync.Mutex
	conn     net.Conn
	lastUsed time.Time
}

func (s *session) getConn() net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

func (s *session) setConn(conn net.Conn) {
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
}

// drop closes the connection without a logout: after an I/O error, a
// timeout or a protocol error the stream cannot be trusted. The next
// command reconnects.
func (s *session) drop() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// connect dials, verifies the server's certificate, reads the greeting and
// logs in, all within one Timeout.
func (s *session) connect(ctx context.Context) error {
	c := s.c
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	d := tlsDialer(c)
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return transportError(ctx, "connect", "", c.host, err, false)
	}
	s.setConn(conn)
	g, _, err := s.read(ctx, "greeting", "", "", true)
	if err != nil {
		return err
	}
	if !slices.Contains(g.Versions, "1.0") || !slices.Contains(g.ObjURIs, nsDomain) {
		s.drop()
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "EPP greeting from %s (%s) does not offer EPP 1.0 with %s", c.host, g.ServerID, nsDomain)
	}
	var ext []string
	for _, u := range c.cfg.Extensions {
		if slices.Contains(g.ExtURIs, u) {
			ext = append(ext, u)
		} else {
			c.log.Warn("EPP extension not offered by the server; not requested", "ext", u)
		}
	}
	return s.login(ctx, ext)
}

func (s *session) login(ctx context.Context, ext []string) error {
	c := s.c
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	l := login{ClientID: c.cfg.ClientID, Password: c.password, NewPassword: c.newPW, Extensions: ext}
	clTRID := c.clTRID("login")
	r, err := s.exchange(ctx, "login", c.cfg.ClientID, loginCommand(l, clTRID), clTRID)
	if err != nil {
		return err
	}
	if !r.Success() {
		s.drop()
		return resultError("login", c.cfg.ClientID, r)
	}
	if l.NewPassword != "" {
		c.password, c.newPW = l.NewPassword, ""
		c.log.Warn("EPP password changed by <newPW>; configure the new password", "client_id", c.cfg.ClientID)
	}
	c.log.Info("EPP session logged in", "session", s.id, "client_id", c.cfg.ClientID, "svTRID", r.SvTRID)
	return nil
}

// command sends one command built for its clTRID and returns the
// response, connecting and logging in first when the session has no
// connection. A non-success result is returned as a response, not an
// error: callers know what each code means for their command.
func (s *session) command(ctx context.Context, cmd, object, ref string, build func(clTRID string) ([]byte, error)) (*response, error) {
	if s.getConn() == nil {
		if err := s.connect(ctx); err != nil {
			return nil, err
		}
	}
	clTRID := s.c.clTRID(ref)
	payload, err := build(clTRID)
	if err != nil {
		return nil, err
	}
	s.c.log.Debug("EPP command", "session", s.id, "cmd", cmd, "object", object, "clTRID", clTRID)
	return s.exchange(ctx, cmd, object, payload, clTRID)
}

// hello sends the keep-alive, connecting first if needed.
func (s *session) hello(ctx context.Context) error {
	if s.getConn() == nil {
		return s.connect(ctx)
	}
	if err := s.write(ctx, "hello", "", helloCommand()); err != nil {
		return err
	}
	_, _, err := s.read(ctx, "hello", "", "", true)
	return err
}

// logout ends the session politely (RFC 5730 §2.9.1.2: 1500) and closes
// the connection whatever the answer.
func (s *session) logout(ctx context.Context) error {
	if s.getConn() == nil {
		return nil
	}
	defer s.drop()
	clTRID := s.c.clTRID("logout")
	r, err := s.exchange(ctx, "logout", "", logoutCommand(clTRID), clTRID)
	if err != nil {
		return err
	}
	if !r.Success() {
		return resultError("logout", "", r)
	}
	s.c.log.Info("EPP session logged out", "session", s.id)
	return nil
}

// exchange writes one command and reads its response.
func (s *session) exchange(ctx context.Context, cmd, object string, payload []byte, clTRID string) (*response, error) {
	if err := s.write(ctx, cmd, object, payload); err != nil {
		return nil, err
	}
	_, r, err := s.read(ctx, cmd, object, clTRID, false)
	return r, err
}

// deadline is when the current exchange must be over.
func (s *session) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(s.c.cfg.Timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// watch makes a cancelled ctx interrupt a blocked read or write. The
// returned func ends the watch; if ctx was cancelled in the meantime the
// connection's deadline may already be in the past, or be put there a
// moment later, so the connection is dropped rather than trusted.
func (s *session) watch(ctx context.Context, conn net.Conn) func() {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		if !stop() && ctx.Err() != nil {
			s.drop()
		}
	}
}

func (s *session) write(ctx context.Context, cmd, object string, payload []byte) error {
	conn := s.getConn()
	if conn == nil {
		return transportError(ctx, cmd, object, s.c.host, net.ErrClosed, true)
	}
	if len(payload)+headerLen > s.c.cfg.MaxFrame {
		// Refused before a byte is written: the session stays usable.
		return transportError(ctx, cmd, object, s.c.host,
			&errFrameTooLarge{size: int64(len(payload) + headerLen), limit: int64(s.c.cfg.MaxFrame)}, true)
	}
	_ = conn.SetDeadline(s.deadline(ctx))
	defer s.watch(ctx, conn)()
	if err := writeFrame(conn, payload, s.c.cfg.MaxFrame); err != nil {
		s.drop()
		return transportError(ctx, cmd, object, s.c.host, err, true)
	}
	return nil
}

// read reads one data unit and checks that it is what the exchange
// expects: a greeting, or the response to clTRID.
func (s *session) read(ctx context.Context, cmd, object, clTRID string, wantGreeting bool) (*greeting, *response, error) {
	conn := s.getConn()
	if conn == nil {
		return nil, nil, transportError(ctx, cmd, object, s.c.host, net.ErrClosed, true)
	}
	_ = conn.SetDeadline(s.deadline(ctx))
	defer s.watch(ctx, conn)()
	data, err := readFrame(conn, s.c.cfg.MaxFrame)
	if err != nil {
		s.drop()
		return nil, nil, transportError(ctx, cmd, object, s.c.host, err, true)
	}
	g, r, err := parseMessage(data)
	switch {
	case err != nil:
	case wantGreeting && g == nil:
		err = malformed("a response where a greeting was due")
	case !wantGreeting && r == nil:
		err = malformed("a greeting where a response was due")
	case r != nil && r.ClTRID != "" && r.ClTRID != clTRID:
		err = malformed("the response names transaction %q, not %q", r.ClTRID, clTRID)
	}
	if err != nil {
		s.drop()
		return nil, nil, transportError(ctx, cmd, object, s.c.host, err, true)
	}
	if r != nil && r.Code >= 2500 {
		// 2500, 2501, 2502: the server is closing the connection.
		s.drop()
	}
	s.lastUsed = time.Now()
	return g, r, nil
}

func tlsDialer(c *Client) *tls.Dialer {
	return &tls.Dialer{NetDialer: &net.Dialer{KeepAlive: 30 * time.Second}, Config: c.tls}
}
