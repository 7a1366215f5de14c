package reportfmt

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
)

// A plain mail is a person's own words: "I got this mail, the link goes to
// hxxps://login-paypa1[.]example/verify". tldguard refangs the text, finds
// URLs (with a scheme) and bare host names in it, and keeps those the
// caller's InScope accepts; e-mail addresses are not taken as names (the
// reporter's own and its colleagues' would swamp the rest), nor is
// anything after an RFC 3676 signature separator ("-- ") in the mail's own
// text.

var (
	// urlPattern finds URLs with a scheme, up to white space or a character
	// that cannot end one in running text.
	urlPattern = regexp.MustCompile(`(?i)\b(?:https?|ftp|wss?)://[^\s<>"'` + "`" + `{}|\\^\x{00A0}\x{3000}]+`)
	// hostPattern finds bare host names (two labels or more, the last one
	// alphabetic or an A-label), with an optional port and path.
	hostPattern = regexp.MustCompile(`(?i)(?:[\p{L}\p{N}](?:[\p{L}\p{N}_-]{0,61}[\p{L}\p{N}])?\.)+(?:xn--[a-z0-9-]{1,59}|\p{L}{2,63})(?::[0-9]{1,5})?(?:/[^\s<>"'` + "`" + `{}|\\^\x{00A0}\x{3000}]*)?`)
)

// maxIgnored bounds MailReport.Ignored.
const maxIgnored = 10

// nameSet collects a report's names in order, without duplicates, within
// the caps.
type nameSet struct {
	lim  Limits
	m    *MailReport
	seen map[string]bool
	list []string
	full bool
}

func newNameSet(lim Limits, m *MailReport) *nameSet {
	return &nameSet{lim: lim, m: m, seen: map[string]bool{}}
}

// add keeps a name as written (trimmed), unless it is a duplicate, blank,
// too long, or the report is full.
func (s *nameSet) add(name string) {
	name = strings.TrimSpace(name)
	if name == "" || s.seen[strings.ToLower(name)] {
		return
	}
	if utf8.RuneCountInString(name) > s.lim.MaxNameLen {
		s.m.note("a name or URL longer than %d characters was skipped: %s", s.lim.MaxNameLen, truncate(name, 60))
		return
	}
	if len(s.list) >= s.lim.MaxNames {
		if !s.full {
			s.full = true
			s.m.note("the mail names more than %d names or URLs; only the first %d were read", s.lim.MaxNames, s.lim.MaxNames)
		}
		return
	}
	s.seen[strings.ToLower(name)] = true
	s.list = append(s.list, name)
}

// extract adds the names and URLs in text that inScope accepts (all, when
// it is nil); those it refuses are counted in the mail report.
func (s *nameSet) extract(text string, inScope func(string) bool) {
	text = dnsname.Refang(text)
	taken := urlPattern.FindAllStringIndex(text, -1)
	keep := func(name string) {
		if len(name) > 4*s.lim.MaxNameLen {
			s.m.note("a name or URL longer than %d characters was skipped: %s", s.lim.MaxNameLen, truncate(name, 60))
			return
		}
		name = trimURL(name)
		host := hostPart(name)
		if host == "" {
			return
		}
		if inScope != nil && !inScope(host) {
			s.ignore(host)
			return
		}
		s.add(name)
	}
	for _, loc := range taken {
		keep(text[loc[0]:loc[1]])
	}
	// Bare names outside the URLs already taken.
	next := 0
	for _, loc := range hostPattern.FindAllStringIndex(text, -1) {
		for next < len(taken) && taken[next][1] <= loc[0] {
			next++
		}
		if next < len(taken) && taken[next][0] < loc[1] {
			continue // inside a URL
		}
		if loc[0] > 0 {
			prev, _ := utf8.DecodeLastRuneInString(text[:loc[0]])
			if prev == '@' || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev == ':' || isWordRune(prev) {
				continue // an e-mail address, or the tail of something longer
			}
		}
		if loc[1] < len(text) {
			if next, _ := utf8.DecodeRuneInString(text[loc[1]:]); next == '@' || next == '-' || isWordRune(next) {
				continue // the local part of an address like a.b@c.example, or not a name
			}
		}
		keep(text[loc[0]:loc[1]])
	}
}

func (s *nameSet) ignore(host string) {
	m := s.m
	h := strings.ToLower(host)
	if m.ignored == nil {
		m.ignored = map[string]bool{}
	}
	if m.ignored[h] || len(m.ignored) >= 10000 {
		return
	}
	m.ignored[h] = true
	m.IgnoredCount++
	if len(m.Ignored) < maxIgnored {
		m.Ignored = append(m.Ignored, h)
	}
}

