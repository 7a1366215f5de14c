package zone

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

// The benchmark zone: a deterministic gTLD-like zone in the CZDS shape,
// generated once per size and kept in the temporary directory between
// runs. Per delegated name: 2 NS records (3 for 5%, 4 for 15%), 1 DS for
// 8% (2 for a fifth of those), and for 2% in-bailiwick name servers with A
// glue (and AAAA for 30% of those), emitted in DNS canonical order after
// their parent. The same content is also written in general master-file
// form: $ORIGIN, relative and blank owners, mixed case, class before TTL,
// TTLs left out.

const benchTLD = "test"

type benchFiles struct {
	dir      string
	czds     string // CZDS form
	general  string // the same records in general form
	gz       string // czds, gzip-compressed
	names    int    // delegated names
	records  int
	size     int64
	generals int64
}

var syllables = strings.Fields(`ka lo mi tech shop best online web net home art bio cloud
	data my the go pro max star sun blue green red city world food auto club life love
	travel media news smart design group global digital studio health realty consult
	bright nova terra alpha beta zen eco urban north south east west fast easy top
	prime true first one win deal fix hub lab box way zone kit farm fit yoga pet baby
	gold silver law tax job car bike boat fish coffee tea wine beer pizza burger tour
	hotel event photo video music game play sport team fan`)

var providers = func() []string {
	r := rand.New(rand.NewPCG(7, 7))
	tlds := []string{"com", "net", "org", "io", "de"}
	p := make([]string, 3000)
	for i := range p {
		p[i] = label(r) + "dns" + strconv.Itoa(i) + "." + tlds[r.IntN(len(tlds))]
	}
	return p
}()

