//! The `voltdesk` binary end to end: each test gets a fresh directory and database and runs
//! the real executable, as an operator would.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_voltdesk");

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory with its own SQLite database, removed afterwards.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!(
            "voltdesk-cli-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn database(&self) -> String {
        format!("sqlite://{}", self.path("t.db").display())
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(&self.dir)
            .env_remove("VOLTDESK_DATABASE")
            .env_remove("VOLTDESK_PASSWORD")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        c
    }

    /// Runs `voltdesk --database <this sandbox's> ARGS`, or ARGS as given when they name
    /// a database themselves.
    fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        if !args.contains(&"--database") {
            c.arg("--database").arg(self.database());
        }
        Run(c.args(args).output().expect("the binary runs"))
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert!(r.success(), "voltdesk {args:?} failed:\n{r}");
        r
    }

    fn fails(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert!(!r.success(), "voltdesk {args:?} should have failed:\n{r}");
        assert!(
            !r.stderr().contains("panicked"),
            "voltdesk {args:?} panicked:\n{r}"
        );
        r
    }

    /// `gen org` and `import org`: the sample station is in the database.
    fn with_org(&self) {
        self.ok(&["gen", "org", "--out", "org.csv"]);
        self.ok(&["import", "org", "org.csv"]);
    }

    fn gen_customers(&self, file: &str, count: usize) -> String {
        self.ok(&[
            "gen",
            "customers",
            "--count",
            &count.to_string(),
            "--out",
            file,
        ]);
        std::fs::read_to_string(self.path(file)).unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run(Output);

impl Run {
    fn success(&self) -> bool {
        self.0.status.success()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.0.status,
            self.stdout(),
            self.stderr()
        )
    }
}

/// Replaces one field of one data row (0-based) of a CSV text.
fn with_field(text: &str, row: usize, column: &str, value: &str) -> String {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().clone();
    let col = header.iter().position(|h| h == column).unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let fields: Vec<&str> = rec
            .iter()
            .enumerate()
            .map(|(j, f)| if i == row && j == col { value } else { f })
            .collect();
        w.write_record(&fields).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn read_csv(path: &Path) -> (Vec<u8>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&bytes);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (bytes, rows)
}

#[test]
fn migrate_creates_the_database_and_is_repeatable() {
    let s = Sandbox::new("migrate");
    let r = s.ok(&["migrate"]);
    assert!(r.stdout().contains("up to date"), "{r}");
    assert!(s.path("t.db").exists());
    s.ok(&["migrate"]);
}

