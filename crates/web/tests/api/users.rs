//! User administration: editing every field of a user (with refusals that name their field),
//! disabling an account (its sessions end, its tokens stop, it cannot sign in, in the same
//! words as a wrong password), enabling it again, the guards that keep an administrator's
//! own account and the last administrator, and a grid manager's queue over all their grids.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voltdesk_domain::Role;
use voltdesk_service::{Actor, NewUser};

const PASSWORD: &str = "correct horse";

async fn patch(app: &TestApp, role: Role, id: i64, body: Value) -> (StatusCode, Value) {
    app.call(
        Some(role),
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(body),
    )
    .await
}

async fn traced(app: &TestApp, kind: &str) -> Vec<voltdesk_store::TraceRow> {
    app.svc.audit_trail(Some(kind), None, 500).await.unwrap()
}

fn code(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or_default(),
        v["error"]["field"].as_str().unwrap_or_default(),
    )
}

/// A second station with its grid, for refusals across stations.
async fn other_station(app: &TestApp) {
    let csv = "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ZJ-XB,城北供电所,N01,城北网格,F09,10kV城北线,TA009,城北9号台区,urban
";
    let rows: Vec<_> = voltdesk_domain::import::org_rows(csv)
        .unwrap()
        .map(|r| r.unwrap().1)
        .collect();
    app.svc.import_org(&Actor::system(), &rows).await.unwrap();
}

async fn grid_id(app: &TestApp, code: &str) -> i64 {
    app.svc
        .grids(None)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.code == code)
        .unwrap()
        .id
}

async fn manager_of(app: &TestApp, code: &str) -> Option<i64> {
    app.svc
        .grids(None)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.code == code)
        .unwrap()
        .manager_id
}

