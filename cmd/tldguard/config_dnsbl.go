package main

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/service"
)

// defaultDNSBLRate is the blocklist query rate when the file gives none.
const defaultDNSBLRate = 10

// dnsbl is the config file's dnsbl section: the DNS blocklists each
// check asks about the names of active findings and open cases. Example:
//
//	dnsbl:
//	  resolver: 127.0.0.1:53          # the operator's own resolver
//	  queries_per_second: 10          # default 10; 0 for no cap
//	  max_names: 10000                # default 10000
//	  concurrency: 16                 # lookups in flight at once; default 16
//	  zones:
//	    - dbl                         # Spamhaus DBL, feed "dnsbl:dbl"
//	    - surbl                       # SURBL multi, feed "dnsbl:surbl"
//	    - name: dqs                   # the DBL through Spamhaus DQS
//	      zone: KEY.dbl.dq.spamhaus.net
//	      like: dbl
//	    - name: local
//	      zone: bl.example.net
//	      listing: 127.0.2.0/24
//	      codes: {127.0.2.2: phishing, 127.0.2.3: {threat: malware, compromised: true, label: hacked}}
//	      errors: {127.0.2.255: query refused}
//	      error_range: 127.255.255.0/24
//	    - name: bits
//	      zone: multi.bl.example.net
//	      bits: {8: phishing, 128: {compromised: true, label: cracked}}
//	      error_bits: 1
//
// dnsbl reads the dnsbl section and builds its client (no I/O).
func (d *cfgDecoder) dnsbl(n *yaml.Node, field string) *service.DNSBLCheck {
	cfg := feed.DNSBLConfig{QueriesPerSecond: defaultDNSBLRate}
	check := &service.DNSBLCheck{}
	var zonesNode *yaml.Node
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"resolver": func(n *yaml.Node, f string) { cfg.Resolver = d.str(n, f) },
		"queries_per_second": func(n *yaml.Node, f string) {
			v, err := strconv.ParseFloat(d.str(n, f), 64)
			if (err != nil || v < 0 || v > 1e6) && d.err == nil {
				d.fail(n, f, "%q is not a rate from 0 (no cap) to 1000000", n.Value)
			}
			cfg.QueriesPerSecond = v
		},
		"max_names": func(n *yaml.Node, f string) {
			v, err := strconv.Atoi(d.str(n, f))
			if (err != nil || v < 1) && d.err == nil {
				d.fail(n, f, "%q is not a positive whole number", n.Value)
			}
			check.MaxNames = v
		},
		"concurrency": func(n *yaml.Node, f string) {
			v, err := strconv.Atoi(d.str(n, f))
			if (err != nil || v < 1 || v > 1024) && d.err == nil {
				d.fail(n, f, "%q is not a whole number from 1 to 1024", n.Value)
			}
			check.Concurrency = v
		},
		"zones": func(n *yaml.Node, f string) {
			zonesNode = n
			d.list(n, f, func(n *yaml.Node, f string) {
				l, z := d.dnsblZone(n, f)
				if d.err != nil {
					return
				}
				for _, b := range check.Lists {
					if b.Name == l.Name {
						d.fail(n, f, "blocklist %q is configured twice", l.Name)
						return
					}
				}
				check.Lists = append(check.Lists, l)
				cfg.Zones = append(cfg.Zones, z)
			})
		},
	})
	if d.err != nil {
		return nil
	}
	switch {
	case cfg.Resolver == "":
		d.fail(n, field+".resolver", "a resolver host:port is required (the operator's own: Spamhaus refuses public resolvers)")
		return nil
	case len(check.Lists) == 0:
		at := n
		if zonesNode != nil {
			at = zonesNode
		}
		d.fail(at, field+".zones", "at least one blocklist is required (dbl, surbl, or {name, zone, ...})")
		return nil
	}
	c, err := feed.NewDNSBL(cfg)
	if err != nil {
		fl, msg := field, tldguard.ErrorMessage(err)
		var e *tldguard.Error
		if errors.As(err, &e) {
			if e.Field != "" {
				fl += "." + e.Field
			}
			msg = e.Message
		}
		d.fail(n, fl, "%s", msg)
		return nil
	}
	check.Client = c
	return check
}

