//! Every endpoint against every role: refused exactly when the role lacks the permission
//! the route table names.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use voltdesk_domain::Role;
use voltdesk_domain::auth::allows;
use voltdesk_web::routes::{Access, all};

fn concrete(path: &str) -> String {
    // Ids that do not exist, so that allowed calls fail harmlessly after the role check.
    path.replace("{id}", "999999")
        .replace("{customer_id}", "999999")
        .replace("{rule}", "repeat_contact")
        .replace("{kind}", "order.accepted")
        .replace("{channel}", "sms")
        .replace("{day}", "2099-01-01")
}

async fn role_table(app: TestApp) {
    let mut checked = 0;
    for route in all() {
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let path = concrete(route.path);
        if route.path == "/api/v1/session" && route.method == "DELETE" {
            continue; // signing out would end nothing for a token, but keep the table test pure
        }
        // Without credentials: only public routes answer.
        let (status, body) = app
            .call(None, method.clone(), &path, Some(serde_json::json!({})))
            .await;
        match route.access {
            Access::Public => assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {}",
                route.method,
                route.path
            ),
            _ => {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{} {} without credentials",
                    route.method,
                    route.path
                );
                assert_eq!(body["error"]["code"], "unauthorized");
            }
        }
        for role in Role::ALL {
            let (status, body) = app
                .call(
                    Some(*role),
                    method.clone(),
                    &path,
                    Some(serde_json::json!({})),
                )
                .await;
            let refused = status == StatusCode::FORBIDDEN && body["error"]["code"] == "forbidden";
            let expect_refused = match route.access {
                Access::Public | Access::SignedIn => false,
                Access::Needs(p) => !allows(*role, p),
            };
            assert_eq!(
                refused, expect_refused,
                "{} {} as {role}: got {status} {body}",
                route.method, route.path
            );
            assert_ne!(
                status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{} {} as {role}: {body}",
                route.method,
                route.path
            );
            checked += 1;
        }
    }
    assert!(checked > 400, "checked {checked} route/role pairs");
}

async fn token_scopes_narrow_the_role(app: TestApp) {
    let admin = voltdesk_service::Actor::system();
    let t = app
        .svc
        .create_token(
            &admin,
            "agent1",
            "lookup only",
            &["customer.read".into()],
            None,
        )
        .await
        .unwrap();
    let get = |path: &'static str| {
        let t = t.clone();
        let c = app.client.clone();
        let base = app.base.clone();
        async move {
            c.get(format!("{base}{path}"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        get("/api/v1/customers/lookup?phone=13812345678").await,
        StatusCode::OK
    );
    assert_eq!(get("/api/v1/work-orders").await, StatusCode::FORBIDDEN);
}

crate::both!(role_table, token_scopes_narrow_the_role);
