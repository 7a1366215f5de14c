package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/scan"
	"github.com/tldguard/tldguard/service"
)

// configName is the config file looked for in the data directory.
const configName = "tldguard.yaml"

// checkConfig is tldguard's config file: the zones and feeds of the zone
// check and its schedule. Example:
//
//	zones:
//	  - /srv/zones/example.zone.gz          # apex read from the SOA record
//	  - source: https://czds.example/zones/test.zone.gz
//	    apex: test
//	feeds:
//	  - name: urlhaus
//	    format: urlhaus
//	    source: https://urlhaus.abuse.ch/downloads/csv_recent/
//	  - name: c2-names
//	    format: list
//	    threat: botnet
//	    source: feeds/c2.txt                # relative to this file
//	  - name: partner
//	    format: csv
//	    source: /srv/feeds/partner.csv
//	    csv: {column: url, threat_column: kind, threat_map: {phish: phishing, c2: botnet}}
//	scan:
//	  interval: 24h
//	  max_bad_ratio: 0.01
//	registry:                               # the registry connection (registry.go)
//	  adapter: embedded
//
// Unknown keys are refused; every error names the file, the line and the
// field; a bad file never half-loads.
type checkConfig struct {
	Path  string
	Zones []scan.Zone
	Feeds []scan.Feed
	// Interval between scheduled checks (default 24h).
	Interval time.Duration
	// MaxBadRatio of a zone's lines (default scan.DefaultMaxBadRatio).
	MaxBadRatio float64
	// CacheDir keeps downloaded zones and feeds.
	CacheDir string
	// Registry is the registry connection (registry.go); the zero value
	// is the embedded registry.
	Registry registryConfig
	// DNSBL is the dnsbl section (config_dnsbl.go); nil when absent.
	DNSBL *service.DNSBLCheck
}

// formats maps the config file's format names to the feed readers.
var formats = map[string]feed.Format{
	"urlhaus":        feed.FormatURLhaus,
	"phishtank":      feed.FormatPhishTankCSV,
	"phishtank-json": feed.FormatPhishTankJSON,
	"openphish":      feed.FormatOpenPhish,
	"threatfox":      feed.FormatThreatFoxCSV,
	"threatfox-json": feed.FormatThreatFoxJSON,
	"list":           feed.FormatList,
	"csv":            feed.FormatCSV,
}

func formatNames() string {
	names := make([]string, 0, len(formats))
	for k := range formats {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// configPath is the config file to read: the one named, or DATA/tldguard.yaml
// when there is one; "" for none.
func (f *dbFlags) configPath(named string) string {
	if named != "" {
		return named
	}
	if f.data != "" {
		p := filepath.Join(f.data, configName)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// defaultCacheDir is where downloads go when the file does not say:
// DATA/cache, else the user's cache directory.
func (f *dbFlags) defaultCacheDir() string {
	if f.data != "" {
		return filepath.Join(f.data, "cache")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "tldguard")
	}
	return filepath.Join(os.TempDir(), "tldguard-cache")
}

// loadCheckConfig reads the config file the flags name; nil without one.
func (f *dbFlags) loadCheckConfig(named string) (*checkConfig, error) {
	path := f.configPath(named)
	if path == "" {
		return nil, nil
	}
	return loadConfig(path, f.defaultCacheDir())
}

// loadConfig reads and checks a config file.
func loadConfig(path, cacheDir string) (*checkConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "config file: %v", err)
	}
	return parseConfig(b, path, cacheDir)
}

// parseConfig reads config YAML named path in errors; relative paths in it
// are relative to path's directory.
func parseConfig(data []byte, path, cacheDir string) (*checkConfig, error) {
	c := &checkConfig{Path: path, Interval: service.DefaultScanInterval, MaxBadRatio: scan.DefaultMaxBadRatio, CacheDir: cacheDir}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	d := &cfgDecoder{name: path, dir: filepath.Dir(path)}
	d.mapping(doc.Content[0], "", map[string]func(*yaml.Node, string){
		"zones": func(n *yaml.Node, f string) {
			d.list(n, f, func(n *yaml.Node, f string) { c.Zones = append(c.Zones, d.zone(n, f)) })
		},
		"feeds": func(n *yaml.Node, f string) {
			d.list(n, f, func(n *yaml.Node, f string) { c.Feeds = append(c.Feeds, d.feed(n, f, c.Feeds)) })
		},
		"scan": func(n *yaml.Node, f string) {
			d.mapping(n, f, map[string]func(*yaml.Node, string){
				"interval": func(n *yaml.Node, f string) {
					if c.Interval = d.duration(n, f); c.Interval < time.Second && d.err == nil {
						d.fail(n, f, "must be at least 1s")
					}
				},
				"max_bad_ratio": func(n *yaml.Node, f string) { c.MaxBadRatio = d.ratio(n, f) },
				"cache_dir":     func(n *yaml.Node, f string) { c.CacheDir = d.path(n, f) },
			})
		},
		"registry": func(n *yaml.Node, f string) { c.Registry = d.registry(n, f) },
		"dnsbl":    func(n *yaml.Node, f string) { c.DNSBL = d.dnsbl(n, f) },
	})
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

// cfgDecoder walks the YAML tree and keeps the first error, with its line.
type cfgDecoder struct {
	name, dir string
	err       error
}

func (d *cfgDecoder) fail(n *yaml.Node, field, format string, args ...any) {
	if d.err == nil {
		// The message names the file, line and field; Field stays empty so
		// that it is not said twice.
		d.err = &tldguard.Error{Kind: tldguard.EINVALID,
			Message: fmt.Sprintf("%s line %d: %s: %s", d.name, n.Line, field, fmt.Sprintf(format, args...))}
	}
}

func (d *cfgDecoder) mapping(n *yaml.Node, field string, fields map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, orTop(field), "must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := k.Value
		if field != "" {
			f = field + "." + k.Value
		}
		fn, ok := fields[k.Value]
		switch {
		case !ok:
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			slices.Sort(known)
			d.fail(k, f, "unknown key (known: %s)", strings.Join(known, ", "))
			return
		case seen[k.Value]:
			d.fail(k, f, "given twice")
			return
		}
		seen[k.Value] = true
		fn(v, f)
	}
}

func orTop(field string) string {
	if field == "" {
		return "the file"
	}
	return field
}

func (d *cfgDecoder) list(n *yaml.Node, field string, fn func(*yaml.Node, string)) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "must be a list")
		return
	}
	for i, item := range n.Content {
		fn(item, fmt.Sprintf("%s[%d]", field, i))
	}
}

