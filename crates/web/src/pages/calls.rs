//! The contact centre's pages: the supervisors' `/calls` (queue cards, calls in progress and
//! agents' states in a panel that htmx fetches again every 5 s; below it the day's call
//! records with filters, paging and the CSV export), the agent's phone widget in the header
//! of every page an agent sees (registered or not, the state, and buttons to be ready, not
//! ready with a reason, or logged out: a form that posts and comes back, or swaps the widget
//! in place with htmx), and an administrator's forms for an agent's desk phone and SIP
//! password on the user's edit page.

use super::Path;
use super::admin::{PhoneForm, edit_page};
use super::*;
use crate::api_calls::{CallQ, call_filter, shown_total, want};
use axum::extract::Query;
use serde::Deserialize;
use std::collections::HashMap;
use voltdesk_domain::call::SipUri;
use voltdesk_domain::{AgentState, CallOutcome, CallStage, NotReadyReason, Satisfaction};
use voltdesk_service::{LiveAgent, LiveBoard};

pub const PAGES: &[Route] = &[
    p(
        "GET",
        "/calls",
        Needs(CallMonitor),
        "The contact centre: queues, calls in progress and agents, and the day's call records",
    ),
    p(
        "GET",
        "/calls/live",
        Needs(CallMonitor),
        "The contact centre's live panel (fetched again every 5 s)",
    ),
    p(
        "GET",
        "/agent/phone",
        Needs(CallTake),
        "The agent's phone and state (the header's widget)",
    ),
    p(
        "POST",
        "/agent/state",
        Needs(CallTake),
        "Be ready, not ready (with a reason) or logged out",
    ),
    p(
        "POST",
        "/admin/users/{id}/phone",
        Needs(AgentPhoneWrite),
        "Set or clear an agent's desk phone",
    ),
    p(
        "POST",
        "/admin/users/{id}/sip-password",
        Needs(AgentPhoneWrite),
        "Set an agent's SIP password",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/calls", get(calls))
        .route("/calls/live", get(live))
        .route("/agent/phone", get(phone))
        .route("/agent/state", post(set_state))
        .route("/admin/users/{id}/phone", post(set_desk_phone))
        .route("/admin/users/{id}/sip-password", post(set_sip_password))
}

/// A duration as a call centre reads it: `0:45`, `12:05`, `1:02:03`.
pub fn clock(ms: impl i18n::Ms) -> String {
    let s = ms.ms().max(0) / 1000;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, m, s) => format!("{m}:{s:02}"),
        (h, m, s) => format!("{h}:{m:02}:{s:02}"),
    }
}

fn opt_clock(ms: Option<i64>) -> String {
    ms.map(clock).unwrap_or_default()
}

/// An agent's state in words: `小休·用餐` for not ready with a reason.
fn state_words(tr: Tr, a: &LiveAgent) -> (AgentState, String) {
    let state = AgentState::parse(a.state).unwrap_or(AgentState::LoggedOut);
    let mut words = tr.label(state);
    if state == AgentState::NotReady
        && let Some(r) = &a.reason
    {
        words.push('·');
        words.push_str(
            &NotReadyReason::parse(r)
                .map(|r| tr.label(r))
                .unwrap_or_else(|_| r.clone()),
        );
    }
    (state, words)
}

// ---- the agent's phone widget ----

