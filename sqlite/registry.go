package sqlite

import (
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// AddTLD records a TLD the operator runs; ECONFLICT when present.
func (t *tx) AddTLD(name string, at time.Time) error {
	_, err := t.exec("INSERT INTO tlds (name, added_at) VALUES (?, ?)", name, micros(at))
	return dbError(err, "TLD")
}

// TLDs returns the TLDs sorted by name.
func (t *tx) TLDs() ([]string, error) {
	rows, err := t.query("SELECT name FROM tlds ORDER BY name")
	if err != nil {
		return nil, dbError(err, "TLDs")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, dbError(err, "TLD")
		}
		out = append(out, name)
	}
	return out, dbError(rows.Err(), "TLDs")
}

// PutRegistrar inserts r or replaces the registrar with its id.
func (t *tx) PutRegistrar(r *tldguard.Registrar) error {
	_, err := t.exec(`INSERT INTO registrars (id, name, abuse_email, abuse_phone) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, abuse_email = excluded.abuse_email,
			abuse_phone = excluded.abuse_phone`,
		r.ID, r.Name, r.AbuseEmail, r.AbusePhone)
	return dbError(err, "registrar")
}

const registrarColumns = "id, name, abuse_email, abuse_phone"

func scanRegistrar(row interface{ Scan(...any) error }) (*tldguard.Registrar, error) {
	r := new(tldguard.Registrar)
	return r, row.Scan(&r.ID, &r.Name, &r.AbuseEmail, &r.AbusePhone)
}

func (t *tx) Registrar(id string) (*tldguard.Registrar, error) {
	r, err := scanRegistrar(t.queryRow("SELECT "+registrarColumns+" FROM registrars WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "registrar")
	}
	return r, nil
}

// ListRegistrars returns every registrar in id order.
func (t *tx) ListRegistrars() ([]*tldguard.Registrar, error) {
	rows, err := t.query("SELECT " + registrarColumns + " FROM registrars ORDER BY id")
	if err != nil {
		return nil, dbError(err, "registrars")
	}
	defer rows.Close()
	var out []*tldguard.Registrar
	for rows.Next() {
		r, err := scanRegistrar(rows)
		if err != nil {
			return nil, dbError(err, "registrar")
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err(), "registrars")
}

// PutRegistration inserts r or replaces the registration of its name.
func (t *tx) PutRegistration(r *tldguard.Registration) error {
	_, err := t.exec(`INSERT INTO registrations (name, tld, registrar_id, registrar_name, statuses, name_servers,
			created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET tld = excluded.tld, registrar_id = excluded.registrar_id,
			registrar_name = excluded.registrar_name, statuses = excluded.statuses,
			name_servers = excluded.name_servers, created_at = excluded.created_at, updated_at = excluded.updated_at`,
		r.Name, r.TLD, r.RegistrarID, r.RegistrarName, jsonList(r.Statuses), jsonList(r.NameServers),
		micros(r.CreatedAt), micros(r.UpdatedAt))
	return dbError(err, "registration")
}

// Registration returns the registration of name; ENOTFOUND when the name
// is not registered.
func (t *tx) Registration(name string) (*tldguard.Registration, error) {
	r := new(tldguard.Registration)
	err := t.queryRow(`SELECT name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at
		FROM registrations WHERE name = ?`, name).Scan(
		&r.Name, &r.TLD, &r.RegistrarID, &r.RegistrarName, listCol{&r.Statuses}, listCol{&r.NameServers},
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	if err != nil {
		return nil, dbError(err, "registration")
	}
	return r, nil
}

// CountRegistrations counts the registrations in tld, or in all TLDs for "".
func (t *tx) CountRegistrations(tld string) (int64, error) {
	var n int64
	var err error
	if tld == "" {
		err = t.queryRow("SELECT count(*) FROM registrations").Scan(&n)
	} else {
		err = t.queryRow("SELECT count(*) FROM registrations WHERE tld = ?", tld).Scan(&n)
	}
	return n, dbError(err, "registrations")
}

// HeldNames returns the names on hold. Statuses are a JSON array of quoted
// EPP statuses, so a quoted match cannot hit a longer status name.
func (t *tx) HeldNames() ([]string, error) {
	rows, err := t.query(`SELECT name FROM registrations
		WHERE statuses LIKE '%"serverHold"%' OR statuses LIKE '%"clientHold"%' ORDER BY name`)
	if err != nil {
		return nil, dbError(err, "held names")
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, dbError(err, "held names")
		}
		names = append(names, n)
	}
	return names, dbError(rows.Err(), "held names")
}

// ListRegistrations pages through registrations in name order.
func (t *tx) ListRegistrations(tld, after string, limit int) ([]*tldguard.Registration, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := t.query(`SELECT name, tld, registrar_id, registrar_name, statuses, name_servers, created_at, updated_at
		FROM registrations WHERE (? = '' OR tld = ?) AND name > ? ORDER BY name LIMIT ?`, tld, tld, after, limit)
	if err != nil {
		return nil, dbError(err, "registrations")
	}
	defer rows.Close()
	var out []*tldguard.Registration
	for rows.Next() {
		r := new(tldguard.Registration)
		if err := rows.Scan(&r.Name, &r.TLD, &r.RegistrarID, &r.RegistrarName, listCol{&r.Statuses}, listCol{&r.NameServers},
			timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}); err != nil {
			return nil, dbError(err, "registrations")
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err(), "registrations")
}

// CountDependents counts registrations whose name servers are under domain.
// Name servers are a JSON array of quoted names, so `."domain"` anchors the
// match at a label boundary and the closing quote at the end of the name.
func (t *tx) CountDependents(domain string) (int64, error) {
	var n int64
	err := t.queryRow(`SELECT count(*) FROM registrations WHERE name <> ? AND name_servers LIKE ? ESCAPE '\'`,
		domain, `%.`+likeEscape(domain)+`"%`).Scan(&n)
	return n, dbError(err, "dependents")
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
