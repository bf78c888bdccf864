//! Reply templates (canned answers) in the API: the list and, for administrators, adding and
//! changing them (disable and enable by `active`); and the templates offered for one order,
//! filled in for its customer and number.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::error::ApiResult;
use crate::extract::{Caller, J, Path, Q};
use crate::routes::Access::Needs;
use crate::routes::{ApiRoute, get, patch, post};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voltdesk_domain::SubjectArea;
use voltdesk_domain::auth::Permission::{ReplyTemplateRead, ReplyTemplateWrite};
use voltdesk_service::{
    FilledTemplateView, NewReplyTemplate, ReplyTemplateChanges, ReplyTemplateView, Service,
};
use voltdesk_store::ReplyTemplateFilter;

type S = State<Service>;

pub fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/api/v1/reply-templates",
            Needs(ReplyTemplateRead),
            "reply templates",
            "Reply templates (subject: those offered for orders of this subject, its own and those for any; active), a subject's own first, then by name",
            list,
        ),
        post(
            "/api/v1/reply-templates",
            Needs(ReplyTemplateWrite),
            "reply templates",
            "Add a reply template: name (a plain line of at most 64 characters, unique), subject (absent: any), body (1 to 2000 characters; placeholders {客户姓名}/{customer_name}, {工单号}/{order_no})",
            create,
        ),
        patch(
            "/api/v1/reply-templates/{id}",
            Needs(ReplyTemplateWrite),
            "reply templates",
            "Change a reply template's name, subject (null: any), body or active (false disables it; only the fields sent)",
            update,
        ),
        get(
            "/api/v1/work-orders/{id}/reply-templates",
            Needs(ReplyTemplateRead),
            "reply templates",
            "The active templates for the order's subject (and those for any subject), the body filled in for the order's customer and number",
            for_order,
        ),
    ]
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateQ {
    /// A subject code: the templates offered for an order of this subject.
    subject: Option<SubjectArea>,
    /// Only the active (`true`) or the disabled (`false`) ones.
    active: Option<bool>,
}

/// Reply templates.
#[derive(Serialize, ToSchema)]
pub struct Templates {
    items: Vec<ReplyTemplateView>,
}

pub async fn list(State(svc): S, Q(q): Q<TemplateQ>) -> ApiResult<Json<Templates>> {
    let items = svc
        .reply_templates(&ReplyTemplateFilter {
            subject: q.subject,
            active: q.active,
        })
        .await?;
    Ok(Json(Templates { items }))
}

/// A new reply template.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// A plain visible line of at most 64 characters, unique among the templates.
    name: String,
    /// The subject it is offered for; absent or `null`: orders of any subject.
    #[serde(default)]
    subject: Option<SubjectArea>,
    /// 1 to 2000 characters; `{客户姓名}` / `{customer_name}` and `{工单号}` / `{order_no}`
    /// are filled in for the order.
    body: String,
}

pub async fn create(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewTemplate>,
) -> ApiResult<(StatusCode, Json<ReplyTemplateView>)> {
    let t = svc
        .create_reply_template(
            &p.actor,
            NewReplyTemplate {
                name: b.name,
                subject: b.subject,
                body: b.body,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Deserializes a present field, `null` included, as `Some`: an absent one stays `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The fields of a template to change; the ones left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[serde(default)]
    name: Option<String>,
    /// `null`: offered for orders of any subject.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SubjectArea>)]
    subject: Option<Option<SubjectArea>>,
    #[serde(default)]
    body: Option<String>,
    /// `false` disables the template (kept, not offered), `true` enables it again.
    #[serde(default)]
    active: Option<bool>,
}

pub async fn update(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<TemplatePatch>,
) -> ApiResult<Json<ReplyTemplateView>> {
    let changes = ReplyTemplateChanges {
        name: b.name,
        subject: b.subject,
        body: b.body,
        active: b.active,
    };
    Ok(Json(
        svc.update_reply_template(&p.actor, id, changes).await?,
    ))
}

/// The templates offered for an order, filled in.
#[derive(Serialize, ToSchema)]
pub struct FilledTemplates {
    items: Vec<FilledTemplateView>,
}

pub async fn for_order(State(svc): S, Path(id): Path<String>) -> ApiResult<Json<FilledTemplates>> {
    let items = svc
        .order_reply_templates(crate::api::order_id(&id)?)
        .await?;
    Ok(Json(FilledTemplates { items }))
}
