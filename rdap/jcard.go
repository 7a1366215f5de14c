package rdap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// vcard is a parsed jCard (RFC 7095): the properties of an entity's
// vcardArray, in order.
type vcard []vcardProp

// vcardProp is one jCard property: ["name", {params}, "type", value, ...].
type vcardProp struct {
	name   string              // lower-cased; jCard names are case-insensitive
	params map[string][]string // keys lower-cased; a single string becomes one element
	typ    string              // value type, e.g. "text", "uri"
	values []json.RawMessage   // one or more; each a string, an array, a number, a boolean or null
}

// parseVCard parses a vcardArray member. An absent or null member is an
// empty card. at names the member in errors, e.g. "entities[0].vcardArray".
func parseVCard(raw json.RawMessage, at string) (vcard, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var outer []json.RawMessage
	if err := json.Unmarshal(raw, &outer); err != nil {
		return nil, fmt.Errorf("%s: want [\"vcard\", [properties]], got %s", at, jsonKind(raw))
	}
	if len(outer) != 2 {
		return nil, fmt.Errorf("%s: want 2 elements [\"vcard\", [properties]], got %d", at, len(outer))
	}
	var tag string
	if err := json.Unmarshal(outer[0], &tag); err != nil || tag != "vcard" {
		return nil, fmt.Errorf("%s[0]: want \"vcard\", got %s", at, shortJSON(outer[0]))
	}
	var props []json.RawMessage
	if err := json.Unmarshal(outer[1], &props); err != nil {
		return nil, fmt.Errorf("%s[1]: want an array of properties, got %s", at, jsonKind(outer[1]))
	}
	card := make(vcard, 0, len(props))
	for i, p := range props {
		prop, err := parseVCardProp(p)
		if err != nil {
			return nil, fmt.Errorf("%s[1][%d]: %s", at, i, err)
		}
		card = append(card, prop)
	}
	return card, nil
}

func parseVCardProp(raw json.RawMessage) (vcardProp, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return vcardProp{}, fmt.Errorf("want a property array [name, params, type, value], got %s", jsonKind(raw))
	}
	if len(parts) < 4 {
		return vcardProp{}, fmt.Errorf("want at least 4 elements [name, params, type, value], got %d", len(parts))
	}
	var p vcardProp
	if err := json.Unmarshal(parts[0], &p.name); err != nil || p.name == "" {
		return vcardProp{}, fmt.Errorf("property name: want a string, got %s", shortJSON(parts[0]))
	}
	p.name = strings.ToLower(p.name)
	var params map[string]json.RawMessage
	if err := json.Unmarshal(parts[1], &params); err != nil || params == nil {
		return vcardProp{}, fmt.Errorf("%s: parameters: want an object, got %s", p.name, jsonKind(parts[1]))
	}
	if len(params) > 0 {
		p.params = make(map[string][]string, len(params))
	}
	for k, v := range params {
		vals, err := paramValues(v)
		if err != nil {
			return vcardProp{}, fmt.Errorf("%s: parameter %q: %s", p.name, k, err)
		}
		k = strings.ToLower(k)
		p.params[k] = append(p.params[k], vals...)
	}
	if err := json.Unmarshal(parts[2], &p.typ); err != nil {
		return vcardProp{}, fmt.Errorf("%s: value type: want a string, got %s", p.name, shortJSON(parts[2]))
	}
	p.typ = strings.ToLower(p.typ)
	p.values = parts[3:]
	return p, nil
}

// paramValues reads a parameter value: a string or an array of strings
// (RFC 7095 §3.4). Numbers are tolerated as their text ("pref": 1).
func paramValues(raw json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return []string{n.String()}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err == nil {
		return ss, nil
	}
	return nil, fmt.Errorf("want a string or an array of strings, got %s", jsonKind(raw))
}

// text returns the property's first value as text. A structured value (an
// array of components, themselves strings or arrays of strings) gives its
// first non-empty string; numbers, booleans and null give "".
func (p vcardProp) text() string {
	if len(p.values) == 0 {
		return ""
	}
	return firstString(p.values[0], 0)
}

func firstString(raw json.RawMessage, depth int) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	if depth >= 2 {
		return ""
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return ""
	}
	for _, part := range parts {
		if s := firstString(part, depth+1); s != "" {
			return s
		}
	}
	return ""
}

// hasParam reports whether the parameter name has value (case-insensitive).
func (p vcardProp) hasParam(name, value string) bool {
	for _, v := range p.params[name] {
		if strings.EqualFold(strings.TrimSpace(v), value) {
			return true
		}
	}
	return false
}

// first returns the text of the first property called name with a
// non-empty value.
func (c vcard) first(name string) string {
	for _, p := range c {
		if p.name == name {
			if s := p.text(); s != "" {
				return s
			}
		}
	}
	return ""
}

// email returns the card's first e-mail address, without a "mailto:"
// prefix some servers add to uri-typed values.
func (c vcard) email() string {
	for _, p := range c {
		if p.name != "email" {
			continue
		}
		s := p.text()
		if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
			s = s[7:]
		}
		if s != "" {
			return s
		}
	}
	return ""
}

// phone returns the card's voice telephone number: a tel property typed
// "voice", else the first that is not a fax, without its "tel:" prefix
// (RFC 3966 URIs are the usual jCard form: "tel:+1.5555550100").
func (c vcard) phone() string {
	var fallback string
	for _, p := range c {
		if p.name != "tel" {
			continue
		}
		s := p.text()
		if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
			s = s[4:]
		}
		if s == "" {
			continue
		}
		if p.hasParam("type", "voice") {
			return s
		}
		if fallback == "" && !p.hasParam("type", "fax") {
			fallback = s
		}
	}
	return fallback
}

// jsonKind names the JSON type of raw for error messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// shortJSON quotes raw for an error message, cut to a readable length.
func shortJSON(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "..."
	}
	return s
}
