package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/service"
)

// flakyAdapter is the embedded registry with failures injected on demand;
// it counts the changes that reached the registry. (A stand-in above the
// storage layer: the registry data underneath is the real store.)
type flakyAdapter struct {
	tldguard.RegistryAdapter
	mu      sync.Mutex
	fail    []error // returned, in order, before the real Apply
	applied int
	calls   int
}

func (a *flakyAdapter) Apply(ctx context.Context, c tldguard.Change) (*tldguard.ChangeResult, error) {
	a.mu.Lock()
	a.calls++
	if len(a.fail) > 0 {
		err := a.fail[0]
		a.fail = a.fail[1:]
		a.mu.Unlock()
		return nil, err
	}
	a.mu.Unlock()
	res, err := a.RegistryAdapter.Apply(ctx, c)
	if err == nil && res.Applied {
		a.mu.Lock()
		a.applied++
		a.mu.Unlock()
	}
	return res, err
}

func (f *fixture) run() int {
	f.t.Helper()
	total := 0
	for {
		n, err := f.svc.RunDueJobs(context.Background(), "test-worker", 50)
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func (f *fixture) registration(name string) *tldguard.Registration {
	f.t.Helper()
	var reg *tldguard.Registration
	if err := f.store.Read(context.Background(), func(tx tldguard.Tx) error {
		var err error
		reg, err = tx.Registration(name)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return reg
}

func (f *fixture) action(id int64) *tldguard.Action {
	f.t.Helper()
	a, err := f.svc.Action(f.analyst, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func TestHoldApprovedCarriedOutAndReleased(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r := f.submit(f.notifier, reportJSON("phishing", "https://paypal.bad.example/login"))
		caseID := r.Cases[0].ID

		tri, err := f.svc.Triage(f.analyst, caseID)
		if err != nil {
			t.Fatal(err)
		}
		if tri.Verdict.Class != tldguard.ClassMalicious || len(tri.Proposals) == 0 || tri.Proposals[0].Kind != tldguard.ActionHold {
			t.Fatalf("triage of a 2-day-old name with a brand: %+v", tri)
		}
		if dry := strings.Join(tri.Proposals[0].DryRun, "; "); !strings.Contains(dry, "adds serverHold") {
			t.Errorf("dry-run %q", dry)
		}

		a, err := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "phishing kit"})
		if err != nil {
			t.Fatal(err)
		}
		if a.State != tldguard.ActionProposed || a.RequiredApprovals != 1 {
			t.Fatalf("proposed: %+v", a)
		}
		if n := f.run(); n != 0 {
			t.Fatalf("a proposal ran %d jobs before approval", n)
		}
		if _, err := f.svc.ApproveAction(f.approver, a.ID, "checked the kit"); err != nil {
			t.Fatal(err)
		}
		if n := f.run(); n != 1 {
			t.Fatalf("ran %d jobs, want 1", n)
		}
		done := f.action(a.ID)
		if done.State != tldguard.ActionDone || done.Before == nil || slices.Contains(done.Before.Statuses, tldguard.StatusServerHold) || !slices.Contains(done.After.Statuses, tldguard.StatusServerHold) {
			t.Fatalf("done action: %+v", done)
		}
		if reg := f.registration("bad.example"); !slices.Contains(reg.Statuses, tldguard.StatusServerHold) {
			t.Errorf("registry statuses %v", reg.Statuses)
		}
		c := caseOf(t, f, caseID)
		if c.RespondedAt.IsZero() || c.Status != tldguard.StatusInProgress {
			t.Errorf("case after the hold: %+v", c)
		}

		// Undo: a release, approved, restores the statuses.
		rel, err := f.svc.UndoAction(f.analyst, a.ID, "site cleaned, registrar confirmed")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveAction(f.approver, rel.ID, ""); err != nil {
			t.Fatal(err)
		}
		f.run()
		if reg := f.registration("bad.example"); slices.Contains(reg.Statuses, tldguard.StatusServerHold) {
			t.Errorf("released, statuses %v", reg.Statuses)
		}
		if got := f.action(a.ID).State; got != tldguard.ActionUndone {
			t.Errorf("the held action is %s after its release", got)
		}
		if f.adapter.applied != 2 {
			t.Errorf("%d changes reached the registry, want 2", f.adapter.applied)
		}
		f.verify()
	})
}

// TestApprovalRules is the table of who may do what to an action in which
// state.
func TestApprovalRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		caseID := f.submit(f.notifier, reportJSON("phishing", "bad.example")).Cases[0].ID
		admin2 := f.user("boss@nic.example", tldguard.RoleAdmin)

		for _, tt := range []struct {
			who  string
			ctx  context.Context
			kind string
		}{
			{"analyst", f.analyst, ""}, {"approver", f.approver, ""}, {"auditor", f.auditor, tldguard.EFORBIDDEN},
			{"reporter", f.notifier, tldguard.EFORBIDDEN}, {"registrar", f.registrar, tldguard.EFORBIDDEN},
		} {
			_, err := f.svc.ProposeAction(tt.ctx, caseID, tldguard.ActionInput{Kind: tldguard.ActionLock, Reason: "x"})
			if tldguard.ErrorKind(err) != tt.kind {
				t.Errorf("%s proposing: %v, want %q", tt.who, err, tt.kind)
			}
		}

		// Delete needs two distinct approvers; the proposer is not one.
		del, err := f.svc.ProposeAction(f.approver, caseID, tldguard.ActionInput{Kind: tldguard.ActionDelete, Reason: "court order 12/2026"})
		if err != nil || del.RequiredApprovals != 2 {
			t.Fatalf("delete proposal: %+v %v", del, err)
		}
		steps := []struct {
			who  string
			ctx  context.Context
			kind string
			want tldguard.ActionState
		}{
			{"its proposer", f.approver, tldguard.EFORBIDDEN, tldguard.ActionProposed},
			{"an analyst", f.analyst, tldguard.EFORBIDDEN, tldguard.ActionProposed},
			{"an auditor", f.auditor, tldguard.EFORBIDDEN, tldguard.ActionProposed},
			{"the first admin", f.admin, "", tldguard.ActionProposed},
			{"the same admin again", f.admin, tldguard.ECONFLICT, tldguard.ActionProposed},
			{"a second admin", admin2, "", tldguard.ActionApproved},
			{"anyone after approval", f.approver, tldguard.ECONFLICT, tldguard.ActionApproved},
		}
		for _, st := range steps {
			_, err := f.svc.ApproveAction(st.ctx, del.ID, "")
			if tldguard.ErrorKind(err) != st.kind {
				t.Errorf("approval by %s: %v, want %q", st.who, err, st.kind)
			}
			if got := f.action(del.ID).State; got != st.want {
				t.Errorf("after approval by %s: state %s, want %s", st.who, got, st.want)
			}
		}
		// Rejection needs a reason and a proposal.
		lock, _ := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionLock})
		if _, err := f.svc.RejectAction(f.approver, lock.ID, ""); tldguard.ErrorField(err) != "reason" {
			t.Errorf("reject without reason: %v", err)
		}
		if _, err := f.svc.RejectAction(f.approver, lock.ID, "not needed"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveAction(f.admin, lock.ID, ""); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("approving a rejected action: %v", err)
		}
		// Argument checks.
		for _, in := range []tldguard.ActionInput{
			{Kind: "nuke"}, {Kind: tldguard.ActionNoAction}, {Kind: tldguard.ActionTransfer},
			{Kind: tldguard.ActionRelease}, {Kind: tldguard.ActionRelease, UndoOf: lock.ID},
			{Kind: tldguard.ActionBlock},
		} {
			if _, err := f.svc.ProposeAction(f.analyst, caseID, in); err == nil {
				t.Errorf("%+v accepted", in)
			}
		}
	})
}

