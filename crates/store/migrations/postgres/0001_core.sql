-- voltdesk core schema. Instants are epoch milliseconds (UTC) in BIGINT columns, booleans
-- are 0/1 integers, money is integer fen: the same SQL runs on SQLite and PostgreSQL.
-- The SQLite file of the same number must stay alike (types differ only).

CREATE TABLE stations (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    policy_id TEXT NOT NULL DEFAULT 'sgcc',
    created_at BIGINT NOT NULL
);

CREATE TABLE departments (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    station_id BIGINT REFERENCES stations(id),
    department_id BIGINT REFERENCES departments(id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE grids (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    manager_id BIGINT REFERENCES users(id)
);

CREATE TABLE feeders (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE transformer_areas (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    grid_id BIGINT NOT NULL REFERENCES grids(id),
    feeder_id BIGINT NOT NULL REFERENCES feeders(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_class TEXT NOT NULL
);

CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    account_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT,
    phone2 TEXT,
    id_number TEXT,
    address TEXT NOT NULL,
    usage_class TEXT NOT NULL,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    area_id BIGINT NOT NULL REFERENCES transformer_areas(id),
    meter_id TEXT,
    payment_method TEXT,
    care_groups TEXT NOT NULL DEFAULT '',
    segment TEXT NOT NULL DEFAULT 'C',
    sensitive BIGINT NOT NULL DEFAULT 0,
    grid_manager_id BIGINT REFERENCES users(id),
    arrears_fen BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_phone2 ON customers(phone2);
CREATE INDEX customers_area ON customers(area_id);
CREATE INDEX customers_name ON customers(name);

CREATE TABLE problems (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    root_cause TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);

CREATE TABLE work_orders (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations(id),
    area_id BIGINT REFERENCES transformer_areas(id),
    grid_id BIGINT REFERENCES grids(id),
    customer_id BIGINT REFERENCES customers(id),
    order_type TEXT NOT NULL,
    service_kind TEXT,
    channel TEXT NOT NULL,
    subject TEXT,
    complaint_class TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    contact_phone TEXT,
    department_id BIGINT REFERENCES departments(id),
    assignee_id BIGINT REFERENCES users(id),
    co_handlers TEXT NOT NULL DEFAULT '[]',
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    idem_key TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    next_due_at BIGINT,
    overdue BIGINT NOT NULL DEFAULT 0,
    escalated BIGINT NOT NULL DEFAULT 0,
    contacted BIGINT NOT NULL DEFAULT 0,
    replied BIGINT NOT NULL DEFAULT 0,
    reply_text TEXT,
    verdict TEXT,
    root_cause TEXT,
    satisfaction TEXT,
    urge_count BIGINT NOT NULL DEFAULT 0,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    merged_into BIGINT,
    repeat_of BIGINT,
    problem_id BIGINT REFERENCES problems(id),
    UNIQUE (channel, idem_key)
);
CREATE INDEX work_orders_queue ON work_orders(station_id, status, next_due_at, id);
CREATE INDEX work_orders_status_due ON work_orders(status, next_due_at, id);
CREATE INDEX work_orders_customer ON work_orders(customer_id, created_at);
CREATE INDEX work_orders_created ON work_orders(created_at);
CREATE INDEX work_orders_problem ON work_orders(problem_id);

CREATE TABLE clocks (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders(id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    limit_text TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    warn_at BIGINT NOT NULL,
    paused_at BIGINT,
    paused_ms BIGINT NOT NULL DEFAULT 0,
    pause_reason TEXT,
    warned_at BIGINT,
    breached_at BIGINT,
    stopped_at BIGINT,
    next_fire_at BIGINT
);
CREATE INDEX clocks_order ON clocks(order_id);
CREATE INDEX clocks_next_fire ON clocks(next_fire_at) WHERE next_fire_at IS NOT NULL;

CREATE TABLE escalations (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders(id),
    clock_id BIGINT REFERENCES clocks(id),
    reason TEXT NOT NULL,
    to_role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_by BIGINT,
    acknowledged_at BIGINT
);
CREATE INDEX escalations_order ON escalations(order_id);
CREATE INDEX escalations_open ON escalations(acknowledged_at, created_at);

CREATE TABLE return_visits (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders(id),
    satisfaction TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor_id BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX return_visits_order ON return_visits(order_id);

CREATE TABLE trace_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    station_id BIGINT,
    customer_id BIGINT,
    order_id BIGINT,
    channel TEXT,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX trace_customer ON trace_events(customer_id, id);
CREATE INDEX trace_order ON trace_events(order_id, id);
CREATE INDEX trace_at ON trace_events(at);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
