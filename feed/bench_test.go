package feed

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchCSV  []byte
)

// urlhausMillion builds a URLhaus-style dump of 1,000,000 URLs: a mix of
// name and IP hosts, ports, paths and tags, as the real dump carries.
func urlhausMillion() []byte {
	benchOnce.Do(func() {
		var b bytes.Buffer
		b.Grow(200 << 20)
		b.WriteString("################################################################\n")
		b.WriteString("# abuse.ch URLhaus Database Dump (CSV - all URLs)             #\n")
		b.WriteString("################################################################\n")
		b.WriteString("# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n")
		for i := range 1_000_000 {
			var url string
			switch i % 10 {
			case 0, 1:
				url = fmt.Sprintf("http://192.0.%d.%d:%d/bins/mozi.m", i%256, (i/256)%256, 30000+i%30000)
			case 2:
				url = fmt.Sprintf("https://cdn%d.files-share.example/dl/%08x/Invoice.zip", i%997, i)
			case 3:
				url = fmt.Sprintf("http://wp%d.compromised-blog.test/wp-content/uploads/2026/11/%d.js", i, i%31)
			default:
				url = fmt.Sprintf("http://malware-drop-%d.example/payload-%d.exe", i, i%7)
			}
			fmt.Fprintf(&b, "\"%d\",\"2026-11-20 10:%02d:%02d\",\"%s\",\"online\",\"\",\"malware_download\",\"exe,Mozi\",\"https://urlhaus.abuse.ch/url/%d/\",\"reporter%d\"\n",
				3000000+i, i%60, i%59, url, 3000000+i, i%13)
		}
		benchCSV = b.Bytes()
	})
	return benchCSV
}

// BenchmarkURLhaus1M reads a generated 1,000,000-URL URLhaus dump and
// reports MB/s (from SetBytes), entries/s (name entries delivered) and
// rows/s (all URLs, IP hosts included).
func BenchmarkURLhaus1M(b *testing.B) {
	data := urlhausMillion()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var entries, rows int
	for b.Loop() {
		st, err := ReadURLhaus(bytes.NewReader(data), Limits{}, func(Entry) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if st.Entries+st.SkippedIP != 1_000_000 {
			b.Fatalf("read %d entries and %d IPs", st.Entries, st.SkippedIP)
		}
		entries += st.Entries
		rows += st.Records
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// rowSource generates URLhaus rows on the fly, so the input never exists
// whole in memory.
type rowSource struct {
	n, max int
	buf    []byte
}

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.n < s.max {
		if s.n == 0 {
			s.buf = append(s.buf, "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"...)
		}
		s.buf = fmt.Appendf(s.buf, "\"%d\",\"2026-11-20 10:00:00\",\"http://drop-%d.example/a.exe\",\"online\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/%d/\",\"r\"\n", s.n, s.n, s.n)
		s.n++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

// TestStreamingMemory reads 300,000 rows (about 45 MB) and checks that the
// live heap stays small throughout: memory does not grow with the file.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 45 MB")
	}
	var peak uint64
	var ms runtime.MemStats
	st, err := ReadURLhaus(&rowSource{max: 300_000}, Limits{}, func(e Entry) error {
		if e.Line%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil || st.Entries != 300_000 {
		t.Fatalf("%v, %d entries", err, st.Entries)
	}
	if st.Bytes < 40<<20 {
		t.Fatalf("read only %d bytes", st.Bytes)
	}
	if peak > 8<<20 {
		t.Errorf("live heap reached %d bytes reading %d bytes", peak, st.Bytes)
	}
	t.Logf("read %d bytes, peak live heap %d bytes", st.Bytes, peak)
}
