package reportfmt

import (
	"encoding/json"
	"strings"

	"github.com/tldguard/tldguard"
)

// xarf3 decodes one XARF v3 report (abusix schemas alpha, 1, 2 and 3):
//
//	{"Version": "3", "ReporterInfo": {...}, "Disclosure": true,
//	 "Report": {"ReportClass": "Content", "ReportType": "Phishing",
//	            "Date": "...", "SourceIp": "...", "SourceUrl": "...",
//	            "Samples": [{"ContentType": "text/html", "Base64Encoded": false,
//	                         "Description": "...", "Payload": "..."}]}}
type xarf3 struct {
	r   *reader
	lim Limits
	b   budget

	version, reporter, onBehalfOf string
	report                        bool

	class, typ, subtype, sourceURL, rpzDomain, notes string
	mailFrom                                         string
	evidence                                         []tldguard.EvidenceInput

	// informational, for the Description only
	date, firstSeen, sourceIP, caseID, malware, botnet, file, material string
	contentless                                                        []string
}

func decodeXARF3(r *reader, lim Limits) (*tldguard.ReportInput, error) {
	d := &xarf3{r: r, lim: lim, b: budget{lim: lim}}
	if err := r.document(); err != nil {
		return nil, err
	}
	if err := r.members("", d.member); err != nil {
		return nil, err
	}
	if !d.report {
		return nil, invalid("Report", "is required: the XARF Report object with ReportClass, ReportType and SourceUrl")
	}
	if err := checkXARFWord("Report.ReportClass", d.class, "the XARF report class, e.g. Content"); err != nil {
		return nil, err
	}
	if err := checkXARFWord("Report.ReportType", d.typ, "the XARF report type, e.g. Phishing"); err != nil {
		return nil, err
	}
	in := &tldguard.ReportInput{Format: FormatXARF, Evidence: d.evidence}
	in.ThreatType, in.Category = xarfThreat(d.class, d.typ, "")
	switch {
	case strings.TrimSpace(d.sourceURL) != "":
		in.Names, in.NamesField = []string{d.sourceURL}, "Report.SourceUrl"
	case strings.TrimSpace(d.rpzDomain) != "":
		in.Names, in.NamesField = []string{d.rpzDomain}, "Report.RpzDomain"
	case in.ThreatType == tldguard.ThreatSpam && mailDomain(d.mailFrom) != "":
		// The sender's domain: it may be forged; the analyst judges.
		in.Names, in.NamesField = []string{mailDomain(d.mailFrom)}, "Report.SmtpMailFromAddress"
	default:
		msg := "is required: tldguard acts on domain names and URLs, and this report names none"
		if ip := strings.TrimSpace(d.sourceIP); ip != "" {
			msg += "; Report.SourceIp " + truncate(ip, 64) + " is an IP address, which a registry cannot act on"
		}
		return nil, invalid("Report.SourceUrl", "%s", msg)
	}
	var f facts
	kind := d.class + "/" + d.typ
	if s := strings.TrimSpace(d.subtype); s != "" {
		kind += ", subtype " + s
	}
	if v := strings.TrimSpace(d.version); v != "" {
		kind += " (XARF v3 schema " + v + ")"
	} else {
		kind += " (XARF v3)"
	}
	f.add("XARF report", kind)
	f.add("Reporter case ID", d.caseID)
	f.add("First seen", d.firstSeen)
	f.add("Observed", d.date)
	f.add("Source", d.sourceIP)
	if in.NamesField != "Report.RpzDomain" {
		f.add("RPZ domain", d.rpzDomain)
	}
	if in.NamesField != "Report.SmtpMailFromAddress" {
		f.add("SMTP sender", d.mailFrom)
	}
	f.add("Malware", d.malware)
	f.add("Botnet", d.botnet)
	f.add("Material", d.material)
	f.add("File", d.file)
	f.add("Samples listed without content", strings.Join(d.contentless, ", "))
	f.add("Reporter (as stated in the report, not verified)", d.reporter)
	f.add("On behalf of (as stated in the report, not verified)", d.onBehalfOf)
	in.Description = f.describe(d.notes, lim.MaxTextLen)
	return in, nil
}

func (d *xarf3) member(key, path string) error {
	var err error
	switch key {
	case "Version":
		d.version, err = scalar(d.r, path)
	case "ReporterInfo":
		d.reporter, err = contact(d.r, path, "ReporterOrg", "ReporterOrgEmail", "ReporterOrgDomain")
	case "OnBehalfOf":
		d.onBehalfOf, err = contact(d.r, path, "ComplainantOrg", "ComplainantOrgEmail", "ComplainantOrgDomain")
	case "Report":
		err = d.reportObject(path)
	default:
		err = d.r.skip(path) // Disclosure, InternalProcessing, ...
	}
	return err
}

