package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/reportfmt"
)

// Mail intake. A message that reached the operator's abuse address is kept
// byte for byte, read (reportfmt.DecodeMail), and filed like an API report,
// through the same code and in one group-committed transaction. What
// differs is who sent it: a mail's From line proves nothing, so a message
// is a registered reporter's only when an authenticated signal says so
// (see SubmitMail); every other message is a public report under one
// built-in account. And nothing a message says raises its priority.

// PublicMailReporter is the name of the built-in public reporter account
// that unauthenticated mail is filed under; SubmitMail creates it on first
// use.
const PublicMailReporter = "Public e-mail reports"

// DefaultSecretHeader is the header a reporter's shared secret travels in
// when MailOptions.SecretHeader is not set.
const DefaultSecretHeader = "X-Tldguard-Secret"

// CategoryNoNames is the category of a mail that names nothing in the
// operator's TLDs: it is kept, out of scope, on no case, and answered.
const CategoryNoNames = "no name in the operator's TLDs"

// maxListedDrops bounds the dropped names a receipt lists one by one.
const maxListedDrops = 10

// MailOptions says how SubmitMail reads, attributes and answers messages.
// The zero value files every message as public and answers all but
// automatic ones.
type MailOptions struct {
	// Channel names how the message came, for the audit log ("smtp",
	// "import").
	Channel string
	// Envelope is the SMTP envelope when the message came over SMTP; nil
	// when it is not known (an imported file).
	Envelope *MailEnvelope
	// TrustedAuthServIDs are the authserv-ids of the operator's own mail
	// servers. Their Authentication-Results fields are believed; every
	// other one is ignored, as anyone can write one. Those servers must
	// remove fields bearing their id from incoming mail (RFC 8601 §5; the
	// common milters do). Leave it empty when tldguard itself faces the
	// internet, with no such server in front.
	TrustedAuthServIDs []string
	// SecretHeader is the header carrying a reporter's shared secret
	// (default DefaultSecretHeader).
	SecretHeader string
	// Secrets are the per-reporter shared secrets. A message whose secret
	// header holds one is that reporter's. The secret is in the stored
	// message, so a reporter's own reports and staff can read it; rotate it
	// if it leaks.
	Secrets []MailSecret
	// OwnAddresses are the operator's own addresses ("abuse@nic.example")
	// or domains ("nic.example", "@nic.example"): mail from them is never
	// answered (that is how loops start), and their names are not read as
	// reported names.
	OwnAddresses []string
}

// MailEnvelope is what the SMTP session said about a message.
type MailEnvelope struct {
	From       string // the MAIL FROM address; "" for the null sender <>
	To         []string
	RemoteAddr string
	TLS        bool
}

// MailSecret is one reporter's shared secret.
type MailSecret struct {
	ReporterID int64
	Secret     string
}

// MailReceipt is what SubmitMail did with a message.
type MailReceipt struct {
	SHA256     string          `json:"sha256"`
	Format     string          `json:"format"`
	ReporterID int64           `json:"reporter_id"`
	Reporter   string          `json:"reporter"`
	Source     tldguard.Source `json:"source"`
	// AuthenticatedBy says how the sender was matched to a registered
	// reporter ("" for public mail).
	AuthenticatedBy string `json:"authenticated_by,omitempty"`
	// Reports holds one receipt per report stored (usually one).
	Reports []*tldguard.Receipt `json:"reports"`
	// AckTo is where the acknowledgement goes; NoAck says why none was
	// queued.
	AckTo string   `json:"ack_to,omitempty"`
	NoAck string   `json:"no_ack,omitempty"`
	Notes []string `json:"notes,omitempty"`
	// Duplicate is set when the same message was stored before: nothing
	// was stored now and this is the first receipt.
	Duplicate bool `json:"-"`
}

// mailPlan is everything SubmitMail decided before its transaction.
type mailPlan struct {
	reporter *tldguard.Reporter // nil: the public account, found or created in the transaction
	public   *tldguard.Reporter // the public account, nil until it exists
	authBy   string
	preps    []*prepared
	notes    [][]string // per report
	general  []string   // about the whole mail
	ackTo    string
	noAck    string
}

