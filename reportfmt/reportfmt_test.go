package reportfmt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// The evidence contents of the samples in testdata.
var (
	shotPNG  = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==")
	pageHTML = []byte(`<html><head><title>Sign in</title></head><body><form action="/post.php"><input name="user"><input name="pass" type="password"></form></body></html>`)
	exeHead  = append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 24)...)
	spamMail = []byte("From: \"Parcel Service\" <noreply@parcel-notice.example>\r\nSubject: Your parcel is on hold\r\n\r\nPay the fee at https://parcel-fee.example/pay\r\n")
)

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestDecode(t *testing.T) {
	tests := []struct {
		file string
		ct   string
		want *tldguard.ReportInput
	}{{
		file: "tldguard-phishing.json",
		ct:   "application/json; charset=utf-8",
		want: &tldguard.ReportInput{
			Format:      "tldguard",
			ThreatType:  tldguard.ThreatPhishing,
			Description: "Credential-harvesting page imitating a payment provider's sign-in form, linked from an SMS campaign seen 2025-03-02.",
			Names:       []string{"secure-login-paypa1.example", "https://login.secure-login-paypa1.example/signin?session=8c1f"},
			NamesField:  "names",
			Request: &tldguard.AuthorityRequest{
				Authority:             "National Cyber Crime Unit",
				Jurisdiction:          "GB",
				LegalBasis:            "Computer Misuse Act 1990, s.1",
				Reference:             "NCCU-2025-00417",
				Contact:               "duty-officer@nccu.example",
				RequestedAction:       "hold",
				Urgency:               tldguard.UrgencyCriticalInfrastructure,
				UrgencyReason:         "The kit targets customers of a water utility's payment portal; account takeovers are under way.",
				DoNotNotifyRegistrant: true,
			},
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "image/png", Filename: "signin-page.png", Description: "Screenshot taken 2025-03-02T09:14Z", Content: shotPNG},
				{MediaType: "application/octet-stream", URL: "https://urlscan.example/result/0a1b2c3d/", Description: "Public scan of the page"},
			},
		},
	}, {
		file: "tldguard-minimal.json",
		ct:   "application/json",
		want: &tldguard.ReportInput{Format: "tldguard", ThreatType: tldguard.ThreatMalware, Names: []string{"dl.cracked-apps.example"}, NamesField: "names"},
	}, {
		file: "tldguard-out-of-scope.json",
		ct:   "", // no content type: sniffed
		want: &tldguard.ReportInput{
			Format:      "tldguard",
			ThreatType:  tldguard.ThreatOutOfScope,
			Category:    "Copyright",
			Description: "Full copies of a film released last week, streamed without licence.",
			Names:       []string{"https://stream-free-movies.example/watch/the-film-2025"},
			NamesField:  "names",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "application/octet-stream", Filename: "notice.pdf", URL: "https://rightsholder.example/notices/2025-118.pdf", Description: "Our takedown notice"},
			},
		},
	}, {
		file: "xarf4-phishing.json",
		ct:   "application/xarf+json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatPhishing,
			Description: "Kit clone of North Bank online banking, reported by 14 customers.\n\n" +
				"XARF report: content/phishing (XARF 4.2.0)\n" +
				"Report ID: 7d4c2a90-5a1e-4f0b-9a55-0b8f3c9e21d4\n" +
				"Observed: 2025-03-04T08:12:44Z\n" +
				"Source: 198.51.100.23\n" +
				"Target brand: North Bank\n" +
				"Reporter (as stated in the report, not verified): Phish Response Collective <reports@phish-response.example> (phish-response.example)",
			Names:      []string{"https://account-verify.northbank-secure.example/login.php"},
			NamesField: "url",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "image/png", Description: "Screenshot of the login page", Content: shotPNG},
				{MediaType: "text/html; charset=utf-8", Description: "Page source", Content: pageHTML},
			},
		},
	}, {
		file: "xarf4-malware.json",
		ct:   "application/json", // sniffed by xarf_version
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatMalware,
			Description: "XARF report: content/malware (XARF 4.1.0)\n" +
				"Report ID: c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b\n" +
				"Observed: 2025-02-18T22:05:00Z\n" +
				"Source: 203.0.113.80\n" +
				"C2 servers: c2.telemetry-sync.example, 198.51.100.9\n" +
				"Malware family: AgentTesla\n" +
				"Reporter (as stated in the report, not verified): Sandbox Intel <abuse@sandbox-intel.example> (sandbox-intel.example)\n" +
				"Sender (as stated in the report, not verified): Abuse Relay Service <relay@abuse-relay.example> (abuse-relay.example)",
			Names:      []string{"http://files.free-codecs.example/player_setup.exe"},
			NamesField: "url",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "application/octet-stream", Description: "First 32 bytes of the sample [the report's sha256 hash of this evidence does not match its content]", Content: exeHead},
				{MediaType: "application/octet-stream", URL: "https://sandbox-intel.example/shots/c0a1b2c3.png", Description: "Screenshot (URL given in the report's screenshot_url; not fetched)"},
			},
		},
	}, {
		file: "xarf4-botnet.json",
		ct:   "application/xarf+json; charset=utf-8",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatBotnet,
			Description: "XARF report: infrastructure/botnet (XARF 4.2.0)\n" +
				"Report ID: 0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b\n" +
				"Observed: 2025-01-30T03:40:10Z\n" +
				"Source: 192.0.2.77\n" +
				"Malware family: Mirai\n" +
				"Compromise evidence: Bot beacons to the C2 every 60 s on 23/tcp\n" +
				"Reporter (as stated in the report, not verified): Sinkhole Research <noc@sinkhole-research.example> (sinkhole-research.example)",
			Names:      []string{"cnc.iot-update-srv.example"},
			NamesField: "c2_server",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "text/plain", Content: []byte("2025-01-30T03:40:10Z 192.0.2.77 -> cnc.iot-update-srv.example:23 beacon\n")},
			},
		},
	}, {
		file: "xarf4-spam.json",
		ct:   "application/xarf+json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatSpam,
			Description: "XARF report: messaging/spam (XARF 4.2.0)\n" +
				"Report ID: aa11bb22-cc33-4d44-8e55-ff6600778899\n" +
				"Observed: 2025-03-01T17:00:00Z\n" +
				"Source: 203.0.113.5\n" +
				"SMTP sender: noreply@parcel-notice.example\n" +
				"Subject: Your parcel is on hold\n" +
				"Reporter (as stated in the report, not verified): Mailbox Provider Trust & Safety <spamtrap@mbp.example> (mbp.example)",
			Names:      []string{"https://parcel-fee.example/pay", "http://track.parcel-notice.example/id/771"},
			NamesField: "spam_indicators.suspicious_links",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "message/rfc822", Description: "The message as received", Content: spamMail},
			},
		},
	}, {
		file: "xarf4-copyright.json",
		ct:   "application/xarf+json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatOutOfScope,
			Category:   "copyright/copyright",
			Description: "XARF report: copyright/copyright (XARF 4.0.0)\n" +
				"Report ID: 5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9\n" +
				"Observed: 2025-02-02T12:00:00Z\n" +
				"Source: 198.51.100.200\n" +
				"Work: The Long Winter\n" +
				"Rights holder: Example Pictures\n" +
				"Reporter (as stated in the report, not verified): Film Rights Agency <notices@filmrights.example> (filmrights.example)",
			Names:      []string{"https://watch-now-free.example/movies/the-long-winter"},
			NamesField: "infringing_url",
		},
	}, {
		file: "xarf4-blocklist.json",
		ct:   "application/xarf+json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatBotnet,
			Description: "XARF report: reputation/blocklist (XARF 4.2.0)\n" +
				"Report ID: 12345678-9abc-4def-8123-456789abcdef\n" +
				"Observed: 2025-03-03T06:30:00Z\n" +
				"Threat type: command_and_control\n" +
				"Reporter (as stated in the report, not verified): Threat Feed Co <feeds@threatfeed.example> (threatfeed.example)",
			Names:      []string{"update-check.dyn-svc.example"},
			NamesField: "source_identifier",
		},
	}, {
		file: "xarf3-phishing.json",
		ct:   "application/json", // sniffed by Version and Report
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatPhishing,
			Description: "Targets staff of several universities.\n\n" +
				"XARF report: Content/Phishing (XARF v3 schema 3)\n" +
				"Reporter case ID: CSIRT-24-1102\n" +
				"Observed: 2024-11-05T10:20:30Z\n" +
				"Source: 198.51.100.44\n" +
				"Reporter (as stated in the report, not verified): Example CSIRT <incidents@csirt.example> (csirt.example)",
			Names:      []string{"https://webmail-upgrade.univ-portal.example/owa/"},
			NamesField: "Report.SourceUrl",
			Evidence: []tldguard.EvidenceInput{
				{MediaType: "text/html", Description: "Landing page", Content: []byte("<html><body>Outlook Web App - sign in</body></html>")},
			},
		},
	}, {
		file: "xarf3-rpz.json",
		ct:   "application/xarf+json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatMalware,
			Description: "XARF report: Activity/Malware, subtype RPZ-Rewrite (XARF v3 schema 2)\n" +
				"Observed: 2024-12-24T23:59:59Z\n" +
				"Source: 192.0.2.150\n" +
				"Malware: Emotet\n" +
				"Reporter (as stated in the report, not verified): Resolver Operator <rpz@resolver.example> (resolver.example)",
			Names:      []string{"xk3j9q-update.example"},
			NamesField: "Report.RpzDomain",
			Evidence: []tldguard.EvidenceInput{
				// Unpadded base64, as in the XARF v3 samples; the path is cut.
				{MediaType: "application/octet-stream", Filename: "hit.bin", Description: "Query log excerpt", Content: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
			},
		},
	}, {
		file: "xarf3-copyright.json",
		ct:   "application/json",
		want: &tldguard.ReportInput{
			Format:     "xarf",
			ThreatType: tldguard.ThreatOutOfScope,
			Category:   "Content/Copyright",
			Description: "XARF report: Content/Copyright (XARF v3 schema 3)\n" +
				"Observed: 2024-10-01T08:00:00Z\n" +
				"Material: Greatest Hits (2019)\n" +
				"Samples listed without content: greatest-hits.zip\n" +
				"Reporter (as stated in the report, not verified): Music Rights Monitor <dmca@mrm.example> (mrm.example)\n" +
				"On behalf of (as stated in the report, not verified): Example Records <legal@records.example> (records.example)",
			Names:      []string{"http://mp3-dl.example/albums/greatest-hits.zip"},
			NamesField: "Report.SourceUrl",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			lim := DefaultLimits()
			got, err := Decode(readTestdata(t, tt.file), tt.ct, lim)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
			if err := invariants(got, lim); err != nil {
				t.Error(err)
			}
		})
	}
}

