package zone

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/tldguard/tldguard"
)

// TestRecords reads small zones line by line feature.
func TestRecords(t *testing.T) {
	const soa = "example. 900 IN SOA a.nic.example. noc.nic.example. 1 2 3 4 5\n"
	ex := []string{"example"}
	tests := []struct {
		name   string
		in     string
		apexes []string
		want   []string
		bad    int64  // bad lines
		errIn  string // in the first error
	}{
		{"czds delegation", "bad.example.\t86400\tin\tns\tns1.host.example.\n", ex, []string{"bad.example"}, 0, ""},
		{"single spaces", "bad.example. 86400 in ns ns1.host.example.\n", ex, []string{"bad.example"}, 0, ""},
		{"apex NS is not a delegation", "example.\t86400\tin\tns\ta.nic.example.\n", ex, nil, 0, ""},
		{"DS and glue yield nothing", "bad.example.\t1\tin\tds\t1 8 2 abcd\nns1.bad.example.\t1\tin\ta\t192.0.2.1\nns1.bad.example.\t1\tin\taaaa\t::1\n", ex, nil, 0, ""},
		{"deeper delegation", "a.b.example.\t1\tin\tns\tns.test.\n", ex, []string{"a.b.example"}, 0, ""},
		{"other TLD", "bad.test.\t1\tin\tns\tns.test.\n", ex, nil, 0, ""},
		{"suffix is not a label", "badexample.\t1\tin\tns\tns.test.\n", ex, nil, 0, ""},
		{"contiguous repeats once", "a.example. 1 in ns x.test.\na.example. 1 in ns y.test.\na.example. 1 in ds 1 8 2 ab\na.example. 1 in ns z.test.\n", ex, []string{"a.example"}, 0, ""},
		{"split repeats twice", "a.example. 1 in ns x.test.\nb.example. 1 in ns x.test.\na.example. 1 in ns y.test.\n", ex, []string{"a.example", "b.example", "a.example"}, 0, ""},
		{"upper case folded", "BAD.Example.\t86400\tIN\tNS\tNS1.HOST.TEST.\n", ex, []string{"bad.example"}, 0, ""},
		{"relative owner and origin", "$ORIGIN example.\nbad NS ns1.host.test.\n", nil, nil, 1, "before the SOA"},
		{"at sign", "$ORIGIN sub.example.\n@ NS ns1.host.test.\n", ex, []string{"sub.example"}, 0, ""},
		{"default origin is the apex", "bad NS ns1\n", ex, []string{"bad.example"}, 0, ""},
		{"origin option", "bad NS ns1\n", nil, nil, 1, "before the SOA"},
		{"blank owner", "bad.example. 1 IN A 192.0.2.1\n NS ns1.test.\n", ex, []string{"bad.example"}, 0, ""},
		{"blank owner first", " NS ns1.test.\n", ex, nil, 1, "no previous owner"},
		{"TTL then class", "a.example. 1h IN NS x.test.\n", ex, []string{"a.example"}, 0, ""},
		{"class then TTL", "a.example. IN 1W2d NS x.test.\n", ex, []string{"a.example"}, 0, ""},
		{"neither", "a.example. NS x.test.\n", ex, []string{"a.example"}, 0, ""},
		{"two TTLs", "a.example. 1 2 NS x.test.\n", ex, nil, 1, "unknown record type \"2\""},
		{"parentheses", "a.example. 1 IN NS (\n\n ; comment only\n x.test. )\nb.example. NS x.test.\n", ex, []string{"a.example", "b.example"}, 0, ""},
		{"never closed", "a.example. 1 IN NS ( x.test.\nb.example. NS x.test.\n", ex, nil, 2, "never closed"},
		{"escaped dot is not a label boundary", "a\\.b.example. NS x.test.\n", []string{"b.example"}, nil, 0, ""},
		{"escaped dot owner", "a\\.b.example. NS x.test.\n", ex, []string{`a\.b.example`}, 0, ""},
		{"escaped letters", "\\066\\065D.example. NS x.test.\n", ex, []string{"bad.example"}, 0, ""},
		{"escaped backslash then dot", "a\\\\.example. NS x.test.\n", ex, []string{`a\\.example`}, 0, ""},
		{"utf-8 owner", "bücher.example. NS x.test.\n", ex, []string{`b\195\188cher.example`}, 0, ""},
		{"wildcard", "*.example. NS x.test.\n", ex, []string{"*.example"}, 0, ""},
		{"root zone", ". 1 IN SOA a.root. b.root. 1 2 3 4 5\ncom. 172800 IN NS a.gtld-servers.net.\n", []string{"."}, []string{"com"}, 0, ""},
		{"closest apex wins", "co.uk. NS x.test.\nx.co.uk. NS x.test.\ny.uk. NS x.test.\n", []string{"uk", "co.uk"}, []string{"x.co.uk", "y.uk"}, 0, ""},
		{"generic NS", "a.example. TYPE2 \\# 3 017800\n", ex, []string{"a.example"}, 0, ""},
		{"generic NS bad wire", "a.example. NS \\# 3 027800\n", ex, nil, 1, "not a valid NS"},
		{"TYPE65534", "a.example. TYPE65534 \\# 2 abcd\n", ex, nil, 0, ""},
		{"TXT with specials", "a.example. TXT \"(;\\\"\" x\na.example. NS x.test.\n", ex, []string{"a.example"}, 0, ""},
		{"crlf", "a.example.\t1\tin\tns\tx.test.\r\nb.example. NS x.test. ; c\r\n", ex, []string{"a.example", "b.example"}, 0, ""},
		{"no final newline", "a.example.\t1\tin\tns\tx.test.", ex, []string{"a.example"}, 0, ""},
		{"relative without origin", "bad NS x.test.\n", []string{"example", "test"}, nil, 1, "no $ORIGIN"},
		{"at without origin", "@ NS x.test.\n", []string{"example", "test"}, nil, 1, "no $ORIGIN"},
		{"class CH", "a.example. CH NS x.test.\n", ex, nil, 1, "only IN"},
		{"directive", "$GENERATE 1-2 a$ NS x.\n", ex, nil, 1, "not supported"},
		{"long name", strings.Repeat("abcdefghi.", 25) + "example. NS x.test.\n", ex, nil, 1, "longer than 255"},
		{"longest name", strings.Repeat("abcdefghi.", 24) + "abcde.example. NS x.test.\n", ex, []string{strings.Repeat("abcdefghi.", 24) + "abcde.example"}, 0, ""},
		{"empty label", "a..example. NS x.test.\n", ex, nil, 1, "empty label"},
		{"SOA learns", soa + "a.example. NS x.test.\n", nil, []string{"a.example"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := Options{Apexes: tt.apexes}
			if tt.name == "origin option" {
				opt.Origin = "example"
			}
			for _, noFast := range []bool{false, true} {
				opt.noFast = noFast
				r := readString(t, tt.in, opt)
				if r.err != nil && !(tt.bad > 0 && r.stats.Records == 0) {
					t.Fatalf("noFast=%v: %v", noFast, r.err)
				}
				if !slices.Equal(r.names, tt.want) || r.stats.BadLines != tt.bad {
					t.Errorf("noFast=%v: names %q, %d bad lines; want %q, %d; errors %v", noFast, r.names, r.stats.BadLines, tt.want, tt.bad, r.stats.Errors)
				}
				if tt.errIn != "" && (len(r.stats.Errors) == 0 || !strings.Contains(r.stats.Errors[0].Error(), tt.errIn)) {
					t.Errorf("noFast=%v: errors %v, want one with %q", noFast, r.stats.Errors, tt.errIn)
				}
			}
		})
	}
}

