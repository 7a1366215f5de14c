package reportfmt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// update rewrites the golden files: go test ./reportfmt/ -run TestDecodeMail -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/mail/golden")

// testInScope stands in for the operator's TLDs (example and test are the
// test fixture's) minus the hosts a real caller would exclude.
func testInScope(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return strings.HasSuffix(h, ".example") && !strings.HasSuffix(h, "nic.example")
}

// goldenMail is what a message becomes, as the golden files record it.
type goldenMail struct {
	Format        string
	From          string        `json:",omitempty"`
	FromName      string        `json:",omitempty"`
	ReturnPath    string        `json:",omitempty"`
	HasReturnPath bool          `json:",omitempty"`
	MessageID     string        `json:",omitempty"`
	Subject       string        `json:",omitempty"`
	Automatic     string        `json:",omitempty"`
	AuthResults   []AuthResults `json:",omitempty"`
	Notes         []string      `json:",omitempty"`
	Ignored       []string      `json:",omitempty"`
	IgnoredCount  int           `json:",omitempty"`
	Reports       []goldenReport
}

type goldenReport struct {
	Format      string
	ThreatType  tldguard.ThreatType
	Category    string                     `json:",omitempty"`
	Names       []string                   `json:",omitempty"`
	NamesField  string                     `json:",omitempty"`
	Description string                     `json:",omitempty"`
	Request     *tldguard.AuthorityRequest `json:",omitempty"`
	Evidence    []goldenEvidence           `json:",omitempty"`
}

type goldenEvidence struct {
	MediaType, Filename, URL, Description string `json:",omitempty"`
	Size                                  int    `json:",omitempty"`
	SHA256                                string `json:",omitempty"`
}

func golden(m *MailReport) goldenMail {
	g := goldenMail{
		Format: m.Format, From: m.From, FromName: m.FromName, ReturnPath: m.ReturnPath, HasReturnPath: m.HasReturnPath,
		MessageID: m.MessageID, Subject: m.Subject, Automatic: m.Automatic, AuthResults: m.AuthResults,
		Notes: m.Notes, Ignored: m.Ignored, IgnoredCount: m.IgnoredCount,
	}
	for _, in := range m.Reports {
		r := goldenReport{Format: in.Format, ThreatType: in.ThreatType, Category: in.Category, Names: in.Names,
			NamesField: in.NamesField, Description: in.Description, Request: in.Request}
		for _, e := range in.Evidence {
			ge := goldenEvidence{MediaType: e.MediaType, Filename: e.Filename, URL: e.URL, Description: e.Description, Size: len(e.Content)}
			if e.Content != nil {
				sum := sha256.Sum256(e.Content)
				ge.SHA256 = hex.EncodeToString(sum[:])
			}
			r.Evidence = append(r.Evidence, ge)
		}
		g.Reports = append(g.Reports, r)
	}
	return g
}

// TestDecodeMail decodes every message under testdata/mail and compares
// what it becomes with the golden file of the same name; -update writes
// them. Then it checks, per message, what matters most in words.
func TestDecodeMail(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatal("no test messages", err)
	}
	lim := MailLimits{InScope: testInScope}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := DecodeMail(raw, lim)
			if err != nil {
				t.Fatal(err)
			}
			if err := mailInvariants(m, lim.withDefaults()); err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(golden(m), "", "  ")
			got = append(got, '\n')
			path := filepath.Join("testdata", "mail", "golden", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s decodes differently from %s (run with -update if the change is intended):\n%s", file, path, got)
			}
		})
	}
}