func (d *xarf3) reportObject(path string) error {
	ok, err := d.r.object(path)
	if err != nil || !ok {
		return err
	}
	d.report = true
	return d.r.members(path, func(key, kpath string) error {
		var err error
		switch key {
		case "ReportClass":
			d.class, err = d.str(kpath, d.lim.MaxFieldLen)
		case "ReportType":
			d.typ, err = d.str(kpath, d.lim.MaxFieldLen)
		case "ReportSubType":
			d.subtype, err = d.r.loose(kpath)
		case "SourceUrl":
			d.sourceURL, err = d.str(kpath, d.lim.MaxNameLen)
		case "RpzDomain":
			d.rpzDomain, err = d.str(kpath, d.lim.MaxNameLen)
		case "SmtpMailFromAddress":
			d.mailFrom, err = d.str(kpath, d.lim.MaxNameLen)
		case "ReporterNotes":
			d.notes, err = d.str(kpath, d.lim.MaxTextLen)
		case "Samples":
			err = d.samples(kpath)
		case "Date":
			d.date, err = d.r.loose(kpath)
		case "FirstSeen":
			d.firstSeen, err = d.r.loose(kpath)
		case "SourceIp":
			d.sourceIP, err = d.r.loose(kpath)
		case "ReporterCaseID":
			d.caseID, err = d.r.loose(kpath)
		case "MalwareName":
			d.malware, err = d.r.loose(kpath)
		case "BotnetName":
			d.botnet, err = d.r.loose(kpath)
		case "FileName":
			d.file, err = d.r.loose(kpath)
		case "InfringedMaterial", "TrademarkedMaterial":
			var s string
			if s, err = d.r.loose(kpath); s != "" {
				d.material = s
			}
		default:
			err = d.r.skip(kpath)
		}
		return err
	})
}

// str reads a string the decoder uses: wrong kinds are errors.
func (d *xarf3) str(path string, max int) (string, error) {
	s, _, err := d.r.string(path)
	if err != nil {
		return "", err
	}
	return s, checkLen(path, s, max)
}

func (d *xarf3) samples(path string) error {
	ok, err := d.r.array(path)
	if err != nil || !ok {
		return err
	}
	return d.r.elements(path, func(_ int, ipath string) error {
		ok, err := d.r.object(ipath)
		if err != nil {
			return err
		}
		if !ok {
			return invalid(ipath, "is null; give an object with ContentType and Payload")
		}
		var ct, payload, desc, file string
		var b64, havePayload bool
		err = d.r.members(ipath, func(key, kpath string) error {
			var err error
			switch key {
			case "ContentType":
				ct, err = d.str(kpath, d.lim.MaxFieldLen)
			case "Base64Encoded":
				b64, _, err = d.r.bool(kpath)
			case "Description":
				desc, err = d.str(kpath, d.lim.MaxTextLen)
			case "Payload":
				payload, havePayload, err = d.r.string(kpath)
			case "FileName":
				file, err = d.str(kpath, d.lim.MaxFieldLen)
			default:
				err = d.r.skip(kpath) // FileSize, FileHash
			}
			return err
		})
		if err != nil {
			return err
		}
		if !havePayload || payload == "" {
			// The schema allows a sample that only describes a file.
			if name := baseName(file); name != "" {
				d.contentless = append(d.contentless, name)
				return nil
			}
			return invalid(ipath+".Payload", "is required: the sample itself (or at least its FileName)")
		}
		if err := d.b.item(path); err != nil {
			return err
		}
		e := tldguard.EvidenceInput{Filename: baseName(file), Description: desc}
		if e.MediaType, err = mediaType(ipath+".ContentType", ct, d.lim); err != nil {
			return err
		}
		if b64 {
			e.Content, err = d.b.base64(ipath+".Payload", payload)
		} else {
			e.Content = []byte(payload)
			err = d.b.add(ipath+".Payload", int64(len(e.Content)))
		}
		if err != nil {
			return err
		}
		d.evidence = append(d.evidence, e)
		return nil
	})
}

// scalar reads an informational string or number as text, skipping other
// kinds (XARF v3 "Version" is a string in the schemas, a number in some
// senders' output).
func scalar(r *reader, path string) (string, error) {
	t, err := r.token(path)
	if err != nil {
		return "", err
	}
	switch v := t.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	return "", r.skipRest(path, t)
}
