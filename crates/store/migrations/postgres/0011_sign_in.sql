-- Failed sign-ins counted per account and per client address (the key says which),
-- the lock an admin lifts, and a session's last use for the idle timeout.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN locked_at BIGINT;

ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sessions_user ON sessions(user_id);