// TestDecodeMailWhatMatters states, for each sample, the facts the golden
// files hold that the rest of tldguard relies on.
func TestDecodeMailWhatMatters(t *testing.T) {
	tests := []struct {
		file      string
		format    string
		threat    tldguard.ThreatType
		names     []string
		automatic bool
		evidence  int
		check     func(t *testing.T, m *MailReport)
	}{
		{file: "arf-fbl-abuse", format: FormatMailARF, threat: tldguard.ThreatSpam,
			names: []string{"parcel-notice.example", "http://track.parcel-notice.example/fee?id=77120"}, evidence: 1,
			check: func(t *testing.T, m *MailReport) {
				if len(m.AuthResults) != 1 || m.AuthResults[0].AuthServID != "mx1.nic.example" || m.AuthResults[0].Results[0].Props["header.d"] != "mailbox.test" {
					t.Errorf("auth results %+v", m.AuthResults)
				}
				if !strings.Contains(m.Reports[0].Description, "Source IP: 203.0.113.77") {
					t.Errorf("description lacks the source IP:\n%s", m.Reports[0].Description)
				}
			}},
		{file: "arf-fraud-no-reported", format: FormatMailARF, threat: tldguard.ThreatPhishing, automatic: true, evidence: 1,
			names: []string{"https://secure-login.northbank-verify.example/auth/session?id=5521"}},
		{file: "xarf4-attachment", format: FormatMailXARF, threat: tldguard.ThreatPhishing,
			names: []string{"https://webmail-upgrade.quota-alert.example/owa/login.php"}},
		{file: "xarf3-as-arf", format: FormatMailXARF, threat: tldguard.ThreatMalware, automatic: true, evidence: 1,
			names: []string{"http://dl.free-codecs.example/setup.exe"}},
		{file: "x-arf-01-phishing", format: FormatMailXARFLeg, threat: tldguard.ThreatPhishing, automatic: true, evidence: 1,
			names: []string{"http://paypa1-resolution.example/webscr/cmd=login", "paypa1-resolution.example"}},
		{file: "x-arf-02-login-attack", format: FormatMailXARFLeg, threat: tldguard.ThreatOutOfScope, automatic: true, evidence: 1},
		{file: "iodef2-phishing", format: FormatMailIODEF, threat: tldguard.ThreatPhishing,
			names: []string{"tax-refund-portal.example", "https://tax-refund-portal.example/claim/index.php"}},
		{file: "plain-defanged", format: FormatMailPlain, threat: tldguard.ThreatPhishing,
			names: []string{"https://secure-login.maple-bank.example/verify?u=8812", "www.maple-bank-login.example"},
			check: func(t *testing.T, m *MailReport) {
				for _, n := range m.Reports[0].Names {
					if strings.Contains(n, "janes-bakery") || strings.Contains(n, "realbank") {
						t.Errorf("%s is from the signature or out of scope", n)
					}
				}
			}},
		{file: "plain-latin1-qp", format: FormatMailPlain, threat: tldguard.ThreatMalware,
			names: []string{"http://download.rechnung-pruefen.example/Rechnung_2026.zip"},
			check: func(t *testing.T, m *MailReport) {
				if m.Subject != "Trojaner über Ihre Domain" || m.FromName != "Jürgen Müller" {
					t.Errorf("subject %q from %q", m.Subject, m.FromName)
				}
			}},
		{file: "html-only", format: FormatMailPlain, threat: tldguard.ThreatPhishing,
			names: []string{"https://paypal.account-limited.example/signin/?country.x=US"}},
		{file: "forwarded-attachment", format: FormatMailPlain, threat: tldguard.ThreatPhishing, evidence: 2,
			names: []string{"https://mailbox-upgrade.quota-warning.example/owa/"}},
		{file: "forwarded-inline", format: FormatMailPlain, threat: tldguard.ThreatBotnet,
			names: []string{"qz9v2ml4pa8r.example:443", "xk7f3q9vzt2m.example:8443"}},
		{file: "bounce-dsn", format: FormatMailBounce, threat: tldguard.ThreatOutOfScope, automatic: true},
		{file: "auto-reply", format: FormatMailAutoReply, threat: tldguard.ThreatOutOfScope, automatic: true},
		{file: "auto-reply-outlook", format: FormatMailAutoReply, threat: tldguard.ThreatOutOfScope, automatic: true},
		{file: "plain-no-names", format: FormatMailPlain, threat: tldguard.ThreatPhishing,
			check: func(t *testing.T, m *MailReport) {
				if m.Reports[0].Category != CategoryUnclassified || m.IgnoredCount == 0 {
					t.Errorf("category %q, ignored %d", m.Reports[0].Category, m.IgnoredCount)
				}
			}},
		{file: "plain-copyright", format: FormatMailPlain, threat: tldguard.ThreatOutOfScope,
			names: []string{"https://free-movies-hd.example/watch/9913"}},
		{file: "bulk-newsletter", format: FormatMailPlain, threat: tldguard.ThreatPhishing, automatic: true,
			names: []string{"login-verify.maple-bank.example"}},
		{file: "le-dkim", format: FormatMailPlain, threat: tldguard.ThreatPhishing,
			names: []string{"https://secure.login.bad.example/acct"},
			check: func(t *testing.T, m *MailReport) {
				if len(m.AuthResults) != 2 || m.AuthResults[0].AuthServID != "mx1.nic.example" || m.AuthResults[1].AuthServID != "attacker.test" {
					t.Errorf("auth results %+v", m.AuthResults)
				}
			}},
		{file: "tldguard-json-attachment", format: FormatMailTldguard, threat: tldguard.ThreatPharming, names: []string{"dns-redirect.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "mail", tt.file+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := DecodeMail(raw, MailLimits{InScope: testInScope})
			if err != nil {
				t.Fatal(err)
			}
			in := m.Reports[0]
			if m.Format != tt.format || in.ThreatType != tt.threat {
				t.Errorf("format %s threat %s, want %s %s", m.Format, in.ThreatType, tt.format, tt.threat)
			}
			if strings.Join(in.Names, " ") != strings.Join(tt.names, " ") {
				t.Errorf("names %q, want %q", in.Names, tt.names)
			}
			if (m.Automatic != "") != tt.automatic {
				t.Errorf("automatic %q, want %v", m.Automatic, tt.automatic)
			}
			if len(in.Evidence) != tt.evidence {
				t.Errorf("%d evidence items, want %d: %+v", len(in.Evidence), tt.evidence, golden(m).Reports[0].Evidence)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// mailInvariants checks what every DecodeMail result must hold.
func mailInvariants(m *MailReport, lim MailLimits) error {
	switch {
	case len(m.Reports) == 0 || len(m.Reports) > lim.MaxReports:
		return fmt.Errorf("%d reports", len(m.Reports))
	case !strings.HasPrefix(m.Format, "mail/"):
		return fmt.Errorf("format %q", m.Format)
	case len(m.Notes) > maxNotes+1:
		return fmt.Errorf("%d notes", len(m.Notes))
	case len(m.Ignored) > maxIgnored || m.IgnoredCount < len(m.Ignored):
		return fmt.Errorf("ignored %d of %d", len(m.Ignored), m.IgnoredCount)
	case m.From != strings.ToLower(m.From):
		return fmt.Errorf("from %q is not lower case", m.From)
	}
	for _, in := range m.Reports {
		if err := mailInputInvariants(in, lim.Limits); err != nil {
			return err
		}
	}
	return nil
}

// mailInputInvariants is invariants for a report read from mail: any mail
// format, a category on any type, and no names allowed.
func mailInputInvariants(in *tldguard.ReportInput, lim Limits) error {
	if !strings.HasPrefix(in.Format, "mail/") {
		return fmt.Errorf("report format %q", in.Format)
	}
	c := *in
	c.Format, c.Category = FormatTldguard, ""
	if c.NamesField == "" {
		c.NamesField = "names"
	}
	if len(c.Names) == 0 {
		c.Names = []string{"placeholder.example"}
	}
	return invariants(&c, lim)
}

// nest wraps body in n levels of multipart/mixed.
func nest(n int, body string) string {
	for i := n; i > 0; i-- {
		b := fmt.Sprintf("b%d", i)
		body = fmt.Sprintf("Content-Type: multipart/mixed; boundary=%s\n\n--%s\n%s\n--%s--\n", b, b, body, b)
	}
	return body
}

func hasNote(m *MailReport, part string) bool {
	for _, n := range m.Notes {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// TestMailLimits checks that every cap holds, is noted, and never loses
// what came before it.
func TestMailLimits(t *testing.T) {
	const head = "From: r@mail.test\nSubject: phishing\nMIME-Version: 1.0\n"
	text := func(s string) string { return "Content-Type: text/plain\n\n" + s }
	many := func(n int) string {
		var b strings.Builder
		b.WriteString(head + "Content-Type: multipart/mixed; boundary=m\n\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "--m\nContent-Type: text/plain\n\nhttp://p%d.example/\n", i)
		}
		b.WriteString("--m--\n")
		return b.String()
	}
	bigAttachment := func(n int) string {
		return head + "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain\n\nsee http://big.example/\n" +
			"--a\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=big.bin\nContent-Transfer-Encoding: base64\n\n" +
			b64lines(bytes.Repeat([]byte{0xA5}, n)) + "\n--a--\n"
	}
	tests := []struct {
		name  string
		raw   string
		lim   MailLimits
		kind  string   // error kind, or
		names []string // the names read
		note  string   // a part of a note
	}{
		{name: "empty", raw: "", kind: tldguard.EINVALID},
		{name: "message too large", raw: head + "\n" + strings.Repeat("x", 2000), lim: MailLimits{MaxMessageBytes: 1000}, kind: tldguard.ETOOLARGE},
		{name: "header too large", raw: "X-A: " + strings.Repeat("y", 3000) + "\n\nhttp://a.example/", lim: MailLimits{MaxHeaderBytes: 1000}, kind: tldguard.ETOOLARGE},
		{name: "header without body", raw: "From: a@b.test\nSubject: http://x.example/ phishing", names: nil},
		{name: "nesting", raw: head + nest(12, text("http://deep.example/")), note: "nested more than 8 levels"},
		{name: "nesting within the cap", raw: head + nest(6, text("http://deep.example/")), names: []string{"http://deep.example/"}},
		{name: "too many parts", raw: many(300), note: "more than 200 MIME parts", names: func() []string {
			var n []string
			for i := 0; i < 199; i++ {
				n = append(n, fmt.Sprintf("http://p%d.example/", i))
			}
			return n
		}()},
		{name: "too many names", raw: many(20), lim: MailLimits{Limits: Limits{MaxNames: 3}}, note: "more than 3 names",
			names: []string{"http://p0.example/", "http://p1.example/", "http://p2.example/"}},
		{name: "text cap", raw: head + text("http://first.example/ "+strings.Repeat("word ", 300)+" http://last.example/"),
			lim: MailLimits{MaxTextBytes: 1000}, note: "more than 1000 bytes of text", names: []string{"http://first.example/"}},
		{name: "attachment over the evidence cap", raw: bigAttachment(6 << 20), note: "big.bin) was not kept as evidence", names: []string{"http://big.example/"}},
		{name: "decoded-size cap", raw: bigAttachment(4 << 20), lim: MailLimits{MaxDecodedBytes: 1 << 20}, note: "could not be read", names: []string{"http://big.example/"}},
		{name: "document cap", raw: head + "Content-Type: multipart/mixed; boundary=j\n\n--j\nContent-Type: application/json\n\n{\"pad\":\"" + strings.Repeat("p", 3000) + "\"}\n--j--\n",
			lim: MailLimits{MaxDocumentBytes: 1000}, note: "larger than 1000 bytes and was not read"},
		{name: "no boundary", raw: head + "Content-Type: multipart/mixed\n\nhttp://nb.example/", note: "has no boundary", names: []string{"http://nb.example/"}},
		{name: "unknown charset", raw: head + "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9 http://k.example/", note: `charset "koi8-r" is not read`, names: []string{"http://k.example/"}},
		{name: "malformed base64", raw: head + "Content-Transfer-Encoding: base64\n\naHR0cDov L2I2NC 5leGFtcGxlLw==\n!!", names: []string{"http://b64.example/"}},
		{name: "unknown transfer encoding", raw: head + "Content-Transfer-Encoding: x-uuencode\n\nhttp://uu.example/", note: "x-uuencode", names: []string{"http://uu.example/"}},
		{name: "mbox separator and junk header lines", raw: "From someone Thu Nov  5 10:00:00 2026\nFrom: a@b.test\nthis is not a header\n\nhttp://mbox.example/", note: "1 header lines", names: []string{"http://mbox.example/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := tt.lim
			lim.InScope = testInScope
			m, err := DecodeMail([]byte(tt.raw), lim)
			if tt.kind != "" {
				if tldguard.ErrorKind(err) != tt.kind {
					t.Fatalf("error %v, want kind %s", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := mailInvariants(m, lim.withDefaults()); err != nil {
				t.Fatal(err)
			}
			if tt.note != "" && !hasNote(m, tt.note) {
				t.Errorf("no note with %q in %q", tt.note, m.Notes)
			}
			if got := m.Reports[0].Names; strings.Join(got, " ") != strings.Join(tt.names, " ") {
				t.Errorf("names %q, want %q", got, tt.names)
			}
		})
	}
}

func b64lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76])
		out.WriteString("\r\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.String()
}

// TestDecodeMailMemory checks that a large message costs memory for what
// tldguard keeps of it (bounded by the caps), not for its size: a 25 MB
// message with one large attachment and one 50 MB message with two.
func TestDecodeMailMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates large messages")
	}
	for _, mb := range []int{25, 50} {
		raw := largeMail(mb << 20)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err := DecodeMail(raw, MailLimits{MaxMessageBytes: 64 << 20, InScope: testInScope})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%d MB message: %.1f MiB allocated while decoding, %d names, notes %q", mb, float64(alloc)/(1<<20), len(m.Reports[0].Names), m.Notes)
		if alloc > 24<<20 {
			t.Errorf("decoding a %d MB message allocated %.1f MiB", mb, float64(alloc)/(1<<20))
		}
		if len(m.Reports[0].Names) != 1 {
			t.Errorf("names %q", m.Reports[0].Names)
		}
	}
}

// largeMail returns a plain phishing report of about n bytes: a short text
// and base64 attachments of up to 20 MB each.
func largeMail(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: big@mail.test\r\nSubject: phishing with a large capture\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n")
	b.WriteString("The kit is at hxxps://kit[.]bad[.]example/login - packet capture attached.\r\n")
	chunk := make([]byte, 57*1024)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for i := 0; b.Len() < n-1024; i++ {
		fmt.Fprintf(&b, "--big\r\nContent-Type: application/vnd.tcpdump.pcap\r\nContent-Disposition: attachment; filename=\"capture%d.pcap\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", i)
		for written := 0; written < 20<<20 && b.Len() < n-1024; written += len(chunk) * 4 / 3 {
			b.WriteString(b64lines(chunk))
			b.WriteString("\r\n")
		}
	}
	b.WriteString("--big--\r\n")
	return b.Bytes()
}

// BenchmarkDecodeMail reads each sample message.
func BenchmarkDecodeMail(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(filepath.Base(file), ".eml"), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeMail(raw, MailLimits{InScope: testInScope}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeMailLarge reads a 25 MB message (base64 attachments far
// over the evidence cap): B/op is what decoding costs beyond the raw bytes.
func BenchmarkDecodeMailLarge(b *testing.B) {
	raw := largeMail(25 << 20)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMail(raw, MailLimits{InScope: testInScope}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMailPathological feeds inputs built to make a careless reader take
// quadratic time. Timings are never asserted on their own (machines are
// shared and noisy): each input is read at two sizes in the same run, and
// eight times the input must cost well under 64 times the time (the
// quadratic ratio). Linear reading costs about eight, up to twenty under
// the race detector when the larger input leaves the caches; the bound is
// 32.
func TestMailPathological(t *testing.T) {
	if testing.Short() {
		t.Skip("builds large inputs")
	}
	head := "From: x@mail.test\nSubject: phishing\nMIME-Version: 1.0\n"
	// Each builder makes an input of about k KiB.
	tests := map[string]func(k int) string{
		"a long URL ending in brackets": func(k int) string { return head + "\nhttp://a.example/" + strings.Repeat(")", k<<10) + "\n" },
		"many names":                    func(k int) string { return head + "\n" + strings.Repeat("a.example ", k<<7) },
		"script tags": func(k int) string {
			return head + "Content-Type: text/html\n\n" + strings.Repeat("<script>x</SCRIPT>", k<<6)
		},
		"unclosed tags": func(k int) string { return head + "Content-Type: text/html\n\n" + strings.Repeat("<a href='", k<<7) },
		"YAML continuation lines": func(k int) string {
			return head + "X-ARF: YES\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b\n\nURI: http://a.example/\n" +
				strings.Repeat(" more\n", k<<8) + "--b--\n"
		},
		"Authentication-Results": func(k int) string {
			return "Authentication-Results: mx.test" + strings.Repeat("; dkim=pass header.d=a.example (c (d))", k*2) + "\n\nx\n"
		},
		"many parts": func(k int) string {
			return head + "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\n\nx\n", k<<7) + "--b--\n"
		},
	}
	for name, build := range tests {
		t.Run(name, func(t *testing.T) {
			once := func(raw string) time.Duration {
				runtime.GC() // each read starts from a clean heap
				start := time.Now()
				m, err := DecodeMail([]byte(raw), MailLimits{InScope: testInScope})
				took := time.Since(start)
				if err != nil {
					t.Fatal(err)
				}
				if err := mailInvariants(m, MailLimits{}.withDefaults()); err != nil {
					t.Fatal(err)
				}
				return took
			}
			// The best of five of each, taken in turns, so that a pause
			// of the machine (or of the collector) is not read as cost.
			sIn, lIn := build(100), build(800)
			small, large := time.Duration(1<<63-1), time.Duration(1<<63-1)
			for range 5 {
				small, large = min(small, once(sIn)), min(large, once(lIn))
			}
			small = max(small, time.Microsecond)
			ratio := float64(large) / float64(small)
			t.Logf("8x the input: %.1fx the time (%v vs %v)", ratio, large, small)
			if ratio > 32 {
				t.Errorf("8x the input took %.1fx the time (%v vs %v): reading is not linear", ratio, large, small)
			}
		})
	}
}
