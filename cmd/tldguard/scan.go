package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/scan"
	"github.com/tldguard/tldguard/service"
)

// The zone check from the command line (tldguard scan, scan list, feeds)
// and its scheduler inside the server.

// checkScheduler is the zone check's scheduler running inside serve.
type checkScheduler struct {
	sched  *service.Scheduler
	cancel context.CancelFunc
	done   chan struct{}
}

// startChecks starts the scheduler when the config file names zones and
// feeds.
func (m *Main) startChecks() {
	c := m.Config.Checks
	if c == nil || len(c.Zones) == 0 && len(c.Feeds) == 0 {
		return
	}
	if len(c.Zones) == 0 || len(c.Feeds) == 0 {
		m.Config.Logger.Warn("zone check not scheduled: the config file needs both zones and feeds", "config", c.Path)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &service.Scheduler{Service: m.Service, Config: c.scanConfig("schedule"), Interval: c.Interval, Logger: m.Config.Logger}
	cs := &checkScheduler{sched: sc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cs.done)
		sc.Run(ctx)
	}()
	m.checks = cs
	m.Config.Logger.Info("zone check scheduled", "every", c.Interval.String(), "zones", len(c.Zones), "feeds", len(c.Feeds))
}

// stopChecks stops the scheduler; a check in progress ends as failed
// ("interrupted") and the next start runs it again.
func (m *Main) stopChecks() {
	if m.checks != nil {
		m.checks.cancel()
		<-m.checks.done
		m.checks = nil
	}
}

// reloadChecks reads the config file again (SIGHUP) and gives the zone
// check its new zones, feeds, schedule and blocklists: the next run uses
// them, a run in progress finishes with the old ones. A file that does not
// load changes nothing. The other sections (registry, mail, notices) take
// effect at the next start, and the log says so when they changed.
func (m *Main) reloadChecks() {
	log := m.Config.Logger
	if m.Config.LoadChecks == nil {
		log.Warn("config reload: the server was started without a way to read its config file")
		return
	}
	c, err := m.Config.LoadChecks()
	if err != nil {
		log.Error("config reload failed; the zone check keeps its configuration", "err", tldguard.ErrorMessage(err))
		return
	}
	if old := m.Config.Checks; old != nil && c != nil && !reflect.DeepEqual(old.Registry, c.Registry) {
		log.Warn("config reload: the registry section changed; it takes effect at the next start")
	}
	m.Config.Checks = c
	if m.checks != nil && c != nil && len(c.Zones) > 0 && len(c.Feeds) > 0 {
		m.checks.sched.Update(c.scanConfig("schedule"), c.Interval)
		log.Info("config reloaded: zone check rescheduled", "every", c.Interval.String(), "zones", len(c.Zones), "feeds", len(c.Feeds))
		return
	}
	m.stopChecks()
	m.startChecks()
	if m.checks == nil {
		log.Info("config reloaded: no zone check scheduled")
	}
}

// multiFlag is a flag that may be given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runScan(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) > 0 && args[0] == "list" {
		return scanList(ctx, args[1:], out, errOut)
	}
	var f dbFlags
	var zones, feeds multiFlag
	var configFile, threat string
	var asJSON bool
	fs := newFlags("scan", errOut)
	f.register(fs)
	fs.StringVar(&configFile, "config", "", "the config file (default DATA/"+configName+" when --data has one)")
	fs.Var(&zones, "zone", "a zone file or URL to check instead of the configured ones (repeatable); its apex joins the TLDs of this run")
	fs.Var(&feeds, "feed", "FORMAT=PATH_OR_URL: a feed to check against instead of the configured ones (repeatable); FORMAT is "+
		formatNames()+" (list:THREAT, or list with --threat), or a configured feed's name")
	fs.StringVar(&threat, "threat", "", "the threat type of list feeds given with --feed")
	fs.BoolVar(&asJSON, "json", false, "print one JSON document with the run and every finding")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := f.loadCheckConfig(configFile)
	if err != nil {
		return err
	}
	if cfg == nil {
		cfg = &checkConfig{MaxBadRatio: scan.DefaultMaxBadRatio, CacheDir: f.defaultCacheDir()}
	}
	sc := cfg.scanConfig("cli")
	if len(zones) > 0 {
		sc.Zones = nil
		for _, z := range zones {
			if !strings.Contains(z, "://") {
				if abs, err := filepath.Abs(z); err == nil {
					z = abs
				}
			}
			sc.Zones = append(sc.Zones, scan.Zone{Source: z})
		}
	}
	if len(feeds) > 0 {
		if sc.Feeds, err = cliFeeds(feeds, threat, cfg.Feeds); err != nil {
			return err
		}
	}
	if len(sc.Zones) == 0 || len(sc.Feeds) == 0 {
		return usagef("nothing to check: name zones with --zone and feeds with --feed, or configure them (%s)", "zones:, feeds: in "+configName)
	}
	if isTerminal(errOut) {
		p := &progressPrinter{w: errOut}
		sc.Progress = p.update
		defer p.finish()
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		start := time.Now()
		run, matches, err := s.RunScan(ctx, sc)
		if run == nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(scanDocument(run, matches)); jerr != nil && err == nil {
				err = jerr
			}
		} else {
			printRun(out, run, time.Since(start))
		}
		if err != nil {
			return fmt.Errorf("zone check run %d could not be completed: %s", run.ID, describe(err))
		}
		return nil
	})
}