#[test]
fn users_are_added_listed_and_given_tokens() {
    let s = Sandbox::new("users");
    s.with_org();
    let r = s.ok(&[
        "user",
        "add",
        "wang.li",
        "--role",
        "agent",
        "--name",
        "王丽",
        "--password",
        "correct-horse-1",
        "--station",
        "ZJ-CN",
    ]);
    assert!(r.stdout().contains("wang.li"), "{r}");
    s.ok(&[
        "user",
        "add",
        "li.jun",
        "--role",
        "抢修人员",
        "--password",
        "correct-horse-2",
        "--department",
        "ZJ-CN-distribution",
    ]);

    let list = s.ok(&["user", "list"]).stdout();
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("ID"), "{list}");
    let wang = lines.iter().find(|l| l.contains("wang.li")).unwrap();
    assert!(
        wang.contains("王丽") && wang.contains("agent") && wang.contains("ZJ-CN"),
        "{list}"
    );
    let li = lines.iter().find(|l| l.contains("li.jun")).unwrap();
    assert!(
        li.contains("crew") && li.contains("ZJ-CN-distribution"),
        "{list}"
    );

    // Refusals name the problem and leave no panic behind.
    let dup = s.fails(&[
        "user",
        "add",
        "wang.li",
        "--role",
        "agent",
        "--password",
        "correct-horse-3",
    ]);
    assert!(dup.stderr().contains("already exists"), "{dup}");
    let short = s.fails(&["user", "add", "x", "--role", "agent", "--password", "short"]);
    assert!(short.stderr().contains("at least"), "{short}");
    let role = s.fails(&[
        "user",
        "add",
        "y",
        "--role",
        "boss",
        "--password",
        "long-enough",
    ]);
    assert!(role.stderr().contains("unknown role"), "{role}");
    let nopass = s.fails(&["user", "add", "z", "--role", "agent"]);
    assert!(nopass.stderr().contains("VOLTDESK_PASSWORD"), "{nopass}");
    let station = s.fails(&[
        "user",
        "add",
        "w",
        "--role",
        "agent",
        "--password",
        "long-enough",
        "--station",
        "NOPE",
    ]);
    assert!(station.stderr().contains("NOPE"), "{station}");

    // The password can come from the environment.
    let r = s
        .command()
        .args(["--database", &s.database(), "user", "passwd", "wang.li"])
        .env("VOLTDESK_PASSWORD", "another-secret-1")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", Run(r));

    // An agent's SIP password: from the flag, or piped on standard input; only for a user
    // who takes calls, and long enough.
    let r = s.ok(&[
        "user",
        "sip-password",
        "wang.li",
        "--password",
        "desk-8001-pw",
    ]);
    assert!(r.stdout().contains("realm voltdesk"), "{r}");
    let mut piped = s
        .command()
        .args([
            "--database",
            &s.database(),
            "user",
            "sip-password",
            "wang.li",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    piped
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped-secret-1\n")
        .unwrap();
    let out = Run(piped.wait_with_output().unwrap());
    assert!(out.success(), "{out}");
    let crew = s.fails(&[
        "user",
        "sip-password",
        "li.jun",
        "--password",
        "desk-8001-pw",
    ]);
    assert!(crew.stderr().contains("takes calls"), "{crew}");
    let short = s.fails(&["user", "sip-password", "wang.li", "--password", "short"]);
    assert!(short.stderr().contains("8 to 128"), "{short}");
    let empty = s.fails(&["user", "sip-password", "wang.li"]);
    assert!(empty.stderr().contains("no SIP password"), "{empty}");

    let token = s.ok(&[
        "token",
        "create",
        "--user",
        "wang.li",
        "--name",
        "billing",
        "--scopes",
        "customer.read,order.create",
        "--ttl-days",
        "30",
    ]);
    let out = token.stdout();
    assert_eq!(out.lines().count(), 1, "only the secret: {token}");
    assert!(out.trim().len() > 20, "{token}");
    let bad = s.fails(&[
        "token",
        "create",
        "--user",
        "wang.li",
        "--name",
        "x",
        "--scopes",
        "user.admin",
    ]);
    assert!(bad.stderr().contains("user.admin"), "{bad}");
}

#[test]
fn generated_org_and_customers_import_in_full() {
    let s = Sandbox::new("import");
    s.ok(&["gen", "org", "--out", "org.csv"]);
    let org = s.ok(&["import", "org", "org.csv"]);
    let areas = std::fs::read_to_string(s.path("org.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(
        org.stdout()
            .contains(&format!("imported {areas} transformer areas of 1 station")),
        "{org}"
    );

    s.gen_customers("customers.csv", 3000);
    let r = s.ok(&["import", "customers", "customers.csv"]);
    assert!(
        r.stdout().contains("imported 3000 customers, skipped 0"),
        "{r}"
    );
    assert!(
        r.stdout().contains("customers in the database: 3000"),
        "{r}"
    );
    assert!(r.stdout().contains("rows/s"), "{r}");

    // Importing the same file again: every account exists, nothing changes.
    let again = s.fails(&["import", "customers", "customers.csv"]);
    assert!(again.stderr().contains("[duplicate_key]"), "{again}");
    assert!(again.stderr().contains("and 2950 more"), "{again}");
}

#[test]
fn generators_are_deterministic_for_a_seed() {
    let s = Sandbox::new("gen");
    let a = s.gen_customers("a.csv", 500);
    let b = s.gen_customers("b.csv", 500);
    assert_eq!(a, b);
    s.ok(&[
        "gen",
        "customers",
        "--count",
        "500",
        "--seed",
        "8",
        "--out",
        "c.csv",
    ]);
    assert_ne!(a, std::fs::read_to_string(s.path("c.csv")).unwrap());
    let zero = s.fails(&["gen", "customers", "--count", "0", "--out", "d.csv"]);
    assert!(zero.stderr().contains("--count"), "{zero}");
}

#[test]
fn one_bad_row_rejects_the_file_and_imports_nothing() {
    let s = Sandbox::new("badrow");
    s.with_org();
    let good = s.gen_customers("good.csv", 200);
    // Data row 48 (from 0) is on line 50: the header is line 1.
    let bad = with_field(&good, 48, "用电类别", "学生");
    std::fs::write(s.path("bad.csv"), &bad).unwrap();

    let r = s.fails(&["import", "customers", "bad.csv"]);
    assert!(
        r.stderr()
            .contains("line 50: usage_class: unknown usage_class `学生`"),
        "{r}"
    );
    assert!(r.stderr().contains("[invalid_value]"), "{r}");
    assert!(r.stderr().contains("nothing was imported"), "{r}");
    assert!(!r.stdout().contains("imported"), "{r}");

    // Nothing went in: the clean file now imports every row, the count is exact.
    let clean = s.ok(&["import", "customers", "good.csv"]);
    assert!(clean.stdout().contains("imported 200 customers"), "{clean}");
    assert!(
        clean.stdout().contains("customers in the database: 200"),
        "{clean}"
    );

    // With --skip-invalid the valid rows go in and the bad one is still reported.
    let t = Sandbox::new("badrow-skip");
    t.with_org();
    std::fs::write(t.path("bad.csv"), &bad).unwrap();
    let r = t.ok(&["import", "customers", "bad.csv", "--skip-invalid"]);
    assert!(
        r.stdout().contains("imported 199 customers, skipped 1"),
        "{r}"
    );
    assert!(r.stderr().contains("line 50"), "{r}");
}

#[test]
fn bad_org_rows_refuse_the_org_file() {
    let s = Sandbox::new("badorg");
    s.ok(&["gen", "org", "--out", "org.csv"]);
    let text = std::fs::read_to_string(s.path("org.csv")).unwrap();
    std::fs::write(s.path("bad.csv"), with_field(&text, 2, "区域类别", "月球")).unwrap();
    let r = s.fails(&["import", "org", "bad.csv"]);
    assert!(r.stderr().contains("line 4: region_class:"), "{r}");
    // Nothing imported: customers find no transformer area.
    s.gen_customers("c.csv", 5);
    let r = s.fails(&["import", "customers", "c.csv"]);
    assert!(r.stderr().contains("[unknown_reference]"), "{r}");
    let r = s.ok(&["import", "org", "bad.csv", "--skip-invalid"]);
    assert!(r.stderr().contains("line 4"), "{r}");
    assert!(r.stdout().contains("skipped 1"), "{r}");
}

#[test]
fn a_gbk_file_imports_the_same() {
    let s = Sandbox::new("gbk");
    s.with_org();
    let text = s.gen_customers("utf8.csv", 500);
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable, "the generated names fit GBK");
    assert_ne!(bytes.as_ref(), text.as_bytes(), "the file has Chinese text");
    std::fs::write(s.path("gbk.csv"), &bytes).unwrap();
    let r = s.ok(&["import", "customers", "gbk.csv"]);
    assert!(r.stderr().contains("GBK"), "{r}");
    assert!(r.stdout().contains("imported 500 customers"), "{r}");
    // The same customers: the UTF-8 file now collides on every account number.
    let again = s.fails(&["import", "customers", "utf8.csv"]);
    assert!(again.stderr().contains("500 invalid row(s)"), "{again}");
}

#[test]
fn unreadable_files_fail_with_a_reason() {
    let s = Sandbox::new("unreadable");
    let r = s.fails(&["import", "customers", "missing.csv"]);
    assert!(r.stderr().contains("cannot read missing.csv"), "{r}");
    std::fs::write(s.path("empty.csv"), "").unwrap();
    let r = s.fails(&["import", "customers", "empty.csv"]);
    assert!(r.stderr().contains("line 1:"), "{r}");
    assert!(r.stderr().contains("[missing_header]"), "{r}");
    std::fs::write(s.path("binary.csv"), b"a,b\n\xff\xfe\x00\x81\n").unwrap();
    let r = s.fails(&["import", "org", "binary.csv"]);
    assert!(r.stderr().contains("neither UTF-8 nor GBK"), "{r}");
    std::fs::write(s.path("cols.csv"), "户号,colour\n1,2\n").unwrap();
    let r = s.fails(&["import", "customers", "cols.csv"]);
    assert!(r.stderr().contains("[unknown_column]"), "{r}");
}

#[test]
fn export_writes_csv_with_a_header() {
    let s = Sandbox::new("export");
    let demo = s.ok(&["demo", "--customers", "300", "--no-serve"]);
    assert!(demo.stdout().contains("supervisor1"), "{demo}");

    s.ok(&["export", "orders", "--out", "orders.csv"]);
    let (bytes, rows) = read_csv(&s.path("orders.csv"));
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "starts with a BOM");
    assert_eq!(
        rows[0].join(","),
        "order_no,id,created_at,order_type,order_type_zh,channel,subject,status,title,\
         customer_id,station_id,department_id,next_due_at,overdue,escalated,satisfaction,closed_at"
    );
    // 200 recent sample orders after a year of history (0.25 orders per customer).
    assert!(rows.len() > 251, "{} rows", rows.len());
    let types: std::collections::HashSet<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    for t in ["consultation", "repair", "complaint"] {
        assert!(types.contains(t), "{types:?}");
    }
    let repair = rows.iter().find(|r| r[3] == "repair").unwrap();
    assert_eq!(repair[4], "故障报修");
    assert!(repair[0].starts_with("GD"), "{repair:?}");
    assert_eq!(repair[2].len(), "2025-01-01 08:00:00".len(), "{repair:?}");

    // Filters, standard output, no BOM.
    let closed = s.ok(&[
        "export",
        "orders",
        "--status",
        "closed",
        "--station",
        "ZJ-CN",
        "--no-bom",
    ]);
    let out = closed.stdout();
    assert!(out.starts_with("order_no,"), "{closed}");
    let n = out.lines().count() - 1;
    assert!(n > 50 && n < rows.len() - 1, "{n} closed orders");
    assert!(out.lines().skip(1).all(|l| l.contains(",closed,")), "{out}");

    let day = &rows[1][2][..10];
    let one_day = s.ok(&["export", "orders", "--from", day, "--to", day, "--no-bom"]);
    let n = one_day.stdout().lines().count() - 1;
    assert!(n > 0 && n < 200, "{n} orders on {day}");
    assert!(
        one_day.stdout().lines().skip(1).all(|l| l.contains(day)),
        "{one_day}"
    );

    let r = s.fails(&["export", "orders", "--status", "done"]);
    assert!(r.stderr().contains("unknown status `done`"), "{r}");
    let r = s.fails(&[
        "export",
        "orders",
        "--from",
        "2025-02-01",
        "--to",
        "2025-01-01",
    ]);
    assert!(r.stderr().contains("after"), "{r}");
    let r = s.fails(&["export", "orders", "--from", "2025-13-01"]);
    assert!(r.stderr().contains("not a date"), "{r}");
    let r = s.fails(&["export", "orders", "--station", "NOPE"]);
    assert!(r.stderr().contains("NOPE"), "{r}");
}

