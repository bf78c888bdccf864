//! Delivery of the outbox to the test gateway (`voltdesk-gateway`, in-process on port 0):
//! every notice arrives once; failures are retried after the backoff without a second
//! message; a notice that always fails becomes a dead letter and can be requeued; quiet
//! hours hold back what is not urgent; webhooks are signed; admins edit the templates.

use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_gateway::{Control, FailMode, Gateway, GatewayConfig, Message, Stats};
use voltdesk_service::*;

on_both_backends!(
    every_notice_arrives_once_with_its_text,
    failures_mid_batch_are_retried_after_the_backoff_without_a_second_message,
    a_notice_that_always_fails_becomes_a_dead_letter_and_can_be_requeued,
    quiet_hours_hold_back_an_sms_that_is_not_urgent,
    webhooks_are_signed_and_a_wrong_signature_is_a_dead_letter,
    an_admin_edits_the_text_of_a_notice,
    a_batch_claimed_by_a_server_that_died_is_sent_after_its_lease,
    two_deliverers_at_once_never_send_a_notice_twice,
);

const SECRET: &str = "webhook-s3cret";

async fn gateway(cfg: GatewayConfig) -> Gateway {
    Gateway::start("127.0.0.1:0".parse().expect("address"), cfg)
        .await
        .expect("start the gateway")
}

fn config_for(gw: &Gateway, secret: Option<&str>) -> DeliveryConfig {
    DeliveryConfig {
        sms: Some(SmsConfig {
            url: gw.sms_url(),
            auth: SmsAuth::None,
        }),
        webhook: Some(WebhookConfig {
            url: gw.webhook_url(),
            secret: secret.map(str::to_string),
        }),
        ..DeliveryConfig::default()
    }
}

fn delivery_to(gw: &Gateway) -> Delivery {
    Delivery::from_config(config_for(gw, Some(SECRET))).expect("delivery config")
}

fn report(
    claimed: usize,
    delivered: usize,
    retried: usize,
    dead: usize,
    deferred: usize,
) -> DeliveryReport {
    DeliveryReport {
        claimed,
        delivered,
        retried,
        dead,
        deferred,
    }
}

fn sms(gw: &Gateway) -> Vec<Message> {
    gw.messages()
        .into_iter()
        .filter(|m| m.channel == "sms")
        .collect()
}

fn webhooks(gw: &Gateway) -> Vec<Message> {
    gw.messages()
        .into_iter()
        .filter(|m| m.channel == "webhook")
        .collect()
}

/// How many messages each phone got.
fn per_phone(messages: &[Message]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for msg in messages {
        *m.entry(msg.to.clone().unwrap_or_default()).or_insert(0) += 1;
    }
    m
}

/// The outbox notices of `kind`, oldest first.
async fn notices(app: &TestApp, kind: &str) -> Vec<voltdesk_store::OutboxItem> {
    let mut out = Vec::new();
    for o in app.svc.outbox(1000).await.expect("outbox") {
        if o.kind == kind {
            out.push(app.svc.outbox_item(o.id).await.expect("notice"));
        }
    }
    out.sort_by_key(|o| o.id);
    out
}

fn phone_of(account: &str) -> &'static str {
    match account {
        ZHANG_SAN => "13812345678",
        LI_SI => "13900001111",
        WANG_WU => "13700002222",
        _ => unreachable!(),
    }
}

/// Opens `n` outage orders for the three customers in turn: `n` receipts by SMS.
async fn open_orders(app: &TestApp, n: usize) -> Vec<OrderView> {
    let mut views = Vec::new();
    for i in 0..n {
        let account = [ZHANG_SAN, LI_SI, WANG_WU][i % 3];
        views.push(app.open(outage_call(app.customer(account))).await);
    }
    views
}

fn dispatch(app: &TestApp) -> Command {
    Command::Dispatch {
        department_id: app.department(DepartmentKind::Marketing),
        assignee_id: None,
    }
}

