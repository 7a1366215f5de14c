package dnsname

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

func newSuffixes(t testing.TB, tlds ...string) *Suffixes {
	t.Helper()
	s, err := NewSuffixes(tlds)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSuffixes(t *testing.T) {
	s := newSuffixes(t, "example", "Test.", ".co.example", " example ", "пример", "XN--E1AFMKFD")
	want := []string{"co.example", "example", "test", "xn--e1afmkfd"}
	if got := s.TLDs(); !slices.Equal(got, want) {
		t.Errorf("TLDs() = %q, want %q", got, want)
	}
	if got := s.String(); got != "co.example, example, test, xn--e1afmkfd" {
		t.Errorf("String() = %q", got)
	}
	s.TLDs()[0] = "changed"
	if s.TLDs()[0] != "co.example" {
		t.Error("TLDs() shares its slice")
	}

	empty := newSuffixes(t)
	if got := empty.String(); got != "none configured" {
		t.Errorf("empty String() = %q", got)
	}
	if _, _, err := empty.Registered("bad.example"); tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
		t.Errorf("empty set: Registered error %v", err)
	}

	var many []string
	for i := range 25 {
		many = append(many, fmt.Sprintf("tld%02d", i))
	}
	if got := newSuffixes(t, many...).String(); got != "tld00, tld01, tld02, tld03, tld04, tld05, tld06, tld07, tld08, tld09 and 15 more" {
		t.Errorf("String() of 25 TLDs = %q", got)
	}

	for _, bad := range []string{"exa mple", "", "192.0.2.1", "a..b"} {
		_, err := NewSuffixes([]string{"example", bad})
		if tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("NewSuffixes(%q): error %v, want EINVALID", bad, err)
		}
	}
	_, err := NewSuffixes([]string{"exa mple"})
	if msg := tldguard.ErrorMessage(err); msg != `TLD "exa mple": a label has a space` {
		t.Errorf("message %q", msg)
	}
}

func TestRegistered(t *testing.T) {
	s := newSuffixes(t, "example", "test", "co.example", "xn--e1afmkfd")
	tests := []struct {
		host, name, tld string
		kind, msg       string
	}{
		{host: "bad.example", name: "bad.example", tld: "example"},
		{host: "www.login.bad.example", name: "bad.example", tld: "example"},
		{host: "WWW.Login.BAD.Example.", name: "bad.example", tld: "example"},
		{host: "my_site.bad.example", name: "bad.example", tld: "example"},
		{host: "-x-.bad.example", name: "bad.example", tld: "example"},
		{host: "bad.test", name: "bad.test", tld: "test"},
		{host: "bad.co.example", name: "bad.co.example", tld: "co.example"},
		{host: "shop.bad.co.example", name: "bad.co.example", tld: "co.example"},
		{host: "co2.example", name: "co2.example", tld: "example"},
		{host: "пример.пример", name: "xn--e1afmkfd.xn--e1afmkfd", tld: "xn--e1afmkfd"},
		{host: "bücher.example", name: "xn--bcher-kva.example", tld: "example"},
		{host: "a.b.c.d.e.f.bad.example", name: "bad.example", tld: "example"},

		{host: "bad.com", kind: tldguard.EUNPROCESSABLE, msg: `"bad.com" is not in a TLD this registry operates (co.example, example, test, xn--e1afmkfd)`},
		{host: "badexample", kind: tldguard.EUNPROCESSABLE, msg: "is not in a TLD"},
		{host: "bad.example.com", kind: tldguard.EUNPROCESSABLE, msg: "is not in a TLD"},
		{host: "bad.example.co", kind: tldguard.EUNPROCESSABLE, msg: "is not in a TLD"},
		{host: "example", kind: tldguard.EUNPROCESSABLE, msg: `"example" is a TLD this registry operates, not a registered name`},
		{host: "Example.", kind: tldguard.EUNPROCESSABLE, msg: "is a TLD this registry operates"},
		{host: "co.example", kind: tldguard.EUNPROCESSABLE, msg: `"co.example" is a TLD`},
		{host: "www.bad_site.example", kind: tldguard.EUNPROCESSABLE, msg: `"bad_site.example" cannot be a registered name: the label "bad_site" has an underscore`},
		{host: "-bad.example", kind: tldguard.EUNPROCESSABLE, msg: "starts with a hyphen"},
		{host: "bad-.co.example", kind: tldguard.EUNPROCESSABLE, msg: "ends with a hyphen"},
		{host: "192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "is an IP address"},
		{host: "exa mple.example", kind: tldguard.EINVALID, msg: `"exa mple.example": a label has a space`},
		{host: "", kind: tldguard.EINVALID, msg: "the name is empty"},
	}
	for _, tt := range tests {
		name, tld, err := s.Registered(tt.host)
		if tt.kind == "" {
			if err != nil || name != tt.name || tld != tt.tld {
				t.Errorf("Registered(%q) = %q, %q, %v; want %q, %q", tt.host, name, tld, err, tt.name, tt.tld)
			}
			continue
		}
		if err == nil {
			t.Errorf("Registered(%q) = %q, %q; want a %s error", tt.host, name, tld, tt.kind)
			continue
		}
		var e *tldguard.Error
		if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("Registered(%q): %v; want %s %q", tt.host, err, tt.kind, tt.msg)
		}
	}

	if n := testing.AllocsPerRun(100, func() { _, _, _ = s.Registered("www.login.bad.example") }); n != 0 {
		t.Errorf("Registered allocates %v times", n)
	}
}

