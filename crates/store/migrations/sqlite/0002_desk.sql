-- The desk: outages as the demo county records them, daily statistics for the analyst's
-- dashboard, and the indexes the role pages read by. The PostgreSQL file of the same
-- number must stay alike (types differ only).

-- An interruption of supply on a feeder or on one transformer area.
CREATE TABLE outages (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    kind TEXT NOT NULL,             -- planned | temporary | fault
    feeder_id INTEGER REFERENCES feeders(id),
    area_id INTEGER REFERENCES transformer_areas(id),
    cause TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    expected_restore_at INTEGER,
    restored_at INTEGER,
    -- when the fault itself was repaired; restoration may come first ("restore first")
    repaired_at INTEGER,
    notified_at INTEGER,
    affected_customers INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX outages_started ON outages(started_at);
CREATE INDEX outages_area ON outages(area_id, started_at);
CREATE INDEX outages_feeder ON outages(feeder_id, started_at);

-- Settled days of the daily statistics: a day is computed once it has ended.
CREATE TABLE stats_days (
    day INTEGER PRIMARY KEY,        -- yyyymmdd in the station's time zone
    computed_at INTEGER NOT NULL
);

-- Orders by the day they came in, closed by the day they closed, return visits by the day
-- they were made; per station and grid, and broken down along one dimension at a time:
-- dim 'all' (value '') holds the totals, 'type', 'channel' and 'class' one row per value.
CREATE TABLE stats_daily (
    day INTEGER NOT NULL,
    station_id INTEGER NOT NULL,
    grid_id INTEGER NOT NULL,       -- 0 when the order has no grid
    dim TEXT NOT NULL,
    value TEXT NOT NULL,
    created INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    dissatisfied INTEGER NOT NULL,
    PRIMARY KEY (day, station_id, grid_id, dim, value)
);

-- Complaints and orders per transformer area and day, for the areas with most complaints.
CREATE TABLE stats_area_daily (
    day INTEGER NOT NULL,
    area_id INTEGER NOT NULL,
    station_id INTEGER NOT NULL,
    grid_id INTEGER NOT NULL,
    orders INTEGER NOT NULL,
    complaints INTEGER NOT NULL,
    PRIMARY KEY (day, area_id)
);

CREATE INDEX work_orders_closed ON work_orders(closed_at);
CREATE INDEX work_orders_assignee ON work_orders(assignee_id, next_due_at);
CREATE INDEX work_orders_overdue_open ON work_orders(next_due_at) WHERE overdue = 1 AND closed_at IS NULL;
CREATE INDEX return_visits_at ON return_visits(at);
CREATE INDEX customers_address ON customers(address);
CREATE INDEX customers_phone_tail ON customers(substr(phone, -4));
