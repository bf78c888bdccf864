//! The bell: every page's header shows the signed-in user's unread count, kept live over a
//! WebSocket that also carries the newest notification's words (the page shows it briefly);
//! `/notifications` lists them with links to their orders, and marks them read.

use super::*;
use axum::extract::Query;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use voltdesk_service::NotificationView;

pub const PAGES: &[Route] = &[
    p("GET", "/notifications", SignedIn, "One's notifications"),
    p(
        "POST",
        "/notifications/read",
        SignedIn,
        "Mark notifications read",
    ),
    p(
        "GET",
        "/notifications/ws",
        SignedIn,
        "The bell's live count (WebSocket)",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(read))
        .route("/notifications/ws", get(ws))
}

/// A notification in the viewer's words.
pub struct Line {
    pub id: i64,
    pub title: &'static str,
    pub detail: String,
    pub href: Option<String>,
    pub at: String,
    pub unread: bool,
}

/// What a notification says: its kind as a title, and the order, rule, clock or count.
pub fn line(tr: &i18n::Tr, n: &NotificationView) -> Line {
    let mut parts = Vec::new();
    if let Some(no) = &n.order_no {
        parts.push(no.clone());
    }
    let clock = n
        .clock
        .as_deref()
        .and_then(|c| voltdesk_domain::ClockKind::parse(c).ok());
    match (n.rule, clock) {
        // "Deadline near" says which deadline; a warning says which rule.
        (_, Some(clock)) => parts.push(tr.label(clock)),
        (Some(rule), None) => parts.push(tr.label(rule)),
        (None, None) => {}
    }
    if let Some(count) = n.count {
        parts.push(
            tr.t("notify.urged_times")
                .replace("{n}", &count.to_string()),
        );
    }
    Line {
        id: n.id,
        title: tr.t(&format!("notify.{}", n.kind.code())),
        detail: parts.join(" · "),
        href: n.order_id.map(|o| format!("/orders/{o}")),
        at: tr.time(n.created_at),
        unread: n.read_at.is_none(),
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    c: Chrome,
    lines: Vec<Line>,
    unread: i64,
    total: i64,
    only_unread: bool,
    page: i64,
    pages: i64,
}

#[derive(Deserialize, Default)]
pub struct ListQ {
    #[serde(default)]
    unread: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(flatten)]
    flash: Flash,
}

const PER_PAGE: i64 = 30;

pub async fn list(State(svc): State<Service>, v: Viewer, Query(q): Query<ListQ>) -> PageResult {
    let only_unread = q.unread.as_deref() == Some("1");
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let l = svc
        .notifications(
            &v.principal.actor,
            only_unread,
            PER_PAGE,
            (page - 1) * PER_PAGE,
        )
        .await?;
    render(&NotificationsPage {
        c: v.chrome("/notifications", &q.flash),
        lines: l.items.iter().map(|n| line(&v.tr, n)).collect(),
        unread: l.unread,
        total: l.total,
        only_unread,
        page,
        pages: ((l.total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}

#[derive(Deserialize, Default)]
pub struct ReadForm {
    /// One notification; empty: all of them.
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    back: String,
}

pub async fn read(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<ReadForm>,
) -> PageResult {
    let back = safe_next(&f.back).unwrap_or_else(|| "/notifications".to_string());
    let ids = f.id.map(|i| vec![i]);
    svc.mark_notifications_read(&v.principal.actor, ids.as_deref())
        .await
        .map_err(|e| PageError::from(e).back(back.clone()))?;
    Ok(done(&back, v.tr.t("notify.marked_read")))
}

pub async fn ws(State(svc): State<Service>, v: Viewer, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| push(svc, v, socket))
}

/// What the bell is told: the unread count and the newest unread notification.
async fn bell(svc: &Service, v: &Viewer) -> Option<String> {
    let l = svc
        .notifications(&v.principal.actor, true, 1, 0)
        .await
        .ok()?;
    let latest = l.items.first().map(|n| {
        let line = line(&v.tr, n);
        serde_json::json!({
            "id": line.id,
            "title": line.title,
            "detail": line.detail,
            "href": line.href,
        })
    });
    Some(serde_json::json!({ "unread": l.unread, "latest": latest }).to_string())
}

/// Sends the bell on connect and whenever the user's notifications change (coalesced over
/// 200 ms), and a ping every 25 s so proxies keep the connection.
async fn push(svc: Service, v: Viewer, mut socket: WebSocket) {
    let Some(me) = v.principal.actor.user_id else {
        return;
    };
    let mut rx = svc.subscribe_notifications();
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    if let Some(b) = bell(&svc, &v).await
        && socket.send(Message::Text(b.into())).await.is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            ev = rx.recv() => {
                match ev {
                    Ok(u) if u == me => {}
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                while rx.try_recv().is_ok() {}
                let Some(b) = bell(&svc, &v).await else { continue };
                if socket.send(Message::Text(b.into())).await.is_err() {
                    return;
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            msg = socket.recv() => {
                match msg {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    _ => {}
                }
            }
        }
    }
}
