// Package mail takes threat reports in by e-mail: an SMTP listener for the
// operator's abuse address (Server) and an importer for messages another
// mail server has delivered to a maildir or to .eml files (Import). Both
// hand each message, byte for byte, to the service's SubmitMail, which
// keeps it, reads it and files it; this package only carries messages.
package mail

import (
	"context"

	"github.com/tldguard/tldguard/service"
)

// Submitter stores one raw message; *service.Service is one.
type Submitter interface {
	SubmitMail(ctx context.Context, raw []byte, opts service.MailOptions) (*service.MailReceipt, error)
}

// DefaultMaxMessageBytes is the largest message taken in by default: 25 MB,
// as large as the common mail providers send.
const DefaultMaxMessageBytes = 25 << 20