func isWordRune(r rune) bool {
	return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r >= 0x80 && r != utf8.RuneError
}

// trimURL drops what running text puts after a URL: closing punctuation,
// and a closing bracket that has no opening one inside the URL.
func trimURL(u string) string {
	opens := map[byte]int{'(': strings.Count(u, "("), '[': strings.Count(u, "[")}
	closes := map[byte]int{')': strings.Count(u, ")"), ']': strings.Count(u, "]")}
	for u != "" {
		last := u[len(u)-1]
		switch last {
		case '.', ',', ';', ':', '!', '?', '\'', '"', '*':
			u = u[:len(u)-1]
			continue
		case ')', ']':
			open := byte('(')
			if last == ']' {
				open = '['
			}
			if opens[open] < closes[last] {
				closes[last]--
				u = u[:len(u)-1]
				continue
			}
		}
		break
	}
	return u
}

// hostPart returns the host of a URL or bare name as written.
func hostPart(s string) string {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		return "" // an IPv6 literal
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// cutSignature drops an RFC 3676 signature ("-- " alone on a line) and
// what follows it.
func cutSignature(text string) string {
	for _, sep := range []string{"\n-- \r\n", "\n-- \n"} {
		if i := strings.Index(text, sep); i >= 0 {
			text = text[:i]
		}
	}
	if strings.HasPrefix(text, "-- \n") || strings.HasPrefix(text, "-- \r\n") {
		return ""
	}
	return text
}

// threatKeywords are the words tldguard reads a plain mail's threat type
// from, in order of precedence when counts tie. Matched in lower case at
// word starts.
var threatKeywords = []struct {
	threat tldguard.ThreatType
	re     *regexp.Regexp
}{
	{tldguard.ThreatPhishing, regexp.MustCompile(`\b(?:phish\w*|credential[s ]\w*|fake (?:login|bank|sign-?in)\w*|account verification|verify your account|password harvest\w*|impersonat\w*)`)},
	{tldguard.ThreatMalware, regexp.MustCompile(`\b(?:malware|virus\w*|trojan\w*|ransomware|infected|infection|malicious (?:download|file|attachment|payload|code)|stealer|dropper|spyware|exploit kit|drive-by)`)},
	{tldguard.ThreatBotnet, regexp.MustCompile(`\b(?:botnet\w*|command[ -]and[ -]control|c2 server|c2|c&c|cnc server|bot herder|dga)\b`)},
	{tldguard.ThreatPharming, regexp.MustCompile(`\b(?:pharming|dns hijack\w*|dns poison\w*|hijacked dns|cache poison\w*)`)},
	{tldguard.ThreatSpam, regexp.MustCompile(`\b(?:spam\w*|unsolicited (?:mail|e-?mail|message)\w*|junk mail)`)},
}

// outOfScopeKeywords name abuse that is not DNS abuse; a mail naming only
// these is out of scope, with the word as its category.
var outOfScopeKeywords = regexp.MustCompile(`\b(copyright|trademark|counterfeit|dmca|infring\w*|defamat\w*|piracy|pirated)\b`)

// maxInferText bounds the text inferThreat reads.
const maxInferText = 64 << 10

// inferThreat reads a threat type from the words of a mail: the DNS-abuse
// type whose keywords occur most often (ties go to the earlier type of
// threatKeywords), else out of scope when it speaks only of copyright and
// the like, else phishing, marked CategoryUnclassified for an analyst.
// The category says which it was: `inferred from "phishing"`, the
// out-of-scope word, or CategoryUnclassified.
func inferThreat(text string) (tldguard.ThreatType, string) {
	if len(text) > maxInferText {
		text = text[:maxInferText]
	}
	text = strings.ToLower(text)
	best, bestN, word := tldguard.ThreatType(""), 0, ""
	for _, k := range threatKeywords {
		locs := k.re.FindAllStringIndex(text, 100)
		if len(locs) > bestN {
			best, bestN, word = k.threat, len(locs), text[locs[0][0]:locs[0][1]]
		}
	}
	if best != "" {
		return best, CategoryInferredPrefix + `"` + word + `"`
	}
	if m := outOfScopeKeywords.FindString(text); m != "" {
		return tldguard.ThreatOutOfScope, m
	}
	return tldguard.ThreatPhishing, CategoryUnclassified
}

// plainReport reads a human-written mail.
func (d *mailDecoder) plainReport() *tldguard.ReportInput {
	in := &tldguard.ReportInput{Format: FormatMailPlain, NamesField: "the mail's text"}
	names := newNameSet(d.lim.Limits, d.m)
	var words strings.Builder
	words.WriteString(d.m.Subject)
	for _, t := range d.texts {
		text := t.text
		if !t.part.inMessage && !t.part.attachment && !t.html {
			text = cutSignature(text)
		}
		names.extract(text, d.lim.InScope)
		if words.Len() < maxInferText {
			words.WriteString("\n")
			words.WriteString(text[:min(len(text), maxInferText)])
		}
	}
	in.Names = names.list
	in.ThreatType, in.Category = inferThreat(words.String())
	var f facts
	f.add("Subject", d.m.Subject)
	if d.evidenceSubject != "" {
		f.add("Forwarded message", d.evidenceSubject)
	}
	switch {
	case in.Category == CategoryUnclassified:
		f.add("Threat type", "none named in the mail; filed as phishing for an analyst to classify")
	case strings.HasPrefix(in.Category, CategoryInferredPrefix):
		f.add("Threat type", string(in.ThreatType)+", "+in.Category)
	}
	in.Description = f.describeAfter(strings.TrimSpace(d.bodyText()), d.lim.MaxTextLen)
	return in
}

// describeAfter is describe with the facts first and the text after them
// (a mail's text is long; the facts must not be cut).
func (f *facts) describeAfter(text string, max int) string {
	all := strings.Join(f.lines, "\n")
	if text != "" {
		if all != "" {
			all += "\n\n"
		}
		all += text
	}
	return truncate(all, max)
}

// htmlText returns the text of an HTML document with the targets of its
// links written out beside their text (" <https://...> "), script and
// style content and comments dropped, and character references decoded.
// It is a linear scan, not a parser: enough to find names and URLs.
func htmlText(s string) string {
	var b strings.Builder
	b.Grow(len(s) / 2)
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			b.WriteString(html.UnescapeString(s[i:]))
			break
		}
		b.WriteString(html.UnescapeString(s[i : i+lt]))
		i += lt
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		gt := tagEnd(s, i+1)
		tag := s[i+1 : gt]
		i = min(gt+1, len(s))
		name := strings.ToLower(tagName(tag))
		switch name {
		case "script", "style":
			end := indexCloseTag(s[i:], name)
			if end < 0 {
				i = len(s)
			} else {
				i += end
			}
			continue
		case "br", "p", "/p", "div", "/div", "tr", "/tr", "li", "td", "h1", "h2", "h3", "/h1", "/h2", "/h3", "table", "/table", "blockquote", "/blockquote":
			b.WriteByte('\n')
		case "a", "area":
			if href := attr(tag, "href"); href != "" {
				b.WriteString(" <")
				b.WriteString(html.UnescapeString(href))
				b.WriteString("> ")
			}
		default:
			b.WriteByte(' ')
		}
	}
	return tidyText(b.String())
}

