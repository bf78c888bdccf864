//! Administration: users and roles, the policy of each station, the holiday calendar and CSV
//! imports by upload with progress; and the auditor's log.

use super::*;
use axum::Json;
use axum::extract::{Path, Query};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use voltdesk_domain::Role;
use voltdesk_domain::calendar::{CalendarEntry, DayKind};
use voltdesk_service::NewUser;
use voltdesk_store::{StationRow, TraceRow, UserRow};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    users: Vec<UserRow>,
    roles: &'static [Role],
    stations: Vec<StationRow>,
    policies: Vec<(String, String)>,
    calendar: Vec<CalendarEntry>,
    year: i32,
}

#[derive(Deserialize, Default)]
pub struct AdminQ {
    #[serde(default)]
    year: Option<i32>,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn admin(State(svc): State<Service>, v: Viewer, Query(q): Query<AdminQ>) -> PageResult {
    use chrono::Datelike;
    let year = q
        .year
        .unwrap_or_else(|| voltdesk_service::local_date(svc.now()).year());
    let mut policies: Vec<(String, String)> = svc
        .policies()
        .0
        .values()
        .map(|p| (p.id.clone(), format!("{} ({})", p.name, p.version)))
        .collect();
    policies.sort();
    render(&AdminPage {
        c: v.chrome("/admin", &q.flash),
        users: svc.users().await?,
        roles: Role::ALL,
        stations: svc.stations().await?,
        policies,
        calendar: svc
            .calendar_entries()
            .into_iter()
            .filter(|e| e.day.year() == year)
            .collect(),
        year,
    })
}

#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<UserForm>,
) -> PageResult {
    let role = Role::parse(&f.role).map_err(|e| PageError::bad(e.to_string()).back("/admin"))?;
    let u = svc
        .add_user(
            &v.principal.actor,
            NewUser {
                username: f.username.trim().to_string(),
                display_name: f.display_name.trim().to_string(),
                role,
                password: f.password,
                station_id: v.principal.actor.station_id,
                department_id: None,
            },
        )
        .await
        .map_err(|e| PageError::from(e).back("/admin"))?;
    Ok(done("/admin", &format!("{} ✓", u.username)))
}

#[derive(Deserialize)]
pub struct PolicyForm {
    station_id: i64,
    policy_id: String,
}

pub async fn set_policy(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<PolicyForm>,
) -> PageResult {
    svc.set_station_policy(&v.principal.actor, f.station_id, &f.policy_id)
        .await
        .map_err(|e| PageError::from(e).back("/admin"))?;
    Ok(done("/admin", &format!("{} ✓", f.policy_id)))
}

#[derive(Deserialize)]
pub struct CalendarForm {
    day: String,
    kind: String,
    #[serde(default)]
    name: String,
}

pub async fn set_calendar(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<CalendarForm>,
) -> PageResult {
    let day = NaiveDate::parse_from_str(&f.day, "%Y-%m-%d")
        .map_err(|_| PageError::bad("day: expected yyyy-mm-dd").back("/admin"))?;
    let back = format!("/admin?year={}", chrono::Datelike::year(&day));
    match f.kind.as_str() {
        "default" => svc.delete_calendar_day(&v.principal.actor, day).await,
        kind => {
            let kind = match kind {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::Workday,
                _ => return Err(PageError::bad("kind: holiday, workday or default").back(back)),
            };
            svc.set_calendar_day(
                &v.principal.actor,
                CalendarEntry {
                    day,
                    kind,
                    name: f.name.trim().to_string(),
                },
            )
            .await
        }
    }
    .map_err(|e| PageError::from(e).back(back.clone()))?;
    Ok(done(&back, &format!("{day} ✓")))
}

/// The state of an import started from the page.
#[derive(Debug, Clone, Serialize)]
pub struct ImportJob {
    /// running | done | failed
    pub state: &'static str,
    pub done: usize,
    pub total: usize,
    pub message: String,
}

type Jobs = Mutex<HashMap<String, Arc<Mutex<ImportJob>>>>;
static JOBS: LazyLock<Jobs> = LazyLock::new(Mutex::default);

