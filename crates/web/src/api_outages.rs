//! The outage and proactive-care API: the dispatch system registers outages (JSON, or a CSV
//! file all-or-nothing), restores supply and reports repairs; grid managers work their care
//! tasks, keep care plans and the ledger of potential demands.
//!
//! Its routes are declared in [`routes`], part of the one table the auth layer, the router
//! and the OpenAPI document are built from. Instants are epoch ms.

use crate::api::Page;
use crate::api::paging;
use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::extract::{Caller, J, Q};
use crate::routes::{Access, ApiRoute, get, post, put};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use voltdesk_domain::Millis;
use voltdesk_domain::auth::Permission::*;
use voltdesk_domain::job::ImportKind;
use voltdesk_service::{
    CarePlanInput, CarePlanItemView, CarePlanView, CareTaskQuery, CareTaskView, DemandView,
    NewDemand, NewOutage, OutageView, Service,
};
use voltdesk_store::OutageState;

type S = State<Service>;

use Access::Needs;

/// The outage and care routes: method, path, the permission each needs, summary, handler.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        post(
            "/api/v1/outages",
            Needs(OrgWrite),
            "outages",
            "Register an outage (dispatch system); idempotent on external_ref",
            register,
        ),
        get(
            "/api/v1/outages",
            Needs(OrgRead),
            "outages",
            "Outages (?state=active|planned|recent, station_id, page, per_page)",
            outages,
        ),
        post(
            "/api/v1/outages/import",
            Needs(OrgWrite),
            "outages",
            "Import outages from CSV (UTF-8 or GBK), all or nothing",
            import,
        )
        .csv()
        .replies::<OutagesImported>("200")
        .body_limit(16 << 20),
        get(
            "/api/v1/outages/{id}",
            Needs(OrgRead),
            "outages",
            "One outage with the areas it covers",
            outage,
        ),
        post(
            "/api/v1/outages/{id}/restore",
            Needs(OrgWrite),
            "outages",
            "Supply restored (restoration notices go out)",
            restore,
        )
        .optional_body::<OutageRestore>(),
        post(
            "/api/v1/outages/{id}/repaired",
            Needs(OrgWrite),
            "outages",
            "The fault repaired (kept apart from restoration)",
            repaired,
        )
        .optional_body::<OutageRepaired>(),
        put(
            "/api/v1/outages/{id}/expected-restore",
            Needs(OrgWrite),
            "outages",
            "Move the expected restoration",
            expected_restore,
        ),
        get(
            "/api/v1/care-tasks",
            Needs(OrderWork),
            "care",
            "Care tasks (?mine, status=open|done|all, outage_id, grid_id, assignee_id, customer_id)",
            care_tasks,
        ),
        post(
            "/api/v1/care-tasks/{id}/done",
            Needs(OrderWork),
            "care",
            "Mark a care task done",
            care_task_done,
        )
        .optional_body::<CareTaskDone>(),
        get(
            "/api/v1/care-plans",
            Needs(CustomerRead),
            "care",
            "Care plans (?grid_id, page, per_page)",
            care_plans,
        ),
        get(
            "/api/v1/care-plans/{customer_id}",
            Needs(CustomerRead),
            "care",
            "A customer's care plan",
            care_plan,
        ),
        put(
            "/api/v1/care-plans/{customer_id}",
            Needs(CustomerWrite),
            "care",
            "Set a customer's care plan",
            set_care_plan,
        ),
        get(
            "/api/v1/demand-ledger",
            Needs(OrgRead),
            "care",
            "Potential demands (?grid_id, status=open|closed|all)",
            demands,
        ),
        post(
            "/api/v1/demand-ledger",
            Needs(OrderWork),
            "care",
            "Note a potential demand",
            add_demand,
        ),
        post(
            "/api/v1/demand-ledger/{id}/close",
            Needs(OrderWork),
            "care",
            "Close a potential demand with what came of it",
            close_demand,
        ),
    ]
}

fn page_json<T, V: Serialize + From<T>>(
    items: Vec<T>,
    total: i64,
    page: i64,
    per_page: i64,
) -> Json<Page<V>> {
    Json(Page {
        items: items.into_iter().map(V::from).collect(),
        total,
        page,
        per_page,
    })
}

/// What an outage import did (documents `import`).
#[derive(Serialize, ToSchema)]
pub struct OutagesImported {
    report: voltdesk_service::OutageImportReport,
}

/// One care task.
#[derive(Serialize, ToSchema)]
pub struct OneTask {
    task: CareTaskView,
}

/// One care plan.
#[derive(Serialize, ToSchema)]
pub struct OnePlan {
    plan: CarePlanView,
}

/// One potential demand.
#[derive(Serialize, ToSchema)]
pub struct OneDemand {
    demand: DemandView,
}

/// A JSON body that may be left out (an empty body is the defaults).
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        crate::extract::parse_json(body)
    }
}

// ---- outages ----

/// A registration: the outage, and whether it was registered before (a re-send).
#[derive(Serialize, ToSchema)]
pub struct Registered {
    outage: OutageView,
    replayed: bool,
}

/// One outage.
#[derive(Serialize, ToSchema)]
pub struct OneOutage {
    outage: OutageView,
}

