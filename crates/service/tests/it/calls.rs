//! The contact centre's records and configuration through the service: a call handed over
//! when it ends is checked and stored once with its trace events, a caller who chose to be
//! called back gets one callback, refusals are traced, an agent's SIP secret is kept as HA1
//! over the realm `voltdesk` and set only by an administrator or the agent, and an agent's
//! state goes through the switchboard in place.

use crate::support::*;
use std::sync::{Arc, Mutex};
use voltdesk_domain::call::{CallLeg, CallRecordDraft, IvrStep, LegRole, SipUri};
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::CallFilter;

on_both_backends!(
    a_call_is_recorded_once_with_its_trace,
    a_record_that_does_not_hold_together_is_refused_by_field,
    a_caller_who_chose_a_callback_gets_one,
    refusals_are_traced,
    the_sip_secret_is_ha1_and_set_by_an_admin_or_the_agent,
    a_desk_phone_is_set_by_an_admin,
    the_agents_state_goes_through_the_switchboard,
);

/// A call to 95598 answered by `agent` after the menu and a 40 s wait, ending now.
fn answered(app: &TestApp, key: &str, agent: i64, customer: Option<i64>) -> CallRecordDraft {
    let end = app.now();
    let start = end - 5 * MINUTE;
    CallRecordDraft {
        call_key: key.into(),
        caller: "13812345678".into(),
        dialled: "95598".into(),
        source: "10.0.0.1:5060".into(),
        customer_id: customer,
        station_id: None,
        started_at: start,
        ivr_path: vec![IvrStep {
            node: "main".into(),
            digits: Some("1".into()),
            at: start + 5_000,
        }],
        queue: Some("repair".into()),
        queued_at: Some(start + 10_000),
        offered_at: Some(start + 45_000),
        agent_user_id: Some(agent),
        answered_at: Some(start + 50_000),
        ended_at: end,
        wrap_up_ms: Some(15_000),
        outcome: CallOutcome::Answered,
        order_ids: vec![],
        survey: Some(1),
        recording: None,
        legs: vec![CallLeg {
            role: LegRole::Caller,
            peer: "sip:13812345678@10.0.0.1".into(),
            codec: "PCMA/8000".into(),
            started_at: start,
            ended_at: end,
        }],
    }
}

/// The same caller giving up in the queue.
fn abandoned(app: &TestApp, key: &str) -> CallRecordDraft {
    CallRecordDraft {
        agent_user_id: None,
        offered_at: None,
        answered_at: None,
        wrap_up_ms: None,
        survey: None,
        outcome: CallOutcome::Abandoned,
        ..answered(app, key, 1, None)
    }
}

async fn kinds(app: &TestApp, prefix: &str) -> Vec<String> {
    let mut k: Vec<String> = app
        .svc
        .audit_trail(Some(prefix), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.kind)
        .collect();
    k.reverse();
    k
}

fn invalid<T: std::fmt::Debug>(r: Result<T>, want: &str) {
    match r {
        Err(ServiceError::Invalid { field, .. }) if field == want => {}
        other => panic!("expected invalid {want}, got {other:?}"),
    }
}

