package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// maxPage caps one page of the case queue.
const maxPage = 200

// Cases implements tldguard.CaseService.
func (s *Service) Cases(ctx context.Context, f tldguard.CaseFilter) (*tldguard.CasePage, error) {
	p, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover, tldguard.RoleAuditor, tldguard.RoleReporter)
	if err != nil {
		return nil, err
	}
	if p.Kind == tldguard.PrincipalReporter {
		// A reporter sees only the cases its own reports are filed on.
		f.ReporterID = p.ID
	}
	if err := checkFilter(&f); err != nil {
		return nil, err
	}
	if f.Now.IsZero() {
		f.Now = s.clock()
	}
	want := f.Limit
	f.Limit = want + 1 // one more tells whether there is a next page
	var cases []*tldguard.Case
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		cases, err = tx.ListCases(f)
		return err
	})
	if err != nil {
		return nil, err
	}
	page := &tldguard.CasePage{Cases: cases}
	if len(cases) > want {
		page.Cases = cases[:want]
		page.Next = tldguard.CursorFor(page.Cases[want-1], f.Sort)
	}
	return page, nil
}

// checkFilter validates a queue filter and fills in defaults.
func checkFilter(f *tldguard.CaseFilter) error {
	for _, st := range f.Status {
		if !st.Valid() {
			return tldguard.FieldErrorf(tldguard.EINVALID, "status", "%q is not a case status (open, in_progress, closed)", st)
		}
	}
	if f.Priority != "" && !f.Priority.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "priority", "%q is not a priority (high, standard)", f.Priority)
	}
	if f.ThreatType != "" && !f.ThreatType.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "threat_type", "%q is not a threat type", f.ThreatType)
	}
	switch f.Sort {
	case "":
		f.Sort = tldguard.SortDue
	case tldguard.SortDue, tldguard.SortNewest:
	default:
		return tldguard.FieldErrorf(tldguard.EINVALID, "sort", "%q is not a sort order (due, newest)", f.Sort)
	}
	switch {
	case f.Limit == 0:
		f.Limit = 50
	case f.Limit < 0 || f.Limit > maxPage:
		return tldguard.FieldErrorf(tldguard.EINVALID, "limit", "must be between 1 and %d", maxPage)
	}
	f.TLD = strings.ToLower(strings.TrimSuffix(f.TLD, "."))
	f.Domain = strings.ToLower(strings.TrimSuffix(f.Domain, "."))
	return nil
}

