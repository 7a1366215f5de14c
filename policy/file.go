package policy

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tldguard/tldguard"
)

// Load reads a policy file over the defaults. Every error names the file,
// the line and the field; a bad file never half-loads.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "policy file: %v", err)
	}
	return Parse(b, path)
}

// Parse reads policy YAML (named name in errors) over the defaults. Sections
// that are absent keep their defaults; a list or the proposals given
// replace the default one whole.
func Parse(data []byte, name string) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "%s: %v", name, err)
	}
	p := Default()
	if len(doc.Content) == 0 {
		return p, nil // an empty file is the defaults
	}
	d := &decoder{name: name}
	root := doc.Content[0]
	d.mapping(root, "", map[string]func(*yaml.Node, string){
		"clocks": func(n *yaml.Node, f string) {
			d.mapping(n, f, map[string]func(*yaml.Node, string){
				"high_response":     func(n *yaml.Node, f string) { p.Clocks.HighResponse = d.duration(n, f) },
				"standard_response": func(n *yaml.Node, f string) { p.Clocks.StandardResponse = d.duration(n, f) },
				"warn":              func(n *yaml.Node, f string) { p.Clocks.Warn = d.duration(n, f) },
			})
		},
		"referral": func(n *yaml.Node, f string) {
			d.mapping(n, f, map[string]func(*yaml.Node, string){
				"high_answer":     func(n *yaml.Node, f string) { p.Referral.HighAnswer = d.duration(n, f) },
				"standard_answer": func(n *yaml.Node, f string) { p.Referral.StandardAnswer = d.duration(n, f) },
			})
		},
		"approvals": func(n *yaml.Node, f string) {
			fields := map[string]func(*yaml.Node, string){
				"protected_extra": func(n *yaml.Node, f string) { p.ProtectedExtra = d.count(n, f) },
			}
			p.Approvals = map[tldguard.ActionKind]int{}
			for _, k := range tldguard.ActionKinds {
				fields[string(k)] = func(n *yaml.Node, f string) { p.Approvals[k] = d.count(n, f) }
			}
			d.mapping(n, f, fields)
		},
		"sinkhole":        func(n *yaml.Node, f string) { p.Sinkhole = d.names(n, f) },
		"protected":       func(n *yaml.Node, f string) { p.Protected = d.names(n, f) },
		"shared_services": func(n *yaml.Node, f string) { p.SharedServices = d.names(n, f) },
		"classifier": func(n *yaml.Node, f string) {
			c := &p.Classifier
			d.mapping(n, f, map[string]func(*yaml.Node, string){
				"young_days":   func(n *yaml.Node, f string) { c.YoungDays = d.int(n, f, 0, 36500) },
				"old_days":     func(n *yaml.Node, f string) { c.OldDays = d.int(n, f, 0, 36500) },
				"brand_terms":  func(n *yaml.Node, f string) { c.BrandTerms = d.strings(n, f) },
				"hacked_paths": func(n *yaml.Node, f string) { c.HackedPaths = d.strings(n, f) },
				"threshold":    func(n *yaml.Node, f string) { c.Threshold = d.int(n, f, 1, 100) },
			})
		},
		"proposals": func(n *yaml.Node, f string) { p.Proposals = d.rules(n, f) },
		"term":      func(n *yaml.Node, f string) { p.Term = d.int(n, f, 1, 100) },
	})
	if d.err != nil {
		return nil, d.err
	}
	if err := p.Validate(); err != nil {
		return nil, tldguard.Errorf(tldguard.EINVALID, "%s: %s", name, tldguard.ErrorMessage(err))
	}
	return p, nil
}

// decoder walks the YAML tree and keeps the first error, with its line.
type decoder struct {
	name string
	err  error
}

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	if d.err == nil {
		d.err = &tldguard.Error{Kind: tldguard.EINVALID, Field: field,
			Message: fmt.Sprintf("%s line %d: %s: %s", d.name, n.Line, field, fmt.Sprintf(format, args...))}
	}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (d *decoder) mapping(n *yaml.Node, field string, fields map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		fn, ok := fields[k.Value]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			sort.Strings(known)
			d.fail(k, f, "unknown field (known: %s)", strings.Join(known, ", "))
			return
		}
		if seen[k.Value] {
			d.fail(k, f, "given twice")
			return
		}
		seen[k.Value] = true
		fn(v, f)
	}
}

func (d *decoder) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, "must be a single value")
		return "", false
	}
	return n.Value, true
}

// duration accepts Go durations ("36h", "90m") and whole days ("3d").
func (d *decoder) duration(n *yaml.Node, field string) time.Duration {
	s, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	if days, found := strings.CutSuffix(s, "d"); found {
		if k, err := strconv.Atoi(days); err == nil && k > 0 && k < 36500 {
			return time.Duration(k) * 24 * time.Hour
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.fail(n, field, "%q is not a positive duration (e.g. 24h, 90m, 3d)", s)
		return 0
	}
	return v
}

func (d *decoder) int(n *yaml.Node, field string, lo, hi int) int {
	s, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		d.fail(n, field, "%q is not a whole number from %d to %d", s, lo, hi)
	}
	return v
}

func (d *decoder) count(n *yaml.Node, field string) int { return d.int(n, field, 0, 5) }

