package service

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/tldguard/tldguard"
)

// rendered is a notice ready to send, or the reason it never will be.
type rendered struct {
	mail     Mail
	refused  string // why the notice is not sent; it is marked failed
	withheld bool   // refused by the confidentiality rules
}

// refusal is a permanent reason not to send a notice, as opposed to a
// store failure (tried again later).
type refusal struct {
	why      string
	withheld bool
}

func (r *refusal) Error() string { return r.why }

func refuse(format string, args ...any) error {
	return &refusal{why: fmt.Sprintf(format, args...)}
}

// render reads what a notice needs, applies the recipient and
// confidentiality rules, and runs its template. The error is a store
// failure; every permanent problem is in rendered.refused.
func (n *Notifier) render(ctx context.Context, no *tldguard.Notice) (*rendered, error) {
	r := &rendered{}
	var data any
	err := n.s.store.Read(ctx, func(tx tldguard.Tx) error {
		r.mail = Mail{AutoSubmitted: "auto-generated"}
		var cases []*tldguard.Case
		var err error
		switch no.Kind {
		case tldguard.NoticeAck:
			data, cases, err = n.ackData(tx, no, &r.mail)
		case noticeOutcome:
			data, cases, err = n.outcomeData(tx, no, &r.mail)
		case noticeRequestInfo:
			data, cases, err = n.requestInfoData(tx, no, &r.mail)
		case noticeReferral:
			data, cases, err = n.referralData(tx, no, &r.mail)
		case noticeAlert:
			data, cases, err = n.alertData(tx, no)
		default:
			return refuse("unknown notice kind %q: tldguard sends only %s", no.Kind, kindNames())
		}
		if err != nil {
			return err
		}
		reporter, err := n.recipients(tx, no, &r.mail)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if err := n.confidential(tx, no, c, reporter, r.mail.To); err != nil {
				return err
			}
		}
		return nil
	})
	var rf *refusal
	switch {
	case errors.As(err, &rf):
		r.refused, r.withheld = rf.why, rf.withheld
		return r, nil
	case tldguard.ErrorKind(err) == tldguard.ENOTFOUND:
		// What the notice is about is gone (it cannot be, in a store that
		// deletes nothing, but a notice must not block the outbox).
		r.refused = "cannot render: " + tldguard.ErrorMessage(err)
		return r, nil
	case err != nil:
		return nil, err
	}
	subject, body, err := n.tpl.render(no.Kind, data)
	if err != nil {
		r.refused = fmt.Sprintf("template %s: %v", n.tpl.Source(no.Kind), err)
		return r, nil
	}
	r.mail.Subject, r.mail.Body = subject, body
	if n.fromAddr != "" {
		_, domain, _ := strings.Cut(n.fromAddr, "@")
		// Stable across retries, so a receiver can drop a repeat.
		r.mail.MessageID = fmt.Sprintf("tldguard.notice.%d.%x@%s", no.ID, no.CreatedAt.UnixMicro(), domain)
	}
	return r, nil
}

