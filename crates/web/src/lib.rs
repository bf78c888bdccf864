//! The only crate that speaks HTTP: the JSON API under `/api/v1`, its OpenAPI document and
//! docs page, and the auth layer that checks every request against the route table.

pub mod api;
pub mod api_attachments;
pub mod api_calls;
pub mod api_imports;
pub mod api_notify;
pub mod api_outages;
pub mod api_quality;
pub mod api_reply_templates;
pub mod api_saved_filters;
pub mod api_users;
mod csrf;
pub mod error;
pub mod extract;
mod openapi;
pub mod pages;
pub mod routes;
pub mod tls;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
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
    let credentials = extract::credentials(req.headers());
    if let Some((false, _)) = credentials
        && csrf::changes_state(req.method())
    {
        if csrf::from_elsewhere(req.headers()) {
            return ApiError::cross_site().into_response();
        }
        if csrf::form_content_type(req.headers()) {
            return ApiError::unsupported_media_type().into_response();
        }
        req.extensions_mut().insert(extract::CookieSession);
    }
    let principal = match credentials {
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

pub(crate) async fn openapi_json() -> axum::Json<serde_json::Value> {
    axum::Json(openapi::document())
}

pub(crate) async fn docs() -> Html<String> {
    Html(openapi::docs_page())
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("route")
}

/// How this server is reached, as far as the pages and the API need to know.
#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    /// Cookies get `Secure`: the server speaks TLS itself or sits behind a proxy that does.
    pub secure_cookies: bool,
    /// A reverse proxy in front (`--behind-proxy`): the client's address is the last one in
    /// `X-Forwarded-For`, which that proxy appends, so throttling counts clients, not the
    /// proxy.
    pub behind_proxy: bool,
}

impl WebOptions {
    /// The session cookie's `Set-Cookie` value; an empty secret and age 0 end it.
    pub fn session_cookie(&self, secret: &str, max_age_s: i64) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!(
            "{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}",
            extract::SESSION_COOKIE
        )
    }
}

/// The application router with the default options (plain HTTP).
pub fn router(svc: Service) -> Router {
    router_with(svc, WebOptions::default())
}

/// The application router: every API route of the table, behind the auth layer, and the pages.
pub fn router_with(svc: Service, opts: WebOptions) -> Router {
    let api = routes::api_routes()
        .into_iter()
        .fold(Router::new(), |r, route| {
            r.route(route.entry.route.path, route.handler)
        })
        .route_layer(middleware::from_fn_with_state(svc.clone(), authorize));
    Router::new()
        .merge(pages::router(svc.clone()))
        .merge(api)
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .layer(axum::Extension(opts))
        .layer(middleware::map_response(security_headers))
        // A bug that panics in a handler answers 500 `internal` and is logged; the
        // connection and the server go on.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(svc)
}

fn on_panic(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    tracing::error!(panic = what, "a handler panicked");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "a failure on our side; the log has the cause",
    )
    .into_response()
}

/// What every answer tells the browser: scripts and everything else only from this server
/// (no inline script runs, so injected markup stays inert), no framing, no sniffing of
/// content types, and no full address sent to other sites.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(mut res: Response) -> Response {
    use axum::http::{HeaderValue, header};
    let h = res.headers_mut();
    // A response with a stricter policy of its own (an attachment's sandbox) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Serves the API on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(
    svc: Service,
    listener: tokio::net::TcpListener,
    opts: WebOptions,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router_with(svc, opts).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// Serves the API over TLS (`tls::config`) on `listener` until Ctrl-C or SIGTERM; cookies
/// are `Secure`.
pub async fn serve_tls(
    svc: Service,
    listener: tokio::net::TcpListener,
    tls: std::sync::Arc<tokio_rustls::rustls::ServerConfig>,
    opts: WebOptions,
) -> std::io::Result<()> {
    let opts = WebOptions {
        secure_cookies: true,
        ..opts
    };
    axum::serve(
        tls::TlsListener::new(listener, tls)?,
        router_with(svc, opts).into_make_service_with_connect_info::<tls::TlsPeer>(),
    )
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