func TestProtectedNameNeedsExtraApproval(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		f.svc.Policy().Protected = []string{"shop.example"}
		caseID := f.submit(f.notifier, reportJSON("malware", "shop.example")).Cases[0].ID
		a, err := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionHold})
		if err != nil || a.RequiredApprovals != 2 {
			t.Fatalf("hold of a protected name: %+v %v", a, err)
		}
		tri, _ := f.svc.Triage(f.analyst, caseID)
		if !tri.Guarded || len(tri.Collateral) == 0 || tri.Collateral[0].Code != "protected" {
			t.Errorf("triage of a protected name: %+v", tri.Collateral)
		}
	})
}

// TestDependentNamesGuard: a name whose name servers serve ten other
// registrations is guarded, so its hold needs the extra approval.
func TestDependentNamesGuard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		var regs []*tldguard.Registration
		for i := 0; i < 10; i++ {
			regs = append(regs, &tldguard.Registration{Name: fmt.Sprintf("client%d.example", i), TLD: "example", RegistrarID: "9002",
				Statuses: []string{"ok"}, NameServers: []string{"ns1.shop.example", "ns2.shop.example"}})
		}
		if err := f.svc.ImportRegistry(f.admin, nil, regs); err != nil {
			t.Fatal(err)
		}
		caseID := f.submit(f.notifier, reportJSON("malware", "shop.example")).Cases[0].ID
		tri, err := f.svc.Triage(f.analyst, caseID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, w := range tri.Collateral {
			found = found || (w.Code == "dependent_names" && w.Guarded && strings.Contains(w.Message, "10 other"))
		}
		if !found || !tri.Guarded {
			t.Fatalf("collateral of a name serving 10 others: %+v", tri.Collateral)
		}
		a, err := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionHold})
		if err != nil || a.RequiredApprovals != 2 {
			t.Errorf("hold of a guarded name: %+v %v", a, err)
		}
	})
}