// label makes a plausible second-level label.
func label(r *rand.Rand) string {
	var b strings.Builder
	switch k := r.IntN(100); {
	case k < 60:
		b.WriteString(syllables[r.IntN(len(syllables))])
		b.WriteString(syllables[r.IntN(len(syllables))])
	case k < 85:
		b.WriteString(syllables[r.IntN(len(syllables))])
		b.WriteString(syllables[r.IntN(len(syllables))])
		b.WriteString(strconv.Itoa(r.IntN(1000)))
	default:
		n := 4 + r.IntN(14)
		for i := range n {
			c := "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
			if i > 0 && i < n-1 && r.IntN(12) == 0 {
				c = '-'
			}
			b.WriteByte(c)
		}
	}
	if r.IntN(5) == 0 {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	return b.String()
}

// benchZone returns the benchmark files for n names, generating them once.
func benchZone(tb testing.TB, n int) benchFiles {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "tldguard-zone-bench", "v2-"+strconv.Itoa(n))
	f := benchFiles{dir: dir, czds: filepath.Join(dir, "zone.txt"), general: filepath.Join(dir, "general.txt"),
		gz: filepath.Join(dir, "zone.txt.gz"), names: n}
	meta := filepath.Join(dir, "meta")
	if b, err := os.ReadFile(meta); err == nil {
		if _, err := fmt.Sscan(string(b), &f.records); err == nil {
			f.size = fileSize(tb, f.czds)
			f.generals = fileSize(tb, f.general)
			return f
		}
	}
	tb.Logf("generating the benchmark zone of %d names in %s (once)", n, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	recs, err := writeBenchZone(f)
	if err != nil {
		tb.Fatal(err)
	}
	if err := gzipFile(f.czds, f.gz); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(meta, []byte(strconv.Itoa(recs)), 0o644); err != nil {
		tb.Fatal(err)
	}
	f.records = recs
	f.size = fileSize(tb, f.czds)
	f.generals = fileSize(tb, f.general)
	return f
}

func fileSize(tb testing.TB, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

func writeBenchZone(f benchFiles) (int, error) {
	r := rand.New(rand.NewPCG(1, 2))
	set := make(map[string]struct{}, f.names)
	for len(set) < f.names {
		set[label(r)] = struct{}{}
	}
	names := make([]string, 0, len(set))
	for s := range set {
		names = append(names, s)
	}
	clear(set)
	slices.Sort(names)

	cf, err := os.Create(f.czds + ".tmp")
	if err != nil {
		return 0, err
	}
	defer cf.Close()
	gf, err := os.Create(f.general + ".tmp")
	if err != nil {
		return 0, err
	}
	defer gf.Close()
	c := bufio.NewWriterSize(cf, 1<<20)
	g := bufio.NewWriterSize(gf, 1<<20)
	recs := 0
	tld := benchTLD + "."
	fmt.Fprintf(c, "%s\t900\tin\tsoa\ta.nic.%s\tnoc.nic.%s\t1700000000 1800 900 604800 86400\n", tld, tld, tld)
	fmt.Fprintf(g, "$ORIGIN %s\n$TTL 86400\n@ 900 IN SOA a.nic noc.nic ( 1700000000 ; serial\n\t1800 900 604800 86400 )\n", tld)
	recs++
	for _, ns := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(c, "%s\t172800\tin\tns\t%s.nic.%s\n", tld, ns, tld)
		fmt.Fprintf(g, "\t172800\tIN\tNS\t%s.NIC\n", ns)
		recs++
	}
	hexd := "0123456789ABCDEF"
	var dig [64]byte
	for i, name := range names {
		owner := name + "." + tld
		gowner := name
		switch i % 3 {
		case 0:
			gowner = strings.ToUpper(name[:1]) + name[1:]
		case 1:
			gowner = strings.ToUpper(name)
		}
		nns := 2
		switch k := r.IntN(100); {
		case k < 5:
			nns = 3
		case k < 20:
			nns = 4
		}
		inzone := r.IntN(100) < 2
		p := providers[int(float64(len(providers))*r.Float64()*r.Float64()*r.Float64())]
		for j := range nns {
			target := "ns" + strconv.Itoa(j+1) + "." + p + "."
			gtarget := target
			if inzone {
				target = "ns" + strconv.Itoa(j+1) + "." + owner
				gtarget = "ns" + strconv.Itoa(j+1) + "." + gowner
			}
			fmt.Fprintf(c, "%s\t172800\tin\tns\t%s\n", owner, target)
			if j == 0 {
				fmt.Fprintf(g, "%s\t172800\tIN\tNS\t%s\n", gowner, gtarget)
			} else {
				fmt.Fprintf(g, "\t172800\tIN\tns\t%s\n", gtarget)
			}
			recs++
		}
		if r.IntN(100) < 8 {
			nds := 1
			if r.IntN(5) == 0 {
				nds = 2
			}
			for range nds {
				for k := range dig {
					dig[k] = hexd[r.IntN(16)]
				}
				tag := r.IntN(65536)
				fmt.Fprintf(c, "%s\t86400\tin\tds\t%d 13 2 %s\n", owner, tag, dig[:])
				fmt.Fprintf(g, "\tIN 86400\tDS\t%d 13 2 %s\n", tag, dig[:])
				recs++
			}
		}
		if inzone {
			for j := range nns {
				host := "ns" + strconv.Itoa(j+1) + "." + owner
				ghost := "ns" + strconv.Itoa(j+1) + "." + gowner
				a := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
				fmt.Fprintf(c, "%s\t172800\tin\ta\t%s\n", host, a)
				fmt.Fprintf(g, "%s\tA\t%s\n", ghost, a)
				recs++
				if r.IntN(100) < 30 {
					a6 := fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(65536), r.IntN(65536), 1+r.IntN(65535))
					fmt.Fprintf(c, "%s\t172800\tin\taaaa\t%s\n", host, a6)
					fmt.Fprintf(g, "\t172800\tAAAA\t%s\n", a6)
					recs++
				}
			}
		}
	}
	if err := c.Flush(); err != nil {
		return 0, err
	}
	if err := g.Flush(); err != nil {
		return 0, err
	}
	if err := os.Rename(f.czds+".tmp", f.czds); err != nil {
		return 0, err
	}
	return recs, os.Rename(f.general+".tmp", f.general)
}

func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst + ".tmp")
	if err != nil {
		return err
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	if _, err := io.Copy(gz, in); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return os.Rename(dst+".tmp", dst)
}
