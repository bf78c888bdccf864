//! The pages: server-rendered HTML for every role, behind the session cookie, in Chinese by
//! default and English on request (`vd_lang` cookie).
//!
//! Like the API, every page route sits in one table (`PAGES`) with what it needs; the page
//! auth layer enforces it and fails closed. Pages call the service only; a form posts, the
//! service decides, and the browser is sent back to the page with a message (post, redirect,
//! get). Scripts and styles are served from the binary (`/static/`), nothing from outside.

mod admin;
mod assets;
mod board;
mod calls;
mod dashboard;
mod desk;
pub mod i18n;
mod notify;
mod order_list;
mod orders;
mod outages;
mod problems;
mod reliability;
mod reply_templates;
mod saved_filters;
mod session;
mod warnings;

use crate::routes::{Access, Route};
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use i18n::{Lang, Tr};
use voltdesk_domain::Role;
use voltdesk_domain::auth::Permission::{self, *};
use voltdesk_service::{Principal, Service, ServiceError};

pub const LANG_COOKIE: &str = "vd_lang";

const fn p(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        tag: "pages",
        summary,
    }
}

use Access::{Needs, Public, SignedIn};

/// Every page route with what it needs. Actions on orders check the action's own API
/// permission as well (see `orders::act`).
pub const PAGES: &[Route] = &[
    p("GET", "/", SignedIn, "The role's home page"),
    p("GET", "/login", Public, "Sign-in form"),
    p("POST", "/login", Public, "Sign in"),
    p("POST", "/logout", SignedIn, "Sign out"),
    p("GET", "/lang/{lang}", Public, "Switch the language"),
    p("GET", "/desk", Needs(OrderCreate), "Agent desk"),
    p(
        "GET",
        "/desk/search",
        Needs(CustomerRead),
        "Customer search as you type",
    ),
    p(
        "GET",
        "/customers/{id}",
        Needs(CustomerRead),
        "Customer page",
    ),
    p(
        "GET",
        "/customers/{id}/new",
        Needs(OrderCreate),
        "New order form",
    ),
    p(
        "POST",
        "/customers/{id}/orders",
        Needs(OrderCreate),
        "Create an order",
    ),
    p(
        "GET",
        "/preview",
        Needs(OrderCreate),
        "Deadlines before saving",
    ),
    p("GET", "/orders/{id}", Needs(OrderRead), "Order page"),
    p(
        "POST",
        "/orders/{id}/act/{action}",
        SignedIn,
        "A lifecycle action",
    ),
    p("GET", "/queue", Needs(OrderRead), "Work queue"),
    p(
        "POST",
        "/queue/bulk",
        SignedIn,
        "A lifecycle action on many orders",
    ),
    p("GET", "/board", Needs(OrderSupervise), "Supervisor board"),
    p(
        "GET",
        "/board/panel",
        Needs(OrderSupervise),
        "The board's live panel",
    ),
    p(
        "GET",
        "/board/ws",
        Needs(OrderSupervise),
        "Board updates (WebSocket)",
    ),
    p(
        "POST",
        "/escalations/{id}/ack",
        Needs(OrderSupervise),
        "Acknowledge an escalation",
    ),
    p(
        "POST",
        "/escalations/ack",
        Needs(OrderSupervise),
        "Acknowledge the ticked escalations",
    ),
    p("GET", "/dashboard", Needs(StatsRead), "Analyst dashboard"),
    p(
        "GET",
        "/dashboard/export.csv",
        Needs(Export),
        "Dashboard as CSV",
    ),
    p("GET", "/admin", Needs(UserAdmin), "Administration"),
    p("POST", "/admin/users", Needs(UserAdmin), "Add a user"),
    p(
        "POST",
        "/admin/users/{id}/unlock",
        Needs(UserAdmin),
        "Unlock a user locked after failed sign-ins",
    ),
    p("GET", "/admin/users/{id}", Needs(UserAdmin), "Edit a user"),
    p("POST", "/admin/users/{id}", Needs(UserAdmin), "Save a user"),
    p(
        "POST",
        "/admin/users/{id}/disable",
        Needs(UserAdmin),
        "Disable a user: sessions end, tokens are revoked",
    ),
    p(
        "POST",
        "/admin/users/{id}/enable",
        Needs(UserAdmin),
        "Enable a disabled user",
    ),
    p(
        "POST",
        "/admin/users/{id}/password",
        Needs(UserAdmin),
        "Reset a user's password",
    ),
    p(
        "POST",
        "/admin/policy",
        Needs(PolicyWrite),
        "Choose a station's policy",
    ),
    p(
        "POST",
        "/admin/calendar",
        Needs(PolicyWrite),
        "Set a calendar day",
    ),
    p(
        "POST",
        "/admin/import/{kind}",
        Needs(CustomerWrite),
        "Start a CSV import",
    ),
    p(
        "GET",
        "/admin/imports/{job}",
        Needs(CustomerWrite),
        "Progress of an import",
    ),
    p("GET", "/audit", Needs(AuditRead), "Audit log"),
    p("GET", "/warnings", Needs(OrderRead), "Warnings inbox"),
    p(
        "GET",
        "/warnings/panel",
        Needs(OrderRead),
        "The inbox's live panel",
    ),
    p(
        "GET",
        "/warnings/ws",
        Needs(OrderRead),
        "Inbox updates (WebSocket)",
    ),
    p(
        "POST",
        "/warnings/{id}/{step}",
        Needs(OrderRead),
        "Acknowledge, handle or dismiss a warning",
    ),
];

