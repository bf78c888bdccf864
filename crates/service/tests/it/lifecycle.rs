//! The work-order lifecycle: dispatch, handling, reply, return visit, close; and the side
//! roads (reopen, repeat complaint, merge, cancel, urge, transfer, co-handling, return to
//! sender, problems). Every event leaves a trace; a refused command leaves nothing.

use crate::support::*;
use voltdesk_domain::order::{Command, TransitionError};
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::ClockState;

on_both_backends!(
    complaint_closes_after_a_satisfied_return_visit,
    dissatisfied_return_visit_reopens_with_a_new_answer_clock,
    complaint_after_a_closed_one_on_the_same_subject_is_a_repeat,
    refused_commands_leave_the_order_and_its_trace_untouched,
    duplicate_report_is_merged_and_a_resolved_one_cancelled,
    order_is_transferred_co_handled_and_returned_to_sender,
    problem_stays_open_until_its_cause_is_fixed,
);

fn dispatch(department_id: i64) -> Command {
    Command::Dispatch {
        department_id,
        assignee_id: None,
    }
}

fn reply_to_complaint(text: &str) -> Command {
    Command::Reply {
        text: text.into(),
        verdict: Some(Verdict::Unsubstantiated),
        root_cause: Some(RootCause::CustomerSide),
    }
}

fn return_visit(satisfaction: Satisfaction, comment: &str) -> Command {
    Command::ReturnVisit {
        satisfaction,
        comment: comment.into(),
    }
}

/// Works a complaint from acceptance to the handler's reply.
async fn handle_complaint(app: &TestApp, id: i64) -> OrderView {
    app.step(
        Role::Agent,
        id,
        dispatch(app.department(DepartmentKind::Marketing)),
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
        Command::Contact {
            note: "已电话联系客户，约定上门核对电表".into(),
        },
    )
    .await;
    app.step(
        Role::Handler,
        id,
        reply_to_complaint("经核查电表计量准确，已向客户解释阶梯电价"),
    )
    .await
}

/// The `order.*` kinds of an order's trace: one per lifecycle event.
async fn order_events(app: &TestApp, id: i64) -> Vec<String> {
    app.trace_kinds(id)
        .await
        .into_iter()
        .filter(|k| k.starts_with("order."))
        .collect()
}

async fn complaint_closes_after_a_satisfied_return_visit(app: TestApp) {
    let handler = app.user_id(Role::Handler);
    let order = app
        .open(complaint_call(
            app.customer(ZHANG_SAN),
            SubjectArea::TariffBill,
        ))
        .await;
    let id = order.order.id;

    app.advance(10 * MINUTE);
    let dispatched = app
        .step(
            Role::Agent,
            id,
            dispatch(app.department(DepartmentKind::Marketing)),
        )
        .await;
    assert_eq!(dispatched.order.status, OrderStatus::Dispatched);
    assert_eq!(
        dispatched.order.department_id,
        Some(app.department(DepartmentKind::Marketing))
    );

    app.advance(20 * MINUTE);
    let acknowledged = app
        .step(
            Role::Handler,
            id,
            Command::Acknowledge {
                assignee_id: handler,
            },
        )
        .await;
    assert_eq!(acknowledged.order.status, OrderStatus::Acknowledged);
    assert_eq!(acknowledged.order.assignee_id, Some(handler));

    app.advance(2 * HOUR);
    let contacted = app
        .step(
            Role::Handler,
            id,
            Command::Contact {
                note: "已电话联系客户".into(),
            },
        )
        .await;
    assert!(contacted.order.contacted);
    assert_eq!(clock(&contacted, ClockKind::Contact).state, ClockState::Met);
    assert_eq!(
        clock(&contacted, ClockKind::Answer).state,
        ClockState::Running
    );

    app.set_time(beijing(2026, 11, 23, 15, 0));
    let replied = app
        .step(
            Role::Handler,
            id,
            reply_to_complaint("经核查电费计算无误，已向客户解释"),
        )
        .await;
    assert_eq!(replied.order.status, OrderStatus::Replied);
    assert_eq!(replied.order.verdict, Some(Verdict::Unsubstantiated));
    assert_eq!(replied.order.root_cause, Some(RootCause::CustomerSide));
    assert_eq!(
        replied.order.reply_text.as_deref(),
        Some("经核查电费计算无误，已向客户解释")
    );

    app.advance(HOUR);
    let closed = app
        .step(
            Role::Supervisor,
            id,
            return_visit(Satisfaction::Satisfied, "客户对解释表示满意"),
        )
        .await;
    assert_eq!(closed.order.status, OrderStatus::Closed);
    assert_eq!(closed.order.closed_at, Some(app.now()));
    assert_eq!(closed.order.satisfaction, Some(Satisfaction::Satisfied));
    assert_eq!(closed.order.next_due_at, None);
    assert!(!closed.order.overdue);

    // Both promises kept: each clock met before it was due, none breached.
    assert_eq!(closed.clocks.len(), 2);
    for c in &closed.clocks {
        let c = &c.clock;
        assert_eq!(c.state, ClockState::Met, "{} clock", c.kind);
        assert_eq!(c.breached_at, None);
        assert!(
            c.stopped_at.expect("stopped") <= c.due_at,
            "{} on time",
            c.kind
        );
    }

    assert_eq!(
        order_events(&app, id).await,
        [
            "order.accepted",
            "order.dispatched",
            "order.acknowledged",
            "order.contacted",
            "order.replied",
            "order.return_visited",
            "order.closed",
        ]
    );
    let trace = app.svc.order_trace(id).await.unwrap();
    let ack = trace
        .iter()
        .find(|t| t.kind == "order.acknowledged")
        .unwrap();
    assert_eq!(
        (ack.actor.as_str(), ack.actor_id),
        ("handler", Some(handler))
    );
    assert_eq!(
        trace.iter().filter(|t| t.kind == "clock.met").count(),
        2,
        "contact and answer clocks met"
    );

    let visits = app.svc.return_visits(id).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].satisfaction, Satisfaction::Satisfied);
}

