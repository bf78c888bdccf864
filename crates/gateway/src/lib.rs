//! A test gateway for voltdesk's outbox: an SMS gateway (`POST /sms`) and a webhook
//! receiver (`POST /webhook`) on a loopback address, that records what it accepts, answers a
//! repeated idempotency key with its first result, and fails on request so that retries,
//! dead letters and lost responses can be shown.
//!
//! - `POST /sms` takes `{"to", "text", "idempotency_key"}` (and checks
//!   `Authorization: Bearer <token>` when started with a token).
//! - `POST /webhook` takes any JSON with an `Idempotency-Key` header and, when started with
//!   a secret, `X-Voltdesk-Signature: sha256=<hex HMAC-SHA256 of the body>` (401 if wrong).
//! - `GET /messages` lists every accepted message once (`?channel=sms|webhook`);
//!   `GET /stats` counts requests, accepted messages, duplicates and injected failures.
//! - `POST /control` changes the failures at run time (see [`Control`]).
//!
//! Failures are counted by request number (every `POST /sms` and `/webhook` is one): every
//! `fail_every`-th request, and the `fail_count` requests after the next `fail_after` ones.
//! A failed request is either rejected (500, nothing recorded) or, with
//! [`FailMode::LoseResponse`], recorded and then answered 500: the sender cannot tell that
//! the message went through, retries, and is answered with the first result.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The header that carries the webhook signature.
pub const SIGNATURE_HEADER: &str = "x-voltdesk-signature";
/// The header that carries the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What a failed request does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Answer 500 and record nothing.
    #[default]
    Reject,
    /// Record the message (as sent), then answer 500: the response is "lost".
    LoseResponse,
}

/// Which requests fail, and how slowly every request is answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Every n-th request fails (0: none).
    pub fail_every: u64,
    /// The `fail_count` requests after the next `fail_after` ones fail.
    pub fail_after: Option<u64>,
    pub fail_count: u64,
    pub delay_ms: u64,
    pub mode: FailMode,
}

/// How the gateway starts.
#[derive(Debug, Clone, Default)]
pub struct GatewayConfig {
    /// Verify webhook signatures with this secret (unsigned or wrongly signed: 401).
    pub secret: Option<String>,
    /// Require `Authorization: Bearer <token>` on `POST /sms`.
    pub token: Option<String>,
    pub faults: Faults,
}

/// A run-time change of the failures (`POST /control`); absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Control {
    pub fail_every: Option<u64>,
    /// Counted from the requests received so far.
    pub fail_after: Option<u64>,
    pub fail_count: Option<u64>,
    pub delay_ms: Option<u64>,
    pub mode: Option<FailMode>,
    /// Stop failing (after the other fields are applied: `{"clear": true}` alone heals).
    pub clear: bool,
    /// Forget the messages and zero the counters.
    pub reset: bool,
}

/// A message the gateway accepted, once per idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// The gateway's id of the message, as answered to the sender.
    pub id: String,
    /// `sms` or `webhook`.
    pub channel: String,
    pub idempotency_key: String,
    pub to: Option<String>,
    pub text: Option<String>,
    /// The JSON body as received.
    pub body: serde_json::Value,
    /// The webhook's raw body, for checking its signature again.
    pub raw: String,
    pub signature: Option<String>,
    /// Whether the signature verified (`None`: the gateway has no secret).
    pub signature_ok: Option<bool>,
}

/// The counters of `GET /stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every `POST /sms` and `/webhook`.
    pub requests: u64,
    /// Messages accepted (each key once).
    pub received: u64,
    /// Requests that repeated a key already accepted.
    pub duplicates: u64,
    pub failures_injected: u64,
    pub bad_signatures: u64,
    pub unauthorized: u64,
    pub bad_requests: u64,
}

#[derive(Default)]
struct Inner {
    faults: Faults,
    /// Requests numbered in `(from, to]` fail.
    window: Option<(u64, u64)>,
    stats: Stats,
    messages: Vec<Message>,
    /// Idempotency key → index in `messages`.
    by_key: HashMap<String, usize>,
}

