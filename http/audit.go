package http

import (
	"net/http"

	"github.com/tldguard/tldguard"
)

// handleVerifyAudit answers GET /api/v1/audit/verify[?head=SEQ:HEX]:
// it recomputes the audit hash chain and, when head (an exported chain head)
// is given, checks the log against it. The answer is a ChainReport; a broken
// chain is a 200 with "ok": false, since the verification itself succeeded.
func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "head"); err != nil {
		return err
	}
	var exported *tldguard.ChainHead
	if v := lastValue(q, "head"); v != "" {
		h, err := tldguard.ParseChainHead(v)
		if err != nil {
			return badParam("head", "%s", tldguard.ErrorMessage(err))
		}
		exported = &h
	}
	rep, err := s.svc.Audit.VerifyChain(r.Context(), exported)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, rep)
}
