//! Paper: an order and a customer page as they print (print media emulated in Chromium, and
//! the browser's own print to PDF).

use super::*;
use fantoccini::wd::{PrintConfiguration, WebDriverCompatibleCommand};

/// ChromeDriver's pass-through to the DevTools protocol, for what WebDriver cannot say:
/// here, "render as for print".
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.0, "params": self.1});
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn media(c: &Client, media: &str) {
    c.issue_cmd(Cdp(
        "Emulation.setEmulatedMedia",
        serde_json::json!({ "media": media }),
    ))
    .await
    .unwrap();
}

async fn display(c: &Client, css: &str) -> String {
    c.execute(
        "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).display : 'absent';",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or("")
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_and_a_customer_print_without_the_desk_around_them() {
    let Some(w) = start().await else { return };
    let (customer, _) = some_customer(&w).await;
    let c = browser(&w).await;
    login(&c, &w, "supervisor1").await;

    // The customer page, on screen and on paper.
    c.goto(&format!("{}/customers/{customer}", w.base))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("who")).await.unwrap();
    assert_ne!(display(&c, "header.top").await, "none");
    media(&c, "print").await;
    assert_eq!(
        display(&c, "header.top").await,
        "none",
        "no navigation on paper"
    );
    shot(&c, "print-customer").await;
    media(&c, "screen").await;

    // An order from the supervisor's queue (or the board).
    let mut href = None;
    for page in ["/queue?scope=team", "/queue?scope=grid", "/board"] {
        if href.is_some() {
            break;
        }
        c.goto(&format!("{}{page}", w.base)).await.unwrap();
        c.wait().for_element(Locator::Id("who")).await.unwrap();
        if let Ok(a) = c.find(Locator::Css("main a[href^='/orders/']")).await {
            href = a.attr("href").await.unwrap();
        }
    }
    let href = href.expect("an order the supervisor can open");
    c.goto(&format!("{}{href}", w.base)).await.unwrap();
    c.wait().for_element(Locator::Id("status")).await.unwrap();
    let number = text(&c, "h1").await;
    assert_ne!(display(&c, "#actions").await, "none", "actions on screen");
    media(&c, "print").await;
    assert_eq!(display(&c, "header.top").await, "none");
    let actions = display(&c, "#actions").await;
    assert!(
        actions == "none" || actions == "absent",
        "no action forms on paper: {actions}"
    );
    assert_eq!(display(&c, "main form").await.as_str(), "none");
    assert_ne!(
        display(&c, "#status").await,
        "none",
        "the record itself prints"
    );
    shot(&c, "print-order").await;
    media(&c, "screen").await;

    // The browser's own print: a PDF of the order.
    let pdf = c.print(PrintConfiguration::default()).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    assert!(
        pdf.len() > 10_000,
        "a PDF with the order on it ({} bytes)",
        pdf.len()
    );
    std::fs::write(shots().join("print-order.pdf"), pdf).unwrap();
    assert!(!number.trim().is_empty());
    c.close().await.unwrap();
}
