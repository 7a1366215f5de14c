package reportfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// reader walks one JSON document token by token, so that every error can
// name the JSON path of the offending value. The document is checked for
// well-formedness before the walk (see newReader), so a syntax error always
// comes back with its line and column and the walk itself only meets
// values of the wrong kind.
type reader struct {
	raw  []byte
	base int // bytes stripped from the front of the submitted document (a BOM)
	dec  *json.Decoder
}

// utf8BOM is tolerated at the start of a document (RFC 8259 §8.1 lets a
// parser ignore it); some Windows tools write one.
var utf8BOM = []byte("\xef\xbb\xbf")

// newReader checks that raw is one well-formed JSON value with nothing after
// it and returns a reader positioned before it. Errors are EINVALID with the
// line and column of the first fault.
func newReader(raw []byte) (*reader, error) {
	r := &reader{raw: raw}
	if bytes.HasPrefix(raw, utf8BOM) {
		r.raw, r.base = raw[len(utf8BOM):], len(utf8BOM)
	}
	if len(bytes.TrimSpace(r.raw)) == 0 {
		return nil, invalid("", "the document is empty: send a JSON object")
	}
	if !json.Valid(r.raw) {
		return nil, r.syntaxError()
	}
	r.dec = json.NewDecoder(bytes.NewReader(r.raw))
	r.dec.UseNumber() // numbers are only ever skipped; never parse them
	return r, nil
}

// syntaxError describes why r.raw is not well-formed JSON. json.Valid says
// only whether; Unmarshal's scanner says where, counting bytes read (so the
// offending byte is the one before Offset, or the end of input).
func (r *reader) syntaxError() error {
	err := json.Unmarshal(r.raw, &struct{}{})
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return invalid("", "malformed JSON")
	}
	off := int(se.Offset)
	msg := se.Error()
	if msg == "unexpected end of JSON input" {
		return invalid("", "malformed JSON: the document ends too early, at %s; an object, array or string is not closed", r.position(len(r.raw)))
	}
	if off > 0 {
		off--
	}
	return invalid("", "malformed JSON at %s: %s", r.position(off), msg)
}

// position formats a byte offset in r.raw as the line, column and byte
// offset of the submitted document. Columns count characters, from 1.
func (r *reader) position(off int) string {
	off = min(max(off, 0), len(r.raw))
	line, start := 1, 0
	for i, b := range r.raw[:off] {
		if b == '\n' {
			line, start = line+1, i+1
		}
	}
	col := utf8.RuneCount(r.raw[start:off]) + 1 // a stripped BOM is not counted
	return fmt.Sprintf("line %d, column %d (byte offset %d)", line, col, off+r.base)
}

// token returns the next token. The document is known to be well-formed,
// so an error here is a bug in the walk, not in the document.
func (r *reader) token(path string) (json.Token, error) {
	t, err := r.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &tldguard.Error{Kind: tldguard.EINVALID, Field: path, Message: "malformed JSON", Err: err}
	}
	return t, nil
}

// document reads the opening brace of the top-level object.
func (r *reader) document() error {
	t, err := r.token("")
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return invalid("", "the document must be a JSON object, not %s", kind(t))
	}
	return nil
}

// members calls fn for each member of the object whose '{' has just been
// read, then reads the closing '}'. fn must consume the member's value. A
// key given twice is an error: two values for one field are ambiguous.
func (r *reader) members(path string, fn func(key, path string) error) error {
	seen := make(map[string]struct{}, 8)
	for r.dec.More() {
		t, err := r.token(path)
		if err != nil {
			return err
		}
		key, _ := t.(string) // the decoder allows only string keys
		kpath := join(path, key)
		if _, dup := seen[key]; dup {
			return invalid(kpath, "is given twice; give each field once")
		}
		seen[key] = struct{}{}
		if err := fn(key, kpath); err != nil {
			return err
		}
	}
	_, err := r.token(path) // '}'
	return err
}

// elements calls fn for each element of the array whose '[' has just been
// read, with the element's path, then reads the closing ']'.
func (r *reader) elements(path string, fn func(i int, path string) error) error {
	for i := 0; r.dec.More(); i++ {
		if err := fn(i, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	_, err := r.token(path) // ']'
	return err
}

// object reads the start of a value that must be an object; null reads as
// absent (ok false). Other kinds are an error naming path.
func (r *reader) object(path string) (ok bool, err error) {
	return r.open(path, '{', "an object")
}

// array is object for arrays.
func (r *reader) array(path string) (ok bool, err error) {
	return r.open(path, '[', "an array")
}

func (r *reader) open(path string, d json.Delim, want string) (bool, error) {
	t, err := r.token(path)
	if err != nil {
		return false, err
	}
	switch t {
	case d:
		return true, nil
	case nil:
		return false, nil
	}
	return false, invalid(path, "must be %s, not %s", want, kind(t))
}

// string reads a value that must be a string; null reads as absent.
func (r *reader) string(path string) (s string, ok bool, err error) {
	t, err := r.token(path)
	if err != nil {
		return "", false, err
	}
	switch v := t.(type) {
	case string:
		return v, true, nil
	case nil:
		return "", false, nil
	}
	return "", false, invalid(path, "must be a string, not %s", kind(t))
}

// bool reads a value that must be true or false; null reads as absent.
func (r *reader) bool(path string) (b bool, ok bool, err error) {
	t, err := r.token(path)
	if err != nil {
		return false, false, err
	}
	switch v := t.(type) {
	case bool:
		return v, true, nil
	case nil:
		return false, false, nil
	}
	return false, false, invalid(path, "must be true or false, not %s", kind(t))
}

// loose reads any value and returns it if it is a string, skipping it
// otherwise: for informational fields, where a value of the wrong kind is
// not worth refusing a report over.
func (r *reader) loose(path string) (string, error) {
	t, err := r.token(path)
	if err != nil {
		return "", err
	}
	if s, ok := t.(string); ok {
		return s, nil
	}
	return "", r.skipRest(path, t)
}

// skip reads and discards one value of any kind.
func (r *reader) skip(path string) error {
	t, err := r.token(path)
	if err != nil {
		return err
	}
	return r.skipRest(path, t)
}

// skipRest discards the rest of a value whose first token was t. It keeps a
// counter rather than recursing, so deep nesting cannot exhaust the stack.
func (r *reader) skipRest(path string, t json.Token) error {
	if t != json.Delim('{') && t != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := r.token(path)
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// kind names the JSON kind of a value from its first token, for messages.
func kind(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", t)
}

// join appends a member name to a JSON path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// invalid returns an EINVALID error naming field.
func invalid(field, format string, args ...any) *tldguard.Error {
	return tldguard.FieldErrorf(tldguard.EINVALID, field, format, args...)
}

// tooLarge returns an ETOOLARGE error naming field.
func tooLarge(field, format string, args ...any) *tldguard.Error {
	return tldguard.FieldErrorf(tldguard.ETOOLARGE, field, format, args...)
}