/// Every page table: the core's and those of the feature modules.
pub const TABLES: &[&[Route]] = &[
    PAGES,
    notify::PAGES,
    order_list::PAGES,
    problems::PAGES,
    outages::PAGES,
    reliability::PAGES,
    reply_templates::PAGES,
    saved_filters::PAGES,
    calls::PAGES,
];

/// Every page route.
pub fn all() -> impl Iterator<Item = &'static Route> {
    TABLES.iter().flat_map(|t| t.iter())
}

pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    all().find(|r| r.method == method && r.path == path)
}

/// The signed-in user of a page request and the language it renders in.
#[derive(Clone)]
pub struct Viewer {
    pub principal: Principal,
    pub tr: Tr,
    /// The message the flash cookie brought, shown by the page this request draws.
    pub flash: Flash,
    /// A user who takes calls: their phone and state, for the header's widget.
    pub phone: Option<voltdesk_service::LiveAgent>,
}

impl Viewer {
    pub fn may(&self, p: Permission) -> bool {
        self.principal.may(p)
    }

    pub fn role(&self) -> Role {
        self.principal.actor.role
    }

    /// The frame every page shares; `flash` is a message of this very answer (a form
    /// drawn again with its error), else the one the flash cookie brought.
    pub fn chrome(&self, here: &'static str, flash: &Flash) -> Chrome {
        let mut nav = Vec::new();
        let mut item = |href: &'static str, key: &'static str, perm: Permission| {
            if self.may(perm) {
                nav.push(NavItem {
                    href,
                    label: self.tr.t(key),
                    here: href == here,
                });
            }
        };
        item("/desk", "desk", OrderCreate);
        item("/queue", "queue", OrderWork);
        item("/orders", "orders.list", OrderRead);
        item("/board", "board", OrderSupervise);
        item("/calls", "calls", CallMonitor);
        item("/warnings", "warnings", OrderRead);
        item("/problems", "problems", ProblemRead);
        item("/outages", "outages", OrgRead);
        item("/care", "care", OrderWork);
        item("/dashboard", "dashboard", StatsRead);
        item("/reliability", "reliability", StatsRead);
        item("/admin", "admin", UserAdmin);
        item("/audit", "audit", AuditRead);
        Chrome {
            tr: self.tr,
            user: self.principal.actor.name.clone(),
            role: self.tr.label(self.role()),
            nav,
            flash: if flash.is_empty() {
                self.flash.clone()
            } else {
                flash.clone()
            },
            lang: self.tr.lang.code(),
            phone: self
                .phone
                .as_ref()
                .map(|a| calls::PhoneWidget::of(a, self.tr)),
        }
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub here: bool,
}

/// What the base template needs.
pub struct Chrome {
    pub tr: Tr,
    pub user: String,
    pub role: String,
    pub nav: Vec<NavItem>,
    pub flash: Flash,
    pub lang: &'static str,
    /// The agent's phone widget (users who take calls only).
    pub phone: Option<calls::PhoneWidget>,
}

/// A message shown once at the top of a page. It travels across a redirect in a short-lived
/// cookie (`vd_flash`, HttpOnly, SameSite=Lax), never in the address, and the page that shows
/// it clears the cookie, so a reload does not repeat it. Handlers still take it as a query
/// type, which reads nothing from the address: the message comes from the cookie.
#[derive(Clone, Default, Debug, serde::Deserialize)]
pub struct Flash {
    #[serde(skip)]
    pub ok: Option<String>,
    #[serde(skip)]
    pub err: Option<String>,
}

pub const FLASH_COOKIE: &str = "vd_flash";

impl Flash {
    pub fn ok(m: impl Into<String>) -> Self {
        Flash {
            ok: Some(m.into()),
            err: None,
        }
    }
    pub fn err(m: impl Into<String>) -> Self {
        Flash {
            ok: None,
            err: Some(m.into()),
        }
    }
    fn is_empty(&self) -> bool {
        self.ok.is_none() && self.err.is_none()
    }
    /// The cookie's value: `ok:` or `err:` and the percent-encoded message (at most 1,000
    /// characters, so the cookie stays well under a browser's limit).
    fn encode(&self) -> String {
        let (kind, m) = match (&self.ok, &self.err) {
            (_, Some(e)) => ("err", e),
            (Some(o), None) => ("ok", o),
            (None, None) => ("ok", &String::new()),
        };
        let m: String = m.chars().take(1000).collect();
        format!(
            "{kind}:{}",
            percent_encoding::utf8_percent_encode(&m, percent_encoding::NON_ALPHANUMERIC)
        )
    }
    fn decode(v: &str) -> Self {
        let text = |m: &str| {
            percent_encoding::percent_decode_str(m)
                .decode_utf8()
                .map(|t| t.into_owned())
                .ok()
                .filter(|t| !t.is_empty())
        };
        match v.split_once(':') {
            Some(("ok", m)) => Flash {
                ok: text(m),
                err: None,
            },
            Some(("err", m)) => Flash {
                ok: None,
                err: text(m),
            },
            _ => Flash::default(),
        }
    }
}

fn flash_cookie(opts: &crate::WebOptions, flash: Option<&Flash>) -> String {
    let secure = if opts.secure_cookies { "; Secure" } else { "" };
    match flash {
        Some(f) => format!(
            "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60{secure}",
            f.encode()
        ),
        None => format!("{FLASH_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// The value of the request's cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
        })
}

/// A message a handler wants shown on the page it redirects to (the auth layer turns it
/// into the flash cookie).
#[derive(Clone)]
struct SetFlash(Flash);

pub fn lang_of(headers: &HeaderMap) -> Lang {
    for c in headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for pair in c.split(';') {
            if let Some(v) = pair
                .trim()
                .strip_prefix(LANG_COOKIE)
                .and_then(|r| r.strip_prefix('='))
            {
                return if v == "en" { Lang::En } else { Lang::Zh };
            }
        }
    }
    Lang::Zh
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// Checks a page request against `PAGES`: not signed in goes to the sign-in page (or gets a
/// 401 that tells htmx where to go), a missing permission gets the 403 page.
async fn authorize(State(svc): State<Service>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let Some(route) = path.as_deref().and_then(|p| find(req.method().as_str(), p)) else {
        return (StatusCode::FORBIDDEN, "forbidden: unlisted page").into_response();
    };
    let tr = Tr {
        lang: lang_of(req.headers()),
    };
    // Every form of these pages, the sign-in among them, posts to its own origin.
    if crate::csrf::changes_state(req.method()) && crate::csrf::from_elsewhere(req.headers()) {
        return forbidden(tr);
    }
    let principal = match crate::extract::credentials(req.headers()) {
        Some((false, session)) => svc.authenticate_session(&session).await.ok(),
        _ => None,
    };
    let flash = cookie(req.headers(), FLASH_COOKIE).map(Flash::decode);
    let had_flash = flash.is_some();
    let flash = flash.unwrap_or_default();
    let partial = req.headers().contains_key("hx-request");
    // The switchboard answers from memory: no query for the widget.
    let phone_of = |p: &Principal| {
        p.may(CallTake)
            .then(|| svc.agent_state(&p.actor).ok())
            .flatten()
    };
    let opts = req
        .extensions()
        .get::<crate::WebOptions>()
        .cloned()
        .unwrap_or_default();
    match (route.access, principal) {
        (Access::Public, Some(principal)) => {
            req.extensions_mut().insert(Viewer {
                phone: phone_of(&principal),
                principal,
                tr,
                flash,
            });
        }
        (Access::Public, None) => {}
        (_, None) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let login = format!("/login?next={}", urlencode(target));
            if req.headers().contains_key("hx-request") {
                return (StatusCode::UNAUTHORIZED, [("hx-redirect", login)]).into_response();
            }
            return Redirect::to(&login).into_response();
        }
        (Access::Needs(perm), Some(principal)) if !principal.may(perm) => {
            return forbidden(tr);
        }
        (_, Some(principal)) => {
            req.extensions_mut().insert(Viewer {
                phone: phone_of(&principal),
                principal,
                tr,
                flash,
            });
        }
    }
    let mut res = next.run(req).await;
    if let Some(failure) = res.extensions_mut().remove::<PageError>() {
        res = failure.render(tr);
    }
    let set = res.extensions_mut().remove::<SetFlash>();
    let cookie = match set {
        Some(SetFlash(f)) => Some(flash_cookie(&opts, Some(&f))),
        // The page that showed the message ends it; a partial (htmx) answer shows none.
        None if had_flash && !partial && !res.status().is_redirection() => {
            Some(flash_cookie(&opts, None))
        }
        None => None,
    };
    if let Some(c) = cookie.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The page a user without the right permission sees.
pub fn forbidden(tr: Tr) -> Response {
    let body = match tr.lang {
        Lang::Zh => "<h1>无权访问</h1><p>您的角色不能打开此页面。<a href=\"/\">返回首页</a></p>",
        Lang::En => {
            "<h1>Not allowed</h1><p>Your role cannot open this page. <a href=\"/\">Home</a></p>"
        }
    };
    (StatusCode::FORBIDDEN, Html(plain_page(tr, body))).into_response()
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    c: Chrome,
}

/// The 404 page, in the base layout: with the viewer's menu when signed in.
pub fn not_found(tr: Tr, viewer: Option<&Viewer>) -> Response {
    let c = match viewer {
        Some(v) => v.chrome("", &Flash::default()),
        None => Chrome {
            tr,
            user: String::new(),
            role: String::new(),
            nav: Vec::new(),
            flash: Flash::default(),
            lang: tr.lang.code(),
            phone: None,
        },
    };
    match (NotFoundPage { c }).render() {
        Ok(html) => (StatusCode::NOT_FOUND, Html(html)).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Any path no page or API route answers: the 404 page in the viewer's language.
async fn fallback(State(svc): State<Service>, headers: HeaderMap) -> Response {
    let tr = Tr {
        lang: lang_of(&headers),
    };
    let principal = match crate::extract::credentials(&headers) {
        Some((false, session)) => svc.authenticate_session(&session).await.ok(),
        _ => None,
    };
    let viewer = principal.map(|principal| Viewer {
        phone: principal
            .may(CallTake)
            .then(|| svc.agent_state(&principal.actor).ok())
            .flatten(),
        principal,
        tr,
        flash: Flash::default(),
    });
    not_found(tr, viewer.as_ref())
}

fn plain_page(tr: Tr, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>voltdesk</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body class=\"plain\">{body}</body></html>",
        tr.lang.code()
    )
}

/// A page error: a service refusal goes back to the referring page as a message; anything
/// else is a plain error page with the stable code.
#[derive(Clone, Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub code: &'static str,
    /// The developer's wording (logged, never shown when the code has words of its own).
    pub message: String,
    /// The input it concerns: the word table's `err.<code>.<field>` says it.
    pub field: Option<String>,
    /// Where to send the browser back to, with the message.
    pub back: Option<String>,
}

impl PageError {
    pub fn back(mut self, to: impl Into<String>) -> Self {
        self.back = Some(to.into());
        self
    }
    pub fn not_found(what: &str) -> Self {
        PageError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} not found"),
            field: None,
            back: None,
        }
    }
    /// A refusal whose message is already in the viewer's words.
    pub fn bad(message: impl Into<String>) -> Self {
        PageError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            message: message.into(),
            field: None,
            back: None,
        }
    }
    /// A form's input that is missing or wrong, by its field: words from the table.
    pub fn field(code: &'static str, field: &str) -> Self {
        PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: format!("{code}: {field}"),
            field: Some(field.to_string()),
            back: None,
        }
    }
    /// What the viewer reads: the word table's entry for the code (and field); a message
    /// given in the viewer's words (`bad`) as it is.
    pub fn text(&self, tr: Tr) -> String {
        if self.code == "invalid" && self.field.is_none() {
            return self.message.clone();
        }
        tr.error(self.code, self.field.as_deref())
    }
    /// The answer in the viewer's language: back to the form's page with the message in the
    /// flash cookie, or an error page.
    fn render(&self, tr: Tr) -> Response {
        let text = self.text(tr);
        if let Some(to) = &self.back {
            let mut res = Redirect::to(to).into_response();
            res.extensions_mut().insert(SetFlash(Flash::err(text)));
            return res;
        }
        if self.status == StatusCode::NOT_FOUND && self.code == "not_found" {
            return not_found(tr, None);
        }
        let title = match self.status {
            StatusCode::NOT_FOUND => tr.t("err.not_found"),
            _ => tr.t("err.title"),
        };
        let body = format!(
            "<h1>{}</h1><p data-code=\"{}\">{}</p><p><a href=\"/\">{}</a></p>",
            askama_escape(title),
            self.code,
            askama_escape(&text),
            tr.t("home")
        );
        (self.status, Html(plain_page(tr, &body))).into_response()
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        let api = crate::error::ApiError::from(e);
        PageError {
            status: api.status,
            code: api.code,
            message: api.message,
            field: api.field,
            back: None,
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "the page could not be drawn".into(),
            field: None,
            back: None,
        }
    }
}

