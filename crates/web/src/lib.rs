//! The only crate that speaks HTTP: the JSON API under `/api/v1`, its OpenAPI document and
//! docs page, and the auth layer that checks every request against the route table.

pub mod api;
pub mod api_imports;
pub mod api_outages;
pub mod api_quality;
pub mod error;
pub mod extract;
mod openapi;
pub mod pages;
pub mod routes;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use error::ApiError;
use extract::Caller;
use routes::Access;
use voltdesk_service::Service;

/// Checks the caller against the route table before any handler runs.
async fn authorize(State(svc): State<Service>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let Some(route) = path
        .as_deref()
        .and_then(|p| routes::find(req.method().as_str(), p))
    else {
        // A handler without a table entry is refused: the table is the role model.
        return ApiError::forbidden("call an unlisted route").into_response();
    };
    let principal = match extract::credentials(req.headers()) {
        Some((true, token)) => svc.authenticate_token(&token).await.ok(),
        Some((false, session)) => svc.authenticate_session(&session).await.ok(),
        None => None,
    };
    match (route.access, principal) {
        (Access::Public, p) => {
            if let Some(p) = p {
                req.extensions_mut().insert(Caller(p));
            }
        }
        (_, None) => return ApiError::unauthorized().into_response(),
        (Access::SignedIn, Some(p)) => {
            req.extensions_mut().insert(Caller(p));
        }
        (Access::Needs(perm), Some(p)) => {
            if !p.may(perm) {
                return ApiError::forbidden(route.summary.to_lowercase().as_str()).into_response();
            }
            req.extensions_mut().insert(Caller(p));
        }
    }
    next.run(req).await
}

async fn openapi_json() -> Response {
    axum::Json(openapi::document()).into_response()
}

async fn docs() -> Html<String> {
    Html(openapi::docs_page())
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("route")
}

/// The application router with every API route.
pub fn router(svc: Service) -> Router {
    use api::*;
    let api = Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/docs", get(docs))
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/stations", get(stations))
        .route("/api/v1/stations/{id}/policy", put(set_station_policy))
        .route("/api/v1/departments", get(departments))
        .route("/api/v1/grids", get(grids))
        .route("/api/v1/feeders", get(feeders))
        .route("/api/v1/areas", get(areas))
        .route(
            "/api/v1/org/import",
            post(import_org).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route("/api/v1/customers", get(customers))
        .route("/api/v1/customers/lookup", get(lookup))
        .route(
            "/api/v1/customers/import",
            post(import_customers).layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
        .route("/api/v1/customers/{id}", get(customer))
        .route("/api/v1/customers/{id}/trace", get(customer_trace))
        .route("/api/v1/customers/{id}/orders", get(customer_orders))
        .route("/api/v1/customers/{id}/sensitive", put(set_sensitive))
        .route("/api/v1/work-orders", get(orders).post(create_order))
        .route("/api/v1/work-orders/export.csv", get(export_orders))
        .route("/api/v1/work-orders/{id}", get(order))
        .route("/api/v1/work-orders/{id}/trace", get(order_trace))
        .route("/api/v1/work-orders/{id}/return-visits", get(return_visits))
        .route("/api/v1/work-orders/{id}/dispatch", post(dispatch))
        .route("/api/v1/work-orders/{id}/transfer", post(transfer))
        .route("/api/v1/work-orders/{id}/merge", post(merge))
        .route("/api/v1/work-orders/{id}/cancel", post(cancel))
        .route("/api/v1/work-orders/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/work-orders/{id}/contact", post(contact))
        .route("/api/v1/work-orders/{id}/arrive", post(arrive))
        .route("/api/v1/work-orders/{id}/reply", post(reply))
        .route(
            "/api/v1/work-orders/{id}/return-to-sender",
            post(return_to_sender),
        )
        .route("/api/v1/work-orders/{id}/co-handle", post(co_handle))
        .route("/api/v1/work-orders/{id}/close", post(close))
        .route("/api/v1/work-orders/{id}/pause", post(pause))
        .route("/api/v1/work-orders/{id}/resume", post(resume))
        .route("/api/v1/work-orders/{id}/urge", post(urge))
        .route("/api/v1/work-orders/{id}/return-visit", post(return_visit))
        .route("/api/v1/work-orders/{id}/reopen", post(reopen))
        .route("/api/v1/work-orders/{id}/problem", put(link_problem))
        .route("/api/v1/problems", get(problems).post(create_problem))
        .route("/api/v1/problems/{id}", get(problem))
        .route("/api/v1/problems/{id}/close", post(close_problem))
        .route("/api/v1/escalations", get(escalations))
        .route(
            "/api/v1/escalations/{id}/acknowledge",
            post(acknowledge_escalation),
        )
        .route("/api/v1/warnings", get(warnings))
        .route("/api/v1/warnings/{id}", get(warning))
        .route(
            "/api/v1/warnings/{id}/acknowledge",
            post(acknowledge_warning),
        )
        .route("/api/v1/warnings/{id}/handle", post(handle_warning))
        .route("/api/v1/warnings/{id}/dismiss", post(dismiss_warning))
        .route("/api/v1/stations/{id}/rules", get(station_rules))
        .route("/api/v1/stations/{id}/rules/{rule}", put(set_station_rule))
        .route("/api/v1/notice-templates", get(notice_templates))
        .route(
            "/api/v1/notice-templates/{kind}/{channel}",
            put(set_notice_template),
        )
        .route("/api/v1/outbox/dead", get(dead_letters))
        .route("/api/v1/outbox/{id}/requeue", post(requeue))
        .route("/api/v1/policies", get(policies))
        .route("/api/v1/policies/{id}", get(policy))
        .route("/api/v1/calendar", get(calendar))
        .route(
            "/api/v1/calendar/{day}",
            put(set_calendar_day).delete(delete_calendar_day),
        )
        .route("/api/v1/users", get(users).post(create_user))
        .route("/api/v1/tokens", get(tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/dashboard", get(dashboard))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/outbox", get(outbox))
        .merge(api_imports::router())
        .merge(api_outages::router())
        .merge(api_quality::router())
        .route_layer(middleware::from_fn_with_state(svc.clone(), authorize));
    Router::new()
        .merge(pages::router(svc.clone()))
        .merge(api)
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(svc)
}

/// Serves the API on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(svc: Service, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(svc))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
