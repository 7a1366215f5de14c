package localregistry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/zone"
)

// maxProblems is how many problems an import keeps to show; it counts
// them all.
const maxProblems = 20

// Import gathers one TLD's registration data for the embedded registry
// from a zone file (the registered names and their name servers) and CSV
// files (registrars; each name's registrar, creation date and statuses),
// and checks all of it before anything is written: every problem in every
// file is collected, with its file and line, and Merge reports them
// together. A caller writes nothing unless Merge succeeds.
//
// The registrars file, when there is one, is read before the
// registrations file, whose registrar ids must be in it or among the
// registrars already stored.
//
// The zone and the CSV files are read as streams, but the import keeps
// a map of every registered name to a 40-byte entry (the name servers,
// statuses and registrar ids are held once for all the names that have
// the same). A million names take about 180 MB of heap, and the whole
// import of them peaks at about 400 MB: the embedded registry is for TLDs
// up to that order, whose registries export their data to it.
type Import struct {
	tld      string
	suffixes *dnsname.Suffixes
	tlds     map[string]bool

	names      map[string]entry
	sorted     []string
	registrars map[string]*RegistrarRow // from the registrars file
	known      map[string]bool          // registrar ids already stored

	hosts map[string]string // name servers as the zone gives them to their normal form
	lists [][]string        // name-server and status lists, by entry index; 0 is none
	listN map[string]uint32 // a list (joined) to its index
	ids   []string          // registrar ids, by entry index; 0 is none
	idN   map[string]uint32

	problems []error
	nprob    int
	sum      Summary
}

// entry is what the import knows of one name, small because there may be
// millions: lists and ids are indexes into the import's tables.
type entry struct {
	created, updated int64  // Unix microseconds (see micros)
	csvLine          int64  // 0 when the name has no CSV row
	ns               uint32 // sorted name servers; 0 when the zone does not delegate the name
	statuses         uint32 // 0 when the name has no CSV row
	registrar        uint32
}

// micros and fromMicros keep a time in an entry; the zero time survives.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Summary counts what an import holds.
type Summary struct {
	TLD        string
	ZoneSerial uint32
	// Delegated is the number of names the zone delegates; CSVOnly the
	// names only the registrations file has (not published: on hold,
	// without name servers, being deleted); NoRow the delegated names
	// without a row in it, imported without a registrar and with status ok.
	Delegated, CSVOnly, NoRow int
	// Unpublished counts delegated names whose statuses keep them out of
	// the zone (a hold, a pending deletion): the zone and the data
	// disagree, and the zone tldguard writes will leave them out.
	Unpublished int
	Registrars  int // rows of the registrars file
	// OtherTLD counts delegations of names in another of the operator's
	// TLDs (a zone that delegates "co.example" within "example"), Deeper
	// those of names below a registered name; neither is imported.
	OtherTLD, Deeper int
	// OutOfZone counts the zone's records outside the TLD.
	OutOfZone int64
	// First examples, for messages.
	FirstNoRow, FirstUnpublished, FirstOtherTLD, FirstDeeper string
}

// NewImport starts an import into tld, one of the operator's TLDs (tlds),
// with the ids of the registrars already stored (known). The error is an
// EINVALID or EUNPROCESSABLE *tldguard.Error when tld is not a valid name
// or not one of tlds.
func NewImport(tld string, tlds []string, known []*tldguard.Registrar) (*Import, error) {
	t, err := dnsname.Normalize(strings.TrimPrefix(strings.TrimSpace(tld), "."))
	if err != nil {
		return nil, err
	}
	suffixes, err := dnsname.NewSuffixes(tlds)
	if err != nil {
		return nil, err
	}
	im := &Import{tld: t, suffixes: suffixes, tlds: map[string]bool{}, names: map[string]entry{},
		registrars: map[string]*RegistrarRow{}, known: map[string]bool{},
		hosts: map[string]string{}, lists: [][]string{nil}, listN: map[string]uint32{}, ids: []string{""}, idN: map[string]uint32{}}
	for _, x := range suffixes.TLDs() {
		im.tlds[x] = true
	}
	if !im.tlds[t] {
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "%q is not one of the operator's TLDs (%s)", t, suffixes)
	}
	for _, r := range known {
		im.known[r.ID] = true
	}
	im.sum.TLD = t
	return im, nil
}

