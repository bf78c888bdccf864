//! The contact centre in the API: agents' desk phones and SIP passwords, an agent's own
//! state (through the switchboard), call records (list, one, CSV export), the live board,
//! and the callbacks promised to callers.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::api::{day_start, paging};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, J, Path, Q};
use crate::pages::i18n::Tr;
use crate::routes::Access::{Needs, SignedIn};
use crate::routes::{ApiRoute, get, post, put};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::{
    AgentPhoneWrite, CallMonitor, CallRead, CallTake, CallbackWork,
};
use voltdesk_domain::call::SipUri;
use voltdesk_domain::{CallOutcome, DAY_MS, Satisfaction};
use voltdesk_service::{
    AgentPhoneView, AgentWant, CallView, CallbackView, LiveAgent, LiveBoard, Service, ServiceError,
};
use voltdesk_store::CallFilter;

type S = State<Service>;

pub fn routes() -> Vec<ApiRoute> {
    vec![
        put(
            "/api/v1/agents/{id}/phone",
            Needs(AgentPhoneWrite),
            "contact centre",
            "Set the desk phone dialled for an agent who has no registered softphone (`{\"uri\": \"sip:user@host[:port]\"}`), or clear it (`{\"uri\": null}`); 422 invalid_field `uri` for an address that is not one",
            set_phone,
        ),
        put(
            "/api/v1/agents/{id}/sip-password",
            SignedIn,
            "contact centre",
            "Set an agent's SIP password (8 to 128 characters; stored as HA1 over the realm `voltdesk`): an administrator for any agent, an agent for themselves (else 403)",
            set_sip_password,
        ),
        get(
            "/api/v1/agents/me/state",
            Needs(CallTake),
            "contact centre",
            "One's own state in the contact centre (logged out when it is not running)",
            my_state,
        ),
        put(
            "/api/v1/agents/me/state",
            Needs(CallTake),
            "contact centre",
            "Ask to be ready, not ready (with a reason: break, meal, training, meeting, other) or logged out; refusals: 503 sip_off, 409 phone_not_registered, agent_on_call or agent_state_refused",
            set_my_state,
        ),
        get(
            "/api/v1/calls",
            Needs(CallRead),
            "contact centre",
            "Call records, newest first (from, to as YYYY-MM-DD; outcome, agent_user_id, queue, customer_id; page, per_page); the caller masked; an agent sees only the calls they took; the total is exact up to 1,000",
            list_calls,
        ),
        get(
            "/api/v1/calls/export.csv",
            Needs(CallRead),
            "contact centre",
            "The filtered call records as CSV (UTF-8 with BOM, headers in the reader's language, at most 100,000 rows)",
            export_calls,
        )
        .replies_csv(),
        get(
            "/api/v1/calls/{id}",
            Needs(CallRead),
            "contact centre",
            "One call record (another agent's is not found for an agent)",
            one_call,
        ),
        get(
            "/api/v1/live",
            Needs(CallMonitor),
            "contact centre",
            "The contact centre now: whether SIP runs, calls in progress, queues, agents' states",
            live,
        ),
        get(
            "/api/v1/callbacks",
            Needs(CallRead),
            "contact centre",
            "Callbacks promised to callers: the open ones, earliest due first (`?open=false`: all, latest first)",
            list_callbacks,
        ),
        post(
            "/api/v1/callbacks/{id}/done",
            Needs(CallbackWork),
            "contact centre",
            "Mark an open callback done, with a note (at most 500 characters); 409 callback_not_open when it is not open",
            callback_done,
        ),
    ]
}

/// A desk phone's address, or `null` to clear it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    /// `sip:user@host[:port][;params]`, e.g. `sip:8001@10.0.0.21:5060`; `null` clears.
    #[serde(default)]
    uri: Option<String>,
}

