package reportfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"

	"github.com/tldguard/tldguard"
)

// Mail formats, as recorded in tldguard.Report.Format for a report that
// arrived by e-mail. The raw message is always what is stored; the format
// says which part of it tldguard read the report from.
const (
	FormatMailARF       = "mail/arf"        // RFC 5965 feedback report
	FormatMailXARF      = "mail/xarf"       // XARF v4 or v3 JSON carried in the mail
	FormatMailTldguard  = "mail/tldguard"   // tldguard's own JSON carried in the mail
	FormatMailXARFLeg   = "mail/x-arf"      // legacy X-ARF 0.1/0.2 mail (YAML second part)
	FormatMailIODEF     = "mail/iodef"      // IODEF v2 (RFC 7970) XML attachment
	FormatMailPlain     = "mail/plain"      // a human-written mail; names read from its text
	FormatMailBounce    = "mail/bounce"     // a delivery status or read notification: not a report
	FormatMailAutoReply = "mail/auto-reply" // an automatic reply (RFC 3834 auto-replied): not a report
)

// Category values of reports read from plain mail, where tldguard infers
// the threat type from the words of the message rather than from a field.
const (
	// CategoryUnclassified marks a plain mail that names no threat: it is
	// filed as phishing (the threat the public reports most by far) for an
	// analyst to classify.
	CategoryUnclassified = "unclassified"
	// CategoryInferredPrefix starts the Category of a plain mail whose
	// threat type was inferred from a keyword, e.g. `inferred from "phish"`.
	CategoryInferredPrefix = "inferred from "
	// CategoryNotAReport marks bounces and automatic replies.
	CategoryNotAReport = "not a report"
)

// MailLimits caps what DecodeMail reads from one message. A zero (or
// negative) field takes its default, so MailLimits{} means the defaults.
// Exceeding a cap inside the message is never an error: what is beyond it
// is left unread, named in MailReport.Notes, and stays in the raw message,
// which the caller keeps whole.
type MailLimits struct {
	// Limits caps each report read from the message (names, evidence, text).
	Limits
	// MaxMessageBytes refuses a larger message outright (ETOOLARGE).
	// Default 32 MiB.
	MaxMessageBytes int64
	// MaxHeaderBytes caps one header section (the message's or a part's).
	// Default 256 KiB.
	MaxHeaderBytes int
	// MaxParts caps the MIME parts read, at every level together. Default 200.
	MaxParts int
	// MaxDepth caps the nesting of multiparts and attached messages. Default 8.
	MaxDepth int
	// MaxDecodedBytes caps the bytes decoded (base64, quoted-printable) from
	// all parts together. Default 64 MiB.
	MaxDecodedBytes int64
	// MaxTextBytes caps the text read from text/plain and text/html parts
	// together, for names and the description. Default 1 MiB.
	MaxTextBytes int64
	// MaxDocumentBytes caps one structured part: a feedback report, an
	// X-ARF YAML part, an XARF or tldguard JSON or IODEF XML attachment.
	// Default 2 MiB.
	MaxDocumentBytes int64
	// MaxReports caps the reports one message may carry (structured
	// attachments, IODEF incidents). Default 10.
	MaxReports int
	// InScope, when set, decides which names found in the free text of a
	// plain mail are kept: a mail's text names many hosts (signatures,
	// quoted headers, links to the reporter's own site), and only those in
	// the operator's TLDs are of interest. It is given the host name as
	// written (after refanging). Names in structured fields (Reported-Domain,
	// XARF, IODEF) are always kept; the caller drops those out of scope.
	InScope func(host string) bool
}

// DefaultMailLimits returns the default caps (see MailLimits).
func DefaultMailLimits() MailLimits { return MailLimits{}.withDefaults() }

func (l MailLimits) withDefaults() MailLimits {
	l.Limits = l.Limits.withDefaults()
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxMessageBytes, 32<<20)
	defInt(&l.MaxHeaderBytes, 256<<10)
	defInt(&l.MaxParts, 200)
	defInt(&l.MaxDepth, 8)
	def(&l.MaxDecodedBytes, 64<<20)
	def(&l.MaxTextBytes, 1<<20)
	def(&l.MaxDocumentBytes, 2<<20)
	defInt(&l.MaxReports, 10)
	return l
}