func TestSerialsAndTypes(t *testing.T) {
	in := "example. 900 IN SOA a.nic.example. noc.nic.example. 4294967295 1h 2 3 4\n" +
		"test. 900 IN TYPE6 \\# 46 0161036e6963 0474657374 00 036e6f63 036e6963 0474657374 00 0000 0007 00000001 00000002 00000003 00000004\n" +
		"a.example. TYPE65534 \\# 0\n"
	r := readString(t, in, Options{})
	if r.err != nil || len(r.stats.Errors) > 0 {
		t.Fatal(r.err, r.stats.Errors)
	}
	if r.stats.Serials["example"] != 4294967295 || r.stats.Serials["test"] != 7 || len(r.stats.Serials) != 2 {
		t.Errorf("serials %v", r.stats.Serials)
	}
	if r.stats.Types["SOA"] != 2 || r.stats.Types["TYPE65534"] != 1 {
		t.Errorf("types %v", r.stats.Types)
	}
}

// TestErrorRatio: bad lines are skipped until they pass the ratio; then the
// read fails loudly instead of giving a short zone.
func TestErrorRatio(t *testing.T) {
	zone := func(lines, bad int) string {
		var b strings.Builder
		b.WriteString("example.\t900\tin\tsoa\ta. b. 1 2 3 4 5\n")
		every := lines / max(bad, 1)
		for i := 1; i < lines; i++ {
			if bad > 0 && i%every == 0 {
				b.WriteString("junk junk junk\n")
				bad--
				continue
			}
			b.WriteString("n" + strconv.Itoa(i) + ".example.\t86400\tin\tns\tns1.host.test.\n")
		}
		return b.String()
	}
	var seen []int64
	ok := readString(t, zone(5000, 45), Options{OnError: func(line int64, err error) {
		seen = append(seen, line)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != "line "+strconv.FormatInt(line, 10) {
			t.Errorf("line %d: %v", line, err)
		}
	}})
	if ok.err != nil || ok.stats.BadLines != 45 || len(seen) != 45 || seen[0] != 112 {
		t.Errorf("0.9%% bad: %v, %d bad lines, reported %v", ok.err, ok.stats.BadLines, seen)
	}
	if ok.stats.Names != 5000-1-45 {
		t.Errorf("names %d", ok.stats.Names)
	}

	bad := readString(t, zone(5000, 100), Options{Name: "com.zone"})
	if tldguard.ErrorKind(bad.err) != tldguard.EINVALID || !strings.Contains(bad.err.Error(), "lines are malformed") ||
		!strings.Contains(bad.err.Error(), "stopped") || !strings.Contains(bad.err.Error(), "com.zone line 51") {
		t.Errorf("2%% bad: %v", bad.err)
	}
	if bad.stats.Lines >= 5000 || bad.stats.Lines < 1000 {
		t.Errorf("2%% bad: stopped after %d lines", bad.stats.Lines)
	}

	// Under MinLines the ratio waits, and a higher limit lets it through.
	if r := readString(t, zone(500, 100), Options{}); r.err != nil || r.stats.BadLines != 99 {
		t.Errorf("short zone: %v, %d bad", r.err, r.stats.BadLines)
	}
	if r := readString(t, zone(5000, 100), Options{MaxBadRatio: 0.05}); r.err != nil {
		t.Errorf("5%% limit: %v", r.err)
	}
	if r := readString(t, zone(500, 100), Options{MinLines: 100}); r.err == nil {
		t.Error("MinLines 100: no error")
	}
	// A zone of nothing but junk is never a zone.
	if r := readString(t, "junk\nmore junk\n", Options{}); tldguard.ErrorKind(r.err) != tldguard.EINVALID {
		t.Errorf("all junk: %v", r.err)
	}
	// Bad lines at the very end still count.
	end := zone(2000, 0) + strings.Repeat("junk\n", 30)
	if r := readString(t, end, Options{}); r.err == nil {
		t.Error("bad tail: no error")
	}
	// A missing ")" swallows lines; they all count as bad.
	open := zone(2000, 0) + "x.example. NS ( a.test.\n" + zone(100, 0)
	if r := readString(t, open, Options{}); r.err == nil || r.stats.BadLines != 101 {
		t.Errorf("unclosed parenthesis: %v, %d bad lines", r.err, r.stats.BadLines)
	}
}

