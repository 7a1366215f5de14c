package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/tldguard/tldguard"
)

// maxNoticePage caps one listing of the outbox.
const maxNoticePage = 1000

// Notices lists the outgoing notices in status ("" for any), oldest first,
// at most limit (1..1000, default 100) (staff): the failed ones are what
// an operator must see, since a reporter or registrar who was never told
// is a missed obligation.
func (s *Service) Notices(ctx context.Context, status tldguard.NoticeStatus, limit int) ([]*tldguard.Notice, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	switch status {
	case "", tldguard.NoticeQueued, tldguard.NoticeSent, tldguard.NoticeFailed:
	default:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "status", "unknown notice status %q (queued, sent or failed)", status)
	}
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > maxNoticePage:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "limit", "must be between 1 and %d", maxNoticePage)
	}
	var out []*tldguard.Notice
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		out, err = tx.ListNotices(status, limit)
		return err
	})
	return out, err
}

// RetryNotice puts a failed notice back in the outbox (admin), with the
// reason in the audit log, once what made it fail (an address, the relay)
// is put right. Its attempts count from zero again; the sender picks it up
// on its next round. Only a failed notice can be retried (ECONFLICT).
func (s *Service) RetryNotice(ctx context.Context, id int64, reason string) (*tldguard.Notice, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "say why the notice is sent again")
	}
	now := s.clock()
	var no *tldguard.Notice
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if no, err = tx.NoticeByID(id); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
				return tldguard.FieldErrorf(tldguard.ENOTFOUND, "id", "no notice %d", id)
			}
			return err
		}
		if no.Status != tldguard.NoticeFailed {
			return tldguard.FieldErrorf(tldguard.ECONFLICT, "id", "notice %d is %s, not failed", id, no.Status)
		}
		lastError := no.LastError
		no.Status, no.Attempts, no.LastError = tldguard.NoticeQueued, 0, ""
		if err := tx.UpdateNotice(no); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "notice.retried", no.CaseID, fmt.Sprintf("notice:%d", id), map[string]any{
			"notice_id": id, "kind": no.Kind, "reason": reason, "last_error": lastError,
		}))
	})
	if err != nil {
		return nil, err
	}
	return no, nil
}
