package rdap

import (
	"container/list"
	"sync"
	"time"
)

// cache keeps recent answers, found and not found, for a while. It holds at
// most max entries and drops the least recently used first.
type cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	name string
	d    *domain // nil: the registry does not hold the name
	exp  time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

// get returns a copy of the cached answer for name; hit is false when
// there is none or it has expired.
func (c *cache) get(name string, now time.Time) (d *domain, hit bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[name]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.exp) {
		c.ll.Remove(el)
		delete(c.items, name)
		return nil, false
	}
	c.ll.MoveToFront(el)
	if e.d == nil {
		return nil, true
	}
	return e.d.clone(), true
}

// put stores an answer (nil for not found) until exp.
func (c *cache) put(name string, d *domain, exp time.Time) {
	if c.max <= 0 {
		return
	}
	if d != nil {
		d = d.clone()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[name]; ok {
		e := el.Value.(*cacheEntry)
		e.d, e.exp = d, exp
		c.ll.MoveToFront(el)
		return
	}
	c.items[name] = c.ll.PushFront(&cacheEntry{name: name, d: d, exp: exp})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).name)
	}
}

func (c *cache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[name]; ok {
		c.ll.Remove(el)
		delete(c.items, name)
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
