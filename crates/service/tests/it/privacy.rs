//! Personal data: masked by default, revealed only to roles that may see it, and every
//! reveal traced.

use crate::support::*;
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    customer_is_shown_masked_by_default,
    agent_reveal_shows_the_number_and_is_traced,
    analyst_may_not_reveal_and_leaves_no_trace,
);

async fn reveals(app: &TestApp, customer_id: i64) -> Vec<voltdesk_store::TraceRow> {
    app.svc
        .customer_trace(customer_id, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == "pii.revealed")
        .collect()
}

async fn customer_is_shown_masked_by_default(app: TestApp) {
    let agent = app.principal(Role::Agent);
    let zhang = app.customer(ZHANG_SAN);

    let view = app.svc.customer(&agent, zhang, false).await.unwrap();
    assert!(view.masked);
    assert_eq!(view.phone.as_deref(), Some("138****5678"));
    assert_eq!(view.id_number.as_deref(), Some("1101**********002X"));
    assert_eq!(view.address, "城东镇东街1****");
    assert_eq!(view.name, "张三");

    // Identifying a caller by the number on the line shows the masked record too.
    let found = app
        .svc
        .lookup_customers(&agent, Some("+86 138-1234-5678"), None)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, zhang);
    assert_eq!(found[0].phone.as_deref(), Some("138****5678"));

    let (listed, _) = app
        .svc
        .customers(&voltdesk_store::CustomerFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(listed.iter().all(|c| c.masked));
    assert!(
        listed
            .iter()
            .all(|c| c.phone.as_deref().unwrap().contains("****"))
    );
    assert!(
        reveals(&app, zhang).await.is_empty(),
        "masked reads are not reveals"
    );
}

async fn agent_reveal_shows_the_number_and_is_traced(app: TestApp) {
    let agent = app.principal(Role::Agent);
    let zhang = app.customer(ZHANG_SAN);

    let view = app.svc.customer(&agent, zhang, true).await.unwrap();

    assert!(!view.masked);
    assert_eq!(view.phone.as_deref(), Some("13812345678"));
    assert_eq!(view.id_number.as_deref(), Some("11010519491231002X"));
    assert_eq!(view.address, "城东镇东街1号3单元101室");
    let traced = reveals(&app, zhang).await;
    assert_eq!(traced.len(), 1);
    assert_eq!(traced[0].actor, "agent");
    assert_eq!(traced[0].actor_id, Some(app.user_id(Role::Agent)));
    assert_eq!(traced[0].at, app.now());
    assert_eq!(traced[0].payload["fields"][0], "phone");
    let audit = app.svc.audit_trail(Some("pii."), None, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "the auditor sees the reveal");
}

async fn analyst_may_not_reveal_and_leaves_no_trace(app: TestApp) {
    let analyst = app.principal(Role::Analyst);
    let zhang = app.customer(ZHANG_SAN);

    let err = app.svc.customer(&analyst, zhang, true).await.unwrap_err();

    assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");
    assert_eq!(err.code(), "forbidden");
    assert!(reveals(&app, zhang).await.is_empty());
    assert!(
        app.svc
            .audit_trail(Some("pii."), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The masked record is still the analyst's to read.
    let view = app.svc.customer(&analyst, zhang, false).await.unwrap();
    assert_eq!(view.phone.as_deref(), Some("138****5678"));

    // An agent's API token without the pii.reveal scope may not reveal either.
    let secret = app
        .svc
        .create_token(
            &app.actor(Role::Admin),
            "agent",
            "crm-sync",
            &["customer.read".to_string()],
            None,
        )
        .await
        .unwrap();
    let crm = app.svc.authenticate_token(&secret).await.unwrap();
    assert!(matches!(
        app.svc.customer(&crm, zhang, true).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(reveals(&app, zhang).await.is_empty());
}
