// Package scan is the matching engine of the periodic zone check
// (Specification 11 §3(b)): it reads the operator's reputation feeds into
// an in-memory index, streams each zone file against it, and says which
// registered names the feeds list, for which threat, with which URLs.
//
// It reads files and downloads (zones and feeds through feed.Source, so a
// download is conditional and a failed one falls back to the last good
// copy) and touches no database: the service package records what Run
// returns as findings and cases.
//
// Memory grows with the feeds, never with the zone. Each feed host in one
// of the run's TLDs is indexed under each of its ancestors strictly below
// the TLD; the zone's delegated names are looked up in that index as the
// zone reader yields them, without allocating. Once every zone is read,
// each feed host belongs to its longest ancestor that the zone delegates
// (the registry's own delegations decide, not the public suffix list);
// hosts under no delegated name are matched against names that are
// registered but absent from the zone (on hold), which the caller supplies.
package scan

import (
	"context"
	"net/http"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
)

// Defaults for Config.
const (
	// DefaultMaxURLs caps the URLs (and feed entries kept as evidence) of
	// one match; Match.Count still counts them all.
	DefaultMaxURLs = 20
	// DefaultMaxBadRatio is the share of bad lines a zone may hold before
	// the check fails rather than run short.
	DefaultMaxBadRatio = 0.01
	// DefaultZoneTimeout bounds one zone download.
	DefaultZoneTimeout = time.Hour
	// DefaultZoneMaxBytes caps one zone download (the largest gTLD zone,
	// compressed, is a few GB).
	DefaultZoneMaxBytes = 64 << 30
	// DefaultZoneMaxAge is how old the last good copy of a zone may be
	// for a check to read it when the download fails.
	DefaultZoneMaxAge = 72 * time.Hour
)

// Zone names one zone file to check.
type Zone struct {
	// Source is a file path (or file:// URL), or an http(s) URL downloaded
	// into the cache directory with a conditional GET. gzip is detected.
	Source string
	// Apex is the zone's apex, e.g. "example". When empty it is read from
	// the SOA record at the top of the file.
	Apex string
}

// Feed names one reputation feed to read.
type Feed struct {
	// Spec says how to read it; Spec.Name names the feed in findings and
	// in the cache.
	Spec feed.Spec
	// Format is the format as the operator wrote it ("phishtank-json");
	// it goes into the stats and the reports. Empty means Spec.Format.
	Format string
	// Source is a file path or an http(s) URL.
	Source string
}

// Config is one check.
type Config struct {
	// TLDs are the operator's TLDs. Each zone's apex is added to them for
	// this run; feed hosts outside them are skipped and counted.
	TLDs  []string
	Zones []Zone
	Feeds []Feed
	// CacheDir keeps downloaded zones and feeds (their last good copies);
	// required when a source is a URL.
	CacheDir string
	// MaxBadRatio is the share of bad lines past which a zone fails the
	// check (default DefaultMaxBadRatio).
	MaxBadRatio float64
	// MaxURLs caps the URLs kept per match (default DefaultMaxURLs).
	MaxURLs int
	// Held lists names that are registered but absent from the zones
	// (serverHold, clientHold, no name servers); they count as delegated.
	Held []string
	// Registered, when set, is asked about the registered name of each
	// feed host that no zone delegates, once per name: true counts it as
	// delegated (on hold). An error fails the check.
	Registered func(ctx context.Context, name string) (bool, error)
	// Progress, when set, hears how the check goes. Calls are serialised.
	Progress func(Progress)
	// HTTPClient fetches URL sources (default: feed.Source's client).
	HTTPClient *http.Client
	// FeedTimeout bounds one feed download (default: feed.Source's, 2m).
	FeedTimeout time.Duration
	// ZoneMaxAge is how old the last good copy of a zone URL may be for
	// the check to read it when the download fails (default
	// DefaultZoneMaxAge); the zone's stats then say so. A negative value
	// never reads a copy: a failed download fails the check.
	ZoneMaxAge time.Duration
	// Now is the clock for the sources (default time.Now).
	Now func() time.Time
}

// Match is one registered name that one feed lists for one threat: the
// unit the service records as a finding.
type Match struct {
	Domain string // the registered name: the longest delegated ancestor of the feed's hosts
	TLD    string
	Feed   string // Feed.Spec.Name
	Format string // Feed.Format
	Threat tldguard.ThreatType
	// URLs are the feed's URLs under the name (the name itself for an
	// entry without a URL), normalised, sorted, at most Config.MaxURLs.
	URLs []string
	// Count is how many of the feed's entries fall under the name.
	Count int
	// Compromised is set when the feed says a host under the name is a
	// legitimate site that was broken into.
	Compromised bool
	// Held is set when the zone does not delegate the name and it matched
	// as registered but absent from the zone.
	Held bool
	// Entries are the feed entries behind URLs, as the feed wrote them,
	// for the evidence.
	Entries []feed.Entry
}

// Result is what a check saw. Run returns it even when the check fails,
// so that the failure can be recorded with what was read.
type Result struct {
	// TLDs are the TLDs checked in this run: Config.TLDs and the apexes.
	TLDs []string
	// Zones and Feeds are in Config order. A FeedStat with an Alarm must
	// not delist anything: the feed failed, drifted or was stale.
	Zones []tldguard.ZoneStat
	Feeds []tldguard.FeedStat
	// Matches are sorted by domain, feed and threat.
	Matches      []Match
	NamesChecked int64
}

// FeedOK reports whether feed i was read fresh and whole, so that names
// it no longer lists may be delisted.
func (r *Result) FeedOK(i int) bool {
	return i < len(r.Feeds) && r.Feeds[i].Alarm == "" && !r.Feeds[i].Stale
}

// Stage names a phase of a check in Progress.
type Stage string

const (
	StageFetch Stage = "fetch" // downloading or checking a zone file
	StageFeed  Stage = "feed"  // reading a feed into the index
	StageZone  Stage = "zone"  // streaming a zone against the index
	StageMatch Stage = "match" // assigning feed hosts to registered names
	// StageRecord is not Run's: it names the caller's recording of the
	// matches (the service reports it through the same callback).
	StageRecord Stage = "record"
)

// Progress is one report of how a check goes.
type Progress struct {
	Stage Stage
	Name  string // the feed's name, or the zone's source
	Done  bool   // the stage finished for Name
	// Bytes and Total are the zone file's bytes read so far and its size.
	Bytes, Total int64
	// Count is entries read (feed) or names checked (zone) so far.
	Count int64
	Err   error // set with Done when the stage failed for Name
}
