//! The order's forms in the browser: the limits stop over-long input first, a refused save
//! keeps every value with the error beside its field in Chinese, a success message shows
//! once (not in the address, not again on reload), the order page offers the agent no
//! handling moves once the order went to a department, and an unknown order reads in words.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_keeps_its_values_and_a_message_shows_once() {
    let Some(w) = start().await else { return };
    let (id, _) = some_customer(&w).await;
    let c = browser(&w).await;
    login(&c, &w, "agent1").await;
    c.goto(&format!("{}/customers/{id}/new", w.base))
        .await
        .unwrap();
    let title = c.find(Locator::Id("title")).await.unwrap();
    assert_eq!(
        title.attr("maxlength").await.unwrap().as_deref(),
        Some("200")
    );
    assert!(title.attr("required").await.unwrap().is_some());
    // The browser stops at the server's limit.
    title.send_keys(&"长".repeat(230)).await.unwrap();
    let typed = title.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(typed.chars().count(), 200, "maxlength holds the title");
    title.clear().await.unwrap();
    title.send_keys("申请增容").await.unwrap();
    // A service request without its kind passes the browser and is refused by the server.
    choose(&c, "#order_type", "service_request").await;
    c.find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("家里新装空调，申请增加容量到8千瓦。")
        .await
        .unwrap();
    click(&c, "save-order").await;
    wait_text(
        &c,
        "#service_kind-error",
        "服务申请须选择服务类别，其他类型不选",
    )
    .await;
    shot(&c, "forms-refused-save-kept").await;
    let kind = c.find(Locator::Id("service_kind")).await.unwrap();
    assert_eq!(
        kind.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let value = |id: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Id(id))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value("order_type").await, "service_request");
    assert_eq!(value("title").await, "申请增容");
    assert_eq!(
        value("description").await,
        "家里新装空调，申请增加容量到8千瓦。"
    );
    assert!(
        !c.source()
            .await
            .unwrap()
            .contains("required for a service request")
    );
    // Now with its kind it is saved; the message is in the page, not in the address.
    let first_kind = c
        .find(Locator::Css("#service_kind option:nth-child(2)"))
        .await
        .unwrap();
    first_kind.click().await.unwrap();
    click(&c, "save-order").await;
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        url.path().starts_with("/orders/") && url.query().is_none(),
        "{url}"
    );
    assert!(text(&c, ".flash.ok").await.contains("已受理"));
    shot(&c, "forms-saved-message").await;
    c.refresh().await.unwrap();
    c.wait().for_element(Locator::Id("status")).await.unwrap();
    assert!(
        c.find(Locator::Css(".flash.ok")).await.is_err(),
        "a reload repeats no message"
    );
    shot(&c, "forms-reloaded-no-message").await;

    // The agent dispatches it; then the handling moves are not the agent's.
    c.find(Locator::Css("#act-dispatch summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#act-dispatch button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    assert!(c.find(Locator::Id("act-dispatch")).await.is_err());
    for gone in ["act-acknowledge", "act-return_to_sender"] {
        assert!(
            c.find(Locator::Id(gone)).await.is_err(),
            "the agent is offered {gone} on a dispatched order"
        );
    }
    shot(&c, "forms-dispatched-agent-actions").await;

    // An unknown order reads in words, without a raw code.
    c.goto(&format!("{}/orders/987654321", w.base))
        .await
        .unwrap();
    assert_eq!(text(&c, "h1").await, "页面不存在");
    let body = text(&c, "body").await;
    assert!(
        !body.contains("not_found") && !body.contains("not found"),
        "{body}"
    );
    shot(&c, "forms-unknown-order").await;
}
