package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// The web UI end to end: the whole server in process on a real SQLite store,
// driven by Debian's chromium, headless, as each kind of user would drive
// it. Screenshots of the main pages go to artifacts/screenshots/ at the
// repository root, for a person to look at.
//
// Without chromium the test skips on a developer's machine and fails in CI
// (CI is set): .ci/run installs it.

// uiEnv is a running server with one account of every kind.
type uiEnv struct {
	base      string
	passwords map[tldguard.Role]string // staff e-mail is ROLE@nic.example
	le        string                   // verified law-enforcement reporter token
	public    string                   // a member of the public's token
	registrar string                   // a registrar's token
}

func newUIEnv(t *testing.T) *uiEnv {
	t.Helper()
	store := testdb.SQLite(t)
	ctx := tldguard.System(context.Background(), "test")
	setup := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	if _, err := setup.AddTLD(ctx, demoTLD); err != nil {
		t.Fatal(err)
	}
	registrars, regs := sampleRegistry(200, time.Now())
	if err := setup.ImportRegistry(ctx, registrars, regs); err != nil {
		t.Fatal(err)
	}
	env := &uiEnv{passwords: map[tldguard.Role]string{}}
	for _, role := range tldguard.StaffRoles {
		_, pw, err := setup.CreateUser(ctx, string(role)+"@nic.example", strings.ToUpper(string(role[:1]))+string(role[1:])+" Person", role)
		if err != nil {
			t.Fatal(err)
		}
		env.passwords[role] = pw
	}
	var err error
	if _, env.le, err = setup.CreateReporter(ctx, service.ReporterInput{Name: "Metropolitan Police Cyber Unit", Source: tldguard.SourceLawEnforcement,
		Email: "cyber@police.example", VerifiedBy: "admin@nic.example", VerifiedHow: "called the force's published switchboard"}); err != nil {
		t.Fatal(err)
	}
	if _, env.public, err = setup.CreateReporter(ctx, service.ReporterInput{Name: "Public reports", Source: tldguard.SourcePublic}); err != nil {
		t.Fatal(err)
	}
	if _, env.registrar, err = setup.CreateReporter(ctx, service.ReporterInput{Name: registrarNames[0], Source: tldguard.SourceRegistrar, RegistrarID: registrarID(0)}); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	seedQueue(t, store, env.public)
	m := &Main{Config: Config{Store: store.(engine), Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	env.base = "http://" + m.Addr().String()
	return env
}

// seedQueue files a few public reports as if they had come in over the
// last days, so the queue shows every colour of the response clock.
func seedQueue(t *testing.T, store tldguard.Store, token string) {
	t.Helper()
	now := time.Now()
	for _, r := range []struct {
		ago  time.Duration
		body string
	}{
		{75 * time.Hour, `{"threat_type":"malware","names":["http://` + sampleName(20) + `/invoice.exe"]}`},
		{68 * time.Hour, `{"threat_type":"phishing","names":["https://` + sampleName(21) + `/wp-admin/bank/login.php"]}`},
		{55 * time.Hour, `{"threat_type":"pharming","names":["` + sampleName(22) + `"]}`},
		{time.Hour, `{"threat_type":"botnet","names":["xk7f3q9vzt2m.example"],"description":"generated C&C name, not registered yet"}`},
	} {
		at := now.Add(-r.ago)
		svc := service.New(service.Config{Store: store, Registry: localregistry.New(store), Now: func() time.Time { return at }})
		p, err := svc.Authenticate(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SubmitReport(tldguard.NewContext(context.Background(), p), &tldguard.Submission{Raw: []byte(r.body), ContentType: "application/json"}); err != nil {
			t.Fatal(err)
		}
		svc.Close()
	}
}

// chromiumPath finds Debian's chromium. Missing, it skips the test on a
// developer's machine and fails it in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TLDGUARD_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI must run the browser tests")
	}
	t.Skip("chromium is not installed; install it (apt-get install chromium) to run the browser tests")
	return ""
}

// newBrowser starts a headless chromium with a fresh profile and returns a
// context on it that has run once (so tabs can be opened from it).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// person is one user at their own browser profile (their own cookies).
type person struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
}

func (e *uiEnv) person(t *testing.T, browser context.Context, name string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab, which lives as long as that run's
	// context: so it gets the person's context, without a time limit.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	return &person{t: t, name: name, ctx: ctx, base: e.base}
}

