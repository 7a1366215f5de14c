package service

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/tldguard/tldguard"
)

// The notice templates: plain text (text/template), one file per kind,
// built in (templates/*.txt) and replaceable by the operator with files of
// the same names in a directory. A template's output starts with a
// "Subject: ..." line and a blank line; the rest is the body.

//go:embed templates/*.txt
var builtinTemplates embed.FS

// maxTemplateBytes bounds an operator's template file.
const maxTemplateBytes = 64 << 10

// Templates are the parsed notice templates, one per kind.
type Templates struct {
	byKind map[tldguard.NoticeKind]*template.Template
	source map[tldguard.NoticeKind]string // "built-in" or the file's path
}

// TemplateFile returns the file name of a kind's template, e.g. "ack.txt".
func TemplateFile(kind tldguard.NoticeKind) string { return string(kind) + ".txt" }

// LoadTemplates returns the built-in templates with those in dir (if dir
// is not "" and exists) in their place. Every template is parsed and run
// against sample data of its kind, both full and empty, so a bad one
// refuses the start with an EINVALID error naming the file and the
// problem; a file whose name is not a template's (a typo) is refused too.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{byKind: map[tldguard.NoticeKind]*template.Template{}, source: map[tldguard.NoticeKind]string{}}
	for _, k := range NoticeKinds {
		b, err := builtinTemplates.ReadFile("templates/" + TemplateFile(k))
		if err != nil {
			return nil, tldguard.Internal(err, "built-in template")
		}
		if err := t.add(k, "built-in "+TemplateFile(k), string(b)); err != nil {
			return nil, tldguard.Internal(err, "built-in template")
		}
	}
	if dir == "" {
		return t, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "templates", "cannot read %s: %v", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".txt") {
			continue // editor backups, READMEs
		}
		path := filepath.Join(dir, name)
		kind := tldguard.NoticeKind(strings.TrimSuffix(name, ".txt"))
		if !slices.Contains(NoticeKinds, kind) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "templates", "%s: no notice is called %q; the templates are %s", path, strings.TrimSuffix(name, ".txt"), templateList())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "templates", "%s: %v", path, err)
		}
		if len(b) > maxTemplateBytes {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "templates", "%s: larger than %d bytes", path, maxTemplateBytes)
		}
		if err := t.add(kind, path, string(b)); err != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "templates", "%v", err)
		}
	}
	return t, nil
}

func templateList() string {
	var names []string
	for _, k := range NoticeKinds {
		names = append(names, TemplateFile(k))
	}
	return strings.Join(names, ", ")
}

// add parses and checks one template.
func (t *Templates) add(kind tldguard.NoticeKind, source, text string) error {
	tpl, err := template.New(TemplateFile(kind)).Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %v", source, err)
	}
	for _, sample := range sampleData(kind) {
		if _, _, err := execute(tpl, sample); err != nil {
			return fmt.Errorf("%s: %v", source, err)
		}
	}
	t.byKind[kind], t.source[kind] = tpl, source
	return nil
}

// Source says where a kind's template came from ("built-in ack.txt" or the
// operator's file), for the start-up log.
func (t *Templates) Source(kind tldguard.NoticeKind) string { return t.source[kind] }

// render runs a kind's template and returns the subject and body.
func (t *Templates) render(kind tldguard.NoticeKind, data any) (subject, body string, err error) {
	tpl := t.byKind[kind]
	if tpl == nil {
		return "", "", fmt.Errorf("no template for %q", kind)
	}
	return execute(tpl, data)
}

func execute(tpl *template.Template, data any) (subject, body string, err error) {
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return "", "", err
	}
	out := strings.ReplaceAll(b.String(), "\r\n", "\n")
	head, body, ok := strings.Cut(out, "\n\n")
	subject, found := strings.CutPrefix(head, "Subject:")
	switch {
	case !found:
		return "", "", errors.New(`the output must start with a "Subject: ..." line`)
	case !ok || strings.Contains(head, "\n"):
		return "", "", errors.New("the Subject line must be one line followed by a blank line, then the body")
	}
	subject = strings.TrimSpace(subject)
	body = strings.TrimLeft(body, "\n")
	if subject == "" {
		return "", "", errors.New("the subject is empty")
	}
	if strings.TrimSpace(body) == "" {
		return "", "", errors.New("the body is empty")
	}
	return subject, strings.TrimRight(body, "\n") + "\n", nil
}

