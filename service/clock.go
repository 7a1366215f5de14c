package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// Clock alerts: a case still owed its response whose deadline is within
// the policy's Clocks.Warn of its end is "near end"; past it, "missed".
// Each is alerted once per case, stage and deadline (a deadline moved by a
// priority change is a new clock): a log line (Warn), a count in this
// process (ClockAlerts, for the metrics), an audit event (clock.near_end,
// clock.missed) and, when the operator gave alert addresses, an "alert"
// notice to them, written in one transaction.
//
// The audit events are the record that an alert was raised: before
// raising one the check looks for the case's event of that stage and
// deadline, so an alert is raised once whatever process or node runs the
// check, across restarts. A small in-memory set spares re-reading the
// events of cases already alerted; the "clocks" lease keeps the check to
// one node at a time.

const (
	clockLease    = "clocks"
	clockLeaseTTL = 5 * time.Minute
	clockEvery    = time.Minute
	clockPage     = 200

	eventNearEnd = "clock.near_end"
	eventMissed  = "clock.missed"
	stageNearEnd = "near_end"
	stageMissed  = "missed"
)

// alertKey is one alert: a case, a stage and the deadline it was for.
type alertKey struct {
	caseID int64
	stage  string
	due    int64 // unix microseconds
}

// clockEventData is the data of a clock event.
type clockEventData struct {
	Stage         string            `json:"stage"`
	ResponseDueAt time.Time         `json:"response_due_at"`
	Priority      tldguard.Priority `json:"priority"`
	Domain        string            `json:"domain"`
	Notified      []string          `json:"notified,omitempty"` // the alert addresses an alert notice was queued for
}

// ClockAlerts counts the clock alerts this process raised since it started.
type ClockAlerts struct {
	NearEnd int64
	Missed  int64
}

// ClockAlerts returns the counts of alerts raised (for the metrics).
func (n *Notifier) ClockAlerts() ClockAlerts {
	return ClockAlerts{NearEnd: n.counts.nearEnd.Load(), Missed: n.counts.missed.Load()}
}

// clockStageAt is the stage of a clock with deadline due at the instant
// at: missed once at is past due (as Case.Overdue), else near end.
func clockStageAt(due, at time.Time) string {
	if at.After(due) {
		return stageMissed
	}
	return stageNearEnd
}

// CheckClocks takes the "clocks" lease and raises the alerts due now: for
// each case not closed and without its response whose deadline is within
// the warning window or past, the alert of its stage unless it was raised
// before. It returns the alerts it raised. Without the lease (another node
// checks) it does nothing.
func (n *Notifier) CheckClocks(ctx context.Context) (ClockAlerts, error) {
	var raised ClockAlerts
	if tldguard.FromContext(ctx) == nil {
		ctx = tldguard.System(ctx, "clocks:"+n.cfg.Node)
	}
	now := n.s.clock()
	var ok bool
	err := n.s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		ok, err = tx.AcquireLease(clockLease, n.holder, now, now.Add(clockLeaseTTL))
		return err
	})
	if err != nil || !ok {
		return raised, err
	}
	// Overdue at now+warn: every unanswered case whose deadline is before
	// the end of the warning window, the earliest first.
	f := tldguard.CaseFilter{Status: []tldguard.CaseStatus{tldguard.StatusOpen, tldguard.StatusInProgress},
		Overdue: true, Now: now.Add(max(n.s.policy.Clocks.Warn, 0)), Sort: tldguard.SortDue, Limit: clockPage}
	seen := map[alertKey]bool{}
	for {
		var page []*tldguard.Case
		if err := n.s.store.Read(ctx, func(tx tldguard.Tx) error {
			var err error
			page, err = tx.ListCases(f)
			return err
		}); err != nil {
			return raised, err
		}
		for _, c := range page {
			stage := clockStageAt(c.ResponseDueAt, now)
			key := alertKey{c.ID, stage, c.ResponseDueAt.UnixMicro()}
			n.mu.Lock()
			known := n.alerted[key]
			n.mu.Unlock()
			seen[key] = true
			if known {
				continue
			}
			did, err := n.raise(ctx, c, stage, now)
			if err != nil {
				return raised, err
			}
			switch {
			case did && stage == stageMissed:
				raised.Missed++
			case did:
				raised.NearEnd++
			}
		}
		if len(page) < clockPage || ctx.Err() != nil {
			break
		}
		f.After = tldguard.CursorFor(page[len(page)-1], tldguard.SortDue)
	}
	// Keep only the alerts of cases still in the window: the set stays as
	// small as the window.
	n.mu.Lock()
	for k := range n.alerted {
		if !seen[k] {
			delete(n.alerted, k)
		}
	}
	n.mu.Unlock()
	return raised, nil
}

// raise raises the alert of stage for c unless its event exists, and
// reports whether it did.
func (n *Notifier) raise(ctx context.Context, c *tldguard.Case, stage string, now time.Time) (bool, error) {
	key := alertKey{c.ID, stage, c.ResponseDueAt.UnixMicro()}
	var done bool
	if err := n.s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		done, err = alerted(tx, key)
		return err
	}); err != nil {
		return false, err
	}
	raised := false
	if !done {
		err := n.s.store.Write(ctx, func(tx tldguard.Tx) error {
			raised = false
			// Again in the transaction: the case may have moved on.
			cur, err := tx.CaseByID(c.ID)
			if err != nil {
				return err
			}
			if cur.Status == tldguard.StatusClosed || !cur.RespondedAt.IsZero() || !cur.ResponseDueAt.Equal(c.ResponseDueAt) {
				return nil
			}
			if done, err := alerted(tx, key); err != nil || done {
				return err
			}
			data := clockEventData{Stage: stage, ResponseDueAt: cur.ResponseDueAt, Priority: cur.Priority, Domain: cur.Domain}
			if len(n.cfg.AlertTo) > 0 {
				data.Notified = n.cfg.AlertTo
				if err := tx.QueueNotice(&tldguard.Notice{Kind: noticeAlert, Status: tldguard.NoticeQueued, CaseID: cur.ID,
					To: strings.Join(n.cfg.AlertTo, ", "), CreatedAt: now}); err != nil {
					return err
				}
			}
			if err := tx.AppendEvent(event(ctx, now, "clock."+stage, cur.ID, fmt.Sprintf("case:%d", cur.ID), data)); err != nil {
				return err
			}
			raised = true
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	n.mu.Lock()
	n.alerted[key] = true
	n.mu.Unlock()
	if !raised {
		return false, nil
	}
	log := n.s.log.With("case", c.Number(), "domain", c.Domain, "priority", c.Priority, "response_due_at", c.ResponseDueAt)
	if stage == stageMissed {
		n.counts.missed.Add(1)
		log.Warn("response clock missed", "late", now.Sub(c.ResponseDueAt).Round(time.Second).String())
	} else {
		n.counts.nearEnd.Add(1)
		log.Warn("response clock near its end", "left", c.ResponseDueAt.Sub(now).Round(time.Second).String())
	}
	return true, nil
}

// alerted reports whether the case has the event of the alert's stage for
// its deadline.
func alerted(tx tldguard.Tx, key alertKey) (bool, error) {
	evs, err := tx.EventsByCase(key.caseID)
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		if e.Action != "clock."+key.stage {
			continue
		}
		var d clockEventData
		if json.Unmarshal(e.Data, &d) == nil && d.ResponseDueAt.UnixMicro() == key.due {
			return true, nil
		}
	}
	return false, nil
}
