// Package service implements tldguard's service interfaces over a
// tldguard.Store. The business rules (who may do what, how a report becomes
// cases, priorities and clocks, what goes into the audit log) live here,
// written once; the storage engines below only store.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/policy"
	"github.com/tldguard/tldguard/reportfmt"
)

// Config is what a Service needs. Store and Registry are required.
type Config struct {
	Store    tldguard.Store
	Registry tldguard.Registry
	// Adapter carries out actions at the registry; nil means actions that
	// change the registry fail with EUNAVAILABLE until one is configured.
	Adapter tldguard.RegistryAdapter
	// Abuse, when set, finds a registrar's abuse contact (RDAP) for
	// referrals the registrar table cannot address.
	Abuse  tldguard.AbuseContacts
	Policy *policy.Policy   // nil = policy.Default()
	Now    tldguard.Now     // nil = time.Now
	Logger *slog.Logger     // nil = slog.Default()
	Limits reportfmt.Limits // zero = reportfmt.DefaultLimits()
	// MaxBatch caps how many writes one group commit carries (default 256).
	MaxBatch int
	// SessionTTL is how long a sign-in lasts (default 12h).
	SessionTTL time.Duration
}

// Service implements the root service interfaces. Create it with New and
// release it with Close, which waits for writes in flight.
type Service struct {
	store    tldguard.Store
	registry tldguard.Registry
	adapter  tldguard.RegistryAdapter
	abuse    tldguard.AbuseContacts
	policy   *policy.Policy
	now      tldguard.Now
	log      *slog.Logger
	limits   reportfmt.Limits
	ttl      time.Duration

	commit *committer
	// wake tells this process's job runner that a job was queued, so an
	// approval is carried out at once rather than at the next poll.
	wake chan struct{}

	tokens tokenCache

	mu       sync.Mutex
	suffixes *dnsname.Suffixes
	tldsAt   time.Time
}

var (
	_ tldguard.ReportService = (*Service)(nil)
	_ tldguard.CaseService   = (*Service)(nil)
	_ tldguard.AuthService   = (*Service)(nil)
	_ tldguard.AuditService  = (*Service)(nil)
	_ tldguard.ActionService = (*Service)(nil)
)

// New returns a Service and starts its group committer.
func New(cfg Config) *Service {
	s := &Service{
		store:    cfg.Store,
		registry: cfg.Registry,
		adapter:  cfg.Adapter,
		abuse:    cfg.Abuse,
		policy:   cfg.Policy,
		now:      cfg.Now,
		log:      cfg.Logger,
		limits:   cfg.Limits,
		ttl:      cfg.SessionTTL,
	}
	if s.policy == nil {
		s.policy = policy.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.limits == (reportfmt.Limits{}) {
		s.limits = reportfmt.DefaultLimits()
	}
	if s.ttl == 0 {
		s.ttl = 12 * time.Hour
	}
	max := cfg.MaxBatch
	if max <= 0 {
		max = 256
	}
	s.commit = newCommitter(cfg.Store, max)
	s.wake = make(chan struct{}, 1)
	return s
}

// GroupWrite runs fn in the next group commit (see committer): the
// embedded registry uses it so that many changes share one sync. fn may run
// more than once.
func (s *Service) GroupWrite(ctx context.Context, fn func(tldguard.Tx) error) error {
	return s.commit.do(ctx, fn)
}

// Close stops the committer after the writes already submitted are done.
func (s *Service) Close() { s.commit.close() }

// Ping reports whether the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Policy returns the effective policy.
func (s *Service) Policy() *policy.Policy { return s.policy }

func (s *Service) clock() time.Time { return tldguard.Truncate(s.now()) }

// event builds an audit event acted by the principal in ctx.
func event(ctx context.Context, at time.Time, action string, caseID int64, subject string, data any) *tldguard.Event {
	return &tldguard.Event{
		At:      at,
		Actor:   tldguard.FromContext(ctx).Actor(),
		Action:  action,
		CaseID:  caseID,
		Subject: subject,
		Data:    mustJSON(data),
	}
}

// require returns EUNAUTHORIZED without a principal and EFORBIDDEN when the
// principal holds none of roles.
func require(ctx context.Context, roles ...tldguard.Role) (*tldguard.Principal, error) {
	p := tldguard.FromContext(ctx)
	if p == nil {
		return nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "sign in or present an API token")
	}
	if !p.HasRole(roles...) {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "your role (%s) may not do this", p.Role)
	}
	return p, nil
}