func TestRegisteredIn(t *testing.T) {
	s := newSuffixes(t, "example", "co.example", "test")
	zone := map[string]bool{
		"bad.example":         true,
		"bad.co.example":      true,
		"sub.reseller.test":   true, // a delegation below a registered name's level
		"reseller.test":       true,
		"xn--bcher-kva.test":  true,
		"co.example.example":  true,
		"registered.example.": false,
	}
	tests := []struct {
		host, name, tld string
	}{
		{"bad.example", "bad.example", "example"},
		{"www.login.bad.example", "bad.example", "example"},
		{"WWW.Bad.Example.", "bad.example", "example"},
		{"x.bad.co.example", "bad.co.example", "co.example"},
		{"a.sub.reseller.test", "sub.reseller.test", "test"},
		{"a.other.reseller.test", "reseller.test", "test"},
		{"www.bücher.test", "xn--bcher-kva.test", "test"},
		{"co.example.example", "co.example.example", "example"},
		{"unknown.example", "", ""},
		{"www.unknown.example", "", ""},
		{"example", "", ""},
		{"co.example", "", ""},
		{"bad.com", "", ""},
		{"bad.example.com", "", ""},
		{"192.0.2.1", "", ""},
		{"exa mple.example", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		var asked []string
		delegated := func(name string) bool {
			asked = append(asked, name)
			return zone[name]
		}
		name, tld, ok := s.RegisteredIn(tt.host, delegated)
		if name != tt.name || tld != tt.tld || ok != (tt.name != "") {
			t.Errorf("RegisteredIn(%q) = %q, %q, %v; want %q, %q", tt.host, name, tld, ok, tt.name, tt.tld)
		}
		for _, a := range asked {
			if s.match(a) == 0 {
				t.Errorf("RegisteredIn(%q) asked about the TLD %q", tt.host, a)
			}
		}
	}

	delegated := func(name string) bool { return zone[name] }
	if n := testing.AllocsPerRun(100, func() { _, _, _ = s.RegisteredIn("www.login.bad.example", delegated) }); n != 0 {
		t.Errorf("RegisteredIn allocates %v times", n)
	}
}

func TestSuffixesTarget(t *testing.T) {
	s := newSuffixes(t, "example")
	got, err := s.Target("hxxps://Login.Bad[.]Example/signin?x")
	want := tldguard.Target{
		Input: "hxxps://Login.Bad[.]Example/signin?x", Host: "login.bad.example",
		URL: "https://login.bad.example/signin?x", Domain: "bad.example", TLD: "example",
	}
	if err != nil || got != want {
		t.Errorf("Target = %+v, %v; want %+v", got, err, want)
	}

	got, err = s.Target("https://login.bad.com/x")
	if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE || got.Host != "login.bad.com" || got.Domain != "" {
		t.Errorf("Target outside the TLDs = %+v, %v", got, err)
	}
	if msg := tldguard.ErrorMessage(err); msg != `"login.bad.com" is not in a TLD this registry operates (example)` {
		t.Errorf("message %q", msg)
	}

	got, err = s.Target("http://192.0.2.1/")
	if !errors.Is(err, ErrIP) || got.Host != "192.0.2.1" {
		t.Errorf("Target of an IP URL = %+v, %v", got, err)
	}
}
