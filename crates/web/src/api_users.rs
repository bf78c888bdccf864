//! User administration in the API beyond creating users: editing a user (display name,
//! role, station, department, managed grids), disabling and enabling an account (disabling
//! ends its sessions and revokes its tokens), lifting a sign-in lock, setting a password (an
//! admin's reset, or one's own change); a password change ends the user's sessions.
//!
//! Its routes are declared by [`routes`], beside their handlers.

use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::extract::{Caller, J};
use crate::routes::{Access, ApiRoute, patch, post, put};
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
        patch(
            "/api/v1/users/{id}",
            Access::Needs(UserAdmin),
            "administration",
            "Change a user's display name, role, station, department or managed grids (only the fields sent)",
            update_user,
        ),
        post(
            "/api/v1/users/{id}/disable",
            Access::Needs(UserAdmin),
            "administration",
            "Disable an account: its sessions end, its API tokens are revoked, it cannot sign in",
            disable_user,
        ),
        post(
            "/api/v1/users/{id}/enable",
            Access::Needs(UserAdmin),
            "administration",
            "Enable a disabled account again (its revoked tokens stay revoked)",
            enable_user,
        ),
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

/// Deserializes a present field, `null` included, as `Some`: an absent one stays `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The fields of a user to change; the ones left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// A plain visible line of at most 64 characters.
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<voltdesk_domain::Role>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    station_id: Option<Option<i64>>,
    /// `null` clears it; a department of the user's station.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    department_id: Option<Option<i64>>,
    /// The grids the user manages, by code (or id): the whole set. Grid managers only, grids
    /// of the user's station; each grid's previous manager loses it.
    #[serde(default)]
    grids: Option<Vec<String>>,
}

pub async fn update_user(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
    J(b): J<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let changes = voltdesk_service::UserChanges {
        display_name: b.display_name,
        role: b.role,
        station_id: b.station_id,
        department_id: b.department_id,
        grids: b.grids,
    };
    Ok(Json(svc.update_user(&p.actor, id, changes).await?.into()))
}

pub async fn disable_user(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(svc.set_user_active(&p.actor, id, false).await?.into()))
}

pub async fn enable_user(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(svc.set_user_active(&p.actor, id, true).await?.into()))
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
