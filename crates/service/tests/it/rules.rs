//! The early-warning rules with the hand-moved clock: each fires when it should, once, and
//! not when it should not; warnings go open → acknowledged → handled or dismissed; a station
//! can switch a rule off.

use crate::support::*;
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::WarningFilter;

on_both_backends!(
    repeat_contact_on_the_same_subject_within_the_window,
    complaints_make_a_customer_sensitive_and_the_flag_is_reviewed,
    complaint_tendency_in_the_text_of_a_contact,
    a_repeat_complaint_is_raised_to_the_supervisor,
    warnings_have_a_lifecycle_and_rules_can_be_switched_off,
    outages_raise_late_notice_care_frequent_and_long_warnings,
    voltage_out_of_limits_again_and_again_on_one_area,
);

async fn warnings_of(app: &TestApp, rule: RuleKind) -> Vec<WarningView> {
    app.svc.process_rules().await.unwrap();
    app.svc
        .warnings(&WarningFilter {
            rule: Some(rule.code().into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .0
}

fn consultation(customer_id: i64, subject: SubjectArea, text: &str) -> NewOrder {
    NewOrder {
        customer_id: Some(customer_id),
        order_type: Some(OrderType::Consultation),
        channel: Some(Channel::Hotline95598),
        subject: Some(subject),
        title: Some("咨询".into()),
        description: Some(text.into()),
        ..NewOrder::default()
    }
}

async fn repeat_contact_on_the_same_subject_within_the_window(app: TestApp) {
    let li = app.customer(LI_SI);
    app.open(consultation(li, SubjectArea::TariffBill, "电费怎么这么高"))
        .await;
    assert!(warnings_of(&app, RuleKind::RepeatContact).await.is_empty());
    // Another subject is not a repeat.
    app.advance(2 * DAY);
    app.open(consultation(li, SubjectArea::Metering, "电表走得快"))
        .await;
    assert!(warnings_of(&app, RuleKind::RepeatContact).await.is_empty());
    // The same subject ten days later is.
    app.advance(8 * DAY);
    app.open(consultation(li, SubjectArea::TariffBill, "还是觉得电费高"))
        .await;
    let w = warnings_of(&app, RuleKind::RepeatContact).await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].customer_id, Some(li));
    assert_eq!(w[0].owner_role, "agent");
    assert_eq!(w[0].occurrences, 1);
    // A third call is the same situation: one warning, seen twice.
    app.advance(DAY);
    app.open(consultation(li, SubjectArea::TariffBill, "电费问题第三次"))
        .await;
    let w = warnings_of(&app, RuleKind::RepeatContact).await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].occurrences, 2);
    // Judging again changes nothing: the cursor moved past these events.
    assert_eq!(app.svc.process_rules().await.unwrap().events, 0);
    // The agent sees it the moment the customer is identified.
    let v = app
        .svc
        .customer(&app.principal(Role::Agent), li, false)
        .await
        .unwrap();
    assert!(v.warnings.iter().any(|w| w.rule == "repeat_contact"));
    // Forty days later, out of the window, the subject starts over for Wang Wu's case.
    let wang = app.customer(WANG_WU);
    app.open(consultation(wang, SubjectArea::TariffBill, "电价咨询"))
        .await;
    app.advance(40 * DAY);
    app.open(consultation(wang, SubjectArea::TariffBill, "电价咨询"))
        .await;
    assert!(
        warnings_of(&app, RuleKind::RepeatContact)
            .await
            .iter()
            .all(|w| w.customer_id != Some(wang))
    );
}

