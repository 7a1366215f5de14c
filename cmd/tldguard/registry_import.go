package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// registryImport: "registry import --tld T --zone FILE [--registrations
// FILE.csv] [--registrars FILE.csv] [--replace]" loads the embedded
// registry from the TLD's zone file (CZDS or any master file, plain or
// gzip) and CSV exports of the registry's data. Every file is read and
// checked before anything is written; any problem imports nothing and is
// printed with its file and line.
func registryImport(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var tld, zoneFile, regFile, registrarFile string
	var replace bool
	fs := newFlags("registry import", errOut)
	f.register(fs)
	fs.StringVar(&tld, "tld", "", "the TLD to load (configured with tldguard tld add)")
	fs.StringVar(&zoneFile, "zone", "", "the TLD's zone file, plain or gzip: its delegations are the registered names and their name servers")
	fs.StringVar(&regFile, "registrations", "", "CSV with a header row: name, registrar_id, created (RFC 3339 or YYYY-MM-DD), optional statuses (EPP, space- or semicolon-separated; default ok), optional updated")
	fs.StringVar(&registrarFile, "registrars", "", "CSV with a header row: id, name, optional abuse_email, optional abuse_phone")
	fs.BoolVar(&replace, "replace", false, "replace the stored registration of names that are registered already (without it, such names refuse the import)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if tld == "" || zoneFile == "" {
		return usagef("--tld and --zone are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		tlds, err := s.TLDs(ctx)
		if err != nil {
			return err
		}
		known, err := s.Registrars(ctx)
		if err != nil {
			return err
		}
		imp, err := localregistry.NewImport(tld, tlds, known)
		if err != nil {
			return err
		}
		p := newLoadProgress(errOut)
		defer p.finish()
		if registrarFile != "" {
			if err := readInput(registrarFile, p, func(r io.Reader) error { return imp.ReadRegistrars(r, registrarFile) }); err != nil {
				return err
			}
		}
		err = readInput(zoneFile, p, func(r io.Reader) error {
			return imp.ReadZone(ctx, r, zoneFile, func(n int) { p.show("reading %s: %s names", zoneFile, count(int64(n))) })
		})
		if err != nil {
			return err
		}
		if regFile != "" {
			err := readInput(regFile, p, func(r io.Reader) error {
				return imp.ReadRegistrations(r, regFile, func(n int) { p.show("reading %s: %s rows", regFile, count(int64(n))) })
			})
			if err != nil {
				return err
			}
		}
		sum, err := imp.Merge()
		if err != nil {
			return &tldguard.Error{Kind: tldguard.EINVALID, Message: "nothing was imported: " + tldguard.ErrorMessage(err)}
		}
		names := imp.Names()
		res, err := s.LoadRegistry(ctx, service.RegistryLoad{
			TLD: imp.TLD(), Registrars: imp.Registrars(), Names: names, Registration: imp.Registration, Replace: replace,
			Progress: func(n int) { p.show("writing: %s of %s names", count(int64(n)), count(int64(len(names)))) },
		})
		p.finish()
		if res == nil {
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
				return &tldguard.Error{Kind: tldguard.ECONFLICT, Message: "nothing was imported: " + tldguard.ErrorMessage(err) + ": use --replace to replace them"}
			}
			return err
		}
		printLoad(out, errOut, sum, res, len(names), regFile)
		if err != nil {
			return fmt.Errorf("the import stopped after %s of %s names: %s", count(int64(res.Written)), count(int64(len(names))), describe(err))
		}
		return nil
	})
}

// readInput opens a file for one of the readers; the progress line shows
// how far through the file the read is.
func readInput(path string, p *loadProgress, read func(io.Reader) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var size int64
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	p.file(size)
	return read(&progressReader{r: fh, n: &p.bytes})
}