/// Starts an import of the uploaded CSV (`customers` or `org`); answers 202 with the job id
/// at once, or 422 when the file cannot be read at all.
pub async fn start_import(
    State(svc): State<Service>,
    v: Viewer,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if kind != "customers" && kind != "org" {
        return crate::error::ApiError::not_found("import kind").into_response();
    }
    let text = match voltdesk_domain::import::decode(&body) {
        Ok((t, _)) => t.into_owned(),
        Err(e) => {
            return crate::error::ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_encoding",
                e.to_string(),
            )
            .into_response();
        }
    };
    static N: AtomicU64 = AtomicU64::new(1);
    let id = format!("{}-{}", svc.now(), N.fetch_add(1, Ordering::Relaxed));
    let job = Arc::new(Mutex::new(ImportJob {
        state: "running",
        done: 0,
        total: 0,
        message: String::new(),
    }));
    JOBS.lock()
        .expect("jobs lock")
        .insert(id.clone(), job.clone());
    let actor = v.principal.actor.clone();
    let tr = v.tr;
    tokio::spawn(async move {
        let result = run_import(&svc, &actor, &kind, &text, &job).await;
        let mut j = job.lock().expect("job lock");
        match result {
            Ok(n) => {
                j.state = "done";
                j.done = j.total;
                j.message = format!("{} · {n}", tr.t("import.done"));
            }
            Err(m) => {
                j.state = "failed";
                j.message = format!("{} · {m}", tr.t("import.failed"));
            }
        }
    });
    (StatusCode::ACCEPTED, Json(serde_json::json!({"job": id}))).into_response()
}

/// Runs an import; the first few bad rows become the message.
async fn run_import(
    svc: &Service,
    actor: &voltdesk_service::Actor,
    kind: &str,
    text: &str,
    job: &Arc<Mutex<ImportJob>>,
) -> Result<usize, String> {
    use voltdesk_domain::import::RowError;
    let describe = |errors: &[RowError]| {
        errors
            .iter()
            .take(5)
            .map(|e| {
                format!(
                    "line {}: {} {}",
                    e.line,
                    e.field.as_deref().unwrap_or(""),
                    e.message
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let invalid = |e: voltdesk_service::ServiceError| match e {
        voltdesk_service::ServiceError::Import(rows) => describe(&rows),
        e => e.to_string(),
    };
    if kind == "org" {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for r in voltdesk_domain::import::org_rows(text).map_err(|e| describe(&[e]))? {
            match r {
                Ok((_, row)) => rows.push(row),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(describe(&errors));
        }
        job.lock().expect("job lock").total = rows.len();
        let report = svc.import_org(actor, &rows).await.map_err(invalid)?;
        return Ok(report.rows);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for r in voltdesk_domain::import::customer_rows(text).map_err(|e| describe(&[e]))? {
        match r {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    job.lock().expect("job lock").total = rows.len() + errors.len();
    let progress_job = job.clone();
    let report = svc
        .import_customers(actor, rows, errors, false, &move |n| {
            if let Ok(mut j) = progress_job.lock() {
                j.done = n;
            }
        })
        .await
        .map_err(invalid)?;
    Ok(report.imported)
}

pub async fn import_progress(Path(job): Path<String>) -> Response {
    match JOBS.lock().expect("jobs lock").get(&job) {
        Some(j) => Json(j.lock().expect("job lock").clone()).into_response(),
        None => crate::error::ApiError::not_found("import job").into_response(),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<TraceRow>,
    kind: String,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct AuditQ {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn audit(State(svc): State<Service>, v: Viewer, Query(q): Query<AuditQ>) -> PageResult {
    let kind = q.kind.clone().unwrap_or_default();
    let rows = svc
        .audit_trail(Some(kind.as_str()).filter(|k| !k.is_empty()), q.before, 100)
        .await?;
    let next_before = (rows.len() == 100)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    render(&AuditPage {
        c: v.chrome("/audit", &q.flash),
        rows,
        kind,
        next_before,
    })
}