pub async fn set_phone(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<PhoneBody>,
) -> ApiResult<Json<AgentPhoneView>> {
    let uri = match b.uri.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => Some(SipUri::parse(u).map_err(|e| ApiError::invalid("uri", e.to_string()))?),
    };
    Ok(Json(svc.set_agent_phone(&p.actor, id, uri).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipPasswordBody {
    password: String,
}

pub async fn set_sip_password(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<SipPasswordBody>,
) -> ApiResult<StatusCode> {
    svc.set_sip_password(&p.actor, id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn my_state(Caller(p): Caller, State(svc): S) -> ApiResult<Json<LiveAgent>> {
    Ok(Json(svc.agent_state(&p.actor)?))
}

/// The state an agent asks for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `ready`, `not_ready` or `logged_out`.
    state: String,
    /// With `not_ready`: `break`, `meal`, `training`, `meeting` or `other`.
    #[serde(default)]
    reason: Option<String>,
}

/// What an agent asks for, from the words of a form or a body.
pub(crate) fn want(state: &str, reason: Option<&str>) -> Result<AgentWant, ServiceError> {
    match state {
        "ready" => Ok(AgentWant::Ready),
        "logged_out" => Ok(AgentWant::LogOut),
        "not_ready" => match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Ok(AgentWant::NotReady(r.to_string())),
            None => Err(ServiceError::invalid(
                "reason",
                "not ready needs a reason: break, meal, training, meeting or other",
            )),
        },
        _ => Err(ServiceError::invalid(
            "state",
            "ready, not_ready or logged_out",
        )),
    }
}

pub async fn set_my_state(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<StateBody>,
) -> ApiResult<Json<LiveAgent>> {
    let want = want(&b.state, b.reason.as_deref())?;
    Ok(Json(svc.set_agent_state(&p.actor, want)?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CallQ {
    /// The first day, `YYYY-MM-DD` (Beijing time).
    pub(crate) from: Option<String>,
    /// The last day, `YYYY-MM-DD`, included.
    pub(crate) to: Option<String>,
    pub(crate) outcome: Option<CallOutcome>,
    pub(crate) agent_user_id: Option<i64>,
    pub(crate) queue: Option<String>,
    pub(crate) customer_id: Option<i64>,
    pub(crate) page: Option<i64>,
    pub(crate) per_page: Option<i64>,
}

/// The filter of a call list query, checked; `per_page` at most `max_per_page`.
pub(crate) fn call_filter(q: &CallQ, max_per_page: i64) -> ApiResult<CallFilter> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    if per_page > max_per_page {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("per_page is 1 to {max_per_page}"),
        )
        .field("per_page"));
    }
    let from = q
        .from
        .as_deref()
        .map(|s| day_start("from", s))
        .transpose()?;
    let to =
        q.to.as_deref()
            .map(|s| day_start("to", s).map(|t| t + DAY_MS))
            .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "from is on or before to",
        )
        .field("from"));
    }
    Ok(CallFilter {
        from,
        to,
        outcome: q.outcome,
        agent_user_id: q.agent_user_id,
        queue: q
            .queue
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        customer_id: q.customer_id,
        limit: per_page,
        offset: (page - 1) * per_page,
        count_cap: Some(crate::api::LIST_COUNT_CAP),
    })
}

/// A page of call records whose total is exact up to 1,000.
#[derive(Serialize, ToSchema)]
pub struct CallList {
    items: Vec<CallView>,
    total: i64,
    total_exact: bool,
    page: i64,
    per_page: i64,
}

/// A capped total as shown: the cap, and whether it is exact.
pub(crate) fn shown_total(f: &CallFilter, total: i64) -> (i64, bool) {
    let cap = crate::api::LIST_COUNT_CAP;
    let capped = f.offset + f.limit <= cap && total > cap;
    (if capped { cap } else { total }, !capped)
}