// Case implements tldguard.CaseService. A reporter may read a case its own
// reports are filed on, and sees only its own reports and no event log:
// other reporters and the operator's notes stay private.
func (s *Service) Case(ctx context.Context, id int64) (*tldguard.CaseDetail, error) {
	p, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover, tldguard.RoleAuditor, tldguard.RoleReporter)
	if err != nil {
		return nil, err
	}
	d := &tldguard.CaseDetail{}
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		if d.Case, err = tx.CaseByID(id); err != nil {
			return err
		}
		f := tldguard.ReportFilter{CaseID: id, Limit: 1000}
		if p.Kind == tldguard.PrincipalReporter {
			f.ReporterID = p.ID
		}
		reports, err := tx.ListReports(f)
		if err != nil {
			return err
		}
		if p.Kind == tldguard.PrincipalReporter {
			if len(reports) == 0 {
				return tldguard.Errorf(tldguard.ENOTFOUND, "no case %s", tldguard.CaseNumber(id))
			}
			d.Reports = reports
			for _, r := range reports {
				full, err := tx.ReportByID(r.ID)
				if err != nil {
					return err
				}
				d.Evidence = append(d.Evidence, full.Evidence...)
			}
			return nil
		}
		d.Reports = reports
		if d.Evidence, err = tx.EvidenceByCase(id); err != nil {
			return err
		}
		d.Events, err = tx.EventsByCase(id)
		return err
	})
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no case %s", tldguard.CaseNumber(id))
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateCase implements tldguard.CaseService.
func (s *Service) UpdateCase(ctx context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
	if _, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAnalyst, tldguard.RoleApprover); err != nil {
		return nil, err
	}
	if err := checkUpdate(&u); err != nil {
		return nil, err
	}
	var out *tldguard.Case
	now := s.clock()
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		c, err := tx.CaseByID(id)
		if err != nil {
			return err
		}
		if u.Version != 0 && u.Version != c.Version {
			return tldguard.FieldErrorf(tldguard.ECONFLICT, "version", "the case changed since you read it (version %d, now %d); reload and try again", u.Version, c.Version)
		}
		changes := map[string]any{}
		closing := false
		change := func(field string, from, to any) { changes[field] = map[string]any{"from": from, "to": to} }
		if u.Assignee != nil && *u.Assignee != c.Assignee {
			if *u.Assignee != "" {
				usr, err := tx.UserByEmail(*u.Assignee)
				if err != nil || usr.Disabled || !usr.Role.Staff() {
					return tldguard.FieldErrorf(tldguard.EINVALID, "assignee", "%q is not an active staff member", *u.Assignee)
				}
			}
			change("assignee", c.Assignee, *u.Assignee)
			c.Assignee = *u.Assignee
		}
		if u.Classification != nil && *u.Classification != c.Classification {
			change("classification", c.Classification, *u.Classification)
			c.Classification = *u.Classification
		}
		if u.Priority != nil && *u.Priority != c.Priority {
			change("priority", c.Priority, *u.Priority)
			old := c.ResponseDueAt
			c.Priority, c.PriorityReason = *u.Priority, u.Reason
			if *u.Priority == tldguard.PriorityHigh {
				// Raised: the short clock runs from now unless the old one ends sooner.
				if due := now.Add(s.policy.ResponseWindow(tldguard.PriorityHigh)); due.Before(c.ResponseDueAt) {
					c.ResponseDueAt = due
				}
			} else {
				c.ResponseDueAt = c.OpenedAt.Add(s.policy.ResponseWindow(*u.Priority))
			}
			if !old.Equal(c.ResponseDueAt) {
				change("response_due_at", old, c.ResponseDueAt)
			}
		}
		if u.Status != nil && *u.Status != c.Status {
			change("status", c.Status, *u.Status)
			switch {
			case *u.Status == tldguard.StatusClosed:
				closing = true
				c.ClosedAt, c.Resolution = now, u.Reason
				if c.RespondedAt.IsZero() {
					c.RespondedAt = now
				}
			case c.Status == tldguard.StatusClosed:
				c.ClosedAt, c.Resolution = time.Time{}, "" // reopened
			}
			c.Status = *u.Status
		}
		if len(changes) == 0 {
			out = c
			return nil
		}
		_, prio := changes["priority"]
		_, class := changes["classification"]
		if (prio || class || closing) && u.Reason == "" {
			return tldguard.FieldErrorf(tldguard.EINVALID, "reason", "a reason is required to change priority or classification and to close a case")
		}
		c.UpdatedAt = now
		if err := tx.UpdateCase(c); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
				return tldguard.Errorf(tldguard.ECONFLICT, "%s cannot be reopened: another case on %s for %s is open", c.Number(), c.Domain, c.ThreatType)
			}
			return err
		}
		out = c
		return tx.AppendEvent(event(ctx, now, "case.updated", c.ID, fmt.Sprintf("case:%d", c.ID), map[string]any{"changes": changes, "reason": u.Reason}))
	})
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no case %s", tldguard.CaseNumber(id))
	}
	return out, err
}

// checkUpdate validates the values of a triage change. Whether a reason is
// needed depends on what actually changes, so UpdateCase checks that.
func checkUpdate(u *tldguard.CaseUpdate) error {
	u.Reason = strings.TrimSpace(u.Reason)
	if u.Classification != nil && !u.Classification.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "classification", "%q is not a classification (malicious, compromised, unknown)", *u.Classification)
	}
	if u.Priority != nil && !u.Priority.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "priority", "%q is not a priority (high, standard)", *u.Priority)
	}
	if u.Status != nil && !u.Status.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "status", "%q is not a case status (open, in_progress, closed)", *u.Status)
	}
	if u.Assignee != nil {
		a := strings.ToLower(strings.TrimSpace(*u.Assignee))
		u.Assignee = &a
	}
	if len(u.Reason) > 4096 {
		return tldguard.FieldErrorf(tldguard.ETOOLARGE, "reason", "is longer than 4096 characters")
	}
	return nil
}
