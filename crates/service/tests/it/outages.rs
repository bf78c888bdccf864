//! Outages and proactive care: registration resolves the affected customers and queues
//! their notices in one transaction, idempotent on the dispatch system's id; restoration and
//! repair stay apart; a repair call from an outage's area joins the outage instead of
//! sending a crew; care tasks are raised once, and during long outages by the care tick;
//! a CSV import is all or nothing.

use crate::support::*;
use voltdesk_domain::outage::{CareTaskKind, OutageKind};
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::{OutageState, TraceRow};

on_both_backends!(
    registration_resolves_customers_and_queues_notices,
    a_planned_outage_registered_late_is_flagged,
    a_resend_with_the_same_external_ref_is_the_same_outage,
    restoration_and_repair_are_kept_apart,
    a_repair_call_from_an_outage_area_is_linked_not_dispatched,
    care_tasks_are_raised_once_and_tracked_to_done,
    the_care_tick_checks_on_households_after_eight_hours,
    an_import_with_a_bad_row_imports_nothing,
    care_plans_and_the_demand_ledger,
);

/// More households: a care-group household in town, a segment-A household and a factory in
/// the village, a plain household up the hill.
const MORE_CUSTOMERS: &str = "\
account_no,name,phone,address,usage_class,area_code,care_groups,segment
3100000011,赵六,13811112222,城东镇东街2号,residential,TA-URBAN,oxygen,C
3100000012,钱七,13911113333,城东镇李家村3号,residential,TA-RURAL,,A
3100000013,孙八机械厂,13711114444,城东镇李家村工业区,large_industry,TA-RURAL,,C
3100000014,周九,13611115555,城东镇高山村5组,residential,TA-REMOTE,,C
";
const ZHAO_LIU: &str = "3100000011";

async fn with_more_customers(app: &TestApp) {
    let (rows, errors) = parse_customers(MORE_CUSTOMERS);
    assert!(errors.is_empty(), "{errors:?}");
    app.svc
        .import_customers(&app.actor(Role::Admin), rows, errors, false, &|_| {})
        .await
        .expect("import customers");
}

async fn customer_id(app: &TestApp, account: &str) -> i64 {
    app.svc
        .lookup_customers(&app.principal(Role::Agent), None, Some(account))
        .await
        .expect("lookup")[0]
        .id
}

fn outage(kind: OutageKind, external_ref: &str, start: Millis, hours: i64) -> NewOutage {
    NewOutage {
        external_ref: Some(external_ref.into()),
        kind: Some(kind),
        cause: Some("10kV线路检修".into()),
        started_at: Some(start),
        expected_restore_at: Some(start + hours * HOUR),
        ..NewOutage::default()
    }
}

fn on_feeder(mut n: NewOutage, feeder: &str) -> NewOutage {
    n.feeder_code = Some(feeder.into());
    n
}

fn on_area(mut n: NewOutage, area: &str) -> NewOutage {
    n.area_code = Some(area.into());
    n
}

/// The dispatch system: an admin (org.write).
async fn register(app: &TestApp, n: NewOutage) -> (OutageView, bool) {
    app.svc
        .register_outage(&app.actor(Role::Admin), n)
        .await
        .expect("register outage")
}

async fn try_register(app: &TestApp, n: NewOutage) -> Result<(OutageView, bool)> {
    app.svc.register_outage(&app.actor(Role::Admin), n).await
}

/// Outage notices in the outbox: (kind, customer_id), in the order queued.
async fn outage_notices(app: &TestApp) -> Vec<(String, i64)> {
    let mut out: Vec<(i64, String, i64)> = app
        .svc
        .store()
        .outbox(10_000)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|o| o.kind.starts_with("outage."))
        .map(|o| {
            (
                o.id,
                o.kind,
                o.payload["customer_id"].as_i64().expect("customer_id"),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, k, c)| (k, c)).collect()
}

async fn traces(app: &TestApp, prefix: &str) -> Vec<TraceRow> {
    app.svc
        .store()
        .trace_all(Some(prefix), None, 500)
        .await
        .expect("trace")
}

async fn tasks(app: &TestApp, outage_id: Option<i64>) -> Vec<CareTaskView> {
    app.svc
        .care_tasks(
            &app.principal(Role::Supervisor),
            &CareTaskQuery {
                outage_id,
                status: Some("all".into()),
                ..CareTaskQuery::default()
            },
            500,
            0,
        )
        .await
        .expect("care tasks")
        .0
}

