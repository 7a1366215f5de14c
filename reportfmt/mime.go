package reportfmt

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
)

// The MIME walk reads a message once, as a stream, from its raw bytes:
// multiparts are split with mime/multipart (raw parts: the transfer
// encoding is undone here, not by the package), attached messages are
// walked into, and each leaf part is decoded only if something is to be
// read from it, and then only up to the cap for what it is. Nothing is
// decoded twice and nothing is kept beyond its cap.

// errHeaderTooLarge ends a header section over MaxHeaderBytes.
var errHeaderTooLarge = errors.New("header section too large")

// errDecodeBudget ends reading once MaxDecodedBytes have been decoded.
var errDecodeBudget = errors.New("decoded-size limit reached")

// readHeader reads one header section: lines up to the first empty line or
// the end of input. It is lenient, as mail must be read around its faults:
// a first line "From ..." (an mbox separator, as some .eml files keep) and
// any line that is neither "Name: value" nor a continuation are skipped and
// counted. A section over limit bytes is errHeaderTooLarge.
func readHeader(br *bufio.Reader, limit int) (h textproto.MIMEHeader, skipped int, err error) {
	h = make(textproto.MIMEHeader)
	var key string
	var val []byte
	flush := func() {
		if key != "" {
			h[key] = append(h[key], strings.TrimSpace(string(val)))
		}
		key, val = "", val[:0]
	}
	read := 0
	for first := true; ; first = false {
		line, err := readLine(br, limit-read)
		read += len(line)
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			return h, skipped, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			flush()
			return h, skipped, nil
		case line[0] == ' ' || line[0] == '\t':
			if key == "" {
				skipped++
				continue
			}
			val = append(val, line...)
		case first && bytes.HasPrefix(line, []byte("From ")):
			// mbox separator
		default:
			flush()
			i := bytes.IndexByte(line, ':')
			name := string(bytes.TrimRight(line[:max(i, 0)], " \t"))
			if i <= 0 || !validHeaderName(name) {
				skipped++
				continue
			}
			key = textproto.CanonicalMIMEHeaderKey(name)
			val = append(val, line[i+1:]...)
		}
		if err == io.EOF {
			break
		}
	}
	flush()
	return h, skipped, nil
}

// readLine returns the next line with its end, reading at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			return nil, errHeaderTooLarge
		}
		if err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			continue
		}
		if line == nil {
			return chunk, err
		}
		return append(line, chunk...), err
	}
}

// validHeaderName reports whether s is a header field name (RFC 5322
// printable ASCII without colon or space).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return s != ""
}

// contentType returns a part's media type in lower case and its
// parameters. Without a Content-Type a part is text/plain, or
// message/rfc822 inside multipart/digest (RFC 2046 §5.1.5); a malformed one
// is read as text/plain (RFC 2045 §5.2).
func contentType(h textproto.MIMEHeader, parent string) (string, map[string]string) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		if parent == "multipart/digest" {
			return "message/rfc822", map[string]string{}
		}
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if mt == "" || (err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter)) || !strings.Contains(mt, "/") {
		return "text/plain", map[string]string{}
	}
	if params == nil {
		params = map[string]string{}
	}
	return mt, params
}

// disposition returns a part's file name (from Content-Disposition, else
// the Content-Type name parameter, RFC 2047 words decoded, reduced to a base
// name) and whether it is marked as an attachment.
func disposition(h textproto.MIMEHeader, ctParams map[string]string) (filename string, attachment bool) {
	if v := h.Get("Content-Disposition"); v != "" {
		d, params, _ := mime.ParseMediaType(v)
		attachment = d == "attachment"
		filename = params["filename"]
	}
	if filename == "" {
		filename = ctParams["name"]
	}
	if strings.Contains(filename, "=?") {
		if dec, err := wordDecoder.DecodeHeader(filename); err == nil {
			filename = dec
		}
	}
	return baseName(filename), attachment
}

