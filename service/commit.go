package service

import (
	"context"
	"sync"

	"github.com/tldguard/tldguard"
)

// committer is group commit for the whole process: writers hand it their
// transaction bodies, and one goroutine runs everything that has queued up
// while the previous commit was syncing as one transaction (each body in its
// own savepoint). A body's caller hears back only after the commit is
// durable, so the promise "answered means on disk" is kept, while one fsync
// serves many requests. Under no load a batch holds a single body and adds
// no latency.
type committer struct {
	store tldguard.Store
	max   int
	work  chan *commitJob

	mu      sync.RWMutex // held for reading while a job is handed over
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
}

type commitJob struct {
	fn  func(tldguard.Tx) error
	err chan error
}

func newCommitter(store tldguard.Store, max int) *committer {
	c := &committer{store: store, max: max, work: make(chan *commitJob, max), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in the next group commit and returns its outcome. fn may run
// more than once (an engine retries serialisation failures), so it must set
// any captured results afresh on each run. Once fn is queued, do waits for
// the outcome even if ctx ends: the caller must not report a failure for a
// write that then commits.
func (c *committer) do(ctx context.Context, fn func(tldguard.Tx) error) error {
	j := &commitJob{fn: fn, err: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "shutting down")
	}
	select {
	case c.work <- j:
	case <-ctx.Done():
		c.mu.RUnlock()
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "request cancelled before it was stored")
	}
	c.mu.RUnlock()
	return <-j.err
}

func (c *committer) run() {
	defer close(c.stopped)
	batch := make([]*commitJob, 0, c.max)
	fns := make([]func(tldguard.Tx) error, 0, c.max)
	for {
		var first *commitJob
		select {
		case first = <-c.work:
		case <-c.stop:
			// Nothing can be queued any more; finish what was.
			select {
			case first = <-c.work:
			default:
				return
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < c.max {
			select {
			case j := <-c.work:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		fns = fns[:0]
		for _, j := range batch {
			fns = append(fns, j.fn)
		}
		errs := c.store.WriteBatch(context.Background(), fns)
		for i, j := range batch {
			j.err <- errs[i]
		}
	}
}

// close refuses new work, lets the queued work commit, and returns when the
// committer has stopped.
func (c *committer) close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if !already {
		close(c.stop)
	}
	<-c.stopped
}
