package epp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a parsed message may hold. A registry is trusted to run
// the zone, not to send well-formed XML: everything from it is bounded
// before it reaches a Registration, an error message or a log line.
const (
	maxDocument    = 4 << 20 // bytes, whatever the frame limit
	maxMessage     = 512     // runes kept of a <msg> or <reason>
	maxStatuses    = 64
	maxNameServers = 64
	maxToken       = 255 // bytes of a name, status, id or URI
	maxMenu        = 64  // versions, languages, objURIs, extURIs each
)

// greeting is what a server says on connect and in answer to <hello/>.
type greeting struct {
	ServerID string
	Versions []string
	Langs    []string
	ObjURIs  []string
	ExtURIs  []string
}

// response is one EPP <response>, reduced to what the adapter uses.
type response struct {
	Code   int
	Msg    string // the first result's message, with its <reason> if any
	ClTRID string
	SvTRID string
	Info   *domainInfo // <domain:infData>, when present
}

// Success reports a 1xxx result.
func (r *response) Success() bool { return r.Code >= 1000 && r.Code < 2000 }

// domainInfo is <domain:infData> (RFC 5731 §3.1.2).
type domainInfo struct {
	Name        string
	ROID        string
	Statuses    []string
	NameServers []string
	HostAttr    bool // the name servers came as hostAttr
	ClientID    string
	Created     time.Time
	Updated     time.Time
}

// The wire shapes. Namespaces are part of every tag: an element in the
// wrong namespace is not the element.
type xmlEPP struct {
	XMLName  xml.Name     `xml:"urn:ietf:params:xml:ns:epp-1.0 epp"`
	Greeting *xmlGreeting `xml:"urn:ietf:params:xml:ns:epp-1.0 greeting"`
	Response *xmlResponse `xml:"urn:ietf:params:xml:ns:epp-1.0 response"`
}

type xmlGreeting struct {
	SvID    string `xml:"urn:ietf:params:xml:ns:epp-1.0 svID"`
	SvcMenu struct {
		Version []string `xml:"urn:ietf:params:xml:ns:epp-1.0 version"`
		Lang    []string `xml:"urn:ietf:params:xml:ns:epp-1.0 lang"`
		ObjURI  []string `xml:"urn:ietf:params:xml:ns:epp-1.0 objURI"`
		ExtURI  []string `xml:"urn:ietf:params:xml:ns:epp-1.0 svcExtension>extURI"`
	} `xml:"urn:ietf:params:xml:ns:epp-1.0 svcMenu"`
}

type xmlResponse struct {
	Result []struct {
		Code     string `xml:"code,attr"`
		Msg      string `xml:"urn:ietf:params:xml:ns:epp-1.0 msg"`
		ExtValue []struct {
			Reason string `xml:"urn:ietf:params:xml:ns:epp-1.0 reason"`
		} `xml:"urn:ietf:params:xml:ns:epp-1.0 extValue"`
	} `xml:"urn:ietf:params:xml:ns:epp-1.0 result"`
	ResData *struct {
		InfData *xmlInfData `xml:"urn:ietf:params:xml:ns:domain-1.0 infData"`
	} `xml:"urn:ietf:params:xml:ns:epp-1.0 resData"`
	TrID struct {
		ClTRID string `xml:"urn:ietf:params:xml:ns:epp-1.0 clTRID"`
		SvTRID string `xml:"urn:ietf:params:xml:ns:epp-1.0 svTRID"`
	} `xml:"urn:ietf:params:xml:ns:epp-1.0 trID"`
}

type xmlInfData struct {
	Name   string `xml:"urn:ietf:params:xml:ns:domain-1.0 name"`
	ROID   string `xml:"urn:ietf:params:xml:ns:domain-1.0 roid"`
	Status []struct {
		S string `xml:"s,attr"`
	} `xml:"urn:ietf:params:xml:ns:domain-1.0 status"`
	NS *struct {
		HostObj  []string `xml:"urn:ietf:params:xml:ns:domain-1.0 hostObj"`
		HostAttr []struct {
			HostName string `xml:"urn:ietf:params:xml:ns:domain-1.0 hostName"`
		} `xml:"urn:ietf:params:xml:ns:domain-1.0 hostAttr"`
	} `xml:"urn:ietf:params:xml:ns:domain-1.0 ns"`
	ClID   string `xml:"urn:ietf:params:xml:ns:domain-1.0 clID"`
	CrDate string `xml:"urn:ietf:params:xml:ns:domain-1.0 crDate"`
	UpDate string `xml:"urn:ietf:params:xml:ns:domain-1.0 upDate"`
}

// errMalformed is a message from the server that is not a usable EPP
// document. It is a protocol failure, not a refusal.
type errMalformed struct{ reason string }

func (e *errMalformed) Error() string { return "malformed EPP message: " + e.reason }

func malformed(format string, args ...any) error {
	return &errMalformed{reason: fmt.Sprintf(format, args...)}
}

