//! Saved filters of the orders list: one's own only (another user's is not found), the
//! list's filters kept and nothing else, a name used again replaces, twenty at most; on the
//! list page a form saves the filters shown, the saved ones are links that apply them, each
//! with a delete button, and a refused name is drawn again beside its field.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::Role;

async fn save(app: &TestApp, role: Role, name: &str, query: &str) -> (StatusCode, Value) {
    app.post(
        role,
        "/api/v1/saved-filters",
        json!({"name": name, "query": query}),
    )
    .await
}

async fn delete(app: &TestApp, role: Role, id: i64) -> (StatusCode, Value) {
    app.call(
        Some(role),
        Method::DELETE,
        &format!("/api/v1/saved-filters/{id}"),
        None,
    )
    .await
}

async fn list(app: &TestApp, role: Role) -> Vec<(String, String)> {
    let (s, v) = app.get(role, "/api/v1/saved-filters").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["query"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn code(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or_default(),
        v["error"]["field"].as_str().unwrap_or_default(),
    )
}

async fn filters_are_saved_replaced_listed_and_deleted(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let (s, f) = save(
        &app,
        Role::Agent,
        " 超时投诉 ",
        "?type=complaint&overdue=true&page=3&lang=en&q=",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    crate::schema::check(&doc, "POST", "/api/v1/saved-filters", s, &f);
    assert_eq!(f["name"], "超时投诉");
    assert_eq!(
        f["query"], "type=complaint&overdue=true",
        "only the list's filters"
    );
    let id = f["id"].as_i64().unwrap();
    // The same name again takes the new filters, under the same id.
    let (s, again) = save(
        &app,
        Role::Agent,
        "超时投诉",
        "status=dispatched&sort=due_at&order=asc",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    crate::schema::check(&doc, "POST", "/api/v1/saved-filters", s, &again);
    assert_eq!(again["id"].as_i64(), Some(id));
    assert_eq!(again["query"], "status=dispatched&sort=due_at&order=asc");
    let (s, _) = save(&app, Role::Agent, "我的网格", "grid_id=2").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, all) = app.get(Role::Agent, "/api/v1/saved-filters").await;
    crate::schema::check(&doc, "GET", "/api/v1/saved-filters", s, &all);
    assert_eq!(
        list(&app, Role::Agent).await,
        [
            ("我的网格".to_string(), "grid_id=2".to_string()),
            (
                "超时投诉".to_string(),
                "status=dispatched&sort=due_at&order=asc".to_string()
            ),
        ]
    );

    // Another user sees none of them, and cannot delete one: not found, and it stays.
    assert!(list(&app, Role::Handler).await.is_empty());
    let (s, v) = delete(&app, Role::Handler, id).await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"), "{v}");
    assert_eq!(list(&app, Role::Agent).await.len(), 2);
    // The same name is another user's own.
    let (s, v) = save(&app, Role::Handler, "超时投诉", "overdue=true").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["id"].as_i64(), Some(id));

    let (s, _) = delete(&app, Role::Agent, id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(list(&app, Role::Agent).await.len(), 1);
    let (s, v) = delete(&app, Role::Agent, id).await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(
        list(&app, Role::Handler).await.len(),
        1,
        "the other user's stays"
    );
}

async fn twenty_at_most_and_a_used_name_still_replaces(app: TestApp) {
    for i in 0..20 {
        let (s, v) = save(
            &app,
            Role::Supervisor,
            &format!("筛选{i:02}"),
            &format!("page=1&status=accepted&grid_id={i}"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {v}");
    }
    let (s, v) = save(&app, Role::Supervisor, "第二十一个", "overdue=true").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(code(&v), ("saved_filters_full", "name"));
    let (s, v) = save(&app, Role::Supervisor, "筛选07", "overdue=true").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let saved = list(&app, Role::Supervisor).await;
    assert_eq!(saved.len(), 20);
    assert!(saved.contains(&("筛选07".to_string(), "overdue=true".to_string())));
    // Another user is not held to this one's count.
    let (s, _) = save(&app, Role::Agent, "第二十一个", "overdue=true").await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn bad_filters_are_refused_by_field(app: TestApp) {
    for (body, status, want) in [
        (
            json!({"name": " ", "query": "overdue=true"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": "名".repeat(41), "query": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": "a\u{1b}b", "query": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "name"),
        ),
        (
            json!({"name": "很长", "query": format!("q={}", "x".repeat(2100))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "query"),
        ),
        (
            json!({"query": "overdue=true"}),
            StatusCode::BAD_REQUEST,
            ("invalid_json", ""),
        ),
        (
            json!({"name": "多余", "user_id": 1}),
            StatusCode::BAD_REQUEST,
            ("invalid_json", ""),
        ),
    ] {
        let (s, v) = app
            .post(Role::Agent, "/api/v1/saved-filters", body.clone())
            .await;
        assert_eq!(s, status, "{body}: {v}");
        assert_eq!(code(&v).0, want.0, "{body}: {v}");
        if !want.1.is_empty() {
            assert_eq!(code(&v).1, want.1, "{body}: {v}");
        }
    }
    let (s, v) = save(&app, Role::Agent, &"名".repeat(40), "").await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "the longest name, and no filter at all: {v}"
    );
    assert_eq!(v["query"], "");
    let (s, _) = app
        .call(
            Some(Role::Agent),
            Method::DELETE,
            "/api/v1/saved-filters/abc",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Without credentials: nothing.
    let (s, _) = app
        .call(None, Method::GET, "/api/v1/saved-filters", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn the_orders_list_saves_applies_and_deletes_filters(app: TestApp) {
    let c = crate::pages::signed_in(&app, Role::Agent).await;
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            let status = r.status();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (status, to, r.text().await.unwrap())
        }
    };
    let (s, html) = get("/orders?type=complaint&overdue=true&page=2".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"saved-filters-empty\""), "{html}");
    // The form carries the filters shown (not the page).
    assert!(
        html.contains("name=\"query\" value=\"overdue=true&#38;type=complaint\""),
        "{html}"
    );

    // A refused name: the list again, the name kept, the error beside it, the filters kept.
    let long = "名".repeat(41);
    let (s, _, html) = post(
        "/orders/filters".into(),
        vec![
            ("name", long.clone()),
            ("query", "overdue=true&type=complaint".into()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"filter-name-error\">筛选名称须为1至40个可见字符，且不能换行<"),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{long}\"")), "the name kept");
    assert!(
        html.contains("name=\"query\" value=\"overdue=true&#38;type=complaint\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"f-overdue\" checked"),
        "the list keeps its filters"
    );

    // Saved: the list opens with the filters, and shows the saved one as the one applied.
    let (s, to, _) = post(
        "/orders/filters".into(),
        vec![
            ("name", "超时投诉".into()),
            ("query", "overdue=true&type=complaint&page=2".into()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/orders?type=complaint&overdue=true"));
    let (_, html) = get("/orders?type=complaint&overdue=true".into()).await;
    assert!(
        html.contains("已保存筛选 · 超时投诉"),
        "the flash says so: {html}"
    );
    assert!(
        html.contains("<a href=\"/orders?type=complaint&#38;overdue=true\" class=\"saved-filter-link here\" aria-current=\"true\">超时投诉</a>"),
        "{html}"
    );
    let id = app
        .svc
        .saved_filters(&actor(&app, Role::Agent).await)
        .await
        .unwrap()[0]
        .id;
    // On another view, the link is there but not the one applied.
    let (_, html) = get("/orders".into()).await;
    assert!(
        html.contains("class=\"saved-filter-link\">超时投诉</a>"),
        "{html}"
    );

    // Full: refused beside the name in words.
    for i in 0..19 {
        app.svc
            .save_filter(
                &actor(&app, Role::Agent).await,
                &format!("筛选{i}"),
                "overdue=true",
            )
            .await
            .unwrap();
    }
    let (s, _, html) = post(
        "/orders/filters".into(),
        vec![("name", "再来一个".into()), ("query", "".into())],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"filter-name-error\">最多保存20个筛选"),
        "{html}"
    );

    // Delete: back to the list it was on; another user's is refused and stays.
    let (s, to, _) = post(
        format!("/orders/filters/{id}/delete"),
        vec![("back", "/orders?type=complaint".into())],
    )
    .await;
    assert_eq!(
        (s, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/orders?type=complaint"))
    );
    let (_, html) = get("/orders?type=complaint".into()).await;
    assert!(
        html.contains("已删除筛选") && !html.contains(">超时投诉</a>"),
        "{html}"
    );
    let (s, to, _) = post(
        format!("/orders/filters/{id}/delete"),
        vec![("back", "https://evil.example/".into())],
    )
    .await;
    assert_eq!(
        (s, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/orders")),
        "a foreign back is not followed"
    );
    let (_, theirs) = app
        .post(
            Role::Handler,
            "/api/v1/saved-filters",
            json!({"name": "处理人的", "query": "overdue=true"}),
        )
        .await;
    let theirs = theirs["id"].as_i64().unwrap();
    let (s, _, _) = post(
        format!("/orders/filters/{theirs}/delete"),
        vec![("back", "/orders".into())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get("/orders".into()).await;
    assert!(html.contains("未找到该记录"), "refused in words: {html}");
    assert_eq!(list(&app, Role::Handler).await.len(), 1);

    // A post from another site's page is refused.
    let r = c
        .post(format!("{}/orders/filters", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "跨站"), ("query", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The service's actor for a test user.
async fn actor(app: &TestApp, role: Role) -> voltdesk_service::Actor {
    let u = app.svc.user(app.users[&role]).await.unwrap();
    voltdesk_service::actor_of(&u)
}

crate::both!(
    filters_are_saved_replaced_listed_and_deleted,
    twenty_at_most_and_a_used_name_still_replaces,
    bad_filters_are_refused_by_field,
    the_orders_list_saves_applies_and_deletes_filters,
);
