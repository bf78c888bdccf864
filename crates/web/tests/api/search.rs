//! Finding orders: the list API's number, phrase, channel and sort filters, the orders list
//! page with its export, an order opened by its number, and the 404 page.

use crate::support::TestApp;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use voltdesk_domain::Role;

fn order(title: &str, text: &str, channel: &str, t: &str) -> Value {
    json!({"customer_account_no": "3300000002", "order_type": t, "channel": channel,
           "subject": "outage", "title": title, "description": text})
}

/// Four orders: returns their (id, order number) in creation order.
async fn four_orders(app: &TestApp) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for body in [
        order("台区停电", "李村2组整片停电", "hotline_95598", "repair"),
        order("电费咨询", "询问阶梯电价", "wechat", "consultation"),
        order("电压低", "晚上电压只有180伏", "app", "complaint"),
        order("100%_停电", "标题带通配符", "app", "repair"),
    ] {
        let (s, o) = app.post(Role::Agent, "/api/v1/work-orders", body).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        out.push((
            o["id"].as_i64().unwrap(),
            o["order_no"].as_str().unwrap().to_string(),
        ));
    }
    out
}

fn numbers(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|o| o["order_no"].as_str().unwrap().to_string())
        .collect()
}

async fn list(app: &TestApp, query: &str) -> Value {
    let (s, v) = app
        .get(Role::Supervisor, &format!("/api/v1/work-orders?{query}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v
}

async fn the_list_api_finds_by_number_phrase_and_channel(app: TestApp) {
    let o = four_orders(&app).await;
    let no = |i: usize| o[i].1.clone();
    // A whole number names one order; a begun number all of that day; another day none.
    assert_eq!(
        numbers(&list(&app, &format!("number={}", no(2))).await),
        [no(2)]
    );
    let lower = no(2).to_lowercase();
    assert_eq!(
        numbers(&list(&app, &format!("number={lower}")).await),
        [no(2)]
    );
    assert_eq!(list(&app, "number=GD20261120").await["total"], 4);
    assert_eq!(list(&app, "number=GD202611").await["total"], 4);
    assert_eq!(list(&app, "number=GD20261121").await["total"], 0);
    let wrong_day = format!("GD20251120{}", &no(2)[10..]);
    assert_eq!(list(&app, &format!("number={wrong_day}")).await["total"], 0);
    let (s, v) = app
        .get(Role::Supervisor, "/api/v1/work-orders?number=GD-12")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "number");

    // A phrase in the title or the text; wildcards match themselves.
    let q = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let v = list(&app, &format!("q={}&sort=id&order=asc", q("停电"))).await;
    assert_eq!(numbers(&v), [no(0), no(3)]);
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("180伏"))).await),
        [no(2)]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("%_"))).await),
        [no(3)]
    );
    assert_eq!(list(&app, &format!("q={}", q("_"))).await["total"], 1);
    assert_eq!(
        list(&app, &format!("q={}", q("没有这个词"))).await["total"],
        0
    );
    let (s, v) = app
        .get(
            Role::Supervisor,
            &format!("/api/v1/work-orders?q={}", q(&"电".repeat(101))),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "q");

    // The full-text index: a phrase anywhere in Chinese text, Latin words and digits from
    // their start, words apart by a space all found, newest first by default; another sort
    // reads the same matches.
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("整片"))).await),
        [no(0)]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("2组整"))).await),
        [no(0)]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("18"))).await),
        [no(2)]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("80伏"))).await),
        Vec::<String>::new()
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("李村 停电"))).await),
        [no(0)]
    );
    assert_eq!(
        list(&app, &format!("q={}", q("李村 电价"))).await["total"],
        0
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("停电"))).await),
        [no(3), no(0)]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}&sort=type&order=asc", q("电"))).await).len(),
        4
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}&channel=app", q("停电"))).await),
        [no(3)]
    );

    // Orders written before the index existed are found once the back-fill has run.
    app.svc.store().forget_order_text().await.unwrap();
    assert_eq!(list(&app, &format!("q={}", q("整片"))).await["total"], 0);
    app.svc.backfill_order_text().await.unwrap();
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("整片"))).await),
        [no(0)]
    );
    assert_eq!(list(&app, &format!("q={}", q("电"))).await["total"], 4);

    // Channel, and the number with other filters.
    let v = list(&app, "channel=app&sort=id&order=asc").await;
    assert_eq!(numbers(&v), [no(2), no(3)]);
    assert_eq!(
        list(&app, &format!("channel=wechat&number={}", no(2))).await["total"],
        0
    );

    // Sorted by type (codes ascending: complaint, consultation, repair, repair).
    let v = list(&app, "sort=type&order=asc").await;
    let types: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["complaint", "consultation", "repair", "repair"]);
    let (s, _) = app
        .get(Role::Supervisor, "/api/v1/work-orders?sort=title")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Paging: two pages of two.
    let p2 = list(&app, "sort=id&order=asc&per_page=2&page=2").await;
    assert_eq!(numbers(&p2), [no(2), no(3)]);
    assert_eq!(p2["total"], 4);
}

