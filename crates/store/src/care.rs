//! Proactive care: care plans of care-group households, the care tasks grid managers work
//! through during outages, and the ledger of potential demands per grid.

use crate::*;
use voltdesk_domain::Millis;
use voltdesk_domain::outage::{CareTaskKind, OutageKind};

/// How a household under care is looked after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarePlanRow {
    pub customer_id: i64,
    pub plan: String,
    /// Whom to call (a relative, a neighbour), if not the customer's own phone.
    pub contact_phone: Option<String>,
    pub updated_at: Millis,
    pub updated_by: Option<i64>,
}

/// A care plan with the customer it belongs to (unmasked: masking is the service's job).
#[derive(Debug, Clone)]
pub struct CarePlanItem {
    pub plan: CarePlanRow,
    pub customer_name: String,
    pub account_no: String,
    pub area_id: i64,
    pub care_groups: String,
}

/// A care task with what its assignee needs to see: the household and the outage.
#[derive(Debug, Clone)]
pub struct CareTaskRow {
    pub id: i64,
    pub customer_id: i64,
    pub outage_id: i64,
    pub grid_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub kind: CareTaskKind,
    pub due_at: Millis,
    /// `open` or `done`.
    pub status: String,
    pub note: Option<String>,
    pub created_at: Millis,
    pub done_at: Option<Millis>,
    pub done_by: Option<i64>,
    pub customer_name: String,
    pub account_no: String,
    pub phone: Option<String>,
    pub address: String,
    /// Comma-separated care group codes.
    pub care_groups: String,
    pub area_id: i64,
    pub outage_kind: OutageKind,
    pub outage_started_at: Millis,
    pub outage_expected_restore_at: Option<Millis>,
    pub outage_restored_at: Option<Millis>,
    pub plan: Option<String>,
    pub plan_contact_phone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CareTaskFilter {
    pub assignee_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub outage_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// `open` or `done`; all when `None`.
    pub status: Option<&'static str>,
    pub limit: i64,
    pub offset: i64,
}

/// A potential demand a grid manager noted (seed 001: 潜在需求台账).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandRow {
    pub id: i64,
    pub grid_id: i64,
    pub customer_id: Option<i64>,
    pub title: String,
    pub detail: String,
    /// `open` or `closed`.
    pub status: String,
    pub created_at: Millis,
    pub created_by: Option<i64>,
    pub closed_at: Option<Millis>,
    pub closed_by: Option<i64>,
    pub resolution: Option<String>,
}

const TASK_COLS: &str = "t.id, t.customer_id, t.outage_id, t.grid_id, t.assignee_id, t.kind, t.due_at, t.status, \
    t.note, t.created_at, t.done_at, t.done_by, c.name AS customer_name, c.account_no, c.phone, c.address, \
    c.care_groups, c.area_id, o.kind AS outage_kind, o.started_at AS outage_started_at, \
    o.expected_restore_at AS outage_expected_restore_at, o.restored_at AS outage_restored_at, \
    p.plan, p.contact_phone AS plan_contact_phone";

const TASK_FROM: &str = "care_tasks t JOIN customers c ON c.id = t.customer_id \
    JOIN outages o ON o.id = t.outage_id LEFT JOIN care_plans p ON p.customer_id = t.customer_id";

fn task(r: &AnyRow) -> Result<CareTaskRow> {
    let kind = get_str(r, "kind")?;
    let okind = get_str(r, "outage_kind")?;
    Ok(CareTaskRow {
        id: get_i64(r, "id")?,
        customer_id: get_i64(r, "customer_id")?,
        outage_id: get_i64(r, "outage_id")?,
        grid_id: get_opt_i64(r, "grid_id")?,
        assignee_id: get_opt_i64(r, "assignee_id")?,
        kind: CareTaskKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("care task kind `{kind}`")))?,
        due_at: get_i64(r, "due_at")?,
        status: get_str(r, "status")?,
        note: get_opt_str(r, "note")?,
        created_at: get_i64(r, "created_at")?,
        done_at: get_opt_i64(r, "done_at")?,
        done_by: get_opt_i64(r, "done_by")?,
        customer_name: get_str(r, "customer_name")?,
        account_no: get_str(r, "account_no")?,
        phone: get_opt_str(r, "phone")?,
        address: get_str(r, "address")?,
        care_groups: get_str(r, "care_groups")?,
        area_id: get_i64(r, "area_id")?,
        outage_kind: OutageKind::parse(&okind)
            .map_err(|_| StoreError::Corrupt(format!("outage kind `{okind}`")))?,
        outage_started_at: get_i64(r, "outage_started_at")?,
        outage_expected_restore_at: get_opt_i64(r, "outage_expected_restore_at")?,
        outage_restored_at: get_opt_i64(r, "outage_restored_at")?,
        plan: get_opt_str(r, "plan")?,
        plan_contact_phone: get_opt_str(r, "plan_contact_phone")?,
    })
}

