package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/scan"
)

func TestParseConfig(t *testing.T) {
	const good = `# the zone check
zones:
  - example.zone.gz
  - source: https://czds.example/zones/test.zone.gz?token=x
    apex: .Test.
feeds:
  - name: urlhaus
    format: urlhaus
    source: https://urlhaus.abuse.ch/downloads/csv_recent/
  - name: c2
    format: list
    threat: botnet
    source: feeds/c2.txt
  - name: partner.csv
    format: csv
    source: /srv/partner.csv
    max_bad_ratio: 0.2
    csv:
      column: url
      threat_column: kind
      threat_map: {phish: phishing, c2: botnet}
      delimiter: tab
      extra: [asn]
  - {name: pt, format: phishtank-json, source: file:///srv/pt.json}
scan:
  interval: 6h
  max_bad_ratio: 0.02
`
	c, err := parseConfig([]byte(good), "/etc/tldguard/tldguard.yaml", "/var/cache/tldguard")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Zones) != 2 || c.Zones[0].Source != "/etc/tldguard/example.zone.gz" || c.Zones[0].Apex != "" ||
		c.Zones[1].Apex != "Test" || !strings.HasPrefix(c.Zones[1].Source, "https://") {
		t.Errorf("zones %+v", c.Zones)
	}
	if len(c.Feeds) != 4 || c.Feeds[1].Source != "/etc/tldguard/feeds/c2.txt" || c.Feeds[1].Spec.Threat != tldguard.ThreatBotnet ||
		c.Feeds[2].Spec.Format != feed.FormatCSV || c.Feeds[2].Spec.CSV.Delimiter != '\t' || c.Feeds[2].Spec.CSV.ThreatMap["c2"] != tldguard.ThreatBotnet ||
		c.Feeds[2].Spec.Limits.MaxBadRatio != 0.2 || c.Feeds[3].Spec.Format != feed.FormatPhishTankJSON || c.Feeds[3].Source != "/srv/pt.json" {
		t.Errorf("feeds %+v", c.Feeds)
	}
	if c.Interval != 6*time.Hour || c.MaxBadRatio != 0.02 || c.CacheDir != "/var/cache/tldguard" {
		t.Errorf("scan %+v", c)
	}
	sc := c.scanConfig("schedule")
	if sc.Trigger != "schedule" || len(sc.Feeds) != 4 || sc.CacheDir != c.CacheDir {
		t.Errorf("scan config %+v", sc)
	}

	empty, err := parseConfig(nil, "x.yaml", "/c")
	if err != nil || len(empty.Zones) != 0 || empty.Interval != 24*time.Hour {
		t.Errorf("empty file: %+v, %v", empty, err)
	}

	for _, tc := range []struct{ in, want string }{
		{"zones: [a]\nfoo: 1\n", "line 2: foo: unknown key (known: dnsbl, feeds, registry, scan, zones)"},
		{"zones:\n  - {source: a, apex: 'a b'}\n", `line 2: zones[0].apex: "a b" is not a zone apex`},
		{"zones:\n  - {apex: example}\n", "line 2: zones[0].source: a file path or http(s) URL is required"},
		{"zones:\n  - ftp://x/y\n", `zones[0]: "ftp://x/y": only file paths and http(s) URLs`},
		{"feeds:\n  - {name: a, format: list, threat: phish, source: x}\n", `feeds[0].threat: "phish" is not a threat type`},
		{"feeds:\n  - {name: a, format: urlhaus, threat: malware, source: x}\n", "feeds[0].threat: only list and csv feeds take a threat"},
		{"feeds:\n  - {name: a, format: urlhaus, source: x}\n  - {name: a, format: openphish, source: y}\n", `line 3: feeds[1].name: feed "a" is configured twice`},
		{"feeds:\n  - {name: 'a b', format: urlhaus, source: x}\n", `feeds[0].name: "a b" is not a feed name`},
		{"feeds:\n  - {name: a, format: csv, source: x}\n", "feeds[0].csv: a csv feed needs its column mapping"},
		{"feeds:\n  - {name: a, format: urlhaus, source: x, csv: {column: u}}\n", "feeds[0].csv: only csv feeds take"},
		{"feeds:\n  - {name: a, format: csv, source: x, csv: {column: u, delimiter: ab}}\n", "feeds[0].csv.delimiter: must be one character"},
		{"feeds:\n  - {name: a, format: urlhaus}\n", "feeds[0].source: a file path or http(s) URL is required"},
		{"feeds:\n  - {name: a, source: x}\n", "feeds[0].format: is required"},
		{"scan:\n  interval: 10ms\n", "scan.interval: must be at least 1s"},
		{"scan:\n  max_bad_ratio: 2\n", `scan.max_bad_ratio: "2" is not a ratio`},
		{"scan:\n  interval: 1h\n  interval: 2h\n", "line 3: scan.interval: given twice"},
		{"zones: {a: b}\n", "line 1: zones: must be a list"},
		{"- a\n", "line 1: the file: must be a mapping"},
		{"zones: [\n", "x.yaml: "},
	} {
		_, err := parseConfig([]byte(tc.in), "x.yaml", "/c")
		if err == nil || !strings.Contains(tldguard.ErrorMessage(err), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestConfigPath(t *testing.T) {
	dir := t.TempDir()
	f := &dbFlags{data: dir}
	if p := f.configPath(""); p != "" {
		t.Errorf("no file: %q", p)
	}
	if p := f.configPath("/x.yaml"); p != "/x.yaml" {
		t.Errorf("named: %q", p)
	}
	if f.defaultCacheDir() != filepath.Join(dir, "cache") {
		t.Errorf("cache dir %q", f.defaultCacheDir())
	}
}

func TestCLIFeeds(t *testing.T) {
	configured := []scan.Feed{{Spec: feed.Spec{Name: "partner", Format: feed.FormatCSV, CSV: feed.CSVConfig{Column: "u", Threat: tldguard.ThreatSpam}}, Format: "csv", Source: "/old.csv"}}
	fs, err := cliFeeds([]string{"urlhaus=a.csv", "urlhaus=b.csv", "list:botnet=c.txt", "list=d.txt", "phishtank-json=https://x/y.json", "partner=/new.csv"}, "phishing", configured)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, f := range fs {
		names = append(names, f.Spec.Name+":"+string(f.Spec.Format)+":"+string(f.Spec.Threat))
	}
	want := "urlhaus:urlhaus: urlhaus-2:urlhaus: list-botnet:list:botnet list-phishing:list:phishing phishtank-json:phishtank_json: partner:csv:"
	if fs[5].Source != "/new.csv" || fs[5].Spec.CSV.Column != "u" || fs[4].Source != "https://x/y.json" || !filepath.IsAbs(fs[0].Source) {
		t.Errorf("sources %+v", fs)
	}
	if strings.Join(names, " ") != want {
		t.Errorf("feeds %q\nwant %q", strings.Join(names, " "), want)
	}
	for _, bad := range []string{"urlhaus", "rss=x", "list=x", "csv=x", "urlhaus:malware=x"} {
		if _, err := cliFeeds([]string{bad}, "", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseConfig: no config file makes the parser panic, and a file it
// accepts has sound values.
func FuzzParseConfig(f *testing.F) {
	f.Add("zones: [a]\nfeeds:\n  - {name: a, format: list, threat: botnet, source: x}\nscan: {interval: 1h}\n")
	f.Add("feeds:\n  - {name: p, format: csv, source: x, csv: {column: u, threat_map: {a: phishing}}}\n")
	f.Add("zones:\n  - {source: https://x/z.gz, apex: test}\n")
	f.Add("registry:\n  adapter: epp\n  epp: {addr: 'e:700', client_id: c, password_env: P}\n  webhook: {apply_url: 'https://h/a', secret_env: S}\n  transfer: webhook\n  rdap: {base_url: 'https://r/'}\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := parseConfig([]byte(in), "f.yaml", "/c")
		if err != nil {
			return
		}
		for _, z := range c.Zones {
			if z.Source == "" {
				t.Fatalf("zone without a source from %q", in)
			}
		}
		for _, fd := range c.Feeds {
			if fd.Source == "" || fd.Spec.Validate() != nil {
				t.Fatalf("bad feed %+v from %q", fd, in)
			}
		}
		if c.Interval < time.Second || c.MaxBadRatio <= 0 || c.MaxBadRatio > 1 {
			t.Fatalf("bad scan section %+v from %q", c, in)
		}
		if err := checkRegistryConfig(&c.Registry); err != "" {
			t.Fatalf("bad registry section %+v from %q: %s", c.Registry, in, err)
		}
	})
}
