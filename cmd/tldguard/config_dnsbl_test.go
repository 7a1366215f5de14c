package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
)

func TestParseConfigDNSBL(t *testing.T) {
	const good = `dnsbl:
  resolver: 127.0.0.1:5353
  queries_per_second: 0
  max_names: 500
  concurrency: 4
  zones:
    - dbl
    - surbl
    - name: dqs
      zone: KEY.dbl.dq.spamhaus.net.
      like: dbl
    - name: local
      zone: bl.example.net
      listing: 127.0.2.0/24
      codes: {127.0.2.2: phishing, 127.0.2.3: {threat: malware, compromised: true, label: hacked}}
      errors: {127.0.2.255: query refused}
      error_range: 127.255.255.0/24
    - name: bits
      zone: multi.bl.example.net
      bits: {8: phishing, 128: {compromised: true, label: cracked}}
      error_bits: 1
`
	c, err := parseConfig([]byte(good), "/etc/tldguard/tldguard.yaml", "/var/cache")
	if err != nil {
		t.Fatal(err)
	}
	d := c.DNSBL
	if d == nil || d.Client == nil || d.MaxNames != 500 || d.Concurrency != 4 || len(d.Lists) != 5 {
		t.Fatalf("dnsbl %+v", d)
	}
	want := []string{"dbl=dbl.spamhaus.org", "surbl=multi.surbl.org", "dqs=key.dbl.dq.spamhaus.net",
		"local=bl.example.net", "bits=multi.bl.example.net"}
	for i, l := range d.Lists {
		if got := l.Name + "=" + l.Zone; got != want[i] {
			t.Errorf("list %d: %s, want %s", i, got, want[i])
		}
	}
	if sc := c.scanConfig("cli"); sc.DNSBL != d {
		t.Error("scanConfig drops the dnsbl check")
	}
	// Lookup of an unknown zone is EINVALID: every configured zone is known
	// to the client (the lookups themselves fail fast: nothing listens).
	for _, l := range d.Lists {
		_, err := d.Client.Lookup(canceled(), l.Zone, "x.example")
		if tldguard.ErrorKind(err) == tldguard.EINVALID {
			t.Errorf("zone %s not configured in the client: %v", l.Zone, err)
		}
	}

	// The zone definitions decode answers as configured.
	zs := map[string]feed.Zone{}
	for _, z := range dnsblZones(t, good) {
		zs[z.Name] = z
	}
	a := netip.MustParseAddr
	for _, tc := range []struct {
		zone, answer string
		threat       tldguard.ThreatType
		compromised  bool
		fails        bool
	}{
		{"key.dbl.dq.spamhaus.net", "127.0.1.104", tldguard.ThreatPhishing, true, false},
		{"key.dbl.dq.spamhaus.net", "127.255.255.254", "", false, true},
		{"bl.example.net", "127.0.2.2", tldguard.ThreatPhishing, false, false},
		{"bl.example.net", "127.0.2.3", tldguard.ThreatMalware, true, false},
		{"bl.example.net", "127.0.2.255", "", false, true},
		{"bl.example.net", "127.255.255.1", "", false, true},
		{"bl.example.net", "127.0.3.1", "", false, true},
		{"multi.bl.example.net", "127.0.0.136", tldguard.ThreatPhishing, true, false},
		{"multi.bl.example.net", "127.0.0.9", "", false, true},
	} {
		z := zs[tc.zone]
		r, err := z.Decode([]netip.Addr{a(tc.answer)})
		if tc.fails {
			if err == nil || r.Listed {
				t.Errorf("%s %s: %+v, want an error", tc.zone, tc.answer, r)
			}
			continue
		}
		if err != nil || !r.Listed || len(r.Threats) != 1 || r.Threats[0] != tc.threat || r.Compromised != tc.compromised {
			t.Errorf("%s %s: %+v, %v", tc.zone, tc.answer, r, err)
		}
	}

	// Defaults.
	c, err = parseConfig([]byte("dnsbl: {resolver: 10.0.0.53, zones: [dbl]}\n"), "t.yaml", "")
	if err != nil || c.DNSBL == nil || c.DNSBL.MaxNames != 0 || len(c.DNSBL.Lists) != 1 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	if c, err := parseConfig([]byte("zones: [a.zone]\n"), "t.yaml", ""); err != nil || c.DNSBL != nil {
		t.Errorf("no section: %+v, %v", c, err)
	}
}

