package feed

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/tldguard/tldguard"
)

// DNSBLConfig configures blocklist lookups.
type DNSBLConfig struct {
	// Resolver is the host:port of the recursive resolver to ask (port 53
	// when omitted). Spamhaus refuses queries from public resolvers: use
	// the operator's own.
	Resolver string
	// Zones are the lists to ask, in order (SpamhausDBL(), SURBLMulti(),
	// or the operator's own).
	Zones []Zone
	// QueriesPerSecond caps the query rate across all zones; 0 means no cap.
	QueriesPerSecond float64
	// CacheSize bounds the answers kept (default 10000; negative disables).
	CacheSize int
	// MinTTL and MaxTTL bound how long answers are cached (defaults 30s and
	// 1h); NegativeTTL is used for "not listed" answers that carry no SOA
	// (default 5m).
	MinTTL, MaxTTL, NegativeTTL time.Duration
	// Timeout bounds one attempt (default 2s); Attempts is how many UDP
	// attempts a query gets (default 2). A truncated answer is asked again
	// over TCP.
	Timeout  time.Duration
	Attempts int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DNSBL looks names up in DNS blocklists. It is safe for concurrent use.
type DNSBL struct {
	cfg      DNSBLConfig
	zones    map[string]*Zone
	order    []*Zone
	udp, tcp *dns.Client
	cache    *ttlCache
	limit    *limiter
}

// NewDNSBL checks cfg and returns a DNSBL. Errors are EINVALID.
func NewDNSBL(cfg DNSBLConfig) (*DNSBL, error) {
	if cfg.Resolver == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "resolver", "a resolver address is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Resolver); err != nil {
		cfg.Resolver = net.JoinHostPort(cfg.Resolver, "53")
		if _, _, err := net.SplitHostPort(cfg.Resolver); err != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "resolver", "%q is not a host:port", cfg.Resolver)
		}
	}
	if len(cfg.Zones) == 0 {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "zones", "at least one blocklist zone is required")
	}
	if cfg.QueriesPerSecond < 0 {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "queries_per_second", "must not be negative")
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
	}
	if cfg.MinTTL <= 0 {
		cfg.MinTTL = 30 * time.Second
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = time.Hour
	}
	if cfg.MaxTTL < cfg.MinTTL {
		cfg.MaxTTL = cfg.MinTTL
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 5 * time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &DNSBL{
		cfg:   cfg,
		zones: make(map[string]*Zone, len(cfg.Zones)),
		udp:   &dns.Client{Net: "udp", Timeout: cfg.Timeout},
		tcp:   &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		cache: newTTLCache(cfg.CacheSize),
		limit: newLimiter(cfg.QueriesPerSecond, cfg.Now),
	}
	for i := range cfg.Zones {
		z := cfg.Zones[i]
		z.Name = strings.ToLower(strings.TrimSuffix(z.Name, "."))
		if err := z.Validate(); err != nil {
			return nil, err
		}
		if _, dup := d.zones[z.Name]; dup {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "zones", "zone %q is listed twice", z.Name)
		}
		d.zones[z.Name] = &z
		d.order = append(d.order, &z)
	}
	return d, nil
}

