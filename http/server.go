// Package http serves tldguard over HTTP: the REST API under /api/v1 (JSON,
// errors as RFC 9457 problem details, described by /api/v1/openapi.json) and
// the server-rendered web UI (ui.go). Every route is one row of the route
// table in route.go, which says who may call it; nothing else can register a
// handler.
//
// Authentication is an API token (Authorization: Bearer) or the session
// cookie set by POST /api/v1/session. A state-changing request authenticated
// by the cookie must carry the session's CSRF token in X-CSRF-Token (see
// session.go); bearer requests need none.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/metrics"
)

// Pinger answers whether a dependency (the database) is up; tldguard.Store
// satisfies it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds the server's settings. Zero fields take the defaults below.
type Config struct {
	// Addr is the listen address for Open, e.g. ":8080"; "127.0.0.1:0" picks
	// a free port (read it back with Server.Addr).
	Addr string
	// BodyLimit caps a request body in bytes (default 8 MiB); larger bodies
	// get 413.
	BodyLimit int64
	// RateLimit and RateBurst set the token bucket each credential (API token
	// or session) gets: RateLimit requests per second on average, RateBurst
	// at once (defaults 20 and 40).
	RateLimit float64
	RateBurst int
	// LoginRate and LoginBurst set the per-client-address bucket for
	// POST /api/v1/session (defaults 0.2/s, i.e. 12 a minute, and 10).
	LoginRate  float64
	LoginBurst int
	// MaxBuckets bounds the rate limiters' memory (default 10000 each); idle
	// buckets are evicted first.
	MaxBuckets int
	// TrustProxy says the server sits behind a reverse proxy that sets
	// X-Forwarded-For and X-Forwarded-Proto: the client address is then the
	// last X-Forwarded-For entry, and X-Forwarded-Proto: https counts as TLS
	// (for the cookie's Secure attribute). Leave it false when clients reach
	// the server directly, or they could forge their address.
	TrustProxy bool
	// Pinger is asked by GET /healthz; nil means always healthy.
	Pinger Pinger
	// HealthTimeout is how long /healthz waits for Pinger (default 2s).
	HealthTimeout time.Duration
	// Logger receives request logs and internal errors (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now tldguard.Now
	// Metrics, when set, receives the request counts and latencies by route
	// (metrics.go); serve it on a listener of its own.
	Metrics *metrics.Registry
}

// Defaults for Config.
const (
	DefaultBodyLimit     = 8 << 20
	DefaultRateLimit     = 20
	DefaultRateBurst     = 40
	DefaultLoginRate     = 0.2
	DefaultLoginBurst    = 10
	DefaultMaxBuckets    = 10000
	DefaultHealthTimeout = 2 * time.Second
)

func (c *Config) setDefaults() {
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.RateLimit <= 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.LoginRate <= 0 {
		c.LoginRate = DefaultLoginRate
	}
	if c.LoginBurst <= 0 {
		c.LoginBurst = DefaultLoginBurst
	}
	if c.MaxBuckets <= 0 {
		c.MaxBuckets = DefaultMaxBuckets
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = DefaultHealthTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Services are the root services the handlers consume. Reports, Cases,
// Auth and Audit are required. The rest serve the web UI (see ui.go); a
// page that needs one that is nil answers 503.
type Services struct {
	Reports tldguard.ReportService
	Cases   tldguard.CaseService
	Auth    tldguard.AuthService
	Audit   tldguard.AuditService

	Registry  RegistryReader // registration data on the case page
	Sessions  SessionService // reporter sign-in, sign-out everywhere
	Admin     AdminService   // users, API tokens, reporter accounts
	Directory Directory      // TLDs, registrars, the effective policy
	// Actions proposes, approves and carries out the Framework's actions;
	// nil answers its routes with 503.
	Actions tldguard.ActionService
	// Scans reads the zone check's runs (scan.go); nil serves no runs.
	Scans ScanService
	// Stats computes the statistical reports (stats.go); nil answers its
	// routes with 404.
	Stats StatsService
}

// Server is the HTTP server. Create it with NewServer, start it with Open or
// Serve, stop it with Close; or mount Handler in a server of your own.
type Server struct {
	cfg     Config
	svc     Services
	log     *slog.Logger
	now     tldguard.Now
	mux     *http.ServeMux
	handler http.Handler
	limiter *limiter // per credential
	logins  *limiter // per client address, POST /api/v1/session
	ui      *ui      // the web UI's templates, assets and sign-in lockout

	mu      sync.Mutex
	srv     *http.Server
	ln      net.Listener
	serving chan struct{} // closed when the serve goroutine returns
	err     error         // the serve goroutine's error
}

// NewServer returns a server for the services with cfg's settings. It fails
// when a service is missing.
func NewServer(cfg Config, svc Services) (*Server, error) {
	if svc.Reports == nil || svc.Cases == nil || svc.Auth == nil || svc.Audit == nil {
		return nil, errors.New("http: NewServer needs every service (Reports, Cases, Auth, Audit)")
	}
	cfg.setDefaults()
	s := &Server{
		cfg:     cfg,
		svc:     svc,
		log:     cfg.Logger,
		now:     cfg.Now,
		limiter: newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.MaxBuckets, cfg.Now),
		logins:  newLimiter(cfg.LoginRate, cfg.LoginBurst, cfg.MaxBuckets, cfg.Now),
	}
	ui, err := newUI(cfg.Now)
	if err != nil {
		return nil, err
	}
	s.ui = ui
	mux, err := s.newMux(s.routes())
	if err != nil {
		return nil, err
	}
	s.mux = mux
	s.handler = s.instrument(s.logRequests(s.secureHeaders(http.HandlerFunc(s.dispatch))))
	return s, nil
}

// Handler returns the server's whole handler: routes, security headers,
// request logging.
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on Config.Addr and serves in the background. When it returns
// the port is bound, so Addr gives the actual address even for port 0.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: listen: %w", err)
	}
	if err := s.Serve(ln); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// Serve serves on ln in the background (wrap ln with tls.NewListener for
// TLS). A server serves once: a second Open or Serve fails.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("http: server already started")
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.serving = make(chan struct{})
	srv, done := s.srv, s.serving
	go func() {
		defer close(done)
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			return
		}
		s.log.Error("http: serve stopped", "err", err)
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	return nil
}

// Addr returns the address the server listens on, or nil before Open.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting connections and waits for in-flight requests to
// finish, until ctx is done; then it drops the connections still open and
// returns ctx's error. It also returns an error that stopped serving early.
// Closing a server that never started does nothing.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.serving
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(err, s.err)
}

// dispatch routes r. The mux's own answers for an unknown path or a wrong
// method are plain text; they become problem details here.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	c := &captureWriter{header: http.Header{}}
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusNotFound:
		s.writeProblem(w, r, problem{Status: http.StatusNotFound, Kind: tldguard.ENOTFOUND,
			Detail: "no such resource: " + r.URL.Path})
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", c.header.Get("Allow"))
		s.writeProblem(w, r, problem{Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, c.header.Get("Allow"))})
	default: // a redirect to the cleaned path
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
	}
}

// captureWriter records what the mux's fallback handlers answer.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(b), nil
}

// secureHeaders sets the headers every response carries. API responses are
// data, never a page: nothing may load, frame or sniff them, and no cache
// may keep them (most are authenticated; /api/v1/session returns the CSRF
// token).
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
