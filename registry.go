package tldguard

import (
	"context"
	"time"
)

// Registration is what the registry holds about a registered name.
type Registration struct {
	Name          string // A-labels, no trailing dot
	TLD           string
	RegistrarID   string // IANA registrar id
	RegistrarName string
	Statuses      []string // EPP statuses, e.g. "ok", "serverHold"
	NameServers   []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Registrar is a registrar accredited in the operator's TLDs, with the
// abuse contact referrals go to.
type Registrar struct {
	ID         string // IANA registrar id
	Name       string
	AbuseEmail string
	AbusePhone string
}

// Registry is the operator's registry as tldguard sees it. Lookup returns an
// ENOTFOUND error for a name that is not registered.
type Registry interface {
	Lookup(ctx context.Context, name string) (*Registration, error)
}

// AbuseContacts finds the sponsoring registrar of a name with its abuse
// contact, e.g. over RDAP; referrals use it when the registrar table has no
// abuse address for the registrar. ENOTFOUND when none is known.
type AbuseContacts interface {
	AbuseContact(ctx context.Context, name string) (*Registrar, error)
}
