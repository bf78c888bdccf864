//! The outage and proactive-care API: the dispatch system registers outages (JSON, or a CSV
//! file all-or-nothing), restores supply and reports repairs; grid managers work their care
//! tasks, keep care plans and the ledger of potential demands.
//!
//! Its routes are in [`ROUTES`] (the same `Route` as `routes.rs`, checked by the auth layer
//! once merged into the main table) and served by [`router`]. Instants are epoch ms.

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, J, Q};
use crate::routes::{Access, Route};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use voltdesk_domain::Millis;
use voltdesk_domain::auth::Permission::{self, *};
use voltdesk_domain::job::ImportKind;
use voltdesk_service::{CarePlanInput, CareTaskQuery, NewDemand, NewOutage, Service};
use voltdesk_store::OutageState;

type S = State<Service>;

const fn r(
    method: &'static str,
    path: &'static str,
    perm: Permission,
    tag: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
) -> Route {
    Route {
        method,
        path,
        access: Access::Needs(perm),
        tag,
        summary,
        body,
    }
}

/// The outage and care routes with the permission each needs.
pub const ROUTES: &[Route] = &[
    r(
        "POST",
        "/api/v1/outages",
        OrgWrite,
        "outages",
        "Register an outage (dispatch system); idempotent on external_ref",
        Some("NewOutage"),
    ),
    r(
        "GET",
        "/api/v1/outages",
        OrgRead,
        "outages",
        "Outages (?state=active|planned|recent, station_id, page, per_page)",
        None,
    ),
    r(
        "POST",
        "/api/v1/outages/import",
        OrgWrite,
        "outages",
        "Import outages from CSV (UTF-8 or GBK), all or nothing",
        Some("CSV"),
    ),
    r(
        "GET",
        "/api/v1/outages/{id}",
        OrgRead,
        "outages",
        "One outage with the areas it covers",
        None,
    ),
    r(
        "POST",
        "/api/v1/outages/{id}/restore",
        OrgWrite,
        "outages",
        "Supply restored (restoration notices go out)",
        Some("OutageRestore"),
    ),
    r(
        "POST",
        "/api/v1/outages/{id}/repaired",
        OrgWrite,
        "outages",
        "The fault repaired (kept apart from restoration)",
        Some("OutageRepaired"),
    ),
    r(
        "PUT",
        "/api/v1/outages/{id}/expected-restore",
        OrgWrite,
        "outages",
        "Move the expected restoration",
        Some("OutageExpected"),
    ),
    r(
        "GET",
        "/api/v1/care-tasks",
        OrderWork,
        "care",
        "Care tasks (?mine, status=open|done|all, outage_id, grid_id, assignee_id, customer_id)",
        None,
    ),
    r(
        "POST",
        "/api/v1/care-tasks/{id}/done",
        OrderWork,
        "care",
        "Mark a care task done",
        Some("CareTaskDone"),
    ),
    r(
        "GET",
        "/api/v1/care-plans",
        CustomerRead,
        "care",
        "Care plans (?grid_id, page, per_page)",
        None,
    ),
    r(
        "GET",
        "/api/v1/care-plans/{customer_id}",
        CustomerRead,
        "care",
        "A customer's care plan",
        None,
    ),
    r(
        "PUT",
        "/api/v1/care-plans/{customer_id}",
        CustomerWrite,
        "care",
        "Set a customer's care plan",
        Some("CarePlanInput"),
    ),
    r(
        "GET",
        "/api/v1/demand-ledger",
        OrgRead,
        "care",
        "Potential demands (?grid_id, status=open|closed|all)",
        None,
    ),
    r(
        "POST",
        "/api/v1/demand-ledger",
        OrderWork,
        "care",
        "Note a potential demand",
        Some("NewDemand"),
    ),
    r(
        "POST",
        "/api/v1/demand-ledger/{id}/close",
        OrderWork,
        "care",
        "Close a potential demand with what came of it",
        Some("DemandClose"),
    ),
];

/// The request body shapes [`ROUTES`] name, for the OpenAPI document (`openapi.rs` can
/// fall back to this for names it does not know).
pub fn body_schema(name: &str) -> Option<Value> {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let ms = |d: &str| json!({"type": "integer", "description": format!("{d} (epoch ms)")});
    Some(match name {
        "NewOutage" => s(
            json!({
                "external_ref": {"type": "string", "maxLength": 64, "description": "the dispatch system's id; a re-send returns the first registration"},
                "kind": {"type": "string", "enum": voltdesk_domain::outage::OutageKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>()},
                "feeder_code": {"type": "string"}, "feeder_id": {"type": "integer"},
                "area_code": {"type": "string"}, "area_id": {"type": "integer"},
                "cause": {"type": "string", "maxLength": 200},
                "started_at": ms("start"),
                "expected_restore_at": ms("expected restoration; required for planned and temporary"),
                "restored_at": ms("restoration, for an outage reported after the fact"),
                "repaired_at": ms("repair, may be after restoration"),
            }),
            &["kind", "cause", "started_at"],
        ),
        "OutageRestore" => s(
            json!({"restored_at": ms("supply back; now when absent")}),
            &[],
        ),
        "OutageRepaired" => s(
            json!({"repaired_at": ms("fault repaired; now when absent")}),
            &[],
        ),
        "OutageExpected" => s(
            json!({"expected_restore_at": ms("new expected restoration")}),
            &["expected_restore_at"],
        ),
        "CareTaskDone" => s(json!({"note": {"type": "string", "maxLength": 2000}}), &[]),
        "CarePlanInput" => s(
            json!({"plan": {"type": "string", "maxLength": 2000}, "contact_phone": {"type": "string"}}),
            &["plan"],
        ),
        "NewDemand" => s(
            json!({
                "grid_id": {"type": "integer"}, "grid_code": {"type": "string"},
                "customer_id": {"type": "integer"},
                "title": {"type": "string", "maxLength": 200}, "detail": {"type": "string", "maxLength": 5000},
            }),
            &["title"],
        ),
        "DemandClose" => s(json!({"resolution": {"type": "string"}}), &["resolution"]),
        _ => return None,
    })
}

