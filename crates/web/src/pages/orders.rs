//! The order page with every action the viewer may take, and the work queues of handlers,
//! crews and grid managers with bulk actions.

use super::Path;
use super::desk::{Event, Names, events};
use super::*;
use axum::extract::Query;
use serde::Deserialize;
use voltdesk_domain::offer::{Who, offered};
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::{
    AttachmentView, CustomerView, FilledTemplateView, OrderView, possible_actions,
};
use voltdesk_store::{DepartmentRow, OrderFilter, OrderSort, ReturnVisitRow, UserRow};

/// The API path segment of an action: its permission is the API route's.
fn api_segment(action: &str) -> Option<&'static str> {
    Some(match action {
        "dispatch" => "dispatch",
        "acknowledge" => "acknowledge",
        "contact" => "contact",
        "arrive" => "arrive",
        "reply" => "reply",
        "return_visit" => "return-visit",
        "close" => "close",
        "urge" => "urge",
        "transfer" => "transfer",
        "return_to_sender" => "return-to-sender",
        "reopen" => "reopen",
        "cancel" => "cancel",
        "merge" => "merge",
        "co_handle" => "co-handle",
        "pause" => "pause",
        "resume" => "resume",
        "note" => "notes",
        "attach" => "attachments",
        "problem" => "problem",
        _ => return None,
    })
}

