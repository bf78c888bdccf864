//! Work orders, their clocks, trace events, outbox, escalations, return visits, problems.

use crate::customers::Bind;
use crate::*;

pub(crate) const ORDER_COLS: &str = "id, station_id, area_id, grid_id, customer_id, order_type, service_kind, channel, subject, complaint_class, \
    severity, status, title, description, contact_phone, department_id, assignee_id, co_handlers, policy_id, policy_version, \
    idem_key, created_by, created_at, updated_at, closed_at, next_due_at, overdue, escalated, contacted, replied, reply_text, \
    verdict, root_cause, satisfaction, urge_count, reopen_count, merged_into, repeat_of, problem_id";

/// The `ORDER BY` of a sort that one index or column order answers; `None` for the due time,
/// which is read in two ranges.
fn simple_order(sort: OrderSort, dir: &str) -> Option<String> {
    match sort {
        OrderSort::CreatedAt => Some(format!("created_at {dir}, id {dir}")),
        OrderSort::UpdatedAt => Some(format!("updated_at {dir}, id {dir}")),
        OrderSort::Id => Some(format!("id {dir}")),
        OrderSort::Status => Some(format!("status {dir}, created_at {dir}, id {dir}")),
        OrderSort::Type => Some(format!("order_type {dir}, created_at {dir}, id {dir}")),
        OrderSort::DueAt => None,
    }
}

pub(crate) fn order(r: &AnyRow) -> Result<OrderRow> {
    let co: String = get_str(r, "co_handlers")?;
    Ok(OrderRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        area_id: get_opt_i64(r, "area_id")?,
        grid_id: get_opt_i64(r, "grid_id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        order_type: get_enum(r, "order_type")?,
        service_kind: get_opt_enum(r, "service_kind")?,
        channel: get_enum(r, "channel")?,
        subject: get_opt_enum(r, "subject")?,
        complaint_class: get_opt_enum(r, "complaint_class")?,
        severity: get_enum(r, "severity")?,
        status: get_enum(r, "status")?,
        title: get_str(r, "title")?,
        description: get_str(r, "description")?,
        contact_phone: get_opt_str(r, "contact_phone")?,
        department_id: get_opt_i64(r, "department_id")?,
        assignee_id: get_opt_i64(r, "assignee_id")?,
        co_handlers: serde_json::from_str(&co)
            .map_err(|e| StoreError::Corrupt(format!("co_handlers: {e}")))?,
        policy_id: get_str(r, "policy_id")?,
        policy_version: get_str(r, "policy_version")?,
        idem_key: get_opt_str(r, "idem_key")?,
        created_by: get_opt_i64(r, "created_by")?,
        created_at: get_i64(r, "created_at")?,
        updated_at: get_i64(r, "updated_at")?,
        closed_at: get_opt_i64(r, "closed_at")?,
        next_due_at: get_opt_i64(r, "next_due_at")?,
        overdue: get_bool(r, "overdue")?,
        escalated: get_bool(r, "escalated")?,
        contacted: get_bool(r, "contacted")?,
        replied: get_bool(r, "replied")?,
        reply_text: get_opt_str(r, "reply_text")?,
        verdict: get_opt_enum(r, "verdict")?,
        root_cause: get_opt_enum(r, "root_cause")?,
        satisfaction: get_opt_enum(r, "satisfaction")?,
        urge_count: get_i64(r, "urge_count")?,
        reopen_count: get_i64(r, "reopen_count")?,
        merged_into: get_opt_i64(r, "merged_into")?,
        repeat_of: get_opt_i64(r, "repeat_of")?,
        problem_id: get_opt_i64(r, "problem_id")?,
    })
}

const CLOCK_COLS: &str = "id, order_id, kind, state, limit_text, source, started_at, due_at, warn_at, paused_at, paused_ms, \
    pause_reason, warned_at, breached_at, stopped_at, next_fire_at";

fn clock(r: &AnyRow) -> Result<ClockRow> {
    let st = get_str(r, "state")?;
    Ok(ClockRow {
        id: get_i64(r, "id")?,
        order_id: get_i64(r, "order_id")?,
        kind: get_enum(r, "kind")?,
        state: ClockState::parse(&st)
            .ok_or_else(|| StoreError::Corrupt(format!("clock state `{st}`")))?,
        limit_text: get_str(r, "limit_text")?,
        source: get_str(r, "source")?,
        started_at: get_i64(r, "started_at")?,
        due_at: get_i64(r, "due_at")?,
        warn_at: get_i64(r, "warn_at")?,
        paused_at: get_opt_i64(r, "paused_at")?,
        paused_ms: get_i64(r, "paused_ms")?,
        pause_reason: get_opt_str(r, "pause_reason")?,
        warned_at: get_opt_i64(r, "warned_at")?,
        breached_at: get_opt_i64(r, "breached_at")?,
        stopped_at: get_opt_i64(r, "stopped_at")?,
        next_fire_at: get_opt_i64(r, "next_fire_at")?,
    })
}

pub(crate) const TRACE_COLS: &str =
    "id, at, station_id, customer_id, order_id, channel, actor_id, actor, kind, payload";