async fn dissatisfied_return_visit_reopens_with_a_new_answer_clock(app: TestApp) {
    let order = app
        .open(complaint_call(app.customer(LI_SI), SubjectArea::Metering))
        .await;
    let id = order.order.id;
    handle_complaint(&app, id).await;

    app.set_time(beijing(2026, 11, 24, 10, 0));
    let reopened = app
        .step(
            Role::Supervisor,
            id,
            return_visit(Satisfaction::Dissatisfied, "客户认为电表仍然走快"),
        )
        .await;

    assert_eq!(reopened.order.status, OrderStatus::Dispatched);
    assert_eq!(reopened.order.reopen_count, 1);
    assert!(!reopened.order.replied);
    assert_eq!(reopened.order.closed_at, None);
    assert_eq!(
        reopened.order.department_id,
        Some(app.department(DepartmentKind::Marketing)),
        "back to the department that handled it"
    );
    let answers = clocks(&reopened, ClockKind::Answer);
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0].state, ClockState::Met);
    let fresh = &answers[1];
    assert_eq!(fresh.state, ClockState::Running);
    assert_eq!(fresh.started_at, app.now());
    // Tuesday 10:00 + 4 working days: Wed, Thu, Fri, Mon.
    assert_eq!(fresh.due_at, beijing(2026, 11, 30, 10, 0));
    assert_eq!(reopened.order.next_due_at, Some(fresh.due_at));

    let events = order_events(&app, id).await;
    assert_eq!(
        events[events.len() - 2..],
        ["order.return_visited", "order.reopened"]
    );
    assert!(app.trace_kinds(id).await.contains(&"clock.started".into()));

    // Worked again and answered, it closes; the reopen stays counted.
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
        reply_to_complaint("已现场校验电表，误差合格"),
    )
    .await;
    let closed = app
        .step(
            Role::Supervisor,
            id,
            return_visit(Satisfaction::BasicallySatisfied, ""),
        )
        .await;
    assert_eq!(closed.order.status, OrderStatus::Closed);
    assert_eq!(closed.order.reopen_count, 1);
    assert_eq!(app.svc.return_visits(id).await.unwrap().len(), 2);
}

