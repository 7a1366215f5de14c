package tldguard

import (
	"errors"
	"fmt"
)

// Error kinds. The set is append-only: clients and the http package rely on
// the strings. Only the http package maps kinds to status codes.
const (
	EINVALID       = "invalid"       // malformed input (400)
	EUNPROCESSABLE = "unprocessable" // well-formed but refused, e.g. a name outside the operator's TLDs (422)
	EUNAUTHORIZED  = "unauthorized"  // no or bad credentials (401)
	EFORBIDDEN     = "forbidden"     // authenticated but not allowed (403)
	ENOTFOUND      = "not_found"     // no such thing, or not visible to the caller (404)
	ECONFLICT      = "conflict"      // clashes with stored state (409)
	ETOOLARGE      = "too_large"     // over a size limit (413)
	ERATELIMITED   = "rate_limited"  // too many requests (429)
	EUNAVAILABLE   = "unavailable"   // a dependency is down; try again (503)
	EINTERNAL      = "internal"      // a bug or an unexpected failure (500)
)

// Error is the one error type services return. Message is safe to show to
// the caller; Err carries internal detail for logs and is never shown.
type Error struct {
	Kind    string
	Field   string // the offending input field or line, when there is one
	Message string
	Err     error
}

func (e *Error) Error() string {
	s := e.Kind
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error that names the offending field.
func FieldErrorf(kind, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error; its text is logged, never shown.
func Internal(err error, context string) *Error {
	return &Error{Kind: EINTERNAL, Message: "internal error", Err: fmt.Errorf("%s: %w", context, err)}
}

// ErrorKind returns the kind of err, EINTERNAL for foreign errors and "" for nil.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err, "" for nil.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Field != "" && e.Message != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by err, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
