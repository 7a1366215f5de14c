package retryafter

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"-3", 0},
		{"99999999999999999", Max},
		{"Sun, 01 Feb 2026 12:01:30 GMT", 90 * time.Second},
		{"Sun, 01 Feb 2026 11:00:00 GMT", 0},
		{"soon", 0},
	} {
		if got := Parse(tc.h, now); got != tc.want {
			t.Errorf("Parse(%q) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestUnavailable(t *testing.T) {
	cause := errors.New("HTTP 503")
	err := Unavailable(30*time.Second, cause, "the service failed%s", Words(30*time.Second))
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || Of(err) != 30*time.Second || !errors.Is(err, cause) ||
		tldguard.ErrorMessage(err) != "the service failed; retry after 30s" {
		t.Errorf("with a wait: %v (kind %s, wait %v)", err, tldguard.ErrorKind(err), Of(err))
	}
	if err := Unavailable(0, cause, "down"); Of(err) != 0 || !errors.Is(err, cause) || Words(0) != "" {
		t.Errorf("without a wait: %v, %v", err, Of(err))
	}
	if Of(fmt.Errorf("wrapped: %w", err)) != 30*time.Second {
		t.Error("Of does not look down the chain")
	}
}