// cliFeeds reads --feed FORMAT=PATH_OR_URL flags.
func cliFeeds(specs []string, threat string, configured []scan.Feed) ([]scan.Feed, error) {
	var out []scan.Feed
	names := map[string]int{}
	for _, spec := range specs {
		kind, src, ok := strings.Cut(spec, "=")
		if !ok || kind == "" || src == "" {
			return nil, usagef("--feed %q: give FORMAT=PATH_OR_URL", spec)
		}
		var f scan.Feed
		if i := slices.IndexFunc(configured, func(c scan.Feed) bool { return c.Spec.Name == kind }); i >= 0 {
			f = configured[i]
		} else {
			format, th, _ := strings.Cut(kind, ":")
			fm, known := formats[format]
			switch {
			case !known:
				return nil, usagef("--feed %q: %q is not a format (%s) nor a configured feed", spec, format, formatNames())
			case fm == feed.FormatCSV:
				return nil, usagef("--feed %q: a csv feed needs its column mapping: configure it in %s and name it", spec, configName)
			case fm == feed.FormatList:
				if th == "" {
					th = threat
				}
				if !tldguard.ThreatType(th).Valid() {
					return nil, usagef("--feed %q: a list needs its threat type: list:THREAT=... or --threat (%s)", spec, threatNames())
				}
			case th != "":
				return nil, usagef("--feed %q: only list feeds take a threat", spec)
			}
			name := format
			if th != "" {
				name += "-" + th
			}
			f = scan.Feed{Spec: feed.Spec{Name: name, Format: fm, Threat: tldguard.ThreatType(th)}, Format: format}
		}
		if n := names[f.Spec.Name]; n > 0 {
			f.Spec.Name += "-" + strconv.Itoa(n+1)
		}
		names[f.Spec.Name]++
		f.Source = src
		if !strings.Contains(src, "://") {
			if abs, err := filepath.Abs(src); err == nil {
				f.Source = abs
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressPrinter shows the check's progress on one terminal line.
type progressPrinter struct {
	w    io.Writer
	last time.Time
	open bool
}

func (p *progressPrinter) update(pr scan.Progress) {
	if !pr.Done && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	var line string
	switch pr.Stage {
	case scan.StageFetch:
		line = "fetching zone " + pr.Name
	case scan.StageFeed:
		line = fmt.Sprintf("reading feed %s: %s entries", pr.Name, count(pr.Count))
	case scan.StageZone:
		line = fmt.Sprintf("checking zone %s: %s names", pr.Name, count(pr.Count))
		if pr.Total > 0 {
			line += fmt.Sprintf(" (%d%%)", 100*pr.Bytes/pr.Total)
		}
	case scan.StageMatch:
		line = fmt.Sprintf("matching: %s findings", count(pr.Count))
	case scan.StageRecord:
		line = fmt.Sprintf("recording findings: %s of %s", count(pr.Count), count(pr.Total))
	}
	if pr.Err != nil {
		line += ": " + describe(pr.Err)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.open = true
	if pr.Done {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

func (p *progressPrinter) finish() {
	if p.open {
		fmt.Fprintln(p.w)
	}
}

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// printRun writes a run's summary for a person.
func printRun(w io.Writer, r *tldguard.ScanRun, took time.Duration) {
	status := string(r.Status)
	if r.Status == tldguard.ScanFailed {
		status = "FAILED: " + r.Error
	}
	fmt.Fprintf(w, "zone check run %d: %s (%s on %s, %s)\n", r.ID, status, r.Trigger, r.Node, took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, z := range r.Zones {
		name := z.Apex
		if name == "" {
			name = z.Source
		}
		note := z.Error
		if z.Alarm != "" {
			note = "ALARM: " + z.Alarm
		}
		fmt.Fprintf(tw, "  zone %s\tserial %d\t%s names\t%s records\t%s bad lines\t%s\n", name, z.Serial, count(z.Names), count(z.Records), count(z.BadLines), note)
	}
	for _, f := range r.Feeds {
		alarm := ""
		if f.Alarm != "" {
			alarm = "ALARM: " + f.Alarm
		}
		fmt.Fprintf(tw, "  feed %s\t%s\t%s entries\t%s bad lines\t%s skipped\t%s matched\t%s\n", f.Name, f.Format, count(f.Entries), count(f.BadLines), count(f.Skipped), count(f.Matched), alarm)
	}
	tw.Flush()
	var by []string
	for _, t := range tldguard.ThreatTypes {
		if n := r.ByThreat[t]; n > 0 {
			by = append(by, fmt.Sprintf("%s %d", t, n))
		}
	}
	detail := ""
	if len(by) > 0 {
		detail = " (" + strings.Join(by, ", ") + ")"
	}
	fmt.Fprintf(w, "  %s names checked; %d findings%s; %d new findings, %d new cases, %d delisted\n",
		count(r.NamesChecked), r.Findings, detail, r.NewFindings, r.NewCases, r.Delisted)
}

// runJSON is a run as the CLI prints it (the API's field names).
type runJSON struct {
	ID           int64                         `json:"id"`
	Trigger      string                        `json:"trigger"`
	Node         string                        `json:"node"`
	Status       tldguard.ScanStatus           `json:"status"`
	Error        string                        `json:"error,omitempty"`
	StartedAt    time.Time                     `json:"started_at"`
	FinishedAt   *time.Time                    `json:"finished_at,omitempty"`
	Zones        []tldguard.ZoneStat           `json:"zones"`
	Feeds        []tldguard.FeedStat           `json:"feeds"`
	NamesChecked int64                         `json:"names_checked"`
	Findings     int64                         `json:"findings"`
	NewFindings  int64                         `json:"new_findings"`
	NewCases     int64                         `json:"new_cases"`
	Delisted     int64                         `json:"delisted"`
	ByThreat     map[tldguard.ThreatType]int64 `json:"by_threat"`
	ByFeed       map[string]int64              `json:"by_feed"`
}

func toRunJSON(r *tldguard.ScanRun) runJSON {
	out := runJSON{ID: r.ID, Trigger: r.Trigger, Node: r.Node, Status: r.Status, Error: r.Error, StartedAt: r.StartedAt.UTC(),
		Zones: r.Zones, Feeds: r.Feeds, NamesChecked: r.NamesChecked, Findings: r.Findings, NewFindings: r.NewFindings,
		NewCases: r.NewCases, Delisted: r.Delisted, ByThreat: r.ByThreat, ByFeed: r.ByFeed}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	if out.Zones == nil {
		out.Zones = []tldguard.ZoneStat{}
	}
	if out.Feeds == nil {
		out.Feeds = []tldguard.FeedStat{}
	}
	if out.ByThreat == nil {
		out.ByThreat = map[tldguard.ThreatType]int64{}
	}
	if out.ByFeed == nil {
		out.ByFeed = map[string]int64{}
	}
	return out
}

// findingJSON is one listed name and threat with every feed that lists it.
type findingJSON struct {
	Name        string              `json:"name"`
	TLD         string              `json:"tld"`
	Threat      tldguard.ThreatType `json:"threat"`
	Feeds       []string            `json:"feeds"`
	URLs        []string            `json:"urls"`
	Entries     int                 `json:"entries"`
	Case        string              `json:"case,omitempty"`
	CaseID      int64               `json:"case_id,omitempty"`
	New         bool                `json:"new"`
	Held        bool                `json:"held,omitempty"`
	Compromised bool                `json:"compromised,omitempty"`
}

type scanDocJSON struct {
	Run      runJSON       `json:"run"`
	Findings []findingJSON `json:"findings"`
}

// scanDocument is the --json output: the run and its findings by name and
// threat.
func scanDocument(run *tldguard.ScanRun, matches []service.Match) scanDocJSON {
	doc := scanDocJSON{Run: toRunJSON(run), Findings: []findingJSON{}}
	at := map[string]int{}
	for _, m := range matches {
		k := m.Domain + "\x00" + string(m.Threat)
		i, ok := at[k]
		if !ok {
			i = len(doc.Findings)
			at[k] = i
			doc.Findings = append(doc.Findings, findingJSON{Name: m.Domain, TLD: m.TLD, Threat: m.Threat, Feeds: []string{}, URLs: []string{}})
		}
		f := &doc.Findings[i]
		f.Feeds = append(f.Feeds, m.Feed)
		for _, u := range m.URLs {
			if !slices.Contains(f.URLs, u) {
				f.URLs = append(f.URLs, u)
			}
		}
		f.Entries += m.Count
		f.New = f.New || m.New
		f.Held = f.Held || m.Held
		f.Compromised = f.Compromised || m.Compromised
		if m.CaseID != 0 {
			f.CaseID, f.Case = m.CaseID, tldguard.CaseNumber(m.CaseID)
		}
	}
	for i := range doc.Findings {
		slices.Sort(doc.Findings[i].URLs)
	}
	return doc
}

// scanList: "scan list" prints the runs, newest first.
func scanList(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var limit int
	var asJSON bool
	fs := newFlags("scan list", errOut)
	f.register(fs)
	fs.IntVar(&limit, "limit", 20, "how many runs to show (newest first)")
	fs.BoolVar(&asJSON, "json", false, "print the runs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if limit < 1 || limit > 1000 {
		return usagef("--limit must be from 1 to 1000")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		runs, err := s.ScanRuns(ctx, 0, limit)
		if err != nil {
			return err
		}
		if asJSON {
			list := make([]runJSON, len(runs))
			for i, r := range runs {
				list[i] = toRunJSON(r)
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tTRIGGER\tNODE\tSTARTED\tTOOK\tSERIALS\tNAMES\tFINDINGS\tNEW\tNEW CASES\tDELISTED\tALARMS")
		for _, r := range runs {
			took := "-"
			if !r.FinishedAt.IsZero() {
				took = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
			}
			var serials []string
			for _, z := range r.Zones {
				serials = append(serials, fmt.Sprintf("%s:%d", z.Apex, z.Serial))
			}
			alarms := 0
			for _, fd := range r.Feeds {
				if fd.Alarm != "" {
					alarms++
				}
			}
			for _, z := range r.Zones {
				if z.Alarm != "" {
					alarms++
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Status, r.Trigger, r.Node,
				r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"), took, strings.Join(serials, ","), count(r.NamesChecked),
				r.Findings, r.NewFindings, r.NewCases, r.Delisted, alarms)
			if r.Error != "" {
				fmt.Fprintf(tw, "\t%s\n", r.Error)
			}
		}
		return tw.Flush()
	})
}

// runFeeds: "feeds" lists the configured feeds, their cached copies and
// what the last run read from each.
func runFeeds(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var configFile string
	fs := newFlags("feeds", errOut)
	f.register(fs)
	fs.StringVar(&configFile, "config", "", "the config file (default DATA/"+configName+" when --data has one)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := f.loadCheckConfig(configFile)
	if err != nil {
		return err
	}
	if cfg == nil || len(cfg.Feeds) == 0 {
		fmt.Fprintln(out, "no feeds configured (feeds: in "+configName+")")
		return nil
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		last := map[string]tldguard.FeedStat{}
		lastAt := map[string]time.Time{}
		runs, err := s.ScanRuns(ctx, 0, 50)
		if err != nil {
			return err
		}
		for _, r := range runs {
			for _, fd := range r.Feeds {
				if _, ok := last[fd.Name]; !ok {
					last[fd.Name], lastAt[fd.Name] = fd, r.StartedAt
				}
			}
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tFORMAT\tSOURCE\tLAST FETCH\tLAST CHECKED\tSIZE\tLAST RUN\tSTATUS")
		for _, fd := range cfg.Feeds {
			fetched, checked, size := "never", "-", "-"
			src, err := feed.NewSource(feed.SourceConfig{Name: fd.Spec.Name, Location: fd.Source, CacheDir: filepath.Join(cfg.CacheDir, "feeds")})
			if err == nil {
				if c, at, ok := src.Cached(); ok {
					fetched, size = c.FetchedAt.UTC().Format("2006-01-02 15:04Z"), count(c.Size)
					if !at.IsZero() {
						checked = at.UTC().Format("2006-01-02 15:04Z")
					}
				}
			}
			runAt, status := "-", "not read yet"
			if st, ok := last[fd.Spec.Name]; ok {
				runAt = lastAt[fd.Spec.Name].UTC().Format("2006-01-02 15:04Z")
				status = fmt.Sprintf("ok: %s entries, %s matched", count(st.Entries), count(st.Matched))
				if st.Alarm != "" {
					status = "ALARM: " + st.Alarm
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fd.Spec.Name, fd.Format, scan.Redact(fd.Source), fetched, checked, size, runAt, status)
		}
		return tw.Flush()
	})
}
