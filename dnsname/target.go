package dnsname

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// MaxTargetLen is the longest input ParseTarget reads. Phishing URLs carry
// long query strings, but nothing a reporter means is this long.
const MaxTargetLen = 16 << 10

// ParseTarget reads one name or URL as reporters and feeds write them, and
// returns a Target with Input (as given), Host (the canonical name, as
// Normalize returns it) and, when the input is a URL, URL; Domain and TLD
// are left for Suffixes.Registered (or use Suffixes.Target).
//
// It accepts:
//
//   - bare names: "bad.example", "BAD.Example.", "пример.example",
//     "xn--e1afmkfd.example"; a leading "*." wildcard label, as written by
//     feeds built from certificate logs, is dropped;
//   - URLs with a scheme: "https://user:pw@Login.Bad.Example:8443/p?q#f",
//     also with backslashes or missing slashes after the scheme as browsers
//     accept them ("http:\\bad.example", "http:bad.example"), and any
//     other scheme followed by "//" ("ssh://bad.example:22");
//   - URLs without a scheme: "login.bad.example/wp-admin/x.php",
//     "bad.example:8080", "//bad.example/x" (http is assumed);
//   - e-mail addresses: "phish@bad.example", "mailto:phish@bad.example"
//     (the Host is the domain; there is no URL);
//   - defanged forms (see Refang), surrounding angle brackets or quotes,
//     line breaks and tabs inside (dropped, as browsers do), and
//     percent-escapes in the host ("http://b%61d.example/").
//
// Input longer than MaxTargetLen, other control characters, and schemes
// without a host ("javascript:", "data:") are refused.
//
// The URL is normalised only where that cannot change what it points to:
// the scheme is lower-cased, the host replaced by its canonical form, a
// default port dropped and an empty path written as "/" for the web schemes
// (http, https, ws, wss, ftp), backslashes in their paths turned into
// slashes; user information, path, query and fragment are kept as given.
//
// An input whose host is an IP address ("http://192.0.2.1/x",
// "http://[2001:db8::1]/", "3221225985") returns an EUNPROCESSABLE error
// matching ErrIP together with the Target filled in, Host holding the
// address in its standard text form, so callers can record what they skip.
// Every other error is a *tldguard.Error of kind EINVALID quoting the input
// and saying what is wrong, returned with a Target holding only Input.
func ParseTarget(input string) (tldguard.Target, error) {
	t := tldguard.Target{Input: input}
	host, url, f := parseTarget(input)
	if f.ok() || f.isIP() {
		t.Host, t.URL = host, url
	}
	if !f.ok() {
		return t, f.error(input)
	}
	return t, nil
}

// webSchemes are the URL Standard's special schemes that have a host
// (file aside), with their default ports. Their URLs are read as browsers
// read them.
var webSchemes = map[string]string{
	"http":  "80",
	"https": "443",
	"ws":    "80",
	"wss":   "443",
	"ftp":   "21",
}

// parseTarget is ParseTarget without building the error. For IP hosts it
// returns the address text and the URL along with the fault.
func parseTarget(input string) (host, url string, f fault) {
	s, f := clean(input)
	if !f.ok() {
		return "", "", f
	}
	p, f := split(s)
	switch {
	case p.mail:
		return p.host, "", f
	case !f.ok():
		return "", "", f
	}
	urlHost := ""
	if p.bracketed {
		ip, err := netip.ParseAddr(p.host)
		if err != nil || !ip.Is6() {
			return "", "", invalidf("brackets in a host hold an IPv6 address, not %s", quote(p.host))
		}
		host, urlHost, f = ip.String(), "["+ip.String()+"]", ipFault(ip)
	} else {
		host, f = normalize(p.host, true)
		switch {
		case f.isIP():
			host, urlHost = f.ip.String(), f.ip.String()
		case !f.ok():
			if p.host != s {
				f.msg = "host " + quote(p.host) + ": " + f.msg
			}
			return "", "", f
		default:
			urlHost = host
		}
	}
	if !p.isURL() {
		return host, "", f
	}
	return host, p.url(urlHost), f
}