async fn signed_in(app: &TestApp, role: Role) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The `href` of the element with this id.
fn href_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id}"));
    let start = html[..at].rfind("href=\"").unwrap() + 6;
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

async fn the_orders_page_finds_sorts_pages_and_exports(app: TestApp) {
    let o = four_orders(&app).await;
    let c = signed_in(&app, Role::Supervisor).await;
    let (s, html) = page(&c, &app, "/orders?q=%E5%81%9C%E7%94%B5").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains(&o[0].1) && html.contains(&o[3].1), "{html}");
    assert!(!html.contains(&o[1].1) && !html.contains(&o[2].1));
    // The filter stays in the form, so the view is its address.
    assert!(html.contains("value=\"停电\""));
    assert!(html.contains("href=\"/orders\""), "the nav links the list");

    let (_, html) = page(&c, &app, &format!("/orders?number={}", o[1].1)).await;
    assert!(html.contains(&o[1].1) && !html.contains(&o[0].1));

    let (_, html) = page(&c, &app, "/orders?q=%E6%B2%A1%E6%9C%89").await;
    assert!(html.contains("id=\"list-empty\""));
    assert!(html.contains("没有符合筛选条件的工单"));

    // A bad filter says so in words, on the page.
    let (s, html) = page(&c, &app, "/orders?number=GD-1&status=nonsense").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"list-error\""), "{html}");
    assert!(html.contains("筛选条件无法识别"));

    // Sorted and paged: two per page is not offered, twenty is; a page past the end is the last.
    let (_, html) = page(&c, &app, "/orders?sort=created_at&order=asc&page=99").await;
    assert!(html.contains("1 / 1"), "{html}");
    let first = html.find(&o[0].1).unwrap();
    let last = html.find(&o[3].1).unwrap();
    assert!(first < last, "oldest first");
    let (_, html) = page(&c, &app, "/orders?sort=created_at&order=desc").await;
    assert!(html.find(&o[3].1).unwrap() < html.find(&o[0].1).unwrap());
    assert!(html.contains("aria-sort=\"descending\""));

    // The export link carries the filter: CSV with a BOM, only the rows shown.
    let (_, html) = page(&c, &app, "/orders?channel=app").await;
    let export = href_of(&html, "export-csv");
    assert!(export.contains("channel=app"), "{export}");
    let r = c.get(format!("{}{export}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains(&o[2].1) && text.contains(&o[3].1) && !text.contains(&o[0].1));
    // An agent sees the list but no export.
    let agent = signed_in(&app, Role::Agent).await;
    let (s, html) = page(&agent, &app, "/orders").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("export-csv"));
}

