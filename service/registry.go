package service

import (
	"context"
	"fmt"
	"slices"

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

// RegistryLoad is one TLD's registration data for LoadRegistry, as
// localregistry.Import gathers and checks it.
type RegistryLoad struct {
	TLD string
	// Registrars are written first, each inserted or replacing the stored
	// registrar with its id.
	Registrars []*tldguard.Registrar
	// Names are the registered names to write, sorted and without repeats;
	// Registration returns the registration of each (its RegistrarName is
	// filled in here from the registrar table). It is called twice per
	// name: once to check, once to write.
	Names        []string
	Registration func(name string) *tldguard.Registration
	// Replace lets the load overwrite the registrations of names that are
	// registered already; without it, any such name refuses the load.
	Replace bool
	// Progress, when set, is called after each batch with the number of
	// names written so far.
	Progress func(written int)
}

// RegistryLoadResult says what LoadRegistry wrote and left.
type RegistryLoadResult struct {
	Registrars    int // written
	NewRegistrars int // of them, not stored before
	Written       int // registrations written
	Replaced      int // of them, names registered before
	Batches       int
	// Kept are the names left as they were because an action tldguard
	// carried out on them still stands (see LoadRegistry).
	Kept []string
	// Stale counts the names of the TLD in the embedded registry that the
	// load does not hold; they are kept (FirstStale is one of them).
	Stale      int
	FirstStale string
}

// standing are the actions whose effect at the registry lasts until a
// release (hold, lock, redirect) or for good (transfer, delete).
var standing = map[tldguard.ActionKind]bool{tldguard.ActionHold: true, tldguard.ActionLock: true,
	tldguard.ActionRedirect: true, tldguard.ActionTransfer: true, tldguard.ActionDelete: true}

// LoadRegistry writes one TLD's registrars and registrations into the
// embedded registry (admin only). It checks everything before it writes:
// the TLD is configured, each name is registered directly under it, each
// registrar id is in the load or the registrar table; a name that is
// registered already refuses the load with ECONFLICT unless Replace is
// set. Then it writes the registrars in one transaction and the
// registrations in batches of 2,000, each batch with its audit event, so
// a failure part way leaves the batches before it written (the result
// says how many names; loading the same data again with Replace finishes
// the job).
//
// A name on which an action tldguard carried out still stands (a hold,
// lock, redirect, transfer or deletion that was not released) is kept as
// it is, even with Replace: an export from the registry's own system does
// not know of that response, and a load must not undo it. Names of the TLD
// that the load does not hold are kept too (counted as stale): the load
// adds and replaces, it never deletes.
//
// Errors: EFORBIDDEN, EUNPROCESSABLE (TLD not configured, a name outside
// it, a registrar that is nowhere), EINVALID (names not sorted),
// ECONFLICT (names registered already, without Replace).
func (s *Service) LoadRegistry(ctx context.Context, in RegistryLoad) (*RegistryLoadResult, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	suffixes, err := s.tlds(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(suffixes.TLDs(), in.TLD) {
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "%q is not one of the operator's TLDs (%s)", in.TLD, suffixes)
	}
	res := &RegistryLoadResult{}
	var stored []*tldguard.Registrar
	done := map[string]bool{} // names under a standing action
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		if stored, err = tx.ListRegistrars(); err != nil {
			return err
		}
		actions, err := tx.ListActions(tldguard.ActionFilter{State: []tldguard.ActionState{tldguard.ActionDone}})
		if err != nil {
			return err
		}
		clear(done)
		for _, a := range actions {
			if standing[a.Kind] {
				done[a.Domain] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	registrars := map[string]string{} // id to name
	for _, r := range stored {
		registrars[r.ID] = r.Name
	}
	res.Registrars = len(in.Registrars)
	for _, r := range in.Registrars {
		if _, ok := registrars[r.ID]; !ok {
			res.NewRegistrars++
		}
		registrars[r.ID] = r.Name
	}
	for i, name := range in.Names {
		if i > 0 && in.Names[i-1] >= name {
			return nil, tldguard.Errorf(tldguard.EINVALID, "registry load: names not sorted or repeated at %q", name)
		}
		if reg, tld, err := suffixes.Registered(name); err != nil || reg != name || tld != in.TLD {
			return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "%q is not a name registered directly under %s", name, in.TLD)
		}
		r := in.Registration(name)
		if r == nil || r.Name != name {
			return nil, tldguard.Errorf(tldguard.EINVALID, "registry load: no registration for %q", name)
		}
		if _, ok := registrars[r.RegistrarID]; r.RegistrarID != "" && !ok {
			return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "registrar %s of %s is not in the registrar table", r.RegistrarID, name)
		}
	}

	// What is stored already: page through the TLD's registrations.
	var conflicts int
	var firstConflict string
	for after := ""; ; {
		var page []*tldguard.Registration
		if err := s.store.Read(ctx, func(tx tldguard.Tx) error {
			var err error
			page, err = tx.ListRegistrations(in.TLD, after, 5000)
			return err
		}); err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if _, found := slices.BinarySearch(in.Names, r.Name); !found {
				if res.Stale++; res.FirstStale == "" {
					res.FirstStale = r.Name
				}
				continue
			}
			if conflicts++; firstConflict == "" {
				firstConflict = r.Name
			}
			if done[r.Name] {
				res.Kept = append(res.Kept, r.Name)
			}
		}
		after = page[len(page)-1].Name
	}
	if conflicts > 0 && !in.Replace {
		return nil, tldguard.Errorf(tldguard.ECONFLICT, "%d of the names are registered already (the first is %s), and the load does not replace registrations", conflicts, firstConflict)
	}
	res.Replaced = conflicts - len(res.Kept)

	now := s.clock()
	if len(in.Registrars) > 0 {
		err := s.store.Write(ctx, func(tx tldguard.Tx) error {
			for _, r := range in.Registrars {
				if err := tx.PutRegistrar(r); err != nil {
					return err
				}
			}
			return tx.AppendEvent(event(ctx, now, "registry.registrars_imported", 0, "registry",
				map[string]any{"tld": in.TLD, "registrars": len(in.Registrars), "new": res.NewRegistrars}))
		})
		if err != nil {
			res.Registrars, res.NewRegistrars = 0, 0
			return res, err
		}
	}
	kept := map[string]bool{}
	for _, name := range res.Kept {
		kept[name] = true
	}
	batch := make([]*tldguard.Registration, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.store.Write(ctx, func(tx tldguard.Tx) error {
			for _, r := range batch {
				if err := tx.PutRegistration(r); err != nil {
					return err
				}
			}
			return tx.AppendEvent(event(ctx, now, "registry.imported", 0, "registry", map[string]any{"tld": in.TLD,
				"registrations": len(batch), "first": batch[0].Name, "last": batch[len(batch)-1].Name, "replace": in.Replace}))
		})
		if err != nil {
			return err
		}
		res.Written += len(batch)
		res.Batches++
		batch = batch[:0]
		if in.Progress != nil {
			in.Progress(res.Written)
		}
		return nil
	}
	for _, name := range in.Names {
		if kept[name] {
			continue
		}
		r := in.Registration(name)
		r.TLD, r.RegistrarName = in.TLD, registrars[r.RegistrarID]
		if batch = append(batch, r); len(batch) == importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, nil
}
