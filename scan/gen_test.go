package scan_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// The benchmark data: a gTLD-like zone in ICANN's zone-file format under
// the apex "test" (gzip-compressed, never written uncompressed) and two
// feeds, URLhaus CSV and OpenPhish, together holding benchURLs URLs of which
// 2% are under names of the zone and the rest in other TLDs. Generated
// once per size into the temporary directory and kept between runs.
//
// Per delegated name: 2 NS records (3 for 8%, 4 for 15%), a DS record for
// 8% (two for a fifth of those), and in-bailiwick name servers with A glue
// (AAAA for a third) for 2%: about 2.52 records a name, as in .com.

const benchApex = "test"

var benchSyllables = strings.Fields(`ka lo mi tech shop best online web net home art bio cloud data my the go pro max
	star sun blue green red city world food auto club life love travel media news smart design group global
	digital studio health realty consult bright nova terra alpha beta zen eco urban north south east west fast
	easy top prime true first one win deal fix hub lab box way zone kit farm fit yoga pet baby gold silver law
	tax job car bike boat fish coffee tea wine beer pizza burger tour hotel event photo video music game play
	sport team fan`)

// benchLabel makes a plausible second-level label: words, words with a
// number, or a random string.
func benchLabel(r *rand.Rand) string {
	var b strings.Builder
	word := func() { b.WriteString(benchSyllables[r.IntN(len(benchSyllables))]) }
	switch k := r.IntN(100); {
	case k < 55:
		word()
		word()
		if r.IntN(5) == 0 {
			word()
		}
	case k < 80:
		word()
		if r.IntN(3) == 0 {
			b.WriteByte('-')
		}
		word()
		b.WriteString(strconv.Itoa(r.IntN(10000)))
	default:
		n := 5 + r.IntN(12)
		for i := range n {
			c := "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
			if i > 0 && i < n-1 && r.IntN(10) == 0 {
				c = '-'
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// benchLabels returns n distinct labels, sorted as a CZDS file is.
func benchLabels(n int) []string {
	r := rand.New(rand.NewPCG(3, 4))
	set := make(map[string]struct{}, n)
	for len(set) < n {
		set[benchLabel(r)] = struct{}{}
	}
	out := make([]string, 0, n)
	for l := range set {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// benchProviders are the DNS hosts the names delegate to, a few popular.
func benchProviders() []string {
	r := rand.New(rand.NewPCG(5, 6))
	tlds := []string{"com", "net", "org", "io", "de"}
	p := make([]string, 3000)
	for i := range p {
		p[i] = benchLabel(r) + "-dns" + strconv.Itoa(i) + "." + tlds[r.IntN(len(tlds))] + "."
	}
	return p
}

type benchData struct {
	dir          string
	zone         string // gzip
	urlhaus      string
	openphish    string
	names        int
	records      int
	textBytes    int64
	urls         int
	matchedURLs  int // URLs under names of the zone
	matchedNames int // distinct (name, feed) pairs they fall under
}

func benchFiles(tb testing.TB, names, urls int) benchData {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "tldguard-scan-bench", fmt.Sprintf("v3-%d-%d", names, urls))
	d := benchData{dir: dir, zone: filepath.Join(dir, "test.zone.gz"), urlhaus: filepath.Join(dir, "urlhaus.csv"),
		openphish: filepath.Join(dir, "openphish.txt"), names: names, urls: urls}
	meta := filepath.Join(dir, "meta")
	if b, err := os.ReadFile(meta); err == nil {
		if _, err := fmt.Sscan(string(b), &d.records, &d.textBytes, &d.matchedURLs, &d.matchedNames); err == nil {
			return d
		}
	}
	tb.Logf("generating %d names and %d feed URLs in %s (once)", names, urls, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	records, text, sample, err := writeBenchZone(d.zone, names)
	if err != nil {
		tb.Fatal(err)
	}
	d.records, d.textBytes = records, text
	if d.matchedURLs, d.matchedNames, err = writeBenchFeeds(d, sample); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(meta, fmt.Appendf(nil, "%d %d %d %d", d.records, d.textBytes, d.matchedURLs, d.matchedNames), 0o644); err != nil {
		tb.Fatal(err)
	}
	return d
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeBenchZone writes the zone and returns, besides its counts, every
// 250th name, for the feeds to point at.
func writeBenchZone(path string, names int) (records int, text int64, sample []string, err error) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	gz, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return 0, 0, nil, err
	}
	cw := &countWriter{w: gz}
	w := bufio.NewWriterSize(cw, 1<<20)
	r := rand.New(rand.NewPCG(11, 12))
	providers := benchProviders()
	apex := benchApex + "."
	fmt.Fprintf(w, "%s\t900\tin\tsoa\ta.nic.%s\tnoc.nic.%s\t1732700000 1800 900 604800 86400\n", apex, apex, apex)
	records++
	for _, ns := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(w, "%s\t172800\tin\tns\t%s.nic.%s\n", apex, ns, apex)
		records++
	}
	const hex = "0123456789abcdef"
	var dig [64]byte
	for i, label := range benchLabels(names) {
		owner := label + "." + apex
		if i%250 == 0 {
			sample = append(sample, label)
		}
		nns := 2
		switch k := r.IntN(100); {
		case k < 8:
			nns = 3
		case k < 23:
			nns = 4
		}
		glue := r.IntN(100) < 2
		u := r.Float64()
		p := providers[int(float64(len(providers))*u*u*u)]
		for j := range nns {
			w.WriteString(owner)
			w.WriteString("\t172800\tin\tns\tns")
			w.WriteString(strconv.Itoa(j + 1))
			w.WriteByte('.')
			if glue {
				w.WriteString(owner)
			} else {
				w.WriteString(p)
			}
			w.WriteByte('\n')
			records++
		}
		if r.IntN(100) < 8 {
			nds := 1
			if r.IntN(5) == 0 {
				nds = 2
			}
			for range nds {
				for k := range dig {
					dig[k] = hex[r.IntN(16)]
				}
				fmt.Fprintf(w, "%s\t86400\tin\tds\t%d 13 2 %s\n", owner, r.IntN(65536), dig[:])
				records++
			}
		}
		if glue {
			for j := range nns {
				fmt.Fprintf(w, "ns%d.%s\t172800\tin\ta\t%d.%d.%d.%d\n", j+1, owner, 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
				records++
				if r.IntN(3) == 0 {
					fmt.Fprintf(w, "ns%d.%s\t172800\tin\taaaa\t2001:db8:%x:%x::%x\n", j+1, owner, r.IntN(65536), r.IntN(65536), 1+r.IntN(65535))
					records++
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		return 0, 0, nil, err
	}
	if err := gz.Close(); err != nil {
		return 0, 0, nil, err
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, nil, err
	}
	return records, cw.n, sample, os.Rename(path+".tmp", path)
}

// writeBenchFeeds writes half the URLs as URLhaus CSV and half as an
// OpenPhish list; 2% of them are under names of the zone (of the sample).
func writeBenchFeeds(d benchData, sample []string) (matchedURLs, matchedNames int, err error) {
	r := rand.New(rand.NewPCG(21, 22))
	others := []string{"com", "net", "org", "info", "xyz", "top", "ru", "cn", "de", "br", "online", "site"}
	uf, err := os.Create(d.urlhaus)
	if err != nil {
		return 0, 0, err
	}
	defer uf.Close()
	of, err := os.Create(d.openphish)
	if err != nil {
		return 0, 0, err
	}
	defer of.Close()
	u := bufio.NewWriterSize(uf, 1<<20)
	o := bufio.NewWriterSize(of, 1<<20)
	u.WriteString("################################################################\n# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #\n################################################################\n")
	u.WriteString("# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n")
	pairs := map[string]bool{}
	for i := range d.urls {
		var url string
		if i%100 == 0 || i%100 == 51 { // 2%, half in each feed
			name := sample[r.IntN(len(sample))]
			pairs[name+"/"+strconv.Itoa(i%2)] = true
			matchedURLs++
			host := name + "." + benchApex
			switch r.IntN(4) {
			case 0:
				host = "www." + host
			case 1:
				host = "login.secure." + strings.ToUpper(host)
			}
			url = fmt.Sprintf("http://%s/wp-content/%x/index.php", host, r.Uint32())
		} else {
			url = fmt.Sprintf("https://%s%d.%s/%x/login", benchSyllables[r.IntN(len(benchSyllables))], r.IntN(1000000), others[r.IntN(len(others))], r.Uint32())
		}
		if i%2 == 0 {
			fmt.Fprintf(u, "\"%d\",\"2026-11-20 10:00:00\",\"%s\",\"online\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/%d/\",\"r\"\n", i, url, i)
		} else {
			o.WriteString(url)
			o.WriteByte('\n')
		}
	}
	if err := u.Flush(); err != nil {
		return 0, 0, err
	}
	return matchedURLs, len(pairs), o.Flush()
}
