package zone

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/tldguard/tldguard"
)

// readPlain reads uncompressed input in blocks on the caller's goroutine.
// Once bufio's small buffer is drained, reads of a whole block go straight
// into buf.
func (z *Reader) readPlain(ctx context.Context, br *bufio.Reader) error {
	buf := make([]byte, z.opt.BlockSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := br.Read(buf)
		if n > 0 {
			if ferr := z.feed(buf[:n]); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return tldguard.Internal(err, "reading zone "+z.opt.Name)
		}
	}
}

// chunk is a block of decompressed text, or the error that ended the
// stream (io.EOF at a clean end).
type chunk struct {
	buf []byte
	err error
}

var errStopped = errors.New("zone: reader stopped")

// readGzip decompresses on its own goroutine and parses on the caller's:
// the decompressor fills blocks from a fixed pool and hands them over a
// channel, the parser hands them back when done. Memory stays at
// blocksInFlight blocks plus the decompressor's window, and the two stages
// run on two cores. Read returns only after the decompressor has stopped,
// so the input is never touched after Read returns.
func (z *Reader) readGzip(ctx context.Context, br *bufio.Reader, cr *countReader) error {
	gz, err := gzip.NewReader(br)
	if err != nil {
		return z.gzipError(err, cr)
	}
	free := &blockStack{sig: make(chan struct{}, 1)}
	for range blocksInFlight {
		free.put(make([]byte, 0, z.opt.BlockSize))
	}
	full := make(chan chunk, blocksInFlight)
	done := make(chan struct{})
	var ended atomic.Bool // the decompressor has nothing more to do
	var wg sync.WaitGroup
	wg.Go(func() {
		w := &blockWriter{free: free, full: full, done: done}
		_, err := gz.WriteTo(w)
		ended.Store(true)
		if err == nil {
			err = io.EOF
		}
		if err != errStopped {
			select {
			case full <- chunk{buf: w.buf, err: err}:
			case <-done:
			}
		}
		close(full)
	})
	defer func() {
		close(done)
		wg.Wait()
	}()
	spare := z.opt.Spare
	for {
		if spare != nil && len(full) < blocksInFlight/2 && !ended.Load() {
			if !spare() {
				spare = nil
			}
			continue
		}
		c, ok := <-full
		if !ok {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(c.buf) > 0 {
			if err := z.feed(c.buf); err != nil {
				return err
			}
		}
		if c.err == io.EOF {
			return nil
		}
		if c.err != nil {
			return z.gzipError(c.err, cr)
		}
		free.put(c.buf[:0])
	}
}

// gzipError tells a failing input apart from corrupt or truncated data.
func (z *Reader) gzipError(err error, cr *countReader) error {
	if cr.err != nil {
		return tldguard.Internal(cr.err, "reading zone "+z.opt.Name)
	}
	return &tldguard.Error{Kind: tldguard.EINVALID, Field: z.opt.Name,
		Message: "corrupt or truncated gzip data", Err: err}
}

// blockStack is the pool's free blocks, last in first out: the block the
// decompressor fills next is the one the parser finished last, still in a
// cache, where the oldest one would come from memory. Filling a cold block
// cost the decompressor, the critical path, about 8% against 4% for a
// warm one (1 MiB blocks, 16 in flight).
type blockStack struct {
	mu   sync.Mutex
	bufs [][]byte
	sig  chan struct{} // a put since the last wait, for a waiting get
}

func (s *blockStack) put(b []byte) {
	s.mu.Lock()
	s.bufs = append(s.bufs, b)
	s.mu.Unlock()
	select {
	case s.sig <- struct{}{}:
	default:
	}
}

// get takes the block put last, waiting for one; false when done closes
// first.
func (s *blockStack) get(done <-chan struct{}) ([]byte, bool) {
	for {
		s.mu.Lock()
		if n := len(s.bufs); n > 0 {
			b := s.bufs[n-1]
			s.bufs = s.bufs[:n-1]
			s.mu.Unlock()
			return b, true
		}
		s.mu.Unlock()
		select {
		case <-s.sig:
		case <-done:
			return nil, false
		}
	}
}

// blockWriter receives the decompressor's output and fills pool blocks.
type blockWriter struct {
	buf  []byte
	free *blockStack
	full chan chunk
	done chan struct{}
}

func (w *blockWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			var ok bool
			if w.buf, ok = w.free.get(w.done); !ok {
				return n, errStopped
			}
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
		if len(w.buf) == cap(w.buf) {
			select {
			case w.full <- chunk{buf: w.buf}:
				w.buf = nil
			case <-w.done:
				return n, errStopped
			}
		}
	}
	return n, nil
}

// feed splits a block into lines. A line that crosses into the next block
// waits in carry; a line longer than MaxLineLength is reported and skipped.
func (z *Reader) feed(b []byte) error {
	z.bytes += int64(len(b))
	if z.skip || len(z.carry) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return z.keep(b)
		}
		if err := z.keep(b[:i]); err != nil {
			return err
		}
		b = b[i+1:]
		z.lines++
		if z.skip {
			z.skip = false
		} else {
			if err := z.line(z.carry); err != nil {
				return err
			}
			if z.ownerLazy {
				z.syncOwner()
			}
		}
		z.carry = z.carry[:0]
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := b[:i]
		b = b[i+1:]
		z.lines++
		if z.depth == 0 && !z.opt.noFast {
			if ok, err := z.fast(line); ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		if err := z.general(line); err != nil {
			return err
		}
	}
	if z.ownerLazy {
		z.syncOwner()
	}
	return z.keep(b)
}

// keep adds the start of a line to carry.
func (z *Reader) keep(b []byte) error {
	if z.skip || len(b) == 0 {
		return nil
	}
	if len(z.carry)+len(b) > MaxLineLength {
		z.carry = z.carry[:0]
		z.skip = true
		return z.badLine(z.lines+1, 1, "line longer than %d bytes", MaxLineLength)
	}
	z.carry = append(z.carry, b...)
	return nil
}

// line handles one complete line, trying the fast path first.
func (z *Reader) line(l []byte) error {
	if z.depth == 0 && !z.opt.noFast {
		if ok, err := z.fast(l); ok {
			return err
		}
	}
	return z.general(l)
}
