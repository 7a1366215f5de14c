package zone

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/miekg/dns"
)

// Benchmarks over a generated gTLD-like zone (see gen_test.go).
//
//	go test ./zone/ -run '^$' -bench . -benchtime 3x
//	go test ./zone/ -run BenchReport -v -zone.report                     # all figures, 200,000 names
//	go test ./zone/ -run BenchReport -v -zone.report -zone.names 5000000 # the size (~720 MB)
//
// The size also comes from TLDGUARD_ZONE_BENCH_NAMES.
var (
	benchNames  = flag.Int("zone.names", envInt("TLDGUARD_ZONE_BENCH_NAMES", 200000), "delegated names in the benchmark zone")
	benchReport = flag.Bool("zone.report", false, "run TestBenchReport and print the zone-reading figures")
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// feedSet is what the zone check looks names up in: a reputation feed's
// names, a few thousand of them in the zone.
func feedSet(f benchFiles) map[string]struct{} {
	set := map[string]struct{}{}
	z := NewReader(openFile(nil, f.czds), Options{Apexes: []string{benchTLD}})
	i := 0
	_ = z.Read(context.Background(), func(name []byte) error {
		if i%1000 == 0 {
			set[string(name)] = struct{}{}
			set["x"+string(name)] = struct{}{}
		}
		i++
		return nil
	})
	return set
}

func openFile(tb testing.TB, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Fatal(err)
	}
	return f
}

