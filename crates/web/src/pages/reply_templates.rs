//! Reply templates on the administration side (`/admin/reply-templates`): the list with each
//! template's subject and state, a form that adds one or edits the one picked, disable and
//! enable. A refused form is drawn again (422) with what was typed and the error beside its
//! field.

use super::Path;
use super::*;
use axum::extract::Query;
use serde::Deserialize;
use voltdesk_domain::SubjectArea;
use voltdesk_domain::auth::Permission::ReplyTemplateWrite;
use voltdesk_domain::reply::{BODY_MAX, NAME_MAX};
use voltdesk_service::{NewReplyTemplate, ReplyTemplateChanges, ReplyTemplateView};
use voltdesk_store::ReplyTemplateFilter;

pub const PAGES: &[Route] = &[
    p(
        "GET",
        "/admin/reply-templates",
        Needs(ReplyTemplateWrite),
        "Reply templates",
    ),
    p(
        "POST",
        "/admin/reply-templates",
        Needs(ReplyTemplateWrite),
        "Add a reply template",
    ),
    p(
        "POST",
        "/admin/reply-templates/{id}",
        Needs(ReplyTemplateWrite),
        "Save a reply template",
    ),
    p(
        "POST",
        "/admin/reply-templates/{id}/disable",
        Needs(ReplyTemplateWrite),
        "Disable a reply template",
    ),
    p(
        "POST",
        "/admin/reply-templates/{id}/enable",
        Needs(ReplyTemplateWrite),
        "Enable a reply template",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/admin/reply-templates", get(list).post(add))
        .route("/admin/reply-templates/{id}", post(save))
        .route("/admin/reply-templates/{id}/disable", post(disable))
        .route("/admin/reply-templates/{id}/enable", post(enable))
}

/// A template as the table shows it.
pub struct Line {
    pub id: i64,
    pub name: String,
    pub subject: String,
    pub body: String,
    pub active: bool,
    pub updated: String,
}

/// The form's values as typed (the subject as its code; empty is any subject).
#[derive(Deserialize, Default, Clone)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

#[derive(Template)]
#[template(path = "reply_templates.html")]
struct TemplatesPage {
    c: Chrome,
    lines: Vec<Line>,
    subjects: &'static [SubjectArea],
    /// The template the form edits; none: the form adds one.
    editing: Option<i64>,
    f: TemplateForm,
    /// The field a refusal names (`name`, `subject`, `body`) and its words.
    bad: String,
    bad_text: String,
    name_max: usize,
    body_max: usize,
}

impl TemplatesPage {
    fn is_editing(&self, id: &i64) -> bool {
        self.editing == Some(*id)
    }
    fn action(&self) -> String {
        match self.editing {
            Some(id) => format!("/admin/reply-templates/{id}"),
            None => "/admin/reply-templates".into(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQ {
    /// The template to edit in the form.
    #[serde(default)]
    edit: Option<i64>,
    #[serde(flatten)]
    flash: Flash,
}

/// The fields of the form that carry an error beside them.
const FIELDS: &[&str] = &["name", "subject", "body"];

async fn page(
    svc: &Service,
    v: &Viewer,
    editing: Option<i64>,
    f: Option<TemplateForm>,
    failed: Option<&PageError>,
    flash: &Flash,
) -> PageResult {
    let all = svc.reply_templates(&ReplyTemplateFilter::default()).await?;
    if let Some(id) = editing
        && !all.iter().any(|t| t.id == id)
    {
        return Err(PageError::not_found("reply template"));
    }
    let f = match (f, editing) {
        (Some(f), _) => f,
        (None, editing) => all
            .iter()
            .find(|t| Some(t.id) == editing)
            .map(|t| TemplateForm {
                name: t.name.clone(),
                subject: t.subject.map(|s| s.code().to_string()).unwrap_or_default(),
                body: t.body.clone(),
            })
            .unwrap_or_default(),
    };
    let lines = all.iter().map(|t| line(v, t)).collect();
    let (bad, bad_text) = match failed {
        Some(e) => {
            let field = e.field.clone().unwrap_or_default();
            // The words of the template's fields: `template_name`, not a person's name.
            let text = match e.code {
                "invalid" => e.text(v.tr),
                code => v.tr.error(code, Some(&format!("template_{field}"))),
            };
            (field, text)
        }
        None => (String::new(), String::new()),
    };
    let flash = match failed {
        Some(e) if !FIELDS.contains(&bad.as_str()) => Flash::err(e.text(v.tr)),
        _ => flash.clone(),
    };
    let status = match failed {
        Some(e) if e.status.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
        Some(e) => e.status,
        None => StatusCode::OK,
    };
    let page = TemplatesPage {
        c: v.chrome("/admin", &flash),
        lines,
        subjects: SubjectArea::ALL,
        editing,
        f,
        bad,
        bad_text,
        name_max: NAME_MAX,
        body_max: BODY_MAX,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn line(v: &Viewer, t: &ReplyTemplateView) -> Line {
    Line {
        id: t.id,
        name: t.name.clone(),
        subject: match t.subject {
            Some(s) => v.tr.label(s),
            None => v.tr.t("template.any_subject").to_string(),
        },
        body: t.body.clone(),
        active: t.active,
        updated: format!("{} · {}", t.updated_by_name, v.tr.time(t.updated_at)),
    }
}

pub async fn list(State(svc): State<Service>, v: Viewer, Query(q): Query<ListQ>) -> PageResult {
    page(&svc, &v, q.edit, None, None, &q.flash).await
}

/// The subject the form chose: empty is any subject.
fn subject(f: &TemplateForm) -> Result<Option<SubjectArea>, PageError> {
    match f.subject.trim() {
        "" => Ok(None),
        s => SubjectArea::parse(s)
            .map(Some)
            .map_err(|_| PageError::field("invalid_field", "subject")),
    }
}

fn saved(v: &Viewer, t: &ReplyTemplateView) -> Response {
    done(
        "/admin/reply-templates",
        &format!("{} · {}", v.tr.t("template.saved"), t.name),
    )
}

pub async fn add(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<TemplateForm>,
) -> PageResult {
    let result = match subject(&f) {
        Ok(subject) => svc
            .create_reply_template(
                &v.principal.actor,
                NewReplyTemplate {
                    name: f.name.clone(),
                    subject,
                    body: f.body.clone(),
                },
            )
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(saved(&v, &t)),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(e) => page(&svc, &v, None, Some(f), Some(&e), &Flash::default()).await,
    }
}

pub async fn save(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<TemplateForm>,
) -> PageResult {
    let result = match subject(&f) {
        Ok(subject) => svc
            .update_reply_template(
                &v.principal.actor,
                id,
                ReplyTemplateChanges {
                    name: Some(f.name.clone()),
                    subject: Some(subject),
                    body: Some(f.body.clone()),
                    active: None,
                },
            )
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(saved(&v, &t)),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() => Err(e),
        Err(e) => page(&svc, &v, Some(id), Some(f), Some(&e), &Flash::default()).await,
    }
}

pub async fn disable(State(svc): State<Service>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    switch(svc, v, id, false).await
}

pub async fn enable(State(svc): State<Service>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    switch(svc, v, id, true).await
}

async fn switch(svc: Service, v: Viewer, id: i64, active: bool) -> PageResult {
    let back = "/admin/reply-templates";
    let t = svc
        .set_reply_template_active(&v.principal.actor, id, active)
        .await
        .map_err(|e| PageError::from(e).back(back))?;
    let state = if t.active {
        "template.state.active"
    } else {
        "template.state.disabled"
    };
    Ok(done(back, &format!("{} · {}", t.name, v.tr.t(state))))
}
