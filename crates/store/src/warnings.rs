//! Warnings raised by the early-warning rules, the rules' position in the trace, per-station
//! rule switches, and the facts the rules read (recent orders of a customer, dissatisfied
//! return visits, sensitive customers due for review).

use crate::customers::{Bind, COLS as CUSTOMER_COLS};
use crate::orders::{ORDER_COLS, TRACE_COLS, order, trace};
use crate::*;
use voltdesk_domain::Millis;

/// A warning as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningRow {
    pub id: i64,
    pub rule: String,
    pub severity: String,
    pub station_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub area_id: Option<i64>,
    pub owner_role: String,
    pub owner_id: Option<i64>,
    pub dedup_key: String,
    pub title: String,
    pub detail: serde_json::Value,
    pub status: String,
    pub occurrences: i64,
    pub raised_at: Millis,
    pub last_seen_at: Millis,
    pub trace_id: Option<i64>,
    pub acknowledged_at: Option<Millis>,
    pub acknowledged_by: Option<i64>,
    pub closed_at: Option<Millis>,
    pub closed_by: Option<i64>,
    pub close_reason: Option<String>,
}

/// A warning to raise (or to see again, when a live one has the same key).
#[derive(Debug, Clone)]
pub struct NewWarning {
    pub rule: String,
    pub severity: String,
    pub station_id: Option<i64>,
    pub subject_kind: &'static str,
    pub subject_id: i64,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub area_id: Option<i64>,
    pub owner_role: String,
    pub owner_id: Option<i64>,
    pub dedup_key: String,
    pub title: String,
    pub detail: serde_json::Value,
    pub at: Millis,
    pub trace_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct WarningFilter {
    pub statuses: Vec<String>,
    pub rule: Option<String>,
    pub owner_role: Option<String>,
    pub owner_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub station_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

const WARNING_COLS: &str = "id, rule, severity, station_id, subject_kind, subject_id, customer_id, order_id, area_id, \
    owner_role, owner_id, dedup_key, title, detail, status, occurrences, raised_at, last_seen_at, trace_id, \
    acknowledged_at, acknowledged_by, closed_at, closed_by, close_reason";

fn warning(r: &AnyRow) -> Result<WarningRow> {
    let d = get_str(r, "detail")?;
    Ok(WarningRow {
        id: get_i64(r, "id")?,
        rule: get_str(r, "rule")?,
        severity: get_str(r, "severity")?,
        station_id: get_opt_i64(r, "station_id")?,
        subject_kind: get_str(r, "subject_kind")?,
        subject_id: get_i64(r, "subject_id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        order_id: get_opt_i64(r, "order_id")?,
        area_id: get_opt_i64(r, "area_id")?,
        owner_role: get_str(r, "owner_role")?,
        owner_id: get_opt_i64(r, "owner_id")?,
        dedup_key: get_str(r, "dedup_key")?,
        title: get_str(r, "title")?,
        detail: serde_json::from_str(&d)
            .map_err(|e| StoreError::Corrupt(format!("detail: {e}")))?,
        status: get_str(r, "status")?,
        occurrences: get_i64(r, "occurrences")?,
        raised_at: get_i64(r, "raised_at")?,
        last_seen_at: get_i64(r, "last_seen_at")?,
        trace_id: get_opt_i64(r, "trace_id")?,
        acknowledged_at: get_opt_i64(r, "acknowledged_at")?,
        acknowledged_by: get_opt_i64(r, "acknowledged_by")?,
        closed_at: get_opt_i64(r, "closed_at")?,
        closed_by: get_opt_i64(r, "closed_by")?,
        close_reason: get_opt_str(r, "close_reason")?,
    })
}

async fn warning_by_id<'e, E>(e: E, id: i64) -> Result<Option<WarningRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WARNING_COLS} FROM warnings WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?;
    r.as_ref().map(warning).transpose()
}

/// The facts of an order the early-warning rules read.
#[derive(Debug, Clone)]
pub struct OrderBrief {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub area_id: Option<i64>,
    pub order_type: voltdesk_domain::OrderType,
    pub subject: Option<voltdesk_domain::SubjectArea>,
    pub created_at: Millis,
    pub merged_into: Option<i64>,
    /// Empty when read without texts.
    pub title: String,
    pub description: String,
}

const BRIEF_COLS: &str = "id, customer_id, area_id, order_type, subject, created_at, merged_into";

fn brief(r: &AnyRow, texts: bool) -> Result<OrderBrief> {
    Ok(OrderBrief {
        id: get_i64(r, "id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        area_id: get_opt_i64(r, "area_id")?,
        order_type: get_enum(r, "order_type")?,
        subject: get_opt_enum(r, "subject")?,
        created_at: get_i64(r, "created_at")?,
        merged_into: get_opt_i64(r, "merged_into")?,
        title: if texts {
            get_str(r, "title")?
        } else {
            String::new()
        },
        description: if texts {
            get_str(r, "description")?
        } else {
            String::new()
        },
    })
}

/// Whether a raise made a new warning or saw a live one again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    New(i64),
    Again(i64),
}

impl Store {
    /// Raises a warning: a live one (open or acknowledged) with the same key is seen again
    /// (occurrences + 1) instead of a second one being made.
    pub async fn raise_warning(&self, tx: &mut Tx, w: &NewWarning) -> Result<Raised> {
        let live = sqlx::query(
            "SELECT id FROM warnings WHERE dedup_key = $1 AND status IN ('open', 'acknowledged')",
        )
        .bind(&w.dedup_key)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = live {
            let id = get_i64(&r, "id")?;
            sqlx::query(
                "UPDATE warnings SET occurrences = occurrences + 1, last_seen_at = $1 WHERE id = $2",
            )
            .bind(w.at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            return Ok(Raised::Again(id));
        }
        let r = sqlx::query(
            "INSERT INTO warnings (rule, severity, station_id, subject_kind, subject_id, customer_id, order_id, \
             area_id, owner_role, owner_id, dedup_key, title, detail, status, occurrences, raised_at, last_seen_at, trace_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', 1, $14, $14, $15) RETURNING id",
        )
        .bind(&w.rule)
        .bind(&w.severity)
        .bind(w.station_id)
        .bind(w.subject_kind)
        .bind(w.subject_id)
        .bind(w.customer_id)
        .bind(w.order_id)
        .bind(w.area_id)
        .bind(&w.owner_role)
        .bind(w.owner_id)
        .bind(&w.dedup_key)
        .bind(&w.title)
        .bind(w.detail.to_string())
        .bind(w.at)
        .bind(w.trace_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(Raised::New(get_i64(&r, "id")?))
    }

    pub async fn warnings(&self, f: &WarningFilter) -> Result<(Vec<WarningRow>, i64)> {
        let mut where_ = String::from(" WHERE 1=1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let mut binds: Vec<Bind> = Vec::new();
        if !f.statuses.is_empty() {
            let marks: Vec<String> = f.statuses.iter().map(|_| next()).collect();
            where_ += &format!(" AND status IN ({})", marks.join(", "));
            binds.extend(f.statuses.iter().map(|s| Bind::S(s.clone())));
        }
        for (col, v) in [
            ("rule", f.rule.clone()),
            ("owner_role", f.owner_role.clone()),
        ] {
            if let Some(v) = v {
                where_ += &format!(" AND {col} = {}", next());
                binds.push(Bind::S(v));
            }
        }
        for (col, v) in [
            ("owner_id", f.owner_id),
            ("customer_id", f.customer_id),
            ("order_id", f.order_id),
            ("station_id", f.station_id),
        ] {
            if let Some(v) = v {
                where_ += &format!(" AND {col} = {}", next());
                binds.push(Bind::I(v));
            }
        }
        let sql = format!(
            "SELECT {WARNING_COLS} FROM warnings{where_} ORDER BY raised_at DESC, id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 500),
            f.offset.max(0)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = b.bind(q);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let mut cq = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM warnings{where_}"
        )));
        for b in &binds {
            cq = b.bind(cq);
        }
        let total = get_i64(&cq.fetch_one(self.reader()).await?, "n")?;
        Ok((rows.iter().map(warning).collect::<Result<_>>()?, total))
    }

    pub async fn warning(&self, id: i64) -> Result<Option<WarningRow>> {
        warning_by_id(self.reader(), id).await
    }

    pub async fn warning_in(&self, tx: &mut Tx, id: i64) -> Result<Option<WarningRow>> {
        warning_by_id(&mut **tx, id).await
    }

    pub async fn acknowledge_warning(
        &self,
        tx: &mut Tx,
        id: i64,
        by: i64,
        at: Millis,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE warnings SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3",
        )
        .bind(at)
        .bind(by)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn close_warning(
        &self,
        tx: &mut Tx,
        id: i64,
        status: &str,
        by: i64,
        reason: &str,
        at: Millis,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE warnings SET status = $1, closed_at = $2, closed_by = $3, close_reason = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(at)
        .bind(by)
        .bind(reason)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Where a reader of the trace stopped (0 at first).
    pub async fn rule_cursor(&self, name: &str) -> Result<i64> {
        let r = sqlx::query("SELECT last_trace_id FROM rule_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            Some(r) => get_i64(&r, "last_trace_id")?,
            None => 0,
        })
    }

    pub async fn set_rule_cursor(&self, tx: &mut Tx, name: &str, last: i64) -> Result<()> {
        let n = sqlx::query("UPDATE rule_cursors SET last_trace_id = $1 WHERE name = $2")
            .bind(last)
            .bind(name)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            sqlx::query("INSERT INTO rule_cursors (name, last_trace_id) VALUES ($1, $2)")
                .bind(name)
                .bind(last)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Trace events after `after`, oldest first.
    pub async fn traces_after(&self, after: i64, limit: i64) -> Result<Vec<TraceRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRACE_COLS} FROM trace_events WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(trace).collect()
    }

    /// The last trace event's id (0 for none).
    pub async fn last_trace_id(&self) -> Result<i64> {
        let r = sqlx::query("SELECT MAX(id) AS m FROM trace_events")
            .fetch_one(self.reader())
            .await?;
        Ok(get_opt_i64(&r, "m")?.unwrap_or(0))
    }

    /// Raises many warnings at once (see `raise_warning`): one look-up of the live keys, one
    /// multi-row insert of the new ones, one update per key seen again. Raises with the same
    /// key in one call are one warning.
    pub async fn raise_warnings(&self, tx: &mut Tx, ws: &[NewWarning]) -> Result<Vec<Raised>> {
        use std::collections::HashMap;
        let mut live: HashMap<String, i64> = HashMap::new();
        let keys: Vec<&str> = ws.iter().map(|w| w.dedup_key.as_str()).collect();
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT id, dedup_key FROM warnings WHERE status IN ('open', 'acknowledged') AND dedup_key IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for k in chunk {
                q = q.bind(*k);
            }
            for r in q.fetch_all(&mut **tx).await? {
                live.insert(get_str(&r, "dedup_key")?, get_i64(&r, "id")?);
            }
        }
        let fresh_keys: std::collections::HashSet<&str> = ws
            .iter()
            .map(|w| w.dedup_key.as_str())
            .filter(|k| !live.contains_key(*k))
            .collect();
        let mut ids = self
            .reserve_ids(tx, "warnings", fresh_keys.len())
            .await?
            .into_iter();
        let mut out = Vec::with_capacity(ws.len());
        let mut new_rows: Vec<(i64, &NewWarning)> = Vec::new();
        let mut again: HashMap<i64, (i64, Millis)> = HashMap::new();
        for w in ws {
            match live.get(&w.dedup_key) {
                Some(id) => {
                    let e = again.entry(*id).or_insert((0, w.at));
                    e.0 += 1;
                    e.1 = e.1.max(w.at);
                    out.push(Raised::Again(*id));
                }
                None => {
                    let id = ids
                        .next()
                        .ok_or_else(|| StoreError::Corrupt("warning ids".into()))?;
                    live.insert(w.dedup_key.clone(), id);
                    new_rows.push((id, w));
                    out.push(Raised::New(id));
                }
            }
        }
        for chunk in new_rows.chunks(200) {
            let sql = format!(
                "INSERT INTO warnings (id, rule, severity, station_id, subject_kind, subject_id, customer_id, order_id, \
                 area_id, owner_role, owner_id, dedup_key, title, detail, status, occurrences, raised_at, last_seen_at, trace_id) VALUES {}",
                self.dialect.values(chunk.len(), 19)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, w) in chunk {
                q = q
                    .bind(*id)
                    .bind(w.rule.clone())
                    .bind(w.severity.clone())
                    .bind(w.station_id)
                    .bind(w.subject_kind)
                    .bind(w.subject_id)
                    .bind(w.customer_id)
                    .bind(w.order_id)
                    .bind(w.area_id)
                    .bind(w.owner_role.clone())
                    .bind(w.owner_id)
                    .bind(w.dedup_key.clone())
                    .bind(w.title.clone())
                    .bind(w.detail.to_string())
                    .bind("open")
                    .bind(1i64)
                    .bind(w.at)
                    .bind(w.at)
                    .bind(w.trace_id);
            }
            q.execute(&mut **tx).await?;
        }
        for (id, (n, at)) in again {
            sqlx::query(
                "UPDATE warnings SET occurrences = occurrences + $1, last_seen_at = $2 WHERE id = $3",
            )
            .bind(n)
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(out)
    }

    /// What the rules read of orders, by id (any order): the few columns they need.
    pub async fn order_briefs_by_ids(&self, ids: &[i64]) -> Result<Vec<OrderBrief>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {BRIEF_COLS}, title, description FROM work_orders WHERE id IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(brief(&r, true)?);
            }
        }
        Ok(out)
    }

    /// Of these customers, the ones marked sensitive.
    pub async fn sensitive_among(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id FROM customers WHERE sensitive = 1 AND id IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(get_i64(&r, "id")?);
            }
        }
        Ok(out)
    }

    /// The orders of these customers created at or after `since` (without their texts).
    pub async fn order_briefs_of_customers_since(
        &self,
        customer_ids: &[i64],
        since: Millis,
    ) -> Result<Vec<OrderBrief>> {
        let mut out = Vec::new();
        for chunk in customer_ids.chunks(500) {
            let mut p = self.dialect.params();
            let sql = format!(
                "SELECT {BRIEF_COLS} FROM work_orders WHERE customer_id IN ({}) AND created_at >= {}",
                p.list(chunk.len()),
                p.next()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.bind(since).fetch_all(self.reader()).await? {
                out.push(brief(&r, false)?);
            }
        }
        Ok(out)
    }

    /// A customer's orders created at or after `since`, newest first.
    pub async fn customer_orders_since(
        &self,
        customer_id: i64,
        since: Millis,
    ) -> Result<Vec<OrderRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM work_orders WHERE customer_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 200"
        )))
        .bind(customer_id)
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(order).collect()
    }

    /// Dissatisfied return visits on a customer's orders since `since`.
    pub async fn dissatisfied_visits_since(&self, customer_id: i64, since: Millis) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM return_visits r JOIN work_orders w ON w.id = r.order_id \
             WHERE w.customer_id = $1 AND r.at >= $2 AND r.satisfaction = 'dissatisfied'",
        )
        .bind(customer_id)
        .bind(since)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }

    /// Flags a customer sensitive (or clears it) with the date of its next review.
    pub async fn set_customer_sensitive_review(
        &self,
        tx: &mut Tx,
        id: i64,
        sensitive: bool,
        review_at: Option<Millis>,
        now: Millis,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE customers SET sensitive = $1, sensitive_review_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(b(sensitive))
        .bind(review_at)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Sensitive customers whose review date has come.
    pub async fn sensitive_due_for_review(
        &self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE sensitive = 1 AND sensitive_review_at <= $1 ORDER BY sensitive_review_at LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(crate::customers::customer).collect()
    }

    /// (station, rule, enabled) switches set by hand.
    pub async fn station_rules(&self) -> Result<Vec<(i64, String, bool)>> {
        let rows = sqlx::query("SELECT station_id, rule, enabled FROM station_rules")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get_i64(r, "station_id")?,
                    get_str(r, "rule")?,
                    get_bool(r, "enabled")?,
                ))
            })
            .collect()
    }

    pub async fn set_station_rule(
        &self,
        station_id: i64,
        rule: &str,
        enabled: bool,
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM station_rules WHERE station_id = $1 AND rule = $2")
            .bind(station_id)
            .bind(rule)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO station_rules (station_id, rule, enabled, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(station_id)
        .bind(rule)
        .bind(b(enabled))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Outages that covered a transformer area and started at or after `since`.
    pub async fn outages_on_area_since(&self, area_id: i64, since: Millis) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(DISTINCT oa.outage_id) AS n FROM outage_areas oa JOIN outages o ON o.id = oa.outage_id \
             WHERE oa.area_id = $1 AND o.started_at >= $2",
        )
        .bind(area_id)
        .bind(since)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }
}
