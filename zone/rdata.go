package zone

import "encoding/binary"

// The rdata checks both paths share. The reader checks the rdata it relies
// on (NS, SOA) and the rdata of the types that fill TLD zones (A, AAAA,
// DS); other types need at least one token, or the RFC 3597 form.

// validIPv4 checks a dotted-quad address: four decimal parts of at most
// 255 without leading zeros.
func validIPv4(b []byte) bool {
	parts, i, n := 0, 0, len(b)
	for {
		s, v := i, 0
		for i < n && isDigit(b[i]) {
			v = v*10 + int(b[i]-'0')
			i++
			if i-s > 3 {
				return false
			}
		}
		if i == s || v > 255 || (i-s > 1 && b[s] == '0') {
			return false
		}
		parts++
		if i == n {
			return parts == 4
		}
		if b[i] != '.' || parts == 4 {
			return false
		}
		i++
	}
}

// validIPv6 checks an IPv6 address in RFC 4291 text form: eight groups of
// one to four hex digits, one "::" standing for one or more zero groups,
// and an optional dotted-quad tail. Zones (%eth0) are not addresses.
func validIPv6(b []byte) bool {
	n := len(b)
	if n < 2 {
		return false
	}
	groups, double, i := 0, false, 0
	if b[0] == ':' {
		if b[1] != ':' {
			return false
		}
		double, i = true, 2
	}
	for i < n {
		s := i
		for i < n && i-s <= 4 && isHex(b[i]) {
			i++
		}
		if i < n && b[i] == '.' {
			if groups > 6 || !validIPv4(b[s:]) {
				return false
			}
			groups += 2
			break
		}
		if i == s || i-s > 4 {
			return false
		}
		groups++
		if i == n {
			break
		}
		if b[i] != ':' {
			return false
		}
		i++
		if i < n && b[i] == ':' {
			if double {
				return false
			}
			double = true
			i++
		} else if i == n {
			return false
		}
	}
	if double {
		return groups <= 7
	}
	return groups == 8
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

var notHex = func() (t [256]uint8) {
	for c := range 256 {
		if !isHex(byte(c)) {
			t[c] = 1
		}
	}
	return t
}()

// allHex is branch-free: digests are random, a branch on each digit
// mispredicts.
func allHex(b []byte) bool {
	var bad uint8
	for _, c := range b {
		bad |= notHex[c]
	}
	return bad == 0
}

// validDS checks DS rdata (RFC 4034 §5.3): key tag, algorithm (number or
// mnemonic), digest type, and the digest in hex (the complete path passes
// the digest tokens joined).
func validDS(keyTag, alg, digestType, digest []byte) bool {
	if _, ok := parseUint(keyTag, 65535); !ok {
		return false
	}
	if _, ok := parseUint(digestType, 255); !ok {
		return false
	}
	if _, ok := parseUint(alg, 255); !ok && !mnemonic(alg) {
		return false
	}
	return len(digest) > 0 && len(digest)%2 == 0 && allHex(digest)
}

// mnemonic checks an algorithm mnemonic such as ECDSAP256SHA256.
func mnemonic(b []byte) bool {
	if len(b) == 0 || len(b) > 32 || b[0]|0x20 < 'a' || b[0]|0x20 > 'z' {
		return false
	}
	for _, c := range b {
		if targetClass[c] != 0 || c == '_' {
			return false
		}
	}
	return true
}

// decodeHex decodes valid hex into dst.
func decodeHex(dst, hex []byte) []byte {
	for i := 0; i+1 < len(hex); i += 2 {
		dst = append(dst, unhex(hex[i])<<4|unhex(hex[i+1]))
	}
	return dst
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// skipWireName returns the length of the uncompressed wire-format name at
// the start of b, or -1.
func skipWireName(b []byte) int {
	i := 0
	for i < len(b) {
		l := int(b[i])
		if l == 0 {
			if i+1 > 255 {
				return -1
			}
			return i + 1
		}
		if l > 63 {
			return -1 // a compression pointer or a reserved label type
		}
		i += 1 + l
	}
	return -1
}

// checkWire checks RFC 3597 rdata of the types the reader relies on, and
// returns the serial of an SOA.
func checkWire(typ uint16, rd []byte) (serial uint32, ok bool) {
	switch typ {
	case typeA:
		return 0, len(rd) == 4
	case typeAAAA:
		return 0, len(rd) == 16
	case typeNS:
		return 0, skipWireName(rd) == len(rd)
	case typeDS:
		return 0, len(rd) > 4
	case typeSOA:
		m := skipWireName(rd)
		if m < 0 {
			return 0, false
		}
		r := skipWireName(rd[m:])
		if r < 0 || len(rd)-m-r != 20 {
			return 0, false
		}
		return binary.BigEndian.Uint32(rd[m+r:]), true
	}
	return 0, true
}
