//! JSON handlers: parse, call one service command, render.

use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::extract::{Caller, J, Q};
use crate::routes::Access::{Needs, Public, SignedIn};
use crate::routes::{ApiRoute, delete, get, post, put};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::*;
use voltdesk_domain::calendar::{CalendarEntry, DayKind};
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::{
    AreaView, CustomerView, DepartmentView, EscalationView, FeederView, GridView, NewOrder,
    NewUser, NoticeTemplateView, OrderView, OutboxItemView, OutboxView, ProblemView,
    ReturnVisitView, Service, ServiceError, StationView, TokenView, TraceView, UserView,
    WarningView, parse_order_ref,
};
use voltdesk_store::{CustomerFilter, OrderFilter, OrderSort};

type S = State<Service>;

/// The core API's routes: method, path, what the caller needs, summary, handler.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/api/v1/health",
            Public,
            "system",
            "Liveness and database check",
            health,
        ),
        get(
            "/api/v1/openapi.json",
            Public,
            "system",
            "This API as OpenAPI 3.1",
            crate::openapi_json,
        ),
        get(
            "/api/v1/docs",
            Public,
            "system",
            "Readable API documentation",
            crate::docs,
        ),
        post(
            "/api/v1/session",
            Public,
            "auth",
            "Sign in with username and password; sets the session cookie",
            login,
        ),
        delete("/api/v1/session", SignedIn, "auth", "Sign out", logout),
        get(
            "/api/v1/me",
            SignedIn,
            "auth",
            "The signed-in user and permissions",
            me,
        ),
        get(
            "/api/v1/stations",
            Needs(OrgRead),
            "organisation",
            "Supply stations",
            stations,
        ),
        put(
            "/api/v1/stations/{id}/policy",
            Needs(PolicyWrite),
            "organisation",
            "Choose the service-commitment policy of a station",
            set_station_policy,
        ),
        get(
            "/api/v1/departments",
            Needs(OrgRead),
            "organisation",
            "Departments (?station_id)",
            departments,
        ),
        get(
            "/api/v1/grids",
            Needs(OrgRead),
            "organisation",
            "Grids (?station_id)",
            grids,
        ),
        get(
            "/api/v1/feeders",
            Needs(OrgRead),
            "organisation",
            "Feeders (?station_id)",
            feeders,
        ),
        get(
            "/api/v1/areas",
            Needs(OrgRead),
            "organisation",
            "Transformer areas (?grid_id, page, per_page)",
            areas,
        ),
        post(
            "/api/v1/org/import",
            Needs(OrgWrite),
            "organisation",
            "Import the organisation from CSV (UTF-8 or GBK); all or nothing",
            import_org,
        )
        .csv()
        .replies::<OrgImported>("200")
        .body_limit(64 << 20),
        get(
            "/api/v1/customers",
            Needs(CustomerRead),
            "customers",
            "Search customers (q prefix of account, phone or name; station_id, area_id, segment, sensitive; page, per_page)",
            customers,
        ),
        get(
            "/api/v1/customers/lookup",
            Needs(CustomerRead),
            "customers",
            "Identify a caller by phone or account_no",
            lookup,
        ),
        post(
            "/api/v1/customers/import",
            Needs(CustomerWrite),
            "customers",
            "Import customers from CSV (UTF-8 or GBK); all or nothing unless skip_invalid=true",
            import_customers,
        )
        .csv()
        .replies::<CustomersImported>("200")
        .body_limit(512 << 20),
        get(
            "/api/v1/customers/{id}",
            Needs(CustomerRead),
            "customers",
            "A customer, masked; reveal=true unmasks for roles that may (traced)",
            customer,
        ),
        get(
            "/api/v1/customers/{id}/trace",
            Needs(TraceRead),
            "customers",
            "The customer's timeline across channels, newest first (limit, before)",
            customer_trace,
        ),
        get(
            "/api/v1/customers/{id}/orders",
            Needs(OrderRead),
            "customers",
            "The customer's work orders",
            customer_orders,
        ),
        put(
            "/api/v1/customers/{id}/sensitive",
            Needs(OrderSupervise),
            "customers",
            "Set or clear the sensitive flag with a reason",
            set_sensitive,
        ),
        get(
            "/api/v1/work-orders",
            Needs(OrderRead),
            "work orders",
            "List orders: station, grid, area, customer_id, type, channel, number (an order number, whole or begun), q (words of the title or text, found by the full-text index: Chinese as written, Latin words from their start; words apart by spaces must all be found), status (comma list), open, overdue, escalated, department_id, assignee_id, from, to; sort=created_at|due_at|updated_at|id|status|type, order=asc|desc; page, per_page. The total is exact up to 1,000 orders (total_exact is false beyond); with q and the default sort, newest first by order number",
            orders,
        ),
        post(
            "/api/v1/work-orders",
            Needs(OrderCreate),
            "work orders",
            "Take a contact as a work order; Idempotency-Key header makes retries safe",
            create_order,
        ),
        get(
            "/api/v1/work-orders/export.csv",
            Needs(Export),
            "work orders",
            "The filtered list as CSV (same filters as the list)",
            export_orders,
        )
        .replies_csv(),
        get(
            "/api/v1/work-orders/export.xlsx",
            Needs(Export),
            "work orders",
            "The filtered list as an Excel workbook (same filters as the list)",
            export_orders_xlsx,
        )
        .replies_binary(),
        get(
            "/api/v1/work-orders/{id}",
            Needs(OrderRead),
            "work orders",
            "An order with its clocks (id or order number)",
            order,
        ),
        get(
            "/api/v1/work-orders/{id}/trace",
            Needs(TraceRead),
            "work orders",
            "Every trace event of the order, oldest first",
            order_trace,
        ),
        get(
            "/api/v1/work-orders/{id}/return-visits",
            Needs(OrderRead),
            "work orders",
            "Return visits of the order",
            return_visits,
        ),
        post(
            "/api/v1/work-orders/{id}/dispatch",
            Needs(OrderRoute),
            "lifecycle",
            "Dispatch to a department (and assignee)",
            dispatch,
        ),
        post(
            "/api/v1/work-orders/{id}/transfer",
            Needs(OrderRoute),
            "lifecycle",
            "Transfer to another department",
            transfer,
        ),
        post(
            "/api/v1/work-orders/{id}/merge",
            Needs(OrderRoute),
            "lifecycle",
            "Merge into another order (duplicates of one event)",
            merge,
        ),
        post(
            "/api/v1/work-orders/{id}/cancel",
            Needs(OrderRoute),
            "lifecycle",
            "Cancel with a reason",
            cancel,
        ),
        post(
            "/api/v1/work-orders/{id}/acknowledge",
            Needs(OrderWork),
            "lifecycle",
            "Acknowledge (take) a dispatched order",
            acknowledge,
        )
        .optional_body::<AckB>(),
        post(
            "/api/v1/work-orders/{id}/contact",
            Needs(OrderWork),
            "lifecycle",
            "Record contact with the customer (stops the contact clock)",
            contact,
        ),
        post(
            "/api/v1/work-orders/{id}/arrive",
            Needs(OrderWork),
            "lifecycle",
            "Crew on site (repair); starts the restore clock",
            arrive,
        ),
        post(
            "/api/v1/work-orders/{id}/reply",
            Needs(OrderWork),
            "lifecycle",
            "Reply with the result; complaints need verdict and root_cause",
            reply,
        ),
        post(
            "/api/v1/work-orders/{id}/return-to-sender",
            Needs(OrderWork),
            "lifecycle",
            "Return the order to the sender with a reason",
            return_to_sender,
        ),
        post(
            "/api/v1/work-orders/{id}/co-handle",
            Needs(OrderWork),
            "lifecycle",
            "Add co-handling departments",
            co_handle,
        ),
        post(
            "/api/v1/work-orders/{id}/close",
            Needs(OrderWork),
            "lifecycle",
            "Close a replied order that needs no return visit",
            close,
        ),
        post(
            "/api/v1/work-orders/{id}/pause",
            Needs(OrderWork),
            "lifecycle",
            "Pause the running clocks while waiting on the customer",
            pause,
        ),
        post(
            "/api/v1/work-orders/{id}/resume",
            Needs(OrderWork),
            "lifecycle",
            "Resume paused clocks",
            resume,
        ),
        post(
            "/api/v1/work-orders/{id}/urge",
            Needs(OrderCreate),
            "lifecycle",
            "Record an urging contact (催办) on an open order",
            urge,
        ),
        post(
            "/api/v1/work-orders/{id}/return-visit",
            Needs(OrderSupervise),
            "lifecycle",
            "Record the return visit; dissatisfied reopens",
            return_visit,
        ),
        post(
            "/api/v1/work-orders/{id}/reopen",
            Needs(OrderSupervise),
            "lifecycle",
            "Reopen a closed order with a reason",
            reopen,
        ),
        put(
            "/api/v1/work-orders/{id}/problem",
            Needs(ProblemWrite),
            "problems",
            "Group the order under a problem",
            link_problem,
        ),
        get(
            "/api/v1/problems",
            Needs(ProblemRead),
            "problems",
            "Problems (station_id, open, page, per_page)",
            problems,
        ),
        post(
            "/api/v1/problems",
            Needs(ProblemWrite),
            "problems",
            "Open a problem",
            create_problem,
        ),
        get(
            "/api/v1/problems/{id}",
            Needs(ProblemRead),
            "problems",
            "A problem",
            problem,
        ),
        post(
            "/api/v1/problems/{id}/close",
            Needs(ProblemWrite),
            "problems",
            "Close a problem with its root cause",
            close_problem,
        ),
        get(
            "/api/v1/escalations",
            Needs(OrderRead),
            "supervision",
            "Escalations (order_id, open)",
            escalations,
        ),
        post(
            "/api/v1/escalations/{id}/acknowledge",
            Needs(OrderSupervise),
            "supervision",
            "Acknowledge an escalation",
            acknowledge_escalation,
        ),
        get(
            "/api/v1/warnings",
            Needs(OrderRead),
            "warnings",
            "Warnings raised by the early-warning rules (status, rule, owner_role, mine, customer_id, order_id, page, per_page)",
            warnings,
        ),
        get(
            "/api/v1/warnings/{id}",
            Needs(OrderRead),
            "warnings",
            "One warning",
            warning,
        ),
        post(
            "/api/v1/warnings/{id}/acknowledge",
            Needs(OrderRead),
            "warnings",
            "Acknowledge a warning (open → acknowledged)",
            acknowledge_warning,
        ),
        post(
            "/api/v1/warnings/{id}/handle",
            Needs(OrderRead),
            "warnings",
            "Mark a warning handled, with a note",
            handle_warning,
        ),
        post(
            "/api/v1/warnings/{id}/dismiss",
            Needs(OrderRead),
            "warnings",
            "Dismiss a warning; the reason is required",
            dismiss_warning,
        ),
        get(
            "/api/v1/stations/{id}/rules",
            Needs(PolicyRead),
            "warnings",
            "The early-warning rules of a station and whether each is on",
            station_rules,
        ),
        put(
            "/api/v1/stations/{id}/rules/{rule}",
            Needs(PolicyWrite),
            "warnings",
            "Switch a rule on or off for a station",
            set_station_rule,
        ),
        get(
            "/api/v1/notice-templates",
            Needs(PolicyRead),
            "notices",
            "The texts of the notices (SMS and webhook), per kind, channel and language",
            notice_templates,
        ),
        put(
            "/api/v1/notice-templates/{kind}/{channel}",
            Needs(PolicyWrite),
            "notices",
            "Replace the text of a notice (a template with placeholders such as {{ order_no }})",
            set_notice_template,
        ),
        get(
            "/api/v1/outbox/dead",
            Needs(AuditRead),
            "notices",
            "Dead letters: notices given up after the last attempt (limit, offset)",
            dead_letters,
        ),
        post(
            "/api/v1/outbox/{id}/requeue",
            Needs(PolicyWrite),
            "notices",
            "Send a dead letter again with fresh attempts",
            requeue,
        ),
        get(
            "/api/v1/policies",
            Needs(PolicyRead),
            "policies",
            "Loaded service-commitment policies",
            policies,
        ),
        get(
            "/api/v1/policies/{id}",
            Needs(PolicyRead),
            "policies",
            "One policy with its rules",
            policy,
        ),
        get(
            "/api/v1/calendar",
            Needs(PolicyRead),
            "policies",
            "Holidays and make-up working days (from, to)",
            calendar,
        ),
        put(
            "/api/v1/calendar/{day}",
            Needs(PolicyWrite),
            "policies",
            "Set a holiday or make-up working day",
            set_calendar_day,
        ),
        delete(
            "/api/v1/calendar/{day}",
            Needs(PolicyWrite),
            "policies",
            "Remove a calendar entry",
            delete_calendar_day,
        ),
        get(
            "/api/v1/users",
            Needs(UserAdmin),
            "administration",
            "Users",
            users,
        ),
        post(
            "/api/v1/users",
            Needs(UserAdmin),
            "administration",
            "Create a user",
            create_user,
        ),
        get(
            "/api/v1/tokens",
            Needs(UserAdmin),
            "administration",
            "API tokens (never their secrets)",
            tokens,
        ),
        post(
            "/api/v1/tokens",
            Needs(UserAdmin),
            "administration",
            "Create an API token; the secret is shown once",
            create_token,
        ),
        delete(
            "/api/v1/tokens/{id}",
            Needs(UserAdmin),
            "administration",
            "Revoke a token",
            revoke_token,
        ),
        get(
            "/api/v1/dashboard",
            Needs(StatsRead),
            "statistics",
            "Volumes by type, channel and complaint class per day, deadline compliance, satisfaction, complaints per 10,000 customers, areas with most complaints (from, to as yyyy-mm-dd; station_id, grid_id)",
            dashboard,
        ),
        get(
            "/api/v1/audit",
            Needs(AuditRead),
            "administration",
            "The audit trail: all trace events (kind prefix, before, limit)",
            audit,
        ),
        get(
            "/api/v1/outbox",
            Needs(AuditRead),
            "administration",
            "Queued notifications and webhooks",
            outbox,
        ),
    ]
}

