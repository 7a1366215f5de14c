package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// SignatureHeader carries a request's signature: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" under the shared secret>". A receiver may
// see several v1 values (one per secret while a secret is being
// replaced); one matching is enough.
const SignatureHeader = "Tldguard-Signature"

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors Verify wraps, for receivers that answer them differently.
var (
	ErrNoSignature  = errors.New("no signature")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside the tolerance")
)

// maxHeader bounds the signature header Verify reads.
const maxHeader = 4096

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a SignatureHeader value against body and secret, and that
// its timestamp is within tolerance of now, in either direction
// (DefaultTolerance when tolerance is not positive). A stale timestamp is
// refused so that a captured request cannot be replayed later; within the
// window, the request's reference makes a replay harmless to a receiver
// that keeps references (as Apply requires). Errors are EUNAUTHORIZED and
// wrap ErrNoSignature, ErrBadSignature or ErrStale.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if len(secret) == 0 {
		return unauthorized(ErrBadSignature, "no secret to verify the signature with")
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return unauthorized(ErrNoSignature, "the %s header is missing", SignatureHeader)
	}
	if len(header) > maxHeader {
		return unauthorized(ErrBadSignature, "the %s header is longer than %d bytes", SignatureHeader, maxHeader)
	}
	var ts string
	var sigs [][]byte
	for _, item := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return unauthorized(ErrBadSignature, "the %s header is malformed: %q is not key=value", SignatureHeader, clip(item, 40))
		}
		switch k {
		case "t":
			if ts != "" {
				return unauthorized(ErrBadSignature, "the %s header has two timestamps", SignatureHeader)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return unauthorized(ErrBadSignature, "the %s header's v1 is not a hex SHA-256 HMAC", SignatureHeader)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return unauthorized(ErrBadSignature, "the %s header has no timestamp (t=)", SignatureHeader)
	}
	if len(sigs) == 0 {
		return unauthorized(ErrBadSignature, "the %s header has no v1 signature", SignatureHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts[0] == '+' || ts[0] == '-' {
		return unauthorized(ErrBadSignature, "the %s header's timestamp %q is not Unix seconds", SignatureHeader, clip(ts, 20))
	}
	// Check the MAC before the clock: a forged header learns nothing from
	// which of the two failed.
	want := mac(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return unauthorized(ErrBadSignature, "the signature does not match the body")
	}
	// Compare in seconds: time.Unix of an absurd value would overflow Sub.
	if d := now.Unix() - unix; d > int64(tolerance/time.Second) || -d > int64(tolerance/time.Second) {
		return unauthorized(ErrStale, "the signature's timestamp is %s from now, more than %s", (time.Duration(min(max(d, -d), 1<<32)) * time.Second).String(), tolerance)
	}
	return nil
}

func unauthorized(err error, format string, args ...any) error {
	e := tldguard.Errorf(tldguard.EUNAUTHORIZED, format, args...)
	e.Err = err
	return e
}
