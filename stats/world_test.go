package stats_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
	"github.com/tldguard/tldguard/stats"
)

// clock is the test's settable clock, shared by the services.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// day returns 2026-month-d hh:mm UTC.
func day(month time.Month, d, hh, mm int) time.Time {
	return time.Date(2026, month, d, hh, mm, 0, 0, time.UTC)
}

// world is the small fixed data set the figures are computed by hand
// from, built through the real service and store in the order the events
// happen (see buildWorld for the story of each case).
type world struct {
	staleZone bool // the next run reads zone test from an older copy

	t     *testing.T
	store tldguard.Store
	svc   *service.Service
	stats *stats.Service
	clock *clock
	admin context.Context

	le, leUnverified, gov, notifier, public, alpha context.Context
	analyst, auditor, reporterCtx                  context.Context
	approver, bravo                                context.Context

	cases   map[string]int64 // "C1" ... → case id
	actions map[string]int64 // "hold C13" ... → action id
	runs    map[string]*tldguard.ScanRun
}

func newWorld(t *testing.T, store tldguard.Store) *world {
	t.Helper()
	c := &clock{t: day(time.September, 1, 9, 0)}
	reg := localregistry.New(store)
	w := &world{t: t, store: store, clock: c, admin: tldguard.System(context.Background(), "test"),
		cases: map[string]int64{}, actions: map[string]int64{}, runs: map[string]*tldguard.ScanRun{}}
	w.svc = service.New(service.Config{Store: store, Registry: reg, Adapter: reg, Now: c.now})
	t.Cleanup(w.svc.Close)
	w.stats = stats.New(stats.Config{Store: store, Now: c.now, Holder: "node-a", Transparency: true})
	for _, tld := range []string{"example", "test"} {
		if _, err := w.svc.AddTLD(w.admin, tld); err != nil {
			t.Fatal(err)
		}
	}
	// 20 names in .example and 5 in .test; bot1.test and bot2.test are
	// not registered.
	created := day(time.January, 5, 0, 0)
	var regs []*tldguard.Registration
	add := func(name, tld, id, rname string) {
		regs = append(regs, &tldguard.Registration{Name: name, TLD: tld, RegistrarID: id, RegistrarName: rname,
			Statuses: []string{"ok"}, CreatedAt: created})
	}
	for _, n := range []string{"phish1", "pharm1", "phish2", "mal2"} {
		add(n+".example", "example", "9001", "Alpha Names")
	}
	for _, n := range []string{"mal1", "spam1", "phish3", "oos1"} {
		add(n+".example", "example", "9002", "Bravo Domains")
	}
	for i := range 12 {
		add(fmt.Sprintf("quiet%02d.example", i), "example", "9001", "Alpha Names")
	}
	for _, n := range []string{"phish4", "spam2", "quiet1", "quiet2", "quiet3"} {
		add(n+".test", "test", "9002", "Bravo Domains")
	}
	err := w.svc.ImportRegistry(w.admin, []*tldguard.Registrar{
		{ID: "9001", Name: "Alpha Names", AbuseEmail: "abuse@alpha.example"},
		{ID: "9002", Name: "Bravo Domains", AbuseEmail: "abuse@bravo.example"},
	}, regs)
	if err != nil {
		t.Fatal(err)
	}
	w.le = w.reporter(service.ReporterInput{Name: "Metro Police", Source: tldguard.SourceLawEnforcement, VerifiedBy: "admin", VerifiedHow: "called the switchboard"})
	w.leUnverified = w.reporter(service.ReporterInput{Name: "Harbour Police", Source: tldguard.SourceLawEnforcement})
	w.gov = w.reporter(service.ReporterInput{Name: "National CERT", Source: tldguard.SourceGovernment})
	w.notifier = w.reporter(service.ReporterInput{Name: "Phish Watch", Source: tldguard.SourceTrustedNotifier})
	w.public = w.reporter(service.ReporterInput{Name: "A. Citizen", Source: tldguard.SourcePublic})
	w.alpha = w.reporter(service.ReporterInput{Name: "Alpha Names abuse desk", Source: tldguard.SourceRegistrar, RegistrarID: "9001"})
	w.bravo = w.reporter(service.ReporterInput{Name: "Bravo Domains abuse desk", Source: tldguard.SourceRegistrar, RegistrarID: "9002"})
	w.reporterCtx = w.public
	w.analyst = w.user("ann@nic.example", tldguard.RoleAnalyst)
	w.auditor = w.user("aud@nic.example", tldguard.RoleAuditor)
	w.approver = w.user("app@nic.example", tldguard.RoleApprover)
	return w
}

