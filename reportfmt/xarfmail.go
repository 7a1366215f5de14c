package reportfmt

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// Legacy X-ARF (x-arf.org, versions 0.1 and 0.2, before the JSON XARF) is a
// multipart/mixed mail marked with the header "X-ARF: YES" (0.1; 0.2
// generators write "X-XARF: PLAIN") and usually "Auto-Submitted:
// auto-generated". Its first part is text for people, its second a
// text/plain part (often named report.txt) holding YAML "Key: value" lines
// that follow a JSON schema named by Schema-URL, and an optional third part
// the evidence its Attachment field announces (text/plain logs,
// message/rfc822, text/rfc822-headers). The fields all schemas share are
// Reported-From, Category (abuse, fraud, info, ...), Report-Type
// (login-attack, malware-attack, phishing, ...), Report-ID, Date, Source,
// Source-Type (ipv4, ipv6, ip-address, uri), Attachment, Schema-URL,
// User-Agent and Version; the fraud schema adds URI and Domain, and
// Service, Port, Occurrences and TLP are common.

// isLegacyXARF reports whether the header marks an X-ARF 0.1/0.2 mail.
func isLegacyXARF(h textproto.MIMEHeader) bool {
	if v := strings.TrimSpace(h.Get("X-Arf")); v != "" {
		return !strings.EqualFold(v, "no")
	}
	v := strings.TrimSpace(h.Get("X-Xarf"))
	return v != "" && !strings.EqualFold(v, "no")
}

// legacyThreats maps an X-ARF Report-Type (lower case) to a threat type.
// "infected" (fraud schema) is a site serving malware; "spamvertized" a
// site advertised by spam.
var legacyThreats = map[string]tldguard.ThreatType{
	"phishing":             tldguard.ThreatPhishing,
	"phishing-website":     tldguard.ThreatPhishing,
	"phishing-site":        tldguard.ThreatPhishing,
	"malware":              tldguard.ThreatMalware,
	"malware-attack":       tldguard.ThreatMalware,
	"malware-distribution": tldguard.ThreatMalware,
	"malware-website":      tldguard.ThreatMalware,
	"infected":             tldguard.ThreatMalware,
	"botnet":               tldguard.ThreatBotnet,
	"botnet-cc":            tldguard.ThreatBotnet,
	"c2":                   tldguard.ThreatBotnet,
	"cnc":                  tldguard.ThreatBotnet,
	"command-and-control":  tldguard.ThreatBotnet,
	"pharming":             tldguard.ThreatPharming,
	"spam":                 tldguard.ThreatSpam,
	"spamvertized":         tldguard.ThreatSpam,
	"spamvertised":         tldguard.ThreatSpam,
}

// maxYAMLValue bounds a folded value (continuation lines beyond it are
// dropped; the values tldguard reads are short).
const maxYAMLValue = 4096

// parseYAMLFields reads the flat "Key: value" mapping of an X-ARF
// machine-readable part: keys as written (case folded by the caller),
// values unquoted ('...' with ” for a quote, "..." with escapes), folded
// continuation lines joined. Comments, document markers and lines that are
// not key-value pairs are skipped; the first value of a key wins.
func parseYAMLFields(b []byte) map[string]string {
	fields := map[string]string{}
	var key string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r ")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---" || trimmed == "...":
			key = ""
			continue
		case (line[0] == ' ' || line[0] == '\t') && key != "":
			if len(fields[key]) < maxYAMLValue {
				fields[key] = strings.TrimSpace(fields[key] + " " + yamlValue(trimmed))
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\"'") {
			key = ""
			continue
		}
		k = strings.ToLower(k)
		if _, dup := fields[k]; dup {
			key = ""
			continue
		}
		key = k
		fields[k] = yamlValue(strings.TrimSpace(v))
	}
	return fields
}

// yamlValue unquotes a YAML scalar and drops a trailing comment.
func yamlValue(v string) string {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
		return v[1 : len(v)-1]
	case v == "~" || v == "null":
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// legacyReport assembles the report of an X-ARF 0.1/0.2 mail.
func (d *mailDecoder) legacyReport() *tldguard.ReportInput {
	f := parseYAMLFields(d.yaml)
	in := &tldguard.ReportInput{Format: FormatMailXARFLeg, NamesField: "URI, Domain, Source"}
	names := newNameSet(d.lim.Limits, d.m)
	names.add(f["uri"])
	names.add(f["url"])
	names.add(f["domain"])
	if src := f["source"]; src != "" && !isIP(src) {
		switch strings.ToLower(f["source-type"]) {
		case "ipv4", "ipv6", "ip-address", "ip":
		default:
			names.add(src)
		}
	}
	in.Names = names.list

	category, typ := f["category"], f["report-type"]
	human := strings.TrimSpace(d.bodyText())
	if t, ok := legacyThreats[strings.ToLower(strings.TrimSpace(typ))]; ok {
		in.ThreatType = t
	} else if typ == "" {
		d.m.note("the X-ARF report has no Report-Type")
		in.ThreatType, in.Category = inferThreat(d.m.Subject + "\n" + human)
		if in.Category == CategoryUnclassified {
			in.ThreatType, in.Category = tldguard.ThreatOutOfScope, "x-arf "+truncate(category, 40)
		}
	} else {
		in.ThreatType, in.Category = tldguard.ThreatOutOfScope, truncate(strings.TrimSpace(category)+"/"+strings.TrimSpace(typ), 80)
	}

	var fs facts
	version := f["version"]
	if version == "" {
		version = "0.1"
		if d.m.Header.Get("X-Xarf") != "" {
			version = "0.2"
		}
	}
	fs.add("X-ARF report", category+"/"+typ+" (X-ARF "+version+")")
	fs.add("Report ID", f["report-id"])
	fs.add("Date", f["date"])
	if s := f["source"]; s != "" {
		fs.add("Source", s+" ("+f["source-type"]+")")
	}
	if svc := f["service"]; svc != "" || f["port"] != "" {
		fs.add("Service", strings.TrimSpace(svc+" "+f["port"]))
	}
	fs.add("Occurrences", f["occurrences"])
	fs.add("TLP", f["tlp"])
	fs.add("Reported from (as stated in the report, not verified)", f["reported-from"])
	fs.add("Reporting software", f["user-agent"])
	fs.add("Schema", f["schema-url"])
	in.Description = fs.describe(human, d.lim.MaxTextLen)
	return in
}
