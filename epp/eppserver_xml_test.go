package epp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The test peer's XML: a tree of the commands it receives, checked
// against the schema's sequences, and the documents it answers with.

// node is an element of a parsed command, with its resolved namespace.
type node struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*node
	Text     string
}

func parseTree(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{Name: t.Name, Attr: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else if root == nil {
				root = n
			} else {
				return nil, fmt.Errorf("second root element")
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("text outside the root")
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func (n *node) is(ns, local string) bool {
	return n != nil && n.Name.Space == ns && n.Name.Local == local
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// seq checks that n's children follow a schema sequence: each entry is
// "local", "local?", "local*" or "local+", all in ns. It returns the
// children by name.
func seq(n *node, ns string, spec ...string) (map[string][]*node, error) {
	got := map[string][]*node{}
	i := 0
	for _, sp := range spec {
		name, card := sp, ""
		if strings.ContainsAny(sp[len(sp)-1:], "?*+") {
			name, card = sp[:len(sp)-1], sp[len(sp)-1:]
		}
		for i < len(n.Children) && n.Children[i].is(ns, name) {
			got[name] = append(got[name], n.Children[i])
			i++
			if card == "" || card == "?" {
				break
			}
		}
		if k := len(got[name]); k == 0 && (card == "" || card == "+") {
			return nil, fmt.Errorf("<%s> lacks required <%s>", n.Name.Local, name)
		}
	}
	if i < len(n.Children) {
		c := n.Children[i]
		return nil, fmt.Errorf("<%s> has unexpected <%s> (namespace %q) at position %d", n.Name.Local, c.Name.Local, c.Name.Space, i)
	}
	if len(n.Children) == 0 && strings.TrimSpace(n.Text) != "" && len(spec) > 0 {
		return nil, fmt.Errorf("<%s> has text", n.Name.Local)
	}
	return got, nil
}

// leaf checks that n has no element children and returns its text.
func leaf(n *node) (string, error) {
	if len(n.Children) > 0 {
		return "", fmt.Errorf("<%s> has child elements", n.Name.Local)
	}
	return n.Text, nil
}

func greetingDoc() string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` +
		`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><greeting><svID>Test EPP server</svID>` +
		`<svDate>` + time.Now().UTC().Format(time.RFC3339) + `</svDate><svcMenu><version>1.0</version><lang>en</lang>` +
		`<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI><objURI>urn:ietf:params:xml:ns:host-1.0</objURI>` +
		`<svcExtension><extURI>` + testExtURI + `</extURI><extURI>` + testTransferNS + `</extURI></svcExtension></svcMenu>` +
		`<dcp><access><all/></access><statement><purpose><admin/><prov/></purpose><recipient><ours/></recipient>` +
		`<retention><stated/></retention></statement></dcp></greeting></epp>`
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func resultDoc(code int, msg, clTRID, svTRID string) string {
	return resultDocReason(code, msg, "", clTRID, svTRID)
}

func resultDocReason(code int, msg, reason, clTRID, svTRID string) string {
	return responseDoc(code, msg, reason, "", clTRID, svTRID)
}

func responseDoc(code int, msg, reason, resData, clTRID, svTRID string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response>`)
	fmt.Fprintf(&b, `<result code="%d"><msg>%s</msg>`, code, esc(msg))
	if reason != "" {
		fmt.Fprintf(&b, `<extValue><value><domain:name xmlns:domain="%s">x</domain:name></value><reason>%s</reason></extValue>`, nsDomain, esc(reason))
	}
	b.WriteString(`</result>`)
	b.WriteString(resData)
	b.WriteString(`<trID>`)
	if clTRID != "" {
		fmt.Fprintf(&b, `<clTRID>%s</clTRID>`, esc(clTRID))
	}
	fmt.Fprintf(&b, `<svTRID>%s</svTRID></trID></response></epp>`, esc(svTRID))
	return b.String()
}

func infoDoc(d *testDomain, hostAttr bool, clTRID, svTRID string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<resData><domain:infData xmlns:domain="%s"><domain:name>%s</domain:name><domain:roid>%s</domain:roid>`, nsDomain, esc(d.Name), esc(d.ROID))
	for _, st := range d.Statuses {
		fmt.Fprintf(&b, `<domain:status s="%s"/>`, esc(st))
	}
	b.WriteString(`<domain:registrant>jd1234</domain:registrant><domain:contact type="admin">sh8013</domain:contact>`)
	if len(d.NS) > 0 {
		b.WriteString(`<domain:ns>`)
		for _, h := range d.NS {
			if hostAttr {
				fmt.Fprintf(&b, `<domain:hostAttr><domain:hostName>%s</domain:hostName><domain:hostAddr ip="v4">192.0.2.1</domain:hostAddr></domain:hostAttr>`, esc(h))
			} else {
				fmt.Fprintf(&b, `<domain:hostObj>%s</domain:hostObj>`, esc(h))
			}
		}
		b.WriteString(`</domain:ns>`)
	}
	fmt.Fprintf(&b, `<domain:clID>%s</domain:clID><domain:crID>ClientX</domain:crID><domain:crDate>%s</domain:crDate>`,
		esc(d.ClID), d.Created.Format("2006-01-02T15:04:05.0Z"))
	b.WriteString(`<domain:exDate>2027-03-01T12:00:00.0Z</domain:exDate></domain:infData></resData>`)
	return responseDoc(1000, "Command completed successfully", "", b.String(), clTRID, svTRID)
}
