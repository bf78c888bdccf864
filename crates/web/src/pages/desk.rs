//! The agent's desk: find the customer as you type, see the customer, take the contact as
//! an order with its deadlines shown before saving.

use super::Path;
use super::i18n::Tr;
use super::*;
use axum::extract::Query;
use serde::Deserialize;
use voltdesk_domain::*;
use voltdesk_service::{ClockPreview, CustomerView, NewOrder, OrderView};
use voltdesk_store::{DepartmentRow, OrderFilter, OrderSort, TraceRow, UserRow};

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    c: Chrome,
    recent: Vec<OrderView>,
}

pub async fn desk(State(svc): State<Service>, v: Viewer, Query(flash): Query<Flash>) -> PageResult {
    let (recent, _) = svc
        .orders(&OrderFilter {
            station_id: v.principal.actor.station_id,
            sort: OrderSort::CreatedAt,
            descending: true,
            limit: 12,
            count_cap: Some(12),
            ..Default::default()
        })
        .await?;
    render(&DeskPage {
        c: v.chrome("/desk", &flash),
        recent,
    })
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResults {
    tr: Tr,
    q: String,
    hits: Vec<(CustomerView, String)>,
}

#[derive(Deserialize)]
pub struct SearchQ {
    #[serde(default)]
    q: String,
}

pub async fn search(State(svc): State<Service>, v: Viewer, Query(q): Query<SearchQ>) -> PageResult {
    let hits = if q.q.trim().is_empty() {
        Vec::new()
    } else {
        svc.search_customers(&q.q, 12)
            .await?
            .into_iter()
            .map(|c| {
                let area = svc.area_name(c.area_id).unwrap_or_default();
                (c, area)
            })
            .collect()
    };
    render(&SearchResults {
        tr: v.tr,
        q: q.q.trim().to_string(),
        hits,
    })
}

/// One line of a timeline.
pub struct Event {
    pub at: i64,
    pub label: String,
    pub actor: String,
    pub channel: String,
    pub order_id: Option<i64>,
    pub detail: String,
    /// An internal note: for staff only, shown apart.
    pub internal: bool,
}

/// The names of departments and staff, for the events that name them by id.
#[derive(Default)]
pub struct Names {
    departments: std::collections::HashMap<i64, String>,
    users: std::collections::HashMap<i64, String>,
}

impl Names {
    pub fn new(departments: &[DepartmentRow], users: &[UserRow]) -> Names {
        Names {
            departments: departments.iter().map(|d| (d.id, d.name.clone())).collect(),
            users: users
                .iter()
                .map(|u| (u.id, u.display_name.clone()))
                .collect(),
        }
    }

    pub fn department(&self, id: i64) -> String {
        self.departments
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }

    pub fn user(&self, id: i64) -> String {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }

    /// Where an order went: the department, and the person if one was named.
    pub fn target(&self, department_id: i64, assignee_id: Option<i64>) -> String {
        match assignee_id {
            Some(u) => format!("{} · {}", self.department(department_id), self.user(u)),
            None => self.department(department_id),
        }
    }
}

/// The words of an event that sends the order somewhere: to whom it went.
fn routed_to(tr: Tr, event: &voltdesk_domain::trace::TraceEvent, names: &Names) -> Option<String> {
    use voltdesk_domain::order::OrderEvent as O;
    use voltdesk_domain::trace::TraceEvent as T;
    let to = match event {
        T::Order(
            O::Dispatched {
                department_id,
                assignee_id,
            }
            | O::Transferred {
                department_id,
                assignee_id,
                ..
            },
        ) => names.target(*department_id, *assignee_id),
        T::Order(O::CoHandlersAdded { department_ids }) => department_ids
            .iter()
            .map(|d| names.department(*d))
            .collect::<Vec<_>>()
            .join("、"),
        _ => return None,
    };
    Some(format!("{} {to}", tr.t("sent_to")))
}

/// The words the system wrote with an event, in the reader's language: an escalation's
/// reason, a reopening after a dissatisfied visit.
fn generated(tr: Tr, event: &voltdesk_domain::trace::TraceEvent, text: String) -> String {
    use voltdesk_domain::order::OrderEvent as O;
    use voltdesk_domain::trace::TraceEvent as T;
    match event {
        T::OrderEscalated(e) => tr.words(&text, e.words.as_ref()),
        T::Order(O::Reopened {
            after_visit: true, ..
        }) => {
            let why = tr.t("reopen.after_visit");
            if text.is_empty() {
                why.to_string()
            } else {
                format!("{why}{}{text}", tr.t("colon"))
            }
        }
        _ => text,
    }
}

pub fn events(tr: Tr, rows: Vec<TraceRow>, names: &Names) -> Vec<Event> {
    rows.into_iter()
        .map(|r| {
            let event = r.event();
            let internal = matches!(event, voltdesk_domain::trace::TraceEvent::OrderNoted(_));
            // A note is shown whole; other details as a line.
            let detail = routed_to(tr, &event, names).unwrap_or_else(|| {
                let d = event.detail().unwrap_or("");
                if internal {
                    d.to_string()
                } else {
                    generated(tr, &event, d.chars().take(120).collect())
                }
            });
            Event {
                at: r.at,
                label: event_label(tr, &r.kind),
                actor: if r.actor == "system" {
                    tr.t("audit.system").to_string()
                } else {
                    r.actor
                },
                channel: r
                    .channel
                    .as_deref()
                    .filter(|_| voltdesk_domain::trace::is_contact(&r.kind))
                    .and_then(|c| Channel::parse(c).ok())
                    .map(|c| tr.label(c))
                    .unwrap_or_default(),
                order_id: r.order_id,
                detail,
                internal,
            }
        })
        .collect()
}

/// A trace kind in words.
pub fn event_label(tr: Tr, kind: &str) -> String {
    voltdesk_domain::trace::label(kind, tr.lang == i18n::Lang::En)
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    c: Chrome,
    cu: CustomerView,
    area: String,
    open: Vec<OrderView>,
    history: Vec<OrderView>,
    events: Vec<Event>,
    can_create: bool,
    can_reveal: bool,
}

#[derive(Deserialize, Default)]
pub struct CustomerQ {
    #[serde(default)]
    reveal: Option<u8>,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn customer(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<CustomerQ>,
) -> PageResult {
    let reveal = q.reveal == Some(1) && v.may(Permission::PiiReveal);
    let cu = svc.customer(&v.principal, id, reveal).await?;
    let open = svc.open_orders_of(id).await?;
    let (history, _) = svc
        .orders(&OrderFilter {
            customer_id: Some(id),
            statuses: vec![
                OrderStatus::Closed,
                OrderStatus::Cancelled,
                OrderStatus::Merged,
            ],
            sort: OrderSort::CreatedAt,
            descending: true,
            limit: 10,
            count_cap: Some(10),
            ..Default::default()
        })
        .await?;
    let names = Names::new(&svc.departments(None).await?, &svc.users().await?);
    let events = events(v.tr, svc.customer_trace(id, None, 40).await?, &names);
    render(&CustomerPage {
        c: v.chrome("/desk", &q.flash),
        area: svc.area_name(cu.area_id).unwrap_or_default(),
        can_create: v.may(Permission::OrderCreate),
        can_reveal: v.may(Permission::PiiReveal) && !reveal,
        cu,
        open,
        history,
        events,
    })
}

#[derive(Template)]
#[template(path = "new_order.html")]
struct NewOrderPage {
    c: Chrome,
    cu: CustomerView,
    area: String,
    types: &'static [OrderType],
    kinds: &'static [ServiceKind],
    channels: &'static [Channel],
    subjects: &'static [SubjectArea],
    classes: &'static [ComplaintClass],
    preview_html: String,
    /// What the form shows: the defaults, or what was typed before a failed save.
    f: OrderForm,
    /// The field a failed save named, and what the viewer reads beside it.
    bad: String,
    bad_text: String,
    title_max: usize,
    description_max: usize,
}

pub async fn new_order(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let f = OrderForm {
        order_type: OrderType::Consultation.code().into(),
        channel: Channel::Hotline95598.code().into(),
        form_key: form_key(),
        ..Default::default()
    };
    new_order_page(&svc, &v, id, f, None, &flash).await
}

/// The new-order form, with `f`'s values and, after a failed save, its error beside the
/// field it names (422: the browser keeps nothing of a redirect, the form keeps it all).
async fn new_order_page(
    svc: &Service,
    v: &Viewer,
    id: i64,
    f: OrderForm,
    failed: Option<&PageError>,
    flash: &Flash,
) -> PageResult {
    let cu = svc.customer(&v.principal, id, false).await?;
    let preview = preview_for(
        svc,
        v.tr,
        &PreviewQ {
            customer_id: Some(id),
            order_type: Some(f.order_type.clone()),
            service_kind: f.service_kind.clone(),
            channel: Some(f.channel.clone()),
            subject: f.subject.clone(),
        },
    )
    .await?;
    let (bad, bad_text) = match failed {
        Some(e) => (e.field.clone().unwrap_or_default(), e.text(v.tr)),
        None => (String::new(), String::new()),
    };
    // An error that names no field of the form is the page's message.
    let flash = match failed {
        Some(e) if !FORM_FIELDS.contains(&bad.as_str()) => Flash::err(e.text(v.tr)),
        _ => flash.clone(),
    };
    let page = NewOrderPage {
        c: v.chrome("/desk", &flash),
        area: svc.area_name(cu.area_id).unwrap_or_default(),
        cu,
        types: OrderType::ALL,
        kinds: ServiceKind::ALL,
        channels: Channel::ALL,
        subjects: SubjectArea::ALL,
        classes: ComplaintClass::ALL,
        preview_html: preview.render()?,
        f,
        bad,
        bad_text,
        title_max: voltdesk_domain::intake::TITLE_MAX,
        description_max: voltdesk_domain::intake::DESCRIPTION_MAX,
    };
    let status = match failed {
        Some(e) if e.status.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
        Some(e) => e.status,
        None => StatusCode::OK,
    };
    Ok((status, Html(page.render()?)).into_response())
}

impl NewOrderPage {
    /// Whether an optional picker's value is `code`.
    fn picked(&self, value: &Option<String>, code: &str) -> bool {
        value.as_deref() == Some(code)
    }
}

/// The fields of the new-order form that can carry an error beside them.
const FORM_FIELDS: &[&str] = &[
    "order_type",
    "service_kind",
    "channel",
    "subject",
    "complaint_class",
    "contact_phone",
    "title",
    "description",
];

#[derive(Deserialize, Default)]
pub struct PreviewQ {
    #[serde(default)]
    customer_id: Option<i64>,
    #[serde(default)]
    order_type: Option<String>,
    #[serde(default)]
    service_kind: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    subject: Option<String>,
}

#[derive(Template)]
#[template(path = "preview.html")]
pub struct Preview {
    tr: Tr,
    clocks: Vec<ClockPreview>,
    duplicates: Vec<OrderView>,
}

fn parse_opt<T: std::str::FromStr>(s: &Option<String>) -> Option<T> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

async fn preview_for(svc: &Service, tr: Tr, q: &PreviewQ) -> PageResult<Preview> {
    let order_type = parse_opt(&q.order_type).unwrap_or(OrderType::Consultation);
    let clocks = svc
        .preview_clocks(
            q.customer_id,
            order_type,
            parse_opt(&q.service_kind),
            parse_opt(&q.channel).unwrap_or(Channel::Hotline95598),
        )
        .await?;
    let subject: Option<SubjectArea> = parse_opt(&q.subject);
    let duplicates = match (q.customer_id, subject) {
        (Some(id), Some(s)) => svc
            .open_orders_of(id)
            .await?
            .into_iter()
            .filter(|o| o.order.subject == Some(s))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Preview {
        tr,
        clocks,
        duplicates,
    })
}

pub async fn preview(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<PreviewQ>,
) -> PageResult {
    render(&preview_for(&svc, v.tr, &q).await?)
}

#[derive(Deserialize, Default, Clone)]
pub struct OrderForm {
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    service_kind: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    complaint_class: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    contact_phone: String,
    /// One key per form shown, so a double submit makes one order.
    #[serde(default)]
    form_key: String,
}

pub async fn create_order(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<OrderForm>,
) -> PageResult {
    let o = match save_order(&svc, &v, id, &f).await {
        Ok(o) => o,
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() => {
            return Err(e);
        }
        Err(e) => return new_order_page(&svc, &v, id, f, Some(&e), &Flash::default()).await,
    };
    let msg = match v.tr.lang {
        i18n::Lang::Zh => format!("已受理，工单号 {}", o.order_no),
        i18n::Lang::En => format!("Order {} accepted", o.order_no),
    };
    Ok(done(&format!("/orders/{}", o.order.id), &msg))
}

/// Parses and saves the form: the first problem names its field.
async fn save_order(
    svc: &Service,
    v: &Viewer,
    id: i64,
    f: &OrderForm,
) -> PageResult<voltdesk_service::OrderView> {
    let refuse = |field: &str, s: &str| {
        let code = if s.is_empty() {
            "missing_field"
        } else {
            "invalid_field"
        };
        PageError::field(code, field)
    };
    let order_type =
        OrderType::parse(&f.order_type).map_err(|_| refuse("order_type", &f.order_type))?;
    let channel = Channel::parse(&f.channel).map_err(|_| refuse("channel", &f.channel))?;
    let n = NewOrder {
        customer_id: Some(id),
        order_type: Some(order_type),
        service_kind: parse_opt(&f.service_kind),
        channel: Some(channel),
        subject: parse_opt(&f.subject),
        complaint_class: parse_opt(&f.complaint_class),
        title: Some(f.title.trim().to_string()).filter(|t| !t.is_empty()),
        description: Some(f.description.trim().to_string()),
        contact_phone: Some(f.contact_phone.trim().to_string()).filter(|t| !t.is_empty()),
        idempotency_key: Some(f.form_key.clone()).filter(|k| !k.is_empty()),
        ..Default::default()
    };
    let draft = n
        .parse()
        .map_err(|e| PageError::from(ServiceError::from(e)))?;
    let (o, _) = svc.create_order(&v.principal.actor, draft).await?;
    Ok(o)
}

/// A new key for a form.
pub fn form_key() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("web-{t:x}-{}", N.fetch_add(1, Ordering::Relaxed))
}
