package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestParse(t *testing.T) {
	p, err := Parse([]byte(`
clocks:
  high_response: 12h
  standard_response: 3d
approvals:
  hold: 2
  delete: 2
  protected_extra: 1
sinkhole: [ns1.sink.example., ns2.sink.example]
protected: [nic.example, gov.example]
proposals:
  - threat: phishing
    classification: malicious
    propose: [hold, request_info]
    why: hold phishing at once
  - registered: false
    propose: [block]
`), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Clocks.HighResponse != 12*time.Hour || p.Clocks.StandardResponse != 72*time.Hour || p.Clocks.Warn != 6*time.Hour {
		t.Errorf("clocks %+v", p.Clocks)
	}
	// A given approvals section replaces the default table.
	if p.Approvals[tldguard.ActionHold] != 2 || p.Approvals[tldguard.ActionLock] != 0 {
		t.Errorf("approvals %v", p.Approvals)
	}
	if !reflect.DeepEqual(p.Sinkhole, []string{"ns1.sink.example", "ns2.sink.example"}) {
		t.Errorf("sinkhole %q", p.Sinkhole)
	}
	if len(p.Proposals) != 2 || p.Proposals[1].Registered == nil || *p.Proposals[1].Registered {
		t.Errorf("proposals %+v", p.Proposals)
	}
	if p.Referral != Default().Referral {
		t.Error("an absent section must keep its defaults")
	}
}

func TestParseErrorsNameLineAndField(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown section", "clocks:\n  high_response: 24h\nclock: {}\n", "line 3: clock: unknown field"},
		{"unknown field", "clocks:\n  hihg_response: 24h\n", "line 2: clocks.hihg_response: unknown field"},
		{"bad duration", "clocks:\n  high_response: soon\n", "line 2: clocks.high_response: \"soon\" is not a positive duration"},
		{"negative duration", "referral:\n  high_answer: -4h\n", "line 2: referral.high_answer"},
		{"bad count", "approvals:\n  hold: 9\n", "line 2: approvals.hold: \"9\" is not a whole number from 0 to 5"},
		{"bad term", "term: 0\n", "line 1: term: \"0\" is not a whole number from 1 to 100"},
		{"bad action", "proposals:\n  - propose: [nuke]\n", "line 2: proposals[0].propose[0]: \"nuke\" is not an action"},
		{"rule without actions", "proposals:\n  - threat: malware\n", "line 2: proposals[0].propose: a rule must propose"},
		{"bad threat", "proposals:\n  - threat: ddos\n    propose: [hold]\n", "line 2: proposals[0].threat: \"ddos\" is not a threat type"},
		{"bad name", "protected:\n  - not a name\n", "line 2: protected[0]"},
		{"twice", "clocks:\n  warn: 1h\n  warn: 2h\n", "line 3: clocks.warn: given twice"},
		{"not a mapping", "clocks: 24h\n", "line 1: clocks: must be a mapping"},
		{"high beyond standard", "clocks:\n  high_response: 100h\n", "clocks.high_response"},
		{"broken yaml", "clocks: [\n", "policy.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc), "policy.yaml")
			if err == nil || p != nil {
				t.Fatalf("accepted: %+v", p)
			}
			if tldguard.ErrorKind(err) != tldguard.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestTextRoundTrip: "policy show" prints a file that loads back to the
// same policy.
func TestTextRoundTrip(t *testing.T) {
	for _, p := range []*Policy{Default(), mustParse(t, "protected: [nic.example]\nclassifier:\n  brand_terms: [\"north bank\"]\n")} {
		back, err := Parse([]byte(p.Text()), "shown")
		if err != nil {
			t.Fatalf("%v\n%s", err, p.Text())
		}
		if !reflect.DeepEqual(back, p) {
			t.Errorf("round trip differs:\n%s", p.Text())
		}
	}
	if p, err := Parse(nil, "empty"); err != nil || !reflect.DeepEqual(p, Default()) {
		t.Errorf("an empty file is the defaults: %v", err)
	}
}

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
