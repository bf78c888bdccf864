//! What SQLite and PostgreSQL write differently, in one place. Every other module of the
//! store writes one statement for both backends and asks the [`Dialect`] for the parts that
//! differ: parameter marks, row locks, planner hints, string functions, id sequences, the
//! migrations and how a connection is opened. The parts both accept alike but that only
//! exist because of one of them (`CAST(SUM(..) AS BIGINT)`, `ON CONFLICT`, `RETURNING`)
//! are written here too, so that a query reads the same whichever backend it was tested on.
//!
//! Outside this module no code looks at the [`Backend`].

use crate::{Backend, Result, StoreError};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Page caches: the writer's holds the hot index pages of the big tables; the readers' stay
/// small so that the server's memory stays bounded (one writer + four readers).
const WRITER_CACHE_KIB: i64 = 96 * 1024;
const READER_CACHE_KIB: i64 = 24 * 1024;

static NEXT_DATABASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The SQL of one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect(Backend);

/// The pools a store reads and writes through.
pub(crate) struct Pools {
    pub write: AnyPool,
    pub read: AnyPool,
}

impl Dialect {
    pub(crate) fn new(backend: Backend) -> Dialect {
        Dialect(backend)
    }

    /// The backend a database URL names: `sqlite:...`, `postgres:...` or `postgresql:...`.
    pub(crate) fn of_url(url: &str) -> Result<Dialect> {
        if url.starts_with("sqlite:") {
            Ok(Dialect(Backend::Sqlite))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Dialect(Backend::Postgres))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub(crate) fn backend(self) -> Backend {
        self.0
    }

    // ---- connections and schema ----

    /// Opens the pools. SQLite: the file is created if missing, WAL with one writer
    /// connection (SQLite allows one writer at a time; queuing in the pool is cheaper than
    /// lock retries) and four readers. PostgreSQL: one pool for both.
    pub(crate) async fn open(self, url: &str) -> Result<Pools> {
        sqlx::any::install_default_drivers();
        match self.0 {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let write = sqlite_pool(&url, 1, WRITER_CACHE_KIB).await?;
                // The schema may not exist yet; readers open lazily so WAL is set by the writer first.
                let read = sqlite_pool(&url, 4, READER_CACHE_KIB).await?;
                Ok(Pools { write, read })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Pools {
                    write: pool.clone(),
                    read: pool,
                })
            }
        }
    }

    /// Creates an empty database for a test and returns its URL: a file `test.db` in
    /// `sqlite_dir`, or a new database on the PostgreSQL cluster named by `VOLTDESK_TEST_PG`.
    pub(crate) async fn fresh_database(self, sqlite_dir: &std::path::Path) -> Result<String> {
        match self.0 {
            Backend::Sqlite => Ok(format!("sqlite://{}/test.db", sqlite_dir.display())),
            Backend::Postgres => {
                let base = std::env::var("VOLTDESK_TEST_PG").map_err(|_| {
                    StoreError::UnsupportedUrl("VOLTDESK_TEST_PG is not set".into())
                })?;
                sqlx::any::install_default_drivers();
                let name = format!(
                    "vd_{}_{}",
                    std::process::id(),
                    NEXT_DATABASE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                );
                let name = format!(
                    "{name}_{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await?;
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await?;
                let (head, _) = base
                    .rsplit_once('/')
                    .ok_or_else(|| StoreError::UnsupportedUrl(base.clone()))?;
                Ok(format!("{head}/{name}"))
            }
        }
    }

    /// The migrations of this backend (numbered alike on both).
    pub(crate) fn migrator(self) -> &'static Migrator {
        match self.0 {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &PG_MIGRATOR,
        }
    }

    // ---- parameters ----

    /// Marks for a statement's parameters, numbered from 1 in the order they are written.
    pub(crate) fn params(self) -> Params {
        Params {
            backend: self.0,
            n: 0,
        }
    }

    /// `$1, $2, ...` (`?, ?, ...` on SQLite) for the `n` parameters of a statement.
    pub(crate) fn marks(self, n: usize) -> String {
        self.params().list(n)
    }

    /// `($1, $2), ($3, $4)` for `rows` rows of `cols` values: the VALUES list of a multi-row
    /// insert (sqlx's QueryBuilder writes `?` under the Any driver, which PostgreSQL rejects).
    pub(crate) fn values(self, rows: usize, cols: usize) -> String {
        self.params().rows(rows, cols)
    }

    // ---- locks and planner hints ----

    /// Locks the rows a select reads until the transaction ends. SQLite has one writer, whose
    /// transaction already excludes every other: nothing to add.
    pub(crate) fn for_update(self) -> &'static str {
        match self.0 {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Locks the rows a select reads, passing over those another transaction holds (several
    /// servers claiming from one queue). Nothing on SQLite, as [`Dialect::for_update`].
    pub(crate) fn for_update_skip_locked(self) -> &'static str {
        match self.0 {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// ` INDEXED BY index` after a table name where SQLite's planner picks a worse index
    /// than the statistics would suggest; PostgreSQL takes no hints.
    pub(crate) fn indexed_by(self, index: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!(" INDEXED BY {index}"),
            Backend::Postgres => String::new(),
        }
    }

    // ---- the full-text index of orders ----

    /// An order's kept tokens as the index stores them: space-separated for FTS5 (whose
    /// unicode61 tokenizer keeps each as one token), a tsvector literal with positions on
    /// PostgreSQL (read by the type's input function: no parser, no locale).
    pub(crate) fn text_terms(self, tokens: &[String]) -> String {
        match self.0 {
            Backend::Sqlite => tokens.join(" "),
            Backend::Postgres => {
                let mut out = String::new();
                for (i, t) in tokens.iter().enumerate() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    // Positions above 16383 are where PostgreSQL clamps them anyway.
                    out.push_str(&format!("{}:{}", pg_quote(t), (i + 1).min(16383)));
                }
                out
            }
        }
    }

    /// `INSERT` of `n` orders' tokens, two parameters each (id, terms).
    pub(crate) fn text_insert(self, n: usize) -> String {
        let rows = (0..n)
            .map(|i| match self.0 {
                Backend::Sqlite => format!("(${}, ${})", 2 * i + 1, 2 * i + 2),
                Backend::Postgres => format!("(${}, CAST(${} AS tsvector))", 2 * i + 1, 2 * i + 2),
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.0 {
            Backend::Sqlite => format!("INSERT INTO order_search (rowid, terms) VALUES {rows}"),
            Backend::Postgres => format!(
                "INSERT INTO order_search (order_id, terms) VALUES {rows} \
                 ON CONFLICT (order_id) DO UPDATE SET terms = EXCLUDED.terms"
            ),
        }
    }

    /// Removes the tokens of the orders with ids in `[$1, $2)` (before they are written again).
    pub(crate) fn text_delete_range(self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "DELETE FROM order_search WHERE rowid >= $1 AND rowid < $2",
            Backend::Postgres => "DELETE FROM order_search WHERE order_id >= $1 AND order_id < $2",
        }
    }

    /// A query of the index: FTS5's query language (`"停电" + "电费" AND "4821" *`) or a
    /// tsquery literal (`'停电' <-> '电费' & '4821':*`).
    /// FTS5 cannot weigh a word's tokens before reading them, so on SQLite a word with a
    /// long number is asked by the number alone (`TextQuery::narrow`) and confirmed by
    /// [`Dialect::text_recheck`]; GIN intersects a tsquery's lexemes itself.
    pub(crate) fn text_match_value(self, q: &voltdesk_domain::search::TextQuery) -> String {
        let (then, and) = match self.0 {
            Backend::Sqlite => (" + ", " AND "),
            Backend::Postgres => (" <-> ", " & "),
        };
        q.words
            .iter()
            .zip(&q.narrow)
            .map(|(w, n)| match (self.0, n) {
                (Backend::Sqlite, Some(n)) => n,
                _ => w,
            })
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.iter()
                    .map(|t| match (self.0, t.prefix) {
                        (Backend::Sqlite, false) => format!("\"{}\"", t.token.replace('"', "\"\"")),
                        (Backend::Sqlite, true) => {
                            format!("\"{}\" *", t.token.replace('"', "\"\""))
                        }
                        (Backend::Postgres, false) => pg_quote(&t.token),
                        (Backend::Postgres, true) => format!("{}:*", pg_quote(&t.token)),
                    })
                    .collect::<Vec<_>>()
                    .join(then)
            })
            .collect::<Vec<_>>()
            .join(and)
    }

    /// The `LIKE` patterns that confirm what [`Dialect::text_match_value`] asked of fewer
    /// tokens than the word has: one per narrowed word, over the title and the text.
    pub(crate) fn text_recheck(self, q: &voltdesk_domain::search::TextQuery) -> Vec<String> {
        match self.0 {
            Backend::Sqlite => q
                .narrow
                .iter()
                .zip(&q.like)
                .filter(|(n, _)| n.is_some())
                .map(|(_, l)| l.clone())
                .collect(),
            Backend::Postgres => Vec::new(),
        }
    }

    /// ` AND id IN (…)`: the orders the index finds for parameter `$n`.
    pub(crate) fn text_match_filter(self, n: usize) -> String {
        match self.0 {
            Backend::Sqlite => {
                format!(" AND id IN (SELECT rowid FROM order_search WHERE order_search MATCH ${n})")
            }
            Backend::Postgres => format!(
                " AND id IN (SELECT order_id FROM order_search WHERE terms @@ CAST(${n} AS tsquery))"
            ),
        }
    }

    /// The orders table led by the index in id order, for parameter `$n`, when the backend
    /// can stream the index's matches newest first and stop at the page's end (FTS5 reads
    /// its doclists in rowid order); `None` where it cannot.
    pub(crate) fn text_driven_from(self, n: usize) -> Option<(String, String)> {
        match self.0 {
            Backend::Sqlite => Some((
                " FROM order_search s CROSS JOIN work_orders w ON w.id = s.rowid".into(),
                format!(" AND s.order_search MATCH ${n}"),
            )),
            Backend::Postgres => None,
        }
    }

    // ---- expressions ----

    /// The last `n` characters of a text column, written as its expression index is
    /// (`substr(col, -n)` on SQLite, `right(col, n)` on PostgreSQL) so the index serves.
    pub(crate) fn right(self, col: &str, n: usize) -> String {
        match self.0 {
            Backend::Sqlite => format!("substr({col}, -{n})"),
            Backend::Postgres => format!("right({col}, {n})"),
        }
    }

    /// A sum read back as `i64`: PostgreSQL sums BIGINTs to NUMERIC, which the Any driver
    /// does not decode.
    pub(crate) fn sum_int(self, expr: &str) -> String {
        format!("CAST(SUM({expr}) AS BIGINT)")
    }

    /// A sum read back as `f64`: PostgreSQL sums REALs to REAL and numbers to NUMERIC.
    pub(crate) fn sum_real(self, expr: &str) -> String {
        format!("CAST(SUM({expr}) AS DOUBLE PRECISION)")
    }

    /// An integer as text, for building a string in SQL (`||` needs text on PostgreSQL).
    pub(crate) fn int_text(self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }

    /// The local day number (days since the epoch) of an epoch-ms instant in a zone
    /// `offset_ms` east of UTC: integer division on both backends, as both columns are
    /// BIGINT.
    pub(crate) fn local_day(self, col: &str, offset_ms: i64) -> String {
        format!("({col} + {offset_ms}) / 86400000")
    }

    // ---- upserts ----

    /// ` ON CONFLICT (keys) DO UPDATE SET c = excluded.c, ...`: both backends take the same
    /// clause (SQLite since 3.24).
    pub(crate) fn upsert(self, keys: &[&str], update: &[&str]) -> String {
        let set = update
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" ON CONFLICT ({}) DO UPDATE SET {set}", keys.join(", "))
    }

    /// ` ON CONFLICT (keys) DO NOTHING`.
    pub(crate) fn insert_or_skip(self, keys: &[&str]) -> String {
        format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", "))
    }

    /// ` RETURNING cols`: both backends return the rows an INSERT or UPDATE wrote (SQLite
    /// since 3.35), in no promised order; callers that need one sort.
    pub(crate) fn returning(self, cols: &str) -> String {
        format!(" RETURNING {cols}")
    }

    // ---- ids ----

    /// The statement that draws `$1` new ids from `table`'s sequence, one row (`id`) each;
    /// `None` on SQLite, where ids count on from the highest (the writing transaction holds
    /// the database's only write lock, and a concurrent writer in another process would make
    /// the insert fail, not collide silently).
    pub(crate) fn draw_ids(self, table: &str) -> Option<String> {
        match self.0 {
            Backend::Postgres => Some(format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)"
            )),
            Backend::Sqlite => None,
        }
    }

    /// The statement that moves `table`'s id sequence past the ids inserted explicitly;
    /// `None` on SQLite, which has no sequence to move.
    pub(crate) fn sync_sequence(self, table: &str) -> Option<String> {
        match self.0 {
            Backend::Postgres => Some(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1)) AS v"
            )),
            Backend::Sqlite => None,
        }
    }

    /// The statement that folds SQLite's write-ahead log back into the database file;
    /// `None` on PostgreSQL.
    pub(crate) fn checkpoint(self) -> Option<&'static str> {
        match self.0 {
            Backend::Sqlite => Some("PRAGMA wal_checkpoint(TRUNCATE)"),
            Backend::Postgres => None,
        }
    }
}

