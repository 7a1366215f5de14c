package scan

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
)

// matchOne indexes one feed host, marks the delegated names as a zone
// would, and returns the registered name the host belongs to.
func matchOne(t *testing.T, tlds []string, host string, delegated []string, held []string) (Match, bool) {
	t.Helper()
	set, err := newTLDSet(tlds)
	if err != nil {
		t.Fatal(err)
	}
	fi := newFeedIndex(0, set, DefaultMaxURLs)
	fi.add(feed.Entry{Host: host, Threat: tldguard.ThreatPhishing})
	ix := &index{}
	ix.merge(fi)
	ix.build([]string{"f"})
	for _, d := range delegated {
		ix.mark([]byte(d))
	}
	for _, h := range held {
		ix.markHeld(h)
	}
	ms, _, err := ix.match(context.Background(), []Feed{{Spec: feed.Spec{Name: "f"}}}, DefaultMaxURLs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) > 1 {
		t.Fatalf("one host gave %d matches", len(ms))
	}
	if len(ms) == 0 {
		return Match{}, false
	}
	return ms[0], true
}

// TestWalkUp checks that a feed host belongs to its longest ancestor that
// the zone delegates, never to the TLD, and agrees with
// dnsname.Suffixes.RegisteredIn.
func TestWalkUp(t *testing.T) {
	example := []string{"example"}
	nested := []string{"example", "co.example"}
	for _, tc := range []struct {
		name      string
		tlds      []string
		host      string
		delegated []string
		held      []string
		want      string // "" for no match
		wantTLD   string
		wantHeld  bool
	}{
		{name: "registered name", tlds: example, host: "a.b.c.example", delegated: []string{"c.example"}, want: "c.example", wantTLD: "example"},
		{name: "longest wins", tlds: example, host: "a.b.c.example", delegated: []string{"c.example", "b.c.example"}, want: "b.c.example", wantTLD: "example"},
		{name: "host itself", tlds: example, host: "a.b.c.example", delegated: []string{"a.b.c.example", "c.example"}, want: "a.b.c.example", wantTLD: "example"},
		{name: "gap in the chain", tlds: example, host: "a.b.c.example", delegated: []string{"a.b.c.example"}, want: "a.b.c.example", wantTLD: "example"},
		{name: "nothing delegated", tlds: example, host: "a.b.c.example", want: ""},
		{name: "sibling delegated", tlds: example, host: "a.b.c.example", delegated: []string{"d.example", "b.d.example"}, want: ""},
		{name: "apex never matches", tlds: example, host: "c.example", delegated: []string{"example"}, want: ""},
		{name: "uppercase and trailing dot", tlds: example, host: "WWW.Shop.EXAMPLE.", delegated: []string{"shop.example"}, want: "shop.example", wantTLD: "example"},
		{name: "U-label host", tlds: example, host: "www.Bücher.example", delegated: []string{"xn--bcher-kva.example"}, want: "xn--bcher-kva.example", wantTLD: "example"},
		{name: "A-label host", tlds: example, host: "xn--bcher-kva.example", delegated: []string{"xn--bcher-kva.example"}, want: "xn--bcher-kva.example", wantTLD: "example"},
		{name: "U-label TLD", tlds: []string{"рф"}, host: "мвд.рф", delegated: []string{"xn--b1aew.xn--p1ai"}, want: "xn--b1aew.xn--p1ai", wantTLD: "xn--p1ai"},
		{name: "nested TLD", tlds: nested, host: "x.bad.co.example", delegated: []string{"bad.co.example"}, want: "bad.co.example", wantTLD: "co.example"},
		{name: "nested TLD's own delegation is no match", tlds: nested, host: "x.bad.co.example", delegated: []string{"co.example"}, want: ""},
		{name: "other TLD", tlds: example, host: "bad.test", delegated: []string{"bad.test"}, want: ""},
		{name: "IP", tlds: example, host: "192.0.2.1", want: ""},
		{name: "held", tlds: example, host: "www.gone.example", held: []string{"gone.example"}, want: "gone.example", wantTLD: "example", wantHeld: true},
		{name: "held and delegated", tlds: example, host: "www.gone.example", delegated: []string{"gone.example"}, held: []string{"gone.example"}, want: "gone.example", wantTLD: "example"},
		{name: "delegated below held", tlds: example, host: "a.sub.gone.example", delegated: []string{"sub.gone.example"}, held: []string{"gone.example"}, want: "sub.gone.example", wantTLD: "example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := matchOne(t, tc.tlds, tc.host, tc.delegated, tc.held)
			if got := m.Domain; got != tc.want || ok != (tc.want != "") {
				t.Fatalf("matched %q (ok %v), want %q", got, ok, tc.want)
			}
			if ok && (m.TLD != tc.wantTLD || m.Held != tc.wantHeld) {
				t.Fatalf("TLD %q held %v, want %q %v", m.TLD, m.Held, tc.wantTLD, tc.wantHeld)
			}
			// The engine and dnsname's walk-up agree.
			set, _ := newTLDSet(tc.tlds)
			del := map[string]bool{}
			for _, d := range append(tc.delegated, tc.held...) {
				del[d] = true
			}
			name, tld, ok2 := set.suffixes.RegisteredIn(tc.host, func(n string) bool { return del[n] })
			if name != tc.want || ok2 != ok || (ok && tld != tc.wantTLD) {
				t.Fatalf("RegisteredIn gives %q %q %v, the engine %q", name, tld, ok2, m.Domain)
			}
		})
	}
}