// dnsblZones re-reads the zone definitions of a config through the decoder.
func dnsblZones(t *testing.T, src string) []feed.Zone {
	t.Helper()
	c, err := parseConfig([]byte(src), "t.yaml", "")
	if err != nil || c.DNSBL == nil {
		t.Fatal(err)
	}
	var zs []feed.Zone
	doc := mustYAML(t, src)
	d := &cfgDecoder{name: "t.yaml"}
	for i, n := range mapValue(doc, "dnsbl", "zones").Content {
		_, z := d.dnsblZone(n, fmt.Sprintf("zones[%d]", i))
		zs = append(zs, z)
	}
	if d.err != nil {
		t.Fatal(d.err)
	}
	return zs
}

func TestParseConfigDNSBLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"dnsbl: [dbl]\n", "line 1: dnsbl: must be a mapping"},
		{"dnsbl: {zones: [dbl]}\n", "line 1: dnsbl.resolver: a resolver host:port is required"},
		{"dnsbl:\n  resolver: 127.0.0.1\n", "line 2: dnsbl.zones: at least one blocklist"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: []\n", "line 3: dnsbl.zones: at least one blocklist"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl, spamcop]\n", `line 3: dnsbl.zones[1]: "spamcop" is not a known blocklist`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl, dbl]\n", `line 3: dnsbl.zones[1]: blocklist "dbl" is configured twice`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl, {name: x, zone: dbl.spamhaus.org, like: dbl}]\n", `zone "dbl.spamhaus.org" is listed twice`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl]\n  queries_per_second: -1\n", `line 4: dnsbl.queries_per_second: "-1" is not a rate`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl]\n  max_names: 0\n", `line 4: dnsbl.max_names: "0" is not a positive whole number`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl]\n  concurrency: 0\n", `line 4: dnsbl.concurrency: "0" is not a whole number from 1 to 1024`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones: [dbl]\n  max_name: 5\n", "line 4: dnsbl.max_name: unknown key"},
		{"dnsbl:\n  resolver: '[::1'\n  zones: [dbl]\n", "dnsbl.resolver"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - {name: x, zone: bl.example}\n", "line 4: dnsbl.zones[0]: say what the list's answers mean"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - {name: x, like: dbl}\n", "line 4: dnsbl.zones[0].zone: the blocklist's DNS zone is required"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - {zone: bl.example, like: dbl}\n", "line 4: dnsbl.zones[0].name: is required"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - {name: 'a:b', zone: bl.example, like: dbl}\n", `"a:b" is not a blocklist name`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      codes: {127.0.2.2: fishing}\n",
			`line 6: dnsbl.zones[0].codes.127.0.2.2: "fishing" is not a threat type`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      codes: {10.0.0.2: phishing}\n",
			"line 4: dnsbl.zones[0]: code 10.0.0.2 is outside 127.0.0.0/8"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      codes: {nope: phishing}\n",
			`line 6: dnsbl.zones[0].codes.nope: "nope" is not an IPv4 address`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      bits: {3: phishing}\n",
			"line 4: dnsbl.zones[0]: 3 is not a single bit"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      bits: {8: phishing}\n      error_bits: 8\n",
			"bit 8 is both a listing and an error"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      listing: 10.0.0.0/8\n",
			"listing range 10.0.0.0/8 is outside 127.0.0.0/8"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      listing: 127.0.2.0/33\n",
			`line 6: dnsbl.zones[0].listing: "127.0.2.0/33" is not an IPv4 range`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      like: dbl\n      codes: {127.0.1.4: {threat: phishing, hacked: yes}}\n",
			"line 7: dnsbl.zones[0].codes.127.0.1.4.hacked: unknown key"},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: bl.example\n      like: dbl\n      codes: {127.0.1.4: {compromised: maybe}}\n",
			`line 7: dnsbl.zones[0].codes.127.0.1.4.compromised: "maybe" is not true or false`},
		{"dnsbl:\n  resolver: 127.0.0.1\n  zones:\n    - name: x\n      zone: 'bad zone'\n      like: dbl\n",
			`line 4: dnsbl.zones[0].zone: "bad zone" is not a zone name`},
	} {
		_, err := parseConfig([]byte(tc.src), "/etc/t.yaml", "")
		if err == nil || tldguard.ErrorKind(err) != tldguard.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func mustYAML(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// mapValue follows keys down nested mappings.
func mapValue(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return &yaml.Node{}
		}
		n = next
	}
	return n
}
