//! The pages over HTTP: every page against every role (refused exactly when the page table
//! says), never a server error, forms that create and act, the CSV export, both languages.

use crate::support::TestApp;
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use voltdesk_domain::Role;
use voltdesk_domain::auth::allows;
use voltdesk_web::pages::all as pages;
use voltdesk_web::routes::Access;

/// A browser-like client signed in as `role` (session cookie), not following redirects.
pub(crate) async fn signed_in(app: &TestApp, role: Role) -> reqwest::Client {
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} signs in");
    let home = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(home, voltdesk_web::pages::home_of(role), "{role}'s home");
    c
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{action}", "reply")
        .replace("{lang}", "en")
        .replace("{kind}", "customers")
        .replace("{job}", "none")
        .replace("{step}", "acknowledge")
}

async fn page_table(app: TestApp) {
    let anonymous = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut checked = 0;
    for role in Role::ALL {
        let c = signed_in(&app, *role).await;
        for page in pages() {
            let path = concrete(page.path);
            let method = Method::from_bytes(page.method.as_bytes()).unwrap();
            if page.path == "/logout" {
                continue; // would end the session the rest of the loop uses
            }
            let r = c
                .request(method.clone(), format!("{}{}", app.base, path))
                .form(&[("text", "x")])
                .send()
                .await
                .unwrap();
            let status = r.status();
            let expect_refused = match page.access {
                Access::Public | Access::SignedIn => {
                    // An action page checks the action's own API permission.
                    page.path == "/orders/{id}/act/{action}"
                        && !allows(*role, voltdesk_domain::auth::Permission::OrderWork)
                }
                Access::Needs(p) => !allows(*role, p),
            };
            assert_eq!(
                status == StatusCode::FORBIDDEN,
                expect_refused,
                "{} {} as {role}: {status}",
                page.method,
                page.path
            );
            assert!(
                !status.is_server_error(),
                "{} {} as {role}: {status}",
                page.method,
                page.path
            );
            checked += 1;
        }
    }
    // Not signed in: pages send the browser to the sign-in page, remembering where it was.
    for page in pages().filter(|p| p.method == "GET") {
        let r = anonymous
            .get(format!("{}{}", app.base, concrete(page.path)))
            .send()
            .await
            .unwrap();
        match page.access {
            Access::Public => assert_ne!(r.status(), StatusCode::UNAUTHORIZED),
            _ => {
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", page.path);
                let to = r.headers()["location"].to_str().unwrap();
                assert!(to.starts_with("/login?next="), "{} → {to}", page.path);
            }
        }
    }
    assert!(checked > 200, "checked {checked} page/role pairs");
}

