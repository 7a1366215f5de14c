package rdap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// domain is what tldguard takes from one RDAP domain object (RFC 9083 §5.3).
type domain struct {
	reg tldguard.Registration
	// registrar is the sponsoring registrar with its abuse contact; nil
	// when the response names no registrar. Its abuse fields are empty
	// when the registrar entity carries no abuse entity.
	registrar *tldguard.Registrar
}

func (d *domain) clone() *domain {
	c := *d
	c.reg.Statuses = append([]string(nil), d.reg.Statuses...)
	c.reg.NameServers = append([]string(nil), d.reg.NameServers...)
	if d.registrar != nil {
		r := *d.registrar
		c.registrar = &r
	}
	return &c
}

// The wire types declare only the members tldguard reads; the rest
// (links, notices, remarks, secureDNS, redacted, ...) is skipped unread.
type wireDomain struct {
	ObjectClassName string       `json:"objectClassName"`
	LDHName         string       `json:"ldhName"`
	UnicodeName     string       `json:"unicodeName"`
	Status          []string     `json:"status"`
	Nameservers     []wireNS     `json:"nameservers"`
	Entities        []wireEntity `json:"entities"`
	Events          []wireEvent  `json:"events"`
	ErrorCode       *int         `json:"errorCode"`
	Title           string       `json:"title"`
	Description     []string     `json:"description"`
}

type wireNS struct {
	LDHName string `json:"ldhName"`
}

type wireEntity struct {
	Handle     string          `json:"handle"`
	Roles      []string        `json:"roles"`
	PublicIDs  []wirePublicID  `json:"publicIds"`
	VCardArray json.RawMessage `json:"vcardArray"`
	Entities   []wireEntity    `json:"entities"`
}

type wirePublicID struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
}

type wireEvent struct {
	Action string `json:"eventAction"`
	Date   string `json:"eventDate"`
}

// ianaRegistrarID is the publicIds type of a registrar's IANA id (gTLD
// RDAP response profile).
const ianaRegistrarID = "IANA Registrar ID"

// decodeDomain reads an RDAP domain response. want, when not empty, is the
// name asked for: an answer about another name is refused. Errors are
// EUNPROCESSABLE and say which member is wrong.
func decodeDomain(body []byte, want string) (*domain, error) {
	var w wireDomain
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, unprocessable(want, describeJSONError(err))
	}
	if w.ErrorCode != nil && w.LDHName == "" {
		return nil, unprocessable(want, fmt.Sprintf("the body is an RDAP error (code %d: %s), not a domain", *w.ErrorCode, clip(w.Title, 80)))
	}
	if w.ObjectClassName != "" && w.ObjectClassName != "domain" {
		return nil, unprocessable(want, fmt.Sprintf("objectClassName is %q, want \"domain\"", clip(w.ObjectClassName, 40)))
	}
	name, err := ldhName(w.LDHName)
	if err != nil {
		return nil, unprocessable(want, "ldhName: "+err.Error())
	}
	if want != "" && name != want {
		return nil, unprocessable(want, fmt.Sprintf("the answer is about %q", name))
	}
	d := &domain{reg: tldguard.Registration{Name: name}}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		d.reg.TLD = name[i+1:]
	}
	seen := make(map[string]bool)
	for _, s := range w.Status {
		epp := eppStatus(s)
		if epp != "" && !seen[epp] {
			seen[epp] = true
			d.reg.Statuses = append(d.reg.Statuses, epp)
		}
	}
	clear(seen)
	for i, ns := range w.Nameservers {
		n, err := ldhName(ns.LDHName)
		if err != nil {
			return nil, unprocessable(want, fmt.Sprintf("nameservers[%d].ldhName: %s", i, err))
		}
		if !seen[n] {
			seen[n] = true
			d.reg.NameServers = append(d.reg.NameServers, n)
		}
	}
	for i, ev := range w.Events {
		var dst *time.Time
		switch strings.ToLower(strings.TrimSpace(ev.Action)) {
		case "registration":
			dst = &d.reg.CreatedAt
		case "last changed":
			dst = &d.reg.UpdatedAt
		default:
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(ev.Date))
		if err != nil {
			return nil, unprocessable(want, fmt.Sprintf("events[%d].eventDate: %q is not an RFC 3339 date", i, clip(ev.Date, 40)))
		}
		if dst.IsZero() {
			*dst = tldguard.Truncate(t)
		}
	}
	for i := range w.Entities {
		e := &w.Entities[i]
		if !hasRole(e.Roles, "registrar") {
			continue
		}
		r, err := registrar(e, fmt.Sprintf("entities[%d]", i))
		if err != nil {
			return nil, unprocessable(want, err.Error())
		}
		d.registrar = r
		d.reg.RegistrarID, d.reg.RegistrarName = r.ID, r.Name
		break
	}
	return d, nil
}

