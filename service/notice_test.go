package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/smtptest"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/reportfmt"
	"github.com/tldguard/tldguard/service"
)

// noticeFixture is the service fixture with a notifier delivering through
// the real SMTP sender to an SMTP server started in the test.
type noticeFixture struct {
	*fixture
	relay    *smtptest.Server
	sender   *mail.Sender
	notifier *service.Notifier
	hunters  context.Context // a trusted notifier with an e-mail address
}

const huntersEmail = "reports@hunters.example"

func newNoticeFixture(t *testing.T, store tldguard.Store, cfg service.NoticeConfig) *noticeFixture {
	t.Helper()
	f := newFixture(t, store)
	nf := &noticeFixture{fixture: f, relay: smtptest.Start(t, smtptest.Options{})}
	var err error
	nf.sender, err = mail.NewSender(mail.SenderConfig{Addr: nf.relay.Addr, From: "NIC Example Abuse Desk <abuse@nic.example>",
		Now: f.clock.now, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Operator == "" {
		cfg.Operator = "NIC Example"
	}
	if cfg.From == "" {
		cfg.From = "abuse@nic.example"
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://abuse.nic.example"
	}
	if cfg.AlertTo == nil {
		cfg.AlertTo = []string{"soc@nic.example"}
	}
	cfg.Node = "test"
	if nf.notifier, err = f.svc.Notifier(cfg); err != nil {
		t.Fatal(err)
	}
	nf.hunters = f.reporter(service.ReporterInput{Name: "Phish Hunters", Source: tldguard.SourceTrustedNotifier, Email: huntersEmail})
	return nf
}

// send delivers what is due and returns how many notices it tried.
func (nf *noticeFixture) send() int {
	nf.t.Helper()
	n, err := nf.notifier.SendNotices(context.Background(), nf.sender, 100)
	if err != nil {
		nf.t.Fatal(err)
	}
	return n
}

func (nf *noticeFixture) notices() []*tldguard.Notice {
	nf.t.Helper()
	var ns []*tldguard.Notice
	if err := nf.store.Read(context.Background(), func(tx tldguard.Tx) error {
		var err error
		ns, err = tx.ListNotices("", 0)
		return err
	}); err != nil {
		nf.t.Fatal(err)
	}
	return ns
}

func (nf *noticeFixture) notice(kind tldguard.NoticeKind, to string) *tldguard.Notice {
	nf.t.Helper()
	var found *tldguard.Notice
	for _, n := range nf.notices() {
		if n.Kind == kind && n.To == to {
			found = n
		}
	}
	if found == nil {
		nf.t.Fatalf("no %s notice to %q", kind, to)
	}
	return found
}

func (nf *noticeFixture) events(action string) []*tldguard.Event {
	nf.t.Helper()
	var out []*tldguard.Event
	if err := nf.store.Read(context.Background(), func(tx tldguard.Tx) error {
		return tx.ScanEvents(0, func(e *tldguard.Event) error {
			if e.Action == action {
				out = append(out, e)
			}
			return nil
		})
	}); err != nil {
		nf.t.Fatal(err)
	}
	return out
}

// sentMail is a message as the relay received it, decoded.
type sentMail struct {
	To          []string
	Header      netmail.Header
	Subject     string
	Body        string
	Attachments map[string][]byte
	Raw         []byte
}

// mails returns the messages the relay accepted to addr ("" for all).
func (nf *noticeFixture) mails(addr string) []sentMail {
	nf.t.Helper()
	var out []sentMail
	for _, m := range nf.relay.Messages() {
		if addr == "" || slices.Contains(m.To, addr) {
			out = append(out, decodeMail(nf.t, m))
		}
	}
	return out
}

func decodeMail(t *testing.T, m smtptest.Message) sentMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	sm := sentMail{To: m.To, Header: msg.Header, Subject: subject, Attachments: map[string][]byte{}, Raw: m.Data}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/mixed" {
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		sm.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
		return sm
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if name := p.FileName(); name != "" {
			b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
			if err != nil {
				t.Fatal(err)
			}
			sm.Attachments[name] = b
			continue
		}
		b, _ := io.ReadAll(quotedprintable.NewReader(p))
		sm.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return sm
}

func wantContains(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not say %q:\n%s", what, p, s)
		}
	}
}