#[test]
fn the_demo_is_the_same_for_a_seed_and_kept_on_restart() {
    let s = Sandbox::new("demo");
    let export = |db: &str| {
        let r = s.ok(&["--database", db, "export", "orders", "--no-bom"]);
        // Type, channel, subject, title and customer: independent of the time of the run.
        r.stdout()
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{} {} {} {} {}", f[3], f[5], f[6], f[8], f[9])
            })
            .collect::<Vec<_>>()
    };
    let a = format!("sqlite://{}", s.path("a.db").display());
    let b = format!("sqlite://{}", s.path("b.db").display());
    s.ok(&["demo", "--database", &a, "--customers", "200", "--no-serve"]);
    s.ok(&["demo", "--database", &b, "--customers", "200", "--no-serve"]);
    assert_eq!(export(&a), export(&b));

    let again = s.ok(&["demo", "--database", &a, "--customers", "200", "--no-serve"]);
    assert!(again.stderr().contains("existing demo database"), "{again}");
    assert_eq!(export(&a), export(&b), "nothing was added on restart");

    let fresh = s.ok(&[
        "demo",
        "--database",
        &a,
        "--customers",
        "200",
        "--seed",
        "9",
        "--fresh",
        "--no-serve",
    ]);
    assert!(fresh.stderr().contains("demo data ready"), "{fresh}");
    assert_ne!(export(&a), export(&b));
}

