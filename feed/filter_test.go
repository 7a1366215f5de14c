package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// TestPlainHost: plainHost answers only for the plain values it can read
// without allocating, and then exactly as splitHost does.
func TestPlainHost(t *testing.T) {
	tests := []struct {
		in   string
		host string // "" when plainHost must leave the value to splitHost
	}{
		{"http://Example.COM/x", "Example.COM"},
		{"https://a.example:8443/p?q#f", "a.example"},
		{"example.com", "example.com"},
		{"example.com.", "example.com."},
		{"example.com:8080", "example.com"},
		{"example.com:", "example.com"},
		{"example.com/path", "example.com"},
		{"//cdn.example/x", "cdn.example"},
		{"hxxp://evil.example/", "evil.example"},
		{"http://a.example\\@b.example/", "a.example"},
		{"under_score.example", "under_score.example"},
		{"http://x.example?q=a b", "x.example"},
		// left to splitHost
		{"https://user:pw@a.example/", ""},
		{"http://bücher.example/", ""},
		{"http://192.0.2.1:81/a", ""},
		{"http://[2001:db8::1]:80/", ""},
		{"2001:db8::2", ""},
		{"http:///path", ""},
		{"://x.example", ""},
		{"1http://x.example", ""},
		{"http://a b.example/", ""},
		{"http://a.example:80x/", ""},
		{"a,b.example", ""},
		{"a%2eexample", ""},
		{"Malware download from site.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h, ok := plainHost([]byte(tt.in))
		if string(h) != tt.host || ok != (tt.host != "") {
			t.Errorf("plainHost(%q) = %q, %v; want %q", tt.in, h, ok, tt.host)
		}
		if ok {
			if sh, kind, _, _ := splitHost(tt.in); sh != string(h) || kind != hostName {
				t.Errorf("plainHost(%q) = %q but splitHost gives %q, %v", tt.in, h, sh, kind)
			}
		}
	}
}

func FuzzPlainHost(f *testing.F) {
	for _, s := range []string{"http://a.example/x", "example.com:80", "//x.y", "https://u@h.example/", "1.2.3.4", "a_b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := plainHost([]byte(s))
		if !ok {
			return
		}
		if sh, kind, _, reason := splitHost(s); sh != string(h) || kind != hostName {
			t.Fatalf("plainHost(%q) = %q but splitHost gives %q, %v (%s)", s, h, sh, kind, reason)
		}
	})
}

// TestFilter: a filtered read delivers exactly the entries an unfiltered
// read delivers whose host the filter keeps, counts the rest as filtered,
// and still counts malformed records as bad, so drift is still seen.
func TestFilter(t *testing.T) {
	// Any rule will do: this one drops hosts starting with a, e or m.
	keepTest := func(h []byte) bool {
		c := h[0] | 0x20
		return c != 'a' && c != 'e' && c != 'm'
	}
	specs := map[string]Spec{
		"urlhaus.csv":   {Name: "u", Format: FormatURLhaus},
		"phishtank.csv": {Name: "p", Format: FormatPhishTankCSV},
		"openphish.txt": {Name: "o", Format: FormatOpenPhish},
		"list.txt":      {Name: "l", Format: FormatList, Threat: tldguard.ThreatBotnet},
		"custom.csv":    customSpec,
		"threatfox.csv": {Name: "t", Format: FormatThreatFoxCSV}, // ignores the filter
	}
	for file, spec := range specs {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		var all, kept []Entry
		stAll, errAll := spec.Read(bytes.NewReader(b), func(e Entry) error { all = append(all, e); return nil })
		fs := spec
		calls := 0
		fs.Filter = func(h []byte) bool { calls++; return keepTest(h) }
		stKept, errKept := fs.Read(bytes.NewReader(b), func(e Entry) error { kept = append(kept, e); return nil })
		if (errAll == nil) != (errKept == nil) {
			t.Errorf("%s: error %v unfiltered, %v filtered", file, errAll, errKept)
		}
		var want []Entry
		for _, e := range all {
			raw := e.URL
			if raw == "" || spec.Format == FormatURLhaus && raw == e.Host {
				raw = e.Host
			}
			if h, ok := plainHost([]byte(raw)); !ok || keepTest(h) || spec.Format == FormatThreatFoxCSV {
				want = append(want, e)
			}
		}
		if len(kept) != len(want) || !slices.EqualFunc(kept, want, func(a, b Entry) bool { return a.Line == b.Line && a.URL == b.URL && a.Host == b.Host }) {
			t.Errorf("%s: filtered read gave %d entries, want %d", file, len(kept), len(want))
		}
		if stKept.Bad != stAll.Bad || stKept.Records != stAll.Records || stKept.Entries+stKept.Filtered < len(want) {
			t.Errorf("%s: stats %+v filtered, %+v unfiltered", file, stKept, stAll)
		}
		if spec.Format == FormatThreatFoxCSV {
			if calls != 0 || stKept.Filtered != 0 {
				t.Errorf("%s: the ThreatFox reader used the filter", file)
			}
		} else if stKept.Filtered == 0 || calls == 0 {
			t.Errorf("%s: nothing filtered (%d calls); the sample should hold hosts starting with a, e or m", file, calls)
		}
	}

	// A feed whose URL column now holds prose is drift, filter or not.
	prose := "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
		strings.Repeat("\"1\",\"2026-11-20\",\"Malware download from site.com\",\"online\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n", 40)
	spec := Spec{Format: FormatURLhaus, Filter: func([]byte) bool { return false }}
	if _, err := spec.Read(strings.NewReader(prose), func(Entry) error { return nil }); err == nil || !strings.Contains(err.Error(), "bad records") {
		t.Errorf("prose in the URL column with a filter: %v, want drift for bad records", err)
	}
	// A feed entirely outside the filter is a good feed with nothing kept.
	other := "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
		"\"1\",\"2026-11-20\",\"http://a.com/x\",\"online\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n"
	st, err := spec.Read(strings.NewReader(other), func(Entry) error { t.Error("an entry passed a filter that keeps nothing"); return nil })
	if err != nil || st.Filtered != 1 {
		t.Errorf("a feed outside the filter: %+v, %v", st, err)
	}
}