func TestNoticeAckAndOutcome(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{})
		r := nf.submit(nf.hunters, reportJSON("phishing", "https://paypal.bad.example/login"))
		number := r.Cases[0].Number
		if n := nf.send(); n != 1 {
			t.Fatalf("tried %d notices after intake, want the acknowledgement", n)
		}
		acks := nf.mails(huntersEmail)
		if len(acks) != 1 {
			t.Fatalf("%d acknowledgements", len(acks))
		}
		ack := acks[0]
		wantContains(t, "the acknowledgement's subject", ack.Subject, "received", number)
		wantContains(t, "the acknowledgement", ack.Body, number, "bad.example", "priority: standard",
			"response due by 2026-11-05 09:30 UTC", "What happens next", "https://abuse.nic.example/reports")
		if got := ack.Header.Get("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("Auto-Submitted %q on an acknowledgement", got)
		}
		n := nf.notice(tldguard.NoticeAck, huntersEmail)
		if n.Status != tldguard.NoticeSent || !n.SentAt.Equal(nf.clock.now()) || n.Attempts != 1 || n.LastError != "" {
			t.Errorf("sent notice: %+v", n)
		}
		if got := ack.Header.Get("Message-Id"); !strings.HasSuffix(got, "@nic.example>") {
			t.Errorf("Message-ID %q", got)
		}
		if evs := nf.events("notice.sent"); len(evs) != 1 {
			t.Errorf("%d notice.sent events", len(evs))
		}
		if n := nf.send(); n != 0 {
			t.Errorf("a sent notice was tried again (%d)", n)
		}

		// The hold, approved and carried out: the outcome.
		a, err := nf.svc.ProposeAction(nf.analyst, r.Cases[0].ID, tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "kit confirmed"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nf.svc.ApproveAction(nf.approver, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		nf.run()
		nf.send()
		mails := nf.mails(huntersEmail)
		if len(mails) != 2 {
			t.Fatalf("%d mails to the reporter, want the acknowledgement and the outcome", len(mails))
		}
		out := mails[1]
		wantContains(t, "the outcome's subject", out.Subject, number, "Outcome", "bad.example")
		wantContains(t, "the outcome", out.Body, "placed bad.example on hold", "https://abuse.nic.example/cases/")
		if strings.Contains(out.Body, "kit confirmed") {
			t.Errorf("the analyst's internal reason reached the reporter:\n%s", out.Body)
		}
		if got := out.Header.Get("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("Auto-Submitted %q on an outcome", got)
		}

		// no_action tells its reason.
		oos := nf.submit(nf.hunters, reportJSON("malware", "shop.example")).Cases[0].ID
		if _, err := nf.svc.ProposeAction(nf.analyst, oos, tldguard.ActionInput{Kind: tldguard.ActionNoAction, Reason: "false positive: the file is a known clean installer"}); err != nil {
			t.Fatal(err)
		}
		nf.run()
		nf.send()
		mails = nf.mails(huntersEmail)
		last := mails[len(mails)-1]
		wantContains(t, "the no-action outcome", last.Body, "took no action", "Reason: false positive", "The case is closed.")
		nf.verify()
	})
}

