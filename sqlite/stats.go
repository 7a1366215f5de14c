package sqlite

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// statsWhere selects the cases that can count in the period (?1 = from,
// ?2 = to, ?3 = TLD or ”): opened before its end, not closed before its
// start. The planner reads cases_closed's two ranges (closed_at = 0, and
// from ?1 on) when they are few, the table when most cases qualify.
const statsWhere = `c.opened_at <> 0 AND c.opened_at < ?2 AND (c.closed_at = 0 OR c.closed_at >= ?1)
	AND (?3 = '' OR c.tld = ?3)`

// statsCasesSQL reads the period's cases, in id order, with what identified
// each (case_origins: one primary-key probe). A report or finding seen
// only after the period's end does not count.
const statsCasesSQL = `SELECT c.id, c.domain, c.tld, c.threat_type, c.registered, c.registrar_id, c.registrar_name,
		c.opened_at, CASE WHEN o.report_at < ?2 THEN o.report_source ELSE '' END,
		CASE WHEN o.report_at < ?2 THEN o.report_category ELSE '' END,
		CASE WHEN o.finding_at <> 0 AND o.finding_at < ?2 THEN o.finding_feed ELSE '' END,
		CASE WHEN o.finding_at <> 0 AND o.finding_at < ?2 THEN o.finding_at ELSE 0 END
	FROM cases c LEFT JOIN case_origins o ON o.case_id = c.id
	WHERE ` + statsWhere + ` ORDER BY c.id`

// statsStatesSQL reads the same cases' states written before the period's
// end, in case id then state order, each packed in one column.
const statsStatesSQL = `SELECT l.case_id, l.packed
	FROM case_log l WHERE l.case_id IN (SELECT c.id FROM cases c WHERE ` + statsWhere + `)
		AND l.at <> 0 AND l.at < ?2
	ORDER BY l.case_id, l.seq`

// unpackState reads case_log.packed: "at,acked_at,response_due_at,
// responded_at,status,priority,resolution".
func unpackState(p string) (tldguard.CaseState, error) {
	var s tldguard.CaseState
	times := [4]*time.Time{&s.At, &s.AckedAt, &s.ResponseDueAt, &s.RespondedAt}
	for _, dst := range times {
		i := strings.IndexByte(p, ',')
		if i < 0 {
			return s, fmt.Errorf("malformed case state %q", p)
		}
		us, err := strconv.ParseInt(p[:i], 10, 64)
		if err != nil {
			return s, fmt.Errorf("malformed case state %q", p)
		}
		if us != 0 {
			*dst = time.UnixMicro(us).UTC()
		}
		p = p[i+1:]
	}
	status, rest, ok1 := strings.Cut(p, ",")
	priority, resolution, ok2 := strings.Cut(rest, ",")
	if !ok1 || !ok2 {
		return s, fmt.Errorf("malformed case state %q", p)
	}
	s.Status, s.Priority, s.Resolution = tldguard.CaseStatus(status), tldguard.Priority(priority), resolution
	return s, nil
}

