//! Outages: interruptions of supply on a feeder or one transformer area, planned or not.
//! Written in bulk by the history generator, one at a time by the dispatch system (API or
//! CSV import); the areas each covers are rows of `outage_areas`, so "which customers" is a
//! look-up on `customers(area_id)`. Repair orders about an outage point to it
//! (`work_orders.outage_id`).
//!
//! The set-based writes of a registration (notices to every affected customer, care tasks
//! for the care-group households) are `INSERT ... SELECT` statements: the database resolves
//! the customers itself, so 50,000 notices are one statement, not 50,000 rows round-tripped.
//! What to send and to whom is the service's decision, passed in.

use crate::org::{AREA_COLS, FEEDER_COLS, area, feeder};
use crate::*;
use voltdesk_domain::Millis;
pub use voltdesk_domain::outage::OutageKind;
use voltdesk_domain::trace::TraceEvent;

/// One outage as stored. `feeder_id` is set for a whole feeder, `area_id` for one area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageRow {
    pub id: i64,
    pub station_id: i64,
    pub kind: OutageKind,
    pub feeder_id: Option<i64>,
    pub area_id: Option<i64>,
    pub cause: String,
    pub started_at: Millis,
    pub expected_restore_at: Option<Millis>,
    pub restored_at: Option<Millis>,
    /// When the fault itself was repaired; may come after `restored_at` (restore first).
    pub repaired_at: Option<Millis>,
    /// When the customers were told in advance (planned and temporary outages).
    pub notified_at: Option<Millis>,
    pub affected_customers: i64,
    pub created_at: Millis,
}

/// An outage with what registration records beside it, and what hangs off it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageRecord {
    pub outage: OutageRow,
    /// `api`, `import`, `desk` or `generated`.
    pub source: String,
    /// The dispatch system's id.
    pub external_ref: Option<String>,
    /// When the advance notice had to be out by (`None` for a fault).
    pub notice_due_at: Option<Millis>,
    /// Registered too late to be announced in time.
    pub late_notice: bool,
    pub created_by: Option<i64>,
    pub updated_at: Option<Millis>,
    /// Repair orders linked to this outage.
    pub linked_orders: i64,
    /// Care tasks of this outage not done yet.
    pub open_care_tasks: i64,
}

/// A new outage to store: the row (its `id` is ignored) and the registration's facts.
#[derive(Debug, Clone)]
pub struct NewOutageRow {
    pub row: OutageRow,
    pub source: &'static str,
    pub external_ref: Option<String>,
    pub notice_due_at: Option<Millis>,
    pub late_notice: bool,
    pub created_by: Option<i64>,
}

/// Which outages a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutageState {
    /// Started and not restored: latest start first.
    #[default]
    Active,
    /// Not started yet: soonest first.
    Planned,
    /// Restored: latest restoration first.
    Recent,
}