func dump(in *tldguard.ReportInput) string {
	b, _ := json.MarshalIndent(in, "", "  ")
	return string(b)
}

func TestDecodeErrors(t *testing.T) {
	small := func(f func(*Limits)) Limits {
		l := DefaultLimits()
		f(&l)
		return l
	}
	tests := []struct {
		name  string
		file  string // in testdata, or
		raw   string
		ct    string
		lim   Limits
		kind  string
		field string
		msg   string // a part of the message
	}{
		// tldguard JSON
		{name: "bad base64", file: "tldguard-bad-base64.json", kind: tldguard.EINVALID, field: "evidence[0].content_base64", msg: "is not valid base64: character 17 ('*') is not in the standard alphabet"},
		{name: "url-safe base64", raw: `{"threat_type":"malware","names":["a.example"],"evidence":[{"content_base64":"-_-_"}]}`, kind: tldguard.EINVALID, field: "evidence[0].content_base64", msg: "URL-safe base64"},
		{name: "unknown field", file: "tldguard-typo.json", kind: tldguard.EINVALID, field: "evidence[0].media_typ", msg: `is not a known field; did you mean "media_type"?`},
		{name: "unknown top-level field", raw: `{"threat_type":"malware","names":["a.example"],"severity":"high"}`, kind: tldguard.EINVALID, field: "severity", msg: "the fields here are threat_type, names, description, evidence, request"},
		{name: "unknown request field", raw: `{"threat_type":"malware","names":["a.example"],"request":{"Authority":"x"}}`, kind: tldguard.EINVALID, field: "request.Authority", msg: `did you mean "authority"?`},
		{name: "missing threat type", file: "tldguard-missing-threat.json", kind: tldguard.EINVALID, field: "threat_type", msg: "is required"},
		{name: "empty threat type", raw: `{"threat_type":" ","names":["a.example"]}`, kind: tldguard.EINVALID, field: "threat_type", msg: "is empty"},
		{name: "threat type not a word", raw: `{"threat_type":"<script>","names":["a.example"]}`, kind: tldguard.EINVALID, field: "threat_type", msg: "is not a threat type"},
		{name: "threat type a number", raw: `{"threat_type":1,"names":["a.example"]}`, kind: tldguard.EINVALID, field: "threat_type", msg: "must be a string, not a number"},
		{name: "empty names", file: "tldguard-empty-names.json", kind: tldguard.EINVALID, field: "names", msg: "list at least one domain name or URL"},
		{name: "missing names", raw: `{"threat_type":"spam"}`, kind: tldguard.EINVALID, field: "names", msg: "is required"},
		{name: "blank name", file: "tldguard-blank-name.json", kind: tldguard.EINVALID, field: "names[1]", msg: "is empty"},
		{name: "null name", raw: `{"threat_type":"spam","names":["a.example",null]}`, kind: tldguard.EINVALID, field: "names[1]", msg: "is null"},
		{name: "names not an array", file: "tldguard-wrong-types.json", kind: tldguard.EINVALID, field: "names", msg: "must be an array, not a string"},
		{name: "name not a string", raw: `{"threat_type":"spam","names":[{"name":"a.example"}]}`, kind: tldguard.EINVALID, field: "names[0]", msg: "must be a string, not an object"},
		{name: "flag not a bool", file: "tldguard-request-flag-string.json", kind: tldguard.EINVALID, field: "request.do_not_notify_registrant", msg: "must be true or false, not a string"},
		{name: "urgency without reason", file: "tldguard-urgency-no-reason.json", kind: tldguard.EINVALID, field: "request.urgency_reason", msg: "is required when urgency is life"},
		{name: "unknown urgency", raw: `{"threat_type":"spam","names":["a.example"],"request":{"urgency":"high","urgency_reason":"x"}}`, kind: tldguard.EINVALID, field: "request.urgency", msg: "is not an urgency"},
		{name: "unknown action", file: "tldguard-bad-action.json", kind: tldguard.EINVALID, field: "request.requested_action", msg: `"suspend" is not an action`},
		{name: "duplicate key", file: "tldguard-duplicate-key.json", kind: tldguard.EINVALID, field: "names", msg: "is given twice"},
		{name: "evidence without content or url", file: "tldguard-evidence-empty.json", kind: tldguard.EINVALID, field: "evidence[0]", msg: "has neither content_base64 nor url"},
		{name: "bad media type", raw: `{"threat_type":"spam","names":["a.example"],"evidence":[{"url":"https://x.example/","media_type":"png"}]}`, kind: tldguard.EINVALID, field: "evidence[0].media_type", msg: `"png" is not a media type`},
		{name: "evidence not an object", raw: `{"threat_type":"spam","names":["a.example"],"evidence":["https://x.example/"]}`, kind: tldguard.EINVALID, field: "evidence[0]", msg: "must be an object, not a string"},
		{name: "oversized evidence", file: "tldguard-oversized.json", lim: small(func(l *Limits) { l.MaxEvidenceBytes = 32 }), kind: tldguard.ETOOLARGE, field: "evidence[0].content_base64", msg: "holds 64 bytes; one evidence item may hold at most 32 bytes"},
		{name: "too much evidence in all", file: "tldguard-phishing.json", lim: small(func(l *Limits) { l.MaxTotalEvidenceBytes = 40 }), kind: tldguard.ETOOLARGE, field: "evidence[0].content_base64", msg: "a report may carry at most 40 bytes of evidence in all"},
		{name: "too many evidence items", file: "tldguard-phishing.json", lim: small(func(l *Limits) { l.MaxEvidence = 1 }), kind: tldguard.ETOOLARGE, field: "evidence", msg: "holds more than 1 evidence items"},
		{name: "too many names", file: "tldguard-phishing.json", lim: small(func(l *Limits) { l.MaxNames = 1 }), kind: tldguard.ETOOLARGE, field: "names", msg: "lists more than 1 names"},
		{name: "name too long", raw: `{"threat_type":"spam","names":["` + strings.Repeat("a", 2045) + `.example"]}`, kind: tldguard.ETOOLARGE, field: "names[0]", msg: "is 2053 characters long; the limit is 2048"},
		{name: "description too long", raw: `{"threat_type":"spam","names":["a.example"],"description":"` + strings.Repeat("é", 4097) + `"}`, kind: tldguard.ETOOLARGE, field: "description", msg: "is 4097 characters long; the limit is 4096"},
		{name: "trailing garbage", file: "tldguard-trailing.json", kind: tldguard.EINVALID, field: "", msg: "malformed JSON at line 5, column 1 (byte offset 60): invalid character '}' after top-level value"},
		{name: "second object", raw: `{"threat_type":"spam","names":["a.example"]} {}`, kind: tldguard.EINVALID, field: "", msg: "line 1, column 46 (byte offset 45): invalid character '{' after top-level value"},
		{name: "malformed", file: "tldguard-malformed.json", kind: tldguard.EINVALID, field: "", msg: "malformed JSON at line 3, column 27 (byte offset 57): invalid character ']' looking for beginning of value"},
		{name: "truncated", raw: "{\"threat_type\":\"spam\",\n\"names\":[\"a.exa", kind: tldguard.EINVALID, field: "", msg: "the document ends too early, at line 2, column 16 (byte offset 38)"},
		{name: "not JSON", file: "not-json.txt", kind: tldguard.EINVALID, field: "", msg: "malformed JSON at line 1, column 1 (byte offset 0): invalid character 'F'"},
		{name: "empty", raw: " \n", kind: tldguard.EINVALID, field: "", msg: "the document is empty"},
		{name: "array", file: "top-level-array.json", kind: tldguard.EINVALID, field: "", msg: "must be a JSON object, not an array"},
		{name: "null", raw: "null", kind: tldguard.EINVALID, field: "", msg: "must be a JSON object, not null"},
		{name: "BOM then garbage", raw: "\xef\xbb\xbf{]", kind: tldguard.EINVALID, field: "", msg: "line 1, column 2 (byte offset 4)"},
		{name: "unsupported content type", file: "tldguard-minimal.json", ct: "text/plain", kind: tldguard.EINVALID, field: "Content-Type", msg: "content type text/plain is not supported"},
		{name: "bad charset", file: "tldguard-minimal.json", ct: "application/json; charset=iso-8859-1", kind: tldguard.EINVALID, field: "Content-Type", msg: "charset iso-8859-1 is not supported"},
		{name: "XARF field in tldguard JSON", raw: `{"Report":{}}`, kind: tldguard.EINVALID, field: "Report", msg: "send it with Content-Type application/xarf+json"},

		// XARF v4
		{name: "xarf4 IP only", file: "xarf4-ip-only.json", ct: MediaTypeXARF, kind: tldguard.EINVALID, field: "url", msg: "source_identifier 192.0.2.200 is an IP address, which a registry cannot act on"},
		{name: "xarf4 bad payload", file: "xarf4-bad-payload.json", ct: MediaTypeXARF, kind: tldguard.EINVALID, field: "evidence[1].payload", msg: "length or = padding is wrong"},
		{name: "xarf4 no category", file: "xarf4-no-category.json", ct: MediaTypeXARF, kind: tldguard.EINVALID, field: "category", msg: "is required"},
		{name: "xarf4 version 5", file: "xarf4-version5.json", kind: tldguard.EINVALID, field: "xarf_version", msg: `"5.0.0" is not an XARF v4 version`},
		{name: "xarf4 url a number", file: "xarf4-url-number.json", kind: tldguard.EINVALID, field: "url", msg: "must be a string, not a number"},
		{name: "xarf4 too much evidence", file: "xarf4-phishing.json", lim: small(func(l *Limits) { l.MaxEvidence = 1 }), kind: tldguard.ETOOLARGE, field: "evidence", msg: "more than 1 evidence items"},
		{name: "xarf4 evidence without payload", raw: `{"xarf_version":"4.0.0","category":"content","type":"phishing","url":"https://a.example/","evidence":[{"content_type":"text/plain"}]}`, kind: tldguard.EINVALID, field: "evidence[0].payload", msg: "is required"},
		{name: "xarf4 links not strings", raw: `{"xarf_version":"4.0.0","category":"messaging","type":"spam","spam_indicators":{"suspicious_links":[true]}}`, kind: tldguard.EINVALID, field: "spam_indicators.suspicious_links[0]", msg: "must be a string, not true"},
		{name: "xarf4 spam without names", raw: `{"xarf_version":"4.0.0","category":"messaging","type":"spam","source_identifier":"192.0.2.1"}`, kind: tldguard.EINVALID, field: "spam_indicators.suspicious_links", msg: "names none"},
		{name: "xarf content type, tldguard document", file: "tldguard-minimal.json", ct: MediaTypeXARF, kind: tldguard.EINVALID, field: "", msg: "is not an XARF report"},

		// XARF v3
		{name: "xarf3 IP only", file: "xarf3-ip-only.json", kind: tldguard.EINVALID, field: "Report.SourceUrl", msg: "Report.SourceIp 192.0.2.55 is an IP address"},
		{name: "xarf3 no type", file: "xarf3-no-type.json", kind: tldguard.EINVALID, field: "Report.ReportType", msg: "is required"},
		{name: "xarf3 bad sample", file: "xarf3-bad-sample.json", kind: tldguard.EINVALID, field: "Report.Samples[0].Payload", msg: "character 5 (' ') is not in the standard alphabet"},
		{name: "xarf3 url an array", file: "xarf3-url-array.json", kind: tldguard.EINVALID, field: "Report.SourceUrl", msg: "must be a string, not an array"},
		{name: "xarf3 Report not an object", raw: `{"Version":"3","Report":"phishing"}`, kind: tldguard.EINVALID, field: "Report", msg: "must be an object, not a string"},
		{name: "xarf3 missing Report", raw: `{"Version":"3","ReporterInfo":{}}`, ct: MediaTypeXARF, kind: tldguard.EINVALID, field: "", msg: "is not an XARF report"},
		{name: "xarf3 Base64Encoded a string", raw: `{"Version":"3","Report":{"ReportClass":"Content","ReportType":"Phishing","SourceUrl":"https://a.example/","Samples":[{"ContentType":"text/plain","Base64Encoded":"true","Payload":"x"}]}}`, kind: tldguard.EINVALID, field: "Report.Samples[0].Base64Encoded", msg: "must be true or false"},
		{name: "xarf3 oversized raw sample", raw: `{"Version":"3","Report":{"ReportClass":"Content","ReportType":"Phishing","SourceUrl":"https://a.example/","Samples":[{"ContentType":"text/plain","Payload":"0123456789"}]}}`, lim: small(func(l *Limits) { l.MaxEvidenceBytes = 9 }), kind: tldguard.ETOOLARGE, field: "Report.Samples[0].Payload", msg: "holds 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			if tt.file != "" {
				raw = readTestdata(t, tt.file)
			}
			ct := tt.ct
			if ct == "" {
				ct = MediaTypeJSON
			}
			got, err := Decode(raw, ct, tt.lim)
			if err == nil {
				t.Fatalf("Decode succeeded, want a %s error on %q:\n%s", tt.kind, tt.field, dump(got))
			}
			var e *tldguard.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *tldguard.Error", err, err)
			}
			if e.Kind != tt.kind || e.Field != tt.field || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("error = kind %q field %q message %q\nwant kind %q field %q message containing %q", e.Kind, e.Field, e.Message, tt.kind, tt.field, tt.msg)
			}
		})
	}
}

