package http

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tldguard/tldguard"
)

// eventView is one entry of a case's timeline: an audit event written for
// people, with enough of its hash to match it against the log.
type eventView struct {
	Seq     int64
	At      *when
	Actor   string
	Action  string
	Reason  string
	Details []detail
	Hash    string // the first 16 hex digits
}

// detail is one fact of an event: a field and its value, or for a change,
// the field and "old → new".
type detail struct {
	Key   string
	Value string
}

func toEventView(e *tldguard.Event) eventView {
	v := eventView{Seq: e.Seq, At: at(e.At), Actor: e.Actor, Action: eventText(e.Action)}
	if h := hex.EncodeToString(e.Hash); len(h) >= 16 {
		v.Hash = h[:16]
	}
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber() // ids stay 1000000, not 1e+06
	if len(e.Data) == 0 || dec.Decode(&data) != nil {
		if len(e.Data) > 0 && string(e.Data) != "null" {
			v.Details = []detail{{Key: "data", Value: string(e.Data)}}
		}
		return v
	}
	if r, ok := data["reason"].(string); ok {
		v.Reason = r
		delete(data, "reason")
	}
	if changes, ok := data["changes"].(map[string]any); ok {
		delete(data, "changes")
		for _, field := range sortedKeys(changes) {
			ch, _ := changes[field].(map[string]any)
			v.Details = append(v.Details, detail{
				Key:   words(field),
				Value: valueText(ch["from"]) + " → " + valueText(ch["to"]),
			})
		}
	}
	for _, k := range sortedKeys(data) {
		v.Details = append(v.Details, detail{Key: words(k), Value: valueText(data[k])})
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// words turns a JSON member name into words: "response_due_at" becomes
// "response due at".
func words(k string) string { return strings.ReplaceAll(k, "_", " ") }

// valueText writes a JSON value from an event's data for people.
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		if v == "" {
			return "(none)"
		}
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