// printLoad prints the summary on out and what the operator should know
// on errOut.
func printLoad(out, errOut io.Writer, sum *localregistry.Summary, res *service.RegistryLoadResult, total int, regFile string) {
	batches := "batches"
	if res.Batches == 1 {
		batches = "batch"
	}
	fmt.Fprintf(out, "imported %s names into %s in %d %s\n", count(int64(res.Written)), sum.TLD, res.Batches, batches)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  names from the zone\t%s\n", count(int64(sum.Delegated)))
	fmt.Fprintf(tw, "  names from the CSV only\t%s\t(registered, not in the zone)\n", count(int64(sum.CSVOnly)))
	fmt.Fprintf(tw, "  zone names without a CSV row\t%s\t(imported without a registrar)\n", count(int64(sum.NoRow)))
	fmt.Fprintf(tw, "  names replaced\t%s\n", count(int64(res.Replaced)))
	fmt.Fprintf(tw, "  registrars\t%s\t(%s new)\n", count(int64(res.Registrars)), count(int64(res.NewRegistrars)))
	tw.Flush()

	warn := func(format string, args ...any) { fmt.Fprintf(errOut, "warning: "+format+"\n", args...) }
	switch {
	case sum.NoRow > 0 && regFile == "":
		warn("without --registrations, %s of the zone %s no registrar", nameCount(sum.NoRow), plural(sum.NoRow, "has", "have"))
	case sum.NoRow > 0:
		warn("%s of the zone %s no row in %s and no registrar (the first is %s)", nameCount(sum.NoRow), plural(sum.NoRow, "has", "have"), regFile, sum.FirstNoRow)
	}
	if sum.Unpublished > 0 {
		warn("%s in the zone %s statuses that keep them out of it (the first is %s)", nameCount(sum.Unpublished), plural(sum.Unpublished, "has", "have"), sum.FirstUnpublished)
	}
	if sum.OtherTLD > 0 {
		warn("skipped the delegations of %s in another of the operator's TLDs (the first is %s)", nameCount(sum.OtherTLD), sum.FirstOtherTLD)
	}
	if sum.Deeper > 0 {
		warn("skipped the delegations of %s below a registered name (the first is %s)", nameCount(sum.Deeper), sum.FirstDeeper)
	}
	if sum.OutOfZone > 0 {
		warn("ignored %s records of the zone outside %s", count(sum.OutOfZone), sum.TLD)
	}
	if n := len(res.Kept); n > 0 {
		shown := strings.Join(res.Kept[:min(n, 5)], ", ")
		if n > 5 {
			shown += ", ..."
		}
		warn("left %s as %s: a hold, lock, redirect, transfer or deletion by tldguard still stands (%s)", nameCount(n), plural(n, "it was", "they were"), shown)
	}
	if res.Stale > 0 {
		warn("%s of %s in the embedded registry %s in none of the files and %s kept (the first is %s)",
			nameCount(res.Stale), sum.TLD, plural(res.Stale, "is", "are"), plural(res.Stale, "was", "were"), res.FirstStale)
	}
	if res.Written < total-len(res.Kept) {
		warn("only %s of %s were written", count(int64(res.Written)), nameCount(total))
	}
}

// nameCount says "1 name" or "2,504 names".
func nameCount(n int) string {
	if n == 1 {
		return "1 name"
	}
	return count(int64(n)) + " names"
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// loadProgress shows, on stderr, how far a long import is: on a terminal
// one line that keeps changing, elsewhere a line every 10 seconds.
type loadProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	open  bool
	size  int64
	bytes atomic.Int64
}

func newLoadProgress(w io.Writer) *loadProgress {
	return &loadProgress{w: w, tty: isTerminal(w), start: time.Now()}
}

// file starts a new input of size bytes (0 when unknown).
func (p *loadProgress) file(size int64) {
	p.size = size
	p.bytes.Store(0)
}

func (p *loadProgress) show(format string, args ...any) {
	every := 10 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	now := time.Now()
	if now.Sub(p.start) < time.Second || now.Sub(p.last) < every {
		return
	}
	p.last = now
	line := fmt.Sprintf(format, args...)
	if n := p.bytes.Load(); p.size > 0 && n <= p.size && !strings.HasPrefix(line, "writing") {
		line += fmt.Sprintf(" (%d%%)", 100*n/p.size)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.open = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *loadProgress) finish() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// progressReader counts the bytes read from a file; the zone reader
// decompresses on a goroutine of its own, so the count is atomic.
type progressReader struct {
	r io.Reader
	n *atomic.Int64
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.n.Add(int64(n))
	return n, err
}
