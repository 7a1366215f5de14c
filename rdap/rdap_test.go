package rdap

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rdapServer is an RDAP service started in the test. It answers from a
// table of path -> handler and counts the requests per path.
type rdapServer struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	paths map[string]http.HandlerFunc
}

func (s *rdapServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *rdapServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rdapJSON answers 200 with body and the RDAP media type.
func rdapJSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write(body)
	}
}

// rdapError answers an RFC 9083 §6 error.
func rdapError(code int, title string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"rdapConformance":["rdap_level_0"],"errorCode":%d,"title":%q,"description":["%s"]}`, code, title, title)
	}
}

func newRDAPServer(t *testing.T) *rdapServer {
	t.Helper()
	other := httptest.NewServer(rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"offsite.example"}`)))
	t.Cleanup(other.Close)
	s := &rdapServer{hits: make(map[string]int)}
	s.paths = map[string]http.HandlerFunc{
		"/rdap/domain/xn--bcher-kva.example": rdapJSON(readTestdata(t, "gtld_idn.json")),
		"/rdap/domain/shop.example": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(readTestdata(t, "cctld_minimal.json"))
		},
		"/rdap/domain/noabuse.example": rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"noabuse.example","status":["active"],
			"entities":[{"objectClassName":"entity","handle":"1","roles":["registrar"],"publicIds":[{"type":"IANA Registrar ID","identifier":"1"}],
			"vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Reserved Registrar"]]]}]}`)),
		"/rdap/domain/noregistrar.example": rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"noregistrar.example","status":["active"]}`)),
		"/rdap/domain/missing.example":     rdapError(404, "Not Found"),
		"/rdap/domain/busy.example":        rdapError(429, "Too Many Requests", "Retry-After", "30"),
		"/rdap/domain/down.example":        rdapError(503, "Service Unavailable"),
		"/rdap/domain/notimpl.example":     rdapError(501, "Not Implemented"),
		"/rdap/domain/forbidden.example":   rdapError(403, "Forbidden"),
		"/rdap/domain/badquery.example":    rdapError(400, "Bad Request"),
		"/rdap/domain/typed.example":       rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"typed.example","status":"active"}`)),
		"/rdap/domain/truncated.example":   rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"trunc`)),
		"/rdap/domain/other.example":       rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"another.example"}`)),
		"/rdap/domain/html.example": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<html><body>Welcome to nginx!</body></html>`))
		},
		"/rdap/domain/notype.example": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // stop net/http from sniffing one
			w.Write([]byte(`{"objectClassName":"domain","ldhName":"notype.example"}`))
		},
		"/rdap/domain/huge.example": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rdap+json")
			fmt.Fprintf(w, `{"objectClassName":"domain","ldhName":"huge.example","remarks":[{"description":["%s"]}]}`, strings.Repeat("x", 64<<10))
		},
		"/rdap/domain/hugechunked.example": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write([]byte(`{"objectClassName":"domain","ldhName":"hugechunked.example","remarks":[{"description":["`))
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
			for range 64 {
				w.Write([]byte(strings.Repeat("y", 1<<10)))
			}
			w.Write([]byte(`"]}]}`))
		},
		"/rdap/domain/slow.example": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
		"/rdap/domain/moved.example": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/rdap/v2/domain/moved.example", http.StatusMovedPermanently)
		},
		"/rdap/v2/domain/moved.example": rdapJSON([]byte(`{"objectClassName":"domain","ldhName":"moved.example","status":["active"]}`)),
		"/rdap/domain/offsite.example": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/domain/offsite.example", http.StatusFound)
		},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if r.Method != http.MethodGet {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/rdap+json") {
			http.Error(w, "accept", http.StatusNotAcceptable)
			return
		}
		if h, ok := s.paths[r.URL.Path]; ok {
			h(w, r)
			return
		}
		rdapError(404, "Not Found")(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, s *rdapServer, clk *clock, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: s.URL + "/rdap/", Now: clk.now, Timeout: 2 * time.Second, MaxResponseBytes: 16 << 10}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)}
}