// TLD returns the normalised TLD the import is for.
func (im *Import) TLD() string { return im.tld }

// problem records a problem found in a file.
func (im *Import) problem(err error) {
	im.nprob++
	if len(im.problems) < maxProblems {
		im.problems = append(im.problems, err)
	}
}

// fileProblem records err, a problem on a line of file.
func (im *Import) fileProblem(file string, err error) {
	var e *tldguard.Error
	if errors.As(err, &e) && e.Kind != tldguard.EINTERNAL {
		c := *e
		c.Field = strings.TrimSpace(file + " " + c.Field)
		err = &c
	}
	im.problem(err)
}

// list returns the index of a list, adding it to the table when new.
func (im *Import) list(l []string) uint32 {
	key := strings.Join(l, " ")
	if i, ok := im.listN[key]; ok {
		return i
	}
	i := uint32(len(im.lists))
	im.lists = append(im.lists, slices.Clone(l))
	im.listN[key] = i
	return i
}

// id returns the index of a registrar id, adding it when new.
func (im *Import) id(s string) uint32 {
	if i, ok := im.idN[s]; ok {
		return i
	}
	i := uint32(len(im.ids))
	s = strings.Clone(s)
	im.ids = append(im.ids, s)
	im.idN[s] = i
	return i
}

// fatal tells the errors that end a read (I/O, cancellation, a caller's
// error) from problems with the input.
func fatal(err error) bool {
	var e *tldguard.Error
	return !errors.As(err, &e) || e.Kind == tldguard.EINTERNAL
}

// ReadZone reads the TLD's zone (plain or gzip; see package zone) and
// takes the names it delegates, with their name servers. Every delegated
// name must be a name registered directly under the TLD, and every name
// server a valid host name; bad lines and bad names are problems for
// Merge. A zone without the TLD's SOA record is a problem too: it is
// likely another TLD's. progress, when set, is called now and then with
// the number of names taken so far. The error is for the read itself:
// I/O (EINTERNAL) or ctx ending.
func (im *Import) ReadZone(ctx context.Context, r io.Reader, file string, progress func(names int)) error {
	z := zone.NewReader(r, zone.Options{Name: file, Apexes: []string{im.tld},
		OnError: func(_ int64, err error) { im.problem(err) }})
	var (
		owner []byte // the owner of the NS records at hand
		name  string
		take  bool
		ns    []string
	)
	flush := func() {
		if take && len(ns) > 0 {
			im.addDelegation(name, ns)
		}
		ns = ns[:0]
	}
	n := 0
	err := z.Records(ctx, func(rec zone.Record) error {
		if rec.Type != zone.TypeNS || !rec.Below {
			return nil
		}
		if !bytes.Equal(rec.Owner, owner) {
			flush()
			owner = append(owner[:0], rec.Owner...)
			name, take = im.zoneName(file, rec.Line, string(rec.Owner[:len(rec.Owner)-1]))
			if n++; progress != nil && n%8192 == 0 {
				progress(len(im.names))
			}
		}
		if !take {
			return nil
		}
		host, ok := im.hosts[string(rec.Data)] // most names share a few hosts
		if !ok {
			h, err := dnsname.Normalize(string(rec.Data))
			if err != nil {
				im.problem(tldguard.FieldErrorf(tldguard.EINVALID, fmt.Sprintf("%s line %d", file, rec.Line),
					"name server of %s: %s", name, tldguard.ErrorMessage(err)))
				return nil
			}
			host = h
			im.hosts[string(rec.Data)] = host
		}
		ns = append(ns, host)
		return nil
	})
	flush()
	st := z.Stats()
	im.sum.OutOfZone += st.OutOfZone
	if err != nil {
		if fatal(err) {
			return err
		}
		im.problem(err)
		return nil
	}
	serial, ok := st.Serials[im.tld]
	if !ok {
		im.problem(tldguard.FieldErrorf(tldguard.EINVALID, file, "no SOA record for %s: is this the zone of %s?", im.tld, im.tld))
	}
	im.sum.ZoneSerial = serial
	if progress != nil {
		progress(len(im.names))
	}
	return nil
}

