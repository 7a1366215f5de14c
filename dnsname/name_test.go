package dnsname

import (
	"errors"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// checkErr checks that err is a *tldguard.Error of kind, whose message
// contains msg, and that it matches ErrIP exactly when kind says so.
func checkErr(t *testing.T, in string, err error, kind, msg string) {
	t.Helper()
	var e *tldguard.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v (%T) is not a *tldguard.Error", in, err, err)
	}
	if e.Kind != kind {
		t.Errorf("%q: kind %q, want %q (%v)", in, e.Kind, kind, err)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("%q: message %q, want it to contain %q", in, e.Message, msg)
	}
	if isIP := errors.Is(err, ErrIP); isIP != (kind == tldguard.EUNPROCESSABLE) {
		t.Errorf("%q: errors.Is(err, ErrIP) = %v for kind %q", in, isIP, kind)
	}
}

func TestNormalize(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	name253 := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61) // 3*64 + 61 = 253
	tests := []struct {
		in, want string
		kind     string // "" for success
		msg      string // part of the message, for errors
	}{
		// ASCII names, as feeds write them.
		{in: "bad.example", want: "bad.example"},
		{in: "BAD.Example.", want: "bad.example"},
		{in: "  www.Login.BAD.example \n", want: "www.login.bad.example"},
		{in: "localhost", want: "localhost"},
		{in: "123.bad.example", want: "123.bad.example"},
		{in: "r3---sn-ab5l6n7s.googlevideo.example", want: "r3---sn-ab5l6n7s.googlevideo.example"},
		{in: "my_site.bad.example", want: "my_site.bad.example"},
		{in: "_dmarc.Bad.Example", want: "_dmarc.bad.example"},
		{in: "-x-.bad.example", want: "-x-.bad.example"},
		{in: label63 + ".example", want: label63 + ".example"},
		{in: name253, want: name253},
		{in: name253 + ".", want: name253},

		// Internationalised names: U-labels, A-labels, mapped forms.
		{in: "пример.example", want: "xn--e1afmkfd.example"},
		{in: "xn--e1afmkfd.example", want: "xn--e1afmkfd.example"},
		{in: "XN--E1AFMKFD.Example.", want: "xn--e1afmkfd.example"},
		{in: "Bücher.example", want: "xn--bcher-kva.example"},
		{in: "BÜCHER.EXAMPLE", want: "xn--bcher-kva.example"},
		{in: "faß.example", want: "xn--fa-hia.example"}, // non-transitional: not "fass"
		{in: "xn--fa-hia.example", want: "xn--fa-hia.example"},
		{in: "münchen.пример", want: "xn--mnchen-3ya.xn--e1afmkfd"},
		{in: "💩.example", want: "xn--ls8h.example"},
		{in: "العربية.example", want: "xn--mgbcd4a2b0d2b.example"},
		{in: "例え.テスト", want: "xn--r8jz45g.xn--zckzah"},
		{in: "ＢＡＤ．ｅｘａｍｐｌｅ", want: "bad.example"},                   // full-width letters and dot
		{in: "bad。example。", want: "bad.example"},                  // ideographic full stops
		{in: "ba\u00add.example", want: "bad.example"},             // soft hyphen is ignored
		{in: "paypa\u04cf.example", want: "xn--paypa-iof.example"}, // a look-alike stays itself

		// Malformed names.
		{in: "", kind: tldguard.EINVALID, msg: `"": the name is empty`},
		{in: " \t", kind: tldguard.EINVALID, msg: "the name is empty"},
		{in: ".", kind: tldguard.EINVALID, msg: "the DNS root"},
		{in: "exa mple.example", kind: tldguard.EINVALID, msg: `"exa mple.example": a label has a space`},
		{in: "bad\u00a0x.example", kind: tldguard.EINVALID, msg: "a label has a space"},
		{in: "bad\x00.example", kind: tldguard.EINVALID, msg: "a label has a control character"},
		{in: "bad/x.example", kind: tldguard.EINVALID, msg: `a label has the character '/'`},
		{in: "ｂａｄ／ｘ.example", kind: tldguard.EINVALID, msg: `a label has the character '/'`},
		{in: "*.bad.example", kind: tldguard.EINVALID, msg: `the character '*'`},
		{in: "b%61d.example", kind: tldguard.EINVALID, msg: `the character '%'`},
		{in: "bad.example:8080", kind: tldguard.EINVALID, msg: `the character ':'`},
		{in: "http://bad.example/", kind: tldguard.EINVALID, msg: `the character ':'`},
		{in: "user@bad.example", kind: tldguard.EINVALID, msg: `the character '@'`},
		{in: ".bad.example", kind: tldguard.EINVALID, msg: "the name starts with a dot"},
		{in: "bad..example", kind: tldguard.EINVALID, msg: "empty label"},
		{in: "bad.example..", kind: tldguard.EINVALID, msg: "empty label"},
		{in: label63 + "a.example", kind: tldguard.EINVALID, msg: "is longer than 63 octets"},
		{in: name253 + "b", kind: tldguard.EINVALID, msg: "the name is longer than 253 octets (254)"},
		{in: strings.Repeat("ü", 60) + ".example", kind: tldguard.EINVALID, msg: `the label "xn--`},
		{in: strings.Repeat("ü.", 600) + "example", kind: tldguard.EINVALID, msg: "far too long"},
		{in: "\xff\xfe.example", kind: tldguard.EINVALID, msg: "not valid UTF-8"},
		{in: "xn--zz.example", kind: tldguard.EINVALID, msg: `the label "xn--zz" is not a valid internationalised label`},
		{in: "xn--bcher-kva-.example", kind: tldguard.EINVALID, msg: `the label "xn--bcher-kva-"`},
		{in: "xn--abc.example", kind: tldguard.EINVALID, msg: `the label "xn--abc"`},
		{in: "xn--bad-example.example", kind: tldguard.EINVALID, msg: `"xn--bad-example"`}, // decodes to ASCII
		{in: "a\u200db.example", kind: tldguard.EINVALID, msg: "not a valid internationalised label"},
		{in: "1العربية.example", kind: tldguard.EINVALID, msg: "not a valid internationalised label"},
		{in: "1abc.العربية", kind: tldguard.EINVALID, msg: "right-to-left"},
		{in: "0ℷ.example", kind: tldguard.EINVALID, msg: "right-to-left"}, // maps to Hebrew after a digit
		{in: "bad\u2028line.example", kind: tldguard.EINVALID, msg: "U+2028"},
		{in: "bad.123", kind: tldguard.EINVALID, msg: "the last label is a number"},
		{in: "bad.0x1f", kind: tldguard.EINVALID, msg: "the last label is a number"},
		{in: "256.1.1.1", kind: tldguard.EINVALID, msg: "not an IPv4 address"},
		{in: "1.2.3.4.5", kind: tldguard.EINVALID, msg: "not an IPv4 address"},

		// IP addresses are recognised, in every form a browser opens.
		{in: "192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: `"192.0.2.1": the host is an IP address (192.0.2.1), not a domain name`},
		{in: "192.0.2.1.", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "0xc0.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "0300.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "0xC0000201", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "3221225985", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "192.0.513", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "１９２．０．２．１", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "2001:db8::1", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "[2001:DB8::1]", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "::ffff:192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(::ffff:192.0.2.1)"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.kind == "" {
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Normalize(%q) = %q, want a %s error", tt.in, got, tt.kind)
			continue
		}
		if got != "" {
			t.Errorf("Normalize(%q) = %q with error %v", tt.in, got, err)
		}
		checkErr(t, tt.in, err, tt.kind, tt.msg)
	}
}

// TestNormalizeFastPath checks that the ASCII fast path gives what full
// UTS #46 processing gives, and that it does not allocate.
func TestNormalizeFastPath(t *testing.T) {
	for _, in := range []string{
		"bad.example", "WWW.Bad.Example.", "a-b_c.d", "xn--e1afmkfd.example", "Xn--E1afmkfd.example",
		"ab--cd.example", "-.example", "_.example", "a..b", ".a", "a" + strings.Repeat("b", 70),
		"192.0.2.1", "0XFF", "bad.0x", "x.y.z.9",
	} {
		fast, ff := normalize(in, true)
		slow, fs := normalize(in, false)
		if fast != slow || ff.ok() != fs.ok() {
			t.Errorf("%q: fast path %q (%q), IDNA %q (%q)", in, fast, ff.msg, slow, fs.msg)
		}
	}
	for _, in := range []string{"www.login.bad.example", "bad.example."} {
		if n := testing.AllocsPerRun(100, func() { _, _ = Normalize(in) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times", in, n)
		}
	}
}

func TestNormalizeQuotesLongNames(t *testing.T) {
	in := strings.Repeat("a b", 200)
	_, err := Normalize(in)
	msg := tldguard.ErrorMessage(err)
	if len(msg) > 150 || !strings.HasSuffix(msg, `"...: a label has a space`) {
		t.Errorf("message %q is not cut short", msg)
	}
}

func TestParseIPv4(t *testing.T) {
	tests := []struct {
		in, want string // want "" when not an address
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"0", "0.0.0.0"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"99999999999999999999999", ""},
		{"0x", "0.0.0.0"},
		{"0x.0x.0x.0x", "0.0.0.0"},
		{"0xffffffff", "255.255.255.255"},
		{"0x100000000", ""},
		{"017700000001", "127.0.0.1"},
		{"08", ""},
		{"09.1.1.1", ""},
		{"1.2.3.256", ""},
		{"1.2.65535", "1.2.255.255"},
		{"1.2.65536", ""},
		{"1.16777215", "1.255.255.255"},
		{"256.1", ""},
		{"1.2.3.4.5", ""},
		{"1.a.3.4", ""},
		{"1..3", ""},
	}
	for _, tt := range tests {
		ip, ok := parseIPv4(tt.in)
		got := ""
		if ok {
			got = ip.String()
		}
		if got != tt.want {
			t.Errorf("parseIPv4(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
