//! Attachments and internal notes on the order page: a handler uploads a photo through the
//! file input, its thumbnail appears without the page being left, it opens as the image, and
//! an internal note shows in the timeline marked as internal.

use super::*;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_and_an_internal_note_on_an_order() {
    let Some(w) = start().await else { return };
    let http = agent_api(&w).await;
    let list: serde_json::Value = http
        .get(format!(
            "{}/api/v1/work-orders?open=true&per_page=1",
            w.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().expect("an open order");
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("现场照片.png");
    std::fs::write(&photo, PNG).unwrap();

    let c = browser(&w).await;
    login(&c, &w, "agent1").await;
    c.goto(&format!("{}/orders/{id}", w.base)).await.unwrap();
    assert_eq!(text(&c, "#attachment-list .empty").await.trim(), "暂无附件");
    c.find(Locator::Id("attach-file"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "attach-submit").await;
    let thumb = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#attachment-list img.thumb"))
        .await
        .expect("the thumbnail appears");
    assert_eq!(path(&c).await, format!("/orders/{id}"), "the page stayed");
    assert_eq!(text(&c, ".attachment-name").await, "现场照片.png");
    let loaded = c
        .execute(
            "const i = document.querySelector('#attachment-list img.thumb'); return i.complete && i.naturalWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded.as_i64(), Some(1), "the thumbnail is the 1×1 image");
    shot(&c, "attachments-thumbnail").await;

    // Opening it shows the image itself.
    let href = thumb.attr("src").await.unwrap().unwrap();
    c.goto(&format!("{}{href}", w.base)).await.unwrap();
    let kind = c
        .execute("return document.contentType", vec![])
        .await
        .unwrap();
    assert_eq!(kind.as_str(), Some("image/png"));
    shot(&c, "attachments-opened").await;

    // An internal note, in the timeline and marked as one.
    c.goto(&format!("{}/orders/{id}", w.base)).await.unwrap();
    c.find(Locator::Id("note-text"))
        .await
        .unwrap()
        .send_keys("客户称表箱门锁被撬，已拍照留存")
        .await
        .unwrap();
    click(&c, "note-submit").await;
    wait_text(
        &c,
        "#timeline li.internal .note-text",
        "客户称表箱门锁被撬，已拍照留存",
    )
    .await;
    assert!(
        text(&c, "#timeline li.internal .tag")
            .await
            .contains("内部备注")
    );
    shot(&c, "attachments-internal-note").await;
}