// templateFuncs are the functions templates may call.
var templateFuncs = template.FuncMap{
	// date formats a time in UTC, e.g. "2026-11-02 09:30 UTC"; a zero
	// time is "not set".
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "not set"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// duration writes a duration in hours and minutes, e.g. "5h 30m".
	"duration": func(d time.Duration) string {
		d = d.Round(time.Minute)
		if d < 0 {
			d = -d
		}
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		switch {
		case h == 0:
			return fmt.Sprintf("%dm", m)
		case m == 0:
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	},
	"join": strings.Join,
	// defang makes a URL or host name safe to show in mail (not a link,
	// not flagged by filters): hxxp://bad[.]example/login.
	"defang": defang,
}

func defang(s string) string {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		s = "hxxp" + s[len("http"):]
	}
	// Only the host's dots: a path may hold anything.
	scheme, rest, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		scheme, rest = "", s
	}
	host, path, _ := strings.Cut(rest, "/")
	host = strings.ReplaceAll(host, ".", "[.]")
	out := host
	if strings.Contains(rest, "/") {
		out += "/" + path
	}
	if hasScheme {
		out = scheme + "://" + out
	}
	return out
}

// sampleData returns data to check a kind's template with: one full, one
// with every list empty and optional value zero.
func sampleData(kind tldguard.NoticeKind) []any {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	common := NoticeData{Kind: string(kind), Operator: "NIC Example", Contact: "abuse@nic.example", PublicURL: "https://abuse.nic.example"}
	bare := NoticeData{Kind: string(kind), Operator: "the registry operator"}
	c := NoticeCase{Number: "TG-0000042", ID: 42, Domain: "bad.example", ThreatType: tldguard.ThreatPhishing, Priority: tldguard.PriorityHigh,
		Status: tldguard.StatusOpen, Registered: true, RegistrarName: "Alpha Names", OpenedAt: at, ResponseDueAt: at.Add(24 * time.Hour),
		URL: "https://abuse.nic.example/cases/42"}
	bareCase := NoticeCase{Number: "TG-0000001", ID: 1, Domain: "x.example", ThreatType: tldguard.ThreatOutOfScope, Priority: tldguard.PriorityStandard, Status: tldguard.StatusClosed}
	switch kind {
	case tldguard.NoticeAck:
		return []any{
			AckData{NoticeData: common, ReportID: 7, ReceivedAt: at, Priority: c.Priority, ResponseDueAt: c.ResponseDueAt,
				Cases: []NoticeCase{c, bareCase}, CaseNumbers: []string{c.Number, bareCase.Number}, OutOfScope: true, Category: "copyright"},
			AckData{NoticeData: bare},
		}
	case noticeOutcome:
		return []any{
			OutcomeData{NoticeData: common, Case: c, Action: tldguard.ActionNoAction, Outcome: "The registry took no action.", Reason: "false positive", DoneAt: at, Closed: true},
			OutcomeData{NoticeData: bare, Case: bareCase, Action: tldguard.ActionHold, Outcome: "held"},
		}
	case noticeRequestInfo:
		return []any{
			RequestInfoData{NoticeData: common, Case: c, ReportID: 7, Question: "Please send a screenshot.", Useful: usefulEvidence(tldguard.ThreatPhishing)},
			RequestInfoData{NoticeData: bare, Case: bareCase},
		}
	case noticeReferral:
		return []any{
			ReferralData{NoticeData: common, Case: c, ReferralID: 9, RegistrarID: "9001", RegistrarName: "Alpha Names",
				Classification: tldguard.ClassMalicious, Targets: []string{"https://bad.example/login", "bad.example"},
				Evidence: []NoticeEvidence{
					{Filename: "shot.png", MediaType: "image/png", Size: 73, SHA256: strings.Repeat("ab", 32), Description: "screenshot", Attached: true},
					{URL: "https://evidence.example/1", Description: "archived copy"},
				},
				AnswerDueAt: at.Add(48 * time.Hour), AnswerURL: "https://abuse.nic.example/api/v1/referrals/9/answer",
				ReferralsURL: "https://abuse.nic.example/api/v1/referrals", PortalURL: "https://abuse.nic.example/", Attachment: "xarf-TG-0000042.json"},
			ReferralData{NoticeData: bare, Case: bareCase},
		}
	case noticeAlert:
		return []any{
			AlertData{NoticeData: common, Case: c, Stage: "missed", Missed: true, RaisedAt: at, Late: time.Hour, RespondedAt: at},
			AlertData{NoticeData: bare, Case: bareCase, Stage: "near_end"},
		}
	}
	return nil
}

