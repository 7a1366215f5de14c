package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/reportfmt"
)

// maxIdempotencyKey bounds the Idempotency-Key a client may send.
const maxIdempotencyKey = 255

// errReplay stops an intake transaction whose Idempotency-Key was taken by
// a concurrent request; the caller then answers with the stored receipt.
var errReplay = errors.New("idempotency key already used")

// SubmitReport implements tldguard.ReportService.
func (s *Service) SubmitReport(ctx context.Context, sub *tldguard.Submission) (*tldguard.Receipt, error) {
	p, err := require(ctx, tldguard.RoleReporter, tldguard.RoleRegistrar)
	if err != nil {
		return nil, err
	}
	if p.Kind != tldguard.PrincipalReporter || p.Reporter == nil {
		return nil, tldguard.Errorf(tldguard.EFORBIDDEN, "reports are submitted with a reporter account's token")
	}
	reporter := p.Reporter
	if len(sub.IdempotencyKey) > maxIdempotencyKey {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "Idempotency-Key", "is longer than %d characters", maxIdempotencyKey)
	}
	sum := sha256.Sum256(sub.Raw)

	// A repeat of a key answers with the first receipt and stores nothing.
	if sub.IdempotencyKey != "" {
		if r, err := s.replay(ctx, reporter.ID, sub.IdempotencyKey, sum[:]); r != nil || err != nil {
			return r, err
		}
	}

	in, err := reportfmt.Decode(sub.Raw, sub.ContentType, s.limits)
	if err != nil {
		return nil, err
	}
	prep, _, err := s.prepare(ctx, in, false)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	priority, why := s.policy.Priority(reporter, in.Request)
	report := prep.report
	report.ReporterID = reporter.ID
	report.Source = reporter.Source
	report.Raw = sub.Raw
	report.RawSHA256 = sum[:]
	report.ContentType = sub.ContentType
	report.IdempotencyKey = sub.IdempotencyKey
	report.ReceivedAt = now

	var receipt *tldguard.Receipt
	err = s.commit.do(ctx, func(tx tldguard.Tx) error {
		r, err := s.fileReport(ctx, tx, reporter, prep, priority, why, now, nil)
		if err != nil {
			return err
		}
		r.Notes = notes(in, priority, why)
		if err := tx.QueueNotice(&tldguard.Notice{
			Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued, ReporterID: reporter.ID,
			ReportID: report.ID, To: reporter.Email, CreatedAt: now,
		}); err != nil {
			return err
		}
		if sub.IdempotencyKey != "" {
			if err := putIdempotent(tx, reporter.ID, sub.IdempotencyKey, sum[:], r, now); err != nil {
				return err
			}
		}
		receipt = r
		return nil
	})
	if errors.Is(err, errReplay) {
		return s.replay(ctx, reporter.ID, sub.IdempotencyKey, sum[:])
	}
	if err != nil {
		return nil, err
	}
	return receipt, nil
}

// prepared is a report ready to be filed: decoded, its names resolved in
// the operator's TLDs and looked up in the registry, its evidence hashed.
// Everything here happens before the transaction, so the transaction only
// writes.
type prepared struct {
	report   *tldguard.Report
	domains  []domainRef
	regs     map[string]*tldguard.Registration
	evidence []tldguard.Evidence
	contents [][]byte
}

// prepare resolves and looks up the names of in (see resolve for lenient)
// and hashes its evidence.
func (s *Service) prepare(ctx context.Context, in *tldguard.ReportInput, lenient bool) (*prepared, []dropped, error) {
	report, domains, drops, err := s.resolve(ctx, in, lenient)
	if err != nil {
		return nil, nil, err
	}
	regs, err := s.lookupAll(ctx, domains)
	if err != nil {
		return nil, nil, err
	}
	evidence, contents := evidenceOf(in)
	return &prepared{report: report, domains: domains, regs: regs, evidence: evidence, contents: contents}, drops, nil
}