async fn a_call_is_recorded_once_with_its_trace(app: TestApp) {
    let agent = app.user_id(Role::Agent);
    let customer = app.customer(ZHANG_SAN);
    let order = app.open(outage_call(customer)).await.order.id;
    let mut call = answered(&app, "sip-0001", agent, Some(customer));
    call.order_ids = vec![order];
    let id = app.svc.record_call(call.clone()).await.unwrap();
    // Handed over again: the same record, nothing written twice.
    assert_eq!(app.svc.record_call(call.clone()).await.unwrap(), id);
    assert_eq!(kinds(&app, "call.").await, vec!["call.ended"]);
    let t = &app
        .svc
        .audit_trail(Some("call.ended"), None, 1)
        .await
        .unwrap()[0];
    assert_eq!(t.customer_id, Some(customer));
    assert_eq!(t.station_id, Some(app.station_id), "the customer's station");
    assert_eq!(t.payload["call_id"], id);
    assert_eq!(t.payload["wait_ms"], 40_000);
    assert_eq!(t.payload["talk_ms"], 5 * MINUTE - 50_000);
    assert_eq!(t.payload["order_ids"], serde_json::json!([order]));

    let supervisor = app.principal(Role::Supervisor);
    let v = app.svc.call(&supervisor, id).await.unwrap();
    assert_eq!(v.caller, "138****5678", "the caller is masked");
    assert_eq!(v.legs[0].peer, "sip:138****5678@10.0.0.1");
    assert_eq!(v.station_id, Some(app.station_id));
    assert_eq!((v.wait_ms, v.survey), (Some(40_000), Some(1)));

    // Another agent's call: the agent sees their own only.
    let other = app
        .svc
        .add_user(
            &Actor::system(),
            NewUser {
                username: "agent2".into(),
                display_name: "坐席二".into(),
                role: Role::Agent,
                password: PASSWORD.into(),
                station_id: Some(app.station_id),
                department_id: None,
            },
        )
        .await
        .unwrap();
    app.svc
        .record_call(answered(&app, "sip-0002", other.id, None))
        .await
        .unwrap();
    let all = CallFilter {
        limit: 50,
        ..CallFilter::default()
    };
    let (seen, total) = app.svc.calls(&supervisor, &all).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(seen[0].call_key, "sip-0002", "newest first");
    let (own, total) = app
        .svc
        .calls(&app.principal(Role::Agent), &all)
        .await
        .unwrap();
    assert_eq!((own.len(), total), (1, 1));
    assert_eq!(own[0].id, id);
    let theirs = seen[0].id;
    assert!(matches!(
        app.svc.call(&app.principal(Role::Agent), theirs).await,
        Err(ServiceError::NotFound { .. })
    ));
    let history = app
        .svc
        .customer_calls(&supervisor, customer, 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
}

async fn a_record_that_does_not_hold_together_is_refused_by_field(app: TestApp) {
    let agent = app.user_id(Role::Agent);
    let mut bad = answered(&app, "k-1", agent, None);
    bad.caller = String::new();
    invalid(app.svc.record_call(bad).await, "caller");
    let mut bad = answered(&app, "k-2", agent, None);
    bad.outcome = CallOutcome::Abandoned;
    invalid(app.svc.record_call(bad).await, "outcome");
    invalid(
        app.svc
            .record_call(answered(&app, "k-3", agent, Some(999_999)))
            .await,
        "customer_id",
    );
    invalid(
        app.svc
            .record_call(answered(&app, "k-4", 999_999, None))
            .await,
        "agent_user_id",
    );
    let mut bad = answered(&app, "k-5", agent, None);
    bad.order_ids = vec![999_999];
    invalid(app.svc.record_call(bad).await, "order_ids");
    let mut bad = answered(&app, "k-6", agent, None);
    bad.station_id = Some(999_999);
    invalid(app.svc.record_call(bad).await, "station_id");
    let mut bad = answered(&app, "k-7", agent, None);
    bad.survey = Some(9);
    invalid(app.svc.record_call(bad).await, "survey");
    let (_, total) = app
        .svc
        .calls(
            &app.principal(Role::Supervisor),
            &CallFilter {
                limit: 10,
                ..CallFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 0, "nothing refused was stored");
    assert!(kinds(&app, "call.").await.is_empty());
}

async fn a_caller_who_chose_a_callback_gets_one(app: TestApp) {
    let customer = app.customer(LI_SI);
    let call = CallRecordDraft {
        outcome: CallOutcome::Callback,
        customer_id: Some(customer),
        ..abandoned(&app, "cb-1")
    };
    let id = app.svc.record_call(call.clone()).await.unwrap();
    app.svc.record_call(call).await.unwrap();
    let open = app.svc.callbacks(true).await.unwrap();
    assert_eq!(open.len(), 1, "one callback, however often handed over");
    let cb = &open[0];
    assert_eq!(
        (cb.call_id, cb.customer_id, cb.queue.as_str()),
        (id, Some(customer), "repair")
    );
    assert_eq!(cb.phone, "138****5678");
    assert_eq!(cb.due_at, app.now(), "due at once");
    assert_eq!(
        kinds(&app, "call").await,
        vec!["call.ended", "callback.requested"]
    );

    invalid(
        app.svc
            .complete_callback(&app.actor(Role::Agent), cb.id, "\u{1b}[31m")
            .await,
        "note",
    );
    assert!(matches!(
        app.svc
            .complete_callback(&app.actor(Role::Handler), cb.id, "")
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    app.advance(10 * MINUTE);
    let done = app
        .svc
        .complete_callback(&app.actor(Role::Agent), cb.id, "已回电，客户表示已恢复供电")
        .await
        .unwrap();
    assert_eq!(done.status, CallbackStatus::Done);
    assert_eq!(done.done_by, Some(app.user_id(Role::Agent)));
    assert_eq!(done.done_at, Some(app.now()));
    let again = app
        .svc
        .complete_callback(&app.actor(Role::Agent), cb.id, "")
        .await;
    assert!(
        matches!(again, Err(ServiceError::CallbackClosed)),
        "{again:?}"
    );
    assert_eq!(ServiceError::CallbackClosed.code(), "callback_not_open");
    assert!(app.svc.callbacks(true).await.unwrap().is_empty());
    let timeline = app
        .svc
        .audit_trail(Some("callback.done"), None, 1)
        .await
        .unwrap();
    assert_eq!(timeline[0].customer_id, Some(customer));
    assert_eq!(timeline[0].actor, "agent");

    // An agent promises another one on the recorded call, for tomorrow.
    let later = app
        .svc
        .request_callback(
            &app.actor(Role::Agent),
            NewCallbackRequest {
                call_id: id,
                due_at: app.now() + DAY,
                note: Some("客户要求明早回电".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(later.status, CallbackStatus::Open);
    invalid(
        app.svc
            .request_callback(
                &app.actor(Role::Agent),
                NewCallbackRequest {
                    call_id: id,
                    due_at: app.now() + 40 * DAY,
                    note: None,
                },
            )
            .await,
        "due_at",
    );
}

async fn refusals_are_traced(app: TestApp) {
    app.svc
        .record_refused("203.0.113.9:5060", "1001\u{0}", "95598", 403, app.now())
        .await
        .unwrap();
    let t = &app
        .svc
        .audit_trail(Some("call.refused"), None, 1)
        .await
        .unwrap()[0];
    assert_eq!(t.payload["status"], 403);
    assert_eq!(t.payload["caller"], "1001", "control characters dropped");
    assert_eq!(t.actor, "system");
    // A record with the outcome refused: ended, and refused without a status.
    let refused = CallRecordDraft {
        ivr_path: vec![],
        queue: None,
        queued_at: None,
        outcome: CallOutcome::Refused,
        legs: vec![],
        ..abandoned(&app, "r-1")
    };
    app.svc.record_call(refused).await.unwrap();
    assert_eq!(
        kinds(&app, "call.").await,
        vec!["call.refused", "call.ended", "call.refused"]
    );
    let t = &app
        .svc
        .audit_trail(Some("call.refused"), None, 1)
        .await
        .unwrap()[0];
    assert!(t.payload.get("status").is_none(), "{}", t.payload);
}

async fn the_sip_secret_is_ha1_and_set_by_an_admin_or_the_agent(app: TestApp) {
    let desk = app
        .svc
        .add_user(
            &Actor::system(),
            NewUser {
                username: "1001".into(),
                display_name: "坐席1001".into(),
                role: Role::Agent,
                password: PASSWORD.into(),
                station_id: Some(app.station_id),
                department_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(app.svc.agent_sip_ha1("1001").await.unwrap(), None);
    app.svc
        .set_sip_password(&app.actor(Role::Admin), desk.id, "secret123")
        .await
        .unwrap();
    // md5("1001:voltdesk:secret123")
    assert_eq!(
        app.svc.agent_sip_ha1("1001").await.unwrap().as_deref(),
        Some("f770f59325f377c005fe4edfc7bc6c26")
    );
    assert_eq!(
        sip_ha1("1001", "secret123"),
        "f770f59325f377c005fe4edfc7bc6c26"
    );
    assert_eq!(REALM, "voltdesk");
    let t = &app
        .svc
        .audit_trail(Some("agent.sip_password_set"), None, 1)
        .await
        .unwrap()[0];
    assert_eq!(t.payload, serde_json::json!({"user_id": desk.id}));
    assert_eq!(t.actor, "admin");

    // The agent sets their own; not another agent's.
    let agent = app.actor(Role::Agent);
    app.svc
        .set_sip_password(&agent, app.user_id(Role::Agent), "my-phone-1")
        .await
        .unwrap();
    assert_eq!(
        app.svc.agent_sip_ha1("agent").await.unwrap(),
        Some(sip_ha1("agent", "my-phone-1"))
    );
    assert!(matches!(
        app.svc.set_sip_password(&agent, desk.id, "secret123").await,
        Err(ServiceError::Forbidden(_))
    ));
    // Only those who take calls have a SIP account; a password has 8 characters at least.
    assert!(matches!(
        app.svc
            .set_sip_password(
                &app.actor(Role::Handler),
                app.user_id(Role::Handler),
                "secret123"
            )
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    invalid(
        app.svc
            .set_sip_password(
                &app.actor(Role::Admin),
                app.user_id(Role::Handler),
                "secret123",
            )
            .await,
        "user_id",
    );
    invalid(
        app.svc
            .set_sip_password(&app.actor(Role::Admin), desk.id, "short")
            .await,
        "password",
    );
    assert!(matches!(
        app.svc
            .set_sip_password(&app.actor(Role::Admin), 999_999, "secret123")
            .await,
        Err(ServiceError::NotFound { .. })
    ));
    // A disabled agent, a user who takes no calls, nobody: no secret to check against.
    app.svc
        .set_user_active(&app.actor(Role::Admin), desk.id, false)
        .await
        .unwrap();
    assert_eq!(app.svc.agent_sip_ha1("1001").await.unwrap(), None);
    assert_eq!(app.svc.agent_sip_ha1("handler").await.unwrap(), None);
    assert_eq!(app.svc.agent_sip_ha1("nobody").await.unwrap(), None);
}

async fn a_desk_phone_is_set_by_an_admin(app: TestApp) {
    let agent = app.user_id(Role::Agent);
    let uri = SipUri::parse("sip:8001@10.0.0.21:5060").unwrap();
    assert!(matches!(
        app.svc
            .set_agent_phone(&app.actor(Role::Agent), agent, Some(uri.clone()))
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let p = app
        .svc
        .set_agent_phone(&app.actor(Role::Admin), agent, Some(uri))
        .await
        .unwrap();
    assert_eq!(p.static_contact.as_deref(), Some("sip:8001@10.0.0.21:5060"));
    assert!(!p.sip_account);
    let p = app
        .svc
        .set_agent_phone(&app.actor(Role::Admin), agent, None)
        .await
        .unwrap();
    assert_eq!(p.static_contact, None);
    assert_eq!(app.svc.agent_phones().await.unwrap().len(), 1);
    let set: Vec<serde_json::Value> = app
        .svc
        .audit_trail(Some("agent.phone_set"), None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.payload)
        .collect();
    assert_eq!(
        set,
        vec![
            serde_json::json!({"user_id": agent}),
            serde_json::json!({"user_id": agent, "contact": "sip:8001@10.0.0.21:5060"}),
        ]
    );
    invalid(
        app.svc
            .set_agent_phone(&app.actor(Role::Admin), app.user_id(Role::Crew), None)
            .await,
        "user_id",
    );
}

/// A switchboard that lets anyone be anything, and remembers what it was asked.
#[derive(Default)]
struct Obliging(Mutex<Vec<(i64, AgentWant)>>);

impl Switchboard for Obliging {
    fn live(&self) -> LiveBoard {
        LiveBoard {
            sip_on: true,
            calls: vec![],
            queues: vec![],
            agents: vec![],
        }
    }
    fn agent(&self, _: i64) -> Option<LiveAgent> {
        None
    }
    fn set_agent_state(
        &self,
        user_id: i64,
        want: AgentWant,
        now: Millis,
    ) -> std::result::Result<LiveAgent, String> {
        self.0.lock().unwrap().push((user_id, want.clone()));
        let (state, reason) = match want {
            AgentWant::Ready => (AgentState::Ready, None),
            AgentWant::NotReady(r) => (AgentState::NotReady, Some(r)),
            AgentWant::LogOut => return Err("on_call".into()),
        };
        Ok(LiveAgent {
            user_id,
            state: state.code(),
            reason,
            since: now,
            registered: true,
        })
    }
}

async fn the_agents_state_goes_through_the_switchboard(app: TestApp) {
    let agent = app.actor(Role::Agent);
    // No contact centre running: logged out, and asking is refused as such.
    let me = app.svc.agent_state(&agent).unwrap();
    assert_eq!((me.state, me.registered), ("logged_out", false));
    let off = app.svc.set_agent_state(&agent, AgentWant::Ready);
    assert_eq!(
        off.as_ref().map_err(ServiceError::code).err(),
        Some("sip_off")
    );
    assert!(
        !app.svc
            .live_board(&app.actor(Role::Supervisor))
            .unwrap()
            .sip_on
    );
    assert!(matches!(
        app.svc.live_board(&agent),
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        app.svc.agent_state(&app.actor(Role::Supervisor)),
        Err(ServiceError::Forbidden(_))
    ));

    let board = Arc::new(Obliging::default());
    app.svc.set_switchboard(board.clone());
    let clone = app.svc.clone();
    let ready = clone.set_agent_state(&agent, AgentWant::Ready).unwrap();
    assert_eq!((ready.state, ready.since), ("ready", app.now()));
    let lunch = app
        .svc
        .set_agent_state(&agent, AgentWant::NotReady("meal".into()))
        .unwrap();
    assert_eq!(lunch.reason.as_deref(), Some("meal"));
    invalid(
        app.svc
            .set_agent_state(&agent, AgentWant::NotReady("nap".into())),
        "reason",
    );
    let busy = app.svc.set_agent_state(&agent, AgentWant::LogOut);
    assert_eq!(
        busy.as_ref().map_err(ServiceError::code).err(),
        Some("agent_on_call")
    );
    assert_eq!(
        board.0.lock().unwrap().len(),
        3,
        "the bad reason never reached the switchboard"
    );
    assert!(app.svc.live_board(&app.actor(Role::Admin)).unwrap().sip_on);

    // The switchboard's own changes are traced in the agent's name.
    app.svc
        .record_agent_state(
            voltdesk_domain::trace::AgentStateChanged {
                user_id: app.user_id(Role::Agent),
                from: AgentState::Ready,
                to: AgentState::NotReady,
                reason: Some("meal".into()),
            },
            app.now(),
        )
        .await
        .unwrap();
    let t = &app
        .svc
        .audit_trail(Some("agent.state"), None, 1)
        .await
        .unwrap()[0];
    assert_eq!(t.actor, "agent");
    assert_eq!(t.payload["to"], "not_ready");
}