func TestNoticeReferralCarriesXARF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{})
		png := []byte("\x89PNG\r\n\x1a\n-not-really-a-picture")
		body := `{"threat_type":"phishing","names":["https://paypal.bad.example/login"],"evidence":[` +
			`{"filename":"page.png","media_type":"image/png","content_base64":"` + base64.StdEncoding.EncodeToString(png) + `","description":"screenshot"},` +
			`{"url":"https://urlscan.example/result/1/","description":"public scan"}]}`
		r := nf.submit(nf.hunters, body)
		caseID, number := r.Cases[0].ID, r.Cases[0].Number
		ref, err := nf.svc.ProposeAction(nf.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar})
		if err != nil {
			t.Fatal(err)
		}
		nf.run()
		nf.send()
		ms := nf.mails("abuse@alpha.example")
		if len(ms) != 1 {
			t.Fatalf("%d mails to the registrar's abuse address", len(ms))
		}
		m := ms[0]
		sum := sha256.Sum256(png)
		wantContains(t, "the referral's subject", m.Subject, number, "bad.example", "phishing")
		wantContains(t, "the referral", m.Body, "Alpha Names", "IANA 9001", number, "hxxps://paypal[.]bad[.]example/login",
			"SHA-256 "+hex.EncodeToString(sum[:]), "page.png", "hxxps://urlscan[.]example/result/1/",
			"Answer due by:   2026-11-04 09:30 UTC",
			"POST https://abuse.nic.example/api/v1/referrals/", "/answer", "xarf-"+number+".json")
		if strings.Contains(string(m.Raw), "Phish Hunters") || strings.Contains(string(m.Raw), huntersEmail) {
			t.Errorf("the referral names the reporter")
		}
		raw, ok := m.Attachments["xarf-"+number+".json"]
		if !ok {
			t.Fatalf("no XARF attachment: %v", m.Attachments)
		}
		var x struct {
			Version          string `json:"xarf_version"`
			ReportID         string `json:"report_id"`
			Timestamp        string `json:"timestamp"`
			Reporter, Sender struct{ Org, Contact, Domain string }
			Source           string `json:"source_identifier"`
			Category, Type   string
			URL, Domain      string
			Evidence         []struct {
				ContentType string `json:"content_type"`
				Payload     string
				Hash        string
				Size        int
			}
			Tags []string
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			t.Fatalf("XARF: %v\n%s", err, raw)
		}
		if x.Version != "4.0.0" || x.Category != "content" || x.Type != "phishing" || x.URL != "https://paypal.bad.example/login" ||
			x.Domain != "bad.example" || x.Source != "paypal.bad.example" || len(x.ReportID) != 36 || x.Timestamp != "2026-11-02T09:30:00Z" {
			t.Errorf("XARF report:\n%s", raw)
		}
		if x.Reporter.Org != "NIC Example" || x.Reporter.Contact != "abuse@nic.example" || x.Reporter.Domain != "nic.example" || x.Sender != x.Reporter {
			t.Errorf("XARF reporter %+v sender %+v", x.Reporter, x.Sender)
		}
		if len(x.Evidence) != 1 || x.Evidence[0].ContentType != "image/png" || x.Evidence[0].Hash != "sha256:"+hex.EncodeToString(sum[:]) || x.Evidence[0].Size != len(png) {
			t.Fatalf("XARF evidence:\n%s", raw)
		}
		if got, _ := base64.StdEncoding.DecodeString(x.Evidence[0].Payload); !bytes.Equal(got, png) {
			t.Errorf("XARF evidence payload %q", got)
		}
		if !slices.Contains(x.Tags, "case:"+strings.ToLower(number)) {
			t.Errorf("XARF tags %v", x.Tags)
		}
		// A registrar running tldguard (or any XARF v4 reader) reads it.
		in, err := reportfmt.Decode(raw, "application/json", reportfmt.DefaultLimits())
		if err != nil || in.ThreatType != tldguard.ThreatPhishing || len(in.Names) != 1 || in.Names[0] != "https://paypal.bad.example/login" || len(in.Evidence) != 1 {
			t.Errorf("reportfmt reads the XARF report as %+v, %v", in, err)
		}
		if n := nf.notice("referral", "abuse@alpha.example"); n.Status != tldguard.NoticeSent || n.CaseID != caseID {
			t.Errorf("referral notice %+v (action %d)", n, ref.ID)
		}
		nf.verify()
	})
}

