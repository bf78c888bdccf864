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
        if let Some(sql) = self.dialect.sync_sequence(table) {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Every customer id with its area and station, by id, for spreading generated history
    /// over them. Read in pages, so no single statement runs long on a large register.
    pub async fn customer_areas(&self) -> Result<Vec<(i64, i64, i64)>> {
        const PAGE: i64 = 100_000;
        let mut out = Vec::new();
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(
                "SELECT id, area_id, station_id FROM customers WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(PAGE)
            .fetch_all(self.reader())
            .await?;
            for r in &rows {
                out.push((
                    get_i64(r, "id")?,
                    get_i64(r, "area_id")?,
                    get_i64(r, "station_id")?,
                ));
            }
            match out.last() {
                Some(&(id, _, _)) if rows.len() as i64 == PAGE => after = id,
                _ => return Ok(out),
            }
        }
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
        if let Some(sql) = self.dialect.checkpoint() {
            sqlx::query(sql).execute(&self.write).await?;
        }
        Ok(())
    }
}

/// One value of a bulk-loaded row.
pub(crate) enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(Some(v))
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        Cell::Int(v)
    }
}

impl From<bool> for Cell {
    fn from(v: bool) -> Cell {
        Cell::Int(Some(b(v)))
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(Some(v))
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(Some(v.to_string()))
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        Cell::Text(v)
    }
}

impl From<Option<&'static str>> for Cell {
    fn from(v: Option<&'static str>) -> Cell {
        Cell::Text(v.map(str::to_string))
    }
}

/// Parameters per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535.
const PARAMS_PER_STATEMENT: usize = 8_192;

