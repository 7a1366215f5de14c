package feed

import (
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
		v := trimSpace(string(line))
		if v == "" || v[0] == '#' {
			continue
		}
		if i := strings.Index(v, " #"); i >= 0 {
			v = trimSpace(v[:i])
		} else if i := strings.Index(v, "\t#"); i >= 0 {
			v = trimSpace(v[:i])
		}
		st.Records++
		if strings.ContainsAny(v, " \t") {
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

// isSinkAddress reports the addresses hosts-file blocklists point names at.
func isSinkAddress(s string) bool {
	switch s {
	case "0.0.0.0", "127.0.0.1", "::", "::1", "0":
		return true
	}
	return false
}
