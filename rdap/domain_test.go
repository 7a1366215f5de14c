package rdap

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

func TestEPPStatus(t *testing.T) {
	for in, want := range map[string]string{
		"active":                      "ok",
		"inactive":                    "inactive",
		"client hold":                 "clientHold",
		"server hold":                 "serverHold",
		"Server Hold":                 "serverHold",
		" server   update prohibited": "serverUpdateProhibited",
		"pending delete":              "pendingDelete",
		"redemption period":           "redemptionPeriod",
		"auto renew period":           "autoRenewPeriod",
		"associated":                  "linked",
		"clientHold":                  "clientHold",
		"SERVERHOLD":                  "serverHold",
		"locked":                      "locked",
		"Validated":                   "validated",
	} {
		if got := eppStatus(in); got != want {
			t.Errorf("eppStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeDomainMalformed(t *testing.T) {
	for _, tc := range []struct{ body, msg string }{
		{``, "ends early"},
		{`not json`, "not valid JSON at byte 2: invalid character 'o'"},
		{`{"ldhName":"a.example"} trailing`, "not valid JSON at byte"},
		{`[]`, "the body is a JSON array, want an object"},
		{`"a.example"`, "the body is a JSON string, want an object"},
		{`null`, "ldhName: missing"},
		{`{}`, "ldhName: missing"},
		{`{"ldhName":"a.example","status":[1]}`, "member status"},
		{`{"ldhName":"a.example","nameservers":{"ldhName":"ns.example"}}`, "member nameservers: got a JSON object, want an array"},
		{`{"ldhName":"a.example","nameservers":[{"ldhName":""}]}`, "nameservers[0].ldhName: missing"},
		{`{"ldhName":"a.example","nameservers":[{"ldhName":"ns .example"}]}`, "nameservers[0].ldhName"},
		{`{"ldhName":"a.example","entities":[{"roles":"registrar"}]}`, "member entities.roles: got a JSON string"},
		{`{"objectClassName":"entity","ldhName":"a.example"}`, `objectClassName is "entity"`},
		{`{"errorCode":404,"title":"Not Found"}`, "an RDAP error (code 404: Not Found)"},
		{`{"ldhName":"münchen.example"}`, "A-label"},
		{`{"ldhName":"a.example","events":[{"eventAction":"registration","eventDate":"yesterday"}]}`, `events[0].eventDate: "yesterday"`},
		{`{"ldhName":"a.example","entities":[{"roles":["registrar"],"vcardArray":{}}]}`, `entities[0].vcardArray: want ["vcard", [properties]], got an object`},
		{`{"ldhName":"a.example","entities":[{"roles":["registrar"],"vcardArray":["vcard",[["fn",{},"text"]]]}]}`, "entities[0].vcardArray[1][0]: want at least 4 elements"},
		{`{"ldhName":"a.example","entities":[{"roles":["registrar"],"entities":[{"roles":["abuse"],"vcardArray":["vCard",[]]}]}]}`, `entities[0].entities[0].vcardArray[0]: want "vcard"`},
	} {
		_, err := decodeDomain([]byte(tc.body), "")
		if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
			t.Errorf("%s: error %v, want EUNPROCESSABLE", tc.body, err)
			continue
		}
		if msg := tldguard.ErrorMessage(err); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s:\n message %q\nwant it to contain %q", tc.body, msg, tc.msg)
		}
	}
}

// Members tldguard does not read may be anything: one registrant entity's
// odd vcard does not spoil the lookup.
func TestDecodeDomainIgnoresUnread(t *testing.T) {
	body := `{"objectClassName":"domain","ldhName":"a.example","port43":"whois.nic.example","secureDNS":[1,2],"notices":"x",
		"entities":[{"roles":["registrant"],"vcardArray":"redacted"},{"roles":["registrar"],"handle":"9","vcardArray":["vcard",[["fn",{},"text","R"]]]}],
		"events":[{"eventAction":"expiration","eventDate":"never"}]}`
	d, err := decodeDomain([]byte(body), "a.example")
	if err != nil {
		t.Fatal(err)
	}
	if d.reg.RegistrarID != "9" || d.reg.RegistrarName != "R" {
		t.Errorf("registrar %q %q, want 9 R", d.reg.RegistrarID, d.reg.RegistrarName)
	}
}

func TestVCard(t *testing.T) {
	for _, tc := range []struct {
		name, card            string
		fn, org, email, phone string
	}{
		{
			name: "profile abuse contact",
			card: `["vcard",[["version",{},"text","4.0"],["fn",{},"text","Abuse"],["tel",{"type":"voice"},"uri","tel:+1.5555550100;ext=7"],["email",{},"text","abuse@r.example"]]]`,
			fn:   "Abuse", email: "abuse@r.example", phone: "+1.5555550100;ext=7",
		},
		{
			name:  "fax first, voice in a type array",
			card:  `["vcard",[["TEL",{"TYPE":"fax"},"uri","tel:+1.1"],["tel",{"type":["work","Voice"]},"uri","tel:+1.2"]]]`,
			phone: "+1.2",
		},
		{
			name:  "untyped tel as text, mailto email",
			card:  `["vcard",[["tel",{},"text","+44 20 7946 0000"],["email",{"pref":1},"uri","MAILTO:abuse@x.example"]]]`,
			phone: "+44 20 7946 0000", email: "abuse@x.example",
		},
		{
			name: "only a fax",
			card: `["vcard",[["tel",{"type":"fax"},"uri","tel:+1.1"]]]`,
		},
		{
			name: "structured and odd values",
			card: `["vcard",[["fn",{},"text",["","Structured Name"]],["org",{},"text",[["", "Org Unit"]]],["email",{},"text",null],["email",{},"text",42],["email",{},"text","second@x.example"]]]`,
			fn:   "Structured Name", org: "Org Unit", email: "second@x.example",
		},
		{
			name: "multi-valued property keeps the first value",
			card: `["vcard",[["fn",{},"text","First","Second"]]]`,
			fn:   "First",
		},
		{
			name: "redacted: empty values",
			card: `["vcard",[["fn",{},"text",""],["email",{},"text",""],["tel",{},"uri",""]]]`,
		},
		{name: "absent", card: ``},
		{name: "null", card: `null`},
		{name: "no properties", card: `["vcard",[]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseVCard(json.RawMessage(tc.card), "v")
			if err != nil {
				t.Fatal(err)
			}
			if got := c.first("fn"); got != tc.fn {
				t.Errorf("fn %q, want %q", got, tc.fn)
			}
			if got := c.first("org"); got != tc.org {
				t.Errorf("org %q, want %q", got, tc.org)
			}
			if got := c.email(); got != tc.email {
				t.Errorf("email %q, want %q", got, tc.email)
			}
			if got := c.phone(); got != tc.phone {
				t.Errorf("phone %q, want %q", got, tc.phone)
			}
		})
	}
}

func TestVCardMalformed(t *testing.T) {
	for _, tc := range []struct{ card, msg string }{
		{`"vcard"`, `v: want ["vcard", [properties]], got a string`},
		{`["vcard"]`, "v: want 2 elements"},
		{`["vcard",[],[]]`, "v: want 2 elements"},
		{`[1,[]]`, `v[0]: want "vcard", got 1`},
		{`["vcard",{}]`, "v[1]: want an array of properties, got an object"},
		{`["vcard",["fn"]]`, "v[1][0]: want a property array"},
		{`["vcard",[[1,{},"text","x"]]]`, "v[1][0]: property name: want a string, got 1"},
		{`["vcard",[["",{},"text","x"]]]`, "property name"},
		{`["vcard",[["fn",[],"text","x"]]]`, "fn: parameters: want an object, got an array"},
		{`["vcard",[["fn",null,"text","x"]]]`, "fn: parameters: want an object, got null"},
		{`["vcard",[["fn",{"type":{}},"text","x"]]]`, `fn: parameter "type": want a string or an array of strings, got an object`},
		{`["vcard",[["fn",{},5,"x"]]]`, "fn: value type: want a string, got 5"},
	} {
		_, err := parseVCard(json.RawMessage(tc.card), "v")
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want it to contain %q", tc.card, err, tc.msg)
		}
	}
}
