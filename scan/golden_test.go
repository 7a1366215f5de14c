package scan

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testFeeds are the feeds in testdata, one per format.
func testFeeds(dir string) []Feed {
	return []Feed{
		{Spec: feed.Spec{Name: "urlhaus", Format: feed.FormatURLhaus}, Source: filepath.Join(dir, "urlhaus.csv")},
		{Spec: feed.Spec{Name: "openphish", Format: feed.FormatOpenPhish}, Source: filepath.Join(dir, "openphish.txt")},
		{Spec: feed.Spec{Name: "c2-list", Format: feed.FormatList, Threat: tldguard.ThreatBotnet}, Source: filepath.Join(dir, "list.txt")},
		{Spec: feed.Spec{Name: "threatfox", Format: feed.FormatThreatFoxJSON}, Format: "threatfox-json", Source: filepath.Join(dir, "threatfox.json")},
		{Spec: feed.Spec{Name: "phishtank", Format: feed.FormatPhishTankJSON}, Format: "phishtank-json", Source: filepath.Join(dir, "phishtank.json")},
	}
}

// gzipTo writes a gzip copy of src to dst.
func gzipTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goldenMatch is a Match as the golden file shows it.
type goldenMatch struct {
	Domain      string              `json:"domain"`
	TLD         string              `json:"tld"`
	Feed        string              `json:"feed"`
	Format      string              `json:"format"`
	Threat      tldguard.ThreatType `json:"threat"`
	URLs        []string            `json:"urls"`
	Count       int                 `json:"count"`
	Compromised bool                `json:"compromised,omitempty"`
	Held        bool                `json:"held,omitempty"`
	Lines       []int               `json:"lines"`
}

type goldenResult struct {
	TLDs         []string            `json:"tlds"`
	NamesChecked int64               `json:"names_checked"`
	Zones        []tldguard.ZoneStat `json:"zones"`
	Feeds        []tldguard.FeedStat `json:"feeds"`
	Matches      []goldenMatch       `json:"matches"`
	Error        string              `json:"error,omitempty"`
}

func golden(t *testing.T, name string, res *Result, runErr error) {
	t.Helper()
	g := goldenResult{TLDs: res.TLDs, NamesChecked: res.NamesChecked, Zones: res.Zones, Feeds: res.Feeds, Matches: []goldenMatch{}}
	if runErr != nil {
		g.Error = tldguard.ErrorMessage(runErr)
	}
	for _, m := range res.Matches {
		gm := goldenMatch{Domain: m.Domain, TLD: m.TLD, Feed: m.Feed, Format: m.Format, Threat: m.Threat,
			URLs: m.URLs, Count: m.Count, Compromised: m.Compromised, Held: m.Held}
		for _, e := range m.Entries {
			gm.Lines = append(gm.Lines, e.Line)
		}
		g.Matches = append(g.Matches, gm)
	}
	// Sources are temporary paths: keep their base names.
	for i := range g.Zones {
		g.Zones[i].Source = filepath.Base(g.Zones[i].Source)
	}
	for i := range g.Feeds {
		g.Feeds[i].Source = filepath.Base(g.Feeds[i].Source)
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
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
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

// TestGolden checks two zones (one general-form text, one CZDS gzip whose
// apex comes from its SOA) against a feed of every format.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	gzipTo(t, filepath.Join("testdata", "test.zone"), filepath.Join(dir, "test.zone.gz"))
	res, err := Run(context.Background(), Config{
		TLDs: []string{"example"},
		Zones: []Zone{
			{Source: filepath.Join("testdata", "example.zone"), Apex: "Example."},
			{Source: filepath.Join(dir, "test.zone.gz")},
		},
		Feeds: testFeeds("testdata"),
		Held:  []string{"HELD.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "check", res, nil)
}

// TestGoldenRegistry matches names absent from the zone through the
// registry instead of a held list, and leaves out the second zone: "test"
// is then no TLD of the run.
func TestGoldenRegistry(t *testing.T) {
	var asked []string
	res, err := Run(context.Background(), Config{
		TLDs:  []string{"example"},
		Zones: []Zone{{Source: filepath.Join("testdata", "example.zone")}},
		Feeds: testFeeds("testdata"),
		Registered: func(_ context.Context, name string) (bool, error) {
			asked = append(asked, name)
			return name == "held.example", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "registry", res, nil)
	want := map[string]bool{"held.example": true, "notdelegated.example": true}
	if len(asked) != len(want) {
		t.Errorf("registry asked about %q, want each of %v once", asked, want)
	}
	for _, a := range asked {
		if !want[a] {
			t.Errorf("registry asked about %q", a)
		}
	}
}
