//! Intake: a contact becomes a work order with the clocks its policy promises.

use crate::support::*;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    repair_arrive_clock_follows_the_region_class,
    complaint_on_friday_is_answered_by_thursday,
    complaint_before_national_day_counts_the_make_up_saturday,
    station_policy_change_applies_to_new_orders_only,
    same_idempotency_key_returns_the_first_order,
    concurrent_retries_with_one_key_create_one_order,
);

async fn repair_arrive_clock_follows_the_region_class(app: TestApp) {
    let now = app.now();
    for (account, area, minutes) in [
        (ZHANG_SAN, URBAN_AREA, 45),
        (LI_SI, RURAL_AREA, 90),
        (WANG_WU, REMOTE_AREA, 120),
    ] {
        let order = app.open(outage_call(app.customer(account))).await;
        assert_eq!(order.order.area_id, Some(app.area(area)));

        assert_eq!(
            order.clocks.len(),
            1,
            "only the arrive clock runs before arrival"
        );
        let arrive = clock(&order, ClockKind::Arrive);
        assert_eq!(arrive.started_at, now);
        assert_eq!(arrive.due_at, now + minutes * MINUTE, "customer {account}");
        assert_eq!(
            arrive.warn_at,
            now + minutes * MINUTE * 8 / 10,
            "warns at 80 %"
        );
        assert_eq!(order.order.next_due_at, Some(arrive.due_at));
        assert_eq!(order.order.status, OrderStatus::Accepted);
    }
    let urban = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    assert_eq!(clock(&urban, ClockKind::Arrive).limit_text, "45m");
    assert!(clock(&urban, ClockKind::Arrive).source.contains("45分钟"));
}

async fn complaint_on_friday_is_answered_by_thursday(app: TestApp) {
    // Friday 10:00: contact within 24 h (Saturday 10:00), answer within 4 working days:
    // Mon, Tue, Wed, Thu, so Thursday 2026-11-26 10:00.
    let order = app
        .open(complaint_call(
            app.customer(ZHANG_SAN),
            SubjectArea::TariffBill,
        ))
        .await;

    assert_eq!(
        clock(&order, ClockKind::Contact).due_at,
        beijing(2026, 11, 21, 10, 0)
    );
    assert_eq!(
        clock(&order, ClockKind::Answer).due_at,
        beijing(2026, 11, 26, 10, 0)
    );
    assert_eq!(clock(&order, ClockKind::Answer).limit_text, "4wd");
    assert_eq!(order.order.next_due_at, Some(beijing(2026, 11, 21, 10, 0)));
    assert_eq!(order.order.complaint_class, Some(ComplaintClass::Business));
}

async fn complaint_before_national_day_counts_the_make_up_saturday(app: TestApp) {
    // Wednesday 30 September: 1–7 October are off; Thu 8, Fri 9, the make-up Saturday 10
    // and Monday 12 are the four working days.
    app.set_time(beijing(2026, 9, 30, 10, 0));
    let order = app
        .open(complaint_call(app.customer(LI_SI), SubjectArea::Outage))
        .await;

    assert_eq!(
        clock(&order, ClockKind::Answer).due_at,
        beijing(2026, 10, 12, 10, 0)
    );
    assert_eq!(
        clock(&order, ClockKind::Contact).due_at,
        beijing(2026, 10, 1, 10, 0),
        "the contact clock counts hours, holidays included"
    );
}