async fn registration_resolves_customers_and_queues_notices(app: TestApp) {
    with_more_customers(&app).await;
    let start = app.now() + 10 * DAY;
    // A planned outage of feeder F-102: the village and the hill, five households.
    let (o, replayed) = register(
        &app,
        on_feeder(outage(OutageKind::Planned, "DMS-1", start, 8), "F-102"),
    )
    .await;
    assert!(!replayed);
    assert_eq!(o.record.outage.affected_customers, 5);
    assert_eq!(o.record.outage.kind, OutageKind::Planned);
    assert_eq!(o.record.outage.area_id, None);
    assert!(o.record.outage.feeder_id.is_some());
    let mut areas = vec![app.area(RURAL_AREA), app.area(REMOTE_AREA)];
    areas.sort();
    assert_eq!(o.area_ids, areas);
    assert!(!o.record.late_notice);
    assert_eq!(o.record.notice_due_at, Some(start - 7 * DAY));
    assert_eq!(o.record.outage.notified_at, Some(app.now()));
    assert_eq!(o.record.source, "api");
    assert!(!o.active);

    let notices = outage_notices(&app).await;
    assert_eq!(notices.len(), 5, "one notice per affected household");
    assert!(notices.iter().all(|(k, _)| k == "outage.planned"));
    let mut customers: Vec<i64> = notices.iter().map(|(_, c)| *c).collect();
    customers.dedup();
    assert_eq!(customers.len(), 5);
    assert!(customers.contains(&app.customer(LI_SI)));
    assert!(customers.contains(&app.customer(WANG_WU)));
    assert!(
        !customers.contains(&app.customer(ZHANG_SAN)),
        "F-101 is not off"
    );
    let n = app
        .svc
        .store()
        .outbox(10)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.kind == "outage.planned")
        .unwrap();
    assert_eq!(n.topic, "sms");
    assert_eq!(n.payload["outage_id"], o.record.outage.id);
    assert_eq!(n.payload["start_local"], "2026-11-30 10:00");
    assert_eq!(n.payload["scope"], "10kV东二线");

    let t = traces(&app, "outage.registered").await;
    assert_eq!(t.len(), 1);
    let p = &t[0].payload;
    assert_eq!(p["outage_id"], o.record.outage.id);
    assert_eq!(p["kind"], "planned");
    assert_eq!(p["affected"], 5);
    assert_eq!(p["late_notice"], false);
    assert_eq!(p["area_ids"].as_array().unwrap().len(), 2);
    assert_eq!(p["started_at"], start);
    assert_eq!(t[0].station_id, Some(app.station_id));

    // Temporary maintenance on the same feeder: the important customers only (segment A,
    // the factory), 24 h ahead.
    let (tmp, _) = register(
        &app,
        on_feeder(
            outage(OutageKind::Temporary, "DMS-2", app.now() + 30 * HOUR, 4),
            "F-102",
        ),
    )
    .await;
    assert_eq!(tmp.record.outage.affected_customers, 5);
    assert!(!tmp.record.late_notice);
    let temp: Vec<i64> = outage_notices(&app)
        .await
        .into_iter()
        .filter(|(k, _)| k == "outage.temporary")
        .map(|(_, c)| c)
        .collect();
    assert_eq!(temp.len(), 2);
    assert!(temp.contains(&customer_id(&app, "3100000012").await));
    assert!(temp.contains(&customer_id(&app, "3100000013").await));

    // A fault in town: no notice ahead.
    let before = outage_notices(&app).await.len();
    let (f, _) = register(
        &app,
        on_area(
            NewOutage {
                expected_restore_at: None,
                ..outage(OutageKind::Fault, "DMS-3", app.now() - 10 * MINUTE, 1)
            },
            URBAN_AREA,
        ),
    )
    .await;
    assert_eq!(f.record.outage.affected_customers, 2);
    assert_eq!(f.area_ids, vec![app.area(URBAN_AREA)]);
    assert!(f.active);
    assert_eq!(f.record.notice_due_at, None);
    assert_eq!(f.record.outage.notified_at, None);
    assert_eq!(outage_notices(&app).await.len(), before);

    // The board's lists.
    let (active, total) = app
        .svc
        .outages_list(OutageState::Active, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(active[0].record.outage.id, f.record.outage.id);
    let (planned, total) = app
        .svc
        .outages_list(OutageState::Planned, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        planned[0].record.outage.id, tmp.record.outage.id,
        "soonest first"
    );

    // Bad outages are refused with the field named.
    let bad = |n: NewOutage| try_register(&app, n);
    let err = bad(on_area(
        outage(OutageKind::Planned, "X1", app.now(), 0),
        URBAN_AREA,
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Invalid { ref field, .. } if field == "expected_restore_at")
    );
    let err = bad(outage(OutageKind::Fault, "X2", app.now(), 1))
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "feeder_code"));
    let err = bad(on_feeder(
        outage(OutageKind::Fault, "X3", app.now(), 1),
        "F-999",
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "feeder_code"));
}

