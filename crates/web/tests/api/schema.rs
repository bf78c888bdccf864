//! Real responses of the main routes validated against the OpenAPI document the server
//! serves: the documented schemas are the shapes clients get, on both databases.

use crate::support::{T0, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::{HOUR_MS, Role};

/// Checks `body` against the documented response of `method path` for `status`, with the
/// document's components in scope so that `$ref`s resolve.
pub(crate) fn check(doc: &Value, method: &str, path: &str, status: StatusCode, body: &Value) {
    let responses = &doc["paths"][path][method.to_lowercase()]["responses"];
    let code = status.as_u16().to_string();
    let reply = [code.as_str(), "2XX"]
        .iter()
        .map(|k| &responses[*k])
        .find(|r| r.is_object())
        .unwrap_or_else(|| panic!("{method} {path}: no documented {status} response"));
    let mut schema = reply["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {path}: the {status} response has no JSON schema"
    );
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path}: the response disagrees with the document:\n{}\n{body}",
        errors.join("\n")
    );
}

async fn call(
    app: &TestApp,
    doc: &Value,
    role: Role,
    method: Method,
    (template, path): (&str, &str),
    body: Option<Value>,
) -> Value {
    let (status, v) = app.call(Some(role), method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    check(doc, method.as_str(), template, status, &v);
    v
}

async fn main_routes_answer_as_documented(app: TestApp) {
    let (s, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let doc = &doc;

    // Work orders: create (two contacts, so that the rules raise warnings), get, list.
    for text in [
        "电费怎么这么高",
        "电费还是很高，我要打12398投诉，找媒体曝光",
    ] {
        let o = call(
            &app,
            doc,
            Role::Agent,
            Method::POST,
            ("/api/v1/work-orders", "/api/v1/work-orders"),
            Some(json!({"customer_account_no": "3300000002", "order_type": "consultation",
                   "channel": "hotline_95598", "subject": "tariff_bill", "title": "电费", "description": text})),
        )
        .await;
        assert!(o["id"].is_i64(), "{o}");
    }
    let complaint = call(
        &app,
        doc,
        Role::Agent,
        Method::POST,
        ("/api/v1/work-orders", "/api/v1/work-orders"),
        Some(json!({"customer_account_no": "3300000001", "order_type": "complaint", "channel": "hotline_95598",
               "subject": "outage", "title": "停电多次无人处理", "description": "本月第三次停电", "idempotency_key": "k-1"})),
    )
    .await;
    assert!(!complaint["clocks"].as_array().unwrap().is_empty());
    let id = complaint["id"].as_i64().unwrap();
    call(
        &app,
        doc,
        Role::Agent,
        Method::GET,
        (
            "/api/v1/work-orders/{id}",
            &format!("/api/v1/work-orders/{id}"),
        ),
        None,
    )
    .await;
    let list = call(
        &app,
        doc,
        Role::Agent,
        Method::GET,
        ("/api/v1/work-orders", "/api/v1/work-orders"),
        None,
    )
    .await;
    assert_eq!(list["total"], 3);

    // Customers: get (with its live warnings once the rules ran), lookup, timeline.
    app.svc.process_rules().await.unwrap();
    let found = call(
        &app,
        doc,
        Role::Agent,
        Method::GET,
        (
            "/api/v1/customers/lookup",
            "/api/v1/customers/lookup?phone=13912345679",
        ),
        None,
    )
    .await;
    let customer = found["items"][0]["id"].as_i64().expect("the caller");
    let c = call(
        &app,
        doc,
        Role::Agent,
        Method::GET,
        (
            "/api/v1/customers/{id}",
            &format!("/api/v1/customers/{customer}"),
        ),
        None,
    )
    .await;
    assert!(!c["warnings"].as_array().unwrap().is_empty(), "{c}");
    let trace = call(
        &app,
        doc,
        Role::Agent,
        Method::GET,
        (
            "/api/v1/customers/{id}/trace",
            &format!("/api/v1/customers/{customer}/trace"),
        ),
        None,
    )
    .await;
    assert!(!trace["items"].as_array().unwrap().is_empty());

    // Warnings: list, get.
    let warnings = call(
        &app,
        doc,
        Role::Supervisor,
        Method::GET,
        ("/api/v1/warnings", "/api/v1/warnings"),
        None,
    )
    .await;
    let wid = warnings["items"][0]["id"].as_i64().expect("a warning");
    call(
        &app,
        doc,
        Role::Supervisor,
        Method::GET,
        ("/api/v1/warnings/{id}", &format!("/api/v1/warnings/{wid}")),
        None,
    )
    .await;

    // Outages: register, list, get.
    let registered = call(
        &app,
        doc,
        Role::Admin,
        Method::POST,
        ("/api/v1/outages", "/api/v1/outages"),
        Some(
            json!({"external_ref": "dms-1", "kind": "fault", "feeder_code": "F02",
               "cause": "线路故障", "started_at": T0 - HOUR_MS}),
        ),
    )
    .await;
    let oid = registered["outage"]["id"].as_i64().unwrap();
    let listed = call(
        &app,
        doc,
        Role::Admin,
        Method::GET,
        ("/api/v1/outages", "/api/v1/outages"),
        None,
    )
    .await;
    assert_eq!(listed["total"], 1);
    call(
        &app,
        doc,
        Role::Admin,
        Method::GET,
        ("/api/v1/outages/{id}", &format!("/api/v1/outages/{oid}")),
        None,
    )
    .await;
}

/// Every route that answers JSON documents the schema of its answer.
async fn every_json_route_documents_its_response(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    for e in voltdesk_web::routes::entries() {
        let r = &e.route;
        let responses = &doc["paths"][r.path][r.method.to_lowercase()]["responses"];
        let ok = responses
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.starts_with('2'))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{} {}: no success response", r.method, r.path));
        if let Some(content) = ok.get("content") {
            let schema = content
                .get("application/json")
                .or_else(|| content.get("text/csv"))
                .or_else(|| content.get("text/html"))
                .or_else(|| content.get("application/octet-stream"))
                .map(|c| &c["schema"]);
            assert!(
                schema.is_some_and(|s| s.is_object()),
                "{} {}: no response schema",
                r.method,
                r.path
            );
        }
    }
}

crate::both!(
    main_routes_answer_as_documented,
    every_json_route_documents_its_response,
);
