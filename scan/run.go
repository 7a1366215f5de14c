package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/zone"
)

// zoneProgressEvery is how many names pass between two zone progress
// reports.
const zoneProgressEvery = 1 << 18

// Run performs one check: it fetches the zones, reads every feed into the
// index while the first zone starts streaming, streams each zone against
// the index, and assigns the feed hosts to registered names.
//
// It returns the Result and, when the check could not be completed, an
// *tldguard.Error saying why: a zone that could not be fetched or read or
// whose bad lines passed the ratio (the run must not look complete when it
// is short), or every feed failed. A feed that fails alone is no error:
// its FeedStat carries the alarm. The Result is never nil.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r := &runner{cfg: cfg}
	if r.cfg.MaxURLs <= 0 {
		r.cfg.MaxURLs = DefaultMaxURLs
	}
	if r.cfg.MaxBadRatio <= 0 {
		r.cfg.MaxBadRatio = DefaultMaxBadRatio
	}
	if r.cfg.Now == nil {
		r.cfg.Now = time.Now
	}
	res := &Result{
		Zones: make([]tldguard.ZoneStat, len(cfg.Zones)),
		Feeds: make([]tldguard.FeedStat, len(cfg.Feeds)),
	}
	for i, z := range cfg.Zones {
		res.Zones[i] = tldguard.ZoneStat{Apex: strings.TrimSuffix(strings.ToLower(z.Apex), "."), Source: Redact(z.Source)}
	}
	for i, f := range cfg.Feeds {
		res.Feeds[i] = tldguard.FeedStat{Name: f.Spec.Name, Format: f.format(), Source: Redact(f.Source)}
	}
	if len(cfg.Zones) == 0 {
		return res, tldguard.Errorf(tldguard.EINVALID, "no zone to check: configure zones or name one with --zone")
	}
	if len(cfg.Feeds) == 0 {
		return res, tldguard.Errorf(tldguard.EINVALID, "no feed to check against: configure feeds or name one with --feed")
	}

	// Zones first: their apexes widen the run's TLDs, and a zone that
	// cannot be had fails the run before anything is read.
	paths := make([]string, len(cfg.Zones))
	for i := range cfg.Zones {
		path, apex, err := r.prepareZone(ctx, i)
		if err != nil {
			res.Zones[i].Error = tldguard.ErrorMessage(err)
			return res, zoneError(cfg.Zones[i], err)
		}
		paths[i], res.Zones[i].Apex = path, apex
	}
	tlds := slices.Clone(cfg.TLDs)
	for _, z := range res.Zones {
		if z.Apex != "." {
			tlds = append(tlds, z.Apex)
		}
	}
	set, err := newTLDSet(tlds)
	if err != nil {
		return res, err
	}
	res.TLDs = set.suffixes.TLDs()

	ix, err := r.readAll(ctx, set, paths, res)
	if err != nil {
		return res, err
	}
	for _, h := range cfg.Held {
		if name, err := dnsname.Normalize(h); err == nil {
			ix.markHeld(name)
		}
	}
	r.progress(Progress{Stage: StageMatch})
	matches, matched, err := ix.match(ctx, cfg.Feeds, r.cfg.MaxURLs, cfg.Registered)
	if err != nil {
		kind := tldguard.ErrorKind(err)
		if kind == tldguard.EINTERNAL {
			kind = tldguard.EUNAVAILABLE
		}
		return res, &tldguard.Error{Kind: kind, Message: "looking up the registry for names absent from the zone failed: " + tldguard.ErrorMessage(err), Err: err}
	}
	for i := range res.Feeds {
		res.Feeds[i].Matched = matched[i]
	}
	res.Matches = matches
	r.progress(Progress{Stage: StageMatch, Done: true, Count: int64(len(matches))})
	return res, nil
}

type runner struct {
	cfg Config
	mu  sync.Mutex // serialises Progress
}

// cacheDir is where downloads of one kind are kept; "" (and so an error
// for a URL source) without Config.CacheDir.
func (r *runner) cacheDir(kind string) string {
	if r.cfg.CacheDir == "" {
		return ""
	}
	return filepath.Join(r.cfg.CacheDir, kind)
}

