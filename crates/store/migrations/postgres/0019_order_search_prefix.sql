-- On SQLite this number rebuilds the FTS5 index with an index of each token's first
-- character. GIN answers a prefix query from its sorted lexemes, so nothing changes here;
-- the file keeps the numbers of both backends alike.

SELECT 1;