async fn complaints_make_a_customer_sensitive_and_the_flag_is_reviewed(app: TestApp) {
    let zhang = app.customer(ZHANG_SAN);
    app.open(complaint_call(zhang, SubjectArea::ServiceConduct))
        .await;
    assert!(
        warnings_of(&app, RuleKind::SensitiveCustomer)
            .await
            .is_empty()
    );
    app.advance(20 * DAY);
    app.open(complaint_call(zhang, SubjectArea::TariffBill))
        .await;
    let w = warnings_of(&app, RuleKind::SensitiveCustomer).await;
    assert_eq!(w.len(), 1, "two complaints in twelve months");
    let v = app
        .svc
        .customer(&app.principal(Role::Agent), zhang, false)
        .await
        .unwrap();
    assert!(v.sensitive, "flagged automatically");
    let trace = app.svc.customer_trace(zhang, None, 50).await.unwrap();
    let set = trace
        .iter()
        .find(|t| t.kind == "customer.sensitive_set")
        .expect("the flag is traced");
    assert_eq!(set.payload["automatic"], true);
    // A third complaint does not raise it again: the customer is already sensitive.
    app.advance(DAY);
    app.open(complaint_call(zhang, SubjectArea::Metering)).await;
    assert_eq!(
        warnings_of(&app, RuleKind::SensitiveCustomer).await.len(),
        1
    );
    // Ninety days on, the flag is due for review, once.
    assert!(
        warnings_of(&app, RuleKind::SensitiveReview)
            .await
            .is_empty()
    );
    app.advance(90 * DAY);
    assert_eq!(warnings_of(&app, RuleKind::SensitiveReview).await.len(), 1);
    app.advance(DAY);
    assert_eq!(warnings_of(&app, RuleKind::SensitiveReview).await.len(), 1);
    // Cleared by hand with a reason.
    app.svc
        .set_sensitive(
            &app.actor(Role::Supervisor),
            zhang,
            false,
            "已上门沟通，客户认可",
        )
        .await
        .unwrap();
    assert!(
        !app.svc
            .customer(&app.principal(Role::Agent), zhang, false)
            .await
            .unwrap()
            .sensitive
    );
    // One complaint alone does not make Li Si sensitive.
    app.open(complaint_call(app.customer(LI_SI), SubjectArea::Outage))
        .await;
    assert!(
        warnings_of(&app, RuleKind::SensitiveCustomer)
            .await
            .iter()
            .all(|w| w.customer_id == Some(zhang))
    );
}

async fn complaint_tendency_in_the_text_of_a_contact(app: TestApp) {
    let li = app.customer(LI_SI);
    let calm = app
        .open(consultation(
            li,
            SubjectArea::Outage,
            "不是要投诉，只是问一下明天什么时候来电",
        ))
        .await;
    assert!(
        warnings_of(&app, RuleKind::ComplaintTendency)
            .await
            .is_empty()
    );
    let angry = app
        .open(consultation(
            li,
            SubjectArea::SupplyQuality,
            "电压一直不稳，再不解决我就打12398，还要找电视台曝光你们",
        ))
        .await;
    let w = warnings_of(&app, RuleKind::ComplaintTendency).await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].order_id, Some(angry.order.id));
    assert_ne!(w[0].order_id, Some(calm.order.id));
    assert_eq!(w[0].owner_role, "supervisor");
    assert!(w[0].title.contains("12398"), "{}", w[0].title);
    assert!(w[0].detail["cues"].as_array().unwrap().len() >= 2);
}

async fn a_repeat_complaint_is_raised_to_the_supervisor(app: TestApp) {
    use voltdesk_domain::order::Command;
    let wang = app.customer(WANG_WU);
    let first = app.open(complaint_call(wang, SubjectArea::Outage)).await;
    let id = first.order.id;
    let dept = app.department(DepartmentKind::Distribution);
    for (role, cmd) in [
        (
            Role::Agent,
            Command::Dispatch {
                department_id: dept,
                assignee_id: None,
            },
        ),
        (
            Role::Handler,
            Command::Acknowledge {
                assignee_id: app.user_id(Role::Handler),
            },
        ),
        (
            Role::Handler,
            Command::Reply {
                text: "已查明原因并处理".into(),
                verdict: Some(Verdict::Substantiated),
                root_cause: Some(RootCause::SupplyQuality),
            },
        ),
        (
            Role::Supervisor,
            Command::ReturnVisit {
                satisfaction: Satisfaction::Satisfied,
                comment: "满意".into(),
            },
        ),
    ] {
        app.step(role, id, cmd).await;
    }
    assert_eq!(app.order(id).await.order.status, OrderStatus::Closed);
    assert!(
        warnings_of(&app, RuleKind::RepeatComplaint)
            .await
            .is_empty()
    );
    // The same complaint again after the first was closed.
    app.advance(3 * DAY);
    let again = app.open(complaint_call(wang, SubjectArea::Outage)).await;
    assert_eq!(again.order.repeat_of, Some(id));
    let w = warnings_of(&app, RuleKind::RepeatComplaint).await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, "serious");
    assert_eq!(w[0].owner_role, "supervisor");
    assert_eq!(w[0].customer_id, Some(wang));
}