// act proposes an action on case key at the given time as the analyst,
// approves it as the approver when it needs approval, and runs the due
// jobs, which carry it out; it is remembered as "kind key".
func (w *world) act(key string, at time.Time, in tldguard.ActionInput) {
	w.t.Helper()
	w.clock.set(at)
	a, err := w.svc.ProposeAction(w.analyst, w.cases[key], in)
	if err != nil {
		w.t.Fatalf("%s %s: propose: %v", in.Kind, key, err)
	}
	w.finish(a, string(in.Kind)+" "+key)
}

// undo proposes the release of the remembered action at the given time,
// approves and carries it out; it is remembered as "release " + what.
func (w *world) undo(what string, at time.Time, reason string) {
	w.t.Helper()
	w.clock.set(at)
	a, err := w.svc.UndoAction(w.analyst, w.actions[what], reason)
	if err != nil {
		w.t.Fatalf("undo %s: %v", what, err)
	}
	w.finish(a, "release "+what)
}

func (w *world) finish(a *tldguard.Action, name string) {
	w.t.Helper()
	if a.State == tldguard.ActionProposed {
		if _, err := w.svc.ApproveAction(w.approver, a.ID, ""); err != nil {
			w.t.Fatalf("%s: approve: %v", name, err)
		}
	}
	w.runJobs()
	done, err := w.svc.Action(w.analyst, a.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if done.State != tldguard.ActionDone {
		w.t.Fatalf("%s: %s (%s), want done", name, done.State, done.LastError)
	}
	w.actions[name] = a.ID
}

// runJobs runs every job due at the clock's time.
func (w *world) runJobs() {
	w.t.Helper()
	for {
		n, err := w.svc.RunDueJobs(context.Background(), "test", 50)
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// answer gives Bravo Domains' answer to the remembered referral.
func (w *world) answer(what string, at time.Time, outcome, detail string) {
	w.t.Helper()
	w.clock.set(at)
	if _, err := w.svc.AnswerReferral(w.bravo, w.actions[what], outcome, detail); err != nil {
		w.t.Fatalf("answer %s: %v", what, err)
	}
}

func (w *world) reporter(in service.ReporterInput) context.Context {
	w.t.Helper()
	_, token, err := w.svc.CreateReporter(w.admin, in)
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := w.svc.Authenticate(context.Background(), token)
	if err != nil {
		w.t.Fatal(err)
	}
	return tldguard.NewContext(context.Background(), p)
}

func (w *world) user(email string, role tldguard.Role) context.Context {
	w.t.Helper()
	if _, _, err := w.svc.CreateUser(w.admin, email, "", role); err != nil {
		w.t.Fatal(err)
	}
	token, err := w.svc.CreateUserToken(w.admin, email, "test")
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := w.svc.Authenticate(context.Background(), token)
	if err != nil {
		w.t.Fatal(err)
	}
	return tldguard.NewContext(context.Background(), p)
}

// report files a report at the given time; the case it opens or joins is
// remembered as key.
func (w *world) report(key string, at time.Time, who context.Context, threat, name string, urgency string) {
	w.t.Helper()
	w.clock.set(at)
	body := fmt.Sprintf(`{"threat_type":%q,"names":[%q]}`, threat, name)
	if urgency != "" {
		body = fmt.Sprintf(`{"threat_type":%q,"names":[%q],"request":{"authority":"Metro Police","urgency":%q,"urgency_reason":"hostage site"}}`, threat, name, urgency)
	}
	r, err := w.svc.SubmitReport(who, &tldguard.Submission{Raw: []byte(body), ContentType: "application/json"})
	if err != nil {
		w.t.Fatalf("%s: submit: %v", key, err)
	}
	if id, ok := w.cases[key]; ok && id != r.Cases[0].ID {
		w.t.Fatalf("%s: the report opened case %d, want it filed on %d", key, r.Cases[0].ID, id)
	}
	w.cases[key] = r.Cases[0].ID
}

// update changes case key at the given time as the analyst.
func (w *world) update(key string, at time.Time, u tldguard.CaseUpdate) {
	w.t.Helper()
	w.clock.set(at)
	if _, err := w.svc.UpdateCase(w.analyst, w.cases[key], u); err != nil {
		w.t.Fatalf("%s: update at %s: %v", key, at, err)
	}
}

func (w *world) close(key string, at time.Time, reason string) {
	w.t.Helper()
	st := tldguard.StatusClosed
	w.update(key, at, tldguard.CaseUpdate{Status: &st, Reason: reason})
}

func (w *world) setStatus(key string, at time.Time, st tldguard.CaseStatus) {
	w.t.Helper()
	w.update(key, at, tldguard.CaseUpdate{Status: &st})
}

// zoneCheck opens a case as the zone check does: the case, the finding that
// opened it and the audit event, in one transaction, with no report (so no
// one to acknowledge).
func (w *world) zoneCheck(key string, at time.Time, name, registrarID, registrarName string, threat tldguard.ThreatType, run *tldguard.ScanRun) {
	w.t.Helper()
	w.clock.set(at)
	err := w.store.Write(context.Background(), func(tx tldguard.Tx) error {
		c := &tldguard.Case{Domain: name, TLD: name[strings.LastIndexByte(name, '.')+1:], ThreatType: threat,
			Status: tldguard.StatusOpen, Priority: tldguard.PriorityStandard, PriorityReason: "zone check",
			Classification: tldguard.ClassUnknown, Registered: true, RegistrarID: registrarID, RegistrarName: registrarName,
			OpenedAt: at, ResponseDueAt: at.Add(72 * time.Hour), UpdatedAt: at}
		if err := tx.InsertCase(c); err != nil {
			return err
		}
		w.cases[key] = c.ID
		f := &tldguard.Finding{Domain: name, TLD: c.TLD, Feed: "urlhaus", ThreatType: threat, URLs: []string{"http://" + name + "/"},
			CaseID: c.ID, FirstSeen: at, LastSeen: at, LastRunID: run.ID}
		if err := tx.InsertFinding(f); err != nil {
			return err
		}
		return tx.AppendEvent(&tldguard.Event{At: at, Actor: "system:zonecheck", Action: "case.opened", CaseID: c.ID,
			Subject: fmt.Sprintf("case:%d", c.ID), Data: []byte(`{"source":"feed"}`)})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// run stores a finished zone-check run.
func (w *world) run(key string, started time.Duration, status tldguard.ScanStatus, newFindings, newCases int64, at time.Time) {
	w.t.Helper()
	r := &tldguard.ScanRun{Trigger: "schedule", Node: "node-a", Status: status, StartedAt: at, FinishedAt: at.Add(started),
		NewFindings: newFindings, NewCases: newCases,
		Zones: []tldguard.ZoneStat{{Apex: "example", Names: 20}, {Apex: "test", Names: 5, Stale: w.staleZone, Alarm: map[bool]string{true: "download failed"}[w.staleZone]}}, NamesChecked: 25}
	if status == tldguard.ScanFailed {
		r.Zones, r.NamesChecked, r.Error = nil, 0, "every feed failed"
	}
	err := w.store.Write(context.Background(), func(tx tldguard.Tx) error { return tx.InsertScanRun(r) })
	if err != nil {
		w.t.Fatal(err)
	}
	w.runs[key] = r
}

// buildWorld builds the data set up to the end of October 2026 (the clock
// is left at 2026-11-01 01:30). The cases, in the order they happen:
//
//	C12 spam2.test       spam      public         09-05 10:00, closed 09-06 10:00 "cleaned"
//	C10 mal2.example     malware   notifier       09-10 10:00, due 09-13 10:00 (missed in Sept), closed in Nov
//	C11 phish4.test      phishing  public         09-20 10:00, closed 09-21 10:00 "cleaned", reopened 10-04 10:00
//	C1  phish1.example   phishing  notifier       09-28 10:00, due 10-01 10:00, closed 10-02 12:00 "False positive" (late)
//	C2  mal1.example     malware   LE, urgent     10-03 08:00 high, due 10-04 08:00, closed 10-03 14:00 "cleaned",
//	                                               reopened 10-20 09:00, closed 10-21 09:00 "Cleaned"
//	C3  bot1.test        botnet    government     10-05 12:00 (not registered), in progress 10-06, due 10-08 12:00
//	C6  oos1.example     copyright public         10-07 09:00 out of scope, closed 10-08 09:00
//	C4  pharm1.example   pharming  zone check     10-10 06:00 (no report, no ack), public report 10-11 09:00,
//	                                               closed 10-12 06:00 "registrar suspended the name"
//	C7  phish2.example   phishing  registrar      10-15 09:00, raised to high 10:00 (due 10-16 10:00),
//	                                               closed 10-16 12:00 "site taken down by host" (late)
//	C13 mal1.example     phishing  notifier       10-25 10:00, due 10-28 10:00 (missed), open at end
//	C5  spam1.example    spam      public         10-30 20:00, due 11-02 20:00, open at end
//	C8  phish3.example   phishing  LE unverified  10-31 23:00, closed 10-31 23:30 "false positive"
func buildWorld(w *world) {
	w.run("R0", 10*time.Minute, tldguard.ScanOK, 0, 0, day(time.September, 30, 5, 55))

	w.report("C12", day(time.September, 5, 10, 0), w.public, "spam", "spam2.test", "")
	w.close("C12", day(time.September, 6, 10, 0), "cleaned")
	w.report("C10", day(time.September, 10, 10, 0), w.notifier, "malware", "mal2.example", "")
	w.report("C11", day(time.September, 20, 10, 0), w.public, "phishing", "phish4.test", "")
	w.close("C11", day(time.September, 21, 10, 0), "cleaned")
	w.report("C1", day(time.September, 28, 10, 0), w.notifier, "phishing", "phish1.example", "")

	w.close("C1", day(time.October, 2, 12, 0), "False positive")
	w.report("C2", day(time.October, 3, 8, 0), w.le, "malware", "mal1.example", "life")
	w.close("C2", day(time.October, 3, 14, 0), "cleaned")
	w.setStatus("C11", day(time.October, 4, 10, 0), tldguard.StatusOpen)
	w.report("C3", day(time.October, 5, 12, 0), w.gov, "botnet", "bot1.test", "")
	w.setStatus("C3", day(time.October, 6, 9, 0), tldguard.StatusInProgress)
	w.report("C6", day(time.October, 7, 9, 0), w.public, "copyright", "oos1.example", "")
	w.close("C6", day(time.October, 8, 9, 0), "outside DNS abuse; sent to the rights holder")
	w.run("R1", 10*time.Minute, tldguard.ScanOK, 1, 1, day(time.October, 10, 5, 55))
	w.zoneCheck("C4", day(time.October, 10, 6, 0), "pharm1.example", "9001", "Alpha Names", tldguard.ThreatPharming, w.runs["R1"])
	w.report("C4", day(time.October, 11, 9, 0), w.public, "pharming", "pharm1.example", "")
	w.close("C4", day(time.October, 12, 6, 0), "registrar suspended the name")
	w.report("C7", day(time.October, 15, 9, 0), w.alpha, "phishing", "phish2.example", "")
	high := tldguard.PriorityHigh
	w.update("C7", day(time.October, 15, 10, 0), tldguard.CaseUpdate{Priority: &high, Reason: "bank brand, live kit"})
	w.close("C7", day(time.October, 16, 12, 0), "site taken down by host")
	w.reopen("C2", day(time.October, 20, 9, 0))
	w.run("R2", time.Minute, tldguard.ScanFailed, 0, 0, day(time.October, 20, 5, 55))
	w.close("C2", day(time.October, 21, 9, 0), "Cleaned")
	w.report("C13", day(time.October, 25, 10, 0), w.notifier, "phishing", "mal1.example", "")
	w.run("R3", 10*time.Minute, tldguard.ScanOK, 0, 0, day(time.October, 30, 5, 55))
	w.report("C5", day(time.October, 30, 20, 0), w.public, "spam", "spam1.example", "")
	w.report("C8", day(time.October, 31, 23, 0), w.leUnverified, "phishing", "phish3.example", "")
	w.close("C8", day(time.October, 31, 23, 30), "false positive")
	w.clock.set(day(time.November, 1, 1, 30))
}

func (w *world) reopen(key string, at time.Time) { w.setStatus(key, at, tldguard.StatusOpen) }

// buildNovember continues the story past October: every change here
// touches a case October counted, and none may change October's report.
//
//	C5  closed 11-01 10:00 "insufficient evidence"
//	C10 closed 11-02 10:00 "cleaned"
//	C9  bot2.test botnet government 11-03 10:00
//	C8  reopened 11-05 09:00, referred to Bravo 09:30 (standard: due
//	    11-07 09:30), raised to high, Bravo answers "mitigated" 12:00 (in
//	    time), closed 11-06 09:00
//	C11 referred to Bravo 11-06 10:00 (due 11-08 10:00, never answered),
//	    closed 11-07 10:00
//	C13 raised to high 11-08 10:00, held 11:00 (its first response),
//	    closed 12:00 (the hold is released in December: buildDecember)
//	C1  reopened 11-09 (closed in October: October still sees it closed)
//	C3  raised to high 11-10 (October saw it standard and overdue)
//	a registration added (the abuse rate's denominator, the one exception)
func buildNovember(w *world) {
	w.close("C5", day(time.November, 1, 10, 0), "insufficient evidence")
	w.close("C10", day(time.November, 2, 10, 0), "cleaned")
	w.report("C9", day(time.November, 3, 10, 0), w.gov, "botnet", "bot2.test", "")
	w.reopen("C8", day(time.November, 5, 9, 0))
	w.act("C8", day(time.November, 5, 9, 30), tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar, Reason: "kit on a customer's site"})
	high := tldguard.PriorityHigh
	w.update("C8", day(time.November, 5, 10, 0), tldguard.CaseUpdate{Priority: &high, Reason: "new evidence"})
	w.answer("refer_registrar C8", day(time.November, 5, 12, 0), "mitigated", "customer's site taken down")
	w.close("C8", day(time.November, 6, 9, 0), "false positive")
	w.act("C11", day(time.November, 6, 10, 0), tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar, Reason: "phishing page back"})
	w.close("C11", day(time.November, 7, 10, 0), "cleaned")
	w.update("C13", day(time.November, 8, 10, 0), tldguard.CaseUpdate{Priority: &high, Reason: "kit spreading"})
	w.act("C13", day(time.November, 8, 11, 0), tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "live phishing kit"})
	w.close("C13", day(time.November, 8, 12, 0), "held at the registrar")
	w.reopen("C1", day(time.November, 9, 9, 0))
	w.update("C3", day(time.November, 10, 9, 0), tldguard.CaseUpdate{Priority: &high, Reason: "C2 of a live botnet"})
	w.clock.set(day(time.December, 1, 3, 0))
}

// buildDecember continues past November: C13 is reopened on 12-02 09:00,
// its hold released at 10:00 and the case closed again at 12:00 "site
// cleaned"; C9 is closed by a no_action action on 12-03 10:00 "sinkholed
// by the CERT"; the clock is left at 2027-01-01 03:00.
func buildDecember(w *world) {
	w.reopen("C13", day(time.December, 2, 9, 0))
	w.undo("hold C13", day(time.December, 2, 10, 0), "registrant cleaned the site")
	w.close("C13", day(time.December, 2, 12, 0), "site cleaned")
	w.act("C9", day(time.December, 3, 10, 0), tldguard.ActionInput{Kind: tldguard.ActionNoAction, Reason: "sinkholed by the CERT"})
	w.clock.set(time.Date(2027, time.January, 1, 3, 0, 0, 0, time.UTC))
}