func TestInclude(t *testing.T) {
	in := "a.example. NS x.test.\n$INCLUDE /etc/passwd\nb.example. NS x.test.\n"
	r := readString(t, in, Options{Name: "z", Apexes: []string{"example"}})
	if tldguard.ErrorKind(r.err) != tldguard.EUNPROCESSABLE || tldguard.ErrorField(r.err) != "z line 2" ||
		!strings.Contains(r.err.Error(), "$INCLUDE") {
		t.Errorf("got %v", r.err)
	}
	if !slices.Equal(r.names, []string{"a.example"}) {
		t.Errorf("names %q", r.names)
	}
}

func TestLongLine(t *testing.T) {
	in := "a.example. NS x.test.\n" + strings.Repeat("x", MaxLineLength+10) + "\nb.example. NS x.test.\n" +
		strings.Repeat("y", MaxLineLength+1)
	for _, bs := range []int{0, 4096} {
		r := readString(t, in, Options{Apexes: []string{"example"}, BlockSize: bs})
		if r.err != nil || !slices.Equal(r.names, []string{"a.example", "b.example"}) || r.stats.BadLines != 2 || r.stats.Lines != 4 {
			t.Errorf("block %d: %v %q %d bad, %d lines, %v", bs, r.err, r.names, r.stats.BadLines, r.stats.Lines, r.stats.Errors)
		}
		if len(r.stats.Errors) != 2 || tldguard.ErrorField(r.stats.Errors[0]) != "line 2" || tldguard.ErrorField(r.stats.Errors[1]) != "line 4" {
			t.Errorf("errors %v", r.stats.Errors)
		}
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join("testdata", "czds.zone"))
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Apexes: []string{"example"}}
	want := readString(t, string(plain), opt)
	gz := gzipBytes(t, plain)
	got := read(t, bytes.NewReader(gz), opt)
	if got.err != nil || !slices.Equal(got.names, want.names) || !got.stats.Gzip || got.stats.Bytes != int64(len(plain)) ||
		got.stats.CompressedBytes != int64(len(gz)) {
		t.Errorf("gzip: %v %q %+v", got.err, got.names, got.stats)
	}
	// Two members, split mid-line, read as one stream.
	cut := len(plain) / 2
	multi := append(gzipBytes(t, plain[:cut]), gzipBytes(t, plain[cut:])...)
	if got := read(t, bytes.NewReader(multi), opt); got.err != nil || !slices.Equal(got.names, want.names) {
		t.Errorf("two members: %v %q", got.err, got.names)
	}
	// Truncated and corrupt data fail the read; nothing passes for a zone.
	for name, data := range map[string][]byte{
		"truncated": gz[:len(gz)-12],
		"corrupt":   append(append(append([]byte(nil), gz[:len(gz)-8]...), ^gz[len(gz)-8]), gz[len(gz)-7:]...),
		"garbage":   append(slices.Clone(gz[:10]), bytes.Repeat([]byte{0xff}, 100)...),
		"trailer":   append(slices.Clone(gz), 1, 2, 3),
	} {
		r := read(t, bytes.NewReader(data), opt)
		if tldguard.ErrorKind(r.err) != tldguard.EINVALID || !strings.Contains(r.err.Error(), "gzip") {
			t.Errorf("%s: %v", name, r.err)
		}
	}
}