// tidyText collapses the runs of spaces and empty lines markup leaves.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// indexCloseTag returns the index of "</name" (any case) in s, or -1.
func indexCloseTag(s, name string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], "</")
		if i < 0 {
			return -1
		}
		i += from
		if end := i + 2 + len(name); end <= len(s) && strings.EqualFold(s[i+2:end], name) {
			return i
		}
		from = i + 2
	}
}

// tagEnd returns the index of the '>' closing the tag that starts at i,
// skipping quoted attribute values, or len(s).
func tagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return len(s)
}

func tagName(tag string) string {
	end := strings.IndexAny(tag, " \t\r\n/>")
	if end == 0 && strings.HasPrefix(tag, "/") {
		end = strings.IndexAny(tag[1:], " \t\r\n>")
		if end < 0 {
			return tag
		}
		return tag[:end+1]
	}
	if end < 0 {
		return tag
	}
	return tag[:end]
}

// attr returns the value of an attribute of a tag, "" when it has none.
func attr(tag, name string) string {
	lower := strings.ToLower(tag)
	for from := 0; ; {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !strings.ContainsRune(" \t\r\n", rune(lower[i-1])) {
			continue
		}
		j := from
		for j < len(tag) && (tag[j] == ' ' || tag[j] == '\t' || tag[j] == '\r' || tag[j] == '\n') {
			j++
		}
		if j >= len(tag) || tag[j] != '=' {
			continue
		}
		j++
		for j < len(tag) && (tag[j] == ' ' || tag[j] == '\t' || tag[j] == '\r' || tag[j] == '\n') {
			j++
		}
		if j >= len(tag) {
			return ""
		}
		if q := tag[j]; q == '"' || q == '\'' {
			end := strings.IndexByte(tag[j+1:], q)
			if end < 0 {
				return tag[j+1:]
			}
			return tag[j+1 : j+1+end]
		}
		end := strings.IndexAny(tag[j:], " \t\r\n")
		if end < 0 {
			return tag[j:]
		}
		return tag[j : j+end]
	}
}