async fn a_planned_outage_registered_late_is_flagged(app: TestApp) {
    with_more_customers(&app).await;
    let start = app.now() + 3 * DAY;
    let (o, _) = register(
        &app,
        on_feeder(outage(OutageKind::Planned, "DMS-LATE", start, 6), "F-102"),
    )
    .await;
    assert!(
        o.record.late_notice,
        "3 days ahead is less than the 7 promised"
    );
    assert_eq!(o.record.notice_due_at, Some(start - 7 * DAY));
    // The customers are still told, as early as possible.
    assert_eq!(outage_notices(&app).await.len(), 5);
    let t = traces(&app, "outage.registered").await;
    assert_eq!(t[0].payload["late_notice"], true);

    // Exactly seven days ahead is in time.
    let (o, _) = register(
        &app,
        on_feeder(
            outage(OutageKind::Planned, "DMS-OK", app.now() + 7 * DAY, 6),
            "F-101",
        ),
    )
    .await;
    assert!(!o.record.late_notice);
}

async fn a_resend_with_the_same_external_ref_is_the_same_outage(app: TestApp) {
    with_more_customers(&app).await;
    let n = on_feeder(
        outage(OutageKind::Planned, "DMS-9", app.now() + 10 * DAY, 8),
        "F-102",
    );
    let (first, replayed) = register(&app, n.clone()).await;
    assert!(!replayed);
    let notices = outage_notices(&app).await.len();
    app.advance(MINUTE);
    let (again, replayed) = register(&app, n.clone()).await;
    assert!(replayed);
    assert_eq!(again.record.outage.id, first.record.outage.id);
    // A re-send with other details is still the first registration.
    let changed = NewOutage {
        cause: Some("改了原因".into()),
        ..n
    };
    let (third, replayed) = register(&app, changed).await;
    assert!(replayed);
    assert_eq!(third.record.outage.cause, "10kV线路检修");
    assert_eq!(
        outage_notices(&app).await.len(),
        notices,
        "no second notices"
    );
    assert_eq!(traces(&app, "outage.registered").await.len(), 1);
    let (_, total) = app
        .svc
        .outages_list(OutageState::Planned, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);

    // Concurrent re-sends: one outage.
    let n = on_area(
        outage(OutageKind::Temporary, "DMS-10", app.now() + 2 * DAY, 2),
        URBAN_AREA,
    );
    let admin = app.actor(Role::Admin);
    let (a, b) = tokio::join!(
        app.svc.register_outage(&admin, n.clone()),
        app.svc.register_outage(&admin, n.clone())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.0.record.outage.id, b.0.record.outage.id);
    assert!(a.1 != b.1, "one registered, one replayed");
}

