//! The warnings inbox: each role sees the warnings it owns (a supervisor sees all), live;
//! acknowledge, mark handled with a note, or dismiss with a reason.

use super::Path;
use super::*;
use axum::extract::Query;
use axum::extract::ws::WebSocketUpgrade;
use serde::Deserialize;
use voltdesk_domain::{RuleKind, WarningStatus};
use voltdesk_service::WarningView;
use voltdesk_store::WarningFilter;

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage {
    c: Chrome,
    panel_html: String,
}

#[derive(Template)]
#[template(path = "warnings_panel.html")]
struct WarningsPanel {
    tr: i18n::Tr,
    rows: Vec<WarningView>,
    total: i64,
    status: String,
    rules: &'static [RuleKind],
    rule: String,
    page: i64,
    pages: i64,
}

impl WarningsPanel {
    fn rule_label(&self, code: &str) -> String {
        self.tr.code_label("rule", code)
    }
    fn status_label(&self, code: &str) -> String {
        self.tr.code_label("warning_status", code)
    }
    fn severity_class(&self, code: &str) -> &'static str {
        match code {
            "major" | "serious" => "red",
            _ => "amber",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct WarningsQ {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(flatten)]
    flash: Flash,
}

const PER_PAGE: i64 = 30;

async fn panel_of(svc: &Service, v: &Viewer, q: &WarningsQ) -> PageResult<WarningsPanel> {
    let status = q.status.clone().unwrap_or_else(|| "live".into());
    let statuses = match status.as_str() {
        "live" => vec!["open".to_string(), "acknowledged".to_string()],
        "all" => Vec::new(),
        s => vec![
            WarningStatus::parse(s)
                .map_err(|e| PageError::bad(e.to_string()))?
                .code()
                .to_string(),
        ],
    };
    let rule = q.rule.clone().filter(|r| RuleKind::parse(r).is_ok());
    // A supervisor oversees every warning; others see what their role owns.
    let owner_role =
        (v.role() != voltdesk_domain::Role::Supervisor).then(|| v.role().code().to_string());
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = svc
        .warnings(&WarningFilter {
            statuses,
            rule: rule.clone(),
            owner_role,
            station_id: v.principal.actor.station_id,
            limit: PER_PAGE,
            offset: (page - 1) * PER_PAGE,
            ..Default::default()
        })
        .await?;
    Ok(WarningsPanel {
        tr: v.tr,
        rows,
        total,
        status,
        rules: RuleKind::ALL,
        rule: rule.unwrap_or_default(),
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}

pub async fn warnings(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<WarningsQ>,
) -> PageResult {
    let panel = panel_of(&svc, &v, &q).await?;
    render(&WarningsPage {
        c: v.chrome("/warnings", &q.flash),
        panel_html: panel.render()?,
    })
}

pub async fn panel(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<WarningsQ>,
) -> PageResult {
    render(&panel_of(&svc, &v, &q).await?)
}

pub async fn ws(State(svc): State<Service>, v: Viewer, upgrade: WebSocketUpgrade) -> Response {
    let station = v.principal.actor.station_id;
    upgrade.on_upgrade(move |socket| super::board::push(svc, station, socket))
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

pub async fn step(
    State(svc): State<Service>,
    v: Viewer,
    Path((id, to)): Path<(i64, String)>,
    axum::Form(f): axum::Form<StepForm>,
) -> PageResult {
    let back = safe_next(&f.back).unwrap_or_else(|| "/warnings".to_string());
    let to = match to.as_str() {
        "acknowledge" => WarningStatus::Acknowledged,
        "handle" => WarningStatus::Handled,
        "dismiss" => WarningStatus::Dismissed,
        _ => return Err(PageError::not_found("action")),
    };
    svc.warning_step(&v.principal.actor, id, to, &f.note)
        .await
        .map_err(|e| PageError::from(e).back(back.clone()))?;
    Ok(done(&back, &v.tr.label(to)))
}