async fn complaint_after_a_closed_one_on_the_same_subject_is_a_repeat(app: TestApp) {
    let zhang = app.customer(ZHANG_SAN);
    let first = app
        .open(complaint_call(zhang, SubjectArea::TariffBill))
        .await
        .order
        .id;

    // While the first is still open, a second call is not a repeat complaint.
    let while_open = app
        .open(complaint_call(zhang, SubjectArea::TariffBill))
        .await;
    assert_eq!(while_open.order.repeat_of, None);

    handle_complaint(&app, first).await;
    app.step(
        Role::Supervisor,
        first,
        return_visit(Satisfaction::Satisfied, ""),
    )
    .await;

    app.advance(3 * DAY);
    let repeat = app
        .open(complaint_call(zhang, SubjectArea::TariffBill))
        .await;
    assert_eq!(repeat.order.repeat_of, Some(first));
    let trace = app.svc.order_trace(repeat.order.id).await.unwrap();
    let detected = trace
        .iter()
        .find(|t| t.kind == "order.repeat_detected")
        .expect("an order.repeat_detected trace");
    assert_eq!(detected.payload["repeat_of"], first);

    let other_subject = app.open(complaint_call(zhang, SubjectArea::Outage)).await;
    assert_eq!(other_subject.order.repeat_of, None);
    let other_customer = app
        .open(complaint_call(app.customer(LI_SI), SubjectArea::TariffBill))
        .await;
    assert_eq!(other_customer.order.repeat_of, None);
    assert!(
        !app.trace_kinds(other_customer.order.id)
            .await
            .contains(&"order.repeat_detected".into())
    );
}

/// What a refused command must not change: the order as shown, its trace, the outbox.
async fn snapshot(app: &TestApp, id: i64) -> (serde_json::Value, usize, usize) {
    (
        serde_json::to_value(app.order(id).await).unwrap(),
        app.svc.order_trace(id).await.unwrap().len(),
        app.svc.outbox(1000).await.unwrap().len(),
    )
}

async fn refused(app: &TestApp, id: i64, role: Role, cmd: Command) -> TransitionError {
    let before = snapshot(app, id).await;
    let what = format!("{cmd:?}");
    let err = match app.act(role, id, cmd).await {
        Err(ServiceError::Transition(e)) => e,
        other => panic!("{what} should be refused as a transition, got {other:?}"),
    };
    assert_eq!(snapshot(app, id).await, before, "{what} changed something");
    err
}

async fn refused_commands_leave_the_order_and_its_trace_untouched(app: TestApp) {
    use OrderStatus as S;
    use TransitionError as T;
    let id = app
        .open(complaint_call(
            app.customer(ZHANG_SAN),
            SubjectArea::ServiceConduct,
        ))
        .await
        .order
        .id;
    let handler = app.user_id(Role::Handler);

    let not_allowed = |action, status| T::NotAllowed { action, status };
    assert_eq!(
        refused(
            &app,
            id,
            Role::Handler,
            Command::Acknowledge {
                assignee_id: handler
            }
        )
        .await,
        not_allowed("acknowledge", S::Accepted)
    );
    assert_eq!(
        refused(&app, id, Role::Crew, Command::Arrive).await,
        T::RepairOnly { action: "arrive" }
    );
    assert_eq!(
        refused(&app, id, Role::Agent, Command::Close).await,
        not_allowed("close", S::Accepted)
    );
    assert_eq!(
        refused(
            &app,
            id,
            Role::Supervisor,
            return_visit(Satisfaction::Satisfied, "")
        )
        .await,
        not_allowed("return_visit", S::Accepted)
    );
    assert_eq!(
        refused(
            &app,
            id,
            Role::Supervisor,
            Command::Reopen {
                reason: "客户再次来电".into()
            }
        )
        .await,
        not_allowed("reopen", S::Accepted)
    );

    app.step(
        Role::Agent,
        id,
        dispatch(app.department(DepartmentKind::Service)),
    )
    .await;
    app.step(
        Role::Handler,
        id,
        Command::Acknowledge {
            assignee_id: handler,
        },
    )
    .await;

    assert_eq!(
        refused(
            &app,
            id,
            Role::Agent,
            dispatch(app.department(DepartmentKind::Marketing))
        )
        .await,
        not_allowed("dispatch", S::Acknowledged)
    );
    assert_eq!(
        refused(
            &app,
            id,
            Role::Handler,
            Command::Reply {
                text: "已处理".into(),
                verdict: None,
                root_cause: None,
            }
        )
        .await,
        T::Missing { field: "verdict" },
        "a complaint reply must say whether it was substantiated"
    );
    assert_eq!(
        refused(
            &app,
            id,
            Role::Handler,
            Command::Reply {
                text: "已处理".into(),
                verdict: Some(Verdict::Substantiated),
                root_cause: None,
            }
        )
        .await,
        T::Missing {
            field: "root_cause"
        }
    );
    assert_eq!(
        refused(
            &app,
            id,
            Role::Handler,
            Command::Contact { note: "  ".into() }
        )
        .await,
        T::Missing { field: "note" }
    );
    assert_eq!(
        refused(&app, id, Role::Agent, Command::Merge { into: id }).await,
        T::MergeIntoSelf
    );

    // The stable code the API reports for a refusal.
    let err = app.act(Role::Agent, id, Command::Close).await.unwrap_err();
    assert_eq!(err.code(), "transition_not_allowed");
}

