// Package localregistry is the embedded registry: registration data kept in
// tldguard's own database. It makes the default set-up and the demo work end
// to end without an outside registry, and serves operators whose registry
// system can export its data but not take EPP commands from tldguard.
package localregistry

import (
	"context"

	"github.com/tldguard/tldguard"
)

// Registry answers lookups from the registrations table of a Store.
type Registry struct {
	store tldguard.Store
	write func(ctx context.Context, fn func(tldguard.Tx) error) error
}

// New returns the embedded registry over store.
func New(store tldguard.Store) *Registry { return &Registry{store: store, write: store.Write} }

// UseWriter makes Apply write through w, e.g. the service's group commit,
// so that many changes share one sync. w must commit durably before it
// returns nil.
func (r *Registry) UseWriter(w func(ctx context.Context, fn func(tldguard.Tx) error) error) {
	r.write = w
}

var _ tldguard.Registry = (*Registry)(nil)

// Lookup returns the registration of name, ENOTFOUND when nobody holds it.
func (r *Registry) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	var reg *tldguard.Registration
	err := r.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		reg, err = tx.Registration(name)
		return err
	})
	return reg, err
}
