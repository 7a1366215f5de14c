package service

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/scan"
)

const (
	// DefaultDNSBLMaxNames bounds the names one run looks up in the
	// blocklists.
	DefaultDNSBLMaxNames = 10000
	// dnsblFeedPrefix names a blocklist's findings and reporter:
	// "dnsbl:dbl" files as reporter "feed:dnsbl:dbl".
	dnsblFeedPrefix = "dnsbl:"
	// dnsblFormat is the format of blocklist matches and reports.
	dnsblFormat = "dnsbl"
	// dnsblMaxErrors is how many errors in a row make a run stop asking a
	// blocklist (a dead resolver must not stall the check for hours).
	dnsblMaxErrors = 10
	// DefaultDNSBLConcurrency is how many lookups are in flight at once:
	// one at a time, a resolver 50 ms away allows 20 a second whatever
	// the rate limit.
	DefaultDNSBLConcurrency = 16
)

// DNSBLCheck is the blocklist step of a zone check: after the feeds are
// recorded, every name with an active finding or an open case in the run's
// TLDs is looked up in each list.
type DNSBLCheck struct {
	// Client asks the lists; keep one across runs so its cache and rate
	// limit carry over. Every zone of Lists must be configured in it.
	Client *feed.DNSBL
	Lists  []DNSBLList
	// MaxNames bounds the names looked up per run (default
	// DefaultDNSBLMaxNames); the run's stats say when it cut the list.
	MaxNames int
	// Concurrency is how many lookups are in flight at once (default
	// DefaultDNSBLConcurrency); the Client's rate limit still holds.
	Concurrency int
}

// DNSBLList is one blocklist of a check.
type DNSBLList struct {
	// Name names the list in findings and stats: feed "dnsbl:NAME".
	Name string
	// Zone is the list's DNS zone as configured in the Client.
	Zone string
}

// FeedName is the feed name of the list's findings.
func (l DNSBLList) FeedName() string { return dnsblFeedPrefix + l.Name }

// dnsblTarget is a name to look up and its TLD.
type dnsblTarget struct{ name, tld string }

// checkBlocklists looks the run's names up in the configured blocklists,
// records each listing like a feed match, and delists the findings of
// each list that answered for every name it was asked about, among the
// names it was asked about. The lists' stats and matches are appended to
// res.
func (s *Service) checkBlocklists(ctx context.Context, run *tldguard.ScanRun, res *scan.Result, cfg *DNSBLCheck) ([]Match, error) {
	if cfg == nil || cfg.Client == nil || len(cfg.Lists) == 0 {
		return nil, nil
	}
	maxNames := cfg.MaxNames
	if maxNames <= 0 {
		maxNames = DefaultDNSBLMaxNames
	}
	targets, total, err := s.blocklistTargets(ctx, res.TLDs, maxNames)
	if err != nil {
		return nil, err
	}
	if total > len(targets) {
		s.log.Warn("zone check: the blocklist lookups were cut to max_names", "max_names", maxNames, "names", total)
	}
	var matches []scan.Match
	stats := make([]tldguard.FeedStat, len(cfg.Lists))
	checked := make([]map[string]bool, len(cfg.Lists))
	for i, l := range cfg.Lists {
		st := &stats[i]
		st.Name, st.Format, st.Source = l.FeedName(), dnsblFormat, "dns:"+redactZone(l.Zone)
		if cut := total - len(targets); cut > 0 {
			st.Skipped = int64(cut)
			st.Source += fmt.Sprintf(" (max_names %d: %d of %d names checked)", maxNames, len(targets), total)
		}
		checked[i] = map[string]bool{}
		var errs, inARow int
		var first error
		// Lookups go out a window at a time and are read in order, so the
		// stats and the stop after errors in a row are as if one by one.
		type answer struct {
			r   feed.Result
			err error
		}
		window := make([]answer, cmp.Or(max(cfg.Concurrency, 0), DefaultDNSBLConcurrency))
		for start := 0; start < len(targets) && inARow < dnsblMaxErrors; start += len(window) {
			batch := targets[start:min(start+len(window), len(targets))]
			var wg sync.WaitGroup
			for j, t := range batch {
				wg.Go(func() {
					r, err := cfg.Client.Lookup(ctx, l.Zone, t.name)
					window[j] = answer{r, err}
				})
			}
			wg.Wait()
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			for j, t := range batch {
				if inARow >= dnsblMaxErrors {
					break
				}
				r, err := window[j].r, window[j].err
				switch {
				case err == nil:
				case tldguard.ErrorKind(err) == tldguard.EINVALID && tldguard.ErrorField(err) == "name":
					st.BadLines++ // a name the list cannot be asked about
					continue
				default:
					errs++
					inARow++
					if first == nil {
						first = err
					}
					continue
				}
				inARow = 0
				checked[i][t.name] = true
				st.Entries++
				if !r.Listed {
					continue
				}
				for _, th := range r.Threats {
					matches = append(matches, dnsblMatch(l, t, th, r))
				}
				if len(r.Threats) > 0 {
					st.Matched++
				}
			}
		}
		if first != nil {
			st.Alarm = fmt.Sprintf("%d lookup(s) failed, so this list delists nothing in this run; first: %s",
				errs, tldguard.ErrorMessage(first))
			if inARow >= dnsblMaxErrors {
				st.Alarm += fmt.Sprintf(" (stopped after %d errors in a row)", dnsblMaxErrors)
			}
		}
	}
	recorded, err := s.recordMatches(ctx, run, &scan.Result{Matches: matches}, nil)
	if err != nil {
		return recorded, err
	}
	res.Feeds = append(res.Feeds, stats...)
	res.Matches = append(res.Matches, matches...)
	return recorded, s.delistBlocklists(ctx, run, cfg.Lists, stats, checked, matches)
}