#[derive(Serialize, ToSchema)]
pub struct Page<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// What an organisation import did, and the lines it skipped (documents `import_org`).
#[derive(Serialize, ToSchema)]
pub struct OrgImported {
    report: voltdesk_service::OrgImportReport,
    skipped: Vec<voltdesk_domain::import::RowError>,
}

/// What a customer import did (documents `import_customers`).
#[derive(Serialize, ToSchema)]
pub struct CustomersImported {
    report: voltdesk_service::CustomerImportReport,
}

/// A list without paging.
#[derive(Serialize, ToSchema)]
pub struct Items<T: Serialize> {
    items: Vec<T>,
}

/// The work-order list: a page whose total is exact up to [`list_count_cap`].
#[derive(Serialize, ToSchema)]
pub struct OrderList {
    items: Vec<OrderView>,
    total: i64,
    total_exact: bool,
    page: i64,
    per_page: i64,
}

/// The callers a phone number or account number identifies.
#[derive(Serialize, ToSchema)]
pub struct Matches {
    items: Vec<CustomerView>,
    total: usize,
}

/// A customer's timeline, newest first, and where the next page starts.
#[derive(Serialize, ToSchema)]
pub struct Timeline {
    items: Vec<TraceView>,
    next_before: Option<i64>,
}