// TestNoticeRetryAndFailure: a 4xx is retried after a backoff, a 5xx
// fails the notice, too many 4xx give up, a reporter without an address
// fails at once; failures are visible on the notice and in the log.
func TestNoticeRetryAndFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{MaxAttempts: 3})
		nf.relay.Script(func(step smtptest.Step, _ string) error {
			if step == smtptest.StepRcpt {
				return smtptest.Reply(451, "greylisted, try again later")
			}
			return nil
		})
		nf.submit(nf.hunters, reportJSON("phishing", "bad.example"))
		if n := nf.send(); n != 1 {
			t.Fatalf("tried %d", n)
		}
		n := nf.notice(tldguard.NoticeAck, huntersEmail)
		if n.Status != tldguard.NoticeQueued || n.Attempts != 1 || !strings.Contains(n.LastError, "451") {
			t.Fatalf("after a 4xx: %+v", n)
		}
		if k := nf.send(); k != 0 {
			t.Fatalf("retried at once (%d), not after a backoff", k)
		}
		// Another node does not send while this one holds the lease.
		other, err := nf.svc.Notifier(service.NoticeConfig{Node: "other"})
		if err != nil {
			t.Fatal(err)
		}
		nf.relay.Script(nil)
		nf.clock.add(30 * time.Second)
		if k, err := other.SendNotices(context.Background(), nf.sender, 10); err != nil || k != 0 {
			t.Fatalf("a second node sent %d (%v) while the lease is held", k, err)
		}
		nf.clock.add(2 * time.Minute)
		if k := nf.send(); k != 1 {
			t.Fatalf("retry tried %d", k)
		}
		if n := nf.notice(tldguard.NoticeAck, huntersEmail); n.Status != tldguard.NoticeSent || n.Attempts != 2 {
			t.Errorf("after the retry: %+v", n)
		}
		if len(nf.mails(huntersEmail)) != 1 {
			t.Errorf("want one acknowledgement")
		}

		// A permanent refusal.
		nf.relay.Script(func(step smtptest.Step, _ string) error {
			if step == smtptest.StepRcpt {
				return smtptest.Reply(550, "no such mailbox")
			}
			return nil
		})
		nf.submit(nf.hunters, reportJSON("malware", "shop.example"))
		nf.send()
		failed := 0
		for _, n := range nf.notices() {
			if n.Status == tldguard.NoticeFailed {
				failed++
				if !strings.Contains(n.LastError, "550") || n.Attempts != 1 {
					t.Errorf("after a 5xx: %+v", n)
				}
			}
		}
		if failed != 1 || len(nf.events("notice.failed")) != 1 {
			t.Errorf("%d failed notices, %d events", failed, len(nf.events("notice.failed")))
		}

		// Temporary failures until the notifier gives up.
		nf.relay.Script(func(step smtptest.Step, _ string) error {
			if step == smtptest.StepData {
				return smtptest.ErrDrop
			}
			return nil
		})
		nf.submit(nf.hunters, reportJSON("botnet", "other.test"))
		for range 3 {
			nf.send()
			nf.clock.add(10 * time.Minute)
		}
		var last *tldguard.Notice
		for _, n := range nf.notices() {
			last = n
		}
		if last.Status != tldguard.NoticeFailed || last.Attempts != 3 || !strings.Contains(last.LastError, "gave up after 3 attempts") {
			t.Errorf("after 3 dropped connections: %+v", last)
		}

		// A reporter without an address.
		nf.relay.Script(nil)
		nf.submit(nf.fixture.notifier, reportJSON("phishing", "bad.example"))
		nf.send()
		for _, n := range nf.notices() {
			if n.To == "" && (n.Status != tldguard.NoticeFailed || !strings.Contains(n.LastError, "no e-mail address") || n.Attempts != 0) {
				t.Errorf("notice to a reporter without an address: %+v", n)
			}
		}
		if c := nf.notifier.Counts(); c.Sent != 1 || c.Failed != 3 || c.Retried < 3 {
			t.Errorf("counts %+v", c)
		}
		nf.verify()
	})
}

