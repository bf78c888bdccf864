//! User administration in the API beyond creating users: lifting a sign-in lock, setting a
//! password (an admin's reset, or one's own change); a password change ends the user's
//! sessions.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::extract::{Caller, J};
use crate::routes::{Access, ApiRoute, post, put};
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::UserAdmin;
use voltdesk_service::{Service, UserView};

type S = State<Service>;

pub fn routes() -> Vec<ApiRoute> {
    vec![
        post(
            "/api/v1/users/{id}/unlock",
            Access::Needs(UserAdmin),
            "administration",
            "Unlock an account locked after failed sign-ins and forget its failures",
            unlock_user,
        ),
        put(
            "/api/v1/users/{id}/password",
            Access::Needs(UserAdmin),
            "administration",
            "Set a user's password; every session of the user ends",
            reset_password,
        ),
        put(
            "/api/v1/session/password",
            Access::SignedIn,
            "auth",
            "Change one's own password; every session ends and this one is renewed",
            change_password,
        ),
    ]
}

pub async fn unlock_user(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(svc.unlock_user(&p.actor, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

pub async fn reset_password(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<NewPassword>,
) -> ApiResult<StatusCode> {
    svc.reset_password(&p.actor, id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(svc): S,
    Extension(opts): Extension<crate::WebOptions>,
    Caller(p): Caller,
    req_headers: HeaderMap,
    J(b): J<PasswordChange>,
) -> ApiResult<(HeaderMap, StatusCode)> {
    let user_id = p.actor.user_id.ok_or_else(ApiError::unauthorized)?;
    let secret = svc
        .change_own_password(user_id, &b.current_password, &b.new_password)
        .await?;
    let mut headers = HeaderMap::new();
    // A token caller keeps its token; a browser gets its renewed session.
    if matches!(crate::extract::credentials(&req_headers), Some((false, _))) {
        let cookie = opts.session_cookie(&secret, svc.sign_in_policy().session_max_ms / 1000);
        headers.insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).map_err(|_| ApiError::unauthorized())?,
        );
    }
    Ok((headers, StatusCode::NO_CONTENT))
}
