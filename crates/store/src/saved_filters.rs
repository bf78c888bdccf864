//! Saved filters of the orders list: per user, a name and the list's query string.

use crate::*;

#[derive(Debug, Clone)]
pub struct SavedFilterRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub query: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, user_id, name, query, created_at, updated_at";

fn saved_filter(r: &AnyRow) -> Result<SavedFilterRow> {
    Ok(SavedFilterRow {
        id: get_i64(r, "id")?,
        user_id: get_i64(r, "user_id")?,
        name: get_str(r, "name")?,
        query: get_str(r, "query")?,
        created_at: get_i64(r, "created_at")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

impl Store {
    /// A user's saved filters, by id.
    pub async fn saved_filters(&self, user_id: i64) -> Result<Vec<SavedFilterRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM saved_filters WHERE user_id = $1 ORDER BY id"
        )))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(saved_filter).collect()
    }

    /// A user's saved filters read inside the transaction that changes them.
    pub async fn saved_filters_in(&self, tx: &mut Tx, user_id: i64) -> Result<Vec<SavedFilterRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM saved_filters WHERE user_id = $1 ORDER BY id"
        )))
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(saved_filter).collect()
    }

    pub async fn insert_saved_filter(
        &self,
        tx: &mut Tx,
        user_id: i64,
        name: &str,
        query: &str,
        at: i64,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO saved_filters (user_id, name, query, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(query)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    /// Gives a saved filter new filters.
    pub async fn replace_saved_filter(
        &self,
        tx: &mut Tx,
        id: i64,
        query: &str,
        at: i64,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE saved_filters SET query = $1, updated_at = $2 WHERE id = $3")
                .bind(query)
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        changed_one(done.rows_affected())
    }

    /// Deletes a user's saved filter; another user's is `NotFound`, as a missing one.
    pub async fn delete_saved_filter(&self, tx: &mut Tx, user_id: i64, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM saved_filters WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        changed_one(done.rows_affected())
    }
}
