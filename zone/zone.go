// Package zone reads DNS zone files as a stream and yields the names
// delegated under the operator's TLD apexes: the input of the periodic zone
// check (Specification 11 §3(b)).
//
// It reads RFC 1035 master files, plain or gzip-compressed (detected by the
// magic bytes), in constant memory: the reader holds a few blocks of input,
// one line or one parenthesised record, and the last name it yielded. What
// grows is only what the caller keeps.
//
// Each line is first tried on a fast path for ICANN's zone-file format
// (registry agreement Specification 4, CZDS): one record per line, fields
// separated by one tab or space, a fully qualified lower-case owner, then
// TTL, class "in", type and rdata. Any line that does not match exactly, or
// that continues a parenthesised record, goes to the complete path, which
// knows $ORIGIN, $TTL, relative and blank owners, "@", parentheses,
// comments, quoted strings, escapes, mixed case, TTL and class in either
// order or absent, TYPEnnn and the RFC 3597 "\#" rdata form. Both paths end
// in the same record handler, so a line gives the same result on either.
//
// Gzip input is decompressed on a goroutine of its own, which fills blocks
// from a fixed pool and hands them to the parser over a channel; the two
// stages run on two cores, and a read takes about as long as the
// decompression alone.
//
// $INCLUDE fails the read (the reader opens no files); $GENERATE and other
// directives are bad lines; a quoted string ends on its own line.
//
// A delegation is an NS record whose owner is strictly below an apex; the
// name yielded is that owner in canonical form: lower case, no trailing dot,
// escapes only where a byte needs one. A and AAAA records below an apex are
// counted as glue, DS records by type; neither yields a name.
//
// Records yields every record in the zone instead, with its type and
// rdata, for callers that need more than the names (the embedded
// registry's import wants the name servers).
package zone

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/tldguard/tldguard"
)

// Defaults for Options.
const (
	DefaultMaxBadRatio = 0.01
	DefaultMinLines    = 1000
	DefaultBlockSize   = 1 << 20

	// MaxLineLength bounds one line, and MaxRecordLength one parenthesised
	// record; both keep memory constant on hostile input. A line over the
	// limit is skipped and reported.
	MaxLineLength   = 1 << 20
	MaxRecordLength = 1 << 20
	// MaxRecordLines bounds the lines of one parenthesised record, so that
	// a missing ")" cannot swallow the rest of a zone unnoticed: every line
	// of an abandoned record counts as bad.
	MaxRecordLines = 10000

	maxKeptErrors = 100
	// blocksInFlight is the decompressor's lead over the parser. When the
	// parser shares its core with other work (the zone check reads its
	// feeds at the same time), a deep pool keeps the decompressor, the
	// critical path, from waiting: 16 MiB gave the check 1.19-1.22x the
	// decompression time against 1.24x with 4 blocks, measured in
	// alternation in one session.
	blocksInFlight = 16
)

// Options configure a Reader. The zero value reads a zone whose apex is
// learned from its SOA record.
type Options struct {
	// Name names the input in error messages, e.g. "com.zone.gz".
	Name string
	// Apexes are the zones the file holds, e.g. "com" or "example.": a
	// short list, case-insensitive, the trailing dot optional; "." is the
	// root. When empty, the owner of each SOA record becomes an apex, and
	// records before the first SOA are reported as bad lines.
	Apexes []string
	// Origin is the $ORIGIN in force at the start of the file. It defaults
	// to the apex when exactly one is given.
	Origin string
	// MaxBadRatio is the share of bad lines past which the read fails
	// (default 1%). It is checked from MinLines lines on, at each bad line
	// and at the end; 1 never fails.
	MaxBadRatio float64
	// MinLines is the number of lines to read before the ratio applies
	// (default 1000).
	MinLines int64
	// OnError is called with each bad line's number and its error, an
	// *tldguard.Error of kind EINVALID whose Field names the file and line.
	// The read goes on. The first errors are also kept in Stats.Errors.
	OnError func(line int64, err error)
	// BlockSize is the size of the blocks read or decompressed at a time
	// (default 1 MiB).
	BlockSize int
	// Spare, when set, is given the parser's spare time in a read of gzip
	// input, whose decompression is the read's critical path and has a
	// core of its own. While the decompressor has room to run ahead
	// (fewer than half the blocks in flight wait to be parsed), Read calls
	// Spare before it parses the next block, and waits for no block while
	// Spare has work. Spare should do a small slice of the caller's other
	// work (a millisecond or so) and report whether any is left; once it
	// reports false, or the decompressor has finished, it is not called
	// again, and what is left is the caller's to finish. It runs on Read's goroutine,
	// so the caller's work shares the parser's core instead of taking
	// turns with the decompressor for one. Plain input does not call it.
	Spare func() bool

	noFast bool // tests: send every line to the complete path
}

