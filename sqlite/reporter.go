package sqlite

import (
	"github.com/tldguard/tldguard"
)

const reporterColumns = `id, name, source, email, registrar_id, verified, verified_by, verified_at, verified_how,
	disabled, created_at`

func scanReporter(row interface{ Scan(...any) error }) (*tldguard.Reporter, error) {
	r := new(tldguard.Reporter)
	var verified bool
	var v tldguard.Verification
	err := row.Scan(&r.ID, &r.Name, &r.Source, &r.Email, &r.RegistrarID, &verified, &v.By, timeCol{&v.At}, &v.How,
		&r.Disabled, timeCol{&r.CreatedAt})
	if verified {
		r.Verification = &v
	}
	return r, err
}

// verification flattens r.Verification into its columns.
func verification(r *tldguard.Reporter) (verified bool, by string, at int64, how string) {
	if v := r.Verification; v != nil {
		return true, v.By, micros(v.At), v.How
	}
	return false, "", 0, ""
}

// CreateReporter stores r and sets r.ID; ECONFLICT when the name is taken.
func (t *tx) CreateReporter(r *tldguard.Reporter) error {
	verified, by, at, how := verification(r)
	id, err := t.insert("reporter", `INSERT INTO reporters (name, source, email, registrar_id, verified, verified_by,
			verified_at, verified_how, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Name, r.Source, r.Email, r.RegistrarID, verified, by, at, how, r.Disabled, micros(r.CreatedAt))
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

func (t *tx) ReporterByID(id int64) (*tldguard.Reporter, error) {
	r, err := scanReporter(t.queryRow("SELECT "+reporterColumns+" FROM reporters WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "reporter")
	}
	return r, nil
}

// ReporterByName returns the reporter account with exactly that name (the
// comparison is by bytes, case-sensitive); ENOTFOUND when there is none.
func (t *tx) ReporterByName(name string) (*tldguard.Reporter, error) {
	r, err := scanReporter(t.queryRow("SELECT "+reporterColumns+" FROM reporters WHERE name = ?", name))
	if err != nil {
		return nil, dbError(err, "reporter")
	}
	return r, nil
}

// ListReporters returns every reporter in id order.
func (t *tx) ListReporters() ([]*tldguard.Reporter, error) {
	rows, err := t.query("SELECT " + reporterColumns + " FROM reporters ORDER BY id")
	if err != nil {
		return nil, dbError(err, "reporters")
	}
	defer rows.Close()
	var out []*tldguard.Reporter
	for rows.Next() {
		r, err := scanReporter(rows)
		if err != nil {
			return nil, dbError(err, "reporter")
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err(), "reporters")
}

// UpdateReporter writes every field but ID and CreatedAt. ENOTFOUND for a
// missing reporter, ECONFLICT for a taken name.
func (t *tx) UpdateReporter(r *tldguard.Reporter) error {
	verified, by, at, how := verification(r)
	return t.update("reporter", `UPDATE reporters SET name = ?, source = ?, email = ?, registrar_id = ?, verified = ?,
			verified_by = ?, verified_at = ?, verified_how = ?, disabled = ?
		WHERE id = ?`,
		r.Name, r.Source, r.Email, r.RegistrarID, verified, by, at, how, r.Disabled, r.ID)
}
