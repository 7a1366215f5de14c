package http

import (
	"sync"
	"time"

	"github.com/tldguard/tldguard"
)

// limiter is a set of token buckets, one per key (a credential's hash or a
// client address). A bucket holds up to burst tokens and gains rate tokens a
// second; a request takes one. Memory is bounded: a bucket that has been
// idle long enough to refill is the same as a new one, so sweeps drop those,
// and at the cap the stalest bucket goes.
type limiter struct {
	rate  float64
	burst float64
	max   int
	now   tldguard.Now

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery is how often allow looks for full (idle) buckets to drop.
const sweepEvery = time.Minute

func newLimiter(rate float64, burst, max int, now tldguard.Now) *limiter {
	return &limiter{rate: rate, burst: float64(burst), max: max, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket. When there is none it returns
// false and how long until there is one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.sweep(now)
			if len(l.buckets) >= l.max {
				l.evictStalest()
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.refill(now, l.rate, l.burst)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.last = now
	}
}

// sweep drops the buckets that would be full by now.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// evictStalest drops the bucket used longest ago. It is linear, but runs
// only when the limiter is full of active buckets.
func (l *limiter) evictStalest() {
	var oldest string
	var at time.Time
	for k, b := range l.buckets {
		if oldest == "" || b.last.Before(at) {
			oldest, at = k, b.last
		}
	}
	delete(l.buckets, oldest)
}

// size returns the number of buckets held.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
