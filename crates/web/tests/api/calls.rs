//! The contact centre over HTTP: call records listed, filtered and exported (the caller
//! masked, an agent's own calls only), agents' desk phones and SIP passwords, an agent's
//! state through the switchboard (none running: `sip_off`), the live board, callbacks; and
//! the pages: `/calls` with its live panel and records, the agent's phone widget, the
//! administrator's phone forms.

use crate::pages::signed_in;
use crate::support::{T0, TestApp};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use voltdesk_domain::call::{CallRecordDraft, IvrStep};
use voltdesk_domain::{AgentState, CallOutcome, DAY_MS, MINUTE_MS, Millis, Role};
use voltdesk_service::{AgentWant, LiveAgent, LiveBoard, LiveCall, LiveQueue, Switchboard};

/// A call to 95598 from Zhang San answered by `agent` after a 40 s wait, starting `at`.
pub(crate) fn answered(key: &str, at: Millis, agent: i64) -> CallRecordDraft {
    CallRecordDraft {
        call_key: key.into(),
        caller: "13812345678".into(),
        dialled: "95598".into(),
        source: "10.0.0.1:5060".into(),
        customer_id: Some(1),
        station_id: None,
        started_at: at,
        ivr_path: vec![IvrStep {
            node: "main".into(),
            digits: Some("1".into()),
            at: at + 5_000,
        }],
        queue: Some("repair".into()),
        queued_at: Some(at + 10_000),
        offered_at: Some(at + 45_000),
        agent_user_id: Some(agent),
        answered_at: Some(at + 50_000),
        ended_at: at + 50_000 + 3 * MINUTE_MS,
        wrap_up_ms: Some(20_000),
        outcome: CallOutcome::Answered,
        order_ids: vec![],
        survey: Some(1),
        recording: None,
        legs: vec![],
    }
}

/// A caller who gave up waiting in `queue`, or (with `Callback`) asked to be called back.
fn unanswered(key: &str, at: Millis, queue: &str, outcome: CallOutcome) -> CallRecordDraft {
    CallRecordDraft {
        customer_id: None,
        queue: Some(queue.into()),
        offered_at: None,
        agent_user_id: None,
        answered_at: None,
        wrap_up_ms: None,
        survey: None,
        outcome,
        ended_at: at + MINUTE_MS,
        ..answered(key, at, 1)
    }
}

fn code(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or_default(),
        v["error"]["field"].as_str().unwrap_or_default(),
    )
}

async fn put(app: &TestApp, role: Role, path: &str, body: Value) -> (StatusCode, Value) {
    app.call(Some(role), Method::PUT, path, Some(body)).await
}

