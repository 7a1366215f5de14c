package feed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tldguard/tldguard"
)

// lineReader hands out one line at a time from a bounded buffer, so a
// reader's memory never depends on the file's size. A line longer than the
// buffer is reported as too long and skipped, not accumulated.
type lineReader struct {
	br    *bufio.Reader
	st    *Stats
	line  int   // number of the line last returned
	off   int64 // offset of the line last returned
	next  int64 // offset of the line to come
	first bool
}

func newLineReader(r io.Reader, lim *Limits, st *Stats) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, lim.MaxLineBytes), st: st, first: true}
}

// readLine returns the next line without its line ending. The slice is
// valid until the next call. tooLong reports a line over the cap, whose
// content is dropped. err is io.EOF at the end of the input.
func (lr *lineReader) readLine() (line []byte, tooLong bool, err error) {
	b, err := lr.br.ReadSlice('\n')
	n := int64(len(b))
	if errors.Is(err, bufio.ErrBufferFull) {
		tooLong = true
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = lr.br.ReadSlice('\n')
			n += int64(len(b))
		}
		b = nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if n == 0 && err != nil {
		return nil, false, io.EOF
	}
	lr.line++
	lr.off = lr.next
	lr.next += n
	lr.st.Lines = lr.line
	lr.st.Bytes = lr.next
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	if lr.first {
		lr.first = false
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return b, tooLong, nil
}

var (
	errUnterminated = errors.New("unterminated quoted field")
	errAfterQuote   = errors.New("text after a closing quote")
)

// span locates one field in its line; esc marks a quoted field holding
// doubled quotes, to collapse when the value is taken.
type span struct {
	lo, hi int
	esc    bool
}

// splitFields splits one CSV line into field spans. Quoting follows RFC
// 4180 within the line (a doubled quote is a literal quote); white space
// around a quoted field is dropped, because ThreatFox writes `"a", "b"`.
// Records never span lines here: a stray quote costs one bad row, not the
// rest of the file.
func splitFields(line []byte, delim byte, dst []span) ([]span, error) {
	dst = dst[:0]
	i := 0
	for {
		j := i
		for j < len(line) && (line[j] == ' ' || line[j] == '\t') && line[j] != delim {
			j++
		}
		if j < len(line) && line[j] == '"' {
			sp := span{lo: j + 1}
			k := j + 1
			for {
				q := bytes.IndexByte(line[k:], '"')
				if q < 0 {
					return dst, errUnterminated
				}
				k += q
				if k+1 < len(line) && line[k+1] == '"' {
					sp.esc = true
					k += 2
					continue
				}
				break
			}
			sp.hi = k
			k++
			for k < len(line) && (line[k] == ' ' || line[k] == '\t') && line[k] != delim {
				k++
			}
			dst = append(dst, sp)
			if k == len(line) {
				return dst, nil
			}
			if line[k] != delim {
				return dst, errAfterQuote
			}
			i = k + 1
			continue
		}
		d := bytes.IndexByte(line[i:], delim)
		if d < 0 {
			return append(dst, span{lo: i, hi: len(line)}), nil
		}
		dst = append(dst, span{lo: i, hi: i + d})
		i += d + 1
	}
}

// row is one data line split into fields. Its values are substrings of a
// single string made from the line, so a row costs one allocation however
// many fields an entry keeps.
type row struct {
	line  string
	spans []span
}

// get returns the trimmed value of the field at i, "" when i < 0.
func (r *row) get(i int) string {
	if i < 0 || i >= len(r.spans) {
		return ""
	}
	sp := r.spans[i]
	v := r.line[sp.lo:sp.hi]
	if sp.esc {
		v = strings.ReplaceAll(v, `""`, `"`)
	}
	return trimSpace(v)
}

// csvLayout describes a CSV feed to the shared reader.
type csvLayout struct {
	what     string // "URLhaus CSV", for messages
	delim    byte
	comment  string   // comment prefix; "" for none
	required []string // header names a row cannot do without (lower case)
	value    string   // the column of the URL or name, for Spec.Filter; "" for none
	expected []string // header names whose absence is only a warning
}

// rowResult is what a format makes of one row.
type rowResult int

const (
	rowEntry rowResult = iota
	rowSkipIP
	rowSkip // with a reason: expected, not an error
	rowBad  // with a reason
)

// columns maps lower-case header names to their index.
type columns map[string]int

// at returns index of name, or -1.
func (c columns) at(name string) int {
	if i, ok := c[name]; ok {
		return i
	}
	return -1
}

// readCSV is the engine under every CSV format. It finds the header by
// name (in a comment line, as abuse.ch writes it, or as the first line),
// checks every row's width against it, and hands rows to rowFn. Columns are
// always found by name, never by position.
func readCSV(r io.Reader, lay *csvLayout, lim Limits, st *Stats,
	header func(columns) error,
	rowFn func(r *row, e *Entry) (rowResult, string),
	fn func(Entry) error) error {

	lr := newLineReader(r, &lim, st)
	var (
		cols      columns
		ncols     int
		vcol      = -1 // the value column, when Spec.Filter applies
		spans     []span
		cur       row
		e         Entry    // reused: rowFn's pointer would move a per-row Entry to the heap
		best      []string // the comment line that looked most like a header
		bestScore int
	)
	for {
		line, tooLong, err := lr.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readErr(err, lay.what)
		}
		if tooLong {
			if cols == nil {
				continue // preamble; the header search reports if nothing matched
			}
			st.Records++
			st.bad(&lim, lr.line, lr.off, fmt.Sprintf("line longer than %d bytes", lim.MaxLineBytes))
			continue
		}
		t := line
		for len(t) > 0 && (t[0] == ' ' || t[0] == '\t') {
			t = t[1:]
		}
		if len(t) == 0 {
			continue // blank
		}
		isComment := lay.comment != "" && bytes.HasPrefix(t, []byte(lay.comment))
		if cols == nil {
			text := t
			if isComment {
				text = bytes.TrimLeft(t[len(lay.comment):], " \t")
			}
			names := headerNames(text, lay.delim)
			// A comment line only counts as the header when it has
			// several columns: "# url" in prose is no header.
			if hasAll(names, lay.required) && (!isComment || len(names) >= 2) {
				cols = make(columns, len(names))
				for i, n := range names {
					if _, dup := cols[n]; !dup {
						cols[n] = i
					}
				}
				ncols = len(names)
				st.Columns = names
				if lim.filter != nil && lay.value != "" {
					vcol = cols.at(lay.value)
				}
				for _, want := range lay.expected {
					if _, ok := cols[want]; !ok {
						st.warn("expected column %q is missing from the header", want)
					}
				}
				if err := header(cols); err != nil {
					return err
				}
				continue
			}
			if s := score(names, lay); s > bestScore {
				best, bestScore = names, s
			}
			if isComment {
				continue
			}
			return headerDrift(lay, lr.line, best, bestScore)
		}
		if isComment {
			continue
		}
		st.Records++
		spans, err = splitFields(line, lay.delim, spans)
		if err != nil {
			st.bad(&lim, lr.line, lr.off, err.Error())
			continue
		}
		if len(spans) != ncols {
			st.bad(&lim, lr.line, lr.off, fmt.Sprintf("%d fields, the header has %d", len(spans), ncols))
			continue
		}
		if isHeaderAgain(line, spans, st.Columns) {
			st.Records--
			continue // a repeated header (concatenated dumps) is no record
		}
		if vcol >= 0 && !spans[vcol].esc {
			sp := spans[vcol]
			if h, ok := plainHost(trimSpaceBytes(line[sp.lo:sp.hi])); ok && !lim.filter(h) {
				st.Filtered++
				continue
			}
		}
		cur = row{line: string(line), spans: spans}
		e = Entry{Line: lr.line}
		res, reason := rowFn(&cur, &e)
		switch res {
		case rowEntry:
			st.Entries++
			if err := fn(e); err != nil {
				return err
			}
		case rowSkipIP:
			st.SkippedIP++
		case rowSkip:
			st.skip(reason)
		case rowBad:
			st.bad(&lim, lr.line, lr.off, reason)
		}
	}
	if cols == nil {
		if st.Lines == 0 || bestScore == 0 && lim.AllowEmpty {
			return st.finish(&lim, lay.what)
		}
		return headerDrift(lay, 0, best, bestScore)
	}
	return st.finish(&lim, lay.what)
}