// TestNoticeConfidentiality: a case with a law-enforcement request not to
// tell the registrar never mails the registrar, even when the referral
// was queued before the request came; tldguard never mails a registrant.
func TestNoticeConfidentiality(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{})
		alphaDesk := nf.reporter(service.ReporterInput{Name: "Alpha Names Abuse", Source: tldguard.SourceRegistrar, RegistrarID: "9001", Email: "desk@alpha.example"})
		r := nf.submit(nf.hunters, reportJSON("phishing", "https://login.bad.example/"))
		caseID := r.Cases[0].ID
		if _, err := nf.svc.ProposeAction(nf.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar}); err != nil {
			t.Fatal(err)
		}
		nf.run() // the referral is queued, not yet sent
		le := nf.submit(nf.le, `{"threat_type":"phishing","names":["bad.example"],"request":{"authority":"Metro Police","reference":"MP-7","do_not_notify_registrar":true,"do_not_notify_registrant":true}}`)
		if le.Cases[0].ID != caseID {
			t.Fatalf("the request opened case %d, not %d", le.Cases[0].ID, caseID)
		}
		nf.submit(alphaDesk, reportJSON("phishing", "bad.example")) // the registrar's own report on the case
		nf.send()
		for _, m := range nf.mails("") {
			for _, to := range m.To {
				if strings.HasSuffix(to, "@alpha.example") {
					t.Errorf("mail to the registrar %s: %s", to, m.Subject)
				}
			}
			if strings.Contains(string(m.Raw), "MP-7") {
				t.Errorf("the authority's reference left tldguard in mail to %v", m.To)
			}
		}
		ref := nf.notice("referral", "abuse@alpha.example")
		desk := nf.notice(tldguard.NoticeAck, "desk@alpha.example")
		for _, n := range []*tldguard.Notice{ref, desk} {
			if n.Status != tldguard.NoticeFailed || !strings.Contains(n.LastError, "withheld") || !strings.Contains(n.LastError, "do_not_notify_registrar") {
				t.Errorf("registrar-bound notice %s: %+v", n.Kind, n)
			}
		}
		if got := nf.notice(tldguard.NoticeAck, "cyber@police.example"); got.Status != tldguard.NoticeSent {
			t.Errorf("the authority's acknowledgement: %+v", got)
		}
		if evs := nf.events("notice.withheld"); len(evs) != 2 {
			t.Errorf("%d notice.withheld events, want 2", len(evs))
		}
		if c := nf.notifier.Counts(); c.Withheld != 2 {
			t.Errorf("counts %+v", c)
		}

		// do_not_notify_registrant: a whole case worked to the end mails
		// only reporters, the registrar (allowed here) and the operator.
		reg := nf.submit(nf.le, `{"threat_type":"malware","names":["https://shop.example/dl.exe"],"request":{"authority":"Metro Police","do_not_notify_registrant":true}}`)
		other := reg.Cases[0].ID
		if _, err := nf.svc.ProposeAction(nf.analyst, other, tldguard.ActionInput{Kind: tldguard.ActionReferRegistrar}); err != nil {
			t.Fatal(err)
		}
		hold, err := nf.svc.ProposeAction(nf.analyst, other, tldguard.ActionInput{Kind: tldguard.ActionHold})
		if err != nil {
			t.Fatal(err)
		}
		nf.svc.ApproveAction(nf.approver, hold.ID, "")
		nf.run()
		nf.clock.add(100 * time.Hour)
		if _, err := nf.notifier.CheckClocks(context.Background()); err != nil {
			t.Fatal(err)
		}
		nf.send()
		allowed := []string{huntersEmail, "cyber@police.example", "desk@alpha.example", "abuse@alpha.example", "abuse@bravo.example", "soc@nic.example"}
		for _, n := range nf.notices() {
			if !slices.Contains(service.NoticeKinds, n.Kind) {
				t.Errorf("notice of kind %q exists", n.Kind)
			}
			if !slices.Contains(allowed, n.To) {
				t.Errorf("%s notice to %q: not a reporter, registrar or the operator", n.Kind, n.To)
			}
		}
		if len(nf.mails("abuse@bravo.example")) != 1 {
			t.Errorf("the referral without the registrar restriction was not sent")
		}
		nf.verify()
	})
}

