package http

import (
	"context"
	"net/http"

	"github.com/tldguard/tldguard"
)

// handleHealth answers GET /healthz for load balancers and orchestrators:
// 200 {"status":"ok"} when the database answers within HealthTimeout, else
// a 503 problem.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Pinger != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
		defer cancel()
		if err := s.cfg.Pinger.Ping(ctx); err != nil {
			return &tldguard.Error{Kind: tldguard.EUNAVAILABLE, Message: "the database does not answer", Err: err}
		}
	}
	return s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
