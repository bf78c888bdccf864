//! Benchmark: a 5 MB attachment uploaded through the real HTTP server (auth layer, body
//! read, type sniffing, SHA-256, the file written, fsynced and renamed, the row and its trace
//! event committed), 20 uploads of distinct bytes, one after the other, on SQLite. Prints the
//! median, p99 and max from send to the 201's body. Target: at most 1 s.
//!
//!     cargo run --release -p voltdesk-web --example attachment_bench [-- UPLOADS [MB]]

use std::time::Instant;
use voltdesk_domain::Role;
use voltdesk_service::{Actor, ManualClock, NewUser, Policies, Service};
use voltdesk_store::Store;

/// Friday 2026-11-20 10:00 in Beijing.
const NOW: i64 = 1_795_140_000_000;
const ORG_CSV: &str = "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ZJ-CN,城南供电所,G01,城关网格,F01,10kV城关线,TA001,城关1号台区,urban
";
const CUSTOMERS_CSV: &str = "account_no,name,phone,address,usage_class,area_code
3300000001,张三,13812345678,浙江省杭州市桐庐县城南街道城关路1号,residential,TA001
";

async fn user(svc: &Service, station: i64, name: &str, role: Role) -> String {
    let admin = Actor::system();
    svc.add_user(
        &admin,
        NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            password: "correct horse".into(),
            station_id: Some(station),
            department_id: None,
        },
    )
    .await
    .expect("user");
    svc.create_token(&admin, name, "bench", &[], None)
        .await
        .expect("token")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let uploads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let svc = Service::open(store, ManualClock::new(NOW), Policies::bundled())
        .await
        .expect("open service");
    svc.set_attachments(dir.path().join("attachments"), 10 * 1024 * 1024);
    let admin = Actor::system();
    let org: Vec<_> = voltdesk_domain::import::org_rows(ORG_CSV)
        .unwrap()
        .map(|r| r.unwrap().1)
        .collect();
    svc.import_org(&admin, &org).await.expect("org");
    let rows: Vec<_> = voltdesk_domain::import::customer_rows(CUSTOMERS_CSV)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    svc.import_customers(&admin, rows, vec![], false, &|_| {})
        .await
        .expect("customers");
    let station = svc.stations().await.expect("stations")[0].id;
    let handler = user(&svc, station, "handler1", Role::Handler).await;
    let agent = user(&svc, station, "agent1", Role::Agent).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = voltdesk_web::router(svc.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let client = reqwest::Client::new();
    let order: serde_json::Value = client
        .post(format!("{base}/api/v1/work-orders"))
        .bearer_auth(&agent)
        .json(&serde_json::json!({"customer_account_no": "3300000001", "order_type": "repair", "channel": "app", "title": "电表箱损坏"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = order["id"].as_i64().expect("order id");
    let size = mb * 1024 * 1024;
    let mut times = Vec::with_capacity(uploads);
    for i in 0..uploads {
        // A PDF header and distinct bytes each time: every upload is a new file.
        let mut body = b"%PDF-1.7\n".to_vec();
        body.resize(size, 0);
        body[size - 8..].copy_from_slice(&(i as u64).to_le_bytes());
        let started = Instant::now();
        let resp = client
            .post(format!("{base}/api/v1/work-orders/{id}/attachments"))
            .query(&[("name", format!("report-{i}.pdf"))])
            .bearer_auth(&handler)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .expect("upload");
        let status = resp.status();
        let _ = resp.bytes().await;
        let took = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(status.as_u16(), 201, "upload {i}");
        times.push(took);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "SQLite: {uploads} uploads of {mb} MB: median {:.1} ms, p99 {:.1} ms, max {:.1} ms, min {:.1} ms",
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        times[0]
    );
}
