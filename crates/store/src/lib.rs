//! The only code in voltdesk that speaks SQL. One schema per backend (same numbering), one
//! code path through sqlx's `Any` driver: instants are BIGINT epoch milliseconds, booleans
//! 0/1 integers, enums their stable codes, JSON as TEXT.
//!
//! Where the backends differ (parameter marks, row locks, planner hints, sequences, how a
//! connection is opened) the SQL comes from `dialect.rs`; no other module looks at the
//! backend. SQLite runs in WAL mode with one writer connection and several readers;
//! PostgreSQL uses one pool for both.

mod attachments;
pub mod blob;
mod bulk;
mod calls;
mod care;
mod customers;
mod dialect;
mod jobs;
mod notifications;
mod orders;
mod org;
mod outages;
mod outbox;
mod quality;
mod reply_templates;
mod rows;
mod saved_filters;
mod stats;
pub mod testing;
mod users;
mod warnings;

pub use attachments::*;
pub use blob::{BlobError, BlobStore};
pub use calls::*;
pub use care::*;
pub use customers::PrefixColumn;
pub use jobs::*;
pub use notifications::*;
pub use outages::*;
pub use outbox::*;
pub use quality::*;
pub use reply_templates::*;
pub use rows::*;
pub use saved_filters::*;
pub use stats::*;
pub use users::{SessionRow, UserFilter, UserSort};
pub use warnings::*;

use dialect::Dialect;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::str::FromStr;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already exists; `field` names the column when it can be told.
    #[error("{field} already exists")]
    Conflict { field: String },
    #[error("not found")]
    NotFound,
    #[error("a stored value could not be read: {0}")]
    Corrupt(String),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Conflict {
                field: conflict_field(db.message(), db.constraint()),
            };
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        StoreError::Database(e)
    }
}

/// Names the column of a unique violation: SQLite says `UNIQUE constraint failed: t.col`,
/// PostgreSQL names the constraint `t_col_key`.
fn conflict_field(message: &str, constraint: Option<&str>) -> String {
    if let Some(rest) = message.split("UNIQUE constraint failed: ").nth(1) {
        let first = rest.split(',').next().unwrap_or(rest).trim();
        return first.rsplit('.').next().unwrap_or(first).to_string();
    }
    if let Some(c) = constraint {
        let c = c.strip_suffix("_key").unwrap_or(c);
        for table in [
            "customers_",
            "users_",
            "stations_",
            "grids_",
            "feeders_",
            "transformer_areas_",
            "departments_",
            "api_tokens_",
            "work_orders_",
            "reply_templates_",
            "saved_filters_",
            "calls_",
        ] {
            if let Some(col) = c.strip_prefix(table) {
                return col.to_string();
            }
        }
        return c.to_string();
    }
    "key".to_string()
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    dialect: Dialect,
}

impl Store {
    /// Connects to `sqlite://path` (created if missing) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Store> {
        let dialect = Dialect::of_url(url)?;
        let pools = dialect.open(url).await?;
        Ok(Store {
            write: pools.write,
            read: pools.read,
            dialect,
        })
    }

    pub fn backend(&self) -> Backend {
        self.dialect.backend()
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        self.dialect.migrator().run(&self.write).await?;
        Ok(())
    }

    /// Starts the one transaction of a command.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// `NotFound` when a statement that targets one row changed none.
/// A value for `LIKE … ESCAPE '\\'` that matches itself only: its `\`, `%` and `_` escaped.
pub(crate) fn like_escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(crate) fn changed_one(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

// ---- row decoding helpers, shared by the modules ----

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    row.try_get::<i64, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    row.try_get::<String, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_bool(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(get_i64(row, col)? != 0)
}

pub(crate) fn get_enum<T: FromStr>(row: &AnyRow, col: &str) -> Result<T> {
    let s = get_str(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col}: unknown code `{s}`")))
}

pub(crate) fn get_opt_enum<T: FromStr>(row: &AnyRow, col: &str) -> Result<Option<T>> {
    match get_opt_str(row, col)? {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("{col}: unknown code `{s}`"))),
    }
}

pub(crate) fn b(v: bool) -> i64 {
    v as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_fields() {
        assert_eq!(
            conflict_field("UNIQUE constraint failed: customers.account_no", None),
            "account_no"
        );
        assert_eq!(
            conflict_field("duplicate key value", Some("customers_account_no_key")),
            "account_no"
        );
        assert_eq!(
            conflict_field("duplicate key", Some("work_orders_channel_idem_key_key")),
            "channel_idem_key"
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: reply_templates.name", None),
            "name"
        );
        assert_eq!(
            conflict_field("duplicate key", Some("reply_templates_name_key")),
            "name"
        );
    }
}
