// Package epp is the registry adapter that speaks the Extensible
// Provisioning Protocol: RFC 5730 (the protocol), RFC 5731 (domain names)
// and RFC 5734 (TCP with TLS), with the registry operator's privileged
// ("superuser") account.
//
// A Client holds a small pool of EPP sessions (Config.Sessions, one by
// default). A session is one TLS connection, logged in once, carrying one
// command at a time: EPP is strictly request and answer, so a session is
// owned by one caller from the command it sends to the answer it reads.
// Sessions connect on first use, send <hello/> when idle past
// Config.KeepAlive so the registry does not time them out, and reconnect
// and log in again after a dropped connection. Close logs every session
// out.
//
// Apply reads the name with <domain:info>, computes what differs from the
// wanted state, and sends one <domain:update> (two when
// serverUpdateProhibited must be lifted first), or nothing at all when the
// registry already holds the wanted state: a retried hold is answered
// Applied=false and sends no update.
//
// A transfer at the registry's initiative is not part of EPP (RFC 5731's
// <transfer> is the registrars' own procedure, with the authInfo code).
// Apply carries one out only through Config.Transfer, a hook that builds
// the registry's own extension command; without it a transfer is refused
// with EUNPROCESSABLE, and the operator routes transfers to the webhook
// adapter.
package epp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tldguard/tldguard"
)

// Defaults for the zero values of Config.
const (
	DefaultPort      = "700" // RFC 5734 §2
	DefaultTimeout   = 30 * time.Second
	DefaultKeepAlive = 5 * time.Minute
	DefaultMaxFrame  = 1 << 20
	minFrame         = 4 << 10
	maxSessions      = 16
)

// TransferFunc builds the registry's own command that moves domain to the
// registrar gaining: a complete EPP document (typically a registry
// extension) that carries clTRID as its client transaction id. The adapter
// sends it, reads the result like any other command's, and reads the name
// again to see the new sponsor.
type TransferFunc func(domain, gaining, clTRID string) ([]byte, error)

// Config says how to reach and log in to the registry.
type Config struct {
	// Addr is the registry's EPP server, "host:port"; without a port,
	// 700 is used.
	Addr string
	// ServerName is the name the server's certificate must carry; the
	// host of Addr when empty.
	ServerName string
	// RootCAs verify the server's certificate; the system pool when nil.
	RootCAs *x509.CertPool
	// Certificate, when set, is presented to the server (most registries
	// require a client certificate besides the password).
	Certificate *tls.Certificate

	// ClientID and Password are the registry account's credentials.
	ClientID string
	Password string
	// NewPassword, when set, is sent as <newPW> at the first login; from
	// then on the client logs in with it. Store it as the password once
	// the log shows the change.
	NewPassword string
	// Extensions are the extURIs sent in <svcExtension> at login; those
	// the server's greeting does not announce are left out (and logged).
	Extensions []string

	// Timeout bounds each exchange: connecting with the TLS handshake, the
	// greeting and the login together, then each command and its answer.
	// DefaultTimeout when zero. A context deadline that is sooner wins.
	Timeout time.Duration
	// KeepAlive is how long a session may stay idle before it sends
	// <hello/>; DefaultKeepAlive when zero, none when negative.
	KeepAlive time.Duration
	// Sessions is how many sessions the client may hold open at once;
	// one when zero. Registries limit sessions per account: keep it small.
	Sessions int
	// MaxFrame bounds a data unit in either direction, header included;
	// DefaultMaxFrame when zero.
	MaxFrame int

	// HostAttr sends name servers as <domain:hostAttr> (RFC 5731 §1.1)
	// for registries without host objects. Removals follow whatever form
	// the registry returned in <domain:info>.
	HostAttr bool
	// Transfer, when set, carries out transfers (see TransferFunc).
	Transfer TransferFunc

	// Logger receives connection and command events; discarded when nil.
	// Passwords are never logged.
	Logger *slog.Logger
}

