package epp

import (
	"strings"
	"testing"
)

// compact removes the line breaks and indentation the expected documents
// are written with; the builders write none.
func compact(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		b.WriteString(strings.TrimLeft(line, "\t "))
	}
	return b.String()
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"hello", helloCommand(), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`},
		{"login", loginCommand(login{ClientID: "ClientX", Password: "foo-BAR2"}, "ABC-12345"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<login>
						<clID>ClientX</clID>
						<pw>foo-BAR2</pw>
						<options><version>1.0</version><lang>en</lang></options>
						<svcs><objURI>urn:ietf:params:xml:ns:domain-1.0</objURI></svcs>
					</login>
					<clTRID>ABC-12345</clTRID>
				</command>
			</epp>`},
		{"login with newPW and extensions, escaped", loginCommand(login{ClientID: "ClientX", Password: `a<b&"c"`, NewPassword: "bar-FOO2",
			Extensions: []string{"urn:ietf:params:xml:ns:secDNS-1.1", "urn:ietf:params:xml:ns:rgp-1.0"}}, "ABC-1"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<login>
						<clID>ClientX</clID>
						<pw>a&lt;b&amp;&#34;c&#34;</pw>
						<newPW>bar-FOO2</newPW>
						<options><version>1.0</version><lang>en</lang></options>
						<svcs>
							<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI>
							<svcExtension>
								<extURI>urn:ietf:params:xml:ns:secDNS-1.1</extURI>
								<extURI>urn:ietf:params:xml:ns:rgp-1.0</extURI>
							</svcExtension>
						</svcs>
					</login>
					<clTRID>ABC-1</clTRID>
				</command>
			</epp>`},
		{"logout", logoutCommand("ABC-2"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>ABC-2</clTRID></command></epp>`},
		{"info", infoCommand("example.com", "tldguard-lookup-7"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<info>
						<domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
						</domain:info>
					</info>
					<clTRID>tldguard-lookup-7</clTRID>
				</command>
			</epp>`},
		{"delete", deleteCommand("example.com", "tldguard-action-9-1"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<delete>
						<domain:delete xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
						</domain:delete>
					</delete>
					<clTRID>tldguard-action-9-1</clTRID>
				</command>
			</epp>`},
		{"update: hold", updateCommand(update{Name: "example.com", AddStatus: []string{"serverHold"}}, "tldguard-action-42-3"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<update>
						<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
							<domain:add><domain:status s="serverHold"/></domain:add>
						</domain:update>
					</update>
					<clTRID>tldguard-action-42-3</clTRID>
				</command>
			</epp>`},
		{"update: release of a lock, second step", updateCommand(update{Name: "example.com", RemStatus: []string{"serverDeleteProhibited", "serverTransferProhibited"}}, "X-1"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<update>
						<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
							<domain:rem>
								<domain:status s="serverDeleteProhibited"/>
								<domain:status s="serverTransferProhibited"/>
							</domain:rem>
						</domain:update>
					</update>
					<clTRID>X-1</clTRID>
				</command>
			</epp>`},
		{"update: redirect", updateCommand(update{Name: "example.com", AddNS: []string{"ns1.sinkhole.example", "ns2.sinkhole.example"},
			RemNS: []string{"ns1.example.com"}, AddStatus: []string{"serverUpdateProhibited"}}, "X-2"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<update>
						<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
							<domain:add>
								<domain:ns>
									<domain:hostObj>ns1.sinkhole.example</domain:hostObj>
									<domain:hostObj>ns2.sinkhole.example</domain:hostObj>
								</domain:ns>
								<domain:status s="serverUpdateProhibited"/>
							</domain:add>
							<domain:rem>
								<domain:ns><domain:hostObj>ns1.example.com</domain:hostObj></domain:ns>
							</domain:rem>
						</domain:update>
					</update>
					<clTRID>X-2</clTRID>
				</command>
			</epp>`},
		{"update: redirect with hostAttr", updateCommand(update{Name: "example.com", AddNS: []string{"ns1.sinkhole.example"},
			RemNS: []string{"ns1.example.com"}, HostAttr: true}, "X-3"), `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
			<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
				<command>
					<update>
						<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
							<domain:name>example.com</domain:name>
							<domain:add>
								<domain:ns><domain:hostAttr><domain:hostName>ns1.sinkhole.example</domain:hostName></domain:hostAttr></domain:ns>
							</domain:add>
							<domain:rem>
								<domain:ns><domain:hostAttr><domain:hostName>ns1.example.com</domain:hostName></domain:hostAttr></domain:ns>
							</domain:rem>
						</domain:update>
					</update>
					<clTRID>X-3</clTRID>
				</command>
			</epp>`},
	} {
		if got, want := string(tc.got), compact(tc.want); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
	}
}

func TestDiff(t *testing.T) {
	info := func(st ...string) *domainInfo {
		return &domainInfo{Name: "a.example", Statuses: st, NameServers: []string{"ns1.a.example"}}
	}
	hold := &plan{add: []string{"serverHold"}}
	release := &plan{rem: []string{"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"}}
	redirect := &plan{ns: []string{"ns1.sink.example"}, setNS: true}
	for _, tc := range []struct {
		name string
		p    *plan
		cur  *domainInfo
		want string
	}{
		{"hold", hold, info("ok"), "[{add serverHold}]"},
		{"hold in place", hold, info("serverHold"), "[]"},
		{"hold on a lock", hold, info("serverUpdateProhibited", "serverDeleteProhibited"),
			"[{rem serverUpdateProhibited} {add serverHold serverUpdateProhibited}]"},
		{"release of a lock", release, info("serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"),
			"[{rem serverUpdateProhibited} {rem serverDeleteProhibited serverTransferProhibited}]"},
		{"release of a partial lock", release, info("serverDeleteProhibited"), "[{rem serverDeleteProhibited}]"},
		{"release of serverUpdateProhibited alone", &plan{rem: []string{"serverUpdateProhibited"}}, info("serverUpdateProhibited"), "[{rem serverUpdateProhibited}]"},
		{"redirect", redirect, info("ok"), "[{add ns ns1.sink.example rem ns ns1.a.example}]"},
		{"redirect in place", redirect, &domainInfo{Name: "a.example", NameServers: []string{"ns1.sink.example"}}, "[]"},
	} {
		var got []string
		for _, u := range diff(tc.cur, tc.p.target(tc.cur), false) {
			var parts []string
			if len(u.AddNS) > 0 {
				parts = append(parts, "add ns "+strings.Join(u.AddNS, " "))
			}
			if len(u.AddStatus) > 0 {
				parts = append(parts, "add "+strings.Join(u.AddStatus, " "))
			}
			if len(u.RemNS) > 0 {
				parts = append(parts, "rem ns "+strings.Join(u.RemNS, " "))
			}
			if len(u.RemStatus) > 0 {
				parts = append(parts, "rem "+strings.Join(u.RemStatus, " "))
			}
			got = append(got, "{"+strings.Join(parts, " ")+"}")
		}
		if s := "[" + strings.Join(got, " ") + "]"; s != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, s, tc.want)
		}
	}
}
