package scan

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/feed"
)

// group is what one feed says about one host for one threat. A host's
// URLs are capped at MaxURLs already here: the match for a registered name
// unites the groups of its hosts and caps again, so nothing it would keep
// is lost, and a feed with a million URLs on one host costs little.
type group struct {
	host   string // canonical (dnsname), A-labels
	reg    string // the registered name under the TLD: a suffix of host
	tld    string
	threat tldguard.ThreatType
	feed   int // index into Config.Feeds

	count       int
	compromised bool
	urls        []string
	entries     []feed.Entry

	anc []int32 // the index's slots of host and its ancestors down to reg
}

type groupKey struct {
	host   string
	threat tldguard.ThreatType
}

// feedIndex collects one feed's groups while the feed is read; the run's
// index takes them only when the read succeeds, since a drifted feed's
// entries must be discarded.
type feedIndex struct {
	feed    int
	tlds    *tldSet
	maxURLs int
	groups  map[groupKey]*group
	order   []*group // in first-seen order, for determinism

	outside int64 // hosts in none of the run's TLDs
	invalid int64 // hosts that are not names
	ips     int64 // IP hosts the feed reader did not already skip
}

func newFeedIndex(i int, tlds *tldSet, maxURLs int) *feedIndex {
	return &feedIndex{feed: i, tlds: tlds, maxURLs: maxURLs, groups: map[groupKey]*group{}}
}

// add indexes one entry. Most of a large feed is in other TLDs; tldSet's
// quick test skips those without normalising them.
func (x *feedIndex) add(e feed.Entry) {
	if !x.tlds.mayHold(e.Host) {
		x.outside++
		return
	}
	input := e.URL
	if input == "" {
		input = e.Host
	}
	t, err := dnsname.ParseTarget(input)
	if err != nil {
		if errors.Is(err, dnsname.ErrIP) {
			x.ips++
		} else {
			x.invalid++
		}
		return
	}
	reg, tld, err := x.tlds.suffixes.Registered(t.Host)
	if err != nil {
		if errors.Is(err, dnsname.ErrIP) {
			x.ips++
		} else {
			x.outside++
		}
		return
	}
	// reg is a suffix of the canonical host; keep it as a slice of it.
	reg = t.Host[len(t.Host)-len(reg):]
	k := groupKey{host: t.Host, threat: e.Threat}
	g := x.groups[k]
	if g == nil {
		g = &group{host: t.Host, reg: reg, tld: tld, threat: e.Threat, feed: x.feed}
		x.groups[k] = g
		x.order = append(x.order, g)
	}
	g.count++
	g.compromised = g.compromised || e.Compromised
	u := t.URL
	if u == "" {
		u = t.Host
	}
	if len(g.urls) < x.maxURLs && !slices.Contains(g.urls, u) {
		g.urls = append(g.urls, u)
		g.entries = append(g.entries, e)
	}
}

// skipped is what the index left out of the feed's entries.
func (x *feedIndex) skipped() int64 { return x.outside + x.invalid + x.ips }

// tldSet is the run's TLDs, with a quick test for hosts that cannot be in
// any of them.
type tldSet struct {
	suffixes *dnsname.Suffixes
	last     map[string]struct{} // the last label of each TLD
	few      []string            // the same, when there are few: compared in turn
	maxLast  int
}

func newTLDSet(tlds []string) (*tldSet, error) {
	suf, err := dnsname.NewSuffixes(tlds)
	if err != nil {
		return nil, err
	}
	s := &tldSet{suffixes: suf, last: map[string]struct{}{}}
	for _, t := range suf.TLDs() {
		l := t[strings.LastIndexByte(t, '.')+1:]
		s.last[l] = struct{}{}
		s.maxLast = max(s.maxLast, len(l))
	}
	if len(s.last) <= 8 {
		for l := range s.last {
			s.few = append(s.few, l)
		}
	}
	return s, nil
}

// mayHold reports whether a raw feed host could be in one of the TLDs. It
// answers false only for a host whose last label is plain ASCII letters,
// digits and hyphens (so normalising could only lower its case) and, in
// lower case, the last label of no TLD. Anything else (IDN, escapes,
// unusual characters) goes to the full normalisation.
func (s *tldSet) mayHold(host string) bool { return mayHold(s, host) }

// mayHoldBytes is mayHold for a host the feed reader has not made a
// string yet (feed.Spec.Filter).
func (s *tldSet) mayHoldBytes(host []byte) bool { return mayHold(s, host) }

