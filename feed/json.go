package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tldguard/tldguard"
)

// jsonStream walks a JSON document one element of its top-level array or
// object at a time, so a reader holds one element in memory, never the
// file. It knows the line each element starts on.
type jsonStream struct {
	t    *lineTracker
	dec  *json.Decoder
	st   *Stats
	lim  *Limits
	what string
	done bool
}

func newJSONStream(r io.Reader, st *Stats, lim *Limits, what string) *jsonStream {
	t := &lineTracker{r: r}
	return &jsonStream{t: t, dec: json.NewDecoder(t), st: st, lim: lim, what: what}
}

// open reads the opening delimiter of the top level.
func (j *jsonStream) open(want json.Delim) error {
	tok, err := j.dec.Token()
	j.sync()
	if err == io.EOF {
		j.done = true
		return j.st.finish(j.lim, j.what)
	}
	if err != nil {
		return j.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		kind := "an array"
		if want == '{' {
			kind = "an object"
		}
		return driftErr("line 1", nil, "%s top level is %s, not %s", j.what, describeToken(tok), kind)
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func (j *jsonStream) more() bool { return !j.done && j.dec.More() }

// key reads an object key.
func (j *jsonStream) key() (string, error) {
	tok, err := j.dec.Token()
	j.sync()
	if err != nil {
		return "", j.syntax(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", driftErr("", nil, "%s has a non-string key", j.what)
	}
	return s, nil
}

// element reads the next value whole and says where it began.
func (j *jsonStream) element() (raw json.RawMessage, line int, off int64, err error) {
	if err := j.dec.Decode(&raw); err != nil {
		j.sync()
		return nil, 0, 0, j.syntax(err)
	}
	end := j.dec.InputOffset()
	off = end - int64(len(raw))
	line = j.t.lineAt(off)
	j.sync()
	return raw, line, off, nil
}

// close reads the closing delimiter and checks nothing follows.
func (j *jsonStream) close(want json.Delim) error {
	if j.done {
		return nil
	}
	tok, err := j.dec.Token()
	j.sync()
	if err != nil {
		return j.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return driftErr("", nil, "%s: unexpected %s where the top level should end", j.what, describeToken(tok))
	}
	if _, err := j.dec.Token(); err != io.EOF {
		j.sync()
		return driftErr("", nil, "%s has data after the end of its top-level value", j.what)
	}
	j.sync()
	return nil
}

func (j *jsonStream) sync() {
	j.st.Bytes = j.t.n
	j.st.Lines = j.t.total
	if j.t.n > 0 && !j.t.endsNL {
		j.st.Lines++
	}
}

// syntax turns a decoder error into the error the caller returns.
func (j *jsonStream) syntax(err error) error {
	if j.t.err != nil && !errors.Is(j.t.err, io.EOF) {
		return readErr(j.t.err, j.what)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := j.t.lineAtOrAfter(se.Offset)
		return driftErr(fmt.Sprintf("line %d", line), nil, "%s is malformed at byte %d (line %d): %s",
			j.what, se.Offset, line, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return driftErr("", nil, "%s is truncated: the input ends inside the document (%d bytes read)", j.what, j.t.n)
	}
	return &tldguard.Error{Kind: tldguard.EUNPROCESSABLE, Message: j.what + " could not be decoded", Err: fmt.Errorf("%w: %v", ErrDrift, err)}
}

// lineTracker counts the lines of what passes through it. It remembers the
// offsets of the newlines the decoder has read but the reader has not yet
// asked about; that is at most one element's worth, since questions come
// in increasing order.
type lineTracker struct {
	r      io.Reader
	n      int64   // bytes read
	total  int     // newlines read
	passed int     // newlines before the last offset asked about
	nl     []int64 // offsets of newlines not yet passed
	endsNL bool
	err    error
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	b := p[:n]
	base := t.n
	for i := 0; ; {
		k := bytes.IndexByte(b[i:], '\n')
		if k < 0 {
			break
		}
		t.nl = append(t.nl, base+int64(i+k))
		t.total++
		i += k + 1
	}
	if n > 0 {
		t.endsNL = b[n-1] == '\n'
	}
	t.n += int64(n)
	if err != nil {
		t.err = err
	}
	return n, err
}

// lineAt returns the 1-based line of byte offset off. Offsets must not
// decrease from one call to the next.
func (t *lineTracker) lineAt(off int64) int {
	i := 0
	for i < len(t.nl) && t.nl[i] < off {
		i++
	}
	t.passed += i
	t.nl = t.nl[i:]
	if len(t.nl) == 0 {
		t.nl = nil
	}
	return t.passed + 1
}

// lineAtOrAfter is lineAt for an error offset, which may lie anywhere.
func (t *lineTracker) lineAtOrAfter(off int64) int {
	n := t.passed
	for _, o := range t.nl {
		if o < off {
			n++
		}
	}
	return n + 1
}

// flexString takes a JSON string, number, boolean or null as a string:
// feeds are not consistent about how they quote ids and levels.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(trimSpace(s))
	case 'n', '{', '[':
		*f = ""
	default:
		*f = flexString(b)
	}
	return nil
}

// flexTags takes tags as a comma-separated string or an array of strings.
type flexTags []string

func (f *flexTags) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = splitTags(s)
	case '[':
		var list []flexString
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		out := make([]string, 0, len(list))
		for _, t := range list {
			if t != "" && t != "None" {
				out = append(out, string(t))
			}
		}
		if len(out) > 0 {
			*f = out
		}
	}
	return nil
}
