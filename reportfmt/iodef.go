package reportfmt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tldguard/tldguard"
)

// IODEF, the Incident Object Description Exchange Format (RFC 7970, version
// 2; RFC 5070, version 1), is the XML CSIRTs exchange incidents in. An
// IODEF-Document holds one or more Incident elements; tldguard reads each
// as one report:
//
//   - names: DomainData/Name (v2; NodeName in v1) and Address elements of
//     category "site-uri" in the Node of each System of an EventData/Flow,
//     except Systems of category "target" or "sensor" (the victim and the
//     observer are not what is reported), and in the Observables of
//     IndicatorData;
//   - threat type: from the words of Assessment/IncidentCategory and the
//     Descriptions (as for plain mail), else from the Assessment's
//     SystemImpact/BusinessImpact types (breach-credential and
//     takeover-account read as phishing, traffic-redirection as pharming),
//     else phishing marked CategoryUnclassified;
//   - the description: the Incident's Description and facts (IncidentID,
//     purpose, restriction, times, addresses, impacts, expectations, and
//     the Contact as stated, not verified).
//
// The document is read token by token with encoding/xml (which expands no
// external or custom entities), within MaxDocumentBytes and a nesting
// limit; elements of other namespaces (AdditionalData content) are skipped.

// errNotIODEF says an XML attachment is some other document.
var errNotIODEF = errors.New("not an IODEF document")

const (
	iodefNS2 = "urn:ietf:params:xml:ns:iodef-2.0"
	iodefNS1 = "urn:ietf:params:xml:ns:iodef-1.0"
	// maxXMLDepth bounds element nesting; IODEF needs about 12 levels.
	maxXMLDepth = 64
	// maxIODEFFacts bounds the values of one kind kept for the description.
	maxIODEFFacts = 10
)

type iodefFrame struct {
	name    string
	foreign bool // not an IODEF element: skipped with its content
	incl    int  // 1 names below are reported, -1 they are not, 0 inherit
	collect bool // its text is wanted
	attrs   map[string]string
}

type iodefIncident struct {
	names                                   *nameSet
	id, idName, purpose, restriction        string
	descriptions, categories, impacts       []string
	addresses, contacts, expectations, when []string
}

func (inc *iodefIncident) add(list *[]string, v string) {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" || len(*list) >= maxIODEFFacts {
		return
	}
	for _, x := range *list {
		if x == v {
			return
		}
	}
	*list = append(*list, v)
}

