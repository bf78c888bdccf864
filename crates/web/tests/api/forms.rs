//! The pages' forms: a failed save keeps what was typed and marks the field it names, in
//! the word table's words of the viewer's language; messages travel in a flash cookie that
//! the page showing them clears, never in the address.

use crate::support::TestApp;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;
use voltdesk_domain::Role;

/// A browser-like client signed in as `role`, not following redirects, in `lang`.
async fn browser(app: &TestApp, role: Role, lang: &str) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.base.parse().unwrap();
    jar.add_cookie_str(&format!("vd_lang={lang}; Path=/"), &url);
    let c = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[
            ("username", format!("{}1", role.code())),
            ("password", "correct horse".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} signs in");
    c
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    let cookie = set_cookie(&r);
    (r.status(), cookie, r.text().await.unwrap())
}

fn set_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn first_customer(app: &TestApp) -> i64 {
    let (_, v) = app.get(Role::Agent, "/api/v1/customers?q=3300000001").await;
    v["items"][0]["id"]
        .as_i64()
        .or_else(|| v["id"].as_i64())
        .unwrap_or_else(|| panic!("a customer: {v}"))
}

fn long_title() -> String {
    "停".repeat(201)
}

async fn a_failed_save_keeps_every_value_and_marks_the_field(app: TestApp) {
    let id = first_customer(&app).await;
    let before = app.svc.orders(&Default::default()).await.unwrap().1;
    for (lang, words, not) in [
        ("zh", "标题须为1至200个字", "1 to 200 characters"),
        ("en", "The title is 1 to 200 characters", "标题须为"),
    ] {
        let agent = browser(&app, Role::Agent, lang).await;
        let (_, _, form) = get(&agent, &app, &format!("/customers/{id}/new")).await;
        // The browser stops it first: the server's limits are the form's.
        assert!(
            form.contains(r#"name="title" style="width:100%" required maxlength="200""#),
            "the title's limits"
        );
        assert!(
            form.contains(r#"maxlength="10000""#),
            "the description's limit"
        );
        let r = agent
            .post(format!("{}/customers/{id}/orders", app.base))
            .form(&[
                ("order_type", "complaint"),
                ("channel", "wechat"),
                ("subject", "supply_quality"),
                ("complaint_class", "supply_quality"),
                ("contact_phone", "13800001111"),
                ("title", long_title().as_str()),
                ("description", "电压忽高忽低，<b>灯</b>一直闪"),
                ("form_key", "k-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let html = r.text().await.unwrap();
        for kept in [
            r#"<option value="complaint" selected>"#,
            r#"<option value="wechat" selected>"#,
            r#"<option value="supply_quality" selected>"#,
            r#"value="13800001111""#,
            "电压忽高忽低，&#60;b&#62;灯&#60;/b&#62;一直闪",
            r#"name="form_key" value="k-1""#,
        ] {
            assert!(html.contains(kept), "{lang}: kept {kept}");
        }
        assert!(html.contains(&long_title()), "{lang}: the title is kept");
        assert!(
            html.contains(r#"aria-invalid="true" aria-describedby="title-error""#),
            "{lang}: the title is marked"
        );
        let beside = html
            .split(r#"id="title-error">"#)
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("a message beside the title");
        assert_eq!(beside, words, "{lang}");
        assert!(!html.contains(not), "{lang}: no other wording");
        // Nothing else is marked.
        assert_eq!(html.matches(r#"aria-invalid="true""#).count(), 1);
    }
    assert_eq!(app.svc.orders(&Default::default()).await.unwrap().1, before);
    // The API names the field too.
    let (s, v) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": id, "order_type": "consultation", "channel": "app", "title": long_title()}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "title");
}

async fn a_message_travels_in_a_cookie_and_shows_once(app: TestApp) {
    let id = first_customer(&app).await;
    let agent = browser(&app, Role::Agent, "zh").await;
    let r = agent
        .post(format!("{}/customers/{id}/orders", app.base))
        .form(&[
            ("order_type", "consultation"),
            ("channel", "hotline_95598"),
            ("title", "电费怎么交"),
            ("description", "问交费方式"),
            ("form_key", "k-2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/orders/") && !to.contains('?'), "{to}");
    let cookie = set_cookie(&r);
    assert!(cookie.starts_with("vd_flash=ok:"), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Max-Age=60", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    // The page shows it and ends it; a reload shows nothing.
    let (s, cleared, html) = get(&agent, &app, &to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"<div class="flash ok" role="status">已受理，工单号"#));
    assert!(cleared.contains("vd_flash=;") && cleared.contains("Max-Age=0"));
    let (_, _, again) = get(&agent, &app, &to).await;
    assert!(!again.contains("flash ok"), "a reload repeats nothing");
    // A message in the address is not shown.
    let (_, _, forged) = get(&agent, &app, &format!("{to}?ok=forged&err=forged")).await;
    assert!(!forged.contains("forged"));
}

async fn an_action_that_fails_opens_its_form_again_with_the_field_marked(app: TestApp) {
    let id = first_customer(&app).await;
    let (_, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": id, "order_type": "complaint", "channel": "app", "subject": "outage", "title": "又停电"}),
        )
        .await;
    let oid = o["id"].as_i64().expect("an order");
    for (lang, words) in [("zh", "请填写“部门”"), ("en", "Fill in the department")] {
        let agent = browser(&app, Role::Agent, lang).await;
        let r = agent
            .post(format!("{}/orders/{oid}/act/dispatch", app.base))
            .form(&[("assignee_id", ""), ("department_id", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"<details id="act-dispatch" open>"#),
            "{lang}"
        );
        assert!(html.contains(r#"aria-describedby="dispatch-department_id-error""#));
        assert!(html.contains(&format!(r#"id="dispatch-department_id-error">{words}<"#)));
        assert!(!html.contains("department_id:"), "no developer wording");
    }
    // A refusal that names no field is the page's message, in words.
    let agent = browser(&app, Role::Agent, "zh").await;
    let r = agent
        .post(format!("{}/orders/{oid}/act/close", app.base))
        .form(&[("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<div class="flash err" role="alert">工单当前状态不允许此操作</div>"#));
    assert!(!html.contains("is not allowed while"));
}

async fn error_pages_speak_the_viewers_words(app: TestApp) {
    for (lang, words, not) in [
        ("zh", "页面不存在", "not found"),
        ("en", "Page not found", "页面"),
    ] {
        let agent = browser(&app, Role::Agent, lang).await;
        let (s, _, html) = get(&agent, &app, "/orders/999999").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(html.contains(words), "{lang}: {html}");
        assert!(!html.contains(not), "{lang}: {html}");
        assert!(!html.contains("<code>"), "no raw code shown");
    }
}

async fn the_order_page_offers_only_the_viewers_moves(app: TestApp) {
    let id = first_customer(&app).await;
    let (_, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": id, "order_type": "repair", "channel": "app", "subject": "outage", "title": "家里没电"}),
        )
        .await;
    let oid = o["id"].as_i64().expect("an order");
    let agent = browser(&app, Role::Agent, "zh").await;
    let (_, _, before) = get(&agent, &app, &format!("/orders/{oid}")).await;
    assert!(
        before.contains(r#"id="act-dispatch""#),
        "the desk dispatches"
    );
    let dept = app.department("distribution").await;
    let (s, _) = app
        .post(
            Role::Agent,
            &format!("/api/v1/work-orders/{oid}/dispatch"),
            json!({"department_id": dept, "assignee_id": app.users[&Role::Handler]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, html) = get(&agent, &app, &format!("/orders/{oid}")).await;
    for gone in ["act-acknowledge", "act-return_to_sender", "act-dispatch"] {
        assert!(!html.contains(gone), "the agent is not offered {gone}");
    }
    assert!(
        html.contains(r#"id="act-urge""#),
        "the agent may still urge"
    );
    let handler = browser(&app, Role::Handler, "zh").await;
    let (_, _, html) = get(&handler, &app, &format!("/orders/{oid}")).await;
    for here in ["act-acknowledge", "act-return_to_sender"] {
        assert!(html.contains(here), "the assignee is offered {here}");
    }
    // What is not offered is not taken from the page either.
    let r = agent
        .post(format!("{}/orders/{oid}/act/acknowledge", app.base))
        .form(&[("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, o) = app
        .get(Role::Agent, &format!("/api/v1/work-orders/{oid}"))
        .await;
    assert_eq!(o["status"], "dispatched");
}

async fn a_reply_leaves_the_contact_clock_running_until_a_contact(app: TestApp) {
    let id = first_customer(&app).await;
    let (_, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": id, "order_type": "complaint", "channel": "app", "subject": "outage", "title": "停电无人管"}),
        )
        .await;
    let oid = o["id"].as_i64().expect("an order");
    let dept = app.department("marketing").await;
    let path = |a: &str| format!("/api/v1/work-orders/{oid}/{a}");
    let (s, _) = app
        .post(
            Role::Agent,
            &path("dispatch"),
            json!({"department_id": dept}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .call(
            Some(Role::Handler),
            reqwest::Method::POST,
            &path("acknowledge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, o) = app
        .post(
            Role::Handler,
            &path("reply"),
            json!({"text": "已检修", "verdict": "substantiated", "root_cause": "supply_quality"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let contact = |o: &serde_json::Value| {
        o["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "contact")
            .unwrap()["state"]
            .clone()
    };
    let (_, o) = app
        .get(Role::Handler, &format!("/api/v1/work-orders/{oid}"))
        .await;
    assert_eq!(contact(&o), "running", "a reply is no contact");
    // The order page still counts it down and offers the contact.
    let handler = browser(&app, Role::Handler, "zh").await;
    let (_, _, html) = get(&handler, &app, &format!("/orders/{oid}")).await;
    assert!(html.contains(r#"id="act-contact""#));
    let (s, _) = app
        .post(
            Role::Handler,
            &path("contact"),
            json!({"note": "已电话联系客户"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, o) = app
        .get(Role::Handler, &format!("/api/v1/work-orders/{oid}"))
        .await;
    assert_eq!(contact(&o), "met");
}

crate::both!(
    a_reply_leaves_the_contact_clock_running_until_a_contact,
    the_order_page_offers_only_the_viewers_moves,
    a_failed_save_keeps_every_value_and_marks_the_field,
    a_message_travels_in_a_cookie_and_shows_once,
    an_action_that_fails_opens_its_form_again_with_the_field_marked,
    error_pages_speak_the_viewers_words
);