// TestDefaultEvidenceLimits checks the default caps at their edges, with
// documents of realistic size.
func TestDefaultEvidenceLimits(t *testing.T) {
	doc := func(sizes ...int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"threat_type":"malware","names":["a.example"],"evidence":[`)
		for i, n := range sizes {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"content_base64":"%s"}`, base64.StdEncoding.EncodeToString(make([]byte, n)))
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	const mib = 1 << 20
	if in, err := Decode(doc(5*mib, 5*mib, 5*mib), MediaTypeJSON, Limits{}); err != nil {
		t.Errorf("three items of 5 MiB: %v", err)
	} else if len(in.Evidence) != 3 || len(in.Evidence[2].Content) != 5*mib {
		t.Errorf("three items of 5 MiB: got %d items", len(in.Evidence))
	}
	_, err := Decode(doc(5*mib+1), MediaTypeJSON, Limits{})
	if tldguard.ErrorKind(err) != tldguard.ETOOLARGE || tldguard.ErrorField(err) != "evidence[0].content_base64" {
		t.Errorf("an item of 5 MiB + 1 byte: %v", err)
	}
	_, err = Decode(doc(5*mib, 5*mib, 5*mib, 1), MediaTypeJSON, Limits{})
	if tldguard.ErrorKind(err) != tldguard.ETOOLARGE || tldguard.ErrorField(err) != "evidence[3].content_base64" {
		t.Errorf("15 MiB + 1 byte in all: %v", err)
	}
}

func TestDecodeDefaultsNames(t *testing.T) {
	names := make([]string, 1001)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.example", i)
	}
	raw, _ := json.Marshal(map[string]any{"threat_type": "botnet", "names": names[:1000]})
	if in, err := Decode(raw, MediaTypeJSON, Limits{}); err != nil || len(in.Names) != 1000 {
		t.Errorf("1,000 names: %v", err)
	}
	raw, _ = json.Marshal(map[string]any{"threat_type": "botnet", "names": names})
	if _, err := Decode(raw, MediaTypeJSON, Limits{}); tldguard.ErrorKind(err) != tldguard.ETOOLARGE || tldguard.ErrorField(err) != "names" {
		t.Errorf("1,001 names: %v", err)
	}
}

