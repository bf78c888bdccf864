-- Early warning: warnings raised by the rules over the trace, the rules' read position in
-- the trace, per-station rule switches, and the review date of a sensitive customer.
-- The PostgreSQL file of the same number must stay alike (types differ only).

CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    station_id INTEGER,
    subject_kind TEXT NOT NULL,     -- customer | area | order | outage
    subject_id INTEGER NOT NULL,
    customer_id INTEGER,
    order_id INTEGER,
    area_id INTEGER,
    owner_role TEXT NOT NULL,       -- agent | grid_manager | supervisor
    owner_id INTEGER,
    -- one situation is one warning: a live warning with the same key is seen again
    dedup_key TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,           -- JSON
    status TEXT NOT NULL,           -- open | acknowledged | handled | dismissed
    occurrences INTEGER NOT NULL DEFAULT 1,
    raised_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    trace_id INTEGER,               -- the trace event that raised it
    acknowledged_at INTEGER,
    acknowledged_by INTEGER,
    closed_at INTEGER,
    closed_by INTEGER,
    close_reason TEXT
);
CREATE UNIQUE INDEX warnings_live ON warnings(dedup_key) WHERE status IN ('open', 'acknowledged');
CREATE INDEX warnings_inbox ON warnings(owner_role, status, raised_at);
CREATE INDEX warnings_customer ON warnings(customer_id, status);
CREATE INDEX warnings_order ON warnings(order_id);

CREATE TABLE rule_cursors (
    name TEXT PRIMARY KEY,
    last_trace_id INTEGER NOT NULL
);

-- A row switches a rule off (or on again) for one station; no row: the policy's default.
CREATE TABLE station_rules (
    station_id INTEGER NOT NULL,
    rule TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (station_id, rule)
);

ALTER TABLE customers ADD COLUMN sensitive_review_at INTEGER;
CREATE INDEX customers_sensitive_review ON customers(sensitive_review_at) WHERE sensitive = 1;
