package tldguard

import "time"

// NoticeKind says what a notice tells its recipient.
type NoticeKind string

const (
	// NoticeAck acknowledges a report with its case numbers.
	NoticeAck NoticeKind = "ack"
	// NoticeOutcome tells the reporters the action taken, or why none.
	NoticeOutcome NoticeKind = "outcome"
	// NoticeRequestInfo asks the reporters for more evidence.
	NoticeRequestInfo NoticeKind = "request_info"
	// NoticeReferral goes to the sponsoring registrar's abuse contact.
	NoticeReferral NoticeKind = "referral"
	// NoticeAlert tells the operator a response clock is near its end or past.
	NoticeAlert NoticeKind = "alert"
)

// NoticeStatus is where a notice stands in the outbox.
type NoticeStatus string

const (
	NoticeQueued NoticeStatus = "queued"
	NoticeSent   NoticeStatus = "sent"
	NoticeFailed NoticeStatus = "failed"
)

// Notice is a message tldguard owes someone (a reporter, a registrar),
// queued in the same transaction as the change that needs it so that it is
// never lost; a sender delivers it later.
type Notice struct {
	ID         int64
	Kind       NoticeKind
	Status     NoticeStatus
	ReporterID int64
	ReportID   int64
	CaseID     int64
	To         string // address, when known at queue time
	// InReplyTo is the Message-ID of the mail the notice answers, so the
	// acknowledgement of an e-mailed report threads under it.
	InReplyTo string
	CreatedAt time.Time
	SentAt    time.Time
	Attempts  int
	LastError string
}