// TestActionRetriesAndFailures: a registry that is down is retried with
// backoff; a permanent refusal fails the action and shows on it.
func TestActionRetriesAndFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		caseID := f.submit(f.notifier, reportJSON("phishing", "bad.example")).Cases[0].ID
		f.adapter.fail = []error{tldguard.Errorf(tldguard.EUNAVAILABLE, "EPP 2400: command failed")}
		a, _ := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionHold})
		f.svc.ApproveAction(f.approver, a.ID, "")
		f.run()
		if got := f.action(a.ID); got.State != tldguard.ActionApproved {
			t.Fatalf("after a temporary failure: %s", got.State)
		}
		if n := f.run(); n != 0 {
			t.Fatalf("retried at once (%d), not after a backoff", n)
		}
		f.clock.add(time.Minute)
		f.run()
		if got := f.action(a.ID); got.State != tldguard.ActionDone {
			t.Fatalf("after the retry: %s (%s)", got.State, got.LastError)
		}

		// A permanent refusal.
		other := f.submit(f.notifier, reportJSON("malware", "shop.example")).Cases[0].ID
		f.adapter.fail = []error{tldguard.Errorf(tldguard.ECONFLICT, "EPP 2304: object status prohibits operation")}
		b, _ := f.svc.ProposeAction(f.analyst, other, tldguard.ActionInput{Kind: tldguard.ActionLock})
		f.svc.ApproveAction(f.approver, b.ID, "")
		f.run()
		got := f.action(b.ID)
		if got.State != tldguard.ActionFailed || !strings.Contains(got.LastError, "2304") {
			t.Errorf("after a refusal: %s %q", got.State, got.LastError)
		}
		// A crash after the registry change but before its record: the job
		// runs again, the adapter finds the hold in place, and it is
		// recorded once.
		third := f.submit(f.notifier, reportJSON("pharming", "bad.example")).Cases[0].ID
		c, _ := f.svc.ProposeAction(f.analyst, third, tldguard.ActionInput{Kind: tldguard.ActionHold})
		f.svc.ApproveAction(f.approver, c.ID, "")
		before := f.adapter.applied
		f.run()
		if f.adapter.applied != before {
			t.Errorf("a hold already in place was applied again")
		}
		if got := f.action(c.ID); got.State != tldguard.ActionDone || !strings.Contains(got.Result, "already") {
			t.Errorf("idempotent hold: %s %q", got.State, got.Result)
		}
		f.verify()
	})
}