func kindNames() string {
	var s []string
	for _, k := range NoticeKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// recipients fills in the addresses by the kind's recipient class: the
// reporter (ack, outcome, request_info), the registrar's abuse contact
// (referral), the operator (alert). It returns the reporter, if any.
func (n *Notifier) recipients(tx tldguard.Tx, no *tldguard.Notice, m *Mail) (*tldguard.Reporter, error) {
	to := strings.TrimSpace(no.To)
	switch no.Kind {
	case noticeAlert:
		if len(n.cfg.AlertTo) == 0 {
			return nil, refuse("no alert address is configured")
		}
		m.To = slices.Clone(n.cfg.AlertTo)
		return nil, nil
	case noticeReferral:
		if to == "" {
			return nil, refuse("the registrar has no abuse address to refer to")
		}
		m.To = []string{to}
		return nil, nil
	}
	if no.ReporterID == 0 {
		return nil, refuse("a %s notice goes to a reporter, and names none", no.Kind)
	}
	rep, err := tx.ReporterByID(no.ReporterID)
	if err != nil {
		return nil, err
	}
	if to == "" {
		return nil, refuse("reporter %q has no e-mail address; it sees its reports and their outcome in the API and portal", rep.Name)
	}
	m.To = []string{to}
	return rep, nil
}

// confidential refuses a notice bound for the registrar of a case whose
// reports include a request not to tell the registrar. Registrar-bound
// means a referral, a notice to the registrar's reporter account, or to
// its abuse address. A notice is sent only after the requests were read
// (a failed read keeps it queued). tldguard holds no registrant
// addresses and no kind goes to a registrant, so do_not_notify_registrant
// needs no rule here.
func (n *Notifier) confidential(tx tldguard.Tx, no *tldguard.Notice, c *tldguard.Case, rep *tldguard.Reporter, to []string) error {
	bound := no.Kind == noticeReferral
	if !bound && c.RegistrarID != "" {
		if rep != nil && rep.RegistrarID == c.RegistrarID {
			bound = true
		}
		reg, err := tx.Registrar(c.RegistrarID)
		switch tldguard.ErrorKind(err) {
		case "":
			for _, a := range to {
				if addr, err := mail.ParseAddress(a); err == nil && reg.AbuseEmail != "" && strings.EqualFold(addr.Address, reg.AbuseEmail) {
					bound = true
				}
			}
		case tldguard.ENOTFOUND:
		default:
			return err
		}
	}
	if !bound {
		return nil
	}
	// Read here rather than with confidentialFromRegistrar: a failed read
	// must hold the notice back (the error) without failing it for good.
	reports, err := tx.ListReports(tldguard.ReportFilter{CaseID: c.ID})
	if err != nil {
		return err
	}
	for _, r := range reports {
		if r.Request != nil && r.Request.DoNotNotifyRegistrar {
			return &refusal{withheld: true, why: fmt.Sprintf("withheld: the requesting authority asked that the registrar not be told about %s (do_not_notify_registrar)", c.Number())}
		}
	}
	return nil
}

func (n *Notifier) common(kind tldguard.NoticeKind) NoticeData {
	return NoticeData{Kind: string(kind), Operator: n.cfg.Operator, Contact: n.fromAddr, PublicURL: n.cfg.PublicURL}
}

func (n *Notifier) noticeCase(c *tldguard.Case) NoticeCase {
	nc := NoticeCase{ID: c.ID, Number: c.Number(), Domain: c.Domain, ThreatType: c.ThreatType, Priority: c.Priority,
		Status: c.Status, Registered: c.Registered, RegistrarName: c.RegistrarName, OpenedAt: c.OpenedAt, ResponseDueAt: c.ResponseDueAt}
	if n.cfg.PublicURL != "" {
		nc.URL = fmt.Sprintf("%s/cases/%d", n.cfg.PublicURL, c.ID)
	}
	return nc
}

func (n *Notifier) ackData(tx tldguard.Tx, no *tldguard.Notice, m *Mail) (any, []*tldguard.Case, error) {
	rep, err := tx.ReportByID(no.ReportID)
	if err != nil {
		return nil, nil, err
	}
	d := AckData{NoticeData: n.common(no.Kind), ReportID: rep.ID, ReceivedAt: rep.ReceivedAt, Priority: tldguard.PriorityStandard}
	if rep.ThreatType == tldguard.ThreatOutOfScope {
		d.OutOfScope, d.Category = true, rep.Category
	}
	var cases []*tldguard.Case
	for _, id := range rep.CaseIDs {
		if slices.ContainsFunc(cases, func(c *tldguard.Case) bool { return c.ID == id }) {
			continue
		}
		c, err := tx.CaseByID(id)
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, c)
		d.Cases = append(d.Cases, n.noticeCase(c))
		d.CaseNumbers = append(d.CaseNumbers, c.Number())
		if c.Priority == tldguard.PriorityHigh {
			d.Priority = tldguard.PriorityHigh
		}
		if d.ResponseDueAt.IsZero() || c.ResponseDueAt.Before(d.ResponseDueAt) {
			d.ResponseDueAt = c.ResponseDueAt
		}
	}
	// An answer to a report: robots must not answer it in turn (RFC 3834).
	m.AutoSubmitted = "auto-replied"
	thread(m, no.InReplyTo)
	return d, cases, nil
}

// thread makes m a reply to the message with Message-ID id.
func thread(m *Mail, id string) {
	if id = strings.TrimSpace(id); id != "" {
		m.InReplyTo, m.References = id, []string{id}
	}
}

// reportMessageID returns the Message-ID of a report that came by e-mail,
// so that later notices thread under it too.
func reportMessageID(tx tldguard.Tx, reportID int64) string {
	if reportID == 0 {
		return ""
	}
	r, err := tx.ReportByID(reportID)
	if err != nil || r.ContentType != "message/rfc822" {
		return ""
	}
	msg, err := mail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		return ""
	}
	return msg.Header.Get("Message-Id")
}

// doneAction returns the newest action of the case carried out by the
// time the notice was queued that keep accepts.
func doneAction(tx tldguard.Tx, no *tldguard.Notice, f tldguard.ActionFilter, keep func(*tldguard.Action) bool) (*tldguard.Action, error) {
	f.CaseID = no.CaseID
	f.State = []tldguard.ActionState{tldguard.ActionDone, tldguard.ActionUndone}
	as, err := tx.ListActions(f)
	if err != nil {
		return nil, err
	}
	var best *tldguard.Action
	for _, a := range as {
		if !keep(a) || a.DoneAt.After(no.CreatedAt) {
			continue
		}
		if best == nil || a.DoneAt.After(best.DoneAt) || (a.DoneAt.Equal(best.DoneAt) && a.ID > best.ID) {
			best = a
		}
	}
	return best, nil
}

