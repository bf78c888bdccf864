-- The full-text index of orders' titles and texts: the tokens `domain::search::index_tokens`
-- keeps (pairs of Chinese characters, Latin words), written with each order as a tsvector
-- literal (no text-search parser or locale involved) and asked with a tsquery literal. The
-- one part of the schema that differs by backend: an FTS5 table on SQLite, this table with
-- a GIN index here. `tests/schema.rs` knows both.
-- Orders that existed before this migration are indexed by the server after it starts, a
-- batch at a time, from `search_backfill` (the range of ids to index, and how far it got).
-- The SQLite file of the same number must stay alike otherwise.

CREATE TABLE order_search (
    order_id BIGINT PRIMARY KEY,
    terms TSVECTOR NOT NULL
);
CREATE INDEX order_search_terms ON order_search USING GIN (terms);

CREATE TABLE search_backfill (
    name TEXT PRIMARY KEY,
    next_id BIGINT NOT NULL,
    end_id BIGINT NOT NULL
);
INSERT INTO search_backfill (name, next_id, end_id)
SELECT 'orders', COALESCE(MIN(id), 1), COALESCE(MAX(id), 0) FROM work_orders;
