//! The pages in a real browser: the `voltdesk demo` binary on a small county, driven through
//! ChromeDriver in headless Debian Chromium at 1366×768. Each step saves a screenshot in
//! `target/browser-screenshots/`.
//!
//! Needs `chromium` and `chromium-driver` (CI installs them). Without them the test fails,
//! unless `VOLTDESK_SKIP_BROWSER=1` says to skip it on purpose.
//!
//! This file holds the shared steps (start a demo, open a browser, sign in, screenshots) and
//! the every-role journey; each feature's journeys live in a module beside it.

mod attachments;
mod board;
mod calls;
mod forms;
mod handling;
mod lifecycle;
mod notify;
mod print;
mod search;
mod templates_filters;
mod users;

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_voltdesk");
const PASSWORD: &str = "voltdesk-demo";

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_http(url: &str, within: Duration) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            start.elapsed() < within,
            "{url} did not answer within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct World {
    base: String,
    _server: Proc,
    _driver: Proc,
    driver_url: String,
    _dir: tempfile::TempDir,
}

async fn start() -> Option<World> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let driver = ["/usr/bin/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    if chromium.is_none() || driver.is_none() {
        if std::env::var("VOLTDESK_SKIP_BROWSER").as_deref() == Ok("1") {
            eprintln!("browser test skipped: VOLTDESK_SKIP_BROWSER=1 and no chromium");
            return None;
        }
        panic!(
            "the browser test needs Debian's chromium and chromium-driver \
             (apt-get install chromium chromium-driver), or VOLTDESK_SKIP_BROWSER=1"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Proc(
        Command::new(BIN)
            .args([
                "demo",
                "--customers",
                "3000",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .current_dir(dir.path())
            .env(
                "VOLTDESK_DATABASE",
                format!("sqlite://{}/demo.db", dir.path().display()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&format!("{base}/api/v1/health"), Duration::from_secs(120)).await;
    let dport = free_port();
    let drv = Proc(
        Command::new(driver.unwrap())
            .arg(format!("--port={dport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_url = format!("http://127.0.0.1:{dport}");
    wait_http(&format!("{driver_url}/status"), Duration::from_secs(30)).await;
    Some(World {
        base,
        _server: server,
        _driver: drv,
        driver_url,
        _dir: dir,
    })
}

async fn browser(w: &World) -> Client {
    // Two TLS back-ends are linked (one for the HTTP client of the notices, one here); say
    // which one the WebDriver client uses. Loopback needs no TLS anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1366,768",
                "--lang=zh-CN", format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&w.driver_url)
        .await
        .expect("chromedriver session")
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn login(c: &Client, w: &World, user: &str) {
    c.goto(&format!("{}/login", w.base)).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("who"))
        .await
        .unwrap_or_else(|e| panic!("{user} did not get past the sign-in page: {e}"));
}

async fn logout(c: &Client, w: &World) {
    c.goto(&format!("{}/login", w.base)).await.unwrap();
    c.delete_all_cookies().await.unwrap();
}

/// Clicks the element with this id, as a person would.
async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks the first element the CSS selector finds, as a person would.
async fn click_css(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Picks an option of a select by clicking it, as a person would (so `change` fires).
async fn choose(c: &Client, select: &str, value: &str) {
    c.find(Locator::Css(&format!("{select} option[value='{value}']")))
        .await
        .unwrap_or_else(|e| panic!("no option {value} in {select}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_string()
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until the element's text is `want` (after a form posts, the old page may still be
/// there for a moment).
async fn wait_text(c: &Client, css: &str, want: &str) {
    let (c2, css2, want2) = (c.clone(), css.to_string(), want.to_string());
    until(
        &format!("{css} to read {want}"),
        Duration::from_secs(10),
        move || {
            let (c, css, want) = (c2.clone(), css2.clone(), want2.clone());
            async move {
                match c.find(Locator::Css(&css)).await {
                    Ok(e) => e.text().await.map(|t| t.trim() == want).unwrap_or(false),
                    Err(_) => false,
                }
            }
        },
    )
    .await;
}

/// Waits until `check` holds, polling.
async fn until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// An HTTP client signed in to the API as agent1, for setting up what a journey starts from.
async fn agent_api(w: &World) -> reqwest::Client {
    signed_in_api(w, "agent1").await
}

/// An HTTP client signed in to the API as `user`.
/// An API client signed in as `user`, and their user id.
async fn api_as(w: &World, user: &str) -> (reqwest::Client, i64) {
    let http = signed_in_api(w, user).await;
    let me: serde_json::Value = http
        .get(format!("{}/api/v1/me", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (http, me["user_id"].as_i64().unwrap())
}

async fn signed_in_api(w: &World, user: &str) -> reqwest::Client {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/api/v1/session", w.base))
        .json(&serde_json::json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    http
}

/// A customer of the demo county and their full phone number, read through the API as the
/// agent (who may reveal numbers).
async fn some_customer(w: &World) -> (i64, String) {
    let http = agent_api(w).await;
    let list: serde_json::Value = http
        .get(format!("{}/api/v1/customers?per_page=50", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for c in list["items"].as_array().unwrap() {
        let id = c["id"].as_i64().unwrap();
        let full: serde_json::Value = http
            .get(format!("{}/api/v1/customers/{id}?reveal=true", w.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(p) = full["phone"].as_str()
            && p.len() == 11
            && !full["sensitive"].as_bool().unwrap_or(false)
        {
            return (id, p.to_string());
        }
    }
    panic!("no customer with a mobile number in the demo county");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_works_in_the_browser() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;

    // 1. Each role signs in and lands on its own home.
    for (user, home, marker) in [
        ("agent1", "/desk", "#q"),
        ("handler1", "/queue", "h1"),
        ("grid1", "/queue", "h1"),
        ("crew1", "/queue", "h1"),
        ("supervisor1", "/board", "#board-panel"),
        ("analyst1", "/dashboard", "#chart-type"),
        ("admin1", "/admin", "#users"),
        ("auditor1", "/audit", "h1"),
    ] {
        login(&c, &w, user).await;
        assert_eq!(path(&c).await, home, "{user}'s home");
        c.wait().for_element(Locator::Css(marker)).await.unwrap();
        shot(&c, &format!("home-{user}")).await;
        logout(&c, &w).await;
    }

    // 2. The agent finds a customer by part of the phone number and records a complaint.
    let (customer_id, phone) = some_customer(&w).await;
    login(&c, &w, "agent1").await;
    let q = c.find(Locator::Id("q")).await.unwrap();
    // The last six digits, as callers give them (尾号).
    q.send_keys(&phone[5..]).await.unwrap();
    let hit = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!(
            ".results a.hit[data-customer='{customer_id}']"
        )))
        .await
        .expect("the customer is among the hits for the last six digits");
    shot(&c, "agent-desk").await;
    hit.click().await.unwrap();
    c.wait()
        .for_element(Locator::Id("new-order"))
        .await
        .unwrap();
    assert_eq!(path(&c).await, format!("/customers/{customer_id}"));
    shot(&c, "agent-customer").await;
    // Keyboard shortcut "n" opens the new order form.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("n")
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("order-form"))
        .await
        .unwrap();
    let before = text(&c, "#preview").await;
    choose(&c, "#order_type", "complaint").await;
    // The deadlines shown before saving follow the type.
    until(
        "the deadlines of a complaint",
        Duration::from_secs(10),
        || {
            let c = c.clone();
            let before = before.clone();
            async move {
                match c.find(Locator::Css("#preview")).await {
                    Ok(e) => e.text().await.map(|t| t != before).unwrap_or(false),
                    Err(_) => false,
                }
            }
        },
    )
    .await;
    choose(&c, "#subject", "outage").await;
    c.find(Locator::Id("title"))
        .await
        .unwrap()
        .send_keys("反复停电投诉")
        .await
        .unwrap();
    c.find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("本周已停电三次，每次两小时以上，客户要求说明原因并尽快处理。")
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#preview table tr"))
        .await
        .unwrap();
    shot(&c, "agent-new-complaint").await;
    c.find(Locator::Id("save-order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    let order_path = path(&c).await;
    assert!(order_path.starts_with("/orders/"), "{order_path}");
    let order_id: i64 = order_path["/orders/".len()..].parse().unwrap();
    assert!(text(&c, ".flash.ok").await.contains("GD"));
    assert!(text(&c, "h1").await.contains("投诉"));
    // The agent dispatches it to the distribution department, to handler1.
    c.find(Locator::Css("#act-dispatch summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let dispatch = c.form(Locator::Css("#act-dispatch form")).await.unwrap();
    let handler_option = c
        .find(Locator::XPath(
            "//details[@id='act-dispatch']//select[@name='assignee_id']/option[contains(., '刘强')]",
        ))
        .await
        .unwrap();
    handler_option.click().await.unwrap();
    let dept_option = c
        .find(Locator::XPath(
            "//details[@id='act-dispatch']//select[@name='department_id']/option[contains(., '配电')]",
        ))
        .await
        .unwrap();
    dept_option.click().await.unwrap();
    dispatch.submit().await.unwrap();
    wait_text(&c, "#status", "已派单").await;
    shot(&c, "agent-dispatched").await;
    logout(&c, &w).await;

    // 3. The handler finds it in the queue, acknowledges and replies.
    login(&c, &w, "handler1").await;
    c.wait()
        .for_element(Locator::Css(&format!("a[href='/orders/{order_id}']")))
        .await
        .expect("the dispatched complaint is in handler1's queue")
        .click()
        .await
        .unwrap();
    shot(&c, "handler-order").await;
    c.find(Locator::Css("#act-acknowledge summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.form(Locator::Css("#act-acknowledge form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    wait_text(&c, "#status", "已接单").await;
    c.find(Locator::Css("#act-reply summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#act-reply textarea[name=text]"))
        .await
        .unwrap()
        .send_keys("经查为台区线路老化导致跳闸，已更换线路并恢复正常供电。")
        .await
        .unwrap();
    c.form(Locator::Css("#act-reply form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    wait_text(&c, "#status", "已回单").await;
    assert!(text(&c, "#reply-text").await.contains("线路老化"));
    shot(&c, "handler-replied").await;
    logout(&c, &w).await;

    // 4. The supervisor keeps the board open in one window and records a dissatisfied
    //    return visit in another: the board shows the order reopened without reloading.
    login(&c, &w, "supervisor1").await;
    c.wait()
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    c.execute("window.__notReloaded = true;", vec![])
        .await
        .unwrap();
    let board_window = c.window().await.unwrap();
    let second = c.new_window(true).await.unwrap();
    c.switch_to_window(second.handle).await.unwrap();
    c.goto(&format!("{}/orders/{order_id}", w.base))
        .await
        .unwrap();
    c.find(Locator::Css("#act-return_visit summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let form = c
        .form(Locator::Css("#act-return_visit form"))
        .await
        .unwrap();
    choose(
        &c,
        "#act-return_visit select[name=satisfaction]",
        "dissatisfied",
    )
    .await;
    c.find(Locator::Css("#act-return_visit textarea[name=text]"))
        .await
        .unwrap()
        .send_keys("客户对处理结果不满意，要求彻底解决")
        .await
        .unwrap();
    form.submit().await.unwrap();
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    assert!(
        text(&c, "h1").await.contains("重新处理"),
        "reopened after a dissatisfied visit"
    );
    c.close_window().await.unwrap();
    c.switch_to_window(board_window).await.unwrap();
    let reopened = format!("#reopened tr[data-order='{order_id}']");
    until(
        "the reopened order on the board",
        Duration::from_secs(10),
        || {
            let c = c.clone();
            let css = reopened.clone();
            async move { c.find(Locator::Css(&css)).await.is_ok() }
        },
    )
    .await;
    let still = c
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        still,
        serde_json::json!(true),
        "the board page was reloaded"
    );
    shot(&c, "supervisor-board").await;
    // The warnings inbox (live like the board) and the outage board.
    c.goto(&format!("{}/warnings", w.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#warnings-panel"))
        .await
        .unwrap();
    shot(&c, "supervisor-warnings").await;
    logout(&c, &w).await;
    login(&c, &w, "grid1").await;
    c.goto(&format!("{}/outages", w.base)).await.unwrap();
    c.wait().for_element(Locator::Id("recent")).await.unwrap();
    shot(&c, "grid-outages").await;
    logout(&c, &w).await;

    // 5. The analyst's charts render with data.
    login(&c, &w, "analyst1").await;
    until("the dashboard's charts", Duration::from_secs(10), || {
        let c = c.clone();
        async move {
            c.execute("return Number(document.body.dataset.charts || 0);", vec![])
                .await
                .map(|v| v.as_i64().unwrap_or(0) >= 4)
                .unwrap_or(false)
        }
    })
    .await;
    let canvases = c.find_all(Locator::Css(".chart canvas")).await.unwrap();
    assert!(canvases.len() >= 4, "{} charts drawn", canvases.len());
    let volume: i64 = text(&c, "#k-volume").await.trim().parse().unwrap();
    assert!(volume > 0, "the dashboard shows orders");
    // Count charts start at zero and tick at whole numbers only.
    for id in ["chart-type", "chart-channel", "chart-class"] {
        until("the chart's axis", Duration::from_secs(10), || {
            let c = c.clone();
            async move {
                c.execute(
                    "return !!document.getElementById(arguments[0]).dataset.yTicks;",
                    vec![serde_json::json!(id)],
                )
                .await
                .map(|v| v.as_bool().unwrap_or(false))
                .unwrap_or(false)
            }
        })
        .await;
        let (min, ticks) = c
            .execute(
                "const e = document.getElementById(arguments[0]); return [e.dataset.yMin, e.dataset.yTicks || ''];",
                vec![serde_json::json!(id)],
            )
            .await
            .map(|v| {
                (
                    v[0].as_str().unwrap_or("").to_string(),
                    v[1].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap();
        assert_eq!(min, "0", "{id} starts at zero");
        assert!(!ticks.is_empty(), "{id} has ticks");
        for t in ticks.split(' ') {
            assert!(
                t.parse::<f64>().is_ok_and(|x| x.fract() == 0.0),
                "{id} ticks at whole numbers: {ticks}"
            );
        }
    }
    shot(&c, "analyst-dashboard").await;
    // The reliability page draws its charts from the demo county's outages.
    c.goto(&format!("{}/reliability", w.base)).await.unwrap();
    c.wait().for_element(Locator::Id("indices")).await.unwrap();
    until("the reliability charts", Duration::from_secs(10), || {
        let c = c.clone();
        async move {
            c.execute("return Number(document.body.dataset.charts || 0);", vec![])
                .await
                .map(|v| v.as_i64().unwrap_or(0) >= 1)
                .unwrap_or(false)
        }
    })
    .await;
    shot(&c, "analyst-reliability").await;
    // English on request.
    c.find(Locator::Id("lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("html[lang=en]"))
        .await
        .unwrap();
    assert!(text(&c, "header nav").await.contains("Dashboard"));
    c.find(Locator::Id("lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("html[lang=zh-CN]"))
        .await
        .unwrap();

    c.close().await.unwrap();
}
