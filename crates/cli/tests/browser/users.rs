//! User administration: the admin finds a user in the table, edits the name and role, sees
//! the change in the table, disables the account; the disabled user's sign-in is refused in
//! the words of a wrong password.

use super::*;

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_and_disables_a_user() {
    let Some(w) = start().await else { return };
    let c = browser(&w).await;
    login(&c, &w, "admin1").await;
    assert_eq!(path(&c).await, "/admin");
    fill(&c, "uq", "handler1").await;
    click(&c, "user-search").await;
    c.wait()
        .for_element(Locator::Css("tr[data-user='handler1']"))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("#user-table tr[data-user]"))
        .await
        .unwrap();
    // The demo county has handler1 … handler1N: every hit has the searched name in it.
    assert!(!rows.is_empty());
    for r in &rows {
        let u = r.attr("data-user").await.unwrap().unwrap_or_default();
        assert!(u.contains("handler1"), "{u} does not match the search");
    }
    shot(&c, "users-found").await;

    click(&c, "edit-handler1").await;
    c.wait()
        .for_element(Locator::Id("user-edit"))
        .await
        .unwrap();
    assert!(path(&c).await.starts_with("/admin/users/"));
    // A name of only a control character is refused beside the field, the role kept.
    choose(&c, "#role", "crew").await;
    fill(&c, "display_name", "\u{200b}").await;
    click(&c, "user-save").await;
    let err = text(&c, "#display_name-error").await;
    assert_eq!(err, "姓名须为1至64个可见字符");
    let role = c
        .find(Locator::Css("#role option[selected]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap();
    assert_eq!(role.as_deref(), Some("crew"), "the role picked is kept");
    shot(&c, "users-edit-refused").await;
    fill(&c, "display_name", "刘强（抢修）").await;
    click(&c, "user-save").await;
    wait_text(&c, "tr[data-user='handler1'] td.ellipsis", "刘强（抢修）").await;
    let cells = text(&c, "tr[data-user='handler1']").await;
    assert!(cells.contains("抢修人员"), "{cells}");
    shot(&c, "users-edited").await;

    click(&c, "disable-handler1").await;
    c.wait()
        .for_element(Locator::Id("enable-handler1"))
        .await
        .unwrap();
    assert!(
        text(&c, "tr[data-user='handler1']")
            .await
            .contains("已停用")
    );
    shot(&c, "users-disabled").await;
    logout(&c, &w).await;

    // The disabled user: refused as a wrong password would be.
    c.goto(&format!("{}/login", w.base)).await.unwrap();
    fill(&c, "username", "handler1").await;
    fill(&c, "password", PASSWORD).await;
    click(&c, "sign-in").await;
    wait_text(&c, ".flash.err", "用户名或密码错误").await;
    assert_eq!(path(&c).await, "/login");
    shot(&c, "users-disabled-sign-in").await;
    c.close().await.unwrap();
}
