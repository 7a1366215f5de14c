package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/scan"
)

const (
	// scanLease keeps one zone check running at a time across processes
	// and nodes.
	scanLease = "zonecheck"
	// scanLeaseTTL is how long the lease outlives a node that stops
	// without releasing it; a running check renews it every quarter.
	scanLeaseTTL = 2 * time.Minute
	// scanBatch is how many new findings (each a report, maybe a case)
	// one recording transaction carries; scanSeenBatch bounds the matches
	// of one, most of them findings seen again, which cost a row each.
	scanBatch     = 100
	scanSeenBatch = 5000
	// feedReporterPrefix names the reporter account of each feed.
	feedReporterPrefix = "feed:"
)

// ScanConfig is one zone check: what to read, and who asked.
type ScanConfig struct {
	// Trigger says who started the check: "schedule", "cli" or "api".
	Trigger string
	Zones   []scan.Zone
	Feeds   []scan.Feed
	// CacheDir keeps downloaded zones and feeds; required for URLs.
	CacheDir string
	// MaxBadRatio is the share of bad zone lines that fails the check
	// (default scan.DefaultMaxBadRatio).
	MaxBadRatio float64
	// Node names this host in the run record (default: the host name).
	Node string
	// Progress hears the check's stages, then the recording
	// (scan.StageRecord, Count matches recorded).
	Progress   func(scan.Progress)
	HTTPClient *http.Client
	// DNSBL, when set, looks the names of active findings and open cases
	// up in DNS blocklists once the feeds' matches are recorded.
	DNSBL *DNSBLCheck
}

// Match is one finding of a run: a name one feed lists for one threat, and
// where it was recorded.
type Match struct {
	scan.Match
	FindingID int64
	CaseID    int64
	New       bool // a new finding, filed as a report on its case
	NewCase   bool // the finding opened the case
}

