// Package webhook is a registry adapter for operators whose registry has
// its own interface: each change is a signed JSON request POSTed to the
// operator's system, whose JSON answer is recorded on the action.
//
// Requests are signed with HMAC-SHA256 over "<unix time>.<body>" under a
// secret shared with the operator (see SignatureHeader); receivers check
// them with Verify. The receiver must apply each reference at most once:
// tldguard retries after timeouts and 5xx answers with the same reference.
package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// Config configures an Adapter.
type Config struct {
	// ApplyURL receives the change requests (POST, ApplyRequest).
	ApplyURL string
	// LookupURL receives the lookups (POST, LookupRequest); default
	// ApplyURL, the receiver telling the two apart by "action".
	LookupURL string
	// Secret is the shared HMAC key, at least 32 bytes.
	Secret []byte
	// HTTPClient sends the requests (default: a new client over
	// http.DefaultTransport). The Adapter copies it and sets its own
	// redirect policy: only 307 and 308 on the same scheme and host.
	HTTPClient *http.Client
	// Timeout bounds one request, answer included (default 15s).
	Timeout time.Duration
	// MaxResponseBytes caps an answer's body (default 256 KiB).
	MaxResponseBytes int64
	// UserAgent is sent with every request (default "tldguard-webhook").
	UserAgent string
	// Now is the clock the signatures' timestamps come from (default
	// time.Now).
	Now func() time.Time
}

// MinSecretBytes is the shortest shared secret New accepts.
const MinSecretBytes = 32

// Adapter is a tldguard.RegistryAdapter over an operator's webhook. It is
// safe for concurrent use.
type Adapter struct {
	cfg       Config
	applyURL  *url.URL
	lookupURL *url.URL
	http      *http.Client
}

var _ tldguard.RegistryAdapter = (*Adapter)(nil)

// New checks cfg and returns an Adapter. Errors are EINVALID and name the
// field.
func New(cfg Config) (*Adapter, error) {
	if cfg.LookupURL == "" {
		cfg.LookupURL = cfg.ApplyURL
	}
	applyURL, err := checkURL("apply_url", cfg.ApplyURL)
	if err != nil {
		return nil, err
	}
	lookupURL, err := checkURL("lookup_url", cfg.LookupURL)
	if err != nil {
		return nil, err
	}
	if len(cfg.Secret) < MinSecretBytes {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "secret", "the shared secret must be at least %d bytes, not %d", MinSecretBytes, len(cfg.Secret))
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 {
		return nil, tldguard.Errorf(tldguard.EINVALID, "the timeout and the response size must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = 256 << 10
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tldguard-webhook"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = sameOrigin
	return &Adapter{cfg: cfg, applyURL: applyURL, lookupURL: lookupURL, http: hc}, nil
}

func checkURL(field, s string) (*url.URL, error) {
	if s == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, field, "a URL is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, field, "%q is not an http or https URL", s)
	}
	if u.User != nil || u.Fragment != "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, field, "%q must have no user or fragment", s)
	}
	return u, nil
}

// sameOrigin lets a 307 or 308 redirect on the same scheme and host
// through (they keep the method, body and signature); any other redirect
// comes back to the caller as the answer, which send refuses.
func sameOrigin(req *http.Request, via []*http.Request) error {
	code := 0
	if req.Response != nil {
		code = req.Response.StatusCode
	}
	if len(via) >= 3 || code != http.StatusTemporaryRedirect && code != http.StatusPermanentRedirect ||
		req.URL.Scheme != via[0].URL.Scheme || !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return http.ErrUseLastResponse
	}
	return nil
}

