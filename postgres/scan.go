package postgres

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const scanRunColumns = `id, triggered_by, node, status, error, started_at, finished_at, zones::text, feeds::text,
	names_checked, findings, new_findings, new_cases, delisted, by_threat::text, by_feed::text`

func scanScanRun(row pgx.Row) (*tldguard.ScanRun, error) {
	r := new(tldguard.ScanRun)
	var zones, feeds, byThreat, byFeed string
	err := row.Scan(&r.ID, &r.Trigger, &r.Node, &r.Status, &r.Error, scanTime(&r.StartedAt), scanTime(&r.FinishedAt),
		&zones, &feeds, &r.NamesChecked, &r.Findings, &r.NewFindings, &r.NewCases, &r.Delisted, &byThreat, &byFeed)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		doc string
		v   any
	}{{zones, &r.Zones}, {feeds, &r.Feeds}, {byThreat, &r.ByThreat}, {byFeed, &r.ByFeed}} {
		if err := json.Unmarshal([]byte(d.doc), d.v); err != nil {
			return nil, fmt.Errorf("scan run %d: %w", r.ID, err)
		}
	}
	// "None" reads back as nil whichever way it was written.
	r.Zones, r.Feeds = emptyNil(r.Zones), emptyNil(r.Feeds)
	if len(r.ByThreat) == 0 {
		r.ByThreat = nil
	}
	if len(r.ByFeed) == 0 {
		r.ByFeed = nil
	}
	return r, nil
}

// scanRunDocs returns the JSON documents of r's statistics, in the order
// zones, feeds, by_threat, by_feed. An empty list or map is stored as [] or
// {}, never as JSON null.
func scanRunDocs(r *tldguard.ScanRun) ([4]string, error) {
	var docs [4]string
	for i, d := range []struct {
		v     any
		n     int
		empty string
	}{
		{r.Zones, len(r.Zones), "[]"},
		{r.Feeds, len(r.Feeds), "[]"},
		{r.ByThreat, len(r.ByThreat), "{}"},
		{r.ByFeed, len(r.ByFeed), "{}"},
	} {
		if d.n == 0 {
			docs[i] = d.empty
			continue
		}
		b, err := json.Marshal(d.v)
		if err != nil {
			return docs, tldguard.Internal(err, "postgres: encode scan run")
		}
		docs[i] = string(b)
	}
	return docs, nil
}

// InsertScanRun stores r and sets r.ID.
func (t *tx) InsertScanRun(r *tldguard.ScanRun) error {
	docs, err := scanRunDocs(r)
	if err != nil {
		return err
	}
	var id int64
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO scan_runs (triggered_by, node, status, error, started_at, finished_at, zones, feeds,
			names_checked, findings, new_findings, new_cases, delisted, by_threat, by_feed)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb)
		RETURNING id`,
		r.Trigger, r.Node, r.Status, r.Error, ts(r.StartedAt), ts(r.FinishedAt), docs[0], docs[1],
		r.NamesChecked, r.Findings, r.NewFindings, r.NewCases, r.Delisted, docs[2], docs[3]).Scan(&id)
	if err != nil {
		return t.fail(err, "scan run")
	}
	t.setID(&r.ID, id)
	return nil
}

// UpdateScanRun writes every field but ID, Trigger, Node and StartedAt;
// ENOTFOUND for an unknown id.
func (t *tx) UpdateScanRun(r *tldguard.ScanRun) error {
	docs, err := scanRunDocs(r)
	if err != nil {
		return err
	}
	tag, err := t.exec("scan run", `
		UPDATE scan_runs SET status = $2, error = $3, finished_at = $4, zones = $5::jsonb, feeds = $6::jsonb,
			names_checked = $7, findings = $8, new_findings = $9, new_cases = $10, delisted = $11,
			by_threat = $12::jsonb, by_feed = $13::jsonb
		WHERE id = $1`,
		r.ID, r.Status, r.Error, ts(r.FinishedAt), docs[0], docs[1], r.NamesChecked, r.Findings, r.NewFindings,
		r.NewCases, r.Delisted, docs[2], docs[3])
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("scan run")
	}
	return err
}

func (t *tx) ScanRunByID(id int64) (*tldguard.ScanRun, error) {
	r, err := scanScanRun(t.tx.QueryRow(t.ctx, `SELECT `+scanRunColumns+` FROM scan_runs WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "scan run")
	}
	return r, nil
}

// ListScanRuns returns up to limit runs (all for a limit <= 0), newest
// first, with ids below beforeID when it is not zero.
func (t *tx) ListScanRuns(beforeID int64, limit int) ([]*tldguard.ScanRun, error) {
	q := `SELECT ` + scanRunColumns + ` FROM scan_runs`
	var args []any
	if beforeID != 0 {
		args = append(args, beforeID)
		q += " WHERE id < $1"
	}
	q += " ORDER BY id DESC"
	if limit > 0 {
		args = append(args, limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, _ := t.tx.Query(t.ctx, q, args...)
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.ScanRun, error) { return scanScanRun(r) })
	return emptyNil(rs), t.fail(err, "scan run")
}