/// Whether the viewer's role may take `action` (the API route table decides).
pub fn may_act(v: &Viewer, action: &str) -> bool {
    let Some(seg) = api_segment(action) else {
        return false;
    };
    // Grouping under a problem sets a value (PUT); every other action is a POST.
    let method = if action == "problem" { "PUT" } else { "POST" };
    match crate::routes::find(method, &format!("/api/v1/work-orders/{{id}}/{seg}")) {
        Some(r) => match r.access {
            Access::Public | Access::SignedIn => true,
            Access::Needs(p) => v.may(p),
        },
        None => false,
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    o: OrderView,
    customer: Option<CustomerView>,
    area: String,
    actions: Vec<&'static str>,
    events: Vec<Event>,
    visits: Vec<ReturnVisitRow>,
    related: Vec<OrderView>,
    departments: Vec<DepartmentRow>,
    /// The department a dispatch offers first, from the order's type and subject.
    default_department: i64,
    /// Where the order is now: the department and person handling it, and co-handlers.
    handling: String,
    co_handling: String,
    staff: Vec<UserRow>,
    verdicts: &'static [Verdict],
    causes: &'static [RootCause],
    satisfactions: &'static [Satisfaction],
    /// After a failed action: which, what was typed, the field it names and its words.
    failed: String,
    f: ActForm,
    bad: String,
    bad_text: String,
    attachments: Vec<AttachmentView>,
    may_attach: bool,
    may_note: bool,
    /// Whether the viewer may group the order under a problem, and the station's open ones.
    may_problem: bool,
    problems: Vec<voltdesk_store::ProblemRow>,
    /// The problem the order is grouped under.
    problem: Option<voltdesk_store::ProblemRow>,
    /// The largest attachment, in MB.
    attach_limit_mb: u64,
    /// The reply templates offered for this order, filled in (when the viewer may reply).
    reply_templates: Vec<FilledTemplateView>,
}

impl OrderPage {
    /// A file size for people: bytes, KB or MB.
    fn size_text(&self, n: &i64) -> String {
        let n = *n as f64;
        if n < 1024.0 {
            format!("{n} B")
        } else if n < 1024.0 * 1024.0 {
            format!("{:.1} KB", n / 1024.0)
        } else {
            format!("{:.1} MB", n / (1024.0 * 1024.0))
        }
    }
    /// Whether the form of `action` opens drawn again with the failed values.
    fn open(&self, action: &str) -> bool {
        self.failed == action
    }
    /// Whether `field` of the form of `action` carries the error.
    fn bad_in(&self, action: &str, field: &str) -> bool {
        self.failed == action && self.bad == field
    }
    /// Whether a department may be added as co-handler: not the handling one, not yet on it.
    fn may_co_handle(&self, department_id: &i64) -> bool {
        self.o.order.department_id != Some(*department_id)
            && !self.o.order.co_handlers.contains(department_id)
    }
    /// The value `field` of `action`'s form shows again.
    fn typed(&self, action: &str, field: &str) -> &str {
        if self.failed != action {
            return "";
        }
        match field {
            "text" => &self.f.text,
            "verdict" => &self.f.verdict,
            "root_cause" => &self.f.root_cause,
            "satisfaction" => &self.f.satisfaction,
            "department_id" => &self.f.department_id,
            "assignee_id" => &self.f.assignee_id,
            "into" => &self.f.into,
            "problem_id" => &self.f.problem_id,
            "title" => &self.f.title,
            _ => "",
        }
    }
}

pub async fn order(
    State(svc): State<Service>,
    v: Viewer,
    Path(reference): Path<String>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let Some(o) = order_by_ref(&svc, &reference).await? else {
        return Ok(not_found(v.tr, Some(&v)));
    };
    order_page(&svc, &v, o, None, &flash).await
}

/// The order page; after a failed action its form opens again with what was typed and the
/// error beside the field it names (422).
async fn order_page(
    svc: &Service,
    v: &Viewer,
    o: OrderView,
    failed: Option<(&str, ActForm, &PageError)>,
    flash: &Flash,
) -> PageResult {
    let id = o.order.id;
    let customer = match o.order.customer_id {
        Some(cid) => Some(svc.customer(&v.principal, cid, false).await?),
        None => None,
    };
    let users = svc.users().await?;
    let who = who_of(v, &users);
    let state = o.order.state();
    let actions: Vec<&'static str> = possible_actions(&o)
        .into_iter()
        .filter(|a| may_act(v, a) && offered(&who, &state, a))
        .collect();
    let reply_templates = if actions.contains(&"reply") && v.may(ReplyTemplateRead) {
        svc.order_reply_templates(id).await?
    } else {
        Vec::new()
    };
    let mut related = Vec::new();
    for rid in [o.order.repeat_of, o.order.merged_into]
        .into_iter()
        .flatten()
    {
        if let Ok(r) = svc.order(rid).await {
            related.push(r);
        }
    }
    if let Some(cid) = o.order.customer_id {
        related.extend(
            svc.open_orders_of(cid)
                .await?
                .into_iter()
                .filter(|r| r.order.id != id)
                .take(10),
        );
    }
    let staff = users
        .iter()
        .filter(|u| u.active && matches!(u.role, Role::Handler | Role::Crew | Role::GridManager))
        .cloned()
        .collect();
    let (action, f, bad, bad_text, flash, status) = match failed {
        Some((a, f, e)) => {
            let text = e.text(v.tr);
            // The state machine names a form's one text box by its meaning.
            let field = match e.field.as_deref().unwrap_or_default() {
                "note" | "reason" | "comment" => "text".to_string(),
                "department_ids" => "department_id".to_string(),
                f => f.to_string(),
            };
            // An error that names no field of the form is the page's message.
            let flash = if ACT_FIELDS.contains(&field.as_str()) {
                flash.clone()
            } else {
                Flash::err(text.clone())
            };
            let status = if e.status.is_client_error() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                e.status
            };
            (a.to_string(), f, field, text, flash, status)
        }
        None => (
            String::new(),
            ActForm::default(),
            String::new(),
            String::new(),
            flash.clone(),
            StatusCode::OK,
        ),
    };
    let departments = svc.departments(Some(o.order.station_id)).await?;
    let names = Names::new(&departments, &users);
    let kind = voltdesk_domain::routing::default_department(
        o.order.order_type,
        o.order.subject,
        o.order.complaint_class,
        o.order.service_kind,
    );
    let default_department = departments
        .iter()
        .find(|d| d.kind == kind)
        .or(departments.first())
        .map_or(0, |d| d.id);
    let handling = o
        .order
        .department_id
        .map(|d| names.target(d, o.order.assignee_id))
        .unwrap_or_default();
    let co_handling = o
        .order
        .co_handlers
        .iter()
        .map(|d| names.department(*d))
        .collect::<Vec<_>>()
        .join("、");
    let may_problem = may_act(v, "problem") && v.may(ProblemRead);
    let problems = if may_problem {
        svc.problems(Some(o.order.station_id), true, 100, 0)
            .await?
            .0
    } else {
        Vec::new()
    };
    let problem = match o.order.problem_id {
        Some(p) if v.may(ProblemRead) => svc.problem(p).await.ok(),
        _ => None,
    };
    let page = OrderPage {
        c: v.chrome("", &flash),
        may_problem,
        problems,
        problem,
        area: o
            .order
            .area_id
            .and_then(|a| svc.area_name(a))
            .unwrap_or_default(),
        events: events(v.tr, svc.order_trace(id).await?, &names),
        attachments: svc.attachments(id).await?,
        may_attach: may_act(v, "attach"),
        may_note: may_act(v, "note"),
        attach_limit_mb: svc.attachment_limit() / (1024 * 1024),
        reply_templates,
        visits: svc.return_visits(id).await?,
        departments,
        default_department,
        handling,
        co_handling,
        staff,
        verdicts: Verdict::ALL,
        causes: RootCause::ALL,
        satisfactions: Satisfaction::ALL,
        o,
        customer,
        actions,
        related,
        failed: action,
        f,
        bad,
        bad_text,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The fields of the action forms that can carry an error beside them.
const ACT_FIELDS: &[&str] = &[
    "text",
    "verdict",
    "root_cause",
    "satisfaction",
    "department_id",
    "assignee_id",
    "into",
    "problem_id",
    "title",
];

/// The viewer as the offer of actions sees them: role, user and department.
fn who_of(v: &Viewer, users: &[UserRow]) -> Who {
    let me = v.principal.actor.user_id;
    Who {
        role: v.role(),
        user_id: me,
        department_id: users
            .iter()
            .find(|u| Some(u.id) == me)
            .and_then(|u| u.department_id),
    }
}

/// The order a path names: digits are its id, anything else its whole number (`GD…`).
async fn order_by_ref(svc: &Service, reference: &str) -> PageResult<Option<OrderView>> {
    let found = if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_digit()) {
        match reference.parse::<i64>() {
            Ok(id) => Some((id, None)),
            Err(_) => None,
        }
    } else {
        match voltdesk_domain::search::parse_number(reference) {
            Ok(m) if m.exact => Some((m.id_from, Some(m))),
            _ => None,
        }
    };
    let Some((id, number)) = found else {
        return Ok(None);
    };
    match svc.order(id).await {
        // The number's date must be the order's: GD20250101… is not order 42 of 2026.
        Ok(o) if number.is_none_or(|m| m.contains(o.order.id, o.order.created_at)) => Ok(Some(o)),
        Ok(_) | Err(ServiceError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The fields any action form may send.
#[derive(Deserialize, Default, Clone)]
pub struct ActForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    assignee_id: String,
    /// The order this one is merged into: its number (GD…) or id.
    #[serde(default)]
    into: String,
    /// The problem to group the order under, or the title of a new one.
    #[serde(default)]
    problem_id: String,
    #[serde(default)]
    title: String,
    /// Where to go afterwards (the board acts too); a path on this server.
    #[serde(default)]
    back: String,
}

fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn opt_code<T: std::str::FromStr>(s: &str) -> Option<T> {
    (!s.is_empty()).then(|| s.parse().ok()).flatten()
}

/// The command an action form asks for; a missing choice names its field.
fn command(v: &Viewer, action: &str, f: &ActForm) -> Result<Command, PageError> {
    let text = f.text.trim().to_string();
    let missing = |field: &str| PageError::field("missing_field", field);
    let dept = || opt_id(&f.department_id).ok_or_else(|| missing("department_id"));
    Ok(match action {
        "dispatch" => Command::Dispatch {
            department_id: dept()?,
            assignee_id: opt_id(&f.assignee_id),
        },
        "transfer" => Command::Transfer {
            department_id: dept()?,
            assignee_id: opt_id(&f.assignee_id),
        },
        "acknowledge" => Command::Acknowledge {
            assignee_id: opt_id(&f.assignee_id)
                .or(v.principal.actor.user_id)
                .ok_or_else(|| missing("assignee_id"))?,
        },
        "contact" => Command::Contact { note: text },
        "arrive" => Command::Arrive,
        "reply" => Command::Reply {
            text,
            verdict: opt_code(&f.verdict),
            root_cause: opt_code(&f.root_cause),
        },
        "return_visit" => Command::ReturnVisit {
            satisfaction: opt_code(&f.satisfaction).ok_or_else(|| missing("satisfaction"))?,
            comment: text,
        },
        "close" => Command::Close,
        "urge" => Command::Urge { note: text },
        "return_to_sender" => Command::ReturnToSender { reason: text },
        "reopen" => Command::Reopen { reason: text },
        "cancel" => Command::Cancel { reason: text },
        "merge" => Command::Merge {
            into: match f.into.trim() {
                "" => return Err(missing("into")),
                r => voltdesk_service::parse_order_ref(r)
                    .ok_or_else(|| PageError::field("invalid_field", "into"))?,
            },
        },
        "co_handle" => Command::CoHandle {
            department_ids: vec![dept()?],
        },
        _ => return Err(PageError::not_found("action")),
    })
}

/// Groups an order under the chosen open problem of its station, or a new one with the
/// title given (opened and linked one after the other; a refused link leaves the new
/// problem open and listed).
async fn group_under_problem(
    svc: &Service,
    by: &voltdesk_service::Actor,
    o: &OrderView,
    f: &ActForm,
) -> Result<(), PageError> {
    let problem_id = match (opt_id(&f.problem_id), f.title.trim()) {
        (Some(p), _) => {
            let p = svc.problem(p).await.map_err(PageError::from)?;
            if p.station_id != o.order.station_id || p.status != "open" {
                return Err(PageError::field("invalid_field", "problem_id"));
            }
            p.id
        }
        (None, "") => return Err(PageError::field("missing_field", "problem_id")),
        (None, title) => {
            let line = voltdesk_domain::values::plain_line(title, 200)
                .map_err(|_| PageError::field("invalid_field", "title"))?;
            svc.create_problem(by, o.order.station_id, line, "")
                .await
                .map_err(PageError::from)?
                .id
        }
    };
    svc.link_problem(by, o.order.id, problem_id)
        .await
        .map(|_| ())
        .map_err(PageError::from)
}

fn action_done(tr: i18n::Tr, action: &str) -> String {
    if action == "problem" {
        return tr.t("problem.grouped_done").to_string();
    }
    let label = tr.t(&format!("act.{action}"));
    match tr.lang {
        i18n::Lang::Zh => format!("已{label}"),
        i18n::Lang::En => format!("{label}: done"),
    }
}

pub async fn act(
    State(svc): State<Service>,
    v: Viewer,
    Path((id, action)): Path<(i64, String)>,
    axum::Form(f): axum::Form<ActForm>,
) -> PageResult {
    let page = format!("/orders/{id}");
    let back = super::safe_next(&f.back).unwrap_or_else(|| page.clone());
    if !may_act(&v, &action) {
        return Ok(forbidden(v.tr));
    }
    // What the page does not offer it does not take either; a note goes on any order, and
    // any order may be grouped under a problem.
    let o = svc.order(id).await?;
    let who = who_of(&v, &svc.users().await?);
    if !matches!(action.as_str(), "note" | "problem") && !offered(&who, &o.order.state(), &action) {
        return Ok(forbidden(v.tr));
    }
    let by = &v.principal.actor;
    let result: Result<(), PageError> = match action.as_str() {
        "note" => svc
            .add_note(by, id, &f.text)
            .await
            .map(|_| ())
            .map_err(PageError::from),
        // Pausing and resuming move the clocks, not the order's status.
        "pause" => svc
            .pause_clocks(by, id, f.text.trim())
            .await
            .map(|_| ())
            .map_err(PageError::from),
        "resume" => svc
            .resume_clocks(by, id)
            .await
            .map(|_| ())
            .map_err(PageError::from),
        "problem" => group_under_problem(&svc, by, &o, &f).await,
        _ => match command(&v, &action, &f) {
            Ok(cmd) => svc
                .act(by, id, cmd)
                .await
                .map(|_| ())
                .map_err(PageError::from),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => Ok(done(&back, &action_done(v.tr, &action))),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() => Err(e),
        // From the order page: the page again, the form open with what was typed.
        Err(e) if back == page => {
            order_page(
                &svc,
                &v,
                svc.order(id).await?,
                Some((&action, f, &e)),
                &Flash::default(),
            )
            .await
        }
        Err(e) => Err(e.back(back)),
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    scope: String,
    orders: Vec<OrderView>,
    total: i64,
    page: i64,
    pages: i64,
    overdue_only: bool,
    bulk: Vec<&'static str>,
    /// How many open orders each scope holds: mine, my department, my grids.
    counts: [i64; 3],
}

impl QueuePage {
    /// The count on the `i`th scope button.
    fn count_text(&self, i: &usize) -> String {
        match self.counts.get(*i) {
            Some(n) if *n >= QUEUE_COUNT_CAP => format!("{}+", QUEUE_COUNT_CAP - 1),
            Some(n) => n.to_string(),
            None => String::new(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct QueueQ {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

const PER_PAGE: i64 = 30;

/// The scope buttons count up to this many orders ("999+").
const QUEUE_COUNT_CAP: i64 = 1000;

pub async fn queue(State(svc): State<Service>, v: Viewer, Query(q): Query<QueueQ>) -> PageResult {
    let me = v.principal.actor.user_id;
    let user = match me {
        Some(id) => svc.users().await?.into_iter().find(|u| u.id == id),
        None => None,
    };
    let default_scope = if v.role() == Role::GridManager {
        "grid"
    } else {
        "mine"
    };
    let scope = q.scope.clone().unwrap_or_else(|| default_scope.into());
    let base = OrderFilter {
        open_only: true,
        sort: OrderSort::DueAt,
        limit: PER_PAGE,
        overdue: q.overdue.as_deref().map(|_| true),
        ..Default::default()
    };
    let my_grids: Vec<i64> = svc
        .grids(None)
        .await?
        .into_iter()
        .filter(|g| g.manager_id.is_some() && g.manager_id == me)
        .map(|g| g.id)
        .collect();
    let scoped = |scope: &str| {
        let mut f = base.clone();
        match scope {
            "team" => {
                f.department_id = Some(user.as_ref().and_then(|u| u.department_id).unwrap_or(-1))
            }
            // Every grid the manager looks after.
            "grid" if my_grids.is_empty() => f.grid_id = Some(-1),
            "grid" => f.grid_ids = my_grids.clone(),
            _ => f.assignee_id = Some(me.unwrap_or(-1)),
        }
        f
    };
    let mut counts = [0; 3];
    for (n, s) in counts.iter_mut().zip(["mine", "team", "grid"]) {
        let mut f = scoped(s);
        f.limit = 1;
        f.count_cap = Some(QUEUE_COUNT_CAP);
        *n = svc.orders(&f).await?.1;
    }
    let mut f = scoped(&scope);
    f.offset = q
        .page
        .unwrap_or(1)
        .max(1)
        .saturating_sub(1)
        .saturating_mul(PER_PAGE);
    let (orders, total) = svc.orders(&f).await?;
    let bulk = ["acknowledge", "contact", "arrive", "reply", "close"]
        .into_iter()
        .filter(|a| may_act(&v, a))
        .collect();
    render(&QueuePage {
        c: v.chrome("/queue", &q.flash),
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        page: q.page.unwrap_or(1).max(1),
        overdue_only: q.overdue.is_some(),
        scope,
        orders,
        total,
        bulk,
        counts,
    })
}

#[derive(Deserialize, Default)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    back: String,
}

/// A bulk action: the form sends `ids` once per ticked order.
pub async fn bulk(State(svc): State<Service>, v: Viewer, body: axum::body::Bytes) -> PageResult {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = BulkForm {
        action: get("action"),
        text: get("text"),
        back: get("back"),
    };
    let back = super::safe_next(&f.back).unwrap_or_else(|| "/queue".to_string());
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(n, _)| n == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if ids.is_empty() {
        return Err(PageError::bad(v.tr.t("bulk.none")).back(back));
    }
    if !may_act(&v, &f.action) {
        return Ok(forbidden(v.tr));
    }
    let form = ActForm {
        text: f.text.clone(),
        ..Default::default()
    };
    let cmd = command(&v, &f.action, &form).map_err(|e| e.back(back.clone()))?;
    let (mut ok, mut refused) = (0, Vec::new());
    for id in ids {
        match svc.act(&v.principal.actor, id, cmd.clone()).await {
            Ok(_) => ok += 1,
            Err(e) => refused.push(format!("#{id}: {}", PageError::from(e).text(v.tr))),
        }
    }
    let label = action_done(v.tr, &f.action);
    if refused.is_empty() {
        Ok(done(&back, &format!("{label} × {ok}")))
    } else {
        Err(PageError::bad(format!("{label} × {ok}; {}", refused.join("; "))).back(back))
    }
}
