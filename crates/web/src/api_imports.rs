//! Import jobs in the API: every CSV import (whichever route or page started it) is a job
//! whose state, progress and line-numbered errors can be read here, and the one way a
//! refused import is reported.
//!
//! Its routes are in [`ROUTES`] (checked by the auth layer through the route tables) and
//! served by [`router`]. A job is shown to a caller who may import its kind.

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, Q};
use crate::routes::{Access, Route};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use voltdesk_domain::auth::Permission::CustomerWrite;
use voltdesk_service::Service;

type S = State<Service>;

/// The import-job routes with the permission each needs (the customer import's; a job of
/// another kind also needs that kind's permission).
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/v1/import-jobs",
        access: Access::Needs(CustomerWrite),
        tag: "imports",
        summary: "Import jobs, newest first, with their first errors (?limit, 1 to 500, default 50)",
        body: None,
    },
    Route {
        method: "GET",
        path: "/api/v1/import-jobs/{id}",
        access: Access::Needs(CustomerWrite),
        tag: "imports",
        summary: "One import job: kind, who, when, state, progress, errors by line",
        body: None,
    },
];

/// The handlers of [`ROUTES`].
pub fn router() -> Router<Service> {
    Router::new()
        .route("/api/v1/import-jobs", get(import_jobs))
        .route("/api/v1/import-jobs/{id}", get(import_job))
}

/// A refused import as the API reports it: the encoding, the header or the rows.
pub fn import_error(e: voltdesk_service::ImportFailure) -> ApiError {
    use voltdesk_service::ImportFailure as F;
    match e {
        F::Encoding(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_encoding",
            e.to_string(),
        ),
        F::Header(e) => {
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_invalid_rows",
                "the file's header is not usable",
            );
            err.rows = Some(json!([e]));
            err
        }
        F::Rows(rows) => voltdesk_service::ServiceError::Import(rows).into(),
        F::Service(e) => e.into(),
    }
}

/// An import of one kind answered with another's report (a bug, never input).
pub fn unexpected_outcome() -> ApiError {
    tracing::error!("an import answered with the report of another kind");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; the server log has the cause",
    )
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ImportJobsQ {
    limit: Option<i64>,
}

/// The newest import jobs of the kinds the caller may import.
pub async fn import_jobs(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<ImportJobsQ>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit is 1 to 500",
        )
        .field("limit"));
    }
    let items: Vec<_> = svc
        .import_jobs(limit)
        .await?
        .into_iter()
        .filter(|j| p.may(j.kind.permission()))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// One import job: state, progress, errors by line.
pub async fn import_job(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<voltdesk_service::ImportJobView>> {
    let job = svc.import_job(id).await?;
    if !p.may(job.kind.permission()) {
        return Err(ApiError::not_found("import job"));
    }
    Ok(Json(job))
}