// Apply sends c to the operator's system and returns its answer: applied
// false when the name already was in the wanted state or the reference had
// been applied before. Errors: EINVALID for a change that cannot be sent
// (no reference, a kind that does not act at the registry); ENOTFOUND when
// the registry does not hold the name (404); ECONFLICT (409) or
// EUNPROCESSABLE (422, or an answer tldguard cannot use) for a refusal,
// quoting the receiver; EUNAVAILABLE for timeouts, connection failures,
// 408, 429 and 5xx, which are worth retrying with the same reference
// (RetryAfter gives the receiver's Retry-After).
func (a *Adapter) Apply(ctx context.Context, c tldguard.Change) (*tldguard.ChangeResult, error) {
	name, err := normalize(c.Domain)
	if err != nil {
		return nil, err
	}
	if !c.Kind.AtRegistry() {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "kind", "%q is not an action carried out at the registry", c.Kind)
	}
	if strings.TrimSpace(c.Reference) == "" {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "reference", "a reference is required: it keeps retries from applying a change twice")
	}
	req := ApplyRequest{
		Action:         string(c.Kind),
		Domain:         name,
		AddStatuses:    nonNil(c.AddStatuses),
		RemoveStatuses: nonNil(c.RemoveStatuses),
		NameServers:    c.NameServers,
		RegistrarID:    c.RegistrarID,
		Reference:      c.Reference,
	}
	var ans applyAnswer
	code, err := a.send(ctx, a.applyURL, name, c.Reference, func(t time.Time, nonce string) any {
		req.Timestamp, req.Nonce = t, nonce
		return req
	}, &ans)
	if err != nil {
		return nil, err
	}
	if ans.Applied == nil {
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook's answer about %s has no \"applied\" member, so whether the change was made is unknown", name)
	}
	detail := fmt.Sprintf("HTTP %d", code)
	if d := strings.TrimSpace(ans.Detail); d != "" {
		detail += ": " + clip(d, 1000)
	}
	return &tldguard.ChangeResult{Applied: *ans.Applied, Before: ans.Before, After: ans.After, Detail: detail}, nil
}

// Lookup asks the operator's system about name. Errors: EINVALID for a
// name that is not a domain name, ENOTFOUND when the registry does not
// hold it, and otherwise as for Apply.
func (a *Adapter) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	n, err := normalize(name)
	if err != nil {
		return nil, err
	}
	req := LookupRequest{Action: "lookup", Domain: n}
	var ans lookupAnswer
	build := func(t time.Time, nonce string) any {
		req.Timestamp, req.Nonce = t, nonce
		return req
	}
	if _, err := a.send(ctx, a.lookupURL, n, "", build, &ans); err != nil {
		return nil, err
	}
	if got := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(ans.Domain), ".")); got != "" && got != n {
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook answered a lookup of %s about %q", n, clip(got, 80))
	}
	reg := &tldguard.Registration{
		Name:          n,
		RegistrarID:   strings.TrimSpace(ans.RegistrarID),
		RegistrarName: strings.TrimSpace(ans.RegistrarName),
		Statuses:      ans.Statuses,
		NameServers:   ans.NameServers,
	}
	if i := strings.IndexByte(n, '.'); i >= 0 {
		reg.TLD = n[i+1:]
	}
	for i, ns := range reg.NameServers {
		reg.NameServers[i] = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(ns), "."))
	}
	for _, f := range []struct {
		field string
		in    string
		out   *time.Time
	}{{"created_at", ans.CreatedAt, &reg.CreatedAt}, {"updated_at", ans.UpdatedAt, &reg.UpdatedAt}} {
		if strings.TrimSpace(f.in) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(f.in))
		if err != nil {
			return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook's answer about %s is malformed: %s: %q is not an RFC 3339 date", n, f.field, clip(f.in, 40))
		}
		*f.out = tldguard.Truncate(t)
	}
	return reg, nil
}

// normalize checks a domain name and returns it lower-cased without a
// trailing dot.
func normalize(name string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	if n == "" {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "domain", "a domain name is required")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", tldguard.FieldErrorf(tldguard.EINVALID, "domain", "%q is not a domain name in A-label form", clip(n, 80))
		}
	}
	if len(n) > 253 || strings.HasPrefix(n, ".") || strings.Contains(n, "..") || !strings.Contains(n, ".") {
		return "", tldguard.FieldErrorf(tldguard.EINVALID, "domain", "%q is not a registered domain name", clip(n, 80))
	}
	return n, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
