package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tldguard/tldguard"
)

// ScanService reads the zone check's run records. It is declared here,
// where it is consumed, until the root has a service interface for the
// zone check; service.Service implements it. Both methods are for staff.
type ScanService interface {
	// ScanRuns returns up to limit runs newest first, only ids below
	// beforeID when it is not zero.
	ScanRuns(ctx context.Context, beforeID int64, limit int) ([]*tldguard.ScanRun, error)
	// ScanRun returns one run; ENOTFOUND when there is none.
	ScanRun(ctx context.Context, id int64) (*tldguard.ScanRun, error)
}

// noScans is the ScanService of a server without zone checks: no runs.
type noScans struct{}

func (noScans) ScanRuns(context.Context, int64, int) ([]*tldguard.ScanRun, error) { return nil, nil }
func (noScans) ScanRun(_ context.Context, id int64) (*tldguard.ScanRun, error) {
	return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no zone-check run %d", id)
}

func (s *Server) scans() ScanService {
	if s.svc.Scans == nil {
		return noScans{}
	}
	return s.svc.Scans
}

// handleScans answers GET /api/v1/scans: the zone check's runs, newest
// first. Query: limit (1..200, default 50), cursor (next_cursor of the
// previous page).
func (s *Server) handleScans(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "limit", "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	var before int64
	if v := lastValue(q, "cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			return badParam("cursor", "malformed cursor")
		}
	}
	runs, err := s.scans().ScanRuns(r.Context(), before, limit+1)
	if err != nil {
		return err
	}
	out := scanListJSON{Scans: []scanJSON{}}
	if len(runs) > limit {
		runs = runs[:limit]
		out.NextCursor = strconv.FormatInt(runs[limit-1].ID, 10)
		setNextLink(w, r, out.NextCursor)
	}
	for _, run := range runs {
		out.Scans = append(out.Scans, toScanJSON(run))
	}
	return s.writeJSON(w, http.StatusOK, out)
}

// handleScan answers GET /api/v1/scans/{id}.
func (s *Server) handleScan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	run, err := s.scans().ScanRun(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusOK, toScanJSON(run))
}

type scanListJSON struct {
	Scans      []scanJSON `json:"scans"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// scanJSON is one zone-check run: what it read (zones with their SOA
// serials, feeds with their alarms) and what it found.
type scanJSON struct {
	ID           int64                         `json:"id"`
	Trigger      string                        `json:"trigger"`
	Node         string                        `json:"node"`
	Status       tldguard.ScanStatus           `json:"status"`
	Error        string                        `json:"error,omitempty"`
	StartedAt    time.Time                     `json:"started_at"`
	FinishedAt   *time.Time                    `json:"finished_at,omitempty"`
	Zones        []tldguard.ZoneStat           `json:"zones"`
	Feeds        []tldguard.FeedStat           `json:"feeds"`
	NamesChecked int64                         `json:"names_checked"`
	Findings     int64                         `json:"findings"`
	NewFindings  int64                         `json:"new_findings"`
	NewCases     int64                         `json:"new_cases"`
	Delisted     int64                         `json:"delisted"`
	ByThreat     map[tldguard.ThreatType]int64 `json:"by_threat"`
	ByFeed       map[string]int64              `json:"by_feed"`
}

func toScanJSON(r *tldguard.ScanRun) scanJSON {
	out := scanJSON{
		ID: r.ID, Trigger: r.Trigger, Node: r.Node, Status: r.Status, Error: r.Error, StartedAt: utc(r.StartedAt),
		Zones: r.Zones, Feeds: r.Feeds, NamesChecked: r.NamesChecked, Findings: r.Findings,
		NewFindings: r.NewFindings, NewCases: r.NewCases, Delisted: r.Delisted, ByThreat: r.ByThreat, ByFeed: r.ByFeed,
	}
	if !r.FinishedAt.IsZero() {
		t := utc(r.FinishedAt)
		out.FinishedAt = &t
	}
	if out.Zones == nil {
		out.Zones = []tldguard.ZoneStat{}
	}
	if out.Feeds == nil {
		out.Feeds = []tldguard.FeedStat{}
	}
	if out.ByThreat == nil {
		out.ByThreat = map[tldguard.ThreatType]int64{}
	}
	if out.ByFeed == nil {
		out.ByFeed = map[string]int64{}
	}
	return out
}
