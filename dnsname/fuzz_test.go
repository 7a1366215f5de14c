package dnsname

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// seeds are inputs of every shape the tables cover, for the fuzzers' corpus.
var seeds = []string{
	"bad.example", "BAD.Example.", "www.login.bad.example", "пример.example", "xn--e1afmkfd.example",
	"XN--E1AFMKFD.EXAMPLE", "faß.example", "ＢＡＤ．ｅｘａｍｐｌｅ", "bad。example。", "ba\u00add.example",
	"💩.example", "العربية.example", "1abc.العربية", "a\u200db.example", "xn--zz.example", "my_site.bad.example",
	"r3---sn-ab5l6n7s.example", "192.0.2.1", "0xc0.0.2.1", "3221225985", "2001:db8::1", "[2001:db8::1]",
	"bad.123", "a..b", ".", "", "exa mple.example", "\xff.example",
	"https://user:pw@Login.Bad.Example:8443/path?q#f", "login.bad.example/wp-admin/x.php",
	"http://b%61d.example/", "http://192.0.2.1/x", "http://[2001:db8::1]/", "hxxps://bad[.]example/x",
	"bad(.)example", "bad [dot] example", "phish[at]bad[.]example", `http:\\bad.example\a`, "mailto:a@bad.example",
	"<https://bad.example/>", "javascript:alert(1)", "bad.example:8080", "//bad.example", "fe80::1/64",
	"*.bad.example", "http://[::1", "bad[[.]]example",
}

// checkName checks the invariants of a canonical name.
func checkName(t *testing.T, in, out string) {
	t.Helper()
	if out == "" || len(out) > MaxNameLen {
		t.Fatalf("%q: output %q has a bad length", in, out)
	}
	for label := range strings.SplitSeq(out, ".") {
		if label == "" || len(label) > MaxLabelLen {
			t.Fatalf("%q: output %q has a bad label %q", in, out, label)
		}
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			t.Fatalf("%q: output %q has the byte %q", in, out, c)
		}
	}
	if endsInNumber(out) {
		t.Fatalf("%q: output %q ends in a number", in, out)
	}
}

// checkError checks that err is a caller-safe *tldguard.Error.
func checkError(t *testing.T, in string, err error) {
	t.Helper()
	var e *tldguard.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: %v (%T) is not a *tldguard.Error", in, err, err)
	}
	switch {
	case e.Kind == tldguard.EINVALID && !errors.Is(err, ErrIP):
	case e.Kind == tldguard.EUNPROCESSABLE && errors.Is(err, ErrIP):
	default:
		t.Fatalf("%q: unexpected error %v", in, err)
	}
	if e.Message == "" || len(e.Message) > 600 || !utf8.ValidString(e.Message) {
		t.Fatalf("%q: bad message %q", in, e.Message)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		slow, sf := normalize(in, false)
		if (err == nil) != sf.ok() || slow != out {
			t.Fatalf("%q: fast path %q, %v; IDNA path %q, %q", in, out, err, slow, sf.msg)
		}
		if err != nil {
			checkError(t, in, err)
			return
		}
		checkName(t, in, out)
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, err)
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tg, err := ParseTarget(in)
		if tg.Input != in || tg.Domain != "" || tg.TLD != "" {
			t.Fatalf("%q: bad target %+v", in, tg)
		}
		if errors.Is(err, ErrIP) {
			if _, perr := netip.ParseAddr(tg.Host); perr != nil {
				t.Fatalf("%q: IP error with host %q", in, tg.Host)
			}
		}
		if err != nil {
			checkError(t, in, err)
			if !errors.Is(err, ErrIP) && (tg.Host != "" || tg.URL != "") {
				t.Fatalf("%q: error %v with a filled target %+v", in, err, tg)
			}
			return
		}
		checkName(t, in, tg.Host)
		if h, err := Normalize(tg.Host); err != nil || h != tg.Host {
			t.Fatalf("%q: host %q normalises to %q, %v", in, tg.Host, h, err)
		}
		if tg.URL == "" {
			return
		}
		if !strings.Contains(tg.URL, "://") || strings.ContainsAny(tg.URL, "\x00\t\r\n") {
			t.Fatalf("%q: bad URL %q", in, tg.URL)
		}
		again, err := ParseTarget(tg.URL)
		if err != nil || again.Host != tg.Host || again.URL != tg.URL {
			t.Fatalf("%q gives %q %q, but that URL gives %q %q, %v", in, tg.Host, tg.URL, again.Host, again.URL, err)
		}
	})
}

func FuzzRefang(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Refang(in)
		if again := Refang(out); again != out {
			t.Fatalf("Refang(%q) = %q, but Refang(%q) = %q", in, out, out, again)
		}
		if len(out) > len(in) {
			t.Fatalf("Refang(%q) = %q is longer", in, out)
		}
	})
}

func FuzzRegistered(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add("a.b.co.example")
	f.Add("x.co.example")
	s, err := NewSuffixes([]string{"example", "co.example", "test", "xn--e1afmkfd"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, tld, err := s.Registered(in)
		all := func(string) bool { return true }
		iname, itld, ok := s.RegisteredIn(in, all)
		if err != nil {
			checkErrorKinds(t, in, err)
			if ok && tldguard.ErrorKind(err) == tldguard.EINVALID {
				t.Fatalf("%q: RegisteredIn found %q for an invalid name", in, iname)
			}
			return
		}
		host, _ := Normalize(in)
		if !strings.HasSuffix(host, "."+name) && host != name || !strings.HasSuffix(name, "."+tld) {
			t.Fatalf("%q: Registered = %q, %q for host %q", in, name, tld, host)
		}
		if strings.Count(name, ".") != strings.Count(tld, ".")+1 {
			t.Fatalf("%q: %q is not one label under %q", in, name, tld)
		}
		// With every name delegated, the host itself is the longest.
		if !ok || iname != host || itld != tld {
			t.Fatalf("%q: RegisteredIn = %q, %q, %v; want %q, %q", in, iname, itld, ok, host, tld)
		}
		// With only the registered name delegated, it is found.
		only := func(n string) bool { return n == name }
		if iname, itld, ok := s.RegisteredIn(in, only); !ok || iname != name || itld != tld {
			t.Fatalf("%q: RegisteredIn = %q, %q, %v; want %q, %q", in, iname, itld, ok, name, tld)
		}
	})
}

// checkErrorKinds checks an error of Registered.
func checkErrorKinds(t *testing.T, in string, err error) {
	t.Helper()
	switch tldguard.ErrorKind(err) {
	case tldguard.EINVALID, tldguard.EUNPROCESSABLE:
	default:
		t.Fatalf("%q: unexpected error %v", in, err)
	}
}
