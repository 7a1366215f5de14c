package service

import (
	"context"
	"fmt"

	"github.com/tldguard/tldguard"
)

// importBatch is how many registrations one import transaction writes.
const importBatch = 2000

// ImportRegistry loads registrars and registrations into the embedded
// registry (admin only), in batches, with one audit event per batch naming
// how many names it wrote. Names must be normalised and in a configured TLD.
func (s *Service) ImportRegistry(ctx context.Context, registrars []*tldguard.Registrar, regs []*tldguard.Registration) error {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return err
	}
	suffixes, err := s.tlds(ctx)
	if err != nil {
		return err
	}
	for i, r := range regs {
		if _, tld, err := suffixes.Registered(r.Name); err != nil || tld != r.TLD {
			return tldguard.FieldErrorf(tldguard.EINVALID, fmt.Sprintf("registrations[%d]", i), "%q is not a registered name in TLD %q", r.Name, r.TLD)
		}
	}
	now := s.clock()
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		for _, r := range registrars {
			if err := tx.PutRegistrar(r); err != nil {
				return err
			}
		}
		return tx.AppendEvent(event(ctx, now, "registry.registrars_imported", 0, "registry", map[string]any{"registrars": len(registrars)}))
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(regs); start += importBatch {
		end := min(start+importBatch, len(regs))
		err := s.store.Write(ctx, func(tx tldguard.Tx) error {
			for _, r := range regs[start:end] {
				if err := tx.PutRegistration(r); err != nil {
					return err
				}
			}
			return tx.AppendEvent(event(ctx, now, "registry.imported", 0, "registry", map[string]any{"registrations": end - start, "first": regs[start].Name, "last": regs[end-1].Name}))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// CountRegistrations returns how many names the embedded registry holds in
// tld ("" for all).
func (s *Service) CountRegistrations(ctx context.Context, tld string) (int64, error) {
	var n int64
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		n, err = tx.CountRegistrations(tld)
		return err
	})
	return n, err
}