func TestNoticeTemplateOverride(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ack.txt"), []byte("Subject: Got report {{.ReportID}}\n\nCases: {{join .CaseNumbers \", \"}}\nThanks, {{.Operator}}.\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "README"), []byte("not a template"), 0o600)
		nf := newNoticeFixture(t, store, service.NoticeConfig{TemplateDir: dir})
		r := nf.submit(nf.hunters, reportJSON("phishing", "bad.example"))
		nf.send()
		m := nf.mails(huntersEmail)
		if len(m) != 1 {
			t.Fatalf("%d mails", len(m))
		}
		if !strings.HasPrefix(m[0].Subject, "Got report ") || m[0].Body != "Cases: "+r.Cases[0].Number+"\nThanks, NIC Example.\n" {
			t.Errorf("overridden acknowledgement: %q\n%q", m[0].Subject, m[0].Body)
		}
	})
}

// TestBrokenTemplatesRefused: a bad template refuses the start, naming the
// file and the problem.
func TestBrokenTemplatesRefused(t *testing.T) {
	for _, tt := range []struct {
		file, text, want string
	}{
		{"ack.txt", "Subject: {{.ReportID}}\n\n{{.Nope}}\n", "Nope"},
		{"referral.txt", "Subject: x\n\n{{if .Case}}\n", "unexpected EOF"},
		{"outcome.txt", "Subject: x\n\n{{shout .Outcome}}\n", `"shout" not defined`},
		{"alert.txt", "Dear operator,\n\nthe clock.\n", "Subject"},
		{"request_info.txt", "Subject: x\n{{.Question}}\n", "blank line"},
		{"alert.txt", "Subject: \n\nbody\n", "subject is empty"},
		{"referal.txt", "Subject: x\n\ny\n", "no notice is called"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o600)
		_, err := service.LoadTemplates(dir)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: %v, want EINVALID naming the file and %q", tt.file, tt.text, err, tt.want)
		}
	}
	if _, err := service.LoadTemplates(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("a missing directory is the built-ins: %v", err)
	}
	tpl, err := service.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range service.NoticeKinds {
		if tpl.Source(k) != "built-in "+service.TemplateFile(k) {
			t.Errorf("%s from %q", k, tpl.Source(k))
		}
	}
}

// TestNoticeThreadsMailedReport: the acknowledgement of an e-mailed report
// and the later outcome are replies to the reporter's message.
func TestNoticeThreadsMailedReport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{})
		raw := "From: Phish Hunters <" + huntersEmail + ">\r\nTo: abuse@nic.example\r\nSubject: phishing site\r\n" +
			"Message-ID: <m1@hunters.example>\r\nDate: Mon, 02 Nov 2026 09:00:00 +0000\r\n" + service.DefaultSecretHeader + ": s3cret-hunters\r\n" +
			"\r\nThe phishing page is at hxxps://login[.]bad[.]example/verify\r\n"
		opts := service.MailOptions{Channel: "import", OwnAddresses: []string{"nic.example"},
			Secrets: []service.MailSecret{{ReporterID: tldguard.FromContext(nf.hunters).ID, Secret: "s3cret-hunters"}}}
		mr, err := nf.svc.SubmitMail(tldguard.System(context.Background(), "mail"), []byte(raw), opts)
		if err != nil {
			t.Fatal(err)
		}
		caseID := mr.Reports[0].Cases[0].ID
		a, err := nf.svc.ProposeAction(nf.analyst, caseID, tldguard.ActionInput{Kind: tldguard.ActionHold})
		if err != nil {
			t.Fatal(err)
		}
		nf.svc.ApproveAction(nf.approver, a.ID, "")
		nf.run()
		nf.send()
		ms := nf.mails(huntersEmail)
		if len(ms) != 2 {
			t.Fatalf("%d mails to the reporter, want the acknowledgement and the outcome", len(ms))
		}
		for i, m := range ms {
			if m.Header.Get("In-Reply-To") != "<m1@hunters.example>" || m.Header.Get("References") != "<m1@hunters.example>" {
				t.Errorf("mail %d (%s) is not a reply: In-Reply-To %q References %q", i, m.Subject, m.Header.Get("In-Reply-To"), m.Header.Get("References"))
			}
		}
		if ms[0].Header.Get("Auto-Submitted") != "auto-replied" || ms[1].Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted: %q, %q", ms[0].Header.Get("Auto-Submitted"), ms[1].Header.Get("Auto-Submitted"))
		}
	})
}

