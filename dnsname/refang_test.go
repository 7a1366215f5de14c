package dnsname

import (
	"strings"
	"testing"
)

func TestRefang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hxxp://bad[.]example/login", "http://bad.example/login"},
		{"hxxps://bad[.]example", "https://bad.example"},
		{"hXXps://Bad[.]Example/", "https://Bad.Example/"},
		{"HXXP://bad(.)example", "http://bad.example"},
		{"hxxps[:]//bad[.]example/x", "https://bad.example/x"},
		{"hxxp[://]bad[.]example", "http://bad.example"},
		{"http[://]bad[.]example", "http://bad.example"},
		{"fxp://files[.]bad[.]example/kit.zip", "ftp://files.bad.example/kit.zip"},
		{"bad[.]example", "bad.example"},
		{"bad(.)example", "bad.example"},
		{"bad{.}example", "bad.example"},
		{"bad[dot]example", "bad.example"},
		{"bad(DOT)example", "bad.example"},
		{"bad[ . ]example", "bad.example"},
		{"bad [dot] example", "bad.example"},
		{"login.bad[.]co[.]example", "login.bad.co.example"},
		{"phish[at]bad[.]example", "phish@bad.example"},
		{"phish [@] bad[.]example", "phish@bad.example"},
		{"bad[:]8080", "bad:8080"},
		{"bad[[.]]example", "bad.example"},
		{"bad[(.)]example", "bad.example"},
		{"bad[ [.] ]example", "bad.example"},
		{"bad[[[[.]]]]example", "bad.example"},
		{"bad[[.]example", "bad.example"},
		{"hxxp(:)//bad(.)example", "http://bad.example"},
		{"a [.] [.] b", "a..b"},

		// Nothing to undo.
		{"http://bad.example/", "http://bad.example/"},
		{"http://[2001:db8::1]/", "http://[2001:db8::1]/"},
		{"http://[::1]:8080/", "http://[::1]:8080/"},
		{"bad.example/wiki/Foo_(bar)", "bad.example/wiki/Foo_(bar)"},
		{"bad[.example", "bad[.example"},
		{"shxxp://bad.example", "shxxp://bad.example"},
		{"hxxpbad.example", "hxxpbad.example"},
		{"xx.example", "xx.example"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Refang(tt.in); got != tt.want {
			t.Errorf("Refang(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Refang(tt.want); got != tt.want {
			t.Errorf("Refang(%q) = %q: not idempotent", tt.want, got)
		}
	}
	deep := strings.Repeat("[", 1<<14) + "." + strings.Repeat("]", 1<<14)
	if got := Refang("bad" + deep + "example"); got != "bad.example" {
		t.Errorf("Refang of deeply nested brackets = %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Refang("http://[2001:db8::1]/a(b)") }); n != 0 {
		t.Errorf("Refang of a plain URL allocates %v times", n)
	}
}
