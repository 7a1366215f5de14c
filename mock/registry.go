package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.Registry = (*Registry)(nil)

// Registry is a tldguard.Registry made of function fields.
type Registry struct {
	LookupFn func(ctx context.Context, name string) (*tldguard.Registration, error)
}

// Lookup calls LookupFn.
func (m *Registry) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	if m.LookupFn == nil {
		unset("Registry.Lookup")
	}
	return m.LookupFn(ctx, name)
}