async fn warnings_have_a_lifecycle_and_rules_can_be_switched_off(app: TestApp) {
    let li = app.customer(LI_SI);
    let sup = app.actor(Role::Supervisor);
    app.open(consultation(li, SubjectArea::TariffBill, "电费"))
        .await;
    app.advance(DAY);
    app.open(consultation(li, SubjectArea::TariffBill, "电费"))
        .await;
    let w = warnings_of(&app, RuleKind::RepeatContact).await;
    let id = w[0].id;
    let acked = app
        .svc
        .warning_step(&sup, id, WarningStatus::Acknowledged, "")
        .await
        .unwrap();
    assert_eq!(acked.status, "acknowledged");
    assert!(
        app.svc
            .warning_step(&sup, id, WarningStatus::Acknowledged, "")
            .await
            .is_err(),
        "acknowledged once"
    );
    assert!(matches!(
        app.svc
            .warning_step(&sup, id, WarningStatus::Dismissed, "  ")
            .await,
        Err(ServiceError::Invalid { .. })
    ));
    let handled = app
        .svc
        .warning_step(&sup, id, WarningStatus::Handled, "已回电解释电价")
        .await
        .unwrap();
    assert_eq!(handled.status, "handled");
    assert_eq!(handled.close_reason.as_deref(), Some("已回电解释电价"));
    // After it was handled, the same situation again is a new warning.
    app.advance(DAY);
    app.open(consultation(li, SubjectArea::TariffBill, "电费"))
        .await;
    assert_eq!(warnings_of(&app, RuleKind::RepeatContact).await.len(), 2);

    // Switched off at the station: no more warnings of that rule.
    let station = app.svc.stations().await.unwrap()[0].id;
    app.svc
        .set_rule_switch(
            &app.actor(Role::Admin),
            station,
            RuleKind::RepeatContact,
            false,
        )
        .await
        .unwrap();
    let switches = app.svc.rule_switches(station).await.unwrap();
    assert!(
        !switches
            .iter()
            .find(|s| s.rule == RuleKind::RepeatContact)
            .unwrap()
            .enabled
    );
    let wang = app.customer(WANG_WU);
    app.open(consultation(wang, SubjectArea::Metering, "电表"))
        .await;
    app.advance(DAY);
    app.open(consultation(wang, SubjectArea::Metering, "电表"))
        .await;
    assert_eq!(warnings_of(&app, RuleKind::RepeatContact).await.len(), 2);
}

fn outage_on_area(area: &str, reference: &str, start: Millis, hours: i64) -> NewOutage {
    NewOutage {
        external_ref: Some(reference.into()),
        kind: Some(voltdesk_domain::outage::OutageKind::Fault),
        cause: Some("树障跳闸".into()),
        area_code: Some(area.into()),
        started_at: Some(start),
        expected_restore_at: Some(start + hours * HOUR),
        ..NewOutage::default()
    }
}

