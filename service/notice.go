package service

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tldguard/tldguard"
)

// Notice delivery: the outbox (the notices table) rendered with the
// operator's templates and handed to a Mailer, one node at a time.
//
// A notice is queued in the transaction of the change that owes it
// (intake, an action carried out, a clock alert), so it is never lost; the
// Notifier delivers it later. Delivery is at least once: a crash between
// the relay's acceptance and the record of it sends the notice again on
// the next run (rare, and better than losing it).

// Short names for the root's notice kinds, used throughout the notifier.
const (
	noticeOutcome     = tldguard.NoticeOutcome
	noticeRequestInfo = tldguard.NoticeRequestInfo
	noticeReferral    = tldguard.NoticeReferral
	noticeAlert       = tldguard.NoticeAlert
)

// NoticeKinds are the kinds the Notifier delivers, with the template file
// of each. A notice of any other kind is refused (fail closed): each kind
// has a fixed class of recipient (reporter, registrar, operator), and
// tldguard has no kind that goes to a registrant.
var NoticeKinds = []tldguard.NoticeKind{tldguard.NoticeAck, noticeOutcome, noticeRequestInfo, noticeReferral, noticeAlert}

const (
	noticeLease    = "notices"
	noticeLeaseTTL = 5 * time.Minute
	// defaultNoticeAttempts tries a notice for about ten hours (see
	// noticeBackoff) before it is marked failed.
	defaultNoticeAttempts = 12
	noticePoll            = 2 * time.Second
)

// Mail is one rendered notice as a Mailer sends it: a text/plain UTF-8
// body, optionally with attachments (multipart/mixed).
type Mail struct {
	To      []string // addresses ("a@b" or "Name <a@b>"); at least one
	Subject string   // one line; encoded (RFC 2047) by the sender when needed
	Body    string   // plain text; line ends may be \n or \r\n
	// MessageID, without angle brackets, is used when set; otherwise the
	// sender makes one with its From domain.
	MessageID string
	// InReplyTo and References thread the message (Message-IDs, with or
	// without angle brackets). Malformed ones are left out, never sent.
	InReplyTo  string
	References []string
	// AutoSubmitted is the RFC 3834 Auto-Submitted value: "auto-replied"
	// for an answer to a message (acknowledgements), "auto-generated" for
	// other automatic mail, "" for none.
	AutoSubmitted string
	Attachments   []Attachment
}

// Attachment is a file attached to a Mail.
type Attachment struct {
	Name        string // file name, e.g. "xarf-TG-0000042.json"
	ContentType string // e.g. "application/json"; default application/octet-stream
	Data        []byte
}

// Mailer sends one message. mail.Sender implements it over SMTP. Errors:
// EUNAVAILABLE for a failure worth retrying (4xx, connection, TLS), any
// other kind (EUNPROCESSABLE for a 5xx, EINVALID for a malformed message)
// for a permanent one.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// NoticeConfig is what the Notifier needs besides the Service.
type NoticeConfig struct {
	// Operator names the operator in notices and in the XARF reports sent
	// to registrars (default "the registry operator").
	Operator string
	// From is the address notices come from (the Mailer's From); it is the
	// contact in XARF reports and the domain of Message-IDs. Optional.
	From string
	// PublicURL is the base URL of tldguard's UI and API as reporters and
	// registrars reach it, e.g. "https://abuse.nic.example"; without it the
	// notices name no links.
	PublicURL string
	// AlertTo are the operator's alert addresses for clock alerts; without
	// any, alerts go only to the log, the metrics and the audit log.
	AlertTo []string
	// TemplateDir holds templates that replace the built-in ones (ack.txt,
	// outcome.txt, request_info.txt, referral.txt, alert.txt); "" or a
	// missing directory uses the built-ins. Every file is checked at once.
	TemplateDir string
	// Node names this process in the leases (default host:pid).
	Node string
	// MaxAttempts is how many times a notice is tried before it is marked
	// failed (default 12, about ten hours with the backoff).
	MaxAttempts int
}