pub(crate) fn trace(r: &AnyRow) -> Result<TraceRow> {
    let p = get_str(r, "payload")?;
    Ok(TraceRow {
        id: get_i64(r, "id")?,
        at: get_i64(r, "at")?,
        station_id: get_opt_i64(r, "station_id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        order_id: get_opt_i64(r, "order_id")?,
        channel: get_opt_str(r, "channel")?,
        actor_id: get_opt_i64(r, "actor_id")?,
        actor: get_str(r, "actor")?,
        kind: get_str(r, "kind")?,
        payload: serde_json::from_str(&p)
            .map_err(|e| StoreError::Corrupt(format!("payload: {e}")))?,
    })
}

impl Store {
    /// Writes back every mutable field of an order.
    pub async fn update_order(&self, tx: &mut Tx, o: &OrderRow) -> Result<()> {
        let n = sqlx::query(
            "UPDATE work_orders SET status = $1, department_id = $2, assignee_id = $3, co_handlers = $4, updated_at = $5, \
             closed_at = $6, next_due_at = $7, overdue = $8, escalated = $9, contacted = $10, replied = $11, reply_text = $12, \
             verdict = $13, root_cause = $14, satisfaction = $15, urge_count = $16, reopen_count = $17, merged_into = $18, \
             repeat_of = $19, problem_id = $20, severity = $21 WHERE id = $22",
        )
        .bind(o.status.code())
        .bind(o.department_id)
        .bind(o.assignee_id)
        .bind(serde_json::to_string(&o.co_handlers).unwrap_or_else(|_| "[]".into()))
        .bind(o.updated_at)
        .bind(o.closed_at)
        .bind(o.next_due_at)
        .bind(b(o.overdue))
        .bind(b(o.escalated))
        .bind(b(o.contacted))
        .bind(b(o.replied))
        .bind(&o.reply_text)
        .bind(o.verdict.map(|v| v.code()))
        .bind(o.root_cause.map(|v| v.code()))
        .bind(o.satisfaction.map(|v| v.code()))
        .bind(o.urge_count)
        .bind(o.reopen_count)
        .bind(o.merged_into)
        .bind(o.repeat_of)
        .bind(o.problem_id)
        .bind(o.severity.code())
        .bind(o.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        changed_one(n)
    }

    pub async fn order(&self, id: i64) -> Result<Option<OrderRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(order).transpose()
    }

    /// Reads an order inside a transaction (the row a command is about to change).
    pub async fn order_in(&self, tx: &mut Tx, id: i64) -> Result<Option<OrderRow>> {
        let sql = format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE id = $1{}",
            self.dialect.for_update()
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        r.as_ref().map(order).transpose()
    }

    /// The order an earlier request with this idempotency key created.
    pub async fn order_by_idem(
        &self,
        tx: &mut Tx,
        channel: voltdesk_domain::Channel,
        key: &str,
    ) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT id FROM work_orders WHERE channel = $1 AND idem_key = $2")
            .bind(channel.code())
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
        r.as_ref().map(|r| get_i64(r, "id")).transpose()
    }

    pub async fn orders(&self, f: &OrderFilter) -> Result<(Vec<OrderRow>, i64)> {
        let mut where_ = String::from(" WHERE 1=1");
        let mut binds: Vec<Bind> = Vec::new();
        let mut push = |clause: &str, v: Bind, binds: &mut Vec<Bind>| {
            binds.push(v);
            where_ += &clause.replace('?', &format!("${}", binds.len()));
        };
        if let Some(v) = f.station_id {
            push(" AND station_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.grid_id {
            push(" AND grid_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.area_id {
            push(" AND area_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.channel {
            push(" AND channel = ?", Bind::S(v.code().into()), &mut binds);
        }
        if let Some(v) = f.id_from {
            push(" AND id >= ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.id_to {
            push(" AND id <= ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.customer_id {
            push(" AND customer_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.problem_id {
            push(" AND problem_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.order_type {
            push(" AND order_type = ?", Bind::S(v.code().into()), &mut binds);
        }
        if let Some(v) = f.department_id {
            push(" AND department_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.assignee_id {
            push(" AND assignee_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.overdue {
            push(" AND overdue = ?", Bind::I(v as i64), &mut binds);
        }
        if let Some(v) = f.escalated {
            push(" AND escalated = ?", Bind::I(v as i64), &mut binds);
        }
        if let Some(v) = f.created_from {
            push(" AND created_at >= ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.created_to {
            push(" AND created_at < ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.due_from {
            push(" AND next_due_at >= ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.due_to {
            push(" AND next_due_at < ?", Bind::I(v), &mut binds);
        }
        if !f.grid_ids.is_empty() {
            let mut parts = Vec::new();
            for g in &f.grid_ids {
                binds.push(Bind::I(*g));
                parts.push(format!("${}", binds.len()));
            }
            where_ += &format!(" AND grid_id IN ({})", parts.join(", "));
        }
        if let Some(v) = &f.text_like {
            binds.push(Bind::S(v.clone()));
            binds.push(Bind::S(v.clone()));
            let (a, b) = (binds.len() - 1, binds.len());
            where_ +=
                &format!(" AND (title LIKE ${a} ESCAPE '\\' OR description LIKE ${b} ESCAPE '\\')");
        }
        // A phrase the index can answer: led by the index, newest first, where the backend
        // streams matches in id order. Sorted by acceptance (ids grow with it) the page is
        // read straight off the index; any other sort of a capped list sorts the newest
        // `cap` matches (the total says "more than" beyond them anyway).
        let mut driven: Option<(String, String)> = None;
        if let Some(q) = &f.text_query {
            for like in self.dialect.text_recheck(q) {
                binds.push(Bind::S(like.clone()));
                binds.push(Bind::S(like));
                let (a, b) = (binds.len() - 1, binds.len());
                where_ += &format!(
                    " AND (title LIKE ${a} ESCAPE '\\' OR description LIKE ${b} ESCAPE '\\')"
                );
            }
            binds.push(Bind::S(self.dialect.text_match_value(q)));
            let n = binds.len();
            match self.dialect.text_driven_from(n) {
                Some(d)
                    if (matches!(f.sort, OrderSort::CreatedAt | OrderSort::Id)
                        || f.count_cap.is_some())
                        && f.reopened.is_none() =>
                {
                    driven = Some(d)
                }
                _ => where_ += &self.dialect.text_match_filter(n),
            }
        }
        match f.reopened {
            Some(true) => {
                // Reopened orders are few; SQLite's planner would rather walk every open
                // order of the station by the queue index.
                let hint = self.dialect.indexed_by("work_orders_reopened");
                where_ = where_.replacen(" WHERE", &format!("{hint} WHERE"), 1);
                where_ += " AND reopen_count > 0"
            }
            Some(false) => where_ += " AND reopen_count = 0",
            None => {}
        }
        let statuses: Vec<voltdesk_domain::OrderStatus> = if f.open_only && f.statuses.is_empty() {
            voltdesk_domain::OrderStatus::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect()
        } else {
            f.statuses.clone()
        };
        if !statuses.is_empty() {
            let mut parts = Vec::new();
            for s in &statuses {
                binds.push(Bind::S(s.code().into()));
                parts.push(format!("${}", binds.len()));
            }
            where_ += &format!(" AND status IN ({})", parts.join(", "));
        }
        // SQLite keeps one average per index column, not how skewed statuses are: it would
        // walk every order of a type to find its few open ones, or sort a whole type by
        // status. Where only broad filters narrow the list, name the index that reads it in
        // order.
        let broad_only = f.reopened.is_none()
            && f.customer_id.is_none()
            && f.problem_id.is_none()
            && f.id_from.is_none()
            && f.id_to.is_none()
            && f.assignee_id.is_none()
            && f.department_id.is_none()
            && f.area_id.is_none()
            && f.grid_id.is_none()
            && f.grid_ids.is_empty()
            && f.text_like.is_none()
            && f.text_query.is_none();
        // Open statuses are few whatever the sort: both the page and its count read them
        // by status. A sort by status or type reads the page in that index's order; its
        // count is left to the planner (a covering index of the filter counts fastest).
        let open_statuses = !statuses.is_empty() && statuses.iter().all(|s| s.is_open());
        let hinted = |index: &str| {
            let hint = self.dialect.indexed_by(index);
            where_.replacen(" WHERE", &format!("{hint} WHERE"), 1)
        };
        let (where_page, where_count) = match f.sort {
            _ if !broad_only => (where_.clone(), where_.clone()),
            _ if open_statuses && f.sort != OrderSort::DueAt => {
                let w = hinted("work_orders_status_created");
                (w.clone(), w)
            }
            OrderSort::Status => (hinted("work_orders_status_created"), where_.clone()),
            OrderSort::Type => (hinted("work_orders_type_created"), where_.clone()),
            _ => (where_.clone(), where_.clone()),
        };
        let dir = if f.descending { "DESC" } else { "ASC" };
        let limit = f.limit.clamp(1, 1000);
        let offset = f.offset.max(0);
        // A capped count stops reading the index after `cap + 1` entries; deep pages count exactly.
        let cap = f.count_cap.filter(|c| offset + limit <= *c);
        let count = |extra: &str| {
            let sql = match cap {
                Some(c) => format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM work_orders{where_count}{extra} LIMIT {}) capped",
                    c + 1
                ),
                None => format!("SELECT COUNT(*) AS n FROM work_orders{where_count}{extra}"),
            };
            let mut cq = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in &binds {
                cq = v.bind(cq);
            }
            cq
        };
        let page = |extra: &str, order_by: &str, limit: i64, offset: i64| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ORDER_COLS} FROM work_orders{where_page}{extra} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}"
            )));
            for v in &binds {
                q = v.bind(q);
            }
            q
        };
        if let Some((from, matched)) = &driven {
            let rowid_dir = if f.descending { "DESC" } else { "ASC" };
            let sql = match f.sort {
                OrderSort::CreatedAt | OrderSort::Id => format!(
                    "SELECT {ORDER_COLS}{from}{where_}{matched} ORDER BY s.rowid {rowid_dir} LIMIT {limit} OFFSET {offset}"
                ),
                sort => {
                    let window = f.count_cap.unwrap_or(0).max(offset + limit);
                    // By due time, orders without a running clock last either way.
                    let order_by = simple_order(sort, dir).unwrap_or_else(|| {
                        format!("(next_due_at IS NULL), next_due_at {dir}, id {dir}")
                    });
                    format!(
                        "SELECT * FROM (SELECT {ORDER_COLS}{from}{where_}{matched} ORDER BY s.rowid DESC LIMIT {window}) newest \
                         ORDER BY {order_by} LIMIT {limit} OFFSET {offset}"
                    )
                }
            };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in &binds {
                q = v.bind(q);
            }
            let rows = q.fetch_all(self.reader()).await?;
            let sql = match cap {
                Some(c) => format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 AS one{from}{where_}{matched} LIMIT {}) capped",
                    c + 1
                ),
                None => format!("SELECT COUNT(*) AS n{from}{where_}{matched}"),
            };
            let mut cq = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in &binds {
                cq = v.bind(cq);
            }
            let total = get_i64(&cq.fetch_one(self.reader()).await?, "n")?;
            return Ok((rows.iter().map(order).collect::<Result<_>>()?, total));
        }
        let simple = simple_order(f.sort, dir);
        if let Some(order_by) = simple {
            let rows = page("", &order_by, limit, offset)
                .fetch_all(self.reader())
                .await?;
            let total = get_i64(&count("").fetch_one(self.reader()).await?, "n")?;
            return Ok((rows.iter().map(order).collect::<Result<_>>()?, total));
        }
        // By due time, orders without a running clock last either way. Read as two ranges
        // (with a due time, in the (station, status, next_due_at) index order; then without)
        // so that no query sorts the whole filtered set.
        let with_due = get_i64(
            &count(" AND next_due_at IS NOT NULL")
                .fetch_one(self.reader())
                .await?,
            "n",
        )?;
        let without_due = get_i64(
            &count(" AND next_due_at IS NULL")
                .fetch_one(self.reader())
                .await?,
            "n",
        )?;
        let mut rows = Vec::new();
        if offset < with_due {
            rows = page(
                " AND next_due_at IS NOT NULL",
                &format!("next_due_at {dir}, id {dir}"),
                limit,
                offset,
            )
            .fetch_all(self.reader())
            .await?;
        }
        let rest = limit - rows.len() as i64;
        if rest > 0 && without_due > 0 {
            let skip = (offset - with_due).max(0);
            rows.extend(
                page(" AND next_due_at IS NULL", &format!("id {dir}"), rest, skip)
                    .fetch_all(self.reader())
                    .await?,
            );
        }
        Ok((
            rows.iter().map(order).collect::<Result<_>>()?,
            with_due + without_due,
        ))
    }

    /// Earlier orders of a customer of one type (for repeat-complaint detection).
    pub async fn customer_orders_of_type(
        &self,
        tx: &mut Tx,
        customer_id: i64,
        t: voltdesk_domain::OrderType,
    ) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE customer_id = $1 AND order_type = $2 ORDER BY id DESC LIMIT 200"
        )))
        .bind(customer_id)
        .bind(t.code())
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(order).collect()
    }

    pub async fn count_orders(&self) -> Result<i64> {
        self.count_rows("work_orders").await
    }

    /// The latest 200 orders of one type of each of these customers, in one query per 500
    /// customers (repeat-complaint detection for a whole intake batch).
    pub async fn recent_orders_of_customers(
        &self,
        tx: &mut Tx,
        customer_ids: &[i64],
        t: voltdesk_domain::OrderType,
    ) -> Result<Vec<OrderRow>> {
        let mut out = Vec::new();
        for chunk in customer_ids.chunks(500) {
            let marks = (2..chunk.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {ORDER_COLS} FROM (SELECT {ORDER_COLS}, \
                 ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id DESC) AS nth \
                 FROM work_orders WHERE order_type = $1 AND customer_id IN ({marks})) AS recent \
                 WHERE nth <= 200 ORDER BY customer_id, id DESC"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(t.code());
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut **tx).await? {
                out.push(order(&r)?);
            }
        }
        Ok(out)
    }

    // ---- clocks ----

    pub async fn insert_clock(&self, tx: &mut Tx, c: &ClockRow) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO clocks (order_id, kind, state, limit_text, source, started_at, due_at, warn_at, paused_at, paused_ms, \
             pause_reason, warned_at, breached_at, stopped_at, next_fire_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(c.order_id)
        .bind(c.kind.code())
        .bind(c.state.code())
        .bind(&c.limit_text)
        .bind(&c.source)
        .bind(c.started_at)
        .bind(c.due_at)
        .bind(c.warn_at)
        .bind(c.paused_at)
        .bind(c.paused_ms)
        .bind(&c.pause_reason)
        .bind(c.warned_at)
        .bind(c.breached_at)
        .bind(c.stopped_at)
        .bind(c.next_fire_at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn update_clock(&self, tx: &mut Tx, c: &ClockRow) -> Result<()> {
        sqlx::query(
            "UPDATE clocks SET state = $1, due_at = $2, warn_at = $3, paused_at = $4, paused_ms = $5, pause_reason = $6, \
             warned_at = $7, breached_at = $8, stopped_at = $9, next_fire_at = $10 WHERE id = $11",
        )
        .bind(c.state.code())
        .bind(c.due_at)
        .bind(c.warn_at)
        .bind(c.paused_at)
        .bind(c.paused_ms)
        .bind(&c.pause_reason)
        .bind(c.warned_at)
        .bind(c.breached_at)
        .bind(c.stopped_at)
        .bind(c.next_fire_at)
        .bind(c.id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn clocks_of(&self, order_id: i64) -> Result<Vec<ClockRow>> {
        clocks_of_order(self.reader(), order_id).await
    }

    pub async fn clocks_in(&self, tx: &mut Tx, order_id: i64) -> Result<Vec<ClockRow>> {
        clocks_of_order(&mut **tx, order_id).await
    }

    /// Clocks with something to fire at or before `now`, earliest first.
    pub async fn due_clocks(&self, tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<ClockRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLOCK_COLS} FROM clocks WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(clock).collect()
    }

    /// The earliest instant any clock needs the scheduler.
    pub async fn next_clock_fire(&self) -> Result<Option<i64>> {
        let r =
            sqlx::query("SELECT MIN(next_fire_at) AS t FROM clocks WHERE next_fire_at IS NOT NULL")
                .fetch_one(self.reader())
                .await?;
        get_opt_i64(&r, "t")
    }

    pub async fn count_open_clocks(&self) -> Result<i64> {
        get_i64(
            &sqlx::query("SELECT COUNT(*) AS n FROM clocks WHERE next_fire_at IS NOT NULL")
                .fetch_one(self.reader())
                .await?,
            "n",
        )
    }

    // ---- trace ----

    pub async fn insert_traces(&self, tx: &mut Tx, events: &[NewTrace]) -> Result<()> {
        for chunk in events.chunks(500) {
            let sql = format!(
                "INSERT INTO trace_events (at, station_id, customer_id, order_id, channel, actor_id, actor, kind, payload) VALUES {}",
                self.dialect.values(chunk.len(), 9)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.at)
                    .bind(e.station_id)
                    .bind(e.customer_id)
                    .bind(e.order_id)
                    .bind(e.channel.map(|c| c.code()))
                    .bind(e.actor_id)
                    .bind(e.actor.clone())
                    .bind(e.event.code().to_string())
                    .bind(e.event.payload().to_string());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Latest trace events of a customer, newest first; `before` is an id cursor.
    pub async fn customer_trace(
        &self,
        customer_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TraceRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRACE_COLS} FROM trace_events WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        )))
        .bind(customer_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 500))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(trace).collect()
    }

    /// Every trace event of an order, oldest first.
    pub async fn order_trace(&self, order_id: i64) -> Result<Vec<TraceRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRACE_COLS} FROM trace_events WHERE order_id = $1 ORDER BY id"
        )))
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(trace).collect()
    }

    /// The audit trail: all events, newest first, optionally one kind prefix.
    pub async fn trace_all(
        &self,
        kind_prefix: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TraceRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRACE_COLS} FROM trace_events WHERE id < $1 AND ($2 IS NULL OR kind LIKE $2 ESCAPE '\\') ORDER BY id DESC LIMIT $3"
        )))
        .bind(before.unwrap_or(i64::MAX))
        .bind(kind_prefix.map(|k| format!("{}%", crate::like_escape(k))))
        .bind(limit.clamp(1, 500))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(trace).collect()
    }

    pub async fn count_trace(&self) -> Result<i64> {
        self.count_rows("trace_events").await
    }

    // ---- outbox ----

    pub async fn insert_outbox(
        &self,
        tx: &mut Tx,
        now: i64,
        topic: &str,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query("INSERT INTO outbox (created_at, topic, kind, payload, status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, 'pending', 0, $1)")
            .bind(now)
            .bind(topic)
            .bind(kind)
            .bind(payload.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn outbox(&self, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query("SELECT id, created_at, topic, kind, payload, status, attempts FROM outbox ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(outbox_row).collect()
    }

    // ---- escalations, return visits ----

    pub async fn insert_escalation(
        &self,
        tx: &mut Tx,
        order_id: i64,
        clock_id: Option<i64>,
        reason: &str,
        to_role: &str,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO escalations (order_id, clock_id, reason, to_role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(order_id)
            .bind(clock_id)
            .bind(reason)
            .bind(to_role)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
        get_i64(&r, "id")
    }

    pub async fn escalations(
        &self,
        order_id: Option<i64>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<EscalationRow>> {
        let rows = sqlx::query(
            "SELECT id, order_id, clock_id, reason, to_role, created_at, acknowledged_by, acknowledged_at FROM escalations \
             WHERE ($1 IS NULL OR order_id = $1) AND ($2 = 0 OR acknowledged_at IS NULL) ORDER BY id DESC LIMIT $3",
        )
        .bind(order_id)
        .bind(open_only as i64)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(escalation).collect()
    }

    pub async fn acknowledge_escalation(
        &self,
        tx: &mut Tx,
        id: i64,
        by: i64,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query("UPDATE escalations SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3 AND acknowledged_at IS NULL RETURNING order_id")
            .bind(by)
            .bind(now)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        get_i64(&r.ok_or(StoreError::NotFound)?, "order_id")
    }

    pub async fn insert_return_visit(
        &self,
        tx: &mut Tx,
        order_id: i64,
        s: voltdesk_domain::Satisfaction,
        comment: &str,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO return_visits (order_id, satisfaction, comment, actor_id, at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(order_id)
            .bind(s.code())
            .bind(comment)
            .bind(actor_id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
        get_i64(&r, "id")
    }

    pub async fn return_visits(&self, order_id: i64) -> Result<Vec<ReturnVisitRow>> {
        let rows = sqlx::query("SELECT id, order_id, satisfaction, comment, actor_id, at FROM return_visits WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(return_visit).collect()
    }

    // ---- problems ----

    pub async fn insert_problem(
        &self,
        tx: &mut Tx,
        station_id: i64,
        title: &str,
        description: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO problems (station_id, title, description, status, created_by, created_at) VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id")
            .bind(station_id)
            .bind(title)
            .bind(description)
            .bind(by)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
        get_i64(&r, "id")
    }

    pub async fn close_problem(
        &self,
        tx: &mut Tx,
        id: i64,
        root_cause: &str,
        now: i64,
    ) -> Result<()> {
        let n = sqlx::query("UPDATE problems SET status = 'closed', root_cause = $1, closed_at = $2 WHERE id = $3 AND status = 'open'")
            .bind(root_cause)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn problems(
        &self,
        station_id: Option<i64>,
        open_only: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ProblemRow>, i64)> {
        let rows = sqlx::query(
            "SELECT p.id, p.station_id, p.title, p.description, p.status, p.root_cause, p.created_by, p.created_at, p.closed_at, \
             (SELECT COUNT(*) FROM work_orders w WHERE w.problem_id = p.id) AS order_count FROM problems p \
             WHERE ($1 IS NULL OR p.station_id = $1) AND ($2 = 0 OR p.status = 'open') ORDER BY p.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(station_id)
        .bind(open_only as i64)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query("SELECT COUNT(*) AS n FROM problems WHERE ($1 IS NULL OR station_id = $1) AND ($2 = 0 OR status = 'open')")
            .bind(station_id)
            .bind(open_only as i64)
            .fetch_one(self.reader())
            .await?;
        Ok((
            rows.iter().map(problem).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    pub async fn problem(&self, id: i64) -> Result<Option<ProblemRow>> {
        let r = sqlx::query(
            "SELECT p.id, p.station_id, p.title, p.description, p.status, p.root_cause, p.created_by, p.created_at, p.closed_at, \
             (SELECT COUNT(*) FROM work_orders w WHERE w.problem_id = p.id) AS order_count FROM problems p WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(problem).transpose()
    }
}

fn outbox_row(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: get_i64(r, "id")?,
        created_at: get_i64(r, "created_at")?,
        topic: get_str(r, "topic")?,
        kind: get_str(r, "kind")?,
        payload: serde_json::from_str(&get_str(r, "payload")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: get_str(r, "status")?,
        attempts: get_i64(r, "attempts")?,
    })
}

fn escalation(r: &AnyRow) -> Result<EscalationRow> {
    Ok(EscalationRow {
        id: get_i64(r, "id")?,
        order_id: get_i64(r, "order_id")?,
        clock_id: get_opt_i64(r, "clock_id")?,
        reason: get_str(r, "reason")?,
        to_role: get_str(r, "to_role")?,
        created_at: get_i64(r, "created_at")?,
        acknowledged_by: get_opt_i64(r, "acknowledged_by")?,
        acknowledged_at: get_opt_i64(r, "acknowledged_at")?,
    })
}

fn return_visit(r: &AnyRow) -> Result<ReturnVisitRow> {
    Ok(ReturnVisitRow {
        id: get_i64(r, "id")?,
        order_id: get_i64(r, "order_id")?,
        satisfaction: get_enum(r, "satisfaction")?,
        comment: get_str(r, "comment")?,
        actor_id: get_opt_i64(r, "actor_id")?,
        at: get_i64(r, "at")?,
    })
}

/// The clocks of an order, by id, read through the pool or inside a transaction.
async fn clocks_of_order<'e, E>(e: E, order_id: i64) -> Result<Vec<ClockRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CLOCK_COLS} FROM clocks WHERE order_id = $1 ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(e)
    .await?;
    rows.iter().map(clock).collect()
}

fn problem(r: &AnyRow) -> Result<ProblemRow> {
    Ok(ProblemRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        title: get_str(r, "title")?,
        description: get_str(r, "description")?,
        status: get_str(r, "status")?,
        root_cause: get_opt_str(r, "root_cause")?,
        created_by: get_opt_i64(r, "created_by")?,
        created_at: get_i64(r, "created_at")?,
        closed_at: get_opt_i64(r, "closed_at")?,
        order_count: get_i64(r, "order_count")?,
    })
}

impl Store {
    /// Orders already holding any of these (channel, idempotency key) pairs: (id, channel, key).
    /// Queried per channel so the lookup runs on the (channel, idem_key) unique index.
    pub async fn orders_by_idem_keys(
        &self,
        tx: &mut Tx,
        keys: &[(voltdesk_domain::Channel, String)],
    ) -> Result<Vec<(i64, String, String)>> {
        let mut by_channel: std::collections::BTreeMap<&'static str, Vec<&String>> =
            std::collections::BTreeMap::new();
        for (c, k) in keys {
            by_channel.entry(c.code()).or_default().push(k);
        }
        let mut out = Vec::new();
        for (channel, ks) in by_channel {
            for chunk in ks.chunks(500) {
                let mut p = self.dialect.params();
                let first = p.next();
                let marks = p.list(chunk.len());
                let sql = format!(
                    "SELECT id, channel, idem_key FROM work_orders WHERE channel = {first} AND idem_key IN ({marks})"
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(channel);
                for k in chunk {
                    q = q.bind((*k).clone());
                }
                for r in q.fetch_all(&mut **tx).await? {
                    out.push((
                        get_i64(&r, "id")?,
                        get_str(&r, "channel")?,
                        get_str(&r, "idem_key")?,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Takes `n` new ids for `table` inside the transaction. PostgreSQL draws them from the
    /// table's sequence; SQLite counts on from the highest id (the transaction holds the
    /// database's only write lock once it writes, and a concurrent writer in another process
    /// would make the insert fail, not collide silently).
    pub async fn reserve_ids(
        &self,
        tx: &mut Tx,
        table: &'static str,
        n: usize,
    ) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(vec![]);
        }
        match self.dialect.draw_ids(table) {
            Some(sql) => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(n as i64)
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter().map(|r| get_i64(r, "id")).collect()
            }
            None => {
                let first = self.max_id(tx, table).await? + 1;
                Ok((first..first + n as i64).collect())
            }
        }
    }

    /// Inserts orders with the ids they carry (from `reserve_ids`): new ones from intake, or a
    /// generated history (closed ones with their reply and satisfaction).
    pub async fn insert_orders(&self, tx: &mut Tx, rows: &[OrderRow]) -> Result<()> {
        for chunk in rows.chunks(200) {
            let sql = format!(
                "INSERT INTO work_orders (id, station_id, area_id, grid_id, customer_id, order_type, service_kind, channel, subject, \
                 complaint_class, severity, status, title, description, contact_phone, policy_id, policy_version, idem_key, \
                 created_by, created_at, updated_at, next_due_at, repeat_of, closed_at, replied, reply_text, satisfaction, \
                 department_id) VALUES {}",
                self.dialect.values(chunk.len(), 28)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for o in chunk {
                q = q
                    .bind(o.id)
                    .bind(o.station_id)
                    .bind(o.area_id)
                    .bind(o.grid_id)
                    .bind(o.customer_id)
                    .bind(o.order_type.code())
                    .bind(o.service_kind.map(|v| v.code()))
                    .bind(o.channel.code())
                    .bind(o.subject.map(|v| v.code()))
                    .bind(o.complaint_class.map(|v| v.code()))
                    .bind(o.severity.code())
                    .bind(o.status.code())
                    .bind(o.title.clone())
                    .bind(o.description.clone())
                    .bind(o.contact_phone.clone())
                    .bind(o.policy_id.clone())
                    .bind(o.policy_version.clone())
                    .bind(o.idem_key.clone())
                    .bind(o.created_by)
                    .bind(o.created_at)
                    .bind(o.updated_at)
                    .bind(o.next_due_at)
                    .bind(o.repeat_of)
                    .bind(o.closed_at)
                    .bind(b(o.replied))
                    .bind(o.reply_text.clone())
                    .bind(o.satisfaction.map(|v| v.code()))
                    .bind(o.department_id);
            }
            q.execute(&mut **tx).await?;
        }
        self.insert_order_text(tx, rows).await
    }

    /// Writes the full-text index's tokens of orders (their title and text).
    pub(crate) async fn insert_order_text(&self, tx: &mut Tx, rows: &[OrderRow]) -> Result<()> {
        for chunk in rows.chunks(200) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(self.dialect.text_insert(chunk.len())));
            for o in chunk {
                let tokens = voltdesk_domain::search::index_tokens(&o.title, &o.description);
                q = q.bind(o.id).bind(self.dialect.text_terms(&tokens));
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Indexes up to `batch` of the orders that existed before the full-text index did (the
    /// range the migration recorded), writing how far it got in the same transaction.
    /// Answers how many ids remain; 0 when the index is whole.
    pub async fn backfill_order_text(&self, batch: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        let Some(r) =
            sqlx::query("SELECT next_id, end_id FROM search_backfill WHERE name = 'orders'")
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(0);
        };
        let (next, end) = (get_i64(&r, "next_id")?, get_i64(&r, "end_id")?);
        if next > end {
            return Ok(0);
        }
        let upto = (next + batch.max(1)).min(end + 1);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE id >= $1 AND id < $2"
        )))
        .bind(next)
        .bind(upto)
        .fetch_all(&mut *tx)
        .await?;
        let rows = rows.iter().map(order).collect::<Result<Vec<_>>>()?;
        sqlx::query(self.dialect.text_delete_range())
            .bind(next)
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        self.insert_order_text(&mut tx, &rows).await?;
        sqlx::query("UPDATE search_backfill SET next_id = $1 WHERE name = 'orders'")
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(end + 1 - upto)
    }

    /// Inserts clocks with the ids they carry (from `reserve_ids`).
    pub async fn insert_clocks(&self, tx: &mut Tx, rows: &[ClockRow]) -> Result<()> {
        for chunk in rows.chunks(400) {
            let sql = format!(
                "INSERT INTO clocks (id, order_id, kind, state, limit_text, source, started_at, due_at, warn_at, paused_ms, \
                 stopped_at, next_fire_at) VALUES {}",
                self.dialect.values(chunk.len(), 12)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.id)
                    .bind(c.order_id)
                    .bind(c.kind.code())
                    .bind(c.state.code())
                    .bind(c.limit_text.clone())
                    .bind(c.source.clone())
                    .bind(c.started_at)
                    .bind(c.due_at)
                    .bind(c.warn_at)
                    .bind(c.paused_ms)
                    .bind(c.stopped_at)
                    .bind(c.next_fire_at);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Queues several notices of one topic.
    pub async fn insert_outbox_many(
        &self,
        tx: &mut Tx,
        now: i64,
        topic: &str,
        items: &[(String, serde_json::Value)],
    ) -> Result<()> {
        for chunk in items.chunks(500) {
            let sql = format!(
                "INSERT INTO outbox (created_at, topic, kind, payload, status, attempts, next_attempt_at) VALUES {}",
                self.dialect.values(chunk.len(), 7)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (kind, payload) in chunk {
                q = q
                    .bind(now)
                    .bind(topic.to_string())
                    .bind(kind.clone())
                    .bind(payload.to_string())
                    .bind("pending")
                    .bind(0i64)
                    .bind(now);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Orders by id inside the transaction, locked on PostgreSQL in id order (the same
    /// order as single-order commands take their lock, so the two never deadlock).
    pub async fn orders_locked(&self, tx: &mut Tx, ids: &[i64]) -> Result<Vec<OrderRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE id IN ({}) ORDER BY id{}",
            self.dialect.marks(ids.len()),
            self.dialect.for_update()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut **tx).await?.iter().map(order).collect()
    }

    pub async fn clocks_by_ids(&self, tx: &mut Tx, ids: &[i64]) -> Result<Vec<ClockRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {CLOCK_COLS} FROM clocks WHERE id IN ({})",
            self.dialect.marks(ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut **tx).await?.iter().map(clock).collect()
    }

    /// Clocks that reached their warning time: warned now, next look at their due time.
    pub async fn mark_clocks_warned(&self, tx: &mut Tx, ids: &[i64], now: i64) -> Result<()> {
        self.update_ids(
            tx,
            "UPDATE clocks SET warned_at = NOW, next_fire_at = due_at",
            now,
            ids,
        )
        .await
    }

    /// Clocks past their due time: breached now (and warned, if they had not been).
    pub async fn mark_clocks_breached(&self, tx: &mut Tx, ids: &[i64], now: i64) -> Result<()> {
        self.update_ids(tx, "UPDATE clocks SET breached_at = NOW, warned_at = COALESCE(warned_at, NOW), next_fire_at = NULL", now, ids).await
    }

    /// Marks orders late and escalated.
    pub async fn mark_orders_breached(&self, tx: &mut Tx, ids: &[i64], now: i64) -> Result<()> {
        self.update_ids(
            tx,
            "UPDATE work_orders SET overdue = 1, escalated = 1, updated_at = NOW",
            now,
            ids,
        )
        .await
    }

    /// Runs `head WHERE id IN (ids)`, with every `NOW` in `head` bound to `now`.
    async fn update_ids(
        &self,
        tx: &mut Tx,
        head: &'static str,
        now: i64,
        ids: &[i64],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut p = self.dialect.params();
        let mut sql = String::new();
        let mut nows = 0;
        for (i, part) in head.split("NOW").enumerate() {
            if i > 0 {
                sql.push_str(&p.next());
                nows += 1;
            }
            sql.push_str(part);
        }
        sql.push_str(&format!(" WHERE id IN ({})", p.list(ids.len())));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for _ in 0..nows {
            q = q.bind(now);
        }
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    /// Inserts escalations with the ids they carry (from `reserve_ids`).
    pub async fn insert_escalations(&self, tx: &mut Tx, rows: &[EscalationRow]) -> Result<()> {
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO escalations (id, order_id, clock_id, reason, to_role, created_at) VALUES {}",
                self.dialect.values(chunk.len(), 6)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.id)
                    .bind(e.order_id)
                    .bind(e.clock_id)
                    .bind(e.reason.clone())
                    .bind(e.to_role.clone())
                    .bind(e.created_at);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}
