//! Signing in, sessions, and API tokens whose scopes narrow what the user's role allows.

use crate::support::*;
use voltdesk_domain::auth::Permission;
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    sign_in_needs_the_right_password,
    session_lasts_one_shift_or_until_sign_out,
    token_scopes_narrow_the_role,
    revoked_or_expired_token_is_refused,
);

fn unauthorized<T: std::fmt::Debug>(r: Result<T>) {
    assert!(matches!(r, Err(ServiceError::Unauthorized)), "{r:?}");
}

async fn sign_in_needs_the_right_password(app: TestApp) {
    let (secret, user) = app.svc.login("agent", PASSWORD).await.unwrap();
    assert!(secret.starts_with("vds_"));
    assert_eq!(user.role, Role::Agent);
    assert_eq!(user.id, app.user_id(Role::Agent));

    unauthorized(app.svc.login("agent", "dianli-95599").await);
    unauthorized(app.svc.login("agent", "").await);
    unauthorized(app.svc.login("nobody", PASSWORD).await);

    let signed_in = app
        .svc
        .audit_trail(Some("user.signed_in"), None, 10)
        .await
        .unwrap();
    assert_eq!(signed_in.len(), 1, "only the good sign-in is traced");
    assert_eq!(signed_in[0].actor, "agent");
}

async fn session_lasts_one_shift_or_until_sign_out(app: TestApp) {
    let (secret, _) = app.svc.login("supervisor", PASSWORD).await.unwrap();

    let who = app.svc.authenticate_session(&secret).await.unwrap();
    assert_eq!(who.actor.name, "supervisor");
    assert_eq!(who.actor.role, Role::Supervisor);
    assert_eq!(who.actor.user_id, Some(app.user_id(Role::Supervisor)));
    assert_eq!(who.actor.station_id, Some(app.station_id));
    assert!(who.scopes.is_none());
    assert!(who.may(Permission::OrderSupervise));
    assert!(!who.may(Permission::UserAdmin));

    unauthorized(app.svc.authenticate_session("vds_not-a-session").await);
    unauthorized(app.svc.authenticate_token(&secret).await);

    // In use all shift (every 20 minutes, inside the idle time): alive up to 12 h.
    for _ in 0..35 {
        app.advance(20 * 60_000);
        assert!(app.svc.authenticate_session(&secret).await.is_ok());
    }
    app.advance(20 * 60_000 - 1);
    assert!(app.svc.authenticate_session(&secret).await.is_ok());
    app.advance(1);
    unauthorized(app.svc.authenticate_session(&secret).await);

    let (second, _) = app.svc.login("supervisor", PASSWORD).await.unwrap();
    assert!(app.svc.authenticate_session(&second).await.is_ok());
    app.svc.logout(&second).await.unwrap();
    unauthorized(app.svc.authenticate_session(&second).await);
}

async fn token_scopes_narrow_the_role(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let ivr = app
        .svc
        .create_token(
            &admin,
            "agent",
            "ivr-gateway",
            &["order.read".to_string(), "order.create".to_string()],
            None,
        )
        .await
        .unwrap();
    assert!(ivr.starts_with("vdt_"));

    // Made by an administrator for the agent's account: the agent's permissions, the
    // administrator's name on every act.
    let gateway = app.svc.authenticate_token(&ivr).await.unwrap();
    assert_eq!(gateway.actor.name, "admin");
    assert_eq!(gateway.actor.user_id, Some(app.user_id(Role::Admin)));
    assert_eq!(gateway.actor.role, Role::Agent);
    assert!(gateway.may(Permission::OrderRead));
    assert!(gateway.may(Permission::OrderCreate));
    // The agent role holds these; the token does not.
    assert!(!gateway.may(Permission::CustomerRead));
    assert!(!gateway.may(Permission::PiiReveal));
    assert!(app.principal(Role::Agent).may(Permission::PiiReveal));

    // No scopes (from the command line): everything the role allows, and nothing more.
    let full = app
        .svc
        .create_token(&Actor::system(), "agent", "desk-plugin", &[], None)
        .await
        .unwrap();
    let plugin = app.svc.authenticate_token(&full).await.unwrap();
    assert!(plugin.may(Permission::PiiReveal));
    assert!(!plugin.may(Permission::UserAdmin));

    // A scope cannot widen the role, and an unknown scope is an error.
    // An administrator's token for another user names its scopes, none of them personal.
    for (user, scope) in [
        ("analyst", "pii.reveal"),
        ("agent", "orders.everything"),
        ("agent", "pii.reveal"),
        ("agent", ""),
    ] {
        let err = app
            .svc
            .create_token(&admin, user, "bi-export", &[scope.to_string()], None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid { field, .. } if field == "scopes"),
            "{scope}: {err:?}"
        );
    }

    let tokens = app.svc.tokens().await.unwrap();
    let names: Vec<_> = tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["ivr-gateway", "desk-plugin"]);
    assert_eq!(tokens[0].scopes, "order.read,order.create");
    assert_eq!(tokens[0].user_id, app.user_id(Role::Agent));
    assert_eq!(tokens[0].issued_by, Some(app.user_id(Role::Admin)));
    assert_eq!(tokens[1].issued_by, None);
}

async fn revoked_or_expired_token_is_refused(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let secret = app
        .svc
        .create_token(&admin, "handler", "field-app", &["order.read".into()], None)
        .await
        .unwrap();
    assert!(app.svc.authenticate_token(&secret).await.is_ok());

    let id = app.svc.tokens().await.unwrap()[0].id;
    app.svc.revoke_token(&admin, id).await.unwrap();
    unauthorized(app.svc.authenticate_token(&secret).await);
    assert_eq!(
        app.svc.tokens().await.unwrap()[0].revoked_at,
        Some(app.now())
    );
    assert!(matches!(
        app.svc.revoke_token(&admin, id).await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(
        app.svc
            .audit_trail(Some("token.revoked"), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let week = app
        .svc
        .create_token(&admin, "handler", "pilot", &["order.read".into()], Some(7))
        .await
        .unwrap();
    app.advance(7 * DAY - 1);
    assert!(app.svc.authenticate_token(&week).await.is_ok());
    app.advance(1);
    unauthorized(app.svc.authenticate_token(&week).await);
}