// TestNoticeListAndRetry: staff see the failed notices; an admin sends one
// again once the mailbox exists, with the reason in the audit log; only a
// failed notice can be retried, and only by an admin with a reason.
func TestNoticeListAndRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		nf := newNoticeFixture(t, store, service.NoticeConfig{MaxAttempts: 3})
		nf.relay.Script(func(step smtptest.Step, _ string) error {
			if step == smtptest.StepRcpt {
				return smtptest.Reply(550, "no such mailbox")
			}
			return nil
		})
		nf.submit(nf.hunters, reportJSON("phishing", "bad.example"))
		nf.send()
		failed, err := nf.svc.Notices(nf.analyst, tldguard.NoticeFailed, 0)
		if err != nil || len(failed) != 1 || !strings.Contains(failed[0].LastError, "550") {
			t.Fatalf("failed notices %+v, %v", failed, err)
		}
		id := failed[0].ID
		if _, err := nf.svc.Notices(nf.analyst, "lost", 0); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("unknown status: %v", err)
		}
		if _, err := nf.svc.RetryNotice(nf.analyst, id, "mailbox fixed"); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("an analyst retried: %v", err)
		}
		if _, err := nf.svc.RetryNotice(nf.admin, id, " "); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("no reason: %v", err)
		}
		if _, err := nf.svc.RetryNotice(nf.admin, id+1000, "x"); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			t.Errorf("unknown notice: %v", err)
		}

		nf.relay.Script(nil) // the mailbox exists now
		no, err := nf.svc.RetryNotice(nf.admin, id, "the reporter's mailbox was recreated")
		if err != nil || no.Status != tldguard.NoticeQueued || no.Attempts != 0 || no.LastError != "" {
			t.Fatalf("retry: %+v, %v", no, err)
		}
		if _, err := nf.svc.RetryNotice(nf.admin, id, "again"); tldguard.ErrorKind(err) != tldguard.ECONFLICT {
			t.Errorf("retrying a queued notice: %v", err)
		}
		if k := nf.send(); k != 1 {
			t.Fatalf("sent %d after the retry", k)
		}
		if n := nf.notice(tldguard.NoticeAck, huntersEmail); n.Status != tldguard.NoticeSent || n.Attempts != 1 {
			t.Errorf("after the retry: %+v", n)
		}
		if len(nf.mails(huntersEmail)) != 1 {
			t.Errorf("want the acknowledgement delivered once")
		}
		ev := nf.events("notice.retried")
		if len(ev) != 1 || !strings.Contains(string(ev[0].Data), "recreated") || !strings.Contains(string(ev[0].Data), "550") {
			t.Errorf("notice.retried events %v", ev)
		}
		if f, _ := nf.svc.Notices(nf.analyst, tldguard.NoticeFailed, 0); len(f) != 0 {
			t.Errorf("still failed: %+v", f)
		}
		nf.verify()
	})
}
