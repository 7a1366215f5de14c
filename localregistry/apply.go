package localregistry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

var _ tldguard.RegistryAdapter = (*Registry)(nil)

// Apply changes the embedded registry's data as the registry itself would:
// statuses, name servers, sponsoring registrar, deletion. It reads the
// current state in the same transaction and changes only what differs, so
// a retried change is recorded as already in place (Applied false).
// Deletion marks the name pendingDelete and takes its name servers, the
// state a registry keeps a deleted name in until it is purged.
func (r *Registry) Apply(ctx context.Context, c tldguard.Change) (*tldguard.ChangeResult, error) {
	res := &tldguard.ChangeResult{}
	err := r.write(ctx, func(tx tldguard.Tx) error {
		*res = tldguard.ChangeResult{} // the body may run again
		reg, err := tx.Registration(c.Domain)
		if err != nil {
			return err
		}
		res.Before = stateOf(reg)
		next := *reg
		next.Statuses = slices.Clone(reg.Statuses)
		for _, st := range c.RemoveStatuses {
			next.Statuses = slices.DeleteFunc(next.Statuses, func(x string) bool { return x == st })
		}
		for _, st := range c.AddStatuses {
			if !slices.Contains(next.Statuses, st) {
				next.Statuses = append(next.Statuses, st)
			}
		}
		if c.NameServers != nil {
			next.NameServers = slices.Clone(c.NameServers)
		}
		switch c.Kind {
		case tldguard.ActionTransfer:
			if c.RegistrarID == "" {
				return tldguard.FieldErrorf(tldguard.EINVALID, "registrar_id", "a transfer needs the gaining registrar")
			}
			gaining, err := tx.Registrar(c.RegistrarID)
			if err != nil {
				return tldguard.Errorf(tldguard.EUNPROCESSABLE, "registrar %s is not accredited in this registry", c.RegistrarID)
			}
			next.RegistrarID, next.RegistrarName = gaining.ID, gaining.Name
		case tldguard.ActionDelete:
			next.Statuses = []string{"pendingDelete"}
			next.NameServers = nil
		}
		// "ok" means no other status; keep it true.
		next.Statuses = slices.DeleteFunc(next.Statuses, func(x string) bool { return x == "ok" })
		if len(next.Statuses) == 0 {
			next.Statuses = []string{"ok"}
		}
		res.After = stateOf(&next)
		if sameState(res.Before, res.After) {
			res.Detail = fmt.Sprintf("embedded registry: %s already in the requested state", c.Domain)
			return nil
		}
		next.UpdatedAt = tldguard.Truncate(time.Now())
		if err := tx.PutRegistration(&next); err != nil {
			return err
		}
		res.Applied = true
		res.Detail = fmt.Sprintf("embedded registry: %s updated (%s)", c.Domain, c.Reference)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func stateOf(r *tldguard.Registration) tldguard.RegistryState {
	return tldguard.RegistryState{Statuses: slices.Clone(r.Statuses), NameServers: slices.Clone(r.NameServers), RegistrarID: r.RegistrarID}
}

func sameState(a, b tldguard.RegistryState) bool {
	as, bs := slices.Clone(a.Statuses), slices.Clone(b.Statuses)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs) && slices.Equal(a.NameServers, b.NameServers) && a.RegistrarID == b.RegistrarID
}

// inZone reports whether a registration is published: a hold (server or
// client), a pending deletion or a name with no name servers is absent.
func inZone(r *tldguard.Registration) bool {
	for _, st := range r.Statuses {
		switch st {
		case tldguard.StatusServerHold, "clientHold", "pendingDelete":
			return false
		}
	}
	return len(r.NameServers) > 0
}

// WriteZone writes the delegations the embedded registry implies for tld,
// in the CZDS format (one record a line, tab-separated, lower case, fully
// qualified): held and deleted names are absent, redirected names point to
// the sinkhole. serial is the SOA serial to write.
func (r *Registry) WriteZone(ctx context.Context, w interface{ Write([]byte) (int, error) }, tld string, serial uint32) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\t86400\tin\tsoa\tnic.%s. hostmaster.nic.%s. %d 1800 900 604800 86400\n", tld, tld, tld, serial)
	if _, err := w.Write([]byte(b.String())); err != nil {
		return err
	}
	after := ""
	for {
		var page []*tldguard.Registration
		err := r.store.Read(ctx, func(tx tldguard.Tx) error {
			var err error
			page, err = tx.ListRegistrations(tld, after, 5000)
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		b.Reset()
		for _, reg := range page {
			if !inZone(reg) {
				continue
			}
			for _, ns := range reg.NameServers {
				fmt.Fprintf(&b, "%s.\t86400\tin\tns\t%s.\n", reg.Name, strings.ToLower(ns))
			}
		}
		if _, err := w.Write([]byte(b.String())); err != nil {
			return err
		}
		after = page[len(page)-1].Name
	}
}