/// Every trace event of an order, oldest first.
#[derive(Serialize, ToSchema)]
pub struct OrderTrace {
    total: usize,
    items: Vec<TraceView>,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct Paging {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The size of a list query, checked (1 to 500).
pub(crate) fn limit_of(limit: Option<i64>, default: i64) -> ApiResult<i64> {
    let limit = limit.unwrap_or(default);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit is 1 to 500",
        )
        .field("limit"));
    }
    Ok(limit)
}

/// The page and page size of a list query, checked (pages from 1, 1 to 500 per page, no
/// deeper than `MAX_OFFSET` rows).
pub(crate) fn paging(p: Option<i64>, pp: Option<i64>, default: i64) -> ApiResult<(i64, i64)> {
    let page = p.unwrap_or(1);
    let per_page = pp.unwrap_or(default);
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
    within_reach(page, per_page)?;
    Ok((page, per_page))
}

/// The deepest row a paged list reaches (`(page - 1) × per_page`).
pub(crate) const MAX_OFFSET: i64 = 100_000_000;

/// Deep pages stop where a list could end: beyond that (or an offset that would not fit)
/// is a mistake, not the first page again.
fn within_reach(page: i64, per_page: i64) -> ApiResult<()> {
    if (page - 1)
        .checked_mul(per_page)
        .is_none_or(|o| o > MAX_OFFSET)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "page is beyond the last possible page",
        )
        .field("page"));
    }
    Ok(())
}

pub(crate) fn order_id(s: &str) -> ApiResult<i64> {
    parse_order_ref(s).ok_or_else(|| ApiError::not_found("work order"))
}

// ---- system and session ----

/// The server and its database answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

pub async fn health(State(svc): S) -> ApiResult<Json<Health>> {
    svc.stations().await?;
    Ok(Json(Health { status: "ok" }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Session {
    user: UserView,
}

pub async fn login(
    State(svc): S,
    Extension(opts): Extension<crate::WebOptions>,
    crate::extract::ClientAddr(addr): crate::extract::ClientAddr,
    J(b): J<Login>,
) -> ApiResult<(HeaderMap, Json<Session>)> {
    let (secret, user) = svc.login_from(&b.username, &b.password, addr).await?;
    let cookie = opts.session_cookie(&secret, svc.sign_in_policy().session_max_ms / 1000);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::unauthorized())?,
    );
    Ok((headers, Json(Session { user: user.into() })))
}

pub async fn logout(
    State(svc): S,
    Extension(opts): Extension<crate::WebOptions>,
    headers: HeaderMap,
) -> ApiResult<(HeaderMap, StatusCode)> {
    if let Some((false, secret)) = crate::extract::credentials(&headers) {
        svc.logout(&secret).await?;
    }
    let mut out = HeaderMap::new();
    out.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&opts.session_cookie("", 0)).map_err(|_| ApiError::unauthorized())?,
    );
    Ok((out, StatusCode::NO_CONTENT))
}