// fileReport is the part of an intake transaction every channel shares:
// it stores the report (whose reporter, raw bytes and times the caller has
// set) and its evidence, files it on the open case for each registered name
// and threat or opens one, writes the audit events, and returns the receipt
// (without notes). extra is added to the report.received event's data. It
// may run more than once (see committer.do) and resets what it sets.
func (s *Service) fileReport(ctx context.Context, tx tldguard.Tx, reporter *tldguard.Reporter, p *prepared, priority tldguard.Priority, why string, now time.Time, extra map[string]any) (*tldguard.Receipt, error) {
	report := p.report
	report.ID, report.CaseIDs = 0, nil // the body may run again
	if err := tx.InsertReport(report); err != nil {
		return nil, err
	}
	data := map[string]any{
		"report_id": report.ID, "reporter_id": reporter.ID, "source": reporter.Source,
		"format": report.Format, "threat_type": report.ThreatType, "category": report.Category,
		"sha256": hex.EncodeToString(report.RawSHA256), "targets": inputs(report.Targets),
		"request": report.Request,
	}
	for k, v := range extra {
		data[k] = v
	}
	if err := tx.AppendEvent(event(ctx, now, "report.received", 0, fmt.Sprintf("report:%d", report.ID), data)); err != nil {
		return nil, err
	}
	for i := range p.evidence {
		e := p.evidence[i]
		e.ReportID = report.ID
		if err := tx.InsertEvidence(&e, p.contents[i]); err != nil {
			return nil, err
		}
	}
	r := &tldguard.Receipt{ReportID: report.ID, ReceivedAt: now, SHA256: hex.EncodeToString(report.RawSHA256), Priority: tldguard.PriorityStandard}
	for _, d := range p.domains {
		c, isNew, err := s.fileOn(ctx, tx, report, d, p.regs[d.Domain], priority, why, now)
		if err != nil {
			return nil, err
		}
		if err := tx.LinkReportCase(report.ID, c.ID, d.index); err != nil {
			return nil, err
		}
		report.CaseIDs = append(report.CaseIDs, c.ID)
		r.Cases = append(r.Cases, tldguard.ReceiptCase{
			ID: c.ID, Number: c.Number(), Domain: c.Domain, ThreatType: c.ThreatType,
			Priority: c.Priority, ResponseDueAt: c.ResponseDueAt, Registered: c.Registered, New: isNew,
		})
		if c.Priority == tldguard.PriorityHigh {
			r.Priority = tldguard.PriorityHigh
		}
		if r.ResponseDueAt.IsZero() || c.ResponseDueAt.Before(r.ResponseDueAt) {
			r.ResponseDueAt = c.ResponseDueAt
		}
	}
	return r, nil
}

// putIdempotent records the answer to an idempotency key in the intake
// transaction; a key taken meanwhile by a concurrent request is errReplay.
func putIdempotent(tx tldguard.Tx, reporterID int64, key string, sum []byte, answer any, now time.Time) error {
	body, err := json.Marshal(answer)
	if err != nil {
		return tldguard.Internal(err, "encode receipt")
	}
	err = tx.PutIdempotent(&tldguard.IdempotencyRecord{
		ReporterID: reporterID, Key: key, RequestSHA256: sum,
		Status: 202, Response: body, CreatedAt: now,
	})
	if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
		return errReplay
	}
	return err
}

// replay returns the stored receipt for a repeated Idempotency-Key, nil when
// the key is new, and ECONFLICT when it was used for a different body.
func (s *Service) replay(ctx context.Context, reporterID int64, key string, sum []byte) (*tldguard.Receipt, error) {
	var r tldguard.Receipt
	found, err := s.idempotent(ctx, reporterID, key, sum, &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

// idempotent decodes the answer stored for (reporterID, key) into answer
// and reports whether there was one. The same key with a different request
// is ECONFLICT.
func (s *Service) idempotent(ctx context.Context, reporterID int64, key string, sum []byte, answer any) (bool, error) {
	var rec *tldguard.IdempotencyRecord
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rec, err = tx.Idempotent(reporterID, key)
		return err
	})
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !bytes.Equal(rec.RequestSHA256, sum) {
		return false, tldguard.FieldErrorf(tldguard.ECONFLICT, "Idempotency-Key", "was already used for a different report; use a new key for a new report")
	}
	if err := json.Unmarshal(rec.Response, answer); err != nil {
		return false, tldguard.Internal(err, "decode stored receipt")
	}
	return true, nil
}

