//! The order page's other lifecycle moves: merging a duplicate into the customer's earlier
//! order (the target typed or picked from the customer's open orders), asking a second
//! department to help (协办), and pausing and resuming the clocks with a reason.

use super::*;

/// Two open orders of one customer, taken through the API as agent1: (first, second) ids
/// and the first one's number.
async fn two_orders(w: &World, customer: i64) -> (i64, i64, String) {
    let http = agent_api(w).await;
    let mut made = Vec::new();
    for title in ["电费突然翻倍", "电费翻倍，再次来电"] {
        let o: serde_json::Value = http
            .post(format!("{}/api/v1/work-orders", w.base))
            .json(&serde_json::json!({
                "customer_id": customer, "order_type": "complaint", "channel": "hotline_95598",
                "subject": "tariff_bill", "title": title,
                "description": "客户反映本月电费是上月两倍，怀疑电表有问题。"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        made.push((
            o["id"].as_i64().unwrap(),
            o["order_no"].as_str().unwrap().to_string(),
        ));
    }
    (made[0].0, made[1].0, made[0].1.clone())
}

async fn open_action(c: &Client, action: &str) {
    c.find(Locator::Css(&format!("#act-{action} summary")))
        .await
        .unwrap_or_else(|e| panic!("no {action} on the page: {e}"))
        .click()
        .await
        .unwrap();
}

async fn submit(c: &Client, action: &str) {
    c.form(Locator::Css(&format!("#act-{action} form")))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_merges_pauses_and_asks_for_help_from_the_order_page() {
    let Some(w) = start().await else { return };
    let (customer, _) = some_customer(&w).await;
    let (first, second, first_no) = two_orders(&w, customer).await;
    let c = browser(&w).await;
    login(&c, &w, "agent1").await;

    // Pause the first order's clocks with a reason, then resume them.
    c.goto(&format!("{}/orders/{first}", w.base)).await.unwrap();
    open_action(&c, "pause").await;
    c.find(Locator::Css("#act-pause textarea[name=text]"))
        .await
        .unwrap()
        .send_keys("客户出差，要求下周再联系")
        .await
        .unwrap();
    submit(&c, "pause").await;
    c.wait()
        .for_element(Locator::Css("#act-resume"))
        .await
        .expect("paused clocks can be resumed");
    let clocks = text(&c, "table").await;
    assert!(clocks.contains("已暂停"), "{clocks}");
    assert!(text(&c, "#timeline").await.contains("客户出差"));
    shot(&c, "lifecycle-paused").await;
    open_action(&c, "resume").await;
    submit(&c, "resume").await;
    c.wait()
        .for_element(Locator::Css("#act-pause"))
        .await
        .expect("running again");
    assert!(c.find(Locator::Css("#act-resume")).await.is_err());

    // Sent to marketing (a bill belongs there), which asks distribution to help.
    open_action(&c, "dispatch").await;
    submit(&c, "dispatch").await;
    wait_text(&c, "#status", "已派单").await;
    assert!(text(&c, "#handling").await.ends_with("营销"));
    open_action(&c, "co_handle").await;
    let dept = c
        .find(Locator::XPath(
            "//details[@id='act-co_handle']//select[@name='department_id']/option[contains(., '配电')]",
        ))
        .await
        .unwrap();
    let dept_name = dept.text().await.unwrap();
    dept.click().await.unwrap();
    submit(&c, "co_handle").await;
    wait_text(&c, "#co-handling", &dept_name).await;
    shot(&c, "lifecycle-co-handled").await;

    // The second call is a duplicate: a wrong number is refused in words, the form kept.
    c.goto(&format!("{}/orders/{second}", w.base))
        .await
        .unwrap();
    open_action(&c, "merge").await;
    let picks = c
        .execute(
            "return Array.from(document.querySelectorAll('#merge-targets option')).map(o => o.value)",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        picks
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str() == Some(first_no.as_str())),
        "the customer's earlier order is offered: {picks}"
    );
    let into = c.find(Locator::Id("merge-into")).await.unwrap();
    into.send_keys("GD2020010100000001").await.unwrap();
    submit(&c, "merge").await;
    wait_text(&c, "#merge-into-error", "没有这个在办工单，请检查工单号").await;
    shot(&c, "lifecycle-merge-refused").await;
    let into = c.find(Locator::Id("merge-into")).await.unwrap();
    assert_eq!(
        into.prop("value").await.unwrap().as_deref(),
        Some("GD2020010100000001")
    );
    into.clear().await.unwrap();
    into.send_keys(&first_no).await.unwrap();
    submit(&c, "merge").await;
    wait_text(&c, "#status", "已合并").await;
    assert!(text(&c, "#timeline").await.contains("合并"));
    shot(&c, "lifecycle-merged").await;
}
