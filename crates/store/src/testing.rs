//! Fresh databases for tests: a SQLite file in a temp dir, or a new PostgreSQL database on
//! the cluster named by `VOLTDESK_TEST_PG`.

use crate::*;

/// Creates an empty database and returns its URL. `sqlite_dir` holds the SQLite file.
pub async fn fresh_database(backend: Backend, sqlite_dir: &std::path::Path) -> Result<String> {
    match backend {
        Backend::Sqlite => Ok(format!("sqlite://{}/test.db", sqlite_dir.display())),
        Backend::Postgres => {
            let base = std::env::var("VOLTDESK_TEST_PG")
                .map_err(|_| StoreError::UnsupportedUrl("VOLTDESK_TEST_PG is not set".into()))?;
            sqlx::any::install_default_drivers();
            let name = format!(
                "vd_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
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

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether PostgreSQL tests can run here.
pub fn postgres_available() -> bool {
    std::env::var("VOLTDESK_TEST_PG").is_ok()
}