pub async fn list_calls(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<CallQ>,
) -> ApiResult<Json<CallList>> {
    let f = call_filter(&q, 500)?;
    let (items, total) = svc.calls(&p, &f).await?;
    let (total, total_exact) = shown_total(&f, total);
    Ok(Json(CallList {
        items,
        total,
        total_exact,
        page: f.offset / f.limit + 1,
        per_page: f.limit,
    }))
}

pub async fn one_call(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CallView>> {
    Ok(Json(svc.call(&p, id).await?))
}

/// The export's columns, as word-table keys.
pub const EXPORT_HEADERS: [&str; 12] = [
    "call.started",
    "call.caller",
    "call.dialled",
    "customer",
    "call.queue",
    "call.agent",
    "call.outcome",
    "call.wait_s",
    "call.talk_s",
    "call.wrap_up_s",
    "call.order_ids",
    "call.survey",
];

/// Local time, `2026-11-20 10:05:09`.
fn local(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            (d + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn seconds(ms: Option<i64>) -> String {
    ms.map(|m| (m / 1000).to_string()).unwrap_or_default()
}

/// The filtered records as CSV rows (at most 100,000), in the list's order.
pub(crate) async fn export_rows(
    svc: &Service,
    who: &voltdesk_service::Principal,
    q: &CallQ,
    tr: Tr,
) -> ApiResult<Vec<[String; 12]>> {
    let mut f = call_filter(q, 500)?;
    f.offset = 0;
    f.limit = 1000;
    f.count_cap = None;
    let names: HashMap<i64, String> = svc
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut rows = Vec::new();
    loop {
        let (items, total) = svc.calls(who, &f).await?;
        for c in &items {
            rows.push([
                local(c.started_at),
                c.caller.clone(),
                c.dialled.clone(),
                c.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                c.queue.clone().unwrap_or_default(),
                c.agent_user_id
                    .map(|a| names.get(&a).cloned().unwrap_or_else(|| a.to_string()))
                    .unwrap_or_default(),
                tr.label(c.outcome),
                seconds(c.wait_ms),
                seconds(c.talk_ms),
                seconds(c.wrap_up_ms),
                c.order_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
                c.survey
                    .and_then(|s| Satisfaction::ALL.get((s - 1) as usize))
                    .map(|s| tr.label(*s))
                    .unwrap_or_default(),
            ]);
        }
        if items.is_empty() || rows.len() as i64 >= total || rows.len() >= 100_000 {
            break;
        }
        f.offset += f.limit;
    }
    Ok(rows)
}

/// The filtered call records as CSV, headers in the reader's language (the `vd_lang`
/// cookie; Chinese without it).
pub async fn export_calls(
    State(svc): S,
    Caller(p): Caller,
    headers: HeaderMap,
    Q(q): Q<CallQ>,
) -> ApiResult<Response> {
    let tr = Tr {
        lang: crate::pages::lang_of(&headers),
    };
    let rows = export_rows(&svc, &p, &q, tr).await?;
    crate::api::csv_download("calls.csv", EXPORT_HEADERS.iter().map(|k| tr.t(k)), &rows)
}

pub async fn live(State(svc): S, Caller(p): Caller) -> ApiResult<Json<LiveBoard>> {
    Ok(Json(svc.live_board(&p.actor)?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackQ {
    /// Only the open ones (the default).
    open: Option<bool>,
}

/// Callbacks promised to callers.
#[derive(Serialize, ToSchema)]
pub struct Callbacks {
    items: Vec<CallbackView>,
}

pub async fn list_callbacks(State(svc): S, Q(q): Q<CallbackQ>) -> ApiResult<Json<Callbacks>> {
    Ok(Json(Callbacks {
        items: svc.callbacks(q.open.unwrap_or(true)).await?,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackDoneBody {
    /// What was said (at most 500 characters).
    #[serde(default)]
    note: String,
}

pub async fn callback_done(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<CallbackDoneBody>,
) -> ApiResult<Json<CallbackView>> {
    Ok(Json(svc.complete_callback(&p.actor, id, &b.note).await?))
}
