package zone

import "context"

// Type codes of the records a caller of Records most often wants.
const (
	TypeA    uint16 = typeA
	TypeNS   uint16 = typeNS
	TypeSOA  uint16 = typeSOA
	TypeAAAA uint16 = typeAAAA
	TypeDS   uint16 = typeDS
)

// Record is one resource record of the zone, as Records yields it. Its
// slices are valid only during the call.
type Record struct {
	// Owner is the owner name in canonical form (see Reader.Read), fully
	// qualified: "bad.example.".
	Owner []byte
	Type  uint16
	// Data is the rdata in presentation form, its fields separated by one
	// space, quoted strings in their quotes, without comments or
	// parentheses. The target of an NS record is in canonical form and
	// fully qualified, however the file wrote it (relative, in capitals,
	// escaped, or as RFC 3597 \# data). Other rdata is as the file wrote it:
	// names in it are neither completed with the origin nor folded.
	Data []byte
	// Below reports whether the owner is strictly below an apex: an NS
	// record that is Below is a delegation.
	Below bool
	// Line is the line the record starts on.
	Line int64
}

// Records reads the whole zone as Read does and calls fn with every valid
// record at or below an apex, in file order. Records outside the apexes
// are counted (Stats.OutOfZone) but not yielded; bad lines are reported as
// for Read. Stats are the same as after Read. Errors are Read's, and fn's
// error, as returned, when fn fails.
//
// Read and Names do not pay for Records: the reader builds Data only when
// it has a Records caller.
func (z *Reader) Records(ctx context.Context, fn func(Record) error) error {
	z.recFn = fn
	return z.Read(ctx, func([]byte) error { return nil })
}

// emit yields a record to the Records caller; z.data holds its rdata. It
// stays out of line: inlined into record, which Read runs for every
// record, it cost Read's fast path about 2%.
//
//go:noinline
func (z *Reader) emit(owner []byte, typ uint16, below bool, line int64) error {
	return z.recFn(Record{Owner: owner, Type: typ, Data: z.data, Below: below, Line: line})
}

// fastData sets z.data from the rdata of a line the fast path took. An NS
// target there is fully qualified and made of letters, digits, hyphens and
// underscores, so lower case is its canonical form; other fast rdata holds
// only plain tokens, which the complete path would join with one space.
func (z *Reader) fastData(typ uint16, rd []byte) {
	d := z.data[:0]
	if typ == typeNS {
		for _, c := range rd {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			d = append(d, c)
		}
	} else {
		sep := false
		for _, c := range rd {
			if isSep(c) {
				sep = true
				continue
			}
			if sep && len(d) > 0 {
				d = append(d, ' ')
			}
			sep = false
			d = append(d, c)
		}
	}
	z.data = d
}

// generalData sets z.data from the rdata tokens of a record the complete
// path read. It runs after rdata, which left an NS target in z.scratch:
// canonical, or as wire data when the file used the \# form.
func (z *Reader) generalData(typ uint16, rd []token) {
	d := z.data[:0]
	switch {
	case typ == typeNS && len(rd) > 0 && !rd[0].quoted && string(z.tok(rd[0])) == `\#`:
		d = appendWireName(d, z.scratch)
	case typ == typeNS:
		d = append(d, z.scratch...)
	default:
		for i, t := range rd {
			if i > 0 {
				d = append(d, ' ')
			}
			if t.quoted {
				d = append(d, '"')
				d = append(d, z.tok(t)...)
				d = append(d, '"')
			} else {
				d = append(d, z.tok(t)...)
			}
		}
	}
	z.data = d
}

// appendWireName appends the canonical presentation form of an
// uncompressed wire-format name that checkWire accepted.
func appendWireName(dst, wire []byte) []byte {
	if len(wire) == 0 || wire[0] == 0 {
		return append(dst, '.')
	}
	for i := 0; i < len(wire) && wire[i] != 0; {
		l := int(wire[i])
		for _, c := range wire[i+1 : i+1+l] {
			dst = appendCanon(dst, c)
		}
		dst = append(dst, '.')
		i += 1 + l
	}
	return dst
}
