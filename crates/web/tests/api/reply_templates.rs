//! Reply templates: an administrator adds, changes, disables and enables them (each change
//! traced, a bad name or body refused by field); whoever replies to orders reads them, and an
//! order offers its subject's templates filled in for its customer and number; the admin page
//! keeps a refused template's values with the error beside the field, and the order page's
//! reply form offers the order's templates.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::Role;

const OUTAGE_BODY: &str =
    "尊敬的{客户姓名}：您反映的停电问题（工单{工单号}）已核实，系线路故障所致，现已恢复供电。";

async fn add(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post(Role::Admin, "/api/v1/reply-templates", body).await
}

async fn patch(app: &TestApp, role: Role, id: i64, body: Value) -> (StatusCode, Value) {
    app.call(
        Some(role),
        Method::PATCH,
        &format!("/api/v1/reply-templates/{id}"),
        Some(body),
    )
    .await
}

fn code(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or_default(),
        v["error"]["field"].as_str().unwrap_or_default(),
    )
}

fn names(v: &Value) -> Vec<&str> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

async fn traced(app: &TestApp, kind: &str) -> Vec<voltdesk_store::TraceRow> {
    app.svc.audit_trail(Some(kind), None, 500).await.unwrap()
}

/// An order of customer 1 (张三) on `subject`.
async fn order(app: &TestApp, subject: &str) -> (i64, String) {
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": 1, "order_type": "complaint", "channel": "hotline_95598",
                   "subject": subject, "title": "反复停电", "description": "本周停电三次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    (
        o["id"].as_i64().unwrap(),
        o["order_no"].as_str().unwrap().to_string(),
    )
}