// wordDecoder decodes RFC 2047 encoded words in the charsets tldguard
// reads (UTF-8, US-ASCII, ISO-8859-1); other charsets are left encoded.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	switch charsetOf(charset) {
	case csLatin1:
		b, err := io.ReadAll(io.LimitReader(r, 64<<10))
		return strings.NewReader(latin1(b)), err
	case csUTF8:
		return r, nil
	}
	return nil, fmt.Errorf("charset %s is not read", charset)
}}

// decodeHeader decodes the RFC 2047 words of an unstructured header value
// (Subject), leaving it as it is where it cannot.
func decodeHeader(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// transferDecoder undoes a Content-Transfer-Encoding. base64 is read
// leniently: characters outside the alphabet (line breaks, stray spaces)
// are dropped, as mail clients do.
func transferDecoder(cte string, r io.Reader) (io.Reader, string) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return r, ""
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r}), ""
	case "quoted-printable":
		return quotedprintable.NewReader(r), ""
	}
	return r, fmt.Sprintf("Content-Transfer-Encoding %q is unknown; the part was read as it is", truncate(cte, 40))
}

// base64Filter passes on only the bytes of the base64 alphabet and "=".
type base64Filter struct {
	r   io.Reader
	buf [4096]byte
}

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(f.buf[:min(len(p), len(f.buf))])
		k := 0
		for _, c := range f.buf[:n] {
			if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// Charsets tldguard reads text in.
const (
	csOther = iota
	csUTF8
	csLatin1
)

func charsetOf(name string) int {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(name), `"`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us":
		return csUTF8
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819", "iso-ir-100":
		return csLatin1
	}
	return csOther
}

// latin1 converts ISO-8859-1 bytes to a string.
func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// toText converts the bytes of a text part to a string. UTF-8 and US-ASCII
// are taken as they are (invalid sequences replaced), ISO-8859-1 converted;
// of any other charset only the ASCII characters are kept (enough for the
// names and URLs tldguard looks for), which the note says.
func toText(b []byte, charset string) (string, string) {
	switch charsetOf(charset) {
	case csUTF8:
		if utf8.Valid(b) {
			return string(b), ""
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), ""
	case csLatin1:
		return latin1(b), ""
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 0x80 || c == 0 {
			c = ' '
		}
		out[i] = c
	}
	return string(out), fmt.Sprintf("charset %q is not read; only its ASCII characters were", truncate(charset, 40))
}

// readInto reads up to limit bytes of r into *scratch, which it grows as
// needed and keeps for the next call: reading a part that turns out to be
// over its cap then costs no new memory. over reports that r held more (the
// extra byte read to find out is dropped); err is a read error other than
// the end of input (what was read before it is returned). The result
// aliases *scratch and is valid until the next call.
func readInto(r io.Reader, limit int64, scratch *[]byte) (b []byte, over bool, err error) {
	limit = max(limit, 0)
	buf := (*scratch)[:0]
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			n := min(max(2*int64(cap(buf)), 32<<10), limit+1)
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	*scratch = buf[:0]
	if int64(len(buf)) > limit {
		return buf[:limit], true, err
	}
	return buf, false, err
}

// capWriter keeps what is written to it up to max bytes and notes whether
// more came.
type capWriter struct {
	max  int64
	buf  bytes.Buffer
	over bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - int64(w.buf.Len()); int64(len(p)) > room {
		w.over = true
		if room > 0 {
			w.buf.Write(p[:room])
		}
		return len(p), nil
	}
	w.buf.Write(p)
	return len(p), nil
}

// counted counts the bytes read through it against the decoder's
// MaxDecodedBytes.
type counted struct {
	r io.Reader
	d *mailDecoder
}

func (c *counted) Read(p []byte) (int, error) {
	if c.d.decoded >= c.d.lim.MaxDecodedBytes {
		return 0, errDecodeBudget
	}
	if room := c.d.lim.MaxDecodedBytes - c.d.decoded; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.d.decoded += int64(n)
	return n, err
}

