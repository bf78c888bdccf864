//! Outbox delivery throughput: fills a fresh SQLite database with N pending SMS notices
//! (through the store, as commands queue them), starts the test gateway in-process, runs
//! `Service::deliver_due` until the outbox is empty and prints notices per second: each
//! run, then the median.
//!
//!     cargo run --release -p voltdesk-gateway --example outbox_bench -- --notices 20000
//!
//! Every notice goes the whole way: claimed, its customer's phone and name read, its text
//! rendered from the Chinese template, posted over loopback HTTP with its idempotency key,
//! settled as delivered with a `notice.sent` trace event.

use clap::Parser;
use std::time::Instant;
use voltdesk_domain::import::{customer_rows, org_rows};
use voltdesk_gateway::{Gateway, GatewayConfig};
use voltdesk_service::{
    Actor, Delivery, DeliveryConfig, ManualClock, Policies, Service, SmsAuth, SmsConfig,
    WebhookConfig,
};
use voltdesk_store::Store;

#[derive(Parser)]
struct Args {
    /// Notices per run.
    #[arg(long, default_value_t = 20_000)]
    notices: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Customers the notices go to.
    #[arg(long, default_value_t = 1_000)]
    customers: usize,
    #[arg(long, default_value_t = 200)]
    batch_size: i64,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Notices on the webhook topic instead of SMS.
    #[arg(long)]
    webhook: bool,
}

const ORG_CSV: &str = "\
station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ST-CD,城东供电所,G-TOWN,城东镇区网格,F-101,10kV东一线,TA-URBAN,东街1号台区,urban
";

/// Friday 2026-11-20 10:00 in Beijing: outside quiet hours.
const MORNING: i64 = 1_795_140_000_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let mut rates = Vec::new();
    for run in 1..=args.runs {
        let rate = run_once(&args).await;
        println!(
            "run {run}: {} notices in {:.3} s = {rate:.0} notices/s",
            args.notices,
            args.notices as f64 / rate
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median of {} runs: {:.0} notices/s ({} notices per run, batch {}, concurrency {}, {})",
        rates.len(),
        rates[rates.len() / 2],
        args.notices,
        args.batch_size,
        args.concurrency,
        if args.webhook {
            "signed webhooks"
        } else {
            "SMS"
        }
    );
}

async fn run_once(args: &Args) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let clock = ManualClock::new(MORNING);
    let svc = Service::open(store.clone(), clock, Policies::bundled())
        .await
        .expect("open");
    let admin = Actor::system();

    let org: Vec<_> = org_rows(ORG_CSV)
        .expect("org header")
        .map(|r| r.map(|(_, row)| row).expect("org row"))
        .collect();
    svc.import_org(&admin, &org).await.expect("import org");
    let mut csv = String::from("account_no,name,phone,id_number,address,usage_class,area_code\n");
    for i in 0..args.customers {
        csv.push_str(&format!(
            "{},客户{i},138{:08},,城东镇东街{i}号,residential,TA-URBAN\n",
            3_100_000_000u64 + i as u64,
            i
        ));
    }
    let rows: Vec<_> = customer_rows(&csv)
        .expect("customer header")
        .map(|r| r.expect("customer row"))
        .collect();
    svc.import_customers(&admin, rows, vec![], false, &|_| {})
        .await
        .expect("import customers");
    let (customers, _) = svc
        .customers(&voltdesk_store::CustomerFilter {
            limit: args.customers as i64,
            ..Default::default()
        })
        .await
        .expect("customers");
    let ids: Vec<i64> = customers.iter().map(|c| c.id).collect();

    let (topic, kind) = if args.webhook {
        ("webhook", "order.closed")
    } else {
        ("sms", "order.accepted")
    };
    let notices: Vec<(String, serde_json::Value)> = (0..args.notices)
        .map(|i| {
            (
                kind.to_string(),
                serde_json::json!({"order_no": format!("GD20261120{:08}", i + 1), "customer_id": ids[i % ids.len()]}),
            )
        })
        .collect();
    let mut tx = store.begin().await.expect("begin");
    store
        .insert_outbox_many(&mut tx, MORNING, topic, &notices)
        .await
        .expect("queue notices");
    tx.commit().await.expect("commit");

    let gw = Gateway::start(
        "127.0.0.1:0".parse().expect("address"),
        GatewayConfig {
            secret: Some("bench-secret".into()),
            ..GatewayConfig::default()
        },
    )
    .await
    .expect("gateway");
    let d = Delivery::from_config(DeliveryConfig {
        sms: Some(SmsConfig {
            url: gw.sms_url(),
            auth: SmsAuth::Bearer {
                token: "bench-token".into(),
            },
        }),
        webhook: Some(WebhookConfig {
            url: gw.webhook_url(),
            secret: Some("bench-secret".into()),
        }),
        batch_size: args.batch_size,
        concurrency: args.concurrency,
        ..DeliveryConfig::default()
    })
    .expect("delivery");

    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let r = svc.deliver_due(&d).await.expect("deliver");
        assert_eq!(r.retried + r.dead + r.deferred, 0, "{r:?}");
        delivered += r.delivered;
        if r.claimed == 0 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let stats = gw.stats();
    assert_eq!(delivered, args.notices);
    assert_eq!(
        (stats.received as usize, stats.duplicates),
        (args.notices, 0)
    );
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts.get("delivered").copied(), Some(args.notices as i64));
    gw.stop().await;
    store.close().await;
    drop(dir);
    args.notices as f64 / secs
}