// readZone reads a file with the package and looks every name up in set.
func readZone(tb testing.TB, path string, set map[string]struct{}) (Stats, int) {
	f := openFile(tb, path)
	defer f.Close()
	z := NewReader(f, Options{Apexes: []string{benchTLD}})
	hits := 0
	err := z.Read(context.Background(), func(name []byte) error {
		if _, ok := set[string(name)]; ok {
			hits++
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return z.Stats(), hits
}

func gunzipOnly(tb testing.TB, path string) int64 {
	f := openFile(tb, path)
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := io.Copy(io.Discard, gz)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// miekgRead parses the first limit bytes of path (cut at a line end) with
// miekg/dns and returns the bytes parsed and the NS records seen.
func miekgRead(tb testing.TB, path string, limit int64) (int64, int) {
	f := openFile(tb, path)
	defer f.Close()
	buf := make([]byte, limit)
	n, _ := io.ReadFull(f, buf)
	buf = buf[:bytes.LastIndexByte(buf[:n], '\n')+1]
	zp := dns.NewZoneParser(bytes.NewReader(buf), "", "")
	ns := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if rr.Header().Rrtype == dns.TypeNS {
			ns++
		}
	}
	if err := zp.Err(); err != nil {
		tb.Fatal(err)
	}
	return int64(len(buf)), ns
}

func BenchmarkReadFast(b *testing.B) {
	f := benchZone(b, *benchNames)
	set := feedSet(f)
	b.SetBytes(f.size)
	for b.Loop() {
		readZone(b, f.czds, set)
	}
}

func BenchmarkReadGeneral(b *testing.B) {
	f := benchZone(b, *benchNames)
	set := feedSet(f)
	b.SetBytes(f.generals)
	for b.Loop() {
		readZone(b, f.general, set)
	}
}

func BenchmarkReadGzip(b *testing.B) {
	f := benchZone(b, *benchNames)
	set := feedSet(f)
	b.SetBytes(f.size)
	for b.Loop() {
		readZone(b, f.gz, set)
	}
}

func BenchmarkGunzipOnly(b *testing.B) {
	f := benchZone(b, *benchNames)
	b.SetBytes(f.size)
	for b.Loop() {
		gunzipOnly(b, f.gz)
	}
}

func BenchmarkMiekg(b *testing.B) {
	f := benchZone(b, *benchNames)
	limit := min(f.size, 16<<20)
	b.SetBytes(limit)
	for b.Loop() {
		miekgRead(b, f.czds, limit)
	}
}

// best runs fn n times and returns the shortest time.
func best(n int, fn func()) time.Duration {
	d := time.Duration(1<<63 - 1)
	for range n {
		runtime.GC()
		t := time.Now()
		fn()
		d = min(d, time.Since(t))
	}
	return d
}

// resetPeakRSS starts a new peak-RSS measure (Linux; a no-op elsewhere).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in bytes, or 0.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime returns the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

// TestBenchReport prints every figure of the zone-reading targets in one
// run. Times are the best of three runs (two at 1,000,000 names or more).
func TestBenchReport(t *testing.T) {
	if !*benchReport {
		t.Skip("run with -zone.report")
	}
	f := benchZone(t, *benchNames)
	set := feedSet(f)
	runs := 3
	if f.names >= 1000000 {
		runs = 2
	}
	gzSize := fileSize(t, f.gz)
	p := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	p("zone: %d delegated names, %d records, %.1f MB text (%.1f MB general form), %.1f MB gzip; GOMAXPROCS=%d; best of %d runs",
		f.names, f.records, float64(f.size)/1e6, float64(f.generals)/1e6, float64(gzSize)/1e6, runtime.GOMAXPROCS(0), runs)

	var st Stats
	var hits int
	dFast := best(runs, func() { st, hits = readZone(t, f.czds, set) })
	if st.Names != int64(f.names) || st.Records != int64(f.records) || st.BadLines != 0 {
		t.Fatalf("fast: %d names, %d records, %d bad lines; want %d, %d, 0", st.Names, st.Records, st.BadLines, f.names, f.records)
	}
	p("fast path (CZDS text, one goroutine):  %6.2f s  %7.1f MB/s  (%d names, %d records, %d fast lines of %d, %d feed hits)",
		dFast.Seconds(), mbps(f.size, dFast), st.Names, st.Records, st.FastLines, st.Lines, hits)

	dGen := best(runs, func() { st, _ = readZone(t, f.general, set) })
	if st.Names != int64(f.names) || st.Records != int64(f.records) || st.BadLines != 0 {
		t.Fatalf("general: %d names, %d records, %d bad lines; want %d, %d, 0", st.Names, st.Records, st.BadLines, f.names, f.records)
	}
	p("general path (master-file form):       %6.2f s  %7.1f MB/s  (%d fast lines of %d)",
		dGen.Seconds(), mbps(f.generals, dGen), st.FastLines, st.Lines)

	// Decompress-only and gzip reads alternate, so both meet the same load
	// from whatever else runs on the machine.
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	resetPeakRSS()
	dUnzip, dGz := time.Duration(1<<63-1), time.Duration(1<<63-1)
	var cpuUnzip, cpuGz time.Duration
	for range runs {
		c := cpuTime()
		dUnzip = min(dUnzip, best(1, func() { gunzipOnly(t, f.gz) }))
		c2 := cpuTime()
		dGz = min(dGz, best(1, func() { st, _ = readZone(t, f.gz, set) }))
		c3 := cpuTime()
		cpuUnzip, cpuGz = cpuUnzip+c2-c, cpuGz+c3-c2
		if st.Names != int64(f.names) {
			t.Fatalf("gzip: %d names, want %d", st.Names, f.names)
		}
	}
	rss := peakRSS()
	runtime.ReadMemStats(&ms1)
	p("decompress only (klauspost gzip -> io.Discard): %6.2f s  %7.1f MB/s of text  (CPU %.2f s per run)",
		dUnzip.Seconds(), mbps(f.size, dUnzip), cpuUnzip.Seconds()/float64(runs))
	p("gzip read (decompress + parse + lookup):        %6.2f s  ratio to decompress only %.3f  (CPU %.2f s per run)",
		dGz.Seconds(), dGz.Seconds()/dUnzip.Seconds(), cpuGz.Seconds()/float64(runs))
	p("memory during those runs: peak RSS %.1f MiB (whole test process), %.1f MiB allocated per gzip read+decompress pair in %d allocations, heap in use after %.1f MiB",
		float64(rss)/(1<<20), float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(runs)/(1<<20),
		(ms1.Mallocs-ms0.Mallocs)/uint64(runs), float64(ms1.HeapInuse)/(1<<20))

	limit := min(f.size, 32<<20)
	var n int64
	dMiekg := best(1, func() { n, _ = miekgRead(t, f.czds, limit) })
	rate := mbps(n, dMiekg)
	p("miekg/dns ZoneParser: %7.1f MB/s, measured on the first %.1f MB of the CZDS text and scaled: ~%.1f s for the whole file",
		rate, float64(n)/1e6, float64(f.size)/1e6/rate)
}

// BenchmarkParseMemory measures the parser alone on an in-memory copy of
// the zone (no file reads, no lookups), for tuning the hot loops.
func BenchmarkParseMemory(b *testing.B) {
	f := benchZone(b, *benchNames)
	for _, form := range []struct{ name, path string }{{"fast", f.czds}, {"general", f.general}} {
		data, err := os.ReadFile(form.path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(form.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				z := NewReader(bytes.NewReader(data), Options{Apexes: []string{benchTLD}})
				if err := z.Read(context.Background(), func([]byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