// part describes one MIME entity during the walk.
type part struct {
	header     textproto.MIMEHeader
	path       string // "1.2": the position in the message, for notes
	depth      int
	mediaType  string
	params     map[string]string
	filename   string
	attachment bool
	parent     string // media type of the enclosing multipart, "" at the top
	index      int    // position in the enclosing multipart
	inMessage  bool   // inside an attached message
	evidence   bool   // inside the evidence part of an ARF or X-ARF report
}

// name describes p for a note: "part 2.1 (image/png, shot.png)".
func (p *part) name() string {
	s := "the message body"
	if p.path != "" {
		s = "part " + p.path
	}
	if p.filename != "" {
		return fmt.Sprintf("%s (%s, %s)", s, p.mediaType, p.filename)
	}
	return fmt.Sprintf("%s (%s)", s, p.mediaType)
}

// top reports whether p is a direct part of the message's own multipart.
func (p *part) top() bool { return p.depth == 1 && !p.inMessage }

func childPath(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i + 1)
	}
	return parent + "." + strconv.Itoa(i+1)
}

// entity walks one MIME entity whose header is h and whose body (still in
// its transfer encoding) is body.
func (d *mailDecoder) entity(h textproto.MIMEHeader, body io.Reader, p part) {
	if d.stopped {
		return
	}
	d.parts++
	if d.parts > d.lim.MaxParts {
		d.stopped = true
		d.m.note("the message has more than %d MIME parts; the rest was not read", d.lim.MaxParts)
		return
	}
	p.header = h
	p.mediaType, p.params = contentType(h, p.parent)
	p.filename, p.attachment = disposition(h, p.params)
	if p.depth > d.lim.MaxDepth {
		d.m.note("%s is nested more than %d levels deep and was not read", p.name(), d.lim.MaxDepth)
		return
	}
	body, msg := transferDecoder(h.Get("Content-Transfer-Encoding"), body)
	if msg != "" {
		d.m.note("%s: %s", p.name(), msg)
	}
	if strings.HasPrefix(p.mediaType, "multipart/") {
		d.multipart(body, p)
		return
	}
	d.leaf(&counted{r: body, d: d}, p)
}

// multipart walks the parts of a multipart entity.
func (d *mailDecoder) multipart(body io.Reader, p part) {
	boundary := p.params["boundary"]
	if boundary == "" {
		d.m.note("%s has no boundary; it was read as text", p.name())
		p.mediaType = "text/plain"
		d.leaf(&counted{r: body, d: d}, p)
		return
	}
	mr := multipart.NewReader(body, boundary)
	for i := 0; !d.stopped; i++ {
		sub, err := mr.NextRawPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			if i == 0 {
				d.m.note("%s: no part could be read (%v)", p.name(), err)
			} else {
				d.m.note("%s: part %d is malformed (%v); the rest was not read", p.name(), i+1, err)
			}
			return
		}
		d.entity(sub.Header, sub, part{
			path: childPath(p.path, i), depth: p.depth + 1, parent: p.mediaType, index: i,
			inMessage: p.inMessage, evidence: p.evidence,
		})
	}
}

// message walks into an attached message (message/rfc822), keeping its
// bytes as evidence when keep is set and they fit the evidence caps.
func (d *mailDecoder) message(body io.Reader, p part, keep bool, description string) {
	var cw *capWriter
	if keep {
		if room := d.evidenceRoom(p); room > 0 {
			cw = &capWriter{max: room}
			body = io.TeeReader(body, cw)
		}
	}
	br := bufio.NewReader(body)
	h, _, err := readHeader(br, d.lim.MaxHeaderBytes)
	if err != nil {
		d.m.note("%s: the attached message's header could not be read (%v)", p.name(), err)
	} else {
		if p.evidence && d.evidenceSubject == "" {
			d.evidenceSubject = decodeHeader(h.Get("Subject"))
		}
		d.entity(h, br, part{path: p.path, depth: p.depth + 1, inMessage: true, evidence: p.evidence})
	}
	if cw == nil {
		return
	}
	if _, err := io.Copy(io.Discard, br); err != nil && !d.stopped {
		d.m.note("%s: %v", p.name(), err)
		return
	}
	if cw.over {
		d.m.note("%s was not kept as evidence: it is larger than the evidence limits allow; it stays in the stored message", p.name())
		return
	}
	d.addEvidence(p, cw.buf.Bytes(), description)
}

