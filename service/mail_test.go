package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/reportfmt"
	"github.com/tldguard/tldguard/service"
)

// mailSample reads a message written for the reportfmt golden tests.
func mailSample(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "reportfmt", "testdata", "mail", name+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (f *fixture) mail(raw []byte, opts service.MailOptions) *service.MailReceipt {
	f.t.Helper()
	r, err := f.svc.SubmitMail(tldguard.System(context.Background(), "mail"), raw, opts)
	if err != nil {
		f.t.Fatalf("SubmitMail: %v", err)
	}
	return r
}

func (f *fixture) notices() []*tldguard.Notice {
	f.t.Helper()
	var ns []*tldguard.Notice
	err := f.store.Read(f.admin, func(tx tldguard.Tx) error {
		var err error
		ns, err = tx.ListNotices("", 0)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ns
}

// noticeFor returns the acknowledgement queued for a report, or nil.
func (f *fixture) noticeFor(reportID int64) *tldguard.Notice {
	for _, n := range f.notices() {
		if n.ReportID == reportID && n.Kind == tldguard.NoticeAck {
			return n
		}
	}
	return nil
}

var trusted = service.MailOptions{Channel: "import", TrustedAuthServIDs: []string{"mx1.nic.example"}, OwnAddresses: []string{"nic.example"}}

// TestSubmitMailSamples files the sample messages and checks what each
// becomes: reporter, cases, threat, and whether it is answered.
func TestSubmitMailSamples(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		tests := []struct {
			file     string
			reporter string
			domains  []string
			threat   tldguard.ThreatType
			category string
			ackTo    string // "" = no acknowledgement
			evidence int
		}{
			{file: "arf-fbl-abuse", reporter: service.PublicMailReporter, domains: []string{"parcel-notice.example"}, threat: tldguard.ThreatSpam, ackTo: "fbl-bounces@feedback.mailbox.test", evidence: 1},
			{file: "arf-fraud-no-reported", reporter: service.PublicMailReporter, domains: []string{"northbank-verify.example"}, threat: tldguard.ThreatPhishing, evidence: 1},
			{file: "xarf4-attachment", reporter: service.PublicMailReporter, domains: []string{"quota-alert.example"}, threat: tldguard.ThreatPhishing, ackTo: "reports@phish-response.example"},
			{file: "x-arf-01-phishing", reporter: service.PublicMailReporter, domains: []string{"paypa1-resolution.example"}, threat: tldguard.ThreatPhishing, evidence: 1},
			{file: "x-arf-02-login-attack", reporter: service.PublicMailReporter, threat: tldguard.ThreatOutOfScope, category: service.CategoryNoNames + " (abuse/login-attack)", evidence: 1},
			{file: "iodef2-phishing", reporter: service.PublicMailReporter, domains: []string{"tax-refund-portal.example"}, threat: tldguard.ThreatPhishing, ackTo: "incident@csirt.gov.test"},
			{file: "plain-defanged", reporter: service.PublicMailReporter, domains: []string{"maple-bank.example", "maple-bank-login.example"}, threat: tldguard.ThreatPhishing, ackTo: "j.doe@mail.test"},
			{file: "html-only", reporter: service.PublicMailReporter, domains: []string{"account-limited.example"}, threat: tldguard.ThreatPhishing, ackTo: "sam@webmail.test"},
			{file: "forwarded-attachment", reporter: service.PublicMailReporter, domains: []string{"quota-warning.example"}, threat: tldguard.ThreatPhishing, ackTo: "alex@company.test", evidence: 2},
			{file: "forwarded-inline", reporter: service.PublicMailReporter, domains: []string{"qz9v2ml4pa8r.example", "xk7f3q9vzt2m.example"}, threat: tldguard.ThreatBotnet, ackTo: "soc@bank.test"},
			{file: "bounce-dsn", reporter: service.PublicMailReporter, threat: tldguard.ThreatOutOfScope, category: reportfmt.CategoryNotAReport},
			{file: "auto-reply", reporter: service.PublicMailReporter, threat: tldguard.ThreatOutOfScope, category: reportfmt.CategoryNotAReport},
			{file: "plain-no-names", reporter: service.PublicMailReporter, threat: tldguard.ThreatOutOfScope, category: service.CategoryNoNames + " (read as phishing)", ackTo: "someone@mail.test"},
			{file: "plain-copyright", reporter: service.PublicMailReporter, domains: []string{"free-movies-hd.example"}, threat: tldguard.ThreatOutOfScope, category: "dmca", ackTo: "notices@rights.test"},
			{file: "bulk-newsletter", reporter: service.PublicMailReporter, domains: []string{"maple-bank.example"}, threat: tldguard.ThreatPhishing},
			{file: "le-dkim", reporter: "Metro Police", domains: []string{"bad.example"}, threat: tldguard.ThreatPhishing, ackTo: "cyber@police.example"},
			{file: "tldguard-json-attachment", reporter: service.PublicMailReporter, domains: []string{"dns-redirect.example"}, threat: tldguard.ThreatPharming, ackTo: "reports@notifier.example"},
		}
		for _, tt := range tests {
			t.Run(tt.file, func(t *testing.T) {
				raw := mailSample(t, tt.file)
				r := f.mail(raw, trusted)
				if r.Reporter != tt.reporter || len(r.Reports) != 1 {
					t.Fatalf("filed under %q with %d reports, want %q: %+v", r.Reporter, len(r.Reports), tt.reporter, r)
				}
				rec := r.Reports[0]
				var domains []string
				for _, c := range rec.Cases {
					domains = append(domains, c.Domain)
					if c.ThreatType != tt.threat || c.Priority != tldguard.PriorityStandard {
						t.Errorf("case %s: %s %s", c.Domain, c.ThreatType, c.Priority)
					}
				}
				if strings.Join(domains, " ") != strings.Join(tt.domains, " ") {
					t.Errorf("cases on %q, want %q (notes %q)", domains, tt.domains, r.Notes)
				}
				rep, err := f.svc.Report(f.analyst, rec.ReportID)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(raw)
				if !bytes.Equal(rep.Raw, raw) || !bytes.Equal(rep.RawSHA256, sum[:]) || rep.ContentType != "message/rfc822" || !strings.HasPrefix(rep.Format, "mail/") {
					t.Errorf("stored report: format %q content type %q, raw kept %v", rep.Format, rep.ContentType, bytes.Equal(rep.Raw, raw))
				}
				if rep.ThreatType != tt.threat || rep.Category != tt.category && tt.category != "" {
					t.Errorf("report threat %q category %q, want %q %q", rep.ThreatType, rep.Category, tt.threat, tt.category)
				}
				if len(rep.Evidence) != tt.evidence {
					t.Errorf("%d evidence items, want %d", len(rep.Evidence), tt.evidence)
				}
				n := f.noticeFor(rec.ReportID)
				switch {
				case tt.ackTo == "" && n != nil:
					t.Errorf("acknowledgement to %s queued for automatic mail (%s)", n.To, r.NoAck)
				case tt.ackTo != "" && n == nil:
					t.Errorf("no acknowledgement: %s", r.NoAck)
				case n != nil && (n.To != tt.ackTo || n.InReplyTo == "" || n.Status != tldguard.NoticeQueued):
					t.Errorf("acknowledgement to %q in reply to %q, want %q", n.To, n.InReplyTo, tt.ackTo)
				}
			})
		}
		f.verify()
	})
}

// TestSubmitMailAuthentication: a registered address is only believed
// with an aligned DKIM pass from a trusted server, or a shared secret.
func TestSubmitMailAuthentication(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		le := mailSample(t, "le-dkim")
		notifierID := tldguard.FromContext(f.notifier).ID

		forged := bytes.Replace(le, []byte("Authentication-Results: mx1.nic.example"), []byte("Authentication-Results: mx9.other.test"), 1)
		forged = append([]byte("X-Variant: forged\r\n"), forged...)
		unaligned := bytes.Replace(le, []byte("dkim=pass header.d=police.example header.s"), []byte("dkim=pass header.d=bulk-sender.test header.s"), 1)
		failed := bytes.Replace(le, []byte("dkim=pass header.d=police.example header.s"), []byte("dkim=fail header.d=police.example header.s"), 1)
		twoFroms := bytes.Replace(le, []byte("From: Metro Police"), []byte("From: Attacker <a@evil.test>\r\nFrom: Metro Police"), 1)
		withSecret := append([]byte("X-Tldguard-Secret: s3cret-for-notifier\r\n"), mailSample(t, "plain-defanged")...)
		wrongSecret := append([]byte("X-Tldguard-Secret: guessed\r\n"), mailSample(t, "plain-defanged")...)
		opts := trusted
		opts.Secrets = []service.MailSecret{{ReporterID: notifierID, Secret: "s3cret-for-notifier"}}
		tests := []struct {
			name     string
			raw      []byte
			opts     service.MailOptions
			reporter string
		}{
			{"aligned DKIM pass from a trusted server", le, opts, "Metro Police"},
			{"the same mail, no trusted server configured", append([]byte("X-Variant: untrusted\r\n"), le...), service.MailOptions{}, service.PublicMailReporter},
			{"an Authentication-Results field of another server", forged, opts, service.PublicMailReporter},
			{"a DKIM pass for another domain", unaligned, opts, service.PublicMailReporter},
			{"a DKIM failure", failed, opts, service.PublicMailReporter},
			{"two From fields", twoFroms, opts, service.PublicMailReporter},
			{"the reporter's shared secret", withSecret, opts, "Notifier"},
			{"a wrong secret", wrongSecret, opts, service.PublicMailReporter},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.mail(tt.raw, tt.opts)
				if r.Reporter != tt.reporter {
					t.Fatalf("filed under %q (%s), want %q", r.Reporter, r.AuthenticatedBy, tt.reporter)
				}
				if (r.AuthenticatedBy != "") != (tt.reporter != service.PublicMailReporter) {
					t.Errorf("authenticated by %q", r.AuthenticatedBy)
				}
				if r.Reports[0].Priority != tldguard.PriorityStandard {
					t.Error("a mailed claim raised the priority")
				}
			})
		}
		// The public account was created once, with its audit event.
		reps, err := f.svc.Reporters(f.admin)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range reps {
			if r.Name == service.PublicMailReporter {
				n++
				if r.Source != tldguard.SourcePublic {
					t.Errorf("public mail account has tier %s", r.Source)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d public mail accounts", n)
		}
		f.verify()
	})
}