async fn body(c: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn an_agent_takes_a_complaint_through_the_pages(app: TestApp) {
    let agent = signed_in(&app, Role::Agent).await;
    // Search as you type: the last digits of the phone.
    let (s, html) = body(&agent, &app, "/desk/search?q=5678").await;
    assert_eq!(s, StatusCode::OK);
    let id: i64 = html
        .split("data-customer=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|x| x.parse().ok())
        .expect("a hit");
    let (s, html) = body(&agent, &app, &format!("/customers/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("new-order"));
    let (_, html) = body(&agent, &app, &format!("/customers/{id}/new")).await;
    let key = html
        .split("name=\"form_key\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let (_, preview) = body(
        &agent,
        &app,
        &format!("/preview?customer_id={id}&order_type=complaint&channel=hotline_95598"),
    )
    .await;
    assert!(
        preview.contains("24小时") && preview.contains("4个工作日"),
        "{preview}"
    );
    let form = [
        ("order_type", "complaint"),
        ("channel", "hotline_95598"),
        ("subject", "outage"),
        ("title", "反复停电"),
        ("description", "一周停电三次"),
        ("form_key", key.as_str()),
    ];
    let post = || async {
        agent
            .post(format!("{}/customers/{id}/orders", app.base))
            .form(&form)
            .send()
            .await
            .unwrap()
    };
    let r = post().await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/orders/") && !to.contains("ok="), "{to}");
    let flash = r.headers()["set-cookie"].to_str().unwrap();
    assert!(flash.starts_with("vd_flash=ok:"), "{flash}");
    // A double submit of the same form is the same order.
    let again = post().await;
    assert_eq!(
        again.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next(),
        to.split('?').next()
    );
    let order_path = to.split('?').next().unwrap().to_string();
    // Now the same subject again shows the hint.
    let (_, preview) = body(
        &agent,
        &app,
        &format!("/preview?customer_id={id}&order_type=complaint&subject=outage"),
    )
    .await;
    assert!(preview.contains("duplicate-hint"));
    // A bad form comes back to the form with the message, nothing written.
    let before = app.svc.orders(&Default::default()).await.unwrap().1;
    let r = agent
        .post(format!("{}/customers/{id}/orders", app.base))
        .form(&[("order_type", "nonsense"), ("channel", "hotline_95598")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"order_type-error\""));
    assert_eq!(app.svc.orders(&Default::default()).await.unwrap().1, before);

    // The order page; an action the state does not allow is refused with a message.
    let (s, html) = body(&agent, &app, &order_path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("act-dispatch"));
    let r = agent
        .post(format!("{}{order_path}/act/close", app.base))
        .form(&[("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("工单当前状态不允许此操作"));

    // The supervisor's board and the analyst's dashboard and its CSV.
    let sup = signed_in(&app, Role::Supervisor).await;
    let (s, html) = body(&sup, &app, "/board/panel").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("near-due"));
    let analyst = signed_in(&app, Role::Analyst).await;
    let (s, html) = body(&analyst, &app, "/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("chart-data"));
    let r = analyst
        .get(format!("{}/dashboard/export.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for spreadsheets");
    assert!(csv.contains("投诉"));
    let (s, _) = body(&analyst, &app, "/dashboard?from=2026-13-01").await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "a bad date goes back with a message"
    );
}

async fn pages_speak_chinese_and_english_on_request(app: TestApp) {
    let c = signed_in(&app, Role::Agent).await;
    let (_, zh) = body(&c, &app, "/desk").await;
    assert!(zh.contains("lang=\"zh-CN\"") && zh.contains("受理台"));
    let r = c
        .get(format!("{}/lang/en?next=/desk", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/desk");
    // The cookie store keeps vd_lang=en from here on.
    let (_, en) = body(&c, &app, "/desk").await;
    assert!(
        en.contains("lang=\"en\"") && en.contains("Agent desk"),
        "{en}"
    );
    // Only a path on this server may follow.
    let r = c
        .get(format!("{}/lang/zh?next=//evil.example", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    // Static files come from the binary, with a cache lifetime.
    let r = c
        .get(format!("{}/static/htmx-2.0.11.min.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

async fn sensitive_customers_show_a_banner_and_imports_report_progress(app: TestApp) {
    let agent = signed_in(&app, Role::Agent).await;
    let (_, html) = body(&agent, &app, "/desk/search?q=5678").await;
    let id: i64 = html
        .split("data-customer=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|x| x.parse().ok())
        .unwrap();
    let (_, html) = body(&agent, &app, &format!("/customers/{id}")).await;
    assert!(!html.contains("sensitive-banner"));
    app.svc
        .set_sensitive(
            &voltdesk_service::Actor::system(),
            id,
            true,
            "多次投诉并扬言曝光",
        )
        .await
        .unwrap();
    let (_, html) = body(&agent, &app, &format!("/customers/{id}")).await;
    assert!(
        html.contains("sensitive-banner"),
        "the agent is warned at once"
    );

    // An upload answers at once with a job; the job reports progress until it is done.
    let admin = signed_in(&app, Role::Admin).await;
    let csv = "account_no,name,phone,address,usage_class,area_code\n\
               3300000101,赵六,13600001111,李村镇李村3组1号,residential,TA002\n\
               3300000102,钱七,13600002222,李村镇李村3组2号,residential,TA002\n";
    let r = admin
        .post(format!("{}/admin/import/customers", app.base))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let job = r.json::<serde_json::Value>().await.unwrap()["job"]
        .as_str()
        .unwrap()
        .to_string();
    let mut state = serde_json::Value::Null;
    for _ in 0..100 {
        state = admin
            .get(format!("{}/admin/imports/{job}", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state["state"], "done", "{state}");
    assert_eq!(state["total"], 2);
    assert_eq!(app.svc.search_customers("赵六", 5).await.unwrap().len(), 1);
    // A file with a bad row fails whole, with the line named; nothing is imported.
    let bad = "account_no,name,phone,address,usage_class,area_code\n\
               3300000103,孙八,13600003333,李村镇1号,residential,TA002\n\
               3300000104,周九,12,李村镇2号,residential,TA002\n";
    let r = admin
        .post(format!("{}/admin/import/customers", app.base))
        .body(bad)
        .send()
        .await
        .unwrap();
    let job = r.json::<serde_json::Value>().await.unwrap()["job"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..100 {
        state = admin
            .get(format!("{}/admin/imports/{job}", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state["state"], "failed", "{state}");
    assert!(
        state["message"].as_str().unwrap().contains("line 3"),
        "{state}"
    );
    assert!(
        app.svc
            .search_customers("孙八", 5)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn warnings_reach_the_inbox_and_the_customer(app: TestApp) {
    use serde_json::json;
    for text in [
        "电费怎么这么高",
        "电费还是很高，我要打12398投诉，找媒体曝光",
    ] {
        let (s, _) = app
            .post(
                Role::Agent,
                "/api/v1/work-orders",
                json!({"customer_account_no": "3300000002", "order_type": "consultation",
                       "channel": "hotline_95598", "subject": "tariff_bill", "title": "电费", "description": text}),
            )
            .await;
        assert!(s.is_success());
    }
    app.svc.process_rules().await.unwrap();
    // The agent's own warnings: the repeat contact.
    let (s, v) = app.get(Role::Agent, "/api/v1/warnings?mine=true").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["rule"], "repeat_contact");
    let id = v["items"][0]["id"].as_i64().unwrap();
    // The supervisor's: the complaint tendency.
    let (_, v) = app
        .get(Role::Supervisor, "/api/v1/warnings?rule=complaint_tendency")
        .await;
    assert_eq!(v["total"], 1, "{v}");
    // Identified by phone, the customer comes with the warnings.
    let (_, v) = app
        .get(Role::Agent, "/api/v1/customers/lookup?phone=13912345679")
        .await;
    let rules: Vec<&str> = v["items"][0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"repeat_contact"), "{v}");
    // Lifecycle over the API: a dismissal needs a reason.
    let (s, _) = app
        .post(
            Role::Agent,
            &format!("/api/v1/warnings/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            Role::Agent,
            &format!("/api/v1/warnings/{id}/dismiss"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "reason");
    let (s, w) = app
        .post(
            Role::Agent,
            &format!("/api/v1/warnings/{id}/dismiss"),
            json!({"reason": "同一户两次咨询，已解释清楚"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(w["status"], "dismissed");
    // The inbox page and the customer page show them.
    let sup = signed_in(&app, Role::Supervisor).await;
    let (s, html) = body(&sup, &app, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-rule=\"complaint_tendency\""));
    let agent = signed_in(&app, Role::Agent).await;
    let cid = app.svc.search_customers("5679", 1).await.unwrap()[0].id;
    let (_, html) = body(&agent, &app, &format!("/customers/{cid}")).await;
    assert!(html.contains("customer-warnings"));
    // Rules can be switched per station over the API.
    let station = app.svc.stations().await.unwrap()[0].id;
    let (s, _) = app
        .call(
            Some(Role::Admin),
            Method::PUT,
            &format!("/api/v1/stations/{station}/rules/repeat_contact"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app
        .get(Role::Admin, &format!("/api/v1/stations/{station}/rules"))
        .await;
    let rc = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "repeat_contact")
        .unwrap()
        .clone();
    assert_eq!(rc["enabled"], false);
}

async fn an_admin_edits_the_text_of_a_notice(app: TestApp) {
    use serde_json::json;
    let (s, v) = app.get(Role::Admin, "/api/v1/notice-templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "order.accepted" && t["channel"] == "sms")
    );
    let put = |body: serde_json::Value| {
        app.call(
            Some(Role::Admin),
            Method::PUT,
            "/api/v1/notice-templates/order.accepted/sms",
            Some(body),
        )
    };
    let (s, t) = put(json!({"body": "【城南供电所】您的诉求已受理，工单号{{ order_no }}。"})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert!(t["body"].as_str().unwrap().contains("城南供电所"));
    let (s, e) = put(json!({"body": "{{ order_no"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "body");
    let (s, _) = app
        .call(
            Some(Role::Agent),
            Method::PUT,
            "/api/v1/notice-templates/order.accepted/sms",
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app.get(Role::Auditor, "/api/v1/outbox/dead").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["items"].as_array().unwrap().is_empty());
}

/// The desk's search box finds customers by part of their address: a sub-district, a
/// sub-district and the start of a street, a village and what follows.
async fn the_desk_finds_customers_by_part_of_an_address(app: TestApp) {
    let agent = signed_in(&app, Role::Agent).await;
    let hits = |html: &str| html.matches("data-customer=\"").count();
    for (q, want) in [
        ("城南", 1),
        ("城南街道城", 1),
        ("城关路1号", 1),
        ("李村2组", 1),
        ("桐庐县", 3),
        ("城北", 0),
    ] {
        let (s, html) = body(&agent, &app, &format!("/desk/search?q={q}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(hits(&html), want, "{q}: {html}");
    }
    let (_, html) = body(&agent, &app, "/desk/search?q=城南").await;
    assert!(html.contains("张三"), "{html}");
}

crate::both!(
    the_desk_finds_customers_by_part_of_an_address,
    an_admin_edits_the_text_of_a_notice,
    warnings_reach_the_inbox_and_the_customer,
    sensitive_customers_show_a_banner_and_imports_report_progress,
    page_table,
    an_agent_takes_a_complaint_through_the_pages,
    pages_speak_chinese_and_english_on_request
);