func TestLookupGTLDProfile(t *testing.T) {
	s := newRDAPServer(t)
	c := newClient(t, s, newClock(), nil)
	ctx := context.Background()

	reg, err := c.Lookup(ctx, "XN--Bcher-KVA.Example.")
	if err != nil {
		t.Fatal(err)
	}
	want := &tldguard.Registration{
		Name:          "xn--bcher-kva.example",
		TLD:           "example",
		RegistrarID:   "4242",
		RegistrarName: "Example Registrar, Inc.",
		Statuses:      []string{"clientTransferProhibited", "serverHold", "clientDeleteProhibited", "ok", "serverTransferProhibited", "locked"},
		NameServers:   []string{"ns1.hosting.example", "ns2.hosting.example"},
		CreatedAt:     time.Date(2024, 3, 5, 14, 7, 12, 345e6, time.UTC),
		UpdatedAt:     time.Date(2025, 11, 20, 8, 30, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(reg, want) {
		t.Errorf("Lookup:\n got %+v\nwant %+v", reg, want)
	}

	ab, err := c.AbuseContact(ctx, "xn--bcher-kva.example")
	if err != nil {
		t.Fatal(err)
	}
	wantAb := &tldguard.Registrar{ID: "4242", Name: "Example Registrar, Inc.", AbuseEmail: "abuse@registrar.example", AbusePhone: "+1.7035550100"}
	if !reflect.DeepEqual(ab, wantAb) {
		t.Errorf("AbuseContact:\n got %+v\nwant %+v", ab, wantAb)
	}
	if n := s.count("/rdap/domain/xn--bcher-kva.example"); n != 1 {
		t.Errorf("the registry was asked %d times, want 1 (the second answer comes from the cache)", n)
	}
}

func TestLookupOutsideProfile(t *testing.T) {
	s := newRDAPServer(t)
	c := newClient(t, s, newClock(), nil)
	ctx := context.Background()

	reg, err := c.Lookup(ctx, "shop.example")
	if err != nil {
		t.Fatal(err)
	}
	want := &tldguard.Registration{
		Name: "shop.example", TLD: "example", RegistrarID: "REG-77", RegistrarName: "Seventy-Seven Names",
		Statuses: []string{"ok"}, NameServers: []string{"a.ns.example"},
		CreatedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(reg, want) {
		t.Errorf("Lookup:\n got %+v\nwant %+v", reg, want)
	}

	ab, err := c.AbuseContact(ctx, "noabuse.example")
	if err != nil {
		t.Fatal(err)
	}
	if want := (&tldguard.Registrar{ID: "1", Name: "Reserved Registrar"}); !reflect.DeepEqual(ab, want) {
		t.Errorf("AbuseContact without an abuse entity: got %+v, want %+v", ab, want)
	}
	_, err = c.AbuseContact(ctx, "noregistrar.example")
	if tldguard.ErrorKind(err) != tldguard.ENOTFOUND || !strings.Contains(err.Error(), "names no registrar") {
		t.Errorf("AbuseContact without a registrar: %v, want ENOTFOUND naming the missing registrar", err)
	}

	reg, err = c.Lookup(ctx, "moved.example")
	if err != nil || reg.Name != "moved.example" {
		t.Errorf("Lookup after a same-host redirect: %+v, %v", reg, err)
	}
}

func TestLookupErrors(t *testing.T) {
	s := newRDAPServer(t)
	c := newClient(t, s, newClock(), func(cfg *Config) { cfg.Timeout = 200 * time.Millisecond })
	for _, tc := range []struct {
		name, kind, msg string
		retryAfter      time.Duration
	}{
		{"missing.example", tldguard.ENOTFOUND, "holds no domain missing.example", 0},
		{"down.example", tldguard.EUNAVAILABLE, "HTTP 503", 0},
		{"notimpl.example", tldguard.EUNPROCESSABLE, "HTTP 501: Not Implemented", 0},
		{"forbidden.example", tldguard.EUNPROCESSABLE, "HTTP 403: Forbidden", 0},
		{"badquery.example", tldguard.EINVALID, "HTTP 400: Bad Request", 0},
		{"typed.example", tldguard.EUNPROCESSABLE, "member status: got a JSON string, want an array", 0},
		{"truncated.example", tldguard.EUNPROCESSABLE, "the JSON ends early", 0},
		{"other.example", tldguard.EUNPROCESSABLE, `the answer is about "another.example"`, 0},
		{"html.example", tldguard.EUNPROCESSABLE, `content type "text/html; charset=utf-8"`, 0},
		{"notype.example", tldguard.EUNPROCESSABLE, `content type ""`, 0},
		{"huge.example", tldguard.EUNPROCESSABLE, "larger than 16384 bytes", 0},
		{"hugechunked.example", tldguard.EUNPROCESSABLE, "larger than 16384 bytes", 0},
		{"slow.example", tldguard.EUNAVAILABLE, "did not answer within 200ms", 0},
		{"offsite.example", tldguard.EUNPROCESSABLE, "redirected tldguard to another host", 0},
		{"bücher.example", tldguard.EINVALID, "A-label", 0},
		{"example", tldguard.EINVALID, "top-level domain", 0},
		{"a..example", tldguard.EINVALID, "empty label", 0},
		{"a/b.example", tldguard.EINVALID, `character '/'`, 0},
		{"", tldguard.EINVALID, "required", 0},
		// Last: the 429 pauses the client.
		{"busy.example", tldguard.EUNAVAILABLE, "rate limiting tldguard (HTTP 429); retry after 30s", 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Lookup(context.Background(), tc.name)
			if tldguard.ErrorKind(err) != tc.kind {
				t.Fatalf("error %v, want kind %s", err, tc.kind)
			}
			if msg := tldguard.ErrorMessage(err); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tc.msg)
			}
			if got := RetryAfter(err); got != tc.retryAfter {
				t.Errorf("RetryAfter %v, want %v", got, tc.retryAfter)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	s := newRDAPServer(t)
	c := newClient(t, s, newClock(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := c.Lookup(ctx, "slow.example")
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("got %v, want EUNAVAILABLE saying the lookup was cancelled", err)
	}
}

func TestRateLimitPause(t *testing.T) {
	s := newRDAPServer(t)
	clk := newClock()
	c := newClient(t, s, clk, nil)
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "busy.example"); RetryAfter(err) != 30*time.Second {
		t.Fatalf("first lookup: %v", err)
	}
	before := s.total()
	clk.add(10 * time.Second)
	_, err := c.Lookup(ctx, "shop.example")
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || RetryAfter(err) != 20*time.Second {
		t.Fatalf("lookup during the pause: %v (retry after %v), want EUNAVAILABLE with 20s left", err, RetryAfter(err))
	}
	if s.total() != before {
		t.Error("the registry was asked during the pause it asked for")
	}
	clk.add(21 * time.Second)
	if _, err := c.Lookup(ctx, "shop.example"); err != nil {
		t.Fatalf("lookup after the pause: %v", err)
	}
}

func TestCache(t *testing.T) {
	s := newRDAPServer(t)
	clk := newClock()
	c := newClient(t, s, clk, func(cfg *Config) {
		cfg.CacheSize = 2
		cfg.CacheTTL = time.Minute
		cfg.NotFoundTTL = 10 * time.Second
	})
	ctx := context.Background()
	lookup := func(name string) {
		t.Helper()
		if _, err := c.Lookup(ctx, name); err != nil && tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Fatal(err)
		}
	}
	hits := func(name string, want int) {
		t.Helper()
		if got := s.count("/rdap/domain/" + name); got != want {
			t.Errorf("%s asked %d times, want %d", name, got, want)
		}
	}

	lookup("shop.example")
	lookup("shop.example")
	hits("shop.example", 1)

	// A caller changing its copy does not change the cache.
	reg, _ := c.Lookup(ctx, "shop.example")
	reg.Statuses[0] = "serverHold"
	reg.NameServers = append(reg.NameServers, "evil.example")
	reg, _ = c.Lookup(ctx, "shop.example")
	if !reflect.DeepEqual(reg.Statuses, []string{"ok"}) || len(reg.NameServers) != 1 {
		t.Errorf("the cache was changed through a returned registration: %+v", reg)
	}

	// Not found is cached for NotFoundTTL.
	lookup("missing.example")
	lookup("missing.example")
	hits("missing.example", 1)
	clk.add(11 * time.Second)
	lookup("missing.example")
	hits("missing.example", 2)

	// The cache is bounded: shop.example was used least recently.
	lookup("noabuse.example")
	if n := c.cache.len(); n != 2 {
		t.Errorf("cache holds %d names, want 2", n)
	}
	lookup("shop.example")
	hits("shop.example", 2)

	// Entries expire after CacheTTL, and Forget drops one at once.
	lookup("noabuse.example")
	hits("noabuse.example", 1)
	c.Forget("NoAbuse.example.")
	lookup("noabuse.example")
	hits("noabuse.example", 2)
	clk.add(time.Minute)
	lookup("noabuse.example")
	hits("noabuse.example", 3)
}

func TestNoCache(t *testing.T) {
	s := newRDAPServer(t)
	c := newClient(t, s, newClock(), func(cfg *Config) { cfg.CacheSize = -1 })
	for range 3 {
		if _, err := c.Lookup(context.Background(), "shop.example"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count("/rdap/domain/shop.example"); n != 3 {
		t.Errorf("asked %d times with the cache off, want 3", n)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{}, "base_url"},
		{Config{BaseURL: "rdap.nic.example"}, "base_url"},
		{Config{BaseURL: "ftp://rdap.nic.example/"}, "base_url"},
		{Config{BaseURL: "https://rdap.nic.example/?x=1"}, "base_url"},
		{Config{BaseURL: "https://rdap.nic.example/", Timeout: -1}, ""},
	} {
		_, err := New(tc.cfg)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != tc.field {
			t.Errorf("New(%+v): %v, want EINVALID on %q", tc.cfg, err, tc.field)
		}
	}
	if _, err := New(Config{BaseURL: "https://rdap.nic.example/rdap"}); err != nil {
		t.Errorf("New with a good base URL: %v", err)
	}
}