// Stats describe what a read saw. Lines and BadLines count physical lines;
// a bad record spread over several lines counts all of them.
type Stats struct {
	Gzip            bool
	CompressedBytes int64 // bytes read from the input, as given
	Bytes           int64 // bytes of zone text (after decompression)
	Lines           int64
	BadLines        int64
	FastLines       int64 // lines the fast path took
	Records         int64
	Names           int64 // names yielded (see Reader.Read on repeats)
	Glue            int64 // A and AAAA records strictly below an apex
	OutOfZone       int64 // records neither at nor below an apex
	// Types counts records by type mnemonic ("NS", "DS", "TYPE65534").
	Types map[string]int64
	// Serials holds the SOA serial per apex, keyed like the yielded names
	// ("com"; "." for the root).
	Serials map[string]uint32
	// Errors holds the first 100 bad-line errors.
	Errors []error
}

// Reader reads one zone file. It is used once, by one goroutine.
type Reader struct {
	in  io.Reader
	opt Options
	fn  func(name []byte) error
	err error // for Names

	used   bool
	apexes []apex
	learn  bool // apexes come from SOA owners

	origin     []byte // canonical, with trailing dot; nil when unset
	originWire int
	owner      []byte // the last owner, canonical, for blank owners
	hasOwner   bool
	ownerRef   []byte // the last owner, when the fast path read it: in the block
	ownerLazy  bool   // ownerRef holds the last owner, not owner
	last       []byte // the last name yielded
	hasLast    bool
	scratch    []byte

	// the line that crosses a block boundary
	carry []byte
	skip  bool // discarding the rest of an over-long line

	// the record being assembled by the complete path
	depth    int
	blank    bool
	recLine  int64
	recLines int64
	arena    []byte
	toks     []token

	gzip       bool
	compressed int64
	bytes      int64
	lines      int64
	bad        int64
	fastLines  int64
	records    int64
	names      int64
	glue       int64
	outOfZone  int64
	types      [256]int64
	typesHigh  map[uint16]int64
	serials    map[string]uint32
	errs       []error

	// Records: last, so that Read's hot fields keep their places.
	recFn func(Record) error // the Records caller, or nil
	data  []byte             // the rdata of the record at hand, for recFn
}

// NewReader returns a Reader of the zone in r.
func NewReader(r io.Reader, opt Options) *Reader {
	if opt.MaxBadRatio <= 0 {
		opt.MaxBadRatio = DefaultMaxBadRatio
	}
	if opt.MinLines <= 0 {
		opt.MinLines = DefaultMinLines
	}
	if opt.BlockSize <= 0 {
		opt.BlockSize = DefaultBlockSize
	}
	return &Reader{in: r, opt: opt}
}

var errBreak = errors.New("zone: iteration stopped")

// Read reads the whole zone and calls fn with each delegated name. The
// slice is valid only during the call: fn converts it (string(name)) to
// keep it, and may look it up in a map without allocating (m[string(name)]).
//
// A name is not yielded again while it is the last name yielded, so a
// name whose NS records are contiguous (always so in CZDS files) comes
// once. A name whose NS records are split by another delegation comes
// again; Stats.Names then counts it twice, and a caller's set absorbs it.
//
// An empty input reads as a zone without records and without error; a
// zone check should want Stats.Serials to hold its apex.
//
// Bad lines are reported (Options.OnError, Stats.Errors) and skipped. Read
// fails with an *tldguard.Error of kind EINVALID when the share of bad
// lines passes Options.MaxBadRatio, when the input is corrupt gzip, or when
// nothing but bad lines was read; of kind EUNPROCESSABLE on $INCLUDE; of
// kind EINTERNAL on an I/O error; with ctx.Err() when ctx ends; and with
// fn's error, as returned, when fn fails.
func (z *Reader) Read(ctx context.Context, fn func(name []byte) error) error {
	if z.used {
		return tldguard.Errorf(tldguard.EINTERNAL, "zone: a Reader reads once")
	}
	z.used = true
	z.fn = fn
	if err := z.setup(); err != nil {
		return err
	}
	cr := &countReader{r: z.in}
	br := bufio.NewReaderSize(cr, 64<<10)
	head, _ := br.Peek(2)
	var err error
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		z.gzip = true
		err = z.readGzip(ctx, br, cr)
	} else {
		err = z.readPlain(ctx, br)
	}
	z.compressed = cr.n
	if err != nil {
		return err
	}
	return z.finish()
}

