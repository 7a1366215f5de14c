package scan

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
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
		path, apex, err := r.prepareZone(ctx, i, &res.Zones[i])
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
// When a download fails, a last good copy younger than ZoneMaxAge is read
// instead and st says so: a check a day late in its zone data is better
// than no check, and the run's record shows which serial it read.
func (r *runner) prepareZone(ctx context.Context, i int, st *tldguard.ZoneStat) (path, apex string, err error) {
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
		got, err := src.Fetch(ctx)
		if err != nil {
			maxAge := cmp.Or(r.cfg.ZoneMaxAge, DefaultZoneMaxAge)
			age := r.cfg.Now().Sub(got.FetchedAt)
			if got.Path == "" || maxAge < 0 || age > maxAge || ctx.Err() != nil {
				if got.Path != "" && ctx.Err() == nil {
					err = &tldguard.Error{Kind: tldguard.ErrorKind(err), Err: err, Message: fmt.Sprintf("%s (the last good copy, fetched %s, is older than %s)",
						tldguard.ErrorMessage(err), got.FetchedAt.UTC().Format(time.RFC3339), maxAge)}
				}
				return "", "", err
			}
			st.Stale = true
			st.Alarm = fmt.Sprintf("download failed, read the copy of %s: %s", got.FetchedAt.UTC().Format(time.RFC3339), tldguard.ErrorMessage(err))
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
// ready (see readAll): half a zone of 5M names at line rate or more, for a
// compressed zone whose parser reads the feeds in its spare time. A
// variable for tests.
var maxPending = 64 << 20

// feedPause is how many feed records pass between two slices of a feed
// read that runs in the zone parser's spare time: a fraction of a
// millisecond. A variable for tests.
var feedPause = 4096

var (
	errFeedsFailed = errors.New("scan: every feed failed")
	errPaused      = errors.New("scan: feed read stopped")
)

// readAll reads the feeds into the index and streams every zone against
// it. The feeds are read while the first zone is already being
// decompressed and parsed: its names wait in a bounded buffer until the
// index is ready, so that reading the feeds hides behind the zone's
// decompression instead of coming before it. Memory stays bounded: when
// the buffer is full the zone waits for the feeds.
//
// A compressed first zone has its decompression, the critical path, on a
// core of its own; the feeds are then read in slices on the parser's
// goroutine, whenever the decompressor is far enough ahead
// (zone.Options.Spare). On their own goroutine they would take turns with
// the decompressor for a core: the Go scheduler has no priorities, and a
// decompressor that waited for a free block was seen to wait a quarter of
// the read again for a core. A plain zone has no such stage, and its
// parser and the feeds run side by side.
func (r *runner) readAll(ctx context.Context, set *tldSet, paths []string, res *Result) (*index, error) {
	feedCtx, cancelFeeds := context.WithCancel(ctx)
	defer cancelFeeds()
	var (
		ix      *index
		feedErr error
		ready   atomic.Bool // the index is built: names go to it at once
		failed  atomic.Bool // every feed failed: the zone need not be read on
		spare   func() bool // the feeds' next slice, in the parser's spare time
		finish  func()      // waits until the feeds are read and pending is empty
		abort   func()      // stops the feeds and waits for them
	)
	// The first zone's names from before the index is ready.
	pending := pendingNames{suffix: apexSuffix(res.Zones[0].Apex)}
	readFeeds := func(par int, pause func() bool) bool {
		ix, feedErr = r.readFeeds(feedCtx, set, res, par, pause)
		if feedErr != nil {
			failed.Store(true)
			return false
		}
		names := make([]string, len(r.cfg.Feeds))
		for i, f := range r.cfg.Feeds {
			names[i] = f.Spec.Name
		}
		ix.build(names)
		ready.Store(true)
		return true
	}
	if isGzipFile(paths[0]) {
		next, stop := iter.Pull(func(yield func(struct{}) bool) {
			pause := func() bool { return yield(struct{}{}) }
			if readFeeds(1, pause) {
				// Marking what waited is spare-time work too: done at once it
				// would hold the parser for long enough to stall the
				// decompressor.
				for pending.drain(feedPause*16, ix.mark) && pause() {
				}
			}
		})
		defer stop()
		spare = func() bool {
			_, more := next()
			return more
		}
		finish = func() {
			for spare() {
			}
		}
		abort = func() {
			cancelFeeds() // a fetch the coroutine is in, or would start, fails at once
			stop()
		}
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			// The zone's parser has a core; the feeds share the others.
			readFeeds(max(1, runtime.GOMAXPROCS(0)-1), nil)
		}()
		finish = func() {
			select {
			case <-done:
			case <-ctx.Done():
				cancelFeeds()
				<-done
			}
			if ready.Load() {
				pending.drain(-1, ix.mark)
			}
		}
		abort = func() {
			cancelFeeds()
			<-done
		}
	}
	// wait returns once the index is ready and holds every name read so
	// far, with the feeds' error.
	wait := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		finish()
		if err := ctx.Err(); err != nil {
			return err
		}
		if feedErr != nil {
			return errFeedsFailed
		}
		return nil
	}
	visit := func(name []byte) error {
		switch {
		case ready.Load():
		case failed.Load():
			return wait()
		case pending.size+len(name) <= maxPending:
			pending.add(name)
			return nil
		default:
			if err := wait(); err != nil {
				return err
			}
		}
		ix.mark(name)
		return nil
	}
	fail := func(i int, err error) (*index, error) {
		abort()
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
			spare = nil
		}
		if err := r.readZone(ctx, visit, spare, paths[i], &res.Zones[i]); err != nil {
			return fail(i, err)
		}
		if i == 0 {
			if err := wait(); err != nil {
				return fail(0, err)
			}
		}
		res.NamesChecked += res.Zones[i].Names
	}
	return ix, nil
}