// decodeIODEF reads an IODEF document into at most maxReports reports.
// It returns errNotIODEF when the root element is not an IODEF-Document,
// and an EINVALID error for a malformed one.
func decodeIODEF(content []byte, lim Limits, maxReports int) ([]*tldguard.ReportInput, error) {
	dec := xml.NewDecoder(bytes.NewReader(content))
	dec.CharsetReader = func(cs string, r io.Reader) (io.Reader, error) {
		if charsetOf(cs) == csLatin1 {
			b, err := io.ReadAll(r)
			return strings.NewReader(latin1(b)), err
		}
		return nil, fmt.Errorf("encoding %q is not read (use UTF-8)", cs)
	}
	m := &MailReport{} // collects the name notes of this document
	var (
		stack     []iodefFrame
		text      strings.Builder
		incidents []*iodefIncident
		cur       *iodefIncident
		skipped   int
	)
	included := func() bool {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].incl != 0 {
				return stack[i].incl > 0
			}
		}
		return false
	}
	parent := func(n int) string {
		if len(stack) > n {
			return stack[len(stack)-1-n].name
		}
		return ""
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(stack) == 0 && len(incidents) == 0 {
				return nil, errNotIODEF
			}
			return nil, invalid("", "malformed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, invalid("", "the XML is nested more than %d levels deep", maxXMLDepth)
			}
			ns, name := t.Name.Space, t.Name.Local
			if len(stack) == 0 {
				if name != "IODEF-Document" || (ns != iodefNS2 && ns != iodefNS1 && ns != "") {
					return nil, errNotIODEF
				}
			}
			f := iodefFrame{name: name, attrs: map[string]string{}}
			if (ns != iodefNS2 && ns != iodefNS1 && ns != "") || (len(stack) > 0 && stack[len(stack)-1].foreign) {
				f.foreign = true
				stack = append(stack, f)
				continue
			}
			for _, a := range t.Attr {
				if len(f.attrs) < 16 {
					f.attrs[a.Name.Local] = truncate(a.Value, lim.MaxFieldLen)
				}
			}
			switch name {
			case "Incident":
				if len(incidents) >= maxReports {
					skipped++
					cur = nil
					break
				}
				cur = &iodefIncident{names: newNameSet(lim, m), purpose: f.attrs["purpose"], restriction: f.attrs["restriction"]}
				incidents = append(incidents, cur)
			case "System":
				switch f.attrs["category"] {
				case "target", "sensor":
					f.incl = -1
				default:
					f.incl = 1
				}
			case "Observable":
				f.incl = 1
			case "IncidentID", "Description", "IncidentCategory", "ContactName", "Email", "EmailTo",
				"DetectTime", "StartTime", "ReportTime", "GenerationTime", "NodeName":
				f.collect = true
			case "Name":
				f.collect = parent(0) == "DomainData"
			case "Address":
				f.collect = true
			case "SystemImpact", "BusinessImpact", "IntendedImpact", "Impact":
				if cur != nil {
					cur.add(&cur.impacts, f.attrs["type"])
				}
			case "Expectation":
				if cur != nil {
					cur.add(&cur.expectations, f.attrs["action"])
				}
			}
			if f.collect {
				text.Reset()
			}
			stack = append(stack, f)
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1].collect && text.Len() < lim.MaxTextLen {
				text.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.name == "Incident" && !f.foreign {
				cur = nil
				continue
			}
			if !f.collect || cur == nil {
				continue
			}
			v := strings.TrimSpace(text.String())
			text.Reset()
			switch f.name {
			case "IncidentID":
				cur.id, cur.idName = truncate(v, lim.MaxFieldLen), f.attrs["name"]
			case "Description":
				if p := parent(0); p == "Incident" || p == "EventData" || p == "Assessment" {
					cur.add(&cur.descriptions, truncate(v, lim.MaxTextLen))
				}
			case "IncidentCategory":
				cur.add(&cur.categories, truncate(v, lim.MaxFieldLen))
			case "ContactName", "Email", "EmailTo":
				cur.add(&cur.contacts, truncate(v, lim.MaxFieldLen))
			case "DetectTime", "StartTime", "ReportTime", "GenerationTime":
				cur.add(&cur.when, f.name+" "+truncate(v, 40))
			case "Name", "NodeName":
				if included() {
					cur.names.add(v)
				}
			case "Address":
				switch cat := f.attrs["category"]; {
				case cat == "site-uri" && included():
					cur.names.add(v)
				case strings.HasPrefix(cat, "ipv4") || strings.HasPrefix(cat, "ipv6") || cat == "":
					if included() {
						cur.add(&cur.addresses, truncate(v, 64))
					}
				}
			}
		}
	}
	if len(incidents) == 0 {
		return nil, invalid("", "the IODEF document holds no Incident")
	}
	out := make([]*tldguard.ReportInput, 0, len(incidents))
	for _, inc := range incidents {
		out = append(out, inc.report(lim))
	}
	if skipped > 0 {
		out[0].Description = truncate(out[0].Description+fmt.Sprintf("\n\n%d further incidents of the document were not read", skipped), lim.MaxTextLen)
	}
	return out, nil
}

// iodefImpactThreats maps RFC 7970 impact types to threat types.
var iodefImpactThreats = map[string]tldguard.ThreatType{
	"breach-credential":   tldguard.ThreatPhishing,
	"takeover-account":    tldguard.ThreatPhishing,
	"traffic-redirection": tldguard.ThreatPharming,
}

func (inc *iodefIncident) report(lim Limits) *tldguard.ReportInput {
	in := &tldguard.ReportInput{Format: FormatMailIODEF, NamesField: "DomainData/Name, Address", Names: inc.names.list}
	// IncidentCategory names the threat; failing that, the descriptions'
	// words or the impact types suggest one.
	in.ThreatType, in.Category = inferThreat(strings.Join(inc.categories, "\n"))
	switch {
	case in.Category == CategoryUnclassified:
		in.ThreatType, in.Category = inferThreat(strings.Join(inc.descriptions, "\n"))
	case in.ThreatType != tldguard.ThreatOutOfScope:
		in.Category = ""
	}
	if in.Category == CategoryUnclassified {
		for _, imp := range inc.impacts {
			if t, ok := iodefImpactThreats[imp]; ok {
				in.ThreatType, in.Category = t, CategoryInferredPrefix+`impact "`+imp+`"`
				break
			}
		}
	}
	var f facts
	id := inc.id
	if inc.idName != "" {
		id += " (" + inc.idName + ")"
	}
	f.add("IODEF incident", id)
	f.add("Purpose", inc.purpose)
	f.add("Restriction", inc.restriction)
	f.add("Incident category", strings.Join(inc.categories, ", "))
	f.add("Impact", strings.Join(inc.impacts, ", "))
	f.add("Times", strings.Join(inc.when, ", "))
	f.add("Addresses", strings.Join(inc.addresses, ", "))
	f.add("Expected action", strings.Join(inc.expectations, ", "))
	f.add("Contact (as stated in the report, not verified)", strings.Join(inc.contacts, ", "))
	if in.Category == CategoryUnclassified {
		f.add("Threat type", "none named in the report; filed as phishing for an analyst to classify")
	}
	in.Description = f.describe(strings.Join(inc.descriptions, "\n\n"), lim.MaxTextLen)
	return in
}