// TestSubmitMailRequestClaims: a mailed urgency never raises priority, and
// an unauthenticated sender cannot make a case confidential.
func TestSubmitMailRequestClaims(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		attachment := `{"threat_type":"phishing","names":["https://bad.example/x"],"request":{"authority":"Metro Police","urgency":"life","urgency_reason":"hostage","do_not_notify_registrant":true}}`
		raw := []byte("From: someone@mail.test\r\nSubject: urgent\r\nMessage-ID: <u-1@mail.test>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=\"u\"\r\n\r\n--u\r\nContent-Type: text/plain\r\n\r\nurgent\r\n" +
			"--u\r\nContent-Type: application/json\r\n\r\n" + attachment + "\r\n--u--\r\n")
		r := f.mail(raw, trusted)
		rec := r.Reports[0]
		if rec.Priority != tldguard.PriorityStandard || len(rec.Cases) != 1 {
			t.Fatalf("receipt %+v", rec)
		}
		c := caseOf(t, f, rec.Cases[0].ID)
		if c.Confidential || c.Priority != tldguard.PriorityStandard {
			t.Errorf("an unauthenticated mail made the case confidential (%v) or %s", c.Confidential, c.Priority)
		}
		joined := strings.Join(r.Notes, "\n")
		if !strings.Contains(joined, "does not raise the priority") || !strings.Contains(joined, "was not applied") {
			t.Errorf("notes do not explain: %q", r.Notes)
		}
	})
}