/// The caller and what it may do.
#[derive(Serialize, ToSchema)]
pub struct Me {
    user_id: Option<i64>,
    username: String,
    role: Role,
    station_id: Option<i64>,
    permissions: Vec<&'static str>,
}

pub async fn me(Caller(p): Caller) -> Json<Me> {
    let permissions: Vec<&str> = voltdesk_domain::auth::Permission::ALL
        .iter()
        .filter(|x| p.may(**x))
        .map(|x| x.code())
        .collect();
    Json(Me {
        user_id: p.actor.user_id,
        username: p.actor.name,
        role: p.actor.role,
        station_id: p.actor.station_id,
        permissions,
    })
}

// ---- organisation ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StationQ {
    station_id: Option<i64>,
}

/// Rows of the store as a list of their views.
fn items<R, V: Serialize + From<R>>(rows: Vec<R>) -> Json<Items<V>> {
    Json(Items {
        items: rows.into_iter().map(V::from).collect(),
    })
}

pub async fn stations(State(svc): S) -> ApiResult<Json<Items<StationView>>> {
    Ok(items(svc.stations().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChoice {
    policy_id: String,
}

pub async fn set_station_policy(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<PolicyChoice>,
) -> ApiResult<StatusCode> {
    svc.set_station_policy(&p.actor, id, &b.policy_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn departments(
    State(svc): S,
    Q(q): Q<StationQ>,
) -> ApiResult<Json<Items<DepartmentView>>> {
    Ok(items(svc.departments(q.station_id).await?))
}

pub async fn grids(State(svc): S, Q(q): Q<StationQ>) -> ApiResult<Json<Items<GridView>>> {
    Ok(items(svc.grids(q.station_id).await?))
}

pub async fn feeders(State(svc): S, Q(q): Q<StationQ>) -> ApiResult<Json<Items<FeederView>>> {
    Ok(items(svc.feeders(q.station_id).await?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AreaQ {
    grid_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn areas(State(svc): S, Q(q): Q<AreaQ>) -> ApiResult<Json<Page<AreaView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 100)?;
    let (items, total) = svc
        .areas(q.grid_id, per_page, (page - 1) * per_page)
        .await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImportQ {
    skip_invalid: bool,
}

async fn import_csv(
    svc: &Service,
    kind: voltdesk_domain::job::ImportKind,
    p: &voltdesk_service::Principal,
    skip_invalid: bool,
    body: axum::body::Bytes,
) -> ApiResult<voltdesk_service::ImportReport> {
    let options = voltdesk_service::ImportOptions { skip_invalid };
    svc.import_csv(kind, body.into(), &p.actor, options, &|_| {})
        .await
        .map_err(crate::api_imports::import_error)
}

pub async fn import_org(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<ImportQ>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    use voltdesk_service::ImportOutcome;
    let done = import_csv(&svc, job::ImportKind::Org, &p, q.skip_invalid, body).await?;
    match done.outcome {
        ImportOutcome::Org { report, skipped } => {
            Ok(Json(json!({"report": report, "skipped": skipped})))
        }
        _ => Err(crate::api_imports::unexpected_outcome()),
    }
}

pub async fn import_customers(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<ImportQ>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    use voltdesk_service::ImportOutcome;
    let done = import_csv(&svc, job::ImportKind::Customers, &p, q.skip_invalid, body).await?;
    match done.outcome {
        ImportOutcome::Customers(report) => Ok(Json(json!({"report": report}))),
        _ => Err(crate::api_imports::unexpected_outcome()),
    }
}

// ---- customers ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerQ {
    q: Option<String>,
    station_id: Option<i64>,
    area_id: Option<i64>,
    segment: Option<Segment>,
    sensitive: Option<bool>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn customers(State(svc): S, Q(q): Q<CustomerQ>) -> ApiResult<Json<Page<CustomerView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let f = CustomerFilter {
        station_id: q.station_id,
        area_id: q.area_id,
        segment: q.segment,
        sensitive: q.sensitive,
        q: q.q,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (items, total) = svc.customers(&f).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LookupQ {
    phone: Option<String>,
    account_no: Option<String>,
}

pub async fn lookup(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<LookupQ>,
) -> ApiResult<Json<Matches>> {
    let items = svc
        .lookup_customers(&p, q.phone.as_deref(), q.account_no.as_deref())
        .await?;
    Ok(Json(Matches {
        total: items.len(),
        items,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RevealQ {
    reveal: bool,
}

pub async fn customer(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    Q(q): Q<RevealQ>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(svc.customer(&p, id, q.reveal).await?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TraceQ {
    limit: Option<i64>,
    before: Option<i64>,
    kind: Option<String>,
}

pub async fn customer_trace(
    State(svc): S,
    Path(id): Path<i64>,
    Q(q): Q<TraceQ>,
) -> ApiResult<Json<Timeline>> {
    let limit = limit_of(q.limit, 50)?;
    let items = svc.customer_trace(id, q.before, limit).await?;
    let next = if items.len() as i64 == limit {
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(Timeline {
        items: items.into_iter().map(Into::into).collect(),
        next_before: next,
    }))
}

pub async fn customer_orders(
    State(svc): S,
    Path(id): Path<i64>,
    Q(q): Q<Paging>,
) -> ApiResult<Json<Page<OrderView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let f = OrderFilter {
        customer_id: Some(id),
        descending: true,
        limit: per_page,
        offset: (page - 1) * per_page,
        ..Default::default()
    };
    let (items, total) = svc.orders(&f).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitiveFlag {
    sensitive: bool,
    reason: String,
}

pub async fn set_sensitive(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<SensitiveFlag>,
) -> ApiResult<StatusCode> {
    svc.set_sensitive(&p.actor, id, b.sensitive, &b.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- work orders ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrderQ {
    station: Option<String>,
    station_id: Option<i64>,
    grid_id: Option<i64>,
    area_id: Option<i64>,
    customer_id: Option<i64>,
    #[serde(rename = "type")]
    order_type: Option<OrderType>,
    channel: Option<Channel>,
    /// An order number, whole or begun (`GD2026120300000042`, `GD202612`).
    number: Option<String>,
    /// A phrase in the title or the text.
    q: Option<String>,
    status: Option<String>,
    open: Option<bool>,
    overdue: Option<bool>,
    escalated: Option<bool>,
    department_id: Option<i64>,
    assignee_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub(crate) fn day_start(field: &str, s: &str) -> ApiResult<i64> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "a date as YYYY-MM-DD",
        )
        .field(field)
    })?;
    // Dates are the station's (Asia/Shanghai, UTC+8, no daylight saving).
    Ok(d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
        - 8 * HOUR_MS)
}

pub(crate) async fn order_filter(
    svc: &Service,
    q: OrderQ,
    max_per_page: i64,
) -> ApiResult<OrderFilter> {
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page < 1 {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "page starts at 1")
                .field("page"),
        );
    }
    if !(1..=max_per_page).contains(&per_page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("per_page is 1 to {max_per_page}"),
        )
        .field("per_page"));
    }
    within_reach(page, per_page)?;
    let station_id = match (q.station_id, q.station.as_deref()) {
        (Some(id), _) => Some(id),
        (None, Some(code)) => Some(
            svc.station_by_code(code)
                .await
                .map_err(|_| {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "no such station")
                        .field("station")
                })?
                .id,
        ),
        _ => None,
    };
    let mut statuses = Vec::new();
    for s in q
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
    {
        statuses.push(OrderStatus::parse(s).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()).field("status")
        })?);
    }
    let sort = match q.sort.as_deref().unwrap_or("created_at") {
        "created_at" => OrderSort::CreatedAt,
        "due_at" => OrderSort::DueAt,
        "updated_at" => OrderSort::UpdatedAt,
        "id" => OrderSort::Id,
        "status" => OrderSort::Status,
        "type" => OrderSort::Type,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "sort is created_at, due_at, updated_at, id, status or type",
            )
            .field("sort"));
        }
    };
    let number = match q.number.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => Some(voltdesk_domain::search::parse_number(n).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()).field("number")
        })?),
        None => None,
    };
    let phrase = q.q.as_deref().unwrap_or("");
    let bad_phrase = |e: voltdesk_domain::search::SearchError| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()).field("q")
    };
    // The full-text index answers a phrase; one it keeps nothing of (only punctuation) is
    // matched as typed.
    let text_query = voltdesk_domain::search::text_query(phrase).map_err(bad_phrase)?;
    let text_like = match text_query {
        Some(_) => None,
        None => voltdesk_domain::search::like_pattern(phrase).map_err(bad_phrase)?,
    };
    let created_from = q
        .from
        .as_deref()
        .map(|s| day_start("from", s))
        .transpose()?;
    let created_to =
        q.to.as_deref()
            .map(|s| day_start("to", s).map(|t| t + DAY_MS))
            .transpose()?;
    // A number narrows the acceptance days as well as the ids.
    let narrow = |a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64| match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    };
    let descending = match q.order.as_deref() {
        None => sort != OrderSort::DueAt,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "order is asc or desc",
            )
            .field("order"));
        }
    };
    Ok(OrderFilter {
        station_id,
        grid_id: q.grid_id,
        grid_ids: Vec::new(),
        area_id: q.area_id,
        customer_id: q.customer_id,
        problem_id: None,
        order_type: q.order_type,
        channel: q.channel,
        id_from: number.map(|n| n.id_from),
        id_to: number.map(|n| n.id_to),
        text_like,
        text_query,
        statuses,
        open_only: q.open.unwrap_or(false),
        overdue: q.overdue,
        escalated: q.escalated,
        department_id: q.department_id,
        assignee_id: q.assignee_id,
        created_from: narrow(created_from, number.map(|n| n.created_from), i64::max),
        created_to: narrow(created_to, number.map(|n| n.created_to), i64::min),
        due_from: None,
        due_to: None,
        reopened: None,
        sort,
        descending,
        limit: per_page,
        offset: (page - 1) * per_page,
        count_cap: None,
    })
}

