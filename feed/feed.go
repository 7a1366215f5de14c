// Package feed reads reputation feeds (URLhaus, PhishTank, OpenPhish,
// ThreatFox, plain lists and operator-defined CSV files), looks names up in
// DNS blocklists (Spamhaus DBL, SURBL multi and configured zones), and
// fetches feed files over HTTP with a last good copy kept on disk.
//
// Readers stream: memory stays constant in the size of the file. Each entry
// carries the raw host exactly as the feed wrote it; names are not
// normalised here (the dnsname package does that for the caller).
//
// A feed whose format drifted (its header changed, it is empty, or too many
// of its rows are bad) is an error wrapping ErrDrift, never an empty result:
// "no threats" must never be the way a broken feed reads.
package feed

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/tldguard/tldguard"
)

// Entry is one threat indicator read from a feed.
type Entry struct {
	// URL is the URL as the feed wrote it; empty for name-only entries.
	URL string
	// Host is the raw host part of URL as found (no case folding, no IDNA,
	// port and user info removed), or the name itself for name-only entries.
	Host   string
	Threat tldguard.ThreatType
	// Line is the 1-based line on which the record starts.
	Line int

	ID         string   // the feed's own identifier for the record
	Added      string   // when the feed added it, verbatim
	Status     string   // the feed's own status (URLhaus url_status, PhishTank online), verbatim
	Family     string   // malware family, when the feed names one
	Target     string   // targeted brand, when the feed names one
	Ref        string   // the feed's page or reference for the record
	Tags       []string // the feed's tags
	Confidence int      // 0-100 when the feed gives one, 0 otherwise
	// Compromised is set when the feed says the host is a legitimate site
	// that was broken into (ThreatFox is_compromised).
	Compromised bool
	// Extra holds further columns an operator-defined CSV asks to keep.
	Extra map[string]string
}

// Format names a feed's file format.
type Format string

const (
	FormatURLhaus       Format = "urlhaus"        // URLhaus CSV dump
	FormatPhishTankCSV  Format = "phishtank_csv"  // PhishTank online-valid.csv
	FormatPhishTankJSON Format = "phishtank_json" // PhishTank online-valid.json
	FormatOpenPhish     Format = "openphish"      // OpenPhish feed.txt, one URL a line
	FormatThreatFoxCSV  Format = "threatfox_csv"  // ThreatFox CSV export
	FormatThreatFoxJSON Format = "threatfox_json" // ThreatFox JSON export
	FormatList          Format = "list"           // names or URLs one a line, with a configured threat
	FormatCSV           Format = "csv"            // operator-defined CSV mapping
)

// Formats lists the known formats.
var Formats = []Format{FormatURLhaus, FormatPhishTankCSV, FormatPhishTankJSON, FormatOpenPhish,
	FormatThreatFoxCSV, FormatThreatFoxJSON, FormatList, FormatCSV}

// Valid reports whether f is a known format.
func (f Format) Valid() bool {
	for _, k := range Formats {
		if f == k {
			return true
		}
	}
	return false
}

// ErrDrift is wrapped by every error that says a feed's format no longer
// matches what the reader expects: header missing or changed, no entries,
// too many bad rows, malformed or truncated JSON.
var ErrDrift = errors.New("feed format drift")

// ErrEmpty is wrapped (with ErrDrift) when a feed holds no records at all.
var ErrEmpty = fmt.Errorf("%w: feed is empty", ErrDrift)

// Limits bound how much damage a feed may show before a read fails.
// Zero fields take the defaults.
type Limits struct {
	// MaxBadRatio is the share of bad records above which the read fails
	// with ErrDrift (default 0.05).
	MaxBadRatio float64
	// TolerateBad bad records never fail a read, whatever the ratio
	// (default 10), so that a small feed with one junk line still reads.
	TolerateBad int
	// MaxLineBytes caps one line of a text feed (default 64 KiB); a longer
	// line is a bad record.
	MaxLineBytes int
	// BadSamples is how many bad records Stats keeps with their line
	// numbers (default 10).
	BadSamples int
	// AllowEmpty lets a feed with no records read without error.
	AllowEmpty bool

	filter func(host []byte) bool // Spec.Filter
}

const (
	defaultMaxBadRatio  = 0.05
	defaultTolerateBad  = 10
	defaultMaxLineBytes = 64 << 10
	defaultBadSamples   = 10
	maxSkipReasons      = 32
)

