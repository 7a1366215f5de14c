package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// statsCasesSQL reads the records StatsCases yields: one row per state of
// each case that can count in the period ($1 = from, $2 = to, $3 = TLD or
// ”), in case id then state order, with what identified the case
// (case_origins: its first report and earliest finding, counted only if
// seen before the period's end). NULL times (the zero time) never compare
// true, so a case without an opening time and a state without a time are
// left out.
const statsCasesSQL = `SELECT c.id, c.domain, c.tld, c.threat_type, c.registered, c.registrar_id, c.registrar_name,
		c.opened_at, CASE WHEN o.report_at < $2 THEN o.report_source ELSE '' END,
		CASE WHEN o.report_at < $2 THEN o.report_category ELSE '' END,
		CASE WHEN o.finding_at < $2 THEN o.finding_feed ELSE '' END,
		CASE WHEN o.finding_at < $2 THEN o.finding_at END,
		l.at, l.status, l.priority, l.acked_at, l.response_due_at, l.responded_at, l.resolution
	FROM cases c
	LEFT JOIN case_origins o ON o.case_id = c.id
	JOIN case_log l ON l.case_id = c.id AND l.at < $2
	WHERE c.opened_at < $2 AND (c.closed_at IS NULL OR c.closed_at >= $1) AND ($3::text = '' OR c.tld = $3::text)
	ORDER BY c.id, l.id`