// TestSpare: the caller's spare-time work runs on the reader's goroutine
// between blocks of gzip input, never changes what is read, stops being
// asked once it says it is done, and is not asked for plain input.
func TestSpare(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join("testdata", "czds.zone"))
	if err != nil {
		t.Fatal(err)
	}
	// Enough text for many small blocks.
	plain = bytes.Repeat(plain, 20)
	gz := gzipBytes(t, plain)
	base := Options{Apexes: []string{"example"}, BlockSize: 512, MaxBadRatio: 1}
	want := readString(t, string(plain), base)
	for _, work := range []int{0, 1, 5, 1 << 30} {
		calls, after := 0, 0
		// The input stops halfway until Spare has been asked once, so
		// that the decompressor cannot be done before the parser looks.
		gate := make(chan struct{})
		var open sync.Once
		opt := base
		opt.Spare = func() bool {
			open.Do(func() { close(gate) })
			if calls >= work {
				after++ // asked again after it said it was done
			}
			calls++
			return calls < work
		}
		got := read(t, &gatedReader{data: gz, at: len(gz) / 2, gate: gate}, opt)
		if got.err != nil || !slices.Equal(got.names, want.names) || got.stats.Lines != want.stats.Lines {
			t.Errorf("work %d: %v, %d names, want %d", work, got.err, len(got.names), len(want.names))
		}
		if calls == 0 || work > 0 && work < 1<<20 && calls > work {
			t.Errorf("work %d: Spare called %d times", work, calls)
		}
		if work == 1<<30 && calls > 1<<20 {
			t.Errorf("Spare with endless work called %d times, want no more once the decompressor is done", calls)
		}
		if after > 1 {
			t.Errorf("work %d: Spare asked %d times after it said it was done", work, after-1)
		}
		if got := read(t, strings.NewReader(string(plain)), opt); got.err != nil || !slices.Equal(got.names, want.names) {
			t.Errorf("plain input with Spare: %v", got.err)
		}
	}
	calls := 0
	opt := base
	opt.Spare = func() bool { calls++; return true }
	read(t, strings.NewReader(string(plain)), opt)
	if calls != 0 {
		t.Errorf("plain input: Spare called %d times", calls)
	}
}