// zoneName checks a delegated name and says whether to take it.
func (im *Import) zoneName(file string, line int64, owner string) (string, bool) {
	field := fmt.Sprintf("%s line %d", file, line)
	n, err := dnsname.Normalize(owner)
	if err != nil {
		im.problem(tldguard.FieldErrorf(tldguard.EINVALID, field, "delegated name %s", tldguard.ErrorMessage(err)))
		return "", false
	}
	if n != owner {
		im.problem(tldguard.FieldErrorf(tldguard.EINVALID, field, "delegated name %q is not in its normal form %q", owner, n))
		return "", false
	}
	reg, tld, err := im.suffixes.Registered(n)
	switch {
	case err != nil && im.tlds[n], err == nil && tld != im.tld:
		if im.sum.OtherTLD++; im.sum.FirstOtherTLD == "" {
			im.sum.FirstOtherTLD = n
		}
		return "", false
	case err != nil:
		im.problem(tldguard.FieldErrorf(tldguard.EINVALID, field, "delegated name: %s", tldguard.ErrorMessage(err)))
		return "", false
	case reg != n:
		if im.sum.Deeper++; im.sum.FirstDeeper == "" {
			im.sum.FirstDeeper = n
		}
		return "", false
	}
	return n, true
}

// addDelegation adds a name's name servers. The zone may list a name's
// NS records in more than one place; they add up.
func (im *Import) addDelegation(name string, ns []string) {
	e := im.names[name]
	all := append(slices.Clone(im.lists[e.ns]), ns...)
	slices.Sort(all)
	e.ns = im.list(slices.Compact(all))
	im.names[name] = e
}

// ReadRegistrars reads a registrars CSV (see the package function
// ReadRegistrars). A registrar id given twice is a problem. Problems are
// for Merge; the error is an I/O error (EINTERNAL).
func (im *Import) ReadRegistrars(r io.Reader, file string) error {
	err := ReadRegistrars(r, func(row *RegistrarRow, err error) error {
		if err != nil {
			im.fileProblem(file, err)
			return nil
		}
		if prev, dup := im.registrars[row.Registrar.ID]; dup {
			im.fileProblem(file, lineError(row.Line, "registrar %s is on line %d already", row.Registrar.ID, prev.Line))
			return nil
		}
		c := *row
		im.registrars[c.Registrar.ID] = &c
		im.sum.Registrars++
		return nil
	})
	if err != nil && !fatal(err) {
		im.fileProblem(file, err)
		return nil
	}
	return err
}

// ReadRegistrations reads a registrations CSV (see the package function
// ReadRegistrations) and merges each row with the zone's name of the same
// name. A name outside the TLD or below a registered name, a name given
// twice, and a registrar id neither in the registrars file nor stored are
// problems. progress, when set, is called now and then with the rows read.
// Problems are for Merge; the error is an I/O error (EINTERNAL).
func (im *Import) ReadRegistrations(r io.Reader, file string, progress func(rows int)) error {
	rows := 0
	err := ReadRegistrations(r, func(row *RegistrationRow, err error) error {
		if rows++; progress != nil && rows%8192 == 0 {
			progress(rows)
		}
		if err != nil {
			im.fileProblem(file, err)
			return nil
		}
		if msg := im.csvName(row.Name); msg != "" {
			im.fileProblem(file, lineError(row.Line, "%s", msg))
			return nil
		}
		e := im.names[row.Name]
		if e.csvLine != 0 {
			im.fileProblem(file, lineError(row.Line, "%s is on line %d already", row.Name, e.csvLine))
			return nil
		}
		if _, listed := im.registrars[row.RegistrarID]; !listed && !im.known[row.RegistrarID] {
			where := "the registrar table"
			if len(im.registrars) > 0 {
				where = "the registrars file or the registrar table"
			}
			im.fileProblem(file, lineError(row.Line, "registrar %s of %s is not in %s", row.RegistrarID, row.Name, where))
			return nil
		}
		e.registrar = im.id(row.RegistrarID)
		slices.Sort(row.Statuses)
		e.statuses = im.list(row.Statuses)
		e.created, e.updated, e.csvLine = micros(row.Created), micros(row.Updated), row.Line
		im.names[row.Name] = e
		return nil
	})
	if progress != nil {
		progress(rows)
	}
	if err != nil && !fatal(err) {
		im.fileProblem(file, err)
		return nil
	}
	return err
}

