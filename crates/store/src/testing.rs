//! Fresh databases for tests: a SQLite file in a temp dir, or a new PostgreSQL database on
//! the cluster named by `VOLTDESK_TEST_PG`.

use crate::dialect::Dialect;
use crate::*;

/// Creates an empty database and returns its URL. `sqlite_dir` holds the SQLite file.
pub async fn fresh_database(backend: Backend, sqlite_dir: &std::path::Path) -> Result<String> {
    Dialect::new(backend).fresh_database(sqlite_dir).await
}

/// Whether PostgreSQL tests can run here.
pub fn postgres_available() -> bool {
    std::env::var("VOLTDESK_TEST_PG").is_ok()
}