func (n *Notifier) outcomeData(tx tldguard.Tx, no *tldguard.Notice, m *Mail) (any, []*tldguard.Case, error) {
	c, err := tx.CaseByID(no.CaseID)
	if err != nil {
		return nil, nil, err
	}
	a, err := doneAction(tx, no, tldguard.ActionFilter{}, func(a *tldguard.Action) bool {
		return a.Kind.AtRegistry() || a.Kind == tldguard.ActionNoAction
	})
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, refuse("%s has no action carried out to report", c.Number())
	}
	d := OutcomeData{NoticeData: n.common(no.Kind), Case: n.noticeCase(c), Action: a.Kind, Outcome: outcomeText(a),
		DoneAt: a.DoneAt, Closed: c.Status == tldguard.StatusClosed}
	if a.Kind == tldguard.ActionNoAction {
		d.Reason = a.Reason
	}
	thread(m, reportMessageID(tx, no.ReportID))
	return d, []*tldguard.Case{c}, nil
}

// outcomeText says what an action did, for the reporters. The analyst's
// reason is internal except for no_action, whose reason is the answer.
func outcomeText(a *tldguard.Action) string {
	switch a.Kind {
	case tldguard.ActionHold:
		return fmt.Sprintf("The registry placed %s on hold (serverHold): the name no longer resolves.", a.Domain)
	case tldguard.ActionLock:
		return fmt.Sprintf("The registry locked %s against update, transfer and deletion while the case is worked.", a.Domain)
	case tldguard.ActionRedirect:
		return fmt.Sprintf("The registry pointed %s to its sinkhole name servers: the name no longer reaches the abusive site.", a.Domain)
	case tldguard.ActionTransfer:
		return fmt.Sprintf("The registry transferred %s to the registrar the requesting authority named.", a.Domain)
	case tldguard.ActionDelete:
		return fmt.Sprintf("The registry deleted %s.", a.Domain)
	case tldguard.ActionBlock:
		return fmt.Sprintf("The registry blocked the registration of %d name(s): %s.", len(a.Names), strings.Join(a.Names, ", "))
	case tldguard.ActionRelease:
		return fmt.Sprintf("The registry released its earlier measure on %s: the name resolves as before.", a.Domain)
	case tldguard.ActionNoAction:
		return fmt.Sprintf("The registry took no action on %s.", a.Domain)
	}
	return fmt.Sprintf("The registry carried out %s on %s.", a.Kind, a.Domain)
}

func (n *Notifier) requestInfoData(tx tldguard.Tx, no *tldguard.Notice, m *Mail) (any, []*tldguard.Case, error) {
	c, err := tx.CaseByID(no.CaseID)
	if err != nil {
		return nil, nil, err
	}
	a, err := doneAction(tx, no, tldguard.ActionFilter{Kind: tldguard.ActionRequestInfo}, func(*tldguard.Action) bool { return true })
	if err != nil {
		return nil, nil, err
	}
	d := RequestInfoData{NoticeData: n.common(no.Kind), Case: n.noticeCase(c), ReportID: no.ReportID, Useful: usefulEvidence(c.ThreatType)}
	if a != nil {
		d.Question = a.Reason
	}
	thread(m, reportMessageID(tx, no.ReportID))
	return d, []*tldguard.Case{c}, nil
}

// usefulEvidence lists the evidence that helps the registry act on a
// threat type.
func usefulEvidence(t tldguard.ThreatType) []string {
	common := []string{"when you saw it (date, time and time zone)", "how you came across it (a lure e-mail, a feed, a victim)"}
	switch t {
	case tldguard.ThreatPhishing:
		return append([]string{"the full URL of the phishing page", "a screenshot of the page", "the page's HTML source", "the brand it imitates"}, common...)
	case tldguard.ThreatMalware:
		return append([]string{"the full URL the malware is served from", "the SHA-256 of the sample", "a sandbox or antivirus report naming the family"}, common...)
	case tldguard.ThreatBotnet:
		return append([]string{"the command-and-control host names and ports", "the malware family", "traffic logs or a sandbox report showing the contact"}, common...)
	case tldguard.ThreatPharming:
		return append([]string{"the name and the addresses it wrongly resolves to", "the resolvers or name servers that give the wrong answer", "DNS query logs (dig output)"}, common...)
	case tldguard.ThreatSpam:
		return append([]string{"the complete message with all its headers (as an .eml attachment)", "the links in it that use the name", "what the links lead to (phishing, malware)"}, common...)
	}
	return common
}

