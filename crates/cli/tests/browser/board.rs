//! The supervisor's board: a page of escalations acknowledged at once.

use super::*;

async fn ids_on_board(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for e in c
        .find_all(Locator::Css("#escalations input[data-check=ack]"))
        .await
        .unwrap()
    {
        ids.push(e.attr("value").await.unwrap().unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_acknowledges_a_page_of_escalations_at_once() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;
    login(&c, &w, "supervisor1").await;
    c.goto(&format!("{}/board", w.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("escalations"))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("#escalations input[data-check=ack]"))
        .await
        .unwrap()
        .len() as i64;
    assert!(
        rows >= 2,
        "the demo county has escalations on the board ({rows})"
    );

    // "Select all" ticks every row of the page; one is unticked again by hand.
    click(&c, "ack-all").await;
    let ticked = c
        .find_all(Locator::Css("#escalations input[data-check=ack]:checked"))
        .await
        .unwrap();
    assert_eq!(ticked.len() as i64, rows);
    ticked[0].click().await.unwrap();
    let mut chosen = Vec::new();
    for t in &ticked[1..] {
        chosen.push(t.attr("value").await.unwrap().unwrap());
    }
    let kept = ticked[0].attr("value").await.unwrap().unwrap();
    shot(&c, "board-bulk-ticked").await;
    click(&c, "ack-selected").await;
    c.wait()
        .for_element(Locator::Css(".flash.ok"))
        .await
        .unwrap();
    let flash = text(&c, ".flash.ok").await;
    assert!(
        flash.contains("已确认") && flash.contains(&(rows - 1).to_string()),
        "{flash}"
    );
    // The acknowledged ones leave the board; the unticked one stays.
    let left = ids_on_board(&c).await;
    assert!(
        chosen.iter().all(|id| !left.contains(id)),
        "{chosen:?} in {left:?}"
    );
    assert!(left.contains(&kept));
    shot(&c, "board-bulk-acknowledged").await;

    // Nothing ticked: a message in words, nothing acknowledged.
    click(&c, "ack-selected").await;
    c.wait()
        .for_element(Locator::Css(".flash.err"))
        .await
        .unwrap();
    assert_eq!(ids_on_board(&c).await, left, "nothing acknowledged");
    c.close().await.unwrap();
}
