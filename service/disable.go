package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/tldguard/tldguard"
)

// SetUserDisabled disables or re-enables a staff account (admin only), with
// the reason in the audit log. Disabling ends the person's sessions and
// stops their API tokens (at once in this process, within the token cache's
// lifetime on other nodes).
func (s *Service) SetUserDisabled(ctx context.Context, email string, disabled bool, reason string) (*tldguard.User, error) {
	p, err := require(ctx, tldguard.RoleAdmin)
	if err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if reason = strings.TrimSpace(reason); reason == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "say why the account is %s", onOff(disabled))
	}
	if disabled && p.Kind == tldguard.PrincipalUser && p.Name == email {
		return nil, tldguard.FieldErrorf(tldguard.EUNPROCESSABLE, "email", "you cannot disable your own account")
	}
	now := s.clock()
	var u *tldguard.User
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if u, err = tx.UserByEmail(email); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
				return tldguard.FieldErrorf(tldguard.ENOTFOUND, "email", "no user with e-mail %s", email)
			}
			return err
		}
		u.Disabled = disabled
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		if disabled {
			if err := tx.DeleteUserSessions(u.ID); err != nil {
				return err
			}
		}
		return tx.AppendEvent(event(ctx, now, "user."+onOff(disabled), 0, "user:"+email, map[string]any{"user_id": u.ID, "reason": reason}))
	})
	s.tokens.clear()
	return u, err
}

// SetReporterDisabled disables or re-enables a reporter account (admin
// only), e.g. after its token leaked or its mailbox was hijacked. A
// disabled account's tokens and portal sessions stop working.
func (s *Service) SetReporterDisabled(ctx context.Context, id int64, disabled bool, reason string) (*tldguard.Reporter, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reason", "say why the account is %s", onOff(disabled))
	}
	now := s.clock()
	var r *tldguard.Reporter
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if r, err = tx.ReporterByID(id); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
				return tldguard.FieldErrorf(tldguard.ENOTFOUND, "id", "no reporter %d", id)
			}
			return err
		}
		r.Disabled = disabled
		if err := tx.UpdateReporter(r); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "reporter."+onOff(disabled), 0, fmt.Sprintf("reporter:%d", id), map[string]any{"reporter_id": id, "reason": reason}))
	})
	s.tokens.clear()
	return r, err
}

func onOff(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}
