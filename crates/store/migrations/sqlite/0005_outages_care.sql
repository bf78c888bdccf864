-- Outages as the dispatch system reports them (by API or CSV), the transformer areas each
-- covers, repair orders linked to the outage they are about, and proactive care: care
-- plans, care tasks for grid managers, the ledger of potential demands per grid.
-- The PostgreSQL file of the same number must stay alike (types differ only).

-- api | import | generated (the demo history) | desk
ALTER TABLE outages ADD COLUMN source TEXT NOT NULL DEFAULT 'generated';
-- The dispatch system's id of the outage: a re-send with the same id is the same outage.
ALTER TABLE outages ADD COLUMN external_ref TEXT;
-- When the advance notice had to be out by (start − 7 d planned, − 24 h temporary).
ALTER TABLE outages ADD COLUMN notice_due_at INTEGER;
-- Registered after notice_due_at: the customers could not be told in time.
ALTER TABLE outages ADD COLUMN late_notice INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outages ADD COLUMN created_by INTEGER;
ALTER TABLE outages ADD COLUMN updated_at INTEGER;
CREATE UNIQUE INDEX outages_external_ref ON outages(external_ref);
CREATE INDEX outages_unrestored ON outages(started_at) WHERE restored_at IS NULL;
CREATE INDEX outages_restored ON outages(restored_at);

-- The areas an outage covers: its one area, or every area of its feeder when registered.
CREATE TABLE outage_areas (
    outage_id INTEGER NOT NULL REFERENCES outages(id),
    area_id INTEGER NOT NULL REFERENCES transformer_areas(id),
    PRIMARY KEY (outage_id, area_id)
);
CREATE INDEX outage_areas_area ON outage_areas(area_id, outage_id);
CREATE INDEX transformer_areas_feeder ON transformer_areas(feeder_id);

INSERT INTO outage_areas (outage_id, area_id)
SELECT o.id, o.area_id FROM outages o WHERE o.area_id IS NOT NULL
UNION ALL
SELECT o.id, a.id FROM outages o JOIN transformer_areas a ON a.feeder_id = o.feeder_id
WHERE o.area_id IS NULL;

-- A repair call from an area with an active outage joins that outage.
ALTER TABLE work_orders ADD COLUMN outage_id INTEGER REFERENCES outages(id);
CREATE INDEX work_orders_outage ON work_orders(outage_id) WHERE outage_id IS NOT NULL;

-- How a care-group household is looked after (one plan per customer).
CREATE TABLE care_plans (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    plan TEXT NOT NULL,
    contact_phone TEXT,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER
);

-- What a grid manager is to do for a care-group household in an outage: call before a
-- planned one, check during a long one, follow up after it. Raised once per
-- (customer, outage, kind).
CREATE TABLE care_tasks (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    outage_id INTEGER NOT NULL REFERENCES outages(id),
    grid_id INTEGER REFERENCES grids(id),
    assignee_id INTEGER REFERENCES users(id),
    kind TEXT NOT NULL,             -- call_before | check_during | follow_up
    due_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',  -- open | done
    note TEXT,
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    done_by INTEGER,
    UNIQUE (customer_id, outage_id, kind)
);
CREATE INDEX care_tasks_open ON care_tasks(status, due_at);
CREATE INDEX care_tasks_assignee ON care_tasks(assignee_id, status, due_at);
CREATE INDEX care_tasks_outage ON care_tasks(outage_id, status);

-- Potential demands a grid manager has noticed (a new connection coming, a weak line, ...).
CREATE TABLE demand_ledger (
    id INTEGER PRIMARY KEY,
    grid_id INTEGER NOT NULL REFERENCES grids(id),
    customer_id INTEGER REFERENCES customers(id),
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',  -- open | closed
    created_at INTEGER NOT NULL,
    created_by INTEGER,
    closed_at INTEGER,
    closed_by INTEGER,
    resolution TEXT
);
CREATE INDEX demand_ledger_grid ON demand_ledger(grid_id, status, created_at);

INSERT INTO notice_templates (kind, channel, lang, body, updated_at, updated_by) VALUES
('outage.planned', 'sms', 'zh-CN', '【国家电网】尊敬的{{ customer_name }}，因{{ cause }}，您所在的{{ scope }}计划于{{ start_local }}至{{ restore_local }}停电，请提前做好准备。给您带来不便，敬请谅解。如有疑问请致电95598。', 0, 'system'),
('outage.temporary', 'sms', 'zh-CN', '【国家电网】尊敬的{{ customer_name }}，因{{ cause }}需临时检修，您所在的{{ scope }}将于{{ start_local }}至{{ restore_local }}停电，请提前做好准备。如有疑问请致电95598。', 0, 'system'),
('outage.restored', 'sms', 'zh-CN', '【国家电网】尊敬的{{ customer_name }}，您所在的{{ scope }}已于{{ restored_local }}恢复供电，感谢您的理解与支持。如仍无电请致电95598。', 0, 'system');
