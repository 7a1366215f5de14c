package sqlite

import (
	"cmp"
	"slices"
	"time"

	"github.com/tldguard/tldguard"
)

const jobColumns = `id, kind, ref, state, run_at, attempts, max_attempts, last_error, locked_by, locked_until,
	created_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (*tldguard.Job, error) {
	j := new(tldguard.Job)
	err := row.Scan(&j.ID, &j.Kind, &j.Ref, &j.State, timeCol{&j.RunAt}, &j.Attempts, &j.MaxAttempts, &j.LastError,
		&j.LockedBy, timeCol{&j.LockedUntil}, timeCol{&j.CreatedAt}, timeCol{&j.UpdatedAt})
	return j, err
}

// EnqueueJob stores j and sets j.ID; a job without a state is stored (and
// left) queued.
func (t *tx) EnqueueJob(j *tldguard.Job) error {
	state := j.State
	if state == "" {
		state = tldguard.JobQueued
	}
	id, err := t.insert("job", `INSERT INTO jobs (kind, ref, state, run_at, attempts, max_attempts, last_error,
			locked_by, locked_until, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.Kind, j.Ref, state, micros(j.RunAt), j.Attempts, j.MaxAttempts, j.LastError, j.LockedBy,
		micros(j.LockedUntil), micros(j.CreatedAt), micros(j.UpdatedAt))
	if err != nil {
		return err
	}
	j.ID, j.State = id, state
	return nil
}

// ClaimJobs marks up to limit jobs (all when it is not positive) as running
// by worker until lockUntil, with UpdatedAt now, and returns them earliest
// RunAt first (then by id): queued jobs with RunAt <= now and running jobs
// whose claim ended at or before now. A zero RunAt is due at once but sorts
// last, as zero times do in every order; a running job with a zero
// LockedUntil has no claim to respect. The writer's IMMEDIATE transaction
// keeps other processes out between the choice and the update.
func (t *tx) ClaimJobs(worker string, now, lockUntil time.Time, limitN int) ([]*tldguard.Job, error) {
	rows, err := t.query(`UPDATE jobs SET state = 'running', locked_by = ?1, locked_until = ?2, updated_at = ?3
		WHERE id IN (SELECT id FROM jobs
			WHERE (state = 'queued' AND run_at <= ?3) OR (state = 'running' AND locked_until <= ?3)
			ORDER BY run_at = 0, run_at, id LIMIT ?4)
		RETURNING `+jobColumns,
		worker, micros(lockUntil), micros(now), limit(limitN))
	if err != nil {
		return nil, dbError(err, "jobs")
	}
	defer rows.Close()
	var out []*tldguard.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, dbError(err, "job")
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "jobs")
	}
	slices.SortFunc(out, claimOrder) // RETURNING gives none
	return out, nil
}

// claimOrder is ClaimJobs' order: by RunAt with the zero time last, then by id.
func claimOrder(a, b *tldguard.Job) int {
	if az, bz := a.RunAt.IsZero(), b.RunAt.IsZero(); az != bz {
		if az {
			return 1
		}
		return -1
	}
	return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
}

// UpdateJob writes State, RunAt, Attempts, LastError, LockedBy, LockedUntil
// and UpdatedAt; ENOTFOUND when there is no job j.ID.
func (t *tx) UpdateJob(j *tldguard.Job) error {
	return t.update("job", `UPDATE jobs SET state = ?, run_at = ?, attempts = ?, last_error = ?, locked_by = ?,
			locked_until = ?, updated_at = ?
		WHERE id = ?`,
		j.State, micros(j.RunAt), j.Attempts, j.LastError, j.LockedBy, micros(j.LockedUntil), micros(j.UpdatedAt),
		j.ID)
}

func (t *tx) JobByID(id int64) (*tldguard.Job, error) {
	j, err := scanJob(t.queryRow("SELECT "+jobColumns+" FROM jobs WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "job")
	}
	return j, nil
}

// CountJobs counts the jobs in state, or all jobs for "".
func (t *tx) CountJobs(state tldguard.JobState) (int64, error) {
	var n int64
	var err error
	if state == "" {
		err = t.queryRow("SELECT count(*) FROM jobs").Scan(&n)
	} else {
		err = t.queryRow("SELECT count(*) FROM jobs WHERE state = ?", state).Scan(&n)
	}
	return n, dbError(err, "jobs")
}
