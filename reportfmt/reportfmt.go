// Package reportfmt turns a submitted threat-report document (the raw bytes
// of an API request body, or the JSON part of a report mail) into a
// tldguard.ReportInput.
//
// It reads two formats:
//
//   - tldguard's own JSON (Format "tldguard"), strict: an unknown field is an
//     error naming it, so that a client's typo never goes unnoticed;
//   - XARF (Format "xarf"): XARF v4 (top-level "xarf_version", see
//     https://github.com/xarf/xarf-spec) and the older XARF v3 JSON (top-level
//     "Version" and "Report", see https://github.com/abusix/xarf), which the
//     XARF v4 specification requires receivers to go on accepting. XARF is
//     read leniently: fields tldguard does not use are skipped whatever they
//     hold; the fields it uses are checked and named in errors.
//
// Decoders read; they do not normalise names (package dnsname does that) and
// never decide trust: a reporter's tier comes from its account, so reporter
// identity stated inside a document goes only into the Description, marked
// as unverified.
//
// Every error is a *tldguard.Error of kind EINVALID, or ETOOLARGE when a
// Limits cap is exceeded. Its Field is the JSON path of the offending value
// (names[3], evidence[0].content_base64, Report.ReportType, ...) and its
// Message says what is wrong in words a client developer can act on;
// malformed JSON is reported with its line, column and byte offset.
package reportfmt

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"

	"github.com/tldguard/tldguard"
)

// Formats, as recorded in tldguard.Report.Format.
const (
	FormatTldguard = "tldguard"
	FormatXARF     = "xarf"
)

// Media types Decode accepts. Parameters (charset=utf-8) are allowed.
const (
	MediaTypeJSON = "application/json"
	MediaTypeXARF = "application/xarf+json"
)

// Limits caps what one document may hold. A zero (or negative) field takes
// its value from DefaultLimits, so Limits{} means the defaults. Exceeding a
// cap is an ETOOLARGE error naming the field. String lengths count
// characters (Unicode code points), not bytes.
type Limits struct {
	MaxNames              int   // names and URLs per report
	MaxEvidence           int   // evidence items per report
	MaxEvidenceBytes      int64 // decoded bytes in one evidence item
	MaxTotalEvidenceBytes int64 // decoded bytes in all evidence items together
	MaxTextLen            int   // free text: descriptions, urgency_reason, legal_basis
	MaxNameLen            int   // one name or URL, including evidence URLs
	MaxFieldLen           int   // other short fields: authority, filename, media_type, ...
}