func (d *decoder) strings(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "must be a list")
		return nil
	}
	var out []string // an empty list reads as nil, as in the defaults
	for i, e := range n.Content {
		s, ok := d.scalar(e, fmt.Sprintf("%s[%d]", field, i))
		if !ok {
			return nil
		}
		if s = strings.TrimSpace(s); s == "" {
			d.fail(e, fmt.Sprintf("%s[%d]", field, i), "is empty")
			return nil
		}
		out = append(out, strings.ToLower(s))
	}
	return out
}

// names is a list of domain names, checked for shape.
func (d *decoder) names(n *yaml.Node, field string) []string {
	list := d.strings(n, field)
	for i, s := range list {
		s = strings.TrimSuffix(s, ".")
		if !strings.Contains(s, ".") || strings.ContainsAny(s, " /:@") {
			d.fail(n.Content[i], fmt.Sprintf("%s[%d]", field, i), "%q is not a domain name", s)
			return nil
		}
		list[i] = s
	}
	return list
}

func (d *decoder) rules(n *yaml.Node, field string) []Rule {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "must be a list of rules")
		return nil
	}
	var rules []Rule
	for i, e := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		var r Rule
		d.mapping(e, f, map[string]func(*yaml.Node, string){
			"threat": func(n *yaml.Node, f string) {
				if s, ok := d.scalar(n, f); ok {
					r.Threat = tldguard.ThreatType(s)
					if !r.Threat.Valid() {
						d.fail(n, f, "%q is not a threat type", s)
					}
				}
			},
			"classification": func(n *yaml.Node, f string) {
				if s, ok := d.scalar(n, f); ok {
					r.Classification = tldguard.Classification(s)
					if !r.Classification.Valid() {
						d.fail(n, f, "%q is not a classification (malicious, compromised, unknown)", s)
					}
				}
			},
			"source": func(n *yaml.Node, f string) {
				if s, ok := d.scalar(n, f); ok {
					r.Source = tldguard.Source(s)
					if !r.Source.Valid() {
						d.fail(n, f, "%q is not a source", s)
					}
				}
			},
			"registered": func(n *yaml.Node, f string) {
				if s, ok := d.scalar(n, f); ok {
					b, err := strconv.ParseBool(s)
					if err != nil {
						d.fail(n, f, "%q is not true or false", s)
					}
					r.Registered = &b
				}
			},
			"propose": func(n *yaml.Node, f string) {
				for j, k := range d.strings(n, f) {
					kind := tldguard.ActionKind(k)
					if !kind.Valid() {
						d.fail(n.Content[j], fmt.Sprintf("%s[%d]", f, j), "%q is not an action", k)
						return
					}
					r.Propose = append(r.Propose, kind)
				}
			},
			"why": func(n *yaml.Node, f string) { r.Why, _ = d.scalar(n, f) },
		})
		if d.err == nil && len(r.Propose) == 0 {
			d.fail(e, f+".propose", "a rule must propose at least one action")
		}
		rules = append(rules, r)
	}
	return rules
}

// Text returns the effective policy in the file's own format, so that
// "tldguard policy show" output is a valid policy file.
func (p *Policy) Text() string {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	dur := func(d time.Duration) string {
		if d%(24*time.Hour) == 0 {
			return fmt.Sprintf("%dd", d/(24*time.Hour))
		}
		return d.String()
	}
	list := func(key string, xs []string, indent string) {
		if len(xs) == 0 {
			w("%s%s: []\n", indent, key)
			return
		}
		w("%s%s:\n", indent, key)
		for _, x := range xs {
			w("%s  - %s\n", indent, yamlString(x))
		}
	}
	w("# tldguard policy: the Framework's defaults with this operator's changes.\n")
	w("# term: years the statistical reports are kept (the registry agreement's term).\n")
	w("term: %d\n", p.Term)
	w("clocks:\n  high_response: %s\n  standard_response: %s\n  warn: %s\n", dur(p.Clocks.HighResponse), dur(p.Clocks.StandardResponse), dur(p.Clocks.Warn))
	w("referral:\n  high_answer: %s\n  standard_answer: %s\n", dur(p.Referral.HighAnswer), dur(p.Referral.StandardAnswer))
	w("approvals:\n")
	for _, k := range tldguard.ActionKinds {
		if n, ok := p.Approvals[k]; ok {
			w("  %s: %d\n", k, n)
		}
	}
	w("  protected_extra: %d\n", p.ProtectedExtra)
	list("sinkhole", p.Sinkhole, "")
	list("protected", p.Protected, "")
	list("shared_services", p.SharedServices, "")
	c := p.Classifier
	w("classifier:\n  young_days: %d\n  old_days: %d\n  threshold: %d\n", c.YoungDays, c.OldDays, c.Threshold)
	list("brand_terms", c.BrandTerms, "  ")
	list("hacked_paths", c.HackedPaths, "  ")
	w("proposals:\n")
	for _, r := range p.Proposals {
		first := "  - "
		field := func(k, v string) {
			w("%s%s: %s\n", first, k, v)
			first = "    "
		}
		if r.Threat != "" {
			field("threat", string(r.Threat))
		}
		if r.Classification != "" {
			field("classification", string(r.Classification))
		}
		if r.Source != "" {
			field("source", string(r.Source))
		}
		if r.Registered != nil {
			field("registered", strconv.FormatBool(*r.Registered))
		}
		kinds := make([]string, len(r.Propose))
		for i, k := range r.Propose {
			kinds[i] = string(k)
		}
		field("propose", "["+strings.Join(kinds, ", ")+"]")
		if r.Why != "" {
			field("why", yamlString(r.Why))
		}
	}
	return b.String()
}

func yamlString(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
