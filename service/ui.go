package service

import (
	"context"

	"github.com/tldguard/tldguard"
)

// The few operations the web UI needs beyond the root service interfaces.

// LogoutEverywhere ends every session of the signed-in staff member, on
// every browser and device, and records it in the audit log. A stolen or
// forgotten session cookie stops working at once. Reporter accounts get
// EFORBIDDEN: their portal sessions end one at a time (Logout), or all
// together when an admin disables the account.
func (s *Service) LogoutEverywhere(ctx context.Context) error {
	p, err := require(ctx, tldguard.StaffRoles...)
	if err != nil {
		return err
	}
	if p.Kind != tldguard.PrincipalUser {
		return tldguard.Errorf(tldguard.EFORBIDDEN, "only a signed-in staff member can end their own sessions")
	}
	now := s.clock()
	return s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.DeleteUserSessions(p.ID); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "user.signed_out_everywhere", 0, "user:"+p.Name, map[string]any{"user_id": p.ID}))
	})
}

// Registrars lists the registrars accredited in the operator's TLDs
// (staff), for the case queue's filter.
func (s *Service) Registrars(ctx context.Context) ([]*tldguard.Registrar, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var rs []*tldguard.Registrar
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rs, err = tx.ListRegistrars()
		return err
	})
	return rs, err
}

// AddReporter is CreateReporter for callers that speak only the root
// vocabulary (the http package): r's Name, Source, Email and RegistrarID
// describe the account, and r.Verification, when set, records the
// out-of-band check made before creating it (its By and How; the time is
// now). It returns the stored account and its first API token, shown once.
func (s *Service) AddReporter(ctx context.Context, r tldguard.Reporter) (*tldguard.Reporter, string, error) {
	in := ReporterInput{Name: r.Name, Source: r.Source, Email: r.Email, RegistrarID: r.RegistrarID}
	if v := r.Verification; v != nil {
		in.VerifiedBy, in.VerifiedHow = v.By, v.How
	}
	return s.CreateReporter(ctx, in)
}
