package dnsname

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tldguard/tldguard"
)

// Suffixes is the set of TLDs a registry operator runs, and finds the name
// registered under one of them. A TLD may have more than one label
// ("co.example"); where TLDs nest, the longest match wins. A Suffixes is
// immutable and safe for concurrent use.
type Suffixes struct {
	set       map[string]struct{}
	sorted    []string
	maxLabels int // labels of the longest TLD
}

// NewSuffixes returns the set of the given TLDs, each normalised as
// Normalize does, with one leading dot allowed (".example"); duplicates are
// merged. An empty list gives a set that contains nothing. A TLD that is not
// a valid name is an EINVALID error naming it.
func NewSuffixes(tlds []string) (*Suffixes, error) {
	s := &Suffixes{set: make(map[string]struct{}, len(tlds))}
	for _, raw := range tlds {
		name, f := normalize(strings.TrimPrefix(strings.TrimSpace(raw), "."), true)
		if !f.ok() {
			return nil, &tldguard.Error{
				Kind:    tldguard.EINVALID,
				Message: "TLD " + quote(raw) + ": " + f.msg,
				Err:     f.err,
			}
		}
		if _, dup := s.set[name]; dup {
			continue
		}
		s.set[name] = struct{}{}
		s.sorted = append(s.sorted, name)
		s.maxLabels = max(s.maxLabels, strings.Count(name, ".")+1)
	}
	slices.Sort(s.sorted)
	return s, nil
}

// TLDs returns the TLDs of the set, sorted.
func (s *Suffixes) TLDs() []string { return slices.Clone(s.sorted) }

// String lists the TLDs for messages, e.g. "example, test".
func (s *Suffixes) String() string {
	const show = 10
	switch n := len(s.sorted); {
	case n == 0:
		return "none configured"
	case n <= show:
		return strings.Join(s.sorted, ", ")
	default:
		return strings.Join(s.sorted[:show], ", ") + fmt.Sprintf(" and %d more", n-show)
	}
}

// match returns the start of the longest TLD that host ends with (host[i:]
// is the TLD; i is 0 when host is a TLD itself), or -1. It walks up at most
// as many labels as the longest TLD has and does not allocate.
func (s *Suffixes) match(host string) int {
	best := -1
	i := len(host) + 1 // host[i:] is the suffix tried last
	for n := 0; n < s.maxLabels && i > 0; n++ {
		i = strings.LastIndexByte(host[:i-1], '.') + 1
		if _, ok := s.set[host[i:]]; ok {
			best = i
		}
	}
	return best
}

// Registered returns the registered name that host falls under and its TLD:
// the TLD and one label more, so "www.login.bad.example" gives
// ("bad.example", "example") when "example" is in the set, and
// "shop.bad.co.example" gives ("bad.co.example", "co.example") when
// "co.example" is too. The host is normalised first (without allocation
// when it is canonical already), so any form Normalize accepts will do.
//
// Errors are *tldguard.Error values: EINVALID from Normalize; EUNPROCESSABLE
// matching ErrIP for an IP address; EUNPROCESSABLE when the host is in none
// of the TLDs (the message names the TLDs), when it is a TLD itself, or when
// the label under the TLD cannot be registered in any TLD (it has an
// underscore, or starts or ends with a hyphen).
func (s *Suffixes) Registered(host string) (name, tld string, err error) {
	h, f := normalize(host, true)
	if !f.ok() {
		return "", "", f.error(host)
	}
	i := s.match(h)
	switch {
	case i < 0:
		return "", "", tldguard.Errorf(tldguard.EUNPROCESSABLE,
			"%s is not in a TLD this registry operates (%s)", quote(h), s)
	case i == 0:
		return "", "", tldguard.Errorf(tldguard.EUNPROCESSABLE,
			"%s is a TLD this registry operates, not a registered name", quote(h))
	}
	j := strings.LastIndexByte(h[:i-1], '.') + 1
	if msg := unregistrable(h[j : i-1]); msg != "" {
		return "", "", tldguard.Errorf(tldguard.EUNPROCESSABLE,
			"%s cannot be a registered name: the label %q %s", quote(h[j:]), h[j:i-1], msg)
	}
	return h[j:], h[i:], nil
}

// unregistrable says why a label can never be registered directly under a
// TLD, or returns "". Registries take only letters, digits and hyphens, with
// no hyphen at either end (RFC 1123, RFC 5891 §4.2.3.1).
func unregistrable(label string) string {
	switch {
	case strings.IndexByte(label, '_') >= 0:
		return "has an underscore"
	case label[0] == '-':
		return "starts with a hyphen"
	case label[len(label)-1] == '-':
		return "ends with a hyphen"
	}
	return ""
}

// RegisteredIn is Registered for the zone check: it returns the longest
// ancestor of host (host itself included) that delegated reports true for,
// under the longest TLD host is in, and that TLD. The TLD itself is never
// tried. delegated is called with substrings of the normalised host, from
// the longest down, so a lookup in a map of the zone's delegations costs no
// allocation. ok is false when host is not a valid name, is an IP address,
// is in none of the TLDs, or no ancestor under the TLD is delegated.
func (s *Suffixes) RegisteredIn(host string, delegated func(name string) bool) (name, tld string, ok bool) {
	h, f := normalize(host, true)
	if !f.ok() {
		return "", "", false
	}
	i := s.match(h)
	if i <= 0 {
		return "", "", false
	}
	// h[i-1] is the dot before the TLD, so every j < i has a dot at or after it.
	for j := 0; j < i; j += strings.IndexByte(h[j:], '.') + 1 {
		if delegated(h[j:]) {
			return h[j:], h[i:], true
		}
	}
	return "", "", false
}

// Target reads input as ParseTarget does and fills in the registered name
// and TLD as Registered finds them. On error the Target holds what was
// found before it (at least Input) and the error is ParseTarget's or
// Registered's.
func (s *Suffixes) Target(input string) (tldguard.Target, error) {
	t, err := ParseTarget(input)
	if err != nil {
		return t, err
	}
	t.Domain, t.TLD, err = s.Registered(t.Host)
	return t, err
}