// RunScan runs one zone check (admin; a system principal is one) and
// records it: the run itself, a finding per (name, feed, threat) that is
// updated when seen again or created with a report on the case for (name,
// threat), and the delisting of findings that a feed read whole in this
// run no longer lists. Re-running the same inputs creates no finding, case
// or report. Every change is in the audit log.
//
// It returns the run record and the matches even when the check fails
// (the run is then recorded as failed and the error says why). Errors:
// ECONFLICT when a check is already running (on this node or another),
// the check's own (see scan.Run), and the store's.
func (s *Service) RunScan(ctx context.Context, cfg ScanConfig) (*tldguard.ScanRun, []Match, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, nil, err
	}
	if cfg.Trigger == "" {
		cfg.Trigger = "api"
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	holder := fmt.Sprintf("%s:%d:%s", cfg.Node, os.Getpid(), randomHex(6))
	run, err := s.startScan(ctx, cfg, holder)
	if err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	stopRenew := s.keepLease(runCtx, holder, cancel)

	suffixes, err := s.tlds(runCtx)
	var res *scan.Result
	var matches []Match
	if err == nil {
		res, err = scan.Run(runCtx, scan.Config{
			TLDs: suffixes.TLDs(), Zones: cfg.Zones, Feeds: cfg.Feeds, CacheDir: cfg.CacheDir,
			MaxBadRatio: cfg.MaxBadRatio, Registered: s.registered, Progress: cfg.Progress,
			HTTPClient: cfg.HTTPClient, Now: s.now,
		})
	}
	if err == nil {
		matches, err = s.recordMatches(runCtx, run, res, cfg.Progress)
	}
	if err == nil {
		err = s.delist(runCtx, run, res)
	}
	if err == nil {
		var listed []Match
		listed, err = s.checkBlocklists(runCtx, run, res, cfg.DNSBL)
		matches = append(matches, listed...)
	}
	stopRenew()
	if cause := context.Cause(runCtx); err != nil && cause != nil && ctx.Err() == nil {
		err = cause // the lease was lost
	}
	cancel(nil)
	// The outcome is recorded even when ctx ended: a run must not stay
	// "running".
	if ferr := s.finishScan(context.WithoutCancel(ctx), run, res, holder, err); ferr != nil && err == nil {
		err = ferr
	}
	return run, matches, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startScan takes the lease and records the run as running. Runs that are
// still marked running once the lease is ours lost their node; they are
// marked failed.
func (s *Service) startScan(ctx context.Context, cfg ScanConfig, holder string) (*tldguard.ScanRun, error) {
	now := s.clock()
	run := &tldguard.ScanRun{Trigger: cfg.Trigger, Node: cfg.Node, Status: tldguard.ScanRunning, StartedAt: now}
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		run.ID = 0
		ok, err := tx.AcquireLease(scanLease, holder, now, now.Add(scanLeaseTTL))
		if err != nil {
			return err
		}
		recent, err := tx.ListScanRuns(0, 20)
		if err != nil {
			return err
		}
		if !ok {
			for _, r := range recent {
				if r.Status == tldguard.ScanRunning {
					return tldguard.Errorf(tldguard.ECONFLICT, "a zone check is already running on %s (run %d, started %s)",
						r.Node, r.ID, r.StartedAt.UTC().Format(time.RFC3339))
				}
			}
			return tldguard.Errorf(tldguard.ECONFLICT, "a zone check is already running on another node")
		}
		for _, r := range recent {
			if r.Status != tldguard.ScanRunning {
				continue
			}
			r.Status, r.Error, r.FinishedAt = tldguard.ScanFailed, interruptedPrefix+"the node running the check stopped before it finished", now
			if err := tx.UpdateScanRun(r); err != nil {
				return err
			}
			if err := tx.AppendEvent(event(ctx, now, "scan.interrupted", 0, fmt.Sprintf("scan:%d", r.ID), map[string]any{"run_id": r.ID, "node": r.Node})); err != nil {
				return err
			}
		}
		if err := tx.InsertScanRun(run); err != nil {
			return err
		}
		zones := make([]string, len(cfg.Zones))
		for i, z := range cfg.Zones {
			zones[i] = z.Source
		}
		feeds := make([]string, len(cfg.Feeds))
		for i, f := range cfg.Feeds {
			feeds[i] = f.Spec.Name
		}
		return tx.AppendEvent(event(ctx, now, "scan.started", 0, fmt.Sprintf("scan:%d", run.ID), map[string]any{
			"run_id": run.ID, "trigger": run.Trigger, "node": run.Node, "zones": len(zones), "feeds": feeds,
		}))
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// keepLease renews the lease while the check runs, and cancels the check
// if another holder took it. The returned function stops the renewal.
func (s *Service) keepLease(ctx context.Context, holder string, cancel context.CancelCauseFunc) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(scanLeaseTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := s.clock()
			var ok bool
			err := s.store.Write(ctx, func(tx tldguard.Tx) error {
				var err error
				ok, err = tx.AcquireLease(scanLease, holder, now, now.Add(scanLeaseTTL))
				return err
			})
			switch {
			case err != nil:
				s.log.Warn("zone check: renewing the lease failed", "err", err)
			case !ok:
				cancel(tldguard.Errorf(tldguard.ECONFLICT, "the zone check lost its lease to another node; its results were not all recorded"))
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// registered reports whether the registry holds name, whatever its status:
// a registered name absent from the zone is on hold (or has no name
// servers) and still counts.
func (s *Service) registered(ctx context.Context, name string) (bool, error) {
	_, err := s.registry.Lookup(ctx, name)
	switch tldguard.ErrorKind(err) {
	case "":
		return true, nil
	case tldguard.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// findingKey names an active finding.
type findingKey struct {
	domain, feed string
	threat       tldguard.ThreatType
}

// activeFindings returns the active findings on the matches' names.
func activeFindings(tx tldguard.Tx, ms []scan.Match) (map[findingKey]*tldguard.Finding, error) {
	domains := make([]string, 0, len(ms))
	for i, m := range ms {
		if i == 0 || m.Domain != ms[i-1].Domain {
			domains = append(domains, m.Domain)
		}
	}
	fs, err := tx.ActiveFindingsOn(domains)
	if err != nil {
		return nil, err
	}
	out := make(map[findingKey]*tldguard.Finding, len(fs))
	for _, f := range fs {
		out[findingKey{f.Domain, f.Feed, f.ThreatType}] = f
	}
	return out, nil
}

// recordMatches records the matches in transactions of at most scanBatch
// new findings and scanSeenBatch matches: a daily run, whose findings
// exist, updates them in bulk, a few transactions in all.
func (s *Service) recordMatches(ctx context.Context, run *tldguard.ScanRun, res *scan.Result, progress func(scan.Progress)) ([]Match, error) {
	out := make([]Match, 0, len(res.Matches))
	reporters := map[string]*tldguard.Reporter{} // by feed, once committed
	if progress != nil {
		progress(scan.Progress{Stage: scan.StageRecord, Total: int64(len(res.Matches))})
	}
	look := scanBatch // how far the next batch looks ahead
	for start := 0; start < len(res.Matches); {
		chunk := res.Matches[start:min(start+look, len(res.Matches))]
		var active map[findingKey]*tldguard.Finding
		err := s.store.Read(ctx, func(tx tldguard.Tx) error {
			var err error
			active, err = activeFindings(tx, chunk)
			return err
		})
		if err != nil {
			return out, err
		}
		// The batch ends before its scanBatch+1-th new finding.
		n, fresh := 0, 0
		for ; n < len(chunk); n++ {
			if m := chunk[n]; active[findingKey{m.Domain, m.Feed, m.Threat}] == nil {
				if fresh == scanBatch {
					break
				}
				fresh++
			}
		}
		batch := chunk[:n]
		regs, err := s.newRegistrations(ctx, batch, active)
		if err != nil {
			return out, err
		}
		now := s.clock()
		var got []Match
		var created map[string]*tldguard.Reporter
		err = s.store.Write(ctx, func(tx tldguard.Tx) error {
			got, created = got[:0], map[string]*tldguard.Reporter{} // the body may run again
			// Read again inside the transaction: what the batch was cut
			// by may have changed since (another node, a lost lease), and
			// the writes must follow what is stored now.
			cur, err := activeFindings(tx, batch)
			if err != nil {
				return err
			}
			var seen []int64 // unchanged: updated in one statement
			nSeen := 0
			for _, m := range batch {
				if f := cur[findingKey{m.Domain, m.Feed, m.Threat}]; f != nil {
					nSeen++
					if slices.Equal(f.URLs, m.URLs) && f.Compromised == m.Compromised {
						seen = append(seen, f.ID)
					} else {
						f.URLs, f.Compromised, f.LastSeen, f.LastRunID = m.URLs, m.Compromised, now, run.ID
						if err := tx.UpdateFinding(f); err != nil {
							return err
						}
					}
					got = append(got, Match{Match: m, FindingID: f.ID, CaseID: f.CaseID})
					continue
				}
				rep, err := s.feedReporter(ctx, tx, m.Feed, reporters, created, now)
				if err != nil {
					return err
				}
				mt, err := s.newFinding(ctx, tx, run, m, rep, regs[m.Domain], now)
				if err != nil {
					return err
				}
				got = append(got, mt)
			}
			if _, err := tx.SeeFindings(seen, run.ID, now); err != nil {
				return err
			}
			if nSeen == 0 {
				return nil
			}
			return tx.AppendEvent(event(ctx, now, "scan.findings_seen", 0, fmt.Sprintf("scan:%d", run.ID), map[string]any{
				"run_id": run.ID, "findings": nSeen,
			}))
		})
		if err != nil {
			return out, err
		}
		for k, r := range created {
			reporters[k] = r
		}
		for _, m := range got {
			if m.New {
				run.NewFindings++
			}
			if m.NewCase {
				run.NewCases++
			}
		}
		out = append(out, got...)
		if progress != nil {
			progress(scan.Progress{Stage: scan.StageRecord, Count: int64(len(out)), Total: int64(len(res.Matches))})
		}
		start += n
		// Mostly findings seen again: look further ahead next time.
		if fresh*2 < n {
			look = min(look*4, scanSeenBatch)
		} else {
			look = scanBatch
		}
	}
	if progress != nil {
		progress(scan.Progress{Stage: scan.StageRecord, Done: true, Count: int64(len(out)), Total: int64(len(res.Matches))})
	}
	return out, nil
}

// newRegistrations looks up in the registry the names of a batch that
// have no active finding yet (the ones that may open cases), before the
// write transaction. A name the zone delegates but the registry does not
// know is still registered: it gets a registration without a registrar.
func (s *Service) newRegistrations(ctx context.Context, batch []scan.Match, active map[findingKey]*tldguard.Finding) (map[string]*tldguard.Registration, error) {
	regs := map[string]*tldguard.Registration{}
	for _, m := range batch {
		if active[findingKey{m.Domain, m.Feed, m.Threat}] != nil || regs[m.Domain] != nil {
			continue
		}
		reg, err := s.registry.Lookup(ctx, m.Domain)
		switch tldguard.ErrorKind(err) {
		case "":
		case tldguard.ENOTFOUND:
			reg = &tldguard.Registration{Name: m.Domain, TLD: m.TLD}
		default:
			return nil, err
		}
		regs[m.Domain] = reg
	}
	return regs, nil
}

// feedReporter returns the reporter account of a feed, "feed:NAME" with
// source feed, creating it on first use.
func (s *Service) feedReporter(ctx context.Context, tx tldguard.Tx, feedName string, known, created map[string]*tldguard.Reporter, now time.Time) (*tldguard.Reporter, error) {
	if r := known[feedName]; r != nil {
		return r, nil
	}
	if r := created[feedName]; r != nil {
		return r, nil
	}
	name := feedReporterPrefix + feedName
	r, err := tx.ReporterByName(name)
	switch tldguard.ErrorKind(err) {
	case "":
		if r.Source != tldguard.SourceFeed {
			return nil, tldguard.Errorf(tldguard.ECONFLICT, "the reporter account %q is not a feed's (its source is %s); rename it so feed %q can report", name, r.Source, feedName)
		}
	case tldguard.ENOTFOUND:
		r = &tldguard.Reporter{Name: name, Source: tldguard.SourceFeed, CreatedAt: now}
		if err := tx.CreateReporter(r); err != nil {
			return nil, err
		}
		if err := tx.AppendEvent(event(ctx, now, "reporter.created", 0, fmt.Sprintf("reporter:%d", r.ID), map[string]any{
			"reporter_id": r.ID, "name": r.Name, "source": r.Source, "feed": feedName,
		})); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	created[feedName] = r
	return r, nil
}

// newFinding files a report from the feed on the case for (name, threat),
// opening the case if need be, and records the finding.
func (s *Service) newFinding(ctx context.Context, tx tldguard.Tx, run *tldguard.ScanRun, m scan.Match, reporter *tldguard.Reporter, reg *tldguard.Registration, now time.Time) (Match, error) {
	raw := feedEvidence(run.ID, m)
	sum := sha256.Sum256(raw)
	desc := fmt.Sprintf("Feed %s lists %d URL(s) under %s (zone check %d).", m.Feed, m.Count, m.Domain, run.ID)
	if m.Format == dnsblFormat {
		desc = fmt.Sprintf("Blocklist %s lists %s (zone check %d).", strings.TrimPrefix(m.Feed, dnsblFeedPrefix), m.Domain, run.ID)
	}
	report := &tldguard.Report{
		ReporterID: reporter.ID, Source: reporter.Source, Format: "feed:" + m.Format, ThreatType: m.Threat,
		Description: desc,
		Targets:     feedTargets(m), Raw: raw, RawSHA256: sum[:], ContentType: "application/json", ReceivedAt: now,
	}
	if err := tx.InsertReport(report); err != nil {
		return Match{}, err
	}
	if err := tx.AppendEvent(event(ctx, now, "report.received", 0, fmt.Sprintf("report:%d", report.ID), map[string]any{
		"report_id": report.ID, "reporter_id": reporter.ID, "source": reporter.Source, "format": report.Format,
		"threat_type": report.ThreatType, "sha256": hex.EncodeToString(sum[:]), "targets": inputs(report.Targets),
		"run_id": run.ID,
	})); err != nil {
		return Match{}, err
	}
	ev := tldguard.Evidence{ReportID: report.ID, SHA256: sum[:], Size: int64(len(raw)), MediaType: "application/json",
		Filename: "feed-" + m.Feed + ".json", Description: fmt.Sprintf("the entries of feed %s under %s", m.Feed, m.Domain)}
	if err := tx.InsertEvidence(&ev, raw); err != nil {
		return Match{}, err
	}
	pr, why := s.policy.Priority(reporter, nil)
	c, isNew, err := s.fileOn(ctx, tx, report, domainRef{Domain: m.Domain, TLD: m.TLD}, reg, pr, why, now)
	if err != nil {
		return Match{}, err
	}
	if err := tx.LinkReportCase(report.ID, c.ID, 0); err != nil {
		return Match{}, err
	}
	f := &tldguard.Finding{
		Domain: m.Domain, TLD: m.TLD, Feed: m.Feed, ThreatType: m.Threat, URLs: m.URLs, Compromised: m.Compromised,
		CaseID: c.ID, FirstSeen: now, LastSeen: now, LastRunID: run.ID,
	}
	if err := tx.InsertFinding(f); err != nil {
		return Match{}, err
	}
	if err := tx.AppendEvent(event(ctx, now, "finding.new", c.ID, fmt.Sprintf("finding:%d", f.ID), map[string]any{
		"finding_id": f.ID, "run_id": run.ID, "domain": f.Domain, "feed": f.Feed, "threat_type": f.ThreatType,
		"urls": m.Count, "compromised": f.Compromised, "held": m.Held, "report_id": report.ID, "case_id": c.ID,
	})); err != nil {
		return Match{}, err
	}
	return Match{Match: m, FindingID: f.ID, CaseID: c.ID, New: true, NewCase: isNew}, nil
}

// feedTargets turns a match's URLs into report targets.
func feedTargets(m scan.Match) []tldguard.Target {
	ts := make([]tldguard.Target, 0, len(m.URLs))
	for i, u := range m.URLs {
		in := u
		if i < len(m.Entries) {
			if in = m.Entries[i].URL; in == "" {
				in = m.Entries[i].Host
			}
		}
		t, err := dnsname.ParseTarget(u)
		if err != nil {
			t = tldguard.Target{Host: m.Domain}
		}
		t.Input, t.Domain, t.TLD = in, m.Domain, m.TLD
		ts = append(ts, t)
	}
	return ts
}

// feedEntryJSON is one feed entry in a finding's evidence, as the feed
// wrote it.
type feedEntryJSON struct {
	URL         string            `json:"url,omitempty"`
	Host        string            `json:"host"`
	Line        int               `json:"line"`
	ID          string            `json:"id,omitempty"`
	Added       string            `json:"added,omitempty"`
	Status      string            `json:"status,omitempty"`
	Family      string            `json:"family,omitempty"`
	Target      string            `json:"target,omitempty"`
	Ref         string            `json:"reference,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Confidence  int               `json:"confidence,omitempty"`
	Compromised bool              `json:"compromised,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// feedEvidence is the raw document of a feed's report: the matched
// entries, kept with its SHA-256.
func feedEvidence(runID int64, m scan.Match) []byte {
	entries := make([]feedEntryJSON, len(m.Entries))
	for i, e := range m.Entries {
		entries[i] = feedEntryJSON{URL: e.URL, Host: e.Host, Line: e.Line, ID: e.ID, Added: e.Added, Status: e.Status,
			Family: e.Family, Target: e.Target, Ref: e.Ref, Tags: e.Tags, Confidence: e.Confidence,
			Compromised: e.Compromised, Extra: e.Extra}
	}
	b, err := json.MarshalIndent(map[string]any{
		"feed": m.Feed, "format": m.Format, "threat_type": m.Threat, "domain": m.Domain, "tld": m.TLD,
		"run_id": runID, "entries_total": m.Count, "entries_shown": len(entries), "compromised": m.Compromised,
		"held": m.Held, "entries": entries,
	}, "", "  ")
	if err != nil {
		panic("service: feed evidence does not encode: " + err.Error())
	}
	return b
}

// delist marks delisted the findings of each feed read whole in this run
// that the run did not see. A feed that failed, drifted or was read from
// a stale copy delists nothing.
func (s *Service) delist(ctx context.Context, run *tldguard.ScanRun, res *scan.Result) error {
	now := s.clock()
	var n int64
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		n = 0
		for i, fs := range res.Feeds {
			if !res.FeedOK(i) {
				continue
			}
			d, err := tx.DelistFindings(fs.Name, run.ID, now)
			if err != nil {
				return err
			}
			if d == 0 {
				continue
			}
			n += d
			if err := tx.AppendEvent(event(ctx, now, "finding.delisted", 0, fmt.Sprintf("scan:%d", run.ID), map[string]any{
				"run_id": run.ID, "feed": fs.Name, "findings": d,
			})); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		run.Delisted = n
	}
	return err
}

// finishScan records the outcome and gives the lease up.
func (s *Service) finishScan(ctx context.Context, run *tldguard.ScanRun, res *scan.Result, holder string, runErr error) error {
	run.FinishedAt = s.clock()
	run.Status = tldguard.ScanOK
	if runErr != nil {
		run.Status, run.Error = tldguard.ScanFailed, tldguard.ErrorMessage(runErr)
		if errors.Is(runErr, context.Canceled) {
			run.Error = interruptedPrefix + "the check was stopped before it finished"
		}
	}
	if res != nil {
		run.Zones, run.Feeds, run.NamesChecked = res.Zones, res.Feeds, res.NamesChecked
		if runErr == nil {
			run.Findings = int64(len(res.Matches))
			run.ByThreat, run.ByFeed = map[tldguard.ThreatType]int64{}, map[string]int64{}
			for _, m := range res.Matches {
				run.ByThreat[m.Threat]++
				run.ByFeed[m.Feed]++
			}
		}
	}
	alarms := map[string]string{}
	for _, f := range run.Feeds {
		if f.Alarm != "" {
			alarms[f.Name] = f.Alarm
		}
	}
	for _, z := range run.Zones {
		if z.Alarm != "" {
			alarms["zone:"+z.Apex] = z.Alarm
		}
	}
	serials := map[string]uint32{}
	for _, z := range run.Zones {
		serials[z.Apex] = z.Serial
	}
	return s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.UpdateScanRun(run); err != nil {
			return err
		}
		if err := tx.AppendEvent(event(ctx, run.FinishedAt, "scan.finished", 0, fmt.Sprintf("scan:%d", run.ID), map[string]any{
			"run_id": run.ID, "status": run.Status, "error": run.Error, "serials": serials,
			"names_checked": run.NamesChecked, "findings": run.Findings, "new_findings": run.NewFindings,
			"new_cases": run.NewCases, "delisted": run.Delisted, "by_threat": run.ByThreat, "by_feed": run.ByFeed,
			"alarms": alarms,
		})); err != nil {
			return err
		}
		return tx.ReleaseLease(scanLease, holder)
	})
}

// maxScanPage caps one page of runs.
const maxScanPage = 1000

// ScanRuns lists zone-check runs newest first (staff), only ids below
// beforeID when it is not zero. limit is 1..1000 (default 50).
func (s *Service) ScanRuns(ctx context.Context, beforeID int64, limit int) ([]*tldguard.ScanRun, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > maxScanPage:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "limit", "must be between 1 and %d", maxScanPage)
	}
	var runs []*tldguard.ScanRun
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		runs, err = tx.ListScanRuns(beforeID, limit)
		return err
	})
	return runs, err
}

// ScanRun returns one run (staff); ENOTFOUND when there is none.
func (s *Service) ScanRun(ctx context.Context, id int64) (*tldguard.ScanRun, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var run *tldguard.ScanRun
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		run, err = tx.ScanRunByID(id)
		return err
	})
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no zone-check run %d", id)
	}
	return run, err
}

// Findings lists findings newest first (staff).
func (s *Service) Findings(ctx context.Context, f tldguard.FindingFilter) ([]*tldguard.Finding, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var fs []*tldguard.Finding
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		fs, err = tx.ListFindings(f)
		return err
	})
	return fs, err
}