async fn duplicate_report_is_merged_and_a_resolved_one_cancelled(app: TestApp) {
    let zhang = app.customer(ZHANG_SAN);
    let first = app.open(outage_call(zhang)).await.order.id;
    app.advance(5 * MINUTE);
    let duplicate = app.open(outage_call(zhang)).await.order.id;

    let merged = app
        .step(Role::Agent, duplicate, Command::Merge { into: first })
        .await;
    assert_eq!(merged.order.status, OrderStatus::Merged);
    assert_eq!(merged.order.merged_into, Some(first));
    assert_eq!(merged.order.next_due_at, None);
    assert_eq!(
        clock(&merged, ClockKind::Arrive).state,
        ClockState::Stopped,
        "a merged order's clock stops; the surviving order's clock keeps running"
    );
    assert_eq!(
        clock(&app.order(first).await, ClockKind::Arrive).state,
        ClockState::Running
    );
    let trace = app.svc.order_trace(duplicate).await.unwrap();
    let t = trace.iter().find(|t| t.kind == "order.merged").unwrap();
    assert_eq!(t.payload["into"], first);

    // Nothing merges into an order that is no longer open.
    let err = app
        .act(Role::Agent, first, Command::Merge { into: duplicate })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Invalid { field, .. } if field == "into"),
        "{err:?}"
    );

    // The customer calls again to chase it: urged twice.
    for note in ["客户催促，询问抢修人员何时到达", "客户再次催促"] {
        app.step(Role::Supervisor, first, Command::Urge { note: note.into() })
            .await;
    }
    let urged = app.order(first).await;
    assert_eq!(urged.order.urge_count, 2);
    assert_eq!(
        urged.order.status,
        OrderStatus::Accepted,
        "urging is not a new order"
    );
    let urges: Vec<_> = app
        .svc
        .order_trace(first)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == "order.urged")
        .map(|t| t.payload["count"].as_i64())
        .collect();
    assert_eq!(urges, [Some(1), Some(2)]);

    // Then the supply comes back by itself and the customer withdraws the report.
    assert_eq!(
        app.act(Role::Agent, first, Command::Cancel { reason: " ".into() })
            .await
            .unwrap_err()
            .code(),
        "missing_field"
    );
    let cancelled = app
        .step(
            Role::Agent,
            first,
            Command::Cancel {
                reason: "客户来电告知已恢复供电".into(),
            },
        )
        .await;
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(
        clock(&cancelled, ClockKind::Arrive).state,
        ClockState::Stopped
    );
    assert!(matches!(
        app.act(Role::Supervisor, first, Command::Urge { note: "".into() })
            .await,
        Err(ServiceError::Transition(TransitionError::NotAllowed {
            action: "urge",
            status: OrderStatus::Cancelled
        }))
    ));
    assert_eq!(
        order_events(&app, first).await,
        [
            "order.accepted",
            "order.urged",
            "order.urged",
            "order.cancelled"
        ]
    );
}