impl Inner {
    fn apply(&mut self, c: &Control) {
        if c.reset {
            self.stats = Stats::default();
            self.messages.clear();
            self.by_key.clear();
            self.window = None;
        }
        if let Some(n) = c.fail_every {
            self.faults.fail_every = n;
        }
        if let Some(n) = c.fail_count {
            self.faults.fail_count = n;
        }
        if let Some(n) = c.fail_after {
            self.faults.fail_after = Some(n);
            let from = self.stats.requests + n;
            self.window = Some((from, from + self.faults.fail_count));
        }
        if let Some(ms) = c.delay_ms {
            self.faults.delay_ms = ms;
        }
        if let Some(m) = c.mode {
            self.faults.mode = m;
        }
        if c.clear {
            self.faults.fail_every = 0;
            self.faults.fail_after = None;
            self.faults.fail_count = 0;
            self.window = None;
        }
    }

    /// Numbers a new request; whether it fails, and how long to wait before answering.
    fn next_request(&mut self) -> (bool, u64) {
        self.stats.requests += 1;
        let n = self.stats.requests;
        let every = self.faults.fail_every > 0 && n.is_multiple_of(self.faults.fail_every);
        let window = self.window.is_some_and(|(from, to)| n > from && n <= to);
        (every || window, self.faults.delay_ms)
    }
}

struct Shared {
    secret: Option<String>,
    token: Option<String>,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters behind: keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running gateway. Dropping it stops the server.
pub struct Gateway {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0} is not a loopback address: the test gateway listens on loopback only")]
    NotLoopback(SocketAddr),
    #[error("{0}")]
    Io(#[source] std::io::Error),
}

impl Gateway {
    /// Starts listening on `listen` (a loopback address; port 0 picks a free one).
    pub async fn start(listen: SocketAddr, cfg: GatewayConfig) -> Result<Gateway, StartError> {
        if !listen.ip().is_loopback() {
            return Err(StartError::NotLoopback(listen));
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(StartError::Io)?;
        let addr = listener.local_addr().map_err(StartError::Io)?;
        let mut inner = Inner::default();
        inner.apply(&Control {
            fail_every: Some(cfg.faults.fail_every),
            fail_count: Some(cfg.faults.fail_count),
            fail_after: cfg.faults.fail_after,
            delay_ms: Some(cfg.faults.delay_ms),
            mode: Some(cfg.faults.mode),
            ..Control::default()
        });
        let shared = Arc::new(Shared {
            secret: cfg.secret,
            token: cfg.token,
            inner: Mutex::new(inner),
        });
        let app = router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "gateway stopped");
            }
        });
        Ok(Gateway {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/sms`.
    pub fn sms_url(&self) -> String {
        format!("http://{}/sms", self.addr)
    }

    /// `http://ADDR/webhook`.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhook", self.addr)
    }

    /// Every accepted message, in the order accepted.
    pub fn messages(&self) -> Vec<Message> {
        self.shared.lock().messages.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.lock().stats
    }

    pub fn control(&self, c: Control) {
        self.shared.lock().apply(&c);
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`, as the header carries it.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` under `secret` (compared in constant time).
pub fn verify_signature(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/sms", post(sms))
        .route("/webhook", post(webhook))
        .route("/messages", get(messages))
        .route("/stats", get(stats))
        .route("/control", post(control))
        .with_state(shared)
}

type S = State<Arc<Shared>>;

#[derive(Deserialize)]
struct SmsBody {
    to: String,
    text: String,
    idempotency_key: String,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn injected() -> Response {
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        serde_json::json!({"error": "injected failure"}),
    )
}

async fn sms(State(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let (fail, delay) = shared.lock().next_request();
    pause(delay).await;
    if let Some(token) = &shared.token {
        let ok = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {token}"));
        if !ok {
            shared.lock().stats.unauthorized += 1;
            return answer(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": "bad credentials"}),
            );
        }
    }
    let parsed: SmsBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            shared.lock().stats.bad_requests += 1;
            return answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": e.to_string()}),
            );
        }
    };
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let msg = Message {
        id: String::new(),
        channel: "sms".into(),
        idempotency_key: parsed.idempotency_key,
        to: Some(parsed.to),
        text: Some(parsed.text),
        body: json,
        raw: String::new(),
        signature: None,
        signature_ok: None,
    };
    accept(&shared, msg, fail)
}