async fn restoration_and_repair_are_kept_apart(app: TestApp) {
    with_more_customers(&app).await;
    let admin = app.actor(Role::Admin);
    let start = app.now() - HOUR;
    let (o, _) = register(
        &app,
        on_area(outage(OutageKind::Fault, "DMS-F1", start, 4), URBAN_AREA),
    )
    .await;
    let id = o.record.outage.id;
    assert!(o.active);
    assert_eq!(o.duration_ms, HOUR);

    // Restore first: supply back by switching after 1 h 30 min.
    app.advance(30 * MINUTE);
    let restored_at = app.now();
    let r = app
        .svc
        .restore_outage(&admin, id, restored_at)
        .await
        .unwrap();
    assert_eq!(r.record.outage.restored_at, Some(restored_at));
    assert_eq!(
        r.record.outage.repaired_at, None,
        "the fault is not repaired yet"
    );
    assert!(!r.active);
    let restored: Vec<i64> = outage_notices(&app)
        .await
        .into_iter()
        .filter(|(k, _)| k == "outage.restored")
        .map(|(_, c)| c)
        .collect();
    assert_eq!(restored.len(), 2, "every household of the area is told");
    assert!(restored.contains(&app.customer(ZHANG_SAN)));

    // The same restoration again is harmless; another time is a conflict.
    assert!(
        app.svc
            .restore_outage(&admin, id, restored_at)
            .await
            .is_ok()
    );
    let err = app
        .svc
        .restore_outage(&admin, id, restored_at + MINUTE)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict { .. }));
    assert_eq!(traces(&app, "outage.restored").await.len(), 1);

    // The repair, five hours later.
    app.advance(5 * HOUR);
    let err = app
        .svc
        .mark_repaired(&admin, id, start - MINUTE)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "repaired_at"));
    let err = app
        .svc
        .mark_repaired(&admin, id, app.now() + HOUR)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "repaired_at"));
    let p = app.svc.mark_repaired(&admin, id, app.now()).await.unwrap();
    assert_eq!(
        p.record.outage.restored_at,
        Some(restored_at),
        "restoration unchanged"
    );
    assert_eq!(p.record.outage.repaired_at, Some(app.now()));
    assert_eq!(p.repair_after_restore_ms, Some(5 * HOUR));
    assert_eq!(
        p.duration_ms,
        90 * MINUTE,
        "customers were off 1 h 30 min, not 6 h 30"
    );
    let t = traces(&app, "outage.repaired").await;
    assert_eq!(t[0].payload["restored_first"], true);

    let (recent, _) = app
        .svc
        .outages_list(OutageState::Recent, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
    let (active, _) = app
        .svc
        .outages_list(OutageState::Active, None, 50, 0)
        .await
        .unwrap();
    assert!(active.is_empty());

    // A restoration before the start or in the future is refused.
    let (o2, _) = register(
        &app,
        on_area(
            outage(OutageKind::Fault, "DMS-F2", app.now(), 4),
            RURAL_AREA,
        ),
    )
    .await;
    let err = app
        .svc
        .restore_outage(&admin, o2.record.outage.id, app.now() - MINUTE)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "restored_at"));
    let err = app
        .svc
        .restore_outage(&admin, o2.record.outage.id, app.now() + HOUR)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "restored_at"));
}

