package feed

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/tldguard/tldguard"
)

// Zone describes a DNS blocklist: its name and what its A answers mean.
// An answer is decoded in this order: outside 127.0.0.0/8 it is an error
// (a resolver rewriting NXDOMAIN, say); in Errors or ErrorRange it is the
// list's own error code; outside Listing it is an error; otherwise it is a
// listing, read through Codes or, for bitmask lists, Bits on its last
// octet. Error codes are never listings.
type Zone struct {
	Name string // e.g. "dbl.spamhaus.org"
	// Listing holds every answer that is a listing (DBL 127.0.1.0/24).
	// The zero prefix means all of 127.0.0.0/8.
	Listing netip.Prefix
	// Codes gives the meaning of exact answers.
	Codes map[netip.Addr]Code
	// Bits gives the meaning of each bit of the last octet, for lists that
	// answer with a bitmask (SURBL multi).
	Bits map[uint8]Code
	// ErrorBits are last-octet bits that mean the query was refused
	// (SURBL's 1), whatever other bits are set.
	ErrorBits uint8
	// Errors gives the meaning of exact error answers.
	Errors map[netip.Addr]string
	// ErrorRange holds further answers that are errors (Spamhaus
	// 127.255.255.0/24).
	ErrorRange netip.Prefix
}

// Code is what one listing answer (or bit) says.
type Code struct {
	// Threat is the DNS-abuse type, or "" when the code names none.
	Threat tldguard.ThreatType
	// Compromised marks the "abused legitimate" listings: a site that was
	// broken into, not one registered to do harm.
	Compromised bool
	Label       string
}

// SpamhausDBL returns the Spamhaus Domain Blocklist zone with the return
// codes Spamhaus publishes (docs.spamhaus.com, "Available Zones", and the
// DNSBL error codes of 2019): 127.0.1.2 spam, .4 phishing, .5 malware, .6
// botnet C&C, .102-.106 the same on abused legitimate domains (.103 an
// abused redirector), 127.0.1.255 and 127.255.255.0/24 errors. For the
// Data Query Service set Name to "<key>.dbl.dq.spamhaus.net".
func SpamhausDBL() Zone {
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	return Zone{
		Name:    "dbl.spamhaus.org",
		Listing: netip.MustParsePrefix("127.0.1.0/24"),
		Codes: map[netip.Addr]Code{
			a("127.0.1.2"):   {Threat: tldguard.ThreatSpam, Label: "spam domain"},
			a("127.0.1.4"):   {Threat: tldguard.ThreatPhishing, Label: "phish domain"},
			a("127.0.1.5"):   {Threat: tldguard.ThreatMalware, Label: "malware domain"},
			a("127.0.1.6"):   {Threat: tldguard.ThreatBotnet, Label: "botnet C&C domain"},
			a("127.0.1.102"): {Threat: tldguard.ThreatSpam, Compromised: true, Label: "abused legit spam"},
			a("127.0.1.103"): {Threat: tldguard.ThreatSpam, Compromised: true, Label: "abused spammed redirector domain"},
			a("127.0.1.104"): {Threat: tldguard.ThreatPhishing, Compromised: true, Label: "abused legit phish"},
			a("127.0.1.105"): {Threat: tldguard.ThreatMalware, Compromised: true, Label: "abused legit malware"},
			a("127.0.1.106"): {Threat: tldguard.ThreatBotnet, Compromised: true, Label: "abused legit botnet C&C"},
		},
		Errors: map[netip.Addr]string{
			a("127.0.1.255"):     "IP queries are not allowed in the DBL",
			a("127.255.255.252"): "typing error in the DNSBL name",
			a("127.255.255.254"): "query via a public or open resolver refused",
			a("127.255.255.255"): "excessive number of queries",
		},
		ErrorRange: netip.MustParsePrefix("127.255.255.0/24"),
	}
}