async fn an_order_opens_by_its_number_and_unknown_paths_get_the_404_page(app: TestApp) {
    let o = four_orders(&app).await;
    let c = signed_in(&app, Role::Supervisor).await;
    let (s, html) = page(&c, &app, &format!("/orders/{}", o[2].1)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("电压低"), "{html}");
    let (s, html) = page(&c, &app, &format!("/orders/{}", o[2].0)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("电压低"));
    for path in [
        format!("/orders/GD20251120{}", &o[2].1[10..]),
        "/orders/GD2026112099999999".to_string(),
        "/orders/99999999".to_string(),
        "/orders/not-a-number".to_string(),
        "/no/such/page".to_string(),
    ] {
        let (s, html) = page(&c, &app, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains("页面不存在") && html.contains("返回首页"),
            "{path}: {html}"
        );
        assert!(!html.contains("Cannot parse"), "{path}");
        assert!(html.contains("class=\"top\""), "{path} in the base layout");
    }
    // English, and without signing in.
    let anon = reqwest::Client::new();
    let r = anon
        .get(format!("{}/nowhere", app.base))
        .header("cookie", "vd_lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("Page not found") && !html.contains("页面不存在"));
    // The API keeps its JSON 404.
    let (s, v) = app.get(Role::Supervisor, "/api/v1/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
}

async fn orders_are_grouped_under_a_problem_from_their_page(app: TestApp) {
    let o = four_orders(&app).await;
    let sup = signed_in(&app, Role::Supervisor).await;
    let act = |id: i64, form: Vec<(&'static str, String)>| {
        let (sup, base) = (sup.clone(), app.base.clone());
        async move {
            let r = sup
                .post(format!("{base}/orders/{id}/act/problem"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Neither a problem nor a title: the form again, the error beside the choice.
    let (s, html) = act(
        o[0].0,
        vec![("problem_id", "".into()), ("title", " ".into())],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("problem-problem_id-error"), "{html}");
    // A new problem by its title, then a second order joins it by its id.
    let (s, _) = act(o[0].0, vec![("title", "李村线路反复跳闸".into())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, v) = app.get(Role::Supervisor, "/api/v1/problems").await;
    let problem = v["items"][0]["id"].as_i64().unwrap();
    let (s, _) = act(o[3].0, vec![("problem_id", problem.to_string())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = page(&sup, &app, &format!("/orders/{}", o[3].0)).await;
    assert!(
        html.contains(&format!("href=\"/problems/{problem}\"")),
        "{html}"
    );
    // The list and the problem's page with both orders.
    let (s, html) = page(&sup, &app, "/problems").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("李村线路反复跳闸"));
    let (_, html) = page(&sup, &app, &format!("/problems/{problem}")).await;
    assert!(html.contains(&o[0].1) && html.contains(&o[3].1) && !html.contains(&o[1].1));
    // An agent reads problems but groups nothing and closes nothing.
    let agent = signed_in(&app, Role::Agent).await;
    let (s, html) = page(&agent, &app, &format!("/problems/{problem}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("problem-close-submit"));
    let r = agent
        .post(format!("{}/orders/{}/act/problem", app.base, o[1].0))
        .form(&[("problem_id", problem.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Closing needs the root cause; a closed problem takes no more orders.
    let close = |cause: &'static str| {
        let (sup, base) = (sup.clone(), app.base.clone());
        async move {
            let r = sup
                .post(format!("{base}/problems/{problem}/close"))
                .form(&[("root_cause", cause)])
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = close("  ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("problem-root-cause-error"), "{html}");
    let (s, _) = close("线夹发热烧断").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = page(&sup, &app, &format!("/problems/{problem}")).await;
    assert!(html.contains("线夹发热烧断") && !html.contains("problem-close-submit"));
    let (s, html) = act(o[1].0, vec![("problem_id", problem.to_string())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("problem-problem_id-error"));
    let (_, html) = page(&sup, &app, "/problems").await;
    assert!(
        html.contains("problems-empty"),
        "closed ones leave the open list"
    );
    let (_, html) = page(&sup, &app, "/problems?show=all").await;
    assert!(html.contains("李村线路反复跳闸"));
    let (s, _) = page(&sup, &app, "/problems/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn a_word_with_a_number_is_asked_by_the_number_and_confirmed(app: TestApp) {
    let q = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // A word with a number is asked of the index by the number and confirmed as typed.
    let mut tails = Vec::new();
    for text in ["联系电话尾号4821", "表号4821"] {
        let (s, v) = app
            .post(
                Role::Agent,
                "/api/v1/work-orders",
                order("回电", text, "web", "consultation"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        tails.push(v["order_no"].as_str().unwrap().to_string());
    }
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("尾号4821"))).await),
        [tails[0].clone()]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("4821"))).await),
        [tails[1].clone(), tails[0].clone()]
    );
    assert_eq!(
        numbers(&list(&app, &format!("q={}", q("尾号4821 回电"))).await),
        [tails[0].clone()]
    );
}

crate::both!(
    a_word_with_a_number_is_asked_by_the_number_and_confirmed,
    orders_are_grouped_under_a_problem_from_their_page,
    the_list_api_finds_by_number_phrase_and_channel,
    the_orders_page_finds_sorts_pages_and_exports,
    an_order_opens_by_its_number_and_unknown_paths_get_the_404_page,
);