// do runs actions with a time limit.
func (p *person) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// submit runs actions that load a page (a click on a submit button) and
// returns the page's status.
func (p *person) submit(actions ...chromedp.Action[chromedp.Void]) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	return resp.Status
}

// open loads a path and returns the status of the page it ends on.
func (p *person) open(path string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.base+path))
	if err != nil {
		p.t.Fatalf("%s: open %s: %v", p.name, path, err)
	}
	return statusOf(resp)
}

func statusOf(resp *network.Response) int64 {
	if resp == nil {
		return 0
	}
	return resp.Status
}

// text returns the visible text of the page's main content.
func (p *person) text() string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		p.t.Fatalf("%s: read page: %v", p.name, err)
	}
	return s
}

// path returns the path (and query) of the page the person is on.
func (p *person) path() string {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, p.base)
}

// wantText fails unless the page shows every one of want.
func (p *person) wantText(want ...string) {
	p.t.Helper()
	body := p.text()
	for _, w := range want {
		if !strings.Contains(body, w) {
			p.t.Fatalf("%s on %s: page does not show %q:\n%s", p.name, p.path(), w, body)
		}
	}
}

// shot saves a screenshot of the whole page.
func (p *person) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := screenshotDir(p.t)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// screenshotDir is artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "artifacts", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// signIn signs a staff member in through the form, with the keyboard.
func (p *person) signIn(role tldguard.Role, password string) {
	p.t.Helper()
	p.open("/signin")
	status := p.submit(
		chromedp.SendKeys(chromedp.ID("email"), string(role)+"@nic.example"),
		chromedp.SendKeys(chromedp.ID("password"), password+"\r"),
	)
	if status != 200 || p.path() != "/cases" {
		p.t.Fatalf("%s signing in: status %d, on %s: %s", role, status, p.path(), p.text())
	}
}

// reporterSignIn signs a reporter account in with its token.
func (p *person) reporterSignIn(token, landing string) {
	p.t.Helper()
	p.open("/signin")
	status := p.submit(
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`form[action="/signin/reporter"] button[type="submit"]`)),
	)
	if status != 200 || p.path() != landing {
		p.t.Fatalf("%s signing in: status %d, on %s: %s", p.name, status, p.path(), p.text())
	}
}

