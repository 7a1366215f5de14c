package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"

	"github.com/tldguard/tldguard"
)

// requestInfo is what the request log learns while a request is served.
type requestInfo struct {
	id        string
	principal string // Principal.Actor(), once authenticated
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// requestID returns the request's id, "" outside a logged request.
func requestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// logRequests logs one line per request: method, path (never the query or
// a body, which may hold secrets), status, duration and the principal. It
// gives each request an id (X-Request-Id) and turns a panic into a 500.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		info := &requestInfo{id: newRequestID(), principal: "anonymous"}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}
		rec.Header().Set("X-Request-Id", info.id)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "http: panic", "request_id", info.id, "panic", v)
				if rec.status == 0 {
					s.writeError(rec, r, tldguard.Errorf(tldguard.EINTERNAL, "panic"))
				}
			}
			s.log.LogAttrs(r.Context(), logLevel(rec.status), "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Duration("duration", s.now().Sub(start)),
				slog.String("principal", info.principal),
				slog.String("request_id", info.id),
			)
		}()
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
	})
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
