package zone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// records reads r with Records and renders each record on a line:
// "line owner TYPE below|at data".
func records(t testing.TB, r io.Reader, opt Options) ([]string, Stats, error) {
	t.Helper()
	z := NewReader(r, opt)
	var out []string
	err := z.Records(context.Background(), func(rec Record) error {
		where := "at"
		if rec.Below {
			where = "below"
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %s", rec.Line, rec.Owner, TypeString(rec.Type), where, rec.Data))
		return nil
	})
	return out, z.Stats(), err
}

// TestRecordsData reads records on the fast path, on the complete path
// alone and in tiny blocks, and wants the same owners, types and rdata.
func TestRecordsData(t *testing.T) {
	ex := []string{"example"}
	tests := []struct {
		name   string
		in     string
		apexes []string
		want   []string
	}{
		{"czds delegation", "bad.example.\t86400\tin\tns\tns1.host.test.\n", ex,
			[]string{"1 bad.example. NS below ns1.host.test."}},
		{"NS target folded", "bad.example.\t86400\tin\tns\tNS1.Host.TEST.\n", ex,
			[]string{"1 bad.example. NS below ns1.host.test."}},
		{"NS target relative", "$ORIGIN example.\nbad 1 IN NS ns1.bad\n", ex,
			[]string{"2 bad.example. NS below ns1.bad.example."}},
		{"NS target escaped", "bad.example. NS n\\083\\.1.test.\n", ex,
			[]string{`1 bad.example. NS below ns\.1.test.`}},
		{"NS in the \\# form", "a.example. TYPE2 \\# 3 017800\n", ex,
			[]string{"1 a.example. NS below x."}},
		{"NS root target in the \\# form", "a.example. NS \\# 1 00\n", ex,
			[]string{"1 a.example. NS below ."}},
		{"apex records are at", "example. 900 IN SOA a.nic.example. noc.nic.example. ( 7 1800\n 900 604800 86400 ) ; end\nexample.\t86400\tin\tns\ta.nic.example.\n", ex,
			[]string{"1 example. SOA at a.nic.example. noc.nic.example. 7 1800 900 604800 86400", "3 example. NS at a.nic.example."}},
		{"out of zone is not yielded", "bad.test.\t1\tin\tns\tns.test.\nbad.example.\t1\tin\tns\tns.test.\n", ex,
			[]string{"2 bad.example. NS below ns.test."}},
		{"glue and DS", "ns1.bad.example.\t1\tin\ta\t192.0.2.1\nns1.bad.example. 1 in aaaa 2001:db8::1\nbad.example.\t1\tin\tds\t1\t8\t2\tABCD\n", ex,
			[]string{"1 ns1.bad.example. A below 192.0.2.1", "2 ns1.bad.example. AAAA below 2001:db8::1", "3 bad.example. DS below 1 8 2 ABCD"}},
		{"DS digest in parts", "bad.example. DS 1 8 2 ( AB\n CD )\n", ex,
			[]string{"1 bad.example. DS below 1 8 2 AB CD"}},
		{"plain rdata separators", "a.example.\t1\tin\ttxt\tfoo \t bar\n", ex,
			[]string{"1 a.example. TXT below foo bar"}},
		{"quoted rdata", "a.example. TXT \"a b\" \"(;\\\"\" c\n", ex,
			[]string{`1 a.example. TXT below "a b" "(;\"" c`}},
		{"blank owner and crlf", "bad.example.\t1\tin\tns\tx.test.\r\n 1 IN NS Y.TEST.\r\n", ex,
			[]string{"1 bad.example. NS below x.test.", "2 bad.example. NS below y.test."}},
		{"bad lines are skipped", "a.example. NS\nb.example. NS x.test.\n", ex,
			[]string{"2 b.example. NS below x.test."}},
		{"two apexes", "co.uk. NS x.test.\nx.co.uk. NS x.test.\nuk. NS a.nic.uk.\nx.test. NS y.test.\n", []string{"uk", "co.uk"},
			[]string{"1 co.uk. NS at x.test.", "2 x.co.uk. NS below x.test.", "3 uk. NS at a.nic.uk."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []struct {
				noFast bool
				block  int
			}{{false, 0}, {true, 0}, {false, 3}, {true, 1}} {
				opt := Options{Apexes: tt.apexes, MaxBadRatio: 1, noFast: v.noFast, BlockSize: v.block}
				got, _, err := records(t, strings.NewReader(tt.in), opt)
				if err != nil {
					t.Fatalf("%+v: %v", v, err)
				}
				if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("noFast=%v block=%d:\ngot  %q\nwant %q", v.noFast, v.block, got, tt.want)
				}
			}
		})
	}
}

// TestRecordsSameAsRead: over the golden files, Records leaves the same
// figures as Read, and its delegations are Read's names.
func TestRecordsSameAsRead(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			base := read(t, bytes.NewReader(data), c.opt)
			recs, stats, err := records(t, bytes.NewReader(data), c.opt)
			got := result{stats: stats, err: err}
			var last string
			z := NewReader(bytes.NewReader(data), c.opt)
			_ = z.Records(context.Background(), func(rec Record) error {
				if rec.Type == TypeNS && rec.Below {
					name := string(rec.Owner[:len(rec.Owner)-1])
					if name != last {
						got.names = append(got.names, name)
					}
					last = name
				}
				return nil
			})
			if g, w := got.describe(true), base.describe(true); g != w {
				t.Errorf("Records gives\n%s\nRead gives\n%s", g, w)
			}
			if len(recs) == 0 && base.stats.Records > base.stats.OutOfZone {
				t.Errorf("no records yielded")
			}
		})
	}
}

func TestRecordsStop(t *testing.T) {
	stop := errors.New("enough")
	z := NewReader(strings.NewReader("a.example. NS x.test.\nb.example. NS x.test.\n"), Options{Apexes: []string{"example"}})
	n := 0
	err := z.Records(context.Background(), func(Record) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d records, want %v after 1", err, n, stop)
	}
	if err := z.Records(context.Background(), func(Record) error { return nil }); err == nil {
		t.Error("a second read succeeded")
	}
}

// BenchmarkRecordsFast is BenchmarkReadFast through Records: what a caller
// pays for the rdata.
func BenchmarkRecordsFast(b *testing.B) {
	f := benchZone(b, *benchNames)
	b.SetBytes(f.size)
	for b.Loop() {
		fh := openFile(b, f.czds)
		n := 0
		err := NewReader(fh, Options{Apexes: []string{benchTLD}}).Records(context.Background(), func(rec Record) error {
			if rec.Type == TypeNS {
				n += len(rec.Data)
			}
			return nil
		})
		fh.Close()
		if err != nil || n == 0 {
			b.Fatal(err, n)
		}
	}
}
