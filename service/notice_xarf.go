package service

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// The XARF v4 report attached to a referral (https://github.com/xarf/
// xarf-spec, schemas/v4): the registrar's ticketing system reads the case
// from it. The operator is its reporter and sender: the people who
// reported the threat are not named to the registrar.

const (
	xarfVersion  = "4.0.0"
	maxXARFItem  = 5 << 20 // the specification's limit per evidence item
	maxXARFTotal = 10 << 20
	maxXARFItems = 50 // the specification's limit
)

type xarfContact struct {
	Org     string `json:"org"`
	Contact string `json:"contact"`
	Domain  string `json:"domain"`
}

type xarfEvidence struct {
	ContentType string `json:"content_type"`
	Description string `json:"description,omitempty"`
	Payload     string `json:"payload"`
	Hash        string `json:"hash,omitempty"`
	Size        int64  `json:"size"`
}

type xarfSpamIndicators struct {
	SuspiciousLinks []string `json:"suspicious_links"`
}

// xarfReport is an XARF v4 report; members in the specification's order.
type xarfReport struct {
	XARFVersion string       `json:"xarf_version"`
	ReportID    string       `json:"report_id"`
	Timestamp   string       `json:"timestamp"`
	Reporter    *xarfContact `json:"reporter,omitempty"`
	Sender      *xarfContact `json:"sender,omitempty"`
	// SourceIdentifier is the reported host: tldguard knows names, not
	// the addresses they pointed at.
	SourceIdentifier   string              `json:"source_identifier,omitempty"`
	Category           string              `json:"category"`
	Type               string              `json:"type"`
	URL                string              `json:"url,omitempty"`
	Domain             string              `json:"domain,omitempty"`
	Registrar          string              `json:"registrar,omitempty"`
	C2Server           string              `json:"c2_server,omitempty"`
	CompromiseEvidence string              `json:"compromise_evidence,omitempty"`
	SpamIndicators     *xarfSpamIndicators `json:"spam_indicators,omitempty"`
	Description        string              `json:"description,omitempty"`
	Evidence           []xarfEvidence      `json:"evidence,omitempty"`
	Tags               []string            `json:"tags,omitempty"`
}

// xarfCategories are XARF v4's categories, for out-of-scope cases whose
// report carried its own "category/type".
var xarfCategories = []string{"messaging", "content", "copyright", "connection", "vulnerability", "infrastructure", "reputation"}

// newXARF describes a referred case. targets are the reported URLs and
// host names under the name; category is the reporter's own word for an
// out-of-scope threat ("" when none).
func (n *Notifier) newXARF(c *tldguard.Case, referral *tldguard.Action, targets []string, category string) *xarfReport {
	x := &xarfReport{XARFVersion: xarfVersion, ReportID: xarfReportID(n.fromAddr, c.ID, referral.ID),
		Timestamp: c.OpenedAt.UTC().Format(time.RFC3339), Domain: c.Domain, Registrar: c.RegistrarName,
		Tags: []string{"case:" + strings.ToLower(c.Number()), "threat:" + string(c.ThreatType)}}
	if n.fromAddr != "" {
		_, domain, _ := strings.Cut(n.fromAddr, "@")
		me := &xarfContact{Org: n.cfg.Operator, Contact: n.fromAddr, Domain: domain}
		x.Reporter, x.Sender = me, me
	}
	var urls []string
	host := c.Domain
	for _, t := range targets {
		u, err := url.Parse(t)
		if err == nil && u.Scheme != "" && u.Host != "" {
			urls = append(urls, t)
			if len(urls) == 1 {
				host = u.Hostname()
			}
		} else if len(urls) == 0 && host == c.Domain {
			host = t
		}
	}
	x.SourceIdentifier = host
	// XARF's content types need a URL; a report that named only the host
	// is described by the host's root.
	firstURL := "http://" + host + "/"
	if len(urls) > 0 {
		firstURL = urls[0]
	}
	what := string(c.ThreatType)
	switch c.ThreatType {
	case tldguard.ThreatPhishing, tldguard.ThreatMalware:
		x.Category, x.Type, x.URL = "content", string(c.ThreatType), firstURL
	case tldguard.ThreatPharming:
		// XARF has no pharming type; phishing is the nearest.
		x.Category, x.Type, x.URL = "content", "phishing", firstURL
		what = "pharming (DNS-based redirection to a fraudulent site)"
	case tldguard.ThreatBotnet:
		x.Category, x.Type, x.C2Server = "infrastructure", "botnet", host
		x.CompromiseEvidence = fmt.Sprintf("reported to the registry as botnet command and control (%s)", c.Number())
	case tldguard.ThreatSpam:
		links := urls
		if len(links) == 0 {
			links = []string{firstURL}
		}
		x.Category, x.Type, x.SpamIndicators = "messaging", "spam", &xarfSpamIndicators{SuspiciousLinks: links}
	default:
		x.Category, x.Type, x.URL = "content", "fraud", firstURL
		if cat, typ, ok := strings.Cut(category, "/"); ok && slices.Contains(xarfCategories, strings.ToLower(cat)) && typ != "" {
			x.Category, x.Type = strings.ToLower(cat), strings.ToLower(typ)
		}
		what = "a threat outside DNS abuse"
		if category != "" {
			what += " (" + category + ")"
		}
	}
	x.Description = fmt.Sprintf("%s: %s on %s, referred by %s to the sponsoring registrar for mitigation; %d reported URL(s) or host name(s) under the name.",
		c.Number(), what, c.Domain, n.cfg.Operator, len(targets))
	if len(x.Description) > 1000 {
		x.Description = x.Description[:1000]
	}
	return x
}

// addEvidence adds a stored item with its content.
func (x *xarfReport) addEvidence(e tldguard.Evidence, content []byte) {
	ct := e.MediaType
	if ct == "" {
		ct = "application/octet-stream"
	}
	desc := e.Description
	if desc == "" {
		desc = e.Filename
	} else if e.Filename != "" {
		desc = e.Filename + ": " + desc
	}
	if len(desc) > 500 {
		desc = desc[:500]
	}
	x.Evidence = append(x.Evidence, xarfEvidence{ContentType: ct, Description: desc,
		Payload: base64.StdEncoding.EncodeToString(content), Hash: "sha256:" + hex.EncodeToString(e.SHA256), Size: int64(len(content))})
}

func (x *xarfReport) encode() ([]byte, error) {
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, tldguard.Internal(err, "encode XARF report")
	}
	return append(b, '\n'), nil
}

// xarfReportID is a UUID (version 4 layout) derived from the referral, so
// that a retried mail carries the same report_id and the receiver can
// drop the repeat.
func xarfReportID(from string, caseID, referralID int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "tldguard-xarf\x00%s\x00%d\x00%d", from, caseID, referralID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