// DefaultLimits returns the default caps: 1,000 names, 20 evidence items of
// at most 5 MiB each and 15 MiB together (the XARF v4 limits), 4,096
// characters of free text, 2,048 per name or URL and 256 for short fields.
func DefaultLimits() Limits {
	return Limits{
		MaxNames:              1000,
		MaxEvidence:           20,
		MaxEvidenceBytes:      5 << 20,
		MaxTotalEvidenceBytes: 15 << 20,
		MaxTextLen:            4096,
		MaxNameLen:            2048,
		MaxFieldLen:           256,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxNames <= 0 {
		l.MaxNames = d.MaxNames
	}
	if l.MaxEvidence <= 0 {
		l.MaxEvidence = d.MaxEvidence
	}
	if l.MaxEvidenceBytes <= 0 {
		l.MaxEvidenceBytes = d.MaxEvidenceBytes
	}
	if l.MaxTotalEvidenceBytes <= 0 {
		l.MaxTotalEvidenceBytes = d.MaxTotalEvidenceBytes
	}
	if l.MaxTextLen <= 0 {
		l.MaxTextLen = d.MaxTextLen
	}
	if l.MaxNameLen <= 0 {
		l.MaxNameLen = d.MaxNameLen
	}
	if l.MaxFieldLen <= 0 {
		l.MaxFieldLen = d.MaxFieldLen
	}
	return l
}

// Decode reads a submitted report. The content type picks the decoder:
// application/xarf+json is XARF; application/json (or no content type) is
// sniffed: a top-level object with "xarf_version", or with "Report" and
// "Version" (or "ReporterInfo", as in pre-release XARF v3), is XARF,
// anything else tldguard's own JSON. Other content
// types are refused. Errors are EINVALID or ETOOLARGE *tldguard.Error
// values naming the field (see the package documentation).
func Decode(raw []byte, contentType string, lim Limits) (*tldguard.ReportInput, error) {
	mt, err := parseContentType(contentType)
	if err != nil {
		return nil, err
	}
	r, err := newReader(raw)
	if err != nil {
		return nil, err
	}
	lim = lim.withDefaults()
	top := sniff(r.raw)
	if mt == MediaTypeXARF || top.isXARF() {
		return decodeXARF(r, top, lim)
	}
	return decodeTldguard(r, lim)
}

// DecodeJSON reads tldguard's own JSON format whatever the document looks
// like. Errors as for Decode.
func DecodeJSON(raw []byte, lim Limits) (*tldguard.ReportInput, error) {
	r, err := newReader(raw)
	if err != nil {
		return nil, err
	}
	return decodeTldguard(r, lim.withDefaults())
}

// DecodeXARF reads an XARF v4 or XARF v3 JSON report, for callers that know
// the document is XARF (the JSON part of an XARF mail). Errors as for
// Decode.
//
// The names come from one field, chosen by category, and NamesField names
// it: for XARF v4 "url" (content), "infringing_url" (copyright), "c2_server"
// (infrastructure), "spam_indicators.suspicious_links" (messaging, an
// array), falling back to "url", "domain", the domain part of "smtp_from"
// (messaging only) and "source_identifier" when it is not an IP address;
// for XARF v3 "Report.SourceUrl", "Report.RpzDomain" or the domain of
// "Report.SmtpMailFromAddress" (spam only). A report that names no domain
// or URL at all (an IP address alone) is EINVALID: a registry cannot act
// on it. Other fields of interest go into the Description.
func DecodeXARF(raw []byte, lim Limits) (*tldguard.ReportInput, error) {
	r, err := newReader(raw)
	if err != nil {
		return nil, err
	}
	return decodeXARF(r, sniff(r.raw), lim.withDefaults())
}

// parseContentType returns the media type of a Content-Type value, lower
// case, or "" when none was given.
func parseContentType(ct string) (string, error) {
	if strings.TrimSpace(ct) == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", invalid("Content-Type", "%q is not a valid content type; send %s or %s", ct, MediaTypeJSON, MediaTypeXARF)
	}
	if mt != MediaTypeJSON && mt != MediaTypeXARF {
		return "", invalid("Content-Type", "content type %s is not supported; send %s (tldguard JSON or XARF) or %s", mt, MediaTypeJSON, MediaTypeXARF)
	}
	if cs, ok := params["charset"]; ok {
		switch strings.ToLower(cs) {
		case "utf-8", "utf8", "us-ascii":
		default:
			return "", invalid("Content-Type", "charset %s is not supported; JSON documents are UTF-8 (RFC 8259)", cs)
		}
	}
	return mt, nil
}

// topLevel records which format-defining keys a document's top-level object
// has.
type topLevel struct {
	xarfVersion  bool // XARF v4
	report       bool // XARF v3, with version or reporterInfo
	version      bool
	reporterInfo bool // XARF v3 "alpha" reports have no Version
}

func (t topLevel) isXARF() bool {
	return t.xarfVersion || (t.report && (t.version || t.reporterInfo))
}

// sniff finds the format-defining keys of the top-level object of raw,
// which must be well-formed JSON, without decoding any value: a key is a
// string at depth one followed by a colon.
func sniff(raw []byte) topLevel {
	var t topLevel
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth <= 0 {
				return t
			}
		case '"':
			end := stringEnd(raw, i)
			if depth == 1 && nextByte(raw, end+1) == ':' {
				switch unquoteKey(raw[i : end+1]) {
				case "xarf_version":
					t.xarfVersion = true
				case "Version":
					t.version = true
				case "Report":
					t.report = true
				case "ReporterInfo":
					t.reporterInfo = true
				}
			}
			i = end
		}
	}
	return t
}

// stringEnd returns the index of the quote closing the string that opens at
// raw[i].
func stringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(raw) - 1
}

// nextByte returns the first non-space byte at or after i, or 0.
func nextByte(raw []byte, i int) byte {
	for ; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return raw[i]
		}
	}
	return 0
}

// unquoteKey returns the text of a quoted JSON string; keys are short and
// rarely escaped, so only escaped ones go through the decoder.
func unquoteKey(q []byte) string {
	if len(q) < 2 {
		return ""
	}
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1])
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return ""
	}
	return s
}
