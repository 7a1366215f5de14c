package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var customSpec = Spec{Name: "cert", Format: FormatCSV, CSV: CSVConfig{
	Column:       "Domain",
	ThreatColumn: "Category",
	ThreatMap: map[string]tldguard.ThreatType{
		"Phishing": tldguard.ThreatPhishing, "C2": tldguard.ThreatBotnet, "Malware": tldguard.ThreatMalware,
	},
	Delimiter:   ';',
	Comment:     "#",
	IDColumn:    "Case",
	AddedColumn: "First Seen",
}}

// hostLine is an entry reduced to what most checks need.
type hostLine struct {
	Host   string
	Threat tldguard.ThreatType
	Line   int
}

func TestReaders(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		spec     Spec
		want     []hostLine
		records  int
		bad      []int // bad line numbers
		ip       int
		skipped  map[string]int
		drift    bool
		empty    bool
		errField string
		errHas   []string
	}{
		{
			name: "urlhaus", file: "urlhaus.csv", spec: Spec{Format: FormatURLhaus},
			want: []hostLine{
				{"malware-drop.example", tldguard.ThreatMalware, 10},
				{"CDN.Files-Share.EXAMPLE", tldguard.ThreatMalware, 12},
				{"bücher-download.example", tldguard.ThreatMalware, 13},
				{"xn--bcher-download-gsb.example", tldguard.ThreatMalware, 14},
				{"wp.compromised-blog.test", tldguard.ThreatMalware, 17},
				{"a.b.c.deep-sub.example", tldguard.ThreatMalware, 20},
			},
			records: 11, bad: []int{15, 18, 19}, ip: 2,
		},
		{
			name: "urlhaus crlf", file: "urlhaus_crlf.csv", spec: Spec{Format: FormatURLhaus},
			want:    []hostLine{{"crlf.example", tldguard.ThreatMalware, 2}},
			records: 1,
		},
		{
			name: "urlhaus drifted header", file: "urlhaus_drift.csv", spec: Spec{Format: FormatURLhaus},
			drift: true, errField: "line 5", errHas: []string{`required column(s) "url" missing`, `"link"`},
		},
		{
			name: "urlhaus no header", file: "urlhaus_noheader.csv", spec: Spec{Format: FormatURLhaus},
			drift: true, errField: "line 4", errHas: []string{"not found before the first data line"},
		},
		{
			name: "urlhaus header only", file: "urlhaus_empty.csv", spec: Spec{Format: FormatURLhaus},
			drift: true, empty: true, errHas: []string{"no records"},
		},
		{
			name: "urlhaus mostly junk", file: "urlhaus_junk.csv", spec: Spec{Format: FormatURLhaus},
			want:    []hostLine{{"ok-one.example", tldguard.ThreatMalware, 2}, {"ok-two.example", tldguard.ThreatMalware, 33}},
			records: 32, bad: []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
			drift: true, errField: "line 3", errHas: []string{"30 bad records of 32", "bound 5.0%", "line 3: 1 fields, the header has 9"},
		},
		{
			name: "empty file", file: "empty.txt", spec: Spec{Format: FormatURLhaus},
			drift: true, empty: true,
		},
		{
			name: "phishtank csv", file: "phishtank.csv", spec: Spec{Format: FormatPhishTankCSV},
			want: []hostLine{
				{"secure-login.paypa1-verify.example", tldguard.ThreatPhishing, 2},
				{"bank.example.test", tldguard.ThreatPhishing, 3},
				{"MAIL.Example-Webmail.TEST", tldguard.ThreatPhishing, 5},
				{"пример-банк.example", tldguard.ThreatPhishing, 6},
				{"sites.example.com", tldguard.ThreatPhishing, 8},
			},
			records: 8, bad: []int{9}, ip: 1, skipped: map[string]int{"unverified": 1},
		},
		{
			name: "phishtank csv drifted", file: "phishtank_drift.csv", spec: Spec{Format: FormatPhishTankCSV},
			drift: true, errField: "line 1", errHas: []string{`"url" missing`, `"phish_url"`},
		},
		{
			name: "phishtank json", file: "phishtank.json", spec: Spec{Format: FormatPhishTankJSON},
			want: []hostLine{
				{"secure-login.paypa1-verify.example", tldguard.ThreatPhishing, 2},
				{"MAIL.Example-Webmail.TEST", tldguard.ThreatPhishing, 23},
				{"пример-банк.example", tldguard.ThreatPhishing, 24},
				{"login.microsoftonline.example.com.evil.test", tldguard.ThreatPhishing, 28},
			},
			records: 8, bad: []int{26, 27}, ip: 1, skipped: map[string]int{"unverified": 1},
		},
		{
			name: "phishtank json truncated", file: "phishtank_truncated.json", spec: Spec{Format: FormatPhishTankJSON},
			// Entries before the break are delivered; the error tells the
			// caller to discard them.
			want:  []hostLine{{"secure-login.paypa1-verify.example", tldguard.ThreatPhishing, 2}},
			drift: true, errHas: []string{"truncated"},
		},
		{
			name: "phishtank json not an array", file: "phishtank_notarray.json", spec: Spec{Format: FormatPhishTankJSON},
			drift: true, errField: "line 1", errHas: []string{"top level is an object, not an array"},
		},
		{
			name: "openphish", file: "openphish.txt", spec: Spec{Format: FormatOpenPhish},
			want: []hostLine{
				{"secure-update-account.example", tldguard.ThreatPhishing, 1},
				{"paypal.com.verify-session.test", tldguard.ThreatPhishing, 2},
				{"docs.example.com", tldguard.ThreatPhishing, 3},
				{"XN--80AK6AA92E.example", tldguard.ThreatPhishing, 5},
				{"аррӏе.example", tldguard.ThreatPhishing, 6},
				{"my-wallet-restore.example", tldguard.ThreatPhishing, 8},
			},
			records: 8, bad: []int{7}, ip: 1,
		},
		{
			name: "threatfox csv", file: "threatfox.csv", spec: Spec{Format: FormatThreatFoxCSV},
			want: []hostLine{
				{"mbond38982.workers.example", tldguard.ThreatBotnet, 10},
				{"wps-fake.example", tldguard.ThreatMalware, 12},
				{"C2-Panel.EXAMPLE", tldguard.ThreatBotnet, 14},
				{"xn--mnchen-3ya.example", tldguard.ThreatMalware, 16},
			},
			records: 8, bad: []int{17}, ip: 1,
			skipped: map[string]int{"ioc_type sha256_hash": 1, "threat_type cc_skimming": 1},
		},
		{
			name: "threatfox csv drifted", file: "threatfox_drift.csv", spec: Spec{Format: FormatThreatFoxCSV},
			drift: true, errHas: []string{`"ioc_value", "ioc_type" missing`},
		},
		{
			name: "threatfox json", file: "threatfox.json", spec: Spec{Format: FormatThreatFoxJSON},
			want: []hostLine{
				{"mbond38982.workers.example", tldguard.ThreatBotnet, 2},
				{"wps-fake.example", tldguard.ThreatMalware, 20},
				{"C2-Panel.EXAMPLE", tldguard.ThreatBotnet, 40},
				{"münchen-cdn.example", tldguard.ThreatMalware, 46},
			},
			records: 8, bad: []int{49, 52}, ip: 1, skipped: map[string]int{"ioc_type sha256_hash": 1},
		},
		{
			name: "list", file: "list.txt", spec: Spec{Format: FormatList, Threat: tldguard.ThreatPhishing},
			want: []hostLine{
				{"evil-login.example", tldguard.ThreatPhishing, 3},
				{"Secure-Update.Example.TEST", tldguard.ThreatPhishing, 4},
				{"tracker.adware.example", tldguard.ThreatPhishing, 5},
				{"phish.example.net", tldguard.ThreatPhishing, 6},
				{"bücher.example", tldguard.ThreatPhishing, 7},
				{"xn--bcher-kva.example", tldguard.ThreatPhishing, 8},
				{"sub.sub.domain.example.", tldguard.ThreatPhishing, 13},
			},
			records: 10, bad: []int{10, 11}, ip: 1,
		},
		{
			name: "list empty", file: "empty.txt", spec: Spec{Format: FormatList, Threat: tldguard.ThreatSpam},
			drift: true, empty: true,
		},
		{
			name: "custom csv", file: "custom.csv", spec: customSpec,
			want: []hostLine{
				{"abuse-domain.example", tldguard.ThreatPhishing, 3},
				{"c2.example", tldguard.ThreatBotnet, 4},
				{"MALWARE.Example", tldguard.ThreatMalware, 7},
				{"drop.example", tldguard.ThreatMalware, 8},
			},
			records: 7, bad: []int{5}, ip: 1, skipped: map[string]int{"unmapped threat value Adware": 1},
		},
		{
			name: "custom csv drifted", file: "custom_drift.csv", spec: customSpec,
			drift: true, errField: "line 1", errHas: []string{`feed "cert"`, `required column(s) "domain" missing`, `"hostname"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Entry
			st, err := tt.spec.ReadFile(filepath.Join("testdata", tt.file), func(e Entry) error {
				got = append(got, e)
				return nil
			})
			checkGolden(t, tt.name, got, st, err)

			var hl []hostLine
			for _, e := range got {
				hl = append(hl, hostLine{e.Host, e.Threat, e.Line})
			}
			if !slices.Equal(hl, tt.want) {
				t.Errorf("entries:\n got %v\nwant %v", hl, tt.want)
			}
			if st.Entries != len(got) {
				t.Errorf("Stats.Entries = %d, delivered %d", st.Entries, len(got))
			}
			if tt.records != 0 && st.Records != tt.records {
				t.Errorf("Stats.Records = %d, want %d", st.Records, tt.records)
			}
			if tt.bad != nil && !slices.Equal(st.BadLines(), tt.bad) {
				t.Errorf("bad lines = %v, want %v (%v)", st.BadLines(), tt.bad, st.BadRecords)
			}
			if tt.bad == nil && st.Bad != 0 && !tt.drift {
				t.Errorf("unexpected bad records %v", st.BadRecords)
			}
			if st.SkippedIP != tt.ip {
				t.Errorf("Stats.SkippedIP = %d, want %d", st.SkippedIP, tt.ip)
			}
			if tt.skipped != nil || len(st.Skipped) > 0 {
				if !mapsEqual(st.Skipped, tt.skipped) {
					t.Errorf("Stats.Skipped = %v, want %v", st.Skipped, tt.skipped)
				}
			}
			if !tt.drift {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDrift) {
				t.Fatalf("error = %v, want one wrapping ErrDrift", err)
			}
			if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
				t.Errorf("kind = %q, want %q", tldguard.ErrorKind(err), tldguard.EUNPROCESSABLE)
			}
			if errors.Is(err, ErrEmpty) != tt.empty {
				t.Errorf("errors.Is(err, ErrEmpty) = %v, want %v (%v)", !tt.empty, tt.empty, err)
			}
			if tt.errField != "" && tldguard.ErrorField(err) != tt.errField {
				t.Errorf("error field = %q, want %q", tldguard.ErrorField(err), tt.errField)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(tldguard.ErrorMessage(err), s) {
					t.Errorf("error message %q lacks %q", tldguard.ErrorMessage(err), s)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkGolden compares a read's full output with testdata/golden/NAME.json.
func checkGolden(t *testing.T, name string, got []Entry, st Stats, err error) {
	t.Helper()
	out := struct {
		Entries []Entry
		Stats   Stats
		Error   string `json:",omitempty"`
	}{got, st, ""}
	if err != nil {
		out.Error = err.Error()
	}
	b, jerr := json.MarshalIndent(out, "", "  ")
	if jerr != nil {
		t.Fatal(jerr)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", strings.ReplaceAll(name, " ", "_")+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("%v (run with -update to create it)", rerr)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, b)
	}
}

func TestEntryFields(t *testing.T) {
	read := func(spec Spec, file string) []Entry {
		t.Helper()
		var got []Entry
		if _, err := spec.ReadFile(filepath.Join("testdata", file), func(e Entry) error {
			got = append(got, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	u := read(Spec{Format: FormatURLhaus}, "urlhaus.csv")[0]
	if u.ID != "3301001" || u.Added != "2026-11-20 10:01:12" || u.Status != "online" ||
		!slices.Equal(u.Tags, []string{"exe", "Mozi"}) || u.Ref != "https://urlhaus.abuse.ch/url/3301001/" ||
		u.URL != "http://malware-drop.example/payload.exe" {
		t.Errorf("URLhaus entry = %+v", u)
	}
	p := read(Spec{Format: FormatPhishTankCSV}, "phishtank.csv")
	if p[0].Target != "PayPal" || p[0].ID != "9123401" || p[0].Status != "yes" ||
		p[0].Ref != "http://www.phishtank.com/phish_detail.php?phish_id=9123401" {
		t.Errorf("PhishTank entry = %+v", p[0])
	}
	if p[1].URL != "http://bank.example.test/login.php?a=1,b=2" {
		t.Errorf("quoted URL = %q", p[1].URL)
	}
	if p[4].Target != `Microsoft "Office" 365` {
		t.Errorf("doubled quotes: target = %q", p[4].Target)
	}
	pj := read(Spec{Format: FormatPhishTankJSON}, "phishtank.json")
	if pj[0].ID != "9123401" || pj[0].Target != "PayPal" {
		t.Errorf("PhishTank JSON entry = %+v", pj[0])
	}
	for _, f := range []struct {
		spec Spec
		file string
	}{{Spec{Format: FormatThreatFoxCSV}, "threatfox.csv"}, {Spec{Format: FormatThreatFoxJSON}, "threatfox.json"}} {
		tf := read(f.spec, f.file)
		if !tf[0].Compromised || tf[0].Confidence != 50 || tf[0].ID != "1891291" || tf[0].URL != "" || tf[0].Tags != nil {
			t.Errorf("%s: first entry = %+v", f.file, tf[0])
		}
		if tf[1].URL != "https://wps-fake.example/download/setup.exe" || tf[1].Family != "Gh0stRAT" ||
			tf[1].Ref != "https://bazaar.abuse.ch/sample/0a1b2c/" || tf[1].Compromised || tf[1].Confidence != 100 {
			t.Errorf("%s: URL entry = %+v", f.file, tf[1])
		}
	}
	c := read(customSpec, "custom.csv")
	if c[0].ID != "CERT-1" || c[0].Added != "2026-11-01" || c[0].URL != "" || c[3].URL != "https://drop.example/a.exe" {
		t.Errorf("custom entries = %+v", c)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	_, err := Spec{Format: FormatURLhaus}.ReadFile("testdata/urlhaus.csv", func(Entry) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("err = %v after %d entries, want the callback's error after 1", err, n)
	}
	var st Stats
	n = 0
	f, _ := os.Open("testdata/threatfox.json")
	defer f.Close()
	for e, err := range (Spec{Format: FormatThreatFoxJSON}).All(f, &st) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			_ = e
			break
		}
	}
	if n != 2 {
		t.Fatalf("iterator gave %d entries", n)
	}
}

func TestAllYieldsDriftError(t *testing.T) {
	var st Stats
	var last error
	for _, err := range (Spec{Format: FormatList, Threat: tldguard.ThreatSpam}).All(strings.NewReader(""), &st) {
		last = err
	}
	if !errors.Is(last, ErrEmpty) {
		t.Fatalf("last error = %v, want ErrEmpty", last)
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	for range 100 {
		b.WriteString("good.example\n")
	}
	for range 8 {
		b.WriteString("not a name\n")
	}
	in := b.String()
	// 8 of 108 (7.4%) is over the default 5% but within TolerateBad 10.
	if _, err := ReadList(strings.NewReader(in), tldguard.ThreatSpam, Limits{}, func(Entry) error { return nil }); err != nil {
		t.Errorf("default limits: %v", err)
	}
	if _, err := ReadList(strings.NewReader(in), tldguard.ThreatSpam, Limits{TolerateBad: 1}, func(Entry) error { return nil }); !errors.Is(err, ErrDrift) {
		t.Errorf("TolerateBad 1: err = %v, want drift", err)
	}
	if _, err := ReadList(strings.NewReader(in), tldguard.ThreatSpam, Limits{TolerateBad: 1, MaxBadRatio: 0.10}, func(Entry) error { return nil }); err != nil {
		t.Errorf("ratio 10%%: %v", err)
	}
	st, err := ReadList(strings.NewReader(""), tldguard.ThreatSpam, Limits{AllowEmpty: true}, func(Entry) error { return nil })
	if err != nil || st.Records != 0 {
		t.Errorf("AllowEmpty: %v %+v", err, st)
	}
	long := "ok.example\n" + strings.Repeat("a", 1000) + ".example\nok2.example\n"
	st, err = ReadList(strings.NewReader(long), tldguard.ThreatSpam, Limits{MaxLineBytes: 300}, func(Entry) error { return nil })
	if err != nil || st.Entries != 2 || st.Bad != 1 || st.BadRecords[0].Line != 2 || st.Lines != 3 {
		t.Errorf("long line: %v %+v", err, st)
	}
	st, _ = ReadList(strings.NewReader(strings.Repeat("x y\n", 50)), tldguard.ThreatSpam, Limits{BadSamples: 3}, func(Entry) error { return nil })
	if st.Bad != 50 || len(st.BadRecords) != 3 {
		t.Errorf("BadSamples: %d bad, %d samples", st.Bad, len(st.BadRecords))
	}
}

func TestSpecValidate(t *testing.T) {
	bad := []Spec{
		{Format: "rss"},
		{Format: FormatList},
		{Format: FormatList, Threat: "ransomware"},
		{Format: FormatCSV},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url"}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", Threat: "nope"}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", ThreatColumn: "kind"}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", Threat: tldguard.ThreatSpam, ThreatMap: map[string]tldguard.ThreatType{"a": tldguard.ThreatSpam}}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", ThreatColumn: "kind", ThreatMap: map[string]tldguard.ThreatType{"a": "bad"}}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", Threat: tldguard.ThreatSpam, Delimiter: '"'}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", Threat: tldguard.ThreatSpam, Delimiter: 'é'}},
		{Format: FormatCSV, CSV: CSVConfig{Column: "url", Threat: tldguard.ThreatSpam, Delimiter: ';', Comment: ";"}},
		{Format: FormatURLhaus, Limits: Limits{MaxBadRatio: 2}},
	}
	for _, s := range bad {
		err := s.Validate()
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) == "" {
			t.Errorf("%+v: err = %v, want EINVALID naming a field", s, err)
		}
		if _, rerr := s.Read(strings.NewReader("x\n"), func(Entry) error { return nil }); tldguard.ErrorKind(rerr) != tldguard.EINVALID {
			t.Errorf("%+v: Read err = %v", s, rerr)
		}
	}
	if err := customSpec.Validate(); err != nil {
		t.Errorf("custom spec: %v", err)
	}
}

func TestCustomCSVFixedThreatAndExtra(t *testing.T) {
	in := "\ufeffurl,brand,reporter\r\nhttps://a.example/x,ACME,cert\r\n\"https://b.example/y\",\"Big, Corp\",\"me\"\r\n"
	var got []Entry
	st, err := ReadCSV(strings.NewReader(in), CSVConfig{Column: "URL", Threat: tldguard.ThreatPhishing, TargetColumn: "Brand", Extra: []string{"reporter"}},
		Limits{}, func(e Entry) error { got = append(got, e); return nil })
	if err != nil || len(got) != 2 {
		t.Fatalf("err %v, %d entries, %+v", err, len(got), st)
	}
	if got[1].Target != "Big, Corp" || got[1].Extra["reporter"] != "me" || got[0].Host != "a.example" || got[1].Threat != tldguard.ThreatPhishing {
		t.Errorf("entries = %+v", got)
	}
	// A tab-separated file whose threat column maps some values and falls
	// back to the fixed threat for the rest.
	in = "name\tkind\nx.example\tcnc\ny.example\twhatever\n"
	got = nil
	_, err = ReadCSV(strings.NewReader(in), CSVConfig{Column: "name", ThreatColumn: "kind", Delimiter: '\t',
		ThreatMap: map[string]tldguard.ThreatType{"CNC": tldguard.ThreatBotnet}, Threat: tldguard.ThreatSpam},
		Limits{}, func(e Entry) error { got = append(got, e); return nil })
	if err != nil || len(got) != 2 || got[0].Threat != tldguard.ThreatBotnet || got[1].Threat != tldguard.ThreatSpam {
		t.Errorf("err %v, entries %+v", err, got)
	}
}

func TestSplitFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`a,b,c`, []string{"a", "b", "c"}, nil},
		{`"a","b,c",""`, []string{"a", "b,c", ""}, nil},
		{`"a", "b" , "c"`, []string{"a", "b", "c"}, nil},
		{`a,,`, []string{"a", "", ""}, nil},
		{`"say ""hi"""`, []string{`say "hi"`}, nil},
		{`x"y,z`, []string{`x"y`, "z"}, nil},
		{``, []string{""}, nil},
		{`"open,b`, nil, errUnterminated},
		{`"a"x,b`, nil, errAfterQuote},
	}
	for _, tt := range tests {
		spans, err := splitFields([]byte(tt.in), ',', nil)
		if err != tt.err {
			t.Errorf("%q: err %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		r := row{line: tt.in, spans: spans}
		var got []string
		for i := range spans {
			got = append(got, r.get(i))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitHost(t *testing.T) {
	tests := []struct {
		in    string
		host  string
		kind  hostKind
		isURL bool
	}{
		{"http://Example.COM/x", "Example.COM", hostName, true},
		{"https://user:pw@a.example:8443/p?q#f", "a.example", hostName, true},
		{"example.com", "example.com", hostName, false},
		{"example.com.", "example.com.", hostName, false},
		{"example.com:8080", "example.com", hostName, false},
		{"example.com/path", "example.com", hostName, true},
		{"//cdn.example/x", "cdn.example", hostName, true},
		{"http://bücher.example/", "bücher.example", hostName, true},
		{"http://xn--bcher-kva.example/", "xn--bcher-kva.example", hostName, true},
		{"http://例え.テスト/", "例え.テスト", hostName, true},
		{"http://192.0.2.1:81/a", "192.0.2.1", hostIP, true},
		{"http://[2001:db8::1]:80/", "2001:db8::1", hostIP, true},
		{"2001:db8::2", "2001:db8::2", hostIP, false},
		{"hxxp://evil.example/", "evil.example", hostName, true},
		{"http://a.example\\@b.example/", "a.example", hostName, true},
		{"under_score.example", "under_score.example", hostName, false},
		{"http:///path", "", hostBad, true},
		{"://x.example", "", hostBad, false},
		{"1http://x.example", "", hostBad, false},
		{"http://a b.example/", "", hostBad, true},
		{"http://a.example:80x/", "", hostBad, true},
		{"http://[2001:db8::1/", "", hostBad, true},
		{"a,b.example", "", hostBad, false},
		{"bad\xff.example", "", hostBad, false},
		{"tab\t.example", "", hostBad, false},
	}
	for _, tt := range tests {
		h, k, u, reason := splitHost(tt.in)
		if h != tt.host || k != tt.kind || u != tt.isURL {
			t.Errorf("splitHost(%q) = %q, %v, %v (%s); want %q, %v, %v", tt.in, h, k, u, reason, tt.host, tt.kind, tt.isURL)
		}
		if k == hostBad && reason == "" {
			t.Errorf("splitHost(%q): no reason", tt.in)
		}
	}
}

func TestRepeatedHeaderIsNoEntry(t *testing.T) {
	in := "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n" +
		"1,http://a.example/,d,s,yes,v,yes,T\n" +
		"phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n" +
		"2,http://b.example/,d,s,yes,v,yes,T\n"
	var hosts []string
	st, err := ReadPhishTankCSV(strings.NewReader(in), Limits{}, func(e Entry) error { hosts = append(hosts, e.Host); return nil })
	if err != nil || !slices.Equal(hosts, []string{"a.example", "b.example"}) || st.Records != 2 || st.Bad != 0 {
		t.Fatalf("%v %v %+v", err, hosts, st)
	}
}