// MailReport is what DecodeMail reads from one message: the report or
// reports it carries and what the caller needs to decide who sent it and
// whether to answer.
type MailReport struct {
	// Format is the kind of mail (FormatMail...).
	Format string
	// Reports holds at least one report. A mail that names nothing still
	// yields one, with no names, so that it is kept and answered.
	Reports []*tldguard.ReportInput

	// Header is the message's own header section, keys in canonical form.
	Header textproto.MIMEHeader
	// From is the address of the first From mailbox, lower case ("" when
	// the header is missing or unreadable); FromName its display name.
	From, FromName string
	// ReturnPath is the Return-Path header's address ("" for "<>");
	// HasReturnPath says whether the header was there at all. (A listener
	// knows the envelope sender better; an imported message only has this.)
	ReturnPath    string
	HasReturnPath bool
	MessageID     string // without angle brackets
	Subject       string // RFC 2047 words decoded
	// Automatic is why the mail must not be answered automatically, or ""
	// (RFC 3834 Auto-Submitted, Precedence bulk/junk/list, a mailing list,
	// a bounce or read notification, a null or daemon sender, ...).
	Automatic string
	// AuthResults are the message's Authentication-Results header fields
	// (RFC 8601), parsed, in header order. Only the caller knows which
	// authserv-ids to trust.
	AuthResults []AuthResults
	// Notes say what the decoder skipped or cut, for the receipt.
	Notes []string
	// Ignored lists (up to 10) hosts named in the free text that InScope
	// refused; IgnoredCount counts them all.
	Ignored      []string
	IgnoredCount int

	ignored map[string]bool // the hosts counted in IgnoredCount
}

// maxNotes bounds MailReport.Notes; a hostile message could otherwise make
// one note per part.
const maxNotes = 20

func (m *MailReport) note(format string, args ...any) {
	switch {
	case len(m.Notes) < maxNotes:
		m.Notes = append(m.Notes, fmt.Sprintf(format, args...))
	case len(m.Notes) == maxNotes:
		m.Notes = append(m.Notes, "further notes about this message were left out")
	}
}

// DecodeMail reads a raw RFC 5322 message and returns the reports it
// carries, in this order of precedence:
//
//   - a bounce (multipart/report delivery-status, disposition-notification)
//     or an automatic reply (Auto-Submitted: auto-replied and its vendor
//     forms) is not a report: one report with no names, Format
//     FormatMailBounce or FormatMailAutoReply;
//   - an ARF report (RFC 5965: multipart/report; report-type=feedback-report
//     with a message/feedback-report part), including XARF carried as ARF
//     with Feedback-Type: xarf;
//   - a legacy X-ARF 0.1/0.2 mail (X-ARF: YES or X-XARF header, the
//     machine-readable YAML second part);
//   - XARF (v4 or v3) or tldguard JSON attachments and IODEF v2 XML
//     attachments, one report each (IODEF: one per Incident);
//   - otherwise a plain mail: the names and URLs in its text and HTML
//     parts, including defanged ones, filtered by lim.InScope, with the
//     threat type inferred from its words (see inferThreat).
//
// The message is walked once, streaming: only the parts tldguard reads
// (text, structured documents, evidence within the evidence caps) are
// decoded into memory, each within its cap, so a 25 MB message costs little
// more than its raw bytes. Parts beyond a cap are named in Notes and left in
// the raw message.
//
// Errors are *tldguard.Error values: ETOOLARGE when raw is over
// MaxMessageBytes or its header section over MaxHeaderBytes, EINVALID when
// raw is empty. Anything else a sender can get wrong is read around and
// noted, since the caller keeps and answers every message.
func DecodeMail(raw []byte, lim MailLimits) (*MailReport, error) {
	lim = lim.withDefaults()
	if len(raw) == 0 {
		return nil, invalid("", "the message is empty")
	}
	if int64(len(raw)) > lim.MaxMessageBytes {
		return nil, tooLarge("", "the message is %s; the limit is %s", size(int64(len(raw))), size(lim.MaxMessageBytes))
	}
	d := newMailDecoder(raw, lim)
	buf := scratchPool.Get().(*[]byte)
	d.scratch = (*buf)[:0]
	err := d.decode()
	if cap(d.scratch) <= maxPooledScratch {
		*buf = d.scratch[:0]
		scratchPool.Put(buf)
	}
	if err != nil {
		return nil, err
	}
	return d.m, nil
}

// scratchPool keeps the buffers parts are read into between messages, so
// that a busy listener does not grow a new one (to the evidence cap, for a
// large attachment) for every message. Buffers larger than
// maxPooledScratch are left to the garbage collector.
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledScratch = 8 << 20

