package dnsname_test

import (
	"errors"
	"fmt"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
)

func ExampleNormalize() {
	for _, in := range []string{"BAD.Example.", "пример.example", "exa mple.example", "192.0.2.1"} {
		name, err := dnsname.Normalize(in)
		if err != nil {
			fmt.Println(tldguard.ErrorKind(err), tldguard.ErrorMessage(err))
			continue
		}
		fmt.Println(name)
	}
	// Output:
	// bad.example
	// xn--e1afmkfd.example
	// invalid "exa mple.example": a label has a space
	// unprocessable "192.0.2.1": the host is an IP address (192.0.2.1), not a domain name
}

func ExampleParseTarget() {
	for _, in := range []string{
		"https://user:pw@Login.Bad.Example:443/path?q#f",
		"hxxp://bad[.]example/wp-admin/x.php",
		"http://[2001:db8::1]/",
	} {
		t, err := dnsname.ParseTarget(in)
		if errors.Is(err, dnsname.ErrIP) {
			fmt.Println("skipped IP address", t.Host)
			continue
		}
		fmt.Println(t.Host, t.URL)
	}
	// Output:
	// login.bad.example https://user:pw@login.bad.example/path?q#f
	// bad.example http://bad.example/wp-admin/x.php
	// skipped IP address 2001:db8::1
}

func ExampleSuffixes_Registered() {
	tlds, err := dnsname.NewSuffixes([]string{"example", "test"})
	if err != nil {
		panic(err)
	}
	fmt.Println(tlds.Registered("www.login.bad.example"))
	_, _, err = tlds.Registered("bad.com")
	fmt.Println(tldguard.ErrorKind(err), tldguard.ErrorMessage(err))
	// Output:
	// bad.example example <nil>
	// unprocessable "bad.com" is not in a TLD this registry operates (example, test)
}

func ExampleSuffixes_RegisteredIn() {
	tlds, err := dnsname.NewSuffixes([]string{"example"})
	if err != nil {
		panic(err)
	}
	zone := map[string]bool{"bad.example": true}
	delegated := func(name string) bool { return zone[name] }
	fmt.Println(tlds.RegisteredIn("cdn.login.bad.example", delegated))
	fmt.Println(tlds.RegisteredIn("free.example", delegated))
	// Output:
	// bad.example example true
	//   false
}
