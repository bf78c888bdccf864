//! The signed-in user's notifications (the bell): list them, mark them read.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::api::paging;
use crate::error::ApiResult;
use crate::extract::{Caller, J, Q};
use crate::routes::{Access, ApiRoute, get, post};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voltdesk_service::{NotificationList, Service};

type S = State<Service>;

pub fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/api/v1/notifications",
            Access::SignedIn,
            "notifications",
            "One's own notifications, newest first, with the unread count",
            list,
        ),
        post(
            "/api/v1/notifications/read",
            Access::SignedIn,
            "notifications",
            "Mark one's own notifications read: the listed ids, or all",
            mark_read,
        ),
    ]
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationQ {
    /// Only the notifications not yet read.
    unread: bool,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn list(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<NotificationQ>,
) -> ApiResult<Json<NotificationList>> {
    let (page, per_page) = paging(q.page, q.per_page, 20)?;
    Ok(Json(
        svc.notifications(&p.actor, q.unread, per_page, (page - 1) * per_page)
            .await?,
    ))
}

/// Which notifications to mark read: `ids`, or every one with `all`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Unread {
    unread: i64,
}

pub async fn mark_read(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<MarkRead>,
) -> ApiResult<Json<Unread>> {
    let ids = (!b.all).then_some(b.ids.as_slice());
    Ok(Json(Unread {
        unread: svc.mark_notifications_read(&p.actor, ids).await?,
    }))
}
