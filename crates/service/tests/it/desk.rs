//! What the pages ask of the service: search as you type, deadlines before saving, the
//! supervisor's board, and the dashboard's statistics (settled days plus today).

use crate::support::*;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    search_finds_customers_as_the_agent_types,
    deadlines_are_shown_before_the_order_is_saved,
    the_board_follows_an_order_from_near_due_to_reopened,
    the_dashboard_counts_settled_days_and_today,
);

async fn names(app: &TestApp, q: &str) -> Vec<String> {
    app.svc
        .search_customers(q, 12)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

async fn search_finds_customers_as_the_agent_types(app: TestApp) {
    // The start of the mobile number, the last digits (尾号), the account number.
    assert_eq!(names(&app, "1381234").await, ["张三"]);
    assert_eq!(names(&app, "5678").await, ["张三"]);
    assert_eq!(names(&app, "2345678").await, ["张三"]);
    assert_eq!(
        names(&app, "139 0000").await,
        ["李四"],
        "spaces are ignored"
    );
    assert_eq!(names(&app, "31000000").await.len(), 3);
    // A name, a village and what follows it in the address, the start of a village name.
    assert_eq!(names(&app, "王").await, ["王五"]);
    assert_eq!(names(&app, "高山村3组").await, ["王五"]);
    assert_eq!(names(&app, "李家").await, ["李四"]);
    assert!(names(&app, "999999").await.is_empty());
    assert!(names(&app, "  ").await.is_empty());
    // Hits are masked: search is for finding, the customer page reveals.
    let hit = &app.svc.search_customers("5678", 5).await.unwrap()[0];
    assert!(hit.masked);
    assert_eq!(hit.phone.as_deref(), Some("138****5678"));
}

async fn deadlines_are_shown_before_the_order_is_saved(app: TestApp) {
    let now = app.now();
    let zhang = app.customer(ZHANG_SAN);
    let complaint = app
        .svc
        .preview_clocks(
            Some(zhang),
            OrderType::Complaint,
            None,
            Channel::Hotline95598,
        )
        .await
        .unwrap();
    let kinds: Vec<ClockKind> = complaint.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ClockKind::Contact, ClockKind::Answer]);
    assert_eq!(complaint[0].due_at, now + 24 * HOUR);
    // The same deadlines as the order really gets when saved.
    let saved = app.open(complaint_call(zhang, SubjectArea::Outage)).await;
    for p in &complaint {
        assert_eq!(clock(&saved, p.kind).due_at, p.due_at);
    }
    // Repair deadlines depend on where the customer lives.
    let arrive = |v: &[ClockPreview]| {
        v.iter()
            .find(|c| c.kind == ClockKind::Arrive)
            .map(|c| c.due_at)
            .unwrap()
    };
    let town = app
        .svc
        .preview_clocks(Some(zhang), OrderType::Repair, None, Channel::Hotline95598)
        .await
        .unwrap();
    let hill = app
        .svc
        .preview_clocks(
            Some(app.customer(WANG_WU)),
            OrderType::Repair,
            None,
            Channel::Hotline95598,
        )
        .await
        .unwrap();
    assert!(arrive(&town) < arrive(&hill), "remote areas get longer");
    // The open order on the same subject is what the desk warns about.
    let open = app.svc.open_orders_of(zhang).await.unwrap();
    assert!(
        open.iter()
            .any(|o| o.order.subject == Some(SubjectArea::Outage))
    );
    assert!(matches!(
        app.svc
            .preview_clocks(Some(999_999), OrderType::Complaint, None, Channel::Web)
            .await,
        Err(ServiceError::NotFound { .. })
    ));
}

async fn the_board_follows_an_order_from_near_due_to_reopened(app: TestApp) {
    let order = app
        .open(complaint_call(app.customer(LI_SI), SubjectArea::Metering))
        .await;
    let id = order.order.id;
    let ids = |v: &[OrderView]| v.iter().map(|o| o.order.id).collect::<Vec<_>>();
    let board = app.svc.board(None).await.unwrap();
    assert!(
        !ids(&board.near_due).contains(&id),
        "a day left is not near"
    );

    // Three hours before the contact deadline it is near due.
    app.advance(21 * HOUR);
    let board = app.svc.board(None).await.unwrap();
    assert!(ids(&board.near_due).contains(&id));
    assert_eq!(board.counts.near_due, board.near_due.len() as i64);

    // Past it, the scheduler marks it overdue and escalates it.
    app.advance(4 * HOUR);
    app.svc.fire_due().await.unwrap();
    app.svc.process_rules().await.unwrap();
    let board = app.svc.board(None).await.unwrap();
    assert!(ids(&board.overdue).contains(&id));
    assert!(board.escalations.iter().any(|(_, o)| o.order.id == id));

    // Replied, it waits for its return visit; dissatisfied, it is handled again.
    let dept = app.department(DepartmentKind::Marketing);
    app.step(
        Role::Agent,
        id,
        Command::Dispatch {
            department_id: dept,
            assignee_id: None,
        },
    )
    .await;
    app.step(
        Role::Handler,
        id,
        Command::Acknowledge {
            assignee_id: app.user_id(Role::Handler),
        },
    )
    .await;
    app.step(
        Role::Handler,
        id,
        Command::Reply {
            text: "已核实电表，读数正常".into(),
            verdict: Some(Verdict::Unsubstantiated),
            root_cause: Some(RootCause::CustomerSide),
        },
    )
    .await;
    let board = app.svc.board(None).await.unwrap();
    assert!(ids(&board.visits).contains(&id));
    assert!(!ids(&board.reopened).contains(&id));
    app.step(
        Role::Supervisor,
        id,
        Command::ReturnVisit {
            satisfaction: Satisfaction::Dissatisfied,
            comment: "客户仍不认可".into(),
        },
    )
    .await;
    let board = app.svc.board(None).await.unwrap();
    assert!(ids(&board.reopened).contains(&id));
    assert!(!ids(&board.visits).contains(&id));

    // What the order page offers follows the state.
    let o = app.order(id).await;
    let actions = possible_actions(&o);
    assert!(actions.contains(&"acknowledge") && !actions.contains(&"close"));
}

