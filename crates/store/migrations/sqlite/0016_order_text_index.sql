-- The full-text index of orders' titles and texts: the tokens `domain::search::index_tokens`
-- keeps (pairs of Chinese characters, Latin words), written with each order. The one part of
-- the schema that differs by backend: an FTS5 table here (rowid = the order's id), a table
-- with a tsvector and a GIN index on PostgreSQL. `tests/schema.rs` knows both.
-- Orders that existed before this migration are indexed by the server after it starts, a
-- batch at a time, from `search_backfill` (the range of ids to index, and how far it got).
-- The PostgreSQL file of the same number must stay alike otherwise.

CREATE VIRTUAL TABLE order_search USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE search_backfill (
    name TEXT PRIMARY KEY,
    next_id INTEGER NOT NULL,
    end_id INTEGER NOT NULL
);
INSERT INTO search_backfill (name, next_id, end_id)
SELECT 'orders', COALESCE(MIN(id), 1), COALESCE(MAX(id), 0) FROM work_orders;
