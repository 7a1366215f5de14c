package tldguard

import (
	"context"
	"time"
)

// Role is what a person or an API token may do. Every route and every
// service method has an explicit rule in terms of roles.
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleAnalyst   Role = "analyst"
	RoleApprover  Role = "approver"
	RoleAuditor   Role = "auditor"
	RoleReporter  Role = "reporter"  // a reporter account's token
	RoleRegistrar Role = "registrar" // a registrar reporter's token
)

// StaffRoles are the roles a user (operator staff) can hold.
var StaffRoles = []Role{RoleAdmin, RoleAnalyst, RoleApprover, RoleAuditor}

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleApprover, RoleAuditor, RoleReporter, RoleRegistrar}

// Staff reports whether r is a staff role (one a User can hold).
func (r Role) Staff() bool {
	for _, k := range StaffRoles {
		if r == k {
			return true
		}
	}
	return false
}

// User is a member of the operator's staff.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string // PHC-formatted argon2id; never leaves the service layer
	Disabled     bool
	CreatedAt    time.Time
}

// Token is an API credential. Only its SHA-256 is stored: tokens are 256-bit
// random values, so a fast hash is enough and a lookup stays one index probe.
type Token struct {
	ID         int64
	Hash       []byte // SHA-256 of the token text
	Prefix     string // the first characters, to tell tokens apart in listings
	UserID     int64  // set for a user's token
	ReporterID int64  // set for a reporter's token
	Label      string
	CreatedAt  time.Time
	RevokedAt  time.Time // zero while valid
}

// Session is a signed-in browser session of a staff member or of a
// reporter account (the reporter portal); exactly one of UserID and
// ReporterID is set. Like tokens, only the hash of the cookie is stored.
type Session struct {
	ID         int64
	Hash       []byte
	UserID     int64
	ReporterID int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// PrincipalKind says what kind of party a Principal is.
type PrincipalKind string

const (
	PrincipalUser     PrincipalKind = "user"
	PrincipalReporter PrincipalKind = "reporter"
	PrincipalSystem   PrincipalKind = "system" // the CLI, scheduled jobs
)

// Principal is the acting party of a request. It travels in the context and
// services check it; handlers never decide alone.
type Principal struct {
	Kind     PrincipalKind
	ID       int64 // user or reporter id
	Name     string
	Role     Role
	Reporter *Reporter // set for PrincipalReporter
}

// Actor is the principal's name as it is written into audit events.
func (p *Principal) Actor() string {
	if p == nil {
		return "anonymous"
	}
	switch p.Kind {
	case PrincipalUser:
		return "user:" + p.Name
	case PrincipalReporter:
		return "reporter:" + p.Name
	default:
		return "system:" + p.Name
	}
}

// HasRole reports whether the principal holds one of roles. A system
// principal holds every role: it is the operator at the command line.
func (p *Principal) HasRole(roles ...Role) bool {
	if p == nil {
		return false
	}
	if p.Kind == PrincipalSystem {
		return true
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// System returns a context acting as the operator at the command line or as
// a background job; name says which (e.g. "cli", "scheduler").
func System(ctx context.Context, name string) context.Context {
	return NewContext(ctx, &Principal{Kind: PrincipalSystem, Name: name})
}
