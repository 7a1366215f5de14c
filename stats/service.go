package stats

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/policy"
)

// Config is what a Service needs; Store is required.
type Config struct {
	Store  tldguard.Store
	Policy *policy.Policy // nil = policy.Default()
	Now    tldguard.Now   // nil = time.Now
	Logger *slog.Logger   // nil = slog.Default()
	// Transparency publishes the aggregate numbers of the monthly
	// snapshots (no names) on the public transparency page. Off by default:
	// publishing is each operator's choice.
	Transparency bool
	// Grace is how long after a month's end the scheduler waits before
	// taking its snapshot (default 1h).
	Grace time.Duration
	// Holder names this process in the snapshot lease (default host:pid).
	Holder string
}

// Service computes the statistical reports, keeps the monthly snapshots
// and serves the transparency page. Every method reads the acting
// principal from ctx and checks it.
type Service struct {
	store  tldguard.Store
	policy *policy.Policy
	now    tldguard.Now
	log    *slog.Logger
	cfg    Config
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, policy: cfg.Policy, now: cfg.Now, log: cfg.Logger, cfg: cfg}
	if s.policy == nil {
		s.policy = policy.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.Grace <= 0 {
		s.cfg.Grace = time.Hour
	}
	if s.cfg.Holder == "" {
		s.cfg.Holder = defaultHolder()
	}
	return s
}

func (s *Service) clock() time.Time { return tldguard.Truncate(s.now()) }

// Query asks for one report.
type Query struct {
	Period Period
	TLD    string // "" for every TLD
	Detail bool   // list every case counted
}

// readers may read the statistics: every staff role. A system principal
// (the CLI, the scheduler) holds every role.
var readers = tldguard.StaffRoles

// require returns EUNAUTHORIZED without a principal and EFORBIDDEN when it
// holds none of roles.
func require(ctx context.Context, roles ...tldguard.Role) (*tldguard.Principal, error) {
	p := tldguard.FromContext(ctx)
	if p == nil {
		return nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "sign in or present an API token")
	}
	if !p.HasRole(roles...) {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "your role (%s) may not read the statistics", p.Role)
	}
	return p, nil
}

// Report computes the statistical report for q from the per-domain
// records, in one read transaction. Errors: EUNAUTHORIZED, EFORBIDDEN (not
// staff), EINVALID (a TLD the operator does not run, naming "tld").
func (s *Service) Report(ctx context.Context, q Query) (*Report, error) {
	if _, err := require(ctx, readers...); err != nil {
		return nil, err
	}
	var rep *Report
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rep, err = s.compute(tx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.GeneratedAt = s.clock()
	return rep, nil
}

// Clocks returns the policy clocks the reports measure against.
func (s *Service) Clocks() Clocks {
	return Clocks{
		AcknowledgeSeconds:      0,
		HighResponseSeconds:     s.policy.Clocks.HighResponse.Seconds(),
		StandardResponseSeconds: s.policy.Clocks.StandardResponse.Seconds(),
	}
}

// compute builds the report in tx: one streaming read of the period's case
// records, then the registrations and the zone-check runs.
func (s *Service) compute(tx tldguard.Tx, q Query) (*Report, error) {
	q.TLD = strings.ToLower(strings.Trim(strings.TrimSpace(q.TLD), "."))
	tlds, err := tx.TLDs()
	if err != nil {
		return nil, err
	}
	if q.TLD != "" && !slices.Contains(tlds, q.TLD) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "tld", "%q is not one of the operator's TLDs (%s)", q.TLD, strings.Join(tlds, ", "))
	}
	b := newBuilder(q.Period, q.TLD, s.Clocks(), q.Detail)
	f := tldguard.StatsFilter{TLD: q.TLD, From: q.Period.From, To: q.Period.To}
	if err := tx.StatsActions(f, func(a *tldguard.StatsAction) error {
		b.addAction(a)
		return nil
	}); err != nil {
		return nil, err
	}
	err = tx.StatsCases(tldguard.StatsFilter{TLD: q.TLD, From: q.Period.From, To: q.Period.To}, func(r *tldguard.StatsCase) error {
		b.add(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	scope := tlds
	if q.TLD != "" {
		scope = []string{q.TLD}
	} else {
		for t := range b.tlds {
			if !slices.Contains(scope, t) {
				scope = append(scope, t)
			}
		}
	}
	registrations := map[string]int64{}
	for _, t := range scope {
		n, err := tx.CountRegistrations(t)
		if err != nil {
			return nil, err
		}
		registrations[t] = n
	}
	runs, err := runsSince(tx, q.Period.From)
	if err != nil {
		return nil, err
	}
	return b.finish(registrations, runs), nil
}

// runsSince returns the zone-check runs started at or after from, reading
// the newest first until a page holds only older runs.
func runsSince(tx tldguard.Tx, from time.Time) ([]*tldguard.ScanRun, error) {
	const page = 200
	var out []*tldguard.ScanRun
	var before int64
	for {
		rs, err := tx.ListScanRuns(before, page)
		if err != nil {
			return nil, err
		}
		newer := false
		for _, r := range rs {
			if !r.StartedAt.Before(from) {
				out = append(out, r)
				newer = true
			}
			before = r.ID
		}
		if len(rs) < page || !newer {
			return out, nil
		}
	}
}

// TLDs returns the operator's TLDs, sorted (staff).
func (s *Service) TLDs(ctx context.Context) ([]string, error) {
	if _, err := require(ctx, readers...); err != nil {
		return nil, err
	}
	var out []string
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		out, err = tx.TLDs()
		return err
	})
	return out, err
}
