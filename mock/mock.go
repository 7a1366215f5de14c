// Package mock holds function-field stand-ins for the root service
// interfaces, for handler tests above storage. Each method calls the field of
// the same name plus "Fn"; a test sets only the fields its code path needs,
// and a call to an unset field panics with the method's name, so a handler
// that calls a service it should not is caught at once.
package mock

import "fmt"

// unset panics for a method whose function field is nil.
func unset(method string) {
	panic(fmt.Sprintf("mock: %s called but its Fn field is not set", method))
}