async fn every_notice_arrives_once_with_its_text(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    let orders = open_orders(&app, 3).await;
    // Dispatching queues a staff notice, routed to the webhook.
    app.step(Role::Agent, orders[0].order.id, dispatch(&app))
        .await;

    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(4, 4, 0, 0, 0)
    );

    let texts = sms(&gw);
    assert_eq!(texts.len(), 3);
    for (view, account) in orders.iter().zip([ZHANG_SAN, LI_SI, WANG_WU]) {
        let no = order_no(&view.order);
        let m = texts
            .iter()
            .find(|m| m.text.as_deref().is_some_and(|t| t.contains(&no)))
            .unwrap_or_else(|| panic!("no SMS names {no}"));
        assert_eq!(m.to.as_deref(), Some(phone_of(account)));
    }
    let zhang = texts
        .iter()
        .find(|m| m.to.as_deref() == Some(phone_of(ZHANG_SAN)))
        .unwrap();
    assert_eq!(
        zhang.text.as_deref().unwrap(),
        format!(
            "【国家电网】尊敬的张三，您反映的问题已受理，工单号{}，我们将尽快处理。如有疑问请致电95598。",
            order_no(&orders[0].order)
        )
    );
    let hooks = webhooks(&gw);
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].body["kind"], "order.dispatched");
    assert_eq!(hooks[0].body["payload"]["order_id"], orders[0].order.id);
    assert_eq!(
        hooks[0].text.as_deref(),
        Some(format!("工单{}已派发，请及时处理。", order_no(&orders[0].order)).as_str())
    );

    // Each row is delivered, with its key fixed by its id.
    for n in notices(&app, "order.accepted").await {
        assert_eq!(n.status, "delivered");
        assert_eq!(n.attempts, 1);
        assert_eq!(n.delivered_at, Some(app.now()));
        let key = format!("voltdesk-outbox-{}", n.id);
        assert_eq!(texts.iter().filter(|m| m.idempotency_key == key).count(), 1);
    }
    // The order's history says the customer was told.
    assert!(
        app.trace_kinds(orders[0].order.id)
            .await
            .contains(&"notice.sent".to_string())
    );

    // Nothing is sent twice.
    app.advance(HOUR);
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        DeliveryReport::default()
    );
    assert_eq!(
        gw.stats(),
        Stats {
            requests: 4,
            received: 4,
            ..Stats::default()
        }
    );
    gw.stop().await;
}

async fn failures_mid_batch_are_retried_after_the_backoff_without_a_second_message(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    open_orders(&app, 10).await;

    // Requests 4 to 7 reach the gateway, which takes the message and then fails to answer.
    gw.control(Control {
        fail_after: Some(3),
        fail_count: Some(4),
        mode: Some(FailMode::LoseResponse),
        ..Control::default()
    });
    let t0 = app.now();
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(10, 6, 4, 0, 0)
    );
    let retried: Vec<_> = notices(&app, "order.accepted")
        .await
        .into_iter()
        .filter(|n| n.status == "pending")
        .collect();
    assert_eq!(retried.len(), 4);
    for n in &retried {
        assert_eq!(n.attempts, 1);
        assert_eq!(n.next_attempt_at, t0 + d.config().backoff_ms(n.id, 1));
        assert!(
            n.last_error.as_deref().unwrap().contains("HTTP 500"),
            "{:?}",
            n.last_error
        );
    }
    assert_eq!(
        gw.stats().received,
        10,
        "the gateway took every message once"
    );
    assert_eq!(gw.stats().failures_injected, 4);

    // Not before the backoff.
    app.set_time(retried.iter().map(|n| n.next_attempt_at).min().unwrap() - 1);
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        DeliveryReport::default()
    );
    app.set_time(t0 + d.config().backoff_max_ms(1));
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(4, 4, 0, 0, 0)
    );

    // The retries carried the first keys: the gateway answered them with the first result.
    let stats = gw.stats();
    assert_eq!((stats.received, stats.duplicates), (10, 4));
    let texts = sms(&gw);
    assert_eq!(texts.len(), 10, "no customer got a second message");
    let keys: BTreeSet<_> = texts.iter().map(|m| m.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 10);
    assert_eq!(
        per_phone(&texts),
        BTreeMap::from([
            (phone_of(ZHANG_SAN).to_string(), 4),
            (phone_of(LI_SI).to_string(), 3),
            (phone_of(WANG_WU).to_string(), 3),
        ])
    );
    for n in notices(&app, "order.accepted").await {
        assert_eq!(n.status, "delivered");
        assert_eq!(n.last_error, None);
    }

    // A gateway that refuses outright (nothing recorded) is retried the same way.
    open_orders(&app, 3).await;
    gw.control(Control {
        fail_after: Some(0),
        fail_count: Some(1),
        mode: Some(FailMode::Reject),
        ..Control::default()
    });
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(3, 2, 1, 0, 0)
    );
    app.advance(d.config().backoff_max_ms(1));
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 1, 0, 0, 0)
    );
    let stats = gw.stats();
    assert_eq!((stats.received, stats.duplicates), (13, 4));
    assert_eq!(sms(&gw).len(), 13);
    gw.stop().await;
}