func mayHold[T string | []byte](s *tldSet, host T) bool {
	n := len(host)
	if n > 0 && host[n-1] == '.' {
		n--
	}
	i := n - 1
	for i >= 0 && host[i] != '.' {
		i--
	}
	l := host[i+1 : n]
	if len(l) > s.maxLast {
		// No TLD label is this long; but a long label may still be an
		// IDN or hold odd bytes that normalising would change.
		return !plainLabel(l)
	}
	if s.few != nil {
		// Most hosts' last label differs in length from every TLD's.
		for _, t := range s.few {
			if len(t) == len(l) && foldEqual(l, t) {
				return true
			}
		}
		return !plainLabel(l)
	}
	var buf [64]byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		default:
			return true
		}
		buf[i] = c
	}
	_, ok := s.last[string(buf[:len(l)])]
	return ok
}

// foldEqual reports whether l, in ASCII lower case, is t (lower case).
func foldEqual[T string | []byte](l T, t string) bool {
	for i := 0; i < len(t); i++ {
		c := l[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}

func plainLabel[T string | []byte](l T) bool {
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// index is the run's view of every feed: the groups, and every ancestor
// of their hosts strictly below a TLD, each with a flag the zones set when
// they delegate it.
type index struct {
	groups    []*group
	names     map[string]int32
	delegated []bool
	held      []bool // delegated only as a held name, not by a zone
	// filter has a bit set for the hash of every key of names: almost all
	// of a zone's names miss it and never reach the map, which keeps the
	// per-name cost a few nanoseconds (the zone's parser shares a core
	// with it).
	filter []uint64
	shift  uint
}

func (x *index) merge(f *feedIndex) { x.groups = append(x.groups, f.order...) }

// build indexes every group's ancestors and puts the groups in the order
// of the matches they will make (see match), feeds named by feedNames.
// The keys are slices of the hosts, so the map costs no string copies.
// It runs before the zone is read (in the parser's spare time, for a
// compressed zone), so that what is left for the end is short.
func (x *index) build(feedNames []string) {
	x.names = make(map[string]int32, len(x.groups))
	defer x.buildFilter()
	for _, g := range x.groups {
		for a := g.host; ; a = a[strings.IndexByte(a, '.')+1:] {
			i, ok := x.names[a]
			if !ok {
				i = int32(len(x.delegated))
				x.names[a] = i
				x.delegated = append(x.delegated, false)
				x.held = append(x.held, false)
			}
			g.anc = append(g.anc, i)
			if len(a) <= len(g.reg) {
				break
			}
		}
	}
	// Stable: a key's groups keep the feeds' order, which decides the
	// entry kept for a URL that two groups share.
	slices.SortStableFunc(x.groups, func(a, b *group) int {
		return cmp.Or(strings.Compare(a.reg, b.reg), strings.Compare(feedNames[a.feed], feedNames[b.feed]),
			cmp.Compare(a.feed, b.feed), strings.Compare(string(a.threat), string(b.threat)))
	})
}

// buildFilter sizes the filter at 16 bits or more per key (a few per cent
// of misses then pass it) and sets the keys' bits.
func (x *index) buildFilter() {
	bits := uint(16)
	for 1<<bits < 16*len(x.names) {
		bits++
	}
	x.filter = make([]uint64, 1<<bits/64)
	x.shift = 64 - bits
	for k := range x.names {
		h := nameHash(k) >> x.shift
		x.filter[h/64] |= 1 << (h % 64)
	}
}

// nameHash is a cheap hash of a name's first and last eight bytes and its
// length: enough to spread names that differ anywhere but in the middle
// of a long label, which the map then tells apart.
func nameHash[T string | []byte](b T) uint64 {
	var lo, hi uint64
	n := len(b)
	for i := 0; i < 8 && i < n; i++ {
		lo |= uint64(b[i]) << (8 * i)
		hi |= uint64(b[n-1-i]) << (8 * i)
	}
	h := (lo ^ uint64(n)) * 0x9e3779b97f4a7c15
	h ^= hi * 0xc2b2ae3d27d4eb4f
	return h ^ h>>29
}

// mark records that a zone delegates name and reports whether any feed
// host is at or below it. It does not allocate.
func (x *index) mark(name []byte) bool {
	if h := nameHash(name) >> x.shift; x.filter[h/64]&(1<<(h%64)) == 0 {
		return false
	}
	i, ok := x.names[string(name)]
	if ok {
		x.delegated[i] = true
	}
	return ok
}

// markHeld records a name that is registered but absent from the zones;
// call it after the zones are read.
func (x *index) markHeld(name string) {
	if i, ok := x.names[name]; ok && !x.delegated[i] {
		x.delegated[i], x.held[i] = true, true
	}
}

// longest returns the longest ancestor of g's host that a zone delegates
// (or that is held), and whether it is held.
func (x *index) longest(g *group) (name string, held, ok bool) {
	a := g.host
	for _, i := range g.anc {
		if x.delegated[i] {
			return a, x.held[i], true
		}
		a = a[strings.IndexByte(a, '.')+1:]
	}
	return "", false, false
}

type matchKey struct {
	domain string
	feed   int
	threat tldguard.ThreatType
}

// match assigns every group to its registered name: the longest delegated
// ancestor, or else its registered name when registered (asks at most once
// per name). It returns the matches sorted, and the entries matched per feed.
func (x *index) match(ctx context.Context, feeds []Feed, maxURLs int, registered func(context.Context, string) (bool, error)) ([]Match, []int64, error) {
	type found struct {
		domain string
		held   bool
	}
	held := map[string]bool{}
	got := make([]found, len(x.groups)) // domain "" for no match
	atReg := true                       // every match is at its group's registered name
	n := 0                              // groups that matched
	for i, g := range x.groups {
		domain, isHeld, ok := x.longest(g)
		if !ok && registered != nil {
			reg, asked := held[g.reg]
			if !asked {
				var err error
				if reg, err = registered(ctx, g.reg); err != nil {
					return nil, nil, err
				}
				held[g.reg] = reg
			}
			domain, ok, isHeld = g.reg, reg, reg
		}
		if ok {
			got[i] = found{domain, isHeld}
			atReg = atReg && domain == g.reg
			n++
		}
	}
	matched := make([]int64, len(feeds))
	add := func(m *Match, g *group) {
		m.Count += g.count
		m.Compromised = m.Compromised || g.compromised
		matched[g.feed] += int64(g.count)
		if m.URLs == nil {
			// Most matches have one group: its slices serve, clipped so
			// that a second group's URLs go to new arrays.
			m.URLs, m.Entries = slices.Clip(g.urls), slices.Clip(g.entries)
		} else {
			m.URLs = append(m.URLs, g.urls...)
			m.Entries = append(m.Entries, g.entries...)
		}
	}
	newMatch := func(g *group, f found) Match {
		fd := feeds[g.feed]
		return Match{Domain: f.domain, TLD: g.tld, Feed: fd.Spec.Name, Format: fd.format(), Threat: g.threat, Held: f.held}
	}
	if atReg {
		// The usual case: build put the groups in the matches' order, so
		// a match is a run of neighbours, built in place, and nothing is
		// left to sort. (At the end of a check, fresh memory costs page
		// faults: one array, not a Match and a copy of it per name.)
		out := make([]Match, 0, n)
		var last *group
		for i, g := range x.groups {
			if got[i].domain == "" {
				continue
			}
			if last == nil || g.reg != last.reg || g.feed != last.feed || g.threat != last.threat {
				out = append(out, newMatch(g, got[i]))
			}
			add(&out[len(out)-1], g)
			last = g
		}
		for i := range out {
			out[i].sortAndCap(maxURLs)
		}
		return out, matched, nil
	}
	// A delegation below a registered name: group by what matched.
	var ms []*Match
	byKey := make(map[matchKey]*Match, len(x.groups))
	for i, g := range x.groups {
		if got[i].domain == "" {
			continue
		}
		k := matchKey{domain: got[i].domain, feed: g.feed, threat: g.threat}
		m := byKey[k]
		if m == nil {
			nm := newMatch(g, got[i])
			m = &nm
			byKey[k] = m
			ms = append(ms, m)
		}
		add(m, g)
	}
	// Sorting pointers moves 8 bytes a swap, not a whole Match.
	slices.SortStableFunc(ms, func(a, b *Match) int {
		return cmp.Or(strings.Compare(a.Domain, b.Domain), strings.Compare(a.Feed, b.Feed), strings.Compare(string(a.Threat), string(b.Threat)))
	})
	out := make([]Match, len(ms))
	for i, m := range ms {
		m.sortAndCap(maxURLs)
		out[i] = *m
	}
	return out, matched, nil
}

// sortAndCap sorts URLs (with their entries) and keeps the first max.
func (m *Match) sortAndCap(max int) {
	if len(m.URLs) <= 1 || len(m.URLs) <= max && slices.IsSorted(m.URLs) && !hasRepeat(m.URLs) {
		return
	}
	idx := make([]int, len(m.URLs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(m.URLs[a], m.URLs[b]) })
	urls := make([]string, 0, min(len(idx), max))
	entries := make([]feed.Entry, 0, min(len(idx), max))
	for _, i := range idx {
		if len(urls) == max {
			break
		}
		if len(urls) > 0 && urls[len(urls)-1] == m.URLs[i] {
			continue
		}
		urls = append(urls, m.URLs[i])
		entries = append(entries, m.Entries[i])
	}
	m.URLs, m.Entries = urls, entries
}

// hasRepeat reports two equal neighbours in sorted strings.
func hasRepeat(sorted []string) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}

func (f Feed) format() string {
	if f.Format != "" {
		return f.Format
	}
	return string(f.Spec.Format)
}
