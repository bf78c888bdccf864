//! The supervisor's board: near-due, overdue, escalated and reopened orders and the
//! return-visit worklist. A WebSocket tells the page when something was committed; the page
//! then fetches the panel again (htmx), so it stays current without reloading.

use super::Path;
use super::*;
use axum::extract::Query;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use voltdesk_domain::*;
use voltdesk_service::Board;
use voltdesk_store::DepartmentRow;

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    panel_html: String,
}

#[derive(Template)]
#[template(path = "board_panel.html")]
struct BoardPanel {
    tr: i18n::Tr,
    b: Board,
    departments: Vec<DepartmentRow>,
    satisfactions: &'static [Satisfaction],
    at: i64,
}

async fn panel_of(svc: &Service, v: &Viewer) -> PageResult<BoardPanel> {
    let station = v.principal.actor.station_id;
    Ok(BoardPanel {
        tr: v.tr,
        b: svc.board(station).await?,
        departments: svc.departments(station).await?,
        satisfactions: Satisfaction::ALL,
        at: svc.now(),
    })
}

pub async fn board(
    State(svc): State<Service>,
    v: Viewer,
    Query(flash): Query<Flash>,
) -> PageResult {
    let panel = panel_of(&svc, &v).await?;
    render(&BoardPage {
        c: v.chrome("/board", &flash),
        panel_html: panel.render()?,
    })
}

pub async fn panel(State(svc): State<Service>, v: Viewer) -> PageResult {
    render(&panel_of(&svc, &v).await?)
}

pub async fn acknowledge(State(svc): State<Service>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    svc.acknowledge_escalation(&v.principal.actor, id)
        .await
        .map_err(|e| PageError::from(e).back("/board"))?;
    Ok(done("/board", v.tr.t("escalation.ack")))
}

/// Acknowledges the escalations ticked on the board (`id=1&id=2…`, the form's repeated field).
pub async fn acknowledge_many(State(svc): State<Service>, v: Viewer, body: String) -> PageResult {
    let mut ids = Vec::new();
    for (k, val) in url::form_urlencoded::parse(body.as_bytes()) {
        if k == "id" {
            let id = val.parse::<i64>().map_err(|_| {
                PageError::from(voltdesk_service::ServiceError::invalid(
                    "id",
                    "an escalation id is a number",
                ))
                .back("/board")
            })?;
            ids.push(id);
        }
    }
    let ack = svc
        .acknowledge_escalations(&v.principal.actor, &ids)
        .await
        .map_err(|e| PageError::from(e).back("/board"))?;
    let mut message = format!("{} {}", v.tr.t("escalation.acked_n"), ack.acknowledged);
    if ack.skipped > 0 {
        message.push_str(&format!(
            " · {} {}",
            v.tr.t("escalation.skipped_n"),
            ack.skipped
        ));
    }
    Ok(done("/board", &message))
}

pub async fn ws(State(svc): State<Service>, v: Viewer, upgrade: WebSocketUpgrade) -> Response {
    let station = v.principal.actor.station_id;
    upgrade.on_upgrade(move |socket| push(svc, station, socket))
}

/// Sends `changed` after commits that concern the station, at most every 300 ms, and a
/// ping every 25 s so proxies keep the connection.
pub(super) async fn push(svc: Service, station: Option<i64>, mut socket: WebSocket) {
    let mut rx = svc.subscribe();
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    let _ = socket.send(Message::Text("hello".into())).await;
    loop {
        tokio::select! {
            ev = rx.recv() => {
                match ev {
                    Ok(c) if station.is_none() || c.station_id.is_none() || c.station_id == station => {}
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                // Coalesce a burst into one message.
                tokio::time::sleep(Duration::from_millis(300)).await;
                while rx.try_recv().is_ok() {}
                if socket.send(Message::Text("changed".into())).await.is_err() {
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
