//! Import jobs in the API: every CSV import (whichever route or page started it) is a job
//! whose state, progress and line-numbered errors can be read here, and the one way a
//! refused import is reported.
//!
//! Its routes are declared by [`routes`], beside their handlers. A job is shown to a caller
//! who may import its kind.

use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::extract::{Caller, Q};
use crate::routes::{Access, ApiRoute, get};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::CustomerWrite;
use voltdesk_service::Service;

type S = State<Service>;

/// The import-job routes with the permission each needs (the customer import's; a job of
/// another kind also needs that kind's permission).
pub fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/api/v1/import-jobs",
            Access::Needs(CustomerWrite),
            "imports",
            "Import jobs, newest first, with their first errors (?limit, 1 to 500, default 50)",
            import_jobs,
        ),
        get(
            "/api/v1/import-jobs/{id}",
            Access::Needs(CustomerWrite),
            "imports",
            "One import job: kind, who, when, state, progress, errors by line",
            import_job,
        ),
    ]
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

/// A page of import jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobsPage {
    pub items: Vec<voltdesk_service::ImportJobView>,
}

/// The newest import jobs of the kinds the caller may import.
pub async fn import_jobs(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<ImportJobsQ>,
) -> ApiResult<Json<ImportJobsPage>> {
    let limit = crate::api::limit_of(q.limit, 50)?;
    let items: Vec<_> = svc
        .import_jobs(limit)
        .await?
        .into_iter()
        .filter(|j| p.may(j.kind.permission()))
        .collect();
    Ok(Json(ImportJobsPage { items }))
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