// Client is a tldguard.RegistryAdapter over EPP. Its methods are safe for
// concurrent use; commands queue for a free session.
type Client struct {
	cfg  Config
	host string // of Addr, for messages
	tls  *tls.Config
	log  *slog.Logger

	pool     chan *session
	sessions []*session

	// loginMu serialises logins, so that a password change by <newPW>
	// happens once and the other sessions log in with the new password.
	loginMu  sync.Mutex
	password string
	newPW    string

	seq  atomic.Uint64
	done chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

var _ tldguard.RegistryAdapter = (*Client)(nil)

// New checks cfg and returns a client. It does not connect: the first
// command does, so that tldguard starts while the registry is down. Use
// Ping to check the connection and credentials at start-up. Errors:
// EINVALID naming the field.
func New(cfg Config) (*Client, error) {
	if cfg.Addr == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "addr", "the registry's EPP address is required")
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host, port = strings.Trim(cfg.Addr, "[]"), DefaultPort
	}
	if port == "" {
		port = DefaultPort
	}
	if host == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "addr", "%q has no host", cfg.Addr)
	}
	cfg.Addr = net.JoinHostPort(host, port)
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	switch {
	case !isToken(cfg.ClientID):
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "client_id", "the registry account's client id is required (printable, no spaces)")
	case cfg.Password == "":
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "password", "the registry account's password is required")
	case cfg.NewPassword == cfg.Password:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "new_password", "is the same as the password")
	case cfg.Timeout < 0:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "timeout", "must not be negative")
	case cfg.Sessions < 0 || cfg.Sessions > maxSessions:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "sessions", "must be between 1 and %d", maxSessions)
	case cfg.MaxFrame != 0 && cfg.MaxFrame < minFrame:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "max_frame", "must be at least %d bytes", minFrame)
	}
	for _, u := range cfg.Extensions {
		if !isToken(u) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "extensions", "%q is not a URI", u)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.Sessions == 0 {
		cfg.Sessions = 1
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Client{
		cfg:  cfg,
		host: cfg.Addr,
		tls: &tls.Config{
			ServerName: cfg.ServerName,
			RootCAs:    cfg.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
		log:      log.With("epp", cfg.Addr),
		pool:     make(chan *session, cfg.Sessions),
		password: cfg.Password,
		newPW:    cfg.NewPassword,
		done:     make(chan struct{}),
	}
	if cfg.Certificate != nil {
		c.tls.Certificates = []tls.Certificate{*cfg.Certificate}
	}
	// Transaction ids stay unique across restarts: the counter starts at
	// the clock's milliseconds and only grows.
	c.seq.Store(uint64(time.Now().UnixMilli()))
	for i := range cfg.Sessions {
		s := &session{c: c, id: i + 1}
		c.sessions = append(c.sessions, s)
		c.pool <- s
	}
	if cfg.KeepAlive > 0 {
		c.wg.Add(1)
		go c.keepAlive()
	}
	return c, nil
}

// Ping connects and logs in if needed and sends <hello/>. Errors:
// EUNAUTHORIZED for refused credentials, EUNAVAILABLE for anything
// network or TLS.
func (c *Client) Ping(ctx context.Context) error {
	s, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.release(s)
	err = s.hello(ctx)
	if lost(err) {
		err = s.hello(ctx)
	}
	return err
}

// Close logs every session out and closes its connection, waiting up to
// the configured timeout for commands in flight. Lookup, Apply and Ping
// after Close return EUNAVAILABLE; a second Close returns nil.
func (c *Client) Close() error {
	first := false
	c.stop.Do(func() { first = true; close(c.done) })
	if !first {
		return nil
	}
	c.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	var firstErr error
	for range c.sessions {
		var s *session
		select {
		case s = <-c.pool:
		case <-ctx.Done():
			for _, s := range c.sessions {
				s.drop() // a command still running fails with EUNAVAILABLE
			}
			return tldguard.Errorf(tldguard.EUNAVAILABLE, "EPP close: commands still running after %s", c.cfg.Timeout)
		}
		if err := s.logout(ctx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// acquire takes a free session, waiting for one.
func (c *Client) acquire(ctx context.Context) (*session, error) {
	select {
	case <-c.done:
		return nil, errClosed()
	default:
	}
	select {
	case s := <-c.pool:
		return s, nil
	case <-c.done:
		return nil, errClosed()
	case <-ctx.Done():
		return nil, &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "EPP: no free session before the request ended", Err: ctx.Err()}
	}
}

func (c *Client) release(s *session) { c.pool <- s }

func errClosed() error { return tldguard.Errorf(tldguard.EUNAVAILABLE, "EPP client closed") }

// keepAlive sends <hello/> on sessions idle past the interval. It only
// takes sessions that are free at the moment, never waits for one.
func (c *Client) keepAlive() {
	defer c.wg.Done()
	tick := time.NewTicker(max(c.cfg.KeepAlive/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		var idle []*session
	take:
		for range c.sessions {
			select {
			case s := <-c.pool:
				idle = append(idle, s)
			default:
				break take
			}
		}
		for _, s := range idle {
			if s.conn != nil && time.Since(s.lastUsed) >= c.cfg.KeepAlive {
				ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
				if err := s.hello(ctx); err != nil {
					c.log.Warn("EPP keep-alive failed; the session reconnects on next use", "session", s.id, "err", err)
				}
				cancel()
			}
			c.release(s)
		}
	}
}

// clTRID returns a client transaction id unique to this command:
// "tldguard-<reference>-<n>" (RFC 5730 allows 3 to 64 characters).
func (c *Client) clTRID(ref string) string {
	return "tldguard-" + safeRef(ref) + "-" + strconv.FormatUint(c.seq.Add(1), 10)
}

// safeRef keeps a reference short and plain enough for a clTRID.
func safeRef(ref string) string {
	ref = strings.TrimPrefix(ref, "tldguard-")
	var b strings.Builder
	for i := 0; i < len(ref) && b.Len() < 32; i++ {
		ch := ref[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' {
			b.WriteByte(ch)
		}
	}
	if b.Len() == 0 {
		return "cmd"
	}
	return b.String()
}
