package zone

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// result is everything a read produced, in a comparable form.
type result struct {
	names []string
	stats Stats
	err   error
}

func read(t testing.TB, r io.Reader, opt Options) result {
	t.Helper()
	z := NewReader(r, opt)
	var res result
	res.err = z.Read(context.Background(), func(name []byte) error {
		res.names = append(res.names, string(name))
		return nil
	})
	res.stats = z.Stats()
	return res
}

func readString(t testing.TB, in string, opt Options) result {
	t.Helper()
	return read(t, strings.NewReader(in), opt)
}

// describe renders a result for golden files. Leave out lets the paths be
// compared with each other: fastLines false drops the one figure in which
// they differ.
func (r result) describe(fastLines bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "names (%d):\n", len(r.names))
	for _, n := range r.names {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	s := r.stats
	fmt.Fprintf(&b, "bytes %d, lines %d, bad lines %d, records %d, names %d, glue %d, out of zone %d\n",
		s.Bytes, s.Lines, s.BadLines, s.Records, s.Names, s.Glue, s.OutOfZone)
	if fastLines {
		fmt.Fprintf(&b, "fast lines %d\n", s.FastLines)
	}
	b.WriteString("types:")
	for _, k := range slices.Sorted(mapKeys(s.Types)) {
		fmt.Fprintf(&b, " %s %d", k, s.Types[k])
	}
	b.WriteString("\nserials:")
	for _, k := range slices.Sorted(mapKeys(s.Serials)) {
		fmt.Fprintf(&b, " %s %d", k, s.Serials[k])
	}
	b.WriteString("\nerrors:\n")
	for _, e := range s.Errors {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	fmt.Fprintf(&b, "result: %v\n", r.err)
	return b.String()
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var goldenCases = []struct {
	file, golden string
	opt          Options
}{
	{"czds.zone", "czds", Options{Apexes: []string{"example"}}},
	{"czds.zone.gz", "czds", Options{Apexes: []string{"EXAMPLE."}}},
	{"general.zone", "general", Options{}},
	{"general.zone", "general", Options{Apexes: []string{"example"}}},
	{"junk.zone", "junk", Options{Name: "junk.zone", Apexes: []string{"example"}, MaxBadRatio: 1}},
	{"crlf.zone", "crlf", Options{Apexes: []string{"example"}}},
	{"nofinal.zone", "nofinal", Options{Apexes: []string{"example"}}},
	{"learn.zone", "learn", Options{}},
}

// TestGolden reads each file under testdata/ and compares the names, the
// figures and the errors with testdata/*.golden (go test -update rewrites
// them). Each file is also read on the complete path alone and in tiny
// blocks, which must give the same result.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file+"/"+strings.Join(c.opt.Apexes, ","), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			got := readString(t, string(data), c.opt).describe(true)
			path := filepath.Join("testdata", c.golden+".golden")
			if *update && c.file != "czds.zone.gz" {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", c.file, path, got, want)
			}

			base := readString(t, string(data), c.opt).describe(false)
			for _, v := range []struct {
				name   string
				noFast bool
				block  int
			}{{"complete path", true, 0}, {"blocks of 1", false, 1}, {"blocks of 7", false, 7}, {"complete path, blocks of 5", true, 5}} {
				opt := c.opt
				opt.noFast, opt.BlockSize = v.noFast, v.block
				if got := readString(t, string(data), opt).describe(false); got != base {
					t.Errorf("%s: %s gives\n%s\nwant\n%s", c.file, v.name, got, base)
				}
			}
		})
	}
}

// TestFastGeneralSame reads the same records in CZDS form and rewritten in
// general form, and wants the same names and figures.
func TestFastGeneralSame(t *testing.T) {
	f := benchZone(t, 2000)
	opt := Options{Apexes: []string{benchTLD}}
	fast := read(t, openFile(t, f.czds), opt)
	general := read(t, openFile(t, f.general), opt)
	if fast.err != nil || general.err != nil {
		t.Fatal(fast.err, general.err)
	}
	// Every CZDS line but the SOA takes the fast path; no general line does.
	if fast.stats.FastLines != fast.stats.Lines-1 || general.stats.FastLines != 0 {
		t.Errorf("fast lines: %d of %d in CZDS form, %d in general form", fast.stats.FastLines, fast.stats.Lines, general.stats.FastLines)
	}
	if !slices.Equal(fast.names, general.names) || len(fast.names) != 2000 {
		t.Errorf("names differ: %d in CZDS form, %d in general form", len(fast.names), len(general.names))
	}
	fs, gs := fast.stats, general.stats
	if fs.Records != gs.Records || fs.Glue != gs.Glue || fs.BadLines+gs.BadLines != 0 ||
		fmt.Sprint(fs.Types) != fmt.Sprint(gs.Types) || fmt.Sprint(fs.Serials) != fmt.Sprint(gs.Serials) {
		t.Errorf("figures differ:\nCZDS    %+v\ngeneral %+v", fs, gs)
	}
	// The CZDS file on the complete path alone.
	opt.noFast = true
	if slow := read(t, openFile(t, f.czds), opt); !slices.Equal(slow.names, fast.names) || slow.stats.Records != fs.Records {
		t.Errorf("complete path on the CZDS form: %d names, %d records", len(slow.names), slow.stats.Records)
	}
}
