package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/service"
)

// The outgoing side: tldguard's notices to reporters, registrars and the
// operator, handed to the operator's SMTP relay (RFC 5321) as MIME
// messages (RFC 5322, 2045-2047, 2231).

// Message is one outgoing message: the notice delivery loop's rendered
// notice (service.Mail), so that a Sender is the loop's Mailer.
type Message = service.Mail

// Attachment is a file attached to a Message.
type Attachment = service.Attachment

// StartTLS says when the Sender upgrades the connection with STARTTLS.
type StartTLS string

const (
	// StartTLSOpportunistic uses STARTTLS when the relay offers it (the
	// default). Credentials are never sent without TLS either way.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSRequired refuses to send over a connection without TLS.
	StartTLSRequired StartTLS = "required"
)

// SenderConfig configures a Sender.
type SenderConfig struct {
	// Addr is the relay's HOST:PORT (e.g. "smtp.nic.example:587").
	Addr string
	// HELO is the name the client greets with (default: this host's name
	// when it is a full domain name, else the From address's domain).
	HELO string
	// From is the sender, "abuse@nic.example" or "NIC Abuse <abuse@...>":
	// the From header and the envelope sender; its domain makes the
	// Message-IDs.
	From string
	// Username and Password, when set, authenticate with AUTH PLAIN, and
	// only over TLS: they are never sent on a connection without it.
	Username, Password string
	// StartTLS is StartTLSOpportunistic (default) or StartTLSRequired.
	StartTLS StartTLS
	// TLS configures STARTTLS (default: verify the relay's certificate for
	// the host of Addr, TLS 1.2 or later).
	TLS *tls.Config
	// DialTimeout bounds the connection (default 30s); Timeout bounds the
	// whole exchange of one message (default 2 minutes).
	DialTimeout, Timeout time.Duration
	// Now is the clock of the Date header (default time.Now).
	Now func() time.Time
}

// Sender sends messages through one SMTP relay, a new connection per
// message. It is safe for concurrent use.
type Sender struct {
	cfg    SenderConfig
	host   string
	from   *mail.Address
	domain string // of From
}

var _ service.Mailer = (*Sender)(nil)

// NewSender checks cfg and returns a Sender. It does not connect.
func NewSender(cfg SenderConfig) (*Sender, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "addr", "%q is not HOST:PORT", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "from", "%q is not an e-mail address: %v", cfg.From, err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	if !ascii(from.Address) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "from", "%q: use an ASCII address (A-labels for the domain)", cfg.From)
	}
	switch cfg.StartTLS {
	case "":
		cfg.StartTLS = StartTLSOpportunistic
	case StartTLSOpportunistic, StartTLSRequired:
	default:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "starttls", "%q is not required or opportunistic", cfg.StartTLS)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "username", "give both the user name and the password, or neither")
	}
	if cfg.TLS == nil {
		cfg.TLS = &tls.Config{}
	}
	cfg.TLS = cfg.TLS.Clone()
	if cfg.TLS.ServerName == "" {
		cfg.TLS.ServerName = host
	}
	if cfg.TLS.MinVersion == 0 {
		cfg.TLS.MinVersion = tls.VersionTLS12
	}
	if cfg.HELO == "" {
		cfg.HELO = domain
		if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") {
			cfg.HELO = h
		}
	}
	if strings.ContainsAny(cfg.HELO, " \r\n") {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "helo", "%q is not a host name", cfg.HELO)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, host: host, from: from, domain: domain}, nil
}

