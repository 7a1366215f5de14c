package epp

import (
	"bytes"
	"encoding/xml"
)

// XML namespaces of EPP (RFC 5730) and its domain mapping (RFC 5731).
const (
	nsEPP    = "urn:ietf:params:xml:ns:epp-1.0"
	nsDomain = "urn:ietf:params:xml:ns:domain-1.0"
)

// xmlHeader starts every command, as in the RFCs' examples.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>`

// doc builds one command document. The builders write compact XML (no
// indentation) with every value escaped; the table tests hold the exact
// bytes.
type doc struct{ bytes.Buffer }

func newDoc() *doc {
	d := &doc{}
	d.WriteString(xmlHeader)
	d.WriteString(`<epp xmlns="` + nsEPP + `">`)
	return d
}

// text writes s escaped for element content or a quoted attribute value.
func (d *doc) text(s string) {
	_ = xml.EscapeText(&d.Buffer, []byte(s))
}

// elem writes <name>value</name>.
func (d *doc) elem(name, value string) {
	d.WriteString("<" + name + ">")
	d.text(value)
	d.WriteString("</" + name + ">")
}

// command closes a <command> with its client transaction id.
func (d *doc) endCommand(clTRID string) []byte {
	d.elem("clTRID", clTRID)
	d.WriteString("</command></epp>")
	return d.Bytes()
}

// helloCommand is the keep-alive (RFC 5730 §2.3); the server answers with
// a greeting.
func helloCommand() []byte {
	d := newDoc()
	d.WriteString("<hello/></epp>")
	return d.Bytes()
}

// login is what a session sends after the greeting.
type login struct {
	ClientID    string
	Password    string
	NewPassword string   // empty: keep the password
	Extensions  []string // extURIs, in the order configured
}

func loginCommand(l login, clTRID string) []byte {
	d := newDoc()
	d.WriteString("<command><login>")
	d.elem("clID", l.ClientID)
	d.elem("pw", l.Password)
	if l.NewPassword != "" {
		d.elem("newPW", l.NewPassword)
	}
	d.WriteString("<options><version>1.0</version><lang>en</lang></options>")
	d.WriteString("<svcs>")
	d.elem("objURI", nsDomain)
	if len(l.Extensions) > 0 {
		d.WriteString("<svcExtension>")
		for _, u := range l.Extensions {
			d.elem("extURI", u)
		}
		d.WriteString("</svcExtension>")
	}
	d.WriteString("</svcs></login>")
	return d.endCommand(clTRID)
}

func logoutCommand(clTRID string) []byte {
	d := newDoc()
	d.WriteString("<command><logout/>")
	return d.endCommand(clTRID)
}

// domainCommand opens <command><verb><domain:verb> and writes the name.
func domainCommand(verb, name string) *doc {
	d := newDoc()
	d.WriteString("<command><" + verb + "><domain:" + verb + ` xmlns:domain="` + nsDomain + `">`)
	d.elem("domain:name", name)
	return d
}

func (d *doc) endDomainCommand(verb, clTRID string) []byte {
	d.WriteString("</domain:" + verb + "></" + verb + ">")
	return d.endCommand(clTRID)
}

func infoCommand(name, clTRID string) []byte {
	return domainCommand("info", name).endDomainCommand("info", clTRID)
}

func deleteCommand(name, clTRID string) []byte {
	return domainCommand("delete", name).endDomainCommand("delete", clTRID)
}

// update is one <domain:update>: statuses and name servers to add and to
// remove. Name-server replacement is a remove of the old and an add of the
// new; RFC 5731 has no <domain:chg> for name servers.
type update struct {
	Name      string
	AddNS     []string
	RemNS     []string
	AddStatus []string
	RemStatus []string
	// HostAttr writes name servers as <domain:hostAttr><domain:hostName>
	// instead of <domain:hostObj>, for registries without host objects.
	HostAttr bool
}

// empty reports whether the update changes nothing (RFC 5731 requires at
// least one of add, rem or chg).
func (u update) empty() bool {
	return len(u.AddNS)+len(u.RemNS)+len(u.AddStatus)+len(u.RemStatus) == 0
}

func updateCommand(u update, clTRID string) []byte {
	d := domainCommand("update", u.Name)
	// The schema's order: add, rem, chg; inside each: ns, contact, status.
	d.addRem("add", u.AddNS, u.AddStatus, u.HostAttr)
	d.addRem("rem", u.RemNS, u.RemStatus, u.HostAttr)
	return d.endDomainCommand("update", clTRID)
}

func (d *doc) addRem(tag string, ns, statuses []string, hostAttr bool) {
	if len(ns) == 0 && len(statuses) == 0 {
		return
	}
	d.WriteString("<domain:" + tag + ">")
	if len(ns) > 0 {
		d.WriteString("<domain:ns>")
		for _, h := range ns {
			if hostAttr {
				d.WriteString("<domain:hostAttr>")
				d.elem("domain:hostName", h)
				d.WriteString("</domain:hostAttr>")
			} else {
				d.elem("domain:hostObj", h)
			}
		}
		d.WriteString("</domain:ns>")
	}
	for _, s := range statuses {
		d.WriteString(`<domain:status s="`)
		d.text(s)
		d.WriteString(`"/>`)
	}
	d.WriteString("</domain:" + tag + ">")
}
