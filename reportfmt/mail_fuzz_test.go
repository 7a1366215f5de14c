package reportfmt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// smallMailLimits make the fuzz targets reach every cap.
var smallMailLimits = MailLimits{
	Limits:          Limits{MaxNames: 3, MaxEvidence: 2, MaxEvidenceBytes: 64, MaxTotalEvidenceBytes: 100, MaxTextLen: 120, MaxNameLen: 40, MaxFieldLen: 20},
	MaxMessageBytes: 8 << 10, MaxHeaderBytes: 512, MaxParts: 6, MaxDepth: 3, MaxDecodedBytes: 2 << 10,
	MaxTextBytes: 256, MaxDocumentBytes: 512, MaxReports: 2,
}

func mailSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	var seeds [][]byte
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err == nil {
			seeds = append(seeds, raw)
		}
	}
	return seeds
}

// checkDecodeMail runs DecodeMail and checks its contract: no panic, errors
// only EINVALID or ETOOLARGE, results keep the invariants.
func checkDecodeMail(t *testing.T, raw []byte, lim MailLimits) *MailReport {
	m, err := DecodeMail(raw, lim)
	if err != nil {
		var e *tldguard.Error
		if !errors.As(err, &e) || (e.Kind != tldguard.EINVALID && e.Kind != tldguard.ETOOLARGE) || e.Message == "" {
			t.Fatalf("error %T %#v", err, err)
		}
		if m != nil {
			t.Fatal("a result and an error")
		}
		return nil
	}
	if err := mailInvariants(m, lim.withDefaults()); err != nil {
		t.Fatalf("%v\n%+v", err, golden(m))
	}
	return m
}

// FuzzMIME feeds whole messages to DecodeMail under the default and under
// tiny limits.
func FuzzMIME(f *testing.F) {
	for _, s := range mailSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/mixed; boundary=y\n\n--y\n\nhxxp://a[.]example\n--y--\n--x--\n"), true)
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: x\n\nbad.example\n"), false)
	f.Add([]byte("Content-Transfer-Encoding: base64\n\naHR0cDovL2JhZC5leGFtcGxlLw==\n"), false)
	f.Fuzz(func(t *testing.T, raw []byte, small bool) {
		lim := MailLimits{InScope: testInScope}
		if small {
			lim = smallMailLimits
			lim.InScope = testInScope
		}
		checkDecodeMail(t, raw, lim)
	})
}

// arfMessage wraps feedback fields and a reported message into an ARF mail.
func arfMessage(fields, reported []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: fbl@mailbox.test\r\nSubject: report\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n")
	b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nAn abuse report.\r\n")
	b.WriteString("--b\r\nContent-Type: message/feedback-report\r\n\r\n")
	b.Write(fields)
	b.WriteString("\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n")
	b.Write(reported)
	b.WriteString("\r\n--b--\r\n")
	return b.Bytes()
}

// FuzzARF varies the machine-readable part and the reported message of an
// ARF report.
func FuzzARF(f *testing.F) {
	f.Add([]byte("Feedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\nReported-Domain: bad.example\r\nReported-URI: http://bad.example/x\r\n"),
		[]byte("Subject: hi\r\n\r\nhttp://spam.example/\r\n"))
	f.Add([]byte("Feedback-Type: fraud\nVersion: 1\n"), []byte("Content-Type: text/html\n\n<a href=\"hxxps://p[.]example\">x</a>"))
	f.Add([]byte("Feedback-Type: xarf\n"), []byte(`{"xarf_version":"4.0.0","category":"content","type":"phishing","url":"http://a.example/"}`))
	f.Add([]byte("Feedback-Type: other\nReported-Domain: a.example, b.example c.example\n"), []byte(""))
	f.Fuzz(func(t *testing.T, fields, reported []byte) {
		raw := arfMessage(fields, reported)
		m := checkDecodeMail(t, raw, MailLimits{InScope: testInScope})
		if m != nil && m.Format != FormatMailARF && m.Format != FormatMailXARF && m.Format != FormatMailPlain {
			t.Fatalf("an ARF message read as %s", m.Format)
		}
		checkDecodeMail(t, raw, smallMailLimits)
	})
}