async fn order_is_transferred_co_handled_and_returned_to_sender(app: TestApp) {
    let marketing = app.department(DepartmentKind::Marketing);
    let distribution = app.department(DepartmentKind::Distribution);
    let dispatch_centre = app.department(DepartmentKind::Dispatch);
    let service_desk = app.department(DepartmentKind::Service);
    let handler = app.user_id(Role::Handler);
    let id = app
        .open(complaint_call(
            app.customer(WANG_WU),
            SubjectArea::SupplyQuality,
        ))
        .await
        .order
        .id;

    app.step(
        Role::Agent,
        id,
        Command::Dispatch {
            department_id: marketing,
            assignee_id: Some(handler),
        },
    )
    .await;
    let transferred = app
        .step(
            Role::Agent,
            id,
            Command::Transfer {
                department_id: distribution,
                assignee_id: None,
            },
        )
        .await;
    assert_eq!(transferred.order.status, OrderStatus::Dispatched);
    assert_eq!(transferred.order.department_id, Some(distribution));
    assert_eq!(transferred.order.assignee_id, None);
    let trace = app.svc.order_trace(id).await.unwrap();
    let t = trace
        .iter()
        .find(|t| t.kind == "order.transferred")
        .unwrap();
    assert_eq!(t.payload["from_department_id"], marketing);
    assert_eq!(t.payload["department_id"], distribution);

    let co_handled = app
        .step(
            Role::Handler,
            id,
            Command::CoHandle {
                department_ids: vec![dispatch_centre, marketing, distribution],
            },
        )
        .await;
    assert_eq!(
        co_handled.order.co_handlers,
        [dispatch_centre, marketing],
        "the lead department is not its own co-handler"
    );
    assert_eq!(
        app.act(
            Role::Handler,
            id,
            Command::CoHandle {
                department_ids: vec![marketing]
            }
        )
        .await
        .unwrap_err()
        .code(),
        "missing_field",
        "nothing new to add"
    );
    let err = app
        .act(
            Role::Handler,
            id,
            Command::CoHandle {
                department_ids: vec![i64::from(i32::MAX)],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Invalid { field, .. } if field == "department_ids"),
        "{err:?}"
    );

    app.step(
        Role::Handler,
        id,
        Command::Acknowledge {
            assignee_id: handler,
        },
    )
    .await;
    let returned = app
        .step(
            Role::Handler,
            id,
            Command::ReturnToSender {
                reason: "电压问题属配电专业，派单信息不全，请补充客户地址".into(),
            },
        )
        .await;
    assert_eq!(returned.order.status, OrderStatus::Accepted);
    assert_eq!(returned.order.department_id, None);
    assert_eq!(returned.order.assignee_id, None);
    assert_eq!(
        clock(&returned, ClockKind::Answer).state,
        ClockState::Running,
        "the customer's clock keeps running while the order goes back"
    );

    let redispatched = app.step(Role::Agent, id, dispatch(service_desk)).await;
    assert_eq!(redispatched.order.department_id, Some(service_desk));
    assert_eq!(
        order_events(&app, id).await,
        [
            "order.accepted",
            "order.dispatched",
            "order.transferred",
            "order.co_handlers_added",
            "order.acknowledged",
            "order.returned",
            "order.dispatched",
        ]
    );
}

async fn problem_stays_open_until_its_cause_is_fixed(app: TestApp) {
    let supervisor = app.actor(Role::Supervisor);
    let problem = app
        .svc
        .create_problem(
            &supervisor,
            app.station_id,
            "东街1号台区变压器重载",
            "晚高峰反复跳闸",
        )
        .await
        .unwrap();
    assert_eq!(problem.status, "open");

    let zhang = app.customer(ZHANG_SAN);
    let mut orders = Vec::new();
    for _ in 0..2 {
        let id = app.open(outage_call(zhang)).await.order.id;
        let linked = app
            .svc
            .link_problem(&supervisor, id, problem.id)
            .await
            .unwrap();
        assert_eq!(linked.order.problem_id, Some(problem.id));
        orders.push(id);
        app.advance(5 * MINUTE);
    }

    // The first outage is repaired and closed on time; the problem stays open.
    let id = orders[0];
    app.step(
        Role::Agent,
        id,
        dispatch(app.department(DepartmentKind::Distribution)),
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
            text: "更换熔断器，已恢复供电".into(),
            verdict: None,
            root_cause: None,
        },
    )
    .await;
    let closed = app
        .step(
            Role::Supervisor,
            id,
            return_visit(Satisfaction::Satisfied, ""),
        )
        .await;
    assert_eq!(closed.order.status, OrderStatus::Closed);

    let open = app.svc.problem(problem.id).await.unwrap();
    assert_eq!((open.status.as_str(), open.order_count), ("open", 2));
    let (listed, total) = app
        .svc
        .problems(Some(app.station_id), true, 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(listed[0].id, problem.id);

    assert!(matches!(
        app.svc.close_problem(&supervisor, problem.id, " ").await,
        Err(ServiceError::Invalid { .. })
    ));
    let fixed = app
        .svc
        .close_problem(&supervisor, problem.id, "台区增容改造完成")
        .await
        .unwrap();
    assert_eq!(fixed.status, "closed");
    assert_eq!(fixed.root_cause.as_deref(), Some("台区增容改造完成"));
    assert_eq!(
        app.svc
            .problems(Some(app.station_id), true, 50, 0)
            .await
            .unwrap()
            .1,
        0
    );
    assert!(matches!(
        app.svc
            .close_problem(&supervisor, problem.id, "again")
            .await,
        Err(ServiceError::NotFound { .. })
    ));
}
