package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tldguard/tldguard"
	tghttp "github.com/tldguard/tldguard/http"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/service"
)

// Config is everything Main needs to run the server.
type Config struct {
	Store engine
	Addr  string
	// RateLimit and RateBurst are each credential's request budget (per
	// second, and at once); zero takes the http package's defaults.
	RateLimit float64
	RateBurst int
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after SIGTERM.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	Now             tldguard.Now
	// PolicyFile is the operator's policy (YAML); "" runs the Framework's
	// defaults.
	PolicyFile string
	SMTP       *smtpConfig // the e-mail intake (mail.go); nil leaves it off
	// Checks are the zone check's zones, feeds and schedule from the
	// config file (config.go); nil leaves the scheduler off. LoadChecks
	// reads the file again, for a reload (SIGHUP); nil for none.
	Checks     *checkConfig
	LoadChecks func() (*checkConfig, error)
	// MetricsAddr is the address of the Prometheus /metrics listener
	// (stats.go); "" leaves it off. Transparency publishes the public
	// transparency report.
	MetricsAddr  string
	Transparency bool
	// Notices are the outgoing notices and clock alerts (notice.go).
	Notices *noticeConfig
}

// Main is the running server: the service over the store and the HTTP
// server in front of it. An end-to-end test builds one on port 0.
type Main struct {
	Config  Config
	Service *service.Service
	HTTP    *tghttp.Server
	SMTP    *mail.Server

	jobsStop context.CancelFunc
	jobsDone chan struct{}
	checks   *checkScheduler // scan.go
	stats    *statsRuntime   // stats.go
	notices  *notices        // notice.go
	registry *registryConn   // registry.go; nil for the embedded registry
}

// Run starts the server; it returns once the port is bound.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	m.Config = c
	pol, err := loadPolicy(c.PolicyFile)
	if err != nil {
		return err
	}
	local := localregistry.New(c.Store)
	registry, err := m.openRegistry(ctx, local) // registry.go: the config file's choice
	if err != nil {
		return err
	}
	m.Service = service.New(service.Config{
		Store:    c.Store,
		Registry: registry,
		Adapter:  registry,
		Abuse:    m.abuseContacts(),
		Policy:   pol,
		Now:      c.Now,
		Logger:   c.Logger,
	})
	local.UseWriter(m.Service.GroupWrite) // registry changes share group commits
	m.newStats()
	if err := m.newNotices(); err != nil {
		return err
	}
	srv, err := tghttp.NewServer(tghttp.Config{
		Addr:      c.Addr,
		RateLimit: c.RateLimit,
		RateBurst: c.RateBurst,
		Pinger:    c.Store,
		Logger:    c.Logger,
		Now:       c.Now,
		Metrics:   m.stats.registry,
	}, tghttp.Services{Reports: m.Service, Cases: m.Service, Auth: m.Service, Audit: m.Service, Actions: m.Service, Scans: m.Service,
		Registry: registry, Sessions: m.Service, Admin: m.Service, Directory: m.Service, Stats: m.stats.service})
	if err != nil {
		return err
	}
	m.HTTP = srv
	if err := srv.Open(); err != nil {
		return err
	}
	m.startJobs()
	m.startChecks()
	m.startNotices()
	if err := m.startStats(); err != nil {
		srv.Close(context.Background())
		return err
	}
	if err := m.openSMTP(); err != nil {
		srv.Close(context.Background())
		return err
	}
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() net.Addr { return m.HTTP.Addr() }

// Close stops the server gracefully: in-flight requests finish (up to the
// shutdown timeout), queued writes commit, then the store closes.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	err := m.closeSMTP(ctx)
	if m.HTTP != nil {
		if herr := m.HTTP.Close(ctx); err == nil {
			err = herr
		}
	}
	m.stopChecks()
	m.stopNotices()
	m.stopStats(ctx)
	m.stopJobs()
	if rerr := m.closeRegistry(); err == nil {
		err = rerr
	}
	if m.Service != nil {
		m.Service.Close()
	}
	if cerr := m.Config.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

// serveFlags are the flags serve and demo share.
type serveFlags struct {
	dbFlags
	addr       string
	logFormat  string
	rateLimit  float64
	rateBurst  int
	policyFile string
	smtp       smtpFlags // mail.go
	// configFile is the config file (config.go); checks is what loadChecks
	// read from it.
	configFile string
	checks     *checkConfig
	// metricsAddr and transparency are stats.go's.
	metricsAddr  string
	transparency bool
	notices      noticeFlags // notice.go
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.dbFlags.register(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	fs.StringVar(&f.logFormat, "log-format", "json", "log format: json or text")
	fs.Float64Var(&f.rateLimit, "rate-limit", 0, "requests per second each API token may make on average (default 20)")
	fs.IntVar(&f.rateBurst, "rate-burst", 0, "requests each API token may make at once (default 40)")
	fs.StringVar(&f.policyFile, "policy", "", "the operator's policy file (YAML; default: the Framework's defaults, see tldguard policy show)")
	f.smtp.register(fs)
	fs.StringVar(&f.configFile, "config", "", "the config file: zones, feeds and schedule of the zone check (default DATA/"+configName+" when --data has one)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics on a listener of their own (default off; keep it off the public network)")
	f.notices.register(fs)
	fs.BoolVar(&f.transparency, "transparency", false, "publish the public transparency report (aggregate monthly numbers, no names) at /api/v1/transparency")
}

// config returns the server configuration the flags describe.
func (f *serveFlags) config(store engine, log *slog.Logger) Config {
	return Config{Store: store, Addr: f.addr, Logger: log, RateLimit: f.rateLimit, RateBurst: f.rateBurst, SMTP: f.smtp.config(), PolicyFile: f.policyFile, Checks: f.checks,
		LoadChecks:  func() (*checkConfig, error) { return f.loadCheckConfig(f.configFile) },
		MetricsAddr: f.metricsAddr, Transparency: f.transparency, Notices: f.notices.config(f.data)}
}

func (f *serveFlags) logger(w io.Writer) (*slog.Logger, error) {
	switch f.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	}
	return nil, usagef("--log-format must be json or text")
}

func runServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f serveFlags
	fs := newFlags("serve", errOut)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := f.logger(errOut)
	if err != nil {
		return err
	}
	if err := f.loadChecks(); err != nil {
		return err
	}
	store, err := f.open(ctx)
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, &Main{Config: f.config(store, log)}, out, nil)
}

// serveUntilDone runs m until ctx ends (SIGTERM, SIGINT), then shuts down
// gracefully. ready, if set, runs once the port is bound.
func serveUntilDone(ctx context.Context, m *Main, out io.Writer, ready func(addr string)) error {
	if err := m.Run(ctx); err != nil {
		m.closeRegistry()
		m.Config.Store.Close()
		return err
	}
	addr := m.Addr().String()
	m.Config.Logger.Info("tldguard serving", "addr", addr, "pid", os.Getpid())
	if ready != nil {
		ready(addr)
	} else {
		fmt.Fprintf(out, "tldguard listening on http://%s\n", addr)
	}
	m.printSMTP(out)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for ctx.Err() == nil {
		select {
		case <-hup:
			m.Config.Logger.Info("SIGHUP: reloading the config file")
			m.reloadChecks()
		case <-ctx.Done():
		}
	}
	m.Config.Logger.Info("tldguard shutting down")
	return m.Close()
}