/// The handlers of [`ROUTES`].
pub fn router() -> Router<Service> {
    Router::new()
        .route("/api/v1/outages", get(outages).post(register))
        .route(
            "/api/v1/outages/import",
            post(import).layer(DefaultBodyLimit::max(16 << 20)),
        )
        .route("/api/v1/outages/{id}", get(outage))
        .route("/api/v1/outages/{id}/restore", post(restore))
        .route("/api/v1/outages/{id}/repaired", post(repaired))
        .route(
            "/api/v1/outages/{id}/expected-restore",
            axum::routing::put(expected_restore),
        )
        .route("/api/v1/care-tasks", get(care_tasks))
        .route("/api/v1/care-tasks/{id}/done", post(care_task_done))
        .route("/api/v1/care-plans", get(care_plans))
        .route(
            "/api/v1/care-plans/{customer_id}",
            get(care_plan).put(set_care_plan),
        )
        .route("/api/v1/demand-ledger", get(demands).post(add_demand))
        .route("/api/v1/demand-ledger/{id}/close", post(close_demand))
}

fn paging(page: Option<i64>, per_page: Option<i64>, default: i64) -> ApiResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(default);
    if page < 1 {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "page starts at 1")
                .field("page"),
        );
    }
    if !(1..=500).contains(&per_page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "per_page is 1 to 500",
        )
        .field("per_page"));
    }
    Ok((page, per_page))
}

fn page_json<T: serde::Serialize>(
    items: Vec<T>,
    total: i64,
    page: i64,
    per_page: i64,
) -> Json<Value> {
    Json(json!({"items": items, "total": total, "page": page, "per_page": per_page}))
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

pub async fn register(State(svc): S, Caller(p): Caller, J(b): J<NewOutage>) -> ApiResult<Response> {
    let (view, replayed) = svc.register_outage(&p.actor, b).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!({"outage": view, "replayed": replayed}))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct OutagesQ {
    state: Option<String>,
    station_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn outages(State(svc): S, Q(q): Q<OutagesQ>) -> ApiResult<Json<Value>> {
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
    Ok(page_json(items, total, page, per_page))
}

pub async fn outage(State(svc): S, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"outage": svc.outage(id).await?})))
}

#[derive(Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
    let b: OutageRestore = optional_json(&body)?;
    let at = b.restored_at.unwrap_or_else(|| svc.now());
    Ok(Json(
        json!({"outage": svc.restore_outage(&p.actor, id, at).await?}),
    ))
}

#[derive(Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
    let b: OutageRepaired = optional_json(&body)?;
    let at = b.repaired_at.unwrap_or_else(|| svc.now());
    Ok(Json(
        json!({"outage": svc.mark_repaired(&p.actor, id, at).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageExpected {
    expected_restore_at: Millis,
}

pub async fn expected_restore(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<OutageExpected>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "outage": svc.set_expected_restore(&p.actor, id, b.expected_restore_at).await?
    })))
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

#[derive(Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
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

#[derive(Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
    let note = optional_json::<CareTaskDone>(&body)?.note;
    Ok(Json(
        json!({"task": svc.complete_care_task(&p.actor, id, note).await?}),
    ))
}

// ---- care plans ----

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GridPageQ {
    grid_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn care_plans(State(svc): S, Q(q): Q<GridPageQ>) -> ApiResult<Json<Value>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let (items, total) = svc
        .care_plans(q.grid_id, per_page, (page - 1) * per_page)
        .await?;
    Ok(page_json(items, total, page, per_page))
}

pub async fn care_plan(State(svc): S, Path(customer_id): Path<i64>) -> ApiResult<Json<Value>> {
    let plan = svc
        .care_plan(customer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("care plan"))?;
    Ok(Json(json!({"plan": plan})))
}

pub async fn set_care_plan(
    State(svc): S,
    Caller(p): Caller,
    Path(customer_id): Path<i64>,
    J(b): J<CarePlanInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"plan": svc.set_care_plan(&p.actor, customer_id, b).await?}),
    ))
}

// ---- the demand ledger ----

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DemandsQ {
    grid_id: Option<i64>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn demands(State(svc): S, Q(q): Q<DemandsQ>) -> ApiResult<Json<Value>> {
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
) -> ApiResult<Response> {
    let d = svc.add_demand(&p.actor, b).await?;
    Ok((StatusCode::CREATED, Json(json!({"demand": d}))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DemandClose {
    resolution: Option<String>,
}

pub async fn close_demand(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<DemandClose>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"demand": svc.close_demand(&p.actor, id, b.resolution).await?}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler_path_and_a_permission() {
        for r in ROUTES {
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert!(
                matches!(r.access, Access::Needs(_)),
                "{} {}",
                r.method,
                r.path
            );
            assert!(!r.summary.is_empty());
        }
        for r in ROUTES {
            if let Some(b) = r.body.filter(|b| *b != "CSV") {
                assert!(body_schema(b).is_some(), "no schema for {b}");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }
}
