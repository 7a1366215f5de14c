package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const reporterColumns = `id, name, source, email, registrar_id,
	verified, verified_by, verified_at, verified_how, disabled, created_at`

func scanReporter(row pgx.Row) (*tldguard.Reporter, error) {
	r := new(tldguard.Reporter)
	var verified bool
	var v tldguard.Verification
	err := row.Scan(&r.ID, &r.Name, &r.Source, &r.Email, &r.RegistrarID,
		&verified, &v.By, scanTime(&v.At), &v.How, &r.Disabled, scanTime(&r.CreatedAt))
	if verified {
		r.Verification = &v
	}
	return r, err
}

// verification flattens the optional out-of-band check into its columns.
func verification(r *tldguard.Reporter) (ok bool, by string, at any, how string) {
	if v := r.Verification; v != nil {
		return true, v.By, ts(v.At), v.How
	}
	return false, "", nil, ""
}

// CreateReporter stores r and sets r.ID; ECONFLICT when the name is taken.
func (t *tx) CreateReporter(r *tldguard.Reporter) error {
	ok, by, at, how := verification(r)
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO reporters (name, source, email, registrar_id,
			verified, verified_by, verified_at, verified_how, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT DO NOTHING RETURNING id`,
		r.Name, r.Source, r.Email, r.RegistrarID, ok, by, at, how, r.Disabled, ts(r.CreatedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("a reporter named %q exists", r.Name)
	}
	if err != nil {
		return t.fail(err, "reporter")
	}
	t.setID(&r.ID, id)
	return nil
}

func (t *tx) ReporterByID(id int64) (*tldguard.Reporter, error) {
	r, err := scanReporter(t.tx.QueryRow(t.ctx, `SELECT `+reporterColumns+` FROM reporters WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "reporter")
	}
	return r, nil
}

// ReporterByName returns the reporter account with exactly that name;
// ENOTFOUND when there is none.
func (t *tx) ReporterByName(name string) (*tldguard.Reporter, error) {
	r, err := scanReporter(t.tx.QueryRow(t.ctx, `SELECT `+reporterColumns+` FROM reporters WHERE name = $1`, name))
	if err != nil {
		return nil, t.fail(err, "reporter")
	}
	return r, nil
}

// ListReporters returns every reporter in id order.
func (t *tx) ListReporters() ([]*tldguard.Reporter, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+reporterColumns+` FROM reporters ORDER BY id`)
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Reporter, error) { return scanReporter(r) })
	return emptyNil(rs), t.fail(err, "reporter")
}

// UpdateReporter writes everything but the id and creation time. ENOTFOUND
// for an unknown id, ECONFLICT when the new name is another reporter's.
func (t *tx) UpdateReporter(r *tldguard.Reporter) error {
	ok, by, at, how := verification(r)
	tag, err := t.exec("reporter", `
		UPDATE reporters SET name = $2, source = $3, email = $4, registrar_id = $5,
			verified = $6, verified_by = $7, verified_at = $8, verified_how = $9, disabled = $10
		WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM reporters o WHERE o.name = $2 AND o.id <> $1)`,
		r.ID, r.Name, r.Source, r.Email, r.RegistrarID, ok, by, at, how, r.Disabled)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := t.ReporterByID(r.ID); err != nil {
		return err
	}
	return conflict("a reporter named %q exists", r.Name)
}
