package epp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const infoResponse = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <response>
    <result code="1000"><msg>Command completed successfully</msg></result>
    <resData>
      <domain:infData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
        <domain:name>EXAMPLE.com</domain:name>
        <domain:roid>EXAMPLE1-REP</domain:roid>
        <domain:status s="ok"/>
        <domain:registrant>jd1234</domain:registrant>
        <domain:contact type="admin">sh8013</domain:contact>
        <domain:ns>
          <domain:hostObj>ns1.example.com</domain:hostObj>
          <domain:hostObj>NS1.example.net.</domain:hostObj>
        </domain:ns>
        <domain:host>ns1.example.com</domain:host>
        <domain:clID>ClientX</domain:clID>
        <domain:crID>ClientY</domain:crID>
        <domain:crDate>1999-04-03T22:00:00.0Z</domain:crDate>
        <domain:upID>ClientX</domain:upID>
        <domain:upDate>1999-12-03T09:00:00.0Z</domain:upDate>
        <domain:exDate>2005-04-03T22:00:00.0Z</domain:exDate>
        <domain:authInfo><domain:pw>2fooBAR</domain:pw></domain:authInfo>
      </domain:infData>
    </resData>
    <trID><clTRID>ABC-12345</clTRID><svTRID>54322-XYZ</svTRID></trID>
  </response>
</epp>`

func TestParseMessage(t *testing.T) {
	g, r, err := parseMessage([]byte(infoResponse))
	if err != nil || g != nil || r == nil {
		t.Fatalf("%v %v %v", g, r, err)
	}
	d := r.Info
	if r.Code != 1000 || r.ClTRID != "ABC-12345" || r.SvTRID != "54322-XYZ" || d == nil ||
		d.Name != "example.com" || d.ClientID != "ClientX" || strings.Join(d.Statuses, ",") != "ok" ||
		strings.Join(d.NameServers, ",") != "ns1.example.com,ns1.example.net" || d.HostAttr ||
		!d.Created.Equal(time.Date(1999, 4, 3, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("parsed %+v %+v", r, d)
	}

	for _, tc := range []struct {
		name, doc string
		code      int
		msg       string
		bad       string // the error, when the document must be refused
	}{
		{"greeting", greetingDoc(), 0, "", ""},
		{"error with reason", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="2304"><msg lang="en">Object status prohibits operation</msg>
			<extValue><value><domain:name xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">a.example</domain:name></value><reason>serverUpdateProhibited</reason></extValue></result>
			<trID><svTRID>S1</svTRID></trID></response></epp>`, 2304, "Object status prohibits operation (serverUpdateProhibited)", ""},
		{"prefixed epp namespace", `<e:epp xmlns:e="urn:ietf:params:xml:ns:epp-1.0"><e:response><e:result code="1000"><e:msg>ok</e:msg></e:result><e:trID><e:svTRID>S</e:svTRID></e:trID></e:response></e:epp>`, 1000, "ok", ""},
		{"control characters in msg", "<epp xmlns=\"urn:ietf:params:xml:ns:epp-1.0\"><response><result code=\"2400\"><msg>line1\n\tline2&#x202e;&#x85;evil</msg></result></response></epp>", 2400, "line1 line2 evil", ""},
		{"wrong namespace", `<epp xmlns="urn:example:not-epp"><response><result code="1000"/></response></epp>`, 0, "", "expected element"},
		{"no namespace", `<epp><response><result code="1000"/></response></epp>`, 0, "", "expected element"},
		{"infData in the wrong namespace is not infData", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/><resData><infData><name>a.example</name></infData></resData></response></epp>`, 1000, "", ""},
		{"no result", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response></response></epp>`, 0, "", "without a result"},
		{"bad code", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="9999"/></response></epp>`, 0, "", "not an EPP result code"},
		{"both", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><greeting/><response><result code="1000"/></response></epp>`, 0, "", "both"},
		{"neither", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`, 0, "", "neither"},
		{"trailing element", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/></response></epp><epp/>`, 0, "", "after the root"},
		{"entity", `<!DOCTYPE epp [<!ENTITY x "boom">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"><msg>&x;</msg></result></response></epp>`, 0, "", "entity"},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"/>`, 0, "", "ISO-8859-1"},
		{"not utf-8", "<epp xmlns=\"urn:ietf:params:xml:ns:epp-1.0\"><response><result code=\"1000\"><msg>\xff</msg></result></response></epp>", 0, "", "not UTF-8"},
		{"bad status", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/><resData><d:infData xmlns:d="urn:ietf:params:xml:ns:domain-1.0"><d:name>a.example</d:name><d:status s="&lt;script&gt;"/></d:infData></resData></response></epp>`, 0, "", "not an EPP status"},
		{"bad name server", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/><resData><d:infData xmlns:d="urn:ietf:params:xml:ns:domain-1.0"><d:name>a.example</d:name><d:ns><d:hostObj>a b</d:hostObj></d:ns></d:infData></resData></response></epp>`, 0, "", "not a host name"},
		{"mixed ns", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/><resData><d:infData xmlns:d="urn:ietf:params:xml:ns:domain-1.0"><d:name>a.example</d:name><d:ns><d:hostObj>ns.a.example</d:hostObj><d:hostAttr><d:hostName>ns.b.example</d:hostName></d:hostAttr></d:ns></d:infData></resData></response></epp>`, 0, "", "mixes"},
		{"unclosed", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response>`, 0, "", "unexpected EOF"},
	} {
		g, r, err := parseMessage([]byte(tc.doc))
		switch {
		case tc.bad != "":
			var m *errMalformed
			if !errors.As(err, &m) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.bad)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.code == 0:
			if g == nil || len(g.ObjURIs) != 2 || g.ServerID != "Test EPP server" {
				t.Errorf("%s: greeting %+v", tc.name, g)
			}
		case r == nil || r.Code != tc.code || r.Msg != tc.msg:
			t.Errorf("%s: %+v, want %d %q", tc.name, r, tc.code, tc.msg)
		}
	}
}

