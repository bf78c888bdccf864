//! What the API lets out: tokens for other users, personal data per role.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::Role;
use voltdesk_web::routes::{Access, all};

/// Zhang San's phone and address (seeded) and the contact phone of the order made below.
const SECRETS: &[&str] = &[
    "13812345678",
    "浙江省杭州市桐庐县城南街道城关路1号",
    "13600001111",
];

async fn order_with_contact(app: &TestApp) -> i64 {
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "hotline_95598",
                   "subject": "outage", "title": "家里没电", "contact_phone": "13600001111"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["id"].as_i64().unwrap()
}

async fn with_token(app: &TestApp, token: &str, method: Method, path: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    let text = resp.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn token_for(app: &TestApp, role: Role, user: &str, scopes: Value) -> (StatusCode, Value) {
    app.post(
        role,
        "/api/v1/tokens",
        json!({"username": user, "name": "borrowed", "scopes": scopes}),
    )
    .await
}

async fn admin_token_for_another_cannot_reveal(app: TestApp) {
    let customer = 1;
    // Only an administrator makes tokens at all, and never for another user with the whole
    // role (no scopes) or with the scope that shows personal data.
    let (s, b) = token_for(&app, Role::Agent, "handler1", json!(["customer.read"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = token_for(&app, Role::Admin, "agent1", json!([])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "scopes", "{b}");
    let (s, b) = token_for(
        &app,
        Role::Admin,
        "agent1",
        json!(["customer.read", "pii.reveal"]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "scopes", "{b}");

    let (s, b) = token_for(
        &app,
        Role::Admin,
        "agent1",
        json!(["customer.read", "order.create"]),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let t = b["token"].as_str().unwrap().to_string();
    let (s, b) = with_token(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/customers/{customer}?reveal=true"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = with_token(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/customers/{customer}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["phone"], "138****5678", "{b}");

    // What the token does is the administrator's act.
    let resp = app
        .client
        .post(format!("{}/api/v1/work-orders", app.base))
        .bearer_auth(&t)
        .json(&json!({"customer_account_no": "3300000002", "order_type": "repair", "channel": "hotline_95598",
                      "subject": "outage", "title": "家里没电"}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let order: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (s, audit) = app
        .get(Role::Auditor, "/api/v1/audit?kind=order.accepted")
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let accepted = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["order_id"] == order["id"])
        .expect("the order's acceptance in the audit");
    assert_eq!(accepted["actor"], "admin1", "{accepted}");
    assert_eq!(accepted["actor_id"].as_i64(), Some(app.users[&Role::Admin]));
    let (_, audit) = app
        .get(Role::Auditor, "/api/v1/audit?kind=pii.revealed")
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] != "agent1"),
        "{audit}"
    );

    // The token list says who made it.
    let (_, tokens) = app.get(Role::Admin, "/api/v1/tokens").await;
    let made = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "borrowed")
        .unwrap();
    assert_eq!(made["issued_by"].as_i64(), Some(app.users[&Role::Admin]));
    assert_eq!(made["user_id"].as_i64(), Some(app.users[&Role::Agent]));
}

/// Ids of the seeded data for a route's path: the customer for customer routes, the order
/// for order routes, 1 elsewhere.
fn concrete(path: &str, order: i64) -> String {
    let id = if path.starts_with("/api/v1/work-orders/") {
        order.to_string()
    } else {
        "1".to_string()
    };
    path.replace("{id}", &id)
        .replace("{customer_id}", "1")
        .replace("{rule}", "repeat_contact")
        .replace("{kind}", "order.accepted")
        .replace("{channel}", "sms")
        .replace("{day}", "2026-11-20")
}

async fn no_route_shows_personal_data_unmasked(app: TestApp) {
    let order = order_with_contact(&app).await;
    let mut answered = 0;
    for route in all().filter(|r| r.method == "GET") {
        let path = concrete(route.path, order);
        for role in Role::ALL {
            if let Access::Needs(p) = route.access
                && !voltdesk_domain::auth::allows(*role, p)
            {
                continue;
            }
            let (s, body) = app.get(*role, &path).await;
            let text = match &body {
                Value::String(t) => t.clone(),
                v => v.to_string(),
            };
            for secret in SECRETS {
                assert!(
                    !text.contains(secret),
                    "GET {path} as {role} ({s}) shows {secret}: {text:.400}"
                );
            }
            if s == StatusCode::OK {
                answered += 1;
            }
        }
    }
    assert!(answered > 100, "only {answered} answers walked");
    // The order list and the order itself carry the contact phone masked.
    let (_, o) = app
        .get(Role::Agent, &format!("/api/v1/work-orders/{order}"))
        .await;
    assert_eq!(o["contact_phone"], "136****1111", "{o}");
}

crate::both!(
    admin_token_for_another_cannot_reveal,
    no_route_shows_personal_data_unmasked
);