// StatsCases streams the period's case records from two cursors on the one
// read transaction, the cases and their states, merged by case id: each
// row is read once, and no case column is repeated per state. Zero times
// (0) are left out as PostgreSQL's NULLs are: a case without an opening
// time, a state without a time, a finding never seen.
func (t *tx) StatsCases(f tldguard.StatsFilter, fn func(*tldguard.StatsCase) error) error {
	args := []any{micros(f.From), micros(f.To), f.TLD}
	cases, err := t.query(statsCasesSQL, args...)
	if err != nil {
		return dbError(err, "statistics records")
	}
	defer cases.Close()
	states, err := t.query(statsStatesSQL, args...)
	if err != nil {
		return dbError(err, "statistics records")
	}
	defer states.Close()
	var (
		stateCase int64 // the case of the state read ahead; 0 when none is
		state     tldguard.CaseState
		more      = true
	)
	next := func() error {
		if !more || !states.Next() {
			more, stateCase = false, 0
			return dbError(states.Err(), "statistics records")
		}
		var packed string
		if err := states.Scan(&stateCase, &packed); err != nil {
			return dbError(err, "statistics record")
		}
		var err error
		if state, err = unpackState(packed); err != nil {
			return tldguard.Internal(err, "statistics record")
		}
		return nil
	}
	if err := next(); err != nil {
		return err
	}
	c := new(tldguard.StatsCase) // reused: fn may not keep it
	for cases.Next() {
		c.History = c.History[:0]
		c.FindingAt = time.Time{}
		err := cases.Scan(&c.CaseID, &c.Domain, &c.TLD, &c.ThreatType, &c.Registered, &c.RegistrarID, &c.RegistrarName,
			timeCol{&c.OpenedAt}, &c.ReportSource, &c.Category, &c.FindingFeed, timeCol{&c.FindingAt})
		if err != nil {
			return dbError(err, "statistics record")
		}
		for more && stateCase < c.CaseID { // states of a case not selected: cannot happen, skip
			if err := next(); err != nil {
				return err
			}
		}
		for more && stateCase == c.CaseID {
			c.History = append(c.History, state)
			if err := next(); err != nil {
				return err
			}
		}
		if len(c.History) == 0 {
			continue // no state before the period's end, as the join would have it
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return dbError(cases.Err(), "statistics records")
}

// InsertStatsSnapshot stores s and sets s.ID; ECONFLICT when (period, tld)
// is taken, ENOTFOUND when its event is missing.
func (t *tx) InsertStatsSnapshot(s *tldguard.StatsSnapshot) error {
	id, err := t.insert("statistics snapshot", `INSERT INTO stats_snapshots (period, tld, period_from, period_to,
			created_at, keep_until, report, sha256, event_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Period, s.TLD, micros(s.From), micros(s.To), micros(s.CreatedAt), micros(s.KeepUntil), blob(s.Report),
		blob(s.SHA256), s.EventSeq)
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

const snapshotColumns = "id, period, tld, period_from, period_to, created_at, keep_until, sha256, event_seq"

func scanSnapshot(row interface{ Scan(...any) error }, extra ...any) (*tldguard.StatsSnapshot, error) {
	s := new(tldguard.StatsSnapshot)
	err := row.Scan(append([]any{&s.ID, &s.Period, &s.TLD, timeCol{&s.From}, timeCol{&s.To}, timeCol{&s.CreatedAt},
		timeCol{&s.KeepUntil}, &s.SHA256, &s.EventSeq}, extra...)...)
	return s, err
}

// StatsSnapshot returns the snapshot for (period, tld) with its report.
func (t *tx) StatsSnapshot(period, tld string) (*tldguard.StatsSnapshot, error) {
	var report []byte
	s, err := scanSnapshot(t.queryRow("SELECT "+snapshotColumns+", report FROM stats_snapshots WHERE period = ? AND tld = ?",
		period, tld), &report)
	if err != nil {
		return nil, dbError(err, "statistics snapshot")
	}
	s.Report = report
	return s, nil
}

// ListStatsSnapshots returns every snapshot without its report, by period
// start then TLD.
func (t *tx) ListStatsSnapshots() ([]*tldguard.StatsSnapshot, error) {
	rows, err := t.query("SELECT " + snapshotColumns + " FROM stats_snapshots ORDER BY period_from, tld, id")
	if err != nil {
		return nil, dbError(err, "statistics snapshots")
	}
	defer rows.Close()
	var out []*tldguard.StatsSnapshot
	for rows.Next() {
		s, err := scanSnapshot(rows)
		if err != nil {
			return nil, dbError(err, "statistics snapshot")
		}
		out = append(out, s)
	}
	return out, dbError(rows.Err(), "statistics snapshots")
}

// CountReportsAfter counts the reports above afterID by source and threat:
// a range of the rowid, so a scrape reads only what came in since the last.
func (t *tx) CountReportsAfter(afterID int64) ([]tldguard.ReportCount, int64, error) {
	rows, err := t.query(`SELECT source, threat_type, count(*), max(id) FROM reports WHERE id > ?
		GROUP BY source, threat_type ORDER BY source, threat_type`, afterID)
	if err != nil {
		return nil, afterID, dbError(err, "report counts")
	}
	defer rows.Close()
	var out []tldguard.ReportCount
	last := afterID
	for rows.Next() {
		var c tldguard.ReportCount
		var maxID int64
		if err := rows.Scan(&c.Source, &c.ThreatType, &c.Count, &maxID); err != nil {
			return nil, afterID, dbError(err, "report counts")
		}
		out = append(out, c)
		last = max(last, maxID)
	}
	return out, last, dbError(rows.Err(), "report counts")
}

// CountOpenCases counts the working queue by priority and status; the
// literal 'closed' lets SQLite read cases_status_due's open ranges.
func (t *tx) CountOpenCases() ([]tldguard.OpenCaseCount, error) {
	rows, err := t.query(`SELECT priority, status, count(*) FROM cases WHERE status <> 'closed'
		GROUP BY priority, status ORDER BY priority, status`)
	if err != nil {
		return nil, dbError(err, "open case counts")
	}
	defer rows.Close()
	var out []tldguard.OpenCaseCount
	for rows.Next() {
		var c tldguard.OpenCaseCount
		if err := rows.Scan(&c.Priority, &c.Status, &c.Count); err != nil {
			return nil, dbError(err, "open case counts")
		}
		out = append(out, c)
	}
	return out, dbError(rows.Err(), "open case counts")
}

// CountClocks counts the open cases still owed a response whose deadline
// is before now (missed) or in [now, warn) (near end). A zero deadline's
// due_key is the largest value, so it counts in neither.
func (t *tx) CountClocks(now, warn time.Time) (tldguard.ClockCounts, error) {
	var c tldguard.ClockCounts
	err := t.queryRow(`SELECT coalesce(sum(due_key < ?1), 0), coalesce(sum(due_key >= ?1 AND due_key < ?2), 0)
		FROM cases WHERE status <> 'closed' AND responded_at = 0 AND due_key < max(?1, ?2)`,
		micros(now), micros(warn)).Scan(&c.Missed, &c.NearEnd)
	return c, dbError(err, "clock counts")
}
