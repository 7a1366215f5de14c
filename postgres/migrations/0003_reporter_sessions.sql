-- Reporters (a law-enforcement officer at the reporter portal) sign in too:
-- a session belongs to a user or to a reporter account, never both.
ALTER TABLE sessions ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE sessions ADD COLUMN reporter_id bigint REFERENCES reporters;
ALTER TABLE sessions ADD CONSTRAINT sessions_one_owner CHECK ((user_id IS NULL) <> (reporter_id IS NULL));
CREATE INDEX sessions_reporter ON sessions (reporter_id);