pub async fn register(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewOutage>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let (outage, replayed) = svc.register_outage(&p.actor, b).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(Registered { outage, replayed })))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutagesQ {
    state: Option<String>,
    station_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn outages(State(svc): S, Q(q): Q<OutagesQ>) -> ApiResult<Json<Page<OutageView>>> {
    let state = match q.state.as_deref() {
        None => OutageState::Active,
        Some(s) => OutageState::parse(s).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "state is active, planned or recent",
            )
            .field("state")
        })?,
    };
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let (items, total) = svc
        .outages_list(state, q.station_id, per_page, (page - 1) * per_page)
        .await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

pub async fn outage(State(svc): S, Path(id): Path<i64>) -> ApiResult<Json<OneOutage>> {
    Ok(Json(OneOutage {
        outage: svc.outage(id).await?,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutageRestore {
    /// When supply came back; now when absent.
    restored_at: Option<Millis>,
}

pub async fn restore(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OneOutage>> {
    let b: OutageRestore = optional_json(&body)?;
    let at = b.restored_at.unwrap_or_else(|| svc.now());
    Ok(Json(OneOutage {
        outage: svc.restore_outage(&p.actor, id, at).await?,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutageRepaired {
    /// When the fault was repaired; now when absent.
    repaired_at: Option<Millis>,
}

pub async fn repaired(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OneOutage>> {
    let b: OutageRepaired = optional_json(&body)?;
    let at = b.repaired_at.unwrap_or_else(|| svc.now());
    Ok(Json(OneOutage {
        outage: svc.mark_repaired(&p.actor, id, at).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageExpected {
    expected_restore_at: Millis,
}

pub async fn expected_restore(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<OutageExpected>,
) -> ApiResult<Json<OneOutage>> {
    Ok(Json(OneOutage {
        outage: svc
            .set_expected_restore(&p.actor, id, b.expected_restore_at)
            .await?,
    }))
}

pub async fn import(
    State(svc): S,
    Caller(p): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let options = voltdesk_service::ImportOptions::default();
    let done = svc
        .import_csv(ImportKind::Outages, body.into(), &p.actor, options, &|_| {})
        .await
        .map_err(crate::api_imports::import_error)?;
    match done.outcome {
        voltdesk_service::ImportOutcome::Outages(report) => Ok(Json(json!({"report": report}))),
        _ => Err(crate::api_imports::unexpected_outcome()),
    }
}

// ---- care tasks ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CareTasksQ {
    mine: bool,
    status: Option<String>,
    outage_id: Option<i64>,
    grid_id: Option<i64>,
    assignee_id: Option<i64>,
    customer_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn care_tasks(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<CareTasksQ>,
) -> ApiResult<Json<Page<CareTaskView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let query = CareTaskQuery {
        assignee_id: q.assignee_id,
        grid_id: q.grid_id,
        outage_id: q.outage_id,
        customer_id: q.customer_id,
        status: q.status,
        mine: q.mine,
    };
    let (items, total) = svc
        .care_tasks(&p, &query, per_page, (page - 1) * per_page)
        .await?;
    Ok(page_json(items, total, page, per_page))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CareTaskDone {
    /// What the call or visit found.
    note: Option<String>,
}

pub async fn care_task_done(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OneTask>> {
    let note = optional_json::<CareTaskDone>(&body)?.note;
    Ok(Json(OneTask {
        task: svc.complete_care_task(&p.actor, id, note).await?,
    }))
}

// ---- care plans ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GridPageQ {
    grid_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn care_plans(
    State(svc): S,
    Q(q): Q<GridPageQ>,
) -> ApiResult<Json<Page<CarePlanItemView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let (items, total) = svc
        .care_plans(q.grid_id, per_page, (page - 1) * per_page)
        .await?;
    Ok(page_json(items, total, page, per_page))
}

pub async fn care_plan(State(svc): S, Path(customer_id): Path<i64>) -> ApiResult<Json<OnePlan>> {
    let plan = svc
        .care_plan(customer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("care plan"))?;
    Ok(Json(OnePlan { plan: plan.into() }))
}

pub async fn set_care_plan(
    State(svc): S,
    Caller(p): Caller,
    Path(customer_id): Path<i64>,
    J(b): J<CarePlanInput>,
) -> ApiResult<Json<OnePlan>> {
    Ok(Json(OnePlan {
        plan: svc.set_care_plan(&p.actor, customer_id, b).await?.into(),
    }))
}

// ---- the demand ledger ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DemandsQ {
    grid_id: Option<i64>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn demands(State(svc): S, Q(q): Q<DemandsQ>) -> ApiResult<Json<Page<DemandView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let (items, total) = svc
        .demands(
            q.grid_id,
            q.status.as_deref(),
            per_page,
            (page - 1) * per_page,
        )
        .await?;
    Ok(page_json(items, total, page, per_page))
}

pub async fn add_demand(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewDemand>,
) -> ApiResult<(StatusCode, Json<OneDemand>)> {
    let d = svc.add_demand(&p.actor, b).await?;
    Ok((StatusCode::CREATED, Json(OneDemand { demand: d.into() })))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DemandClose {
    resolution: Option<String>,
}

pub async fn close_demand(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<DemandClose>,
) -> ApiResult<Json<OneDemand>> {
    Ok(Json(OneDemand {
        demand: svc.close_demand(&p.actor, id, b.resolution).await?.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_needs_a_permission() {
        for r in routes() {
            let r = r.entry.route;
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert!(
                matches!(r.access, Access::Needs(_)),
                "{} {}",
                r.method,
                r.path
            );
            assert!(!r.summary.is_empty());
        }
    }
}
