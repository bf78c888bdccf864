//! One's own saved filters of the orders list: list, save (a name used before replaces its
//! filters), delete. Another user's saved filter is not found.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::error::ApiResult;
use crate::extract::{Caller, J, Path};
use crate::routes::Access::Needs;
use crate::routes::{ApiRoute, delete, get, post};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::OrderRead;
use voltdesk_service::{SavedFilterView, Service};

type S = State<Service>;

pub fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/api/v1/saved-filters",
            Needs(OrderRead),
            "saved filters",
            "One's own saved filters of the orders list, by name",
            list,
        ),
        post(
            "/api/v1/saved-filters",
            Needs(OrderRead),
            "saved filters",
            "Save the orders list's filters under a name (a plain line of at most 40 characters): only the list's filters of the query are kept; a name used before takes the new filters (200), a new one is added (201) while one has fewer than 20 (else 409 saved_filters_full)",
            save,
        ),
        delete(
            "/api/v1/saved-filters/{id}",
            Needs(OrderRead),
            "saved filters",
            "Delete one of one's own saved filters (another user's is not found)",
            remove,
        ),
    ]
}

/// One's saved filters.
#[derive(Serialize, ToSchema)]
pub struct SavedFilters {
    items: Vec<SavedFilterView>,
}

pub async fn list(State(svc): S, Caller(p): Caller) -> ApiResult<Json<SavedFilters>> {
    Ok(Json(SavedFilters {
        items: svc.saved_filters(&p.actor).await?,
    }))
}

/// A filter to save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSavedFilter {
    name: String,
    /// The orders list's query string (`status=dispatched&overdue=true`, a leading `?`
    /// allowed); keys the list does not know, and the page, are dropped.
    #[serde(default)]
    query: String,
}

pub async fn save(
    State(svc): S,
    Caller(p): Caller,
    J(b): J<NewSavedFilter>,
) -> ApiResult<(StatusCode, Json<SavedFilterView>)> {
    let (saved, added) = svc.save_filter(&p.actor, &b.name, &b.query).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)))
}

pub async fn remove(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    svc.delete_saved_filter(&p.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