// TestMayHold checks the quick TLD test: it may only say no for hosts that
// normalising could not bring into a TLD.
func TestMayHold(t *testing.T) {
	set, err := newTLDSet([]string{"example", "co.example", "рф", "xn--p1ai", "museum"})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"bad.example":        true,
		"BAD.EXAMPLE":        true,
		"bad.example.":       true,
		"bad.co.example":     true,
		"bad.com":            false,
		"bad.COM.":           false,
		"bad.museum":         true,
		"bad.xn--p1ai":       true,
		"мвд.рф":             true, // not ASCII: to the full path
		"bad.ex%61mple":      true,
		"bad.example。":       true, // ideographic full stop
		"bad.examp_le":       true,
		"192.0.2.1":          false,
		"":                   false,
		"example":            true,
		"averyveryverylongl": false,
		"x.averyverylongl€":  true,
	} {
		if got := set.mayHold(host); got != want {
			t.Errorf("mayHold(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestURLCap keeps at most MaxURLs URLs per match, counts them all, and
// drops repeats.
func TestURLCap(t *testing.T) {
	set, _ := newTLDSet([]string{"example"})
	fi := newFeedIndex(0, set, 3)
	for _, u := range []string{"http://a.bad.example/5", "http://a.bad.example/1", "http://a.bad.example/1", "http://b.bad.example/2",
		"http://b.bad.example/3", "http://b.bad.example/0", "http://c.bad.example/9"} {
		fi.add(feed.Entry{URL: u, Host: "x.bad.example", Threat: tldguard.ThreatMalware})
	}
	ix := &index{}
	ix.merge(fi)
	ix.build([]string{"f"})
	ix.mark([]byte("bad.example"))
	ms, matched, _ := ix.match(context.Background(), []Feed{{Spec: feed.Spec{Name: "f"}}}, 3, nil)
	if len(ms) != 1 {
		t.Fatalf("%d matches", len(ms))
	}
	m := ms[0]
	want := []string{"http://a.bad.example/1", "http://a.bad.example/5", "http://b.bad.example/0"}
	if m.Count != 7 || matched[0] != 7 || len(m.URLs) != 3 || len(m.Entries) != 3 {
		t.Fatalf("count %d, matched %d, urls %q", m.Count, matched[0], m.URLs)
	}
	for i := range want {
		if m.URLs[i] != want[i] || m.Entries[i].URL != want[i] {
			t.Fatalf("urls %q entries %v, want %q", m.URLs, m.Entries, want)
		}
	}
}

// TestMatchAgainstReference: match, whose usual case walks groups that
// build sorted, gives what the plain rule gives (each host to its longest
// delegated ancestor, matches by name, feed and threat, sorted), with and
// without delegations below registered names.
func TestMatchAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	set, _ := newTLDSet([]string{"example", "co.example"})
	feeds := []Feed{{Spec: feed.Spec{Name: "b"}}, {Spec: feed.Spec{Name: "a"}}, {Spec: feed.Spec{Name: "c"}}}
	threats := []tldguard.ThreatType{tldguard.ThreatPhishing, tldguard.ThreatMalware}
	for round := range 200 {
		ix := &index{}
		for fi := range feeds {
			x := newFeedIndex(fi, set, 4)
			for range 1 + rng.IntN(30) {
				host := fmt.Sprintf("h%d.n%d.co.example", rng.IntN(3), rng.IntN(8))
				if rng.IntN(2) == 0 {
					host = fmt.Sprintf("h%d.n%d.example", rng.IntN(3), rng.IntN(8))
				}
				u := fmt.Sprintf("http://%s/%d", host, rng.IntN(6))
				x.add(feed.Entry{URL: u, Host: host, Threat: threats[rng.IntN(2)], Line: rng.IntN(1000)})
			}
			ix.merge(x)
		}
		ix.build([]string{"b", "a", "c"})
		var delegated []string
		for n := range 8 {
			if rng.IntN(3) > 0 {
				delegated = append(delegated, fmt.Sprintf("n%d.example", n), fmt.Sprintf("n%d.co.example", n))
			}
			if round%2 == 1 && rng.IntN(4) == 0 { // below a registered name
				delegated = append(delegated, fmt.Sprintf("h1.n%d.example", n))
			}
		}
		for _, d := range delegated {
			ix.mark([]byte(d))
		}
		got, matched, err := ix.match(context.Background(), feeds, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, wantMatched := referenceMatch(ix, feeds, delegated, 4)
		if fmt.Sprint(got) != fmt.Sprint(want) || !slices.Equal(matched, wantMatched) {
			t.Fatalf("round %d:\ngot  %v %v\nwant %v %v", round, got, matched, want, wantMatched)
		}
	}
}

// referenceMatch is match written plainly.
func referenceMatch(ix *index, feeds []Feed, delegated []string, maxURLs int) ([]Match, []int64) {
	isDel := map[string]bool{}
	for _, d := range delegated {
		isDel[d] = true
	}
	type key struct {
		domain string
		feed   int
		threat tldguard.ThreatType
	}
	byKey := map[key]*Match{}
	var order []key
	matched := make([]int64, len(feeds))
	// The feeds' own order: what build sorted must not matter.
	groups := slices.Clone(ix.groups)
	slices.SortStableFunc(groups, func(a, b *group) int { return a.feed - b.feed })
	for _, g := range groups {
		domain := ""
		for a := g.host; ; a = a[strings.IndexByte(a, '.')+1:] {
			if isDel[a] {
				domain = a
				break
			}
			if len(a) <= len(g.reg) {
				break
			}
		}
		if domain == "" {
			continue
		}
		k := key{domain, g.feed, g.threat}
		m := byKey[k]
		if m == nil {
			m = &Match{Domain: domain, TLD: g.tld, Feed: feeds[g.feed].Spec.Name, Format: feeds[g.feed].format(), Threat: g.threat}
			byKey[k] = m
			order = append(order, k)
		}
		m.Count += g.count
		m.Compromised = m.Compromised || g.compromised
		matched[g.feed] += int64(g.count)
		m.URLs = append(m.URLs, g.urls...)
		m.Entries = append(m.Entries, g.entries...)
	}
	var out []Match
	for _, k := range order {
		m := byKey[k]
		m.sortAndCap(maxURLs)
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(strings.Compare(a.Domain, b.Domain), strings.Compare(a.Feed, b.Feed), strings.Compare(string(a.Threat), string(b.Threat)))
	})
	return out, matched
}
