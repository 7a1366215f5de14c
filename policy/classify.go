package policy

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// ClassifyPolicy tunes the compromised-or-malicious classifier.
type ClassifyPolicy struct {
	// YoungDays: a name registered fewer days than this before its first
	// report counts towards malicious (abuse mostly uses fresh names).
	YoungDays int
	// OldDays: older than this counts towards compromised.
	OldDays int
	// BrandTerms are words (banks, payment services, the operator's big
	// registrants) whose appearance in a label counts towards malicious.
	BrandTerms []string
	// HackedPaths are URL path fragments typical of hacked web sites.
	HackedPaths []string
	// Threshold is the score needed either way; between, unknown.
	Threshold int
}

// DefaultClassify returns the classifier's defaults.
func DefaultClassify() ClassifyPolicy {
	return ClassifyPolicy{
		YoungDays: 30,
		OldDays:   365,
		BrandTerms: []string{"paypal", "apple", "icloud", "microsoft", "office365", "outlook", "netflix", "amazon",
			"facebook", "instagram", "whatsapp", "google", "dhl", "fedex", "bank", "wallet", "coinbase", "binance"},
		HackedPaths: []string{"/wp-content/", "/wp-admin/", "/wp-includes/", "/.well-known/", "/~", "/cgi-bin/", "/administrator/", "/components/com_"},
		Threshold:   2,
	}
}

// ClassifyInput is what the classifier looks at.
type ClassifyInput struct {
	Domain      string
	Registered  bool
	CreatedAt   time.Time // registration date, zero if unknown
	FirstReport time.Time
	URLs        []string // every reported URL on the name
	// AbusedLegitimate is set when a reputation list marks the listing as
	// a legitimate site that was broken into.
	AbusedLegitimate bool
}

// Classify weighs the signals DESIGN.md lists: the age of the registration
// when first reported, brand terms in the label, URL paths typical of
// hacked sites, a reputation list's "abused legitimate" code, and several
// unrelated URLs on one name. Positive scores point to malicious, negative
// to compromised.
func (p *Policy) Classify(in ClassifyInput) tldguard.Verdict {
	cp := p.Classifier
	var v tldguard.Verdict
	add := func(score int, format string, args ...any) {
		v.Score += score
		v.Reasons = append(v.Reasons, fmt.Sprintf("%+d: ", score)+fmt.Sprintf(format, args...))
	}
	if !in.Registered {
		v.Class = tldguard.ClassMalicious
		v.Reasons = []string{"not registered: nobody legitimate holds the name"}
		return v
	}
	if !in.CreatedAt.IsZero() && !in.FirstReport.IsZero() {
		days := int(in.FirstReport.Sub(in.CreatedAt) / (24 * time.Hour))
		switch {
		case days < cp.YoungDays:
			add(2, "registered %d days before the first report", days)
		case days > cp.OldDays:
			add(-1, "registered %.1f years before the first report", float64(days)/365)
		}
	}
	label, _, _ := strings.Cut(in.Domain, ".")
	for _, term := range cp.BrandTerms {
		if term != "" && strings.Contains(label, term) {
			add(2, "the label contains the brand term %q", term)
			break
		}
	}
	hacked := ""
	paths := map[string]bool{}
	for _, raw := range in.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		path := strings.ToLower(u.EscapedPath())
		for _, frag := range cp.HackedPaths {
			if hacked == "" && frag != "" && strings.Contains(path, frag) {
				hacked = frag
			}
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		paths[first] = true
	}
	if hacked != "" {
		add(-2, "a reported URL has the path %q, typical of a hacked site", hacked)
	}
	if in.AbusedLegitimate {
		add(-3, "a reputation list marks the name as an abused legitimate site")
	}
	if len(paths) >= 3 {
		add(-1, "%d unrelated URL paths on one name, as on a site with many pages", len(paths))
	}
	t := cp.Threshold
	if t <= 0 {
		t = 1
	}
	switch {
	case v.Score >= t:
		v.Class = tldguard.ClassMalicious
	case v.Score <= -t:
		v.Class = tldguard.ClassCompromised
	default:
		v.Class = tldguard.ClassUnknown
		if len(v.Reasons) == 0 {
			v.Reasons = []string{"no signal either way"}
		}
	}
	return v
}
