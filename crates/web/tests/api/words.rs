//! Every page, as every role sees it, speaks from the word table: in Chinese mode no
//! English words outside proper names and codes a person types (order numbers, user names,
//! kV), and in English mode no Chinese in the page's own headings, labels and buttons (the
//! data, such as names, addresses and titles, stays as typed).

use crate::pages::signed_in;
use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use voltdesk_domain::Role;
use voltdesk_web::pages::all as pages;

/// Words that may stand in a Chinese page: the product, the link to the English page, the
/// keys of the keyboard, units. Abbreviations and codes in capitals (SAIFI, GBK, ZJ-CN) are
/// allowed as they are.
const LATIN_ALLOWED: &[&str] = &[
    "voltdesk",
    "English",
    "Excel",
    "Ctrl",
    "Enter",
    "Esc",
    "kV",
    "OpenAPI",
    "Token",
    "WebSocket",
];

/// The text a person reads: tags, scripts and styles removed, entities of the escaper read.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let skip_to = if after.starts_with("<script") {
            after.find("</script>").map(|e| e + 9)
        } else if after.starts_with("<style") {
            after.find("</style>").map(|e| e + 8)
        } else {
            after.find('>').map(|e| e + 1)
        };
        match skip_to {
            Some(n) => rest = &after[n..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

/// Runs of three or more Latin letters that are not allowed words, nor part of a user name
/// (`agent1`), a code with digits, or an e-mail address.
fn english_words(text: &str, usernames: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_.@-".contains(c))) {
        let token = token.trim_matches(|c: char| ".-_".contains(c));
        if token.is_empty()
            || token.chars().any(|c| c.is_ascii_digit())
            || token.contains('@')
            || usernames.iter().any(|u| u == token)
        {
            continue;
        }
        let letters = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
        let capitals = !token.chars().any(|c| c.is_ascii_lowercase());
        if letters >= 3 && !capitals && !LATIN_ALLOWED.contains(&token) {
            found.push(token.to_string());
        }
    }
    found
}

/// The page's own words in English mode: headings, table headers, labels, buttons, the nav.
fn chrome_parts(html: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for tag in ["th", "label", "button", "h2", "nav", "legend", "summary"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = html;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let Some(e) = after.find(&close) else { break };
            // The element's content, after the attributes of its opening tag.
            let content = after[..e].split_once('>').map_or("", |(_, c)| c);
            parts.push(visible(content));
            rest = &after[e..];
        }
    }
    parts
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn every_page_speaks_from_the_word_table(app: TestApp) {
    // Something on every page: an order on a customer, dispatched.
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_id": 1, "order_type": "complaint", "channel": "hotline_95598",
                "subject": "outage", "title": "反复停电", "description": "本周停电三次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let order = o["id"].as_i64().unwrap();
    // ... grouped under a problem, so that the problem's page has it.
    let (s, pr) = app
        .post(
            Role::Supervisor,
            "/api/v1/problems",
            json!({"station_id": o["station_id"], "title": "线路频繁跳闸"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pr}");
    let problem = pr["id"].as_i64().unwrap();
    let (s, v) = app
        .call(
            Some(Role::Supervisor),
            reqwest::Method::PUT,
            &format!("/api/v1/work-orders/{order}/problem"),
            Some(json!({ "problem_id": problem })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A reply template for the order's subject, and a saved filter of every user's.
    let (s, t) = app
        .post(
            Role::Admin,
            "/api/v1/reply-templates",
            json!({"name": "停电致歉", "subject": "outage", "body": "尊敬的{客户姓名}：工单{工单号}已处理。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    for role in Role::ALL {
        let (s, f) = app
            .post(
                *role,
                "/api/v1/saved-filters",
                json!({"name": "超时工单", "query": "overdue=true"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
    }
    // A recorded call, and a contact centre running with a call waiting, so that /calls
    // draws its records, queues and agents and the agent's widget its state.
    let agent = app.users[&Role::Agent];
    app.svc
        .record_call(crate::calls::answered("w-1", crate::support::T0, agent))
        .await
        .unwrap();
    app.svc
        .set_switchboard(std::sync::Arc::new(crate::calls::Busy { agent }));
    let usernames: Vec<String> = Role::ALL.iter().map(|r| format!("{}1", r.code())).collect();
    let mut walked = 0;
    let mut problems = Vec::new();
    for role in Role::ALL {
        for english in [false, true] {
            let c = signed_in(&app, *role).await;
            if english {
                c.get(format!("{}/lang/en?next=/", app.base))
                    .send()
                    .await
                    .unwrap();
            }
            for page in pages().filter(|p| p.method == "GET") {
                if page.path.ends_with("/ws")
                    || page.path.starts_with("/static")
                    || page.path.starts_with("/lang")
                    || page.path == "/logout"
                {
                    continue;
                }
                let path = page
                    .path
                    .replace("{id}", &order.to_string())
                    .replace("{kind}", "customers")
                    .replace("{job}", "none")
                    .replace("{action}", "reply")
                    .replace("{step}", "acknowledge");
                let path = if path.starts_with("/customers/") {
                    path.replacen(&order.to_string(), "1", 1)
                } else if page.path.starts_with("/problems/") {
                    page.path.replace("{id}", &problem.to_string())
                } else {
                    path
                };
                let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
                let html_page = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("text/html"));
                if r.status() == StatusCode::FORBIDDEN || !html_page {
                    continue;
                }
                let html = r.text().await.unwrap();
                let lang = if english {
                    "lang=\"en\""
                } else {
                    "lang=\"zh-CN\""
                };
                // A whole page says its language; a fragment (search hits) has none.
                assert!(
                    !html.contains("<html") || html.contains(lang),
                    "{role} {path} is not in {lang}"
                );
                walked += 1;
                if english {
                    for part in chrome_parts(&html) {
                        if has_chinese(&part) {
                            problems.push(format!("{role} en {path}: {}", part.trim()));
                        }
                    }
                } else {
                    for w in english_words(&visible(&html), &usernames) {
                        problems.push(format!("{role} zh {path}: {w}"));
                    }
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(walked > 100, "walked {walked} pages");
    assert!(
        problems.is_empty(),
        "{} words not from the word table:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_walk_sees_what_a_person_reads() {
    let html = "<p title=\"x\">受理 <b>Order</b> GD2026 agent1 <script>var x;</script>kV</p>";
    let text = visible(html);
    assert!(!text.contains("var"));
    assert_eq!(english_words(&text, &["agent1".into()]), vec!["Order"]);
    assert!(english_words("SAIFI ZJ-CN kV Ctrl", &[]).is_empty());
    assert_eq!(
        chrome_parts("<th>工单</th><thead><button id=a>Save</button>"),
        vec!["工单", "Save"]
    );
    assert_eq!(chrome_parts("<th title=\"说明\">Time</th>"), vec!["Time"]);
}

crate::both!(
    every_page_speaks_from_the_word_table,
    generated_texts_follow_the_language
);

/// What the system wrote (a warning's title, an escalation's reason) reads in the page's
/// language.
async fn generated_texts_follow_the_language(app: TestApp) {
    let (s, o) = app
        .post(
            Role::Agent,
            "/api/v1/work-orders",
            json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "app", "title": "没电"}),
        )
        .await;
    assert!(s.is_success(), "{o}");
    let order = o["id"].as_i64().unwrap();
    app.clock.advance(37 * voltdesk_domain::MINUTE_MS);
    app.svc.fire_due().await.unwrap();
    app.clock.advance(9 * voltdesk_domain::MINUTE_MS);
    app.svc.fire_due().await.unwrap();
    app.svc.process_rules().await.unwrap();
    let c = signed_in(&app, Role::Supervisor).await;
    let get = |path: String| {
        let c = c.clone();
        async move { c.get(path).send().await.unwrap().text().await.unwrap() }
    };
    let zh = get(format!("{}/warnings?status=all", app.base)).await;
    assert!(
        zh.contains("时限即将到期") && zh.contains("时限已超期"),
        "{zh}"
    );
    c.get(format!("{}/lang/en?next=/", app.base))
        .send()
        .await
        .unwrap();
    let en = get(format!("{}/warnings?status=all", app.base)).await;
    assert!(
        en.contains("deadline near") && en.contains("deadline missed"),
        "{en}"
    );
    assert!(
        !en.contains("时限即将到期") && !en.contains("时限已超期"),
        "{en}"
    );
    let page = get(format!("{}/orders/{order}", app.base)).await;
    assert!(
        page.contains("deadline missed"),
        "the escalation's reason: {page}"
    );
    assert!(!page.contains("时限已超期"), "{page}");
}