/// What a demo database holds, for comparing two runs.
#[derive(Debug, PartialEq)]
struct DemoCounts {
    by_type: std::collections::BTreeMap<String, usize>,
    first: chrono::NaiveDateTime,
    last: chrono::NaiveDateTime,
    return_visits: i64,
    outages: i64,
}

fn demo_counts(s: &Sandbox, db: &str) -> DemoCounts {
    let export = s.ok(&["--database", db, "export", "orders", "--no-bom"]);
    let mut by_type = std::collections::BTreeMap::new();
    let mut times = Vec::new();
    let text = export.stdout();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for rec in r.records() {
        let rec = rec.unwrap();
        *by_type.entry(rec[3].to_string()).or_default() += 1;
        times.push(chrono::NaiveDateTime::parse_from_str(&rec[2], "%Y-%m-%d %H:%M:%S").unwrap());
    }
    times.sort();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (return_visits, outages) = rt.block_on(async {
        let store = voltdesk_store::Store::connect(db).await.unwrap();
        let n = |t| {
            let store = store.clone();
            async move { store.count_rows(t).await.unwrap() }
        };
        let counts = (n("return_visits").await, n("outages").await);
        store.close().await;
        counts
    });
    DemoCounts {
        by_type,
        first: times[0],
        last: times[times.len() - 1],
        return_visits,
        outages,
    }
}

