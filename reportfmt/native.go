package reportfmt

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// threatWords are the threat_type values of tldguard's JSON that name one of
// the DNS-abuse types.
var threatWords = map[string]tldguard.ThreatType{
	"phishing":     tldguard.ThreatPhishing,
	"malware":      tldguard.ThreatMalware,
	"botnet":       tldguard.ThreatBotnet,
	"pharming":     tldguard.ThreatPharming,
	"spam":         tldguard.ThreatSpam,
	"out_of_scope": tldguard.ThreatOutOfScope,
}

// requestedActions are the Framework's actions an authority may request.
// "release" is the registry's own undo, not something to request.
var requestedActions = []string{"request_info", "refer_registrar", "hold", "lock", "redirect", "transfer", "delete", "block", "no_action"}

// The members of each object of tldguard's JSON, for unknown-field errors.
var (
	reportFields   = []string{"threat_type", "names", "description", "evidence", "request"}
	evidenceFields = []string{"filename", "media_type", "content_base64", "url", "description"}
	requestFields  = []string{"authority", "jurisdiction", "legal_basis", "reference", "contact", "requested_action", "urgency", "urgency_reason", "do_not_notify_registrant", "do_not_notify_registrar"}
)

// native decodes tldguard's own JSON format.
type native struct {
	r   *reader
	lim Limits
	b   budget
	in  *tldguard.ReportInput
	// which required members were present
	threat, names bool
}

func decodeTldguard(r *reader, lim Limits) (*tldguard.ReportInput, error) {
	d := &native{r: r, lim: lim, b: budget{lim: lim}, in: &tldguard.ReportInput{Format: FormatTldguard, NamesField: "names"}}
	if err := r.document(); err != nil {
		return nil, err
	}
	if err := r.members("", d.member); err != nil {
		return nil, err
	}
	if !d.threat {
		return nil, invalid("threat_type", "is required: phishing, malware, botnet, pharming or spam, or a word for another kind of abuse (e.g. copyright)")
	}
	if !d.names || len(d.in.Names) == 0 {
		return nil, invalid("names", "is required: list at least one domain name or URL")
	}
	return d.in, nil
}

func (d *native) member(key, path string) error {
	switch key {
	case "threat_type":
		s, ok, err := d.r.string(path)
		if err != nil || !ok {
			return err
		}
		d.threat = true
		d.in.ThreatType, d.in.Category, err = threatWord(path, s)
		return err
	case "names":
		ok, err := d.r.array(path)
		if err != nil || !ok {
			return err
		}
		d.names = true
		return d.r.elements(path, func(i int, path string) error {
			if i >= d.lim.MaxNames {
				return tooLarge("names", "lists more than %d names; send at most %d per report", d.lim.MaxNames, d.lim.MaxNames)
			}
			s, ok, err := d.r.string(path)
			if err != nil {
				return err
			}
			if !ok {
				return invalid(path, "is null; give a domain name or a URL")
			}
			if err := checkName(path, s, d.lim); err != nil {
				return err
			}
			d.in.Names = append(d.in.Names, s)
			return nil
		})
	case "description":
		s, _, err := d.text(path, d.lim.MaxTextLen)
		d.in.Description = s
		return err
	case "evidence":
		ok, err := d.r.array(path)
		if err != nil || !ok {
			return err
		}
		return d.r.elements(path, func(_ int, ipath string) error {
			if err := d.b.item(path); err != nil {
				return err
			}
			return d.evidence(ipath)
		})
	case "request":
		return d.request(path)
	}
	return unknownField(path, key, reportFields)
}

// text reads an optional string of at most max characters.
func (d *native) text(path string, max int) (string, bool, error) {
	s, ok, err := d.r.string(path)
	if err != nil {
		return "", false, err
	}
	return s, ok, checkLen(path, s, max)
}

func (d *native) evidence(path string) error {
	ok, err := d.r.object(path)
	if err != nil {
		return err
	}
	if !ok {
		return invalid(path, "is null; give an object with content_base64 or url")
	}
	var e tldguard.EvidenceInput
	var content, mt string
	err = d.r.members(path, func(key, kpath string) error {
		var err error
		switch key {
		case "filename":
			var s string
			s, _, err = d.text(kpath, d.lim.MaxFieldLen)
			e.Filename = baseName(s)
		case "media_type":
			mt, _, err = d.r.string(kpath)
		case "content_base64":
			content, _, err = d.r.string(kpath)
		case "url":
			e.URL, _, err = d.text(kpath, d.lim.MaxNameLen)
		case "description":
			e.Description, _, err = d.text(kpath, d.lim.MaxTextLen)
		default:
			err = unknownField(kpath, key, evidenceFields)
		}
		return err
	})
	if err != nil {
		return err
	}
	if e.MediaType, err = mediaType(path+".media_type", mt, d.lim); err != nil {
		return err
	}
	if strings.TrimSpace(e.URL) == "" {
		e.URL = ""
	}
	if content != "" {
		if e.Content, err = d.b.base64(path+".content_base64", content); err != nil {
			return err
		}
	}
	if content == "" && e.URL == "" {
		return invalid(path, "has neither content_base64 nor url; give the evidence itself (base64) or the URL where it was seen")
	}
	d.in.Evidence = append(d.in.Evidence, e)
	return nil
}

