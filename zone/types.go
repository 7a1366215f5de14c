package zone

import "strconv"

// Record types the reader treats specially.
const (
	typeA          = 1
	typeNS         = 2
	typeSOA        = 6
	typeTXT        = 16
	typeAAAA       = 28
	typeDS         = 43
	typeRRSIG      = 46
	typeNSEC       = 47
	typeDNSKEY     = 48
	typeNSEC3      = 50
	typeNSEC3PARAM = 51
	typeAPL        = 42
)

// typeNames maps the data types of the IANA registry to their mnemonics.
// Meta types (OPT, TSIG, AXFR, ANY ...) are absent: they have no place in a
// zone file, and TYPEnnn still reaches them.
var typeNames = map[uint16]string{
	1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG",
	9: "MR", 10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO",
	15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN",
	21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX",
	27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC",
	33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
	39: "DNAME", 40: "SINK", 42: "APL", 43: "DS", 44: "SSHFP",
	45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
	50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP",
	56: "NINFO", 57: "RKEY", 58: "TALINK", 59: "CDS", 60: "CDNSKEY",
	61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS",
	66: "DSYNC", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
	103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64", 107: "LP",
	108: "EUI48", 109: "EUI64", 256: "URI", 257: "CAA", 258: "AVC",
	259: "DOA", 260: "AMTRELAY", 261: "RESINFO", 262: "WALLET", 263: "CLA",
	264: "IPN", 32768: "TA", 32769: "DLV",
}

// typeCodes is typeNames reversed, keyed in lower case.
var typeCodes = func() map[string]uint16 {
	m := make(map[string]uint16, len(typeNames))
	for code, name := range typeNames {
		b := []byte(name)
		lower(b)
		m[string(b)] = code
	}
	return m
}()

// typeNameList is typeNames for the types below 512, for lookups without
// hashing.
var typeNameList = func() (l [512]string) {
	for code, name := range typeNames {
		if int(code) < len(l) {
			l[code] = name
		}
	}
	return l
}()

// typeName returns the mnemonic of a record type, if it has one.
func typeName(t uint16) (string, bool) {
	if int(t) < len(typeNameList) {
		s := typeNameList[t]
		return s, s != ""
	}
	s, ok := typeNames[t]
	return s, ok
}

// TypeString returns the mnemonic of a record type, or "TYPEnnn" (RFC 3597)
// for a type without one.
func TypeString(t uint16) string {
	if s, ok := typeName(t); ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// parseType reads a type mnemonic in any case, or TYPEnnn.
func parseType(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var buf [16]byte
	l := buf[:len(b)]
	copy(l, b)
	lower(l)
	switch string(l) { // the common types, without hashing
	case "ns":
		return typeNS, true
	case "a":
		return typeA, true
	case "ds":
		return typeDS, true
	case "aaaa":
		return typeAAAA, true
	}
	if t, ok := typeCodes[string(l)]; ok {
		return t, true
	}
	if len(l) > 4 && string(l[:4]) == "type" {
		v, ok := parseUint(l[4:], 65535)
		return uint16(v), ok
	}
	return 0, false
}

// fastType reads the lower-case mnemonics of the types common in TLD
// zones; 0 means "not one of them", and sends the line to the complete
// path.
func fastType(b []byte) uint16 {
	switch len(b) {
	case 1:
		if b[0] == 'a' {
			return typeA
		}
	case 2:
		if b[1] == 's' {
			switch b[0] {
			case 'n':
				return typeNS
			case 'd':
				return typeDS
			}
		}
	case 3:
		if string(b) == "txt" {
			return typeTXT
		}
	case 4:
		switch string(b) {
		case "aaaa":
			return typeAAAA
		case "nsec":
			return typeNSEC
		}
	case 5:
		switch string(b) {
		case "rrsig":
			return typeRRSIG
		case "nsec3":
			return typeNSEC3
		}
	case 6:
		if string(b) == "dnskey" {
			return typeDNSKEY
		}
	case 10:
		if string(b) == "nsec3param" {
			return typeNSEC3PARAM
		}
	}
	return 0
}

// parseClass reads a class; only IN (1) is accepted by the caller.
func parseClass(b []byte) (uint16, bool) {
	if len(b) < 2 || len(b) > 10 {
		return 0, false
	}
	var buf [10]byte
	l := buf[:len(b)]
	copy(l, b)
	lower(l)
	switch string(l) {
	case "in":
		return 1, true
	case "cs":
		return 2, true
	case "ch":
		return 3, true
	case "hs":
		return 4, true
	case "none":
		return 254, true
	case "any":
		return 255, true
	}
	if len(l) > 5 && string(l[:5]) == "class" {
		v, ok := parseUint(l[5:], 65535)
		return uint16(v), ok
	}
	return 0, false
}

func lower(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// parseUint reads a plain decimal number no larger than max.
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v > max {
			return 0, false
		}
	}
	return v, true
}

// parseTTL reads a TTL: seconds, or BIND's units (1w2d3h4m5s, any case).
func parseTTL(b []byte) (uint32, bool) {
	const maxTTL = 1<<32 - 1
	var total, cur uint64
	digits, units := false, false
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			cur = cur*10 + uint64(c-'0')
			if cur > maxTTL {
				return 0, false
			}
			digits = true
			continue
		case !digits:
			return 0, false
		}
		var mul uint64
		switch c | 0x20 {
		case 's':
			mul = 1
		case 'm':
			mul = 60
		case 'h':
			mul = 3600
		case 'd':
			mul = 86400
		case 'w':
			mul = 604800
		default:
			return 0, false
		}
		total += cur * mul
		if total > maxTTL {
			return 0, false
		}
		cur, digits, units = 0, false, true
	}
	if !digits && !units {
		return 0, false
	}
	total += cur
	if total > maxTTL {
		return 0, false
	}
	return uint32(total), true
}