// SubmitMail takes in one raw e-mail message (RFC 5322) that reached the
// operator's abuse address, for the mail listener and the import command
// (a system principal; others get EFORBIDDEN).
//
// The message is stored byte for byte with its SHA-256 as one report per
// threat it carries (Format reportfmt.FormatMail..., content type
// message/rfc822), filed on cases like any report, in one durable
// transaction: when SubmitMail returns nil, the message is on disk. Every
// message is kept: names outside the operator's TLDs are dropped and listed
// in the receipt's notes, and a message that names nothing in them is
// stored as out of scope (CategoryNoNames) on no case.
//
// The sender is a registered reporter only when the message proves it:
// its From address is the reporter's registered address and an
// Authentication-Results field of a trusted server (opts) records a DKIM
// pass for a domain aligned with it, or its secret header holds the
// reporter's shared secret. Otherwise the report is public, under the
// PublicMailReporter account. Mail is always standard priority, whatever
// it claims: a stated urgency is kept for the analyst, who may raise the
// case after checking (hijacked official mailboxes are a real attack).
//
// An acknowledgement threaded to the message (Notice.InReplyTo) is queued
// for the sender, except for automatic mail (bounces, auto-replies,
// Auto-Submitted, bulk and list mail, null and daemon senders) and mail
// from the operator's own addresses.
//
// The same message again (the same SHA-256, as an MTA retrying after a lost
// answer or a repeated import sends it) stores nothing and returns the
// first receipt with Duplicate set. Errors: ETOOLARGE for a message over
// the intake's size limit, EUNAVAILABLE when the store is down (the caller
// should have the message sent again later).
func (s *Service) SubmitMail(ctx context.Context, raw []byte, opts MailOptions) (*MailReceipt, error) {
	p := tldguard.FromContext(ctx)
	if p == nil || p.Kind != tldguard.PrincipalSystem {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "mail is submitted by the mail listener or the import command")
	}
	lim := reportfmt.MailLimits{Limits: s.limits}
	if int64(len(raw)) > reportfmt.DefaultMailLimits().MaxMessageBytes {
		return nil, tldguard.Errorf(tldguard.ETOOLARGE, "the message is larger than %d bytes", reportfmt.DefaultMailLimits().MaxMessageBytes)
	}
	sum := sha256.Sum256(raw)
	key := "mail:" + hex.EncodeToString(sum[:])
	suffixes, err := s.tlds(ctx)
	if err != nil {
		return nil, err
	}
	own := ownSet(opts.OwnAddresses, opts.Envelope)
	lim.InScope = func(host string) bool {
		name, _, err := suffixes.Registered(host)
		return err == nil && !own.domain(name)
	}
	m, err := reportfmt.DecodeMail(raw, lim)
	if err != nil {
		m = unreadable(err)
	}

	plan, err := s.planMail(ctx, m, opts, own, suffixes)
	if err != nil {
		return nil, err
	}
	// A repeat of a message answers with the first receipt. Message keys
	// are kept under the public account whoever the message is filed
	// under, so that a repeat is known even when the trust configuration
	// has changed in between (a re-import with other options).
	if plan.public != nil {
		var first MailReceipt
		if found, err := s.idempotent(ctx, plan.public.ID, key, sum[:], &first); err != nil || found {
			first.Duplicate = found
			return &first, err
		}
	}

	now := s.clock()
	priority, why := tldguard.PriorityStandard, "a report by e-mail is standard priority; an analyst may raise it after checking"
	for _, prep := range plan.preps {
		r := prep.report
		r.Raw, r.RawSHA256, r.ContentType, r.ReceivedAt = raw, sum[:], "message/rfc822", now
		r.IdempotencyKey = key
	}
	extra := map[string]any{
		"channel": orDefault(opts.Channel, "mail"), "message_id": m.MessageID, "from": m.From,
		"authenticated_by": plan.authBy,
	}
	if opts.Envelope != nil {
		extra["envelope_from"], extra["remote_addr"] = opts.Envelope.From, opts.Envelope.RemoteAddr
	}

	var receipt *MailReceipt
	err = s.commit.do(ctx, func(tx tldguard.Tx) error {
		receipt = nil
		pub, err := s.publicMailReporter(ctx, tx, now)
		if err != nil {
			return err
		}
		rep := plan.reporter
		if rep == nil {
			rep = pub
		}
		rctx := tldguard.NewContext(ctx, &tldguard.Principal{Kind: tldguard.PrincipalReporter, ID: rep.ID, Name: rep.Name, Role: tldguard.RoleReporter, Reporter: rep})
		mr := &MailReceipt{
			SHA256: hex.EncodeToString(sum[:]), Format: m.Format, ReporterID: rep.ID, Reporter: rep.Name,
			Source: rep.Source, AuthenticatedBy: plan.authBy, AckTo: plan.ackTo, NoAck: plan.noAck,
		}
		for i, prep := range plan.preps {
			prep.report.ReporterID, prep.report.Source = rep.ID, rep.Source
			r, err := s.fileReport(rctx, tx, rep, prep, priority, why, now, extra)
			if err != nil {
				return err
			}
			r.Notes = plan.notes[i]
			if i == 0 {
				r.Notes = append(slices.Clone(plan.general), r.Notes...)
			}
			mr.Reports = append(mr.Reports, r)
		}
		mr.Notes = slices.Clone(plan.general)
		for _, n := range plan.notes {
			mr.Notes = append(mr.Notes, n...)
		}
		if plan.noAck == "" {
			if err := tx.QueueNotice(&tldguard.Notice{
				Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued, ReporterID: rep.ID,
				ReportID: mr.Reports[0].ReportID, To: plan.ackTo, InReplyTo: m.MessageID, CreatedAt: now,
			}); err != nil {
				return err
			}
		}
		if err := putIdempotent(tx, pub.ID, key, sum[:], mr, now); err != nil {
			return err
		}
		receipt = mr
		return nil
	})
	if errors.Is(err, errReplay) {
		pub, err := s.mailReporterByName(ctx, PublicMailReporter)
		if err != nil {
			return nil, err
		}
		var first MailReceipt
		found, err := s.idempotent(ctx, pub.ID, key, sum[:], &first)
		if err == nil && !found {
			err = tldguard.Errorf(tldguard.EUNAVAILABLE, "the message was stored concurrently but its receipt is not visible yet; send it again")
		}
		first.Duplicate = found
		return &first, err
	}
	if err != nil {
		return nil, err
	}
	return receipt, nil
}