// apexSuffix is ".apex" for the names under apex; nil for the root.
func apexSuffix(apex string) []byte {
	if apex == "" || apex == "." {
		return nil
	}
	return []byte("." + apex)
}

// isGzipFile reports whether the file at path starts with gzip's magic.
func isGzipFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && b[0] == 0x1f && b[1] == 0x8b
}

// pendingNames holds zone names until the index is ready, each with a
// two-byte length, in chunks so that growing never copies. A name under
// suffix (the zone's apex, with its dot) is kept without it, the length's
// high bit set: a third less memory for a TLD's names. Drained names give
// their memory back chunk by chunk.
type pendingNames struct {
	suffix  []byte   // ".apex"; nil keeps names whole
	chunks  [][]byte // full chunks, then cur's
	cur     []byte   // the chunk being filled
	size    int
	off     int    // in chunks[0], where drain goes on
	scratch []byte // a name put back together
}

const pendingStripped = 0x8000

func (p *pendingNames) add(name []byte) {
	h := len(name)
	if n := len(name) - len(p.suffix); p.suffix != nil && n > 0 && bytes.Equal(name[n:], p.suffix) {
		name, h = name[:n], n|pendingStripped
	}
	n, k := len(p.cur), len(name)+2
	if cap(p.cur)-n < k {
		p.grow(k)
		n = 0
	}
	b := p.cur[n : n+k]
	b[0], b[1] = byte(h>>8), byte(h)
	copy(b[2:], name)
	p.cur = p.cur[:n+k]
	p.size += k
}

func (p *pendingNames) grow(k int) {
	p.flush()
	p.cur = make([]byte, 0, max(1<<20, k))
}

// flush moves cur to chunks.
func (p *pendingNames) flush() {
	if len(p.cur) > 0 {
		p.chunks = append(p.chunks, p.cur)
	}
	p.cur = nil
}

// drain calls fn with up to max names (all when max < 0), oldest first,
// forgets them, and reports whether names are left. The slice is valid
// only during the call.
func (p *pendingNames) drain(max int, fn func([]byte) bool) bool {
	p.flush()
	for len(p.chunks) > 0 {
		c := p.chunks[0]
		for p.off < len(c) {
			if max == 0 {
				return true
			}
			max--
			h := int(c[p.off])<<8 | int(c[p.off+1])
			n := h &^ pendingStripped
			name := c[p.off+2 : p.off+2+n]
			if h&pendingStripped != 0 {
				p.scratch = append(append(p.scratch[:0], name...), p.suffix...)
				name = p.scratch
			}
			fn(name)
			p.off += 2 + n
		}
		p.chunks[0] = nil
		p.chunks, p.off = p.chunks[1:], 0
	}
	return false
}

// readFeeds reads every feed into the index, par of them at once, and
// fills the feed stats. It fails only when every feed failed. With pause
// set, the feeds are read one after the other on the calling goroutine,
// which calls pause every feedPause records; when pause reports false the
// reads stop.
func (r *runner) readFeeds(ctx context.Context, set *tldSet, res *Result, par int, pause func() bool) (*index, error) {
	parts := make([]*feedIndex, len(r.cfg.Feeds))
	if pause != nil {
		stopped := false
		once := func() bool { // once told to stop, stay stopped
			stopped = stopped || !pause()
			return !stopped
		}
		for i := range r.cfg.Feeds {
			if stopped {
				return nil, errPaused
			}
			parts[i] = r.readFeed(ctx, i, set, &res.Feeds[i], once)
		}
	} else {
		sem := make(chan struct{}, par)
		var wg sync.WaitGroup
		for i := range r.cfg.Feeds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				parts[i] = r.readFeed(ctx, i, set, &res.Feeds[i], nil)
			}()
		}
		wg.Wait()
	}
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
func (r *runner) readFeed(ctx context.Context, i int, set *tldSet, st *tldguard.FeedStat, pause func() bool) *feedIndex {
	f := r.cfg.Feeds[i]
	r.progress(Progress{Stage: StageFeed, Name: f.Spec.Name})
	fail := func(alarm string, err error) *feedIndex {
		st.Alarm = alarm
		r.progress(Progress{Stage: StageFeed, Name: f.Spec.Name, Done: true, Err: err})
		return nil
	}
	spec := f.Spec
	// Most of a large feed is in other TLDs: the reader drops those before
	// it builds their entries.
	spec.Filter = set.mayHoldBytes
	// tick counts records for pause; once pause said stop, every record
	// is filtered out and the next entry ends the read.
	records, stopped := 0, false
	tick := func() bool {
		if records++; pause != nil && records%feedPause == 0 && !stopped {
			stopped = !pause()
		}
		return !stopped
	}
	if pause != nil {
		spec.Filter = func(host []byte) bool { return tick() && set.mayHoldBytes(host) }
	}
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
		if !tick() {
			return errPaused
		}
		x.add(e)
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.progress(Progress{Stage: StageFeed, Name: spec.Name, Count: int64(n)})
		}
		return nil
	})
	st.Entries = int64(fs.Entries + fs.Filtered) // the filtered are entries outside the TLDs
	st.BadLines = int64(fs.Bad)
	st.Skipped = int64(fs.SkippedIP+fs.Filtered) + x.skipped()
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
func (r *runner) readZone(ctx context.Context, visit func([]byte) error, spare func() bool, path string, st *tldguard.ZoneStat) error {
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
	z := zone.NewReader(cr, zone.Options{Name: name, Apexes: []string{st.Apex}, MaxBadRatio: r.cfg.MaxBadRatio, Spare: spare})
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
