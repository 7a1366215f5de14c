// Package dnsname turns the names and URLs that reporters and reputation
// feeds write into canonical host names, and finds the registered name they
// fall under in the operator's TLDs.
//
// A canonical name is lower-case ASCII: A-labels for internationalised
// labels (UTS #46 non-transitional processing), no trailing dot, at most 253
// octets, labels of 1 to 63 octets made of letters, digits, hyphens and
// underscores. Names that are IP addresses are recognised and refused with
// an error that matches ErrIP, so callers can skip them.
//
// Errors are *tldguard.Error values: EINVALID for malformed input,
// EUNPROCESSABLE for well-formed input that names no domain in the
// operator's TLDs (an IP address, a name in another TLD, a TLD itself). Each
// message quotes the offending input and says what is wrong with it.
package dnsname

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/tldguard/tldguard"
)

// Limits of a domain name in its A-label form (RFC 1035 §2.3.4, without the
// root label and its dot).
const (
	MaxNameLen  = 253
	MaxLabelLen = 63
)

// maxRawName bounds the input handed to IDNA processing. A name of 253
// octets in A-labels is at most a few times longer in UTF-8; anything far
// longer is junk and is refused before the (allocation-heavy) mapping.
const maxRawName = 4 * MaxNameLen

// ErrIP is the Err of the error returned for a name or URL whose host is an
// IP address rather than a domain name. IP addresses are not names in a TLD;
// callers test errors.Is(err, ErrIP) to skip them. Such errors have kind
// EUNPROCESSABLE.
var ErrIP = errors.New("dnsname: host is an IP address")

// profile maps names the way a browser resolving a URL does (the WHATWG URL
// Standard's "domain to ASCII", which is UTS #46 with these flags), because
// an abuse report is about what a victim's browser reaches:
//
//   - non-transitional: "ß" and "ς" stay themselves ("faß.example" is not
//     "fass.example"), as registries and browsers treat them today;
//   - mapping for lookup: case, width and compatibility forms are folded;
//   - label validation with the Bidi and ContextJ rules;
//   - hyphens unchecked: real host names such as "r3---sn-ab5l6n7s" (and
//     leading or trailing hyphens below a registered name) resolve;
//   - STD3 rules off, so that underscores pass (see Normalize). The other
//     ASCII characters STD3 would refuse are refused by checkASCII instead.
//
// Lengths are checked by Normalize itself, to give precise messages.
var profile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
	idna.VerifyDNSLength(false),
)

// Normalize returns the canonical form of a host or domain name: surrounding
// white space and one trailing dot removed, UTS #46 mapping to A-labels
// (so "BÜCHER.Example." becomes "xn--bcher-kva.example"), lower case.
//
// Labels may hold letters, digits, hyphens and underscores: underscores are
// not allowed in registered names but occur in real host names below them
// ("my_site.bad.example"), and browsers resolve those. Every other ASCII
// punctuation, white space and control character is refused. A name already
// in canonical ASCII form is returned as it is, without allocation.
//
// The error is a *tldguard.Error of kind EINVALID that quotes the name and
// says what is wrong ("exa mple.example": a label has a space), or, when the
// name is an IP address (IPv4 in any form a browser accepts, such as
// "192.0.2.1" or "0xc0000201", or IPv6 with or without brackets), of kind
// EUNPROCESSABLE matching ErrIP. Normalize does not decode URLs or
// percent-escapes; use ParseTarget for those.
func Normalize(name string) (string, error) {
	out, f := normalize(name, true)
	if !f.ok() {
		return "", f.error(name)
	}
	return out, nil
}

// fault says what is wrong with an input. The zero fault means nothing is;
// normalize returns faults rather than errors so that callers that quote a
// different subject (ParseTarget quotes the whole URL) build the message once.
type fault struct {
	msg  string     // what is wrong, e.g. "a label has a space"
	kind string     // tldguard kind; EINVALID when empty
	err  error      // ErrIP or the idna error, kept in Error.Err for logs
	ip   netip.Addr // the address, for ErrIP faults
}

func (f fault) ok() bool { return f.msg == "" }

func (f fault) isIP() bool { return f.err == ErrIP }

// error builds the *tldguard.Error quoting subject.
func (f fault) error(subject string) error {
	kind := f.kind
	if kind == "" {
		kind = tldguard.EINVALID
	}
	return &tldguard.Error{Kind: kind, Message: quote(subject) + ": " + f.msg, Err: f.err}
}

func invalid(msg string) fault { return fault{msg: msg} }

func invalidf(format string, args ...any) fault { return fault{msg: fmt.Sprintf(format, args...)} }

func ipFault(ip netip.Addr) fault {
	return fault{
		msg:  "the host is an IP address (" + ip.String() + "), not a domain name",
		kind: tldguard.EUNPROCESSABLE,
		err:  ErrIP,
		ip:   ip,
	}
}

// quote quotes s for a message, cut short when it is long: error messages
// end up in logs, API answers and e-mails. The quoted text stays under about
// 120 bytes however many bytes of s need escapes.
func quote(s string) string {
	const max = 120
	if q := strconv.Quote(s); len(q) <= max {
		return q
	}
	cut := min(len(s), max)
	for {
		for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if q := strconv.Quote(s[:cut]); len(q) <= max {
			return q + "..."
		}
		cut /= 2
	}
}