// unreadable is the report of a message DecodeMail could not read at all:
// it is kept, out of scope, and not answered (there is no sender to trust).
func unreadable(err error) *reportfmt.MailReport {
	msg := tldguard.ErrorMessage(err)
	return &reportfmt.MailReport{
		Format:    "mail/unreadable",
		Automatic: "the message could not be read",
		Notes:     []string{"the message could not be read: " + msg},
		Reports: []*tldguard.ReportInput{{
			Format: "mail/unreadable", ThreatType: tldguard.ThreatOutOfScope, Category: "unreadable",
			Description: "The message could not be read: " + msg,
		}},
	}
}

// planMail decides, before the transaction, who sent the message, what is
// filed, and whether and where to answer.
func (s *Service) planMail(ctx context.Context, m *reportfmt.MailReport, opts MailOptions, own ownAddrs, suffixes *dnsname.Suffixes) (*mailPlan, error) {
	plan := &mailPlan{}
	var reporters []*tldguard.Reporter
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		reporters, err = tx.ListReporters()
		return err
	})
	if err != nil {
		return nil, err
	}
	plan.reporter, plan.authBy = authenticateMail(m, opts, reporters)
	for _, r := range reporters {
		if r.Name == PublicMailReporter {
			plan.public = r
		}
	}
	if plan.reporter == nil {
		plan.reporter = plan.public // nil until the first public mail creates it
	}
	authenticated := plan.authBy != ""

	m.Notes = append(m.Notes, ignoredNote(m)...)
	plan.general = append(plan.general, m.Notes...)
	if !authenticated && m.Format != reportfmt.FormatMailBounce && m.Format != reportfmt.FormatMailAutoReply {
		plan.general = append(plan.general, "the message was not authenticated as coming from a registered reporter; it was filed as a public report")
	}

	// The sender's own domain and the operator's are context, not reports,
	// when they turn up in a mail's free text.
	exclude := map[string]bool{}
	if _, dom, ok := strings.Cut(m.From, "@"); ok {
		if name, _, err := suffixes.Registered(dom); err == nil {
			exclude[name] = true
		}
	}
	for _, in := range mergeInputs(m.Reports, s.limits.Effective()) {
		var notes []string
		if m.Format == reportfmt.FormatMailPlain {
			in.Names, notes = dropOwn(in.Names, suffixes, exclude, own)
		}
		notes = append(notes, requestNotes(in, authenticated)...)
		prep, drops, err := s.prepare(ctx, in, true)
		if err != nil {
			return nil, err
		}
		notes = append(notes, dropNotes(drops, suffixes)...)
		if len(prep.report.Targets) == 0 {
			if in.ThreatType != tldguard.ThreatOutOfScope {
				prep.report.Category = CategoryNoNames + " (read as " + string(in.ThreatType) + ")"
			} else if prep.report.Category != reportfmt.CategoryNotAReport && prep.report.Category != "unreadable" {
				prep.report.Category = CategoryNoNames + " (" + prep.report.Category + ")"
			}
			prep.report.ThreatType = tldguard.ThreatOutOfScope
			if prep.report.Category != reportfmt.CategoryNotAReport && prep.report.Category != "unreadable" {
				notes = append(notes, fmt.Sprintf("no name in the operator's TLDs (%s) was found; the report is kept as out of scope", suffixes))
			}
		} else if in.ThreatType == tldguard.ThreatOutOfScope {
			notes = append(notes, fmt.Sprintf("%q is outside DNS abuse (phishing, malware, botnets, pharming, spam as their vector); the report is kept", in.Category))
		}
		plan.preps = append(plan.preps, prep)
		plan.notes = append(plan.notes, notes)
	}
	plan.ackTo, plan.noAck = ackPlan(m, opts, own, plan.reporter, authenticated)
	return plan, nil
}

