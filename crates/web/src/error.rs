//! The one place errors become HTTP. Every error has a stable code (this table), a message
//! for a person and, where it concerns one input, the field. Internal causes are logged,
//! never sent.
//!
//! | code | status | meaning |
//! | --- | --- | --- |
//! | `unauthorized` | 401 | no or invalid session / token |
//! | `forbidden` | 403 | the role (or token scope) may not do this |
//! | `not_found` | 404 | no such record or route |
//! | `invalid_json` | 400 | the body is not valid JSON of the expected shape (`field` names where) |
//! | `invalid_query` | 400 | a query parameter is malformed (`field` names it) |
//! | `invalid_field` | 422 | a value is not acceptable (`field` names it) |
//! | `missing_field` | 422 | an action needs a field (e.g. `verdict` for a complaint reply) |
//! | `transition_not_allowed` | 409 | the action is not allowed in the order's status |
//! | `transition_repair_only` | 409 | the action applies to repair orders only |
//! | `return_visit_required` | 409 | the order needs a return visit before it closes |
//! | `merge_into_self` | 422 | an order cannot be merged into itself |
//! | `conflict` | 409 | a unique value already exists (`field` names it) |
//! | `import_invalid_rows` | 422 | an import was rejected; `rows` lists line, field, code, message |
//! | `cross_site_request` | 403 | a cookie-session request that changes state came from another site's page |
//! | `unsupported_media_type` | 415 | a cookie-session body is not JSON (`application/json`) |
//! | `payload_too_large` | 413 | the body is larger than the route accepts (an attachment: the message names the limit) |
//! | `unsupported_attachment` | 415 | an attachment is not a JPEG, PNG, GIF or WebP image, a PDF or UTF-8 plain text (sniffed from its bytes) |
//! | `attachment_corrupt` | 500 | an attachment's stored file is missing or no longer matches its SHA-256; no bytes are sent |
//! | `login_throttled` | 429 | too many failed sign-ins for the account or address; `Retry-After` says when to try again |
//! | `account_locked` | 403 | the account is locked after failed sign-ins until an administrator unlocks it |
//! | `self_disable` | 409 | an administrator may not disable their own account |
//! | `self_demote` | 409 | an administrator may not give themselves another role (`field`: `role`) |
//! | `last_admin` | 409 | the last active administrator cannot be disabled or demoted |
//! | `saved_filters_full` | 409 | the user keeps 20 saved filters and saves one under a new name (`field`: `name`) |
//! | `callback_not_open` | 409 | the callback is already done or cancelled |
//! | `sip_off` | 503 | the contact centre (SIP) is not running: an agent's state cannot change |
//! | `phone_not_registered` | 409 | ready needs a phone: a registered softphone or a desk phone |
//! | `agent_on_call` | 409 | an agent's state cannot change while a call is offered or in progress |
//! | `agent_state_refused` | 409 | the switchboard refused the agent's state change for another reason |
//! | `unavailable` | 503 | a part of the server the request needs is not running; retry later |
//! | `internal` | 500 | a failure on our side; the log has the cause |

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use voltdesk_service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub rows: Option<serde_json::Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<i64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<&'a serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            rows: None,
            retry_after: None,
        }
    }
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in or send a valid API token",
        )
    }
    pub fn forbidden(what: &str) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("your role may not {what}"),
        )
    }
    pub fn cross_site() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "a request from another site's page may not act with your session",
        )
    }
    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        )
    }
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).field(field)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
                rows: self.rows.as_ref(),
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use voltdesk_domain::order::TransitionError as T;
        let code = e.code();
        let msg = e.to_string();
        match e {
            ServiceError::NotFound { what } => {
                ApiError::new(StatusCode::NOT_FOUND, code, format!("{what} not found"))
            }
            ServiceError::Invalid { field, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).field(field)
            }
            ServiceError::Conflict { field } => {
                ApiError::new(StatusCode::CONFLICT, code, msg).field(field)
            }
            ServiceError::Transition(T::Missing { field }) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).field(field)
            }
            ServiceError::Transition(T::MergeIntoSelf) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).field("into")
            }
            ServiceError::Transition(_) => ApiError::new(StatusCode::CONFLICT, code, msg),
            ServiceError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, code, m),
            ServiceError::Unauthorized => ApiError::unauthorized(),
            ServiceError::Throttled { retry_after_s } => {
                let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, msg);
                e.retry_after = Some(retry_after_s);
                e
            }
            ServiceError::Locked => ApiError::new(StatusCode::FORBIDDEN, code, msg),
            ServiceError::Guard { field, .. } => {
                let e = ApiError::new(StatusCode::CONFLICT, code, msg);
                match field {
                    Some(f) => e.field(f),
                    None => e,
                }
            }
            ServiceError::Unavailable { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, msg)
            }
            ServiceError::Attachment(f) => {
                use voltdesk_domain::attachment::AttachmentFault as F;
                let status = match f {
                    F::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    F::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    F::Empty => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let e = ApiError::new(status, code, msg);
                if matches!(f, F::Empty) {
                    e.field("body")
                } else {
                    e
                }
            }
            ServiceError::Corrupt { .. } => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, msg)
            }
            ServiceError::SavedFiltersFull => {
                ApiError::new(StatusCode::CONFLICT, code, msg).field("name")
            }
            ServiceError::AgentState(voltdesk_domain::call::StateRefusal::SipOff) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, msg)
            }
            ServiceError::AgentState(_) | ServiceError::CallbackClosed => {
                ApiError::new(StatusCode::CONFLICT, code, msg)
            }
            ServiceError::Import(rows) => {
                let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg);
                e.rows = Some(serde_json::to_value(&rows).unwrap_or_default());
                e
            }
            ServiceError::Store(inner) => {
                tracing::error!(error = ?inner, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "internal error; the server log has the cause",
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_part_is_a_503_with_its_code() {
        let e = ApiError::from(ServiceError::Unavailable { what: "intake" });
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "unavailable");
        assert_eq!(e.message, "intake is not available");
    }

    #[test]
    fn a_draft_problem_names_its_field_as_a_service_one_does() {
        let draft = voltdesk_domain::intake::NewOrder::default()
            .parse()
            .expect_err("no order type");
        let e = ApiError::from(ServiceError::from(draft));
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code, "invalid_field");
        assert_eq!(e.field.as_deref(), Some("order_type"));
        assert_eq!(e.message, "required");
    }
}