// clean undoes what mail, spreadsheets and defanging do to a name or URL:
// surrounding space, quotes and angle brackets, line breaks, and the forms
// Refang knows. Other control characters are refused.
func clean(input string) (string, fault) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", invalid("the name is empty")
	}
	if len(s) > MaxTargetLen {
		return "", invalidf("the input is longer than %d bytes", MaxTargetLen)
	}
	s = unwrap(s)
	if strings.ContainsAny(s, "\t\n\r") {
		// Browsers drop these anywhere in a URL; they come from line-wrapped mail.
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "", invalid("the input has a control character")
		}
	}
	return Refang(s), fault{}
}

// parts are the pieces of a name or URL, as written except where noted.
type parts struct {
	scheme    string // lower case; "http" when none is written
	web       bool   // a web scheme: backslashes are slashes, "" is "/"
	explicit  bool   // a scheme or "//" was written: the input is a URL
	mail      bool   // a mailto: URL; host is already normalised
	userinfo  string
	hasUser   bool
	host      string // percent-escapes decoded
	bracketed bool   // host was in brackets (or is a bare IPv6 address)
	port      string // canonical; "" for none or the scheme's default
	hasPort   bool
	tail      string // path, query and fragment
}

// isURL reports whether the input was a URL rather than a bare name or an
// e-mail address.
func (p *parts) isURL() bool { return p.explicit || p.tail != "" || p.hasPort }

// split takes a cleaned name or URL apart.
func split(s string) (parts, fault) {
	p := parts{scheme: "http", web: true}
	rest := s
	if sch, after, ok := splitScheme(s); ok && !isBareIPv6(s) {
		switch _, isWeb := webSchemes[sch]; {
		case isWeb:
			p.scheme, p.explicit, rest = sch, true, strings.TrimLeft(after, `/\`)
		case sch == "mailto":
			host, f := mailHost(after)
			return parts{mail: true, host: host}, f
		case strings.HasPrefix(after, "//"):
			p.scheme, p.explicit, p.web, rest = sch, true, false, after[2:]
		case isPort(after) || strings.IndexByte(sch, '.') >= 0:
			// "bad.example:8080/x" is a host and a port, not a scheme; a
			// dot in a "scheme" means a host with a malformed port.
		default:
			return p, invalidf("a %s URL has no host name", quote(sch+":"))
		}
	} else if strings.HasPrefix(s, "//") || strings.HasPrefix(s, `\\`) {
		p.explicit, rest = true, s[2:]
	} else {
		rest = strings.TrimPrefix(rest, "*.")
	}

	stops := "/?#"
	if p.web {
		stops = `/\?#`
	}
	end := strings.IndexAny(rest, stops)
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	p.tail = rest[end:]
	hostport := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		p.userinfo, p.hasUser, hostport = authority[:at], true, authority[at+1:]
	}
	if f := p.splitHostPort(hostport); !f.ok() {
		return p, f
	}
	if strings.IndexByte(p.host, '%') >= 0 {
		var ok bool
		if p.host, ok = unescapeHost(p.host); !ok {
			return p, invalid("the host has a malformed percent-escape")
		}
	}
	if p.host == "" {
		return p, invalid("there is no host name")
	}
	return p, fault{}
}

// splitHostPort sets the host and port from "host", "host:port",
// "[v6]:port" or a bare IPv6 address.
func (p *parts) splitHostPort(hostport string) fault {
	p.host = hostport
	port := ""
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return invalid("the host has an unclosed bracket")
		}
		p.host, p.bracketed = hostport[1:end], true
		if after := hostport[end+1:]; after != "" {
			if after[0] != ':' {
				return invalidf("unexpected %s after the bracketed address", quote(after))
			}
			port, p.hasPort = after[1:], true
		}
	case strings.Count(hostport, ":") >= 2:
		// An IPv6 address without brackets, as lists of addresses write them.
		if _, err := netip.ParseAddr(hostport); err != nil {
			return invalidf("the host %s has more than one colon", quote(hostport))
		}
		p.bracketed = true
	default:
		if c := strings.IndexByte(hostport, ':'); c >= 0 {
			p.host, port, p.hasPort = hostport[:c], hostport[c+1:], true
		}
	}
	var f fault
	p.port, f = canonicalPort(port, webSchemes[p.scheme])
	return f
}