func TestThreatWords(t *testing.T) {
	tests := []struct {
		in       string
		threat   tldguard.ThreatType
		category string
	}{
		{"phishing", tldguard.ThreatPhishing, ""},
		{"Malware", tldguard.ThreatMalware, ""},
		{" botnet ", tldguard.ThreatBotnet, ""},
		{"pharming", tldguard.ThreatPharming, ""},
		{"SPAM", tldguard.ThreatSpam, ""},
		{"out_of_scope", tldguard.ThreatOutOfScope, ""},
		{"copyright", tldguard.ThreatOutOfScope, "copyright"},
		{"content", tldguard.ThreatOutOfScope, "content"},
		{"intellectual property", tldguard.ThreatOutOfScope, "intellectual property"},
	}
	for _, tt := range tests {
		threat, category, err := threatWord("threat_type", tt.in)
		if err != nil || threat != tt.threat || category != tt.category {
			t.Errorf("threatWord(%q) = %q, %q, %v; want %q, %q", tt.in, threat, category, err, tt.threat, tt.category)
		}
	}
}

func TestXARFThreat(t *testing.T) {
	tests := []struct {
		category, typ, threatType string
		threat                    tldguard.ThreatType
		outCategory               string
	}{
		// XARF v4 (xarf-spec schemas/v4/xarf-v4-master.json)
		{"content", "phishing", "", tldguard.ThreatPhishing, ""},
		{"content", "malware", "", tldguard.ThreatMalware, ""},
		{"infrastructure", "botnet", "", tldguard.ThreatBotnet, ""},
		{"messaging", "spam", "", tldguard.ThreatSpam, ""},
		{"messaging", "bulk_messaging", "", tldguard.ThreatOutOfScope, "messaging/bulk_messaging"},
		{"content", "fraud", "", tldguard.ThreatOutOfScope, "content/fraud"},
		{"content", "csam", "", tldguard.ThreatOutOfScope, "content/csam"},
		{"content", "suspicious_registration", "", tldguard.ThreatOutOfScope, "content/suspicious_registration"},
		{"infrastructure", "compromised_server", "", tldguard.ThreatOutOfScope, "infrastructure/compromised_server"},
		{"connection", "ddos", "", tldguard.ThreatOutOfScope, "connection/ddos"},
		{"copyright", "p2p", "", tldguard.ThreatOutOfScope, "copyright/p2p"},
		{"reputation", "blocklist", "phishing", tldguard.ThreatPhishing, ""},
		{"reputation", "threat_intelligence", "Command-and-Control", tldguard.ThreatBotnet, ""},
		{"reputation", "blocklist", "scanner", tldguard.ThreatOutOfScope, "reputation/blocklist"},
		// XARF v3 (abusix/xarf schemas/3)
		{"Content", "Phishing", "", tldguard.ThreatPhishing, ""},
		{"Content", "Malware", "", tldguard.ThreatMalware, ""},
		{"Activity", "Malware", "", tldguard.ThreatMalware, ""}, // RPZ-Rewrite
		{"Content", "Botnet", "", tldguard.ThreatBotnet, ""},
		{"Activity", "Spam", "", tldguard.ThreatSpam, ""},
		{"Content", "Copyright", "", tldguard.ThreatOutOfScope, "Content/Copyright"},
		{"Content", "ChildAbuse", "", tldguard.ThreatOutOfScope, "Content/ChildAbuse"},
		{"Activity", "DOS", "", tldguard.ThreatOutOfScope, "Activity/DOS"},
		{"Vulnerability", "OpenService", "", tldguard.ThreatOutOfScope, "Vulnerability/OpenService"},
	}
	for _, tt := range tests {
		threat, category := xarfThreat(tt.category, tt.typ, tt.threatType)
		if threat != tt.threat || category != tt.outCategory {
			t.Errorf("xarfThreat(%q, %q, %q) = %q, %q; want %q, %q", tt.category, tt.typ, tt.threatType, threat, category, tt.threat, tt.outCategory)
		}
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		doc  string
		xarf bool
	}{
		{`{"xarf_version":"4.0.0"}`, true},
		{`{"Version":"3","Report":{}}`, true},
		{`{"Report":{}, "Version" : 2}`, true},
		{`{"ReporterInfo":{},"Report":{}}`, true}, // XARF v3 alpha
		{`{"Report":{}}`, false},
		{`{"Versio\u006e":"3","Report":{}}`, true},
		{`{"threat_type":"phishing","names":["Version","Report"]}`, false},
		{`{"description":"\"Version\": \"Report\":","names":[]}`, false},
		{`{"evidence":[{"Version":"3","Report":{}}]}`, false},
		{`{"a":{"xarf_version":"4"}}`, false},
	}
	for _, tt := range tests {
		if got := sniff([]byte(tt.doc)).isXARF(); got != tt.xarf {
			t.Errorf("sniff(%s) XARF = %v, want %v", tt.doc, got, tt.xarf)
		}
	}
}