/// Three templates: one for outages, one for any subject, one for bills.
async fn three(app: &TestApp) -> [i64; 3] {
    let mut ids = [0; 3];
    for (i, body) in [
        json!({"name": "停电致歉", "subject": "outage", "body": OUTAGE_BODY}),
        json!({"name": "初步答复", "body": "{customer_name}您好，您的工单{order_no}已收到，我们将在承诺时限内答复。"}),
        json!({"name": "电费解释", "subject": "tariff_bill", "body": "尊敬的{客户姓名}，您的电费按阶梯电价计算。"}),
    ]
    .into_iter()
    .enumerate()
    {
        let (s, t) = add(app, body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        ids[i] = t["id"].as_i64().unwrap();
    }
    ids
}

async fn templates_are_added_listed_and_filled_in_for_an_order(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let (s, t) = add(
        &app,
        json!({"name": "  停电致歉 ", "subject": "outage", "body": format!("{OUTAGE_BODY}\r\n")}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    crate::schema::check(&doc, "POST", "/api/v1/reply-templates", s, &t);
    assert_eq!(t["name"], "停电致歉", "trimmed");
    assert_eq!(t["subject"], "outage");
    assert_eq!(t["body"], OUTAGE_BODY, "the trailing line break trimmed");
    assert_eq!(t["active"], true);
    assert_eq!(t["updated_by"].as_i64(), Some(app.users[&Role::Admin]));
    assert_eq!(t["updated_by_name"], "admin1");
    let outage = t["id"].as_i64().unwrap();
    for body in [
        json!({"name": "初步答复", "subject": null, "body": "{customer_name}您好，您的工单{order_no}已收到。{日期}前答复。"}),
        json!({"name": "电费解释", "subject": "tariff_bill", "body": "尊敬的{客户姓名}，您的电费按阶梯电价计算。"}),
    ] {
        let (s, t) = add(&app, body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }

    // Whoever replies reads them: a subject's own first, then by name.
    let (s, all) = app.get(Role::Handler, "/api/v1/reply-templates").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    crate::schema::check(&doc, "GET", "/api/v1/reply-templates", s, &all);
    // By code point: 停 (U+505C) before 电 (U+7535) and 初 (U+521D).
    assert_eq!(names(&all), ["停电致歉", "电费解释", "初步答复"]);
    let (_, outages) = app
        .get(
            Role::Agent,
            "/api/v1/reply-templates?subject=outage&active=true",
        )
        .await;
    assert_eq!(names(&outages), ["停电致歉", "初步答复"]);
    let (s, bad) = app
        .get(Role::Agent, "/api/v1/reply-templates?subject=weather")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(code(&bad), ("invalid_query", "subject"));

    // An outage order offers the outage template and the general one, filled in for 张三.
    let (id, no) = order(&app, "outage").await;
    let path = format!("/api/v1/work-orders/{id}/reply-templates");
    let (s, offered) = app.get(Role::Handler, &path).await;
    assert_eq!(s, StatusCode::OK, "{offered}");
    crate::schema::check(
        &doc,
        "GET",
        "/api/v1/work-orders/{id}/reply-templates",
        s,
        &offered,
    );
    assert_eq!(names(&offered), ["停电致歉", "初步答复"]);
    assert_eq!(
        offered["items"][0]["body"],
        format!("尊敬的张三：您反映的停电问题（工单{no}）已核实，系线路故障所致，现已恢复供电。")
    );
    assert_eq!(offered["items"][0]["id"].as_i64(), Some(outage));
    assert_eq!(
        offered["items"][1]["body"],
        format!("张三您好，您的工单{no}已收到。{{日期}}前答复。"),
        "an unknown placeholder stays as typed"
    );
    // By its number as well.
    let (_, by_no) = app
        .get(
            Role::Agent,
            &format!("/api/v1/work-orders/{no}/reply-templates"),
        )
        .await;
    assert_eq!(by_no, offered);
    // A bill order offers the bill template and the general one.
    let (bill, _) = order(&app, "tariff_bill").await;
    let (_, offered) = app
        .get(
            Role::Crew,
            &format!("/api/v1/work-orders/{bill}/reply-templates"),
        )
        .await;
    assert_eq!(names(&offered), ["电费解释", "初步答复"]);
    // An order without a customer: the name reads politely.
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"station_code": "ZJ-CN", "order_type": "consultation", "channel": "web",
                   "subject": "outage", "title": "停电咨询"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (_, offered) = app
        .get(
            Role::Agent,
            &format!("/api/v1/work-orders/{}/reply-templates", o["id"]),
        )
        .await;
    assert!(
        offered["items"][0]["body"]
            .as_str()
            .unwrap()
            .starts_with("尊敬的客户："),
        "{offered}"
    );
    let (s, missing) = app
        .get(Role::Agent, "/api/v1/work-orders/999999/reply-templates")
        .await;
    assert_eq!((s, code(&missing).0), (StatusCode::NOT_FOUND, "not_found"));

    // Each addition is in the audit trail with its words.
    let created = traced(&app, "reply_template.created").await;
    assert_eq!(created.len(), 3);
    let first = created
        .iter()
        .find(|r| r.payload["template_id"] == outage)
        .unwrap();
    assert_eq!(first.payload["name"], "停电致歉");
    assert_eq!(first.payload["subject"], "outage");
    assert_eq!(first.actor_id, Some(app.users[&Role::Admin]));
}

/// The names of the templates an order offers.
async fn offered(app: &TestApp, id: i64) -> Vec<String> {
    let (_, v) = app
        .get(
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/reply-templates"),
        )
        .await;
    names(&v).iter().map(|n| n.to_string()).collect()
}

async fn changes_are_traced_and_a_disabled_template_is_not_offered(app: TestApp) {
    let [outage, general, _] = three(&app).await;
    let (id, _) = order(&app, "outage").await;
    let (s, t) = patch(
        &app,
        Role::Admin,
        outage,
        json!({"name": "停电致歉（故障）", "subject": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (t["name"].as_str(), t["subject"].is_null()),
        (Some("停电致歉（故障）"), true)
    );
    assert_eq!(t["body"], OUTAGE_BODY, "the body not sent stays");
    let updated = traced(&app, "reply_template.updated").await;
    assert_eq!(updated.len(), 1);
    let changes = &updated[0].payload["changes"];
    assert_eq!(
        changes,
        &json!([
            {"field": "name", "old": "停电致歉", "new": "停电致歉（故障）"},
            {"field": "subject", "old": "outage"},
        ])
    );
    // Sorted by name among the templates for any subject now.
    assert_eq!(offered(&app, id).await, ["停电致歉（故障）", "初步答复"]);

    let (s, t) = patch(&app, Role::Admin, general, json!({"active": false})).await;
    assert_eq!((s, &t["active"]), (StatusCode::OK, &json!(false)), "{t}");
    assert_eq!(offered(&app, id).await, ["停电致歉（故障）"]);
    let (_, off) = app
        .get(Role::Admin, "/api/v1/reply-templates?active=false")
        .await;
    assert_eq!(names(&off), ["初步答复"]);
    let disabled = traced(&app, "reply_template.disabled").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].payload["template_id"].as_i64(), Some(general));
    // Disabling what is disabled changes nothing and writes nothing.
    let (s, _) = patch(&app, Role::Admin, general, json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(traced(&app, "reply_template.disabled").await.len(), 1);
    let (s, _) = patch(
        &app,
        Role::Admin,
        general,
        json!({"active": true, "body": "{客户姓名}您好。"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(traced(&app, "reply_template.enabled").await.len(), 1);
    assert_eq!(traced(&app, "reply_template.updated").await.len(), 2);
    assert_eq!(offered(&app, id).await, ["停电致歉（故障）", "初步答复"]);
    // The same values again: nothing written.
    let (s, _) = patch(
        &app,
        Role::Admin,
        general,
        json!({"body": "{客户姓名}您好。"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(traced(&app, "reply_template.updated").await.len(), 2);

    let (s, v) = patch(&app, Role::Admin, 999_999, json!({"active": false})).await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"));
}

async fn bad_templates_are_refused_by_field(app: TestApp) {
    let ok = "尊敬的{客户姓名}，您好。";
    for (body, status, want) in [
        (
            json!({"name": "长".repeat(65), "body": ok}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": " \u{200b} ", "body": ok}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": "第一行\n第二行", "body": ok}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": "空白", "body": " \n "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "body"),
        ),
        (
            json!({"name": "太长", "body": "字".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "body"),
        ),
        (
            json!({"name": "隐藏", "body": "a\u{202e}b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "body"),
        ),
        (
            json!({"name": "分类", "subject": "weather", "body": ok}),
            StatusCode::BAD_REQUEST,
            ("invalid_json", "subject"),
        ),
        (
            json!({"name": "多余", "body": ok, "lang": "zh"}),
            StatusCode::BAD_REQUEST,
            ("invalid_json", ""),
        ),
        (
            json!({"body": ok}),
            StatusCode::BAD_REQUEST,
            ("invalid_json", ""),
        ),
    ] {
        let (s, v) = add(&app, body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
        let (c, f) = code(&v);
        assert_eq!(c, want.0, "{body}: {v}");
        if !want.1.is_empty() {
            assert_eq!(f, want.1, "{body}: {v}");
        }
    }
    // The longest name and body pass.
    let (s, t) = add(
        &app,
        json!({"name": "长".repeat(64), "body": "字".repeat(2000)}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    // A name already used is a conflict on the name.
    let (s, v) = add(&app, json!({"name": "长".repeat(64), "body": ok})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, ("conflict", "name")),
        "{v}"
    );
    let (s, other) = add(&app, json!({"name": "另一个", "body": ok})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = patch(
        &app,
        Role::Admin,
        other["id"].as_i64().unwrap(),
        json!({"name": "长".repeat(64)}),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, ("conflict", "name")),
        "{v}"
    );
    // A refused change changes nothing.
    let (s, v) = patch(&app, Role::Admin, id, json!({"name": "新名字", "body": ""})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_field", "body")),
        "{v}"
    );
    let (_, all) = app.get(Role::Admin, "/api/v1/reply-templates").await;
    assert!(!names(&all).contains(&"新名字"));
    assert!(traced(&app, "reply_template.updated").await.is_empty());
}

async fn only_an_admin_writes_templates_and_whoever_replies_reads_them(app: TestApp) {
    let [outage, ..] = three(&app).await;
    let (id, _) = order(&app, "outage").await;
    for role in Role::ALL {
        let (s, v) = app
            .post(
                *role,
                "/api/v1/reply-templates",
                json!({"name": format!("{role}的模板"), "body": "您好"}),
            )
            .await;
        let (p, _) = patch(&app, *role, outage, json!({"body": format!("{role}改过")})).await;
        if *role == Role::Admin {
            assert_eq!((s, p), (StatusCode::CREATED, StatusCode::OK), "{v}");
        } else {
            assert_eq!(
                (s, code(&v).0),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{role}"
            );
            assert_eq!(p, StatusCode::FORBIDDEN, "{role}");
        }
        let (list, _) = app.get(*role, "/api/v1/reply-templates").await;
        let (offered, _) = app
            .get(*role, &format!("/api/v1/work-orders/{id}/reply-templates"))
            .await;
        let reads = matches!(
            role,
            Role::Agent
                | Role::Handler
                | Role::GridManager
                | Role::Crew
                | Role::Supervisor
                | Role::Admin
        );
        let want = if reads {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!((list, offered), (want, want), "{role}");
    }
    // A token narrowed to other scopes does not write templates.
    let t = app
        .svc
        .create_token(
            &voltdesk_service::Actor::system(),
            "admin1",
            "read only",
            &["reply_template.read".into()],
            None,
        )
        .await
        .unwrap();
    let r = app
        .client
        .post(format!("{}/api/v1/reply-templates", app.base))
        .bearer_auth(&t)
        .json(&json!({"name": "令牌", "body": "您好"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// A browser-like client for `role` and a helper that answers status, location and body.
async fn pages(app: &TestApp, role: Role) -> reqwest::Client {
    crate::pages::signed_in(app, role).await
}

async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let r = c
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let to = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, to, r.text().await.unwrap())
}

async fn get_page(c: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn the_admin_page_keeps_a_refused_template_beside_its_field(app: TestApp) {
    let c = pages(&app, Role::Admin).await;
    let (s, html) = get_page(&c, &app, "/admin").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("href=\"/admin/reply-templates\""),
        "the admin page links them"
    );
    let (s, html) = get_page(&c, &app, "/admin/reply-templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"templates-empty\""), "{html}");

    // Too long a name: drawn again with the error beside the name, every value kept.
    let long = "停".repeat(65);
    let (s, _, html) = post_form(
        &c,
        &app,
        "/admin/reply-templates",
        &[
            ("name", &long),
            ("subject", "outage"),
            ("body", "尊敬的{客户姓名}，抢修人员已出发。"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"tpl-name-error\">模板名称须为1至64个可见字符，且不能换行<"),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{long}\"")), "the name kept");
    assert!(
        html.contains("<option value=\"outage\" selected"),
        "the subject kept"
    );
    assert!(
        html.contains(">尊敬的{客户姓名}，抢修人员已出发。</textarea>"),
        "the body kept"
    );
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"tpl-name-error\""));

    // Saved: back on the list, which shows it.
    let (s, to, _) = post_form(
        &c,
        &app,
        "/admin/reply-templates",
        &[
            ("name", "抢修已出发"),
            ("subject", "outage"),
            ("body", "尊敬的{客户姓名}，抢修人员已出发。"),
        ],
    )
    .await;
    assert_eq!(
        (s, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/admin/reply-templates"))
    );
    let (_, html) = get_page(&c, &app, "/admin/reply-templates").await;
    assert!(
        html.contains(">抢修已出发</td>") && html.contains(">停电问题</td>"),
        "{html}"
    );
    let id = app.svc.reply_templates(&Default::default()).await.unwrap()[0].id;

    // The same name again: a conflict named beside the name.
    let (s, _, html) = post_form(
        &c,
        &app,
        "/admin/reply-templates",
        &[("name", "抢修已出发"), ("subject", ""), ("body", "另一段")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"tpl-name-error\">“模板名称”已存在<"),
        "{html}"
    );

    // Editing: the form holds the template; an empty body is refused beside the body.
    let (s, html) = get_page(&c, &app, &format!("/admin/reply-templates?edit={id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("action=\"/admin/reply-templates/{id}\"")));
    assert!(html.contains("value=\"抢修已出发\""));
    let path = format!("/admin/reply-templates/{id}");
    let (s, _, html) = post_form(
        &c,
        &app,
        &path,
        &[
            ("name", "抢修已出发（夜间）"),
            ("subject", "outage"),
            ("body", " "),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"tpl-body-error\">模板内容须为1至2000个字<"),
        "{html}"
    );
    assert!(
        html.contains("value=\"抢修已出发（夜间）\""),
        "the name typed kept"
    );
    let (s, _, _) = post_form(
        &c,
        &app,
        &path,
        &[
            ("name", "抢修已出发（夜间）"),
            ("subject", ""),
            ("body", "夜间抢修已出发。"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let t = app.svc.reply_template(id).await.unwrap();
    assert_eq!(
        (t.name.as_str(), t.subject, t.body.as_str()),
        ("抢修已出发（夜间）", None, "夜间抢修已出发。")
    );
    let (s, _, _) = post_form(
        &c,
        &app,
        &path,
        &[("name", "x"), ("subject", "weather"), ("body", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Disable and enable from the list.
    let (s, to, _) = post_form(
        &c,
        &app,
        &format!("/admin/reply-templates/{id}/disable"),
        &[],
    )
    .await;
    assert_eq!(
        (s, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/admin/reply-templates"))
    );
    assert!(!app.svc.reply_template(id).await.unwrap().active);
    let (_, html) = get_page(&c, &app, "/admin/reply-templates").await;
    assert!(
        html.contains(&format!("id=\"enable-template-{id}\"")),
        "{html}"
    );
    post_form(
        &c,
        &app,
        &format!("/admin/reply-templates/{id}/enable"),
        &[],
    )
    .await;
    assert!(app.svc.reply_template(id).await.unwrap().active);
    let (s, _) = get_page(&c, &app, "/admin/reply-templates?edit=999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Not for a handler.
    let h = pages(&app, Role::Handler).await;
    let (s, _) = get_page(&h, &app, "/admin/reply-templates").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = post_form(
        &h,
        &app,
        "/admin/reply-templates",
        &[("name", "x"), ("body", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn the_order_pages_reply_form_offers_the_orders_templates(app: TestApp) {
    three(&app).await;
    let (id, no) = order(&app, "outage").await;
    // Dispatched to handler1, who takes it: the reply is theirs to write.
    let dept = app.department("distribution").await;
    let handler = app.users[&Role::Handler];
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
            Role::Handler,
            &format!("/api/v1/work-orders/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let c = pages(&app, Role::Handler).await;
    let (s, html) = get_page(&c, &app, &format!("/orders/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<select id=\"reply-template\" data-fills=\"text\">"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "data-body=\"尊敬的张三：您反映的停电问题（工单{no}）已核实，系线路故障所致，现已恢复供电。\">停电致歉</option>"
        )),
        "{html}"
    );
    assert!(html.contains(">初步答复</option>") && !html.contains(">电费解释</option>"));
    // Whoever cannot reply gets no templates.
    let a = pages(&app, Role::Analyst).await;
    let (s, html) = get_page(&a, &app, &format!("/orders/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("reply-template"));
}

crate::both!(
    templates_are_added_listed_and_filled_in_for_an_order,
    changes_are_traced_and_a_disabled_template_is_not_offered,
    bad_templates_are_refused_by_field,
    only_an_admin_writes_templates_and_whoever_replies_reads_them,
    the_admin_page_keeps_a_refused_template_beside_its_field,
    the_order_pages_reply_form_offers_the_orders_templates,
);