// StatsCases streams the period's case records from one query; fn runs
// between rows, so it must not use the Tx (the connection is busy).
func (t *tx) StatsCases(f tldguard.StatsFilter, fn func(*tldguard.StatsCase) error) error {
	rows, err := t.tx.Query(t.ctx, statsCasesSQL, ts(f.From), ts(f.To), f.TLD)
	if err != nil {
		return t.fail(err, "statistics records")
	}
	defer rows.Close()
	// Two records alternate: the one being filled and the next case's
	// first row; fn may not keep either.
	cur, next := new(tldguard.StatsCase), new(tldguard.StatsCase)
	var (
		id    int64
		state tldguard.CaseState
	)
	for rows.Next() {
		next.FindingAt, state = time.Time{}, tldguard.CaseState{}
		err := rows.Scan(&id, &next.Domain, &next.TLD, &next.ThreatType, &next.Registered, &next.RegistrarID,
			&next.RegistrarName, scanTime(&next.OpenedAt), &next.ReportSource, &next.Category, &next.FindingFeed,
			scanTime(&next.FindingAt), scanTime(&state.At), &state.Status, &state.Priority, scanTime(&state.AckedAt),
			scanTime(&state.ResponseDueAt), scanTime(&state.RespondedAt), &state.Resolution)
		if err != nil {
			return t.fail(err, "statistics record")
		}
		if id != cur.CaseID {
			if cur.CaseID != 0 {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur, next = next, cur
			cur.CaseID, cur.History = id, cur.History[:0]
		}
		cur.History = append(cur.History, state)
	}
	if err := rows.Err(); err != nil {
		return t.fail(err, "statistics records")
	}
	if cur.CaseID != 0 {
		return fn(cur)
	}
	return nil
}

// InsertStatsSnapshot stores s and sets s.ID. ECONFLICT when (period, tld)
// is taken (ON CONFLICT keeps the transaction usable); ENOTFOUND when its
// event is missing.
func (t *tx) InsertStatsSnapshot(s *tldguard.StatsSnapshot) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO stats_snapshots (period, tld, period_from, period_to, created_at, keep_until, report, sha256, event_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (period, tld) DO NOTHING RETURNING id`,
		s.Period, s.TLD, ts(s.From), ts(s.To), ts(s.CreatedAt), ts(s.KeepUntil), bytesOf(s.Report), bytesOf(s.SHA256),
		s.EventSeq).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("a statistics snapshot for %s (%s) is stored", s.Period, tldName(s.TLD))
	}
	if err != nil {
		return t.fail(err, "statistics snapshot")
	}
	t.setID(&s.ID, id)
	return nil
}

func tldName(tld string) string {
	if tld == "" {
		return "every TLD"
	}
	return "." + tld
}

// bytesOf is b for a NOT NULL bytea column: nil becomes empty.
func bytesOf(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const snapshotColumns = "id, period, tld, period_from, period_to, created_at, keep_until, sha256, event_seq"

func scanSnapshot(row pgx.Row, extra ...any) (*tldguard.StatsSnapshot, error) {
	s := new(tldguard.StatsSnapshot)
	err := row.Scan(append([]any{&s.ID, &s.Period, &s.TLD, scanTime(&s.From), scanTime(&s.To), scanTime(&s.CreatedAt),
		scanTime(&s.KeepUntil), &s.SHA256, &s.EventSeq}, extra...)...)
	return s, err
}

// StatsSnapshot returns the snapshot for (period, tld) with its report.
func (t *tx) StatsSnapshot(period, tld string) (*tldguard.StatsSnapshot, error) {
	var report []byte
	s, err := scanSnapshot(t.tx.QueryRow(t.ctx, "SELECT "+snapshotColumns+", report FROM stats_snapshots WHERE period = $1 AND tld = $2",
		period, tld), &report)
	if err != nil {
		return nil, t.fail(err, "statistics snapshot")
	}
	s.Report = report
	return s, nil
}

// ListStatsSnapshots returns every snapshot without its report, by period
// start then TLD.
func (t *tx) ListStatsSnapshots() ([]*tldguard.StatsSnapshot, error) {
	rows, _ := t.tx.Query(t.ctx, "SELECT "+snapshotColumns+" FROM stats_snapshots ORDER BY period_from, tld, id")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.StatsSnapshot, error) { return scanSnapshot(r) })
	return emptyNil(out), t.fail(err, "statistics snapshots")
}

// CountReportsAfter counts the reports above afterID by source and threat:
// a range of the primary key, so a scrape reads only what came in since the
// last one.
func (t *tx) CountReportsAfter(afterID int64) ([]tldguard.ReportCount, int64, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT source, threat_type, count(*), max(id) FROM reports WHERE id > $1
		GROUP BY source, threat_type ORDER BY source COLLATE "C", threat_type COLLATE "C"`, afterID)
	var out []tldguard.ReportCount
	last := afterID
	var c tldguard.ReportCount
	var maxID int64
	_, err := pgx.ForEachRow(rows, []any{&c.Source, &c.ThreatType, &c.Count, &maxID}, func() error {
		out = append(out, c)
		last = max(last, maxID)
		return nil
	})
	if err != nil {
		return nil, afterID, t.fail(err, "report counts")
	}
	return out, last, nil
}

// CountOpenCases counts the working queue by priority and status.
func (t *tx) CountOpenCases() ([]tldguard.OpenCaseCount, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT priority, status, count(*) FROM cases WHERE status <> 'closed'
		GROUP BY priority, status ORDER BY priority COLLATE "C", status COLLATE "C"`)
	var out []tldguard.OpenCaseCount
	var c tldguard.OpenCaseCount
	_, err := pgx.ForEachRow(rows, []any{&c.Priority, &c.Status, &c.Count}, func() error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, t.fail(err, "open case counts")
	}
	return out, nil
}

// CountClocks counts the open cases still owed a response whose deadline
// is before now (missed) or in [now, warn) (near end); a case without a
// deadline counts in neither.
func (t *tx) CountClocks(now, warn time.Time) (tldguard.ClockCounts, error) {
	var c tldguard.ClockCounts
	err := t.tx.QueryRow(t.ctx, `SELECT count(*) FILTER (WHERE response_due_at < $1),
			count(*) FILTER (WHERE response_due_at >= $1 AND response_due_at < $2)
		FROM cases WHERE status <> 'closed' AND responded_at IS NULL AND response_due_at < greatest($1, $2)`,
		ts(now), ts(warn)).Scan(&c.Missed, &c.NearEnd)
	return c, t.fail(err, "clock counts")
}