/// Totals are exact up to this many orders; beyond it the list says "more than" (`total_exact`
/// false), so that a broad filter over millions of orders stays fast.
/// Each counted order is an index entry read and often a row looked up: on millions of
/// orders a broad filter's exact total costs seconds, and nobody pages past a thousand.
pub(crate) const LIST_COUNT_CAP: i64 = 1_000;

/// Where a list's total stops being exact.
pub fn list_count_cap(_f: &OrderFilter) -> i64 {
    LIST_COUNT_CAP
}

/// A capped total as shown: the cap, and whether it is exact.
pub fn shown_total(f: &OrderFilter, total: i64) -> (i64, bool) {
    let cap = list_count_cap(f);
    let capped = f.offset + f.limit <= cap && total > cap;
    (if capped { cap } else { total }, !capped)
}

pub async fn orders(State(svc): S, Q(q): Q<OrderQ>) -> ApiResult<Json<OrderList>> {
    let mut f = order_filter(&svc, q, 500).await?;
    f.count_cap = Some(list_count_cap(&f));
    let (page, per_page) = (f.offset / f.limit + 1, f.limit);
    let (items, total) = svc.orders(&f).await?;
    let (total, exact) = shown_total(&f, total);
    let capped = !exact;
    Ok(Json(OrderList {
        items,
        total,
        total_exact: !capped,
        page,
        per_page,
    }))
}

/// The export's columns.
const EXPORT_HEADERS: [&str; 11] = [
    "order_no",
    "type",
    "channel",
    "subject",
    "status",
    "title",
    "customer_id",
    "created_at",
    "next_due_at",
    "overdue",
    "closed_at",
];

