package epp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/tldguard/tldguard"
)

// resultKind maps an EPP result code (RFC 5730 §3) to an error kind.
func resultKind(code int) string {
	switch {
	case code == 2303: // object does not exist
		return tldguard.ENOTFOUND
	case code == 2200: // authentication error
		return tldguard.EUNAUTHORIZED
	case code == 2201 || code == 2202: // authorization error, invalid authorization information
		return tldguard.EFORBIDDEN
	case code == 2302 || code == 2304 || code == 2305 || code == 2300 || code == 2301:
		// object exists, status or association prohibits, pending transfer:
		// the request clashes with the object's state.
		return tldguard.ECONFLICT
	case code == 2004 || code == 2005: // parameter value range or syntax
		return tldguard.EINVALID
	case code == 2400 || code >= 2500: // command failed; server closing connection
		return tldguard.EUNAVAILABLE
	}
	return tldguard.EUNPROCESSABLE
}

// resultError turns a non-success response into an error that names the
// command, its object, the code, the server's message and its svTRID.
func resultError(cmd, object string, r *response) *tldguard.Error {
	return tldguard.Errorf(resultKind(r.Code), "%s", describe(cmd, object, r))
}

// describe is the one-line record of a response: "domain:update
// example.com: 1000 Command completed successfully (svTRID ABC-1)".
func describe(cmd, object string, r *response) string {
	s := "EPP " + cmd
	if object != "" {
		s += " " + object
	}
	s += fmt.Sprintf(": %d", r.Code)
	if r.Msg != "" {
		s += " " + r.Msg
	}
	if r.SvTRID != "" {
		s += " (svTRID " + r.SvTRID + ")"
	}
	return s
}

// errLost marks a failure of an established connection that was not a
// timeout: the peer closed it or reset it. The adapter reconnects and
// retries such failures once; a command that may have been applied is
// retried only through a fresh read of the state (see Apply).
type errLost struct{ err error }

func (e *errLost) Error() string { return e.err.Error() }
func (e *errLost) Unwrap() error { return e.err }

// lost reports whether err is a connection loss worth one retry.
func lost(err error) bool {
	var l *errLost
	return errors.As(err, &l)
}

// transportError turns an I/O, TLS, framing or parse failure into an
// EUNAVAILABLE error (ETOOLARGE for an oversized frame) whose message says
// what happened in words an operator can act on.
func transportError(ctx context.Context, cmd, object, addr string, err error, established bool) *tldguard.Error {
	what := "EPP " + cmd
	if object != "" {
		what += " " + object
	}
	var (
		tooLarge *errFrameTooLarge
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		recHdr   tls.RecordHeaderError
		bad      *errMalformed
		badFrame *errBadFrame
		netErr   net.Error
	)
	kind, msg := tldguard.EUNAVAILABLE, ""
	switch {
	case errors.As(err, &tooLarge):
		kind, msg = tldguard.ETOOLARGE, tooLarge.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || pastDeadline(ctx) && errors.Is(err, os.ErrDeadlineExceeded):
		// The connection's deadline is the context's when that is
		// sooner; it can fire a moment before the context notices.
		msg = fmt.Sprintf("no answer from %s before the request's deadline (timeout)", addr)
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	case ctx.Err() != nil:
		msg = "cancelled: " + context.Cause(ctx).Error()
		err = fmt.Errorf("%w: %w", ctx.Err(), err)
	case errors.As(err, &unknown):
		msg = fmt.Sprintf("TLS certificate of %s is signed by an unknown authority (check the CA pool)", addr)
	case errors.As(err, &hostname):
		msg = fmt.Sprintf("TLS certificate of %s is not valid for %q (check the server name)", addr, hostname.Host)
	case errors.As(err, &invalid):
		msg = fmt.Sprintf("TLS certificate of %s is invalid: %v", addr, invalid)
	case errors.As(err, &verify):
		msg = fmt.Sprintf("TLS certificate of %s failed verification: %v", addr, verify.Err)
	case errors.As(err, &alert), errors.As(err, &recHdr):
		msg = fmt.Sprintf("TLS with %s failed: %v (is it an EPP server over TLS? does it want a client certificate?)", addr, err)
	case errors.As(err, &bad), errors.As(err, &badFrame):
		msg = fmt.Sprintf("protocol error from %s: %v", addr, err)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &netErr) && netErr.Timeout():
		msg = fmt.Sprintf("no answer from %s in time (timeout)", addr)
	case !established:
		msg = fmt.Sprintf("cannot connect to %s: %v", addr, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed):
		msg = fmt.Sprintf("connection to %s lost", addr)
		err = &errLost{err: err}
	default:
		msg = fmt.Sprintf("connection to %s failed: %v", addr, err)
		err = &errLost{err: err}
	}
	return &tldguard.Error{Kind: kind, Message: what + ": " + msg, Err: err}
}

func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