// dnsblZone is "dbl", "surbl", or a mapping {name, zone, like, listing,
// codes, bits, error_bits, errors, error_range}.
func (d *cfgDecoder) dnsblZone(n *yaml.Node, field string) (service.DNSBLList, feed.Zone) {
	preset := func(n *yaml.Node, f, s string) (feed.Zone, bool) {
		switch s {
		case "dbl":
			return feed.SpamhausDBL(), true
		case "surbl":
			return feed.SURBLMulti(), true
		}
		d.fail(n, f, "%q is not a known blocklist (dbl, surbl), nor a mapping {name, zone, ...}", s)
		return feed.Zone{}, false
	}
	if n.Kind == yaml.ScalarNode {
		s := d.str(n, field)
		z, _ := preset(n, field, s)
		return service.DNSBLList{Name: s, Zone: z.Name}, z
	}
	var l service.DNSBLList
	var z feed.Zone
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"name": func(n *yaml.Node, f string) {
			l.Name = d.str(n, f)
			if !feedName(l.Name) && d.err == nil {
				d.fail(n, f, "%q is not a blocklist name (letters, digits, '.', '_', '-')", l.Name)
			}
		},
		"zone": func(n *yaml.Node, f string) { l.Zone = strings.ToLower(strings.TrimSuffix(d.str(n, f), ".")) },
		"like": func(n *yaml.Node, f string) {
			p, _ := preset(n, f, d.str(n, f))
			// The preset's codes; its zone name is replaced below.
			p.Name = z.Name
			p.Codes, p.Bits, p.Errors = mergeCodes(p.Codes, z.Codes), mergeBits(p.Bits, z.Bits), mergeErrors(p.Errors, z.Errors)
			if z.Listing.IsValid() {
				p.Listing = z.Listing
			}
			if z.ErrorRange.IsValid() {
				p.ErrorRange = z.ErrorRange
			}
			p.ErrorBits |= z.ErrorBits
			z = p
		},
		"listing":     func(n *yaml.Node, f string) { z.Listing = d.prefix(n, f) },
		"error_range": func(n *yaml.Node, f string) { z.ErrorRange = d.prefix(n, f) },
		"error_bits": func(n *yaml.Node, f string) {
			v, err := strconv.ParseUint(d.str(n, f), 10, 8)
			if err != nil && d.err == nil {
				d.fail(n, f, "%q is not a last-octet bitmask (0-255)", n.Value)
			}
			z.ErrorBits |= uint8(v)
		},
		"codes": func(n *yaml.Node, f string) {
			d.pairs(n, f, func(k, v *yaml.Node, f string) {
				a := d.addr(k, f)
				if z.Codes == nil {
					z.Codes = map[netip.Addr]feed.Code{}
				}
				z.Codes[a] = d.dnsblCode(v, f)
			})
		},
		"bits": func(n *yaml.Node, f string) {
			d.pairs(n, f, func(k, v *yaml.Node, f string) {
				b, err := strconv.ParseUint(k.Value, 10, 8)
				if err != nil && d.err == nil {
					d.fail(k, f, "%q is not a last-octet bit (1, 2, 4 ... 128)", k.Value)
				}
				if z.Bits == nil {
					z.Bits = map[uint8]feed.Code{}
				}
				z.Bits[uint8(b)] = d.dnsblCode(v, f)
			})
		},
		"errors": func(n *yaml.Node, f string) {
			d.pairs(n, f, func(k, v *yaml.Node, f string) {
				a := d.addr(k, f)
				if z.Errors == nil {
					z.Errors = map[netip.Addr]string{}
				}
				z.Errors[a] = d.str(v, f)
			})
		},
	})
	if d.err != nil {
		return l, z
	}
	switch {
	case l.Name == "":
		d.fail(n, field+".name", "is required")
	case l.Zone == "":
		d.fail(n, field+".zone", "the blocklist's DNS zone is required")
	case len(z.Codes) == 0 && len(z.Bits) == 0 && !z.Listing.IsValid():
		d.fail(n, field, "say what the list's answers mean: like (dbl, surbl), codes, bits or listing")
	}
	z.Name = l.Zone
	if d.err == nil && !zoneName(l.Zone) {
		d.fail(n, field+".zone", "%q is not a zone name", l.Zone)
	}
	if d.err == nil {
		if err := z.Validate(); err != nil {
			var e *tldguard.Error
			msg := tldguard.ErrorMessage(err)
			if errors.As(err, &e) {
				msg = e.Message
			}
			d.fail(n, field, "%s", msg)
		}
	}
	return l, z
}

