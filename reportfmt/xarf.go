package reportfmt

import (
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/tldguard/tldguard"
)

// XARF (eXtended Abuse Reporting Format) comes in two JSON shapes, both
// read here and both recorded as Format "xarf":
//
//   - XARF v4 (https://github.com/xarf/xarf-spec, schemas/v4): flat
//     snake_case members; "xarf_version" "4.x.y", "category" and "type"
//     classify the report, "url" (content), "infringing_url" (copyright),
//     "c2_server" (infrastructure/botnet), "spam_indicators.suspicious_links"
//     (messaging/spam) and "source_identifier" (an IP address or a host)
//     name what is reported, "evidence" items carry a base64 "payload".
//   - XARF v3 (https://github.com/abusix/xarf, schemas 1, 2, 3 and alpha):
//     "Version", "ReporterInfo", "Disclosure" and a "Report" object with
//     "ReportClass", "ReportType", "SourceIp", "SourceUrl", "RpzDomain" and
//     "Samples". The v4 specification (docs/specification.md, "Backwards
//     Compatibility") requires v4 receivers to accept these.

// xarfThreats maps an XARF type (v4 "type", v3 "ReportType", compared in
// lower case) to the DNS-abuse type it names, whatever its category: v4
// content/phishing, content/malware, infrastructure/botnet, messaging/spam;
// v3 Content/Phishing, Content/Malware, Activity/Malware (RPZ-Rewrite),
// Content/Botnet, Activity/Spam. XARF has no pharming type; "pharming" is
// mapped should a reporter use it. Every other type is out of scope, with
// "category/type" kept as the Category.
var xarfThreats = map[string]tldguard.ThreatType{
	"phishing": tldguard.ThreatPhishing,
	"malware":  tldguard.ThreatMalware,
	"botnet":   tldguard.ThreatBotnet,
	"spam":     tldguard.ThreatSpam,
	"pharming": tldguard.ThreatPharming,
}

// reputationThreats maps the free-text "threat_type" of the v4 reputation
// category (blocklist, threat_intelligence) to a DNS-abuse type.
var reputationThreats = map[string]tldguard.ThreatType{
	"phishing":             tldguard.ThreatPhishing,
	"malware":              tldguard.ThreatMalware,
	"malware_distribution": tldguard.ThreatMalware,
	"malware_hosting":      tldguard.ThreatMalware,
	"botnet":               tldguard.ThreatBotnet,
	"botnet_c2":            tldguard.ThreatBotnet,
	"botnet_cc":            tldguard.ThreatBotnet,
	"c2":                   tldguard.ThreatBotnet,
	"cnc":                  tldguard.ThreatBotnet,
	"c&c":                  tldguard.ThreatBotnet,
	"command_and_control":  tldguard.ThreatBotnet,
	"spam":                 tldguard.ThreatSpam,
	"pharming":             tldguard.ThreatPharming,
}

// xarfThreat classifies an XARF report. category and typ are as written in
// the document and already checked to be words.
func xarfThreat(category, typ, threatType string) (tldguard.ThreatType, string) {
	if t, ok := xarfThreats[xarfWord(typ)]; ok {
		return t, ""
	}
	if xarfWord(category) == "reputation" {
		if t, ok := reputationThreats[xarfWord(threatType)]; ok {
			return t, ""
		}
	}
	return tldguard.ThreatOutOfScope, strings.TrimSpace(category) + "/" + strings.TrimSpace(typ)
}

// xarfWord folds an XARF class, type or threat word for lookup.
func xarfWord(s string) string {
	return wordFolder.Replace(strings.ToLower(strings.TrimSpace(s)))
}

var wordFolder = strings.NewReplacer("-", "_", " ", "_")

// decodeXARF dispatches on the shape of the document.
func decodeXARF(r *reader, top topLevel, lim Limits) (*tldguard.ReportInput, error) {
	switch {
	case top.xarfVersion:
		return decodeXARF4(r, lim)
	case top.report:
		return decodeXARF3(r, lim)
	}
	if err := r.document(); err != nil {
		return nil, err
	}
	return nil, invalid("", "is not an XARF report: an XARF v4 report has xarf_version at the top level, an XARF v3 report Version and Report")
}

// mailDomain returns the domain part of an e-mail address as written, or "".
func mailDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(strings.TrimRight(addr[i+1:], "> \t"))
}

// isIP reports whether s is an IP address or prefix rather than a name.
func isIP(s string) bool {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// hostOf returns the host part of a URL as written, or "".
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	return host
}

// contact reads an informational contact object (reporter, sender,
// ReporterInfo, OnBehalfOf) as one line: "Org <email> (domain)". Anything
// not shaped as expected is skipped.
func contact(r *reader, path, orgKey, emailKey, domainKey string) (string, error) {
	t, err := r.token(path)
	if err != nil {
		return "", err
	}
	if t != json.Delim('{') {
		return "", r.skipRest(path, t)
	}
	var org, email, domain string
	err = r.members(path, func(key, kpath string) error {
		var err error
		switch key {
		case orgKey:
			org, err = r.loose(kpath)
		case emailKey:
			email, err = r.loose(kpath)
		case domainKey:
			domain, err = r.loose(kpath)
		default:
			err = r.skip(kpath)
		}
		return err
	})
	s := strings.TrimSpace(org)
	if e := strings.TrimSpace(email); e != "" {
		s += " <" + e + ">"
	}
	if dm := strings.TrimSpace(domain); dm != "" {
		s += " (" + dm + ")"
	}
	return strings.TrimSpace(s), err
}

// checkXARFWord checks a category or type the decoder needs.
func checkXARFWord(path, s, what string) error {
	if strings.TrimSpace(s) == "" {
		return invalid(path, "is required: %s", what)
	}
	if !isWord(strings.TrimSpace(s)) {
		return invalid(path, "%q is not an XARF class or type: use letters, digits, - and _ only", truncate(s, 40))
	}
	return nil
}

// facts collects the informational lines an XARF decoder adds to the
// report's description, after the reporter's own text.
type facts struct{ lines []string }

// add appends "label: value" when value is not empty, on one line and cut
// to a readable length.
func (f *facts) add(label, value string) {
	v := strings.Join(strings.Fields(value), " ")
	if v == "" {
		return
	}
	f.lines = append(f.lines, label+": "+truncate(v, 200))
}

// describe joins the reporter's text and the facts, within max characters.
func (f *facts) describe(text string, max int) string {
	text = strings.TrimSpace(text)
	all := strings.Join(f.lines, "\n")
	if text != "" && all != "" {
		all = text + "\n\n" + all
	} else if text != "" {
		all = text
	}
	return truncate(all, max)
}
