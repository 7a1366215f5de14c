package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const jobColumns = `id, kind, ref, state, run_at, attempts, max_attempts, last_error, locked_by, locked_until,
	created_at, updated_at`

func scanJob(row pgx.Row) (*tldguard.Job, error) {
	j := new(tldguard.Job)
	err := row.Scan(&j.ID, &j.Kind, &j.Ref, &j.State, scanTime(&j.RunAt), &j.Attempts, &j.MaxAttempts, &j.LastError,
		&j.LockedBy, scanTime(&j.LockedUntil), scanTime(&j.CreatedAt), scanTime(&j.UpdatedAt))
	return j, err
}

// EnqueueJob stores j and sets j.ID; a job without a state is stored (and
// left) queued.
func (t *tx) EnqueueJob(j *tldguard.Job) error {
	if j.State == "" {
		t.onUndo(func() { j.State = "" })
		j.State = tldguard.JobQueued
	}
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO jobs (kind, ref, state, run_at, attempts, max_attempts, last_error, locked_by, locked_until,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		j.Kind, j.Ref, j.State, ts(j.RunAt), j.Attempts, j.MaxAttempts, j.LastError, j.LockedBy,
		ts(j.LockedUntil), ts(j.CreatedAt), ts(j.UpdatedAt)).Scan(&id)
	if err != nil {
		return t.fail(err, "job")
	}
	t.setID(&j.ID, id)
	return nil
}

// ClaimJobs marks up to limit jobs (all for a limit <= 0) as running by
// worker until lockUntil, with UpdatedAt now, and returns them earliest
// RunAt first (then by id): queued jobs with RunAt <= now and running jobs
// whose claim ended at or before now. A job without a RunAt is due at once
// but sorts last, as zero times do in every order; a running job without a
// LockedUntil has no claim to respect.
//
// FOR UPDATE SKIP LOCKED makes concurrent claimers on any node pass over
// the rows another has just chosen instead of waiting for them; a row that
// another claimer changed and committed meanwhile is checked again against
// the WHERE (READ COMMITTED re-reads it), so it is not claimed twice.
func (t *tx) ClaimJobs(worker string, now, lockUntil time.Time, limit int) ([]*tldguard.Job, error) {
	var n any // NULL: no limit
	if limit > 0 {
		n = limit
	}
	rows, _ := t.tx.Query(t.ctx, `
		WITH due AS MATERIALIZED (
			SELECT id FROM jobs
			WHERE (state = 'queued' AND (run_at IS NULL OR run_at <= $1))
				OR (state = 'running' AND (locked_until IS NULL OR locked_until <= $1))
			ORDER BY run_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE jobs SET state = 'running', locked_by = $2, locked_until = $3, updated_at = $1
			FROM due WHERE jobs.id = due.id
			RETURNING jobs.*
		)
		SELECT `+jobColumns+` FROM claimed ORDER BY run_at, id`,
		ts(now), worker, ts(lockUntil), n)
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Job, error) { return scanJob(r) })
	return emptyNil(jobs), t.fail(err, "job")
}

// UpdateJob writes State, RunAt, Attempts, LastError, LockedBy, LockedUntil
// and UpdatedAt; ENOTFOUND for an unknown id.
func (t *tx) UpdateJob(j *tldguard.Job) error {
	tag, err := t.exec("job", `
		UPDATE jobs SET state = $2, run_at = $3, attempts = $4, last_error = $5, locked_by = $6,
			locked_until = $7, updated_at = $8
		WHERE id = $1`,
		j.ID, j.State, ts(j.RunAt), j.Attempts, j.LastError, j.LockedBy, ts(j.LockedUntil), ts(j.UpdatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("job")
	}
	return err
}

func (t *tx) JobByID(id int64) (*tldguard.Job, error) {
	j, err := scanJob(t.tx.QueryRow(t.ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "job")
	}
	return j, nil
}

// CountJobs counts the jobs in state, or all jobs for "".
func (t *tx) CountJobs(state tldguard.JobState) (int64, error) {
	var n int64
	var err error
	if state == "" {
		err = t.tx.QueryRow(t.ctx, `SELECT count(*) FROM jobs`).Scan(&n)
	} else {
		err = t.tx.QueryRow(t.ctx, `SELECT count(*) FROM jobs WHERE state = $1`, string(state)).Scan(&n)
	}
	return n, t.fail(err, "job")
}
