package feed

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/tldguard/tldguard"
)

// ReadList reads a plain list, one name or URL a line, and calls fn with an
// entry of the given threat type for each. Blank lines and lines starting
// with '#' are skipped, and so is a " #" comment after a value. A
// hosts-file line ("0.0.0.0 name") gives its name. A line that holds no
// usable host is a bad record; drift (an empty list, bad lines beyond lim)
// returns an EUNPROCESSABLE *tldguard.Error wrapping ErrDrift.
func ReadList(r io.Reader, threat tldguard.ThreatType, lim Limits, fn func(Entry) error) (Stats, error) {
	if !threat.Valid() {
		return Stats{Format: FormatList}, tldguard.FieldErrorf(tldguard.EINVALID, "threat", "a list feed needs a threat type, got %q", threat)
	}
	return readList(r, threat, lim, FormatList, "list", fn)
}

// ReadOpenPhish reads OpenPhish's feed (one URL a line) and calls fn with a
// phishing entry for each URL whose host is a name.
func ReadOpenPhish(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	return readList(r, tldguard.ThreatPhishing, lim, FormatOpenPhish, "OpenPhish", fn)
}

func readList(r io.Reader, threat tldguard.ThreatType, lim Limits, format Format, what string, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: format}
	lr := newLineReader(r, &lim, &st)
	for {
		line, tooLong, err := lr.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, readErr(err, what)
		}
		if tooLong {
			st.Records++
			st.bad(&lim, lr.line, lr.off, fmt.Sprintf("line longer than %d bytes", lim.MaxLineBytes))
			continue
		}
		b := trimSpaceBytes(line)
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		b = cutComment(b)
		st.Records++
		spaced := bytes.IndexByte(b, ' ') >= 0 || bytes.IndexByte(b, '\t') >= 0
		if lim.filter != nil && !spaced {
			if h, ok := plainHost(b); ok && !lim.filter(h) {
				st.Filtered++
				continue
			}
		}
		v := string(b)
		if spaced {
			f := strings.Fields(v)
			if len(f) == 2 && isSinkAddress(f[0]) {
				v = f[1]
			} else {
				st.bad(&lim, lr.line, lr.off, "more than one value on the line")
				continue
			}
		}
		e := Entry{Line: lr.line, Threat: threat}
		switch res, reason := setHost(&e, v); res {
		case rowEntry:
			st.Entries++
			if err := fn(e); err != nil {
				return st, err
			}
		case rowSkipIP:
			st.SkippedIP++
		default:
			st.bad(&lim, lr.line, lr.off, reason)
		}
	}
	return st, st.finish(&lim, what)
}

// cutComment drops a " #" or "\t#" comment after a value; a '#' inside
// the value (a URL's fragment) stays.
func cutComment(b []byte) []byte {
	for from := 0; ; {
		i := bytes.IndexByte(b[from:], '#')
		if i < 0 {
			return b
		}
		if i += from; b[i-1] == ' ' || b[i-1] == '\t' {
			return trimSpaceBytes(b[:i])
		}
		from = i + 1
	}
}

// isSinkAddress reports the addresses hosts-file blocklists point names at.
func isSinkAddress(s string) bool {
	switch s {
	case "0.0.0.0", "127.0.0.1", "::", "::1", "0":
		return true
	}
	return false
}
