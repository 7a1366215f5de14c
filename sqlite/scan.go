package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/tldguard/tldguard"
)

const scanRunColumns = `id, triggered_by, node, status, error, started_at, finished_at, zones, feeds,
	names_checked, findings, new_findings, new_cases, delisted, by_threat, by_feed`

func scanScanRun(row interface{ Scan(...any) error }) (*tldguard.ScanRun, error) {
	r := new(tldguard.ScanRun)
	err := row.Scan(&r.ID, &r.Trigger, &r.Node, &r.Status, &r.Error, timeCol{&r.StartedAt}, timeCol{&r.FinishedAt},
		jsonCol{&r.Zones}, jsonCol{&r.Feeds}, &r.NamesChecked, &r.Findings, &r.NewFindings, &r.NewCases,
		&r.Delisted, jsonCol{&r.ByThreat}, jsonCol{&r.ByFeed})
	if err != nil {
		return nil, err
	}
	// "None" reads back as nil whichever way it was written.
	if len(r.Zones) == 0 {
		r.Zones = nil
	}
	if len(r.Feeds) == 0 {
		r.Feeds = nil
	}
	if len(r.ByThreat) == 0 {
		r.ByThreat = nil
	}
	if len(r.ByFeed) == 0 {
		r.ByFeed = nil
	}
	return r, nil
}

// scanRunJSON is the stored form of a run's statistics: never JSON null,
// so that the columns hold an array or an object whatever Go held.
type scanRunJSON struct{ zones, feeds, byThreat, byFeed string }

func encodeScanRun(r *tldguard.ScanRun) (scanRunJSON, error) {
	var j scanRunJSON
	for _, d := range []struct {
		dst   *string
		v     any
		n     int
		empty string
	}{
		{&j.zones, r.Zones, len(r.Zones), "[]"},
		{&j.feeds, r.Feeds, len(r.Feeds), "[]"},
		{&j.byThreat, r.ByThreat, len(r.ByThreat), "{}"},
		{&j.byFeed, r.ByFeed, len(r.ByFeed), "{}"},
	} {
		if d.n == 0 {
			*d.dst = d.empty
			continue
		}
		b, err := json.Marshal(d.v)
		if err != nil {
			return j, tldguard.Internal(err, "encode scan run")
		}
		*d.dst = string(b)
	}
	return j, nil
}

// InsertScanRun stores r and sets r.ID.
func (t *tx) InsertScanRun(r *tldguard.ScanRun) error {
	j, err := encodeScanRun(r)
	if err != nil {
		return err
	}
	id, err := t.insert("scan run", `INSERT INTO scan_runs (triggered_by, node, status, error, started_at,
			finished_at, zones, feeds, names_checked, findings, new_findings, new_cases, delisted, by_threat, by_feed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Trigger, r.Node, r.Status, r.Error, micros(r.StartedAt), micros(r.FinishedAt), j.zones, j.feeds,
		r.NamesChecked, r.Findings, r.NewFindings, r.NewCases, r.Delisted, j.byThreat, j.byFeed)
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// UpdateScanRun writes every field but ID, Trigger, Node and StartedAt;
// ENOTFOUND when there is no run r.ID.
func (t *tx) UpdateScanRun(r *tldguard.ScanRun) error {
	j, err := encodeScanRun(r)
	if err != nil {
		return err
	}
	return t.update("scan run", `UPDATE scan_runs SET status = ?, error = ?, finished_at = ?, zones = ?, feeds = ?,
			names_checked = ?, findings = ?, new_findings = ?, new_cases = ?, delisted = ?, by_threat = ?, by_feed = ?
		WHERE id = ?`,
		r.Status, r.Error, micros(r.FinishedAt), j.zones, j.feeds, r.NamesChecked, r.Findings, r.NewFindings,
		r.NewCases, r.Delisted, j.byThreat, j.byFeed, r.ID)
}

func (t *tx) ScanRunByID(id int64) (*tldguard.ScanRun, error) {
	r, err := scanScanRun(t.queryRow("SELECT "+scanRunColumns+" FROM scan_runs WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "scan run")
	}
	return r, nil
}

// ListScanRuns returns up to limit runs (all when it is not positive),
// newest first, with ids below beforeID when it is not zero.
func (t *tx) ListScanRuns(beforeID int64, limitN int) ([]*tldguard.ScanRun, error) {
	q, args := "SELECT "+scanRunColumns+" FROM scan_runs", []any{}
	if beforeID != 0 {
		q, args = q+" WHERE id < ?", append(args, beforeID)
	}
	rows, err := t.query(q+" ORDER BY id DESC LIMIT ?", append(args, limit(limitN))...)
	if err != nil {
		return nil, dbError(err, "scan runs")
	}
	defer rows.Close()
	var out []*tldguard.ScanRun
	for rows.Next() {
		r, err := scanScanRun(rows)
		if err != nil {
			return nil, dbError(err, "scan run")
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err(), "scan runs")
}

// jsonCol scans a JSON TEXT column into the value v points to.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	switch src := src.(type) {
	case string:
		return json.Unmarshal([]byte(src), c.v)
	case []byte:
		return json.Unmarshal(src, c.v)
	}
	return fmt.Errorf("JSON column holds a %T", src)
}