async fn a_repair_call_from_an_outage_area_is_linked_not_dispatched(app: TestApp) {
    let expected = app.now() + 3 * HOUR;
    let (o, _) = register(
        &app,
        on_area(
            NewOutage {
                expected_restore_at: Some(expected),
                ..outage(OutageKind::Fault, "DMS-F7", app.now() - 30 * MINUTE, 3)
            },
            URBAN_AREA,
        ),
    )
    .await;
    let outage_id = o.record.outage.id;
    // A planned outage of the village that has not started yet.
    register(
        &app,
        on_area(
            outage(OutageKind::Planned, "DMS-P7", app.now() + 8 * DAY, 4),
            RURAL_AREA,
        ),
    )
    .await;

    app.advance(MINUTE);
    let call = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    assert_eq!(call.order.status, OrderStatus::Accepted);
    assert!(
        call.clocks.is_empty(),
        "no arrive clock: no crew is sent again"
    );
    assert_eq!(
        call.order.next_due_at,
        Some(expected),
        "the outage's restoration"
    );
    assert_eq!(
        app.svc.outage_of_order(call.order.id).await.unwrap(),
        Some(outage_id)
    );
    let accepted = app.svc.order_trace(call.order.id).await.unwrap();
    assert_eq!(accepted[0].kind, "order.accepted");
    assert_eq!(accepted[0].payload["outage"]["outage_id"], outage_id);

    // By account number (resolved in the intake writer) too.
    let mut n = outage_call(0);
    n.customer_id = None;
    n.customer_account_no = Some(ZHANG_SAN.into());
    let (by_account, _) = app
        .svc
        .create_order(&app.actor(Role::Agent), n.parse().unwrap())
        .await
        .unwrap();
    assert!(by_account.clocks.is_empty());
    assert_eq!(
        app.svc.outage_of_order(by_account.order.id).await.unwrap(),
        Some(outage_id)
    );

    // Not linked: a complaint from the same area, a repair call from the village (its
    // outage has not started), a call after the restoration.
    let complaint = app
        .open(complaint_call(app.customer(ZHANG_SAN), SubjectArea::Outage))
        .await;
    assert_eq!(
        app.svc.outage_of_order(complaint.order.id).await.unwrap(),
        None
    );
    assert!(!complaint.clocks.is_empty());
    let village = app.open(outage_call(app.customer(LI_SI))).await;
    assert_eq!(clock(&village, ClockKind::Arrive).limit_text, "90m");
    assert_eq!(
        app.svc.outage_of_order(village.order.id).await.unwrap(),
        None
    );

    let view = app.svc.outage(outage_id).await.unwrap();
    assert_eq!(view.record.linked_orders, 2);
    assert_eq!(
        app.svc.orders_of_outage(outage_id).await.unwrap(),
        vec![call.order.id, by_account.order.id]
    );
    assert_eq!(
        app.svc
            .active_outage_for_area(app.area(URBAN_AREA), app.now())
            .await
            .unwrap()
            .map(|o| o.id),
        Some(outage_id)
    );

    app.svc
        .restore_outage(&app.actor(Role::Admin), outage_id, app.now())
        .await
        .unwrap();
    let kinds = app.trace_kinds(call.order.id).await;
    assert!(kinds.contains(&"outage.restored".to_string()), "{kinds:?}");
    let after = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    assert_eq!(clock(&after, ClockKind::Arrive).limit_text, "45m");
    assert_eq!(app.svc.outage_of_order(after.order.id).await.unwrap(), None);
    assert_eq!(
        app.svc
            .active_outage_for_area(app.area(URBAN_AREA), app.now())
            .await
            .unwrap(),
        None
    );
}

async fn care_tasks_are_raised_once_and_tracked_to_done(app: TestApp) {
    with_more_customers(&app).await;
    app.svc
        .set_grid_manager(&app.actor(Role::Admin), "G-TOWN", Role::GridManager.code())
        .await
        .unwrap();
    let zhao = customer_id(&app, ZHAO_LIU).await;
    let start = app.now() + 10 * DAY;
    let n = on_feeder(outage(OutageKind::Planned, "DMS-C1", start, 8), "F-101");
    let (o, _) = register(&app, n.clone()).await;
    let t = tasks(&app, Some(o.record.outage.id)).await;
    assert_eq!(t.len(), 1, "only the care-group household");
    assert_eq!(t[0].task.customer_id, zhao);
    assert_eq!(t[0].task.kind, CareTaskKind::CallBefore);
    assert_eq!(t[0].task.due_at, start - DAY);
    assert_eq!(t[0].task.assignee_id, Some(app.user_id(Role::GridManager)));
    assert_eq!(t[0].task.status, "open");
    assert!(t[0].task.phone.as_deref().unwrap().contains('*'), "masked");
    // A re-send raises nothing new.
    register(&app, n).await;
    assert_eq!(tasks(&app, None).await.len(), 1);

    // The grid manager sees it as theirs.
    let (mine, total) = app
        .svc
        .care_tasks(
            &app.principal(Role::GridManager),
            &CareTaskQuery {
                mine: true,
                ..CareTaskQuery::default()
            },
            50,
            0,
        )
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(mine[0].task.id, t[0].task.id);

    // Done, with a note; traced on the household's timeline; not done twice.
    let done = app
        .svc
        .complete_care_task(
            &app.actor(Role::GridManager),
            t[0].task.id,
            Some("已电话告知，家属备好制氧机电池".into()),
        )
        .await
        .unwrap();
    assert_eq!(done.task.status, "done");
    assert_eq!(done.task.done_by, Some(app.user_id(Role::GridManager)));
    let err = app
        .svc
        .complete_care_task(&app.actor(Role::GridManager), t[0].task.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { .. }));
    let timeline = app
        .svc
        .store()
        .customer_trace(zhao, None, 50)
        .await
        .unwrap();
    assert!(timeline.iter().any(|e| e.kind == "care.task_done"));
    let (open, _) = app
        .svc
        .care_tasks(
            &app.principal(Role::GridManager),
            &CareTaskQuery::default(),
            50,
            0,
        )
        .await
        .unwrap();
    assert!(open.is_empty(), "open tasks only by default");

    // A care plan makes a household cared for even without a care group.
    app.svc
        .set_care_plan(
            &app.actor(Role::GridManager),
            app.customer(ZHANG_SAN),
            CarePlanInput {
                plan: Some("独居，行动不便，停电前上门告知".into()),
                contact_phone: Some("13800001111".into()),
            },
        )
        .await
        .unwrap();
    let (o2, _) = register(
        &app,
        on_area(
            outage(OutageKind::Temporary, "DMS-C2", app.now() + 2 * DAY, 4),
            URBAN_AREA,
        ),
    )
    .await;
    let t2 = tasks(&app, Some(o2.record.outage.id)).await;
    assert_eq!(t2.len(), 2);
    let zs = t2
        .iter()
        .find(|t| t.task.customer_id == app.customer(ZHANG_SAN))
        .unwrap();
    assert_eq!(
        zs.task.plan.as_deref(),
        Some("独居，行动不便，停电前上门告知")
    );
    assert_eq!(zs.task.plan_contact_phone.as_deref(), Some("138****1111"));
    // Temporary maintenance: important customers are told, which includes care households.
    let temp: Vec<i64> = outage_notices(&app)
        .await
        .into_iter()
        .filter(|(k, _)| k == "outage.temporary")
        .map(|(_, c)| c)
        .collect();
    let mut expect = vec![zhao, app.customer(ZHANG_SAN)];
    expect.sort();
    let mut temp = temp;
    temp.sort();
    assert_eq!(
        temp, expect,
        "care households (a care group or a plan) are important"
    );
}