// isHeaderAgain reports a data line that repeats the header's names.
func isHeaderAgain(line []byte, spans []span, names []string) bool {
	if len(spans) != len(names) || len(names) == 0 {
		return false
	}
	for i, sp := range spans {
		if !asciiFoldEqual(bytes.TrimSpace(line[sp.lo:sp.hi]), names[i]) {
			return false
		}
	}
	return true
}

func asciiFoldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func headerDrift(lay *csvLayout, line int, best []string, score int) error {
	field := "header"
	if line > 0 {
		field = fmt.Sprintf("line %d", line)
	}
	if score > 0 {
		var missing []string
		for _, want := range lay.required {
			if !hasAll(best, []string{want}) {
				missing = append(missing, want)
			}
		}
		return driftErr(field, nil, "%s header changed: required column(s) %s missing; the header found has %s",
			lay.what, quoteList(missing), quoteList(best))
	}
	if line > 0 {
		return driftErr(field, nil, "%s header with column(s) %s not found before the first data line",
			lay.what, quoteList(lay.required))
	}
	return driftErr(field, ErrEmpty, "%s header with column(s) %s not found, and no data", lay.what, quoteList(lay.required))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// headerNames splits a would-be header line into lower-case names.
func headerNames(line []byte, delim byte) []string {
	spans, err := splitFields(line, delim, nil)
	if err != nil || len(spans) < 1 {
		return nil
	}
	r := row{line: string(line), spans: spans}
	names := make([]string, len(spans))
	for i := range spans {
		names[i] = strings.ToLower(r.get(i))
	}
	return names
}

func hasAll(names, want []string) bool {
	for _, w := range want {
		found := false
		for _, n := range names {
			if n == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(want) > 0
}

// score counts how many known column names a line holds, to tell a changed
// header from a line that is no header at all.
func score(names []string, lay *csvLayout) int {
	s := 0
	for _, n := range names {
		for _, w := range lay.required {
			if n == w {
				s++
			}
		}
		for _, w := range lay.expected {
			if n == w {
				s++
			}
		}
	}
	if s < 2 {
		return 0
	}
	return s
}

func readErr(err error, what string) error {
	return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "reading the " + what + " feed failed", Err: err}
}

// splitTags splits a comma-separated tag list, dropping empties and the
// "None" abuse.ch writes for no value.
func splitTags(s string) []string {
	if s == "" || s == "None" {
		return nil
	}
	n := strings.Count(s, ",") + 1
	out := make([]string, 0, n)
	for len(s) > 0 {
		var t string
		if i := strings.IndexByte(s, ','); i >= 0 {
			t, s = s[:i], s[i+1:]
		} else {
			t, s = s, ""
		}
		if t = trimSpace(t); t != "" && t != "None" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// setHost fills e.URL and e.Host from a feed's URL-or-name value. A bare
// name leaves e.URL empty.
func setHost(e *Entry, v string) (rowResult, string) {
	if v == "" {
		return rowBad, "empty URL or name"
	}
	host, kind, isURL, reason := splitHost(v)
	switch kind {
	case hostIP:
		return rowSkipIP, ""
	case hostBad:
		return rowBad, reason
	}
	if isURL {
		e.URL = v
	}
	e.Host = host
	return rowEntry, ""
}
