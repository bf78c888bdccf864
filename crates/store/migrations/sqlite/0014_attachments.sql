-- Files attached to work orders (photos of damage, documents). The bytes are in the
-- attachments folder under their SHA-256 (`blob.rs`); this row says whose, what and by whom.
-- The PostgreSQL file of the same number must stay alike (types differ only).

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES work_orders(id),
    name TEXT NOT NULL,             -- the sanitised file name, a plain line of at most 200 characters
    content_type TEXT NOT NULL,     -- sniffed: image/jpeg | image/png | image/gif | image/webp | application/pdf | text/plain
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,           -- lowercase hex; names the stored file and is checked on every read
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_by_name TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX attachments_order ON attachments(order_id, id);
