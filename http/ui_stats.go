package http

import (
	"net/http"
	"net/url"
)

// uiStats answers GET /stats: the statistical report's printable page,
// which the API serves as HTML (GET /api/v1/stats?format=html) to the same
// roles; the browser's session opens it. Without a period it shows the
// current month so far.
func (s *Server) uiStats(w http.ResponseWriter, r *http.Request) error {
	q := url.Values{"format": {"html"}}
	for _, k := range []string{"period", "from", "to", "tld", "detail"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if q.Get("period") == "" && q.Get("from") == "" {
		q.Set("period", s.now().UTC().Format("2006-01"))
	}
	http.Redirect(w, r, "/api/v1/stats?"+q.Encode(), http.StatusSeeOther)
	return nil
}
