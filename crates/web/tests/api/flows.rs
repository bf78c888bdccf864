//! What users do through the API, end to end.

use crate::support::{T0, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::{HOUR_MS, MINUTE_MS, Role};

fn complaint(key: &str) -> Value {
    json!({"customer_account_no": "3300000001", "order_type": "complaint", "channel": "hotline_95598",
           "subject": "outage", "title": "停电多次无人处理", "description": "本月第三次停电", "idempotency_key": key})
}

async fn complaint_lifecycle(app: TestApp) {
    let (s, o) = app
        .post(Role::Agent, "/api/v1/work-orders", complaint("msg-1"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    assert!(o["order_no"].as_str().unwrap().starts_with("GD20261120"));
    let clocks = o["clocks"].as_array().unwrap();
    let contact = clocks.iter().find(|c| c["kind"] == "contact").unwrap();
    assert_eq!(contact["due_at"].as_i64().unwrap(), T0 + 24 * HOUR_MS);
    let answer = clocks.iter().find(|c| c["kind"] == "answer").unwrap();
    // Friday 10:00 + 4 working days = Thursday 10:00.
    assert_eq!(answer["due_at"].as_i64().unwrap(), T0 + 6 * 24 * HOUR_MS);

    // A retry with the same key is the same order.
    let (s, again) = app
        .post(Role::Agent, "/api/v1/work-orders", complaint("msg-1"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["id"].as_i64().unwrap(), id);

    let dept = app.department("marketing").await;
    let (s, _) = app
        .post(
            Role::Agent,
            &format!("/api/v1/work-orders/{id}/dispatch"),
            json!({"department_id": dept}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, o) = app
        .call(
            Some(Role::Handler),
            Method::POST,
            &format!("/api/v1/work-orders/{id}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["assignee_id"].as_i64(), Some(app.users[&Role::Handler]));
    app.clock.advance(30 * MINUTE_MS);
    let (s, _) = app
        .post(
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/contact"),
            json!({"note": "已电话联系客户"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/reply"),
            json!({"text": "已更换台区开关"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "missing_field");
    assert_eq!(e["error"]["field"], "verdict");
    let (s, o) = app
        .post(Role::Handler, &format!("/api/v1/work-orders/{id}/reply"), json!({"text": "已更换台区开关", "verdict": "substantiated", "root_cause": "supply_quality"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["status"], "replied");
    // Closing without a return visit is refused for complaints.
    let (s, e) = app
        .call(
            Some(Role::Handler),
            Method::POST,
            &format!("/api/v1/work-orders/{id}/close"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "return_visit_required");
    let (s, o) = app
        .post(
            Role::Supervisor,
            &format!("/api/v1/work-orders/{id}/return-visit"),
            json!({"satisfaction": "dissatisfied", "comment": "还是经常停电"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["status"], "dispatched");
    assert_eq!(o["reopen_count"], 1);

    let (s, t) = app
        .get(Role::Supervisor, &format!("/api/v1/work-orders/{id}/trace"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<&str> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "order.accepted",
        "order.dispatched",
        "order.acknowledged",
        "order.contacted",
        "clock.met",
        "order.replied",
        "order.return_visited",
        "order.reopened",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "order.accepted").count(), 1);

    // The customer's timeline carries the order's events, newest first.
    let cid = o["customer_id"].as_i64().unwrap();
    let (s, tl) = app
        .get(
            Role::Agent,
            &format!("/api/v1/customers/{cid}/trace?limit=50"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = tl["items"].as_array().unwrap();
    assert!(items.len() >= kinds.len());
    assert!(items[0]["id"].as_i64() > items[items.len() - 1]["id"].as_i64());
}

async fn repair_clocks_follow_region_and_arrival(app: TestApp) {
    for (account, minutes) in [("3300000001", 45), ("3300000002", 90), ("3300000003", 120)] {
        let (s, o) = app
            .post(Role::Agent, "/api/v1/work-orders", json!({"customer_account_no": account, "order_type": "repair", "channel": "app", "subject": "outage", "title": "家里没电"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let arrive = o["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "arrive")
            .unwrap()
            .clone();
        assert_eq!(
            arrive["due_at"].as_i64().unwrap(),
            T0 + minutes * MINUTE_MS,
            "{account}"
        );
    }
    let (_, list) = app
        .get(Role::Crew, "/api/v1/work-orders?type=repair&sort=due_at")
        .await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let dept = app.department("distribution").await;
    app.post(
        Role::Agent,
        &format!("/api/v1/work-orders/{id}/dispatch"),
        json!({"department_id": dept}),
    )
    .await;
    app.call(
        Some(Role::Crew),
        Method::POST,
        &format!("/api/v1/work-orders/{id}/acknowledge"),
        None,
    )
    .await;
    app.clock.advance(20 * MINUTE_MS);
    let (s, o) = app
        .call(
            Some(Role::Crew),
            Method::POST,
            &format!("/api/v1/work-orders/{id}/arrive"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let clocks = o["clocks"].as_array().unwrap();
    assert_eq!(
        clocks.iter().find(|c| c["kind"] == "arrive").unwrap()["state"],
        "met"
    );
    let restore = clocks.iter().find(|c| c["kind"] == "restore").unwrap();
    assert_eq!(
        restore["due_at"].as_i64().unwrap(),
        T0 + 20 * MINUTE_MS + 3 * HOUR_MS
    );
}

async fn bad_input_is_a_clear_4xx(app: TestApp) {
    let url = format!("{}/api/v1/work-orders", app.base);
    let raw = |body: &'static str| {
        let c = app.client.clone();
        let url = url.clone();
        let t = app.tokens[&Role::Agent].clone();
        async move {
            let r = c
                .post(url)
                .bearer_auth(t)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = raw("{not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "invalid_json");
    let (s, e) = raw(r#"{"order_type": "fire", "channel": "app", "title": "x"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "order_type");
    let (s, e) =
        raw(r#"{"order_type": "repair", "channel": "app", "title": "x", "colour": 1}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "colour");
    let (s, e) = raw(r#"{"order_type": "repair", "channel": "app", "title": ""}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "title");
    let (s, e) = raw(
        r#"{"order_type": "repair", "channel": "app", "title": "x", "customer_account_no": "12"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "customer_account_no");
    let (s, e) = raw(r#"{"order_type": "service_request", "channel": "app", "title": "x"}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "service_kind");
    let (s, e) = app.get(Role::Agent, "/api/v1/work-orders?per_page=0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "per_page");
    let (s, e) = app
        .get(Role::Agent, "/api/v1/work-orders?status=nonsense")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "status");
    let (s, e) = app.get(Role::Agent, "/api/v1/work-orders/424242").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["code"], "not_found");
    let (s, e) = app
        .get(Role::Agent, "/api/v1/customers/lookup?phone=12")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "phone");
    let (s, _) = app.get(Role::Agent, "/api/v1/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn personal_data_is_masked_and_reveals_are_traced(app: TestApp) {
    let (s, v) = app
        .get(Role::Agent, "/api/v1/customers/lookup?phone=138-1234-5678")
        .await;
    assert_eq!(s, StatusCode::OK);
    let c = &v["items"][0];
    assert_eq!(c["phone"], "138****5678");
    assert!(c["address"].as_str().unwrap().ends_with("****"));
    let id = c["id"].as_i64().unwrap();
    let (s, v) = app
        .get(Role::Agent, &format!("/api/v1/customers/{id}?reveal=true"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["phone"], "13812345678");
    let (s, e) = app
        .get(
            Role::Analyst,
            &format!("/api/v1/customers/{id}?reveal=true"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // Search as you type: prefixes of account number, phone or name; results stay masked.
    for (q, n) in [
        ("33000000", 3),
        ("3300000001", 1),
        ("139", 1),
        ("%E5%BC%A0", 1),
        ("9", 0),
    ] {
        let (s, v) = app
            .get(Role::Agent, &format!("/api/v1/customers?q={q}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], n, "q={q}: {v}");
    }
    let (_, v) = app.get(Role::Agent, "/api/v1/customers?q=139").await;
    assert_eq!(v["items"][0]["phone"], "139****5679");
    let (s, audit) = app.get(Role::Auditor, "/api/v1/audit?kind=pii.").await;
    assert_eq!(s, StatusCode::OK);
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one reveal traced: {audit}");
    assert_eq!(items[0]["actor"], "agent1");
    assert_eq!(items[0]["customer_id"].as_i64(), Some(id));
}

async fn open_queue_by_station_sorted_by_due(app: TestApp) {
    for (i, t) in ["consultation", "repair", "complaint", "repair"]
        .iter()
        .enumerate()
    {
        let (s, _) = app
            .post(Role::Agent, "/api/v1/work-orders", json!({"customer_account_no": "3300000002", "order_type": t, "channel": "hotline_95598", "subject": "outage", "title": format!("第{i}单")}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, v) = app
        .get(
            Role::Supervisor,
            "/api/v1/work-orders?station=ZJ-CN&status=accepted&sort=due_at&per_page=2",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 4);
    assert_eq!(v["total_exact"], true);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["next_due_at"].as_i64() <= items[1]["next_due_at"].as_i64());
    assert_eq!(items[0]["order_type"], "repair");
    let (_, v) = app
        .get(
            Role::Supervisor,
            "/api/v1/work-orders?station=ZJ-CN&status=accepted&sort=due_at&per_page=2&page=2",
        )
        .await;
    assert_eq!(
        v["items"][1]["order_type"], "consultation",
        "no clock sorts last: {v}"
    );
    let resp = app
        .client
        .get(format!("{}/api/v1/work-orders/export.csv", app.base))
        .bearer_auth(&app.tokens[&Role::Analyst])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
}

async fn scheduler_escalates_a_breach(app: TestApp) {
    let (_, o) = app
        .post(Role::Agent, "/api/v1/work-orders", json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "app", "title": "没电"}))
        .await;
    let id = o["id"].as_i64().unwrap();
    app.clock.advance(37 * MINUTE_MS); // 80 % of 45 minutes is 36
    let r = app.svc.fire_due().await.unwrap();
    assert_eq!((r.warned, r.breached), (1, 0));
    app.clock.advance(9 * MINUTE_MS);
    let r = app.svc.fire_due().await.unwrap();
    assert_eq!((r.warned, r.breached), (0, 1));
    app.svc.process_rules().await.unwrap();
    let (_, o) = app
        .get(Role::Supervisor, &format!("/api/v1/work-orders/{id}"))
        .await;
    assert_eq!(o["overdue"], true);
    assert_eq!(o["escalated"], true);
    let (_, e) = app
        .get(Role::Supervisor, "/api/v1/escalations?open=true")
        .await;
    assert_eq!(e["items"][0]["order_id"].as_i64(), Some(id));
    assert_eq!(e["items"][0]["to_role"], "supervisor");
    let (_, v) = app
        .get(Role::Supervisor, "/api/v1/work-orders?overdue=true")
        .await;
    assert_eq!(v["total"], 1);
}

async fn session_login_and_docs(app: TestApp) {
    let (s, _) = app
        .call(
            None,
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "agent1", "password": "wrong password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": "agent1", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me: Value = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "agent");
    let (s, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    for route in voltdesk_web::routes::all() {
        assert!(
            doc["paths"][route.path][route.method.to_lowercase()].is_object(),
            "{} {}",
            route.method,
            route.path
        );
    }
    let (s, page) = app.call(None, Method::GET, "/api/v1/docs", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.as_str()
            .unwrap()
            .contains("/api/v1/work-orders/{id}/reply")
    );
}

/// Posts a CSV file to an import route with the role's token.
async fn upload(app: &TestApp, role: Role, path: &str, csv: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.tokens[&role])
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn imports_are_jobs_in_the_api(app: TestApp) {
    let customers = "account_no,name,phone,address,usage_class,area_code\n\
                     3300000201,赵六,13600001111,李村镇李村3组1号,residential,TA002\n";
    let (s, body) = upload(&app, Role::Admin, "/api/v1/customers/import", customers).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["imported"], 1);
    // An organisation file with a bad region class on line 2: refused, the line named.
    let org = "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class\n\
               ZJ-CN,城南供电所,G02,李村网格,F02,10kV李村线,TA009,李村9号台区,moon\n";
    let (s, body) = upload(&app, Role::Admin, "/api/v1/org/import", org).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "import_invalid_rows");
    assert_eq!(body["error"]["rows"][0]["line"], 2);

    let (s, list) = app.get(Role::Admin, "/api/v1/import-jobs").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(
        (&items[0]["kind"], &items[0]["state"], &items[0]["reason"]),
        (&json!("org"), &json!("failed"), &json!("invalid_rows"))
    );
    assert_eq!(items[0]["errors"][0]["line"], 2);
    assert_eq!(items[0]["errors"][0]["field"], "region_class");
    assert_eq!(
        (
            &items[1]["kind"],
            &items[1]["state"],
            &items[1]["done"],
            &items[1]["total"]
        ),
        (&json!("customers"), &json!("done"), &json!(1), &json!(1))
    );
    let org_job = items[0]["id"].as_i64().unwrap();
    let (s, job) = app
        .get(Role::Admin, &format!("/api/v1/import-jobs/{org_job}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(job["created_by"], app.users[&Role::Admin]);

    // A grid manager may import customers, not the organisation: only the customer job.
    let (_, list) = app.get(Role::GridManager, "/api/v1/import-jobs").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let (s, _) = app
        .get(Role::GridManager, &format!("/api/v1/import-jobs/{org_job}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(Role::Agent, "/api/v1/import-jobs").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

crate::both!(
    imports_are_jobs_in_the_api,
    complaint_lifecycle,
    repair_clocks_follow_region_and_arrival,
    bad_input_is_a_clear_4xx,
    personal_data_is_masked_and_reveals_are_traced,
    open_queue_by_station_sorted_by_due,
    scheduler_escalates_a_breach,
    session_login_and_docs,
);