func (n *Notifier) alertData(tx tldguard.Tx, no *tldguard.Notice) (any, []*tldguard.Case, error) {
	c, err := tx.CaseByID(no.CaseID)
	if err != nil {
		return nil, nil, err
	}
	d := AlertData{NoticeData: n.common(no.Kind), Case: n.noticeCase(c), RaisedAt: no.CreatedAt, RespondedAt: c.RespondedAt}
	due := c.ResponseDueAt
	// The stage is the one the alert was raised for: its audit event, in
	// the notice's transaction, holds the deadline it was raised against.
	stage := clockStageAt(due, no.CreatedAt)
	evs, err := tx.EventsByCase(c.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range evs {
		if e.At.Equal(no.CreatedAt) && (e.Action == eventNearEnd || e.Action == eventMissed) {
			var ed clockEventData
			if json.Unmarshal(e.Data, &ed) == nil && !ed.ResponseDueAt.IsZero() {
				due = ed.ResponseDueAt
			}
			stage = strings.TrimPrefix(e.Action, "clock.")
		}
	}
	d.Case.ResponseDueAt, d.Stage, d.Missed = due, stage, stage == stageMissed
	if d.Missed {
		d.Late = no.CreatedAt.Sub(due)
	} else {
		d.Left = due.Sub(no.CreatedAt)
	}
	return d, []*tldguard.Case{c}, nil
}

func (n *Notifier) referralData(tx tldguard.Tx, no *tldguard.Notice, m *Mail) (any, []*tldguard.Case, error) {
	c, err := tx.CaseByID(no.CaseID)
	if err != nil {
		return nil, nil, err
	}
	a, err := doneAction(tx, no, tldguard.ActionFilter{Kind: tldguard.ActionReferRegistrar}, func(*tldguard.Action) bool { return true })
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, refuse("%s has no referral carried out", c.Number())
	}
	d := ReferralData{NoticeData: n.common(no.Kind), Case: n.noticeCase(c), ReferralID: a.ID, RegistrarID: c.RegistrarID,
		RegistrarName: c.RegistrarName, AnswerDueAt: a.DueAt}
	d.Case.URL = "" // registrars do not see the case page
	if c.Classification != tldguard.ClassUnknown {
		d.Classification = c.Classification
	}
	if reg, err := tx.Registrar(c.RegistrarID); err == nil && reg.Name != "" {
		d.RegistrarName = reg.Name
	}
	if n.cfg.PublicURL != "" {
		d.AnswerURL = fmt.Sprintf("%s/api/v1/referrals/%d/answer", n.cfg.PublicURL, a.ID)
		d.ReferralsURL = n.cfg.PublicURL + "/api/v1/referrals"
		d.PortalURL = n.cfg.PublicURL + "/signin"
	}
	reports, err := tx.ListReports(tldguard.ReportFilter{CaseID: c.ID})
	if err != nil {
		return nil, nil, err
	}
	slices.Reverse(reports) // oldest first
	var category string
	for _, r := range reports {
		if category == "" {
			category = r.Category
		}
		for _, t := range r.Targets {
			s := t.URL
			if s == "" {
				s = t.Host
			}
			if t.Domain == c.Domain && s != "" && !slices.Contains(d.Targets, s) && len(d.Targets) < maxReferralTargets {
				d.Targets = append(d.Targets, s)
			}
		}
	}
	evidence, err := tx.EvidenceByCase(c.ID)
	if err != nil {
		return nil, nil, err
	}
	x := n.newXARF(c, a, d.Targets, category)
	var total int
	for _, e := range evidence {
		ne := NoticeEvidence{Filename: e.Filename, MediaType: e.MediaType, Size: e.Size, URL: e.URL, Description: e.Description}
		if e.SHA256 != nil {
			ne.SHA256 = hex.EncodeToString(e.SHA256)
			if e.Size <= maxXARFItem && total+int(e.Size) <= maxXARFTotal && len(x.Evidence) < maxXARFItems {
				content, err := tx.EvidenceContent(e.SHA256)
				if err != nil {
					return nil, nil, err
				}
				x.addEvidence(e, content)
				total += len(content)
				ne.Attached = true
			}
		}
		d.Evidence = append(d.Evidence, ne)
	}
	body, err := x.encode()
	if err != nil {
		return nil, nil, err
	}
	d.Attachment = "xarf-" + c.Number() + ".json"
	m.Attachments = []Attachment{{Name: d.Attachment, ContentType: "application/json", Data: body}}
	return d, []*tldguard.Case{c}, nil
}

const maxReferralTargets = 100