// dnsblMatch is one blocklist listing as a match: no URLs, the answer as
// the one entry of the evidence.
func dnsblMatch(l DNSBLList, t dnsblTarget, th tldguard.ThreatType, r feed.Result) scan.Match {
	codes := make([]string, len(r.Codes))
	for i, c := range r.Codes {
		codes[i] = c.String()
	}
	return scan.Match{
		Domain: t.name, TLD: t.tld, Feed: l.FeedName(), Format: dnsblFormat, Threat: th, Count: 1,
		Compromised: r.Compromised,
		Entries: []feed.Entry{{Host: t.name, Threat: th, Compromised: r.Compromised, Tags: slices.Clone(r.Labels),
			Extra: map[string]string{"zone": redactZone(r.Zone), "codes": strings.Join(codes, " ")}}},
	}
}

// redactZone hides the key of a Spamhaus Data Query Service zone
// ("KEY.dbl.dq.spamhaus.net"), which must not reach the run records.
func redactZone(z string) string {
	if strings.HasSuffix(strings.ToLower(z), ".dq.spamhaus.net") {
		if _, rest, ok := strings.Cut(z, "."); ok {
			return "KEY." + rest
		}
	}
	return z
}

// blocklistTargets returns the names with an active finding or an open
// case in tlds, sorted, at most max of them, and how many there were.
func (s *Service) blocklistTargets(ctx context.Context, tlds []string, max int) ([]dnsblTarget, int, error) {
	in := map[string]bool{}
	for _, t := range tlds {
		in[strings.ToLower(t)] = true
	}
	byName := map[string]string{}
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		clear(byName)
		fs, err := tx.ListFindings(tldguard.FindingFilter{Active: true})
		if err != nil {
			return err
		}
		for _, f := range fs {
			if in[f.TLD] {
				byName[f.Domain] = f.TLD
			}
		}
		for _, t := range tlds {
			cs, err := tx.ListCases(tldguard.CaseFilter{Status: []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress},
				TLD: strings.ToLower(t), Sort: tldguard.SortNewest})
			if err != nil {
				return err
			}
			for _, c := range cs {
				byName[c.Domain] = c.TLD
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]dnsblTarget, 0, len(byName))
	for n, t := range byName {
		if _, err := netip.ParseAddr(n); err == nil || n == "" {
			continue
		}
		out = append(out, dnsblTarget{name: n, tld: t})
	}
	slices.SortFunc(out, func(a, b dnsblTarget) int { return strings.Compare(a.name, b.name) })
	total := len(out)
	if len(out) > max {
		out = out[:max]
	}
	return out, total, nil
}

// delistBlocklists marks delisted, for each list without an alarm, its
// active findings on names it was asked about in this run that it no
// longer lists for the finding's threat. Names the run did not ask about
// (past max_names, or without a finding or case now) keep their findings.
func (s *Service) delistBlocklists(ctx context.Context, run *tldguard.ScanRun, lists []DNSBLList, stats []tldguard.FeedStat, checked []map[string]bool, matches []scan.Match) error {
	listed := map[string]bool{}
	for _, m := range matches {
		listed[m.Feed+"\x00"+m.Domain+"\x00"+string(m.Threat)] = true
	}
	now := s.clock()
	var n int64
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		n = 0
		for i, l := range lists {
			if stats[i].Alarm != "" {
				continue
			}
			fs, err := tx.ListFindings(tldguard.FindingFilter{Feed: l.FeedName(), Active: true})
			if err != nil {
				return err
			}
			var d int64
			for _, f := range fs {
				if !checked[i][f.Domain] || listed[f.Feed+"\x00"+f.Domain+"\x00"+string(f.ThreatType)] {
					continue
				}
				f.DelistedAt = now
				if err := tx.UpdateFinding(f); err != nil {
					return err
				}
				d++
			}
			if d == 0 {
				continue
			}
			n += d
			if err := tx.AppendEvent(event(ctx, now, "finding.delisted", 0, fmt.Sprintf("scan:%d", run.ID), map[string]any{
				"run_id": run.ID, "feed": l.FeedName(), "findings": d,
			})); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		run.Delisted += n
	}
	return err
}
