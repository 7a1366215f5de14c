package stats_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/stats"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)", name)
	}
}

// octoberReport is October's report of the fixed data set, with a fixed
// generation time so that its renderings are stable.
func octoberReport(t *testing.T, store tldguard.Store) *stats.Report {
	w := newWorld(t, store)
	buildWorld(w)
	r := report(t, w, "2026-10", "")
	r.GeneratedAt = time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC)
	return r
}

// TestFormats renders October's report in every format against golden
// files, the same files for both engines (so both compute the same
// report), and checks what each format promises.
func TestFormats(t *testing.T) {
	testdb.Each(t, testFormats)
}

func testFormats(t *testing.T, store tldguard.Store) {
	r := octoberReport(t, store)

	js, err := stats.EncodeJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "october.json", js)

	var sum bytes.Buffer
	if err := stats.WriteCSV(&sum, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "october.csv", sum.Bytes())
	rows, err := csv.NewReader(bytes.NewReader(sum.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("the summary is not CSV: %v", err)
	}
	find := func(section, figure, key string) string {
		for _, row := range rows {
			if row[0] == section && row[1] == figure && row[2] == key {
				return row[3]
			}
		}
		return "<missing>"
	}
	for _, c := range [][4]string{
		{"identified", "total", "", "7"},
		{"identified", "by_source", "feed", "1"},
		{"actions", "by_type", "no_action", "6"},
		{"actions", "by_type", "hold", "0"},
		{"responses", "median_seconds", "", "97200"},
		{"registrar", "identified", "9002", "4"},
		{"abuse_rate", "per_10000", "", "2000"},
	} {
		if got := find(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("CSV %s,%s,%s = %s, want %s", c[0], c[1], c[2], got, c[3])
		}
	}

	var detail bytes.Buffer
	if err := stats.WriteDetailCSV(&detail, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "october-detail.csv", detail.Bytes())
	drows, err := csv.NewReader(bytes.NewReader(detail.Bytes())).ReadAll()
	if err != nil || len(drows) != 1+len(r.Detail) || len(drows[0]) != len(stats.DetailColumns) {
		t.Errorf("detail CSV: %d rows (%v), want a header and %d", len(drows), err, len(r.Detail))
	}

	var page bytes.Buffer
	if err := stats.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "october.html", page.Bytes())
	html := page.String()
	for _, want := range []string{"<svg", "Threats identified per week", "Time to respond", "Actions taken by type", "mal1.example", "Referrals to registrars"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "style=", "<img", "<link", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), banned) {
			t.Errorf("the page holds %q", banned)
		}
	}
	// The inline stylesheet is the one the policy's hash allows.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no stylesheet")
	}
	h := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"; !strings.Contains(stats.ContentSecurityPolicy, want) {
		t.Errorf("the policy %q does not allow the stylesheet (%s)", stats.ContentSecurityPolicy, want)
	}
}

// TestCSVFormulaGuard: free text that a spreadsheet would run as a formula
// is prefixed.
func TestCSVFormulaGuard(t *testing.T) {
	r := &stats.Report{Detail: []stats.Detail{{Case: "TG-0000001", Domain: "x.example", RegistrarName: "=HYPERLINK(\"x\")",
		Outcome: "+cmd", Counts: []string{}}}}
	var b bytes.Buffer
	if err := stats.WriteDetailCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(b.String(), "'+cmd") {
		t.Errorf("formulas are not defused: %s", b.String())
	}
}
