// Package tldguard is the vocabulary of the tldguard system: the domain types
// (reports, reporters, cases, events, users), the error kinds, and the
// interfaces that the storage engines and registry adapters implement.
//
// It imports only the standard library. Adapters live in packages named
// after what they wrap (sqlite, postgres, http, dnsname, ...) and only
// cmd/tldguard wires them together.
package tldguard

import "time"

// Now is the signature of the injected clock. Services never call time.Now
// directly, so tests can move time and so every stored instant has the same
// precision on every engine (see Truncate).
type Now func() time.Time

// Truncate brings t to the precision every store keeps (microseconds, UTC).
// Values that go into the audit hash must be truncated first, or a value
// read back from PostgreSQL would hash differently from the one written.
func Truncate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
