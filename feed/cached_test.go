package feed

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCached reports the last good copy without fetching, and when the
// server last confirmed it.
func TestCached(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	now := at
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"a"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"a"`)
		w.Write([]byte("bad.example\n"))
	}))
	defer srv.Close()
	src, err := NewSource(SourceConfig{Name: "f", Location: srv.URL, CacheDir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := src.Cached(); ok {
		t.Fatal("a copy before any fetch")
	}
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	now = at.Add(time.Hour)
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, checked, ok := src.Cached()
	if !ok || !f.FetchedAt.Equal(at) || !checked.Equal(now) || f.Size != 12 || f.ETag != `"a"` || f.SHA256 == "" {
		t.Fatalf("Cached() = %+v, %v, %v", f, checked, ok)
	}

	path := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(path, []byte("x.example\n"), 0o644)
	local, _ := NewSource(SourceConfig{Name: "l", Location: path})
	if f, _, ok := local.Cached(); !ok || f.Path != path || f.Size != 10 {
		t.Fatalf("local Cached() = %+v, %v", f, ok)
	}
}