// Notifier delivers the notice outbox and watches the response clocks
// (clock.go). Create it with Service.Notifier.
type Notifier struct {
	s        *Service
	cfg      NoticeConfig
	tpl      *Templates
	holder   string
	fromAddr string // the address of cfg.From, "" when none

	mu        sync.Mutex
	retryAt   map[int64]time.Time // notices waiting for their backoff (this process)
	lastRenew time.Time
	alerted   map[alertKey]bool // clock alerts known to be raised (clock.go)

	counts noticeCounters
}

type noticeCounters struct {
	sent, retried, failed, withheld atomic.Int64
	nearEnd, missed                 atomic.Int64
}

// NoticeCounts counts what this process's Notifier did since it started.
type NoticeCounts struct {
	Sent     int64 // accepted by the relay
	Retried  int64 // temporary failures, tried again later
	Failed   int64 // given up: a permanent refusal, too many attempts, no address
	Withheld int64 // refused by the confidentiality rules
}

// Notifier checks cfg and its templates and returns a Notifier. A bad
// template, address or URL is EINVALID naming it.
func (s *Service) Notifier(cfg NoticeConfig) (*Notifier, error) {
	if cfg.Operator = strings.TrimSpace(cfg.Operator); cfg.Operator == "" {
		cfg.Operator = "the registry operator"
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultNoticeAttempts
	}
	n := &Notifier{s: s, retryAt: map[int64]time.Time{}, alerted: map[alertKey]bool{}}
	if cfg.From != "" {
		a, err := mail.ParseAddress(cfg.From)
		if err != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "from", "%q is not an e-mail address: %v", cfg.From, err)
		}
		n.fromAddr = a.Address
	}
	for i, a := range cfg.AlertTo {
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, fmt.Sprintf("alert_to[%d]", i), "%q is not an e-mail address: %v", a, err)
		}
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "public_url", "%q is not an http or https base URL", cfg.PublicURL)
		}
		cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	tpl, err := LoadTemplates(cfg.TemplateDir)
	if err != nil {
		return nil, err
	}
	n.tpl = tpl
	if cfg.Node == "" {
		host, _ := os.Hostname()
		cfg.Node = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	n.holder = cfg.Node + ":" + randomHex(4)
	n.cfg = cfg
	return n, nil
}

// Counts returns what this process delivered since it started.
func (n *Notifier) Counts() NoticeCounts {
	return NoticeCounts{Sent: n.counts.sent.Load(), Retried: n.counts.retried.Load(),
		Failed: n.counts.failed.Load(), Withheld: n.counts.withheld.Load()}
}

// RunNotices delivers queued notices with sender and checks the response
// clocks (CheckClocks) until ctx ends. With a nil sender it only checks
// the clocks: notices stay queued until a relay is configured. Every node
// may run it; leases keep each part to one node at a time.
func (n *Notifier) RunNotices(ctx context.Context, sender Mailer) {
	ctx = tldguard.System(ctx, "notices:"+n.cfg.Node)
	defer n.release(noticeLease)
	defer n.release(clockLease)
	var lastClock time.Time
	for {
		busy := false
		if sender != nil {
			const batch = 50
			k, err := n.SendNotices(ctx, sender, batch)
			if err != nil && ctx.Err() == nil {
				n.s.log.Error("notices: delivery failed", "err", err)
			}
			busy = k == batch
		}
		if now := n.s.clock(); now.Sub(lastClock) >= clockEvery || now.Before(lastClock) {
			lastClock = now
			if _, err := n.CheckClocks(ctx); err != nil && ctx.Err() == nil {
				n.s.log.Error("clocks: check failed", "err", err)
			}
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(noticePoll):
		}
	}
}

// release gives up a lease when the loop stops, so another node takes
// over at once rather than when it expires.
func (n *Notifier) release(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.s.store.Write(ctx, func(tx tldguard.Tx) error { return tx.ReleaseLease(name, n.holder) }); err != nil {
		n.s.log.Warn("notices: releasing the lease failed", "lease", name, "err", err)
	}
}

