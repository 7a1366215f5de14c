package http

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

type pingFunc func(context.Context) error

func (p pingFunc) Ping(ctx context.Context) error { return p(ctx) }

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ping   pingFunc
		status int
	}{
		{"up", func(context.Context) error { return nil }, http.StatusOK},
		{"down", func(context.Context) error { return errors.New("connection refused") }, http.StatusServiceUnavailable},
		{"slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Pinger = tc.ping; c.HealthTimeout = 20 * time.Millisecond })
			w := f.do("GET", "/healthz", "")
			if tc.status != http.StatusOK {
				wantProblem(t, w, tc.status, "")
				return
			}
			if w.Code != http.StatusOK || decode(t, w)["status"] != "ok" {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	}
}