// addrOf returns the first mailbox of an address-list header value, its
// address in lower case and its display name. It is lenient: when the value
// does not parse, the first <...@...> or bare word with an @ is taken.
func addrOf(v string) (addr, name string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ""
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil && len(list) > 0 {
		return strings.ToLower(list[0].Address), list[0].Name
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 && strings.Contains(v[i:i+j], "@") {
			return strings.ToLower(strings.TrimSpace(v[i+1 : i+j])), strings.Trim(strings.TrimSpace(v[:i]), `"`)
		}
	}
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, `<>",;`)
		if strings.Count(f, "@") == 1 && !strings.HasPrefix(f, "@") && !strings.HasSuffix(f, "@") {
			return strings.ToLower(f), ""
		}
	}
	return "", ""
}

// messageID returns a Message-ID without its angle brackets and space.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// textPart is the text of a text/plain or text/html part.
type textPart struct {
	part part
	html bool
	text string
}

// doc is a structured attachment: JSON (XARF, tldguard) or XML (IODEF).
type doc struct {
	part    part
	json    bool
	content []byte
}

// mailDecoder holds the state of one DecodeMail: the walk's budgets and
// what it found, assembled into reports at the end.
type mailDecoder struct {
	raw []byte
	lim MailLimits
	m   *MailReport

	arf    bool // an RFC 5965 feedback report
	legacy bool // a legacy X-ARF mail

	parts                             int
	decoded, textBytes, evidenceBytes int64
	stopped, textCut                  bool
	texts                             []textPart
	docs                              []doc
	feedback                          textproto.MIMEHeader
	yaml                              []byte
	evidence                          []tldguard.EvidenceInput
	evidenceSubject                   string
	scratch                           []byte // reused by readInto
}

func newMailDecoder(raw []byte, lim MailLimits) *mailDecoder {
	return &mailDecoder{raw: raw, lim: lim, m: &MailReport{}}
}

func (d *mailDecoder) decode() error {
	br := bufio.NewReaderSize(bytes.NewReader(d.raw), 16<<10)
	h, skipped, err := readHeader(br, d.lim.MaxHeaderBytes)
	if err != nil {
		return tooLarge("", "the message's header section is larger than %s", size(int64(d.lim.MaxHeaderBytes)))
	}
	if skipped > 0 {
		d.m.note("%d header lines that are not header fields were skipped", skipped)
	}
	d.m.Header = h
	d.meta(h)
	mt, params := contentType(h, "")
	reportType := strings.ToLower(params["report-type"])
	if why := d.notAReport(h, mt, reportType); why != "" {
		in := &tldguard.ReportInput{
			Format: d.m.Format, ThreatType: tldguard.ThreatOutOfScope, Category: CategoryNotAReport,
			Description: truncate(why+".\n\nSubject: "+d.m.Subject, d.lim.MaxTextLen),
		}
		d.m.Reports = []*tldguard.ReportInput{in}
		return nil
	}
	d.arf = mt == "multipart/report" && reportType == "feedback-report"
	d.legacy = isLegacyXARF(h)
	d.entity(h, br, part{})
	d.assemble()
	return nil
}

// meta reads the header fields the caller needs.
func (d *mailDecoder) meta(h textproto.MIMEHeader) {
	m := d.m
	m.From, m.FromName = addrOf(h.Get("From"))
	if rp, ok := h["Return-Path"]; ok && len(rp) > 0 {
		m.HasReturnPath = true
		if v := strings.TrimSpace(rp[0]); v != "<>" && v != "" {
			m.ReturnPath, _ = addrOf(v)
		}
	}
	m.MessageID = truncate(messageID(h.Get("Message-Id")), 998)
	m.Subject = truncate(strings.Join(strings.Fields(decodeHeader(h.Get("Subject"))), " "), 998)
	for _, v := range h["Authentication-Results"] {
		if ar, ok := ParseAuthenticationResults(v); ok {
			m.AuthResults = append(m.AuthResults, ar)
		}
	}
	m.Automatic = automatic(h, m)
}

// automatic says why a mail must not be answered automatically (RFC 3834
// and the conventions mail systems follow), or returns "".
func automatic(h textproto.MIMEHeader, m *MailReport) string {
	word := func(v string) string {
		v, _, _ = strings.Cut(v, ";")
		return strings.ToLower(strings.TrimSpace(v))
	}
	if v := h.Get("Auto-Submitted"); v != "" && word(v) != "no" {
		return "it is marked Auto-Submitted: " + word(v)
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autogenerated"} {
		if v := h.Get(k); v != "" && word(v) != "no" {
			return "it is marked " + k
		}
	}
	switch p := word(h.Get("Precedence")); p {
	case "bulk", "junk", "list", "auto_reply":
		return "it is marked Precedence: " + p
	}
	if h.Get("List-Id") != "" {
		return "it is mailing-list mail (List-Id)"
	}
	if v := word(h.Get("X-Auto-Response-Suppress")); v != "" && v != "none" {
		return "it asks for no automatic answer (X-Auto-Response-Suppress)"
	}
	if m.HasReturnPath && m.ReturnPath == "" {
		return "its return path is empty (<>)"
	}
	for _, a := range []string{m.From, m.ReturnPath} {
		if daemonAddress(a) {
			return "it comes from " + a
		}
	}
	return ""
}