func TestBaseName(t *testing.T) {
	tests := map[string]string{
		"shot.png":                "shot.png",
		"/tmp/x/shot.png":         "shot.png",
		`C:\Users\me\shot.png`:    "shot.png",
		"../../etc/passwd":        "passwd",
		"dir/":                    "",
		"..":                      "",
		" report .pdf ":           "report .pdf",
		"inv\u202eexe.pdf":        "invexe.pdf", // right-to-left override
		"a\x00b\nc.txt":           "abc.txt",
		"évidence-✓.png":          "évidence-✓.png",
		"mixed/sep\\ara/tors.eml": "tors.eml",
		"":                        "",
	}
	for in, want := range tests {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitsZeroMeansDefault(t *testing.T) {
	if got := (Limits{}).withDefaults(); got != DefaultLimits() {
		t.Errorf("Limits{}.withDefaults() = %+v", got)
	}
	l := Limits{MaxNames: 3, MaxTextLen: -1}.withDefaults()
	if l.MaxNames != 3 || l.MaxTextLen != 4096 {
		t.Errorf("partial limits = %+v", l)
	}
}

func TestEntryPoints(t *testing.T) {
	// DecodeJSON ignores the XARF look of a document; DecodeXARF insists on it.
	raw := readTestdata(t, "xarf3-phishing.json")
	if _, err := DecodeJSON(raw, Limits{}); tldguard.ErrorField(err) != "Version" {
		t.Errorf("DecodeJSON(XARF) = %v, want an unknown-field error on Version", err)
	}
	if in, err := DecodeXARF(raw, Limits{}); err != nil || in.Format != FormatXARF {
		t.Errorf("DecodeXARF = %v", err)
	}
	if _, err := DecodeXARF(readTestdata(t, "tldguard-minimal.json"), Limits{}); tldguard.ErrorKind(err) != tldguard.EINVALID {
		t.Errorf("DecodeXARF(tldguard JSON) = %v", err)
	}
	// A leading BOM is tolerated.
	in, err := Decode(append([]byte("\xef\xbb\xbf"), readTestdata(t, "tldguard-minimal.json")...), "", Limits{})
	if err != nil || in.Names[0] != "dl.cracked-apps.example" {
		t.Errorf("Decode with BOM = %v", err)
	}
}

// invariants checks what every successful Decode must return.
func invariants(in *tldguard.ReportInput, lim Limits) error {
	lim = lim.withDefaults()
	switch {
	case in == nil:
		return errors.New("nil ReportInput without an error")
	case in.Format != FormatTldguard && in.Format != FormatXARF:
		return fmt.Errorf("Format %q", in.Format)
	case !in.ThreatType.Valid():
		return fmt.Errorf("ThreatType %q is not valid", in.ThreatType)
	case in.ThreatType != tldguard.ThreatOutOfScope && in.Category != "":
		return fmt.Errorf("Category %q on in-scope type %q", in.Category, in.ThreatType)
	case len(in.Names) == 0:
		return errors.New("no names")
	case len(in.Names) > lim.MaxNames:
		return fmt.Errorf("%d names, limit %d", len(in.Names), lim.MaxNames)
	case in.NamesField == "":
		return errors.New("no NamesField")
	case utf8.RuneCountInString(in.Description) > lim.MaxTextLen:
		return fmt.Errorf("description of %d characters", utf8.RuneCountInString(in.Description))
	case len(in.Evidence) > lim.MaxEvidence:
		return fmt.Errorf("%d evidence items, limit %d", len(in.Evidence), lim.MaxEvidence)
	}
	for i, n := range in.Names {
		if strings.TrimSpace(n) == "" || utf8.RuneCountInString(n) > lim.MaxNameLen {
			return fmt.Errorf("names[%d] = %q", i, n)
		}
	}
	var total int64
	for i, e := range in.Evidence {
		total += int64(len(e.Content))
		switch {
		case len(e.Content) == 0 && e.URL == "":
			return fmt.Errorf("evidence[%d] has neither content nor URL", i)
		case int64(len(e.Content)) > lim.MaxEvidenceBytes:
			return fmt.Errorf("evidence[%d] holds %d bytes", i, len(e.Content))
		case e.MediaType == "":
			return fmt.Errorf("evidence[%d] has no media type", i)
		case strings.ContainsAny(e.Filename, `/\`) || e.Filename == "." || e.Filename == "..":
			return fmt.Errorf("evidence[%d] filename %q", i, e.Filename)
		case utf8.RuneCountInString(e.URL) > lim.MaxNameLen:
			return fmt.Errorf("evidence[%d] URL too long", i)
		}
	}
	if total > lim.MaxTotalEvidenceBytes {
		return fmt.Errorf("%d bytes of evidence in all", total)
	}
	if q := in.Request; q != nil {
		if !q.Urgency.Valid() || (q.Urgency != "" && strings.TrimSpace(q.UrgencyReason) == "") {
			return fmt.Errorf("request urgency %q with reason %q", q.Urgency, q.UrgencyReason)
		}
		if q.RequestedAction != "" && !strings.Contains(" "+strings.Join(requestedActions, " ")+" ", " "+q.RequestedAction+" ") {
			return fmt.Errorf("requested action %q", q.RequestedAction)
		}
	}
	return nil
}

func BenchmarkDecode(b *testing.B) {
	for _, file := range []string{"tldguard-minimal.json", "tldguard-phishing.json", "xarf4-phishing.json", "xarf3-phishing.json"} {
		raw := readTestdata(b, file)
		b.Run(strings.TrimSuffix(file, ".json"), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(raw, MediaTypeJSON, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
