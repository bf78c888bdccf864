//! Crash test: a load client creates orders through the API while the server is killed with
//! SIGKILL mid-run; after a restart on the same database every order the API acknowledged is
//! there, with its clocks and trace events.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use voltdesk_loadgen::{LoadConfig, Scenario, verify_acks};

const BIN: &str = env!("CARGO_BIN_EXE_voltdesk");

fn voltdesk(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--database")
        .arg(db)
        .args(args)
        .env("VOLTDESK_PASSWORD", "crash-test-pass")
        .output()
        .expect("run voltdesk");
    assert!(
        out.status.success(),
        "voltdesk {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(db: &str, port: u16) -> Child {
    Command::new(BIN)
        .arg("--database")
        .arg(db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server")
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/health")).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/crash.db", dir.path().display());
    let org = dir.path().join("org.csv");
    let customers = dir.path().join("customers.csv");
    voltdesk(&db, &["gen", "org", "--out", org.to_str().unwrap()]);
    voltdesk(
        &db,
        &[
            "gen",
            "customers",
            "--count",
            "2000",
            "--out",
            customers.to_str().unwrap(),
        ],
    );
    voltdesk(&db, &["migrate"]);
    voltdesk(&db, &["import", "org", org.to_str().unwrap()]);
    voltdesk(&db, &["import", "customers", customers.to_str().unwrap()]);
    voltdesk(&db, &["user", "add", "loader", "--role", "agent"]);
    let token = voltdesk(
        &db,
        &["token", "create", "--user", "loader", "--name", "crash"],
    )
    .trim()
    .to_string();

    let port = free_port();
    let mut server = start(&db, port);
    wait_ready(port).await;
    let url = format!("http://127.0.0.1:{port}");
    let mut cfg = LoadConfig::new(url.clone(), token.clone(), Scenario::Intake);
    cfg.clients = 8;
    cfg.duration = Duration::from_secs(20);
    cfg.account_range = Some((3_300_000_000, 3_300_001_999));
    cfg.unreachable_after = Duration::from_secs(1);
    let load = tokio::spawn(voltdesk_loadgen::run(cfg));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // SIGKILL: no shutdown hook, no flush, mid-transaction.
    server.kill().unwrap();
    server.wait().unwrap();
    let report = load.await.unwrap().unwrap();
    assert!(
        report.acked > 50,
        "the load acknowledged only {} orders before the kill",
        report.acked
    );

    let mut server = start(&db, port);
    wait_ready(port).await;
    let v = verify_acks(&url, &token, &report.acks, 4).await.unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    eprintln!(
        "crash test: {} acknowledged, {} found, {} missing, {} without trace",
        v.acks, v.found, v.missing, v.without_trace
    );
    assert_eq!(v.checked, report.acked);
    assert_eq!(v.found, v.checked, "{v:?}");
    assert_eq!(v.missing, 0);
    assert_eq!(v.malformed, 0);
    assert_eq!(v.without_trace, 0);
}
