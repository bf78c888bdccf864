//! The county history generator: a year of closed orders, return visits, outages and their
//! trace events written in bulk, consistent with the live service that carries on after it.

use crate::support::*;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::{OrderFilter, OutageKind};

on_both_backends!(a_year_of_history_is_closed_consistent_and_the_service_carries_on);

/// Two thousand more households spread over the three areas.
fn more_customers(n: usize) -> String {
    let areas = [URBAN_AREA, RURAL_AREA, REMOTE_AREA];
    let mut csv = String::from("account_no,name,phone,id_number,address,usage_class,area_code\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{},住户{i},139{:08},,城东镇{}号,residential,{}\n",
            3_200_000_000u64 + i as u64,
            10_000_000 + i,
            i + 1,
            areas[i % areas.len()],
        ));
    }
    csv
}

async fn a_year_of_history_is_closed_consistent_and_the_service_carries_on(app: TestApp) {
    let (rows, errors) = parse_customers(&more_customers(2000));
    app.svc
        .import_customers(&app.actor(Role::Admin), rows, errors, false, &|_| {})
        .await
        .expect("import");
    let now = app.now();
    let spec = CountySpec {
        seed: 11,
        from: now - 365 * DAY,
        to: now - 10 * DAY,
        settle_by: now,
        orders_per_customer_year: 0.25,
        agent: "agent".into(),
        handler: "handler".into(),
        crew: "crew".into(),
        supervisor: "supervisor".into(),
    };
    let report = app
        .svc
        .seed_county_history(&spec, &|_, _| {})
        .await
        .expect("history");

    // Volume and mix.
    let customers = app.customer_count().await as f64;
    let expected = customers * 0.25 * 355.0 / 365.0;
    assert!(
        (report.orders as f64 - expected).abs() < expected * 0.1,
        "{} orders for {customers} customers",
        report.orders
    );
    assert_eq!(app.order_count().await as u64, report.orders);
    let of = |t: OrderType| report.by_type.get(&t).copied().unwrap_or(0);
    let largest = report
        .by_type
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(t, _)| *t);
    assert_eq!(
        largest,
        Some(OrderType::Consultation),
        "{:?}",
        report.by_type
    );
    assert!(of(OrderType::Complaint) > 0);
    assert!((of(OrderType::Complaint) as f64) < report.orders as f64 * 0.05);
    let hotline = report.by_channel[&Channel::Hotline95598];
    assert!(report.by_channel.values().all(|n| *n <= hotline));

    // Everything is over: closed (or cancelled, merged), no live clock, nothing after now.
    let open = app
        .svc
        .orders(&OrderFilter {
            open_only: true,
            limit: 1,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(open.1, 0, "no history order is still open");
    assert_eq!(app.svc.store().count_open_clocks().await.unwrap(), 0);
    let (views, total) = app
        .svc
        .orders(&OrderFilter {
            limit: 1000,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert!(total < 1000, "{total} orders: one page");
    let orders: Vec<_> = views.into_iter().map(|v| v.order).collect();
    let closed: Vec<_> = orders
        .iter()
        .filter(|o| o.status == OrderStatus::Closed)
        .collect();
    assert!(closed.len() as f64 > orders.len() as f64 * 0.9);
    for o in &orders {
        assert!(o.created_at >= spec.from && o.created_at < spec.to, "{o:?}");
        assert!(o.updated_at < spec.settle_by, "{o:?}");
    }
    for o in &closed {
        let at = o.closed_at.expect("closed_at");
        assert!(
            at > o.created_at && o.replied && o.reply_text.is_some(),
            "{o:?}"
        );
        if voltdesk_domain::order::needs_return_visit(o.order_type) {
            assert!(o.satisfaction.is_some(), "{o:?}");
        }
    }
    let overdue = closed.iter().filter(|o| o.overdue).count();
    assert!(
        overdue > 0 && (overdue as f64) < closed.len() as f64 * 0.08,
        "{overdue} of {} closed orders overdue",
        closed.len()
    );

    // Return visits: for the orders that need them, mostly satisfied.
    let visits = app.svc.store().count_rows("return_visits").await.unwrap();
    assert_eq!(visits as u64, report.return_visits);
    assert!(visits > 0);
    let satisfied = report.by_satisfaction[&Satisfaction::Satisfied];
    assert!(
        satisfied as f64 > visits as f64 * 0.75,
        "{:?}",
        report.by_satisfaction
    );

    // A repair's trace tells its life in order, as the live commands would have written it.
    let repair = closed
        .iter()
        .find(|o| {
            o.order_type == OrderType::Repair
                && o.reopen_count == 0
                && o.urge_count == 0
                && !o.escalated
        })
        .expect("a closed repair");
    let trace = app.svc.order_trace(repair.id).await.unwrap();
    let kinds: Vec<&str> = trace
        .iter()
        .map(|t| t.kind.as_str())
        .filter(|k| k.starts_with("order."))
        .collect();
    assert_eq!(
        kinds,
        [
            "order.accepted",
            "order.dispatched",
            "order.acknowledged",
            "order.arrived",
            "order.replied",
            "order.return_visited",
            "order.closed"
        ],
        "{trace:?}"
    );
    assert!(trace.windows(2).all(|w| w[0].at <= w[1].at), "{trace:?}");
    assert_eq!(trace.last().map(|t| t.at), repair.closed_at);
    assert!(trace.iter().any(|t| t.kind == "clock.met"));

    // Outages: each kind, with their notices, durations and trace events.
    let outages = app
        .svc
        .store()
        .outages(None, spec.from, spec.settle_by, 10_000)
        .await
        .unwrap();
    assert_eq!(outages.len() as u64, report.outages.values().sum::<u64>());
    for kind in OutageKind::ALL {
        assert!(
            outages.iter().any(|o| o.kind == *kind),
            "no {kind:?} outage"
        );
    }
    for o in &outages {
        let restored = o.restored_at.expect("restored");
        assert!(
            restored > o.started_at && restored < spec.settle_by,
            "{o:?}"
        );
        assert!(o.repaired_at.is_some_and(|r| r >= restored), "{o:?}");
        assert!(o.affected_customers > 0, "{o:?}");
        if o.kind == OutageKind::Planned {
            assert!(o.started_at - o.notified_at.unwrap() >= 7 * DAY, "{o:?}");
        }
        if o.kind == OutageKind::Fault {
            assert!(o.notified_at.is_none());
        }
    }
    let started = app
        .svc
        .audit_trail(Some("outage.started"), None, 500)
        .await
        .unwrap();
    assert_eq!(started.len(), outages.len());
    assert!(
        started
            .iter()
            .all(|t| t.customer_id.is_none() && t.station_id.is_some())
    );

    // The live service goes on after the bulk ids (PostgreSQL's sequences were moved on).
    let max_id = orders.iter().map(|o| o.id).max().unwrap();
    let fresh = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    assert!(fresh.order.id > max_id);
    let id = fresh.order.id;
    app.step(
        Role::Agent,
        id,
        Command::Dispatch {
            department_id: app.department(DepartmentKind::Distribution),
            assignee_id: Some(app.user_id(Role::Crew)),
        },
    )
    .await;
    app.step(
        Role::Crew,
        id,
        Command::Acknowledge {
            assignee_id: app.user_id(Role::Crew),
        },
    )
    .await;
    app.step(Role::Crew, id, Command::Arrive).await;
    app.step(
        Role::Crew,
        id,
        Command::Reply {
            text: "已恢复供电".into(),
            verdict: None,
            root_cause: None,
        },
    )
    .await;
    let done = app
        .step(
            Role::Supervisor,
            id,
            Command::ReturnVisit {
                satisfaction: Satisfaction::Satisfied,
                comment: "满意".into(),
            },
        )
        .await;
    assert_eq!(done.order.status, OrderStatus::Closed);
    assert_eq!(
        app.svc.store().count_rows("return_visits").await.unwrap(),
        visits + 1
    );
}