// parseMessage parses one data unit from the server: a greeting or a
// response, never both. It accepts UTF-8 only, expands no entities beyond
// XML's own five (encoding/xml ignores DTDs) and refuses trailing content
// after the root element.
func parseMessage(data []byte) (*greeting, *response, error) {
	if len(data) > maxDocument {
		return nil, nil, malformed("%d bytes, over the %d-byte limit", len(data), maxDocument)
	}
	if !utf8.Valid(data) {
		return nil, nil, malformed("not UTF-8")
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var m xmlEPP
	if err := dec.Decode(&m); err != nil {
		return nil, nil, malformed("%v", shortError(err))
	}
	if err := onlyMisc(dec); err != nil {
		return nil, nil, err
	}
	switch {
	case m.Greeting != nil && m.Response != nil:
		return nil, nil, malformed("both a greeting and a response")
	case m.Greeting != nil:
		g, err := m.Greeting.parse()
		return g, nil, err
	case m.Response != nil:
		r, err := m.Response.parse()
		return nil, r, err
	}
	return nil, nil, malformed("neither a greeting nor a response")
}

// onlyMisc checks that nothing but white space, comments and processing
// instructions follows the root element.
func onlyMisc(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return malformed("after the root element: %v", shortError(err))
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return malformed("text after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return malformed("content after the root element")
		}
	}
}

func (x *xmlGreeting) parse() (*greeting, error) {
	m := &x.SvcMenu
	if len(m.Version) > maxMenu || len(m.Lang) > maxMenu || len(m.ObjURI) > maxMenu || len(m.ExtURI) > maxMenu {
		return nil, malformed("greeting lists more than %d entries", maxMenu)
	}
	g := &greeting{ServerID: clean(x.SvID, maxToken)}
	for _, l := range []struct {
		in  []string
		out *[]string
	}{{m.Version, &g.Versions}, {m.Lang, &g.Langs}, {m.ObjURI, &g.ObjURIs}, {m.ExtURI, &g.ExtURIs}} {
		for _, v := range l.in {
			v = strings.TrimSpace(v)
			if !isToken(v) {
				return nil, malformed("greeting entry %q is not a token", clean(v, 64))
			}
			*l.out = append(*l.out, v)
		}
	}
	return g, nil
}

func (x *xmlResponse) parse() (*response, error) {
	if len(x.Result) == 0 {
		return nil, malformed("response without a result")
	}
	first := x.Result[0]
	code, err := strconv.Atoi(strings.TrimSpace(first.Code))
	if err != nil || code < 1000 || code > 2999 {
		return nil, malformed("result code %q is not an EPP result code", clean(first.Code, 16))
	}
	r := &response{
		Code:   code,
		Msg:    clean(first.Msg, maxMessage),
		ClTRID: clean(x.TrID.ClTRID, maxToken),
		SvTRID: clean(x.TrID.SvTRID, maxToken),
	}
	for _, v := range first.ExtValue {
		if reason := clean(v.Reason, maxMessage); reason != "" {
			r.Msg = clean(r.Msg+" ("+reason+")", maxMessage)
			break
		}
	}
	if x.ResData != nil && x.ResData.InfData != nil {
		info, err := x.ResData.InfData.parse()
		if err != nil {
			return nil, err
		}
		r.Info = info
	}
	return r, nil
}

func (x *xmlInfData) parse() (*domainInfo, error) {
	d := &domainInfo{
		Name:     normalizeHost(x.Name),
		ROID:     clean(x.ROID, maxToken),
		ClientID: strings.TrimSpace(x.ClID),
	}
	if !isHostName(d.Name) {
		return nil, malformed("domain:infData name %q is not a domain name", clean(x.Name, 64))
	}
	if d.ClientID != "" && !isToken(d.ClientID) {
		return nil, malformed("domain:clID %q is not a client identifier", clean(d.ClientID, 64))
	}
	if len(x.Status) > maxStatuses {
		return nil, malformed("more than %d statuses", maxStatuses)
	}
	for _, s := range x.Status {
		if !isStatus(s.S) {
			return nil, malformed("status %q is not an EPP status value", clean(s.S, 64))
		}
		d.Statuses = appendUnique(d.Statuses, s.S)
	}
	if x.NS != nil {
		if len(x.NS.HostObj)+len(x.NS.HostAttr) > maxNameServers {
			return nil, malformed("more than %d name servers", maxNameServers)
		}
		if len(x.NS.HostObj) > 0 && len(x.NS.HostAttr) > 0 {
			return nil, malformed("domain:ns mixes hostObj and hostAttr")
		}
		hosts := x.NS.HostObj
		for _, a := range x.NS.HostAttr {
			hosts = append(hosts, a.HostName)
			d.HostAttr = true
		}
		for _, h := range hosts {
			n := normalizeHost(h)
			if !isHostName(n) {
				return nil, malformed("name server %q is not a host name", clean(h, 64))
			}
			d.NameServers = appendUnique(d.NameServers, n)
		}
	}
	d.Created = parseDate(x.CrDate)
	d.Updated = parseDate(x.UpDate)
	return d, nil
}

// parseDate reads an XML Schema dateTime; a date the adapter cannot read
// is left zero rather than failing a lookup over a field actions never use.
func parseDate(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// shortError keeps a decoder error's text bounded: some quote input.
func shortError(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, clean(se.Msg, 120))
	}
	return clean(err.Error(), 200)
}

// clean collapses white space, drops control and format characters, and
// keeps at most max runes: the server's words go into errors and logs.
func clean(s string, max int) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isToken reports whether s is a non-empty printable ASCII token without
// spaces (client ids, URIs, versions).
func isToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '<' || s[i] == '>' || s[i] == '"' {
			return false
		}
	}
	return true
}

// isStatus reports whether s has the shape of an EPP status value
// (RFC 5731 §2.3 defines letters only; registries add their own).
func isStatus(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// normalizeHost lower-cases a host name and drops one trailing dot.
func normalizeHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimSuffix(s, ".")
}

// isHostName reports whether s (normalised) is a plausible A-label host
// name: LDH labels of 1 to 63 bytes, at least two of them, 253 bytes at
// most. Underscores are tolerated for registries that allow them.
func isHostName(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