const PLAN_COLS: &str = "customer_id, plan, contact_phone, updated_at, updated_by";

const DEMAND_COLS: &str = "id, grid_id, customer_id, title, detail, status, created_at, created_by, closed_at, \
    closed_by, resolution";

fn demand(r: &AnyRow) -> Result<DemandRow> {
    Ok(DemandRow {
        id: get_i64(r, "id")?,
        grid_id: get_i64(r, "grid_id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        title: get_str(r, "title")?,
        detail: get_str(r, "detail")?,
        status: get_str(r, "status")?,
        created_at: get_i64(r, "created_at")?,
        created_by: get_opt_i64(r, "created_by")?,
        closed_at: get_opt_i64(r, "closed_at")?,
        closed_by: get_opt_i64(r, "closed_by")?,
        resolution: get_opt_str(r, "resolution")?,
    })
}

impl Store {
    // ---- care plans ----

    /// Creates or replaces a customer's care plan.
    pub async fn upsert_care_plan(&self, tx: &mut Tx, p: &CarePlanRow) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO care_plans (customer_id, plan, contact_phone, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5){}",
            self.dialect.upsert(
                &["customer_id"],
                &["plan", "contact_phone", "updated_at", "updated_by"]
            )
        )))
        .bind(p.customer_id)
        .bind(&p.plan)
        .bind(&p.contact_phone)
        .bind(p.updated_at)
        .bind(p.updated_by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn care_plan(&self, customer_id: i64) -> Result<Option<CarePlanRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLS} FROM care_plans WHERE customer_id = $1"
        )))
        .bind(customer_id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(plan).transpose()
    }

    /// Care plans, of the customers of one grid when given, by customer id; with the total.
    pub async fn care_plans(
        &self,
        grid_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CarePlanItem>, i64)> {
        let from = "care_plans p JOIN customers c ON c.id = p.customer_id \
                    JOIN transformer_areas a ON a.id = c.area_id WHERE ($1 IS NULL OR a.grid_id = $1)";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT p.customer_id, p.plan, p.contact_phone, p.updated_at, p.updated_by, c.name AS customer_name, \
             c.account_no, c.area_id, c.care_groups FROM {from} ORDER BY p.customer_id LIMIT $2 OFFSET $3"
        )))
        .bind(grid_id)
        .bind(limit.clamp(1, 500))
        .bind(offset.max(0))
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {from}"
        )))
        .bind(grid_id)
        .fetch_one(self.reader())
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(CarePlanItem {
                    plan: plan(r)?,
                    customer_name: get_str(r, "customer_name")?,
                    account_no: get_str(r, "account_no")?,
                    area_id: get_i64(r, "area_id")?,
                    care_groups: get_str(r, "care_groups")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((items, get_i64(&total, "n")?))
    }

    // ---- care tasks ----

    /// Care tasks, open ones first (earliest due first), then done ones; with the total.
    pub async fn care_tasks(&self, f: &CareTaskFilter) -> Result<(Vec<CareTaskRow>, i64)> {
        let where_ = "WHERE ($1 IS NULL OR t.assignee_id = $1) AND ($2 IS NULL OR t.grid_id = $2) \
                      AND ($3 IS NULL OR t.outage_id = $3) AND ($4 IS NULL OR t.customer_id = $4) \
                      AND ($5 IS NULL OR t.status = $5)";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TASK_COLS} FROM {TASK_FROM} {where_} \
             ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_at, t.id LIMIT $6 OFFSET $7"
        )))
        .bind(f.assignee_id)
        .bind(f.grid_id)
        .bind(f.outage_id)
        .bind(f.customer_id)
        .bind(f.status)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM care_tasks t {where_}"
        )))
        .bind(f.assignee_id)
        .bind(f.grid_id)
        .bind(f.outage_id)
        .bind(f.customer_id)
        .bind(f.status)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(task).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    pub async fn care_task(&self, id: i64) -> Result<Option<CareTaskRow>> {
        care_task_by_id(self.reader(), id).await
    }

    /// A care task inside a transaction (the one about to be completed).
    pub async fn care_task_in(&self, tx: &mut Tx, id: i64) -> Result<Option<CareTaskRow>> {
        care_task_by_id(&mut **tx, id).await
    }

    /// Marks an open care task done. `NotFound` unless it is open.
    pub async fn complete_care_task(
        &self,
        tx: &mut Tx,
        id: i64,
        by: Option<i64>,
        at: Millis,
        note: Option<&str>,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE care_tasks SET status = 'done', done_at = $1, done_by = $2, note = $3 \
             WHERE id = $4 AND status = 'open'",
        )
        .bind(at)
        .bind(by)
        .bind(note.map(str::to_string))
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        changed_one(n)
    }

    /// Open care tasks per assignee (for the badge on a grid manager's page).
    pub async fn count_open_care_tasks(&self, assignee_id: Option<i64>) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM care_tasks WHERE status = 'open' AND ($1 IS NULL OR assignee_id = $1)",
        )
        .bind(assignee_id)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }

    // ---- the demand ledger ----

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_demand(
        &self,
        tx: &mut Tx,
        grid_id: i64,
        customer_id: Option<i64>,
        title: &str,
        detail: &str,
        by: Option<i64>,
        now: Millis,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO demand_ledger (grid_id, customer_id, title, detail, status, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id",
        )
        .bind(grid_id)
        .bind(customer_id)
        .bind(title)
        .bind(detail)
        .bind(now)
        .bind(by)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn demand(&self, id: i64) -> Result<Option<DemandRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEMAND_COLS} FROM demand_ledger WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(demand).transpose()
    }

    /// The ledger, of one grid and status when given, newest first; with the total.
    pub async fn demands(
        &self,
        grid_id: Option<i64>,
        status: Option<&'static str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DemandRow>, i64)> {
        let where_ = "WHERE ($1 IS NULL OR grid_id = $1) AND ($2 IS NULL OR status = $2)";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEMAND_COLS} FROM demand_ledger {where_} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        )))
        .bind(grid_id)
        .bind(status)
        .bind(limit.clamp(1, 500))
        .bind(offset.max(0))
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM demand_ledger {where_}"
        )))
        .bind(grid_id)
        .bind(status)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(demand).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    /// Closes an open ledger entry with what came of it. `NotFound` unless it is open.
    pub async fn close_demand(
        &self,
        tx: &mut Tx,
        id: i64,
        by: Option<i64>,
        at: Millis,
        resolution: &str,
    ) -> Result<DemandRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE demand_ledger SET status = 'closed', closed_at = $1, closed_by = $2, resolution = $3 \
             WHERE id = $4 AND status = 'open' RETURNING {DEMAND_COLS}"
        )))
        .bind(at)
        .bind(by)
        .bind(resolution)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        r.as_ref()
            .map(demand)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }
}

async fn care_task_by_id<'e, E>(e: E, id: i64) -> Result<Option<CareTaskRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLS} FROM {TASK_FROM} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?;
    r.as_ref().map(task).transpose()
}

fn plan(r: &AnyRow) -> Result<CarePlanRow> {
    Ok(CarePlanRow {
        customer_id: get_i64(r, "customer_id")?,
        plan: get_str(r, "plan")?,
        contact_phone: get_opt_str(r, "contact_phone")?,
        updated_at: get_i64(r, "updated_at")?,
        updated_by: get_opt_i64(r, "updated_by")?,
    })
}
