package zone

import (
	"bytes"
	"encoding/binary"
)

// Byte classes of the fast path: 0 a label byte, kBad a byte a name of
// the fast path does not hold, kDot a dot.
const (
	kBad = 1
	kDot = 2
)

var (
	// ownerClass: owner labels are lower case only, so the owner is
	// already canonical.
	ownerClass = nameClass("abcdefghijklmnopqrstuvwxyz0123456789-_")
	// targetClass: a name in rdata is not yielded and may be in any case.
	targetClass = nameClass("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
	// typeByte: the bytes of a lower-case type mnemonic.
	typeByte = func() (t [256]bool) {
		for _, c := range []byte("abcdefghijklmnopqrstuvwxyz0123456789") {
			t[c] = true
		}
		return t
	}()
	// notPlain: the bytes that make the tokenizer read rdata differently
	// from a plain split on separators.
	notPlain = func() (t [256]uint8) {
		for _, c := range []byte("();\"\\\r\n") {
			t[c] = 1
		}
		return t
	}()
)

func nameClass(label string) (t [256]uint8) {
	for c := range t {
		t[c] = kBad
	}
	for i := 0; i < len(label); i++ {
		t[label[i]] = 0
	}
	t['.'] = kDot
	return t
}

// fastName checks a fully qualified name of the bytes class allows (the
// owner or the target set): no empty label, no label over 63 bytes, at
// most 254 bytes (255 on the wire), a trailing dot. Names of 8 bytes or
// more are checked 8 bytes at a time (swarName); both ways are
// branch-free inside a label, for dots fall at random places and a
// branch on them mispredicts.
func fastName(b []byte, class *[256]uint8) bool {
	n := len(b)
	if n == 0 || n > 254 || b[n-1] != '.' {
		return false
	}
	if n >= 8 {
		if !swarName(b, class == &targetClass) {
			return false
		}
	} else if !tableName(b, class) {
		return false
	}
	if n > 64 { // only then can a label pass 63 bytes
		lab := 0
		for _, c := range b {
			if lab++; c == '.' {
				lab = 0
			} else if lab > 63 {
				return false
			}
		}
	}
	return true
}

// tableName checks the bytes of a name and that no label is empty.
func tableName(b []byte, class *[256]uint8) bool {
	var bad uint8
	prev := uint8(kDot) // a leading dot is an empty label
	for _, c := range b {
		t := class[c]
		bad |= t & (prev | kBad) // a bad byte, or a dot after a dot
		prev = t
	}
	return bad == 0
}

// SWAR constants: a byte's high bit carries its flag.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// swarIn flags the bytes of x (high bits clear) in [lo, hi]: x+0x80-lo
// reaches the high bit when x >= lo, x+0x7f-hi when x > hi, and neither
// sum carries into the next byte.
func swarIn(x uint64, lo, hi uint8) uint64 {
	return (x + (0x80-uint64(lo))*swarOnes) &^ (x + (0x7f-uint64(hi))*swarOnes) & swarHigh
}

// swarClass flags, in 8 bytes, those a name may not hold and the dots.
func swarClass(w uint64, upper bool) (bad, dots uint64) {
	x := w &^ swarHigh
	ok := swarIn(x, '-', '.') | swarIn(x, '0', '9') | swarIn(x, 'a', 'z') | swarIn(x, '_', '_')
	if upper {
		ok |= swarIn(x, 'A', 'Z')
	}
	return (^ok | w) & swarHigh, swarIn(x, '.', '.')
}

// swarName is tableName for names of 8 bytes or more.
func swarName(b []byte, upper bool) bool {
	n := len(b)
	if b[0] == '.' {
		return false
	}
	var bad, prev uint64
	i := 0
	for ; i+8 <= n; i += 8 {
		v, d := swarClass(binary.LittleEndian.Uint64(b[i:]), upper)
		bad |= v | d&(d<<8|prev>>56) // a dot after a dot, here or across words
		prev = d
	}
	if i < n {
		// The last 8 bytes, overlapping checked ones; the pair across
		// their start was checked with the word before.
		v, d := swarClass(binary.LittleEndian.Uint64(b[n-8:]), upper)
		bad |= v | d&(d<<8)
	}
	return bad == 0
}

func isSep(c byte) bool { return c == '\t' || c == ' ' }

// fast reads a line in ICANN's zone-file format:
//
//	owner.tld.<sep>ttl<sep>in<sep>type<sep>rdata
//
// where sep is one tab or one space, the owner is fully qualified and in
// lower case, the TTL is decimal and the type one of those fastType knows
// (SOA excepted). The rdata of NS, A, AAAA and DS is checked as the
// complete path checks it; other rdata only for bytes that would make the
// tokenizer read it differently. On anything else fast reports false and
// has changed nothing, and the line goes to the complete path. When it
// reports true, the line went to the record handler, whose error (a bad
// line past the ratio, or the caller's) comes back with it.
func (z *Reader) fast(line []byte) (bool, error) {
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
		line = line[:n]
	}
	i := bytes.IndexByte(line, '\t')
	if i < 0 {
		i = bytes.IndexByte(line, ' ')
	}
	if i <= 0 || !fastName(line[:i], &ownerClass) {
		return false, nil
	}
	owner := line[:i]

	j := i + 1
	s := j
	var ttl uint64
	for j < n && isDigit(line[j]) {
		ttl = ttl*10 + uint64(line[j]-'0')
		j++
	}
	if j == s || j-s > 10 || ttl > 1<<32-1 || j+4 > n || !isSep(line[j]) {
		return false, nil
	}
	j++
	if line[j] != 'i' || line[j+1] != 'n' || !isSep(line[j+2]) {
		return false, nil
	}
	j += 3
	s = j
	for j < n && typeByte[line[j]] {
		j++
	}
	if j == s || j+1 >= n || !isSep(line[j]) {
		return false, nil
	}
	typ := fastType(line[s:j])
	rd := line[j+1:]
	if typ == 0 || isSep(rd[0]) {
		return false, nil
	}

	switch typ {
	case typeNS:
		if !fastName(rd, &targetClass) {
			return false, nil
		}
	case typeA:
		if !validIPv4(rd) {
			return false, nil
		}
	case typeAAAA:
		if !validIPv6(rd) {
			return false, nil
		}
	case typeDS:
		kt, rest := cutSep(rd)
		alg, rest := cutSep(rest)
		dt, hex := cutSep(rest)
		if !validDS(kt, alg, dt, hex) {
			return false, nil
		}
	default:
		var bad uint8
		for _, c := range rd {
			bad |= notPlain[c]
		}
		if bad != 0 {
			return false, nil
		}
	}
	// The owner stays in the block until the block is done or the
	// complete path needs it (syncOwner): one copy per block, not per line.
	z.ownerRef, z.ownerLazy, z.hasOwner = owner, true, true
	z.fastLines++
	if z.recFn != nil {
		z.fastData(typ, rd)
	}
	return true, z.record(owner, typ, 0, z.lines, 1)
}

