package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tldguard/tldguard"
)

// The Framework's actions in the browser, on the whole server in process
// (its job runner carries approved actions out on the embedded registry):
// an analyst proposes a hold on a law-enforcement case from the case page,
// an approver approves it from the list of what waits, the hold is carried
// out and undone; a registrar answers a referral from its inbox and never
// sees another registrar's.

// receiptCase is the case a report was filed on, from the API's receipt.
type receiptCase struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
}

// fileReport submits a report over the API with a reporter token and
// returns the case it opened.
func fileReport(t *testing.T, env *uiEnv, token, body string) receiptCase {
	t.Helper()
	req, _ := http.NewRequest("POST", env.base+"/api/v1/reports", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rc struct {
		Cases []receiptCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &rc); err != nil || resp.StatusCode != 202 || len(rc.Cases) != 1 {
		t.Fatalf("filing a report: %d %s", resp.StatusCode, b)
	}
	return rc.Cases[0]
}

// actionNames picks registered names the other browser test leaves alone:
// one for the law-enforcement case, one the registrar account (90001)
// sponsors, and one another registrar (90002) sponsors.
func actionNames(t *testing.T) (le, referred, other string) {
	t.Helper()
	used := map[string]bool{sampleName(7): true, sampleName(20): true, sampleName(21): true, sampleName(22): true}
	_, regs := sampleRegistry(200, time.Now())
	for _, r := range regs[30:] {
		switch {
		case used[r.Name]:
		case le == "":
			le = r.Name
		case referred == "" && r.RegistrarID == registrarID(0):
			referred = r.Name
		case other == "" && r.RegistrarID == registrarID(1):
			other = r.Name
		}
	}
	if le == "" || referred == "" || other == "" {
		t.Fatal("the sample registry lacks names for the test")
	}
	return le, referred, other
}

var (
	proposedNotice = regexp.MustCompile(`Action (\d+) proposed\. It waits for approval\.`)
	queuedNotice   = regexp.MustCompile(`Action (\d+) needs no approval and is queued to run\.`)
	releaseNotice  = regexp.MustCompile(`Release proposed as action (\d+)\. It waits for approval\.`)
)

// noticeID reads the action id out of the page's flash message.
func (p *person) noticeID(re *regexp.Regexp) int64 {
	p.t.Helper()
	m := re.FindStringSubmatch(p.text())
	if m == nil {
		p.t.Fatalf("%s on %s: no notice matching %s:\n%s", p.name, p.path(), re, p.text())
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// actionText returns the text of action id's card on the page, "" when
// the page has none.
func (p *person) actionText(id int64) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.getElementById("action-%d") || {innerText: ""}).innerText`, id)))
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	return s
}

// waitAction reloads path until action id's card shows want (the job
// runner works in the background).
func (p *person) waitAction(path string, id int64, want string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p.open(path)
		got := p.actionText(id)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: action %d does not show %q after 30s:\n%s", p.name, id, want, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// phoneShot saves a screenshot of path at a phone's width.
func (p *person) phoneShot(path, name string) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.open(path)
	p.shot(name)
	p.do(chromedp.EmulateViewport(1280, 900))
}

func TestUIActionsInBrowser(t *testing.T) {
	browser := newBrowser(t)
	env := newUIEnv(t)
	leName, referName, otherName := actionNames(t)
	leCase := fileReport(t, env, env.le, `{"threat_type":"phishing","names":["https://secure-login.`+leName+`/account/verify"],
		"description":"Credential phishing kit imitating a bank, used in an ongoing fraud investigation.",
		"request":{"authority":"Metropolitan Police Cyber Unit","jurisdiction":"Example County","legal_basis":"Fraud Act s.2 investigation",
		"reference":"MPCU-2026-1201","requested_action":"hold","urgency":"life","urgency_reason":"The site is used to identify victims.","do_not_notify_registrant":true}}`)
	referCase := fileReport(t, env, env.public, `{"threat_type":"malware","names":["http://`+referName+`/invoice.exe"],"description":"Antivirus says trojan."}`)
	otherCase := fileReport(t, env, env.public, `{"threat_type":"malware","names":["http://`+otherName+`/update.exe"]}`)
	lePath := "/cases/" + strconv.FormatInt(leCase.ID, 10)

	analyst := env.person(t, browser, "analyst")
	analyst.signIn(tldguard.RoleAnalyst, env.passwords[tldguard.RoleAnalyst])
	approver := env.person(t, browser, "approver")
	approver.signIn(tldguard.RoleApprover, env.passwords[tldguard.RoleApprover])
	registrar := env.person(t, browser, "registrar")
	registrar.reporterSignIn(env.registrar, "/report")

	// The analyst reads the policy's assessment and proposals on the
	// law-enforcement case, and proposes a hold with the form.
	if status := analyst.open(lePath); status != 200 {
		t.Fatalf("case page: %d", status)
	}
	analyst.wantText(leCase.Number, "Assessment", "Classification as computed", "Collateral damage", "Proposals",
		"Needs 1 approval", "Dry run", "adds serverHold", leName+" and every name under it stop resolving",
		"Propose an action", "No actions yet.")
	analyst.shot("case-proposals")
	analyst.do(
		chromedp.SetValue(chromedp.ID("action-kind"), "hold"),
		chromedp.SetValue(chromedp.ID("action-reason"), "Law-enforcement request; the phishing kit is live on the site"),
	)
	if status := analyst.submit(chromedp.Click(chromedp.CSS(`.propose-form button[type="submit"]`))); status != 200 {
		t.Fatalf("proposing a hold: %d: %s", status, analyst.text())
	}
	hold := analyst.noticeID(proposedNotice)
	if got := analyst.actionText(hold); !strings.Contains(got, "Waiting for approval") || !strings.Contains(got, "0 of 1") ||
		!strings.Contains(got, "You proposed this action") || strings.Contains(got, "Approve") {
		t.Fatalf("the proposed hold on the case page:\n%s", got)
	}

	// The approver finds it in the list of what waits, with the evidence
	// beside the dry run, and approves it.
	approver.open("/approvals")
	approver.wantText("Waiting for approval", leCase.Number, leName, "user:analyst@nic.example",
		"Law-enforcement request; the phishing kit is live", "first: Phishing, from Law enforcement", "What it would change", "adds serverHold")
	approver.shot("approvals")
	approver.phoneShot("/approvals", "approvals-phone")
	approver.do(chromedp.SetValue(chromedp.ID(fmt.Sprintf("approve-note-%d", hold)), "Checked the capture of the kit"))
	if status := approver.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/actions/%d/approve"] button`, hold)))); status != 200 {
		t.Fatalf("approving: %d: %s", status, approver.text())
	}
	approver.wantText(fmt.Sprintf("Action %d approved and queued to run.", hold), "Nothing waits for approval.")

	// The job runner carries it out; the case page shows the registry's
	// answer.
	analyst.waitAction(lePath, hold, "Done")
	if got := analyst.actionText(hold); !strings.Contains(got, "serverHold") || !strings.Contains(got, "user:approver@nic.example") ||
		!strings.Contains(got, "Checked the capture of the kit") || !strings.Contains(got, "Carried out") || !strings.Contains(got, "Before") {
		t.Fatalf("the done hold:\n%s", got)
	}
	analyst.wantText("Registration", "serverHold")
	analyst.shot("case-actions")
	analyst.phoneShot(lePath+"#actions", "case-actions-phone")

	// Undo: the analyst proposes the release; the approver approves it on
	// the case page; the name is back.
	analyst.do(chromedp.SetValue(chromedp.ID(fmt.Sprintf("undo-reason-%d", hold)), "The authority withdrew its request"))
	if status := analyst.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/actions/%d/undo"] button`, hold)))); status != 200 {
		t.Fatalf("undo: %d: %s", status, analyst.text())
	}
	release := analyst.noticeID(releaseNotice)
	if got := analyst.actionText(hold); !strings.Contains(got, fmt.Sprintf("Released by\naction %d", release)) && !strings.Contains(got, fmt.Sprintf("action %d (waiting for approval)", release)) {
		t.Errorf("the hold does not point at its release:\n%s", got)
	}
	approver.open(lePath)
	if got := approver.actionText(release); !strings.Contains(got, "removes serverHold") {
		t.Errorf("the release's dry run:\n%s", got)
	}
	if status := approver.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/actions/%d/approve"] button`, release)))); status != 200 {
		t.Fatalf("approving the release: %d: %s", status, approver.text())
	}
	approver.wantText(fmt.Sprintf("Action %d approved and queued to run.", release))
	analyst.waitAction(lePath, release, "Done")
	analyst.waitAction(lePath, hold, "Undone")

	// Referrals: one to the registrar account's registrar, one to another.
	refer := func(c receiptCase) int64 {
		path := "/cases/" + strconv.FormatInt(c.ID, 10)
		analyst.open(path)
		analyst.do(
			chromedp.SetValue(chromedp.ID("action-kind"), "refer_registrar"),
			chromedp.SetValue(chromedp.ID("action-reason"), "Malware on what looks like a compromised site: the registrar's customer should clean it"),
		)
		if status := analyst.submit(chromedp.Click(chromedp.CSS(`.propose-form button[type="submit"]`))); status != 200 {
			t.Fatalf("referring %s: %d: %s", c.Number, status, analyst.text())
		}
		id := analyst.noticeID(queuedNotice)
		analyst.waitAction(path, id, "Done")
		return id
	}
	ref, otherRef := refer(referCase), refer(otherCase)
	analyst.wantText("Answer due")

	registrar.open("/referrals")
	registrar.wantText("Referrals", "Waiting for your answer", referCase.Number, referName, "Malware", "left")
	if body := registrar.text(); strings.Contains(body, otherName) || strings.Contains(body, otherCase.Number) {
		t.Fatalf("a registrar sees another registrar's referral:\n%s", body)
	}
	registrar.shot("referrals")
	registrar.phoneShot("/referrals", "referrals-phone")

	// Pointing the form at the other registrar's referral finds nothing.
	registrar.do(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('form[action="/referrals/%d/answer"]').setAttribute("action", "/referrals/%d/answer")`, ref, otherRef)),
		chromedp.Click(chromedp.ID(fmt.Sprintf("outcome-%d-mitigated", ref))),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("detail-%d", ref)), "not ours"),
	)
	if status := registrar.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/referrals/%d/answer"] button`, otherRef)))); status != 404 {
		t.Fatalf("answering another registrar's referral: %d: %s", status, registrar.text())
	}
	registrar.wantText("Not found")

	// An empty answer is refused beside its fields; a full one is taken.
	registrar.open("/referrals")
	if status := registrar.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/referrals/%d/answer"] button`, ref)))); status != 400 {
		t.Fatalf("an empty answer: %d", status)
	}
	registrar.wantText("There is a problem", "Choose whether you mitigated", "Say what you did")
	registrar.do(
		chromedp.Click(chromedp.ID(fmt.Sprintf("outcome-%d-mitigated", ref))),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("detail-%d", ref)), "Suspended the hosting account and removed the file"),
	)
	if status := registrar.submit(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/referrals/%d/answer"] button`, ref)))); status != 200 {
		t.Fatalf("answering: %d: %s", status, registrar.text())
	}
	registrar.wantText(fmt.Sprintf("Your answer to referral %d is recorded.", ref), "Answered", "Mitigated", "Suspended the hosting account")
	registrar.shot("referrals-answered")

	// The operator sees the answer on the case.
	analyst.open("/cases/" + strconv.FormatInt(referCase.ID, 10))
	if got := analyst.actionText(ref); !strings.Contains(got, "Registrar's answer") || !strings.Contains(got, "Suspended the hosting account") {
		t.Fatalf("the answer on the case page:\n%s", got)
	}
	// The navigation shows each role its own pages.
	if nav := navText(analyst); !strings.Contains(nav, "Approvals") || strings.Contains(nav, "Referrals") {
		t.Errorf("analyst's navigation: %s", nav)
	}
	if nav := navText(registrar); strings.Contains(nav, "Approvals") || !strings.Contains(nav, "Referrals") {
		t.Errorf("registrar's navigation: %s", nav)
	}
}

// navText is the text of the main navigation.
func navText(p *person) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("nav.nav")))
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	return s
}
