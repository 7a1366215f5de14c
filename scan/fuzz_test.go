package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/feed"
)

// FuzzIndex feeds arbitrary hosts and URLs to the index and checks that
// the quick TLD test never drops a host that normalises into a TLD, that
// every indexed host sits strictly below its TLD with its registered name
// as a suffix, and that the walk-up agrees with dnsname's.
//
//	go test ./scan -run '^$' -fuzz FuzzIndex -fuzztime 1m
func FuzzIndex(f *testing.F) {
	for _, s := range []string{
		"bad.example", "WWW.BAD.EXAMPLE.", "http://user:pw@Login.Bad.Example:8443/p?q#f", "https://bücher.example/x",
		"xn--bcher-kva.example", "a.b.bad.co.example", "192.0.2.1", "http://[2001:db8::1]/", "hxxp://bad[.]example/x",
		"bad.example。", "b%61d.example", "example", ".example", "bad..example", "-bad.example", "_x.bad.example",
		"мвд.рф", "http://bad.ex%61mple/", "bad.com", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	set, err := newTLDSet([]string{"example", "co.example", "рф"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, asURL bool) {
		e := feed.Entry{Host: s, Threat: tldguard.ThreatMalware}
		if asURL {
			e.URL = s
			e.Host = hostPart(s)
		}
		input := e.URL
		if input == "" {
			input = e.Host
		}
		// The quick test says no only when the full path would say no.
		if !set.mayHold(e.Host) && !asURL {
			if tg, err := dnsname.ParseTarget(input); err == nil {
				if _, _, err := set.suffixes.Registered(tg.Host); err == nil {
					t.Fatalf("mayHold(%q) is false but %q is in a TLD", e.Host, tg.Host)
				}
			}
		}
		fi := newFeedIndex(0, set, 3)
		fi.add(e)
		if len(fi.order)+int(fi.skipped()) != 1 {
			t.Fatalf("%q: %d groups and %d skipped", s, len(fi.order), fi.skipped())
		}
		ix := &index{}
		ix.merge(fi)
		ix.build([]string{"f"})
		for _, g := range fi.order {
			if !strings.HasSuffix(g.host, "."+g.tld) || !strings.HasSuffix(g.host, g.reg) ||
				!strings.HasSuffix(g.reg, "."+g.tld) || strings.Count(g.reg, ".") != strings.Count(g.tld, ".")+1 {
				t.Fatalf("%q: group host %q reg %q tld %q", s, g.host, g.reg, g.tld)
			}
			for a := range ix.names {
				if !strings.HasSuffix(g.host, a) || len(a) < len(g.reg) {
					t.Fatalf("%q: ancestor %q of host %q reg %q", s, a, g.host, g.reg)
				}
			}
			// Delegate the registered name and the host: the host wins;
			// dnsname's walk-up agrees.
			ix.mark([]byte(g.reg))
			ms, _, err := ix.match(context.Background(), []Feed{{}}, 3, nil)
			if err != nil || len(ms) != 1 || ms[0].Domain != g.reg {
				t.Fatalf("%q: matches %+v, %v; want %q", s, ms, err, g.reg)
			}
			name, _, ok := set.suffixes.RegisteredIn(g.host, func(n string) bool { return n == g.reg })
			if !ok || name != g.reg {
				t.Fatalf("%q: RegisteredIn gives %q, want %q", s, name, g.reg)
			}
			ix.mark([]byte(g.host))
			ms, _, _ = ix.match(context.Background(), []Feed{{}}, 3, nil)
			if len(ms) != 1 || ms[0].Domain != g.host {
				t.Fatalf("%q: with the host delegated, matches %+v", s, ms)
			}
		}
	})
}

// hostPart is a rough stand-in for a feed reader's host extraction.
func hostPart(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s, "]") {
		s = s[:i]
	}
	return s
}
