package http

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/tldguard/tldguard"
)

// eventJSON is an audit event as the API shows it. Data is the event's JSON
// as stored; Hash and PrevHash are hex, so a client can check the chain.
type eventJSON struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	CaseID   int64           `json:"case_id,omitempty"`
	Subject  string          `json:"subject,omitempty"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func toEventJSON(e *tldguard.Event) eventJSON {
	out := eventJSON{
		Seq: e.Seq, At: utc(e.At), Actor: e.Actor, Action: e.Action, CaseID: e.CaseID, Subject: e.Subject,
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
	}
	switch {
	case len(e.Data) == 0:
		out.Data = json.RawMessage("null")
	case json.Valid(e.Data):
		out.Data = json.RawMessage(e.Data)
	default: // not JSON after all: show it as a string rather than fail the page
		b, _ := json.Marshal(string(e.Data))
		out.Data = b
	}
	return out
}