// cutSep splits b at its first separator; a doubled separator leaves an
// empty field, which no validator accepts.
func cutSep(b []byte) (field, rest []byte) {
	for i, c := range b {
		if isSep(c) {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// record is where both paths meet: it counts the record and yields the
// owner of a delegation. owner is canonical; line and lines place the
// record for error reports.
func (z *Reader) record(owner []byte, typ uint16, serial uint32, line, lines int64) error {
	if z.learn && len(z.apexes) == 0 && typ != typeSOA {
		return z.badLine(line, lines, "record before the SOA record: the apex is not known (give it in the options)")
	}
	z.records++
	if typ < 256 {
		z.types[typ]++
	} else {
		if z.typesHigh == nil {
			z.typesHigh = map[uint16]int64{}
		}
		z.typesHigh[typ]++
	}
	if typ == typeSOA {
		z.soa(owner, serial)
	}
	var below bool
	if len(z.apexes) == 1 {
		a := &z.apexes[0]
		p := len(owner) - len(a.suffix)
		below = p > 0 && bytes.Equal(owner[p:], a.suffix) && (owner[p-1] != '\\' || !escaped(owner, p))
		if !below && !bytes.Equal(owner, a.name) {
			z.outOfZone++
			return nil
		}
	} else {
		at, b := z.where(owner)
		below = b
		if !at && !below {
			z.outOfZone++
			return nil
		}
	}
	if z.recFn != nil {
		if err := z.emit(owner, typ, below, line); err != nil {
			return err
		}
	}
	if !below {
		return nil
	}
	switch typ {
	case typeNS:
		name := owner[:len(owner)-1]
		if z.hasLast && bytes.Equal(name, z.last) {
			return nil
		}
		z.last = append(z.last[:0], name...)
		z.hasLast = true
		z.names++
		return z.fn(name)
	case typeA, typeAAAA:
		z.glue++
	}
	return nil
}

func (z *Reader) soa(owner []byte, serial uint32) {
	if z.learn {
		z.addApex(append([]byte(nil), owner...))
	}
	key := "."
	if len(owner) > 1 {
		key = string(owner[:len(owner)-1])
	}
	if z.serials == nil {
		z.serials = map[string]uint32{}
	}
	z.serials[key] = serial
}

// syncOwner copies the last owner the fast path saw out of the block it
// points into.
func (z *Reader) syncOwner() {
	z.owner = append(z.owner[:0], z.ownerRef...)
	z.ownerRef, z.ownerLazy = nil, false
}
