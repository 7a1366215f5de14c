package rdap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/retryafter"
)

// fetch asks the registry about name and returns the body of a 200
// answer. A 404 is ENOTFOUND; the rest is mapped as Lookup documents.
func (c *Client) fetch(ctx context.Context, name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := c.base.JoinPath("domain", name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, tldguard.Internal(err, "rdap request")
	}
	req.Header.Set("Accept", "application/rdap+json, application/json;q=0.9")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer func() {
		// Drain a little so that the connection can be reused.
		io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}()

	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusNotFound:
		return nil, notFound(name)
	case code == http.StatusTooManyRequests || code >= 500 && code != http.StatusNotImplemented:
		after := retryafter.Parse(resp.Header.Get("Retry-After"), c.cfg.Now())
		why := fmt.Errorf("HTTP %d%s", code, errorTitle(resp.Body))
		if code == http.StatusTooManyRequests {
			return nil, retryafter.Unavailable(after, why, "the registry's RDAP service is rate limiting tldguard (HTTP 429)%s", retryafter.Words(after))
		}
		return nil, retryafter.Unavailable(after, why, "the registry's RDAP service failed (HTTP %d)%s", code, retryafter.Words(after))
	case code == http.StatusBadRequest:
		return nil, tldguard.Errorf(tldguard.EINVALID, "the registry's RDAP service refused the query for %s as malformed (HTTP 400%s)", name, errorTitle(resp.Body))
	case code >= 300 && code < 400:
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP service redirected the query for %s (HTTP %d to %q), which tldguard does not follow", name, code, clip(resp.Header.Get("Location"), 100))
	default:
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP service refused the query for %s (HTTP %d%s)", name, code, errorTitle(resp.Body))
	}

	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/rdap+json" && mt != "application/json" {
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP answer for %s has content type %q, want application/rdap+json", name, clip(ct, 60))
	}
	max := c.cfg.MaxResponseBytes
	if resp.ContentLength > max {
		return nil, tooLarge(name, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if int64(len(body)) > max {
		return nil, tooLarge(name, max)
	}
	return body, nil
}

func tooLarge(name string, max int64) error {
	return tldguard.Errorf(tldguard.EUNPROCESSABLE, "the registry's RDAP answer for %s is larger than %d bytes", name, max)
}

// transportError classifies a failure to get an answer.
func (c *Client) transportError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, errOffOrigin):
		return &tldguard.Error{Kind: tldguard.EUNPROCESSABLE, Message: "the registry's RDAP service redirected tldguard to another host, which it does not follow", Err: err}
	case errors.Is(err, context.Canceled):
		return retryafter.Unavailable(0, err, "the RDAP lookup was cancelled")
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return retryafter.Unavailable(0, err, "the registry's RDAP service did not answer within %s", c.cfg.Timeout)
	}
	return retryafter.Unavailable(0, err, "the registry's RDAP service could not be reached")
}

// errorTitle reads an RDAP error body (RFC 9083 §6) and returns ": title"
// for a message, or "" when the body says nothing usable.
func errorTitle(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 8<<10))
	var e struct {
		Title       string   `json:"title"`
		Description []string `json:"description"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	t := strings.TrimSpace(e.Title)
	if t == "" && len(e.Description) > 0 {
		t = strings.TrimSpace(e.Description[0])
	}
	if t == "" {
		return ""
	}
	return ": " + clip(t, 120)
}

// RetryAfter returns how long the RDAP service asked tldguard to wait
// before asking again (its Retry-After header, at most 15 minutes), or 0
// when err carries no such request. Any error in err's chain with a
// RetryAfter() time.Duration method counts.
func RetryAfter(err error) time.Duration { return retryafter.Of(err) }