// pairs walks a mapping whose keys are data, not field names.
func (d *cfgDecoder) pairs(n *yaml.Node, field string, fn func(k, v *yaml.Node, f string)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		f := field + "." + k.Value
		if seen[k.Value] {
			d.fail(k, f, "given twice")
			return
		}
		seen[k.Value] = true
		fn(k, n.Content[i+1], f)
	}
}

func (d *cfgDecoder) addr(n *yaml.Node, field string) netip.Addr {
	a, err := netip.ParseAddr(d.str(n, field))
	if (err != nil || !a.Is4()) && d.err == nil {
		d.fail(n, field, "%q is not an IPv4 address", n.Value)
	}
	return a
}

func (d *cfgDecoder) prefix(n *yaml.Node, field string) netip.Prefix {
	p, err := netip.ParsePrefix(d.str(n, field))
	if (err != nil || !p.Addr().Is4()) && d.err == nil {
		d.fail(n, field, "%q is not an IPv4 range (e.g. 127.0.1.0/24)", n.Value)
	}
	return p.Masked()
}

// dnsblCode is a threat type, or a mapping {threat, compromised, label}.
func (d *cfgDecoder) dnsblCode(n *yaml.Node, field string) feed.Code {
	var c feed.Code
	if n.Kind == yaml.ScalarNode {
		c.Threat = d.threat(n, field)
		c.Label = string(c.Threat)
		return c
	}
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"threat": func(n *yaml.Node, f string) { c.Threat = d.threat(n, f) },
		"compromised": func(n *yaml.Node, f string) {
			v, err := strconv.ParseBool(d.str(n, f))
			if err != nil && d.err == nil {
				d.fail(n, f, "%q is not true or false", n.Value)
			}
			c.Compromised = v
		},
		"label": func(n *yaml.Node, f string) { c.Label = d.str(n, f) },
	})
	if c.Label == "" {
		c.Label = string(c.Threat)
	}
	return c
}

func mergeCodes(base, over map[netip.Addr]feed.Code) map[netip.Addr]feed.Code {
	if base == nil && len(over) > 0 {
		base = map[netip.Addr]feed.Code{}
	}
	for k, v := range over {
		base[k] = v
	}
	return base
}

func mergeBits(base, over map[uint8]feed.Code) map[uint8]feed.Code {
	if base == nil && len(over) > 0 {
		base = map[uint8]feed.Code{}
	}
	for k, v := range over {
		base[k] = v
	}
	return base
}

func mergeErrors(base, over map[netip.Addr]string) map[netip.Addr]string {
	if base == nil && len(over) > 0 {
		base = map[netip.Addr]string{}
	}
	for k, v := range over {
		base[k] = v
	}
	return base
}

// zoneName reports whether s is a DNS zone name of letters, digits, '-'
// and '_' labels.
func zoneName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, c := range l {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
