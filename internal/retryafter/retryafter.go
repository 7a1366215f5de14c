// Package retryafter reads an HTTP service's Retry-After header and
// carries the wait it asks for inside tldguard's EUNAVAILABLE errors, for
// the adapters that call HTTP services (rdap, webhook); the job runner
// honours it through any error in the chain with a RetryAfter method.
package retryafter

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// Max bounds how long a Retry-After can make tldguard wait.
const Max = 15 * time.Minute

// Parse reads a Retry-After header: delay-seconds or an HTTP date. It
// returns 0 when there is none, and at most Max.
func Parse(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs > int64(Max/time.Second) {
			return Max
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), Max)
}

// Words is "; retry after D" for a message, "" for no wait.
func Words(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return "; retry after " + d.String()
}

// Unavailable returns an EUNAVAILABLE error; after > 0 records the wait
// the service asked for, for Of.
func Unavailable(after time.Duration, err error, format string, args ...any) error {
	e := &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: fmt.Sprintf(format, args...), Err: err}
	if after > 0 {
		e.Err = &waitError{after: after, err: err}
	}
	return e
}

// Of returns the wait an error in err's chain carries (any error with a
// RetryAfter() time.Duration method), or 0.
func Of(err error) time.Duration {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return r.RetryAfter()
	}
	return 0
}

// waitError carries a service's Retry-After inside an EUNAVAILABLE error.
type waitError struct {
	after time.Duration
	err   error
}

func (e *waitError) Error() string {
	if e.err == nil {
		return "retry after " + e.after.String()
	}
	return e.err.Error() + " (retry after " + e.after.String() + ")"
}

func (e *waitError) Unwrap() error { return e.err }

// RetryAfter is how long the service asked to wait.
func (e *waitError) RetryAfter() time.Duration { return e.after }