/// The rows of the filtered list for an export (at most 100,000), in the list's order.
async fn export_rows(svc: &Service, mut q: OrderQ) -> ApiResult<Vec<[String; 11]>> {
    q.page = Some(1);
    q.per_page = Some(1000);
    let mut f = order_filter(svc, q, 1000).await?;
    let mut rows = Vec::new();
    loop {
        let (items, total) = svc.orders(&f).await?;
        for o in &items {
            let t = |ms: Option<i64>| {
                ms.and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|d| {
                        (d + chrono::Duration::hours(8))
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default()
            };
            rows.push([
                o.order_no.clone(),
                o.order.order_type.zh().to_string(),
                o.order.channel.zh().to_string(),
                o.order
                    .subject
                    .map(|s| s.zh().to_string())
                    .unwrap_or_default(),
                o.order.status.zh().to_string(),
                o.order.title.clone(),
                o.order
                    .customer_id
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                t(Some(o.order.created_at)),
                t(o.order.next_due_at),
                if o.order.overdue {
                    "是".into()
                } else {
                    "否".into()
                },
                t(o.order.closed_at),
            ]);
        }
        if items.is_empty() || rows.len() as i64 >= total || rows.len() >= 100_000 {
            break;
        }
        f.offset += f.limit;
    }
    Ok(rows)
}

pub async fn export_orders(State(svc): S, Q(q): Q<OrderQ>) -> ApiResult<Response> {
    let rows = export_rows(&svc, q).await?;
    csv_download("work-orders.csv", EXPORT_HEADERS.iter().copied(), &rows)
}

/// A CSV download: UTF-8 with a byte-order mark (so Excel reads the Chinese), a header row,
/// then the rows.
pub(crate) fn csv_download<'h, R: AsRef<[String]>>(
    filename: &str,
    header_row: impl IntoIterator<Item = &'h str>,
    rows: &[R],
) -> ApiResult<Response> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(header_row);
    for r in rows {
        let _ = w.write_record(r.as_ref());
    }
    let bytes = w
        .into_inner()
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "csv"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The filtered list as an Excel workbook: one sheet, a bold header row kept in view,
/// column widths for the Chinese text.
pub async fn export_orders_xlsx(State(svc): S, Q(q): Q<OrderQ>) -> ApiResult<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let rows = export_rows(&svc, q).await?;
    let internal = |e: rust_xlsxwriter::XlsxError| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("work-orders").map_err(internal)?;
    let bold = Format::new().set_bold();
    for (c, h) in EXPORT_HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(internal)?;
    }
    for (c, width) in [20, 10, 12, 12, 10, 40, 12, 17, 17, 8, 17]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, *width).map_err(internal)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, v)
                .map_err(internal)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"work-orders.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn create_order(
    State(svc): S,
    Caller(p): Caller,
    headers: HeaderMap,
    J(mut b): J<NewOrder>,
) -> ApiResult<(StatusCode, HeaderMap, Json<OrderView>)> {
    if let Some(k) = headers.get("idempotency-key") {
        let k = k
            .to_str()
            .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
        b.idempotency_key = Some(k.to_string());
    }
    let draft = b.parse().map_err(ServiceError::from)?;
    let (view, replayed) = svc.create_order(&p.actor, draft).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut headers = HeaderMap::new();
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok((status, headers, Json(view)))
}

pub async fn order(State(svc): S, Path(id): Path<String>) -> ApiResult<Json<OrderView>> {
    Ok(Json(svc.order(order_id(&id)?).await?))
}

pub async fn order_trace(State(svc): S, Path(id): Path<String>) -> ApiResult<Json<OrderTrace>> {
    let items = svc.order_trace(order_id(&id)?).await?;
    Ok(Json(OrderTrace {
        total: items.len(),
        items: items.into_iter().map(Into::into).collect(),
    }))
}

