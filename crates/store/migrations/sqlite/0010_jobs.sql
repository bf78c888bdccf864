-- Import jobs: one row per CSV import (CLI, API, upload page, demo), with its state, its
-- progress and the line-numbered errors (JSON), so that any server and a restarted one
-- can read it. Finished jobs are removed after the retention period.
-- The PostgreSQL file of the same number must stay alike (types differ only).

CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,             -- customers | org | outages | voltage
    state TEXT NOT NULL,            -- queued | running | done | failed
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL,           -- JSON: [{line, field, code, message}], the first 1000
    reason TEXT,                    -- why a job failed: a stable code (invalid_rows, abandoned, ...)
    created_by INTEGER,             -- the user; none for the system
    created_by_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,  -- the last time its server said it was at work
    finished_at INTEGER
);
CREATE INDEX import_jobs_recent ON import_jobs(created_at);
CREATE INDEX import_jobs_state ON import_jobs(state, heartbeat_at);
CREATE INDEX import_jobs_finished ON import_jobs(finished_at);
