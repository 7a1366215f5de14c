package stats

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The per-domain detail is most of a month's JSON (a line per case), and
// encoding/json spends more time on it than the report takes to compute.
// appendDetails writes exactly the bytes encoding/json writes for []Detail
// (TestDetailJSON holds the two together), by hand.

func appendDetails(b []byte, ds []Detail) []byte {
	b = append(b, '[')
	for i := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendDetail(b, &ds[i])
	}
	return append(b, ']')
}

func appendDetail(b []byte, d *Detail) []byte {
	b = append(b, `{"case":`...)
	b = appendJSONString(b, d.Case)
	b = append(b, `,"domain":`...)
	b = appendJSONString(b, d.Domain)
	b = append(b, `,"tld":`...)
	b = appendJSONString(b, d.TLD)
	b = append(b, `,"threat_type":`...)
	b = appendJSONString(b, d.ThreatType)
	if d.Category != "" {
		b = append(b, `,"category":`...)
		b = appendJSONString(b, d.Category)
	}
	b = append(b, `,"source":`...)
	b = appendJSONString(b, d.Source)
	if d.Feed != "" {
		b = append(b, `,"feed":`...)
		b = appendJSONString(b, d.Feed)
	}
	b = append(b, `,"registered":`...)
	b = strconv.AppendBool(b, d.Registered)
	b = append(b, `,"registrar_id":`...)
	b = appendJSONString(b, d.RegistrarID)
	b = append(b, `,"registrar_name":`...)
	b = appendJSONString(b, d.RegistrarName)
	b = append(b, `,"first_seen":`...)
	b = appendJSONTime(b, d.FirstSeen)
	b = append(b, `,"opened_at":`...)
	b = appendJSONTime(b, d.OpenedAt)
	b = append(b, `,"acked_at":`...)
	b = appendJSONTimePtr(b, d.AckedAt)
	b = append(b, `,"response_due_at":`...)
	b = appendJSONTimePtr(b, d.ResponseDueAt)
	b = append(b, `,"responded_at":`...)
	b = appendJSONTimePtr(b, d.RespondedAt)
	b = append(b, `,"priority":`...)
	b = appendJSONString(b, d.Priority)
	b = append(b, `,"responses":`...)
	if d.Responses == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range d.Responses {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"at":`...)
			b = appendJSONTime(b, r.At)
			b = append(b, `,"action":`...)
			b = appendJSONString(b, r.Action)
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, r.Reason)
			b = append(b, `,"by":`...)
			b = appendJSONString(b, r.By)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"reopened":`...)
	if d.Reopened == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, t := range d.Reopened {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONTime(b, t)
		}
		b = append(b, ']')
	}
	b = append(b, `,"status_at_end":`...)
	b = appendJSONString(b, d.StatusAtEnd)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, d.Outcome)
	b = append(b, `,"counts":`...)
	if d.Counts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range d.Counts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, c)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// the nanoseconds it has).
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendJSONTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, *t)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as encoding/json does by default: quotes,
// backslashes and control characters escaped, <, > and & as \u escapes
// (safe inside HTML), U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