// authenticateMail finds the registered reporter a message proves it comes
// from, and says how; nil when it proves none.
func authenticateMail(m *reportfmt.MailReport, opts MailOptions, reporters []*tldguard.Reporter) (*tldguard.Reporter, string) {
	byID := map[int64]*tldguard.Reporter{}
	for _, r := range reporters {
		byID[r.ID] = r
	}
	header := opts.SecretHeader
	if header == "" {
		header = DefaultSecretHeader
	}
	if v := strings.TrimSpace(m.Header.Get(header)); v != "" {
		got := sha256.Sum256([]byte(v))
		for _, sec := range opts.Secrets {
			want := sha256.Sum256([]byte(sec.Secret))
			if sec.Secret != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				if r := byID[sec.ReporterID]; r != nil && !r.Disabled {
					return r, "shared secret in " + header
				}
			}
		}
	}
	// A message with two From fields can show a verifier one and tldguard
	// the other (a known way around DMARC): it proves nothing.
	if m.From == "" || len(m.Header["From"]) != 1 {
		return nil, ""
	}
	var match *tldguard.Reporter
	for _, r := range reporters {
		if r.Disabled || !strings.EqualFold(r.Email, m.From) {
			continue
		}
		// Several accounts on one address: the least trusted, so that a
		// mail never gains a tier by the choice.
		if match == nil || slices.Index(tldguard.Sources, r.Source) > slices.Index(tldguard.Sources, match.Source) {
			match = r
		}
	}
	if match == nil {
		return nil, ""
	}
	_, fromDomain, _ := strings.Cut(m.From, "@")
	for _, ar := range m.AuthResults {
		if !slices.ContainsFunc(opts.TrustedAuthServIDs, func(id string) bool { return strings.EqualFold(id, ar.AuthServID) }) {
			continue
		}
		for _, res := range ar.Results {
			if res.Method != "dkim" || res.Result != "pass" {
				continue
			}
			d := res.Props["header.d"]
			if d == "" {
				_, d, _ = strings.Cut(res.Props["header.i"], "@")
			}
			if aligned(d, fromDomain) {
				return match, "DKIM pass for " + strings.ToLower(d) + " recorded by " + ar.AuthServID
			}
		}
	}
	return nil, ""
}

// aligned reports whether a DKIM signing domain is aligned with the From
// domain: the same, or a parent of it (DMARC relaxed alignment, read
// without a public-suffix list, so d must have two labels at least).
func aligned(d, from string) bool {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	from = strings.ToLower(from)
	if d == "" || !strings.Contains(d, ".") {
		return false
	}
	return from == d || strings.HasSuffix(from, "."+d)
}

