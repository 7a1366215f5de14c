package stats

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestDetailJSON: the hand-written encoder writes what encoding/json
// writes, for every member and every kind of string.
func TestDetailJSON(t *testing.T) {
	at := time.Date(2026, 10, 3, 8, 0, 0, 123456000, time.UTC)
	whole := time.Date(2026, 10, 3, 8, 0, 0, 0, time.UTC)
	strs := []string{"", "plain", `q"uote\back`, "<script>&amp;</script>", "tab\tnl\nret\rbs\bff\f\x00\x01\x1f\x7f",
		"caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf8 \xc3", "=HYPERLINK()"}
	var ds []Detail
	for i, s := range strs {
		ds = append(ds, Detail{
			Case: "TG-0000001", Domain: s, TLD: "example", ThreatType: "phishing", Category: s, Source: "feed", Feed: s,
			Registered: i%2 == 0, RegistrarID: s, RegistrarName: s, FirstSeen: at, OpenedAt: whole,
			AckedAt: ptr(at), ResponseDueAt: nil, RespondedAt: ptr(whole), Priority: "high",
			Responses: []Response{{At: at, Action: "no_action", Reason: s, By: "registry"}, {At: whole, Action: "x", Reason: "", By: "y"}},
			Reopened:  []time.Time{at, whole}, StatusAtEnd: "open", Outcome: s, Counts: []string{"identified", s},
		})
	}
	ds = append(ds, Detail{Case: "TG-0000002", Responses: []Response{}, Reopened: []time.Time{}, Counts: []string{}},
		Detail{Case: "TG-0000003"}) // nil lists encode as null
	want, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendDetails(nil, ds); !bytes.Equal(got, want) {
		t.Errorf("appendDetails:\n got %s\nwant %s", got, want)
	}
	r := &Report{Format: FormatVersion, Detail: ds}
	all, err := EncodeJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	std, _ := json.Marshal(r)
	if !bytes.Equal(all, append(std, '\n')) {
		t.Errorf("EncodeJSON differs from encoding/json:\n got %s\nwant %s", all, std)
	}
}
