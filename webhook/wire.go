package webhook

import (
	"time"

	"github.com/tldguard/tldguard"
)

// The wire types are the contract with the operator's system: what
// tldguard sends and what it reads back. They are exported so that a
// receiver written in Go can use them.

// ApplyRequest is the JSON body POSTed to the apply URL, one per change.
type ApplyRequest struct {
	// Action is the Framework action being carried out: "hold", "lock",
	// "redirect", "transfer", "delete", "block" or "release".
	Action string `json:"action"`
	// Domain is the name to change, in A-labels, lower case, no trailing dot.
	Domain string `json:"domain"`
	// AddStatuses and RemoveStatuses are EPP server statuses to set and
	// to clear (never null; empty when none).
	AddStatuses    []string `json:"add_statuses"`
	RemoveStatuses []string `json:"remove_statuses"`
	// NameServers, when not null, replace the name's name servers; null
	// leaves them as they are.
	NameServers []string `json:"name_servers"`
	// RegistrarID is, for a transfer, the gaining registrar.
	RegistrarID string `json:"registrar_id"`
	// Reference identifies the action. The same reference may arrive more
	// than once (tldguard retries after timeouts); the receiver must not
	// apply it twice, and answers a repeat with applied=false. It is also
	// sent as the Idempotency-Key header.
	Reference string `json:"reference"`
	// Timestamp is when the request was signed (the t= of the signature).
	Timestamp time.Time `json:"timestamp"`
	// Nonce is random and new for every delivery, retries included, so
	// that no two deliveries carry the same signature: a receiver may keep
	// the nonces it saw within the signature tolerance and refuse an exact
	// replay, while Reference tells it that a retry is the same change.
	Nonce string `json:"nonce"`
}

// ApplyResponse is the answer the receiver gives to an ApplyRequest, with a
// 2xx status. Applied must be present: false means the registry already
// was in the wanted state (or the reference was already applied). Before
// and After are the name's state around the change.
type ApplyResponse struct {
	Applied bool                   `json:"applied"`
	Before  tldguard.RegistryState `json:"before"`
	After   tldguard.RegistryState `json:"after"`
	Detail  string                 `json:"detail,omitempty"`
}

// LookupRequest is the JSON body POSTed to the lookup URL. Action is
// always "lookup", so one endpoint may serve both kinds of request.
type LookupRequest struct {
	Action    string    `json:"action"`
	Domain    string    `json:"domain"`
	Timestamp time.Time `json:"timestamp"`
	Nonce     string    `json:"nonce"` // as in ApplyRequest
}

// LookupResponse is the answer to a LookupRequest: 200 with the
// registration, or 404 when the registry does not hold the name. Dates
// are RFC 3339; absent or empty ones are unknown.
type LookupResponse struct {
	Domain        string    `json:"domain"`
	RegistrarID   string    `json:"registrar_id"`
	RegistrarName string    `json:"registrar_name,omitempty"`
	Statuses      []string  `json:"statuses"`
	NameServers   []string  `json:"name_servers"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// ErrorResponse is what tldguard reads from a refusal (4xx or 5xx) to
// quote the receiver's words: the first non-empty of detail, message and
// error. A body that is not JSON is quoted as text.
type ErrorResponse struct {
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// applyAnswer and lookupAnswer read answers, telling an absent member from
// a zero one.
type applyAnswer struct {
	Applied *bool                  `json:"applied"`
	Before  tldguard.RegistryState `json:"before"`
	After   tldguard.RegistryState `json:"after"`
	Detail  string                 `json:"detail"`
}

type lookupAnswer struct {
	Domain        string   `json:"domain"`
	RegistrarID   string   `json:"registrar_id"`
	RegistrarName string   `json:"registrar_name"`
	Statuses      []string `json:"statuses"`
	NameServers   []string `json:"name_servers"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}