// FuzzIODEF feeds IODEF documents to the IODEF reader.
func FuzzIODEF(f *testing.F) {
	f.Add([]byte(iodefSample))
	f.Add([]byte(`<IODEF-Document xmlns="urn:ietf:params:xml:ns:iodef-1.0"><Incident><EventData><Flow><System><Node><NodeName>a.example</NodeName></Node></System></Flow></EventData></Incident></IODEF-Document>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><IODEF-Document><Incident><Description>Ph\xe9ishing</Description></Incident></IODEF-Document>`))
	f.Add([]byte(`<x/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, lim := range []Limits{DefaultLimits(), smallMailLimits.Limits.withDefaults()} {
			ins, err := decodeIODEF(doc, lim, 3)
			if err != nil {
				if err != errNotIODEF && tldguard.ErrorKind(err) != tldguard.EINVALID {
					t.Fatalf("error %v", err)
				}
				continue
			}
			if len(ins) == 0 || len(ins) > 3 {
				t.Fatalf("%d reports", len(ins))
			}
			for _, in := range ins {
				if err := mailInputInvariants(in, lim); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

const iodefSample = `<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting"><IncidentID name="csirt.test">1</IncidentID>
    <Assessment><IncidentCategory>malware</IncidentCategory></Assessment>
    <EventData><Flow><System category="source"><Node><DomainData><Name>dl.bad.example</Name></DomainData>
      <Address category="site-uri">http://dl.bad.example/x.exe</Address></Node></System></Flow></EventData>
    <IndicatorData><Indicator><Observable><DomainData><Name>c2.bad.example</Name></DomainData></Observable></Indicator></IndicatorData>
  </Incident>
</IODEF-Document>`

// FuzzXARFMail varies the machine-readable part of a legacy X-ARF mail.
func FuzzXARFMail(f *testing.F) {
	f.Add([]byte("Reported-From: a@b.test\nCategory: fraud\nReport-Type: phishing\nSource-Type: uri\nSource: http://p.example/\nURI: 'http://p.example/x'\nDomain: \"p.example\"\n"))
	f.Add([]byte("Category: abuse\nReport-Type: login-attack\nSource: 192.0.2.1\n  continued\n# comment\n---\n"))
	f.Add([]byte("Report-Type: \"\\u00e9\"\nURI: ~\n"))
	f.Fuzz(func(t *testing.T, yaml []byte) {
		fields := parseYAMLFields(yaml)
		for k, v := range fields {
			if k != strings.ToLower(k) || strings.ContainsAny(k, " \t") {
				t.Fatalf("key %q", k)
			}
			_ = v
		}
		var b bytes.Buffer
		b.WriteString("From: x@csirt.test\nX-ARF: YES\nContent-Type: multipart/mixed; boundary=\"q\"\n\n")
		b.WriteString("--q\nContent-Type: text/plain\n\nhello\n--q\nContent-Type: text/plain\n\n")
		b.Write(yaml)
		b.WriteString("\n--q\nContent-Type: text/plain\n\nlog line\n--q--\n")
		m := checkDecodeMail(t, b.Bytes(), MailLimits{InScope: testInScope})
		if m != nil && m.Format != FormatMailXARFLeg {
			t.Fatalf("an X-ARF message read as %s", m.Format)
		}
		checkDecodeMail(t, b.Bytes(), smallMailLimits)
	})
}

// FuzzPlainExtract checks the free-text readers: name extraction, the HTML
// scan, threat inference and Authentication-Results parsing.
func FuzzPlainExtract(f *testing.F) {
	for _, s := range []string{
		"see hxxps://login[.]bad[.]example/x?y=1 and bad2 [dot] example, mail me at a@b.example",
		`<a href="https://x.example/">y</a><script>z.example</script><!-- c.example -->`,
		"(http://p.example/a_(b))), www.пример.example/path. xn--e1afmkfd.example",
		"mx.test; dkim=pass (good) header.d=a.example header.i=\"@a.example\"; spf = pass smtp.mailfrom=a.example",
		"phishing malware c2 botnet spam pharming copyright",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lim := Limits{MaxNames: 5, MaxNameLen: 60}.withDefaults()
		m := &MailReport{}
		s := newNameSet(lim, m)
		s.extract(text, testInScope)
		s.extract(htmlText(text), nil)
		if len(s.list) > lim.MaxNames {
			t.Fatalf("%d names", len(s.list))
		}
		for _, n := range s.list {
			if strings.TrimSpace(n) == "" || utf8.RuneCountInString(n) > lim.MaxNameLen || hostPart(n) == "" {
				t.Fatalf("name %q", n)
			}
		}
		if len(m.Ignored) > maxIgnored {
			t.Fatalf("%d ignored", len(m.Ignored))
		}
		if th, cat := inferThreat(text); !th.Valid() || cat == "" {
			t.Fatalf("inferThreat = %q, %q", th, cat)
		}
		ar, ok := ParseAuthenticationResults(text)
		if ok && (ar.AuthServID == "" || len(ar.Results) > maxAuthResults) {
			t.Fatalf("auth results %+v", ar)
		}
		_ = fmt.Sprint(cutSignature(text), tidyText(text))
	})
}
