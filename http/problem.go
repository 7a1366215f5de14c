package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tldguard/tldguard"
)

// problem is an RFC 9457 problem details object. Type is always
// "about:blank" (the status code says what went wrong) and Title the
// status's phrase; the extension member Kind carries tldguard's error kind
// and Field the offending input (a JSON member, query parameter, header or
// path segment) when there is one.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"` // on 5xx, to quote to the operator
}

// statusOf maps an error kind to its status code. Only this package does so.
func statusOf(kind string) int {
	switch kind {
	case tldguard.EINVALID:
		return http.StatusBadRequest
	case tldguard.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case tldguard.EFORBIDDEN:
		return http.StatusForbidden
	case tldguard.ENOTFOUND:
		return http.StatusNotFound
	case tldguard.ECONFLICT:
		return http.StatusConflict
	case tldguard.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case tldguard.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case tldguard.ERATELIMITED:
		return http.StatusTooManyRequests
	case tldguard.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers err as a problem. The message of a tldguard.Error is
// safe to show; an internal error's text is only logged, with the request
// id the caller is shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind := tldguard.ErrorKind(err)
	p := problem{Status: statusOf(kind), Kind: kind, Field: tldguard.ErrorField(err)}
	var e *tldguard.Error
	if errors.As(err, &e) {
		p.Detail = e.Message
	}
	if kind == tldguard.EINTERNAL || p.Status == http.StatusInternalServerError {
		p.Kind, p.Field = tldguard.EINTERNAL, ""
		p.Detail = "internal error; the operator can find it in the logs by the request id"
	}
	switch p.Status {
	case http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "http: internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
	case http.StatusServiceUnavailable:
		s.log.WarnContext(r.Context(), "http: dependency unavailable", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
	case http.StatusUnauthorized:
		challenge := `Bearer realm="tldguard"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	case http.StatusTooManyRequests:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	case http.StatusRequestEntityTooLarge:
		// The rest of an oversized body is not worth reading.
		w.Header().Set("Connection", "close")
	}
	s.writeProblem(w, r, p)
}

// writeProblem writes p as application/problem+json.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Status >= 500 {
		p.RequestID = requestID(r.Context())
	}
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: only strings and ints
		s.log.Error("http: encode problem", "err", err)
		b = []byte(`{"type":"about:blank","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}

// refuseRate answers 429 with the seconds until the bucket has a token again.
func (s *Server) refuseRate(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.writeError(w, r, tldguard.Errorf(tldguard.ERATELIMITED, "too many requests; retry in %d s", secs))
}

// logLevel is how loudly a response of this status is logged.
func logLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusTooManyRequests:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}

// sizeText writes a byte count for people ("8 MiB", "512 KiB", "100 bytes").
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
