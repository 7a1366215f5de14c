package reportfmt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// base64Alphabet is the standard base64 alphabet (RFC 4648 section 4).
const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// defaultMediaType is the media type of evidence that names none.
const defaultMediaType = "application/octet-stream"

// budget enforces the evidence caps of one report as its items are read.
type budget struct {
	lim   Limits
	items int
	total int64
}

// item counts one more evidence item; path names the evidence array.
func (b *budget) item(path string) error {
	if b.items >= b.lim.MaxEvidence {
		return tooLarge(path, "holds more than %d evidence items; send at most %d", b.lim.MaxEvidence, b.lim.MaxEvidence)
	}
	b.items++
	return nil
}

// add counts n decoded bytes of the item at path.
func (b *budget) add(path string, n int64) error {
	if n > b.lim.MaxEvidenceBytes {
		return tooLarge(path, "holds %s; one evidence item may hold at most %s", size(n), size(b.lim.MaxEvidenceBytes))
	}
	if b.total+n > b.lim.MaxTotalEvidenceBytes {
		return tooLarge(path, "brings the report's evidence to %s; a report may carry at most %s of evidence in all", size(b.total+n), size(b.lim.MaxTotalEvidenceBytes))
	}
	b.total += n
	return nil
}

// base64 decodes s, standard alphabet (RFC 4648 §4), padded or not; line
// breaks are ignored, as MIME encoders insert them. The decoded size is
// checked against the caps before anything is decoded.
func (b *budget) base64(path, s string) ([]byte, error) {
	if strings.ContainsAny(s, "-_") {
		return nil, invalid(path, "is URL-safe base64 (it contains - or _); encode with the standard alphabet (+ and /, RFC 4648 section 4)")
	}
	n := len(s) - strings.Count(s, "\n") - strings.Count(s, "\r")
	unpadded := n - strings.Count(s, "=")
	if err := b.add(path, int64(unpadded)*6/8); err != nil {
		return nil, err
	}
	enc := base64.StdEncoding
	if n%4 != 0 && !strings.Contains(s, "=") {
		enc = base64.RawStdEncoding
	}
	data, err := enc.DecodeString(s)
	if err != nil {
		var bad base64.CorruptInputError
		if errors.As(err, &bad) && int(bad) < len(s) && !strings.ContainsRune(base64Alphabet+"=\r\n", rune(s[bad])) {
			return nil, invalid(path, "is not valid base64: character %d (%q) is not in the standard alphabet (A-Z, a-z, 0-9, +, /)", int(bad)+1, s[bad])
		}
		return nil, invalid(path, "is not valid base64: its length or = padding is wrong")
	}
	return data, nil
}

// mediaType checks a media type and returns it in canonical form (lower
// case type, parameters kept); empty means application/octet-stream.
func mediaType(path, s string, lim Limits) (string, error) {
	if strings.TrimSpace(s) == "" {
		return defaultMediaType, nil
	}
	if err := checkLen(path, s, lim.MaxFieldLen); err != nil {
		return "", err
	}
	mt, params, err := mime.ParseMediaType(s)
	if err == nil && strings.Count(mt, "/") == 1 && !strings.HasPrefix(mt, "/") && !strings.HasSuffix(mt, "/") {
		if f := mime.FormatMediaType(mt, params); f != "" {
			return f, nil
		}
	}
	return "", invalid(path, "%q is not a media type; give one such as image/png, text/html or message/rfc822", s)
}

// baseName reduces a submitted file name to its last path element, without
// control or formatting characters (a right-to-left override can make
// "gpj.exe" look like "exe.jpg"); "." and ".." become "".
func baseName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}

// checkLen refuses s when it has more than max characters.
func checkLen(path, s string, max int) error {
	if len(s) <= max {
		return nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return tooLarge(path, "is %d characters long; the limit is %d", n, max)
	}
	return nil
}

// checkName checks one reported name or URL, kept as written.
func checkName(path, s string, lim Limits) error {
	if strings.TrimSpace(s) == "" {
		return invalid(path, "is empty; give a domain name or a URL")
	}
	return checkLen(path, s, lim.MaxNameLen)
}

// truncate cuts s to at most max characters, marking the cut with an
// ellipsis; for informational text assembled by a decoder.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// size formats a byte count for messages.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
