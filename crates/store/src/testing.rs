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

impl Store {
    /// Empties the full-text index and marks every order as written before it existed, as
    /// a database migrated from a version without the index is: the back-fill's test.
    pub async fn forget_order_text(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM order_search")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE search_backfill SET next_id = (SELECT COALESCE(MIN(id), 1) FROM work_orders), \
             end_id = (SELECT COALESCE(MAX(id), 0) FROM work_orders) WHERE name = 'orders'",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
