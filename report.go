package tldguard

import "time"

// Report is one threat report as received: the raw bytes, kept byte for byte
// with their SHA-256, and what tldguard read from them.
type Report struct {
	ID         int64
	ReporterID int64
	Source     Source // copied from the reporter account at receipt
	Format     string // the decoder that read it, e.g. "tldguard", "xarf"
	ThreatType ThreatType
	// Category is the reporter's own word for the threat when it maps to
	// ThreatOutOfScope (e.g. XARF "copyright"), kept for the answer.
	Category    string
	Description string
	Targets     []Target
	Request     *AuthorityRequest // the Framework's request fields, when given
	Evidence    []Evidence
	Raw         []byte
	RawSHA256   []byte
	ContentType string
	// IdempotencyKey is the client's key; a repeat returns the first answer.
	IdempotencyKey string
	ReceivedAt     time.Time
	CaseIDs        []int64 // the cases the report was filed on, in target order
}

// Target is one reported name or URL and the registered name it falls under.
type Target struct {
	Input  string // as the reporter wrote it
	Host   string // the host name, A-labels, lower case
	URL    string // the normalised URL, if the input was a URL
	Domain string // the registered name in one of the operator's TLDs
	TLD    string
}

// AuthorityRequest holds the contents of a request from law enforcement, a
// government or a trusted notifier as the Framework describes them.
type AuthorityRequest struct {
	Authority       string  `json:"authority,omitempty"`
	Jurisdiction    string  `json:"jurisdiction,omitempty"`
	LegalBasis      string  `json:"legal_basis,omitempty"`
	Reference       string  `json:"reference,omitempty"` // the authority's own case number
	Contact         string  `json:"contact,omitempty"`
	RequestedAction string  `json:"requested_action,omitempty"`
	Urgency         Urgency `json:"urgency,omitempty"`
	UrgencyReason   string  `json:"urgency_reason,omitempty"`
	// Confidentiality: what the requester forbids telling.
	DoNotNotifyRegistrant bool `json:"do_not_notify_registrant,omitempty"`
	DoNotNotifyRegistrar  bool `json:"do_not_notify_registrar,omitempty"`
}

// Confidential reports whether the request limits who may be told.
func (r *AuthorityRequest) Confidential() bool {
	return r != nil && (r.DoNotNotifyRegistrant || r.DoNotNotifyRegistrar)
}

// Evidence is a piece of evidence attached to a report. The content is
// stored once by its SHA-256; URLs are kept as text and never fetched.
type Evidence struct {
	ID          int64
	ReportID    int64
	SHA256      []byte // nil for a URL-only item
	Size        int64
	MediaType   string
	Filename    string
	URL         string
	Description string
}

// ReportInput is what a decoder reads from a submitted document, before
// names are resolved against the operator's TLDs.
type ReportInput struct {
	Format      string
	ThreatType  ThreatType
	Category    string
	Description string
	Names       []string // names and URLs as written, in document order
	NamesField  string   // the JSON path of Names, for error messages ("names", "Report.Source")
	Request     *AuthorityRequest
	Evidence    []EvidenceInput
}

// EvidenceInput is one item of evidence as submitted.
type EvidenceInput struct {
	MediaType   string
	Filename    string
	URL         string
	Description string
	Content     []byte
}

// Submission is a report as it arrives over any channel.
type Submission struct {
	Raw            []byte
	ContentType    string
	IdempotencyKey string
}

// Receipt is the acknowledgement a reporter gets at once: the report id and,
// for each case, its number and response deadline.
type Receipt struct {
	ReportID      int64         `json:"report_id"`
	ReceivedAt    time.Time     `json:"received_at"`
	SHA256        string        `json:"sha256"`
	Priority      Priority      `json:"priority"`
	ResponseDueAt time.Time     `json:"response_due_at"`
	Cases         []ReceiptCase `json:"cases"`
	Notes         []string      `json:"notes,omitempty"`
}

// ReceiptCase is one case in a Receipt.
type ReceiptCase struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Domain        string     `json:"domain"`
	ThreatType    ThreatType `json:"threat_type"`
	Priority      Priority   `json:"priority"`
	ResponseDueAt time.Time  `json:"response_due_at"`
	Registered    bool       `json:"registered"`
	New           bool       `json:"new"`
}

// ReportFilter selects reports for listing.
type ReportFilter struct {
	ReporterID int64 // 0 = any
	CaseID     int64 // 0 = any
	BeforeID   int64 // keyset: only ids below this; 0 = from the newest
	Limit      int
}
