package http

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument describes every API route. route_test.go keeps it and the
// route table in step: same paths, same methods, same access rules.
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI answers GET /api/v1/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDocument)
	return nil
}
