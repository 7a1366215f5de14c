package dnsname

import (
	"net/netip"
	"strings"
)

// Browsers read more than dotted quads as IPv4 addresses: "0xc0.0.2.1",
// "0300.0.2.1", "3221225985" and "192.0.513" all open 192.0.2.1, and phishing
// URLs use these forms to look less like addresses. The URL Standard's rule
// is followed here: a host whose last label is a number is an IPv4 address
// or nothing at all (no TLD is numeric).

// endsInNumber reports whether the last label of the ASCII name s (without
// its trailing dot) is a number in the URL Standard's sense: decimal digits,
// or "0x" followed by hexadecimal digits.
func endsInNumber(s string) bool {
	last := s[strings.LastIndexByte(s, '.')+1:]
	if last == "" {
		return false
	}
	if allDigits(last) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && last[1]|0x20 == 'x' {
		for i := 2; i < len(last); i++ {
			if !isHex(last[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// parseIPv4 reads s as an IPv4 address the way the URL Standard does: one to
// four dot-separated numbers, each decimal, octal (leading 0) or hexadecimal
// (leading 0x); the last fills the remaining bytes.
func parseIPv4(s string) (netip.Addr, bool) {
	var parts [4]uint64
	n := 0
	for rest := s; ; {
		if n == len(parts) {
			return netip.Addr{}, false
		}
		label, tail, more := strings.Cut(rest, ".")
		v, ok := parseIPv4Number(label)
		if !ok {
			return netip.Addr{}, false
		}
		parts[n] = v
		n++
		if !more {
			break
		}
		rest = tail
	}
	for _, v := range parts[:n-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
	}
	last := parts[n-1]
	if last >= 1<<(8*(5-n)) {
		return netip.Addr{}, false
	}
	addr := uint32(last)
	for i, v := range parts[:n-1] {
		addr |= uint32(v) << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}

// parseIPv4Number reads one part of an IPv4 address. Values are capped just
// above 2^32 so that long inputs cannot overflow.
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && s[1]|0x20 == 'x':
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := digitValue(s[i])
		if !ok || d >= base {
			return 0, false
		}
		v = v*base + d
		if v > 1<<32 {
			v = 1<<32 + 1
		}
	}
	return v, true
}

func digitValue(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(c byte) bool {
	_, ok := digitValue(c)
	return ok
}
