package zone

import (
	"bytes"
	"errors"
)

// Names inside the reader are kept in canonical presentation form: fully
// qualified with the trailing dot, ASCII letters in lower case, every byte
// that is not a plain printable character escaped (\. \\ \" \( \) \; \@ \$
// and \DDD below 0x21 and from 0x7f), and no other escapes. Two spellings
// of one name ("B\068.Example", "bd.example.") have the same form, and a
// name made of letters, digits, hyphens and underscores is its own form.

var rootName = []byte(".")

var (
	errEmptyLabel = errors.New("empty label")
	errLongLabel  = errors.New("label longer than 63 bytes")
	errLongName   = errors.New("name longer than 255 bytes")
	errEscape     = errors.New("bad escape")
	errRelative   = errors.New("relative name and no $ORIGIN")
)

// canon classifies bytes for canonical names: 0 plain, 1 escaped by a
// backslash, 2 escaped as \DDD.
var canon = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c < 0x21 || c >= 0x7f:
			t[c] = 2
		case bytes.IndexByte([]byte(`."();@$\`), byte(c)) >= 0:
			t[c] = 1
		}
	}
	return t
}()

// appendName appends the canonical form of the name written as tok to dst.
// A relative name (no trailing dot) is completed with origin, whose wire
// length is originWire; "@" is origin itself.
func appendName(dst, tok, origin []byte, originWire int) ([]byte, error) {
	if len(tok) == 1 {
		switch tok[0] {
		case '@':
			if origin == nil {
				return dst, errRelative
			}
			return append(dst, origin...), nil
		case '.':
			return append(dst, '.'), nil
		}
	}
	if len(tok) == 0 {
		return dst, errEmptyLabel
	}
	wire, lab := 1, 0
	for i := 0; i < len(tok); {
		c := tok[i]
		switch c {
		case '.':
			if lab == 0 {
				return dst, errEmptyLabel
			}
			dst = append(dst, '.')
			wire += lab + 1
			lab = 0
			i++
			continue
		case '\\':
			if i+1 >= len(tok) {
				return dst, errEscape
			}
			d := tok[i+1]
			if d >= '0' && d <= '9' {
				if i+3 >= len(tok) || !isDigit(tok[i+2]) || !isDigit(tok[i+3]) {
					return dst, errEscape
				}
				v := int(d-'0')*100 + int(tok[i+2]-'0')*10 + int(tok[i+3]-'0')
				if v > 255 {
					return dst, errEscape
				}
				c = byte(v)
				i += 4
			} else {
				c = d
				i += 2
			}
		default:
			i++
		}
		lab++
		if lab > 63 {
			return dst, errLongLabel
		}
		dst = appendCanon(dst, c)
	}
	if lab > 0 {
		if origin == nil {
			return dst, errRelative
		}
		wire += lab + 1 + originWire - 1
		dst = append(dst, '.')
		if len(origin) > 1 {
			dst = append(dst, origin...)
		}
	}
	if wire > 255 {
		return dst, errLongName
	}
	return dst, nil
}

func appendCanon(dst []byte, c byte) []byte {
	switch canon[c] {
	case 0:
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(dst, c)
	case 1:
		return append(dst, '\\', c)
	}
	return append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
}

// wireLength returns the wire length of a canonical name.
func wireLength(name []byte) int {
	if len(name) == 1 {
		return 1
	}
	n := 1
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			if isDigit(name[i+1]) {
				i += 3
			} else {
				i++
			}
			n++
		case '.':
			n++ // the length byte of the label it ends
		default:
			n++
		}
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// apex is a zone the file holds.
type apex struct {
	name   []byte // canonical, "example."
	suffix []byte // ".example." ("." for the root)
	key    string // "example" ("." for the root)
}

func (z *Reader) addApex(name []byte) {
	for _, a := range z.apexes {
		if bytes.Equal(a.name, name) {
			return
		}
	}
	a := apex{name: name, suffix: append([]byte{'.'}, name...), key: string(name[:len(name)-1])}
	if len(name) == 1 {
		a.suffix, a.key = a.suffix[:1], "."
	}
	z.apexes = append(z.apexes, a)
}

func (z *Reader) setOrigin(o []byte) {
	z.origin = o
	z.originWire = wireLength(o)
}

// where tells whether a canonical owner is at an apex, strictly below one
// (the closest wins), or outside them all.
func (z *Reader) where(owner []byte) (at, below bool) {
	best := -1
	for i := range z.apexes {
		a := &z.apexes[i]
		if len(owner) == len(a.name) && bytes.Equal(owner, a.name) {
			return true, false
		}
		if len(owner) > len(a.suffix) && len(a.suffix) > best &&
			bytes.Equal(owner[len(owner)-len(a.suffix):], a.suffix) &&
			!escaped(owner, len(owner)-len(a.suffix)) {
			best = len(a.suffix)
		}
	}
	return false, best >= 0
}

// escaped tells whether the byte at p of a canonical name is escaped: an
// odd run of backslashes before it.
func escaped(name []byte, p int) bool {
	n := 0
	for p--; p >= 0 && name[p] == '\\'; p-- {
		n++
	}
	return n%2 == 1
}