pub async fn return_visits(
    State(svc): S,
    Path(id): Path<String>,
) -> ApiResult<Json<Items<ReturnVisitView>>> {
    Ok(items(svc.return_visits(order_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchB {
    department_id: i64,
    #[serde(default)]
    assignee_id: Option<i64>,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeB {
    into: i64,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonB {
    reason: String,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteB {
    #[serde(default)]
    note: String,
}
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckB {
    #[serde(default)]
    assignee_id: Option<i64>,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyB {
    text: String,
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    root_cause: Option<RootCause>,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoHandleB {
    department_ids: Vec<i64>,
}
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitB {
    satisfaction: Satisfaction,
    #[serde(default)]
    comment: String,
}

async fn run(
    svc: &Service,
    p: &voltdesk_service::Principal,
    id: &str,
    cmd: Command,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(svc.act(&p.actor, order_id(id)?, cmd).await?))
}

pub async fn dispatch(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<DispatchB>,
) -> ApiResult<Json<OrderView>> {
    run(
        &svc,
        &p,
        &id,
        Command::Dispatch {
            department_id: b.department_id,
            assignee_id: b.assignee_id,
        },
    )
    .await
}
pub async fn transfer(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<DispatchB>,
) -> ApiResult<Json<OrderView>> {
    run(
        &svc,
        &p,
        &id,
        Command::Transfer {
            department_id: b.department_id,
            assignee_id: b.assignee_id,
        },
    )
    .await
}
pub async fn merge(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<MergeB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Merge { into: b.into }).await
}
pub async fn cancel(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ReasonB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Cancel { reason: b.reason }).await
}
pub async fn acknowledge(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OrderView>> {
    let b: AckB = if body.is_empty() {
        AckB::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let assignee_id = b
        .assignee_id
        .or(p.actor.user_id)
        .ok_or_else(|| ApiError::invalid("assignee_id", "required"))?;
    run(&svc, &p, &id, Command::Acknowledge { assignee_id }).await
}
pub async fn contact(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<NoteB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Contact { note: b.note }).await
}
pub async fn arrive(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Arrive).await
}
pub async fn reply(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ReplyB>,
) -> ApiResult<Json<OrderView>> {
    run(
        &svc,
        &p,
        &id,
        Command::Reply {
            text: b.text,
            verdict: b.verdict,
            root_cause: b.root_cause,
        },
    )
    .await
}
pub async fn return_to_sender(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ReasonB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::ReturnToSender { reason: b.reason }).await
}
pub async fn co_handle(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<CoHandleB>,
) -> ApiResult<Json<OrderView>> {
    run(
        &svc,
        &p,
        &id,
        Command::CoHandle {
            department_ids: b.department_ids,
        },
    )
    .await
}
pub async fn close(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Close).await
}
pub async fn urge(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<NoteB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Urge { note: b.note }).await
}
pub async fn return_visit(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<VisitB>,
) -> ApiResult<Json<OrderView>> {
    run(
        &svc,
        &p,
        &id,
        Command::ReturnVisit {
            satisfaction: b.satisfaction,
            comment: b.comment,
        },
    )
    .await
}
pub async fn reopen(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ReasonB>,
) -> ApiResult<Json<OrderView>> {
    run(&svc, &p, &id, Command::Reopen { reason: b.reason }).await
}
pub async fn pause(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ReasonB>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        svc.pause_clocks(&p.actor, order_id(&id)?, &b.reason)
            .await?,
    ))
}
pub async fn resume(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(svc.resume_clocks(&p.actor, order_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemLink {
    problem_id: i64,
}

pub async fn link_problem(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(b): J<ProblemLink>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        svc.link_problem(&p.actor, order_id(&id)?, b.problem_id)
            .await?,
    ))
}

// ---- problems, escalations ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProblemQ {
    station_id: Option<i64>,
    open: bool,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn problems(State(svc): S, Q(q): Q<ProblemQ>) -> ApiResult<Json<Page<ProblemView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let (items, total) = svc
        .problems(q.station_id, q.open, per_page, (page - 1) * per_page)
        .await?;
    Ok(Json(Page {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProblem {
    station_id: i64,
    title: String,
    #[serde(default)]
    description: String,
}

pub async fn create_problem(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewProblem>,
) -> ApiResult<(StatusCode, Json<ProblemView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            svc.create_problem(&p.actor, b.station_id, &b.title, &b.description)
                .await?
                .into(),
        ),
    ))
}

pub async fn problem(State(svc): S, Path(id): Path<i64>) -> ApiResult<Json<ProblemView>> {
    Ok(Json(svc.problem(id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseProblem {
    root_cause: String,
}

pub async fn close_problem(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<CloseProblem>,
) -> ApiResult<Json<ProblemView>> {
    Ok(Json(
        svc.close_problem(&p.actor, id, &b.root_cause).await?.into(),
    ))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EscQ {
    order_id: Option<i64>,
    open: bool,
    limit: Option<i64>,
}

pub async fn escalations(State(svc): S, Q(q): Q<EscQ>) -> ApiResult<Json<Items<EscalationView>>> {
    Ok(items(
        svc.escalations(q.order_id, q.open, q.limit.unwrap_or(100))
            .await?,
    ))
}

pub async fn acknowledge_escalation(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    svc.acknowledge_escalation(&p.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- policies, calendar ----

/// A loaded policy; `R` is its rules' count in the list and the rules themselves alone.
#[derive(Serialize, ToSchema)]
pub struct PolicyView<R: Serialize> {
    id: String,
    version: String,
    name: String,
    timezone: String,
    warn_share: f64,
    rules: R,
}

fn policy_view<R: Serialize>(
    p: &voltdesk_domain::policy::Policy,
    rules: impl FnOnce(&voltdesk_domain::policy::Policy) -> R,
) -> PolicyView<R> {
    PolicyView {
        id: p.id.clone(),
        version: p.version.clone(),
        name: p.name.clone(),
        timezone: p.timezone.name().to_string(),
        warn_share: p.warn_share,
        rules: rules(p),
    }
}

pub async fn policies(State(svc): S) -> Json<Items<PolicyView<usize>>> {
    let mut items: Vec<PolicyView<usize>> = svc
        .policies()
        .0
        .values()
        .map(|p| policy_view(p, |p| p.rules.len()))
        .collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Json(Items { items })
}

pub async fn policy(
    State(svc): S,
    Path(id): Path<String>,
) -> ApiResult<Json<PolicyView<Vec<voltdesk_domain::policy::ClockRule>>>> {
    let p = svc
        .policies()
        .get(&id)
        .ok_or_else(|| ApiError::not_found("policy"))?;
    Ok(Json(policy_view(p, |p| p.rules.clone())))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CalQ {
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
}

pub async fn calendar(State(svc): S, Q(q): Q<CalQ>) -> Json<Items<CalendarEntry>> {
    let items: Vec<CalendarEntry> = svc
        .calendar_entries()
        .into_iter()
        .filter(|e| q.from.is_none_or(|f| e.day >= f) && q.to.is_none_or(|t| e.day <= t))
        .collect();
    Json(Items { items })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    kind: DayKind,
    name: String,
}

fn parse_day(s: &str) -> ApiResult<chrono::NaiveDate> {
    parse_day_field("day", s)
}

fn parse_day_field(field: &str, s: &str) -> ApiResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "a date as YYYY-MM-DD"))
}

pub async fn set_calendar_day(
    State(svc): S,
    Caller(p): Caller,
    Path(day): Path<String>,
    J(b): J<CalendarDay>,
) -> ApiResult<StatusCode> {
    svc.set_calendar_day(
        &p.actor,
        CalendarEntry {
            day: parse_day(&day)?,
            kind: b.kind,
            name: b.name,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_calendar_day(
    State(svc): S,
    Caller(p): Caller,
    Path(day): Path<String>,
) -> ApiResult<StatusCode> {
    svc.delete_calendar_day(&p.actor, parse_day(&day)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- administration ----

pub async fn users(State(svc): S) -> ApiResult<Json<Items<UserView>>> {
    Ok(items(svc.users().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserB {
    username: String,
    #[serde(default)]
    display_name: String,
    role: Role,
    password: String,
    #[serde(default)]
    station_id: Option<i64>,
    #[serde(default)]
    department_id: Option<i64>,
}

pub async fn create_user(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewUserB>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let u = svc
        .add_user(
            &p.actor,
            NewUser {
                username: b.username,
                display_name: b.display_name,
                role: b.role,
                password: b.password,
                station_id: b.station_id,
                department_id: b.department_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

pub async fn tokens(State(svc): S) -> ApiResult<Json<Items<TokenView>>> {
    Ok(items(svc.tokens().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenB {
    username: String,
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    ttl_days: Option<i64>,
}

/// A new token's secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewTokenSecret {
    token: String,
}

pub async fn create_token(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewTokenB>,
) -> ApiResult<(StatusCode, Json<NewTokenSecret>)> {
    let token = svc
        .create_token(&p.actor, &b.username, &b.name, &b.scopes, b.ttl_days)
        .await?;
    Ok((StatusCode::CREATED, Json(NewTokenSecret { token })))
}

pub async fn revoke_token(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    svc.revoke_token(&p.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn audit(State(svc): S, Q(q): Q<TraceQ>) -> ApiResult<Json<Items<TraceView>>> {
    let rows = svc
        .audit_trail(
            q.kind.as_deref(),
            q.before,
            q.limit.unwrap_or(100).clamp(1, 500),
        )
        .await?;
    Ok(items(rows))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardQ {
    from: Option<String>,
    to: Option<String>,
    station_id: Option<i64>,
    grid_id: Option<i64>,
}

pub async fn dashboard(
    State(svc): S,
    Q(q): Q<DashboardQ>,
) -> ApiResult<Json<voltdesk_service::Dashboard>> {
    let date = |field: &str, s: &Option<String>| -> ApiResult<Option<chrono::NaiveDate>> {
        s.as_deref().map(|d| parse_day_field(field, d)).transpose()
    };
    let d = svc
        .dashboard(&voltdesk_service::DashboardQuery {
            from: date("from", &q.from)?,
            to: date("to", &q.to)?,
            station_id: q.station_id,
            grid_id: q.grid_id,
        })
        .await?;
    Ok(Json(d))
}

pub async fn outbox(State(svc): S, Q(q): Q<TraceQ>) -> ApiResult<Json<Items<OutboxView>>> {
    Ok(items(svc.outbox(q.limit.unwrap_or(100)).await?))
}

// ---- early warning ----

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WarningQ {
    status: Option<String>,
    rule: Option<RuleKind>,
    owner_role: Option<Role>,
    /// Only warnings owned by the caller's role (and, for grid managers, by the caller).
    mine: Option<bool>,
    customer_id: Option<i64>,
    order_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn warnings(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<WarningQ>,
) -> ApiResult<Json<Page<WarningView>>> {
    let (page, per_page) = paging(q.page, q.per_page, 50)?;
    let statuses = match q.status.as_deref() {
        None | Some("live") => vec!["open".to_string(), "acknowledged".to_string()],
        Some("all") => Vec::new(),
        Some(s) => {
            let st =
                WarningStatus::parse(s).map_err(|e| ApiError::invalid("status", e.to_string()))?;
            vec![st.code().to_string()]
        }
    };
    let mine = q.mine.unwrap_or(false);
    let f = voltdesk_store::WarningFilter {
        statuses,
        rule: q.rule.map(|r| r.code().to_string()),
        owner_role: q
            .owner_role
            .or(mine.then_some(p.actor.role))
            .map(|r| r.code().to_string()),
        customer_id: q.customer_id,
        order_id: q.order_id,
        limit: per_page,
        offset: (page - 1) * per_page,
        ..Default::default()
    };
    let (items, total) = svc.warnings(&f).await?;
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

pub async fn warning(State(svc): S, Path(id): Path<i64>) -> ApiResult<Json<WarningView>> {
    Ok(Json(svc.warning(id).await?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WarningNote {
    note: String,
    reason: String,
}

async fn warning_to(
    svc: &Service,
    p: &voltdesk_service::Principal,
    id: i64,
    to: WarningStatus,
    note: &str,
) -> ApiResult<Json<WarningView>> {
    Ok(Json(svc.warning_step(&p.actor, id, to, note).await?))
}

pub async fn acknowledge_warning(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<WarningView>> {
    warning_to(&svc, &p, id, WarningStatus::Acknowledged, "").await
}

pub async fn handle_warning(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<WarningNote>,
) -> ApiResult<Json<WarningView>> {
    let note = if b.note.is_empty() { b.reason } else { b.note };
    warning_to(&svc, &p, id, WarningStatus::Handled, &note).await
}

pub async fn dismiss_warning(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<WarningNote>,
) -> ApiResult<Json<WarningView>> {
    let reason = if b.reason.is_empty() {
        b.note
    } else {
        b.reason
    };
    warning_to(&svc, &p, id, WarningStatus::Dismissed, &reason).await
}

pub async fn station_rules(
    State(svc): S,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<voltdesk_service::RuleSwitch>>> {
    Ok(items(svc.rule_switches(id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSwitchB {
    enabled: bool,
}

pub async fn set_station_rule(
    State(svc): S,
    Caller(p): Caller,
    Path((id, rule)): Path<(i64, String)>,
    J(b): J<RuleSwitchB>,
) -> ApiResult<StatusCode> {
    let rule = RuleKind::parse(&rule).map_err(|e| ApiError::invalid("rule", e.to_string()))?;
    svc.set_rule_switch(&p.actor, id, rule, b.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- notices ----

pub async fn notice_templates(State(svc): S) -> ApiResult<Json<Items<NoticeTemplateView>>> {
    Ok(items(svc.notice_templates().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeTemplateB {
    body: String,
    #[serde(default)]
    lang: Option<String>,
}

pub async fn set_notice_template(
    State(svc): S,
    Caller(p): Caller,
    Path((kind, channel)): Path<(String, String)>,
    J(b): J<NoticeTemplateB>,
) -> ApiResult<Json<NoticeTemplateView>> {
    let lang = b.lang.unwrap_or_else(|| "zh-CN".into());
    let t = svc
        .set_notice_template(&p.actor, &kind, &channel, &lang, &b.body)
        .await?;
    Ok(Json(t.into()))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeadQ {
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn dead_letters(State(svc): S, Q(q): Q<DeadQ>) -> ApiResult<Json<Items<OutboxItemView>>> {
    Ok(items(
        svc.dead_letters(q.limit.unwrap_or(100), q.offset.unwrap_or(0))
            .await?,
    ))
}

pub async fn requeue(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OutboxItemView>> {
    Ok(Json(svc.requeue_dead_letter(&p.actor, id).await?.into()))
}
