//! Signing in as an attacker would try it: guessing passwords (throttled per account and per
//! address, then locked until an admin unlocks), telling real users from unknown ones by the
//! time a refusal takes; and sessions that end on a password change, a sign-out, idleness
//! and age.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use voltdesk_domain::MINUTE_MS;
use voltdesk_domain::Role;
use voltdesk_domain::signin::SignInPolicy;

const PASSWORD: &str = "correct horse";

/// Signs in through the API: the status, the error code (if any), the session cookie (if any)
/// and the `Retry-After` header (if any).
async fn sign_in(app: &TestApp, user: &str, password: &str) -> Attempt {
    let r = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let cookie = session_cookie(r.headers());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    Attempt {
        status,
        code: body["error"]["code"].as_str().map(str::to_string),
        cookie,
        retry_after,
    }
}

#[derive(Debug)]
struct Attempt {
    status: StatusCode,
    code: Option<String>,
    cookie: Option<String>,
    retry_after: Option<String>,
}

fn session_cookie(h: &reqwest::header::HeaderMap) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vd_session=") && !v.starts_with("vd_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// A call under a session cookie.
async fn with_cookie(
    app: &TestApp,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, format!("{}{}", app.base, path))
        .header("cookie", cookie);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn me(app: &TestApp, cookie: &str) -> StatusCode {
    with_cookie(app, cookie, reqwest::Method::GET, "/api/v1/me", None)
        .await
        .status()
}

async fn traced(app: &TestApp, kind: &str) -> Vec<voltdesk_store::TraceRow> {
    app.svc.audit_trail(Some(kind), None, 500).await.unwrap()
}

