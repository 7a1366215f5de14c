package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const userColumns = `id, email, name, role, password_hash, disabled, created_at`

func scanUser(row pgx.Row) (*tldguard.User, error) {
	u := new(tldguard.User)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, scanTime(&u.CreatedAt))
	return u, err
}

// CreateUser stores u and sets u.ID; ECONFLICT when the e-mail is taken.
// ON CONFLICT keeps the transaction usable after the clash.
func (t *tx) CreateUser(u *tldguard.User) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO users (email, name, role, password_hash, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING RETURNING id`,
		u.Email, u.Name, u.Role, u.PasswordHash, u.Disabled, ts(u.CreatedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("a user with the e-mail %q exists", u.Email)
	}
	if err != nil {
		return t.fail(err, "user")
	}
	t.setID(&u.ID, id)
	return nil
}

func (t *tx) UserByID(id int64) (*tldguard.User, error) {
	u, err := scanUser(t.tx.QueryRow(t.ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, t.fail(err, "user")
	}
	return u, nil
}

func (t *tx) UserByEmail(email string) (*tldguard.User, error) {
	u, err := scanUser(t.tx.QueryRow(t.ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	if err != nil {
		return nil, t.fail(err, "user")
	}
	return u, nil
}

// ListUsers returns every user in id order.
func (t *tx) ListUsers() ([]*tldguard.User, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*tldguard.User, error) { return scanUser(r) })
	return emptyNil(users), t.fail(err, "user")
}

// UpdateUser writes everything but the id and creation time. ENOTFOUND for an
// unknown id, ECONFLICT when the new e-mail is another user's.
func (t *tx) UpdateUser(u *tldguard.User) error {
	tag, err := t.exec("user", `
		UPDATE users SET email = $2, name = $3, role = $4, password_hash = $5, disabled = $6
		WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = $2 AND o.id <> $1)`,
		u.ID, u.Email, u.Name, u.Role, u.PasswordHash, u.Disabled)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := t.UserByID(u.ID); err != nil {
		return err
	}
	return conflict("a user with the e-mail %q exists", u.Email)
}

const tokenColumns = `id, hash, prefix, coalesce(user_id, 0), coalesce(reporter_id, 0), label, created_at, revoked_at`

// CreateToken stores tk and sets tk.ID; ECONFLICT when the hash is taken.
func (t *tx) CreateToken(tk *tldguard.Token) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO tokens (hash, prefix, user_id, reporter_id, label, created_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING RETURNING id`,
		tk.Hash, tk.Prefix, nullID(tk.UserID), nullID(tk.ReporterID), tk.Label, ts(tk.CreatedAt), ts(tk.RevokedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("the token exists")
	}
	if err != nil {
		return t.fail(err, "token")
	}
	t.setID(&tk.ID, id)
	return nil
}

func (t *tx) TokenByHash(hash []byte) (*tldguard.Token, error) {
	tk := new(tldguard.Token)
	err := t.tx.QueryRow(t.ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash).Scan(
		&tk.ID, &tk.Hash, &tk.Prefix, &tk.UserID, &tk.ReporterID, &tk.Label, scanTime(&tk.CreatedAt), scanTime(&tk.RevokedAt))
	if err != nil {
		return nil, t.fail(err, "token")
	}
	return tk, nil
}

// RevokeToken marks the token revoked at at. Revoking it again keeps the
// first time: that is when it stopped working. ENOTFOUND for an unknown id.
func (t *tx) RevokeToken(id int64, at time.Time) error {
	tag, err := t.exec("token", `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, ts(at))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("token")
	}
	return err
}

// CreateSession stores s and sets s.ID; ENOTFOUND when the user does not
// exist, ECONFLICT when the hash is taken.
func (t *tx) CreateSession(s *tldguard.Session) error {
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO sessions (hash, user_id, reporter_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING RETURNING id`,
		s.Hash, nullID(s.UserID), nullID(s.ReporterID), ts(s.CreatedAt), ts(s.ExpiresAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return conflict("the session exists")
	}
	if err != nil {
		return t.fail(err, "session")
	}
	t.setID(&s.ID, id)
	return nil
}

func (t *tx) SessionByHash(hash []byte) (*tldguard.Session, error) {
	s := new(tldguard.Session)
	err := t.tx.QueryRow(t.ctx, `SELECT id, hash, coalesce(user_id, 0), coalesce(reporter_id, 0), created_at, expires_at
		FROM sessions WHERE hash = $1`, hash).Scan(
		&s.ID, &s.Hash, &s.UserID, &s.ReporterID, scanTime(&s.CreatedAt), scanTime(&s.ExpiresAt))
	if err != nil {
		return nil, t.fail(err, "session")
	}
	return s, nil
}

// DeleteSession ends one session; ENOTFOUND when there is none with that id.
func (t *tx) DeleteSession(id int64) error {
	tag, err := t.exec("session", `DELETE FROM sessions WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("session")
	}
	return err
}

// DeleteUserSessions ends every session of a user (none is not an error).
func (t *tx) DeleteUserSessions(userID int64) error {
	_, err := t.exec("session", `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}