func (r *runner) progress(p Progress) {
	if r.cfg.Progress == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg.Progress(p)
}

func zoneError(z Zone, err error) error {
	kind := tldguard.ErrorKind(err)
	if kind == tldguard.EINTERNAL || kind == "" {
		kind = tldguard.EUNAVAILABLE
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &tldguard.Error{Kind: kind, Message: fmt.Sprintf("zone %s could not be checked: %s", Redact(z.Source), tldguard.ErrorMessage(err)), Err: err}
}

// prepareZone makes the zone file available locally and finds its apex.
func (r *runner) prepareZone(ctx context.Context, i int) (path, apex string, err error) {
	z := r.cfg.Zones[i]
	r.progress(Progress{Stage: StageFetch, Name: Redact(z.Source)})
	path = strings.TrimPrefix(z.Source, "file://")
	if isURL(z.Source) {
		sum := sha256.Sum256([]byte(z.Source))
		src, err := feed.NewSource(feed.SourceConfig{
			Name: "zone-" + hex.EncodeToString(sum[:8]), Location: z.Source,
			CacheDir: r.cacheDir("zones"), Timeout: DefaultZoneTimeout,
			MaxBytes: DefaultZoneMaxBytes, Client: r.cfg.HTTPClient, Now: r.cfg.Now,
		})
		if err != nil {
			return "", "", err
		}
		// A zone that could not be downloaded fails the run, even with an
		// older copy at hand: the check must say which zone it read.
		got, err := src.Fetch(ctx)
		if err != nil {
			return "", "", err
		}
		path = got.Path
	} else if fi, err := os.Stat(path); err != nil {
		return "", "", &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: fmt.Sprintf("cannot read %s", path), Err: err}
	} else if !fi.Mode().IsRegular() {
		return "", "", tldguard.Errorf(tldguard.EUNAVAILABLE, "%s is not a regular file", path)
	}
	r.progress(Progress{Stage: StageFetch, Name: Redact(z.Source), Done: true})
	if z.Apex != "" {
		a, err := canonicalApex(z.Apex)
		return path, a, err
	}
	apex, err = peekApex(ctx, path)
	return path, apex, err
}

func canonicalApex(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "." {
		return ".", nil
	}
	a, err := dnsname.Normalize(strings.TrimPrefix(s, "."))
	if err != nil {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "apex", "%s", tldguard.ErrorMessage(err))
	}
	return a, nil
}

var errPeeked = errors.New("scan: apex found")

// peekApex reads the top of a zone file for its SOA record: the first
// delegation ends the read, so only a few lines are decompressed.
func peekApex(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "cannot open the zone file", Err: err}
	}
	defer f.Close()
	z := zone.NewReader(f, zone.Options{Name: filepath.Base(path)})
	err = z.Read(ctx, func([]byte) error { return errPeeked })
	st := z.Stats()
	if len(st.Serials) == 0 {
		if err != nil && err != errPeeked {
			return "", err
		}
		return "", tldguard.Errorf(tldguard.EUNPROCESSABLE, "the file starts with no SOA record, so its apex is unknown: give the zone's apex")
	}
	if len(st.Serials) > 1 {
		return "", tldguard.Errorf(tldguard.EUNPROCESSABLE, "the file holds SOA records of %d zones: give the apex to check", len(st.Serials))
	}
	for apex := range st.Serials {
		return apex, nil
	}
	return "", nil
}

// maxPending bounds the names the first zone may yield before the index is
// ready (see readAll): about a second of a zone's names at line rate. A
// variable for tests.
var maxPending = 32 << 20

var errFeedsFailed = errors.New("scan: every feed failed")