/// What the header shows an agent: the phone, the state and the buttons.
pub struct PhoneWidget {
    pub registered: bool,
    /// The state's code (the widget's class) and its words.
    pub state: &'static str,
    pub words: String,
    pub reasons: Vec<(&'static str, String)>,
    /// A refused change, in the viewer's words (drawn in the widget by htmx).
    pub error: Option<String>,
}

impl PhoneWidget {
    pub fn of(a: &LiveAgent, tr: Tr) -> PhoneWidget {
        let (state, words) = state_words(tr, a);
        PhoneWidget {
            registered: a.registered,
            state: state.code(),
            words,
            reasons: NotReadyReason::ALL
                .iter()
                .map(|r| (r.code(), tr.label(*r)))
                .collect(),
            error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "phone_widget.html")]
struct PhoneFragment {
    tr: Tr,
    p: PhoneWidget,
}

fn widget(svc: &Service, v: &Viewer, error: Option<String>) -> PageResult {
    let me = svc.agent_state(&v.principal.actor)?;
    let mut p = PhoneWidget::of(&me, v.tr);
    p.error = error;
    render(&PhoneFragment { tr: v.tr, p })
}

pub async fn phone(State(svc): State<Service>, v: Viewer) -> PageResult {
    widget(&svc, &v, None)
}

#[derive(Deserialize, Default)]
pub struct StateForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

/// The page a form was posted from, when the browser says so and it is this server's (the
/// pages send `Referrer-Policy: same-origin`): its path and query.
fn came_from(headers: &HeaderMap) -> Option<String> {
    let referer = url::Url::parse(headers.get(header::REFERER)?.to_str().ok()?).ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority = match referer.port() {
        Some(p) => format!("{}:{p}", referer.host_str()?),
        None => referer.host_str()?.to_string(),
    };
    if authority != host {
        return None;
    }
    let mut local = referer.path().to_string();
    if let Some(q) = referer.query() {
        local.push('?');
        local.push_str(q);
    }
    safe_next(&local)
}

/// Asks the switchboard for the state; htmx gets the widget again (with the refusal in it),
/// a plain form goes back to the page it was posted from with a message.
pub async fn set_state(
    State(svc): State<Service>,
    v: Viewer,
    headers: HeaderMap,
    axum::Form(f): axum::Form<StateForm>,
) -> PageResult {
    let back = came_from(&headers).unwrap_or_else(|| home_of(v.role()).to_string());
    let result = want(&f.state, f.reason.as_deref())
        .and_then(|w| svc.set_agent_state(&v.principal.actor, w));
    if headers.contains_key("hx-request") {
        let error = result.err().map(|e| PageError::from(e).text(v.tr));
        return widget(&svc, &v, error);
    }
    match result {
        Ok(a) => {
            let (_, words) = state_words(v.tr, &a);
            Ok(done(
                &back,
                &format!("{}{}{words}", v.tr.t("phone.state"), v.tr.t("colon")),
            ))
        }
        Err(e) => Err(PageError::from(e).back(back)),
    }
}

// ---- /calls ----

/// An agent on the board.
pub struct AgentLine {
    pub name: String,
    pub state: &'static str,
    pub words: String,
    pub since: Option<i64>,
    pub registered: bool,
}

/// A call in progress on the board.
pub struct LiveLine {
    pub caller: String,
    pub customer_id: Option<i64>,
    pub stage: String,
    pub queue: String,
    pub agent: String,
    pub since: i64,
}

#[derive(Template)]
#[template(path = "calls_live.html")]
struct LivePanel {
    tr: Tr,
    sip_on: bool,
    queues: Vec<voltdesk_service::LiveQueue>,
    calls: Vec<LiveLine>,
    agents: Vec<AgentLine>,
    at: i64,
}

impl LivePanel {
    fn elapsed(&self, since: &i64) -> String {
        clock(self.at - since)
    }
}

/// Who takes calls (active users whose role does), by name, with their ids.
async fn agents_of(svc: &Service) -> PageResult<Vec<(i64, String)>> {
    let mut agents: Vec<(i64, String)> = svc
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && voltdesk_domain::auth::takes_calls(u.role))
        .map(|u| (u.id, u.display_name))
        .collect();
    agents.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(agents)
}

async fn live_panel(svc: &Service, v: &Viewer) -> PageResult<LivePanel> {
    let board: LiveBoard = svc.live_board(&v.principal.actor)?;
    let agents = agents_of(svc).await?;
    let names: HashMap<i64, String> = agents.iter().cloned().collect();
    let live: HashMap<i64, &LiveAgent> = board.agents.iter().map(|a| (a.user_id, a)).collect();
    let lines = agents
        .iter()
        .map(|(id, name)| {
            let a = live
                .get(id)
                .map(|a| (*a).clone())
                .unwrap_or_else(|| LiveAgent::logged_out(*id));
            let (state, words) = state_words(v.tr, &a);
            AgentLine {
                name: name.clone(),
                state: state.code(),
                words,
                since: (a.since > 0).then_some(a.since),
                registered: a.registered,
            }
        })
        .collect();
    let calls = board
        .calls
        .iter()
        .map(|c| LiveLine {
            caller: c.caller_masked.clone(),
            customer_id: c.customer_id,
            stage: CallStage::parse(c.stage)
                .map(|s| v.tr.label(s))
                .unwrap_or_else(|_| c.stage.to_string()),
            queue: c
                .queue
                .as_deref()
                .map(|q| {
                    board
                        .queues
                        .iter()
                        .find(|x| x.id == q)
                        .map_or(q, |x| x.name.as_str())
                        .to_string()
                })
                .unwrap_or_default(),
            agent: c
                .agent_user_id
                .map(|a| names.get(&a).cloned().unwrap_or_else(|| a.to_string()))
                .unwrap_or_default(),
            since: c.since,
        })
        .collect();
    Ok(LivePanel {
        tr: v.tr,
        sip_on: board.sip_on,
        queues: board.queues,
        calls,
        agents: lines,
        at: svc.now(),
    })
}

pub async fn live(State(svc): State<Service>, v: Viewer) -> PageResult {
    render(&live_panel(&svc, &v).await?)
}

/// The records' filters as the page's query string gives them.
#[derive(Deserialize, Default, Clone)]
pub struct CallsQ {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

/// A call record as a row of the page.
pub struct CallLine {
    pub id: i64,
    pub started_at: i64,
    pub caller: String,
    pub customer_id: Option<i64>,
    pub queue: String,
    pub agent: String,
    pub outcome: String,
    pub outcome_code: &'static str,
    pub wait: String,
    pub talk: String,
    pub orders: Vec<i64>,
    pub survey: String,
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    c: Chrome,
    live_html: String,
    date: String,
    outcome: String,
    agent: String,
    queue: String,
    outcomes: Vec<(&'static str, String)>,
    agents: Vec<(i64, String)>,
    /// Code and name.
    queues: Vec<(String, String)>,
    rows: Vec<CallLine>,
    total: i64,
    total_exact: bool,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
    export: String,
    error: Option<String>,
}

const PER_PAGE: i64 = 50;

/// Today in Beijing, `YYYY-MM-DD`.
fn today(now: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now + 8 * voltdesk_domain::HOUR_MS)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub async fn calls(
    State(svc): State<Service>,
    v: Viewer,
    Query(flash): Query<Flash>,
    Query(q): Query<CallsQ>,
) -> PageResult {
    let tr = v.tr;
    let date = given(&q.date).unwrap_or_else(|| today(svc.now()));
    let outcome = given(&q.outcome).unwrap_or_default();
    let agent = given(&q.agent).unwrap_or_default();
    let queue = given(&q.queue).unwrap_or_default();
    let page: i64 = given(&q.page)
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    // The API's filter, so that the page and its export agree.
    let mut error = None;
    let api_q = CallQ {
        from: Some(date.clone()),
        to: Some(date.clone()),
        outcome: match CallOutcome::parse(&outcome) {
            Ok(o) => Some(o),
            Err(_) if outcome.is_empty() => None,
            Err(_) => {
                error = Some(tr.t("list.bad").to_string());
                None
            }
        },
        agent_user_id: match agent.parse::<i64>() {
            Ok(a) => Some(a),
            Err(_) if agent.is_empty() => None,
            Err(_) => {
                error = Some(tr.t("list.bad").to_string());
                None
            }
        },
        queue: (!queue.is_empty()).then(|| queue.clone()),
        customer_id: None,
        page: Some(page),
        per_page: Some(PER_PAGE),
    };
    let agents = agents_of(&svc).await?;
    let names: HashMap<i64, String> = agents.iter().cloned().collect();
    let panel = live_panel(&svc, &v).await?;
    // Queues by their names where the switchboard gives them, else by their codes.
    let queue_names: HashMap<String, String> = panel
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.name.clone()))
        .collect();
    let queue_name = |q: &str| queue_names.get(q).cloned().unwrap_or_else(|| q.to_string());
    let (rows, total, total_exact) = match call_filter(&api_q, PER_PAGE) {
        Ok(f) => {
            let (items, total) = svc.calls(&v.principal, &f).await?;
            let (total, exact) = shown_total(&f, total);
            let rows = items
                .into_iter()
                .map(|c| CallLine {
                    id: c.id,
                    started_at: c.started_at,
                    caller: c.caller,
                    customer_id: c.customer_id,
                    queue: c.queue.as_deref().map(queue_name).unwrap_or_default(),
                    agent: c
                        .agent_user_id
                        .map(|a| names.get(&a).cloned().unwrap_or_else(|| a.to_string()))
                        .unwrap_or_default(),
                    outcome: tr.label(c.outcome),
                    outcome_code: c.outcome.code(),
                    wait: opt_clock(c.wait_ms),
                    talk: opt_clock(c.talk_ms),
                    orders: c.order_ids,
                    survey: c
                        .survey
                        .and_then(|s| Satisfaction::ALL.get((s - 1) as usize))
                        .map(|s| tr.label(*s))
                        .unwrap_or_default(),
                })
                .collect();
            (rows, total, exact)
        }
        Err(_) => {
            error = Some(tr.t("list.bad").to_string());
            (Vec::new(), 0, true)
        }
    };
    let mut queues = svc.call_queues().await?;
    for q in &panel.queues {
        if !queues.contains(&q.id) {
            queues.push(q.id.clone());
        }
    }
    queues.sort();
    let queues: Vec<(String, String)> = queues
        .into_iter()
        .map(|q| {
            let name = queue_name(&q);
            (q, name)
        })
        .collect();
    // The filters as a query string: the page's own and the API's (for the export).
    let mut own = form_urlencoded::Serializer::new(String::new());
    let mut api = form_urlencoded::Serializer::new(String::new());
    own.append_pair("date", &date);
    api.append_pair("from", &date).append_pair("to", &date);
    for (k, a, val) in [
        ("outcome", "outcome", &outcome),
        ("agent", "agent_user_id", &agent),
        ("queue", "queue", &queue),
    ] {
        if !val.is_empty() {
            own.append_pair(k, val);
            api.append_pair(a, val);
        }
    }
    let own = own.finish();
    let last = (total + PER_PAGE - 1) / PER_PAGE;
    render(&CallsPage {
        c: v.chrome("/calls", &flash),
        live_html: panel.render()?,
        outcomes: CallOutcome::ALL
            .iter()
            .map(|o| (o.code(), tr.label(*o)))
            .collect(),
        agents,
        queues,
        rows,
        total,
        total_exact,
        prev: (page > 1).then(|| format!("/calls?{own}&page={}", page - 1)),
        next: (page < last || !total_exact).then(|| format!("/calls?{own}&page={}", page + 1)),
        page,
        export: api.finish(),
        date,
        outcome,
        agent,
        queue,
        error,
    })
}

// ---- an agent's desk phone and SIP password, on the user's edit page ----

#[derive(Deserialize, Default)]
pub struct DeskPhoneForm {
    #[serde(default)]
    uri: String,
}

pub async fn set_desk_phone(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DeskPhoneForm>,
) -> PageResult {
    let typed = f.uri.trim().to_string();
    let result = match typed.as_str() {
        "" => Ok(None),
        u => SipUri::parse(u)
            .map(Some)
            .map_err(|e| ServiceError::invalid("uri", e.to_string())),
    };
    let result = match result {
        Ok(uri) => svc
            .set_agent_phone(&v.principal.actor, id, uri)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(
            &format!("/admin/users/{id}#agent-phone"),
            v.tr.t("phone.saved"),
        )),
        Err(e) => {
            let e = PageError::from(e);
            if e.status.is_server_error() || e.status == StatusCode::NOT_FOUND {
                return Err(e);
            }
            let text = v.tr.error(e.code, e.field.as_deref());
            edit_page(
                &svc,
                &v,
                id,
                None,
                None,
                Some(PhoneForm {
                    uri: typed,
                    bad: "uri".into(),
                    text,
                }),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SipPasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn set_sip_password(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<SipPasswordForm>,
) -> PageResult {
    match svc
        .set_sip_password(&v.principal.actor, id, &f.password)
        .await
    {
        Ok(()) => Ok(done(
            &format!("/admin/users/{id}#agent-phone"),
            v.tr.t("phone.sip.saved"),
        )),
        Err(e) => {
            let e = PageError::from(e);
            if e.status.is_server_error() || e.status == StatusCode::NOT_FOUND {
                return Err(e);
            }
            // The words of the SIP password, not of a sign-in password.
            let field = match e.field.as_deref() {
                Some("password") | None => "sip_password",
                Some(f) => f,
            };
            let text = v.tr.error(e.code, Some(field));
            edit_page(
                &svc,
                &v,
                id,
                None,
                None,
                Some(PhoneForm {
                    uri: String::new(),
                    bad: "sip_password".into(),
                    text,
                }),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_call_centre_clock() {
        assert_eq!(clock(45_000), "0:45");
        assert_eq!(clock(12 * 60_000 + 5_000), "12:05");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(clock(-5), "0:00");
    }
}
