package dnsname

import "strings"

// Refang undoes the "defanging" that abuse reports and threat-intelligence
// mails apply to names and URLs so that nobody clicks them:
//
//   - the schemes "hxxp" and "hxxps" (any case, e.g. "hXXps") become "http"
//     and "https", and "fxp" becomes "ftp", where they stand as a scheme
//     (followed by ":" or a bracket);
//   - "[.]", "(.)", "{.}", "[dot]", "(dot)" and "{dot}" (any case, with or
//     without spaces inside the brackets) become ".", and spaces around
//     them go ("bad [dot] example" becomes "bad.example");
//   - "[:]" (and its other brackets) becomes ":", "[://]" becomes "://";
//   - "[@]" and "[at]" (and their other brackets) become "@", spaces around
//     them going too.
//
// Brackets may be doubled or mixed ("[[.]]", "[(.)]"). Refang works in one
// pass, in time linear in len(s), and Refang(Refang(s)) == Refang(s). A
// string with nothing to undo is returned as it is, without allocation.
// IPv6 literals such as "[2001:db8::1]" are left alone.
func Refang(s string) string {
	if !mayBeDefanged(s) {
		return s
	}
	var b []byte // nil until something changes
	last := 0    // s[last:i] is not yet copied
	for i := 0; i < len(s); {
		n, rep, skip := defangedAt(s, i)
		if n == 0 {
			i += skip
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s))
		}
		b = append(b, s[last:i]...)
		if rep == "." || rep == "@" {
			// "bad [dot] example": the spaces belong to the defanging.
			for len(b) > 0 && b[len(b)-1] == ' ' {
				b = b[:len(b)-1]
			}
			for i+n < len(s) && s[i+n] == ' ' {
				n++
			}
		}
		b = append(b, rep...)
		i += n
		last = i
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// mayBeDefanged is a cheap test for anything Refang could change.
func mayBeDefanged(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(', '{':
			return true
		case 'x', 'X':
			if i > 0 && i+1 < len(s) && (s[i-1]|0x20 == 'h' && s[i+1]|0x20 == 'x' || s[i-1]|0x20 == 'f' && s[i+1]|0x20 == 'p') {
				return true
			}
		}
	}
	return false
}

// bracketWords are what may stand between brackets, longest first where one
// is the prefix of another, and what they stand for.
var bracketWords = [...]struct{ word, rep string }{
	{"://", "://"}, {":", ":"}, {".", "."}, {"dot", "."}, {"@", "@"}, {"at", "@"},
}

// schemeWords are the defanged schemes, longest first.
var schemeWords = [...]struct{ word, rep string }{
	{"hxxps", "https"}, {"hxxp", "http"}, {"fxp", "ftp"},
}

func isOpener(c byte) bool { return c == '[' || c == '(' || c == '{' }

func isCloser(c byte) bool { return c == ']' || c == ')' || c == '}' }

// defangedAt looks for a defanged form at s[i]. It returns the form's
// length n and its replacement, or n == 0 and how far the scan may skip.
//
// A bracketed form is a run of openers (and spaces), a word, and a run of
// closers (and spaces inside it). Taking whole runs at once is what makes
// one pass enough: no replacement can meet a bracket left beside it. When
// the run of openers is not followed by a word and a closer, no position
// inside it can start a form either, so the scan skips the whole run.
func defangedAt(s string, i int) (n int, rep string, skip int) {
	c := s[i]
	if isOpener(c) {
		j := i + 1
		for j < len(s) && (isOpener(s[j]) || s[j] == ' ') {
			j++
		}
		for _, w := range bracketWords {
			if len(s)-j < len(w.word) || !strings.EqualFold(s[j:j+len(w.word)], w.word) {
				continue
			}
			k := j + len(w.word)
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k == len(s) || !isCloser(s[k]) {
				continue
			}
			end := k + 1 // just after the last closer of the run
			for m := end; m < len(s) && (isCloser(s[m]) || s[m] == ' '); m++ {
				if isCloser(s[m]) {
					end = m + 1
				}
			}
			return end - i, w.rep, 0
		}
		return 0, "", j - i
	}
	if c|0x20 == 'h' || c|0x20 == 'f' {
		if i > 0 && isAlnum(s[i-1]) {
			return 0, "", 1
		}
		for _, w := range schemeWords {
			k := i + len(w.word)
			if k < len(s) && strings.EqualFold(s[i:k], w.word) && (s[k] == ':' || isOpener(s[k])) {
				return len(w.word), w.rep, 0
			}
		}
	}
	return 0, "", 1
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
