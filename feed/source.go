package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// SourceConfig says where a feed file comes from.
type SourceConfig struct {
	// Name identifies the feed; it names the cache files, so it is limited
	// to letters, digits, '.', '_' and '-'.
	Name string
	// Location is a file path (or file:// URL), read in place, or an
	// http(s) URL, downloaded into CacheDir.
	Location string
	// CacheDir keeps the last good copy of a downloaded feed and its
	// validators; required for http(s) locations.
	CacheDir string
	// Timeout bounds one whole download, body included (default 2m).
	Timeout time.Duration
	// MaxBytes refuses a larger body (default 256 MiB).
	MaxBytes int64
	// Validate, when set, checks a new download before it replaces the
	// last good copy (typically Spec.Read with a no-op callback), so a
	// drifted file never replaces a good one.
	Validate func(io.Reader) error
	// Client is the HTTP client (default: a client with Timeout).
	Client    *http.Client
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Fetched describes the copy of a feed to read.
type Fetched struct {
	// Path is the file to read: the local file, or the last good copy of a
	// download. It is empty only when there is no copy at all.
	Path string
	// Fresh is true when Path holds what the server has now: a new
	// download, or a 304 answer confirming the cached copy.
	Fresh       bool
	NotModified bool
	// FetchedAt is when the content of Path was downloaded (or the file's
	// modification time for a local file).
	FetchedAt    time.Time
	Size         int64
	SHA256       string
	ETag         string
	LastModified string
}

// Source fetches one feed file. It is safe for concurrent use; fetches of
// one Source are serialised.
type Source struct {
	mu  sync.Mutex
	cfg SourceConfig
}

var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// NewSource checks cfg and returns a Source. Errors are EINVALID.
func NewSource(cfg SourceConfig) (*Source, error) {
	if !sourceName.MatchString(cfg.Name) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name", "%q is not a feed name (letters, digits, '.', '_', '-')", cfg.Name)
	}
	if cfg.Location == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "location", "a file path or http(s) URL is required")
	}
	if cfg.isHTTP() {
		if cfg.CacheDir == "" {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "cache_dir", "a cache directory is required for a downloaded feed")
		}
	} else if strings.Contains(cfg.Location, "://") && !strings.HasPrefix(cfg.Location, "file://") {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "location", "only file paths and http(s) URLs are supported")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 256 << 20
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tldguard-feed/1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg}, nil
}