// SURBLMulti returns the SURBL multi zone, a bitmask on the last octet
// (surbl.org "Lists"): 8 PH phishing, 16 MW malware, 64 ABUSE spam, 128 CR
// cracked (compromised) sites, 4 DM disposable mail and 32 CT click
// trackers (listed, no threat type). The 1 bit means the query was refused
// (SpamAssassin's and Rspamd's SURBL_BLOCKED), an error. SURBL says the
// middle octets are reserved, so any 127/8 answer is read.
func SURBLMulti() Zone {
	return Zone{
		Name: "multi.surbl.org",
		Bits: map[uint8]Code{
			4:   {Label: "DM disposable email domain"},
			8:   {Threat: tldguard.ThreatPhishing, Label: "PH phishing"},
			16:  {Threat: tldguard.ThreatMalware, Label: "MW malware"},
			32:  {Label: "CT click-tracking domain"},
			64:  {Threat: tldguard.ThreatSpam, Label: "ABUSE spam and abuse"},
			128: {Compromised: true, Label: "CR cracked site"},
		},
		ErrorBits: 1,
	}
}

var loopback8 = netip.MustParsePrefix("127.0.0.0/8")

// Validate checks the zone; errors are EINVALID.
func (z *Zone) Validate() error {
	name := strings.TrimSuffix(z.Name, ".")
	if _, ok := dns.IsDomainName(name + "."); !ok || name == "" {
		return tldguard.FieldErrorf(tldguard.EINVALID, "zone.name", "%q is not a zone name", z.Name)
	}
	if z.Listing.IsValid() && !loopback8.Overlaps(z.Listing) {
		return tldguard.FieldErrorf(tldguard.EINVALID, "zone.listing", "listing range %s is outside 127.0.0.0/8", z.Listing)
	}
	for a, c := range z.Codes {
		if !loopback8.Contains(a) {
			return tldguard.FieldErrorf(tldguard.EINVALID, "zone.codes", "code %s is outside 127.0.0.0/8", a)
		}
		if c.Threat != "" && !c.Threat.Valid() {
			return tldguard.FieldErrorf(tldguard.EINVALID, "zone.codes", "code %s has unknown threat type %q", a, c.Threat)
		}
	}
	for b, c := range z.Bits {
		if b == 0 || b&(b-1) != 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "zone.bits", "%d is not a single bit", b)
		}
		if b&z.ErrorBits != 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "zone.bits", "bit %d is both a listing and an error", b)
		}
		if c.Threat != "" && !c.Threat.Valid() {
			return tldguard.FieldErrorf(tldguard.EINVALID, "zone.bits", "bit %d has unknown threat type %q", b, c.Threat)
		}
	}
	return nil
}

// Result is what one blocklist says about one name.
type Result struct {
	Zone   string
	Name   string
	Listed bool
	// Threats are the DNS-abuse types of the listing, in canonical order.
	Threats []tldguard.ThreatType
	// Compromised is the "abused legitimate" signal.
	Compromised bool
	Labels      []string     // the list's words for each code
	Codes       []netip.Addr // the raw A answers
	// TTL is how long the answer is cached (what is left of it, when
	// Cached).
	TTL    time.Duration
	Cached bool // answered from the cache
}

func (r Result) clone() Result {
	r.Threats = slices.Clone(r.Threats)
	r.Labels = slices.Clone(r.Labels)
	r.Codes = slices.Clone(r.Codes)
	return r
}

// ErrBlocklistCode is wrapped when a blocklist answers with one of its
// error codes (query refused, public resolver, excessive queries...).
var ErrBlocklistCode = errors.New("blocklist answered with an error code")

// ErrBlocklistAnswer is wrapped when an answer is none of the list's codes
// in a way that suggests a resolver, not the list, wrote it.
var ErrBlocklistAnswer = errors.New("unexpected blocklist answer")