// daemonAddress reports whether an address is a mail system's own
// (MAILER-DAEMON, postmaster) or declares it reads no answers.
func daemonAddress(a string) bool {
	local, _, ok := strings.Cut(strings.ToLower(a), "@")
	if !ok {
		return false
	}
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "noreply", "no-reply", "do-not-reply", "donotreply":
		return true
	}
	return false
}

// bounceWords are subject phrases of non-delivery reports sent without a
// multipart/report (older MTAs).
var bounceWords = []string{"undeliver", "delivery status notification", "delivery failure", "failure notice",
	"returned mail", "mail delivery failed", "delivery has failed", "non-delivery", "delivery notification"}

// notAReport classifies bounces, read notifications and automatic replies
// and sets the format for them; it returns "" for a mail that may be a
// report.
func (d *mailDecoder) notAReport(h textproto.MIMEHeader, mt, reportType string) string {
	m := d.m
	if mt == "multipart/report" {
		switch reportType {
		case "delivery-status", "global-delivery-status":
			m.Format = FormatMailBounce
			return "A delivery status notification (a bounce), not a threat report"
		case "disposition-notification", "global-disposition-notification":
			m.Format = FormatMailBounce
			return "A read or disposition notification, not a threat report"
		}
	}
	if daemonAddress(m.From) || (m.HasReturnPath && m.ReturnPath == "") {
		subj := strings.ToLower(m.Subject)
		for _, w := range bounceWords {
			if strings.Contains(subj, w) {
				m.Format = FormatMailBounce
				return "A non-delivery report from a mail system, not a threat report"
			}
		}
	}
	v, _, _ := strings.Cut(h.Get("Auto-Submitted"), ";")
	auto := strings.EqualFold(strings.TrimSpace(v), "auto-replied") || h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != ""
	if auto || strings.HasPrefix(strings.ToLower(m.Subject), "automatic reply:") {
		m.Format = FormatMailAutoReply
		if m.Automatic == "" {
			m.Automatic = "it is an automatic reply"
		}
		return "An automatic reply (such as an out-of-office notice), not a threat report"
	}
	return ""
}

// assemble turns what the walk found into reports.
func (d *mailDecoder) assemble() {
	m := d.m
	switch {
	case d.arf && d.feedback != nil:
		m.Reports = d.arfReports()
	case d.arf:
		m.note("the message is marked as a feedback report (multipart/report) but has no message/feedback-report part; it was read as a plain mail")
	case d.legacy && d.yaml != nil:
		m.Format = FormatMailXARFLeg
		m.Reports = []*tldguard.ReportInput{d.legacyReport()}
	case d.legacy:
		m.note("the message is marked as X-ARF but has no machine-readable second part; it was read as a plain mail")
	}
	if len(m.Reports) == 0 {
		m.Reports = d.docReports(false)
	}
	if len(m.Reports) == 0 {
		m.Format = FormatMailPlain
		m.Reports = []*tldguard.ReportInput{d.plainReport()}
	}
	d.attachEvidence(m.Reports[0])
}

// attachEvidence adds the mail's attachments to the first report, within
// the report's evidence caps (the report may carry its own already).
func (d *mailDecoder) attachEvidence(in *tldguard.ReportInput) {
	var total int64
	for _, e := range in.Evidence {
		total += int64(len(e.Content))
	}
	for _, e := range d.evidence {
		if len(in.Evidence) >= d.lim.MaxEvidence || total+int64(len(e.Content)) > d.lim.MaxTotalEvidenceBytes {
			d.m.note("attachment %q was not kept as evidence: the report already holds as much evidence as allowed; it stays in the stored message", e.Filename)
			continue
		}
		total += int64(len(e.Content))
		in.Evidence = append(in.Evidence, e)
	}
}

// bodyText returns the mail's own text for a description: its first
// text/plain part outside attached messages, else its first HTML part's
// text, else "".
func (d *mailDecoder) bodyText() string {
	var html string
	for _, t := range d.texts {
		if t.part.inMessage || t.part.attachment {
			continue
		}
		if !t.html {
			return t.text
		}
		if html == "" {
			html = t.text
		}
	}
	return html
}

// Effective returns l with each zero field at its default, as the decoders
// apply them.
func (l Limits) Effective() Limits { return l.withDefaults() }