/// Every event the demo writes is a kind this version knows, with a payload it reads; and
/// the demo writes every kind but those it has no occasion for (`trace::NOT_IN_DEMO`).
#[test]
fn the_demo_writes_every_trace_kind_and_only_known_ones() {
    use voltdesk_domain::trace::{NOT_IN_DEMO, TraceEvent, TraceKind};
    let s = Sandbox::new("kinds");
    let db = format!("sqlite://{}", s.path("k.db").display());
    s.ok(&[
        "demo",
        "--database",
        &db,
        "--no-serve",
        "--customers",
        "3000",
        "--seed",
        "7",
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (written, unknown) = rt.block_on(async {
        let store = voltdesk_store::Store::connect(&db).await.unwrap();
        let mut written = std::collections::BTreeSet::new();
        let mut unknown = Vec::new();
        let mut cursor = 0;
        loop {
            let rows = store.traces_after(cursor, 5000).await.unwrap();
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            cursor = last;
            for r in rows {
                match r.event() {
                    TraceEvent::Unknown { kind, payload } => {
                        if unknown.len() < 5 {
                            unknown.push(format!("{kind} {payload}"));
                        }
                    }
                    e => {
                        written.insert(e.kind().expect("a known event has a kind"));
                    }
                }
            }
        }
        store.close().await;
        (written, unknown)
    });
    assert!(
        unknown.is_empty(),
        "rows this version cannot read: {unknown:#?}"
    );
    let expected: std::collections::BTreeSet<TraceKind> = TraceKind::ALL
        .iter()
        .copied()
        .filter(|k| !NOT_IN_DEMO.contains(k))
        .collect();
    let missing: Vec<_> = expected.difference(&written).map(|k| k.code()).collect();
    let unexpected: Vec<_> = written.difference(&expected).map(|k| k.code()).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "kinds the demo does not write: {missing:?}; kinds it writes though listed as not: {unexpected:?}"
    );
}

#[test]
fn the_demo_has_a_year_of_history_the_same_for_a_seed() {
    let s = Sandbox::new("history");
    let run = |name: &str| {
        let db = format!("sqlite://{}", s.path(name).display());
        let r = s.ok(&[
            "demo",
            "--database",
            &db,
            "--no-serve",
            "--customers",
            "3000",
            "--seed",
            "7",
        ]);
        assert!(r.stderr().contains("wrote twelve months of history"), "{r}");
        demo_counts(&s, &db)
    };
    let a = run("a.db");
    let total: usize = a.by_type.values().sum();
    assert!(total > 800, "{a:?}");
    assert!(
        a.last - a.first >= chrono::Duration::days(335),
        "history spans {} days",
        (a.last - a.first).num_days()
    );
    let largest = a.by_type.iter().max_by_key(|(_, n)| **n).unwrap().0;
    assert_eq!(largest, "consultation", "{a:?}");
    let complaints = a.by_type.get("complaint").copied().unwrap_or(0);
    assert!(complaints > 0 && complaints * 20 < total, "{a:?}");
    assert!(a.return_visits > 100, "{a:?}");
    assert!(a.outages > 20, "{a:?}");
    assert_eq!(a, run("b.db"), "the same seed gives the same county");
}

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let s = Sandbox::new("serve");
    s.ok(&["migrate"]);
    let (mut child, url) = serve(&s, &[]);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET /api/v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "exit {status}\n{log}");
}