async fn a_notice_that_always_fails_becomes_a_dead_letter_and_can_be_requeued(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    let order = app.open(outage_call(app.customer(LI_SI))).await;
    gw.control(Control {
        fail_every: Some(1),
        ..Control::default()
    });
    let max = d.config().max_attempts;
    assert_eq!(max, 8);
    for attempt in 1..max {
        assert_eq!(
            app.svc.deliver_due(&d).await.unwrap(),
            report(1, 0, 1, 0, 0),
            "attempt {attempt}"
        );
        app.advance(d.config().backoff_max_ms(attempt));
    }
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 0, 0, 1, 0)
    );

    let dead = app.svc.dead_letters(100, 0).await.unwrap();
    assert_eq!(dead.len(), 1);
    let letter = &dead[0];
    assert_eq!(letter.kind, "order.accepted");
    assert_eq!(letter.status, "dead");
    assert_eq!(letter.attempts, 8);
    assert_eq!(letter.dead_at, Some(app.now()));
    let error = letter.last_error.as_deref().unwrap();
    assert!(
        error.contains("attempt 8") && error.contains("HTTP 500"),
        "{error}"
    );
    assert!(
        app.trace_kinds(order.order.id)
            .await
            .contains(&"notice.dead".to_string())
    );
    // A dead letter is not tried again by itself.
    app.advance(DAY);
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        DeliveryReport::default()
    );
    assert_eq!(gw.stats().requests, 8);

    // Once the gateway works again, an admin puts it back.
    gw.control(Control {
        clear: true,
        ..Control::default()
    });
    assert!(matches!(
        app.svc
            .requeue_dead_letter(&app.actor(Role::Agent), letter.id)
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let back = app
        .svc
        .requeue_dead_letter(&app.actor(Role::Admin), letter.id)
        .await
        .unwrap();
    assert_eq!((back.status.as_str(), back.attempts), ("pending", 0));
    assert!(matches!(
        app.svc
            .requeue_dead_letter(&app.actor(Role::Admin), letter.id)
            .await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 1, 0, 0, 0)
    );
    assert!(app.svc.dead_letters(100, 0).await.unwrap().is_empty());
    assert_eq!(sms(&gw).len(), 1);
    assert_eq!(sms(&gw)[0].to.as_deref(), Some(phone_of(LI_SI)));
    let kinds = app.trace_kinds(order.order.id).await;
    assert!(kinds.contains(&"notice.requeued".to_string()), "{kinds:?}");
    gw.stop().await;
}

/// Works a complaint to the handler's reply, which tells the customer by SMS.
async fn reply_to_complaint(app: &TestApp, id: i64) {
    app.step(Role::Agent, id, dispatch(app)).await;
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
            note: "已电话联系客户".into(),
        },
    )
    .await;
    app.step(
        Role::Handler,
        id,
        Command::Reply {
            text: "经核查电表计量准确".into(),
            verdict: Some(Verdict::Unsubstantiated),
            root_cause: Some(RootCause::CustomerSide),
        },
    )
    .await;
}

async fn quiet_hours_hold_back_an_sms_that_is_not_urgent(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    let complaint = app
        .open(complaint_call(
            app.customer(ZHANG_SAN),
            SubjectArea::TariffBill,
        ))
        .await;
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 1, 0, 0, 0)
    );

    // The handler replies late in the evening; another customer calls at the same time.
    app.set_time(beijing(2026, 11, 20, 23, 0));
    reply_to_complaint(&app, complaint.order.id).await;
    app.open(outage_call(app.customer(WANG_WU))).await;
    // The receipt of the new call is urgent, the staff webhook is no SMS: both go now.
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(3, 2, 0, 0, 1)
    );
    let replied = notices(&app, "order.replied").await;
    assert_eq!(replied.len(), 1);
    assert_eq!(replied[0].status, "pending");
    assert_eq!(replied[0].attempts, 0, "holding back spends no attempt");
    assert_eq!(replied[0].next_attempt_at, beijing(2026, 11, 21, 7, 0));
    assert_eq!(sms(&gw).len(), 2);

    app.set_time(beijing(2026, 11, 21, 6, 59));
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        DeliveryReport::default()
    );
    app.set_time(beijing(2026, 11, 21, 7, 0));
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 1, 0, 0, 0)
    );
    let last = sms(&gw).pop().unwrap();
    assert_eq!(last.to.as_deref(), Some(phone_of(ZHANG_SAN)));
    assert!(last.text.unwrap().contains("已处理完毕并答复"));
    gw.stop().await;
}

