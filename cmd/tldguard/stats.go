package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/metrics"
	"github.com/tldguard/tldguard/stats"
)

// The statistics from the command line (tldguard stats ...) and their
// side of the server: the monthly snapshot scheduler and the /metrics
// listener.

// statsRuntime is the statistics side of a running server.
type statsRuntime struct {
	service  *stats.Service
	registry *metrics.Registry // nil unless --metrics-addr is set
	metrics  *http.Server
	ln       net.Listener
	cancel   context.CancelFunc
	done     chan struct{}
}

// newStats builds the statistics service (and the metrics registry when
// the config asks for a metrics listener) for Run to hand to the HTTP
// server.
func (m *Main) newStats() {
	c := m.Config
	rt := &statsRuntime{service: stats.New(stats.Config{Store: c.Store, Policy: m.Service.Policy(), Now: c.Now,
		Logger: c.Logger, Transparency: c.Transparency})}
	if c.MetricsAddr != "" {
		rt.registry = metrics.NewRegistry()
		rt.registry.Register("database", rt.service.Collector(0))
	}
	m.stats = rt
}

// startStats starts the monthly snapshot scheduler (the months missed
// while no server ran are taken at once) and the metrics listener.
func (m *Main) startStats() error {
	rt := m.stats
	if rt.registry != nil {
		ln, err := net.Listen("tcp", m.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", rt.registry.Handler())
		rt.ln = ln
		rt.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		go func() {
			if err := rt.metrics.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.Config.Logger.Error("metrics: serve stopped", "err", err)
			}
		}()
		m.Config.Logger.Info("metrics listening", "addr", ln.Addr().String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	rt.cancel, rt.done = cancel, make(chan struct{})
	go func() {
		defer close(rt.done)
		rt.service.Schedule(ctx, 0)
	}()
	return nil
}

// stopStats stops the scheduler (a snapshot in progress rolls back and is
// taken at the next start) and the metrics listener.
func (m *Main) stopStats(ctx context.Context) {
	rt := m.stats
	if rt == nil {
		return
	}
	if rt.cancel != nil {
		rt.cancel()
		<-rt.done
	}
	if rt.metrics != nil {
		rt.metrics.Shutdown(ctx)
	}
}

// MetricsAddr is the metrics listener's address, nil when it is off.
func (m *Main) MetricsAddr() net.Addr {
	if m.stats == nil || m.stats.ln == nil {
		return nil
	}
	return m.stats.ln.Addr()
}

// statsFlags are the flags every stats command shares.
type statsFlags struct {
	dbFlags
	policyFile string
	tld        string
}

func (f *statsFlags) register(fs *flag.FlagSet) {
	f.dbFlags.register(fs)
	fs.StringVar(&f.policyFile, "policy", "", "the operator's policy file, for its clocks and term (default: the Framework's defaults)")
	fs.StringVar(&f.tld, "tld", "", "one of the operator's TLDs (default: every TLD)")
}

// withStats opens the store and runs fn with the statistics service acting
// as the operator at the command line.
func withStats(ctx context.Context, f *statsFlags, fn func(ctx context.Context, s *stats.Service) error) error {
	pol, err := loadPolicy(f.policyFile)
	if err != nil {
		return err
	}
	store, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	// The commands print what they did; the service's log would repeat it.
	return fn(tldguard.System(ctx, cliActor()), stats.New(stats.Config{Store: store, Policy: pol, Logger: slog.New(slog.DiscardHandler)}))
}

// runStats is "tldguard stats": a report (the default) or one of the
// snapshot verbs.
func runStats(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "snapshot":
			return statsSnapshot(ctx, args[1:], out, errOut)
		case "snapshots":
			return statsSnapshots(ctx, args[1:], out, errOut)
		case "show":
			return statsShow(ctx, args[1:], out, errOut)
		case "verify":
			return statsVerify(ctx, args[1:], out, errOut)
		}
	}
	var f statsFlags
	var period, from, to, format, outFile string
	var detail bool
	fs := newFlags("stats", errOut)
	f.register(fs)
	fs.StringVar(&period, "period", "", "a day 2026-10-05, a month 2026-10, a quarter 2026-Q4, a year 2026, or FROM..TO")
	fs.StringVar(&from, "from", "", "a custom period's start (date or RFC 3339 time), with --to")
	fs.StringVar(&to, "to", "", "a custom period's end (a date's whole day included), with --from")
	fs.StringVar(&format, "format", "json", "json, csv or html")
	fs.BoolVar(&detail, "detail", false, "add the per-domain detail (with csv: write the detail instead of the summary)")
	fs.StringVar(&outFile, "out", "", "write to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "Usage: tldguard stats --period P [--tld T] [--format json|csv|html] [--detail] [--out FILE]")
		fmt.Fprintln(errOut, "       tldguard stats snapshot --period MONTH [--tld T]   store a month's report for the term")
		fmt.Fprintln(errOut, "       tldguard stats snapshots                          list the stored snapshots")
		fmt.Fprintln(errOut, "       tldguard stats show --period MONTH [--tld T]      print a stored snapshot's JSON")
		fmt.Fprintln(errOut, "       tldguard stats verify --period MONTH [--tld T]    check a snapshot's seal and re-run it")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := periodFlags(period, from, to)
	if err != nil {
		return err
	}
	if format != "json" && format != "csv" && format != "html" {
		return usagef("--format must be json, csv or html")
	}
	return withStats(ctx, &f, func(ctx context.Context, s *stats.Service) error {
		rep, err := s.Report(ctx, stats.Query{Period: p, TLD: f.tld, Detail: detail})
		if err != nil {
			return err
		}
		w := out
		if outFile != "" {
			file, err := os.OpenFile(outFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			defer file.Close()
			w = file
		}
		switch {
		case format == "csv" && detail:
			err = stats.WriteDetailCSV(w, rep)
		case format == "csv":
			err = stats.WriteCSV(w, rep)
		case format == "html":
			err = stats.WriteHTML(w, rep)
		default:
			var b []byte
			if b, err = stats.EncodeJSON(rep); err == nil {
				_, err = w.Write(b)
			}
		}
		if err != nil {
			return err
		}
		if file, ok := w.(*os.File); ok && outFile != "" {
			return file.Sync()
		}
		return nil
	})
}

// periodFlags reads --period, or --from and --to.
func periodFlags(period, from, to string) (stats.Period, error) {
	switch {
	case period != "" && (from != "" || to != ""):
		return stats.Period{}, usagef("give --period or --from and --to, not both")
	case period != "":
		p, err := stats.ParsePeriod(period)
		if err != nil {
			return p, usagef("--period: %s", tldguard.ErrorMessage(err))
		}
		return p, nil
	case from != "" && to != "":
		p, err := stats.ParseRange(from, to)
		if err != nil {
			return p, usagef("%s", tldguard.ErrorMessage(err))
		}
		return p, nil
	}
	return stats.Period{}, usagef("--period (or --from and --to) is required")
}

// monthFlag reads a --period that must be a calendar month.
// monthArgs parses the flags of a stats command about one stored month:
// the store, --tld and the required --period MONTH.
func monthArgs(verb string, args []string, errOut io.Writer) (statsFlags, stats.Period, error) {
	var f statsFlags
	var period string
	fs := newFlags("stats "+verb, errOut)
	f.register(fs)
	fs.StringVar(&period, "period", "", "the month, e.g. 2026-10")
	if err := parse(fs, args); err != nil {
		return f, stats.Period{}, err
	}
	month, err := monthFlag(period)
	return f, month, err
}

func monthFlag(period string) (stats.Period, error) {
	if period == "" {
		return stats.Period{}, usagef("--period MONTH (e.g. 2026-10) is required")
	}
	p, err := stats.ParsePeriod(period)
	if err != nil || p.Kind != stats.KindMonth {
		return p, usagef("--period must be a month, e.g. 2026-10")
	}
	return p, nil
}

// statsSnapshot stores a month's snapshot: for --tld, or for every TLD
// and each one, skipping those already stored.
func statsSnapshot(ctx context.Context, args []string, out, errOut io.Writer) error {
	f, month, err := monthArgs("snapshot", args, errOut)
	if err != nil {
		return err
	}
	return withStats(ctx, &f, func(ctx context.Context, s *stats.Service) error {
		scopes := []string{f.tld}
		if f.tld == "" {
			scopes = []string{""}
			tlds, err := s.TLDs(ctx)
			if err != nil {
				return err
			}
			scopes = append(scopes, tlds...)
		}
		stored := 0
		for _, tld := range scopes {
			snap, err := s.Snapshot(ctx, month, tld)
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT && f.tld == "" {
				fmt.Fprintf(out, "snapshot %s %s: already stored\n", month.Label, scopeText(tld))
				continue
			}
			if err != nil {
				return err
			}
			stored++
			fmt.Fprintf(out, "snapshot %s %s stored: sha256 %s, audit event %d, kept until %s\n", snap.Period,
				scopeText(snap.TLD), hex.EncodeToString(snap.SHA256), snap.EventSeq, snap.KeepUntil.Format(time.DateOnly))
		}
		fmt.Fprintf(out, "%d snapshot(s) stored\n", stored)
		return nil
	})
}

func scopeText(tld string) string {
	if tld == "" {
		return "(every TLD)"
	}
	return "." + tld
}

func statsSnapshots(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f statsFlags
	fs := newFlags("stats snapshots", errOut)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStats(ctx, &f, func(ctx context.Context, s *stats.Service) error {
		snaps, err := s.Snapshots(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PERIOD\tTLD\tTAKEN\tKEPT UNTIL\tEVENT\tSHA-256")
		for _, sn := range snaps {
			if f.tld != "" && sn.TLD != f.tld {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", sn.Period, scopeText(sn.TLD), sn.CreatedAt.Format(time.RFC3339),
				sn.KeepUntil.Format(time.DateOnly), sn.EventSeq, hex.EncodeToString(sn.SHA256))
		}
		return tw.Flush()
	})
}

// statsShow prints a stored snapshot's JSON exactly as stored and hashed.
func statsShow(ctx context.Context, args []string, out, errOut io.Writer) error {
	f, month, err := monthArgs("show", args, errOut)
	if err != nil {
		return err
	}
	return withStats(ctx, &f, func(ctx context.Context, s *stats.Service) error {
		snap, err := s.StoredSnapshot(ctx, month.Label, f.tld)
		if err != nil {
			return err
		}
		_, err = out.Write(snap.Report)
		return err
	})
}

// statsVerify checks a snapshot's seal and re-runs its month from the
// records; it fails when either does not hold.
func statsVerify(ctx context.Context, args []string, out, errOut io.Writer) error {
	f, month, err := monthArgs("verify", args, errOut)
	if err != nil {
		return err
	}
	return withStats(ctx, &f, func(ctx context.Context, s *stats.Service) error {
		v, err := s.Verify(ctx, month.Label, f.tld)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "snapshot %s %s sha256 %s\n", v.Period, scopeText(v.TLD), v.SHA256)
		fmt.Fprintf(out, "sealed (hash and audit event match): %v\n", v.Sealed)
		fmt.Fprintf(out, "re-run from the records gives the same report: %v\n", v.Reproduced)
		for _, d := range v.Differences {
			fmt.Fprintf(out, "  differs: %s\n", d)
		}
		if !v.Sealed {
			return fmt.Errorf("the snapshot of %s %s does not match its hash or its audit event", v.Period, scopeText(v.TLD))
		}
		if !v.Reproduced {
			return fmt.Errorf("re-running %s %s from the records gives other numbers", v.Period, scopeText(v.TLD))
		}
		return nil
	})
}
