package stats

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

//go:embed templates/*.html templates/style.css
var templateFiles embed.FS

// The page's stylesheet is inline, allowed by its hash: the page loads
// nothing and runs no script, so it prints and mails as one file.
var (
	styleSheet = mustRead("templates/style.css")
	styleHash  = func() string {
		sum := sha256.Sum256([]byte(styleSheet))
		return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	}()
	// ContentSecurityPolicy is the policy the HTML pages need when served:
	// nothing loads, no script runs, only the page's own stylesheet applies.
	ContentSecurityPolicy = "default-src 'none'; style-src '" + styleHash + "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := templateFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return strings.TrimRight(string(b), "\n")
}

var funcs = template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"secs": func(s float64) string { return humanDuration(s) },
	"dur": func(s *float64) string {
		if s == nil {
			return "—"
		}
		return humanDuration(*s)
	},
	"rate": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	},
	"opt": func(v *int64) string {
		if v == nil {
			return "— (all zones only)"
		}
		return strconv.FormatInt(*v, 10)
	},
	"sourceName": sourceName,
	"join":       strings.Join,
}

var (
	reportPage       = template.Must(template.New("report.html").Funcs(funcs).ParseFS(templateFiles, "templates/report.html"))
	transparencyPage = template.Must(template.New("transparency.html").Funcs(funcs).ParseFS(templateFiles, "templates/transparency.html"))
)

// sourceName is a source tier as a reader says it.
func sourceName(s string) string {
	switch s {
	case string(tldguard.SourceFeed):
		return "Zone check or reputation feed"
	case string(tldguard.SourceLawEnforcement):
		return "Law enforcement"
	case string(tldguard.SourceGovernment):
		return "Government"
	case string(tldguard.SourceTrustedNotifier):
		return "Trusted notifier"
	case string(tldguard.SourceRegistrar):
		return "Registrar"
	case string(tldguard.SourcePublic):
		return "Public"
	}
	return "Unknown"
}

// humanDuration writes seconds as "3 h 20 min", "2 d 4 h", "45 s".
func humanDuration(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	case d < 48*time.Hour:
		h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.FormatInt(h, 10) + " h"
		}
		return strconv.FormatInt(h, 10) + " h " + strconv.FormatInt(m, 10) + " min"
	}
	days, h := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return strconv.FormatInt(days, 10) + " d"
	}
	return strconv.FormatInt(days, 10) + " d " + strconv.FormatInt(h, 10) + " h"
}

type reportData struct {
	Title   string
	CSS     template.CSS
	R       *Report
	Threats []string
	Sources []string
	Charts  []chart
	Detail  bool
}

// WriteHTML writes the report as a printable page with its charts drawn as
// inline SVG, and the per-domain detail when the report holds it. Served,
// it needs ContentSecurityPolicy.
func WriteHTML(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	err := reportPage.Execute(&buf, reportData{
		Title:   "Statistical report (Specification 11 §3(b))",
		CSS:     template.CSS(styleSheet),
		R:       r,
		Threats: threatOrder(),
		Sources: sourceOrder(),
		Charts:  []chart{weeklyChart(r), respondChart(r), actionsChart(r)},
		Detail:  r.Detail != nil,
	})
	if err != nil {
		return tldguard.Internal(err, "render statistics page")
	}
	_, err = w.Write(buf.Bytes())
	return err
}