// TestSubmitMailNames: names outside the TLDs are dropped and listed, the
// sender's and the operator's own domains are not read from free text.
func TestSubmitMailNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		plain := "From: Owner <owner@shop.example>\r\nTo: abuse@nic.example\r\nSubject: phishing\r\nMessage-ID: <n-1@shop.example>\r\n\r\n" +
			"The phishing copy of https://shop.example/ is at https://shop-login.bad.example/x and at evil.com;\r\n" +
			"see https://www.nic.example/policy.\r\n"
		r := f.mail([]byte(plain), trusted)
		if cs := r.Reports[0].Cases; len(cs) != 1 || cs[0].Domain != "bad.example" {
			t.Fatalf("cases %+v, notes %q", cs, r.Notes)
		}
		joined := strings.Join(r.Notes, "\n")
		for _, want := range []string{`"https://shop.example/" was not read as reported`, "evil.com"} {
			if !strings.Contains(joined, want) {
				t.Errorf("notes %q lack %q", r.Notes, want)
			}
		}
		if strings.Contains(joined, "nic.example/policy") {
			t.Errorf("the operator's own domain is listed: %q", r.Notes)
		}

		arf := strings.Replace(string(mailSample(t, "arf-fbl-abuse")), "Reported-Domain: parcel-notice.example", "Reported-Domain: parcel-notice.com", 1)
		r = f.mail([]byte(arf), trusted)
		if cs := r.Reports[0].Cases; len(cs) != 1 || cs[0].Domain != "parcel-notice.example" {
			t.Fatalf("cases %+v", cs)
		}
		if joined := strings.Join(r.Reports[0].Notes, "\n"); !strings.Contains(joined, `"parcel-notice.com" dropped: not a name in the operator's TLDs`) {
			t.Errorf("notes %q", r.Reports[0].Notes)
		}
		f.verify()
	})
}

