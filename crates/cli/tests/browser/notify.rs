//! The bell: a handler with the queue open sees an order dispatched to them arrive while the
//! page stays as it is (count and a short notice, over the WebSocket), opens the list and
//! marks it read.

use super::*;

/// The unread count the bell was last told (the badge reads 99+ beyond 99); -1 while the
/// bell cannot be read, e.g. when htmx swapped it between finding it and reading it (a stale
/// element): the callers poll until the count they wait for.
async fn bell_count(c: &Client) -> i64 {
    let Ok(e) = c.find(Locator::Id("bell")).await else {
        return -1;
    };
    e.attr("data-count")
        .await
        .ok()
        .flatten()
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_rings_the_handlers_bell_live() {
    let Some(w) = start().await else { return };
    let (customer, _) = some_customer(&w).await;
    let (_, handler_id) = api_as(&w, "handler1").await;
    let c = browser(&w).await;
    login(&c, &w, "handler1").await;
    c.goto(&format!("{}/queue", w.base)).await.unwrap();
    // The bell has connected once it knows the count.
    let c2 = c.clone();
    until("the bell to connect", Duration::from_secs(10), move || {
        let c = c2.clone();
        async move { bell_count(&c).await >= 0 }
    })
    .await;
    let before = loop {
        let n = bell_count(&c).await;
        if n >= 0 {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    shot(&c, "notify-01-queue-before").await;

    let agent = agent_api(&w).await;
    let o: serde_json::Value = agent
        .post(format!("{}/api/v1/work-orders", w.base))
        .json(&serde_json::json!({
            "customer_id": customer, "order_type": "repair", "channel": "hotline_95598",
            "title": "楼道灯不亮", "description": "客户反映整栋楼道灯不亮。"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = o["id"].as_i64().unwrap();
    let no = o["order_no"].as_str().unwrap().to_string();
    let depts: serde_json::Value = agent
        .get(format!("{}/api/v1/departments", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dept = depts["items"][0]["id"].as_i64().unwrap();
    let r = agent
        .post(format!("{}/api/v1/work-orders/{id}/dispatch", w.base))
        .json(&serde_json::json!({"department_id": dept, "assignee_id": handler_id}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // Without a reload: the count rises and the notice names the order.
    let c2 = c.clone();
    until(
        "the bell to count the dispatch",
        Duration::from_secs(15),
        move || {
            let c = c2.clone();
            async move { bell_count(&c).await > before }
        },
    )
    .await;
    let toast = text(&c, "#toast").await;
    assert!(toast.contains("派给你的工单"), "{toast}");
    assert!(toast.contains(&no), "{toast}");
    shot(&c, "notify-02-bell-rang").await;

    // The list shows it unread with a link to the order; marking it read lowers the count.
    click(&c, "bell").await;
    let row = text(&c, "#notifications tr.unread").await;
    assert!(row.contains(&no), "{row}");
    shot(&c, "notify-03-list").await;
    c.find(Locator::Css("#notifications tr.unread button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let c2 = c.clone();
    until(
        "the count to fall after marking read",
        Duration::from_secs(10),
        move || {
            let c = c2.clone();
            async move { bell_count(&c).await == before }
        },
    )
    .await;
    shot(&c, "notify-04-read").await;
}