// gatedReader gives data up to at, then waits for gate (10 s at most)
// before the rest.
type gatedReader struct {
	data []byte
	at   int
	gate chan struct{}
	off  int
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.off == g.at {
		select {
		case <-g.gate:
		case <-time.After(10 * time.Second):
			return 0, errors.New("gatedReader: the gate never opened")
		}
	}
	end := len(g.data)
	if g.off < g.at {
		end = g.at
	}
	if g.off == len(g.data) {
		return 0, io.EOF
	}
	n := copy(p, g.data[g.off:end])
	g.off += n
	return n, nil
}

// failReader returns its data, then an error.
type failReader struct {
	data []byte
	err  error
}

func (f *failReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestIOError(t *testing.T) {
	plain, _ := os.ReadFile(filepath.Join("testdata", "czds.zone"))
	disk := errors.New("disk on fire")
	for name, data := range map[string][]byte{"plain": plain, "gzip": gzipBytes(t, plain)[:300]} {
		r := read(t, &failReader{data: data, err: disk}, Options{Apexes: []string{"example"}})
		if tldguard.ErrorKind(r.err) != tldguard.EINTERNAL || !errors.Is(r.err, disk) {
			t.Errorf("%s: %v", name, r.err)
		}
	}
}

func TestStopping(t *testing.T) {
	var b strings.Builder
	for i := range 100000 {
		b.WriteString("n" + strconv.Itoa(i) + ".example.\t86400\tin\tns\tns1.host.test.\n")
	}
	plain := []byte(b.String())
	gz := gzipBytes(t, plain)
	stop := errors.New("enough")
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz} {
		n := 0
		z := NewReader(bytes.NewReader(data), Options{Apexes: []string{"example"}, BlockSize: 4096})
		err := z.Read(context.Background(), func([]byte) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
		if err != stop || n != 10 {
			t.Errorf("%s: callback error: %v after %d", name, err, n)
		}
		if err := z.Read(context.Background(), nil); tldguard.ErrorKind(err) != tldguard.EINTERNAL {
			t.Errorf("%s: second read: %v", name, err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		z = NewReader(bytes.NewReader(data), Options{Apexes: []string{"example"}, BlockSize: 4096})
		err = z.Read(ctx, func([]byte) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) || z.Stats().Bytes >= int64(len(plain)) {
			t.Errorf("%s: cancel: %v after %d bytes", name, err, z.Stats().Bytes)
		}

		z = NewReader(bytes.NewReader(data), Options{Apexes: []string{"example"}})
		var names []string
		for name := range z.Names(context.Background()) {
			names = append(names, string(name))
			if len(names) == 3 {
				break
			}
		}
		if z.Err() != nil || !slices.Equal(names, []string{"n0.example", "n1.example", "n2.example"}) {
			t.Errorf("%s: iterator: %v %q", name, z.Err(), names)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, opt := range []Options{{Apexes: []string{""}}, {Apexes: []string{"a..b"}}, {Origin: "x..y"}} {
		if r := readString(t, "", opt); tldguard.ErrorKind(r.err) != tldguard.EINVALID {
			t.Errorf("%+v: %v", opt, r.err)
		}
	}
}

// TestConstantMemory reads a zone ten times the size of another and wants
// the same allocations: memory follows what the caller keeps, not the file.
func TestConstantMemory(t *testing.T) {
	alloc := func(names int, gz bool) uint64 {
		var b bytes.Buffer
		b.WriteString("example.\t900\tin\tsoa\ta. b. 1 2 3 4 5\n$ORIGIN example.\n")
		for i := range names {
			s := strconv.Itoa(i)
			b.WriteString("n" + s + ".example.\t86400\tin\tns\tns1.host.test.\n")
			b.WriteString("M" + s + "\tIN 86400 NS\t( ns2.host.test. )\n")
		}
		data := b.Bytes()
		if gz {
			data = gzipBytes(t, data)
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		z := NewReader(bytes.NewReader(data), Options{Apexes: []string{"example"}})
		if err := z.Read(context.Background(), func([]byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		if z.Stats().Names != int64(2*names) {
			t.Fatalf("names %d", z.Stats().Names)
		}
		return m1.TotalAlloc - m0.TotalAlloc
	}
	for _, gz := range []bool{false, true} {
		small, large := alloc(20000, gz), alloc(200000, gz)
		if large > small+64<<10 {
			t.Errorf("gzip %v: %d bytes allocated for 40,000 names, %d for 400,000", gz, small, large)
		}
		t.Logf("gzip %v: %d bytes allocated for 40,000 names, %d for 400,000", gz, small, large)
	}
}

func TestValidators(t *testing.T) {
	for s, want := range map[string]bool{
		"0.0.0.0": true, "255.255.255.255": true, "192.0.2.1": true, "256.0.0.1": false, "1.2.3": false,
		"1.2.3.4.5": false, "01.2.3.4": false, "1..2.3": false, "1.2.3.4.": false, "": false, "a.b.c.d": false,
	} {
		if validIPv4([]byte(s)) != want {
			t.Errorf("validIPv4(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{
		"::": true, "::1": true, "1::": true, "2001:db8::1": true, "2001:DB8:0:0:0:0:0:1": true,
		"1:2:3:4:5:6:7:8": true, "1:2:3:4:5:6:7::": true, "::ffff:192.0.2.1": true, "1:2:3:4:5:6:1.2.3.4": true,
		"1:2:3:4:5:6:7:8:9": false, "1:2:3:4:5:6:7": false, "1::2::3": false, ":1::": false, "1:::2": false,
		"12345::": false, "1:2:3:4:5:6:7:1.2.3.4": false, "::1.2.3": false, "1:": false, ":": false,
		"fe80::1%eth0": false, "g::": false, "1.2.3.4": false, "::1:": false,
	} {
		if validIPv6([]byte(s)) != want {
			t.Errorf("validIPv6(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]int64{
		"0": 0, "86400": 86400, "1h": 3600, "1H30m": 5400, "1w2d3h4m5s": 788645, "4294967295": 4294967295,
		"4294967296": -1, "": -1, "h": -1, "1x": -1, "-1": -1, "1h30": 3630,
	} {
		v, ok := parseTTL([]byte(s))
		if ok != (want >= 0) || ok && int64(v) != want {
			t.Errorf("parseTTL(%q) = %d, %v", s, v, ok)
		}
	}
	for in, want := range map[string]string{
		"Example.": "example.", "a\\.b": "a\\.b.o.", "\\065": "a.o.", "a\\\"b.": `a\"b.`, "@": "o.", ".": ".",
		"a b": `a\032b.o.`, "\\255.": `\255.`, "x\\(": `x\(.o.`,
	} {
		got, err := appendName(nil, []byte(in), []byte("o."), 3)
		if err != nil || string(got) != want {
			t.Errorf("appendName(%q) = %q, %v; want %q", in, got, err, want)
		}
		if w := wireLength(got); err == nil && w > 255 {
			t.Errorf("wireLength(%q) = %d", got, w)
		}
	}
}

// TestSwarName compares the 8-bytes-at-a-time name check with the plain
// one on names made of the bytes around every boundary of the classes.
func TestSwarName(t *testing.T) {
	alphabet := []byte(".-_aAzZ09,/:@[`{\x00\r\x7f\x80\x8e\xae\xff")
	r := uint64(1)
	for range 300000 {
		r = r*6364136223846793005 + 1442695040888963407
		n := 8 + int(r>>59)
		b := make([]byte, n)
		for i := range b {
			r = r*6364136223846793005 + 1442695040888963407
			if r>>62 == 0 {
				b[i] = alphabet[int(r>>32)%len(alphabet)]
			} else {
				b[i] = "abc.9-"[int(r>>32)%6]
			}
		}
		for _, class := range []*[256]uint8{&ownerClass, &targetClass} {
			if got, want := swarName(b, class == &targetClass), tableName(b, class); got != want {
				t.Fatalf("%q: swarName %v, tableName %v", b, got, want)
			}
		}
	}
}
