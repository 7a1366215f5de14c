-- Reporters (a law-enforcement officer at the reporter portal) sign in too:
-- a session belongs to a user or to a reporter account, never both.
CREATE TABLE sessions_new (
	id          INTEGER PRIMARY KEY,
	hash        BLOB    NOT NULL UNIQUE,
	user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
	reporter_id INTEGER REFERENCES reporters (id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	CHECK ((user_id IS NULL) <> (reporter_id IS NULL))
) STRICT;
INSERT INTO sessions_new (id, hash, user_id, created_at, expires_at)
	SELECT id, hash, user_id, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_reporter ON sessions (reporter_id);