async fn webhooks_are_signed_and_a_wrong_signature_is_a_dead_letter(app: TestApp) {
    let gw = gateway(GatewayConfig {
        secret: Some(SECRET.into()),
        ..GatewayConfig::default()
    })
    .await;
    let d = delivery_to(&gw);
    let order = app.open(outage_call(app.customer(ZHANG_SAN))).await;
    app.step(Role::Agent, order.order.id, dispatch(&app)).await;
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(2, 2, 0, 0, 0)
    );

    let hooks = webhooks(&gw);
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook.signature_ok, Some(true));
    let signature = hook.signature.as_deref().unwrap();
    assert!(voltdesk_gateway::verify_signature(
        SECRET,
        hook.raw.as_bytes(),
        signature
    ));
    assert_eq!(signature, webhook_signature(SECRET, hook.raw.as_bytes()));
    assert!(!voltdesk_gateway::verify_signature(
        "another",
        hook.raw.as_bytes(),
        signature
    ));
    let id = notices(&app, "order.dispatched").await[0].id;
    assert_eq!(hook.idempotency_key, format!("voltdesk-outbox-{id}"));
    assert_eq!(hook.body["id"], id);
    assert_eq!(hook.body["topic"], "notify");

    // Signed with the wrong secret: refused, and no retry changes that.
    let wrong = Delivery::from_config(config_for(&gw, Some("not-the-secret"))).unwrap();
    app.step(
        Role::Agent,
        order.order.id,
        Command::Transfer {
            department_id: app.department(DepartmentKind::Distribution),
            assignee_id: None,
        },
    )
    .await;
    assert_eq!(
        app.svc.deliver_due(&wrong).await.unwrap(),
        report(1, 0, 0, 1, 0)
    );
    assert_eq!(gw.stats().bad_signatures, 1);
    let dead = app.svc.dead_letters(10, 0).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap().contains("HTTP 401"));
    assert_eq!(webhooks(&gw).len(), 1);
    gw.stop().await;
}

async fn an_admin_edits_the_text_of_a_notice(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    let body = "{{ customer_name }}您好，您的报修（{{ order_no }}）已受理，抢修人员将尽快到达。";
    assert!(matches!(
        app.svc
            .set_notice_template(
                &app.actor(Role::Agent),
                "order.accepted",
                "sms",
                "zh-CN",
                body
            )
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let admin = app.actor(Role::Admin);
    match app
        .svc
        .set_notice_template(&admin, "order.accepted", "sms", "zh-CN", "{{ order_no")
        .await
    {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "body"),
        other => panic!("a broken template must be refused: {other:?}"),
    }
    assert!(matches!(
        app.svc
            .set_notice_template(&admin, "order.accepted", "fax", "zh-CN", body)
            .await,
        Err(ServiceError::Invalid { .. })
    ));
    let t = app
        .svc
        .set_notice_template(&admin, "order.accepted", "sms", "zh-CN", body)
        .await
        .unwrap();
    assert_eq!(t.updated_by, admin.name);
    let stored: Vec<_> = app
        .svc
        .notice_templates()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == "order.accepted" && t.channel == "sms")
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body, body);

    let order = app.open(outage_call(app.customer(LI_SI))).await;
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(1, 1, 0, 0, 0)
    );
    assert_eq!(
        sms(&gw)[0].text.as_deref().unwrap(),
        format!(
            "李四您好，您的报修（{}）已受理，抢修人员将尽快到达。",
            order_no(&order.order)
        )
    );
    gw.stop().await;
}

async fn a_batch_claimed_by_a_server_that_died_is_sent_after_its_lease(app: TestApp) {
    let gw = gateway(GatewayConfig::default()).await;
    let d = delivery_to(&gw);
    open_orders(&app, 2).await;
    // Another server claims the notices and dies before it settles them.
    let claimed = app
        .svc
        .store()
        .claim_outbox(app.now(), app.now() + d.config().lease_ms, d.topics(), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        DeliveryReport::default()
    );
    app.advance(d.config().lease_ms);
    assert_eq!(
        app.svc.deliver_due(&d).await.unwrap(),
        report(2, 2, 0, 0, 0)
    );
    for n in notices(&app, "order.accepted").await {
        assert_eq!((n.status.as_str(), n.attempts), ("delivered", 2));
    }
    assert_eq!(sms(&gw).len(), 2);
    gw.stop().await;
}

async fn two_deliverers_at_once_never_send_a_notice_twice(app: TestApp) {
    let gw = gateway(GatewayConfig {
        faults: voltdesk_gateway::Faults {
            delay_ms: 2,
            ..Default::default()
        },
        ..GatewayConfig::default()
    })
    .await;
    let d = Delivery::from_config(DeliveryConfig {
        batch_size: 5,
        concurrency: 4,
        ..config_for(&gw, None)
    })
    .unwrap();
    open_orders(&app, 30).await;
    let (a, b) = tokio::join!(app.svc.deliver_due(&d), app.svc.deliver_due(&d));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.delivered + b.delivered, 30);
    assert_eq!(a.claimed + b.claimed, 30);
    let stats = gw.stats();
    assert_eq!(
        (stats.requests, stats.received, stats.duplicates),
        (30, 30, 0)
    );
    gw.stop().await;
}