// readAll reads the feeds into the index and streams every zone against
// it. The feeds are read while the first zone is already being
// decompressed and parsed: its names wait in a bounded buffer until the
// index is ready, so that reading the feeds hides behind the zone's
// decompression instead of coming before it. Memory stays bounded: when
// the buffer is full the zone waits for the feeds.
func (r *runner) readAll(ctx context.Context, set *tldSet, paths []string, res *Result) (*index, error) {
	feedCtx, cancelFeeds := context.WithCancel(ctx)
	defer cancelFeeds()
	var (
		ix      *index
		feedErr error
		ready   atomic.Bool
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		// One core is the zone's decompression, the critical path; the
		// feeds share the others.
		ix, feedErr = r.readFeeds(feedCtx, set, res, max(1, runtime.GOMAXPROCS(0)-1))
		if feedErr == nil {
			ix.build()
			ready.Store(true)
		}
	}()
	// wait returns once the index is ready, with the feeds' error.
	wait := func() error {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if feedErr != nil {
			return errFeedsFailed
		}
		return nil
	}
	pending := &pendingNames{}
	visit := func(name []byte) error {
		if pending != nil {
			if !ready.Load() && pending.size+len(name) <= maxPending {
				pending.add(name)
				return nil
			}
			if err := wait(); err != nil {
				return err
			}
			pending.each(ix.mark)
			pending = nil
		}
		ix.mark(name)
		return nil
	}
	fail := func(i int, err error) (*index, error) {
		cancelFeeds()
		<-done
		switch {
		case errors.Is(err, errFeedsFailed):
			return nil, feedErr
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		res.Zones[i].Error = tldguard.ErrorMessage(err)
		return nil, zoneError(r.cfg.Zones[i], err)
	}
	for i := range r.cfg.Zones {
		if i > 0 {
			visit = func(name []byte) error { ix.mark(name); return nil }
		}
		if err := r.readZone(ctx, visit, paths[i], &res.Zones[i]); err != nil {
			return fail(i, err)
		}
		if i == 0 && pending != nil {
			if err := wait(); err != nil {
				return fail(0, err)
			}
			pending.each(ix.mark)
			pending = nil
		}
		res.NamesChecked += res.Zones[i].Names
	}
	return ix, nil
}

// pendingNames holds zone names until the index is ready, each with a
// two-byte length, in chunks so that growing never copies.
type pendingNames struct {
	chunks [][]byte
	size   int
}

func (p *pendingNames) add(name []byte) {
	const chunk = 1 << 20
	if n := len(p.chunks); n == 0 || cap(p.chunks[n-1])-len(p.chunks[n-1]) < len(name)+2 {
		p.chunks = append(p.chunks, make([]byte, 0, max(chunk, len(name)+2)))
	}
	c := &p.chunks[len(p.chunks)-1]
	*c = append(*c, byte(len(name)>>8), byte(len(name)))
	*c = append(*c, name...)
	p.size += len(name) + 2
}

func (p *pendingNames) each(fn func([]byte) bool) {
	for _, c := range p.chunks {
		for len(c) > 0 {
			n := int(c[0])<<8 | int(c[1])
			fn(c[2 : 2+n])
			c = c[2+n:]
		}
	}
}

// readFeeds reads every feed into the index, par of them at once, and
// fills the feed stats. It fails only when every feed failed.
func (r *runner) readFeeds(ctx context.Context, set *tldSet, res *Result, par int) (*index, error) {
	parts := make([]*feedIndex, len(r.cfg.Feeds))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range r.cfg.Feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			parts[i] = r.readFeed(ctx, i, set, &res.Feeds[i])
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix := &index{}
	var alarms []string
	for i, p := range parts {
		if p == nil {
			alarms = append(alarms, res.Feeds[i].Name+": "+res.Feeds[i].Alarm)
			continue
		}
		ix.merge(p)
	}
	if len(alarms) == len(parts) {
		return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "every feed failed: %s", strings.Join(alarms, "; "))
	}
	return ix, nil
}