/// The parameter marks of one statement, handed out in the order they are written (which
/// is the order their values are bound in).
///
/// On SQLite every mark is a plain `?`: sqlx looks numbered parameters up by name one by
/// one, which is quadratic in a statement's parameter count. On PostgreSQL they are `$n`.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    backend: Backend,
    n: usize,
}

impl Params {
    /// The mark of the next parameter.
    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        match self.backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${}", self.n),
        }
    }

    /// The marks of the next `n` parameters, comma-separated.
    pub(crate) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(..), (..)`: `rows` groups of `cols` marks.
    pub(crate) fn rows(&mut self, rows: usize, cols: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(cols)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn sqlite_pool(url: &str, max: u32, cache_kib: i64) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // WAL + synchronous=NORMAL: a committed transaction survives a process crash
                // (SIGKILL); only a power loss may take the last commits.
                let pragmas = format!(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; \
                     PRAGMA busy_timeout=10000; PRAGMA cache_size=-{cache_kib}; PRAGMA temp_store=MEMORY;"
                );
                conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// A lexeme quoted for a tsvector or tsquery literal.
fn pg_quote(t: &str) -> String {
    format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: Dialect = Dialect(Backend::Postgres);
    const LITE: Dialect = Dialect(Backend::Sqlite);

    #[test]
    fn marks_number_on_postgres_and_are_plain_on_sqlite() {
        assert_eq!(PG.marks(3), "$1, $2, $3");
        assert_eq!(LITE.marks(3), "?, ?, ?");
        assert_eq!(PG.marks(0), "");
    }

    #[test]
    fn values_lists_count_on_across_rows() {
        assert_eq!(PG.values(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(LITE.values(2, 3), "(?, ?, ?), (?, ?, ?)");
    }

    #[test]
    fn params_continue_where_the_last_part_stopped() {
        let mut p = PG.params();
        let first = p.next();
        let list = p.list(2);
        assert_eq!(
            (first.as_str(), list.as_str(), p.next().as_str()),
            ("$1", "$2, $3", "$4")
        );
        let mut p = LITE.params();
        assert_eq!((p.next(), p.list(2)), ("?".to_string(), "?, ?".to_string()));
    }

    #[test]
    fn locks_only_on_postgres() {
        assert_eq!(PG.for_update(), " FOR UPDATE");
        assert_eq!(LITE.for_update(), "");
        assert_eq!(PG.for_update_skip_locked(), " FOR UPDATE SKIP LOCKED");
        assert_eq!(LITE.for_update_skip_locked(), "");
    }

    #[test]
    fn hints_and_functions_per_backend() {
        assert_eq!(LITE.indexed_by("i"), " INDEXED BY i");
        assert_eq!(PG.indexed_by("i"), "");
        assert_eq!(LITE.right("phone", 4), "substr(phone, -4)");
        assert_eq!(PG.right("phone", 4), "right(phone, 4)");
        assert_eq!(PG.local_day("at", 8), "(at + 8) / 86400000");
    }

    #[test]
    fn upserts() {
        assert_eq!(
            PG.upsert(&["code"], &["name", "kind"]),
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind"
        );
        assert_eq!(
            LITE.insert_or_skip(&["a", "b"]),
            " ON CONFLICT (a, b) DO NOTHING"
        );
    }

    #[test]
    fn sequences_only_on_postgres() {
        assert!(PG.draw_ids("clocks").unwrap().contains("nextval"));
        assert!(LITE.draw_ids("clocks").is_none());
        assert!(PG.sync_sequence("clocks").unwrap().contains("setval"));
        assert!(LITE.sync_sequence("clocks").is_none());
        assert!(LITE.checkpoint().is_some());
        assert!(PG.checkpoint().is_none());
    }

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(Dialect::of_url("sqlite://x.db").unwrap(), LITE);
        assert_eq!(Dialect::of_url("postgres://h/db").unwrap(), PG);
        assert_eq!(Dialect::of_url("postgresql://h/db").unwrap(), PG);
        assert!(matches!(
            Dialect::of_url("mysql://h/db"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }
}