// evidenceFile writes a small PNG to upload as evidence.
func evidenceFile(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "phishing-page.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var caseNumber = regexp.MustCompile(`TG-\d{7}`)

func TestUIInBrowser(t *testing.T) {
	browser := newBrowser(t)
	env := newUIEnv(t)
	name := sampleName(7)

	// A signed-out browser is sent to the sign-in page, and back after it.
	analyst := env.person(t, browser, "analyst")
	if status := analyst.open("/cases?priority=high"); status != 200 || !strings.HasPrefix(analyst.path(), "/signin?next=") {
		t.Fatalf("signed out: %d on %s", status, analyst.path())
	}
	analyst.wantText("Operator staff", "Reporters", "E-mail address", "API token")
	analyst.shot("signin")

	// Every role signs in and lands on its page.
	analyst.signIn(tldguard.RoleAnalyst, env.passwords[tldguard.RoleAnalyst])
	analyst.wantText("Case queue", "analyst@nic.example", "Sign out")
	people := map[tldguard.Role]*person{tldguard.RoleAnalyst: analyst}
	for _, role := range []tldguard.Role{tldguard.RoleAdmin, tldguard.RoleApprover, tldguard.RoleAuditor} {
		p := env.person(t, browser, string(role))
		p.signIn(role, env.passwords[role])
		p.wantText(string(role)+"@nic.example", "Case queue")
		people[role] = p
	}
	officer := env.person(t, browser, "officer")
	officer.reporterSignIn(env.le, "/report")
	officer.wantText("Submit a threat report", "Metropolitan Police Cyber Unit", "verified")
	public := env.person(t, browser, "public")
	public.reporterSignIn(env.public, "/report")
	registrar := env.person(t, browser, "registrar")
	registrar.reporterSignIn(env.registrar, "/report")

	// The officer files an urgent request through the portal form.
	officer.do(
		chromedp.SetValue(chromedp.ID("threat"), "phishing"),
		chromedp.SetValue(chromedp.ID("names"), "hxxps://secure-login."+name+"/account/verify\n"+name),
		chromedp.SetValue(chromedp.ID("description"), "Credential phishing kit imitating a bank, used in an ongoing fraud investigation."),
		chromedp.SetUploadFiles(chromedp.ID("evidence"), []string{evidenceFile(t)}),
		chromedp.SetValue(chromedp.ID("evidence_note"), "Capture of the login page"),
		chromedp.SetValue(chromedp.ID("jurisdiction"), "Example County"),
		chromedp.SetValue(chromedp.ID("legal_basis"), "Fraud Act s.2 investigation"),
		chromedp.SetValue(chromedp.ID("reference"), "MPCU-2026-1187"),
		chromedp.SetValue(chromedp.ID("requested_action"), "hold"),
		chromedp.SetValue(chromedp.ID("urgency"), "life"),
		chromedp.SetValue(chromedp.ID("urgency_reason"), "Victims are lured to meetings under threat; the site identifies them."),
		chromedp.Click(chromedp.ID("no_notify_registrant")),
	)
	officer.shot("portal-form")
	if status := officer.submit(chromedp.Click(chromedp.CSS(`.report-form button[type="submit"]`))); status != 200 {
		t.Fatalf("submitting the form: %d: %s", status, officer.text())
	}
	officer.wantText("Report received", "High", "Response due by", name)
	number := caseNumber.FindString(officer.text())
	if number == "" {
		t.Fatalf("no case number on the acknowledgement: %s", officer.text())
	}
	officer.shot("acknowledgement")
	officer.open("/reports")
	officer.wantText("My reports", number, "Open")
	officer.shot("my-reports")

	// The analyst finds it in the queue, overdue cases first, and by name.
	analyst.open("/cases")
	analyst.wantText(number, name, "Overdue by", "left")
	if q := analyst.text(); strings.Index(q, "Overdue by") > strings.Index(q, number) {
		t.Fatalf("the overdue case is not first:\n%s", q)
	}
	analyst.shot("queue")
	analyst.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	analyst.open("/cases")
	analyst.shot("queue-phone")
	analyst.do(chromedp.EmulateViewport(1280, 900))
	analyst.open("/cases?q=https://" + name + "/somewhere")
	analyst.wantText(number)
	analyst.open("/cases?priority=high")
	analyst.wantText(number, name, "High")

	// ... opens it, and triages it with a reason.
	if status := analyst.submit(chromedp.Click(chromedp.CSS(`a.case-link`))); status != 200 {
		t.Fatalf("opening the case: %d", status)
	}
	analyst.wantText(number, "Registration", "Evidence", "phishing-page.png", "Raw SHA-256", "Timeline", "Case opened", "Fraud Act s.2 investigation")
	const reason = "Registered days before use, bank brand in the label"
	analyst.do(
		chromedp.SetValue(chromedp.ID("classification"), "malicious"),
		chromedp.SetValue(chromedp.ID("status"), "in_progress"),
		chromedp.SetValue(chromedp.ID("assignee"), "analyst@nic.example"),
		chromedp.SetValue(chromedp.ID("reason"), reason),
	)
	if status := analyst.submit(chromedp.Click(chromedp.CSS(`#triage button[type="submit"]`))); status != 200 {
		t.Fatalf("triage: %d: %s", status, analyst.text())
	}
	analyst.wantText("Case updated.", "Case updated", "classification", "unknown → malicious", "Reason: "+reason, "Malicious registration")
	analyst.shot("case")
	analyst.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	analyst.open(analyst.path())
	analyst.shot("case-phone")
	analyst.do(chromedp.EmulateViewport(1280, 900))
	casePath := analyst.path()
	casePath = casePath[:strings.IndexAny(casePath+"?", "?#")]

	// A form posted without its CSRF token changes nothing.
	analyst.do(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#triage input[name="csrf_token"]').remove()`),
		chromedp.SetValue(chromedp.ID("reason"), "this should not be stored"),
		chromedp.SetValue(chromedp.ID("classification"), "compromised"),
	)
	if status := analyst.submit(chromedp.Click(chromedp.CSS(`#triage button[type="submit"]`))); status != 403 {
		t.Fatalf("triage without the CSRF token: %d: %s", status, analyst.text())
	}
	analyst.wantText("Not allowed", "security token")
	analyst.open(casePath)
	if strings.Contains(analyst.text(), "this should not be stored") {
		t.Fatal("a post without the CSRF token was stored")
	}

	// Reporters see only their own cases; registrars no case pages.
	if status := public.open(casePath); status != 404 {
		t.Fatalf("another reporter's case: %d", status)
	}
	public.wantText("Not found")
	if strings.Contains(public.text(), name) {
		t.Fatal("the 404 page names the case's domain")
	}
	if status := registrar.open(casePath); status != 403 {
		t.Fatalf("registrar on a case page: %d", status)
	}
	registrar.wantText("Not allowed")
	registrar.shot("forbidden")
	if status := officer.open(casePath); status != 200 {
		t.Fatalf("the officer's own case: %d", status)
	}
	officer.wantText(number, "MPCU-2026-1187")
	if strings.Contains(officer.text(), "Timeline") || strings.Contains(officer.text(), reason) {
		t.Fatal("a reporter sees the operator's timeline")
	}
	if status := officer.open("/admin/users"); status != 403 {
		t.Fatalf("reporter on an admin page: %d", status)
	}

	// The auditor reads the case without a form, and verifies the log.
	auditor := people[tldguard.RoleAuditor]
	auditor.open(casePath)
	auditor.wantText(number, "Timeline")
	if strings.Contains(auditor.text(), "Save triage") {
		t.Fatal("the auditor gets the triage form")
	}
	auditor.open("/audit")
	auditor.wantText("The audit log is intact", "events verified", "Head to export")
	auditor.shot("audit")

	// The admin adds a user (the password is shown once), and a reporter.
	admin := people[tldguard.RoleAdmin]
	admin.open("/admin/users")
	admin.do(
		chromedp.SetValue(chromedp.ID("email"), "newcomer@nic.example"),
		chromedp.SetValue(chromedp.ID("name"), "New Comer"),
		chromedp.SetValue(chromedp.ID("role"), "analyst"),
	)
	if status := admin.submit(chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button[type="submit"]`))); status != 201 {
		t.Fatalf("adding a user: %d: %s", status, admin.text())
	}
	admin.wantText("Password for newcomer@nic.example", "shown only this once")
	admin.shot("admin-users")
	admin.open("/admin/reporters")
	admin.do(
		chromedp.SetValue(chromedp.ID("name"), "Ministry CERT"),
		chromedp.SetValue(chromedp.ID("kind"), "government"),
		chromedp.SetValue(chromedp.ID("verified_by"), "admin@nic.example"),
		chromedp.SetValue(chromedp.ID("verified_how"), "signed letter checked against the ministry's published address"),
	)
	if status := admin.submit(chromedp.Click(chromedp.CSS(`form[action="/admin/reporters"] button[type="submit"]`))); status != 201 {
		t.Fatalf("adding a reporter: %d: %s", status, admin.text())
	}
	admin.wantText("API token for Ministry CERT", "signed letter checked")
	admin.shot("admin-reporters")
	admin.open("/admin/policy")
	admin.wantText("24 hours", "72 hours")

	// Signing out ends the session; signing out everywhere ends them all.
	if status := analyst.submit(chromedp.Click(chromedp.CSS(`.who button[type="submit"]`))); status != 200 || !strings.HasPrefix(analyst.path(), "/signin") {
		t.Fatalf("sign-out: %d on %s", status, analyst.path())
	}
	analyst.wantText("You have signed out.")
	if analyst.open("/cases"); !strings.HasPrefix(analyst.path(), "/signin?next=") {
		t.Fatalf("after signing out: on %s", analyst.path())
	}
	approver := people[tldguard.RoleApprover]
	second := env.person(t, browser, "approver elsewhere")
	second.signIn(tldguard.RoleApprover, env.passwords[tldguard.RoleApprover])
	approver.open("/account")
	if status := approver.submit(chromedp.Click(chromedp.CSS(`form[action="/signout/everywhere"] button`))); status != 200 {
		t.Fatalf("sign-out everywhere: %d", status)
	}
	approver.wantText("You have signed out on every device.")
	if second.open("/cases"); !strings.HasPrefix(second.path(), "/signin") {
		t.Fatalf("the other session survived sign-out everywhere: on %s", second.path())
	}
	fmt.Fprintf(os.Stderr, "screenshots in %s\n", screenshotDir(t))
}
