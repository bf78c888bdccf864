//! Reply templates and saved filters: a handler picks a reply template on an order page and
//! the reply's text box fills with the words for this customer and order; an administrator
//! adds a template whose name is too long and sees the error beside the name with every value
//! kept; a user saves the orders list's filters, sees them listed, applies them and deletes
//! them.

use super::*;
use serde_json::{Value, json};

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn value_of(c: &Client, css: &str) -> String {
    c.execute(
        "return document.querySelector(arguments[0]).value;",
        vec![json!(css)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn api_get(http: &reqwest::Client, w: &World, path: &str) -> Value {
    http.get(format!("{}{path}", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn api_post(http: &reqwest::Client, w: &World, path: &str, body: Value) -> Value {
    let r = http
        .post(format!("{}{path}", w.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json().await.unwrap()
}

/// An outage complaint of a demo customer, dispatched to handler1, who has taken it: its id,
/// number and the customer's name.
async fn order_for_handler(w: &World) -> (i64, String, String) {
    let (customer, _) = some_customer(w).await;
    let agent = agent_api(w).await;
    let name = api_get(&agent, w, &format!("/api/v1/customers/{customer}")).await["name"]
        .as_str()
        .unwrap()
        .to_string();
    let o = api_post(
        &agent,
        w,
        "/api/v1/work-orders",
        json!({"customer_id": customer, "order_type": "complaint", "channel": "hotline_95598",
               "subject": "outage", "title": "昨晚停电五小时", "description": "昨晚停电五小时，无人告知原因"}),
    )
    .await;
    let id = o["id"].as_i64().unwrap();
    let no = o["order_no"].as_str().unwrap().to_string();
    let handler = signed_in_api(w, "handler1").await;
    let me = api_get(&handler, w, "/api/v1/me").await;
    let departments = api_get(&agent, w, "/api/v1/departments").await;
    let distribution = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "distribution")
        .unwrap()["id"]
        .clone();
    api_post(
        &agent,
        w,
        &format!("/api/v1/work-orders/{id}/dispatch"),
        json!({"department_id": distribution, "assignee_id": me["user_id"]}),
    )
    .await;
    api_post(
        &handler,
        w,
        &format!("/api/v1/work-orders/{id}/acknowledge"),
        json!({}),
    )
    .await;
    (id, no, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_templates_and_saved_filters_in_the_browser() {
    let Some(w) = start().await else { return };
    let (id, no, customer) = order_for_handler(&w).await;
    let c = browser(&w).await;

    // 1. The handler picks the demo's outage template: the reply fills in for this customer.
    login(&c, &w, "handler1").await;
    c.goto(&format!("{}/orders/{id}", w.base)).await.unwrap();
    c.find(Locator::Css("#act-reply summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let option = c
        .find(Locator::XPath(
            "//select[@id='reply-template']/option[contains(., '故障停电已复电')]",
        ))
        .await
        .expect("the outage template is offered");
    let template = option.attr("value").await.unwrap().unwrap();
    assert!(
        c.find(Locator::XPath(
            "//select[@id='reply-template']/option[contains(., '电费核查结果')]"
        ))
        .await
        .is_err(),
        "a bill template is not offered for an outage"
    );
    assert_eq!(value_of(&c, "#act-reply textarea[name=text]").await, "");
    choose(&c, "#reply-template", &template).await;
    let (c2, want) = (c.clone(), format!("尊敬的{customer}，您好！"));
    until("the reply filled in", Duration::from_secs(10), move || {
        let (c, want) = (c2.clone(), want.clone());
        async move {
            value_of(&c, "#act-reply textarea[name=text]")
                .await
                .starts_with(&want)
        }
    })
    .await;
    let reply = value_of(&c, "#act-reply textarea[name=text]").await;
    assert!(reply.contains(&format!("工单号：{no}")), "{reply}");
    assert!(!reply.contains('{'), "every placeholder filled in: {reply}");
    shot(&c, "templates-reply-filled").await;
    // Sent as it stands: the reply on the order is the template's words for this customer.
    c.form(Locator::Css("#act-reply form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    wait_text(&c, "#status", "已回单").await;
    assert!(text(&c, "#reply-text").await.contains(&customer));
    logout(&c, &w).await;

    // 2. The administrator adds a template with too long a name: refused beside the name,
    //    every value kept; then with a shorter one, it is listed.
    login(&c, &w, "admin1").await;
    click(&c, "manage-templates").await;
    c.wait()
        .for_element(Locator::Id("template-form"))
        .await
        .unwrap();
    assert_eq!(path(&c).await, "/admin/reply-templates");
    let long = "电压偏低".repeat(17);
    let body = "尊敬的{客户姓名}，您反映的电压偏低问题（工单号：{工单号}）已安排人员现场测量。";
    fill(&c, "tpl-name", &long).await;
    choose(&c, "#tpl-subject", "supply_quality").await;
    fill(&c, "tpl-body", body).await;
    click(&c, "template-save").await;
    let err = text(&c, "#tpl-name-error").await;
    assert_eq!(err, "模板名称须为1至64个可见字符，且不能换行");
    assert_eq!(value_of(&c, "#tpl-name").await, long, "the name kept");
    assert_eq!(
        value_of(&c, "#tpl-subject").await,
        "supply_quality",
        "the subject kept"
    );
    assert_eq!(value_of(&c, "#tpl-body").await, body, "the body kept");
    let invalid = c
        .find(Locator::Id("tpl-name"))
        .await
        .unwrap()
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    shot(&c, "templates-name-refused").await;
    fill(&c, "tpl-name", "电压偏低现场测量").await;
    click(&c, "template-save").await;
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    let table = text(&c, "#template-table").await;
    assert!(
        table.contains("电压偏低现场测量") && table.contains("供电质量"),
        "{table}"
    );
    shot(&c, "templates-added").await;
    logout(&c, &w).await;

    // 3. The agent saves the list's filters, sees them listed, applies and deletes them.
    login(&c, &w, "agent1").await;
    c.goto(&format!("{}/orders", w.base)).await.unwrap();
    assert!(c.find(Locator::Id("saved-filters-empty")).await.is_ok());
    choose(&c, "#f-type", "complaint").await;
    choose(&c, "#f-status", "replied").await;
    click(&c, "f-apply").await;
    until("the filters applied", Duration::from_secs(10), || {
        let c = c.clone();
        async move {
            c.current_url()
                .await
                .map(|u| u.query().unwrap_or("").contains("type=complaint"))
                .unwrap_or(false)
        }
    })
    .await;
    fill(&c, "filter-name", "已回单的投诉").await;
    click(&c, "save-filter-submit").await;
    wait_text(&c, ".saved-filter-link.here", "已回单的投诉").await;
    assert!(text(&c, ".flash.ok").await.contains("已保存筛选"));
    shot(&c, "filters-saved").await;
    // Cleared, the saved filter is a link; clicking it applies the filters again.
    click(&c, "f-reset").await;
    c.wait()
        .for_element(Locator::Css(".saved-filter-link:not(.here)"))
        .await
        .unwrap();
    assert_eq!(value_of(&c, "#f-type").await, "");
    c.find(Locator::Css(".saved-filter-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, ".saved-filter-link.here", "已回单的投诉").await;
    assert_eq!(value_of(&c, "#f-type").await, "complaint");
    assert_eq!(value_of(&c, "#f-status").await, "replied");
    // The handler's reply above is among the orders it finds.
    assert!(
        c.find(Locator::Css(&format!("a.order-no[href='/orders/{no}']")))
            .await
            .is_ok(),
        "the replied complaint is listed"
    );
    shot(&c, "filters-applied").await;
    let delete = c.find(Locator::Css(".saved-filter button")).await.unwrap();
    delete.click().await.unwrap();
    c.wait()
        .for_element(Locator::Id("saved-filters-empty"))
        .await
        .unwrap();
    assert!(text(&c, ".flash.ok").await.contains("已删除筛选"));
    assert_eq!(
        value_of(&c, "#f-type").await,
        "complaint",
        "back on the list as it was"
    );
    shot(&c, "filters-deleted").await;
    c.close().await.unwrap();
}