func (l Limits) withDefaults() Limits {
	if l.MaxBadRatio <= 0 {
		l.MaxBadRatio = defaultMaxBadRatio
	}
	if l.TolerateBad <= 0 {
		l.TolerateBad = defaultTolerateBad
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = defaultMaxLineBytes
	}
	if l.MaxLineBytes < 256 {
		l.MaxLineBytes = 256
	}
	if l.BadSamples <= 0 {
		l.BadSamples = defaultBadSamples
	}
	return l
}

// BadRecord is a record a reader could not use.
type BadRecord struct {
	Line   int    // 1-based line where the record starts
	Offset int64  // byte offset where the record starts
	Reason string // why it was refused
}

// Stats tells what a read found. It is filled in even when the read fails,
// so that the alarm can say what was wrong.
type Stats struct {
	Format  Format
	Bytes   int64 // bytes read
	Lines   int   // lines read
	Records int   // data records seen (header, comments and blank lines excluded)
	Entries int   // entries delivered to the callback
	Bad     int   // records refused as malformed
	// BadRecords holds the first Limits.BadSamples bad records.
	BadRecords []BadRecord
	// SkippedIP counts records whose host is an IP address (or ThreatFox
	// ip:port): not names, so not entries.
	SkippedIP int
	// Filtered counts records Spec.Filter left out.
	Filtered int
	// Skipped counts records left out for an expected reason (a hash IOC,
	// an unverified phish, an unmapped threat value), by reason.
	Skipped map[string]int
	// Columns is the header found, for CSV formats.
	Columns []string
	// Warnings note format changes that did not stop the read, such as an
	// expected but optional column gone missing.
	Warnings []string
}

// BadLines returns the line numbers of the sampled bad records.
func (s *Stats) BadLines() []int {
	out := make([]int, len(s.BadRecords))
	for i, b := range s.BadRecords {
		out[i] = b.Line
	}
	return out
}

func (s *Stats) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = make(map[string]int)
	}
	if _, ok := s.Skipped[reason]; !ok && len(s.Skipped) >= maxSkipReasons {
		reason = "other"
	}
	s.Skipped[reason]++
}

func (s *Stats) bad(lim *Limits, line int, off int64, reason string) {
	s.Bad++
	if len(s.BadRecords) < lim.BadSamples {
		s.BadRecords = append(s.BadRecords, BadRecord{Line: line, Offset: off, Reason: reason})
	}
}

func (s *Stats) warn(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// finish applies the drift rules once a read reached the end of its input.
func (s *Stats) finish(lim *Limits, what string) error {
	if s.Records == 0 {
		if lim.AllowEmpty {
			return nil
		}
		return driftErr("", ErrEmpty, "%s feed has no records; an empty feed is treated as broken, not as no threats", what)
	}
	usable := s.Entries + s.SkippedIP + s.Filtered + s.skippedTotal()
	if usable == 0 {
		return driftErr(s.badField(), nil, "%s feed has %d records and none is usable; %s", what, s.Records, s.badSummary())
	}
	if s.Bad > lim.TolerateBad && float64(s.Bad) > lim.MaxBadRatio*float64(s.Records) {
		return driftErr(s.badField(), nil, "%s feed has %d bad records of %d (%.1f%%, bound %.1f%%); %s",
			what, s.Bad, s.Records, 100*float64(s.Bad)/float64(s.Records), 100*lim.MaxBadRatio, s.badSummary())
	}
	return nil
}

func (s *Stats) skippedTotal() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

func (s *Stats) badField() string {
	if len(s.BadRecords) == 0 {
		return ""
	}
	return fmt.Sprintf("line %d", s.BadRecords[0].Line)
}

func (s *Stats) badSummary() string {
	if len(s.BadRecords) == 0 {
		return "no bad records"
	}
	var b strings.Builder
	b.WriteString("first bad records: ")
	for i, r := range s.BadRecords {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "line %d: %s", r.Line, r.Reason)
	}
	return b.String()
}

// driftErr builds the *tldguard.Error a drifted feed returns. err, when not
// nil, must itself wrap ErrDrift.
func driftErr(field string, err error, format string, args ...any) error {
	if err == nil {
		err = ErrDrift
	}
	return &tldguard.Error{
		Kind:    tldguard.EUNPROCESSABLE,
		Field:   field,
		Message: fmt.Sprintf(format, args...),
		Err:     err,
	}
}

