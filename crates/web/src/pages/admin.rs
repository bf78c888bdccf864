//! Administration: users and roles, the policy of each station, the holiday calendar, CSV
//! imports by upload with progress and the list of import jobs; and the auditor's log.

use super::Path;
use super::*;
use axum::Json;
use axum::extract::Query;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use voltdesk_domain::Role;
use voltdesk_domain::calendar::{CalendarEntry, DayKind};
use voltdesk_domain::job::{ImportKind, JobState};
use voltdesk_service::{ImportJobView, NewUser};
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
    jobs: Vec<JobLine>,
    /// Where attachments are kept, and the largest one in MB.
    attachments_dir: String,
    attach_limit_mb: u64,
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
        attachments_dir: svc
            .attachment_settings()
            .map(|a| a.blobs.dir().display().to_string())
            .unwrap_or_default(),
        attach_limit_mb: svc.attachment_limit() / (1024 * 1024),
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
        jobs: job_lines(&svc, &v).await?,
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

pub async fn unlock_user(State(svc): State<Service>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    let u = svc
        .unlock_user(&v.principal.actor, id)
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

/// An import job as the admin page lists it: every word from the word table.
pub struct JobLine {
    pub id: i64,
    pub kind: &'static str,
    pub by: String,
    pub at: String,
    pub state: &'static str,
    /// The state's code, for the tag's colour.
    pub state_code: &'static str,
    pub progress: String,
    pub errors: String,
}

/// The word-table key of a kind, a state or a failure reason.
fn kind_key(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Customers => "import.customers",
        ImportKind::Org => "import.org",
        ImportKind::Outages => "import.outages",
        ImportKind::Voltage => "import.voltage",
    }
}

fn state_key(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "job.queued",
        JobState::Running => "job.running",
        JobState::Done => "job.done",
        JobState::Failed => "job.failed",
    }
}

fn reason_key(reason: &str) -> &'static str {
    match reason {
        "invalid_rows" => "job.reason.invalid_rows",
        "invalid_header" => "job.reason.invalid_header",
        "invalid_encoding" => "job.reason.invalid_encoding",
        voltdesk_service::ABANDONED => "job.reason.abandoned",
        _ => "job.reason.other",
    }
}

/// What went wrong, for a person: the first lines named, or the reason.
fn job_errors(tr: Tr, j: &ImportJobView, shown: usize) -> String {
    if !j.errors.is_empty() {
        let more = j.error_count - (j.errors.len().min(shown) as i64);
        let mut s = voltdesk_domain::job::summary(&j.errors, shown);
        if more > 0 {
            s.push_str(&format!(" (+{more})"));
        }
        return s;
    }
    match (&j.reason, j.state) {
        (Some(r), JobState::Failed) => tr.t(reason_key(r)).to_string(),
        _ => String::new(),
    }
}

fn job_line(tr: Tr, j: &ImportJobView) -> JobLine {
    JobLine {
        id: j.id,
        kind: tr.t(kind_key(j.kind)),
        by: j.created_by_name.clone(),
        at: tr.time(j.created_at),
        state: tr.t(state_key(j.state)),
        state_code: j.state.code(),
        progress: format!("{} / {}", j.done, j.total),
        errors: job_errors(tr, j, 3),
    }
}

/// The newest import jobs the viewer may see.
async fn job_lines(
    svc: &Service,
    v: &Viewer,
) -> Result<Vec<JobLine>, voltdesk_service::ServiceError> {
    Ok(svc
        .import_jobs(20)
        .await?
        .iter()
        .filter(|j| v.may(j.kind.permission()))
        .map(|j| job_line(v.tr, j))
        .collect())
}

/// Starts an import of the uploaded CSV (`customers`, `org`, `outages` or `voltage`);
/// answers 202 with the job id at once, or 422 when the file cannot be read at all.
pub async fn start_import(
    State(svc): State<Service>,
    v: Viewer,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(kind) = ImportKind::parse(&kind) else {
        return crate::error::ApiError::not_found("import kind").into_response();
    };
    if !v.may(kind.permission()) {
        return crate::error::ApiError::forbidden("import this kind of file").into_response();
    }
    let options = voltdesk_service::ImportOptions::default();
    match svc
        .start_import(kind, body.into(), &v.principal.actor, options)
        .await
    {
        Ok(id) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"job": id.to_string()})),
        )
            .into_response(),
        Err(e) => crate::api_imports::import_error(e).into_response(),
    }
}

/// The progress the upload form follows: `state` is running until the job is done or
/// failed; `message` is for the person who uploaded.
#[derive(Debug, Clone, Serialize)]
pub struct ImportProgress {
    pub state: &'static str,
    pub done: i64,
    pub total: i64,
    pub message: String,
}

pub async fn import_progress(
    State(svc): State<Service>,
    v: Viewer,
    Path(job): Path<String>,
) -> Response {
    let not_found = || crate::error::ApiError::not_found("import job").into_response();
    let Ok(id) = job.parse::<i64>() else {
        return not_found();
    };
    let j = match svc.import_job(id).await {
        Ok(j) if v.may(j.kind.permission()) => j,
        Ok(_) | Err(voltdesk_service::ServiceError::NotFound { .. }) => return not_found(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let (state, message) = match j.state {
        // Not finished yet: the form keeps polling.
        JobState::Queued | JobState::Running => ("running", String::new()),
        JobState::Done => ("done", format!("{} · {}", v.tr.t("import.done"), j.done)),
        JobState::Failed => (
            "failed",
            format!("{} · {}", v.tr.t("import.failed"), job_errors(v.tr, &j, 5)),
        ),
    };
    Json(ImportProgress {
        state,
        done: j.done,
        total: j.total,
        message,
    })
    .into_response()
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<TraceRow>,
    kind: String,
    /// Every kind of event, as the filter offers them: code and words.
    kinds: Vec<(&'static str, String)>,
    next_before: Option<i64>,
}

impl AuditPage {
    /// An event kind in the viewer's words.
    fn kind_words(&self, code: &str) -> String {
        super::desk::event_label(self.c.tr, code)
    }
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
    let mut kinds: Vec<(&'static str, String)> = voltdesk_domain::trace::TraceKind::ALL
        .iter()
        .map(|k| (k.code(), super::desk::event_label(v.tr, k.code())))
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(b.0));
    render(&AuditPage {
        c: v.chrome("/audit", &q.flash),
        rows,
        kind,
        kinds,
        next_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_word_is_in_the_word_table() {
        let tr = Tr { lang: Lang::En };
        let mut keys: Vec<&str> = ImportKind::ALL.iter().map(|k| kind_key(*k)).collect();
        keys.extend(JobState::ALL.iter().map(|s| state_key(*s)));
        keys.extend(
            [
                "invalid_rows",
                "invalid_header",
                "invalid_encoding",
                "abandoned",
                "internal",
            ]
            .map(reason_key),
        );
        for key in keys {
            assert_ne!(tr.t(key), "??", "{key} is missing from the word table");
        }
    }
}
