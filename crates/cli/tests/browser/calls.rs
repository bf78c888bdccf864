//! The contact centre's pages: the supervisor's `/calls` with no contact centre running and
//! no call yet (empty states), then with calls recorded through the service as the
//! telephony side records them (the records, a filter, the links to the customer and the
//! order); the agent's phone widget refusing "ready" while the centre is off, in place; the
//! administrator's desk-phone form refusing an address that is not SIP, beside the field.

use super::*;
use serde_json::json;
use voltdesk_domain::call::{CallRecordDraft, IvrStep};
use voltdesk_domain::{CallOutcome, HOUR_MS, MINUTE_MS};

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap().len()
}

/// The service on the demo's own database (`voltdesk-demo.db` in its directory: the demo
/// takes no database from the environment), as the telephony side would hold it.
async fn service_of(w: &World) -> voltdesk_service::Service {
    let url = format!("sqlite://{}/voltdesk-demo.db", w._dir.path().display());
    let store = voltdesk_service::Store::connect(&url).await.unwrap();
    voltdesk_service::Service::open(
        store,
        std::sync::Arc::new(voltdesk_service::SystemClock),
        voltdesk_service::Policies::bundled(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_watches_calls_and_an_agent_sees_the_phone() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;

    // 1. No contact centre running, no call recorded: every part says so.
    login(&c, &w, "supervisor1").await;
    click_css(&c, "header nav a[href='/calls']").await;
    c.wait()
        .for_element(Locator::Id("calls-live"))
        .await
        .unwrap();
    assert_eq!(path(&c).await, "/calls");
    for id in ["sip-off", "queues-empty", "live-calls-empty", "calls-empty"] {
        c.find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no #{id} on the empty board: {e}"));
    }
    assert!(
        text(&c, "#agents").await.contains("未签入"),
        "the demo's agents are logged out"
    );
    shot(&c, "calls-empty").await;

    // 2. Two calls as the telephony side records them: an answered one that took an order,
    //    and one the caller gave up in the queue.
    let (customer, phone) = some_customer(&w).await;
    let (agent, agent_id) = api_as(&w, "agent1").await;
    let order: serde_json::Value = agent
        .post(format!("{}/api/v1/work-orders", w.base))
        .json(
            &json!({"customer_id": customer, "order_type": "repair", "channel": "hotline_95598",
                      "subject": "outage", "title": "来电报修：家中停电"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order_id = order["id"].as_i64().unwrap();
    let svc = service_of(&w).await;
    let end = svc.now();
    let start_at = end - 6 * MINUTE_MS;
    let answered = CallRecordDraft {
        call_key: format!("browser-{end}"),
        caller: phone.clone(),
        dialled: "95598".into(),
        source: "127.0.0.1:5060".into(),
        customer_id: Some(customer),
        station_id: None,
        started_at: start_at,
        ivr_path: vec![IvrStep {
            node: "main".into(),
            digits: Some("1".into()),
            at: start_at + 4_000,
        }],
        queue: Some("repair".into()),
        queued_at: Some(start_at + 8_000),
        offered_at: Some(start_at + 30_000),
        agent_user_id: Some(agent_id),
        answered_at: Some(start_at + 35_000),
        ended_at: end,
        wrap_up_ms: Some(20_000),
        outcome: CallOutcome::Answered,
        order_ids: vec![order_id],
        survey: Some(1),
        recording: None,
        legs: vec![],
    };
    svc.record_call(answered.clone()).await.unwrap();
    svc.record_call(CallRecordDraft {
        call_key: format!("browser-{end}-gone"),
        customer_id: None,
        offered_at: None,
        agent_user_id: None,
        answered_at: None,
        wrap_up_ms: None,
        survey: None,
        order_ids: vec![],
        outcome: CallOutcome::Abandoned,
        started_at: start_at + MINUTE_MS,
        ivr_path: vec![],
        queued_at: Some(start_at + MINUTE_MS),
        ..answered
    })
    .await
    .unwrap();
    svc.store().close().await;

    // 3. The records of the day the calls started (Beijing), newest first.
    let day = chrono::DateTime::from_timestamp_millis(start_at + 8 * HOUR_MS)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    c.goto(&format!("{}/calls?date={day}", w.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("call-list"))
        .await
        .unwrap();
    assert_eq!(count(&c, "#call-list tr[data-call]").await, 2);
    let rows = text(&c, "#call-list").await;
    assert!(rows.contains("接通") && rows.contains("放弃"), "{rows}");
    assert!(
        rows.contains(&format!("{}****{}", &phone[..3], &phone[7..])),
        "the caller masked: {rows}"
    );
    assert!(!rows.contains(&phone), "never the whole number");
    assert!(text(&c, "#calls-total").await.contains('2'));
    shot(&c, "calls-records").await;
    // Filtered to the abandoned one.
    choose(&c, "#f-outcome", "abandoned").await;
    click(&c, "f-apply").await;
    until(
        "the list to hold the abandoned call only",
        Duration::from_secs(10),
        || {
            let c = c.clone();
            async move { count(&c, "#call-list tr[data-call]").await == 1 }
        },
    )
    .await;
    assert!(text(&c, "#call-list").await.contains("放弃"));
    let export = c
        .find(Locator::Id("export-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(export.contains("outcome=abandoned"), "{export}");
    // The answered call links to its customer and its order.
    click(&c, "f-reset").await;
    c.goto(&format!("{}/calls?date={day}&outcome=answered", w.base))
        .await
        .unwrap();
    click_css(&c, "#call-list a.call-customer").await;
    c.wait()
        .for_element(Locator::Id("new-order"))
        .await
        .unwrap();
    assert_eq!(path(&c).await, format!("/customers/{customer}"));
    c.back().await.unwrap();
    click_css(&c, "#call-list a.call-order").await;
    c.wait().for_element(Locator::Css("#status")).await.unwrap();
    assert_eq!(path(&c).await, format!("/orders/{order_id}"));
    logout(&c, &w).await;

    // 4. The agent's widget: not registered, logged out; "break" is refused in place while
    //    the contact centre is off.
    login(&c, &w, "agent1").await;
    assert_eq!(text(&c, "#phone-registered").await, "话机：未登录");
    assert_eq!(text(&c, "#phone-state").await, "未签入");
    choose(&c, "#phone-reason", "meal").await;
    click(&c, "phone-not-ready").await;
    let refusal = text(&c, "#phone-error").await;
    assert!(refusal.contains("话务系统未运行"), "{refusal}");
    assert_eq!(path(&c).await, "/desk", "the page stays where it was");
    shot(&c, "agent-phone-refused").await;
    logout(&c, &w).await;

    // 5. The administrator sets agent1's desk phone: a wrong address is refused beside the
    //    field with what was typed kept, a SIP address is saved.
    login(&c, &w, "admin1").await;
    c.goto(&format!("{}/admin/users/{agent_id}", w.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("agent-phone"))
        .await
        .unwrap();
    fill(&c, "uri", "8001 desk").await;
    click(&c, "phone-save").await;
    let err = text(&c, "#uri-error").await;
    assert!(err.contains("SIP"), "{err}");
    shot(&c, "agent-phone-admin-refused").await;
    fill(&c, "uri", "sip:8001@10.0.0.21:5060").await;
    click(&c, "phone-save").await;
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    let saved = c
        .find(Locator::Id("uri"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(saved, "sip:8001@10.0.0.21:5060");
    fill(&c, "sip_password", "desk-8001-pw").await;
    click(&c, "sip-save").await;
    wait_text(&c, "#sip-account", "已设置SIP密码").await;
    shot(&c, "agent-phone-admin").await;
}
