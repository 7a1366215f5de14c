// Package rdap reads registration data from the registry's RDAP service:
// domain lookups (RFC 9082) answered with RFC 9083 JSON as the ICANN gTLD
// RDAP profile shapes it. A Client is a tldguard.Registry, and also gives
// the sponsoring registrar's abuse contact, which referrals go to.
//
// Only the domain path is used. Answers are cached for a short while, in
// memory and bounded in size, so that a burst of reports about one name
// costs the registry one query.
package rdap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/retryafter"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the RDAP service's base URL, e.g.
	// "https://rdap.nic.example/"; lookups go to {BaseURL}/domain/{name}.
	BaseURL string
	// HTTPClient sends the requests (default: a new client over
	// http.DefaultTransport). The Client copies it and sets its own
	// redirect policy: redirects are followed only on the base URL's
	// scheme and host.
	HTTPClient *http.Client
	// Timeout bounds one lookup, body included (default 10s).
	Timeout time.Duration
	// MaxResponseBytes caps a response body (default 1 MiB; a gTLD
	// profile response is a few tens of kilobytes).
	MaxResponseBytes int64
	// CacheSize bounds the names cached (default 10000; negative disables
	// the cache).
	CacheSize int
	// CacheTTL is how long an answer about a registered name is kept
	// (default 5m); NotFoundTTL how long a "not registered" answer is
	// (default 1m: reported names get registered).
	CacheTTL, NotFoundTTL time.Duration
	// UserAgent is sent with every request (default "tldguard-rdap").
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client is an RDAP client for one registry. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	http  *http.Client
	cache *cache

	mu          sync.Mutex
	pausedUntil time.Time // the server asked for a pause (Retry-After)
}

var _ tldguard.Registry = (*Client)(nil)

// New checks cfg and returns a Client. Errors are EINVALID and name the
// field.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "base_url", "the RDAP service's base URL is required")
	case err != nil:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "base_url", "%q is not a URL", cfg.BaseURL)
	case base.Scheme != "https" && base.Scheme != "http", base.Host == "":
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "base_url", "%q is not an http or https URL", cfg.BaseURL)
	case base.RawQuery != "" || base.Fragment != "" || base.User != nil:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "base_url", "%q must have no query, fragment or user", cfg.BaseURL)
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 || cfg.CacheTTL < 0 || cfg.NotFoundTTL < 0 {
		return nil, tldguard.Errorf(tldguard.EINVALID, "timeouts, sizes and TTLs must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = 1 << 20
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Minute
	}
	if cfg.NotFoundTTL == 0 {
		cfg.NotFoundTTL = time.Minute
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tldguard-rdap"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = sameOrigin
	return &Client{cfg: cfg, base: base, http: hc, cache: newCache(cfg.CacheSize)}, nil
}

// Lookup returns the registration of name (A-labels; case and a trailing
// dot do not matter): the name, its statuses as EPP names, name servers,
// registration and last-changed dates, and the sponsoring registrar's IANA
// id and name. Errors: EINVALID for a name that is not a domain name in
// A-label form, ENOTFOUND when the registry does not hold it, EUNAVAILABLE
// when the service is down, slow or rate limiting (RetryAfter tells how
// long it asked to wait), EUNPROCESSABLE when it answers something that is
// not a usable RDAP domain object (the message says what is wrong).
func (c *Client) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	d, err := c.domain(ctx, name)
	if err != nil {
		return nil, err
	}
	return &d.reg, nil
}

// AbuseContact returns the sponsoring registrar of name with its abuse
// contact: the e-mail address and telephone number of the entity with the
// "abuse" role inside the registrar entity. The abuse fields are empty
// when the registry publishes no abuse entity; ENOTFOUND comes back when
// the name is not registered or the answer names no registrar. Other
// errors are as for Lookup.
func (c *Client) AbuseContact(ctx context.Context, name string) (*tldguard.Registrar, error) {
	d, err := c.domain(ctx, name)
	if err != nil {
		return nil, err
	}
	if d.registrar == nil {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "the registry's RDAP answer for %s names no registrar", d.reg.Name)
	}
	return d.registrar, nil
}

// Forget drops what the cache holds about name, so that the next lookup
// asks the registry: after an action has changed the name, for instance.
func (c *Client) Forget(name string) {
	if n, err := normalize(name); err == nil {
		c.cache.forget(n)
	}
}

// domain returns the (copied) answer about name, from the cache or the
// registry.
func (c *Client) domain(ctx context.Context, name string) (*domain, error) {
	n, err := normalize(name)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	if d, hit := c.cache.get(n, now); hit {
		if d == nil {
			return nil, notFound(n)
		}
		return d, nil
	}
	c.mu.Lock()
	wait := c.pausedUntil.Sub(now)
	c.mu.Unlock()
	if wait > 0 {
		return nil, retryafter.Unavailable(wait, nil, "the registry's RDAP service asked tldguard to wait; retry after %s", wait.Round(time.Second))
	}
	body, err := c.fetch(ctx, n)
	switch {
	case tldguard.ErrorKind(err) == tldguard.ENOTFOUND:
		c.cache.put(n, nil, c.cfg.Now().Add(c.cfg.NotFoundTTL))
		return nil, err
	case err != nil:
		if after := RetryAfter(err); after > 0 {
			c.mu.Lock()
			if until := c.cfg.Now().Add(after); until.After(c.pausedUntil) {
				c.pausedUntil = until
			}
			c.mu.Unlock()
		}
		return nil, err
	}
	d, err := decodeDomain(body, n)
	if err != nil {
		return nil, err
	}
	c.cache.put(n, d, c.cfg.Now().Add(c.cfg.CacheTTL))
	return d, nil
}

// normalize checks a name to look up and returns it lower-cased without a
// trailing dot.
func normalize(name string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if n == "" {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "name", "a domain name is required")
	}
	if err := checkLDH(n); err != nil {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "name", "%s", err)
	}
	if !strings.Contains(n, ".") {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "name", "%q is a top-level domain, not a registered name", n)
	}
	return n, nil
}

func notFound(name string) error {
	return tldguard.Errorf(tldguard.ENOTFOUND, "the registry holds no domain %s", name)
}

// errOffOrigin refuses a redirect away from the RDAP service's own scheme
// and host.
var errOffOrigin = errors.New("redirect away from the RDAP service's host")

func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("%w: to %s://%s", errOffOrigin, req.URL.Scheme, req.URL.Host)
	}
	return nil
}
