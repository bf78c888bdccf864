//! The load generator against a fake voltdesk API on 127.0.0.1:0: counts, acks, the ack
//! log, error kinds, the stop when the server dies, and verification after a "restart".
//!
//! The fake runs on its own tokio runtime so that shutting that runtime down drops the
//! listener and every open connection at once, as a SIGKILL of the real server would.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use voltdesk_loadgen::{
    LoadConfig, LookupBy, Scenario, StopReason, read_ack_log, run, verify_acks,
};

const TOKEN: &str = "test-token";

#[derive(Default)]
struct Store {
    next_id: AtomicI64,
    orders: Mutex<HashMap<i64, Value>>,
    by_key: Mutex<HashMap<String, i64>>,
}

impl Store {
    fn order_count(&self) -> usize {
        self.orders.lock().unwrap().len()
    }
}

type Shared = Arc<Store>;

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer test-token")
}

async fn create_order(
    State(store): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "no key").into_response();
    };
    for field in ["order_type", "channel", "subject", "title", "description"] {
        if !body[field].is_string() {
            return (StatusCode::UNPROCESSABLE_ENTITY, field.to_string()).into_response();
        }
    }
    let mut by_key = store.by_key.lock().unwrap();
    if let Some(id) = by_key.get(key) {
        let order = store.orders.lock().unwrap()[id].clone();
        return (StatusCode::OK, Json(order)).into_response();
    }
    let id = store.next_id.fetch_add(1, Ordering::SeqCst) + 1;
    let order = json!({
        "id": id,
        "order_no": format!("WO{id:08}"),
        "status": "accepted",
        "clocks": [{"kind": "accept", "due_at": 0}],
    });
    by_key.insert(key.to_string(), id);
    store.orders.lock().unwrap().insert(id, order.clone());
    (StatusCode::CREATED, Json(order)).into_response()
}