// domainRef is one registered name of a report, with the index of the first
// target that named it.
type domainRef struct {
	Domain, TLD string
	index       int
}

// dropped is a name a lenient resolve left out, and why.
type dropped struct {
	Name string
	Err  error
}

// resolve normalises every name of the report and finds its registered name
// in the operator's TLDs. By default any name that is not in them refuses
// the whole report, naming the field: a partial intake would leave an API
// client unsure what was taken. With lenient (mail, where the sender cannot
// be asked to resubmit), such names are left out and returned as dropped.
func (s *Service) resolve(ctx context.Context, in *tldguard.ReportInput, lenient bool) (*tldguard.Report, []domainRef, []dropped, error) {
	suffixes, err := s.tlds(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	field := in.NamesField
	if field == "" {
		field = "names"
	}
	r := &tldguard.Report{
		Format: in.Format, ThreatType: in.ThreatType, Category: in.Category,
		Description: in.Description, Request: in.Request,
	}
	seen := make(map[string]bool)
	var domains []domainRef
	var drops []dropped
	for i, name := range in.Names {
		t, err := suffixes.Target(name)
		if err != nil {
			if lenient {
				drops = append(drops, dropped{Name: name, Err: err})
				continue
			}
			return nil, nil, nil, withField(err, fmt.Sprintf("%s[%d]", field, i))
		}
		r.Targets = append(r.Targets, t)
		if !seen[t.Domain] {
			seen[t.Domain] = true
			domains = append(domains, domainRef{Domain: t.Domain, TLD: t.TLD, index: len(r.Targets) - 1})
		}
	}
	return r, domains, drops, nil
}

// withField names the field in a normalisation error.
func withField(err error, field string) error {
	var e *tldguard.Error
	if errors.As(err, &e) {
		c := *e
		c.Field = field
		return &c
	}
	return tldguard.FieldErrorf(tldguard.EINVALID, field, "%v", err)
}

// lookupAll asks the registry about each name. Unregistered names are
// fine: botnet names and look-alikes are reported before registration.
func (s *Service) lookupAll(ctx context.Context, domains []domainRef) (map[string]*tldguard.Registration, error) {
	regs := make(map[string]*tldguard.Registration, len(domains))
	for _, d := range domains {
		reg, err := s.registry.Lookup(ctx, d.Domain)
		switch tldguard.ErrorKind(err) {
		case "":
			regs[d.Domain] = reg
		case tldguard.ENOTFOUND:
			regs[d.Domain] = nil
		default:
			return nil, err
		}
	}
	return regs, nil
}

// fileOn attaches the report to the open case for (domain, threat) or opens
// one, applying priority and clocks.
func (s *Service) fileOn(ctx context.Context, tx tldguard.Tx, r *tldguard.Report, d domainRef, reg *tldguard.Registration, pr tldguard.Priority, why string, now time.Time) (*tldguard.Case, bool, error) {
	c, err := tx.OpenCase(d.Domain, r.ThreatType)
	switch tldguard.ErrorKind(err) {
	case tldguard.ENOTFOUND:
		c = &tldguard.Case{
			Domain: d.Domain, TLD: d.TLD, ThreatType: r.ThreatType, Status: tldguard.StatusOpen,
			Priority: pr, PriorityReason: why, Classification: tldguard.ClassUnknown,
			Registered: reg != nil, Confidential: r.Request.Confidential(), ReportCount: 1,
			OpenedAt: now, AckedAt: now, ResponseDueAt: now.Add(s.policy.ResponseWindow(pr)), UpdatedAt: now,
		}
		if reg != nil {
			c.RegistrarID, c.RegistrarName = reg.RegistrarID, reg.RegistrarName
		}
		if err := tx.InsertCase(c); err != nil {
			return nil, false, err
		}
		return c, true, tx.AppendEvent(event(ctx, now, "case.opened", c.ID, fmt.Sprintf("case:%d", c.ID), map[string]any{
			"report_id": r.ID, "domain": c.Domain, "tld": c.TLD, "threat_type": c.ThreatType,
			"priority": c.Priority, "priority_reason": c.PriorityReason, "registered": c.Registered,
			"registrar_id": c.RegistrarID, "confidential": c.Confidential,
			"response_due_at": c.ResponseDueAt, "source": r.Source,
		}))
	case "":
	default:
		return nil, false, err
	}
	data := map[string]any{"report_id": r.ID, "source": r.Source}
	c.ReportCount++
	c.UpdatedAt = now
	if r.Request.Confidential() && !c.Confidential {
		c.Confidential = true
		data["confidential"] = true
	}
	if pr == tldguard.PriorityHigh && c.Priority != tldguard.PriorityHigh {
		// A verified authority's urgent report raises the case and starts
		// the short clock from now, unless the old one ends sooner.
		data["priority"] = map[string]any{"from": c.Priority, "to": pr, "reason": why}
		c.Priority, c.PriorityReason = pr, why
		if due := now.Add(s.policy.ResponseWindow(pr)); due.Before(c.ResponseDueAt) {
			data["response_due_at"] = map[string]any{"from": c.ResponseDueAt, "to": due}
			c.ResponseDueAt = due
		}
	}
	if err := tx.UpdateCase(c); err != nil {
		return nil, false, err
	}
	return c, false, tx.AppendEvent(event(ctx, now, "case.report_attached", c.ID, fmt.Sprintf("case:%d", c.ID), data))
}

// evidenceOf hashes the submitted evidence.
func evidenceOf(in *tldguard.ReportInput) ([]tldguard.Evidence, [][]byte) {
	ev := make([]tldguard.Evidence, len(in.Evidence))
	contents := make([][]byte, len(in.Evidence))
	for i, e := range in.Evidence {
		ev[i] = tldguard.Evidence{MediaType: e.MediaType, Filename: e.Filename, URL: e.URL, Description: e.Description}
		if e.Content != nil {
			sum := sha256.Sum256(e.Content)
			ev[i].SHA256 = sum[:]
			ev[i].Size = int64(len(e.Content))
			contents[i] = e.Content
		}
	}
	return ev, contents
}

func inputs(ts []tldguard.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Input
	}
	return out
}