// Names returns an iterator over the delegated names, with the same
// contract as Read; after the loop, Err returns the error that ended it.
func (z *Reader) Names(ctx context.Context) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		err := z.Read(ctx, func(name []byte) error {
			if !yield(name) {
				return errBreak
			}
			return nil
		})
		if err == errBreak {
			err = nil
		}
		z.err = err
	}
}

// Err returns the error that ended the loop over Names, or nil.
func (z *Reader) Err() error { return z.err }

// Stats returns what the read saw so far.
func (z *Reader) Stats() Stats {
	s := Stats{
		Gzip:            z.gzip,
		CompressedBytes: z.compressed,
		Bytes:           z.bytes,
		Lines:           z.lines,
		BadLines:        z.bad,
		FastLines:       z.fastLines,
		Records:         z.records,
		Names:           z.names,
		Glue:            z.glue,
		OutOfZone:       z.outOfZone,
		Types:           map[string]int64{},
		Serials:         map[string]uint32{},
		Errors:          append([]error(nil), z.errs...),
	}
	for t, n := range z.types {
		if n > 0 {
			s.Types[TypeString(uint16(t))] = n
		}
	}
	for t, n := range z.typesHigh {
		s.Types[TypeString(t)] = n
	}
	for k, v := range z.serials {
		s.Serials[k] = v
	}
	return s
}

// setup turns the options into canonical apexes and origin.
func (z *Reader) setup() error {
	for _, a := range z.opt.Apexes {
		name, err := appendName(nil, []byte(a), rootName, 1)
		if err != nil || len(a) == 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "apexes", "bad apex %s: %v", quote([]byte(a)), err)
		}
		z.addApex(name)
	}
	z.learn = len(z.apexes) == 0
	switch {
	case z.opt.Origin != "":
		o, err := appendName(nil, []byte(z.opt.Origin), rootName, 1)
		if err != nil {
			return tldguard.FieldErrorf(tldguard.EINVALID, "origin", "bad origin %s: %v", quote([]byte(z.opt.Origin)), err)
		}
		z.setOrigin(o)
	case len(z.apexes) == 1:
		z.setOrigin(append([]byte(nil), z.apexes[0].name...))
	}
	return nil
}

// badLine reports a bad record that started on line and spans n lines, and
// fails the read when the share of bad lines is past the limit.
func (z *Reader) badLine(line, n int64, format string, args ...any) error {
	z.bad += n
	e := tldguard.FieldErrorf(tldguard.EINVALID, z.field(line), format, args...)
	if len(z.errs) < maxKeptErrors {
		z.errs = append(z.errs, e)
	}
	if z.opt.OnError != nil {
		z.opt.OnError(line, e)
	}
	if z.lines >= z.opt.MinLines && z.overRatio() {
		return z.ratioError("the read was stopped there")
	}
	return nil
}

// field names a line for errors: "com.zone line 17".
func (z *Reader) field(line int64) string {
	f := "line " + strconv.FormatInt(line, 10)
	if z.opt.Name != "" {
		f = z.opt.Name + " " + f
	}
	return f
}

func (z *Reader) overRatio() bool {
	return float64(z.bad) > z.opt.MaxBadRatio*float64(z.lines)
}

func (z *Reader) ratioError(what string) error {
	msg := fmt.Sprintf("%d of %d lines are malformed (%.2f%%, over the limit of %.2f%%); %s",
		z.bad, z.lines, 100*float64(z.bad)/float64(max(z.lines, 1)), 100*z.opt.MaxBadRatio, what)
	if len(z.errs) > 0 {
		msg += "; first: " + tldguard.ErrorMessage(z.errs[0])
	}
	return &tldguard.Error{Kind: tldguard.EINVALID, Field: z.opt.Name, Message: msg}
}

// finish handles the end of the input: a last line without a newline, a
// record left open, and the final ratio check.
func (z *Reader) finish() error {
	if z.skip {
		z.skip = false
		z.lines++
	} else if len(z.carry) > 0 {
		z.lines++
		if err := z.line(z.carry); err != nil {
			return err
		}
		z.carry = z.carry[:0]
	}
	if z.depth > 0 {
		z.depth = 0
		if err := z.badLine(z.recLine, z.recLines, "parenthesis opened here is never closed"); err != nil {
			return err
		}
	}
	if z.lines >= z.opt.MinLines && z.overRatio() {
		return z.ratioError("the zone must not be used")
	}
	if z.records == 0 && z.bad > 0 {
		msg := fmt.Sprintf("none of the %d lines holds a valid record", z.lines)
		if len(z.errs) > 0 {
			msg += "; first: " + tldguard.ErrorMessage(z.errs[0])
		}
		return &tldguard.Error{Kind: tldguard.EINVALID, Field: z.opt.Name, Message: msg}
	}
	return nil
}

type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}
