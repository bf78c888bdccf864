-- Notifications in the app's bell: one row per user and thing to tell (an order assigned to
-- them, urged, a deadline near, a warning for them), read or not. Written by the
-- early-warning reader in the transaction that advances its cursor, so a restart neither
-- loses nor repeats one.
-- The PostgreSQL file of the same number must stay alike (types differ only).

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    order_id INTEGER,
    warning_id INTEGER,
    params TEXT NOT NULL,           -- JSON
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