// leaf reads a part that is not a multipart, according to what it is.
func (d *mailDecoder) leaf(body io.Reader, p part) {
	mt := p.mediaType
	switch {
	case mt == "message/rfc822" || mt == "message/global":
		switch {
		case d.arf && p.top():
			p.evidence = true
			d.message(body, p, true, "The reported message (the third part of the ARF report)")
			p.evidence = false
		case d.legacy && p.top() && p.index >= 2:
			p.evidence = true
			d.message(body, p, true, "Evidence attached to the X-ARF report")
		default:
			d.message(body, p, true, "An attached message")
		}
	case mt == "message/feedback-report":
		if d.arf && p.top() && d.feedback == nil {
			if b := d.document(body, p); b != nil {
				f, _, _ := readHeader(bufio.NewReader(bytes.NewReader(b)), len(b)+1)
				d.feedback = f
			}
		}
	case mt == "text/rfc822-headers" || mt == "message/rfc822-headers":
		desc := "Headers of an attached message"
		if d.arf && p.top() {
			desc = "Headers of the reported message (the third part of the ARF report)"
		}
		d.evidencePart(body, p, desc)
	case strings.HasPrefix(mt, "message/"):
		// delivery-status, disposition-notification, partial, external-body:
		// nothing to read.
	case d.legacy && p.top() && p.index == 1 && mt == "text/plain" && d.yaml == nil:
		d.yaml = d.document(body, p)
	case d.legacy && p.top() && p.index >= 2:
		d.evidencePart(body, p, "Evidence attached to the X-ARF report")
	case isJSON(mt, p.filename) && !(p.inMessage && !p.attachment):
		if b := d.document(body, p); b != nil {
			d.docs = append(d.docs, doc{part: p, json: true, content: b})
		}
	case isXML(mt, p.filename) && !(p.inMessage && !p.attachment):
		if b := d.document(body, p); b != nil {
			d.docs = append(d.docs, doc{part: p, content: b})
		}
	case mt == "text/plain" || mt == "text/html":
		if p.attachment && p.filename != "" {
			d.textAttachment(body, p)
			return
		}
		d.text(body, p)
	case mt == "application/pgp-signature" || mt == "application/pkcs7-signature" || mt == "application/x-pkcs7-signature" ||
		mt == "application/pgp-keys" || mt == "text/x-vcard" || mt == "text/vcard" || mt == "application/ms-tnef":
		// signatures and contact cards are not evidence
	default:
		if p.attachment || p.filename != "" || strings.HasPrefix(mt, "image/") {
			d.evidencePart(body, p, "Attached to the mail")
		}
	}
}

func isJSON(mt, filename string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		strings.HasSuffix(strings.ToLower(filename), ".json")
}

func isXML(mt, filename string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml") ||
		strings.HasSuffix(strings.ToLower(filename), ".xml")
}

// document reads a structured part within MaxDocumentBytes, or notes why not.
func (d *mailDecoder) document(body io.Reader, p part) []byte {
	b, over, err := readInto(body, d.lim.MaxDocumentBytes, &d.scratch)
	switch {
	case over:
		d.m.note("%s is larger than %s and was not read", p.name(), size(d.lim.MaxDocumentBytes))
		return nil
	case err != nil:
		d.m.note("%s could not be read whole (%v)", p.name(), err)
		return nil
	}
	return bytes.Clone(b)
}