/// Drawn in Chinese; the page auth layer, which knows the viewer's language, draws it again
/// in theirs.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(code = self.code, message = %self.message, "page failed");
        }
        let mut res = self.render(Tr { lang: Lang::Zh });
        res.extensions_mut().insert(self);
        res
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

pub fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders a template into a response.
pub fn render<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// Back to `to` with a success message (in the flash cookie).
pub fn done(to: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.extensions_mut().insert(SetFlash(Flash::ok(message)));
    res
}

/// The home page of a role.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Agent => "/desk",
        Role::Handler | Role::Crew | Role::GridManager => "/queue",
        Role::Supervisor => "/board",
        Role::Analyst => "/dashboard",
        Role::Admin => "/admin",
        Role::Auditor => "/audit",
    }
}

async fn home(v: Viewer) -> Redirect {
    Redirect::to(home_of(v.role()))
}

/// Only a path on this server may follow the sign-in (or any other redirect a form asks
/// for): the text is parsed as a URL relative to this server and kept only when it stays
/// here. Control characters (a tab or newline that browsers drop, turning `/\t/evil` into
/// `//evil`), backslashes and a leading `//` are refused before and after percent-decoding.
/// The answer is the path and query as the parser wrote them.
pub fn safe_next(next: &str) -> Option<String> {
    const HERE: &str = "http://voltdesk.invalid/";
    fn suspicious(s: &str) -> bool {
        s.chars().any(|c| c.is_control() || c == '\\') || s.starts_with("//")
    }
    if !next.starts_with('/') || suspicious(next) {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(next)
        .decode_utf8()
        .ok()?;
    if suspicious(&decoded) {
        return None;
    }
    let base = url::Url::parse(HERE).ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let mut local = url.path().to_string();
    if let Some(q) = url.query() {
        local.push('?');
        local.push_str(q);
    }
    Some(local)
}

/// The page routes, with their auth layer, and the static files.
pub fn router(svc: Service) -> Router<Service> {
    let pages = Router::new()
        .route("/", get(home))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(session::set_lang))
        .route("/desk", get(desk::desk))
        .route("/desk/search", get(desk::search))
        .route("/customers/{id}", get(desk::customer))
        .route("/customers/{id}/new", get(desk::new_order))
        .route("/customers/{id}/orders", post(desk::create_order))
        .route("/preview", get(desk::preview))
        .route("/orders/{id}", get(orders::order))
        .route("/orders/{id}/act/{action}", post(orders::act))
        .route("/queue", get(orders::queue))
        .route("/queue/bulk", post(orders::bulk))
        .route("/board", get(board::board))
        .route("/board/panel", get(board::panel))
        .route("/board/ws", get(board::ws))
        .route("/escalations/{id}/ack", post(board::acknowledge))
        .route("/escalations/ack", post(board::acknowledge_many))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/export.csv", get(dashboard::export))
        .route("/admin", get(admin::admin))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{id}/unlock", post(admin::unlock_user))
        .route(
            "/admin/users/{id}",
            get(admin::edit_user).post(admin::save_user),
        )
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/admin/users/{id}/enable", post(admin::enable_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/policy", post(admin::set_policy))
        .route("/admin/calendar", post(admin::set_calendar))
        .route(
            "/admin/import/{kind}",
            post(admin::start_import).layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
        .route("/admin/imports/{job}", get(admin::import_progress))
        .route("/audit", get(admin::audit))
        .route("/warnings", get(warnings::warnings))
        .route("/warnings/panel", get(warnings::panel))
        .route("/warnings/ws", get(warnings::ws))
        .route("/warnings/{id}/{step}", post(warnings::step))
        .merge(notify::router())
        .merge(order_list::router())
        .merge(problems::router())
        .merge(outages::router())
        .merge(reliability::router())
        .merge(reply_templates::router())
        .merge(saved_filters::router())
        .merge(calls::router())
        .route_layer(middleware::from_fn_with_state(svc, authorize));
    Router::new()
        .merge(pages)
        .route("/static/{file}", get(assets::serve))
        .fallback(fallback)
}

/// A page's path parameter; one that does not parse (`/orders/GD2026…` where an id goes, or
/// a word) is the "not found" page in the viewer's words, not axum's plain-text rejection.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(_) => Err(PageError::not_found("record")),
        }
    }
}
