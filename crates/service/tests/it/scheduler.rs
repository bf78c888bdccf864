//! The scheduler with a hand-moved clock: a warning at 80 % of the time, once; a breach
//! escalated to the supervisor; deadlines kept in the database across a restart.

use crate::support::*;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::scheduler::FireReport;
use voltdesk_store::ClockState;

on_both_backends!(
    deadline_warns_once_at_80_percent_then_escalates_when_missed,
    deadlines_live_in_the_database_across_a_restart,
    a_tick_racing_the_handlers_never_revives_a_met_clock,
    two_schedulers_ticking_at_once_fire_each_warning_once,
    a_page_of_escalations_is_acknowledged_at_once,
);

const NOTHING: FireReport = FireReport {
    warned: 0,
    breached: 0,
};

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

async fn deadline_warns_once_at_80_percent_then_escalates_when_missed(app: TestApp) {
    let order = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    let id = order.order.id;
    let arrive = clock(&order, ClockKind::Arrive);
    assert_eq!(
        arrive.warn_at,
        arrive.started_at + 36 * MINUTE,
        "80 % of 45 min"
    );
    let mut bus = app.svc.subscribe();

    app.set_time(arrive.warn_at - 1);
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);

    app.set_time(arrive.warn_at);
    assert_eq!(
        app.svc.fire_due().await.unwrap(),
        FireReport {
            warned: 1,
            breached: 0
        }
    );
    // The scheduler ticks the clock; the deadline rule turns the tick into the warning.
    app.svc.process_rules().await.unwrap();
    let trace = app.svc.order_trace(id).await.unwrap();
    let warned = trace.iter().find(|t| t.kind == "clock.warned").unwrap();
    assert_eq!(warned.payload["clock_id"], arrive.id);
    assert_eq!(warned.payload["due_at"], arrive.due_at);
    assert_eq!(warned.actor, "system");
    let notices: Vec<_> = app
        .svc
        .outbox(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.kind == "clock.warned")
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].payload["order_id"], id);
    assert_eq!(notices[0].status, "pending");
    assert_eq!(bus.try_recv().unwrap().kind.code(), "clock.warned");

    // It warns once.
    app.advance(MINUTE);
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);
    let warned_view = app.order(id).await;
    assert!(!warned_view.order.overdue);
    assert!(!warned_view.order.escalated);
    assert_eq!(
        clock(&warned_view, ClockKind::Arrive).next_fire_at,
        Some(arrive.due_at)
    );
    assert!(
        app.svc
            .escalations(Some(id), false, 10)
            .await
            .unwrap()
            .is_empty()
    );

    app.set_time(arrive.due_at - 1);
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);

    app.set_time(arrive.due_at + MINUTE);
    assert_eq!(
        app.svc.fire_due().await.unwrap(),
        FireReport {
            warned: 0,
            breached: 1
        }
    );
    app.svc.process_rules().await.unwrap();
    let late = app.order(id).await;
    assert!(late.order.overdue);
    assert!(late.order.escalated);
    let late_clock = late
        .clocks
        .iter()
        .find(|c| c.clock.kind == ClockKind::Arrive)
        .unwrap();
    assert_eq!(late_clock.clock.breached_at, Some(app.now()));
    assert_eq!(late_clock.clock.next_fire_at, None);
    assert_eq!(late_clock.remaining_ms, Some(-MINUTE));

    let escalations = app.svc.escalations(Some(id), true, 10).await.unwrap();
    assert_eq!(escalations.len(), 1);
    let esc = &escalations[0];
    assert_eq!(esc.to_role, "supervisor");
    assert_eq!(esc.clock_id, Some(arrive.id));
    assert!(esc.reason.contains("到达现场"), "{}", esc.reason);
    let kinds = app.trace_kinds(id).await;
    assert_eq!(count(&kinds, "clock.warned"), 1);
    assert_eq!(count(&kinds, "clock.breached"), 1);
    assert_eq!(count(&kinds, "order.escalated"), 1);
    let outbox = app.svc.outbox(100).await.unwrap();
    assert_eq!(
        outbox
            .iter()
            .filter(|o| o.kind == "order.escalated")
            .count(),
        1
    );
    let mut published = Vec::new();
    while let Ok(c) = bus.try_recv() {
        published.push(c.kind.code().to_string());
    }
    assert!(
        published.contains(&"order.escalated".to_string()),
        "{published:?}"
    );

    // Breached once, escalated once.
    app.advance(HOUR);
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);
    assert_eq!(app.svc.process_rules().await.unwrap().raised, 0);

    // The supervisor takes it up.
    app.svc
        .acknowledge_escalation(&app.actor(Role::Supervisor), esc.id)
        .await
        .unwrap();
    assert!(
        app.svc
            .escalations(Some(id), true, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let acknowledged = &app.svc.escalations(Some(id), false, 10).await.unwrap()[0];
    assert_eq!(
        acknowledged.acknowledged_by,
        Some(app.user_id(Role::Supervisor))
    );
    assert!(
        app.trace_kinds(id)
            .await
            .contains(&"escalation.acknowledged".into())
    );
}

async fn deadlines_live_in_the_database_across_a_restart(app: TestApp) {
    let ids = vec![
        app.open(outage_call(app.customer(ZHANG_SAN)))
            .await
            .order
            .id,
        app.open(outage_call(app.customer(LI_SI))).await.order.id,
        app.open(complaint_call(app.customer(WANG_WU), SubjectArea::Outage))
            .await
            .order
            .id,
    ];

    let app = app.restart().await;
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);

    // The server was down over the weekend; the next Friday every deadline has passed:
    // two arrive clocks, the complaint's contact and answer clocks.
    app.set_time(beijing(2026, 11, 27, 9, 0));
    assert_eq!(
        app.svc.fire_due().await.unwrap(),
        FireReport {
            warned: 4,
            breached: 4
        }
    );
    for id in &ids {
        let o = app.order(*id).await;
        assert!(o.order.overdue && o.order.escalated, "order {id}");
        for c in &o.clocks {
            assert!(c.clock.warned_at.is_some() && c.clock.breached_at.is_some());
        }
    }
    app.svc.process_rules().await.unwrap();
    assert_eq!(app.svc.escalations(None, true, 100).await.unwrap().len(), 4);
    assert_eq!(app.svc.fire_due().await.unwrap(), NOTHING);

    // The restarted service knows the organisation and takes new contacts.
    let fresh = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    assert_eq!(
        clock(&fresh, ClockKind::Arrive).due_at,
        app.now() + 45 * MINUTE
    );
}