// NoticeData is what every template can use.
type NoticeData struct {
	Kind      string // the notice kind: ack, outcome, request_info, referral, alert
	Operator  string // the operator's name
	Contact   string // the operator's address (the From address), "" when not configured
	PublicURL string // tldguard's base URL as reporters and registrars reach it, "" when not configured
}

// NoticeCase is a case as notices show it.
type NoticeCase struct {
	ID            int64
	Number        string // "TG-0000042"
	Domain        string // the registered name, A-labels
	ThreatType    tldguard.ThreatType
	Priority      tldguard.Priority
	Status        tldguard.CaseStatus
	Registered    bool
	RegistrarName string
	OpenedAt      time.Time
	ResponseDueAt time.Time
	URL           string // the case's page, "" without PublicURL
}

// AckData is ack.txt's data: the acknowledgement of a report.
type AckData struct {
	NoticeData
	ReportID      int64
	ReceivedAt    time.Time
	Priority      tldguard.Priority // the highest of the cases'
	ResponseDueAt time.Time         // the earliest of the cases'
	Cases         []NoticeCase      // empty when no name was in the operator's TLDs
	CaseNumbers   []string
	OutOfScope    bool   // the report's threat is outside DNS abuse
	Category      string // the reporter's own word for an out-of-scope threat
}

// OutcomeData is outcome.txt's data: what was done about a case.
type OutcomeData struct {
	NoticeData
	Case    NoticeCase
	Action  tldguard.ActionKind // hold, lock, ..., no_action
	Outcome string              // the action in words
	Reason  string              // for no_action: why none
	DoneAt  time.Time
	Closed  bool // the case is closed
}

// RequestInfoData is request_info.txt's data: a request for more evidence.
type RequestInfoData struct {
	NoticeData
	Case     NoticeCase
	ReportID int64
	Question string   // the analyst's question, "" when none was written
	Useful   []string // the evidence that helps for the case's threat type
}

// ReferralData is referral.txt's data: the referral to the sponsoring
// registrar's abuse contact.
type ReferralData struct {
	NoticeData
	Case           NoticeCase
	ReferralID     int64 // the referral's id in the API
	RegistrarID    string
	RegistrarName  string
	Classification tldguard.Classification
	Targets        []string // the reported URLs and host names under the domain
	Evidence       []NoticeEvidence
	AnswerDueAt    time.Time
	AnswerURL      string // POST here to answer, "" without PublicURL
	ReferralsURL   string // GET lists the registrar's referrals, "" without PublicURL
	PortalURL      string // the portal's sign-in page, "" without PublicURL
	Attachment     string // the XARF report's file name
}

// NoticeEvidence is one item of evidence in a referral.
type NoticeEvidence struct {
	Filename    string
	MediaType   string
	Size        int64
	SHA256      string // hex; "" for a URL-only item
	URL         string // for a URL-only item (never fetched)
	Description string
	Attached    bool // its content is in the XARF attachment
}

// AlertData is alert.txt's data: a response clock near its end or past it.
type AlertData struct {
	NoticeData
	Case        NoticeCase
	Stage       string // "near_end" or "missed"
	Missed      bool
	RaisedAt    time.Time
	Left        time.Duration // near_end: time left when raised
	Late        time.Duration // missed: how late when raised
	RespondedAt time.Time     // set when the case got its response since
}