// text reads a text/plain or text/html part within what is left of
// MaxTextBytes.
func (d *mailDecoder) text(body io.Reader, p part) {
	room := d.lim.MaxTextBytes - d.textBytes
	if room <= 0 {
		if !d.textCut {
			d.textCut = true
			d.m.note("the mail has more than %s of text; the rest was not read for names", size(d.lim.MaxTextBytes))
		}
		return
	}
	b, over, err := readInto(body, room, &d.scratch)
	if err != nil {
		d.m.note("%s could not be read whole (%v)", p.name(), err)
	}
	if over && !d.textCut {
		d.textCut = true
		d.m.note("the mail has more than %s of text; the rest was not read for names", size(d.lim.MaxTextBytes))
	}
	d.addText(b, p)
}

func (d *mailDecoder) addText(b []byte, p part) {
	d.textBytes += int64(len(b))
	s, msg := toText(b, p.params["charset"])
	if msg != "" {
		d.m.note("%s: %s", p.name(), msg)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	html := p.mediaType == "text/html"
	if html {
		s = htmlText(s)
	}
	d.texts = append(d.texts, textPart{part: p, html: html, text: s})
}

// textAttachment keeps an attached text file as evidence and reads its
// text for names too (a reporter may attach a list of URLs).
func (d *mailDecoder) textAttachment(body io.Reader, p part) {
	evRoom := d.evidenceRoom(p)
	txRoom := max(d.lim.MaxTextBytes-d.textBytes, 0)
	b, over, err := readInto(body, max(evRoom, txRoom), &d.scratch)
	if err != nil {
		d.m.note("%s could not be read whole (%v)", p.name(), err)
		return
	}
	if evRoom > 0 && !over && int64(len(b)) <= evRoom {
		d.addEvidence(p, b, "Attached to the mail")
	} else {
		d.m.note("%s was not kept as evidence: it is larger than the evidence limits allow; it stays in the stored message", p.name())
	}
	if txRoom > 0 {
		d.addText(b[:min(int64(len(b)), txRoom)], p)
	}
}

// evidenceRoom is how many bytes one more evidence item may hold, 0 when
// no more items fit.
func (d *mailDecoder) evidenceRoom(p part) int64 {
	if len(d.evidence) >= d.lim.MaxEvidence {
		return 0
	}
	return max(min(d.lim.MaxEvidenceBytes, d.lim.MaxTotalEvidenceBytes-d.evidenceBytes), 0)
}

// evidencePart keeps a part as evidence if it fits the evidence caps.
func (d *mailDecoder) evidencePart(body io.Reader, p part, description string) {
	room := d.evidenceRoom(p)
	if room <= 0 {
		d.m.note("%s was not kept as evidence: the report already holds as much evidence as allowed; it stays in the stored message", p.name())
		return
	}
	b, over, err := readInto(body, room, &d.scratch)
	switch {
	case over:
		d.m.note("%s was not kept as evidence: it is larger than the evidence limits allow; it stays in the stored message", p.name())
	case err != nil:
		d.m.note("%s was not kept as evidence: it could not be read whole (%v)", p.name(), err)
	default:
		d.addEvidence(p, b, description)
	}
}

func (d *mailDecoder) addEvidence(p part, content []byte, description string) {
	if len(content) == 0 {
		return
	}
	mt := mime.FormatMediaType(p.mediaType, nil)
	if cs := p.params["charset"]; cs != "" && strings.HasPrefix(p.mediaType, "text/") {
		mt = mime.FormatMediaType(p.mediaType, map[string]string{"charset": strings.ToLower(cs)})
	}
	if mt == "" {
		mt = defaultMediaType
	}
	filename := p.filename
	if filename == "" {
		switch {
		case p.evidence && (p.mediaType == "message/rfc822" || p.mediaType == "message/global"):
			filename = "reported-message.eml"
		case p.mediaType == "message/rfc822" || p.mediaType == "message/global":
			filename = "attached-message.eml"
		case p.mediaType == "text/rfc822-headers" || p.mediaType == "message/rfc822-headers":
			filename = "message-headers.txt"
		}
	}
	d.evidenceBytes += int64(len(content))
	d.evidence = append(d.evidence, tldguard.EvidenceInput{
		MediaType: mt, Filename: truncate(filename, d.lim.MaxFieldLen), Description: description, Content: bytes.Clone(content),
	})
}
