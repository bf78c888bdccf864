//! What an attacker tries against a signed-in browser: redirects off-site, forms posted from
//! another origin, JSON sent as a plain form, pages framed or sniffed.

use crate::support::TestApp;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(app: &TestApp, next: &str) -> (reqwest::Client, reqwest::Response) {
    let c = client();
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[
            ("username", "agent1"),
            ("password", "correct horse"),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    (c, r)
}

async fn next_only_leads_to_this_server(app: TestApp) {
    let c = client();
    for (next, want) in [
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil", "/"),
        ("/%0a/evil", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%5C%5Cevil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("https://evil.example/", "/"),
        ("/desk?q=%E5%9F%8E%E5%8D%97", "/desk?q=%E5%9F%8E%E5%8D%97"),
    ] {
        let r = c
            .get(format!("{}/lang/en", app.base))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()["location"], want, "{next:?}");
    }
    // The sign-in follows the same rule.
    let (_, r) = sign_in(&app, "/%09/evil.example").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/desk", "the agent's home instead");
    let (_, r) = sign_in(&app, "/queue").await;
    assert_eq!(r.headers()["location"], "/queue");
}

async fn forms_from_another_origin_are_refused(app: TestApp) {
    let (c, _) = sign_in(&app, "/").await;
    // A page on another port of this host posts the sign-out (and any other form).
    for site in ["cross-site", "same-site"] {
        let r = c
            .post(format!("{}/logout", app.base))
            .header("sec-fetch-site", site)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
    }
    let r = c
        .post(format!("{}/logout", app.base))
        .header("origin", "http://127.0.0.1:1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "foreign Origin");
    // Login CSRF: a foreign page may not sign the victim in as someone else.
    let r = client()
        .post(format!("{}/login", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "agent1"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "login from elsewhere");
    assert!(r.headers().get("set-cookie").is_none());
    // The session still works, and its own pages may post.
    let r = c.get(format!("{}/desk", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "still signed in");
    let r = c
        .post(format!("{}/logout", app.base))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "own page signs out");
}

async fn cookie_api_takes_only_json_from_its_own_pages(app: TestApp) {
    let (c, _) = sign_in(&app, "/").await;
    // A plain HTML form can send text/plain without asking: refused before anything runs.
    let r = c
        .post(format!("{}/api/v1/work-orders", app.base))
        .header("content-type", "text/plain")
        .body(r#"{"customer":{"phone":"13800000000"},"text":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    // No content type at all is no JSON either.
    let r = c
        .post(format!("{}/api/v1/work-orders", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // JSON from another site's script is refused by where it comes from.
    let r = c
        .post(format!("{}/api/v1/work-orders", app.base))
        .header("sec-fetch-site", "same-site")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
    // JSON from its own page reaches the handler (which judges the body).
    let r = c
        .post(format!("{}/api/v1/work-orders", app.base))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        r.status()
    );
    // A bearer token carries no ambient credential: its client may send what it likes.
    let (s, _) = app
        .call(
            Some(voltdesk_domain::Role::Agent),
            reqwest::Method::GET,
            "/api/v1/work-orders",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn pages_forbid_framing_sniffing_and_inline_script(app: TestApp) {
    let (c, _) = sign_in(&app, "/").await;
    for path in ["/login", "/desk", "/api/v1/health"] {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(
            !csp.split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe"))
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    // No page carries an inline script that the policy would block (data blocks are fine).
    for path in ["/desk", "/login"] {
        let html = c
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for tag in html.split("<script").skip(1) {
            let head = tag.split('>').next().unwrap_or("");
            assert!(
                head.contains("src=") || head.contains("application/json"),
                "{path}: inline <script{head}>"
            );
        }
    }
}

/// Text that would break or disguise a page: too long, invisible, or with control and
/// direction characters. Refused at the door, naming the field.
async fn names_and_titles_must_be_plain_visible_lines(app: TestApp) {
    use voltdesk_domain::Role;
    let user = |name: String| json!({"username": "clerk9", "display_name": name, "role": "agent", "password": "correct horse battery"});
    for bad in [
        "长".repeat(300),
        "\u{200B}\u{200D}".into(),
        "admin\u{202E}nimda".into(),
        "a\u{1b}[2Jb".into(),
    ] {
        let (s, e) = app
            .post(Role::Admin, "/api/v1/users", user(bad.clone()))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {e}");
        assert_eq!(e["error"]["field"], "display_name", "{e}");
    }
    let (s, _) = app
        .post(Role::Admin, "/api/v1/users", user("柜台 九号".into()))
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let order = |title: &str| {
        json!({"customer_account_no": "3300000001", "order_type": "complaint", "channel": "hotline_95598",
        "subject": "outage", "title": title, "description": "本月第三次停电"})
    };
    for bad in [
        "停电\u{0}",
        "\u{1b}[31m停电",
        "停电\u{202E}理处人无",
        "\u{200B}\u{200B}",
    ] {
        let (s, e) = app
            .post(Role::Agent, "/api/v1/work-orders", order(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {e}");
        assert_eq!(e["error"]["field"], "title", "{e}");
    }
}

/// Paths and queries that do not fit: the JSON error in the API, the "not found" page in the
/// pages; a far page is refused, not the first page again; a kind with LIKE wildcards
/// matches only itself.
async fn odd_paths_and_queries_get_stable_answers(app: TestApp) {
    use voltdesk_domain::Role;
    for path in [
        "/api/v1/customers/abc",
        "/api/v1/customers/abc/trace",
        "/api/v1/customers/99999999999999999999999",
        "/api/v1/work-orders/abc/trace",
    ] {
        let (s, e) = app.get(Role::Agent, path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {e}");
        assert_eq!(e["error"]["code"], "not_found", "{path}: {e}");
    }
    let (s, e) = app
        .post(Role::Admin, "/api/v1/users/x/unlock", json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["code"], "not_found", "{e}");
    let c = crate::pages::signed_in(&app, Role::Agent).await;
    for path in ["/customers/abc", "/orders/GD2026%E2%80%A6", "/orders/x"] {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"not-found-home\""), "{path}: {body}");
        assert!(
            !body.contains("Invalid URL") && !body.contains("Cannot parse"),
            "{body}"
        );
    }

    for q in [
        "page=9223372036854775807",
        "page=4611686018427387904&per_page=2",
    ] {
        let (s, e) = app
            .get(Role::Agent, &format!("/api/v1/work-orders?{q}"))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {e}");
        assert_eq!(e["error"]["code"], "invalid_query", "{e}");
        assert_eq!(e["error"]["field"], "page", "{e}");
    }

    // Sign-ins are on the trail; `%` and `_` in the kind are letters, not wildcards.
    let _ = crate::pages::signed_in(&app, Role::Auditor).await;
    let (s, all) = app.get(Role::Auditor, "/api/v1/audit?kind=user.").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert!(!all["items"].as_array().unwrap().is_empty(), "{all}");
    for kind in ["%25", "user%25", "user_signed%25", "_"] {
        let (s, got) = app
            .get(Role::Auditor, &format!("/api/v1/audit?kind={kind}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{got}");
        assert_eq!(got["items"].as_array().unwrap().len(), 0, "{kind}: {got}");
    }
}

crate::both!(
    passwords_follow_the_policy,
    odd_paths_and_queries_get_stable_answers,
    names_and_titles_must_be_plain_visible_lines,
    next_only_leads_to_this_server,
    forms_from_another_origin_are_refused,
    cookie_api_takes_only_json_from_its_own_pages,
    pages_forbid_framing_sniffing_and_inline_script,
);

/// New and changed passwords follow the policy: long enough, not the user name, not common;
/// the refusal names the field.
async fn passwords_follow_the_policy(app: TestApp) {
    use voltdesk_domain::Role;
    let user = |pw: &str| json!({"username": "clerk7", "display_name": "柜台七号", "role": "agent", "password": pw});
    for bad in [
        "short1",
        "12345678",
        "Password123",
        "clerk7-2026!",
        "qqqqqqqqqq",
    ] {
        let (s, e) = app.post(Role::Admin, "/api/v1/users", user(bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
        assert_eq!(e["error"]["field"], "password", "{e}");
    }
    let (s, made) = app
        .post(Role::Admin, "/api/v1/users", user("tea kettle 42"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    let (s, e) = app
        .call(
            Some(Role::Admin),
            reqwest::Method::PUT,
            &format!("/api/v1/users/{id}/password"),
            Some(json!({"password": "iloveyou"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "password", "{e}");
    let (s, e) = app
        .call(
            Some(Role::Agent),
            reqwest::Method::PUT,
            "/api/v1/session/password",
            Some(json!({"current_password": "correct horse", "new_password": "agent1agent1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "new_password", "{e}");
}