// SendNotices takes the "notices" lease and delivers up to limit queued
// notices, oldest first, skipping those waiting for a retry, and returns
// how many it tried. Without the lease (another node delivers) it does
// nothing. Each notice ends sent (SentAt set), queued again with its
// Attempts and LastError (a temporary failure, retried with backoff), or
// failed with LastError saying why: a permanent refusal, too many
// attempts, no address, or the confidentiality rules (withheld). Every
// sent, failed or withheld notice is an audit event.
func (n *Notifier) SendNotices(ctx context.Context, sender Mailer, limit int) (int, error) {
	if tldguard.FromContext(ctx) == nil {
		ctx = tldguard.System(ctx, "notices:"+n.cfg.Node)
	}
	if sender == nil {
		return 0, tldguard.Errorf(tldguard.EINVALID, "no mailer to send notices with")
	}
	if limit <= 0 {
		limit = 50
	}
	if ok, err := n.lease(ctx, true); err != nil || !ok {
		return 0, err
	}
	now := n.s.clock()
	var queued []*tldguard.Notice
	window := limit + n.waiting()
	err := n.s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		// Read past the notices waiting for a retry, so that they do not
		// hold the newer ones back.
		queued, err = tx.ListNotices(tldguard.NoticeQueued, window)
		return err
	})
	if err != nil {
		return 0, err
	}
	if len(queued) < window {
		n.prune(queued) // every queued notice was read: forget the others
	}
	tried := 0
	for _, no := range queued {
		if tried >= limit || ctx.Err() != nil {
			break
		}
		if n.backingOff(no.ID, now) {
			continue
		}
		if ok, err := n.lease(ctx, false); err != nil || !ok {
			return tried, err // lost to another node: it carries on
		}
		tried++
		if err := n.deliver(ctx, sender, no); err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// lease takes or renews the notices lease; unless force, a lease renewed
// in the last minute is taken as held.
func (n *Notifier) lease(ctx context.Context, force bool) (bool, error) {
	now := n.s.clock()
	n.mu.Lock()
	fresh := !force && !n.lastRenew.IsZero() && now.Sub(n.lastRenew) < time.Minute && !now.Before(n.lastRenew)
	n.mu.Unlock()
	if fresh {
		return true, nil
	}
	var ok bool
	err := n.s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		ok, err = tx.AcquireLease(noticeLease, n.holder, now, now.Add(noticeLeaseTTL))
		return err
	})
	n.mu.Lock()
	if ok && err == nil {
		n.lastRenew = now
	} else {
		n.lastRenew = time.Time{}
	}
	n.mu.Unlock()
	return ok && err == nil, err
}

func (n *Notifier) waiting() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.retryAt)
}

func (n *Notifier) backingOff(id int64, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.retryAt[id]
	return ok && now.Before(at)
}

func (n *Notifier) retryLater(id int64, at time.Time) {
	n.mu.Lock()
	n.retryAt[id] = at
	n.mu.Unlock()
}

// prune forgets the retry times of notices no longer queued (sent or
// failed by another node meanwhile).
func (n *Notifier) prune(queued []*tldguard.Notice) {
	ids := make(map[int64]bool, len(queued))
	for _, no := range queued {
		ids[no.ID] = true
	}
	n.mu.Lock()
	for id := range n.retryAt {
		if !ids[id] {
			delete(n.retryAt, id)
		}
	}
	n.mu.Unlock()
}

func (n *Notifier) forget(id int64) {
	n.mu.Lock()
	delete(n.retryAt, id)
	n.mu.Unlock()
}

// noticeBackoff is the wait after the given number of failed attempts:
// 1, 2, 4, ... minutes, at most two hours. There is one sender at a time,
// so no jitter is needed.
func noticeBackoff(attempts int) time.Duration {
	return min(time.Minute<<min(max(attempts-1, 0), 8), 2*time.Hour)
}

