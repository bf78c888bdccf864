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
use voltdesk_store::{StationRow, TraceRow};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    users: Vec<UserLine>,
    list: UserList,
    /// A refused password reset: the user's id and the error, shown beside their field.
    pw_bad: Option<(i64, String)>,
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

#[derive(Deserialize, Default, Clone)]
pub struct AdminQ {
    #[serde(default)]
    year: Option<i32>,
    /// The users list: a phrase in the username or name, a role, the sort, its direction, the page.
    #[serde(default)]
    uq: Option<String>,
    #[serde(default)]
    urole: Option<String>,
    #[serde(default)]
    usort: Option<String>,
    #[serde(default)]
    udesc: Option<String>,
    #[serde(default)]
    upage: Option<i64>,
    #[serde(flatten)]
    flash: Flash,
}

/// Users per page of the admin page's table.
const USERS_PER_PAGE: i64 = 20;

/// A user as the table shows them, every word from the word table.
pub struct UserLine {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub locked: bool,
}

/// The users list's filter as typed, and the links it draws.
pub struct UserList {
    pub q: String,
    pub role: String,
    pub sort: String,
    pub desc: bool,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

impl AdminPage {
    /// The refused reset's error beside this user's password field, if it was theirs.
    fn pw_error(&self, id: &i64) -> String {
        match &self.pw_bad {
            Some((bad, text)) if bad == id => text.clone(),
            _ => String::new(),
        }
    }
}

impl UserList {
    fn href(&self, sort: &str, desc: bool, page: i64) -> String {
        let mut h = format!("/admin?usort={sort}");
        if !self.q.is_empty() {
            h += &format!("&uq={}", urlencode(&self.q));
        }
        if !self.role.is_empty() {
            h += &format!("&urole={}", urlencode(&self.role));
        }
        if desc {
            h += "&udesc=1";
        }
        if page > 1 {
            h += &format!("&upage={page}");
        }
        h + "#users"
    }
    /// The header's link: this column, the other direction when it is the one sorted by.
    pub fn sort_href(&self, sort: &str) -> String {
        self.href(sort, self.sort == sort && !self.desc, 1)
    }
    pub fn arrow(&self, sort: &str) -> &'static str {
        match (self.sort == sort, self.desc) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        }
    }
    pub fn page_href(&self, page: i64) -> String {
        self.href(&self.sort, self.desc, page)
    }
    /// Where an action on a row sends the browser back to: this very list.
    pub fn back(&self) -> String {
        self.page_href(self.page)
    }
}

pub async fn admin(State(svc): State<Service>, v: Viewer, Query(q): Query<AdminQ>) -> PageResult {
    admin_page(&svc, &v, q, None).await
}