// normalize is Normalize without building the error. fast selects the ASCII
// fast path; tests turn it off to check that both paths agree.
func normalize(name string, fast bool) (string, fault) {
	s := strings.TrimSpace(name)
	if s == "" {
		return "", invalid("the name is empty")
	}
	stripped := false
	if s[len(s)-1] == '.' {
		s, stripped = s[:len(s)-1], true
	}
	if s == "" {
		return "", invalid("the name is only a dot (the DNS root)")
	}
	out, ok := "", false
	if fast {
		out, ok = fastASCII(s)
	}
	if !ok {
		var f fault
		if out, f = mapIDNA(s); !f.ok() {
			return "", f
		}
		// A trailing U+3002 IDEOGRAPHIC FULL STOP (and kin) maps to a dot.
		if !stripped && strings.HasSuffix(out, ".") {
			out = out[:len(out)-1]
		}
	}
	if f := checkLabels(out); !f.ok() {
		return "", f
	}
	if endsInNumber(out) {
		if ip, ok := parseIPv4(out); ok {
			return "", ipFault(ip)
		}
		return "", invalid("the last label is a number, but the name is not an IPv4 address")
	}
	return out, fault{}
}

// fastASCII returns s lower-cased when s needs no IDNA processing: it holds
// only ASCII letters, digits, hyphens, underscores and dots, and no label
// starts with the ACE prefix "xn--" (A-labels must be decoded to be checked).
// For such names UTS #46 mapping is exactly ASCII lower-casing.
func fastASCII(s string) (string, bool) {
	upper := false
	start := 0 // of the current label
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_':
		case c == '-':
			if i == start+3 && s[i-1] == '-' && s[i-2]|0x20 == 'n' && s[i-3]|0x20 == 'x' {
				return "", false
			}
		case c == '.':
			start = i + 1
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// mapIDNA runs UTS #46 processing on a name that is not plain ASCII (or has
// A-labels to verify). The ASCII characters are checked first, so that a
// space or a slash gets a precise message rather than an IDNA error code, and
// again after mapping, which can turn compatibility forms into ASCII
// punctuation (U+FF0F FULLWIDTH SOLIDUS becomes "/").
func mapIDNA(s string) (string, fault) {
	if len(s) > maxRawName {
		return "", invalidf("the name is far too long (%d bytes)", len(s))
	}
	if !utf8.ValidString(s) {
		return "", invalid("the name is not valid UTF-8")
	}
	if f := checkASCII(s); !f.ok() {
		return "", f
	}
	out, err := profile.ToASCII(s)
	if err != nil {
		return "", idnaFault(s, err)
	}
	if strings.Contains(out, "xn--") && !isASCII(s) {
		// The idna package decides whether the Bidi rule applies from the
		// runes before mapping, so "0ℷ" (U+2137, left-to-right) passes while
		// its mapping "0ג" (Hebrew, right-to-left) breaks the rule. The
		// A-labels are checked again as they are, so that every name
		// Normalize returns is accepted by Normalize.
		if _, err := profile.ToASCII(out); err != nil {
			return "", idnaFault(s, err)
		}
	}
	if f := checkASCII(out); !f.ok() {
		return "", f
	}
	return out, fault{}
}

// idnaFault explains an IDNA failure of s. The idna package's errors name
// labels in decoded or partly mapped form, so the failing label is found
// again here by processing each one alone; when every label passes alone,
// the name as a whole breaks the Bidi rule (RFC 5893), which covers all its
// labels once one of them is right-to-left.
func idnaFault(s string, err error) fault {
	detail := ""
	if r, ok := strings.CutPrefix(err.Error(), "idna: disallowed rune "); ok {
		detail = " (it has the disallowed character " + r + ")"
	}
	for label := range strings.SplitSeq(s, ".") {
		if _, lerr := profile.ToASCII(label); lerr != nil {
			return fault{msg: "the label " + quote(label) + " is not a valid internationalised label" + detail, err: err}
		}
	}
	return fault{msg: "the name is not a valid internationalised domain name: its labels break the rules for right-to-left text (RFC 5893)", err: err}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkASCII refuses the ASCII characters that have no place in a host
// name. Non-ASCII bytes are left to IDNA processing. An IPv6 address, which
// is all a colon can mean here, is recognised and reported as such.
func checkASCII(s string) fault {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.':
		case c == ' ':
			return invalid("a label has a space")
		case c < 0x20 || c == 0x7f:
			return invalid("a label has a control character")
		case c == ':' || c == '[':
			if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
				return ipFault(ip)
			}
			return invalidf("a label has the character %q", c)
		default:
			return invalidf("a label has the character %q", c)
		}
	}
	return fault{}
}

// checkLabels checks the lengths and emptiness of the labels of a mapped,
// ASCII name without its trailing dot.
func checkLabels(s string) fault {
	if s == "" {
		return invalid("the name is empty")
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		switch n := i - start; {
		case n == 0 && start == 0:
			return invalid("the name starts with a dot")
		case n == 0:
			return invalid("the name has an empty label (two dots in a row)")
		case n > MaxLabelLen:
			return invalidf("the label %s is longer than %d octets", quote(s[start:i]), MaxLabelLen)
		}
		start = i + 1
	}
	if len(s) > MaxNameLen {
		return invalidf("the name is longer than %d octets (%d)", MaxNameLen, len(s))
	}
	return fault{}
}