// ackPlan says where the acknowledgement goes, or why there is none.
func ackPlan(m *reportfmt.MailReport, opts MailOptions, own ownAddrs, reporter *tldguard.Reporter, authenticated bool) (to, why string) {
	switch {
	case m.Automatic != "":
		return "", m.Automatic
	case opts.Envelope != nil && opts.Envelope.From == "":
		return "", "its envelope sender is empty (<>)"
	case opts.Envelope != nil && daemon(opts.Envelope.From):
		return "", "its envelope sender is " + opts.Envelope.From
	}
	switch {
	case authenticated && reporter.Email != "":
		to = reporter.Email
	case opts.Envelope != nil:
		to = strings.ToLower(opts.Envelope.From)
	case m.HasReturnPath:
		to = m.ReturnPath
	default:
		to = m.From
	}
	switch {
	case to == "":
		return "", "it names no address to answer"
	case own.address(to) || own.address(m.From):
		return "", "it comes from the operator's own address"
	}
	return to, ""
}

func daemon(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return local == "mailer-daemon" || local == "postmaster"
}

// ownAddrs are the operator's own addresses and domains.
type ownAddrs struct {
	addrs, domains map[string]bool
}

// ownSet reads MailOptions.OwnAddresses; the envelope recipients (the
// intake addresses) are the operator's own too.
func ownSet(list []string, env *MailEnvelope) ownAddrs {
	o := ownAddrs{addrs: map[string]bool{}, domains: map[string]bool{}}
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		switch local, dom, ok := strings.Cut(a, "@"); {
		case !ok && a != "":
			o.domains[a] = true
		case ok && local == "" && dom != "":
			o.domains[dom] = true
		case ok:
			o.addrs[a] = true
		}
	}
	for _, a := range list {
		add(a)
	}
	if env != nil {
		for _, a := range env.To {
			add(a)
		}
	}
	return o
}

func (o ownAddrs) address(a string) bool {
	a = strings.ToLower(a)
	_, dom, _ := strings.Cut(a, "@")
	return o.addrs[a] || o.domain(dom)
}