async fn the_care_tick_checks_on_households_after_eight_hours(app: TestApp) {
    with_more_customers(&app).await;
    let zhao = customer_id(&app, ZHAO_LIU).await;
    let (o, _) = register(
        &app,
        on_area(
            NewOutage {
                expected_restore_at: None,
                ..outage(OutageKind::Fault, "DMS-L1", app.now(), 1)
            },
            URBAN_AREA,
        ),
    )
    .await;
    let id = o.record.outage.id;
    assert!(
        tasks(&app, Some(id)).await.is_empty(),
        "a fault has no call before"
    );
    app.svc.care_tick(app.now()).await.unwrap();
    app.advance(8 * HOUR);
    let tick = app.svc.care_tick(app.now()).await.unwrap();
    assert_eq!(tick.long_outages, 0, "8 h is not longer than 8 h");
    assert!(tasks(&app, Some(id)).await.is_empty());

    app.advance(MINUTE);
    let tick = app.svc.care_tick(app.now()).await.unwrap();
    assert_eq!(tick.long_outages, 1);
    let t = tasks(&app, Some(id)).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].task.customer_id, zhao);
    assert_eq!(t[0].task.kind, CareTaskKind::CheckDuring);
    assert_eq!(t[0].task.due_at, app.now());
    assert!(app.svc.outage(id).await.unwrap().long);
    assert_eq!(traces(&app, "care.tasks_raised").await.len(), 1);

    // Ticking again raises nothing new.
    app.advance(HOUR);
    app.svc.care_tick(app.now()).await.unwrap();
    assert_eq!(tasks(&app, Some(id)).await.len(), 1);
    assert_eq!(traces(&app, "care.tasks_raised").await.len(), 1);

    // Back after a long outage: a follow-up call.
    app.svc
        .restore_outage(&app.actor(Role::Admin), id, app.now())
        .await
        .unwrap();
    let kinds: Vec<CareTaskKind> = tasks(&app, Some(id))
        .await
        .iter()
        .map(|t| t.task.kind)
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&CareTaskKind::FollowUp));
    assert_eq!(app.svc.care_tick(app.now()).await.unwrap().long_outages, 0);
}

