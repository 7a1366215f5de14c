package stats

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"slices"
	"time"

	"github.com/tldguard/tldguard"
)

// transparencyMonths is how many months the public page shows.
const transparencyMonths = 12

// Transparency is the public report: the aggregate numbers of the last
// months' snapshots for every TLD, and nothing that names a domain, a
// registrar, a reporter or a reason written by staff.
type Transparency struct {
	Months []PublicMonth `json:"months"` // newest first
}

// PublicMonth is one month's aggregate numbers, copied from its snapshot.
type PublicMonth struct {
	Period      string           `json:"period"`
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Identified  int64            `json:"identified"`
	UniqueNames int64            `json:"unique_names"`
	ByType      map[string]int64 `json:"by_type"`
	BySource    map[string]int64 `json:"by_source"`
	Actions     int64            `json:"actions"`
	// ActionsByType holds the registry's actions by kind.
	ActionsByType      map[string]int64 `json:"actions_by_type"`
	Responses          int64            `json:"responses"`
	WithinClock        int64            `json:"within_clock"`
	MedianSeconds      *float64         `json:"median_seconds"`
	P90Seconds         *float64         `json:"p90_seconds"`
	OpenAtEnd          int64            `json:"open_at_end"`
	OutOfScopeReceived int64            `json:"out_of_scope_received"`
	Per10000           *float64         `json:"per_10000"`
	// SHA256 is the snapshot's hash, as written in the audit log.
	SHA256 string `json:"sha256"`
}

// Transparency returns the public report. Anyone may read it when the
// operator publishes one (Config.Transparency); otherwise ENOTFOUND. It
// reads only stored snapshots, never the records.
func (s *Service) Transparency(ctx context.Context) (*Transparency, error) {
	if !s.cfg.Transparency {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "this registry does not publish a transparency report")
	}
	out := &Transparency{Months: []PublicMonth{}}
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		list, err := tx.ListStatsSnapshots()
		if err != nil {
			return err
		}
		slices.Reverse(list)
		for _, meta := range list {
			if meta.TLD != "" {
				continue
			}
			if len(out.Months) == transparencyMonths {
				break
			}
			snap, err := tx.StatsSnapshot(meta.Period, "")
			if err != nil {
				return err
			}
			var r Report
			if err := json.Unmarshal(snap.Report, &r); err != nil {
				return tldguard.Internal(err, "decode snapshot "+meta.Period)
			}
			out.Months = append(out.Months, publicMonth(&r, snap))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func publicMonth(r *Report, snap *tldguard.StatsSnapshot) PublicMonth {
	m := PublicMonth{
		Period: r.Period.Label, From: r.Period.From, To: r.Period.To,
		Identified: r.Identified.Total, UniqueNames: r.Identified.UniqueNames,
		ByType: r.Identified.ByType, BySource: r.Identified.BySource,
		Actions: r.Actions.Total, ActionsByType: map[string]int64{},
		Responses: r.Responses.Count, WithinClock: r.Responses.WithinClock,
		MedianSeconds: r.Responses.TimeToRespond.MedianSeconds, P90Seconds: r.Responses.TimeToRespond.P90Seconds,
		OpenAtEnd: r.OpenAtEnd.Total, OutOfScopeReceived: r.OutOfScope.Received, Per10000: r.AbuseRate.Per10000,
		SHA256: hex.EncodeToString(snap.SHA256),
	}
	for _, a := range r.Actions.ByType {
		m.ActionsByType[a.Kind] = a.Count
	}
	return m
}

// WriteTransparencyHTML writes the public page. Served, it needs
// ContentSecurityPolicy.
func WriteTransparencyHTML(w io.Writer, t *Transparency) error {
	var buf bytes.Buffer
	err := transparencyPage.Execute(&buf, struct {
		CSS     template.CSS
		T       *Transparency
		Threats []string
	}{template.CSS(styleSheet), t, threatOrder()})
	if err != nil {
		return tldguard.Internal(err, "render transparency page")
	}
	_, err = w.Write(buf.Bytes())
	return err
}
