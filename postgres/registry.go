package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

// AddTLD records one of the operator's TLDs; ECONFLICT when present.
func (t *tx) AddTLD(name string, at time.Time) error {
	tag, err := t.exec("TLD", `INSERT INTO tlds (name, added_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, ts(at))
	if err == nil && tag.RowsAffected() == 0 {
		return conflict("the TLD %q is already there", name)
	}
	return err
}

// TLDs returns the operator's TLDs in byte order.
func (t *tx) TLDs() ([]string, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT name FROM tlds ORDER BY name`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return emptyNil(names), t.fail(err, "TLD")
}

// PutRegistrar inserts r or replaces the registrar with its id.
func (t *tx) PutRegistrar(r *tldguard.Registrar) error {
	_, err := t.exec("registrar", `
		INSERT INTO registrars (id, name, abuse_email, abuse_phone) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name,
			abuse_email = excluded.abuse_email, abuse_phone = excluded.abuse_phone`,
		r.ID, r.Name, r.AbuseEmail, r.AbusePhone)
	return err
}

const registrarColumns = `id, name, abuse_email, abuse_phone`

func scanRegistrar(row pgx.Row) (*tldguard.Registrar, error) {
	r := new(tldguard.Registrar)
	err := row.Scan(&r.ID, &r.Name, &r.AbuseEmail, &r.AbusePhone)
	return r, err
}

func (t *tx) Registrar(id string) (*tldguard.Registrar, error) {
	r, err := scanRegistrar(t.tx.QueryRow(t.ctx, `SELECT `+registrarColumns+` FROM registrars WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "registrar")
	}
	return r, nil
}

// ListRegistrars returns every registrar in id (byte) order.
func (t *tx) ListRegistrars() ([]*tldguard.Registrar, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+registrarColumns+` FROM registrars ORDER BY id`)
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.Registrar, error) { return scanRegistrar(r) })
	return emptyNil(rs), t.fail(err, "registrar")
}

// PutRegistration inserts r or replaces the registration with its name.
func (t *tx) PutRegistration(r *tldguard.Registration) error {
	_, err := t.exec("registration", `
		INSERT INTO registrations (name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET tld = excluded.tld,
			registrar_id = excluded.registrar_id, registrar_name = excluded.registrar_name,
			statuses = excluded.statuses, name_servers = excluded.name_servers,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		r.Name, r.TLD, r.RegistrarID, r.RegistrarName, r.Statuses, r.NameServers, ts(r.CreatedAt), ts(r.UpdatedAt))
	return err
}

func (t *tx) Registration(name string) (*tldguard.Registration, error) {
	r := new(tldguard.Registration)
	err := t.tx.QueryRow(t.ctx, `
		SELECT name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at
		FROM registrations WHERE name = $1`, name).Scan(
		&r.Name, &r.TLD, &r.RegistrarID, &r.RegistrarName, &r.Statuses, &r.NameServers,
		scanTime(&r.CreatedAt), scanTime(&r.UpdatedAt))
	if err != nil {
		return nil, t.fail(err, "registration")
	}
	return r, nil
}

// CountRegistrations counts the registrations in tld, or in all TLDs for "".
func (t *tx) CountRegistrations(tld string) (int64, error) {
	var n int64
	var err error
	if tld == "" {
		err = t.tx.QueryRow(t.ctx, `SELECT count(*) FROM registrations`).Scan(&n)
	} else {
		err = t.tx.QueryRow(t.ctx, `SELECT count(*) FROM registrations WHERE tld = $1`, tld).Scan(&n)
	}
	return n, t.fail(err, "registration")
}

// HeldNames returns the names on hold.
func (t *tx) HeldNames() ([]string, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT name FROM registrations
		WHERE statuses && ARRAY['serverHold', 'clientHold']::text[] ORDER BY name`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return emptyNil(names), t.fail(err, "held names")
}

// ListRegistrations pages through registrations in name order.
func (t *tx) ListRegistrations(tld, after string, limit int) ([]*tldguard.Registration, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, _ := t.tx.Query(t.ctx, `
		SELECT name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at
		FROM registrations WHERE ($1 = '' OR tld = $1) AND name > $2 ORDER BY name LIMIT $3`, tld, after, lim)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tldguard.Registration, error) {
		r := new(tldguard.Registration)
		err := row.Scan(&r.Name, &r.TLD, &r.RegistrarID, &r.RegistrarName, &r.Statuses, &r.NameServers,
			scanTime(&r.CreatedAt), scanTime(&r.UpdatedAt))
		return r, err
	})
	return emptyNil(out), t.fail(err, "registrations")
}

// CountDependents counts registrations whose name servers are under domain.
func (t *tx) CountDependents(domain string) (int64, error) {
	var n int64
	err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM registrations
		WHERE name <> $1 AND EXISTS (SELECT 1 FROM unnest(name_servers) ns WHERE right(ns, length($1) + 1) = '.' || $1)`, domain).Scan(&n)
	return n, t.fail(err, "dependents")
}
