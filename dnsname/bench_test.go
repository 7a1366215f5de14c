package dnsname

import (
	"fmt"
	"testing"
)

// The zone check normalises every host of every feed and matches it
// against the zone's delegations: these are its hot paths.

func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{
		"www.login.bad.example", // canonical ASCII: the fast path, no allocation
		"WWW.Login.Bad.Example.",
		"xn--e1afmkfd.example",
		"пример.example",
	} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseTarget(b *testing.B) {
	for _, in := range []string{
		"bad.example",
		"https://login.bad.example/wp-admin/x.php?id=1",
		"hxxps://Login.Bad[.]Example:443/x",
	} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseTarget(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRegistered(b *testing.B) {
	s := newSuffixes(b, "example", "co.example", "test")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Registered("www.login.bad.example"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegisteredIn(b *testing.B) {
	for _, ntld := range []int{1, 1000} {
		tlds := []string{"example"}
		for i := 1; i < ntld; i++ {
			tlds = append(tlds, fmt.Sprintf("tld%d", i))
		}
		s := newSuffixes(b, tlds...)
		zone := make(map[string]struct{}, 100000)
		for i := range 100000 {
			zone[fmt.Sprintf("name%d.example", i)] = struct{}{}
		}
		zone["bad.example"] = struct{}{}
		delegated := func(name string) bool { _, ok := zone[name]; return ok }
		for _, host := range []string{"www.login.bad.example", "www.elsewhere.invalid"} {
			b.Run(fmt.Sprintf("tlds=%d/%s", ntld, host), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s.RegisteredIn(host, delegated)
				}
			})
		}
	}
}