// Decode reads a set of A answers for one name. Any error code or foreign
// answer makes the whole answer an error (EUNAVAILABLE): an error is never
// a listing. No answers means not listed.
func (z *Zone) Decode(answers []netip.Addr) (Result, error) {
	res := Result{Zone: z.Name}
	var threats [8]bool
	add := func(c Code) {
		for i, t := range tldguard.ThreatTypes {
			if c.Threat == t {
				threats[i] = true
			}
		}
		res.Compromised = res.Compromised || c.Compromised
		if !slices.Contains(res.Labels, c.Label) {
			res.Labels = append(res.Labels, c.Label)
		}
	}
	for _, a := range answers {
		a = a.Unmap()
		if !a.Is4() || !loopback8.Contains(a) {
			return Result{}, z.answerErr(a, ErrBlocklistAnswer, "an address outside 127.0.0.0/8; the resolver may be rewriting answers")
		}
		if m, ok := z.Errors[a]; ok {
			return Result{}, z.answerErr(a, ErrBlocklistCode, m)
		}
		if z.ErrorRange.IsValid() && z.ErrorRange.Contains(a) {
			return Result{}, z.answerErr(a, ErrBlocklistCode, "an error code")
		}
		if z.Listing.IsValid() && !z.Listing.Contains(a) {
			return Result{}, z.answerErr(a, ErrBlocklistAnswer, "an address outside the list's range "+z.Listing.String())
		}
		if c, ok := z.Codes[a]; ok {
			add(c)
		} else if len(z.Bits) > 0 || z.ErrorBits != 0 {
			last := a.As4()[3]
			if last&z.ErrorBits != 0 {
				return Result{}, z.answerErr(a, ErrBlocklistCode, "the query was refused (blocked resolver or excessive queries)")
			}
			if last == 0 {
				add(Code{Label: "unknown code " + a.String()})
			}
			for bit := 1; bit <= 128; bit <<= 1 {
				if last&uint8(bit) == 0 {
					continue
				}
				if c, ok := z.Bits[uint8(bit)]; ok {
					add(c)
				} else {
					add(Code{Label: fmt.Sprintf("unknown bit %d", bit)})
				}
			}
		} else {
			add(Code{Label: "unknown code " + a.String()})
		}
		if !slices.Contains(res.Codes, a) {
			res.Codes = append(res.Codes, a)
		}
	}
	for i, ok := range threats {
		if ok && i < len(tldguard.ThreatTypes) {
			res.Threats = append(res.Threats, tldguard.ThreatTypes[i])
		}
	}
	res.Listed = len(res.Codes) > 0
	return res, nil
}

func (z *Zone) answerErr(a netip.Addr, sentinel error, meaning string) error {
	return &tldguard.Error{
		Kind:    tldguard.EUNAVAILABLE,
		Message: fmt.Sprintf("blocklist %s answered %s: %s", z.Name, a, meaning),
		Err:     sentinel,
	}
}

// decodeResponse reads a DNS response to the A query qname (fully
// qualified). NXDOMAIN and an empty answer are "not listed"; other failure
// codes are EUNAVAILABLE errors. ttl is how long the answer may be cached:
// the smallest A TTL, or the negative-caching TTL of the SOA (RFC 2308);
// -1 when the response gives none.
func decodeResponse(z *Zone, qname string, m *dns.Msg) (res Result, ttl time.Duration, err error) {
	if m == nil {
		return Result{}, 0, tldguard.Errorf(tldguard.EUNAVAILABLE, "blocklist %s: no response", z.Name)
	}
	if len(m.Question) > 0 && !strings.EqualFold(m.Question[0].Name, qname) {
		return Result{}, 0, &tldguard.Error{Kind: tldguard.EUNAVAILABLE,
			Message: fmt.Sprintf("blocklist %s: the response is for another question", z.Name), Err: ErrBlocklistAnswer}
	}
	switch m.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return Result{Zone: z.Name}, negativeTTL(m), nil
	default:
		return Result{}, 0, tldguard.Errorf(tldguard.EUNAVAILABLE, "blocklist %s: the resolver answered %s",
			z.Name, rcodeName(m.Rcode))
	}
	// Follow CNAMEs from qname; keep the A records of the names reached.
	owners := []string{strings.ToLower(qname)}
	for range 8 {
		grew := false
		for _, rr := range m.Answer {
			if c, ok := rr.(*dns.CNAME); ok && slices.Contains(owners, strings.ToLower(c.Hdr.Name)) &&
				!slices.Contains(owners, strings.ToLower(c.Target)) {
				owners = append(owners, strings.ToLower(c.Target))
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	var addrs []netip.Addr
	ttl = -1
	for _, rr := range m.Answer {
		a, ok := rr.(*dns.A)
		if !ok || !slices.Contains(owners, strings.ToLower(a.Hdr.Name)) {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.A)
		if !ok {
			continue
		}
		addrs = append(addrs, ip.Unmap())
		if t := time.Duration(a.Hdr.Ttl) * time.Second; ttl < 0 || t < ttl {
			ttl = t
		}
	}
	if len(addrs) == 0 {
		return Result{Zone: z.Name}, negativeTTL(m), nil
	}
	res, err = z.Decode(addrs)
	return res, ttl, err
}

func negativeTTL(m *dns.Msg) time.Duration {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			t := min(soa.Minttl, soa.Hdr.Ttl)
			return time.Duration(t) * time.Second
		}
	}
	return -1
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("rcode %d", rc)
}