// registrar reads the registrar entity and its nested abuse entity.
func registrar(e *wireEntity, at string) (*tldguard.Registrar, error) {
	r := &tldguard.Registrar{}
	for _, id := range e.PublicIDs {
		if strings.EqualFold(strings.TrimSpace(id.Type), ianaRegistrarID) {
			r.ID = strings.TrimSpace(id.Identifier)
			break
		}
	}
	if r.ID == "" {
		// Registries outside the gTLD profile name registrars by their
		// own handle; that is the id their registrar tables use.
		r.ID = strings.TrimSpace(e.Handle)
	}
	card, err := parseVCard(e.VCardArray, at+".vcardArray")
	if err != nil {
		return nil, err
	}
	r.Name = card.first("fn")
	if r.Name == "" {
		r.Name = card.first("org")
	}
	for i := range e.Entities {
		a := &e.Entities[i]
		if !hasRole(a.Roles, "abuse") {
			continue
		}
		at := fmt.Sprintf("%s.entities[%d].vcardArray", at, i)
		card, err := parseVCard(a.VCardArray, at)
		if err != nil {
			return nil, err
		}
		r.AbuseEmail, r.AbusePhone = card.email(), card.phone()
		break
	}
	return r, nil
}

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if strings.EqualFold(strings.TrimSpace(r), role) {
			return true
		}
	}
	return false
}

// ldhName checks an ldhName member and returns it lower-cased without a
// trailing dot.
func ldhName(s string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if n == "" {
		return "", errors.New("missing")
	}
	if err := checkLDH(n); err != nil {
		return "", err
	}
	return n, nil
}

// checkLDH reports whether n (lower-case, no trailing dot) is a name made
// of letters, digits, hyphens and dots (A-labels for IDNs), with no empty
// or over-long label.
func checkLDH(n string) error {
	if len(n) > 253 {
		return fmt.Errorf("%d characters, more than 253", len(n))
	}
	label := 0
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '.':
			if label == 0 {
				return fmt.Errorf("%q has an empty label", clip(n, 80))
			}
			label = 0
			continue
		case c >= 0x80:
			return fmt.Errorf("%q is not in A-label (xn--) form", clip(n, 80))
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return fmt.Errorf("%q has the character %q", clip(n, 80), c)
		}
		label++
		if label > 63 {
			return fmt.Errorf("%q has a label longer than 63 characters", clip(n, 80))
		}
	}
	if label == 0 {
		return fmt.Errorf("%q has an empty label", clip(n, 80))
	}
	return nil
}

// describeJSONError turns a decoding error into words that name the member.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && strings.Contains(syn.Error(), "unexpected end"):
		return fmt.Sprintf("the JSON ends early, after %d bytes", syn.Offset)
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("the body is a JSON %s, want an object", typ.Value)
		}
		return fmt.Sprintf("member %s: got a JSON %s, want %s", typ.Field, typ.Value, goTypeWords(typ.Type.Kind().String()))
	}
	return "not valid JSON: " + err.Error()
}

func goTypeWords(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return kind
}

func unprocessable(name, what string) error {
	if name == "" {
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP answer is malformed: %s", what)
	}
	return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP answer for %s is malformed: %s", name, what)
}

// clip shortens s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
