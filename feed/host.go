package feed

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// hostKind says what a feed value's host turned out to be.
type hostKind int

const (
	hostBad  hostKind = iota
	hostName          // a name (raw, not normalised)
	hostIP            // an IP address literal
)

// splitHost finds the raw host of a feed value: the authority's host when s
// is a URL with a scheme, or the leading host[:port] when s has none
// ("example.com", "example.com:8080/path"). It removes user info and port
// and nothing else: no case folding, no IDNA, no trailing-dot handling. The
// caller (dnsname) normalises. isURL reports whether s is more than a bare
// host (it has a scheme or a path). On failure kind is hostBad and reason
// says why.
func splitHost(s string) (host string, kind hostKind, isURL bool, reason string) {
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		if !validScheme(s[:i]) {
			return "", hostBad, false, "malformed URL scheme"
		}
		rest = s[i+3:]
		isURL = true
	} else if strings.HasPrefix(s, "//") {
		rest = s[2:]
		isURL = true
	}
	auth := rest
	if i := strings.IndexAny(rest, "/?#\\"); i >= 0 {
		auth = rest[:i]
		isURL = true
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if auth == "" {
		return "", hostBad, isURL, "no host"
	}
	if auth[0] == '[' {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return "", hostBad, isURL, "unclosed IPv6 literal"
		}
		h := auth[1:end]
		if tail := auth[end+1:]; tail != "" && (tail[0] != ':' || !allDigits(tail[1:])) {
			return "", hostBad, isURL, "malformed port"
		}
		if _, err := netip.ParseAddr(h); err != nil {
			return "", hostBad, isURL, "malformed IPv6 literal"
		}
		return h, hostIP, isURL, ""
	}
	host = auth
	if n := strings.Count(auth, ":"); n > 1 {
		// An unbracketed IPv6 address, as plain lists sometimes carry.
		if _, err := netip.ParseAddr(auth); err == nil {
			return auth, hostIP, isURL, ""
		}
		return "", hostBad, isURL, "malformed host:port"
	} else if n == 1 {
		i := strings.IndexByte(auth, ':')
		if !allDigits(auth[i+1:]) {
			return "", hostBad, isURL, "malformed port"
		}
		host = auth[:i]
	}
	if host == "" {
		return "", hostBad, isURL, "no host"
	}
	if r := hostCharsReason(host); r != "" {
		return "", hostBad, isURL, r
	}
	if dottedDigits(host) {
		if _, err := netip.ParseAddr(host); err == nil {
			return host, hostIP, isURL, ""
		}
	}
	return host, hostName, isURL, ""
}

// hostCharsReason refuses bytes no DNS name or IP literal can hold. Letters
// of any script pass (U-labels are for the caller to map); so do '_' (real
// names use it) and '%' (percent-encoded hosts are the caller's to decode).
func hostCharsReason(h string) string {
	ascii := true
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 0x80:
			ascii = false
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '%':
		case c < 0x20 || c == 0x7f:
			return "host has a control character"
		default:
			return "host has the character " + quoteByte(c)
		}
	}
	if !ascii && !utf8.ValidString(h) {
		return "host is not valid UTF-8"
	}
	return ""
}

func quoteByte(c byte) string {
	if c == ' ' {
		return "space"
	}
	return "'" + string(rune(c)) + "'"
}

func validScheme[T string | []byte](s T) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// dottedDigits reports a host that could be an IPv4 address; only those
// are parsed, since a failed parse allocates an error.
func dottedDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plainHost is splitHost for the common case, on bytes and without
// allocating: when v is a host of ASCII letters, digits, '-', '_' and '.'
// (not only digits and dots), with an optional scheme, port and path but
// no user info, it returns that host and true, and splitHost of the same
// value returns the same host as a name. Anything else returns false and
// is for splitHost to read.
func plainHost(v []byte) ([]byte, bool) {
	rest := v
	if i := bytes.IndexByte(v, ':'); i >= 0 && len(v) > i+2 && v[i+1] == '/' && v[i+2] == '/' {
		if !validScheme(v[:i]) {
			return nil, false
		}
		rest = v[i+3:]
	} else if i >= 0 && bytes.Contains(v[i+1:], []byte("://")) {
		return nil, false // splitHost looks for the first "://", wherever it is
	} else if len(v) >= 2 && v[0] == '/' && v[1] == '/' {
		rest = v[2:]
	}
	// One table lookup a byte: the host's characters, then where it ends.
	i, letters := 0, false
	for ; i < len(rest); i++ {
		k := hostByte[rest[i]]
		if k != hbDigitDot && k != hbLetter {
			break
		}
		letters = letters || k == hbLetter
	}
	host := rest[:i]
	if i < len(rest) {
		switch hostByte[rest[i]] {
		case hbEnd:
		case hbColon: // a port: digits up to the end of the authority
			j := i + 1
			for j < len(rest) && hostByte[rest[j]] == hbDigitDot && rest[j] != '.' {
				j++
			}
			if j < len(rest) && hostByte[rest[j]] != hbEnd {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	if len(host) == 0 || !letters {
		return nil, false
	}
	return host, true
}

// The classes of hostByte.
const (
	hbOther    = iota // anything a plain host does not hold
	hbLetter          // letters, '-' and '_'
	hbDigitDot        // digits and '.'
	hbColon           // before a port
	hbEnd             // '/', '?', '#' and '\\' end the authority
)

var hostByte = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = hbLetter, hbLetter
	}
	t['-'], t['_'] = hbLetter, hbLetter
	for c := '0'; c <= '9'; c++ {
		t[c] = hbDigitDot
	}
	t['.'], t[':'] = hbDigitDot, hbColon
	t['/'], t['?'], t['#'], t['\\'] = hbEnd, hbEnd, hbEnd, hbEnd
	return t
}()

// trimSpace trims ASCII white space; feeds are ASCII-framed and
// strings.TrimSpace's Unicode tables are slower on the hot path.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// trimSpaceBytes is trimSpace for bytes.
func trimSpaceBytes(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
