package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/retryafter"
)

// send signs and POSTs the body build returns for the signing time and a
// fresh nonce, and decodes a 2xx answer into out. It returns the status
// code.
func (a *Adapter) send(ctx context.Context, u *url.URL, name, reference string, build func(t time.Time, nonce string) any, out any) (int, error) {
	t := a.cfg.Now().Truncate(time.Second).UTC()
	body, err := json.Marshal(build(t, rand.Text()))
	if err != nil {
		return 0, tldguard.Internal(err, "webhook request")
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, tldguard.Internal(err, "webhook request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", a.cfg.UserAgent)
	req.Header.Set(SignatureHeader, Sign(a.cfg.Secret, t, body))
	if reference != "" {
		req.Header.Set("Idempotency-Key", reference)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, a.transportError(ctx, err, reference != "")
	}
	defer func() {
		io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}()
	code := resp.StatusCode
	if code < 200 || code > 299 {
		return code, a.refusal(resp, name)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return code, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook answered about %s with content type %q, want application/json", name, clip(ct, 60))
	}
	b, err := readCapped(resp.Body, a.cfg.MaxResponseBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return code, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook's answer about %s is larger than %d bytes", name, a.cfg.MaxResponseBytes)
	case err != nil:
		return code, a.transportError(ctx, err, reference != "")
	}
	if err := json.Unmarshal(b, out); err != nil {
		return code, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook's answer about %s is malformed: %s", name, describeJSONError(err))
	}
	return code, nil
}

var errTooLarge = errors.New("body over the size cap")

func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// refusal maps a non-2xx answer to an error quoting the receiver.
func (a *Adapter) refusal(resp *http.Response, name string) error {
	code := resp.StatusCode
	words := quote(resp.Body)
	switch {
	case code == http.StatusNotFound:
		return tldguard.Errorf(tldguard.ENOTFOUND, "the registry holds no domain %s (HTTP 404%s)", name, words)
	case code == http.StatusConflict:
		return tldguard.Errorf(tldguard.ECONFLICT, "the registry refused the change to %s (HTTP 409%s)", name, words)
	case code == http.StatusUnprocessableEntity:
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry refused the change to %s (HTTP 422%s)", name, words)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		after := retryafter.Parse(resp.Header.Get("Retry-After"), a.cfg.Now())
		return retryafter.Unavailable(after, fmt.Errorf("HTTP %d", code), "the registry webhook is unavailable (HTTP %d%s)%s", code, words, retryafter.Words(after))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook refused tldguard's signature (HTTP %d%s): check the shared secret and both clocks", code, words)
	case code == http.StatusBadRequest:
		return tldguard.Errorf(tldguard.EINVALID, "the registry webhook rejected the request about %s as malformed (HTTP 400%s)", name, words)
	case code >= 300 && code < 400:
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook redirected the request about %s (HTTP %d to %q); tldguard follows only 307 and 308 on the same host", name, code, clip(resp.Header.Get("Location"), 100))
	}
	return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry webhook refused the request about %s (HTTP %d%s)", name, code, words)
}

// quote returns ": <the receiver's words>" from an error body, or "".
func quote(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 8<<10))
	var e ErrorResponse
	s := ""
	if json.Unmarshal(b, &e) == nil {
		for _, x := range []string{e.Detail, e.Message, e.Error} {
			if s = strings.TrimSpace(x); s != "" {
				break
			}
		}
	} else if len(b) > 0 && b[0] != '<' {
		s = strings.TrimSpace(string(b))
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	return ": " + clip(s, 300)
}

// transportError classifies a failure to get an answer. For a change, a
// timeout leaves unknown whether it was made: the retry, with the same
// reference, settles it.
func (a *Adapter) transportError(ctx context.Context, err error, change bool) error {
	unknown := ""
	if change {
		unknown = "; the change may have been made, and a retry with the same reference is safe"
	}
	switch {
	case errors.Is(err, context.Canceled):
		return retryafter.Unavailable(0, err, "the request to the registry webhook was cancelled%s", unknown)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return retryafter.Unavailable(0, err, "the registry webhook did not answer within %s%s", a.cfg.Timeout, unknown)
	}
	return retryafter.Unavailable(0, err, "the registry webhook could not be reached%s", unknown)
}

// describeJSONError turns a decoding error into words that name the member.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Sprintf("the body is a JSON %s, want an object", typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("member %s: got a JSON %s, want %s", typ.Field, typ.Value, typ.Type.String())
	}
	return "not valid JSON: " + err.Error()
}

// clip shortens s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// RetryAfter returns how long the operator's system asked tldguard to wait
// before retrying (its Retry-After header, at most 15 minutes), or 0 when
// err carries no such request. Any error in err's chain with a
// RetryAfter() time.Duration method counts.
func RetryAfter(err error) time.Duration { return retryafter.Of(err) }
