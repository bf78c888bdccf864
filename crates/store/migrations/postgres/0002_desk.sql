-- The desk: outages as the demo county records them, daily statistics for the analyst's
-- dashboard, and the indexes the role pages read by. The SQLite file of the same
-- number must stay alike (types differ only).

-- An interruption of supply on a feeder or on one transformer area.
CREATE TABLE outages (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    kind TEXT NOT NULL,             -- planned | temporary | fault
    feeder_id BIGINT REFERENCES feeders(id),
    area_id BIGINT REFERENCES transformer_areas(id),
    cause TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    expected_restore_at BIGINT,
    restored_at BIGINT,
    -- when the fault itself was repaired; restoration may come first ("restore first")
    repaired_at BIGINT,
    notified_at BIGINT,
    affected_customers BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX outages_started ON outages(started_at);
CREATE INDEX outages_area ON outages(area_id, started_at);
CREATE INDEX outages_feeder ON outages(feeder_id, started_at);

-- Settled days of the daily statistics: a day is computed once it has ended.
CREATE TABLE stats_days (
    day BIGINT PRIMARY KEY,        -- yyyymmdd in the station's time zone
    computed_at BIGINT NOT NULL
);

-- Orders by the day they came in, closed by the day they closed, return visits by the day
-- they were made; per station and grid, and broken down along one dimension at a time:
-- dim 'all' (value '') holds the totals, 'type', 'channel' and 'class' one row per value.
CREATE TABLE stats_daily (
    day BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    grid_id BIGINT NOT NULL,       -- 0 when the order has no grid
    dim TEXT NOT NULL,
    value TEXT NOT NULL,
    created BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    dissatisfied BIGINT NOT NULL,
    PRIMARY KEY (day, station_id, grid_id, dim, value)
);

-- Complaints and orders per transformer area and day, for the areas with most complaints.
CREATE TABLE stats_area_daily (
    day BIGINT NOT NULL,
    area_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    grid_id BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    complaints BIGINT NOT NULL,
    PRIMARY KEY (day, area_id)
);

CREATE INDEX work_orders_closed ON work_orders(closed_at);
CREATE INDEX work_orders_assignee ON work_orders(assignee_id, next_due_at);
CREATE INDEX work_orders_overdue_open ON work_orders(next_due_at) WHERE overdue = 1 AND closed_at IS NULL;
CREATE INDEX return_visits_at ON return_visits(at);
CREATE INDEX customers_address ON customers(address);
CREATE INDEX customers_phone_tail ON customers(right(phone, 4));