// csvName says why a name of the registrations file cannot be imported
// into the TLD, or "".
func (im *Import) csvName(name string) string {
	if !strings.HasSuffix(name, "."+im.tld) {
		return fmt.Sprintf("%s is not in %s", name, im.tld)
	}
	reg, tld, err := im.suffixes.Registered(name)
	switch {
	case err != nil:
		return tldguard.ErrorMessage(err)
	case tld != im.tld:
		return fmt.Sprintf("%s is in %s, another TLD: import it with that TLD", name, tld)
	case reg != name:
		return fmt.Sprintf("%s is not a registered name: it is below %s", name, reg)
	}
	return ""
}

// Merge finishes the import: it counts what the files hold and, when any
// file had a problem, returns them all in one EINVALID *tldguard.Error
// (the first 20, each naming its file and line, and how many more).
func (im *Import) Merge() (*Summary, error) {
	s := im.sum
	s.Delegated, s.CSVOnly, s.NoRow, s.Unpublished = 0, 0, 0, 0
	for _, name := range im.Names() {
		e := im.names[name]
		switch {
		case e.ns != 0 && e.csvLine == 0:
			s.Delegated++
			if s.NoRow++; s.FirstNoRow == "" {
				s.FirstNoRow = name
			}
		case e.ns != 0:
			s.Delegated++
			if !inZone(im.Registration(name)) {
				if s.Unpublished++; s.FirstUnpublished == "" {
					s.FirstUnpublished = name
				}
			}
		default:
			s.CSVOnly++
		}
	}
	if im.nprob == 0 {
		return &s, nil
	}
	var b strings.Builder
	if im.nprob == 1 {
		b.WriteString("1 problem in the import files:")
	} else {
		fmt.Fprintf(&b, "%d problems in the import files:", im.nprob)
	}
	for _, p := range im.problems {
		b.WriteString("\n  " + tldguard.ErrorMessage(p))
	}
	if more := im.nprob - len(im.problems); more > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", more)
	}
	return &s, &tldguard.Error{Kind: tldguard.EINVALID, Message: b.String()}
}

// Names returns the registered names of the import, sorted.
func (im *Import) Names() []string {
	if len(im.sorted) != len(im.names) {
		im.sorted = im.sorted[:0]
		for name := range im.names {
			im.sorted = append(im.sorted, name)
		}
		slices.Sort(im.sorted)
	}
	return im.sorted
}

// Registration returns the registration of one of the import's names, nil
// for another name. RegistrarName is left for the writer to fill in from
// the registrar table. A delegated name without a CSV row has no
// registrar, no dates and the status ok.
func (im *Import) Registration(name string) *tldguard.Registration {
	e, ok := im.names[name]
	if !ok {
		return nil
	}
	st := []string{"ok"}
	if e.statuses != 0 {
		st = slices.Clone(im.lists[e.statuses])
	}
	r := &tldguard.Registration{Name: name, TLD: im.tld, RegistrarID: im.ids[e.registrar], Statuses: st,
		NameServers: slices.Clone(im.lists[e.ns])}
	if e.csvLine != 0 {
		r.CreatedAt, r.UpdatedAt = fromMicros(e.created), fromMicros(e.updated)
	}
	return r
}

// Registrars returns the registrars of the registrars file, by id.
func (im *Import) Registrars() []*tldguard.Registrar {
	out := make([]*tldguard.Registrar, 0, len(im.registrars))
	for _, r := range im.registrars {
		reg := r.Registrar
		out = append(out, &reg)
	}
	slices.SortFunc(out, func(a, b *tldguard.Registrar) int { return strings.Compare(a.ID, b.ID) })
	return out
}
