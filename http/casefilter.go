package http

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// caseFilter reads the case queue's query parameters:
//
//	status       open, in_progress, closed; repeatable or a comma list
//	priority     high or standard
//	tld          a TLD the operator runs, e.g. "example"
//	threat_type  phishing, malware, botnet, pharming, spam, out_of_scope
//	registrar    the registrar's IANA id
//	domain       the exact registered name, in A-labels
//	overdue      true: only cases past their response deadline
//	sort         due (default) or newest
//	limit        1..200, default 50
//	cursor       next_cursor of the previous page
//
// A bad value, or a parameter it does not know, is EINVALID naming it.
func (s *Server) caseFilter(q url.Values) (tldguard.CaseFilter, error) {
	f := tldguard.CaseFilter{Now: s.now()}
	if err := checkParams(q, "status", "priority", "tld", "threat_type", "registrar", "domain",
		"overdue", "sort", "limit", "cursor"); err != nil {
		return f, err
	}
	var err error
	if f.Status, err = statusParam(q["status"]); err != nil {
		return f, err
	}
	if v := lastValue(q, "priority"); v != "" {
		if f.Priority = tldguard.Priority(v); !f.Priority.Valid() {
			return f, badParam("priority", "must be high or standard, got %q", v)
		}
	}
	if v := lastValue(q, "threat_type"); v != "" {
		if f.ThreatType = tldguard.ThreatType(v); !f.ThreatType.Valid() {
			return f, badParam("threat_type", "must be one of phishing, malware, botnet, pharming, spam, out_of_scope; got %q", v)
		}
	}
	if v := lastValue(q, "tld"); v != "" {
		f.TLD = strings.TrimSuffix(strings.ToLower(v), ".")
		if len(f.TLD) > 63 || !ldh(f.TLD, false) {
			return f, badParam("tld", "%q is not a TLD label in A-labels (letters, digits, hyphens)", v)
		}
	}
	if v := lastValue(q, "domain"); v != "" {
		f.Domain = strings.TrimSuffix(strings.ToLower(v), ".")
		if len(f.Domain) > 253 || !strings.Contains(f.Domain, ".") || !ldh(f.Domain, true) {
			return f, badParam("domain", "%q is not a registered name in A-labels, e.g. example.example or xn--bcher-kva.example", v)
		}
	}
	if v := lastValue(q, "registrar"); v != "" {
		if len(v) > 64 || !printable(v) {
			return f, badParam("registrar", "%q is not a registrar IANA id", v)
		}
		f.RegistrarID = v
	}
	if v := lastValue(q, "overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			return f, badParam("overdue", "must be true or false, got %q", v)
		}
	}
	switch v := lastValue(q, "sort"); v {
	case "":
	case string(tldguard.SortDue), string(tldguard.SortNewest):
		f.Sort = tldguard.CaseSort(v)
	default:
		return f, badParam("sort", "must be due or newest, got %q", v)
	}
	if f.Limit, err = limitParam(q); err != nil {
		return f, err
	}
	if v := lastValue(q, "cursor"); v != "" {
		if f.After, err = tldguard.ParseCaseCursor(v); err != nil {
			return f, badParam("cursor", "malformed cursor; pass next_cursor from the previous page")
		}
	}
	return f, nil
}

// statusParam reads repeated and comma-separated statuses, without repeats.
func statusParam(values []string) ([]tldguard.CaseStatus, error) {
	var out []tldguard.CaseStatus
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			st := tldguard.CaseStatus(strings.TrimSpace(part))
			if !st.Valid() {
				return nil, badParam("status", "must be open, in_progress or closed (repeat it or use a comma list), got %q", part)
			}
			seen := false
			for _, o := range out {
				seen = seen || o == st
			}
			if !seen {
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// ldh reports whether s is letters, digits and hyphens (and dots between
// labels when dots is set), with no empty label.
func ldh(s string, dots bool) bool {
	if s == "" {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			label++
		case c == '.' && dots && label > 0:
			label = 0
		default:
			return false
		}
	}
	return label > 0
}

// printable reports whether s is printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
