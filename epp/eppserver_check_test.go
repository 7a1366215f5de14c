package epp

import (
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"
)

// TestServerChecks makes sure the test peer is as strict as the tests
// rely on: each broken command below must be caught.
func TestServerChecks(t *testing.T) {
	srv := newEPPServer(t)
	var conn net.Conn
	dial := func() {
		t.Helper()
		if conn != nil {
			conn.Close()
		}
		var err error
		conn, err = tls.Dial("tcp", srv.Addr, &tls.Config{ServerName: "epp.test", RootCAs: srv.CAs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.readFrame(conn); err != nil { // greeting
			t.Fatal(err)
		}
	}
	defer func() { conn.Close() }()
	exchange := func(doc string) string {
		t.Helper()
		if err := writeTestFrame(conn, doc); err != nil {
			t.Fatal(err)
		}
		b, err := srv.readFrame(conn)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	login := string(loginCommand(login{ClientID: testClientID, Password: testPassword}, "C-1"))
	for _, tc := range []struct {
		name, doc, violation string
	}{
		{"no clTRID", strings.Replace(login, "<clTRID>C-1</clTRID>", "", 1), "lacks required <clTRID>"},
		{"login out of order", strings.Replace(login, "<clID>tldguard-reg</clID><pw>s3cret-pw</pw>", "<pw>s3cret-pw</pw><clID>tldguard-reg</clID>", 1), "lacks required <clID>"},
		{"info before login", string(infoCommand("phish.example", "C-2")), "info before login"},
	} {
		dial()
		exchange(tc.doc)
		srv.mu.Lock()
		found := slices.ContainsFunc(srv.violations, func(v string) bool { return strings.Contains(v, tc.violation) })
		srv.violations = nil
		srv.mu.Unlock()
		if !found {
			t.Errorf("%s: not caught", tc.name)
		}
	}
	dial()
	if r := exchange(strings.Replace(login, "C-1", "C-9", 1)); !strings.Contains(r, `code="1000"`) {
		t.Fatalf("login: %s", r)
	}
	for _, tc := range []struct {
		name, doc, violation string
	}{
		{"clTRID reused", string(infoCommand("phish.example", "C-2")), "used twice"},
		{"domain namespace", strings.Replace(string(infoCommand("phish.example", "C-3")), nsDomain, "urn:example:domain", 1), "does not hold exactly one <domain:info>"},
		{"update without changes", string(updateCommand(update{Name: "phish.example"}, "C-4")), "no add, rem or chg"},
		{"rem before add", strings.Replace(string(updateCommand(update{Name: "phish.example", RemStatus: []string{"ok"}}, "C-5")),
			"</domain:rem>", `</domain:rem><domain:add><domain:status s="serverHold"/></domain:add>`, 1), "unexpected <add>"},
		{"unknown status", string(updateCommand(update{Name: "phish.example", AddStatus: []string{"bogus"}}, "C-6")), "valid s attribute"},
		{"delete with extra element", strings.Replace(string(deleteCommand("phish.example", "C-7")), "</domain:name>", "</domain:name><domain:name>x.example</domain:name>", 1), "unexpected <name>"},
	} {
		exchange(tc.doc)
		srv.mu.Lock()
		found := slices.ContainsFunc(srv.violations, func(v string) bool { return strings.Contains(v, tc.violation) })
		vs := srv.violations
		srv.violations = nil
		srv.mu.Unlock()
		if !found {
			t.Errorf("%s: not caught (found %q)", tc.name, vs)
		}
	}
	if d := srv.domain("phish.example"); !slices.Equal(d.Statuses, []string{"ok"}) {
		t.Errorf("a refused command changed the table: %v", d.Statuses)
	}
}