async fn an_import_with_a_bad_row_imports_nothing(app: TestApp) {
    with_more_customers(&app).await;
    let admin = app.actor(Role::Admin);
    let bad = "\
external_ref,kind,feeder_code,area_code,cause,start,expected_restore,restored,repaired
DMS-I1,planned,F-102,,线路检修,2026-12-01 08:00,2026-12-01 18:00,,
DMS-I2,计划停电,F-999,,线路检修,2026-12-02 08:00,2026-12-02 18:00,,
DMS-I3,fault,,TA-URBAN,雷击,2026-11-20 09:00,,2026-11-20 09:40,2026-11-20 09:55
DMS-I4,fault,,TA-URBAN,雷击,2026-11-20 09:00,,2026-11-20 08:40,
";
    let err = app.svc.import_outages(&admin, bad).await.unwrap_err();
    let ServiceError::Import(rows) = err else {
        panic!("expected an import error, got {err:?}");
    };
    let got: Vec<(u64, Option<String>, &str)> = rows
        .iter()
        .map(|e| (e.line, e.field.clone(), e.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, Some("feeder_code".into()), "unknown_reference"),
            (5, Some("restored".into()), "invalid_value"),
        ]
    );
    for state in [
        OutageState::Active,
        OutageState::Planned,
        OutageState::Recent,
    ] {
        assert_eq!(app.svc.outages_list(state, None, 10, 0).await.unwrap().1, 0);
    }
    assert!(outage_notices(&app).await.is_empty(), "nothing was queued");

    // The good rows alone: the planned outage is announced; the past fault is a record.
    let good: String = bad
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2 && *i != 4)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let report = app.svc.import_outages(&admin, &good).await.unwrap();
    assert_eq!((report.registered, report.replayed), (2, 0));
    assert_eq!(report.notices, 5);
    let (recent, _) = app
        .svc
        .outages_list(OutageState::Recent, None, 10, 0)
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].record.source, "import");
    assert_eq!(
        recent[0].record.outage.repaired_at,
        Some(beijing(2026, 11, 20, 9, 55))
    );
    // Importing the same file again changes nothing.
    let again = app.svc.import_outages(&admin, &good).await.unwrap();
    assert_eq!((again.registered, again.replayed), (0, 2));
    assert_eq!(outage_notices(&app).await.len(), 5);

    // A header problem is one error on line 1.
    let err = app
        .svc
        .import_outages(&admin, "kind,cause,start\nfault,x,2026-11-20 09:00\n")
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Import(ref e) if e[0].line == 1));
}

async fn care_plans_and_the_demand_ledger(app: TestApp) {
    let gm = app.actor(Role::GridManager);
    let zhang = app.customer(ZHANG_SAN);
    let err = app
        .svc
        .set_care_plan(&gm, zhang, CarePlanInput::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "plan"));
    let err = app
        .svc
        .set_care_plan(
            &gm,
            zhang,
            CarePlanInput {
                plan: Some("x".into()),
                contact_phone: Some("12".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "contact_phone"));
    app.svc
        .set_care_plan(
            &gm,
            zhang,
            CarePlanInput {
                plan: Some("第一版".into()),
                contact_phone: None,
            },
        )
        .await
        .unwrap();
    app.svc
        .set_care_plan(
            &gm,
            zhang,
            CarePlanInput {
                plan: Some("第二版".into()),
                contact_phone: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        app.svc.care_plan(zhang).await.unwrap().unwrap().plan,
        "第二版"
    );
    let (plans, total) = app.svc.care_plans(None, 50, 0).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(plans[0].customer_name, "张三");

    let d = app
        .svc
        .add_demand(
            &gm,
            NewDemand {
                grid_code: Some("G-TOWN".into()),
                customer_id: Some(zhang),
                title: Some("计划开民宿，需增容".into()),
                detail: Some("明年三月前".into()),
                ..NewDemand::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(d.status, "open");
    let err = app
        .svc
        .add_demand(
            &gm,
            NewDemand {
                grid_code: Some("G-NONE".into()),
                title: Some("x".into()),
                ..NewDemand::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "grid_code"));
    let (open, total) = app.svc.demands(Some(d.grid_id), None, 50, 0).await.unwrap();
    assert_eq!((open.len(), total), (1, 1));
    let closed = app
        .svc
        .close_demand(&gm, d.id, Some("已转业扩报装".into()))
        .await
        .unwrap();
    assert_eq!(closed.status, "closed");
    assert!(
        app.svc
            .close_demand(&gm, d.id, Some("again".into()))
            .await
            .is_err()
    );
    assert_eq!(app.svc.demands(None, None, 50, 0).await.unwrap().1, 0);
    assert_eq!(
        app.svc.demands(None, Some("all"), 50, 0).await.unwrap().1,
        1
    );
}