func (c *SourceConfig) isHTTP() bool {
	l := strings.ToLower(c.Location)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// sourceMeta is the JSON sidecar kept beside the last good copy.
type sourceMeta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	FetchedAt    time.Time `json:"fetched_at"`
	CheckedAt    time.Time `json:"checked_at"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
}

func (s *Source) dataPath() string { return filepath.Join(s.cfg.CacheDir, s.cfg.Name+".data") }
func (s *Source) metaPath() string { return filepath.Join(s.cfg.CacheDir, s.cfg.Name+".meta.json") }

// Fetch makes the feed's current copy available. A local file is checked
// and returned in place. A URL is fetched with a conditional GET against
// the last good copy's validators: 304 keeps the copy; 200 streams to a
// temporary file that replaces the copy only once it is complete, within
// MaxBytes, non-empty and (when set) valid.
//
// When a download fails, Fetch returns the last good copy together with
// the error, so a failed or truncated download never empties a feed; the
// returned Fetched has Fresh false. Errors: EUNAVAILABLE (network, HTTP
// status, timeout, truncated body), ETOOLARGE (over MaxBytes), the
// Validate error, EINTERNAL (cache directory trouble).
func (s *Source) Fetch(ctx context.Context) (Fetched, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cfg.isHTTP() {
		return s.local()
	}
	if err := os.MkdirAll(s.cfg.CacheDir, 0o750); err != nil {
		return Fetched{}, tldguard.Internal(err, "create feed cache directory")
	}
	meta, haveCopy := s.loadMeta()
	last := Fetched{}
	if haveCopy {
		last = Fetched{Path: s.dataPath(), FetchedAt: meta.FetchedAt, Size: meta.Size, SHA256: meta.SHA256,
			ETag: meta.ETag, LastModified: meta.LastModified}
	}
	got, err := s.download(ctx, meta, haveCopy)
	if err != nil {
		return last, err
	}
	return got, nil
}

func (s *Source) local() (Fetched, error) {
	path := strings.TrimPrefix(s.cfg.Location, "file://")
	fi, err := os.Stat(path)
	if err != nil {
		return Fetched{}, &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: fmt.Sprintf("feed %q: file %s cannot be read", s.cfg.Name, path), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return Fetched{}, tldguard.Errorf(tldguard.EUNAVAILABLE, "feed %q: %s is not a regular file", s.cfg.Name, path)
	}
	if fi.Size() > s.cfg.MaxBytes {
		return Fetched{}, tldguard.Errorf(tldguard.ETOOLARGE, "feed %q: %s has %d bytes, over the %d-byte cap", s.cfg.Name, path, fi.Size(), s.cfg.MaxBytes)
	}
	return Fetched{Path: path, Fresh: true, FetchedAt: fi.ModTime(), Size: fi.Size()}, nil
}

// Cached describes the copy Fetch would fall back on, without fetching:
// for a downloaded feed the last good copy (ok is false when there is
// none) and when the server last confirmed it; for a local file the file.
func (s *Source) Cached() (f Fetched, checkedAt time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cfg.isHTTP() {
		f, err := s.local()
		return f, f.FetchedAt, err == nil
	}
	meta, ok := s.loadMeta()
	if !ok {
		return Fetched{}, time.Time{}, false
	}
	return Fetched{Path: s.dataPath(), FetchedAt: meta.FetchedAt, Size: meta.Size, SHA256: meta.SHA256,
		ETag: meta.ETag, LastModified: meta.LastModified}, meta.CheckedAt, true
}

// loadMeta reads the sidecar; a copy whose size does not match its sidecar
// is not trusted for validators (but is still the copy to fall back on).
func (s *Source) loadMeta() (sourceMeta, bool) {
	var m sourceMeta
	fi, err := os.Stat(s.dataPath())
	if err != nil || !fi.Mode().IsRegular() {
		return m, false
	}
	b, err := os.ReadFile(s.metaPath())
	if err != nil || json.Unmarshal(b, &m) != nil || m.Size != fi.Size() {
		return sourceMeta{Size: fi.Size(), FetchedAt: fi.ModTime()}, true
	}
	return m, true
}

func (s *Source) download(ctx context.Context, meta sourceMeta, haveCopy bool) (Fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.Location, nil)
	if err != nil {
		return Fetched{}, tldguard.FieldErrorf(tldguard.EINVALID, "location", "%q is not a usable URL", s.cfg.Location)
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	if haveCopy && meta.URL == s.cfg.Location {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return Fetched{}, s.unavailable(err, "the download failed")
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified && haveCopy:
		meta.CheckedAt = s.cfg.Now().UTC()
		if meta.URL == "" {
			meta.URL = s.cfg.Location
		}
		_ = s.writeMeta(meta) // the copy stands even if the check time is not recorded
		return Fetched{Path: s.dataPath(), Fresh: true, NotModified: true, FetchedAt: meta.FetchedAt,
			Size: meta.Size, SHA256: meta.SHA256, ETag: meta.ETag, LastModified: meta.LastModified}, nil
	case resp.StatusCode != http.StatusOK:
		return Fetched{}, tldguard.Errorf(tldguard.EUNAVAILABLE, "feed %q: %s answered HTTP %d", s.cfg.Name, redactURL(s.cfg.Location), resp.StatusCode)
	}
	if resp.ContentLength > s.cfg.MaxBytes {
		return Fetched{}, tldguard.Errorf(tldguard.ETOOLARGE, "feed %q: the server announced %d bytes, over the %d-byte cap",
			s.cfg.Name, resp.ContentLength, s.cfg.MaxBytes)
	}

	tmp, err := os.CreateTemp(s.cfg.CacheDir, s.cfg.Name+".tmp-*")
	if err != nil {
		return Fetched{}, tldguard.Internal(err, "create temporary feed file")
	}
	tmpName := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, s.cfg.MaxBytes+1))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return Fetched{}, tldguard.Internal(err, "write temporary feed file")
		}
		return Fetched{}, s.unavailable(err, fmt.Sprintf("the download broke off after %d bytes", n))
	}
	if n > s.cfg.MaxBytes {
		return Fetched{}, tldguard.Errorf(tldguard.ETOOLARGE, "feed %q: the body is over the %d-byte cap", s.cfg.Name, s.cfg.MaxBytes)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return Fetched{}, tldguard.Errorf(tldguard.EUNAVAILABLE, "feed %q: truncated download: %d of %d bytes", s.cfg.Name, n, resp.ContentLength)
	}
	if n == 0 {
		return Fetched{}, tldguard.Errorf(tldguard.EUNAVAILABLE, "feed %q: the server sent an empty body", s.cfg.Name)
	}
	if err := tmp.Sync(); err != nil {
		return Fetched{}, tldguard.Internal(err, "sync temporary feed file")
	}
	if s.cfg.Validate != nil {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return Fetched{}, tldguard.Internal(err, "rewind temporary feed file")
		}
		if err := s.cfg.Validate(tmp); err != nil {
			return Fetched{}, err
		}
	}
	if err := tmp.Close(); err != nil {
		return Fetched{}, tldguard.Internal(err, "close temporary feed file")
	}
	if err := os.Rename(tmpName, s.dataPath()); err != nil {
		return Fetched{}, tldguard.Internal(err, "replace the last good feed copy")
	}
	keep = true
	syncDir(s.cfg.CacheDir)
	now := s.cfg.Now().UTC()
	m := sourceMeta{URL: s.cfg.Location, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		FetchedAt: now, CheckedAt: now, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	if err := s.writeMeta(m); err != nil {
		// The data is in place; without its sidecar the next fetch is
		// simply unconditional.
		return Fetched{Path: s.dataPath(), Fresh: true, FetchedAt: now, Size: n, SHA256: m.SHA256}, err
	}
	return Fetched{Path: s.dataPath(), Fresh: true, FetchedAt: now, Size: n, SHA256: m.SHA256,
		ETag: m.ETag, LastModified: m.LastModified}, nil
}

func (s *Source) writeMeta(m sourceMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return tldguard.Internal(err, "encode feed sidecar")
	}
	tmp, err := os.CreateTemp(s.cfg.CacheDir, s.cfg.Name+".meta-*")
	if err != nil {
		return tldguard.Internal(err, "create feed sidecar")
	}
	_, werr := tmp.Write(append(b, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return tldguard.Internal(err, "write feed sidecar")
	}
	if err := os.Rename(tmp.Name(), s.metaPath()); err != nil {
		os.Remove(tmp.Name())
		return tldguard.Internal(err, "replace feed sidecar")
	}
	syncDir(s.cfg.CacheDir)
	return nil
}

func (s *Source) unavailable(err error, what string) error {
	msg := fmt.Sprintf("feed %q: %s", s.cfg.Name, what)
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		msg = fmt.Sprintf("feed %q: %s: timed out after %s", s.cfg.Name, what, s.cfg.Timeout)
	}
	return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: msg, Err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// redactURL drops a URL's query and user info, where feed keys travel.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '@'); j >= 0 && !strings.Contains(u[i+3:i+3+j], "/") {
			u = u[:i+3] + u[i+3+j+1:]
		}
	}
	return u
}

// syncDir makes a rename durable; a failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