// TestSubmitMailAnswers: who gets an acknowledgement.
func TestSubmitMailAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		msg := func(i int, from, extra string) []byte {
			return []byte(fmt.Sprintf("From: %s\r\n%sSubject: phishing\r\nMessage-ID: <a-%d@x.test>\r\n\r\nhttps://bad.example/%d\r\n", from, extra, i, i))
		}
		smtp := func(from string) service.MailOptions {
			o := trusted
			o.Channel = "smtp"
			o.Envelope = &service.MailEnvelope{From: from, To: []string{"abuse@nic.example"}, RemoteAddr: "192.0.2.1:4711"}
			return o
		}
		tests := []struct {
			name  string
			raw   []byte
			opts  service.MailOptions
			ackTo string
		}{
			{"to the envelope sender", msg(1, "Reporter <r@mail.test>", ""), smtp("bounces+r@mail.test"), "bounces+r@mail.test"},
			{"null envelope sender", msg(2, "r@mail.test", ""), smtp(""), ""},
			{"MAILER-DAEMON", msg(3, "MAILER-DAEMON@mx.test", ""), smtp("mailer-daemon@mx.test"), ""},
			{"the operator's own address", msg(4, "abuse@nic.example", ""), trusted, ""},
			{"a bounce address of the operator's domain", msg(5, "Notices <notices@mail.nic.example>", ""), trusted, ""},
			{"Auto-Submitted", msg(6, "r@mail.test", "Auto-Submitted: auto-generated\r\n"), trusted, ""},
			{"Auto-Submitted: no", msg(7, "r@mail.test", "Auto-Submitted: no\r\n"), trusted, "r@mail.test"},
			{"Precedence: junk", msg(8, "r@mail.test", "Precedence: junk\r\n"), trusted, ""},
			{"Return-Path <>", msg(9, "r@mail.test", "Return-Path: <>\r\n"), trusted, ""},
			{"postmaster", msg(10, "postmaster@mail.test", ""), trusted, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.mail(tt.raw, tt.opts)
				n := f.noticeFor(r.Reports[0].ReportID)
				switch {
				case tt.ackTo == "" && n != nil:
					t.Errorf("acknowledgement to %s", n.To)
				case tt.ackTo == "" && r.NoAck == "":
					t.Error("no reason given for not answering")
				case tt.ackTo != "" && (n == nil || n.To != tt.ackTo):
					t.Errorf("acknowledgement %+v, want to %s (%s)", n, tt.ackTo, r.NoAck)
				case n != nil && !strings.HasPrefix(n.InReplyTo, "a-"):
					t.Errorf("in reply to %q", n.InReplyTo)
				}
			})
		}
	})
}

