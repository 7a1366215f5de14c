package dnsname

import (
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, host, url string
		kind          string // "" for success; EUNPROCESSABLE means an IP address
		msg           string
	}{
		// Bare names.
		{in: "bad.example", host: "bad.example"},
		{in: "BAD.Example.", host: "bad.example"},
		{in: "пример.example", host: "xn--e1afmkfd.example"},
		{in: "xn--e1afmkfd.example", host: "xn--e1afmkfd.example"},
		{in: "  login.bad.example\r\n", host: "login.bad.example"},
		{in: "*.bad.example", host: "bad.example"},
		{in: `"bad.example"`, host: "bad.example"},

		// URLs with a scheme.
		{in: "https://user:pw@Login.Bad.Example:8443/path?q#f", host: "login.bad.example", url: "https://user:pw@login.bad.example:8443/path?q#f"},
		{in: "http://bad.example", host: "bad.example", url: "http://bad.example/"},
		{in: "HTTP://BAD.EXAMPLE:80/Path/To/Kit.PHP", host: "bad.example", url: "http://bad.example/Path/To/Kit.PHP"},
		{in: "https://bad.example:443/a", host: "bad.example", url: "https://bad.example/a"},
		{in: "https://bad.example:0443/a", host: "bad.example", url: "https://bad.example/a"},
		{in: "https://bad.example:80/a", host: "bad.example", url: "https://bad.example:80/a"},
		{in: "https://bad.example:/a", host: "bad.example", url: "https://bad.example/a"},
		{in: "http://bad.example?session=1", host: "bad.example", url: "http://bad.example/?session=1"},
		{in: "http://bad.example#top", host: "bad.example", url: "http://bad.example/#top"},
		{in: "https://пример.example/путь?q=ü", host: "xn--e1afmkfd.example", url: "https://xn--e1afmkfd.example/путь?q=ü"},
		{in: "https://www.xn--e1afmkfd.example/%D0%BF", host: "www.xn--e1afmkfd.example", url: "https://www.xn--e1afmkfd.example/%D0%BF"},
		{in: "http://b%61d.example/", host: "bad.example", url: "http://bad.example/"},
		{in: "http://%62%61%64.example/x", host: "bad.example", url: "http://bad.example/x"},
		{in: "http://%D0%BF%D1%80%D0%B8%D0%BC%D0%B5%D1%80.example/", host: "xn--e1afmkfd.example", url: "http://xn--e1afmkfd.example/"},
		{in: "http://paypal.com@login.bad.example/signin", host: "login.bad.example", url: "http://paypal.com@login.bad.example/signin"},
		{in: "http://a@b@bad.example/", host: "bad.example", url: "http://a@b@bad.example/"},
		{in: `http:\\bad.example\wp-admin\x.php?a\b`, host: "bad.example", url: `http://bad.example/wp-admin/x.php?a\b`},
		{in: "http:bad.example/x", host: "bad.example", url: "http://bad.example/x"},
		{in: "https:///bad.example/x", host: "bad.example", url: "https://bad.example/x"},
		{in: "ftp://files.bad.example:21/kit.zip", host: "files.bad.example", url: "ftp://files.bad.example/kit.zip"},
		{in: "wss://c2.bad.example:443/ws", host: "c2.bad.example", url: "wss://c2.bad.example/ws"},
		{in: "SSH://bad.example:22", host: "bad.example", url: "ssh://bad.example:22"},
		{in: "<https://bad.example/>", host: "bad.example", url: "https://bad.example/"},
		{in: "https://bad.example/a\nb", host: "bad.example", url: "https://bad.example/ab"},
		{in: "http://my_site.bad.example/", host: "my_site.bad.example", url: "http://my_site.bad.example/"},

		// URLs without a scheme.
		{in: "login.bad.example/wp-admin/x.php", host: "login.bad.example", url: "http://login.bad.example/wp-admin/x.php"},
		{in: "bad.example:8080", host: "bad.example", url: "http://bad.example:8080/"},
		{in: "bad.example:80/x", host: "bad.example", url: "http://bad.example/x"},
		{in: "localhost:8080", host: "localhost", url: "http://localhost:8080/"},
		{in: "//bad.example/x", host: "bad.example", url: "http://bad.example/x"},
		{in: "bad.example/", host: "bad.example", url: "http://bad.example/"},
		{in: "bad.example?x=1", host: "bad.example", url: "http://bad.example/?x=1"},

		// E-mail addresses.
		{in: "phish@bad.example", host: "bad.example"},
		{in: "Phish@Bad.Example.", host: "bad.example"},
		{in: "mailto:phish@bad.example?subject=Invoice", host: "bad.example"},
		{in: "MAILTO:a@x.example,b@bad.example", host: "x.example"},

		// Defanged.
		{in: "hxxp://bad[.]example/login", host: "bad.example", url: "http://bad.example/login"},
		{in: "hXXps[:]//login[.]bad[.]example/x", host: "login.bad.example", url: "https://login.bad.example/x"},
		{in: "bad[.]example", host: "bad.example"},
		{in: "bad(.)example", host: "bad.example"},
		{in: "bad[dot]example", host: "bad.example"},
		{in: "bad [dot] example", host: "bad.example"},
		{in: "phish[at]bad[.]example", host: "bad.example"},

		// IP addresses: recognised, filled in, and refused.
		{in: "http://192.0.2.1/x", host: "192.0.2.1", url: "http://192.0.2.1/x", kind: tldguard.EUNPROCESSABLE, msg: `"http://192.0.2.1/x": the host is an IP address (192.0.2.1), not a domain name`},
		{in: "192.0.2.1", host: "192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "192[.]0[.]2[.]1", host: "192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "192.0.2.1:8080", host: "192.0.2.1", url: "http://192.0.2.1:8080/", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "http://0xc0.0.2.1/", host: "192.0.2.1", url: "http://192.0.2.1/", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "http://3221225985/", host: "192.0.2.1", url: "http://192.0.2.1/", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "http://%31%39%32.0.2.1/", host: "192.0.2.1", url: "http://192.0.2.1/", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},
		{in: "http://[2001:db8::1]/", host: "2001:db8::1", url: "http://[2001:db8::1]/", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "https://[2001:DB8:0::1]:8443/x", host: "2001:db8::1", url: "https://[2001:db8::1]:8443/x", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "[2001:db8::1]", host: "2001:db8::1", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "2001:db8::1", host: "2001:db8::1", kind: tldguard.EUNPROCESSABLE, msg: "(2001:db8::1)"},
		{in: "fe80::1/64", host: "fe80::1", url: "http://[fe80::1]/64", kind: tldguard.EUNPROCESSABLE, msg: "(fe80::1)"},
		{in: "mailto:root@[192.0.2.1]", host: "192.0.2.1", kind: tldguard.EUNPROCESSABLE, msg: "(192.0.2.1)"},

		// Garbage and malformed URLs.
		{in: "", kind: tldguard.EINVALID, msg: `"": the name is empty`},
		{in: "   ", kind: tldguard.EINVALID, msg: "the name is empty"},
		{in: "<>", kind: tldguard.EINVALID, msg: "there is no host name"},
		{in: "http://", kind: tldguard.EINVALID, msg: "there is no host name"},
		{in: "http:///", kind: tldguard.EINVALID, msg: "there is no host name"},
		{in: "http://user@/x", kind: tldguard.EINVALID, msg: "there is no host name"},
		{in: "http://exa mple.example/x", kind: tldguard.EINVALID, msg: `"http://exa mple.example/x": host "exa mple.example": a label has a space`},
		{in: "exa mple.example", kind: tldguard.EINVALID, msg: `"exa mple.example": a label has a space`},
		{in: "http://bad..example/", kind: tldguard.EINVALID, msg: "empty label"},
		{in: "http://b%zzd.example/", kind: tldguard.EINVALID, msg: "malformed percent-escape"},
		{in: "http://bad%2Fx.example/", kind: tldguard.EINVALID, msg: "the character '/'"},
		{in: "http://bad.example:99999/", kind: tldguard.EINVALID, msg: "the port 99999 is out of range"},
		{in: "http://bad.example:8o8o/", kind: tldguard.EINVALID, msg: `the port "8o8o" is not a number`},
		{in: "bad.example:abc", kind: tldguard.EINVALID, msg: `the port "abc" is not a number`},
		{in: "http://[bad.example]/", kind: tldguard.EINVALID, msg: "brackets in a host hold an IPv6 address"},
		{in: "http://[192.0.2.1]/", kind: tldguard.EINVALID, msg: "brackets in a host hold an IPv6 address"},
		{in: "http://[::1/", kind: tldguard.EINVALID, msg: "unclosed bracket"},
		{in: "http://[::1]x/", kind: tldguard.EINVALID, msg: `unexpected "x"`},
		{in: "javascript:alert(1)", kind: tldguard.EINVALID, msg: `a "javascript:" URL has no host name`},
		{in: "data:text/html;base64,PHNjcmlwdD4=", kind: tldguard.EINVALID, msg: `a "data:" URL has no host name`},
		{in: "mailto:nobody", kind: tldguard.EINVALID, msg: "no domain"},
		{in: "http://bad\x01.example/", kind: tldguard.EINVALID, msg: "control character"},
		{in: "http://bad.example/" + strings.Repeat("a", MaxTargetLen), kind: tldguard.EINVALID, msg: "longer than 16384 bytes"},
		{in: "http://" + strings.Repeat("a.", 130) + "example/", kind: tldguard.EINVALID, msg: "longer than 253 octets"},
		{in: "see attachment", kind: tldguard.EINVALID, msg: "a label has a space"},
		{in: "bad.123/x", kind: tldguard.EINVALID, msg: "the last label is a number"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if got.Input != tt.in {
			t.Errorf("ParseTarget(%q).Input = %q", tt.in, got.Input)
		}
		if got.Host != tt.host || got.URL != tt.url || got.Domain != "" || got.TLD != "" {
			t.Errorf("ParseTarget(%q) = %+v; want Host %q, URL %q", tt.in, got, tt.host, tt.url)
		}
		if tt.kind == "" {
			if err != nil {
				t.Errorf("ParseTarget(%q): %v", tt.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseTarget(%q) = %+v, want a %s error", tt.in, got, tt.kind)
			continue
		}
		checkErr(t, tt.in, err, tt.kind, tt.msg)
	}
}
