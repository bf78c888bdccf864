//! Pausing the clocks while waiting on the customer: the deadlines move by the time paused,
//! and the reason is traced.

use crate::support::*;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::scheduler::FireReport;
use voltdesk_service::*;
use voltdesk_store::ClockState;

on_both_backends!(
    waiting_on_the_customer_shifts_the_deadlines_by_the_pause,
    pause_needs_a_reason_and_a_running_clock,
);

const WAITING: &str = "等待客户提供缴费凭证";

async fn waiting_on_the_customer_shifts_the_deadlines_by_the_pause(app: TestApp) {
    let handler = app.actor(Role::Handler);
    let order = app
        .open(complaint_call(
            app.customer(ZHANG_SAN),
            SubjectArea::ReadingCollection,
        ))
        .await;
    let id = order.order.id;
    let contact = clock(&order, ClockKind::Contact);
    let answer = clock(&order, ClockKind::Answer);

    app.advance(2 * HOUR);
    let paused = app.svc.pause_clocks(&handler, id, WAITING).await.unwrap();
    for c in &paused.clocks {
        assert_eq!(c.clock.state, ClockState::Paused);
        assert_eq!(c.clock.paused_at, Some(app.now()));
        assert_eq!(c.clock.pause_reason.as_deref(), Some(WAITING));
        assert_eq!(c.clock.next_fire_at, None, "a paused clock never fires");
    }

    // A day and a half passes, beyond the contact deadline as first set: nothing fires and
    // the time left stays where it was when the clock paused.
    app.advance(30 * HOUR);
    assert_eq!(app.svc.fire_due().await.unwrap(), FireReport::default());
    let waiting = app.order(id).await;
    let frozen = waiting
        .clocks
        .iter()
        .find(|c| c.clock.kind == ClockKind::Contact)
        .unwrap();
    assert_eq!(frozen.remaining_ms, Some(22 * HOUR));

    let resumed = app.svc.resume_clocks(&handler, id).await.unwrap();
    let contact_after = clock(&resumed, ClockKind::Contact);
    let answer_after = clock(&resumed, ClockKind::Answer);
    assert_eq!(contact_after.state, ClockState::Running);
    assert_eq!(contact_after.due_at, contact.due_at + 30 * HOUR);
    assert_eq!(contact_after.warn_at, contact.warn_at + 30 * HOUR);
    assert_eq!(contact_after.paused_ms, 30 * HOUR);
    assert_eq!(contact_after.pause_reason, None);
    assert_eq!(answer_after.due_at, answer.due_at + 30 * HOUR);
    assert_eq!(resumed.order.next_due_at, Some(contact_after.due_at));

    let trace = app.svc.order_trace(id).await.unwrap();
    let paused_traces: Vec<_> = trace.iter().filter(|t| t.kind == "clock.paused").collect();
    assert_eq!(paused_traces.len(), 2, "one per running clock");
    for t in &paused_traces {
        assert_eq!(t.payload["reason"], WAITING);
        assert_eq!(t.actor, "handler");
    }
    let resumed_traces: Vec<_> = trace.iter().filter(|t| t.kind == "clock.resumed").collect();
    assert_eq!(resumed_traces.len(), 2);
    assert!(
        resumed_traces
            .iter()
            .any(|t| t.payload["due_at"] == contact_after.due_at)
    );

    // Still short of the shifted warning: nothing fires; past it, the warning comes.
    app.set_time(contact_after.warn_at - 1);
    assert_eq!(app.svc.fire_due().await.unwrap(), FireReport::default());
    app.set_time(contact_after.warn_at);
    assert_eq!(app.svc.fire_due().await.unwrap().warned, 1);
}

async fn pause_needs_a_reason_and_a_running_clock(app: TestApp) {
    let handler = app.actor(Role::Handler);
    let order = app
        .open(complaint_call(app.customer(LI_SI), SubjectArea::Outage))
        .await;
    let id = order.order.id;

    let err = app.svc.pause_clocks(&handler, id, "  ").await.unwrap_err();
    assert!(
        matches!(&err, ServiceError::Invalid { field, .. } if field == "reason"),
        "{err:?}"
    );
    let err = app.svc.resume_clocks(&handler, id).await.unwrap_err();
    assert!(
        matches!(&err, ServiceError::Invalid { field, .. } if field == "clock"),
        "{err:?}"
    );

    // Once the customer was contacted only the answer clock runs, and only it pauses.
    app.step(
        Role::Handler,
        id,
        Command::Contact {
            note: "已联系客户，客户需补充停电时段".into(),
        },
    )
    .await;
    let paused = app.svc.pause_clocks(&handler, id, WAITING).await.unwrap();
    assert_eq!(clock(&paused, ClockKind::Contact).state, ClockState::Met);
    assert_eq!(clock(&paused, ClockKind::Answer).state, ClockState::Paused);
    let err = app
        .svc
        .pause_clocks(&handler, id, WAITING)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Invalid { field, .. } if field == "clock"),
        "pausing twice: {err:?}"
    );
    let kinds = app.trace_kinds(id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "clock.paused").count(), 1);
    assert_eq!(
        app.svc.order(id).await.unwrap().order.next_due_at,
        Some(clock(&paused, ClockKind::Answer).due_at)
    );
}
