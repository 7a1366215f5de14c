package zone

import (
	"bytes"
	"os"
	"path/filepath"
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