async fn outages_raise_late_notice_care_frequent_and_long_warnings(app: TestApp) {
    let admin = app.actor(Role::Admin);
    // A care household in the village.
    let (rows, errors) = parse_customers(
        "account_no,name,phone,address,usage_class,area_code,care_groups\n\
         3100000021,吴老伯,13811110000,城东镇李家村9号,residential,TA-RURAL,oxygen\n",
    );
    app.svc
        .import_customers(&admin, rows, errors, false, &|_| {})
        .await
        .unwrap();
    // A planned outage announced two days ahead: late, and it touches the care household.
    let start = app.now() + 2 * DAY;
    let planned = NewOutage {
        kind: Some(voltdesk_domain::outage::OutageKind::Planned),
        ..outage_on_area(RURAL_AREA, "P-1", start, 6)
    };
    let (p1, _) = app.svc.register_outage(&admin, planned).await.unwrap();
    let late = warnings_of(&app, RuleKind::LatePlannedNotice).await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].subject_kind, "outage");
    let care = warnings_of(&app, RuleKind::CareInOutage).await;
    assert_eq!(care.len(), 1);
    assert_eq!(care[0].owner_role, "grid_manager");
    assert!(
        warnings_of(&app, RuleKind::FrequentOutages)
            .await
            .is_empty()
    );

    // Two faults on the same area within the month make three: frequent.
    app.advance(3 * DAY);
    app.svc
        .restore_outage(&admin, p1.record.outage.id, start + 6 * HOUR)
        .await
        .unwrap();
    let (f1, _) = app
        .svc
        .register_outage(
            &admin,
            outage_on_area(RURAL_AREA, "F-1", app.now() - HOUR, 3),
        )
        .await
        .unwrap();
    app.svc
        .restore_outage(&admin, f1.record.outage.id, app.now())
        .await
        .unwrap();
    assert!(
        warnings_of(&app, RuleKind::FrequentOutages)
            .await
            .is_empty()
    );
    app.advance(DAY);
    let (f2, _) = app
        .svc
        .register_outage(
            &admin,
            outage_on_area(RURAL_AREA, "F-2", app.now() - HOUR, 12),
        )
        .await
        .unwrap();
    let frequent = warnings_of(&app, RuleKind::FrequentOutages).await;
    assert_eq!(frequent.len(), 1);
    assert_eq!(frequent[0].subject_kind, "area");
    assert_eq!(frequent[0].area_id, Some(app.area(RURAL_AREA)));
    // Another area has had one outage: nothing there.
    let (f3, _) = app
        .svc
        .register_outage(
            &admin,
            outage_on_area(URBAN_AREA, "F-3", app.now() - HOUR, 2),
        )
        .await
        .unwrap();
    app.svc
        .restore_outage(&admin, f3.record.outage.id, app.now())
        .await
        .unwrap();
    assert_eq!(warnings_of(&app, RuleKind::FrequentOutages).await.len(), 1);

    // The second fault is still off after eight hours: a long outage, raised once.
    assert!(warnings_of(&app, RuleKind::LongOutage).await.is_empty());
    app.advance(6 * HOUR);
    assert!(warnings_of(&app, RuleKind::LongOutage).await.is_empty());
    app.advance(3 * HOUR);
    let long: Vec<_> = warnings_of(&app, RuleKind::LongOutage).await;
    assert_eq!(long.len(), 1);
    assert_eq!(long[0].subject_id, f2.record.outage.id);
    let n = long.len();
    app.advance(HOUR);
    assert_eq!(warnings_of(&app, RuleKind::LongOutage).await.len(), n);
    // Restored: no longer running, nothing new.
    app.svc
        .restore_outage(&admin, f2.record.outage.id, app.now())
        .await
        .unwrap();
    app.advance(HOUR);
    assert_eq!(warnings_of(&app, RuleKind::LongOutage).await.len(), n);
}

async fn voltage_out_of_limits_again_and_again_on_one_area(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let day = |d: u32, h: u32| format!("2026-11-{d:02} {h:02}:00");
    let csv = |rows: &[(String, f64)]| {
        let mut s = String::from("area_code,level,at,volts,minutes\n");
        for (at, v) in rows {
            s += &format!("{RURAL_AREA},220v,{at},{v},60\n");
        }
        s
    };
    // Two low readings and a good one: not yet.
    app.svc
        .import_voltage(
            &admin,
            &csv(&[
                (day(17, 19), 188.0),
                (day(18, 19), 190.5),
                (day(18, 20), 221.0),
            ]),
        )
        .await
        .unwrap();
    assert!(
        warnings_of(&app, RuleKind::VoltageOutOfLimits)
            .await
            .is_empty()
    );
    // The third within the week: the grid manager is warned once.
    app.svc
        .import_voltage(&admin, &csv(&[(day(19, 19), 187.0)]))
        .await
        .unwrap();
    let w = warnings_of(&app, RuleKind::VoltageOutOfLimits).await;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].owner_role, "grid_manager");
    assert_eq!(w[0].area_id, Some(app.area(RURAL_AREA)));
    app.svc
        .import_voltage(&admin, &csv(&[(day(19, 20), 240.0)]))
        .await
        .unwrap();
    let w = warnings_of(&app, RuleKind::VoltageOutOfLimits).await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].occurrences, 2);
}