func (d *native) request(path string) error {
	ok, err := d.r.object(path)
	if err != nil || !ok {
		return err
	}
	var q tldguard.AuthorityRequest
	err = d.r.members(path, func(key, kpath string) error {
		var err error
		switch key {
		case "authority":
			q.Authority, _, err = d.text(kpath, d.lim.MaxFieldLen)
		case "jurisdiction":
			q.Jurisdiction, _, err = d.text(kpath, d.lim.MaxFieldLen)
		case "legal_basis":
			q.LegalBasis, _, err = d.text(kpath, d.lim.MaxTextLen)
		case "reference":
			q.Reference, _, err = d.text(kpath, d.lim.MaxFieldLen)
		case "contact":
			q.Contact, _, err = d.text(kpath, d.lim.MaxFieldLen)
		case "requested_action":
			var s string
			if s, _, err = d.text(kpath, d.lim.MaxFieldLen); err == nil {
				q.RequestedAction, err = requestedAction(kpath, s)
			}
		case "urgency":
			var s string
			if s, _, err = d.text(kpath, d.lim.MaxFieldLen); err == nil {
				q.Urgency, err = urgency(kpath, s)
			}
		case "urgency_reason":
			q.UrgencyReason, _, err = d.text(kpath, d.lim.MaxTextLen)
		case "do_not_notify_registrant":
			q.DoNotNotifyRegistrant, _, err = d.r.bool(kpath)
		case "do_not_notify_registrar":
			q.DoNotNotifyRegistrar, _, err = d.r.bool(kpath)
		default:
			err = unknownField(kpath, key, requestFields)
		}
		return err
	})
	if err != nil {
		return err
	}
	if q.Urgency != tldguard.UrgencyNone && strings.TrimSpace(q.UrgencyReason) == "" {
		return invalid(path+".urgency_reason", "is required when urgency is %s: say what makes the threat imminent", q.Urgency)
	}
	if q != (tldguard.AuthorityRequest{}) {
		d.in.Request = &q
	}
	return nil
}

// threatWord reads a threat_type of tldguard's JSON: one of the five
// DNS-abuse types (any case), or another word, accepted as out of scope
// with the word kept as the Category.
func threatWord(path, s string) (tldguard.ThreatType, string, error) {
	w := strings.TrimSpace(s)
	if t, ok := threatWords[strings.ToLower(w)]; ok {
		return t, "", nil
	}
	if w == "" {
		return "", "", invalid(path, "is empty; give phishing, malware, botnet, pharming or spam, or a word for another kind of abuse (e.g. copyright)")
	}
	if !isWord(w) {
		return "", "", invalid(path, "%q is not a threat type: give phishing, malware, botnet, pharming or spam, or a word of at most %d letters, digits, spaces, - or _ for another kind of abuse", truncate(w, 40), maxWordLen)
	}
	return tldguard.ThreatOutOfScope, w, nil
}

// maxWordLen bounds a reporter's own word for a threat (kept as Category).
const maxWordLen = 64

// isWord reports whether s is a short category word: letters, digits,
// spaces and - _ . & + only.
func isWord(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > maxWordLen {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_.&+", r) {
			return false
		}
	}
	return true
}

func requestedAction(path, s string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(s))
	if a == "" {
		return "", nil
	}
	for _, k := range requestedActions {
		if a == k {
			return a, nil
		}
	}
	return "", invalid(path, "%q is not an action: give one of %s, or leave it out", truncate(s, 40), strings.Join(requestedActions, ", "))
}

func urgency(path, s string) (tldguard.Urgency, error) {
	u := tldguard.Urgency(strings.ToLower(strings.TrimSpace(s)))
	if !u.Valid() {
		return "", invalid(path, "%q is not an urgency: give life, critical_infrastructure or child_exploitation, or leave it out", truncate(s, 40))
	}
	return u, nil
}

// unknownField is the error for a member tldguard's JSON does not define,
// with the nearest known name when the key looks like a typo of it.
func unknownField(path, key string, known []string) error {
	switch {
	case path == key && (key == "Report" || key == "ReporterInfo" || key == "Version" || key == "xarf_version"):
		return invalid(path, "is not a field of tldguard's report format; if this is an XARF report, send it with Content-Type %s", MediaTypeXARF)
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return invalid(path, "is not a known field; did you mean %q?", best)
	}
	return invalid(path, "is not a known field; the fields here are %s", strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance between short strings, capped to
// keep a hostile key from costing much.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
