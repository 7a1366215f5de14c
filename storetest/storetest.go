// Package storetest is the behaviour every tldguard.Store engine must show.
// Each engine's tests call Run with a function that opens a fresh, migrated,
// empty store; the suite holds no SQL and knows nothing of the engine.
//
// Every assertion follows a doc comment in the root package (store.go and the
// types it stores). Where a comment leaves a choice open, the test says which
// reading it takes.
package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// Run runs the behaviour suite. open must return a fresh, migrated, empty
// store and arrange for it to be closed with t.Cleanup; it is called once
// per subtest, so the subtests are independent.
func Run(t *testing.T, open func(t *testing.T) tldguard.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Tx", txTests},
		{"Batch", batchTests},
		{"Event", eventTests},
		{"User", userTests},
		{"Token", tokenTests},
		{"Session", sessionTests},
		{"Reporter", reporterTests},
		{"Registry", registryTests},
		{"Report", reportTests},
		{"Evidence", evidenceTests},
		{"Case", caseTests},
		{"ListCases", listCasesTests},
		{"Idempotency", idempotencyTests},
		{"Notice", noticeTests},
		{"Finding", findingTests},
		{"ScanRun", scanRunTests},
		{"Lease", leaseTests},
		{"Stats", statsTests},
		{"Reference", referenceTests},
		{"Action", actionTests},
		{"Blocked", blockedTests},
		{"Job", jobTests},
		{"StatsAction", statsActionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s tldguard.Store)
}

// errSentinel is what test functions return to make a transaction fail.
var errSentinel = errors.New("storetest: deliberate failure")

// write runs fn in s.Write and fails the test on an error.
func write(t *testing.T, s tldguard.Store, fn func(tx tldguard.Tx) error) {
	t.Helper()
	if err := s.Write(t.Context(), fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// read runs fn in s.Read and fails the test on an error.
func read(t *testing.T, s tldguard.Store, fn func(tx tldguard.Tx) error) {
	t.Helper()
	if err := s.Read(t.Context(), fn); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// wantKind checks that err is a tldguard error of the given kind.
func wantKind(t *testing.T, what string, err error, kind string) {
	t.Helper()
	if got := tldguard.ErrorKind(err); got != kind {
		t.Errorf("%s: error kind %q (%v), want %q", what, got, err, kind)
	}
}

// wantEqual compares got with want field by field (see diff).
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// zone is a non-UTC zone: stores must hand every time back in UTC.
var zone = time.FixedZone("UTC+2", 2*60*60)

// at returns a time with nanoseconds (which stores drop) in a non-UTC zone,
// the given number of minutes after a fixed base.
func at(minutes int) time.Time {
	return time.Date(2025, 6, 1, 12, 0, 0, 123456789, zone).Add(time.Duration(minutes) * time.Minute)
}

func newUser(n int) *tldguard.User {
	return &tldguard.User{
		Email:        fmt.Sprintf("analyst%d@nic.example", n),
		Name:         fmt.Sprintf("Analyst %d", n),
		Role:         tldguard.RoleAnalyst,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		CreatedAt:    at(n),
	}
}

func newReporter(name string, src tldguard.Source) *tldguard.Reporter {
	return &tldguard.Reporter{
		Name:      name,
		Source:    src,
		Email:     "abuse@" + name + ".example",
		CreatedAt: at(1),
	}
}

// newCase returns an open, standard-priority case with every field set
// except the ones that stay zero until the case is answered.
func newCase(domain string, threat tldguard.ThreatType) *tldguard.Case {
	tld := domain
	for i := len(domain) - 1; i >= 0; i-- {
		if domain[i] == '.' {
			tld = domain[i+1:]
			break
		}
	}
	return &tldguard.Case{
		Domain:         domain,
		TLD:            tld,
		ThreatType:     threat,
		Status:         tldguard.StatusOpen,
		Priority:       tldguard.PriorityStandard,
		PriorityReason: "default clock",
		Classification: tldguard.ClassUnknown,
		Registered:     true,
		RegistrarID:    "9999",
		RegistrarName:  "Example Registrar, Inc.",
		ReportCount:    1,
		OpenedAt:       at(0),
		AckedAt:        at(0),
		ResponseDueAt:  at(72 * 60),
		UpdatedAt:      at(0),
	}
}

func newReport(reporterID int64, names ...string) *tldguard.Report {
	raw := []byte(`{"names":["` + fmt.Sprint(names) + `"]}`)
	r := &tldguard.Report{
		ReporterID:  reporterID,
		Source:      tldguard.SourceTrustedNotifier,
		Format:      "tldguard",
		ThreatType:  tldguard.ThreatPhishing,
		Description: "credential phishing kit",
		Raw:         raw,
		RawSHA256:   sum(raw),
		ContentType: "application/json",
		ReceivedAt:  at(5),
	}
	for _, n := range names {
		r.Targets = append(r.Targets, tldguard.Target{Input: n, Host: n, Domain: n, TLD: tldOf(n)})
	}
	return r
}

func tldOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}

// mustCreateReporter stores r in its own transaction.
func mustCreateReporter(t *testing.T, s tldguard.Store, r *tldguard.Reporter) *tldguard.Reporter {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return tx.CreateReporter(r) })
	return r
}

// mustInsertCase stores c in its own transaction.
func mustInsertCase(t *testing.T, s tldguard.Store, c *tldguard.Case) *tldguard.Case {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error { return tx.InsertCase(c) })
	return c
}

// mustInsertReport stores r and files target i on caseIDs[i] for every
// non-zero entry.
func mustInsertReport(t *testing.T, s tldguard.Store, r *tldguard.Report, caseIDs ...int64) *tldguard.Report {
	t.Helper()
	write(t, s, func(tx tldguard.Tx) error {
		if err := tx.InsertReport(r); err != nil {
			return err
		}
		for i, id := range caseIDs {
			if id == 0 {
				continue
			}
			if err := tx.LinkReportCase(r.ID, id, i); err != nil {
				return err
			}
		}
		return nil
	})
	return r
}
