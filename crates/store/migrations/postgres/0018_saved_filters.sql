-- Saved filters of the orders list: a user's named views of /orders, each the list's query
-- string with only the list's own filters kept (`saved_filter::keep_filters`). At most 20 a
-- user; saving under a name already used replaces that one's filters.
-- The SQLite file of the same number must stay alike (types differ only).

CREATE TABLE saved_filters (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,             -- a plain visible line of at most 40 characters
    query TEXT NOT NULL,            -- e.g. status=dispatched&overdue=true
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