async fn webhook(State(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let (fail, delay) = shared.lock().next_request();
    pause(delay).await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = header(SIGNATURE_HEADER);
    let signature_ok = shared.secret.as_ref().map(|secret| {
        signature
            .as_deref()
            .is_some_and(|s| verify_signature(secret, &body, s))
    });
    if signature_ok == Some(false) {
        shared.lock().stats.bad_signatures += 1;
        return answer(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "bad signature"}),
        );
    }
    let Some(key) = header(IDEMPOTENCY_HEADER).filter(|k| !k.is_empty()) else {
        shared.lock().stats.bad_requests += 1;
        return answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "Idempotency-Key header missing"}),
        );
    };
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            shared.lock().stats.bad_requests += 1;
            return answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": e.to_string()}),
            );
        }
    };
    let msg = Message {
        id: String::new(),
        channel: "webhook".into(),
        idempotency_key: key,
        to: None,
        text: json
            .get("text")
            .and_then(|t| t.as_str())
            .map(str::to_string),
        body: json,
        raw: String::from_utf8_lossy(&body).into_owned(),
        signature,
        signature_ok,
    };
    accept(&shared, msg, fail)
}

/// Records a valid message once per key and answers, failing as told.
fn accept(shared: &Shared, mut msg: Message, fail: bool) -> Response {
    let mut inner = shared.lock();
    if fail && inner.faults.mode == FailMode::Reject {
        inner.stats.failures_injected += 1;
        return injected();
    }
    let id = match inner.by_key.get(&msg.idempotency_key) {
        Some(&i) => {
            inner.stats.duplicates += 1;
            inner.messages[i].id.clone()
        }
        None => {
            inner.stats.received += 1;
            msg.id = format!("msg-{}", inner.messages.len() + 1);
            let id = msg.id.clone();
            let i = inner.messages.len();
            inner.by_key.insert(msg.idempotency_key.clone(), i);
            inner.messages.push(msg);
            id
        }
    };
    if fail {
        inner.stats.failures_injected += 1;
        return injected();
    }
    answer(
        StatusCode::OK,
        serde_json::json!({"id": id, "status": "accepted"}),
    )
}

async fn pause(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

#[derive(Deserialize)]
struct MessagesQ {
    channel: Option<String>,
}

async fn messages(State(shared): S, Query(q): Query<MessagesQ>) -> Json<Vec<Message>> {
    let inner = shared.lock();
    Json(
        inner
            .messages
            .iter()
            .filter(|m| q.channel.as_deref().is_none_or(|c| m.channel == c))
            .cloned()
            .collect(),
    )
}

async fn stats(State(shared): S) -> Json<Stats> {
    Json(shared.lock().stats)
}

async fn control(State(shared): S, Json(c): Json<Control>) -> Json<Faults> {
    let mut inner = shared.lock();
    inner.apply(&c);
    Json(inner.faults.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_failing(c: Control, expected: &[u64]) {
        let mut inner = Inner::default();
        inner.apply(&c);
        let failing: Vec<u64> = (1..=12).filter(|_| inner.next_request().0).collect();
        assert_eq!(failing, expected);
    }

    #[test]
    fn which_requests_fail() {
        check_failing(Control::default(), &[]);
        check_failing(
            Control {
                fail_every: Some(4),
                ..Control::default()
            },
            &[4, 8, 12],
        );
        check_failing(
            Control {
                fail_after: Some(3),
                fail_count: Some(2),
                ..Control::default()
            },
            &[4, 5],
        );
        check_failing(
            Control {
                fail_every: Some(5),
                clear: true,
                ..Control::default()
            },
            &[],
        );
    }

    #[test]
    fn signatures() {
        let s = signature("k", b"{}");
        assert!(s.starts_with("sha256="));
        assert!(verify_signature("k", b"{}", &s));
        assert!(!verify_signature("other", b"{}", &s));
        assert!(!verify_signature("k", b"{ }", &s));
        assert!(!verify_signature("k", b"{}", "sha256=zz"));
    }
}