// deliver renders one notice, sends it and records the result. It returns
// an error only when the store failed (the notice stays queued).
func (n *Notifier) deliver(ctx context.Context, sender Mailer, no *tldguard.Notice) error {
	r, err := n.render(ctx, no)
	if err != nil {
		// The store is down or busy: leave the notice for the next run.
		n.retryLater(no.ID, n.s.clock().Add(30*time.Second))
		n.s.log.Warn("notices: rendering failed", "notice", no.ID, "kind", no.Kind, "err", err)
		return nil
	}
	if r.refused != "" {
		return n.finish(ctx, no, r, tldguard.NoticeFailed, r.refused, nil)
	}
	serr := sender.Send(ctx, r.mail)
	if serr != nil && ctx.Err() != nil {
		return nil // shutting down: not the notice's fault, not counted
	}
	no.Attempts++
	switch {
	case serr == nil:
		return n.finish(ctx, no, r, tldguard.NoticeSent, "", nil)
	case tldguard.ErrorKind(serr) == tldguard.EUNAVAILABLE && no.Attempts < n.cfg.MaxAttempts:
		return n.finish(ctx, no, r, tldguard.NoticeQueued, tldguard.ErrorMessage(serr), serr)
	case tldguard.ErrorKind(serr) == tldguard.EUNAVAILABLE:
		return n.finish(ctx, no, r, tldguard.NoticeFailed, fmt.Sprintf("gave up after %d attempts: %s", no.Attempts, tldguard.ErrorMessage(serr)), serr)
	default:
		return n.finish(ctx, no, r, tldguard.NoticeFailed, tldguard.ErrorMessage(serr), serr)
	}
}

// finish records the notice's new state and, unless it stays queued, the
// audit event.
func (n *Notifier) finish(ctx context.Context, no *tldguard.Notice, r *rendered, status tldguard.NoticeStatus, why string, sendErr error) error {
	now := n.s.clock()
	no.Status, no.LastError = status, why
	if status == tldguard.NoticeSent {
		no.SentAt = now
	}
	action := "notice." + string(status)
	if r.withheld {
		action = "notice.withheld"
	}
	data := map[string]any{"notice_id": no.ID, "kind": no.Kind, "attempts": no.Attempts}
	if no.ReportID != 0 {
		data["report_id"] = no.ReportID
	}
	if len(r.mail.To) > 0 {
		data["to"] = r.mail.To
	}
	switch status {
	case tldguard.NoticeSent:
		data["message_id"], data["subject"] = r.mail.MessageID, r.mail.Subject
	case tldguard.NoticeFailed:
		data["error"] = why
	}
	// Recorded even if the caller is going away: the relay has the message.
	wctx := context.WithoutCancel(ctx)
	err := n.s.store.Write(wctx, func(tx tldguard.Tx) error {
		if err := tx.UpdateNotice(no); err != nil {
			return err
		}
		if status == tldguard.NoticeQueued {
			return nil
		}
		return tx.AppendEvent(event(ctx, now, action, no.CaseID, fmt.Sprintf("notice:%d", no.ID), data))
	})
	if err != nil {
		n.retryLater(no.ID, now.Add(30*time.Second))
		return err
	}
	log := n.s.log.With("notice", no.ID, "kind", no.Kind, "case", no.CaseID, "attempts", no.Attempts)
	switch {
	case status == tldguard.NoticeSent:
		n.forget(no.ID)
		n.counts.sent.Add(1)
		log.Info("notice sent", "to", r.mail.To)
	case status == tldguard.NoticeQueued:
		n.retryLater(no.ID, now.Add(noticeBackoff(no.Attempts)))
		n.counts.retried.Add(1)
		log.Warn("notice not sent; will retry", "err", sendErr, "retry_in", noticeBackoff(no.Attempts).String())
	case r.withheld:
		n.forget(no.ID)
		n.counts.withheld.Add(1)
		log.Warn("notice withheld", "why", why)
	default:
		n.forget(no.ID)
		n.counts.failed.Add(1)
		log.Error("notice failed", "why", why)
	}
	return nil
}
