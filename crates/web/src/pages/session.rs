//! Signing in and out, and the language switch: the session cookie's life in the browser.

use super::i18n::Tr;
use super::{PageResult, home_of, lang_of, render, safe_next, urlencode};
use crate::WebOptions;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use voltdesk_service::{Service, ServiceError};

use super::LANG_COOKIE;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    next: String,
    /// The word-table key of why the last sign-in failed; empty: it did not.
    failed: &'static str,
    username: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct LoginQ {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    failed: Option<String>,
    #[serde(default)]
    u: Option<String>,
}

pub(super) async fn login_form(headers: HeaderMap, q: axum::extract::Query<LoginQ>) -> PageResult {
    render(&LoginPage {
        tr: Tr {
            lang: lang_of(&headers),
        },
        next: q.next.clone().unwrap_or_default(),
        failed: match q.failed.as_deref() {
            None => "",
            Some("throttled") => "login.throttled",
            Some("locked") => "login.locked",
            Some(_) => "login.failed",
        },
        username: q.u.clone().unwrap_or_default(),
    })
}

#[derive(serde::Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(svc): State<Service>,
    Extension(opts): Extension<WebOptions>,
    crate::extract::ClientAddr(addr): crate::extract::ClientAddr,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    match svc.login_from(f.username.trim(), &f.password, addr).await {
        Ok((secret, user)) => {
            let to = safe_next(&f.next)
                .filter(|n| n != "/")
                .unwrap_or_else(|| home_of(user.role).to_string());
            let cookie = opts.session_cookie(&secret, svc.sign_in_policy().session_max_ms / 1000);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) => Redirect::to(&format!(
            "/login?failed={}&u={}&next={}",
            match e {
                ServiceError::Throttled { .. } => "throttled",
                ServiceError::Locked => "locked",
                _ => "1",
            },
            urlencode(f.username.trim()),
            urlencode(&f.next)
        ))
        .into_response(),
    }
}

pub(super) async fn logout(
    State(svc): State<Service>,
    Extension(opts): Extension<WebOptions>,
    headers: HeaderMap,
) -> Response {
    if let Some((false, secret)) = crate::extract::credentials(&headers) {
        let _ = svc.logout(&secret).await;
    }
    let cookie = opts.session_cookie("", 0);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

#[derive(serde::Deserialize, Default)]
pub(super) struct LangQ {
    #[serde(default)]
    next: Option<String>,
}

pub(super) async fn set_lang(
    super::Path(lang): super::Path<String>,
    q: axum::extract::Query<LangQ>,
) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let to = q
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or_else(|| "/".to_string());
    let cookie = format!("{LANG_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age=31536000");
    ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
}