func (d *cfgDecoder) str(n *yaml.Node, field string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, field, "must be a string")
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (d *cfgDecoder) duration(n *yaml.Node, field string) time.Duration {
	v, err := time.ParseDuration(d.str(n, field))
	if err != nil && d.err == nil {
		d.fail(n, field, "%q is not a duration (e.g. 24h, 90m)", n.Value)
	}
	return v
}

func (d *cfgDecoder) ratio(n *yaml.Node, field string) float64 {
	v, err := strconv.ParseFloat(d.str(n, field), 64)
	if (err != nil || v <= 0 || v > 1) && d.err == nil {
		d.fail(n, field, "%q is not a ratio above 0 and at most 1 (e.g. 0.01)", n.Value)
	}
	return v
}

// path resolves a file path relative to the config file.
func (d *cfgDecoder) path(n *yaml.Node, field string) string {
	p := d.str(n, field)
	if p == "" {
		if d.err == nil {
			d.fail(n, field, "is empty")
		}
		return ""
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.dir, p)
	}
	return p
}

// source is a path (relative to the config file) or an http(s) URL.
func (d *cfgDecoder) source(n *yaml.Node, field string) string {
	s := d.str(n, field)
	switch l := strings.ToLower(s); {
	case s == "":
		d.fail(n, field, "a file path or http(s) URL is required")
	case strings.HasPrefix(l, "http://"), strings.HasPrefix(l, "https://"):
		return s
	case strings.HasPrefix(l, "file://"):
		s = s[len("file://"):]
	case strings.Contains(s, "://"):
		d.fail(n, field, "%q: only file paths and http(s) URLs are supported", s)
		return ""
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(d.dir, s)
	}
	return s
}

// zone is a path or URL, or a mapping {source, apex}.
func (d *cfgDecoder) zone(n *yaml.Node, field string) scan.Zone {
	var z scan.Zone
	if n.Kind == yaml.ScalarNode {
		z.Source = d.source(n, field)
		return z
	}
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"source": func(n *yaml.Node, f string) { z.Source = d.source(n, f) },
		"apex": func(n *yaml.Node, f string) {
			a := strings.TrimSuffix(strings.TrimPrefix(d.str(n, f), "."), ".")
			if _, err := dnsname.Normalize(a); (err != nil || a == "") && d.err == nil {
				d.fail(n, f, "%q is not a zone apex", n.Value)
			}
			z.Apex = a
		},
	})
	if z.Source == "" {
		d.fail(n, field+".source", "a file path or http(s) URL is required")
	}
	return z
}

