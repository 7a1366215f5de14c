package service

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/tldguard/tldguard"
)

// CreateUser adds a staff member (admin only) and returns their generated
// password, shown once.
func (s *Service) CreateUser(ctx context.Context, email, name string, role tldguard.Role) (*tldguard.User, string, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, "", err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "email", "%q is not an e-mail address", email)
	}
	if !role.Staff() {
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "role", "%q is not a staff role (admin, analyst, approver, auditor)", role)
	}
	password := randomPassword()
	now := s.clock()
	u := &tldguard.User{Email: email, Name: strings.TrimSpace(name), Role: role, PasswordHash: hashPassword(password), CreatedAt: now}
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		u.ID = 0
		if err := tx.CreateUser(u); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
				return tldguard.FieldErrorf(tldguard.ECONFLICT, "email", "a user with e-mail %s exists", email)
			}
			return err
		}
		return tx.AppendEvent(event(ctx, now, "user.created", 0, "user:"+email, map[string]any{"user_id": u.ID, "email": email, "role": role}))
	})
	if err != nil {
		return nil, "", err
	}
	return u, password, nil
}

// CreateUserToken issues an API token for a staff member (admin only) and
// returns it, shown once.
func (s *Service) CreateUserToken(ctx context.Context, email, label string) (string, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return "", err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	secret := randomSecret(userTokenPrefix)
	now := s.clock()
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		u, err := tx.UserByEmail(email)
		if err != nil {
			if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
				return tldguard.FieldErrorf(tldguard.ENOTFOUND, "email", "no user with e-mail %s", email)
			}
			return err
		}
		t := &tldguard.Token{Hash: secretHash(secret), Prefix: secret[:len(userTokenPrefix)+6], UserID: u.ID, Label: label, CreatedAt: now}
		if err := tx.CreateToken(t); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "token.created", 0, "user:"+email, map[string]any{"token_id": t.ID, "prefix": t.Prefix, "label": label}))
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// ReporterInput describes a new reporter account.
type ReporterInput struct {
	Name        string
	Source      tldguard.Source
	Email       string
	RegistrarID string
	// VerifiedBy and VerifiedHow record an out-of-band check at creation.
	VerifiedBy  string
	VerifiedHow string
}

// CreateReporter adds a reporter account (admin only) and returns it with
// its first API token, shown once.
func (s *Service) CreateReporter(ctx context.Context, in ReporterInput) (*tldguard.Reporter, string, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, "", err
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	switch {
	case in.Name == "":
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "name", "is required")
	case !in.Source.Valid() || in.Source == tldguard.SourceFeed:
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "kind", "%q is not a reporter kind (law_enforcement, government, trusted_notifier, registrar, public)", in.Source)
	case in.Source == tldguard.SourceRegistrar && in.RegistrarID == "":
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "registrar-id", "a registrar reporter needs its IANA registrar id")
	case in.Source != tldguard.SourceRegistrar && in.RegistrarID != "":
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "registrar-id", "only registrar reporters carry a registrar id")
	case (in.VerifiedBy == "") != (in.VerifiedHow == ""):
		return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "verified-how", "a verification needs both who checked (verified-by) and how (verified-how)")
	}
	if in.Email != "" {
		if _, err := mail.ParseAddress(in.Email); err != nil {
			return nil, "", tldguard.FieldErrorf(tldguard.EINVALID, "email", "%q is not an e-mail address", in.Email)
		}
	}
	now := s.clock()
	r := &tldguard.Reporter{Name: in.Name, Source: in.Source, Email: in.Email, RegistrarID: in.RegistrarID, CreatedAt: now}
	if in.VerifiedBy != "" {
		r.Verification = &tldguard.Verification{By: in.VerifiedBy, At: now, How: in.VerifiedHow}
	}
	secret := randomSecret(reporterTokenPrefix)
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		r.ID = 0
		if err := tx.CreateReporter(r); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
				return tldguard.FieldErrorf(tldguard.ECONFLICT, "name", "a reporter named %q exists", in.Name)
			}
			return err
		}
		data := map[string]any{"reporter_id": r.ID, "name": r.Name, "source": r.Source, "registrar_id": r.RegistrarID}
		if r.Verification != nil {
			data["verification"] = r.Verification
		}
		if err := tx.AppendEvent(event(ctx, now, "reporter.created", 0, fmt.Sprintf("reporter:%d", r.ID), data)); err != nil {
			return err
		}
		t := &tldguard.Token{Hash: secretHash(secret), Prefix: secret[:len(reporterTokenPrefix)+6], ReporterID: r.ID, Label: "initial", CreatedAt: now}
		if err := tx.CreateToken(t); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "token.created", 0, fmt.Sprintf("reporter:%d", r.ID), map[string]any{"token_id": t.ID, "prefix": t.Prefix}))
	})
	if err != nil {
		return nil, "", err
	}
	return r, secret, nil
}

// VerifyReporter records an out-of-band verification of a reporter account
// (admin only): who checked, how. Only verified authority accounts can make
// a case high priority.
func (s *Service) VerifyReporter(ctx context.Context, id int64, by, how string) (*tldguard.Reporter, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	by, how = strings.TrimSpace(by), strings.TrimSpace(how)
	if by == "" || how == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "verified-how", "a verification needs who checked and how")
	}
	now := s.clock()
	var r *tldguard.Reporter
	err := s.store.Write(ctx, func(tx tldguard.Tx) error {
		var err error
		if r, err = tx.ReporterByID(id); err != nil {
			return err
		}
		r.Verification = &tldguard.Verification{By: by, At: now, How: how}
		if err := tx.UpdateReporter(r); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "reporter.verified", 0, fmt.Sprintf("reporter:%d", r.ID), map[string]any{"verification": r.Verification}))
	})
	s.tokens.clear()
	return r, err
}

// Reporters lists reporter accounts (staff).
func (s *Service) Reporters(ctx context.Context) ([]*tldguard.Reporter, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var rs []*tldguard.Reporter
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rs, err = tx.ListReporters()
		return err
	})
	return rs, err
}

// Users lists staff accounts (admin, auditor).
func (s *Service) Users(ctx context.Context) ([]*tldguard.User, error) {
	if _, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAuditor); err != nil {
		return nil, err
	}
	var us []*tldguard.User
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		us, err = tx.ListUsers()
		return err
	})
	return us, err
}
