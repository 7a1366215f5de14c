package reportfmt

import "strings"

// AuthResults is one Authentication-Results header field (RFC 8601): the
// authentication service that wrote it and the results it recorded.
// Anyone can write such a field into a message; only fields whose
// AuthServID names the operator's own mail servers (which remove fields
// with their id from incoming mail, RFC 8601 §5) say anything.
type AuthResults struct {
	AuthServID string
	Results    []AuthResult
}

// AuthResult is one method's result, e.g. dkim=pass header.d=example.org.
type AuthResult struct {
	Method string // lower case: "dkim", "spf", "dmarc", ...
	Result string // lower case: "pass", "fail", "none", ...
	// Props are the properties by "ptype.property" in lower case
	// ("header.d", "header.i", "header.from", "smtp.mailfrom"); values as
	// written, unquoted.
	Props map[string]string
}

// maxAuthResults bounds the results read from one field.
const maxAuthResults = 32

// ParseAuthenticationResults reads an Authentication-Results header value.
// It is lenient about spacing and comments and reads what it can: ok is
// false only when there is no authserv-id. Results that do not have the
// form method=result are skipped.
func ParseAuthenticationResults(v string) (ar AuthResults, ok bool) {
	v = stripComments(v)
	segs := splitUnquoted(v, ';')
	head := strings.Fields(segs[0])
	if len(head) == 0 {
		return ar, false
	}
	ar.AuthServID = strings.ToLower(unquote(head[0]))
	if ar.AuthServID == "" {
		return ar, false
	}
	for _, seg := range segs[1:] {
		if len(ar.Results) == maxAuthResults {
			break
		}
		toks := fieldsUnquoted(seg)
		if len(toks) == 0 {
			continue
		}
		method, result, ok := strings.Cut(toks[0], "=")
		if !ok || method == "" {
			continue // "none", or junk
		}
		method, _, _ = strings.Cut(method, "/") // method/version
		r := AuthResult{Method: strings.ToLower(method), Result: strings.ToLower(unquote(result)), Props: map[string]string{}}
		for _, t := range toks[1:] {
			k, val, ok := strings.Cut(t, "=")
			if !ok || k == "" {
				continue
			}
			r.Props[strings.ToLower(k)] = unquote(val)
		}
		ar.Results = append(ar.Results, r)
	}
	return ar, true
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(s string) string {
	if !strings.ContainsRune(s, '(') {
		return s
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				quoted = false
			}
		case depth > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					b.WriteByte(' ')
				}
			}
		case c == '(':
			depth++
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitUnquoted splits s at sep outside quoted strings; it returns at
// least one element.
func splitUnquoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// fieldsUnquoted splits s at white space outside quoted strings, and
// joins "name = value" written with spaces around the "=".
func fieldsUnquoted(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			cur.WriteByte(c)
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
			cur.WriteByte(c)
		case !quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	// Rejoin "a = b", "a= b" and "a =b".
	joined := out[:0]
	for i := 0; i < len(out); i++ {
		t := out[i]
		for i+1 < len(out) && (strings.HasSuffix(t, "=") || out[i+1] == "=" || (strings.HasPrefix(out[i+1], "=") && !strings.Contains(t, "="))) {
			t += out[i+1]
			i++
		}
		joined = append(joined, t)
	}
	return joined
}

// unquote removes the quotes and backslash escapes of a quoted string.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.ContainsRune(s, '\\') {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
