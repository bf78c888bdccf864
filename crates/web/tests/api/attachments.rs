//! Attachments and internal notes on orders: upload, list and download with the checksum,
//! the limit and the allowed types, permissions, and notes that stay with the staff.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use voltdesk_domain::Role;

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn new_order(app: &TestApp) -> i64 {
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "app", "title": "电表箱损坏"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["id"].as_i64().unwrap()
}

async fn upload(
    app: &TestApp,
    role: Role,
    order: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/work-orders/{order}/attachments",
            app.base
        ))
        .query(&[("name", name)])
        .bearer_auth(&app.tokens[&role])
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn sha256(bytes: &[u8]) -> String {
    voltdesk_store::blob::sha256_hex(bytes)
}

async fn upload_list_download_round_trip(app: TestApp) {
    let id = new_order(&app).await;
    let (s, a) = upload(
        &app,
        Role::Handler,
        id,
        "C:\\照片\\现场 1.png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["name"], "现场 1.png");
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["size"], PNG.len());
    assert_eq!(a["sha256"], sha256(PNG));
    assert_eq!(a["uploaded_by"], app.users[&Role::Handler]);
    let aid = a["id"].as_i64().unwrap();
    let text = "抄表记录：\n电表读数 12345\n".as_bytes().to_vec();
    let (s, t) = upload(&app, Role::Agent, id, "读数.txt", text.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["content_type"], "text/plain");

    let (s, list) = app
        .get(
            Role::Analyst,
            &format!("/api/v1/work-orders/{id}/attachments"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], aid);

    // Anyone who may read the order reads the bytes, the same ones.
    let resp = app
        .client
        .get(format!("{}/api/v1/attachments/{aid}", app.base))
        .bearer_auth(&app.tokens[&Role::Auditor])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("inline;"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.png"),
        "{cd}"
    );
    let body = resp.bytes().await.unwrap();
    assert_eq!(sha256(&body), sha256(PNG));

    let tid = t["id"].as_i64().unwrap();
    let resp = app
        .client
        .get(format!("{}/api/v1/attachments/{tid}", app.base))
        .bearer_auth(&app.tokens[&Role::Agent])
        .send()
        .await
        .unwrap();
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(resp.bytes().await.unwrap().to_vec(), text);

    // The upload is in the order's timeline.
    let (_, trace) = app
        .get(Role::Agent, &format!("/api/v1/work-orders/{id}/trace"))
        .await;
    let attached: Vec<_> = trace["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "order.attached")
        .collect();
    assert_eq!(attached.len(), 2);
    assert_eq!(attached[0]["payload"]["attachment_id"], aid);
    assert_eq!(attached[0]["payload"]["sha256"], sha256(PNG));

    // A damaged file is an error, not wrong bytes.
    let dir = app
        .svc
        .attachment_settings()
        .unwrap()
        .blobs
        .dir()
        .to_path_buf();
    let sha = sha256(PNG);
    std::fs::write(dir.join(&sha[..2]).join(&sha), b"not the png").unwrap();
    let (s, e) = app
        .get(Role::Agent, &format!("/api/v1/attachments/{aid}"))
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    assert_eq!(e["error"]["code"], "attachment_corrupt");
}

async fn too_large_and_wrong_types_are_refused(app: TestApp) {
    let id = new_order(&app).await;
    let limit = voltdesk_domain::attachment::DEFAULT_MAX_BYTES as usize;
    let mut big = PNG.to_vec();
    big.resize(limit + 1, 0);
    let (s, e) = upload(&app, Role::Agent, id, "big.png", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "payload_too_large");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("10 MB"),
        "{e}"
    );
    let mut exactly = PNG.to_vec();
    exactly.resize(limit, 0);
    let (s, e) = upload(&app, Role::Agent, id, "limit.png", exactly).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");

    for (name, bytes) in [
        ("tool.exe", b"MZ\x90\0\x03\0\0\0".to_vec()),
        ("a.zip", b"PK\x03\x04\x14\0".to_vec()),
        ("page.html.png", b"<html>\0<script>".to_vec()),
    ] {
        let (s, e) = upload(&app, Role::Agent, id, name, bytes).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}: {e}");
        assert_eq!(e["error"]["code"], "unsupported_attachment");
    }
    let (s, e) = upload(&app, Role::Agent, id, "empty.txt", vec![]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "body");
    // Nothing refused was recorded.
    let (_, list) = app
        .get(
            Role::Agent,
            &format!("/api/v1/work-orders/{id}/attachments"),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn unknown_orders_and_roles_without_permission(app: TestApp) {
    let id = new_order(&app).await;
    let (s, e) = upload(&app, Role::Agent, 999_999, "p.png", PNG.to_vec()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["code"], "not_found");
    let (s, _) = app
        .get(Role::Agent, "/api/v1/work-orders/999999/attachments")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(Role::Agent, "/api/v1/attachments/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders/999999/notes",
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for role in [Role::Analyst, Role::Auditor, Role::Admin] {
        let (s, e) = upload(&app, role, id, "p.png", PNG.to_vec()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role:?}: {e}");
        assert_eq!(e["error"]["code"], "forbidden");
        let (s, _) = app
            .post(
                role,
                &format!("/api/v1/work-orders/{id}/notes"),
                json!({"text": "备注"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (s, _) = app
        .call(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/work-orders/{id}/attachments"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn notes_are_in_the_trace_and_not_for_the_customer(app: TestApp) {
    let id = new_order(&app).await;
    let before = app.svc.outbox(1000).await.unwrap().len();
    let (s, n) = app
        .post(
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/notes"),
            json!({"text": "  客户情绪激动，回访时注意措辞\n已告知班长 "}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["kind"], "order.noted");
    assert_eq!(
        n["payload"]["text"],
        "客户情绪激动，回访时注意措辞\n已告知班长"
    );
    assert_eq!(n["actor_id"], app.users[&Role::Handler]);
    let (_, trace) = app
        .get(Role::Agent, &format!("/api/v1/work-orders/{id}/trace"))
        .await;
    assert!(
        trace["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "order.noted" && e["id"] == n["id"])
    );
    let after = app.svc.outbox(1000).await.unwrap();
    assert_eq!(after.len(), before, "a note sends the customer nothing");

    for (body, field) in [
        (json!({"text": "   "}), "text"),
        (json!({"text": "长".repeat(2001)}), "text"),
        (json!({"text": "a\u{0}b"}), "text"),
    ] {
        let (s, e) = app
            .post(
                Role::Handler,
                &format!("/api/v1/work-orders/{id}/notes"),
                body,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], field);
    }
    let (s, e) = app
        .post(
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/notes"),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}

crate::both!(
    upload_list_download_round_trip,
    too_large_and_wrong_types_are_refused,
    unknown_orders_and_roles_without_permission,
    notes_are_in_the_trace_and_not_for_the_customer,
);