impl Store {
    /// Inserts `rows` (values in the order of `cols`) in multi-row statements. `table` and
    /// `cols` are ours, never user input.
    pub(crate) async fn insert_rows(
        &self,
        tx: &mut Tx,
        table: &'static str,
        cols: &[&'static str],
        rows: Vec<Vec<Cell>>,
    ) -> Result<()> {
        let per = (PARAMS_PER_STATEMENT / cols.len()).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Cell>> = rows.by_ref().take(per).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                cols.join(", "),
                self.dialect.values(chunk.len(), cols.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                debug_assert_eq!(row.len(), cols.len(), "{table}: one value per column");
                for cell in row {
                    q = match cell {
                        Cell::Int(v) => q.bind(v),
                        Cell::Text(v) => q.bind(v),
                    };
                }
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Rows in `table` (one of ours, never user input).
    pub async fn count_rows(&self, table: &'static str) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }

    /// The addresses of these customers (for the text of generated orders).
    pub async fn customer_addresses(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, address FROM customers WHERE id IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push((get_i64(&r, "id")?, get_str(&r, "address")?));
            }
        }
        Ok(out)
    }

    /// Inserts generated orders with every column and the ids they carry. (`insert_orders`
    /// writes the columns a new order has; a generated history also has assignees, verdicts,
    /// overdue flags, merges.)
    pub async fn insert_history_orders(&self, tx: &mut Tx, rows: &[OrderRow]) -> Result<()> {
        const COLS: &[&str] = &[
            "id",
            "station_id",
            "area_id",
            "grid_id",
            "customer_id",
            "order_type",
            "service_kind",
            "channel",
            "subject",
            "complaint_class",
            "severity",
            "status",
            "title",
            "description",
            "contact_phone",
            "department_id",
            "assignee_id",
            "co_handlers",
            "policy_id",
            "policy_version",
            "idem_key",
            "created_by",
            "created_at",
            "updated_at",
            "closed_at",
            "next_due_at",
            "overdue",
            "escalated",
            "contacted",
            "replied",
            "reply_text",
            "verdict",
            "root_cause",
            "satisfaction",
            "urge_count",
            "reopen_count",
            "merged_into",
            "repeat_of",
            "problem_id",
        ];
        let cells = rows
            .iter()
            .map(|o| {
                vec![
                    o.id.into(),
                    o.station_id.into(),
                    o.area_id.into(),
                    o.grid_id.into(),
                    o.customer_id.into(),
                    o.order_type.code().into(),
                    o.service_kind.map(|v| v.code()).into(),
                    o.channel.code().into(),
                    o.subject.map(|v| v.code()).into(),
                    o.complaint_class.map(|v| v.code()).into(),
                    o.severity.code().into(),
                    o.status.code().into(),
                    o.title.clone().into(),
                    o.description.clone().into(),
                    o.contact_phone.clone().into(),
                    o.department_id.into(),
                    o.assignee_id.into(),
                    serde_json::to_string(&o.co_handlers)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                    o.policy_id.clone().into(),
                    o.policy_version.clone().into(),
                    o.idem_key.clone().into(),
                    o.created_by.into(),
                    o.created_at.into(),
                    o.updated_at.into(),
                    o.closed_at.into(),
                    o.next_due_at.into(),
                    o.overdue.into(),
                    o.escalated.into(),
                    o.contacted.into(),
                    o.replied.into(),
                    o.reply_text.clone().into(),
                    o.verdict.map(|v| v.code()).into(),
                    o.root_cause.map(|v| v.code()).into(),
                    o.satisfaction.map(|v| v.code()).into(),
                    o.urge_count.into(),
                    o.reopen_count.into(),
                    o.merged_into.into(),
                    o.repeat_of.into(),
                    o.problem_id.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "work_orders", COLS, cells).await?;
        self.insert_order_text(tx, rows).await
    }

    /// Inserts clocks with every column (stopped, warned and breached ones too) and their ids.
    pub async fn insert_history_clocks(&self, tx: &mut Tx, rows: &[ClockRow]) -> Result<()> {
        const COLS: &[&str] = &[
            "id",
            "order_id",
            "kind",
            "state",
            "limit_text",
            "source",
            "started_at",
            "due_at",
            "warn_at",
            "paused_at",
            "paused_ms",
            "pause_reason",
            "warned_at",
            "breached_at",
            "stopped_at",
            "next_fire_at",
        ];
        let cells = rows
            .iter()
            .map(|c| {
                vec![
                    c.id.into(),
                    c.order_id.into(),
                    c.kind.code().into(),
                    c.state.code().into(),
                    c.limit_text.clone().into(),
                    c.source.clone().into(),
                    c.started_at.into(),
                    c.due_at.into(),
                    c.warn_at.into(),
                    c.paused_at.into(),
                    c.paused_ms.into(),
                    c.pause_reason.clone().into(),
                    c.warned_at.into(),
                    c.breached_at.into(),
                    c.stopped_at.into(),
                    c.next_fire_at.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "clocks", COLS, cells).await
    }

    /// Inserts escalations with their ids and, when set, who acknowledged them and when.
    pub async fn insert_history_escalations(
        &self,
        tx: &mut Tx,
        rows: &[EscalationRow],
    ) -> Result<()> {
        const COLS: &[&str] = &[
            "id",
            "order_id",
            "clock_id",
            "reason",
            "to_role",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
        ];
        let cells = rows
            .iter()
            .map(|e| {
                vec![
                    e.id.into(),
                    e.order_id.into(),
                    e.clock_id.into(),
                    e.reason.clone().into(),
                    e.to_role.clone().into(),
                    e.created_at.into(),
                    e.acknowledged_by.into(),
                    e.acknowledged_at.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "escalations", COLS, cells).await
    }

    /// Inserts return visits with the ids they carry.
    pub async fn insert_return_visits(&self, tx: &mut Tx, rows: &[ReturnVisitRow]) -> Result<()> {
        const COLS: &[&str] = &[
            "id",
            "order_id",
            "satisfaction",
            "comment",
            "actor_id",
            "at",
        ];
        let cells = rows
            .iter()
            .map(|v| {
                vec![
                    v.id.into(),
                    v.order_id.into(),
                    v.satisfaction.code().into(),
                    v.comment.clone().into(),
                    v.actor_id.into(),
                    v.at.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "return_visits", COLS, cells).await
    }
}