async fn station_policy_change_applies_to_new_orders_only(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let customer = app.customer(ZHANG_SAN);
    let under_state_grid = app.open(reconnect_request(customer)).await;
    let repair_before = app.open(outage_call(customer)).await;
    assert_eq!(under_state_grid.order.policy_id, "sgcc");
    assert_eq!(under_state_grid.order.policy_version, "2025.1");
    assert_eq!(
        clock(&under_state_grid, ClockKind::Restore).due_at,
        app.now() + 24 * HOUR
    );

    app.svc
        .set_station_policy(&admin, app.station_id, "csg")
        .await
        .expect("switch to Southern Grid");
    let under_southern_grid = app.open(reconnect_request(customer)).await;
    let repair_after = app.open(outage_call(customer)).await;

    assert_eq!(under_southern_grid.order.policy_id, "csg");
    assert_eq!(
        clock(&under_southern_grid, ClockKind::Restore).due_at,
        app.now() + 12 * HOUR,
        "Southern Grid reconnects within 12 h"
    );
    let kept = app.order(under_state_grid.order.id).await;
    assert_eq!(kept.order.policy_id, "sgcc");
    assert_eq!(
        clock(&kept, ClockKind::Restore).due_at,
        clock(&under_state_grid, ClockKind::Restore).due_at
    );

    // A crew arriving later still works to the policy the order was accepted under:
    // State Grid restores urban supply within 3 h of arrival, Southern Grid within 4 h.
    let distribution = app.department(DepartmentKind::Distribution);
    let crew = app.user_id(Role::Crew);
    for (order, restore_hours) in [(&repair_before, 3), (&repair_after, 4)] {
        let id = order.order.id;
        app.step(
            Role::Agent,
            id,
            Command::Dispatch {
                department_id: distribution,
                assignee_id: None,
            },
        )
        .await;
        app.step(Role::Crew, id, Command::Acknowledge { assignee_id: crew })
            .await;
        let on_site = app.step(Role::Crew, id, Command::Arrive).await;
        assert_eq!(
            clock(&on_site, ClockKind::Restore).due_at,
            app.now() + restore_hours * HOUR,
            "order under {}",
            on_site.order.policy_id
        );
    }
}

async fn same_idempotency_key_returns_the_first_order(app: TestApp) {
    let agent = app.actor(Role::Agent);
    let call = NewOrder {
        idempotency_key: Some("ivr-20261120-000123".into()),
        ..outage_call(app.customer(ZHANG_SAN))
    };

    let (first, replayed_first) = app
        .svc
        .create_order(&agent, call.clone().parse().unwrap())
        .await
        .unwrap();
    app.advance(MINUTE);
    let (again, replayed_again) = app
        .svc
        .create_order(&agent, call.clone().parse().unwrap())
        .await
        .unwrap();

    assert!(!replayed_first);
    assert!(replayed_again);
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(again.order.created_at, first.order.created_at);
    assert_eq!(app.order_count().await, 1);
    let accepted = app
        .trace_kinds(first.order.id)
        .await
        .into_iter()
        .filter(|k| k == "order.accepted")
        .count();
    assert_eq!(accepted, 1, "one order.accepted trace");

    // The key is the channel's message id: the same id from another channel is another contact.
    let (from_app, replayed) = app
        .svc
        .create_order(
            &agent,
            NewOrder {
                channel: Some(Channel::App),
                ..call
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(!replayed);
    assert_ne!(from_app.order.id, first.order.id);
    assert_eq!(app.order_count().await, 2);
}

async fn concurrent_retries_with_one_key_create_one_order(app: TestApp) {
    let call = NewOrder {
        idempotency_key: Some("wechat-msg-7f3a9c".into()),
        ..complaint_call(app.customer(LI_SI), SubjectArea::ServiceConduct)
    };
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let svc = app.svc.clone();
        let agent = app.actor(Role::Agent);
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            svc.create_order(&agent, call.parse().unwrap()).await
        }));
    }
    let mut ids = Vec::new();
    let mut fresh = 0;
    for t in tasks {
        let (view, replayed) = t.await.expect("task").expect("create order");
        ids.push(view.order.id);
        fresh += usize::from(!replayed);
    }

    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry answers with the same order");
    assert_eq!(fresh, 1, "exactly one call created it");
    assert_eq!(app.order_count().await, 1);
    let kinds = app.trace_kinds(ids[0]).await;
    assert_eq!(kinds, ["order.accepted"]);
}
