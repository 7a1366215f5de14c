package zone

import (
	"strconv"

	"github.com/tldguard/tldguard"
)

// The complete path: RFC 1035 §5 master files, with RFC 2308's $TTL,
// RFC 3597's TYPEnnn and \# rdata, and BIND's TTL units.

// token is a token of the record being assembled, held in Reader.arena.
// Tokens sit back to back in the arena, so a run of tokens (a digest in
// several parts, \# hex) is one slice.
type token struct {
	s, e   int32
	quoted bool
}

// Tokenizer byte classes.
const (
	cTok = iota
	cSpace
	cComment
	cOpen
	cClose
	cQuote
	cEscape
)

var tokClass = func() (t [256]uint8) {
	t[' '], t['\t'], t['\r'] = cSpace, cSpace, cSpace
	t[';'] = cComment
	t['('], t[')'] = cOpen, cClose
	t['"'] = cQuote
	t['\\'] = cEscape
	return t
}()

func (z *Reader) tok(t token) []byte { return z.arena[t.s:t.e] }

// general reads one line on the complete path. A line inside parentheses
// adds its tokens to the record and waits for the closing line.
func (z *Reader) general(line []byte) error {
	if z.ownerLazy {
		z.syncOwner()
	}
	if z.depth == 0 {
		z.arena = z.arena[:0]
		z.toks = z.toks[:0]
		z.recLine = z.lines
		z.recLines = 0
		z.blank = len(line) > 0 && isSep(line[0])
	}
	z.recLines++
	if msg := z.tokenize(line); msg != "" {
		z.depth = 0
		return z.badLine(z.recLine, z.recLines, "%s", msg)
	}
	if z.depth > 0 {
		if len(z.arena) > MaxRecordLength || z.recLines >= MaxRecordLines {
			z.depth = 0
			return z.badLine(z.recLine, z.recLines,
				"parenthesis opened here is not closed within %d lines or %d bytes", MaxRecordLines, MaxRecordLength)
		}
		return nil
	}
	if len(z.toks) == 0 {
		return nil
	}
	return z.endRecord()
}

// tokenize splits a line into the record's tokens, keeping escapes as
// written, and tracks parentheses. It returns what is wrong, or "".
func (z *Reader) tokenize(line []byte) string {
	i, n := 0, len(line)
	for i < n {
		switch tokClass[line[i]] {
		case cSpace:
			i++
		case cComment:
			return ""
		case cOpen:
			z.depth++
			i++
		case cClose:
			if z.depth == 0 {
				return `")" without "("`
			}
			z.depth--
			i++
		case cQuote:
			i++
			s := len(z.arena)
			for {
				j := i
				for j < n && line[j] != '"' && line[j] != '\\' {
					j++
				}
				z.arena = append(z.arena, line[i:j]...)
				if j >= n {
					return "unterminated quoted string"
				}
				if line[j] == '"' {
					i = j + 1
					break
				}
				if j+1 >= n {
					return "unterminated quoted string"
				}
				z.arena = append(z.arena, line[j], line[j+1])
				i = j + 2
			}
			z.toks = append(z.toks, token{int32(s), int32(len(z.arena)), true})
		default:
			s := i
		scan:
			for i < n {
				switch tokClass[line[i]] {
				case cTok:
					i++
				case cEscape:
					if i+1 >= n {
						return "backslash at the end of a line"
					}
					i += 2
				default:
					break scan
				}
			}
			a := len(z.arena)
			z.arena = append(z.arena, line[s:i]...)
			z.toks = append(z.toks, token{int32(a), int32(len(z.arena)), false})
		}
	}
	return ""
}

// endRecord reads the assembled tokens as a directive or a record:
//
//	[owner] [ttl] [class] type rdata...   (TTL and class in either order)
func (z *Reader) endRecord() error {
	t := z.toks
	line, lines := z.recLine, z.recLines
	i := 0
	if z.blank {
		if !z.hasOwner {
			return z.badLine(line, lines, "the line starts with a blank but there is no previous owner")
		}
	} else {
		first := z.tok(t[0])
		if t[0].quoted {
			return z.badLine(line, lines, "quoted owner %s", quote(first))
		}
		if first[0] == '$' {
			return z.directive(first, t[1:], line, lines)
		}
		o, err := appendName(z.owner[:0], first, z.origin, z.originWire)
		z.owner = o
		if err != nil {
			z.hasOwner = false
			return z.badLine(line, lines, "owner %s: %v", quote(first), err)
		}
		z.hasOwner = true
		i = 1
	}
	ttlSeen, classSeen := false, false
	for i < len(t) && !t[i].quoted {
		b := z.tok(t[i])
		if isDigit(b[0]) {
			if ttlSeen {
				break
			}
			if _, ok := parseTTL(b); !ok {
				return z.badLine(line, lines, "bad TTL %s", quote(b))
			}
			ttlSeen = true
			i++
			continue
		}
		c, ok := parseClass(b)
		if !ok || classSeen {
			break
		}
		if c != 1 {
			return z.badLine(line, lines, "class %s is not supported (only IN)", quote(b))
		}
		classSeen = true
		i++
	}
	if i >= len(t) {
		return z.badLine(line, lines, "no record type")
	}
	typ, ok := parseType(z.tok(t[i]))
	if !ok || t[i].quoted {
		return z.badLine(line, lines, "unknown record type %s", quote(z.tok(t[i])))
	}
	serial, msg := z.rdata(typ, t[i+1:])
	if msg != "" {
		return z.badLine(line, lines, "%s rdata: %s", TypeString(typ), msg)
	}
	if z.recFn != nil {
		z.generalData(typ, t[i+1:])
	}
	return z.record(z.owner, typ, serial, line, lines)
}

