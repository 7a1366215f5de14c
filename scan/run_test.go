package scan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const smallZone = "example.\t900\tin\tsoa\ta.nic.example.\tnoc.nic.example.\t42 1800 900 604800 86400\n" +
	"example.\t172800\tin\tns\ta.nic.example.\n" +
	"bad.example.\t86400\tin\tns\tns1.host.test.\n" +
	"good.example.\t86400\tin\tns\tns1.host.test.\n"

func listFeed(name, path string) Feed {
	return Feed{Spec: feed.Spec{Name: name, Format: feed.FormatList, Threat: tldguard.ThreatPhishing}, Source: path}
}

// TestDriftedFeedIsDiscarded: a feed whose format drifted gives nothing
// and raises its alarm; the other feeds still count.
func TestDriftedFeedIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	z := writeFile(t, dir, "example.zone", smallZone)
	good := writeFile(t, dir, "good.txt", "http://bad.example/a\n")
	drift := writeFile(t, dir, "drift.csv", "# id,dateadded,link,status,last_online,threat,tags,urlhaus_link,reporter\n"+
		`"1","2026-11-20 10:00:00","http://good.example/x","online","","malware_download","","https://urlhaus.abuse.ch/url/1/","r"`+"\n")
	res, err := Run(context.Background(), Config{
		TLDs:  []string{"example"},
		Zones: []Zone{{Source: z}},
		Feeds: []Feed{listFeed("good", good), {Spec: feed.Spec{Name: "urlhaus", Format: feed.FormatURLhaus}, Source: drift}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 1 || res.Matches[0].Domain != "bad.example" {
		t.Fatalf("matches %+v, want bad.example only", res.Matches)
	}
	if !strings.Contains(res.Feeds[1].Alarm, "drift") || res.FeedOK(1) || !res.FeedOK(0) {
		t.Fatalf("feeds %+v: want an alarm on the drifted feed only", res.Feeds)
	}
}

// TestCheckFails: the check fails, saying why, when a zone cannot be read,
// is too broken, is not the zone it claims, or every feed failed.
func TestCheckFails(t *testing.T) {
	dir := t.TempDir()
	z := writeFile(t, dir, "example.zone", smallZone)
	feedPath := writeFile(t, dir, "f.txt", "bad.example\n")
	var junk strings.Builder
	junk.WriteString(smallZone)
	for i := range 2000 {
		fmt.Fprintf(&junk, "n%d.example.\t86400\tin\tns\tns1.host.test.\n", i)
		if i%20 == 0 {
			junk.WriteString("garbage garbage garbage\n")
		}
	}
	broken := writeFile(t, dir, "broken.zone", junk.String())
	noSOA := writeFile(t, dir, "nosoa.zone", "bad.example.\t86400\tin\tns\tns1.host.test.\n")
	emptyFeed := writeFile(t, dir, "empty.txt", "# nothing\n")
	// Compressed, the feeds are read in the parser's spare time: a zone
	// that fails must stop them too.
	gz := func(src string) string {
		dst := src + ".gz"
		gzipTo(t, src, dst)
		return dst
	}
	brokenGz, zGz := gz(broken), gz(z)
	var many strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&many, "http://h%d.other.test/x\n", i)
	}
	bigFeed := writeFile(t, dir, "big.txt", many.String())
	var clean strings.Builder
	clean.WriteString(smallZone)
	for i := range 20000 {
		fmt.Fprintf(&clean, "n%d.example.\t86400\tin\tns\tns1.host.test.\n", i)
	}
	b, _ := os.ReadFile(gz(writeFile(t, dir, "clean.zone", clean.String())))
	truncGz := writeFile(t, dir, "trunc.zone.gz", string(b[:len(b)/2]))
	for _, tc := range []struct {
		name  string
		zones []Zone
		feeds []Feed
		want  string
		kind  string
	}{
		{"missing zone", []Zone{{Source: filepath.Join(dir, "nope.zone")}}, []Feed{listFeed("f", feedPath)}, "cannot read", tldguard.EUNAVAILABLE},
		{"bad-line ratio", []Zone{{Source: broken, Apex: "example"}}, []Feed{listFeed("f", feedPath)}, "malformed", tldguard.EINVALID},
		{"no SOA, no apex", []Zone{{Source: noSOA}}, []Feed{listFeed("f", feedPath)}, "apex is not known", tldguard.EINVALID},
		{"other zone's apex", []Zone{{Source: z, Apex: "test"}}, []Feed{listFeed("f", feedPath)}, "no SOA record for test", tldguard.EUNPROCESSABLE},
		{"every feed failed", []Zone{{Source: z}}, []Feed{listFeed("a", emptyFeed), listFeed("b", filepath.Join(dir, "none.txt"))}, "every feed failed", tldguard.EUNAVAILABLE},
		{"no zones", nil, []Feed{listFeed("f", feedPath)}, "no zone", tldguard.EINVALID},
		{"bad-line ratio, gzip", []Zone{{Source: brokenGz, Apex: "example"}}, []Feed{listFeed("f", feedPath), listFeed("big", bigFeed)}, "malformed", tldguard.EINVALID},
		{"truncated gzip", []Zone{{Source: truncGz, Apex: "example"}}, []Feed{listFeed("big", bigFeed), listFeed("f", feedPath)}, "gzip", tldguard.EINVALID},
		{"every feed failed, gzip", []Zone{{Source: zGz}}, []Feed{listFeed("a", emptyFeed), listFeed("b", filepath.Join(dir, "none.txt"))}, "every feed failed", tldguard.EUNAVAILABLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{TLDs: []string{"example"}, Zones: tc.zones, Feeds: tc.feeds})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if !strings.Contains(tldguard.ErrorMessage(err), tc.want) || tldguard.ErrorKind(err) != tc.kind {
				t.Fatalf("error %v (kind %s), want %q of kind %s", err, tldguard.ErrorKind(err), tc.want, tc.kind)
			}
			if res == nil || len(res.Matches) != 0 {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

// feedServer serves files over HTTP with ETags, counting 304 answers, and
// fails on demand.
type feedServer struct {
	mu       sync.Mutex
	files    map[string][]byte
	notMod   int
	failing  bool
	requests int
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failing {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	b, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, len(b)*31+int(b[len(b)-2]))
	if r.Header.Get("If-None-Match") == etag {
		s.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Write(b)
}

// TestHTTPSources checks zones and feeds from URLs: conditional GET on the
// second run, the last good copy (with an alarm, and no delisting) when a
// feed's server fails, and a failed run when a zone's server fails.
func TestHTTPSources(t *testing.T) {
	gz := filepath.Join(t.TempDir(), "test.zone.gz")
	gzipTo(t, filepath.Join("testdata", "test.zone"), gz)
	zgz, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{files: map[string][]byte{
		"/zones/test.zone":  zgz,
		"/feeds/phish.txt":  []byte("https://login.other.test/x\nhttps://webmail.test/y\n"),
		"/feeds/online.txt": []byte("http://elsewhere.com/\n"),
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	cache := t.TempDir()
	cfg := Config{
		Zones:    []Zone{{Source: srv.URL + "/zones/test.zone?key=secret"}},
		Feeds:    []Feed{listFeed("phish", srv.URL+"/feeds/phish.txt")},
		CacheDir: cache,
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 2 || res.Zones[0].Apex != "test" || res.Zones[0].Serial != 7 || !res.FeedOK(0) {
		t.Fatalf("first run: %+v", res)
	}
	if strings.Contains(res.Zones[0].Source, "secret") {
		t.Errorf("zone source %q shows the URL's query", res.Zones[0].Source)
	}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if fs.notMod != 2 {
		t.Errorf("second run: %d answers 304, want 2 (zone and feed)", fs.notMod)
	}

	// The feed's server fails: the last good copy is read, with an alarm.
	cfg.Zones = []Zone{{Source: filepath.Join("testdata", "test.zone")}}
	fs.failing = true
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 2 || !res.Feeds[0].Stale || res.Feeds[0].Alarm == "" || res.FeedOK(0) {
		t.Fatalf("stale run: feeds %+v, %d matches", res.Feeds, len(res.Matches))
	}
	// A zone that cannot be downloaded is read from its last good copy,
	// with an alarm, while that copy is younger than ZoneMaxAge...
	cfg.Zones = []Zone{{Source: srv.URL + "/zones/test.zone?key=secret"}}
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if z := res.Zones[0]; !z.Stale || !strings.Contains(z.Alarm, "download failed, read the copy of") || !strings.Contains(z.Alarm, "502") ||
		z.Serial != 7 || z.Names == 0 || len(res.Matches) != 2 {
		t.Fatalf("stale zone: %+v, %d matches", z, len(res.Matches))
	}
	// ...and fails the run once the copy is older, or when it is told not
	// to read copies.
	later := time.Now().Add(DefaultZoneMaxAge + time.Hour)
	cfg.Now = func() time.Time { return later }
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "older than 72h") {
		t.Fatalf("old copy: %v", err)
	}
	cfg.Now, cfg.ZoneMaxAge = nil, -1
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("copies refused: %v", err)
	}
	cfg.ZoneMaxAge = 0
	// A zone that never downloaded fails the run.
	cfg.Zones = []Zone{{Source: srv.URL + "/zones/test.zone"}}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("zone server down: %v", err)
	}
	// A feed that never downloaded fails alone.
	fs.failing = false
	cfg.Feeds = append(cfg.Feeds, listFeed("never", srv.URL+"/feeds/missing.txt"))
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Feeds[1].Alarm, "fetch failed") || res.FeedOK(1) {
		t.Fatalf("missing feed: %+v", res.Feeds[1])
	}
}

// TestProgress hears every stage.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	z := writeFile(t, dir, "example.zone", smallZone)
	f := writeFile(t, dir, "f.txt", "bad.example\n")
	seen := map[Stage]int{}
	_, err := Run(context.Background(), Config{
		Zones: []Zone{{Source: z}}, Feeds: []Feed{listFeed("f", f)},
		Progress: func(p Progress) {
			if p.Done {
				seen[p.Stage]++
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Stage{StageFetch, StageFeed, StageZone, StageMatch} {
		if seen[s] != 1 {
			t.Errorf("stage %s done %d times", s, seen[s])
		}
	}
}

// TestPendingNames: whether the zone's first names wait for the index in
// the buffer, overflow it, or come after the index is ready, the result is
// the same.
func TestPendingNames(t *testing.T) {
	defer func(n, p int) { maxPending, feedPause = n, p }(maxPending, feedPause)
	dir := t.TempDir()
	gz := filepath.Join(dir, "test.zone.gz")
	gzipTo(t, filepath.Join("testdata", "test.zone"), gz)
	plain := filepath.Join("testdata", "example.zone")
	var want []byte
	// A plain first zone reads the feeds on a goroutine of their own, a
	// compressed one in the parser's spare time, in slices of feedPause
	// records.
	for _, first := range []string{plain, gz} {
		zones := []Zone{{Source: plain}, {Source: gz}}
		if first == gz {
			zones[0], zones[1] = zones[1], zones[0]
		}
		for _, pause := range []int{4096, 1} {
			for _, limit := range []int{32 << 20, 40, 0} {
				maxPending, feedPause = limit, pause
				res, err := Run(context.Background(), Config{TLDs: []string{"example"}, Zones: zones, Feeds: testFeeds("testdata")})
				if err != nil {
					t.Fatal(err)
				}
				slices.SortFunc(res.Zones, func(a, b tldguard.ZoneStat) int { return strings.Compare(a.Apex, b.Apex) })
				got := fmt.Sprintf("%+v %d %+v %+v", res.Matches, res.NamesChecked, res.Zones, res.Feeds)
				if want == nil {
					want = []byte(got)
				} else if got != string(want) {
					t.Errorf("first %s, pause %d, limit %d: %s\nwant %s", first, pause, limit, got, want)
				}
			}
		}
	}
	long := strings.Repeat("a", 300) + ".example"
	names := []string{"a.example", long, "b.example", "example", ".example", "x.other", "b.example"}
	for _, suffix := range [][]byte{nil, []byte(".example")} {
		p := &pendingNames{suffix: suffix}
		for _, n := range names {
			p.add([]byte(n))
		}
		var back []string
		size := p.size
		collect := func(b []byte) bool { back = append(back, string(b)); return true }
		if !p.drain(2, collect) || len(back) != 2 {
			t.Errorf("drain(2) gave %q and says none are left", back)
		}
		if p.drain(-1, collect) || p.drain(5, collect) {
			t.Error("drain says names are left after all were drained")
		}
		want := 0
		for _, n := range names {
			want += len(n) + 2
			if suffix != nil && len(n) > len(suffix) && strings.HasSuffix(n, string(suffix)) {
				want -= len(suffix) // kept without the apex
			}
		}
		if !slices.Equal(back, names) || size != want {
			t.Errorf("suffix %q: pending names %q, size %d; want %q, %d", suffix, back, size, names, want)
		}
	}
}