// Lookup asks one zone about name, which must already be normalised to
// its ASCII (A-label) form. Not listed is a Result with Listed false and
// no error. Errors: EINVALID for a bad name or an unknown zone;
// EUNAVAILABLE when the resolver fails or the list answers with an error
// code (wrapping ErrBlocklistCode) or a foreign answer (ErrBlocklistAnswer).
func (d *DNSBL) Lookup(ctx context.Context, zone, name string) (Result, error) {
	z, ok := d.zones[strings.ToLower(strings.TrimSuffix(zone, "."))]
	if !ok {
		return Result{}, tldguard.FieldErrorf(tldguard.EINVALID, "zone", "no blocklist zone %q is configured", zone)
	}
	name = strings.TrimSuffix(name, ".")
	if err := checkQueryName(name); err != nil {
		return Result{}, err
	}
	qname := name + "." + z.Name + "."
	if _, ok := dns.IsDomainName(qname); !ok || len(qname) > 254 {
		return Result{}, tldguard.FieldErrorf(tldguard.EINVALID, "name", "%q is too long or malformed for a blocklist query", name)
	}
	key := strings.ToLower(qname)
	now := d.cfg.Now()
	if r, exp, ok := d.cache.get(key, now); ok {
		r.Cached = true
		r.Name = name
		r.TTL = exp.Sub(now)
		return r, nil
	}
	if err := d.limit.wait(ctx); err != nil {
		return Result{}, tldguard.Errorf(tldguard.EUNAVAILABLE, "blocklist %s: %v", z.Name, err)
	}
	m, err := d.exchange(ctx, qname)
	if err != nil {
		return Result{}, &tldguard.Error{Kind: tldguard.EUNAVAILABLE,
			Message: fmt.Sprintf("blocklist %s: no answer from resolver %s", z.Name, d.cfg.Resolver), Err: err}
	}
	res, ttl, err := decodeResponse(z, qname, m)
	if err != nil {
		return Result{}, err
	}
	res.Name = name
	switch {
	case ttl < 0 && !res.Listed:
		ttl = d.cfg.NegativeTTL
	case ttl < d.cfg.MinTTL:
		ttl = d.cfg.MinTTL
	}
	ttl = min(ttl, d.cfg.MaxTTL)
	res.TTL = ttl
	d.cache.put(key, res.clone(), d.cfg.Now().Add(ttl))
	return res, nil
}

// Check asks every configured zone about name, in order. It returns the
// results of the zones that answered and, joined, the errors of those
// that did not.
func (d *DNSBL) Check(ctx context.Context, name string) ([]Result, error) {
	var (
		out  []Result
		errs []error
	)
	for _, z := range d.order {
		r, err := d.Lookup(ctx, z.Name, name)
		if err != nil {
			if tldguard.ErrorKind(err) == tldguard.EINVALID {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func checkQueryName(name string) error {
	if name == "" {
		return tldguard.FieldErrorf(tldguard.EINVALID, "name", "the name is empty")
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "name", "%q is not in A-label (ASCII) form", name)
		}
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return tldguard.FieldErrorf(tldguard.EINVALID, "name", "blocklist lookups take names, not IP addresses")
	}
	return nil
}

func (d *DNSBL) exchange(ctx context.Context, qname string) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(qname, dns.TypeA)
	q.RecursionDesired = true
	var lastErr error
	for range d.cfg.Attempts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, _, err := d.udp.ExchangeContext(ctx, q, d.cfg.Resolver)
		if err == nil && m.Truncated {
			m, _, err = d.tcp.ExchangeContext(ctx, q, d.cfg.Resolver)
		}
		if err == nil {
			return m, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// ttlCache is a size-bounded LRU of answers with expiry times.
type ttlCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheItem struct {
	key string
	res Result
	exp time.Time
}

func newTTLCache(max int) *ttlCache {
	return &ttlCache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

func (c *ttlCache) get(key string, now time.Time) (Result, time.Time, bool) {
	if c.max <= 0 {
		return Result{}, time.Time{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Result{}, time.Time{}, false
	}
	it := el.Value.(*cacheItem)
	if !now.Before(it.exp) {
		c.ll.Remove(el)
		delete(c.items, key)
		return Result{}, time.Time{}, false
	}
	c.ll.MoveToFront(el)
	return it.res.clone(), it.exp, true
}

func (c *ttlCache) put(key string, res Result, exp time.Time) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		it := el.Value.(*cacheItem)
		it.res, it.exp = res, exp
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheItem{key: key, res: res, exp: exp})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheItem).key)
	}
}

func (c *ttlCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// limiter spaces queries evenly at a fixed rate.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

func newLimiter(perSecond float64, now func() time.Time) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond), now: now, sleep: sleepCtx}
}

// wait blocks until the caller's turn, or until ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.now()
	t := l.next
	if t.Before(now) {
		t = now
	}
	l.next = t.Add(l.interval)
	l.mu.Unlock()
	if d := t.Sub(now); d > 0 {
		return l.sleep(ctx, d)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
