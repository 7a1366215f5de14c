package sqlite

import (
	"time"

	"github.com/tldguard/tldguard"
)

const userColumns = "id, email, name, role, password_hash, disabled, created_at"

func scanUser(row interface{ Scan(...any) error }) (*tldguard.User, error) {
	u := new(tldguard.User)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, timeCol{&u.CreatedAt})
	return u, err
}

// CreateUser stores u and sets u.ID; ECONFLICT when the e-mail is taken.
func (t *tx) CreateUser(u *tldguard.User) error {
	id, err := t.insert("user", `INSERT INTO users (email, name, role, password_hash, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		u.Email, u.Name, u.Role, u.PasswordHash, u.Disabled, micros(u.CreatedAt))
	if err != nil {
		return err
	}
	u.ID = id
	return nil
}

func (t *tx) UserByID(id int64) (*tldguard.User, error) {
	u, err := scanUser(t.queryRow("SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if err != nil {
		return nil, dbError(err, "user")
	}
	return u, nil
}

func (t *tx) UserByEmail(email string) (*tldguard.User, error) {
	u, err := scanUser(t.queryRow("SELECT "+userColumns+" FROM users WHERE email = ?", email))
	if err != nil {
		return nil, dbError(err, "user")
	}
	return u, nil
}

// ListUsers returns every user in id order.
func (t *tx) ListUsers() ([]*tldguard.User, error) {
	rows, err := t.query("SELECT " + userColumns + " FROM users ORDER BY id")
	if err != nil {
		return nil, dbError(err, "users")
	}
	defer rows.Close()
	var out []*tldguard.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, dbError(err, "user")
		}
		out = append(out, u)
	}
	return out, dbError(rows.Err(), "users")
}

// UpdateUser writes every field but ID and CreatedAt. ENOTFOUND for a
// missing user, ECONFLICT for a taken e-mail.
func (t *tx) UpdateUser(u *tldguard.User) error {
	return t.update("user", `UPDATE users SET email = ?, name = ?, role = ?, password_hash = ?, disabled = ?
		WHERE id = ?`, u.Email, u.Name, u.Role, u.PasswordHash, u.Disabled, u.ID)
}

const tokenColumns = "id, hash, prefix, user_id, reporter_id, label, created_at, revoked_at"

// CreateToken stores tk and sets tk.ID.
func (t *tx) CreateToken(tk *tldguard.Token) error {
	id, err := t.insert("token", `INSERT INTO tokens (hash, prefix, user_id, reporter_id, label, created_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tk.Hash, tk.Prefix, nullID(tk.UserID), nullID(tk.ReporterID), tk.Label, micros(tk.CreatedAt), micros(tk.RevokedAt))
	if err != nil {
		return err
	}
	tk.ID = id
	return nil
}

// TokenByHash returns the token, revoked or not; ENOTFOUND when unknown.
func (t *tx) TokenByHash(hash []byte) (*tldguard.Token, error) {
	tk := new(tldguard.Token)
	err := t.queryRow("SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", hash).Scan(
		&tk.ID, &tk.Hash, &tk.Prefix, idCol{&tk.UserID}, idCol{&tk.ReporterID}, &tk.Label,
		timeCol{&tk.CreatedAt}, timeCol{&tk.RevokedAt})
	if err != nil {
		return nil, dbError(err, "token")
	}
	return tk, nil
}

func (t *tx) RevokeToken(id int64, at time.Time) error {
	return t.update("token", "UPDATE tokens SET revoked_at = ? WHERE id = ?", micros(at), id)
}

// CreateSession stores s and sets s.ID.
func (t *tx) CreateSession(s *tldguard.Session) error {
	id, err := t.insert("session", "INSERT INTO sessions (hash, user_id, reporter_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		s.Hash, nullID(s.UserID), nullID(s.ReporterID), micros(s.CreatedAt), micros(s.ExpiresAt))
	if err != nil {
		return err
	}
	s.ID = id
	return nil
}

func (t *tx) SessionByHash(hash []byte) (*tldguard.Session, error) {
	s := new(tldguard.Session)
	err := t.queryRow(`SELECT id, hash, coalesce(user_id, 0), coalesce(reporter_id, 0), created_at, expires_at
		FROM sessions WHERE hash = ?`, hash).Scan(
		&s.ID, &s.Hash, &s.UserID, &s.ReporterID, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt})
	if err != nil {
		return nil, dbError(err, "session")
	}
	return s, nil
}

// DeleteSession deletes one session; ENOTFOUND when it is gone already.
func (t *tx) DeleteSession(id int64) error {
	return t.update("session", "DELETE FROM sessions WHERE id = ?", id)
}

// DeleteUserSessions deletes all of a user's sessions (none is no error).
func (t *tx) DeleteUserSessions(userID int64) error {
	_, err := t.exec("DELETE FROM sessions WHERE user_id = ?", userID)
	return dbError(err, "sessions")
}