// rdata checks a record's rdata tokens and returns the serial of an SOA,
// or what is wrong.
func (z *Reader) rdata(typ uint16, rd []token) (uint32, string) {
	if len(rd) > 0 && !rd[0].quoted && string(z.tok(rd[0])) == `\#` {
		return z.generic(typ, rd[1:])
	}
	if _, known := typeName(typ); !known {
		return 0, `a type without a known text form needs the \# form`
	}
	switch typ {
	case typeNS:
		if len(rd) != 1 || rd[0].quoted {
			return 0, "want one name"
		}
		var err error
		if z.scratch, err = appendName(z.scratch[:0], z.tok(rd[0]), z.origin, z.originWire); err != nil {
			return 0, quote(z.tok(rd[0])) + ": " + err.Error()
		}
	case typeSOA:
		if len(rd) != 7 || anyQuoted(rd) {
			return 0, "want mname rname serial refresh retry expire minimum"
		}
		for _, t := range rd[:2] {
			var err error
			if z.scratch, err = appendName(z.scratch[:0], z.tok(t), z.origin, z.originWire); err != nil {
				return 0, quote(z.tok(t)) + ": " + err.Error()
			}
		}
		serial, ok := parseUint(z.tok(rd[2]), 1<<32-1)
		if !ok {
			return 0, "bad serial " + quote(z.tok(rd[2]))
		}
		for _, t := range rd[3:] {
			if _, ok := parseTTL(z.tok(t)); !ok {
				return 0, "bad time " + quote(z.tok(t))
			}
		}
		return uint32(serial), ""
	case typeA, typeAAAA:
		if len(rd) != 1 || rd[0].quoted {
			return 0, "want one address"
		}
		if typ == typeA && !validIPv4(z.tok(rd[0])) || typ == typeAAAA && !validIPv6(z.tok(rd[0])) {
			return 0, "bad address " + quote(z.tok(rd[0]))
		}
	case typeDS:
		if len(rd) < 4 || anyQuoted(rd) ||
			!validDS(z.tok(rd[0]), z.tok(rd[1]), z.tok(rd[2]), z.arena[rd[3].s:rd[len(rd)-1].e]) {
			return 0, "want key tag, algorithm, digest type and hex digest"
		}
	case typeAPL:
		// may be empty
	default:
		if len(rd) == 0 {
			return 0, "missing"
		}
	}
	return 0, ""
}

// generic checks RFC 3597 rdata: \# length hex...
func (z *Reader) generic(typ uint16, rd []token) (uint32, string) {
	if len(rd) == 0 || anyQuoted(rd) {
		return 0, `\# needs a length and hex data`
	}
	n, ok := parseUint(z.tok(rd[0]), 65535)
	if !ok {
		return 0, `bad \# length ` + quote(z.tok(rd[0]))
	}
	var hex []byte
	if len(rd) > 1 {
		hex = z.arena[rd[1].s:rd[len(rd)-1].e]
	}
	if uint64(len(hex)) != 2*n || !allHex(hex) {
		return 0, `\# data is not ` + strconv.FormatUint(n, 10) + " bytes of hex"
	}
	z.scratch = decodeHex(z.scratch[:0], hex)
	serial, ok := checkWire(typ, z.scratch)
	if !ok {
		return 0, `\# data is not a valid ` + TypeString(typ)
	}
	return serial, ""
}

func anyQuoted(ts []token) bool {
	for _, t := range ts {
		if t.quoted {
			return true
		}
	}
	return false
}

// directive handles $ORIGIN, $TTL and $INCLUDE.
func (z *Reader) directive(name []byte, args []token, line, lines int64) error {
	var buf [16]byte
	d := buf[:min(len(name), len(buf))]
	copy(d, name)
	lower(d)
	switch string(d) {
	case "$origin":
		if len(args) != 1 || args[0].quoted {
			return z.badLine(line, lines, "$ORIGIN needs one name")
		}
		o, err := appendName(nil, z.tok(args[0]), z.origin, z.originWire)
		if err != nil {
			return z.badLine(line, lines, "$ORIGIN %s: %v", quote(z.tok(args[0])), err)
		}
		z.setOrigin(o)
	case "$ttl":
		if len(args) != 1 || args[0].quoted {
			return z.badLine(line, lines, "$TTL needs one TTL")
		}
		if _, ok := parseTTL(z.tok(args[0])); !ok {
			return z.badLine(line, lines, "bad $TTL %s", quote(z.tok(args[0])))
		}
	case "$include":
		return tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, z.field(line),
			"$INCLUDE is not supported: the zone must be one file")
	default:
		return z.badLine(line, lines, "directive %s is not supported", quote(name))
	}
	return nil
}
