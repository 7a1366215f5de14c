package reportfmt

import (
	"strings"

	"github.com/tldguard/tldguard"
)

// ARF, the Abuse Reporting Format (RFC 5965), is what mailbox providers'
// feedback loops and many abuse desks send: a multipart/report with
// report-type=feedback-report holding a human-readable part, a
// machine-readable message/feedback-report part, and the reported message
// (message/rfc822, or its header only as text/rfc822-headers). The
// machine-readable part is header-like; the fields read here are those
// RFC 5965 §3 and the IANA MARF registry define: Feedback-Type, User-Agent,
// Version (required), Original-Envelope-Id, Original-Mail-From,
// Arrival-Date, Reporting-MTA, Source-IP, Incidents (once),
// Authentication-Results, Original-Rcpt-To, Reported-Domain, Reported-URI
// (repeatable).
//
// XARF uses the same envelope to travel by mail: Feedback-Type "xarf" and
// the XARF JSON as the third part (see https://github.com/abusix/xarf,
// "XARF via SMTP").

// arfThreats maps a Feedback-Type to a threat type. RFC 5965 §7.3: abuse is
// "unsolicited email or some other kind of email abuse", fraud "some kind
// of fraud or phishing activity", virus "a virus found in the originating
// message". Spam is in scope only as the vector of the other threats; the
// analyst sees the reported message to judge. not-spam and auth-failure
// (RFC 6591, an authentication failure report) are not abuse by the names
// they carry.
var arfThreats = map[string]tldguard.ThreatType{
	"abuse":        tldguard.ThreatSpam,
	"fraud":        tldguard.ThreatPhishing,
	"virus":        tldguard.ThreatMalware,
	"not-spam":     tldguard.ThreatOutOfScope,
	"auth-failure": tldguard.ThreatOutOfScope,
}

// arfReports assembles the report of an ARF mail.
func (d *mailDecoder) arfReports() []*tldguard.ReportInput {
	f := d.feedback
	ft := strings.ToLower(strings.TrimSpace(f.Get("Feedback-Type")))
	if ft == "xarf" {
		if reports := d.docReports(true); len(reports) > 0 {
			d.m.Format = FormatMailXARF
			return reports
		}
		d.m.note("the feedback report says Feedback-Type: xarf but carries no readable XARF part; it was read as an ARF report")
	}
	d.m.Format = FormatMailARF
	in := &tldguard.ReportInput{Format: FormatMailARF, NamesField: "Reported-Domain, Reported-URI"}
	names := newNameSet(d.lim.Limits, d.m)
	for _, v := range f["Reported-Domain"] {
		for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			names.add(n)
		}
	}
	for _, v := range f["Reported-Uri"] {
		names.add(strings.Trim(strings.TrimSpace(v), "<>"))
	}
	if len(names.list) == 0 {
		// Without Reported-* fields the names are those the reported
		// message links to: what a spam run advertises.
		in.NamesField = "the reported message"
		for _, t := range d.texts {
			if t.part.evidence {
				names.extract(t.text, d.lim.InScope)
			}
		}
	}
	in.Names = names.list

	if ft == "" {
		d.m.note("the feedback report has no Feedback-Type; it was read as abuse")
		ft = "abuse"
	}
	human := ""
	for _, t := range d.texts {
		if t.part.top() && !t.part.evidence {
			human = strings.TrimSpace(t.text)
			break
		}
	}
	if t, ok := arfThreats[ft]; ok {
		in.ThreatType = t
		if t == tldguard.ThreatOutOfScope {
			in.Category = ft
		}
	} else {
		// "other" and unregistered types: the human part may say more.
		in.ThreatType, in.Category = inferThreat(human + "\n" + d.evidenceSubject)
		if in.Category == CategoryUnclassified {
			in.ThreatType, in.Category = tldguard.ThreatOutOfScope, "arf "+truncate(ft, 40)
		}
	}

	var fs facts
	if v := f.Get("Version"); v != "" {
		ft += ", Version " + v
	}
	fs.add("ARF report", "Feedback-Type "+ft)
	fs.add("Reporting software", f.Get("User-Agent"))
	fs.add("Source IP", f.Get("Source-Ip"))
	fs.add("Arrival date", f.Get("Arrival-Date"))
	fs.add("Original mail from", f.Get("Original-Mail-From"))
	fs.add("Original recipients", strings.Join(f["Original-Rcpt-To"], ", "))
	fs.add("Reporting MTA", f.Get("Reporting-Mta"))
	fs.add("Original envelope id", f.Get("Original-Envelope-Id"))
	fs.add("Incidents", f.Get("Incidents"))
	fs.add("Authentication results of the reported message", strings.Join(f["Authentication-Results"], "; "))
	fs.add("Subject of the reported message", d.evidenceSubject)
	if in.NamesField == "the reported message" && len(in.Names) > 0 {
		fs.add("Names", "read from the links of the reported message (the report has no Reported-Domain or Reported-URI)")
	}
	in.Description = fs.describe(human, d.lim.MaxTextLen)
	return []*tldguard.ReportInput{in}
}

// docReports decodes the structured attachments found by the walk: JSON
// (XARF or tldguard's own) and, unless jsonOnly, IODEF XML. A document
// that does not decode is named in a note and skipped.
func (d *mailDecoder) docReports(jsonOnly bool) []*tldguard.ReportInput {
	var out []*tldguard.ReportInput
	for _, doc := range d.docs {
		room := d.lim.MaxReports - len(out)
		if room <= 0 {
			d.m.note("the mail carries more than %d reports; only the first %d were read", d.lim.MaxReports, d.lim.MaxReports)
			break
		}
		if doc.json {
			in, err := Decode(doc.content, MediaTypeJSON, d.lim.Limits)
			if err != nil {
				d.m.note("%s was not read as a report: %s", doc.part.name(), tldguard.ErrorMessage(err))
				continue
			}
			switch in.Format {
			case FormatXARF:
				in.Format = FormatMailXARF
			case FormatTldguard:
				in.Format = FormatMailTldguard
			}
			if d.m.Format == "" {
				d.m.Format = in.Format
			}
			out = append(out, in)
			continue
		}
		if jsonOnly {
			continue
		}
		ins, err := decodeIODEF(doc.content, d.lim.Limits, room)
		switch {
		case err == errNotIODEF:
			// some other XML attachment
		case err != nil:
			d.m.note("%s was not read as an IODEF report: %s", doc.part.name(), tldguard.ErrorMessage(err))
		default:
			if d.m.Format == "" {
				d.m.Format = FormatMailIODEF
			}
			out = append(out, ins...)
		}
	}
	return out
}