impl OutageState {
    pub fn parse(s: &str) -> Option<OutageState> {
        Some(match s {
            "active" => OutageState::Active,
            "planned" => OutageState::Planned,
            "recent" => OutageState::Recent,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct OutageFilter {
    pub state: OutageState,
    pub station_id: Option<i64>,
    /// The instant "active" and "planned" are judged at.
    pub now: Millis,
    pub limit: i64,
    pub offset: i64,
}

/// Which customers of the affected areas a notice goes to: `None` in
/// [`Store::queue_area_notices`] means all of them; otherwise a customer is picked when its
/// segment or usage class is listed, or (with `care`) when it is a care household (a care
/// group or a care plan).
#[derive(Debug, Clone, Default)]
pub struct CustomerPick {
    pub segments: Vec<&'static str>,
    pub usage_classes: Vec<&'static str>,
    pub care: bool,
}

/// An unrestored outage covering an area (the intake's in-memory look-up is built of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaCover {
    pub area_id: i64,
    pub outage_id: i64,
    pub started_at: Millis,
    pub expected_restore_at: Option<Millis>,
}

const COLS: &[&str] = &[
    "id",
    "station_id",
    "kind",
    "feeder_id",
    "area_id",
    "cause",
    "started_at",
    "expected_restore_at",
    "restored_at",
    "repaired_at",
    "notified_at",
    "affected_customers",
    "created_at",
];

const RECORD_COLS: &str = "o.id, o.station_id, o.kind, o.feeder_id, o.area_id, o.cause, o.started_at, \
    o.expected_restore_at, o.restored_at, o.repaired_at, o.notified_at, o.affected_customers, o.created_at, \
    o.source, o.external_ref, o.notice_due_at, o.late_notice, o.created_by, o.updated_at, \
    (SELECT COUNT(*) FROM work_orders w WHERE w.outage_id = o.id) AS linked_orders, \
    (SELECT COUNT(*) FROM care_tasks t WHERE t.outage_id = o.id AND t.status = 'open') AS open_care_tasks";

fn outage(r: &AnyRow) -> Result<OutageRow> {
    let kind = get_str(r, "kind")?;
    Ok(OutageRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        kind: OutageKind::parse(&kind)
            .map_err(|_| StoreError::Corrupt(format!("outage kind `{kind}`")))?,
        feeder_id: get_opt_i64(r, "feeder_id")?,
        area_id: get_opt_i64(r, "area_id")?,
        cause: get_str(r, "cause")?,
        started_at: get_i64(r, "started_at")?,
        expected_restore_at: get_opt_i64(r, "expected_restore_at")?,
        restored_at: get_opt_i64(r, "restored_at")?,
        repaired_at: get_opt_i64(r, "repaired_at")?,
        notified_at: get_opt_i64(r, "notified_at")?,
        affected_customers: get_i64(r, "affected_customers")?,
        created_at: get_i64(r, "created_at")?,
    })
}

fn record(r: &AnyRow) -> Result<OutageRecord> {
    Ok(OutageRecord {
        outage: outage(r)?,
        source: get_str(r, "source")?,
        external_ref: get_opt_str(r, "external_ref")?,
        notice_due_at: get_opt_i64(r, "notice_due_at")?,
        late_notice: get_bool(r, "late_notice")?,
        created_by: get_opt_i64(r, "created_by")?,
        updated_at: get_opt_i64(r, "updated_at")?,
        linked_orders: get_i64(r, "linked_orders")?,
        open_care_tasks: get_i64(r, "open_care_tasks")?,
    })
}

impl Store {
    /// Inserts outages with the ids they carry (from `max_id` or `reserve_ids`), and the
    /// areas each covers.
    pub async fn insert_outages(&self, tx: &mut Tx, rows: &[OutageRow]) -> Result<()> {
        let cells = rows
            .iter()
            .map(|o| {
                vec![
                    o.id.into(),
                    o.station_id.into(),
                    o.kind.code().into(),
                    o.feeder_id.into(),
                    o.area_id.into(),
                    o.cause.clone().into(),
                    o.started_at.into(),
                    o.expected_restore_at.into(),
                    o.restored_at.into(),
                    o.repaired_at.into(),
                    o.notified_at.into(),
                    o.affected_customers.into(),
                    o.created_at.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "outages", COLS, cells).await?;
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        for chunk in ids.chunks(500) {
            let mut p = self.dialect.params();
            let sql = format!(
                "INSERT INTO outage_areas (outage_id, area_id) \
                 SELECT o.id, o.area_id FROM outages o WHERE o.area_id IS NOT NULL AND o.id IN ({}) \
                 UNION ALL \
                 SELECT o.id, a.id FROM outages o JOIN transformer_areas a ON a.feeder_id = o.feeder_id \
                 WHERE o.area_id IS NULL AND o.id IN ({})",
                p.list(chunk.len()),
                p.list(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk.iter().chain(chunk) {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Outages that started in [from, to), of one station when given, oldest first.
    pub async fn outages(
        &self,
        station_id: Option<i64>,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> Result<Vec<OutageRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outages WHERE ($1 IS NULL OR station_id = $1) AND started_at >= $2 \
             AND started_at < $3 ORDER BY started_at, id LIMIT $4",
            COLS.join(", ")
        )))
        .bind(station_id)
        .bind(from)
        .bind(to)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(outage).collect()
    }

    // ---- one outage ----

    /// Stores a new outage and returns its id. A repeated `external_ref` is a `Conflict`.
    pub async fn insert_outage(&self, tx: &mut Tx, n: &NewOutageRow) -> Result<i64> {
        let o = &n.row;
        let r = sqlx::query(
            "INSERT INTO outages (station_id, kind, feeder_id, area_id, cause, started_at, expected_restore_at, \
             restored_at, repaired_at, notified_at, affected_customers, created_at, source, external_ref, \
             notice_due_at, late_notice, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
        )
        .bind(o.station_id)
        .bind(o.kind.code())
        .bind(o.feeder_id)
        .bind(o.area_id)
        .bind(&o.cause)
        .bind(o.started_at)
        .bind(o.expected_restore_at)
        .bind(o.restored_at)
        .bind(o.repaired_at)
        .bind(o.notified_at)
        .bind(o.affected_customers)
        .bind(o.created_at)
        .bind(n.source)
        .bind(&n.external_ref)
        .bind(n.notice_due_at)
        .bind(b(n.late_notice))
        .bind(n.created_by)
        .bind(o.created_at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    /// The areas an outage covers.
    pub async fn insert_outage_areas(
        &self,
        tx: &mut Tx,
        outage_id: i64,
        area_ids: &[i64],
    ) -> Result<()> {
        let cells = area_ids
            .iter()
            .map(|a| vec![outage_id.into(), (*a).into()])
            .collect();
        self.insert_rows(tx, "outage_areas", &["outage_id", "area_id"], cells)
            .await
    }

    /// Records the affected-customer count and when the advance notice went out.
    pub async fn set_outage_affected(
        &self,
        tx: &mut Tx,
        id: i64,
        affected: i64,
        notified_at: Option<Millis>,
    ) -> Result<()> {
        sqlx::query("UPDATE outages SET affected_customers = $1, notified_at = $2 WHERE id = $3")
            .bind(affected)
            .bind(notified_at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Sets the restoration time (supply back).
    pub async fn set_outage_restored(
        &self,
        tx: &mut Tx,
        id: i64,
        at: Millis,
        now: Millis,
    ) -> Result<()> {
        self.set_outage_time(tx, "restored_at", id, at, now).await
    }

    /// Sets the repair time (the fault fixed), independent of restoration.
    pub async fn set_outage_repaired(
        &self,
        tx: &mut Tx,
        id: i64,
        at: Millis,
        now: Millis,
    ) -> Result<()> {
        self.set_outage_time(tx, "repaired_at", id, at, now).await
    }

    /// Moves the expected restoration.
    pub async fn set_outage_expected(
        &self,
        tx: &mut Tx,
        id: i64,
        at: Millis,
        now: Millis,
    ) -> Result<()> {
        self.set_outage_time(tx, "expected_restore_at", id, at, now)
            .await
    }

    async fn set_outage_time(
        &self,
        tx: &mut Tx,
        column: &'static str,
        id: i64,
        at: Millis,
        now: Millis,
    ) -> Result<()> {
        let n = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE outages SET {column} = $1, updated_at = $2 WHERE id = $3"
        )))
        .bind(at)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        changed_one(n)
    }

    /// An outage with its registration facts.
    pub async fn outage(&self, id: i64) -> Result<Option<OutageRecord>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLS} FROM outages o WHERE o.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(record).transpose()
    }

    /// An outage inside a transaction, locked on PostgreSQL (the row a command changes).
    pub async fn outage_in(&self, tx: &mut Tx, id: i64) -> Result<Option<OutageRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outages WHERE id = $1{}",
            COLS.join(", "),
            self.dialect.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        r.as_ref().map(outage).transpose()
    }

    /// The outage the dispatch system sent under this id before.
    pub async fn outage_by_external_ref(
        &self,
        tx: &mut Tx,
        external_ref: &str,
    ) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT id FROM outages WHERE external_ref = $1")
            .bind(external_ref)
            .fetch_optional(&mut **tx)
            .await?;
        r.as_ref().map(|r| get_i64(r, "id")).transpose()
    }

    /// The areas an outage covers.
    pub async fn outage_area_ids(&self, outage_id: i64) -> Result<Vec<i64>> {
        let rows =
            sqlx::query("SELECT area_id FROM outage_areas WHERE outage_id = $1 ORDER BY area_id")
                .bind(outage_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(|r| get_i64(r, "area_id")).collect()
    }

    /// Outages of one state, paged, with the total.
    pub async fn outage_list(&self, f: &OutageFilter) -> Result<(Vec<OutageRecord>, i64)> {
        let (cond, order) = match f.state {
            OutageState::Active => (
                "o.restored_at IS NULL AND o.started_at <= $2",
                "o.started_at DESC, o.id DESC",
            ),
            OutageState::Planned => (
                "o.restored_at IS NULL AND o.started_at > $2",
                "o.started_at ASC, o.id ASC",
            ),
            OutageState::Recent => (
                "o.restored_at IS NOT NULL AND o.restored_at <= $2",
                "o.restored_at DESC, o.id DESC",
            ),
        };
        let where_ = format!("WHERE ($1 IS NULL OR o.station_id = $1) AND {cond}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLS} FROM outages o {where_} ORDER BY {order} LIMIT $3 OFFSET $4"
        )))
        .bind(f.station_id)
        .bind(f.now)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM outages o {where_}"
        )))
        .bind(f.station_id)
        .bind(f.now)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(record).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    /// Outages started by `now` and not restored, oldest first (for the care tick).
    pub async fn running_outages(&self, now: Millis) -> Result<Vec<OutageRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outages WHERE restored_at IS NULL AND started_at <= $1 ORDER BY started_at, id",
            COLS.join(", ")
        )))
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(outage).collect()
    }

    /// The outage covering an area at an instant: started by `at`, not restored by then;
    /// the latest started when several do.
    pub async fn active_outage_for_area(
        &self,
        area_id: i64,
        at: Millis,
    ) -> Result<Option<OutageRow>> {
        let cols: Vec<String> = COLS.iter().map(|c| format!("o.{c}")).collect();
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outages o JOIN outage_areas oa ON oa.outage_id = o.id \
             WHERE oa.area_id = $1 AND o.started_at <= $2 AND (o.restored_at IS NULL OR o.restored_at > $2) \
             ORDER BY o.started_at DESC, o.id DESC LIMIT 1",
            cols.join(", ")
        )))
        .bind(area_id)
        .bind(at)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(outage).transpose()
    }

    /// Every (area, outage) of the outages not restored: the intake's in-memory look-up.
    pub async fn unrestored_area_covers(&self) -> Result<Vec<AreaCover>> {
        let rows = sqlx::query(
            "SELECT oa.area_id, o.id, o.started_at, o.expected_restore_at FROM outages o \
             JOIN outage_areas oa ON oa.outage_id = o.id WHERE o.restored_at IS NULL",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AreaCover {
                    area_id: get_i64(r, "area_id")?,
                    outage_id: get_i64(r, "id")?,
                    started_at: get_i64(r, "started_at")?,
                    expected_restore_at: get_opt_i64(r, "expected_restore_at")?,
                })
            })
            .collect()
    }

    // ---- the organisation under an outage ----

    /// A feeder by its code.
    pub async fn feeder_by_code(&self, code: &str) -> Result<Option<FeederRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FEEDER_COLS} FROM feeders WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(feeder).transpose()
    }

    /// The areas fed by a feeder, by id.
    pub async fn feeder_areas(&self, feeder_id: i64) -> Result<Vec<AreaRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AREA_COLS} FROM transformer_areas WHERE feeder_id = $1 ORDER BY id"
        )))
        .bind(feeder_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(area).collect()
    }

    /// Customers per area, for the areas given that have any: (area_id, count).
    pub async fn customers_in_areas(
        &self,
        tx: &mut Tx,
        area_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in area_ids.chunks(500) {
            let sql = format!(
                "SELECT area_id, COUNT(*) AS n FROM customers WHERE area_id IN ({}) GROUP BY area_id",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q.bind(*a);
            }
            for r in q.fetch_all(&mut **tx).await? {
                out.push((get_i64(&r, "area_id")?, get_i64(&r, "n")?));
            }
        }
        Ok(out)
    }

    /// The customers of these areas who have a care group or a care plan, by id.
    pub async fn care_customers_in_areas(&self, area_ids: &[i64]) -> Result<Vec<CustomerRow>> {
        let mut out = Vec::new();
        for chunk in area_ids.chunks(500) {
            let sql = format!(
                "SELECT {} FROM customers c WHERE c.area_id IN ({}) AND {CARE} ORDER BY c.id",
                crate::customers::COLS,
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q.bind(*a);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(crate::customers::customer(&r)?);
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    // ---- set-based writes of a registration ----

    /// Queues one SMS notice of `kind` per customer of the areas (all, or those `pick`
    /// selects), in one statement per 500 areas. Each payload is `{"customer_id": <id>,`
    /// followed by `rest`, which must be the members of a JSON object after its `{` (as
    /// `serde_json` writes an object without its first character). Returns the count.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_area_notices(
        &self,
        tx: &mut Tx,
        now: Millis,
        send_at: Millis,
        kind: &str,
        area_ids: &[i64],
        pick: Option<&CustomerPick>,
        rest: &str,
    ) -> Result<u64> {
        let mut total = 0;
        for chunk in area_ids.chunks(500) {
            let mut p = self.dialect.params();
            let mut next = || p.next();
            let (p_now, p_kind, p_rest, p_send) = (next(), next(), next(), next());
            let areas: Vec<String> = chunk.iter().map(|_| next()).collect();
            let mut filter = String::new();
            let mut strings: Vec<&'static str> = Vec::new();
            if let Some(p) = pick {
                let mut parts = Vec::new();
                if !p.segments.is_empty() {
                    let m: Vec<String> = p.segments.iter().map(|_| next()).collect();
                    parts.push(format!("c.segment IN ({})", m.join(", ")));
                    strings.extend(&p.segments);
                }
                if !p.usage_classes.is_empty() {
                    let m: Vec<String> = p.usage_classes.iter().map(|_| next()).collect();
                    parts.push(format!("c.usage_class IN ({})", m.join(", ")));
                    strings.extend(&p.usage_classes);
                }
                if p.care {
                    parts.push(CARE.to_string());
                }
                if parts.is_empty() {
                    continue;
                }
                filter = format!(" AND ({})", parts.join(" OR "));
            }
            let sql = format!(
                "INSERT INTO outbox (created_at, topic, kind, payload, status, attempts, next_attempt_at) \
                 SELECT {p_now}, 'sms', {p_kind}, '{{\"customer_id\":' || {} || ',' || {p_rest}, \
                 'pending', 0, {p_send} FROM customers c WHERE c.area_id IN ({}){filter} ORDER BY c.id",
                self.dialect.int_text("c.id"),
                areas.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(kind.to_string())
                .bind(rest.to_string())
                .bind(send_at);
            for a in chunk {
                q = q.bind(*a);
            }
            for s in strings {
                q = q.bind(s);
            }
            total += q.execute(&mut **tx).await?.rows_affected();
        }
        Ok(total)
    }

    /// Raises a care task of `kind` for every care household (a care group or a care plan)
    /// of the areas, assigned to the customer's grid manager or else the area's grid's;
    /// a task already raised for the same (customer, outage, kind) stays as it is. Returns
    /// how many were raised.
    #[allow(clippy::too_many_arguments)]
    pub async fn raise_care_tasks(
        &self,
        tx: &mut Tx,
        outage_id: i64,
        kind: &str,
        due_at: Millis,
        area_ids: &[i64],
        now: Millis,
    ) -> Result<u64> {
        let mut total = 0;
        for chunk in area_ids.chunks(500) {
            let mut p = self.dialect.params();
            let sql = format!(
                "INSERT INTO care_tasks (customer_id, outage_id, grid_id, assignee_id, kind, due_at, status, created_at) \
                 SELECT c.id, {}, a.grid_id, COALESCE(c.grid_manager_id, g.manager_id), {}, {}, 'open', {} \
                 FROM customers c JOIN transformer_areas a ON a.id = c.area_id JOIN grids g ON g.id = a.grid_id \
                 WHERE c.area_id IN ({}) AND {CARE}{}",
                p.next(),
                p.next(),
                p.next(),
                p.next(),
                p.list(chunk.len()),
                self.dialect
                    .insert_or_skip(&["customer_id", "outage_id", "kind"])
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(outage_id)
                .bind(kind.to_string())
                .bind(due_at)
                .bind(now);
            for a in chunk {
                q = q.bind(*a);
            }
            total += q.execute(&mut **tx).await?.rows_affected();
        }
        Ok(total)
    }

    // ---- repair orders about an outage ----

    /// Points orders at the outage they are about: (order_id, outage_id).
    pub async fn link_orders_to_outage(&self, tx: &mut Tx, links: &[(i64, i64)]) -> Result<()> {
        let mut by_outage: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for (order, outage) in links {
            by_outage.entry(*outage).or_default().push(*order);
        }
        for (outage_id, orders) in by_outage {
            for chunk in orders.chunks(500) {
                let mut p = self.dialect.params();
                let sql = format!(
                    "UPDATE work_orders SET outage_id = {} WHERE id IN ({})",
                    p.next(),
                    p.list(chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(outage_id);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// The outage an order is linked to.
    pub async fn outage_of_order(&self, order_id: i64) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT outage_id FROM work_orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            Some(r) => get_opt_i64(&r, "outage_id")?,
            None => None,
        })
    }

    /// The orders linked to an outage, by id.
    pub async fn orders_of_outage(&self, outage_id: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT id FROM work_orders WHERE outage_id = $1 ORDER BY id")
            .bind(outage_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| get_i64(r, "id")).collect()
    }

    /// Writes `event` on every open order linked to the outage (their
    /// timelines show the restoration). Returns how many.
    #[allow(clippy::too_many_arguments)]
    pub async fn trace_linked_orders(
        &self,
        tx: &mut Tx,
        outage_id: i64,
        at: Millis,
        actor_id: Option<i64>,
        actor: &str,
        event: &TraceEvent,
    ) -> Result<u64> {
        let n = sqlx::query(
            "INSERT INTO trace_events (at, station_id, customer_id, order_id, channel, actor_id, actor, kind, payload) \
             SELECT $1, w.station_id, w.customer_id, w.id, w.channel, $2, $3, $4, $5 FROM work_orders w \
             WHERE w.outage_id = $6 AND w.closed_at IS NULL ORDER BY w.id",
        )
        .bind(at)
        .bind(actor_id)
        .bind(actor.to_string())
        .bind(event.code().to_string())
        .bind(event.payload().to_string())
        .bind(outage_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n)
    }
}

/// A household under care: a care group on the register, or a care plan.
const CARE: &str =
    "(c.care_groups <> '' OR EXISTS (SELECT 1 FROM care_plans p WHERE p.customer_id = c.id))";