async fn admin_page(
    svc: &Service,
    v: &Viewer,
    q: AdminQ,
    pw_bad: Option<(i64, String)>,
) -> PageResult {
    use chrono::Datelike;
    use voltdesk_store::{UserFilter, UserSort};
    let uq = q.uq.clone().unwrap_or_default().trim().to_string();
    let role = q.urole.as_deref().and_then(|r| Role::parse(r).ok());
    let sort = match q.usort.as_deref() {
        Some("role") => UserSort::Role,
        Some("state") => UserSort::State,
        _ => UserSort::Username,
    };
    let page = q.upage.unwrap_or(1).clamp(1, 100_000);
    let (rows, total) = svc
        .find_users(&UserFilter {
            // A phrase longer than any name is cut to a name's length.
            like: voltdesk_domain::search::like_pattern(&uq.chars().take(64).collect::<String>())
                .unwrap_or_default(),
            role,
            active: None,
            sort,
            desc: q.udesc.is_some(),
            limit: USERS_PER_PAGE,
            offset: (page - 1) * USERS_PER_PAGE,
        })
        .await?;
    let list = UserList {
        q: uq,
        role: role.map(|r| r.code().to_string()).unwrap_or_default(),
        sort: match sort {
            UserSort::Username => "username",
            UserSort::Role => "role",
            UserSort::State => "state",
        }
        .into(),
        desc: q.udesc.is_some(),
        page,
        pages: ((total + USERS_PER_PAGE - 1) / USERS_PER_PAGE).max(1),
        total,
    };
    let users = rows
        .iter()
        .map(|u| UserLine {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: v.tr.label(u.role),
            active: u.active,
            locked: u.locked_at.is_some(),
        })
        .collect();
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
    let status = if pw_bad.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AdminPage {
        c: v.chrome("/admin", &q.flash),
        attachments_dir: svc
            .attachment_settings()
            .map(|a| a.blobs.dir().display().to_string())
            .unwrap_or_default(),
        attach_limit_mb: svc.attachment_limit() / (1024 * 1024),
        users,
        list,
        pw_bad,
        roles: Role::ALL,
        stations: svc.stations().await?,
        policies,
        calendar: svc
            .calendar_entries()
            .into_iter()
            .filter(|e| e.day.year() == year)
            .collect(),
        year,
        jobs: job_lines(svc, v).await?,
    };
    Ok((status, Html(page.render()?)).into_response())
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

/// Where a row's action goes back to: the list it was taken from.
#[derive(Deserialize, Default)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

fn back_to(f: &BackForm) -> String {
    let list = super::safe_next(&f.back)
        .filter(|b| b.starts_with("/admin"))
        .unwrap_or_else(|| "/admin".into());
    format!("{list}#users")
}

pub async fn unlock_user(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BackForm>,
) -> PageResult {
    let back = back_to(&f);
    let u = svc
        .unlock_user(&v.principal.actor, id)
        .await
        .map_err(|e| PageError::from(e).back(back.clone()))?;
    Ok(done(&back, &format!("{} ✓", u.username)))
}

pub async fn disable_user(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BackForm>,
) -> PageResult {
    set_active(svc, v, id, f, false).await
}

pub async fn enable_user(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BackForm>,
) -> PageResult {
    set_active(svc, v, id, f, true).await
}

async fn set_active(svc: Service, v: Viewer, id: i64, f: BackForm, active: bool) -> PageResult {
    let back = back_to(&f);
    let u = svc
        .set_user_active(&v.principal.actor, id, active)
        .await
        .map_err(|e| PageError::from(e).back(back.clone()))?;
    let state = if u.active {
        "user.state.active"
    } else {
        "user.state.disabled"
    };
    Ok(done(&back, &format!("{} · {}", u.username, v.tr.t(state))))
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// An administrator's password reset from the users table: a refused password draws the
/// page again (422) with the error beside that user's field.
pub async fn reset_password(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PasswordForm>,
) -> PageResult {
    let u = svc.user(id).await?;
    match svc
        .reset_password(&v.principal.actor, id, &f.password)
        .await
    {
        Ok(()) => Ok(done(
            &format!("/admin?uq={}#users", urlencode(&u.username)),
            &format!("{} · {} ✓", u.username, v.tr.t("user.password_reset")),
        )),
        Err(e) => {
            let text = PageError::from(e).text(v.tr);
            let q = AdminQ {
                uq: Some(u.username.clone()),
                ..Default::default()
            };
            admin_page(&svc, &v, q, Some((id, text))).await
        }
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditPage {
    c: Chrome,
    id: i64,
    username: String,
    active: bool,
    f: EditForm,
    roles: &'static [Role],
    stations: Vec<StationRow>,
    /// Departments and grids with their station's name.
    departments: Vec<(i64, String)>,
    grids: Vec<(String, String)>,
    bad: String,
    bad_text: String,
    name_max: usize,
    /// An agent's desk phone and SIP password, for a user whose role takes calls.
    phone: Option<PhoneCard>,
}

/// The desk phone and SIP password forms of an agent's edit page.
pub struct PhoneCard {
    /// The desk phone as stored, or as typed into a refused form.
    pub uri: String,
    pub sip_account: bool,
    /// The form's field that was refused (`uri`, `sip_password`) and why.
    pub bad: String,
    pub bad_text: String,
}

/// A refused phone or SIP password form: what was typed, the field, the words.
pub struct PhoneForm {
    pub uri: String,
    pub bad: String,
    pub text: String,
}

impl UserEditPage {
    fn picked(&self, value: &str, id: &i64) -> bool {
        value == id.to_string()
    }
    fn has_grid(&self, code: &str) -> bool {
        self.f.grids.iter().any(|g| g == code)
    }
}

/// The edit form's values as typed (ids as text: empty is none).
#[derive(Default, Clone)]
pub struct EditForm {
    display_name: String,
    role: String,
    station_id: String,
    department_id: String,
    grids: Vec<String>,
}

/// The fields of the edit form that carry an error beside them.
const EDIT_FIELDS: &[&str] = &[
    "display_name",
    "role",
    "station_id",
    "department_id",
    "grids",
];

pub(super) async fn edit_page(
    svc: &Service,
    v: &Viewer,
    id: i64,
    f: Option<EditForm>,
    failed: Option<&PageError>,
    phone_failed: Option<PhoneForm>,
) -> PageResult {
    let u = svc.user(id).await?;
    let phone = if voltdesk_domain::auth::takes_calls(u.role) && v.may(AgentPhoneWrite) {
        let stored = svc.agent_phone(u.id).await?;
        Some(match phone_failed.as_ref() {
            Some(p) => PhoneCard {
                uri: if p.bad == "uri" {
                    p.uri.clone()
                } else {
                    stored.static_contact.clone().unwrap_or_default()
                },
                sip_account: stored.sip_account,
                bad: p.bad.clone(),
                bad_text: p.text.clone(),
            },
            None => PhoneCard {
                uri: stored.static_contact.unwrap_or_default(),
                sip_account: stored.sip_account,
                bad: String::new(),
                bad_text: String::new(),
            },
        })
    } else {
        None
    };
    let stations = svc.stations().await?;
    let station_name = |sid: i64| {
        stations
            .iter()
            .find(|s| s.id == sid)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let f = match f {
        Some(f) => f,
        None => EditForm {
            display_name: u.display_name.clone(),
            role: u.role.code().into(),
            station_id: u.station_id.map(|s| s.to_string()).unwrap_or_default(),
            department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
            grids: svc
                .managed_grids(u.id)
                .await?
                .into_iter()
                .map(|g| g.code)
                .collect(),
        },
    };
    let departments = svc
        .departments(None)
        .await?
        .into_iter()
        .map(|d| (d.id, format!("{} · {}", station_name(d.station_id), d.name)))
        .collect();
    let grids = svc
        .grids(None)
        .await?
        .into_iter()
        .map(|g| {
            let label = format!("{} · {}", station_name(g.station_id), g.name);
            (g.code, label)
        })
        .collect();
    let (bad, bad_text) = match failed {
        Some(e) => (e.field.clone().unwrap_or_default(), e.text(v.tr)),
        None => (String::new(), String::new()),
    };
    let flash = match failed {
        Some(e) if !EDIT_FIELDS.contains(&bad.as_str()) => Flash::err(e.text(v.tr)),
        _ => Flash::default(),
    };
    let page = UserEditPage {
        c: v.chrome("/admin", &flash),
        id: u.id,
        username: u.username,
        active: u.active,
        f,
        roles: Role::ALL,
        stations,
        departments,
        grids,
        bad,
        bad_text,
        name_max: voltdesk_service::DISPLAY_NAME_MAX,
        phone,
    };
    let status = match failed {
        Some(e) if e.status.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
        Some(e) => e.status,
        None if phone_failed.is_some() => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn edit_user(State(svc): State<Service>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    edit_page(&svc, &v, id, None, None, None).await
}

/// Saves the edit form: every field at once (the grids ticked are the whole set).
pub async fn save_user(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> PageResult {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = EditForm {
        display_name: get("display_name"),
        role: get("role"),
        station_id: get("station_id"),
        department_id: get("department_id"),
        grids: pairs
            .iter()
            .filter(|(n, _)| n == "grids")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let id_of = |field: &'static str, s: &str| -> Result<Option<i64>, PageError> {
        match s.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| PageError::field("invalid_field", field)),
        }
    };
    let parsed = (|| {
        Ok::<_, PageError>(voltdesk_service::UserChanges {
            display_name: Some(f.display_name.clone()),
            role: Some(
                Role::parse(&f.role).map_err(|_| PageError::field("invalid_field", "role"))?,
            ),
            station_id: Some(id_of("station_id", &f.station_id)?),
            department_id: Some(id_of("department_id", &f.department_id)?),
            grids: Some(f.grids.clone()),
        })
    })();
    let result = match parsed {
        Ok(changes) => svc
            .update_user(&v.principal.actor, id, changes)
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(u) => Ok(done(
            &format!("/admin?uq={}#users", urlencode(&u.username)),
            &format!("{} ✓", u.username),
        )),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(e),
        Err(e) => edit_page(&svc, &v, id, Some(f), Some(&e), None).await,
    }
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