// Send composes m and hands it to the relay. Errors: EINVALID for a
// message that cannot be composed (no recipient, a bad address);
// EUNAVAILABLE for a failure worth retrying (a 4xx reply, a connection
// or TLS failure, the relay not offering TLS when it is required or when
// credentials are to be sent); EUNPROCESSABLE for a permanent refusal (a
// 5xx reply), naming the reply.
func (s *Sender) Send(ctx context.Context, m Message) error {
	rcpts, raw, err := s.compose(m)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Timeout: s.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return s.failure("connect", err)
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	// Cancelling ctx interrupts a command in progress.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return s.failure("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HELO); err != nil {
		return s.failure("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(s.cfg.TLS); err != nil {
			return s.failure("STARTTLS", err)
		}
	} else if s.cfg.StartTLS == StartTLSRequired {
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "relay %s does not offer STARTTLS, which is required; nothing was sent", s.cfg.Addr)
	}
	if s.cfg.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return tldguard.Errorf(tldguard.EUNAVAILABLE, "relay %s offers no TLS: the credentials are not sent without it; nothing was sent", s.cfg.Addr)
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return tldguard.Errorf(tldguard.EUNAVAILABLE, "relay %s does not offer AUTH, and credentials are configured", s.cfg.Addr)
		}
		if err := c.Auth(plainAuth{user: s.cfg.Username, pass: s.cfg.Password}); err != nil {
			return s.failure("AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.failure("MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return s.failure("RCPT TO:<"+r+">", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.failure("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return s.failure("message", err)
	}
	if err := w.Close(); err != nil {
		return s.failure("end of message", err)
	}
	// The relay has the message; a failed QUIT changes nothing.
	c.Quit()
	return nil
}

// failure turns an SMTP or network error into an error kind: a 5xx reply
// is permanent, anything else (4xx, a dropped connection, TLS) temporary.
func (s *Sender) failure(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		reply := strings.Join(strings.Fields(fmt.Sprintf("%d %s", tp.Code, tp.Msg)), " ")
		if tp.Code >= 500 {
			return tldguard.Errorf(tldguard.EUNPROCESSABLE, "relay %s refused %s: %s", s.cfg.Addr, step, reply)
		}
		return tldguard.Errorf(tldguard.EUNAVAILABLE, "relay %s deferred %s: %s", s.cfg.Addr, step, reply)
	}
	return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: fmt.Sprintf("relay %s: %s failed: %v", s.cfg.Addr, step, err), Err: err}
}

// plainAuth is AUTH PLAIN (RFC 4616) that refuses, itself, to run on a
// connection without TLS (net/smtp's PlainAuth allows it to localhost).
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errors.New("refusing to send credentials over a connection without TLS")
	}
	if !slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, "PLAIN") }) {
		return "", nil, fmt.Errorf("the relay offers AUTH %s, not PLAIN", strings.Join(server.Auth, " "))
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// compose returns the envelope recipients and the message, CRLF-ended.
func (s *Sender) compose(m Message) ([]string, []byte, error) {
	if len(m.To) == 0 {
		return nil, nil, tldguard.FieldErrorf(tldguard.EINVALID, "to", "the message has no recipient")
	}
	var rcpts, to []string
	for _, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil || !ascii(addr.Address) {
			return nil, nil, tldguard.FieldErrorf(tldguard.EINVALID, "to", "%q is not an ASCII e-mail address", a)
		}
		rcpts = append(rcpts, addr.Address)
		to = append(to, addr.String())
	}
	var h header
	h.add("Date", s.cfg.Now().Format(time.RFC1123Z))
	h.add("From", s.from.String())
	h.addList("To", to)
	h.add("Subject", encodeWords(strings.Join(strings.Fields(m.Subject), " ")))
	id := strings.Trim(m.MessageID, "<>")
	if !validMsgID(id) {
		id = s.messageID()
	}
	h.add("Message-ID", "<"+id+">")
	if r, ok := msgID(m.InReplyTo); ok {
		h.add("In-Reply-To", r)
	}
	var refs []string
	for _, ref := range m.References {
		if r, ok := msgID(ref); ok && !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	if len(refs) > 0 {
		h.add("References", strings.Join(refs, " "))
	}
	if as := strings.TrimSpace(m.AutoSubmitted); as != "" {
		if !token(as) {
			return nil, nil, tldguard.FieldErrorf(tldguard.EINVALID, "auto_submitted", "%q is not an Auto-Submitted value", as)
		}
		h.add("Auto-Submitted", as)
		// Outlook and Exchange do not answer with out-of-office notes.
		h.add("X-Auto-Response-Suppress", "All")
	}
	h.add("MIME-Version", "1.0")

	text := qpBody(m.Body)
	if len(m.Attachments) == 0 {
		h.add("Content-Type", "text/plain; charset=utf-8")
		h.add("Content-Transfer-Encoding", "quoted-printable")
		return rcpts, append(h.bytes(), text...), nil
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h.add("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, nil, tldguard.Internal(err, "compose message")
	}
	pw.Write(text)
	for i, a := range m.Attachments {
		name := path.Base(strings.ReplaceAll(strings.TrimSpace(a.Name), "\\", "/"))
		if name == "." || name == "/" || strings.ContainsAny(name, "\r\n") {
			name = fmt.Sprintf("attachment-%d", i+1)
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, nil, tldguard.FieldErrorf(tldguard.EINVALID, fmt.Sprintf("attachments[%d].content_type", i), "%q is not a media type", ct)
		}
		params["name"] = name
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(mt, params)},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, nil, tldguard.Internal(err, "compose message")
		}
		pw.Write(base64Lines(a.Data))
	}
	if err := mw.Close(); err != nil {
		return nil, nil, tldguard.Internal(err, "compose message")
	}
	return rcpts, append(h.bytes(), crlf(body.Bytes())...), nil
}

