//! The bell: notifications written by the early-warning reader for the people concerned,
//! read and marked read only by their user.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;
use voltdesk_domain::{MINUTE_MS, Role};

crate::both!(
    assigned_urged_and_escalated_reach_their_people,
    notifications_are_ones_own
);

async fn new_repair(app: &TestApp) -> i64 {
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "app", "title": "没电"}),
        )
        .await;
    assert!(s.is_success(), "{o}");
    o["id"].as_i64().unwrap()
}

async fn assigned_urged_and_escalated_reach_their_people(app: TestApp) {
    let id = new_repair(&app).await;
    let handler = app.users[&Role::Handler];
    let dept = app.department("distribution").await;
    let (s, v) = app
        .post(
            Role::Agent,
            &format!("/api/v1/work-orders/{id}/dispatch"),
            json!({"department_id": dept, "assignee_id": handler}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            Role::Agent,
            &format!("/api/v1/work-orders/{id}/urge"),
            json!({"note": "客户又来电催"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Nothing before the reader has judged the events.
    let (_, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    assert_eq!(v["unread"], 0, "{v}");
    app.svc.process_rules().await.unwrap();
    let (s, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["unread"], 2, "{v}");
    let kinds: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["urged", "assigned"], "newest first: {v}");
    assert_eq!(v["items"][0]["order_id"].as_i64(), Some(id));
    assert_eq!(v["items"][0]["count"], 1);
    assert!(
        v["items"][1]["order_no"]
            .as_str()
            .unwrap()
            .starts_with("GD")
    );
    // The agent who acted hears of nothing.
    let (_, v) = app.get(Role::Agent, "/api/v1/notifications").await;
    assert_eq!(v["total"], 0, "{v}");
    // A second pass writes nothing again.
    app.svc.process_rules().await.unwrap();
    let (_, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    assert_eq!(v["total"], 2, "{v}");

    // The deadline near goes to the assignee, the miss (an escalation) to the supervisors.
    app.clock.advance(37 * MINUTE_MS);
    app.svc.fire_due().await.unwrap();
    app.svc.process_rules().await.unwrap();
    let (_, v) = app
        .get(Role::Handler, "/api/v1/notifications?unread=true")
        .await;
    assert_eq!(v["items"][0]["kind"], "deadline_near", "{v}");
    assert_eq!(v["items"][0]["rule"], "deadline_near");
    assert!(v["items"][0]["warning_id"].is_i64());
    app.clock.advance(9 * MINUTE_MS);
    app.svc.fire_due().await.unwrap();
    app.svc.process_rules().await.unwrap();
    let (_, v) = app.get(Role::Supervisor, "/api/v1/notifications").await;
    let rules: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].as_str().unwrap_or(""))
        .collect();
    assert!(rules.contains(&"deadline_missed"), "{v}");
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] == "warning"),
        "{v}"
    );
}

async fn notifications_are_ones_own(app: TestApp) {
    let id = new_repair(&app).await;
    let handler = app.users[&Role::Handler];
    let dept = app.department("distribution").await;
    app.post(
        Role::Agent,
        &format!("/api/v1/work-orders/{id}/dispatch"),
        json!({"department_id": dept, "assignee_id": handler}),
    )
    .await;
    app.post(
        Role::Agent,
        &format!("/api/v1/work-orders/{id}/urge"),
        json!({"note": ""}),
    )
    .await;
    app.svc.process_rules().await.unwrap();
    let (_, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    let first = v["items"][0]["id"].as_i64().unwrap();
    // Someone else's ids change nothing.
    let (s, r) = app
        .post(
            Role::Agent,
            "/api/v1/notifications/read",
            json!({"ids": [first]}),
        )
        .await;
    assert_eq!((s, r["unread"].as_i64()), (StatusCode::OK, Some(0)));
    let (_, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    assert_eq!(v["unread"], 2);
    // One, then all.
    let (_, r) = app
        .post(
            Role::Handler,
            "/api/v1/notifications/read",
            json!({"ids": [first]}),
        )
        .await;
    assert_eq!(r["unread"], 1, "{r}");
    let (_, v) = app
        .get(Role::Handler, "/api/v1/notifications?unread=true")
        .await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["kind"], "assigned");
    let (_, r) = app
        .post(
            Role::Handler,
            "/api/v1/notifications/read",
            json!({"all": true}),
        )
        .await;
    assert_eq!(r["unread"], 0, "{r}");
    let (_, v) = app.get(Role::Handler, "/api/v1/notifications").await;
    assert!(v["items"][0]["read_at"].is_i64(), "{v}");
    // Bad bodies and anonymous callers get the stable answers.
    let (s, e) = app
        .post(
            Role::Handler,
            "/api/v1/notifications/read",
            json!({"ids": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = app
        .call(None, Method::GET, "/api/v1/notifications", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = app
        .get(Role::Handler, "/api/v1/notifications?per_page=0")
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query")),
        "{e}"
    );
}
