//! Bulk loads with explicit ids, for seeding large histories (demo counties, benchmarks)
//! while nothing else writes. Each call is one multi-row statement per chunk.

use crate::*;

impl Store {
    /// The highest id in `table` (0 when empty). `table` is one of ours, never user input.
    pub async fn max_id(&self, tx: &mut Tx, table: &'static str) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COALESCE(MAX(id), 0) AS m FROM {table}"
        )))
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "m")
    }

    /// After explicit ids, moves PostgreSQL's sequence past them (SQLite needs nothing).
    pub async fn sync_sequence(&self, tx: &mut Tx, table: &'static str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1)) AS v"
            )))
            .fetch_one(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Every customer id with its area, for spreading generated history over them.
    pub async fn customer_areas(&self) -> Result<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query("SELECT id, area_id, station_id FROM customers ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get_i64(r, "id")?,
                    get_i64(r, "area_id")?,
                    get_i64(r, "station_id")?,
                ))
            })
            .collect()
    }

    /// Refreshes the planner's statistics after a bulk load.
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }
}

impl Store {
    /// Moves every live clock's times by `delta_ms` (benchmark set-up: seed far ahead, then
    /// bring the deadlines to just after now).
    pub async fn shift_live_clocks(&self, delta_ms: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE clocks SET due_at = due_at + $1, warn_at = warn_at + $1, next_fire_at = next_fire_at + $1 \
             WHERE next_fire_at IS NOT NULL",
        )
        .bind(delta_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE work_orders SET next_due_at = next_due_at + $1 WHERE next_due_at IS NOT NULL AND closed_at IS NULL")
            .bind(delta_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// For every breached clock: breached_at − due_at in ms, i.e. how late the scheduler fired.
    pub async fn breach_lags(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT breached_at - due_at AS lag FROM clocks WHERE breached_at IS NOT NULL",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| get_i64(r, "lag")).collect()
    }

    /// Live clocks due before `t` that have not fired.
    pub async fn unfired_before(&self, t: i64) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM clocks WHERE next_fire_at IS NOT NULL AND next_fire_at < $1",
        )
        .bind(t)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }
}

impl Store {
    /// Folds SQLite's write-ahead log back into the database file (after bulk changes, so
    /// the next writer does not pay for it). Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }
}