// messageID makes a unique Message-ID with the From domain.
func (s *Sender) messageID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b) + "." + strconv.FormatInt(s.cfg.Now().UnixNano(), 36) + "@" + s.domain
}

// header is a message header, in order, folded at 78 characters.
type header struct{ b bytes.Buffer }

func (h *header) add(name, value string) {
	line := name + ": " + value
	// Fold at spaces (RFC 5322 2.2.3) so lines stay short.
	for len(line) > 78 {
		i := strings.LastIndexByte(line[:78], ' ')
		if i <= len(name)+1 {
			i = strings.IndexByte(line[len(name)+2:], ' ')
			if i < 0 {
				break
			}
			i += len(name) + 2
		}
		h.b.WriteString(line[:i])
		h.b.WriteString("\r\n")
		line = line[i:] // keeps the space: the continuation's indent
		name = ""
	}
	h.b.WriteString(line)
	h.b.WriteString("\r\n")
}

func (h *header) addList(name string, values []string) { h.add(name, strings.Join(values, ", ")) }

func (h *header) bytes() []byte { return append(h.b.Bytes(), "\r\n"...) }

// encodeWords encodes a header text as RFC 2047 encoded words when it is
// not plain printable ASCII (or could be mistaken for encoded words).
func encodeWords(s string) string {
	if ascii(s) && !strings.Contains(s, "=?") {
		return s
	}
	// Q-encoding keeps mostly-ASCII subjects readable; the encoder splits
	// long text into several words, which add folds between.
	return mime.QEncoding.Encode("utf-8", s)
}

// ascii reports whether s is printable ASCII (with spaces and tabs).
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

// token reports whether s is a short header word without specials.
func token(s string) bool {
	return len(s) <= 64 && ascii(s) && !strings.ContainsAny(s, " \t;,()<>@\"\\")
}

// validMsgID reports whether id (without brackets) is a usable
// Message-ID: printable ASCII, no spaces or brackets, one "@".
func validMsgID(id string) bool {
	if id == "" || len(id) > 250 || !ascii(id) || strings.ContainsAny(id, " \t<>\"\\()[],;:") {
		return false
	}
	left, right, ok := strings.Cut(id, "@")
	return ok && left != "" && right != "" && !strings.Contains(right, "@")
}

// msgID returns a Message-ID from a header as "<...>", or false when it is
// not one: an id from a reporter's mail never makes a header of its own.
func msgID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	if !validMsgID(s) {
		return "", false
	}
	return "<" + s + ">", true
}

// qpBody encodes a text body as quoted-printable with CRLF line ends.
func qpBody(text string) []byte {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	w.Close()
	out := b.Bytes()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	return out
}

// base64Lines encodes data in lines of 76 characters (RFC 2045 6.8).
func base64Lines(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}

// crlf makes every line end CRLF.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
