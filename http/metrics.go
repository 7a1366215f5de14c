package http

import (
	"net/http"
	"strconv"

	"github.com/tldguard/tldguard/metrics"
)

// latencyBounds are the request-duration histogram's buckets, seconds.
var latencyBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// unmatched labels requests no route matched, so that probes for random
// paths cannot grow the series without bound.
const unmatched = "unmatched"

// instrument counts every request and its duration by route pattern (the
// route table's "METHOD /path/{id}", never the raw path) and status, into
// the registry in Config.Metrics. Without a registry it adds nothing.
func (s *Server) instrument(next http.Handler) http.Handler {
	reg := s.cfg.Metrics
	if reg == nil {
		return next
	}
	requests := metrics.NewCounter("tldguard_http_requests_total",
		"HTTP requests answered, by route pattern and status code.", "route", "code")
	latency := metrics.NewHistogram("tldguard_http_request_duration_seconds",
		"How long HTTP requests took to answer, by route pattern and status code.", latencyBounds, "route", "code")
	reg.Register("http_requests", requests)
	reg.Register("http_latency", latency)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		_, pattern := s.mux.Handler(r)
		if pattern == "" {
			pattern = unmatched
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			code := strconv.Itoa(status)
			requests.Add(1, pattern, code)
			latency.Observe(s.now().Sub(start).Seconds(), pattern, code)
		}()
		next.ServeHTTP(rec, r)
	})
}