// Spec says how to read one configured feed.
type Spec struct {
	Name   string
	Format Format
	// Threat is the threat type of every entry of a FormatList feed; the
	// other formats carry or imply their own.
	Threat tldguard.ThreatType
	// CSV maps the columns of a FormatCSV feed.
	CSV    CSVConfig
	Limits Limits
	// Filter, when set, is asked about the host of each record whose URL
	// or name is plain (ASCII letters, digits, '-', '_' and '.', with an
	// optional scheme, port and path) before an entry is built; false
	// leaves the record out, counted in Stats.Filtered. A caller that
	// keeps only its own TLDs spares the reader the entry's allocations
	// for the rest of a large feed. Any other record reaches fn as
	// before, so a record that is malformed is still counted bad and
	// drift is still seen. The slice is valid only during the call.
	// Used by the URLhaus, PhishTank CSV, OpenPhish, list and CSV readers;
	// the JSON and ThreatFox readers ignore it.
	Filter func(host []byte) bool
}

// Validate checks the spec; errors are EINVALID and name the field.
func (s Spec) Validate() error {
	if !s.Format.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "format", "unknown feed format %q", s.Format)
	}
	switch s.Format {
	case FormatList:
		if !s.Threat.Valid() {
			return tldguard.FieldErrorf(tldguard.EINVALID, "threat", "a list feed needs a threat type, got %q", s.Threat)
		}
	case FormatCSV:
		return s.CSV.Validate()
	}
	if s.Limits.MaxBadRatio < 0 || s.Limits.MaxBadRatio > 1 {
		return tldguard.FieldErrorf(tldguard.EINVALID, "limits.max_bad_ratio", "must be between 0 and 1")
	}
	return nil
}

// Read reads the feed from r and calls fn for each entry. An error that fn
// returns stops the read and is returned as is. A drifted feed returns an
// error wrapping ErrDrift after the entries it could read were delivered:
// callers must then discard what they received and keep their previous
// view of the feed.
func (s Spec) Read(r io.Reader, fn func(Entry) error) (Stats, error) {
	if err := s.Validate(); err != nil {
		return Stats{Format: s.Format}, err
	}
	var (
		st  Stats
		err error
	)
	s.Limits.filter = s.Filter
	switch s.Format {
	case FormatURLhaus:
		st, err = ReadURLhaus(r, s.Limits, fn)
	case FormatPhishTankCSV:
		st, err = ReadPhishTankCSV(r, s.Limits, fn)
	case FormatPhishTankJSON:
		st, err = ReadPhishTankJSON(r, s.Limits, fn)
	case FormatOpenPhish:
		st, err = ReadOpenPhish(r, s.Limits, fn)
	case FormatThreatFoxCSV:
		st, err = ReadThreatFoxCSV(r, s.Limits, fn)
	case FormatThreatFoxJSON:
		st, err = ReadThreatFoxJSON(r, s.Limits, fn)
	case FormatList:
		st, err = ReadList(r, s.Threat, s.Limits, fn)
	case FormatCSV:
		st, err = ReadCSV(r, s.CSV, s.Limits, fn)
	}
	if err != nil && s.Name != "" {
		var e *tldguard.Error
		if errors.As(err, &e) && errors.Is(err, ErrDrift) {
			e.Message = fmt.Sprintf("feed %q: %s", s.Name, e.Message)
		}
	}
	return st, err
}

// ReadFile opens path and reads it as Read does.
func (s Spec) ReadFile(path string, fn func(Entry) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{Format: s.Format}, tldguard.Internal(err, "open feed file")
	}
	defer f.Close()
	return s.Read(f, fn)
}

// All returns an iterator over the feed's entries. A read error is yielded
// last, with a zero Entry; st, when not nil, receives the stats at the end.
func (s Spec) All(r io.Reader, st *Stats) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		stopped := errors.New("stopped")
		got, err := s.Read(r, func(e Entry) error {
			if !yield(e, nil) {
				return stopped
			}
			return nil
		})
		if st != nil {
			*st = got
		}
		if err != nil && err != stopped {
			yield(Entry{}, err)
		}
	}
}
