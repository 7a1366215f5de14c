package feed

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// feedServer serves whatever its current handler says and records the
// conditional headers of each request.
type feedServer struct {
	*httptest.Server
	mu      sync.Mutex
	handler http.HandlerFunc
	inm     []string // If-None-Match of each request
	ims     []string // If-Modified-Since of each request
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.inm = append(fs.inm, r.Header.Get("If-None-Match"))
		fs.ims = append(fs.ims, r.Header.Get("If-Modified-Since"))
		h := fs.handler
		fs.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(h http.HandlerFunc) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.handler = h
}

func (fs *feedServer) last() (inm, ims string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.inm[len(fs.inm)-1], fs.ims[len(fs.ims)-1]
}

const (
	feedV1 = "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
		`"1","2026-11-20 10:00:00","http://one.example/a","online","","malware_download","","https://urlhaus.abuse.ch/url/1/","r"` + "\n"
	lastMod = "Thu, 20 Nov 2026 10:00:00 GMT"
)

func serveV1(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("If-None-Match") == `"v1"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", `"v1"`)
	w.Header().Set("Last-Modified", lastMod)
	io.WriteString(w, feedV1)
}

func readPath(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSourceFetch(t *testing.T) {
	fs := newFeedServer(t)
	dir := t.TempDir()
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	spec := Spec{Format: FormatURLhaus}
	src, err := NewSource(SourceConfig{
		Name: "urlhaus", Location: fs.URL + "/downloads/csv_recent/", CacheDir: dir,
		Timeout: 300 * time.Millisecond, MaxBytes: 4096,
		Validate: func(r io.Reader) error {
			_, err := spec.Read(r, func(Entry) error { return nil })
			return err
		},
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// No copy yet and the server fails: nothing to read, and an error.
	fs.set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	got, err := src.Fetch(ctx)
	if got.Path != "" || tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("no copy, 502: %+v %v", got, err)
	}

	// 200 with validators.
	fs.set(serveV1)
	got, err = src.Fetch(ctx)
	if err != nil || !got.Fresh || got.NotModified || got.ETag != `"v1"` || got.LastModified != lastMod ||
		got.Size != int64(len(feedV1)) || len(got.SHA256) != 64 || !got.FetchedAt.Equal(now) {
		t.Fatalf("200: %+v %v", got, err)
	}
	if readPath(t, got.Path) != feedV1 {
		t.Fatal("cached copy differs from the body")
	}
	var meta sourceMeta
	if err := json.Unmarshal([]byte(readPath(t, filepath.Join(dir, "urlhaus.meta.json"))), &meta); err != nil ||
		meta.ETag != `"v1"` || meta.LastModified != lastMod || meta.Size != int64(len(feedV1)) {
		t.Fatalf("sidecar: %+v %v", meta, err)
	}
	if inm, ims := fs.last(); inm != "" || ims != "" {
		t.Errorf("first request was conditional: %q %q", inm, ims)
	}

	// 304: the cached copy, confirmed.
	now = now.Add(time.Hour)
	got, err = src.Fetch(ctx)
	if err != nil || !got.Fresh || !got.NotModified || readPath(t, got.Path) != feedV1 || got.FetchedAt.Equal(now) {
		t.Fatalf("304: %+v %v", got, err)
	}
	if inm, ims := fs.last(); inm != `"v1"` || ims != lastMod {
		t.Errorf("conditional headers %q %q", inm, ims)
	}

	// Every failure below keeps the last good copy and reports the error.
	failures := []struct {
		name    string
		handler http.HandlerFunc
		kind    string
		has     string
		drift   bool
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) },
			tldguard.EUNAVAILABLE, "HTTP 500", false},
		{"oversize announced", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, strings.Repeat("x", 5000))
		}, tldguard.ETOOLARGE, "5000 bytes", false},
		{"oversize streamed", func(w http.ResponseWriter, r *http.Request) {
			for range 50 {
				io.WriteString(w, strings.Repeat("y", 100))
				w.(http.Flusher).Flush()
			}
		}, tldguard.ETOOLARGE, "over the 4096-byte cap", false},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, tldguard.EUNAVAILABLE, "timed out", false},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2000")
			io.WriteString(w, "# id,")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, tldguard.EUNAVAILABLE, "broke off after 5 bytes", false},
		{"truncated", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, feedV1[:40])
		}, tldguard.EUNAVAILABLE, "broke off", false},
		{"empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) },
			tldguard.EUNAVAILABLE, "empty body", false},
		{"drifted", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body>We moved the feed</body></html>\n")
		}, tldguard.EUNPROCESSABLE, "header", true},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			fs.set(f.handler)
			got, err := src.Fetch(ctx)
			if err == nil {
				t.Fatalf("no error, got %+v", got)
			}
			if tldguard.ErrorKind(err) != f.kind || !strings.Contains(err.Error(), f.has) || errors.Is(err, ErrDrift) != f.drift {
				t.Errorf("err = %v (kind %s), want kind %s mentioning %q", err, tldguard.ErrorKind(err), f.kind, f.has)
			}
			if got.Fresh || got.Path == "" || readPath(t, got.Path) != feedV1 || got.ETag != `"v1"` {
				t.Errorf("last good copy not handed back: %+v", got)
			}
			if inm, _ := fs.last(); inm != `"v1"` {
				t.Errorf("request not conditional: %q", inm)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".meta-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// A new version replaces the copy.
	const feedV2 = "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
		`"2","2026-11-21 10:00:00","http://two.example/a","online","","malware_download","","https://urlhaus.abuse.ch/url/2/","r"` + "\n"
	fs.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v2"`)
		io.WriteString(w, feedV2)
	})
	got, err = src.Fetch(ctx)
	if err != nil || !got.Fresh || got.NotModified || readPath(t, got.Path) != feedV2 || got.ETag != `"v2"` || got.LastModified != "" {
		t.Fatalf("v2: %+v %v", got, err)
	}
}