async fn a_tick_racing_the_handlers_never_revives_a_met_clock(app: TestApp) {
    // Twenty complaints whose contact clocks are past 80 %: the scheduler ticks while the
    // handlers phone the customers. A clock met by a call must stay met, whichever
    // transaction went first.
    let mut ids = Vec::new();
    for account in [ZHANG_SAN, LI_SI, WANG_WU].into_iter().cycle().take(20) {
        let call = complaint_call(app.customer(account), SubjectArea::ServiceChannel);
        ids.push(app.open(call).await.order.id);
    }
    app.advance(20 * HOUR);

    let tick = {
        let svc = app.svc.clone();
        tokio::spawn(async move { svc.fire_due().await })
    };
    let mut calls = Vec::new();
    for id in ids.iter().copied() {
        let svc = app.svc.clone();
        let handler = app.actor(Role::Handler);
        let note = Command::Contact {
            note: "已联系客户".into(),
        };
        calls.push(tokio::spawn(
            async move { svc.act(&handler, id, note).await },
        ));
    }
    for c in calls {
        c.await.unwrap().expect("contact");
    }
    tick.await.unwrap().expect("tick");

    for id in &ids {
        let contact = clock(&app.order(*id).await, ClockKind::Contact);
        assert_eq!(contact.state, ClockState::Met, "order {id}: {contact:?}");
        assert_eq!(contact.next_fire_at, None, "order {id}");
    }
    app.set_time(beijing(2026, 11, 21, 11, 0));
    assert_eq!(
        app.svc.fire_due().await.unwrap().breached,
        0,
        "no contact clock breaches after the customers were called"
    );
}

async fn two_schedulers_ticking_at_once_fire_each_warning_once(app: TestApp) {
    // Two servers on one database each run a scheduler; their ticks overlap.
    let mut ids = Vec::new();
    for account in [ZHANG_SAN, LI_SI, WANG_WU].into_iter().cycle().take(20) {
        let call = complaint_call(app.customer(account), SubjectArea::TariffBill);
        ids.push(app.open(call).await.order.id);
    }
    app.advance(20 * HOUR);

    let ticks: Vec<_> = (0..3)
        .map(|_| {
            let svc = app.svc.clone();
            tokio::spawn(async move { svc.fire_due().await })
        })
        .collect();
    let mut warned = 0;
    for t in ticks {
        let report = t.await.unwrap().expect("tick");
        assert_eq!(report.breached, 0);
        warned += report.warned;
    }

    assert_eq!(warned, ids.len(), "one warning per contact clock");
    app.svc.process_rules().await.unwrap();
    let outbox = app.svc.outbox(1000).await.unwrap();
    assert_eq!(
        outbox.iter().filter(|o| o.kind == "clock.warned").count(),
        ids.len()
    );
    for id in &ids {
        assert_eq!(
            count(&app.trace_kinds(*id).await, "clock.warned"),
            1,
            "order {id}"
        );
    }
}

async fn a_page_of_escalations_is_acknowledged_at_once(app: TestApp) {
    for who in [ZHANG_SAN, LI_SI, WANG_WU] {
        app.open(outage_call(app.customer(who))).await;
    }
    app.set_time(beijing(2026, 11, 27, 9, 0));
    app.svc.fire_due().await.unwrap();
    app.svc.process_rules().await.unwrap();
    let open = app.svc.escalations(None, true, 100).await.unwrap();
    assert_eq!(open.len(), 3);
    let sup = app.actor(Role::Supervisor);

    // One was acknowledged on its own meanwhile; the page's three, a repeat and an unknown
    // id: the two still open are acknowledged, the rest skipped.
    app.svc
        .acknowledge_escalation(&sup, open[0].id)
        .await
        .unwrap();
    let ids = [open[0].id, open[1].id, open[2].id, open[2].id, 999_999];
    let done = app.svc.acknowledge_escalations(&sup, &ids).await.unwrap();
    assert_eq!(
        done,
        voltdesk_service::BulkAck {
            acknowledged: 2,
            skipped: 2
        }
    );
    assert!(
        app.svc
            .escalations(None, true, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Nothing ticked, or more than a page: refused, naming the field.
    for ids in [vec![], vec![1; voltdesk_service::MAX_BULK_ACK + 1]] {
        match app.svc.acknowledge_escalations(&sup, &ids).await {
            Err(voltdesk_service::ServiceError::Invalid { field, .. }) => assert_eq!(field, "id"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