/// A database of its own on the PostgreSQL test cluster (`VOLTDESK_TEST_PG`, as CI sets it),
/// created and dropped with `psql`.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Option<PgDatabase> {
        let admin = std::env::var("VOLTDESK_TEST_PG")
            .ok()
            .filter(|u| !u.is_empty())?;
        let base = admin.split('?').next().unwrap_or(&admin);
        let base = &base[..base.rfind('/').expect("a database URL")];
        let name = format!(
            "voltdesk_cli_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let db = PgDatabase {
            url: format!("{base}/{name}"),
            admin,
            name,
        };
        db.psql(&format!("CREATE DATABASE {}", db.name));
        Some(db)
    }

    fn psql(&self, sql: &str) {
        let out = Command::new("psql")
            .args([&self.admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .expect("psql runs (Debian package postgresql-client)");
        assert!(out.status.success(), "psql {sql}: {}", Run(out));
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

#[test]
fn postgres_import_demo_and_export() {
    let Some(pg) = PgDatabase::create() else {
        eprintln!("VOLTDESK_TEST_PG is not set: the PostgreSQL run is left to CI");
        return;
    };
    let s = Sandbox::new("pg");
    let db = pg.url.as_str();
    s.ok(&["--database", db, "migrate"]);
    s.ok(&["gen", "org", "--out", "org.csv"]);
    s.ok(&["--database", db, "import", "org", "org.csv"]);
    let good = s.gen_customers("good.csv", 1000);
    std::fs::write(s.path("bad.csv"), with_field(&good, 998, "户号", "12ab")).unwrap();
    let r = s.fails(&["--database", db, "import", "customers", "bad.csv"]);
    assert!(r.stderr().contains("line 1000: account_no:"), "{r}");
    let r = s.ok(&["--database", db, "import", "customers", "good.csv"]);
    assert!(
        r.stdout().contains("customers in the database: 1000"),
        "{r}"
    );
    s.ok(&[
        "--database",
        db,
        "user",
        "add",
        "pg.user",
        "--role",
        "analyst",
        "--password",
        "long-enough-1",
    ]);
    assert!(
        s.ok(&["--database", db, "user", "list"])
            .stdout()
            .contains("pg.user")
    );

    let demo = PgDatabase::create().expect("the cluster is still there");
    s.ok(&[
        "demo",
        "--database",
        &demo.url,
        "--customers",
        "300",
        "--no-serve",
    ]);
    s.ok(&[
        "--database",
        &demo.url,
        "export",
        "orders",
        "--out",
        "o.csv",
    ]);
    let (_, rows) = read_csv(&s.path("o.csv"));
    assert!(rows.len() > 251, "{} rows", rows.len());
}

/// Starts `voltdesk serve --listen 127.0.0.1:0 EXTRA…` in the sandbox; answers the child and
/// the URL it printed.
fn serve(s: &Sandbox, extra: &[&str]) -> (std::process::Child, String) {
    let mut child = s
        .command()
        .args([
            "--database",
            &s.database(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    (child, url)
}

/// `curl -sk -i ARGS…`: the whole answer, headers first.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sk", "-i", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn session_cookie_line(answer: &str) -> String {
    answer
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: vd_session=")
        })
        .unwrap_or_else(|| panic!("no session cookie in\n{answer}"))
        .to_string()
}

#[test]
fn serve_speaks_https_with_secure_cookies() {
    let s = Sandbox::new("tls");
    s.with_org();
    s.ok(&[
        "user",
        "add",
        "tls.admin",
        "--role",
        "admin",
        "--password",
        "correct-horse-9",
    ]);
    let made = Command::new("openssl")
        .current_dir(&s.dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    // A key that is not one is refused at start, naming the file.
    let wrong = s.fails(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "cert.pem",
    ]);
    assert!(wrong.stderr().contains("cert.pem"), "{wrong}");

    let (mut child, url) = serve(&s, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
    assert!(url.starts_with("https://"), "{url}");
    let health = curl(&[&format!("{url}api/v1/health")]);
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // Plain HTTP on the TLS port gets no page.
    let plain = curl(&[&url.replacen("https://", "http://", 1)]);
    assert!(!plain.contains("200 OK"), "{plain}");
    let login = curl(&[
        "-d",
        "username=tls.admin&password=correct-horse-9&next=/",
        &format!("{url}login"),
    ]);
    let cookie = session_cookie_line(&login);
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let _ = child.kill();
    let _ = child.wait();

    // Plain HTTP by default: no Secure (a browser would drop it on http://).
    let (mut child, url) = serve(&s, &[]);
    let login = curl(&[
        "-d",
        "username=tls.admin&password=correct-horse-9&next=/",
        &format!("{url}login"),
    ]);
    assert!(!session_cookie_line(&login).contains("Secure"), "{login}");
    let _ = child.kill();
    let _ = child.wait();

    // Behind a proxy that speaks HTTPS: Secure.
    let (mut child, url) = serve(&s, &["--behind-proxy"]);
    let login = curl(&[
        "-d",
        "username=tls.admin&password=correct-horse-9&next=/",
        &format!("{url}login"),
    ]);
    assert!(session_cookie_line(&login).contains("; Secure"), "{login}");
    let _ = child.kill();
    let _ = child.wait();
}