// readFeed fetches and reads feed i. It returns nil when the feed gave
// nothing usable (st.Alarm says why); a stale copy is read, with an alarm.
func (r *runner) readFeed(ctx context.Context, i int, set *tldSet, st *tldguard.FeedStat) *feedIndex {
	f := r.cfg.Feeds[i]
	r.progress(Progress{Stage: StageFeed, Name: f.Spec.Name})
	fail := func(alarm string, err error) *feedIndex {
		st.Alarm = alarm
		r.progress(Progress{Stage: StageFeed, Name: f.Spec.Name, Done: true, Err: err})
		return nil
	}
	spec := f.Spec
	src, err := feed.NewSource(feed.SourceConfig{
		Name: spec.Name, Location: f.Source, CacheDir: r.cacheDir("feeds"),
		Timeout: r.cfg.FeedTimeout, Client: r.cfg.HTTPClient, Now: r.cfg.Now,
		Validate: func(rd io.Reader) error {
			_, err := spec.Read(rd, func(feed.Entry) error { return nil })
			return err
		},
	})
	if err != nil {
		return fail("bad source: "+tldguard.ErrorMessage(err), err)
	}
	got, err := src.Fetch(ctx)
	if err != nil {
		if got.Path == "" {
			return fail("fetch failed: "+tldguard.ErrorMessage(err), err)
		}
		st.Stale = true
		st.Alarm = fmt.Sprintf("fetch failed, read the copy of %s: %s", got.FetchedAt.UTC().Format(time.RFC3339), tldguard.ErrorMessage(err))
	}
	x := newFeedIndex(i, set, r.cfg.MaxURLs)
	n := 0
	fs, err := spec.ReadFile(got.Path, func(e feed.Entry) error {
		x.add(e)
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.progress(Progress{Stage: StageFeed, Name: spec.Name, Count: int64(n)})
		}
		return nil
	})
	st.Entries = int64(fs.Entries)
	st.BadLines = int64(fs.Bad)
	st.Skipped = int64(fs.SkippedIP) + x.skipped()
	for _, v := range fs.Skipped {
		st.Skipped += int64(v)
	}
	if err != nil {
		if errors.Is(err, feed.ErrDrift) {
			return fail("format drift: "+tldguard.ErrorMessage(err), err)
		}
		return fail("read failed: "+tldguard.ErrorMessage(err), err)
	}
	r.progress(Progress{Stage: StageFeed, Name: spec.Name, Done: true, Count: st.Entries})
	return x
}

// readZone streams one zone, calling visit with each delegated name.
func (r *runner) readZone(ctx context.Context, visit func([]byte) error, path string, st *tldguard.ZoneStat) error {
	f, err := os.Open(path)
	if err != nil {
		return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "cannot open the zone file", Err: err}
	}
	defer f.Close()
	var total int64
	if fi, err := f.Stat(); err == nil {
		total = fi.Size()
	}
	cr := &countingReader{r: f}
	name := st.Source
	if !isURL(name) {
		name = filepath.Base(name)
	}
	z := zone.NewReader(cr, zone.Options{Name: name, Apexes: []string{st.Apex}, MaxBadRatio: r.cfg.MaxBadRatio})
	r.progress(Progress{Stage: StageZone, Name: st.Source, Total: total})
	var names int64
	err = z.Read(ctx, func(name []byte) error {
		if err := visit(name); err != nil {
			return err
		}
		if names++; names%zoneProgressEvery == 0 {
			r.progress(Progress{Stage: StageZone, Name: st.Source, Bytes: cr.n.Load(), Total: total, Count: names})
		}
		return nil
	})
	zs := z.Stats()
	st.Names, st.Records, st.Lines, st.BadLines = zs.Names, zs.Records, zs.Lines, zs.BadLines
	serial, ok := zs.Serials[st.Apex]
	st.Serial = serial
	if err == nil && !ok {
		err = tldguard.Errorf(tldguard.EUNPROCESSABLE, "no SOA record for %s: the file is empty or not the zone of %s", st.Apex, st.Apex)
	}
	r.progress(Progress{Stage: StageZone, Name: st.Source, Done: true, Bytes: cr.n.Load(), Total: total, Count: names, Err: err})
	return err
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Redact drops a URL's user information and query, where access keys
// travel, so that a zone or feed source can be shown and stored. A file
// path is returned as it is.
func Redact(s string) string {
	if !isURL(s) {
		return s
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	scheme, rest, _ := strings.Cut(s, "://")
	host, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if path != "" || strings.HasSuffix(rest, "/") {
		return scheme + "://" + host + "/" + path
	}
	return scheme + "://" + host
}