// domain reports whether name is, or is under, one of the own domains or
// the domain of an own address.
func (o ownAddrs) domain(name string) bool {
	name = strings.ToLower(name)
	for d := range o.domains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	for a := range o.addrs {
		_, d, _ := strings.Cut(a, "@")
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// dropOwn removes from a plain mail's names those under the sender's own
// registered name or the operator's domains, with a note.
func dropOwn(names []string, suffixes *dnsname.Suffixes, exclude map[string]bool, own ownAddrs) ([]string, []string) {
	var keep, dropped []string
	for _, n := range names {
		t, err := suffixes.Target(n)
		if err == nil && (exclude[t.Domain] || own.domain(t.Domain)) {
			dropped = append(dropped, n)
			continue
		}
		keep = append(keep, n)
	}
	if len(dropped) == 0 {
		return keep, nil
	}
	return keep, []string{fmt.Sprintf("%s was not read as reported: it is the sender's or the operator's own domain", listed(dropped))}
}

// requestNotes strips from a mailed request what mail cannot be trusted
// with and says so: the stated urgency never raises the priority of mail,
// and an unauthenticated sender cannot limit who is told.
func requestNotes(in *tldguard.ReportInput, authenticated bool) []string {
	q := in.Request
	if q == nil {
		return nil
	}
	var notes []string
	if q.Urgency != tldguard.UrgencyNone {
		notes = append(notes, fmt.Sprintf("standard priority: an urgency (%s) stated by e-mail does not raise the priority by itself; an analyst checks it and may raise it", q.Urgency))
	}
	if !authenticated && q.Confidential() {
		c := *q
		c.DoNotNotifyRegistrant, c.DoNotNotifyRegistrar = false, false
		in.Request = &c
		notes = append(notes, "the request to keep the report from the registrant or registrar was not applied: the sender is not an authenticated reporter")
	}
	return notes
}

// dropNotes lists the names a lenient resolve left out.
func dropNotes(drops []dropped, suffixes *dnsname.Suffixes) []string {
	if len(drops) == 0 {
		return nil
	}
	var outside, other []string
	for _, d := range drops {
		if tldguard.ErrorKind(d.Err) == tldguard.EUNPROCESSABLE {
			outside = append(outside, d.Name)
		} else {
			other = append(other, d.Name)
		}
	}
	var notes []string
	if len(outside) > 0 {
		notes = append(notes, fmt.Sprintf("%s dropped: not a name in the operator's TLDs (%s)", listed(outside), suffixes))
	}
	if len(other) > 0 {
		notes = append(notes, fmt.Sprintf("%s dropped: not a valid name or URL", listed(other)))
	}
	return notes
}

// ignoredNote summarises the hosts a plain mail named outside the TLDs.
func ignoredNote(m *reportfmt.MailReport) []string {
	if m.IgnoredCount == 0 {
		return nil
	}
	more := ""
	if n := m.IgnoredCount - len(m.Ignored); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return []string{fmt.Sprintf("names outside the operator's TLDs in the mail's text were not read as reported: %s%s", strings.Join(m.Ignored, ", "), more)}
}

// listed writes up to maxListedDrops quoted names and how many more.
func listed(names []string) string {
	q := make([]string, 0, min(len(names), maxListedDrops))
	for _, n := range names[:min(len(names), maxListedDrops)] {
		q = append(q, fmt.Sprintf("%q", n))
	}
	s := strings.Join(q, ", ")
	if n := len(names) - maxListedDrops; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// mergeInputs folds reports of the same threat (and category) into one, so
// that a message holding several (an IODEF document's incidents, several
// XARF attachments) is stored once per threat rather than once per report.
func mergeInputs(ins []*tldguard.ReportInput, lim reportfmt.Limits) []*tldguard.ReportInput {
	var out []*tldguard.ReportInput
	for _, in := range ins {
		i := slices.IndexFunc(out, func(o *tldguard.ReportInput) bool {
			return o.ThreatType == in.ThreatType && o.Category == in.Category && o.Format == in.Format
		})
		if i < 0 {
			c := *in
			out = append(out, &c)
			continue
		}
		o := out[i]
		for _, n := range in.Names {
			if len(o.Names) < lim.MaxNames && !slices.Contains(o.Names, n) {
				o.Names = append(o.Names, n)
			}
		}
		o.Evidence = append(o.Evidence, in.Evidence[:min(len(in.Evidence), max(lim.MaxEvidence-len(o.Evidence), 0))]...)
		if in.Description != "" {
			o.Description = truncateText(o.Description+"\n\n---\n\n"+in.Description, lim.MaxTextLen)
		}
		if o.Request == nil {
			o.Request = in.Request
		}
	}
	return out
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// publicMailReporter returns the built-in public reporter account for
// mail, creating it (with its audit event) on first use.
func (s *Service) publicMailReporter(ctx context.Context, tx tldguard.Tx, now time.Time) (*tldguard.Reporter, error) {
	r, err := tx.ReporterByName(PublicMailReporter)
	switch tldguard.ErrorKind(err) {
	case "":
		// An account of that name with another tier (made by hand before
		// the first mail) would lend public mail its tier: refuse, loudly.
		// Disabling the account does not stop mail: no report is dropped.
		if r.Source != tldguard.SourcePublic {
			return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "the reporter account %q is not public; rename it so that mail can be filed", PublicMailReporter)
		}
		return r, nil
	case tldguard.ENOTFOUND:
	default:
		return nil, err
	}
	r = &tldguard.Reporter{Name: PublicMailReporter, Source: tldguard.SourcePublic, CreatedAt: now}
	if err := tx.CreateReporter(r); err != nil {
		if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
			return tx.ReporterByName(PublicMailReporter) // created meanwhile by another node
		}
		return nil, err
	}
	return r, tx.AppendEvent(event(ctx, now, "reporter.created", 0, fmt.Sprintf("reporter:%d", r.ID), map[string]any{
		"reporter_id": r.ID, "name": r.Name, "source": r.Source, "reason": "first unauthenticated mail report",
	}))
}

func (s *Service) mailReporterByName(ctx context.Context, name string) (*tldguard.Reporter, error) {
	var r *tldguard.Reporter
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		r, err = tx.ReporterByName(name)
		return err
	})
	return r, err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