// url writes the normalised URL with host (already in URL form: canonical
// name, IPv4 address or bracketed IPv6 address).
func (p *parts) url(host string) string {
	var b strings.Builder
	b.Grow(len(p.scheme) + len("://@") + len(p.userinfo) + len(host) + len(":65535/") + len(p.tail))
	b.WriteString(p.scheme)
	b.WriteString("://")
	if p.hasUser {
		b.WriteString(p.userinfo)
		b.WriteByte('@')
	}
	b.WriteString(host)
	if p.port != "" {
		b.WriteByte(':')
		b.WriteString(p.port)
	}
	if !p.web {
		b.WriteString(p.tail)
		return b.String()
	}
	path, rest := p.tail, ""
	if q := strings.IndexAny(path, "?#"); q >= 0 {
		path, rest = path[:q], path[q:]
	}
	if path == "" {
		path = "/"
	}
	b.WriteString(strings.ReplaceAll(path, `\`, "/"))
	b.WriteString(rest)
	return b.String()
}

// unwrap removes the angle brackets or quotes that mails and spreadsheets
// put around URLs ("<https://bad.example/>", "\"bad.example\"").
func unwrap(s string) string {
	for range 2 {
		if len(s) < 2 {
			break
		}
		switch s[0:1] + s[len(s)-1:] {
		case "<>", `""`, "''", "``":
			s = strings.TrimSpace(s[1 : len(s)-1])
		default:
			return s
		}
	}
	return s
}

// splitScheme splits "scheme:rest" and lower-cases the scheme, which must
// start with a letter and hold only letters, digits, "+", "-" and ".".
func splitScheme(s string) (scheme, rest string, ok bool) {
	c := strings.IndexByte(s, ':')
	if c <= 0 {
		return "", "", false
	}
	for i := 0; i < c; i++ {
		switch ch := s[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && ('0' <= ch && ch <= '9' || ch == '+' || ch == '-' || ch == '.'):
		default:
			return "", "", false
		}
	}
	return strings.ToLower(s[:c]), s[c+1:], true
}

// isBareIPv6 reports whether s starts with an IPv6 address without
// brackets ("fe80::1/64"), which would otherwise pass for a scheme ("fe80:").
func isBareIPv6(s string) bool {
	if end := strings.IndexAny(s, "/?#"); end >= 0 {
		s = s[:end]
	}
	if strings.Count(s, ":") < 2 {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isPort reports whether s, the text after a colon, starts with a port: it
// holds only digits up to the end of the authority.
func isPort(s string) bool {
	end := strings.IndexAny(s, `/\?#`)
	if end < 0 {
		end = len(s)
	}
	return allDigits(s[:end])
}

// canonicalPort checks a port and writes it without leading zeros; the
// scheme's default port becomes "" (no port).
func canonicalPort(port, defaultPort string) (string, fault) {
	if port == "" {
		return "", fault{}
	}
	if !allDigits(port) {
		return "", invalidf("the port %s is not a number", quote(port))
	}
	trimmed := strings.TrimLeft(port, "0")
	if trimmed == "" {
		trimmed = "0"
	}
	if len(trimmed) > 5 {
		return "", invalid("the port is out of range")
	}
	if n, _ := strconv.Atoi(trimmed); n > 65535 {
		return "", invalidf("the port %d is out of range", n)
	}
	if trimmed == defaultPort {
		return "", fault{}
	}
	return trimmed, fault{}
}

// unescapeHost decodes percent-escapes in a host. Unlike net/url it accepts
// escaped ASCII ("b%61d.example"), which browsers decode and phishing URLs
// use to hide names from naive matching.
func unescapeHost(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		hi, _ := digitValue(s[i+1])
		lo, _ := digitValue(s[i+2])
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), true
}

// mailHost reads the domain of a "mailto:" URL's first address and
// normalises it.
func mailHost(s string) (string, fault) {
	addr, _, _ := strings.Cut(s, "?")
	addr, _, _ = strings.Cut(addr, ",")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", invalid("the mailto: URL has no domain")
	}
	domain := addr[at+1:]
	if strings.IndexByte(domain, '%') >= 0 {
		var ok bool
		if domain, ok = unescapeHost(domain); !ok {
			return "", invalid("the domain has a malformed percent-escape")
		}
	}
	host, f := normalize(domain, true)
	if f.isIP() {
		host = f.ip.String()
	}
	return host, f
}