// notes tells the reporter what tldguard made of the report where that
// could surprise them.
func notes(in *tldguard.ReportInput, pr tldguard.Priority, why string) []string {
	var n []string
	if in.ThreatType == tldguard.ThreatOutOfScope {
		n = append(n, fmt.Sprintf("%q is outside DNS abuse (phishing, malware, botnets, pharming, spam as their vector); the report is kept and will be answered", in.Category))
	}
	if in.Request != nil && in.Request.Urgency != tldguard.UrgencyNone && pr != tldguard.PriorityHigh {
		n = append(n, "standard priority: "+why)
	}
	return n
}

// Report implements tldguard.ReportService.
func (s *Service) Report(ctx context.Context, id int64) (*tldguard.Report, error) {
	p, err := require(ctx, tldguard.Roles...)
	if err != nil {
		return nil, err
	}
	var r *tldguard.Report
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		r, err = tx.ReportByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.Kind == tldguard.PrincipalReporter && r.ReporterID != p.ID {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no report %d", id)
	}
	return r, nil
}

// Reports implements tldguard.ReportService.
func (s *Service) Reports(ctx context.Context, f tldguard.ReportFilter) ([]*tldguard.Report, error) {
	p, err := require(ctx, tldguard.Roles...)
	if err != nil {
		return nil, err
	}
	if p.Kind == tldguard.PrincipalReporter {
		f.ReporterID = p.ID
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var rs []*tldguard.Report
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rs, err = tx.ListReports(f)
		return err
	})
	return rs, err
}