async fn the_dashboard_counts_settled_days_and_today(app: TestApp) {
    let zhang = app.customer(ZHANG_SAN);
    let li = app.customer(LI_SI);
    let first_day = local_date(app.now());
    app.open(complaint_call(zhang, SubjectArea::ServiceConduct))
        .await;
    let repair = app.open(outage_call(li)).await;
    let dept = app.department(DepartmentKind::Distribution);
    app.step(
        Role::Agent,
        repair.order.id,
        Command::Dispatch {
            department_id: dept,
            assignee_id: None,
        },
    )
    .await;
    app.step(
        Role::Crew,
        repair.order.id,
        Command::Acknowledge {
            assignee_id: app.user_id(Role::Crew),
        },
    )
    .await;
    app.step(Role::Crew, repair.order.id, Command::Arrive).await;
    app.step(
        Role::Crew,
        repair.order.id,
        Command::Reply {
            text: "更换熔丝，已恢复供电".into(),
            verdict: None,
            root_cause: None,
        },
    )
    .await;
    app.step(
        Role::Supervisor,
        repair.order.id,
        Command::ReturnVisit {
            satisfaction: Satisfaction::Satisfied,
            comment: "满意".into(),
        },
    )
    .await;

    // Two days later the first day is settled once; a second pass computes nothing.
    app.advance(2 * DAY);
    let settled = app.svc.settle_stats().await.unwrap();
    assert_eq!(settled, 2, "the first day and the day after");
    assert_eq!(app.svc.settle_stats().await.unwrap(), 0);
    app.open(complaint_call(li, SubjectArea::TariffBill)).await;

    let d = app
        .svc
        .dashboard(&DashboardQuery {
            from: Some(first_day),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(d.days.len(), 3);
    assert_eq!(d.totals.created, 3, "two settled, one live today");
    assert_eq!(d.created_per_day, [2, 0, 1]);
    assert_eq!(d.complaints, 2);
    assert_eq!(d.customers, 3);
    assert!((d.complaints_per_10k - 2.0 * 10_000.0 / 3.0).abs() < 1e-6);
    let total = |v: &[Series], code: &str| v.iter().find(|s| s.code == code).map(|s| s.total);
    assert_eq!(total(&d.by_type, "complaint"), Some(2));
    assert_eq!(total(&d.by_type, "repair"), Some(1));
    assert_eq!(total(&d.by_channel, "hotline_95598"), Some(3));
    assert_eq!(total(&d.by_class, "service"), Some(1));
    assert_eq!(d.totals.closed, 1);
    assert_eq!(d.totals.closed_on_time, 1);
    assert_eq!(d.on_time_share[0], Some(1.0));
    assert_eq!(d.totals.visits, 1);
    assert_eq!(d.satisfied_share[0], Some(1.0));
    assert_eq!(d.top_areas.len(), 2, "two areas had complaints");
    assert_eq!(
        d.settled_through,
        Some((first_day + chrono::Duration::days(1)).to_string())
    );
    assert_eq!(
        d.counted,
        [true, true, true],
        "settled days and today's live figures"
    );
    assert_eq!(
        d.partial_day,
        Some((first_day + chrono::Duration::days(2)).to_string())
    );

    // Narrowed to the hill grid there is nothing; a range that ends before it starts is refused.
    let hill = app
        .svc
        .grids(None)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.code == "G-HILL")
        .unwrap();
    let d = app
        .svc
        .dashboard(&DashboardQuery {
            from: Some(first_day),
            grid_id: Some(hill.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(d.totals.created, 0);
    assert_eq!(d.customers, 1);
    assert!(
        app.svc
            .dashboard(&DashboardQuery {
                from: Some(first_day + chrono::Duration::days(5)),
                ..Default::default()
            })
            .await
            .is_err()
    );

    // Two more days pass with nothing settled: the days between are not counted yet (a gap on
    // the charts, not a fall to zero), and today is the day so far.
    app.advance(2 * DAY);
    let d = app
        .svc
        .dashboard(&DashboardQuery {
            from: Some(first_day),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(d.counted, [true, true, false, false, true]);
    assert_eq!(
        d.partial_day,
        Some((first_day + chrono::Duration::days(4)).to_string())
    );
}