async fn calls_are_listed_filtered_and_exported(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let agent = app.users[&Role::Agent];
    let other = app
        .svc
        .add_user(
            &voltdesk_service::Actor::system(),
            voltdesk_service::NewUser {
                username: "agent2".into(),
                display_name: "王坐席".into(),
                role: Role::Agent,
                password: "correct horse".into(),
                station_id: None,
                department_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let svc = &app.svc;
    let mine = svc.record_call(answered("c-1", T0, agent)).await.unwrap();
    let theirs = svc
        .record_call(answered("c-2", T0 + MINUTE_MS, other))
        .await
        .unwrap();
    svc.record_call(unanswered(
        "c-3",
        T0 + 2 * MINUTE_MS,
        "billing",
        CallOutcome::Abandoned,
    ))
    .await
    .unwrap();
    svc.record_call(answered("c-0", T0 - DAY_MS, agent))
        .await
        .unwrap();

    let keys = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["call_key"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, all) = app.get(Role::Supervisor, "/api/v1/calls").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    crate::schema::check(&doc, "GET", "/api/v1/calls", s, &all);
    assert_eq!(keys(&all), ["c-3", "c-2", "c-1", "c-0"]);
    assert_eq!(
        (all["total"].as_i64(), all["total_exact"].as_bool()),
        (Some(4), Some(true))
    );
    assert_eq!(
        all["items"][1]["caller"], "138****5678",
        "the caller is masked"
    );
    let (_, today) = app
        .get(
            Role::Supervisor,
            "/api/v1/calls?from=2026-11-20&to=2026-11-20",
        )
        .await;
    assert_eq!(keys(&today), ["c-3", "c-2", "c-1"]);
    let (_, v) = app
        .get(Role::Admin, "/api/v1/calls?outcome=abandoned")
        .await;
    assert_eq!(keys(&v), ["c-3"]);
    let (_, v) = app
        .get(
            Role::Supervisor,
            &format!("/api/v1/calls?agent_user_id={other}&queue=repair"),
        )
        .await;
    assert_eq!(keys(&v), ["c-2"]);
    let (_, v) = app
        .get(
            Role::Supervisor,
            "/api/v1/calls?customer_id=1&per_page=1&page=2",
        )
        .await;
    assert_eq!(keys(&v), ["c-1"]);
    assert_eq!(v["total"], 3);

    // An agent reads only the calls they took; another's is not found.
    let (_, own) = app.get(Role::Agent, "/api/v1/calls").await;
    assert_eq!(keys(&own), ["c-1", "c-0"]);
    let (_, own) = app
        .get(Role::Agent, &format!("/api/v1/calls?agent_user_id={other}"))
        .await;
    assert_eq!(keys(&own), ["c-1", "c-0"], "the filter cannot widen it");
    let (s, one) = app.get(Role::Agent, &format!("/api/v1/calls/{mine}")).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    crate::schema::check(&doc, "GET", "/api/v1/calls/{id}", s, &one);
    assert_eq!(
        (one["wait_ms"].as_i64(), one["talk_ms"].as_i64()),
        (Some(40_000), Some(3 * MINUTE_MS))
    );
    let (s, v) = app
        .get(Role::Agent, &format!("/api/v1/calls/{theirs}"))
        .await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"));

    // Who may not read calls, and bad filters with their stable codes.
    let (s, v) = app.get(Role::Handler, "/api/v1/calls").await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, v) = app.call(None, Method::GET, "/api/v1/calls", None).await;
    assert_eq!((s, code(&v).0), (StatusCode::UNAUTHORIZED, "unauthorized"));
    for (q, field) in [
        ("outcome=hung_up", "outcome"),
        ("from=2026-13-01", "from"),
        ("from=2026-11-21&to=2026-11-20", "from"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("agent_user_id=x", "agent_user_id"),
        ("colour=red", "colour"),
    ] {
        let (s, v) = app
            .get(Role::Supervisor, &format!("/api/v1/calls?{q}"))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(code(&v), ("invalid_query", field), "{q}: {v}");
    }

    // The export: UTF-8 with a BOM, headers in the reader's words, the caller masked.
    let csv = |lang: &'static str, q: &'static str| {
        let c = app.client.clone();
        let url = format!("{}/api/v1/calls/export.csv?{q}", app.base);
        let token = app.tokens[&Role::Supervisor].clone();
        async move {
            let r = c
                .get(url)
                .bearer_auth(token)
                .header("cookie", format!("vd_lang={lang}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
            assert!(
                r.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .contains("calls.csv")
            );
            r.bytes().await.unwrap()
        }
    };
    let zh = csv("zh", "from=2026-11-20&to=2026-11-20").await;
    assert_eq!(&zh[..3], &[0xEF, 0xBB, 0xBF], "a BOM for Excel");
    let text = std::str::from_utf8(&zh[3..]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "开始时间,主叫号码,被叫号码,客户,队列,坐席,结果,等待（秒）,通话（秒）,话后整理（秒）,工单ID,满意度评价"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[2].starts_with(
            "2026-11-20 10:01:00,138****5678,95598,1,repair,王坐席,接通,40,180,20,,满意"
        ),
        "{}",
        lines[2]
    );
    assert!(!text.contains("13812345678"));
    let en = csv("en", "outcome=abandoned").await;
    let text = std::str::from_utf8(&en[3..]).unwrap();
    assert!(
        text.starts_with("Started,Caller,Dialled,Customer,Queue,Agent,Outcome,Wait (s),"),
        "{text}"
    );
    assert!(text.contains(",Abandoned,"), "{text}");
    let (s, v) = app.get(Role::Agent, "/api/v1/calls/export.csv").await;
    assert_eq!(s, StatusCode::OK, "an agent exports their own calls: {v}");
    assert_eq!(v.as_str().unwrap().lines().count(), 3);
}

async fn desk_phones_and_sip_passwords(app: TestApp) {
    let agent = app.users[&Role::Agent];
    let path = format!("/api/v1/agents/{agent}/phone");
    let (s, v) = put(
        &app,
        Role::Admin,
        &path,
        json!({"uri": "sip:8001@10.0.0.21:5060"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["static_contact"], "sip:8001@10.0.0.21:5060");
    assert_eq!(v["sip_account"], false);
    let (s, v) = put(&app, Role::Admin, &path, json!({"uri": "8001@10.0.0.21"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_field", "uri")),
        "{v}"
    );
    let (s, v) = put(&app, Role::Admin, &path, json!({"uri": null})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["static_contact"].is_null());
    let (s, v) = put(&app, Role::Agent, &path, json!({"uri": null})).await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let handler = app.users[&Role::Handler];
    let (s, v) = put(
        &app,
        Role::Admin,
        &format!("/api/v1/agents/{handler}/phone"),
        json!({"uri": "sip:8002@10.0.0.22"}),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "user_id")
        )
    );
    let (s, v) = put(
        &app,
        Role::Admin,
        "/api/v1/agents/999999/phone",
        json!({"uri": null}),
    )
    .await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"));

    let sip = format!("/api/v1/agents/{agent}/sip-password");
    let (s, v) = put(&app, Role::Agent, &sip, json!({"password": "my-phone-1"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(
        app.svc.agent_sip_ha1("agent1").await.unwrap(),
        Some(voltdesk_service::sip_ha1("agent1", "my-phone-1"))
    );
    let (s, v) = put(&app, Role::Admin, &sip, json!({"password": "short"})).await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "password")
        )
    );
    let (s, v) = put(&app, Role::Admin, &sip, json!({})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, ("invalid_json", "password"))
    );
    let (s, v) = put(
        &app,
        Role::Handler,
        &format!("/api/v1/agents/{handler}/sip-password"),
        json!({"password": "secret123"}),
    )
    .await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, v) = put(
        &app,
        Role::Agent,
        &format!("/api/v1/agents/{handler}/sip-password"),
        json!({"password": "secret123"}),
    )
    .await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let (_, phone) = put(&app, Role::Admin, &path, json!({"uri": null})).await;
    assert_eq!(phone["sip_account"], true);
    let (_, audit) = app.get(Role::Auditor, "/api/v1/audit?kind=agent.").await;
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "agent.phone_set",
            "agent.sip_password_set",
            "agent.phone_set",
            "agent.phone_set"
        ]
    );
    assert!(
        !audit.to_string().contains("my-phone-1"),
        "no secret in the trail"
    );
}

/// A switchboard with one call waiting and agent1 ready.
pub(crate) struct Busy {
    pub(crate) agent: i64,
}

impl Switchboard for Busy {
    fn live(&self) -> LiveBoard {
        LiveBoard {
            sip_on: true,
            calls: vec![LiveCall {
                call_key: "live-1".into(),
                caller_masked: "139****0000".into(),
                customer_id: Some(2),
                stage: "queued",
                queue: Some("repair".into()),
                agent_user_id: None,
                since: T0 - 30_000,
            }],
            queues: vec![LiveQueue {
                id: "repair".into(),
                name: "故障报修".into(),
                waiting: 1,
                longest_wait_ms: 30_000,
                ready: 1,
                busy: 0,
            }],
            agents: vec![self.agent(self.agent).unwrap()],
        }
    }
    fn agent(&self, user_id: i64) -> Option<LiveAgent> {
        Some(LiveAgent {
            user_id,
            state: AgentState::Ready.code(),
            reason: None,
            since: T0 - 60_000,
            registered: true,
        })
    }
    fn set_agent_state(
        &self,
        user_id: i64,
        want: AgentWant,
        now: Millis,
    ) -> Result<LiveAgent, String> {
        match want {
            AgentWant::Ready => Err("not_registered".into()),
            AgentWant::NotReady(r) => Ok(LiveAgent {
                user_id,
                state: AgentState::NotReady.code(),
                reason: Some(r),
                since: now,
                registered: true,
            }),
            AgentWant::LogOut => Err("on_call".into()),
        }
    }
}

async fn an_agents_state_and_the_live_board(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let (s, me) = app.get(Role::Agent, "/api/v1/agents/me/state").await;
    assert_eq!(s, StatusCode::OK, "{me}");
    crate::schema::check(&doc, "GET", "/api/v1/agents/me/state", s, &me);
    assert_eq!(
        (me["state"].as_str(), me["registered"].as_bool()),
        (Some("logged_out"), Some(false))
    );
    let state = "/api/v1/agents/me/state";
    let (s, v) = put(&app, Role::Agent, state, json!({"state": "ready"})).await;
    assert_eq!(
        (s, code(&v).0),
        (StatusCode::SERVICE_UNAVAILABLE, "sip_off"),
        "{v}"
    );
    let (s, v) = put(&app, Role::Agent, state, json!({"state": "not_ready"})).await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "reason")
        )
    );
    let (s, v) = put(
        &app,
        Role::Agent,
        state,
        json!({"state": "not_ready", "reason": "nap"}),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_field", "reason")
        )
    );
    let (s, v) = put(&app, Role::Agent, state, json!({"state": "talking"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, ("invalid_field", "state"))
    );
    let (s, v) = app.get(Role::Supervisor, state).await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, live) = app.get(Role::Supervisor, "/api/v1/live").await;
    assert_eq!(s, StatusCode::OK);
    crate::schema::check(&doc, "GET", "/api/v1/live", s, &live);
    assert_eq!(live["sip_on"], false);
    let (s, v) = app.get(Role::Agent, "/api/v1/live").await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));

    app.svc.set_switchboard(Arc::new(Busy {
        agent: app.users[&Role::Agent],
    }));
    let (s, v) = put(&app, Role::Agent, state, json!({"state": "ready"})).await;
    assert_eq!(
        (s, code(&v).0),
        (StatusCode::CONFLICT, "phone_not_registered")
    );
    let (s, v) = put(&app, Role::Agent, state, json!({"state": "logged_out"})).await;
    assert_eq!((s, code(&v).0), (StatusCode::CONFLICT, "agent_on_call"));
    let (s, v) = put(
        &app,
        Role::Agent,
        state,
        json!({"state": "not_ready", "reason": "meal"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    crate::schema::check(&doc, "PUT", "/api/v1/agents/me/state", s, &v);
    assert_eq!(
        (v["state"].as_str(), v["reason"].as_str()),
        (Some("not_ready"), Some("meal"))
    );
    let (s, live) = app.get(Role::Admin, "/api/v1/live").await;
    assert_eq!(s, StatusCode::OK);
    crate::schema::check(&doc, "GET", "/api/v1/live", s, &live);
    assert_eq!(live["calls"][0]["stage"], "queued");
    assert_eq!(live["queues"][0]["waiting"], 1);
}

async fn callbacks_are_listed_and_done(app: TestApp) {
    let (_, doc) = app
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    app.svc
        .record_call(unanswered("cb-1", T0, "repair", CallOutcome::Callback))
        .await
        .unwrap();
    let (s, list) = app.get(Role::Agent, "/api/v1/callbacks").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    crate::schema::check(&doc, "GET", "/api/v1/callbacks", s, &list);
    let cb = &list["items"][0];
    assert_eq!(
        (cb["phone"].as_str(), cb["status"].as_str()),
        (Some("138****5678"), Some("open"))
    );
    let id = cb["id"].as_i64().unwrap();
    let done = format!("/api/v1/callbacks/{id}/done");
    let (s, v) = app.post(Role::Admin, &done, json!({"note": "x"})).await;
    assert_eq!((s, code(&v).0), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, v) = app
        .post(Role::Agent, &done, json!({"note": "已回电"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    crate::schema::check(&doc, "POST", "/api/v1/callbacks/{id}/done", s, &v);
    assert_eq!(
        (v["status"].as_str(), v["note"].as_str()),
        (Some("done"), Some("已回电"))
    );
    let (s, v) = app.post(Role::Supervisor, &done, json!({})).await;
    assert_eq!((s, code(&v).0), (StatusCode::CONFLICT, "callback_not_open"));
    let (s, v) = app
        .post(Role::Agent, "/api/v1/callbacks/999999/done", json!({}))
        .await;
    assert_eq!((s, code(&v).0), (StatusCode::NOT_FOUND, "not_found"));
    let (_, open) = app.get(Role::Agent, "/api/v1/callbacks").await;
    assert!(open["items"].as_array().unwrap().is_empty());
    let (_, all) = app
        .get(Role::Supervisor, "/api/v1/callbacks?open=false")
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}

/// A browser-like client that does not follow redirects, signed in as `role`.
async fn page_client(app: &TestApp, role: Role) -> reqwest::Client {
    signed_in(app, role).await
}

async fn text(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn the_calls_page_the_phone_widget_and_the_admins_forms(app: TestApp) {
    let base = &app.base;
    let supervisor = page_client(&app, Role::Supervisor).await;
    // Nothing yet: the contact centre is not running and no call was recorded.
    let (s, html) = text(&supervisor, format!("{base}/calls")).await;
    assert_eq!(s, StatusCode::OK);
    for id in [
        "sip-off",
        "live-calls-empty",
        "queues-empty",
        "calls-empty",
        "export-csv",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(
        html.contains("href=\"/calls\" class=\"here\""),
        "the nav item"
    );
    let (s, panel) = text(&supervisor, format!("{base}/calls/live")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        panel.contains("id=\"agents\"") && !panel.contains("<html"),
        "{panel}"
    );
    assert!(panel.contains("未签入"), "agents are logged out: {panel}");

    let agent = app.users[&Role::Agent];
    let id = app
        .svc
        .record_call(answered("p-1", T0, agent))
        .await
        .unwrap();
    let (_, html) = text(&supervisor, format!("{base}/calls?date=2026-11-20")).await;
    assert!(html.contains(&format!("data-call=\"{id}\"")), "{html}");
    assert!(html.contains("href=\"/customers/1\""));
    assert!(html.contains("138****5678") && !html.contains("13812345678"));
    assert!(
        html.contains("0:40") && html.contains("3:00"),
        "wait and talk"
    );
    assert!(
        html.contains("/api/v1/calls/export.csv?from=2026-11-20&#38;to=2026-11-20"),
        "{html}"
    );
    let (_, other_day) = text(&supervisor, format!("{base}/calls?date=2026-11-19")).await;
    assert!(other_day.contains("id=\"calls-empty\""));
    let (_, html) = text(&supervisor, format!("{base}/calls?outcome=nope")).await;
    assert!(html.contains("id=\"calls-error\""));

    // The agent's widget is on every page an agent sees, and on no one else's.
    let agent_c = page_client(&app, Role::Agent).await;
    let (_, desk) = text(&agent_c, format!("{base}/desk")).await;
    assert!(desk.contains("id=\"phone\""), "{desk}");
    assert!(desk.contains("未登录") && desk.contains("未签入"), "{desk}");
    let (_, board) = text(&supervisor, format!("{base}/board")).await;
    assert!(!board.contains("id=\"phone\""));
    let (s, _) = text(&agent_c, format!("{base}/calls")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Without JavaScript: the form posts and the browser comes back with the refusal.
    let r = agent_c
        .post(format!("{base}/agent/state"))
        .header("referer", format!("{base}/orders?overdue=true"))
        .form(&[("state", "ready")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/orders?overdue=true");
    let (_, page) = text(&agent_c, format!("{base}/orders?overdue=true")).await;
    assert!(page.contains("话务系统未运行"), "the refusal in words");
    // With htmx: the widget comes back with the refusal in it.
    let r = agent_c
        .post(format!("{base}/agent/state"))
        .header("hx-request", "true")
        .form(&[("state", "not_ready"), ("reason", "meal")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let w = r.text().await.unwrap();
    assert!(
        w.starts_with("<div id=\"phone\"") && w.contains("id=\"phone-error\""),
        "{w}"
    );
    // A running switchboard: the widget says so.
    app.svc.set_switchboard(Arc::new(Busy { agent }));
    let (_, w) = text(&agent_c, format!("{base}/agent/phone")).await;
    assert!(w.contains("已登录") && w.contains("就绪"), "{w}");
    let r = agent_c
        .post(format!("{base}/agent/state"))
        .header("referer", "http://elsewhere.example/orders")
        .form(&[("state", "not_ready"), ("reason", "training")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/desk",
        "another site's page is not gone back to"
    );
    let (_, desk) = text(&agent_c, format!("{base}/desk")).await;
    assert!(desk.contains("小休·培训"), "the flash names the new state");
    let (_, html) = text(&supervisor, format!("{base}/calls")).await;
    assert!(
        html.contains("data-queue=\"repair\"") && html.contains("139****0000"),
        "{html}"
    );

    // An administrator sets the agent's desk phone and SIP password on the user's page.
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = admin
        .post(format!("{base}/login"))
        .form(&[("username", "admin1"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, edit) = text(&admin, format!("{base}/admin/users/{agent}")).await;
    assert!(
        edit.contains("id=\"agent-phone\"") && edit.contains("尚未设置SIP密码"),
        "{edit}"
    );
    let handler = app.users[&Role::Handler];
    let (_, edit) = text(&admin, format!("{base}/admin/users/{handler}")).await;
    assert!(
        !edit.contains("id=\"agent-phone\""),
        "no phone for a handler"
    );
    let r = admin
        .post(format!("{base}/admin/users/{agent}/phone"))
        .form(&[("uri", "8001 at desk")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"uri-error\"") && html.contains("value=\"8001 at desk\""),
        "{html}"
    );
    let r = admin
        .post(format!("{base}/admin/users/{agent}/phone"))
        .form(&[("uri", "sip:8001@10.0.0.21:5060")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post(format!("{base}/admin/users/{agent}/sip-password"))
        .form(&[("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"sip_password-error\"") && html.contains("SIP密码须为8至128个字符"),
        "{html}"
    );
    let r = admin
        .post(format!("{base}/admin/users/{agent}/sip-password"))
        .form(&[("password", "desk-8001-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, edit) = text(&admin, format!("{base}/admin/users/{agent}")).await;
    assert!(
        edit.contains("value=\"sip:8001@10.0.0.21:5060\"") && edit.contains("已设置SIP密码"),
        "{edit}"
    );
    assert!(app.svc.agent_sip_ha1("agent1").await.unwrap().is_some());
}

crate::both!(
    calls_are_listed_filtered_and_exported,
    desk_phones_and_sip_passwords,
    an_agents_state_and_the_live_board,
    callbacks_are_listed_and_done,
    the_calls_page_the_phone_widget_and_the_admins_forms,
);