func TestSourceDistrustsMismatchedSidecar(t *testing.T) {
	fs := newFeedServer(t)
	fs.set(serveV1)
	dir := t.TempDir()
	src, err := NewSource(SourceConfig{Name: "f", Location: fs.URL, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The copy changed size behind the sidecar's back (a crash, an
	// operator's edit): its validators must not be sent.
	if err := os.WriteFile(filepath.Join(dir, "f.data"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := src.Fetch(context.Background())
	if err != nil || got.NotModified || readPath(t, got.Path) != feedV1 {
		t.Fatalf("%+v %v", got, err)
	}
	if inm, _ := fs.last(); inm != "" {
		t.Errorf("validators sent for a copy that does not match its sidecar: %q", inm)
	}
	// A different URL for the same name does not send the old validators.
	src2, _ := NewSource(SourceConfig{Name: "f", Location: fs.URL + "/other", CacheDir: dir})
	if _, err := src2.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inm, _ := fs.last(); inm != "" {
		t.Errorf("validators of another URL sent: %q", inm)
	}
}

func TestSourceLocalFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(p, []byte("evil.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{p, "file://" + p} {
		src, err := NewSource(SourceConfig{Name: "local", Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Fetch(context.Background())
		if err != nil || got.Path != p || !got.Fresh || got.Size != 13 {
			t.Errorf("%s: %+v %v", loc, got, err)
		}
	}
	src, _ := NewSource(SourceConfig{Name: "gone", Location: filepath.Join(dir, "missing.txt")})
	if _, err := src.Fetch(context.Background()); tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Errorf("missing file: %v", err)
	}
	src, _ = NewSource(SourceConfig{Name: "big", Location: p, MaxBytes: 5})
	if _, err := src.Fetch(context.Background()); tldguard.ErrorKind(err) != tldguard.ETOOLARGE {
		t.Errorf("oversize file: %v", err)
	}
	src, _ = NewSource(SourceConfig{Name: "dir", Location: dir})
	if _, err := src.Fetch(context.Background()); tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Errorf("directory: %v", err)
	}
}

func TestSourceConfigInvalid(t *testing.T) {
	for _, c := range []SourceConfig{
		{Name: "", Location: "x"},
		{Name: "../etc", Location: "x"},
		{Name: "a b", Location: "x"},
		{Name: "ok"},
		{Name: "ok", Location: "https://feed.example/x"},
		{Name: "ok", Location: "ftp://feed.example/x", CacheDir: "/tmp"},
	} {
		if _, err := NewSource(c); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("%+v: err = %v, want invalid", c, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://feed.example/x?key=secret":       "https://feed.example/x",
		"https://user:pw@feed.example/x#frag":     "https://feed.example/x",
		"https://feed.example/path@not-userinfo/": "https://feed.example/path@not-userinfo/",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
