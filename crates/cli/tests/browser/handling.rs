//! Finding a customer by part of the address and opening the first hit from the keyboard;
//! a dispatch offered to the department the order's subject belongs to, and the order page
//! and its timeline saying where it went; the queue's scope buttons showing which is on and
//! how many orders each holds.

use super::*;

async fn search(c: &Client, words: &str) {
    let q = c.find(Locator::Id("q")).await.unwrap();
    q.clear().await.unwrap();
    // The earlier hits go first, so that the ones waited for are these words'.
    c.execute("document.getElementById('results').innerHTML = ''", vec![])
        .await
        .unwrap();
    q.send_keys(words).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".results a.hit"))
        .await
        .unwrap_or_else(|e| panic!("no hit for {words}: {e}"));
}

async fn focused_class(c: &Client) -> String {
    c.execute("return document.activeElement.className", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_where_its_subject_belongs_and_says_so() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;
    login(&c, &w, "agent1").await;

    // Part of an address: the sub-district and the start of a community's name.
    search(&c, "城南街道迎").await;
    let first = c.find(Locator::Css(".results a.hit")).await.unwrap();
    let href = first.attr("href").await.unwrap().unwrap();
    shot(&c, "handling-address-search").await;
    let hit = first.text().await.unwrap();
    // The address is masked; the area beside it shows where the customer is.
    assert!(hit.contains("城南街") && hit.contains("迎春社区"), "{hit}");
    // ↓ from the box goes to the first hit; Enter in the box opens it.
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("\u{e015}")
        .await
        .unwrap();
    assert!(focused_class(&c).await.contains("hit"), "↓ focuses a hit");
    search(&c, "城南").await;
    let href = {
        let first = c.find(Locator::Css(".results a.hit")).await.unwrap();
        let h = first.attr("href").await.unwrap().unwrap();
        assert!(h.starts_with("/customers/"), "{h} (was {href})");
        h
    };
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("\u{e007}")
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("new-order"))
        .await
        .unwrap();
    assert_eq!(path(&c).await, href, "Enter opened the first hit");

    // A complaint about how staff behaved goes to customer service first.
    click(&c, "new-order").await;
    c.wait()
        .for_element(Locator::Id("order-form"))
        .await
        .unwrap();
    choose(&c, "#order_type", "complaint").await;
    choose(&c, "#subject", "service_conduct").await;
    c.find(Locator::Id("title"))
        .await
        .unwrap()
        .send_keys("营业厅人员态度差")
        .await
        .unwrap();
    c.find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("客户称营业厅工作人员办理业务时态度恶劣，要求道歉。")
        .await
        .unwrap();
    click(&c, "save-order").await;
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    c.find(Locator::Css("#act-dispatch summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let chosen = c
        .execute(
            "const s = document.querySelector('#act-dispatch select[name=department_id]'); \
             return s.options[s.selectedIndex].text",
            vec![],
        )
        .await
        .unwrap();
    let chosen = chosen.as_str().unwrap().to_string();
    assert!(chosen.ends_with("客服"), "offered first: {chosen}");
    shot(&c, "handling-dispatch-default").await;
    c.find(Locator::XPath(
        "//details[@id='act-dispatch']//select[@name='assignee_id']/option[contains(., '刘强')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.form(Locator::Css("#act-dispatch form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    wait_text(&c, "#status", "已派单").await;
    let handling = text(&c, "#handling").await;
    assert!(
        handling.contains(&chosen) && handling.contains("刘强"),
        "{handling}"
    );
    let timeline = text(&c, "#timeline").await;
    assert!(
        timeline.contains(&format!("派往 {chosen} · 刘强")),
        "{timeline}"
    );
    // A handler's act carries no channel; the contact that opened the order does.
    assert_eq!(timeline.matches("95598电话").count(), 1, "{timeline}");
    shot(&c, "handling-dispatched").await;
    logout(&c, &w).await;

    // The grid manager's queue: the grid scope is on, with its count; 我的 is another button.
    login(&c, &w, "grid1").await;
    let grid = c.find(Locator::Id("scope-grid")).await.unwrap();
    assert_eq!(
        grid.attr("aria-current").await.unwrap().as_deref(),
        Some("page")
    );
    let count: i64 = text(&c, "#scope-grid .count")
        .await
        .trim_end_matches('+')
        .parse()
        .unwrap();
    assert!(count > 0, "grid1's grids hold open orders");
    let total = text(&c, "h1 .muted").await;
    assert!(total.contains(&count.to_string()), "{total} vs {count}");
    shot(&c, "handling-queue-grid").await;
    click(&c, "scope-mine").await;
    c.wait()
        .for_element(Locator::Css("#scope-mine[aria-current=page]"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Css("#scope-grid[aria-current]"))
            .await
            .is_err()
    );
    shot(&c, "handling-queue-mine").await;
}