var feedName = func(s string) bool {
	if s == "" || len(s) > 100 || !utf8.ValidString(s) {
		return false
	}
	for i, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

func (d *cfgDecoder) feed(n *yaml.Node, field string, before []scan.Feed) scan.Feed {
	var f scan.Feed
	var csvNode *yaml.Node
	var threatNode *yaml.Node
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"name": func(n *yaml.Node, fl string) {
			f.Spec.Name = d.str(n, fl)
			if !feedName(f.Spec.Name) && d.err == nil {
				d.fail(n, fl, "%q is not a feed name (letters, digits, '.', '_', '-')", f.Spec.Name)
			}
			for _, b := range before {
				if b.Spec.Name == f.Spec.Name {
					d.fail(n, fl, "feed %q is configured twice", f.Spec.Name)
				}
			}
		},
		"format": func(n *yaml.Node, fl string) {
			f.Format = d.str(n, fl)
			fm, ok := formats[f.Format]
			if !ok && d.err == nil {
				d.fail(n, fl, "unknown format %q (known: %s)", f.Format, formatNames())
			}
			f.Spec.Format = fm
		},
		"source": func(n *yaml.Node, fl string) { f.Source = d.source(n, fl) },
		"threat": func(n *yaml.Node, fl string) {
			threatNode = n
			f.Spec.Threat = d.threat(n, fl)
		},
		"max_bad_ratio": func(n *yaml.Node, fl string) { f.Spec.Limits.MaxBadRatio = d.ratio(n, fl) },
		"csv": func(n *yaml.Node, fl string) {
			csvNode = n
			f.Spec.CSV = d.csv(n, fl)
		},
	})
	if d.err != nil {
		return f
	}
	switch {
	case f.Spec.Name == "":
		d.fail(n, field+".name", "is required")
	case f.Format == "":
		d.fail(n, field+".format", "is required (%s)", formatNames())
	case f.Source == "":
		d.fail(n, field+".source", "a file path or http(s) URL is required")
	case f.Spec.Format == feed.FormatList && f.Spec.Threat == "":
		d.fail(n, field+".threat", "a list feed needs the threat type of its entries (%s)", threatNames())
	case f.Spec.Format != feed.FormatList && threatNode != nil && f.Spec.Format != feed.FormatCSV:
		d.fail(threatNode, field+".threat", "only list and csv feeds take a threat; %s feeds carry their own", f.Format)
	case f.Spec.Format == feed.FormatCSV && csvNode == nil:
		d.fail(n, field+".csv", "a csv feed needs its column mapping")
	case f.Spec.Format != feed.FormatCSV && csvNode != nil:
		d.fail(csvNode, field+".csv", "only csv feeds take a column mapping")
	}
	if f.Spec.Format == feed.FormatCSV && f.Spec.Threat != "" && f.Spec.CSV.Threat == "" {
		f.Spec.CSV.Threat = f.Spec.Threat
	}
	if d.err == nil {
		if err := f.Spec.Validate(); err != nil {
			fl := field
			if k := tldguard.ErrorField(err); k != "" {
				fl += "." + k
			}
			d.fail(n, fl, "%s", tldguard.ErrorMessage(err))
		}
	}
	return f
}

func threatNames() string {
	s := make([]string, 0, len(tldguard.ThreatTypes))
	for _, t := range tldguard.ThreatTypes {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

func (d *cfgDecoder) threat(n *yaml.Node, field string) tldguard.ThreatType {
	t := tldguard.ThreatType(d.str(n, field))
	if !t.Valid() && d.err == nil {
		d.fail(n, field, "%q is not a threat type (%s)", t, threatNames())
	}
	return t
}

func (d *cfgDecoder) csv(n *yaml.Node, field string) feed.CSVConfig {
	var c feed.CSVConfig
	col := func(dst *string) func(*yaml.Node, string) {
		return func(n *yaml.Node, f string) { *dst = d.str(n, f) }
	}
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"column":        col(&c.Column),
		"threat_column": col(&c.ThreatColumn),
		"threat":        func(n *yaml.Node, f string) { c.Threat = d.threat(n, f) },
		"threat_map": func(n *yaml.Node, f string) {
			c.ThreatMap = map[string]tldguard.ThreatType{}
			if n.Kind != yaml.MappingNode {
				d.fail(n, f, "must be a mapping of values to threat types")
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				c.ThreatMap[n.Content[i].Value] = d.threat(n.Content[i+1], f+"."+n.Content[i].Value)
			}
		},
		"delimiter": func(n *yaml.Node, f string) {
			s := d.str(n, f)
			if s == `\t` || s == "tab" {
				s = "\t"
			}
			if utf8.RuneCountInString(s) != 1 && d.err == nil {
				d.fail(n, f, "must be one character")
				return
			}
			c.Delimiter, _ = utf8.DecodeRuneInString(s)
		},
		"comment":       col(&c.Comment),
		"id_column":     col(&c.IDColumn),
		"added_column":  col(&c.AddedColumn),
		"family_column": col(&c.FamilyColumn),
		"target_column": col(&c.TargetColumn),
		"ref_column":    col(&c.RefColumn),
		"tags_column":   col(&c.TagsColumn),
		"extra": func(n *yaml.Node, f string) {
			d.list(n, f, func(n *yaml.Node, f string) { c.Extra = append(c.Extra, d.str(n, f)) })
		},
	})
	return c
}

// scanConfig is the check the file describes.
func (c *checkConfig) scanConfig(trigger string) service.ScanConfig {
	return service.ScanConfig{
		Trigger: trigger, Zones: slices.Clone(c.Zones), Feeds: slices.Clone(c.Feeds),
		CacheDir: c.CacheDir, MaxBadRatio: c.MaxBadRatio, DNSBL: c.DNSBL,
	}
}

// loadChecks reads the config file serve and demo run with (--config, or
// DATA/tldguard.yaml), so that a bad file stops them before they start.
func (f *serveFlags) loadChecks() error {
	c, err := f.loadCheckConfig(f.configFile)
	f.checks = c
	return err
}
