//! Benchmark: a planned outage of one feeder touching 50,000 customers is registered (the
//! outage, its areas, the affected count, the trace event, 50,000 SMS notices and the care
//! tasks, in one transaction). Prints the time from the call to its return after commit,
//! median of 3 runs, on SQLite and, when `VOLTDESK_TEST_PG` is set, on PostgreSQL.
//! Target: at most 2 s.
//!
//!     cargo run --release -p voltdesk-service --example outage_bench [-- CUSTOMERS]

use std::time::Instant;

use voltdesk_domain::outage::OutageKind;
use voltdesk_domain::{DAY_MS, HOUR_MS};
use voltdesk_service::{Actor, ManualClock, NewOutage, Policies, Service};
use voltdesk_store::Store;

const AREAS: usize = 5;
const RUNS: usize = 3;
/// Friday 2026-11-20 10:00 in Beijing.
const NOW: i64 = 1_795_140_000_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let customers: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    run("SQLite", &url, customers).await;
    if let Some(admin) = std::env::var("VOLTDESK_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let name = format!("vd_outage_bench_{}", std::process::id());
        pg_admin(&admin, &format!("CREATE DATABASE {name}")).await;
        run("PostgreSQL", &with_database(&admin, &name), customers).await;
        pg_admin(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    } else {
        println!("PostgreSQL: skipped (VOLTDESK_TEST_PG is unset)");
    }
}

async fn run(backend: &str, url: &str, customers: usize) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let svc = Service::open(store, ManualClock::new(NOW), Policies::bundled())
        .await
        .expect("open service");
    let setup = Instant::now();
    seed(&svc, customers).await;
    println!(
        "{backend}: seeded {customers} customers in {AREAS} areas of feeder F-BENCH in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let admin = Actor::system();
    let mut times = Vec::new();
    for run in 0..RUNS {
        let start = NOW + 10 * DAY_MS + run as i64 * DAY_MS;
        let n = NewOutage {
            external_ref: Some(format!("BENCH-{run}")),
            kind: Some(OutageKind::Planned),
            feeder_code: Some("F-BENCH".into()),
            cause: Some("10kV线路检修（基准测试）".into()),
            started_at: Some(start),
            expected_restore_at: Some(start + 8 * HOUR_MS),
            ..NewOutage::default()
        };
        let t = Instant::now();
        let (view, replayed) = svc.register_outage(&admin, n).await.expect("register");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(!replayed);
        assert_eq!(view.record.outage.affected_customers as usize, customers);
        times.push(ms);
        println!(
            "{backend}: run {}: {} customers affected, notices queued, {} care tasks open, {ms:.0} ms",
            run + 1,
            view.record.outage.affected_customers,
            view.record.open_care_tasks
        );
    }
    let notices = svc.store().count_rows("outbox").await.expect("count");
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{backend}: register_outage for {customers} customers: median {median:.0} ms of {RUNS} (min {:.0}, max {:.0}); {notices} notices in the outbox; target <= 2000 ms: {}",
        times[0],
        times[times.len() - 1],
        if median <= 2000.0 { "met" } else { "MISSED" }
    );
    svc.store().close().await;
}

/// One station, one grid, one feeder with `AREAS` transformer areas, and `customers`
/// customers spread over them (1 % in a care group, 5 % segment A, 2 % large industry).
async fn seed(svc: &Service, customers: usize) {
    let admin = Actor::system();
    let mut org = String::from(
        "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class\n",
    );
    for a in 0..AREAS {
        org.push_str(&format!(
            "ST-BENCH,基准供电所,G-BENCH,基准网格,F-BENCH,10kV基准线,TA-BENCH-{a},基准{a}号台区,urban\n"
        ));
    }
    let rows: Vec<_> = voltdesk_domain::import::org_rows(&org)
        .expect("org header")
        .map(|r| r.expect("org row").1)
        .collect();
    svc.import_org(&admin, &rows).await.expect("import org");
    let mut csv =
        String::from("account_no,name,phone,address,usage_class,area_code,care_groups,segment\n");
    for i in 0..customers {
        let usage = if i % 50 == 7 {
            "large_industry"
        } else {
            "residential"
        };
        let care = if i % 100 == 3 { "oxygen" } else { "" };
        let segment = if i % 20 == 11 { "A" } else { "C" };
        csv.push_str(&format!(
            "{},用户{i},139{:08},基准镇{}号,{usage},TA-BENCH-{},{care},{segment}\n",
            5_000_000_000u64 + i as u64,
            i,
            i,
            i % AREAS
        ));
    }
    let mut good = Vec::with_capacity(customers);
    let mut errors = Vec::new();
    for item in voltdesk_domain::import::customer_rows(&csv).expect("customer header") {
        match item {
            Ok(r) => good.push(r),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    svc.import_customers(&admin, good, errors, false, &|_| {})
        .await
        .expect("import customers");
    svc.store().analyze().await.expect("analyze");
    svc.store().checkpoint().await.expect("checkpoint");
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

async fn pg_admin(url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("VOLTDESK_TEST_PG={url}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}
