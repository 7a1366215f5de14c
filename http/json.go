package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// writeJSON answers v as JSON with the status. v is encoded before anything
// is written, so an encoding failure still becomes a clean 500.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return tldguard.Internal(err, "encode response")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}

// readBody reads the whole request body up to the body limit; a larger body
// is ETOOLARGE without reading it all.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.cfg.BodyLimit
	tooLarge := tldguard.Errorf(tldguard.ETOOLARGE, "the request body is larger than %s", sizeText(limit))
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge
		}
		return nil, tldguard.Errorf(tldguard.EINVALID, "reading the request body failed")
	}
	return b, nil
}

// decodeJSON reads a JSON request body into dst. It requires a JSON media
// type (which also keeps plain HTML forms from other sites out), refuses
// unknown members and trailing data, and names the position or member of
// any fault.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return tldguard.FieldErrorf(tldguard.EINVALID, "Content-Type", "the body must be JSON (Content-Type: application/json)")
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(body, dec.InputOffset())
		return tldguard.Errorf(tldguard.EINVALID, "malformed JSON at line %d, column %d: data after the JSON value", line, col)
	}
	return nil
}

// jsonError turns a decoding error into an EINVALID naming where it is.
func jsonError(body []byte, err error) error {
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		// Offset counts the byte that broke the syntax; point at it.
		line, col := position(body, syn.Offset-1)
		return tldguard.Errorf(tldguard.EINVALID, "malformed JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(syn.Error(), "json: "))
	}
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		line, col := position(body, typ.Offset)
		field := typ.Field
		if field == "" {
			return tldguard.Errorf(tldguard.EINVALID, "malformed JSON at line %d, column %d: expected an object, got %s", line, col, typ.Value)
		}
		return tldguard.FieldErrorf(tldguard.EINVALID, field, "at line %d, column %d: expected %s, got %s", line, col, jsonType(typ.Type.Kind().String()), typ.Value)
	}
	if errors.Is(err, io.EOF) {
		return tldguard.Errorf(tldguard.EINVALID, "the request body is empty; send a JSON object")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := position(body, int64(len(body)))
		return tldguard.Errorf(tldguard.EINVALID, "malformed JSON at line %d, column %d: unexpected end of input", line, col)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return tldguard.FieldErrorf(tldguard.EINVALID, name, "unknown member")
	}
	return tldguard.Errorf(tldguard.EINVALID, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonType names a Go kind in JSON's terms.
func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice", kind == "array":
		return "an array"
	default:
		return "an object"
	}
}

// position turns a byte offset into a 1-based line and column (in bytes).
func position(body []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// utc returns t in UTC, keeping the zero time zero (and so omitted).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// pathID reads a positive integer path segment.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, tldguard.FieldErrorf(tldguard.EINVALID, name, "%q is not an id (a positive integer)", r.PathValue(name))
	}
	return id, nil
}

// badParam is an EINVALID naming a query parameter.
func badParam(name, format string, args ...any) error {
	return tldguard.FieldErrorf(tldguard.EINVALID, name, format, args...)
}

// limitParam reads the "limit" parameter: 1..200, default 50.
func limitParam(q map[string][]string) (int, error) {
	v := lastValue(q, "limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, badParam("limit", "must be a whole number from 1 to 200, got %q", v)
	}
	return n, nil
}

// lastValue is the last value of a query parameter, "" when absent.
func lastValue(q map[string][]string, name string) string {
	if vs := q[name]; len(vs) > 0 {
		return strings.TrimSpace(vs[len(vs)-1])
	}
	return ""
}

// checkParams refuses query parameters the route does not know, so a typo
// does not silently widen a query.
func checkParams(q map[string][]string, known ...string) error {
	for name := range q {
		ok := false
		for _, k := range known {
			ok = ok || name == k
		}
		if !ok {
			return badParam(name, "unknown query parameter (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// setNextLink sets the Link header to the same query with the next page's
// cursor (RFC 8288; the reference is relative to the request).
func setNextLink(w http.ResponseWriter, r *http.Request, cursor string) {
	q := r.URL.Query()
	q.Set("cursor", cursor)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
}