func TestReferralAnsweredAndEscalated(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		caseID := f.submit(f.notifier, reportJSON("phishing", "http://bad.example/wp-content/x/login.php")).Cases[0].ID
		ref, err := f.svc.ProposeAction(f.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar})
		if err != nil || ref.State != tldguard.ActionApproved {
			t.Fatalf("a referral needs no approval: %+v %v", ref, err)
		}
		f.run()
		ref = f.action(ref.ID)
		if ref.State != tldguard.ActionDone || ref.DueAt.IsZero() {
			t.Fatalf("sent referral: %+v", ref)
		}
		// The registrar (Alpha Names, 9001) sees it; another does not.
		rs, err := f.svc.Referrals(f.registrar)
		if err != nil || len(rs) != 1 || rs[0].Action.ID != ref.ID {
			t.Fatalf("registrar's referrals: %+v %v", rs, err)
		}
		other := f.reporter(serviceReporter("Bravo Domains", "9002"))
		if rs, _ := f.svc.Referrals(other); len(rs) != 0 {
			t.Errorf("another registrar sees %d referrals", len(rs))
		}
		if _, err := f.svc.AnswerReferral(other, ref.ID, "mitigated", "done"); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("another registrar answering: %v", err)
		}
		// The registrar declines: the registry's own action is proposed.
		if _, err := f.svc.AnswerReferral(f.registrar, ref.ID, "no_action", "customer says it is fine"); err != nil {
			t.Fatal(err)
		}
		as, _ := f.svc.Actions(f.analyst, tldguard.ActionFilter{CaseID: caseID, State: []tldguard.ActionState{tldguard.ActionProposed}})
		if len(as) != 1 || !strings.Contains(as[0].Reason, "declined") {
			t.Fatalf("escalation after a refusal: %+v", as)
		}

		// An unanswered referral escalates when its window ends.
		second := f.submit(f.notifier, reportJSON("malware", "shop.example")).Cases[0].ID
		ref2, _ := f.svc.ProposeAction(f.analyst, second, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar})
		f.run()
		f.clock.add(49 * time.Hour)
		f.run()
		as, _ = f.svc.Actions(f.analyst, tldguard.ActionFilter{CaseID: second, State: []tldguard.ActionState{tldguard.ActionProposed}})
		if len(as) != 1 || !strings.Contains(as[0].Reason, "no answer") {
			t.Fatalf("escalation after silence (referral %d): %+v", ref2.ID, as)
		}
		f.verify()
	})
}

func TestConfidentialRequestIsNotReferred(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r := f.submit(f.le, `{"threat_type":"phishing","names":["bad.example"],"request":{"authority":"Metro Police","do_not_notify_registrar":true}}`)
		_, err := f.svc.ProposeAction(f.analyst, r.Cases[0].ID, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar})
		if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
			t.Errorf("referral of a confidential request: %v", err)
		}
	})
}

func TestBlockAndNoAction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		r := f.submit(f.notifier, reportJSON("botnet", "qz9v2ml4pa8r.example"))
		b, err := f.svc.ProposeAction(f.analyst, r.Cases[0].ID, tldguard.ActionInput{Kind: tldguard.ActionBlock, Names: []string{"qz9v2ml4pa8r.example", "qz9v2ml4pa8s.example"}})
		if err != nil {
			t.Fatal(err)
		}
		f.svc.ApproveAction(f.approver, b.ID, "")
		f.run()
		for _, name := range []string{"qz9v2ml4pa8r.example", "QZ9V2ML4PA8S.example."} {
			if got, err := f.svc.Blocked(f.registrar, name); err != nil || got.ActionID != b.ID {
				t.Errorf("Blocked(%s): %+v %v", name, got, err)
			}
		}
		if _, err := f.svc.Blocked(f.registrar, "free.example"); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("an unblocked name: %v", err)
		}
		// no_action closes with its reason.
		oos := f.submit(f.public, reportJSON("copyright", "shop.example")).Cases[0].ID
		n, err := f.svc.ProposeAction(f.analyst, oos, tldguard.ActionInput{Kind: tldguard.ActionNoAction, Reason: "out of scope: copyright"})
		if err != nil || n.State != tldguard.ActionApproved {
			t.Fatalf("no_action: %+v %v", n, err)
		}
		f.run()
		c := caseOf(t, f, oos)
		if c.Status != tldguard.StatusClosed || !strings.Contains(c.Resolution, "copyright") || c.RespondedAt.IsZero() {
			t.Errorf("case after no_action: %+v", c)
		}
	})
}

func serviceReporter(name, registrarID string) service.ReporterInput {
	return service.ReporterInput{Name: name, Source: tldguard.SourceRegistrar, RegistrarID: registrarID}
}
