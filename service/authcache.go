package service

import (
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// tokenCacheTTL is how long a resolved API token is trusted without asking
// the store. Intake at a thousand reports a second would otherwise spend a
// read transaction per request on the same few tokens. The price: a token
// revoked, or an account disabled or re-verified, from another process or
// node takes effect there within this time (at once in this process, which
// clears the cache on every account change it makes).
const tokenCacheTTL = 5 * time.Second

// maxCachedTokens bounds the cache; past it the cache starts over.
const maxCachedTokens = 10000

type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p       tldguard.Principal
	expires time.Time
}

func (c *tokenCache) get(hash []byte, now time.Time) (*tldguard.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(hash)]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	p := e.p // a copy: callers may not change the cached one
	return &p, true
}

func (c *tokenCache) put(hash []byte, p *tldguard.Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cachedPrincipal)
	}
	c.m[string(hash)] = cachedPrincipal{p: *p, expires: now.Add(tokenCacheTTL)}
}

// clear forgets every cached token (after an account change).
func (c *tokenCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