func TestFrame(t *testing.T) {
	var buf bytes.Buffer
	if err := writeFrame(&buf, []byte("<epp/>"), 100); err != nil {
		t.Fatal(err)
	}
	if got := buf.Bytes(); !bytes.Equal(got[:4], []byte{0, 0, 0, 10}) || string(got[4:]) != "<epp/>" {
		t.Errorf("frame % x", got)
	}
	body, err := readFrame(&buf, 100)
	if err != nil || string(body) != "<epp/>" {
		t.Errorf("read %q %v", body, err)
	}
	var tl *errFrameTooLarge
	if err := writeFrame(io.Discard, make([]byte, 97), 100); !errors.As(err, &tl) {
		t.Errorf("write over the limit: %v", err)
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0xff, 0xff, 0xff, 0xff}, "exceeds the limit"},
		{[]byte{0, 0, 0, 3}, "fewer than its own"},
		{[]byte{0, 0, 0, 9, '<'}, "unexpected EOF"},
		{[]byte{0, 0}, "unexpected EOF"},
	} {
		_, err := readFrame(bytes.NewReader(tc.in), 100)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("% x: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzResponse feeds the parser what a hostile or broken registry could
// send. It must never panic, and whatever it
// accepts must be within the limits the rest of the adapter relies on.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		infoResponse,
		greetingDoc(),
		resultDoc(2303, "Object does not exist", "A-1", "S-1"),
		resultDocReason(2304, "Object status prohibits operation", "serverUpdateProhibited", "A-2", "S-2"),
		infoDoc(&testDomain{Name: "a.example", ClID: "r", Statuses: []string{"serverHold"}, NS: []string{"ns.a.example"}}, true, "A-3", "S-3"),
		`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/></response></epp>`,
		`<!DOCTYPE epp [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]><epp/>`,
		`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"/><resData><d:infData xmlns:d="urn:ietf:params:xml:ns:domain-1.0"><d:name>a.example</d:name></d:infData></resData></response></epp>`,
	} {
		f.Add([]byte(s))
	}
	f.Add(append([]byte{0, 0, 0, 10}, "<epp/>"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The input is both a document and, read as one, an RFC 5734
		// frame around whatever follows its first four bytes.
		checkParse(t, data)
		if body, err := readFrame(bytes.NewReader(data), 64<<10); err == nil {
			checkParse(t, body)
		}
	})
}

func checkParse(t *testing.T, data []byte) {
	t.Helper()
	g, r, err := parseMessage(data)
	if err != nil {
		if g != nil || r != nil {
			t.Fatal("a result with an error")
		}
		return
	}
	if (g == nil) == (r == nil) {
		t.Fatal("not exactly one of greeting and response")
	}
	if r == nil {
		return
	}
	if r.Code < 1000 || r.Code > 2999 || utf8.RuneCountInString(r.Msg) > maxMessage+1 || !utf8.ValidString(r.Msg) {
		t.Fatalf("response %+v", r)
	}
	if d := r.Info; d != nil {
		if !isHostName(d.Name) || len(d.Statuses) > maxStatuses || len(d.NameServers) > maxNameServers {
			t.Fatalf("info %+v", d)
		}
		for _, h := range d.NameServers {
			if !isHostName(h) {
				t.Fatalf("name server %q", h)
			}
		}
		for _, s := range d.Statuses {
			if !isStatus(s) {
				t.Fatalf("status %q", s)
			}
		}
	}
	_ = resultError("domain:info", "a.example", r).Error()
}
