//! Finding orders: the orders list by number and by phrase, sorted and paged, its export, an
//! order opened by its number, and the 404 page; orders grouped under a problem from their
//! page, the problem's page and its close.

use super::*;

async fn rows(c: &Client) -> Vec<(String, String)> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('#order-list tr')].slice(1).map(r => [r.cells[0].innerText.trim(), r.cells[r.cells.length - 1].innerText.trim()]);",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_finds_orders_by_number_and_phrase() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;
    login(&c, &w, "agent1").await;
    c.goto(&format!("{}/orders", w.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("order-list"))
        .await
        .unwrap();
    let all = rows(&c).await;
    assert!(all.len() >= 20, "a page of orders ({})", all.len());
    let pages = text(&c, "#page-at").await;
    assert!(pages.starts_with("1 / "), "{pages}");
    shot(&c, "search-list").await;

    // The next page, then back.
    click(&c, "page-next").await;
    until("page two", Duration::from_secs(10), || {
        let c = c.clone();
        async move { text(&c, "#page-at").await.starts_with("2 / ") }
    })
    .await;
    assert_ne!(rows(&c).await[0], all[0], "page two shows other orders");

    // Sorted by a column: the header says so.
    c.goto(&format!("{}/orders", w.base)).await.unwrap();
    let link = c.find(Locator::Css("#order-list th a.sort")).await.unwrap();
    link.click().await.unwrap();
    c.wait()
        .for_element(Locator::Css("#order-list th[aria-sort]"))
        .await
        .unwrap();

    // By its number: one order, which opens at /orders/<number>.
    let (number, _) = all[3].clone();
    c.goto(&format!("{}/orders", w.base)).await.unwrap();
    fill(&c, "f-number", &number).await;
    click(&c, "f-apply").await;
    c.wait()
        .for_element(Locator::Id("order-list"))
        .await
        .unwrap();
    let found = rows(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, number);
    click_css(&c, "#order-list a.order-no").await;
    c.wait().for_element(Locator::Id("status")).await.unwrap();
    assert_eq!(path(&c).await, format!("/orders/{number}"));
    assert!(text(&c, "h1").await.contains(&number));
    shot(&c, "search-by-number").await;

    // By a phrase of the text: every hit carries it, and the export follows the filter.
    c.goto(&format!("{}/orders", w.base)).await.unwrap();
    fill(&c, "f-q", "停电").await;
    click(&c, "f-apply").await;
    c.wait()
        .for_element(Locator::Id("order-list"))
        .await
        .unwrap();
    let hits = rows(&c).await;
    assert!(!hits.is_empty(), "the demo county has outage orders");
    let total = text(&c, "#list-total").await;
    assert!(total.chars().any(|ch| ch.is_ascii_digit()), "{total}");
    shot(&c, "search-by-phrase").await;
    if let Ok(x) = c.find(Locator::Id("export-csv")).await {
        let href = x.attr("href").await.unwrap().unwrap();
        assert!(href.contains("q="), "the export takes the filter: {href}");
    }

    // A phrase nothing carries: the empty state says so.
    fill(&c, "f-q", "没有这样的工单内容").await;
    click(&c, "f-apply").await;
    c.wait()
        .for_element(Locator::Id("list-empty"))
        .await
        .unwrap();

    // An unknown order number and an unknown path: the 404 page, in words, with a way home.
    for p in ["/orders/GD2026010100999999", "/no-such-page"] {
        c.goto(&format!("{}{p}", w.base)).await.unwrap();
        c.wait()
            .for_element(Locator::Id("not-found"))
            .await
            .unwrap();
        assert_eq!(text(&c, "#not-found h1").await, "页面不存在");
    }
    shot(&c, "search-404").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_groups_orders_under_a_problem_and_closes_it() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;
    login(&c, &w, "supervisor1").await;
    // Two outage orders of the county, found by a phrase of their text.
    c.goto(&format!("{}/orders?q=%E5%81%9C%E7%94%B5", w.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("order-list"))
        .await
        .unwrap();
    let hits = rows(&c).await;
    assert!(hits.len() >= 2, "{hits:?}");
    let (first, second) = (hits[0].0.clone(), hits[1].0.clone());

    // The first opens a new problem; a title of only spaces is refused beside its field
    // (the browser would stop an empty one), the form kept open.
    c.goto(&format!("{}/orders/{first}", w.base)).await.unwrap();
    c.wait().for_element(Locator::Id("problem")).await.unwrap();
    click_css(&c, "#problem summary").await;
    click(&c, "problem-submit").await;
    c.wait()
        .for_element(Locator::Id("problem-problem_id-error"))
        .await
        .unwrap();
    assert_eq!(text(&c, "#problem-problem_id-error").await, "请填写“问题”");
    fill(&c, "problem-title", "城南10kV线路频繁跳闸").await;
    click(&c, "problem-submit").await;
    wait_text(&c, ".flash", "已归并到问题").await;
    let linked = text(&c, "#order-problem").await;
    assert!(linked.contains("城南10kV线路频繁跳闸"), "{linked}");

    // The second joins it from the list of open problems.
    c.goto(&format!("{}/orders/{second}", w.base))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("problem")).await.unwrap();
    click_css(&c, "#problem summary").await;
    let option = c
        .find(Locator::XPath(
            "//select[@id='problem-id']/option[contains(., '城南10kV线路频繁跳闸')]",
        ))
        .await
        .unwrap();
    option.click().await.unwrap();
    click(&c, "problem-submit").await;
    wait_text(&c, ".flash", "已归并到问题").await;

    // The problem's page lists both; closing needs the root cause, then it reads closed.
    click_css(&c, "#order-problem a").await;
    c.wait()
        .for_element(Locator::Id("problem-orders"))
        .await
        .unwrap();
    let listed = text(&c, "#problem-orders").await;
    assert!(
        listed.contains(&first) && listed.contains(&second),
        "{listed}"
    );
    shot(&c, "problem-page").await;
    c.execute(
        "document.getElementById('problem-root-cause').removeAttribute('required')",
        vec![],
    )
    .await
    .unwrap();
    fill(&c, "problem-root-cause", "   ").await;
    click(&c, "problem-close-submit").await;
    c.wait()
        .for_element(Locator::Id("problem-root-cause-error"))
        .await
        .unwrap();
    fill(
        &c,
        "problem-root-cause",
        "T接线夹发热烧断，已更换并加装故障指示器",
    )
    .await;
    click(&c, "problem-close-submit").await;
    wait_text(&c, "#problem-status", "已关闭").await;
    assert!(text(&c, "#problem-cause").await.contains("T接线夹"));

    // The list of problems: open ones by default (none now), all of them on request.
    c.goto(&format!("{}/problems", w.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("problems-empty"))
        .await
        .unwrap();
    click(&c, "problems-all").await;
    c.wait().for_element(Locator::Id("problems")).await.unwrap();
    assert!(text(&c, "#problems").await.contains("城南10kV线路频繁跳闸"));
    shot(&c, "problem-list").await;
    c.close().await.unwrap();
}