// TestSubmitMailDuplicates: the same message twice, or eight times at
// once, is stored once and every caller gets the first receipt.
func TestSubmitMailDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		raw := mailSample(t, "plain-defanged")
		first := f.mail(raw, trusted)
		head := f.head()
		again := f.mail(raw, trusted)
		if !again.Duplicate || again.Reports[0].ReportID != first.Reports[0].ReportID || first.Duplicate {
			t.Errorf("repeat: %+v, first %+v", again, first)
		}
		if f.head().Seq != head.Seq {
			t.Error("a repeated message wrote audit events")
		}

		// A repeat is known whoever the message was filed under, so a
		// re-import with other trust options stores nothing either.
		le := mailSample(t, "le-dkim")
		byLE := f.mail(le, trusted)
		if again := f.mail(le, service.MailOptions{}); !again.Duplicate || again.Reporter != "Metro Police" || again.Reports[0].ReportID != byLE.Reports[0].ReportID {
			t.Errorf("the same message without trust options: %+v", again)
		}

		// A first message from the public account, delivered concurrently.
		raw = mailSample(t, "html-only")
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r, err := f.svc.SubmitMail(tldguard.System(context.Background(), "mail"), raw, trusted)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = r.Reports[0].ReportID
			}(i)
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent deliveries stored different reports: %v", ids)
			}
		}
		rs, err := f.svc.Reports(f.analyst, tldguard.ReportFilter{Limit: 100})
		if err != nil || len(rs) != 3 {
			t.Errorf("%d reports stored, want 3 (%v)", len(rs), err)
		}
		f.verify()
	})
}

func TestSubmitMailPermission(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	for _, ctx := range []context.Context{context.Background(), f.public, f.analyst} {
		if _, err := f.svc.SubmitMail(ctx, mailSample(t, "plain-defanged"), service.MailOptions{}); tldguard.ErrorKind(err) != tldguard.EFORBIDDEN {
			t.Errorf("SubmitMail as %v: %v, want forbidden", tldguard.FromContext(ctx), err)
		}
	}
	big := make([]byte, 33<<20)
	if _, err := f.svc.SubmitMail(tldguard.System(context.Background(), "mail"), big, service.MailOptions{}); tldguard.ErrorKind(err) != tldguard.ETOOLARGE {
		t.Errorf("a 33 MiB message: %v", err)
	}
	// A message that cannot be read at all is still kept, and not answered.
	junk := append([]byte("X-Huge: "), bytes.Repeat([]byte("h"), 300<<10)...)
	r := f.mail(junk, service.MailOptions{})
	if r.NoAck == "" || r.Reports[0].ReportID == 0 || len(r.Reports[0].Cases) != 0 {
		t.Errorf("unreadable message: %+v", r)
	}
}

// TestSubmitMailPublicAccountTier: an account that takes the public mail
// account's name with another tier is never used for unauthenticated mail.
func TestSubmitMailPublicAccountTier(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t))
	f.reporter(service.ReporterInput{Name: service.PublicMailReporter, Source: tldguard.SourceTrustedNotifier})
	_, err := f.svc.SubmitMail(tldguard.System(context.Background(), "mail"), mailSample(t, "plain-defanged"), trusted)
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Fatalf("mail with a trusted account named %q: %v, want unavailable", service.PublicMailReporter, err)
	}
}
