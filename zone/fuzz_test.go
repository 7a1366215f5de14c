package zone

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead reads any input, never panics, and gives the same names,
// figures and errors whether lines take the fast path or not and whatever
// the block size: the fast path may only take lines the complete path
// reads the same way. Every name yielded is canonical.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"czds.zone", "general.zone", "junk.zone", "crlf.zone", "learn.zone", "nofinal.zone"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"a.example.\t1\tin\tns\tx.test.\n",
		"a.example. 1 in ds 1 8 2 ab\r\n",
		"a.example.\t1\tin\taaaa\t::ffff:1.2.3.4\n",
		"a.example.\t1\tin\tnsec3\t1 0 0 - x ns\n",
		"$ORIGIN example.\n@ NS ( x\n) \n b NS \\# 3 017800\n",
		"a.example. 1 in ns (\nx.test. )\nb.example.\t1\tin\tns\tx.\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, apexes := range [][]string{{"example"}, nil} {
			opt := Options{Apexes: apexes, MaxBadRatio: 1, BlockSize: 4096}
			base := read(t, bytes.NewReader(data), opt)
			for _, n := range base.names {
				if len(n) == 0 || n[len(n)-1] == '.' {
					t.Fatalf("name %q", n)
				}
				if c, err := appendName(nil, []byte(n+"."), nil, 0); err != nil || string(c) != n+"." {
					t.Fatalf("name %q is not canonical: %q %v", n, c, err)
				}
			}
			want := base.describe(false)
			opt.noFast = true
			if got := read(t, bytes.NewReader(data), opt).describe(false); got != want {
				t.Fatalf("apexes %q: complete path alone gives\n%s\nwith the fast path\n%s", apexes, got, want)
			}
			opt.noFast, opt.BlockSize = false, 3
			if got := read(t, bytes.NewReader(data), opt).describe(false); got != want {
				t.Fatalf("apexes %q: blocks of 3 give\n%s\nwant\n%s", apexes, got, want)
			}
		}
	})
}

// FuzzName checks the 8-bytes-at-a-time name check against the plain one.
func FuzzName(f *testing.F) {
	for _, s := range []string{"bad.example.", "a..b.example.", ".abcdefgh.", "abcdefgh", "ABC-def_9.x.", "a\rb.example.", "ab\x8ecd.efgh."} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 8 {
			return
		}
		for _, class := range []*[256]uint8{&ownerClass, &targetClass} {
			if got, want := swarName(b, class == &targetClass), tableName(b, class); got != want {
				t.Fatalf("%q: swarName %v, tableName %v", b, got, want)
			}
		}
	})
}

// FuzzRecords reads any input through Records and wants the same records
// whether lines take the fast path or not and whatever the block size.
// Every owner and every NS target is canonical and fully qualified.
func FuzzRecords(f *testing.F) {
	for _, name := range []string{"czds.zone", "general.zone", "junk.zone", "crlf.zone"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"a.example.\t1\tin\tns\tX.Test.\n",
		"a.example.\t1\tin\ttxt\tfoo \t bar\n",
		"a.example. 1 in ds 1\t8 2 ab\r\n",
		"$ORIGIN example.\n@ NS ( x\n) \n b NS \\# 3 017800\n",
		"a.example. TXT \"a b\" \"(;\\\"\" c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := Options{Apexes: []string{"example"}, MaxBadRatio: 1, BlockSize: 4096}
		var recs []Record
		base, _, baseErr := records(t, bytes.NewReader(data), opt)
		z := NewReader(bytes.NewReader(data), opt)
		_ = z.Records(context.Background(), func(r Record) error {
			recs = append(recs, Record{Owner: bytes.Clone(r.Owner), Type: r.Type, Data: bytes.Clone(r.Data)})
			return nil
		})
		for _, r := range recs {
			if c, err := appendName(nil, r.Owner, nil, 0); err != nil || !bytes.Equal(c, r.Owner) {
				t.Fatalf("owner %q is not canonical: %q %v", r.Owner, c, err)
			}
			if r.Type == TypeNS {
				if c, err := appendName(nil, r.Data, nil, 0); err != nil || !bytes.Equal(c, r.Data) {
					t.Fatalf("NS target %q is not canonical: %q %v", r.Data, c, err)
				}
			}
		}
		for _, v := range []struct {
			noFast bool
			block  int
		}{{true, 4096}, {false, 3}} {
			opt.noFast, opt.BlockSize = v.noFast, v.block
			got, _, err := records(t, bytes.NewReader(data), opt)
			if fmt.Sprint(err) != fmt.Sprint(baseErr) || strings.Join(got, "\n") != strings.Join(base, "\n") {
				t.Fatalf("noFast=%v block=%d gives\n%q %v\nwant\n%q %v", v.noFast, v.block, got, err, base, baseErr)
			}
		}
	})
}