async fn get_order(State(store): State<Shared>, Path(id): Path<i64>) -> Response {
    match store.orders.lock().unwrap().get(&id) {
        Some(order) => Json(order.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn order_trace(State(store): State<Shared>, Path(id): Path<i64>) -> Response {
    if store.orders.lock().unwrap().contains_key(&id) {
        Json(json!({"items": [{"kind": "order_created"}], "total": 1})).into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn list_orders(Query(q): Query<HashMap<String, String>>) -> Response {
    let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(0);
    if q.get("sort").map(String::as_str) != Some("due_at")
        || !q.contains_key("station")
        || per_page == 0
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let items: Vec<Value> = (0..per_page).map(|i| json!({"id": i})).collect();
    Json(json!({"items": items, "total": 5000})).into_response()
}

/// Odd numbers are unknown customers (404), even ones are found.
async fn lookup(Query(q): Query<HashMap<String, String>>) -> Response {
    let number: u64 = q
        .get("phone")
        .or_else(|| q.get("account_no"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    if number % 2 == 1 {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(json!({"id": number % 1000 + 1, "name": "张三"})).into_response()
}

async fn customer_trace(Path(_id): Path<i64>) -> Json<Value> {
    Json(json!({"items": [], "total": 0}))
}

struct Fake {
    runtime: Option<tokio::runtime::Runtime>,
    url: String,
}

impl Fake {
    fn start(store: Shared) -> Fake {
        let app = Router::new()
            .route("/api/v1/work-orders", get(list_orders).post(create_order))
            .route("/api/v1/work-orders/{id}", get(get_order))
            .route("/api/v1/work-orders/{id}/trace", get(order_trace))
            .route("/api/v1/customers/lookup", get(lookup))
            .route("/api/v1/customers/{id}/trace", get(customer_trace))
            .with_state(store);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        Fake {
            runtime: Some(runtime),
            url,
        }
    }

    /// Drops the listener and every connection at once.
    fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.kill();
    }
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "voltdesk-loadgen-test-{}-{name}",
        std::process::id()
    ))
}

#[tokio::test]
async fn intake_acknowledges_every_order_once_and_logs_it() {
    let store = Shared::default();
    let fake = Fake::start(store.clone());
    let log = temp_path("intake.acks");
    let _ = std::fs::remove_file(&log);

    let mut cfg = LoadConfig::new(&fake.url, TOKEN, Scenario::Intake);
    cfg.clients = 4;
    cfg.duration = Duration::from_secs(30);
    cfg.max_requests = Some(200);
    cfg.account_range = Some((3_300_000_000, 3_300_000_999));
    cfg.ack_log = Some(log.clone());
    let report = run(cfg).await.unwrap();

    assert_eq!(report.stop_reason, StopReason::MaxRequests);
    assert_eq!(report.count, 200, "{report:?}");
    assert_eq!(report.ok, 200);
    assert_eq!(report.errors.total(), 0);
    assert_eq!(report.acked, 200);
    assert_eq!(report.replayed, 0);
    assert_eq!(report.latency.samples, 200);
    assert!(report.latency.p50_us > 0 && report.latency.p50_us <= report.latency.p99_us);
    assert!(report.latency.p99_us <= report.latency.max_us);
    assert!(report.throughput > 0.0);
    assert_eq!(store.order_count(), 200);

    let keys: HashSet<_> = report.acks.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys.len(), 200, "idempotency keys are unique");
    assert!(keys.iter().all(|k| k.starts_with(&report.run_id)));

    let logged = read_ack_log(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let mut logged_sorted = logged.clone();
    logged_sorted.sort_by_key(|a| a.id);
    let mut acked_sorted = report.acks.clone();
    acked_sorted.sort_by_key(|a| a.id);
    assert_eq!(logged_sorted, acked_sorted);

    let verified = verify_acks(&fake.url, TOKEN, &logged, 4).await.unwrap();
    assert!(verified.is_ok(), "{verified:?}");
    assert_eq!(verified.found, 200);
}

#[tokio::test]
async fn a_killed_server_stops_the_run_and_acked_orders_survive() {
    let store = Shared::default();
    let mut fake = Fake::start(store.clone());
    let log = temp_path("crash.acks");
    let _ = std::fs::remove_file(&log);

    let mut cfg = LoadConfig::new(&fake.url, TOKEN, Scenario::Intake);
    cfg.clients = 4;
    cfg.duration = Duration::from_secs(60);
    cfg.rate_limit = Some(500.0);
    cfg.unreachable_after = Duration::from_millis(300);
    cfg.ack_log = Some(log.clone());
    let running = tokio::spawn(run(cfg));

    // Kill it once some orders are in (polled, bounded).
    for _ in 0..1000 {
        if store.order_count() >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(store.order_count() >= 50, "the run made no progress");
    fake.kill();

    let report = running.await.unwrap().unwrap();
    assert_eq!(
        report.stop_reason,
        StopReason::ServerUnreachable,
        "{report:?}"
    );
    assert!(report.elapsed < Duration::from_secs(30), "{report:?}");
    assert!(report.errors.connect > 0, "{report:?}");
    assert!(report.acked >= 50);

    // "Restart" on the same store: every acknowledged order is there.
    let restarted = Fake::start(store.clone());
    let logged = read_ack_log(&log).unwrap();
    assert_eq!(logged.len() as u64, report.acked);
    let verified = verify_acks(&restarted.url, TOKEN, &logged, 4)
        .await
        .unwrap();
    assert!(verified.is_ok(), "{verified:?}");

    // And a lost order is noticed.
    let lost = logged[0].id;
    store.orders.lock().unwrap().remove(&lost);
    let verified = verify_acks(&restarted.url, TOKEN, &logged, 4)
        .await
        .unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(!verified.is_ok());
    assert_eq!(verified.missing, 1);
    assert_eq!(verified.missing_ids, vec![lost]);
}

#[tokio::test]
async fn nobody_listening_stops_the_run_as_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = LoadConfig::new(format!("http://127.0.0.1:{port}"), TOKEN, Scenario::Intake);
    cfg.clients = 2;
    cfg.duration = Duration::from_secs(60);
    cfg.unreachable_after = Duration::from_millis(200);
    let report = run(cfg).await.unwrap();
    assert_eq!(report.stop_reason, StopReason::ServerUnreachable);
    assert_eq!(report.ok, 0);
    assert_eq!(report.errors.connect, report.count);
    assert!(report.elapsed < Duration::from_secs(10));
}

#[tokio::test]
async fn lookups_count_found_and_not_found_and_read_traces() {
    let fake = Fake::start(Shared::default());
    let mut cfg = LoadConfig::new(
        &fake.url,
        TOKEN,
        Scenario::Lookup {
            by: LookupBy::Alternate,
            phone_range: Some((13_800_000_000, 13_800_999_999)),
            customer_id_range: None,
            trace_limit: Some(50),
        },
    );
    cfg.account_range = Some((3_300_000_000, 3_300_999_999));
    cfg.clients = 3;
    cfg.max_requests = Some(300);
    let report = run(cfg).await.unwrap();

    assert_eq!(report.count, 300, "{report:?}");
    for op in ["lookup_phone", "lookup_account", "customer_trace"] {
        assert!(report.ops[op].ok > 0, "{op}: {report:?}");
    }
    // Odd numbers are unknown to the fake: counted as 4xx, with no trace read after them.
    // A found customer's trace is read, unless the request budget ran out in between (at
    // most once per client).
    let lookups = report.ops["lookup_phone"].count + report.ops["lookup_account"].count;
    let found = lookups - report.errors.status_4xx;
    let traced = report.ops["customer_trace"].count;
    assert!(report.errors.status_4xx > 0);
    assert!(traced <= found && found - traced <= 3, "{report:?}");
    assert_eq!(report.ok + report.errors.total(), report.count);
}

#[tokio::test]
async fn order_list_pages_are_checked_for_items_and_total() {
    let fake = Fake::start(Shared::default());
    let mut cfg = LoadConfig::new(
        &fake.url,
        TOKEN,
        Scenario::OrderList {
            stations: vec!["HZ-01".into(), "站 2".into()],
            status: "accepted".into(),
            per_page: 50,
            max_page: 20,
        },
    );
    cfg.clients = 2;
    cfg.max_requests = Some(100);
    let report = run(cfg).await.unwrap();
    assert_eq!(report.ok, 100, "{report:?}");
    assert_eq!(report.ops["list_orders"].latency.samples, 100);
}

#[tokio::test]
async fn a_rate_limit_is_kept() {
    let fake = Fake::start(Shared::default());
    let mut cfg = LoadConfig::new(
        &fake.url,
        TOKEN,
        Scenario::OrderList {
            stations: vec!["HZ-01".into()],
            status: "accepted".into(),
            per_page: 1,
            max_page: 1,
        },
    );
    cfg.clients = 4;
    cfg.rate_limit = Some(200.0);
    cfg.duration = Duration::from_millis(1000);
    let report = run(cfg).await.unwrap();
    assert_eq!(report.stop_reason, StopReason::Duration);
    // 200/s for 1 s, each client's first tick immediate: about 200, never far above.
    assert!(report.count <= 215, "{report:?}");
    assert!(report.count >= 50, "{report:?}");
}

#[tokio::test]
async fn wrong_token_counts_as_4xx() {
    let fake = Fake::start(Shared::default());
    let mut cfg = LoadConfig::new(&fake.url, "wrong", Scenario::Intake);
    cfg.max_requests = Some(10);
    let report = run(cfg).await.unwrap();
    assert_eq!(report.errors.status_4xx, 10);
    assert_eq!(report.acked, 0);
}

#[tokio::test]
async fn remote_targets_are_refused_before_sending() {
    for url in [
        "http://192.168.1.20:8080",
        "http://example.com",
        "https://127.0.0.1",
    ] {
        let cfg = LoadConfig::new(url, TOKEN, Scenario::Intake);
        assert!(run(cfg).await.is_err(), "{url}");
    }
}