/// Signs in through the sign-in form: the cookie client, or the page's refusal.
async fn form_sign_in(app: &TestApp, user: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[("username", user), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    (c, to)
}

async fn every_field_changes_and_is_traced(app: TestApp) {
    let id = app.users[&Role::Agent];
    let station = app.svc.stations().await.unwrap()[0].id;
    let dept = app.department("distribution").await;
    let (s, u) = patch(&app, Role::Admin, id, json!({"display_name": "  王小明  "})).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["display_name"], "王小明");
    assert_eq!(u["role"], "agent");
    assert!(u.get("password_hash").is_none());

    let (s, u) = patch(
        &app,
        Role::Admin,
        id,
        json!({"role": "handler", "department_id": dept}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(
        (u["role"].as_str(), u["department_id"].as_i64()),
        (Some("handler"), Some(dept))
    );

    // Clearing the station needs the department cleared with it.
    let (s, e) = patch(&app, Role::Admin, id, json!({"station_id": null})).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "department_id")
        )
    );
    let (s, u) = patch(
        &app,
        Role::Admin,
        id,
        json!({"station_id": null, "department_id": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert!(
        u["station_id"].is_null() && u["department_id"].is_null(),
        "{u}"
    );
    let (s, u) = patch(&app, Role::Admin, id, json!({"station_id": station})).await;
    assert_eq!(
        (s, u["station_id"].as_i64()),
        (StatusCode::OK, Some(station))
    );

    // Nothing changed, nothing written.
    let before = traced(&app, "user.updated").await.len();
    let (s, _) = patch(&app, Role::Admin, id, json!({"role": "handler"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(traced(&app, "user.updated").await.len(), before);

    let events = traced(&app, "user.updated").await;
    assert_eq!(events.len(), 4);
    let first = events.last().unwrap();
    assert_eq!(first.actor, "admin1");
    assert_eq!(first.actor_id, Some(app.users[&Role::Admin]));
    let p = &events[events.len() - 2].payload;
    assert_eq!(p["user_id"], id);
    let changes = p["changes"].as_array().unwrap();
    assert_eq!(
        changes[0],
        json!({"field": "role", "old": "agent", "new": "handler"})
    );
    assert_eq!(
        changes[1],
        json!({"field": "department_id", "new": dept.to_string()})
    );
    assert_eq!(
        first.payload["changes"][0],
        json!({"field": "display_name", "old": "话务员", "new": "王小明"})
    );
}

async fn a_grid_manager_gets_grids_that_leave_their_old_manager(app: TestApp) {
    let gm = app.users[&Role::GridManager];
    let (s, u) = patch(&app, Role::Admin, gm, json!({"grids": ["G01", "G02"]})).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(manager_of(&app, "G01").await, Some(gm));
    assert_eq!(manager_of(&app, "G02").await, Some(gm));

    let station = app.svc.stations().await.unwrap()[0].id;
    let other = app
        .svc
        .add_user(
            &Actor::system(),
            NewUser {
                username: "grid2".into(),
                display_name: String::new(),
                role: Role::GridManager,
                password: PASSWORD.into(),
                station_id: Some(station),
                department_id: None,
            },
        )
        .await
        .unwrap();
    // By id as well as by code: G02 goes over to the new manager.
    let g02 = grid_id(&app, "G02").await;
    let (s, _) = patch(
        &app,
        Role::Admin,
        other.id,
        json!({"grids": [g02.to_string()]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(manager_of(&app, "G01").await, Some(gm));
    assert_eq!(manager_of(&app, "G02").await, Some(other.id));
    let set = traced(&app, "org.grid_manager_set").await;
    assert_eq!(set[0].payload, json!({"grid_id": g02, "user_id": other.id}));
    let updated = traced(&app, "user.updated").await;
    assert_eq!(
        updated[0].payload["changes"],
        json!([{"field": "grids", "new": "G02"}])
    );

    // Another role gives the grids up.
    let (s, _) = patch(&app, Role::Admin, gm, json!({"role": "handler"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(manager_of(&app, "G01").await, None);
    assert_eq!(
        traced(&app, "user.updated").await[0].payload["changes"],
        json!([{"field": "role", "old": "grid_manager", "new": "handler"},
               {"field": "grids", "old": "G01"}])
    );
}

async fn bad_edits_are_refused_by_field(app: TestApp) {
    other_station(&app).await;
    let gm = app.users[&Role::GridManager];
    let agent = app.users[&Role::Agent];
    let before = traced(&app, "user.updated").await.len();
    let long = "名".repeat(65);
    let other_dept = app
        .svc
        .departments(None)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code.starts_with("ZJ-XB"))
        .unwrap()
        .id;
    for (who, body, status, want) in [
        (
            agent,
            json!({"display_name": long}),
            422,
            ("invalid_field", "display_name"),
        ),
        (
            agent,
            json!({"display_name": "a\u{202e}b"}),
            422,
            ("invalid_field", "display_name"),
        ),
        (
            agent,
            json!({"display_name": "   "}),
            422,
            ("invalid_field", "display_name"),
        ),
        (
            agent,
            json!({"role": "king"}),
            400,
            ("invalid_json", "role"),
        ),
        (agent, json!({"username": "x"}), 400, ("invalid_json", "")),
        (
            agent,
            json!({"station_id": 99999}),
            422,
            ("invalid_field", "station_id"),
        ),
        (
            agent,
            json!({"department_id": 99999}),
            422,
            ("invalid_field", "department_id"),
        ),
        (
            agent,
            json!({"department_id": other_dept}),
            422,
            ("invalid_field", "department_id"),
        ),
        (
            agent,
            json!({"grids": ["G01"]}),
            422,
            ("invalid_field", "grids"),
        ),
        (
            gm,
            json!({"grids": ["G01", "N01"]}),
            422,
            ("invalid_field", "grids"),
        ),
        (
            gm,
            json!({"grids": ["G99"]}),
            422,
            ("invalid_field", "grids"),
        ),
    ] {
        let (s, e) = patch(&app, Role::Admin, who, body.clone()).await;
        assert_eq!(s.as_u16(), status, "{body}: {e}");
        let (c, f) = code(&e);
        assert_eq!(c, want.0, "{body}: {e}");
        if !want.1.is_empty() {
            assert_eq!(f, want.1, "{body}: {e}");
        }
    }
    // All or nothing: a refused edit with a good field in it changed nothing.
    let (s, _) = patch(
        &app,
        Role::Admin,
        gm,
        json!({"display_name": "新名字", "grids": ["N01"]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.svc.user(gm).await.unwrap().display_name, "网格客户经理");
    assert_eq!(manager_of(&app, "N01").await, None);
    assert_eq!(traced(&app, "user.updated").await.len(), before);
    let (s, e) = patch(&app, Role::Admin, 999_999, json!({"role": "agent"})).await;
    assert_eq!((s, code(&e).0), (StatusCode::NOT_FOUND, "not_found"));
}

async fn disabling_ends_sessions_and_tokens_and_sign_in(app: TestApp) {
    let id = app.users[&Role::Agent];
    let (c, home) = form_sign_in(&app, "agent1").await;
    assert_eq!(home, "/desk");
    let me = |c: reqwest::Client| {
        let url = format!("{}/api/v1/me", app.base);
        async move { c.get(url).send().await.unwrap().status() }
    };
    assert_eq!(me(c.clone()).await, StatusCode::OK);
    assert_eq!(app.get(Role::Agent, "/api/v1/me").await.0, StatusCode::OK);

    let (s, u) = app
        .post(
            Role::Admin,
            &format!("/api/v1/users/{id}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["active"], false);
    // At once: the session and the token (remembered a few seconds otherwise) are refused.
    assert_eq!(me(c.clone()).await, StatusCode::UNAUTHORIZED);
    let (s, e) = app.get(Role::Agent, "/api/v1/me").await;
    assert_eq!((s, code(&e).0), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let tokens = app.svc.tokens().await.unwrap();
    assert!(
        tokens
            .iter()
            .filter(|t| t.user_id == id)
            .all(|t| t.revoked_at.is_some())
    );
    let ev = traced(&app, "user.disabled").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].payload,
        json!({"user_id": id, "sessions_ended": 1, "tokens_revoked": 1})
    );
    assert_eq!(ev[0].actor, "admin1");

    // The right password is refused in the words of a wrong one: nothing says "disabled".
    let (s, e) = app
        .call(
            None,
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "agent1", "password": PASSWORD})),
        )
        .await;
    let (s2, e2) = app
        .call(
            None,
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "agent1", "password": "wrong horse"})),
        )
        .await;
    assert_eq!((s, &e), (s2, &e2));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, refused) = form_sign_in(&app, "agent1").await;
    assert!(refused.starts_with("/login?failed=1&"), "{refused}");

    // Disabling twice is no second event; enabling gives the sign-in back, not the token.
    app.clock.advance(60_000);
    app.post(
        Role::Admin,
        &format!("/api/v1/users/{id}/disable"),
        json!({}),
    )
    .await;
    assert_eq!(traced(&app, "user.disabled").await.len(), 1);
    let (s, u) = app
        .post(
            Role::Admin,
            &format!("/api/v1/users/{id}/enable"),
            json!({}),
        )
        .await;
    assert_eq!((s, &u["active"]), (StatusCode::OK, &json!(true)));
    assert_eq!(traced(&app, "user.enabled").await.len(), 1);
    let (_, home) = form_sign_in(&app, "agent1").await;
    assert_eq!(home, "/desk");
    assert_eq!(
        app.get(Role::Agent, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn an_admin_keeps_their_own_account_and_the_last_admin_stays(app: TestApp) {
    let me = app.users[&Role::Admin];
    let (s, e) = app
        .post(
            Role::Admin,
            &format!("/api/v1/users/{me}/disable"),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, ("self_disable", "")));
    let (s, e) = patch(&app, Role::Admin, me, json!({"role": "auditor"})).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::CONFLICT, ("self_demote", "role"))
    );
    // Renaming oneself is fine.
    let (s, _) = patch(&app, Role::Admin, me, json!({"display_name": "管理员甲"})).await;
    assert_eq!(s, StatusCode::OK);

    // With a second administrator, either may be demoted or disabled by the other.
    let station = app.svc.stations().await.unwrap()[0].id;
    let second = app
        .svc
        .add_user(
            &Actor::system(),
            NewUser {
                username: "admin2".into(),
                display_name: String::new(),
                role: Role::Admin,
                password: PASSWORD.into(),
                station_id: Some(station),
                department_id: None,
            },
        )
        .await
        .unwrap();
    let (s, _) = patch(&app, Role::Admin, second.id, json!({"role": "analyst"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = patch(&app, Role::Admin, second.id, json!({"role": "admin"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            Role::Admin,
            &format!("/api/v1/users/{}/disable", second.id),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // admin1 is now the only active administrator: not even the command line takes them.
    let sys = Actor::system();
    let e = app.svc.set_user_active(&sys, me, false).await.unwrap_err();
    assert_eq!(e.code(), "last_admin");
    let demote = voltdesk_service::UserChanges {
        role: Some(Role::Supervisor),
        ..Default::default()
    };
    let e = app.svc.update_user(&sys, me, demote).await.unwrap_err();
    assert_eq!(e.code(), "last_admin");
    assert!(app.svc.user(me).await.unwrap().active);
}

async fn only_an_admin_edits_users(app: TestApp) {
    let id = app.users[&Role::Handler];
    for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
        let (s, e) = patch(&app, *role, id, json!({"display_name": "x"})).await;
        assert_eq!(
            (s, code(&e).0),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{role}"
        );
        for act in ["disable", "enable"] {
            let (s, _) = app
                .post(*role, &format!("/api/v1/users/{id}/{act}"), json!({}))
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{role} {act}");
        }
    }
    assert!(app.svc.user(id).await.unwrap().active);
    assert!(traced(&app, "user.updated").await.is_empty());
}

/// The queue's "my grids" scope covers every grid the manager looks after.
async fn a_manager_of_two_grids_sees_both_in_the_queue(app: TestApp) {
    let gm = app.users[&Role::GridManager];
    let (s, _) = patch(&app, Role::Admin, gm, json!({"grids": ["G01", "G02"]})).await;
    assert_eq!(s, StatusCode::OK);
    let mut numbers = Vec::new();
    for account in ["3300000001", "3300000002"] {
        let (s, o) = app
            .post(
                Role::Agent,
                "/api/v1/work-orders",
                json!({"customer_account_no": account, "order_type": "repair",
                       "channel": "hotline_95598", "subject": "outage",
                       "title": "停电", "description": "整片停电"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        numbers.push(o["order_no"].as_str().unwrap().to_string());
    }
    let c = crate::pages::signed_in(&app, Role::GridManager).await;
    let html = c
        .get(format!("{}/queue?scope=grid", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for n in &numbers {
        assert!(html.contains(n.as_str()), "{n} in the grid queue");
    }
    // With one grid left, only that grid's order.
    let (s, _) = patch(&app, Role::Admin, gm, json!({"grids": ["G02"]})).await;
    assert_eq!(s, StatusCode::OK);
    let html = c
        .get(format!("{}/queue?scope=grid", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(numbers[0].as_str()) && html.contains(numbers[1].as_str()));
}

/// The admin page: the table found by a phrase, an edit refused with its values kept and the
/// error beside the field, a saved edit back in the table, a refused password beside its field.
async fn the_admin_pages_edit_users(app: TestApp) {
    let c = crate::pages::signed_in(&app, Role::Admin).await;
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = get("/admin?uq=HANDLER".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-user=\"handler1\"") && !html.contains("data-user=\"agent1\""));
    let (_, html) = get("/admin?urole=crew".into()).await;
    assert!(html.contains("data-user=\"crew1\"") && !html.contains("data-user=\"handler1\""));

    let id = app.users[&Role::Handler];
    let (s, html) = get(format!("/admin/users/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("maxlength=\"64\""));
    let save = |form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}/admin/users/{id}", app.base);
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            let status = r.status();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (status, to, r.text().await.unwrap())
        }
    };
    let (s, _, html) = save(vec![
        ("display_name", "a\u{7}b".into()),
        ("role", "crew".into()),
        ("station_id", String::new()),
        ("department_id", String::new()),
    ])
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"display_name-error\">姓名须为1至64个可见字符"),
        "{html}"
    );
    assert!(html.contains("<option value=\"crew\" selected"));
    let station = app.svc.stations().await.unwrap()[0].id;
    let (s, to, _) = save(vec![
        ("display_name", "李工".into()),
        ("role", "crew".into()),
        ("station_id", station.to_string()),
        ("department_id", String::new()),
    ])
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get(to.unwrap().replace("#users", "")).await;
    assert!(
        html.contains(">李工</td>") && html.contains("data-user=\"handler1\""),
        "{html}"
    );
    let u = app.svc.user(id).await.unwrap();
    assert_eq!((u.display_name.as_str(), u.role), ("李工", Role::Crew));

    let r = c
        .post(format!("{}/admin/users/{id}/password", app.base))
        .form(&[("password", "handler1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"pw-handler1-error\""), "{html}");
    let r = c
        .post(format!("{}/admin/users/{id}/disable", app.base))
        .form(&[("back", "/admin?uq=handler#users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/admin?uq=handler#users");
    assert!(!app.svc.user(id).await.unwrap().active);
    // One's own account: refused in words, back on the list.
    let me = app.users[&Role::Admin];
    let r = c
        .post(format!("{}/admin/users/{me}/disable", app.base))
        .form(&[("back", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = get("/admin".into()).await;
    assert!(html.contains("不能停用自己的账号"));
}

crate::both!(
    the_admin_pages_edit_users,
    every_field_changes_and_is_traced,
    a_grid_manager_gets_grids_that_leave_their_old_manager,
    bad_edits_are_refused_by_field,
    disabling_ends_sessions_and_tokens_and_sign_in,
    an_admin_keeps_their_own_account_and_the_last_admin_stays,
    only_an_admin_edits_users,
    a_manager_of_two_grids_sees_both_in_the_queue,
);