async fn failures_slow_down_then_lock_until_an_admin_unlocks(app: TestApp) {
    for i in 0..5 {
        let a = sign_in(&app, "handler1", "wrong horse").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "failure {i}: {a:?}");
    }
    // Beyond the free failures even the right password waits, unchecked.
    let a = sign_in(&app, "handler1", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{a:?}");
    assert_eq!(a.code.as_deref(), Some("login_throttled"));
    assert_eq!(a.retry_after.as_deref(), Some("1"));
    assert!(a.cookie.is_none());

    app.clock.advance(1_000);
    let a = sign_in(&app, "handler1", "wrong horse").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    let a = sign_in(&app, "handler1", "wrong horse").await;
    assert_eq!(a.retry_after.as_deref(), Some("2"), "the wait doubles");

    // Up to the tenth failure, which locks the account.
    for i in 7..=10 {
        app.clock.advance(MINUTE_MS);
        let a = sign_in(&app, "handler1", "wrong horse").await;
        if i < 10 {
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "failure {i}: {a:?}");
        } else {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "failure {i}: {a:?}");
            assert_eq!(a.code.as_deref(), Some("account_locked"));
        }
    }
    app.clock.advance(20 * MINUTE_MS);
    let a = sign_in(&app, "handler1", PASSWORD).await;
    assert_eq!(a.code.as_deref(), Some("account_locked"), "{a:?}");
    assert!(a.cookie.is_none());

    let failed = traced(&app, "user.sign_in_failed").await;
    assert_eq!(failed.len(), 11, "every failure is traced");
    assert!(failed.iter().all(|t| t.actor == "handler1"));
    assert_eq!(failed[0].payload["address"], "127.0.0.1");
    let locked = traced(&app, "user.locked").await;
    assert_eq!(locked.len(), 1);
    let id = app.users[&Role::Handler];

    let path = format!("/api/v1/users/{id}/unlock");
    let (s, _) = app.post(Role::Supervisor, &path, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only an admin unlocks");
    let (s, v) = app.post(Role::Admin, &path, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["locked_at"], Value::Null);
    let unlocked = traced(&app, "user.unlocked").await;
    assert_eq!(unlocked.len(), 1);
    assert_eq!(unlocked[0].actor, "admin1");

    let a = sign_in(&app, "handler1", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    assert!(a.cookie.is_some());
    let (s, _) = app
        .post(Role::Admin, "/api/v1/users/999999/unlock", json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn one_address_guessing_many_names_is_throttled(app: TestApp) {
    for i in 0..20 {
        let a = sign_in(&app, &format!("guess{i}"), "wrong horse").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "failure {i}: {a:?}");
    }
    let a = sign_in(&app, "agent1", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{a:?}");
    assert_eq!(a.code.as_deref(), Some("login_throttled"));
    app.clock.advance(1_000);
    let a = sign_in(&app, "agent1", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
}

/// The fastest of a few refusals: the noise of a shared machine only adds time.
async fn fastest_refusal(app: &TestApp, user: &str) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let a = sign_in(app, user, "wrong horse").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
        best = best.min(t.elapsed());
    }
    best
}

async fn an_unknown_user_costs_as_much_as_a_real_one(app: TestApp) {
    let real = fastest_refusal(&app, "agent1").await;
    let unknown = fastest_refusal(&app, "nobody-here").await;
    assert!(
        unknown * 3 >= real,
        "a refusal for an unknown user ({unknown:?}) is much faster than for a real one ({real:?})"
    );
    // The unknown name is counted and throttled like a real one.
    for _ in 0..2 {
        sign_in(&app, "nobody-here", "wrong horse").await;
    }
    let a = sign_in(&app, "nobody-here", "wrong horse").await;
    assert_eq!(a.code.as_deref(), Some("login_throttled"), "{a:?}");
}

async fn a_password_change_ends_every_session(app: TestApp) {
    let phone = sign_in(&app, "agent1", PASSWORD).await.cookie.unwrap();
    let desk = sign_in(&app, "agent1", PASSWORD).await.cookie.unwrap();
    assert_eq!(me(&app, &phone).await, StatusCode::OK);
    assert_eq!(me(&app, &desk).await, StatusCode::OK);

    let r = with_cookie(
        &app,
        &desk,
        reqwest::Method::PUT,
        "/api/v1/session/password",
        Some(json!({"current_password": "not it", "new_password": "tall giraffe 42"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        me(&app, &phone).await,
        StatusCode::OK,
        "a refused change ends nothing"
    );

    let r = with_cookie(
        &app,
        &desk,
        reqwest::Method::PUT,
        "/api/v1/session/password",
        Some(json!({"current_password": PASSWORD, "new_password": "tall giraffe 42"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let renewed = session_cookie(r.headers()).expect("a renewed session");
    assert_eq!(
        me(&app, &phone).await,
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    assert_eq!(
        me(&app, &desk).await,
        StatusCode::UNAUTHORIZED,
        "the old cookie ended"
    );
    assert_eq!(me(&app, &renewed).await, StatusCode::OK);
    assert_eq!(
        sign_in(&app, "agent1", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An admin's reset ends the user's sessions too.
    let id = app.users[&Role::Agent];
    let r = app
        .client
        .put(format!("{}/api/v1/users/{id}/password", app.base))
        .bearer_auth(&app.tokens[&Role::Admin])
        .json(&json!({"password": "short horse 7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &renewed).await, StatusCode::UNAUTHORIZED);
    let changed = traced(&app, "user.password_changed").await;
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0].actor, "admin1", "the reset is the admin's act");
    assert_eq!(changed[1].actor, "agent1");
    let a = sign_in(&app, "agent1", "short horse 7").await;
    assert_eq!(a.status, StatusCode::OK);
}

async fn signing_out_ends_every_session(app: TestApp) {
    let phone = sign_in(&app, "grid_manager1", PASSWORD)
        .await
        .cookie
        .unwrap();
    let desk = sign_in(&app, "grid_manager1", PASSWORD)
        .await
        .cookie
        .unwrap();
    let other = sign_in(&app, "crew1", PASSWORD).await.cookie.unwrap();
    let r = with_cookie(
        &app,
        &desk,
        reqwest::Method::DELETE,
        "/api/v1/session",
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &desk).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&app, &other).await,
        StatusCode::OK,
        "another user's session stays"
    );
}

async fn sessions_end_when_idle_or_too_old(app: TestApp) {
    app.svc.set_sign_in_policy(SignInPolicy {
        session_idle_ms: 10 * MINUTE_MS,
        session_max_ms: 60 * MINUTE_MS,
        ..SignInPolicy::default()
    });
    let a = sign_in(&app, "supervisor1", PASSWORD).await;
    let cookie = a.cookie.unwrap();
    assert_eq!(me(&app, &cookie).await, StatusCode::OK);
    for _ in 0..3 {
        app.clock.advance(9 * MINUTE_MS);
        assert_eq!(
            me(&app, &cookie).await,
            StatusCode::OK,
            "each use keeps it alive"
        );
    }
    app.clock.advance(10 * MINUTE_MS);
    assert_eq!(
        me(&app, &cookie).await,
        StatusCode::UNAUTHORIZED,
        "idle too long"
    );

    let busy = sign_in(&app, "supervisor1", PASSWORD).await.cookie.unwrap();
    for _ in 0..11 {
        app.clock.advance(5 * MINUTE_MS);
        assert_eq!(me(&app, &busy).await, StatusCode::OK);
    }
    app.clock.advance(5 * MINUTE_MS);
    assert_eq!(
        me(&app, &busy).await,
        StatusCode::UNAUTHORIZED,
        "past the lifetime"
    );
}

async fn the_admin_page_unlocks_a_locked_user(app: TestApp) {
    for _ in 0..10 {
        app.clock.advance(MINUTE_MS);
        sign_in(&app, "crew1", "wrong horse").await;
    }
    app.clock.advance(MINUTE_MS);
    assert_eq!(
        sign_in(&app, "crew1", PASSWORD).await.code.as_deref(),
        Some("account_locked")
    );
    let admin = sign_in(&app, "admin1", PASSWORD).await.cookie.unwrap();
    let page = with_cookie(&app, &admin, reqwest::Method::GET, "/admin", None)
        .await
        .text()
        .await
        .unwrap();
    let id = app.users[&Role::Crew];
    let action = format!("action=\"/admin/users/{id}/unlock\"");
    assert!(
        page.contains(&action),
        "an unlock button for the locked user"
    );
    assert!(page.contains("已锁定"));
    assert_eq!(
        page.matches("/unlock\"").count(),
        1,
        "only the locked user has one"
    );

    let r = app
        .client
        .post(format!("{}/admin/users/{id}/unlock", app.base))
        .header("cookie", &admin)
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(
        sign_in(&app, "crew1", PASSWORD).await.status,
        StatusCode::OK
    );
    let page = with_cookie(&app, &admin, reqwest::Method::GET, "/admin", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&action));
}

crate::both!(
    failures_slow_down_then_lock_until_an_admin_unlocks,
    one_address_guessing_many_names_is_throttled,
    an_unknown_user_costs_as_much_as_a_real_one,
    a_password_change_ends_every_session,
    signing_out_ends_every_session,
    sessions_end_when_idle_or_too_old,
    the_admin_page_unlocks_a_locked_user,
);
