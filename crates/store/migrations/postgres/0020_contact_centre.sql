-- The contact centre's records around the telephony side (which keeps its live state in
-- memory): each agent's SIP account and desk phone, every call as handed over when it
-- ended (once: `call_key` is unique), and the callbacks promised to callers. Instants are
-- epoch milliseconds; the menu steps, legs and orders of a call are JSON arrays as TEXT.
-- The SQLite file of the same number must stay alike (types differ only).

CREATE TABLE agent_phones (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    sip_ha1 TEXT,                   -- MD5(username:voltdesk:password), lowercase hex; NULL: no SIP account
    static_contact TEXT,            -- a desk phone that does not register: sip:user@host[:port]
    updated_at BIGINT NOT NULL
);

CREATE TABLE calls (
    id BIGSERIAL PRIMARY KEY,
    call_key TEXT NOT NULL UNIQUE,  -- the telephony side's id of the call
    caller TEXT NOT NULL,
    dialled TEXT NOT NULL,
    source TEXT NOT NULL,           -- the trunk's or phone's address
    customer_id BIGINT REFERENCES customers(id),
    station_id BIGINT REFERENCES stations(id),
    started_at BIGINT NOT NULL,
    queue TEXT,
    queued_at BIGINT,
    offered_at BIGINT,
    agent_user_id BIGINT REFERENCES users(id),
    answered_at BIGINT,
    ended_at BIGINT NOT NULL,
    wait_ms BIGINT,                   -- queued to answered (or to the end); NULL: never queued
    talk_ms BIGINT,                   -- answered to the end; NULL: never answered
    wrap_up_ms BIGINT,
    outcome TEXT NOT NULL,          -- answered, abandoned, callback, self_served, refused, failed
    ivr_path TEXT NOT NULL,         -- [{"node", "digits", "at"}]
    legs TEXT NOT NULL,             -- [{"role", "peer", "codec", "started_at", "ended_at"}]
    order_ids TEXT NOT NULL,        -- [12, 13]
    survey BIGINT,                    -- 1 (satisfied) to 3
    recording TEXT                  -- the recording's file name
);
CREATE INDEX calls_started ON calls(started_at, id);
CREATE INDEX calls_customer ON calls(customer_id, started_at);
CREATE INDEX calls_agent ON calls(agent_user_id, started_at);
CREATE INDEX calls_outcome ON calls(outcome, started_at);

CREATE TABLE callbacks (
    id BIGSERIAL PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES calls(id),
    customer_id BIGINT REFERENCES customers(id),
    phone TEXT NOT NULL,            -- the number to call back
    queue TEXT NOT NULL,            -- whose agents call back
    requested_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL,           -- open, done, cancelled
    done_at BIGINT,
    done_by BIGINT REFERENCES users(id),
    note TEXT
);
CREATE INDEX callbacks_status_due ON callbacks(status, due_at);
CREATE INDEX callbacks_call ON callbacks(call_id);
