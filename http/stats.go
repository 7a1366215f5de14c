package http

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/stats"
)

// StatsService computes the §3(b) statistical reports and the public
// transparency report. It is declared here, where it is consumed;
// stats.Service implements it. Report is for staff (the service checks);
// Transparency is public when the operator publishes one, ENOTFOUND if not.
type StatsService interface {
	Report(ctx context.Context, q stats.Query) (*stats.Report, error)
	Transparency(ctx context.Context) (*stats.Transparency, error)
}

// noStats is the StatsService of a server that computes no statistics.
type noStats struct{}

func (noStats) Report(context.Context, stats.Query) (*stats.Report, error) {
	return nil, tldguard.Errorf(tldguard.ENOTFOUND, "this server does not compute statistics")
}

func (noStats) Transparency(context.Context) (*stats.Transparency, error) {
	return nil, tldguard.Errorf(tldguard.ENOTFOUND, "this registry does not publish a transparency report")
}

func (s *Server) stats() StatsService {
	if s.svc.Stats == nil {
		return noStats{}
	}
	return s.svc.Stats
}

// The formats the statistics routes answer in.
const (
	formatJSON = "json"
	formatCSV  = "csv"
	formatHTML = "html"
)

var formatTypes = map[string]string{
	formatJSON: "application/json",
	formatCSV:  "text/csv",
	formatHTML: "text/html",
}

// handleStats answers GET /api/v1/stats: the statistical report for a
// period (period=2026-10, 2026-10-05, 2026-Q4, 2026, or from= and to=) and
// a TLD (tld=, every TLD when absent), as JSON, CSV or a printable HTML
// page (format=, else the Accept header). detail=true adds the per-domain
// detail: to the JSON and HTML, and as the CSV instead of the summary.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "period", "from", "to", "tld", "format", "detail"); err != nil {
		return err
	}
	var p stats.Period
	var err error
	period, from, to := lastValue(q, "period"), lastValue(q, "from"), lastValue(q, "to")
	switch {
	case period != "" && (from != "" || to != ""):
		return badParam("period", "give period or from and to, not both")
	case period != "":
		p, err = stats.ParsePeriod(period)
	case from != "" && to != "":
		p, err = stats.ParseRange(from, to)
	case from != "":
		return badParam("to", "a custom period needs both from and to")
	case to != "":
		return badParam("from", "a custom period needs both from and to")
	default:
		return badParam("period", "is required: a day 2026-10-05, a month 2026-10, a quarter 2026-Q4, a year 2026, or from and to")
	}
	if err != nil {
		return err
	}
	detail, err := boolParam(q, "detail")
	if err != nil {
		return err
	}
	format, err := negotiate(r, lastValue(q, "format"))
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "Accept")
	rep, err := s.stats().Report(r.Context(), stats.Query{Period: p, TLD: lastValue(q, "tld"), Detail: detail})
	if err != nil {
		return err
	}
	name := "tldguard-stats-" + strings.ReplaceAll(p.Label, ":", "")
	if rep.TLD != "" {
		name += "-" + rep.TLD
	}
	var buf bytes.Buffer
	switch format {
	case formatCSV:
		if detail {
			name += "-detail"
			err = stats.WriteDetailCSV(&buf, rep)
		} else {
			err = stats.WriteCSV(&buf, rep)
		}
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
		w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	case formatHTML:
		err = stats.WriteHTML(&buf, rep)
		w.Header().Set("Content-Security-Policy", stats.ContentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		var b []byte
		b, err = stats.EncodeJSON(rep)
		buf.Write(b)
		w.Header().Set("Content-Type", "application/json")
	}
	if err != nil {
		return err
	}
	return writeBody(w, buf.Bytes())
}

// handleTransparency answers GET /api/v1/transparency, the public
// transparency report (aggregate numbers only) as JSON or as a page
// (format=html or Accept: text/html). 404 when the operator does not
// publish one.
func (s *Server) handleTransparency(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "format"); err != nil {
		return err
	}
	format, err := negotiate(r, lastValue(q, "format"))
	if err != nil {
		return err
	}
	if format == formatCSV {
		return badParam("format", "the transparency report is served as json or html")
	}
	t, err := s.stats().Transparency(r.Context())
	if err != nil {
		return err
	}
	if format == formatHTML {
		var buf bytes.Buffer
		if err := stats.WriteTransparencyHTML(&buf, t); err != nil {
			return err
		}
		w.Header().Set("Content-Security-Policy", stats.ContentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		return writeBody(w, buf.Bytes())
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	return s.writeJSON(w, http.StatusOK, t)
}

func writeBody(w http.ResponseWriter, b []byte) error {
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// negotiate picks the format: the format parameter if given, else the
// most preferred of JSON, CSV and HTML in the Accept header (RFC 9110
// §12.5.1), JSON when it names none of them.
func negotiate(r *http.Request, param string) (string, error) {
	if param != "" {
		if _, ok := formatTypes[param]; !ok {
			return "", badParam("format", "%q is not a format (json, csv, html)", param)
		}
		return param, nil
	}
	best, bestQ := formatJSON, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if v, ok := params["q"]; ok {
			if qv, err = strconv.ParseFloat(v, 64); err != nil || qv < 0 || qv > 1 {
				continue
			}
		}
		for _, f := range []string{formatJSON, formatCSV, formatHTML} {
			t := formatTypes[f]
			if (mt == t || mt == "*/*" && f == formatJSON || strings.HasSuffix(mt, "/*") && strings.HasPrefix(t, strings.TrimSuffix(mt, "*"))) && qv > bestQ && qv > 0 {
				best, bestQ = f, qv
			}
		}
	}
	return best, nil
}

// boolParam reads a true/false query parameter (absent: false).
func boolParam(q map[string][]string, name string) (bool, error) {
	switch v := lastValue(q, name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, badParam(name, "must be true or false, got %q", v)
	}
}
