//! The harness: a fresh database per test (SQLite in a temp dir; PostgreSQL too when
//! `VOLTDESK_TEST_PG` is set), a clock that only moves when a test moves it, and a small
//! seeded utility: one supply station, two grids, two feeders, three transformer areas
//! (urban, rural, remote), one user per role and one customer per area.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::TimeZone;
use voltdesk_domain::import::{CustomerRow as ImportRow, RowError, customer_rows, org_rows};
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::{CustomerFilter, OrderFilter};

/// Generates, for each `async fn case(app: TestApp)`, a module `case` with two tests:
/// `case::sqlite` and `case::postgres`. The PostgreSQL one returns early, with a note, when
/// `VOLTDESK_TEST_PG` is unset. `builder = EXPR;` first seeds the app differently.
macro_rules! on_both_backends {
    (builder = $builder:expr; $($case:ident),+ $(,)?) => {
        $( on_both_backends!(@one $case, $builder); )+
    };
    ($($case:ident),+ $(,)?) => {
        $( on_both_backends!(@one $case, $crate::support::TestApp::builder()); )+
    };
    (@one $case:ident, $builder:expr) => {
        mod $case {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (app, db) = $builder.sqlite().await;
                super::$case(app).await;
                db.remove().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some((app, db)) = $builder.postgres().await else {
                    eprintln!("note: VOLTDESK_TEST_PG is unset; skipped the PostgreSQL run");
                    return;
                };
                super::$case(app).await;
                db.remove().await;
            }
        }
    };
}

pub const MINUTE: i64 = MINUTE_MS;
pub const HOUR: i64 = HOUR_MS;
pub const DAY: i64 = DAY_MS;

/// Every seeded user's password.
pub const PASSWORD: &str = "dianli-95598";

/// An instant given as Beijing wall time (UTC+8, no daylight saving).
pub fn beijing(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Millis {
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("UTC+8")
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a valid Beijing time")
        .timestamp_millis()
}

/// Where every test starts: Friday 2026-11-20 10:00 in Beijing.
pub fn friday_morning() -> Millis {
    beijing(2026, 11, 20, 10, 0)
}

pub const STATION: &str = "ST-CD";
pub const URBAN_AREA: &str = "TA-URBAN";
pub const RURAL_AREA: &str = "TA-RURAL";
pub const REMOTE_AREA: &str = "TA-REMOTE";

/// The organisation as the marketing system exports it: one row per transformer area.
pub const ORG_CSV: &str = "\
station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ST-CD,城东供电所,G-TOWN,城东镇区网格,F-101,10kV东一线,TA-URBAN,东街1号台区,urban
ST-CD,城东供电所,G-TOWN,城东镇区网格,F-102,10kV东二线,TA-RURAL,李家村台区,rural
ST-CD,城东供电所,G-HILL,山区网格,F-102,10kV东二线,TA-REMOTE,高山村台区,remote
";

/// Zhang San in town, Li Si in the village, Wang Wu up the hill.
pub const ZHANG_SAN: &str = "3100000001";
pub const LI_SI: &str = "3100000002";
pub const WANG_WU: &str = "3100000003";

pub const CUSTOMERS_CSV: &str = "\
account_no,name,phone,id_number,address,usage_class,area_code
3100000001,张三,13812345678,11010519491231002X,城东镇东街1号3单元101室,residential,TA-URBAN
3100000002,李四,13900001111,,城东镇李家村12号,residential,TA-RURAL
3100000003,王五,13700002222,,城东镇高山村3组8号,residential,TA-REMOTE
";

/// Parses a customer file the way the CLI and the web upload do: good rows and bad lines.
pub fn parse_customers(csv: &str) -> (Vec<(u64, ImportRow)>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for item in customer_rows(csv).expect("the header is valid") {
        match item {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

/// How a test's app is seeded.
#[derive(Clone, Copy)]
pub struct Builder {
    customers: bool,
}

impl Builder {
    /// An organisation and users, but an empty customer register.
    pub fn without_customers(mut self) -> Self {
        self.customers = false;
        self
    }

    pub async fn sqlite(self) -> (TestApp, Db) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("voltdesk.db").display());
        let app = TestApp::start(self, url, Some(dir)).await;
        (app, Db { postgres: None })
    }

    /// `None` when `VOLTDESK_TEST_PG` is unset; otherwise a fresh database on that server.
    pub async fn postgres(self) -> Option<(TestApp, Db)> {
        let admin_url = std::env::var("VOLTDESK_TEST_PG")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = fresh_db_name();
        admin_sql(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let url = with_database(&admin_url, &name);
        let app = TestApp::start(self, url, None).await;
        Some((
            app,
            Db {
                postgres: Some((admin_url, name)),
            },
        ))
    }
}

/// The database of one test, dropped after the test passes (a failed test leaves its
/// PostgreSQL database behind to look at; the SQLite temp dir goes with the app).
pub struct Db {
    postgres: Option<(String, String)>,
}

impl Db {
    pub async fn remove(self) {
        if let Some((admin_url, name)) = self.postgres {
            admin_sql(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

fn fresh_db_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "vd_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The same server URL with another database name.
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

async fn admin_sql(admin_url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("VOLTDESK_TEST_PG={admin_url}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// A running service on its own database, with the seeded organisation's ids at hand.
pub struct TestApp {
    pub svc: Service,
    pub clock: Arc<ManualClock>,
    url: String,
    _dir: Option<tempfile::TempDir>,
    pub station_id: i64,
    areas: HashMap<String, i64>,
    departments: HashMap<DepartmentKind, i64>,
    users: HashMap<Role, Actor>,
    customers: HashMap<String, i64>,
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder { customers: true }
    }

    async fn start(b: Builder, url: String, dir: Option<tempfile::TempDir>) -> TestApp {
        let clock = ManualClock::new(friday_morning());
        let svc = open_service(&url, clock.clone()).await;
        let admin = Actor::system();

        let org: Vec<_> = org_rows(ORG_CSV)
            .expect("org header")
            .map(|r| r.map(|(_, row)| row))
            .collect::<std::result::Result<Vec<_>, _>>()
            .expect("org rows");
        svc.import_org(&admin, &org).await.expect("import org");
        let station_id = svc.station_by_code(STATION).await.expect("station").id;
        let departments = svc
            .departments(Some(station_id))
            .await
            .expect("departments")
            .into_iter()
            .map(|d| (d.kind, d.id))
            .collect();
        let areas = svc
            .areas(None, 100, 0)
            .await
            .expect("areas")
            .0
            .into_iter()
            .map(|a| (a.code, a.id))
            .collect();

        let mut users = HashMap::new();
        for role in Role::ALL {
            let u = svc
                .add_user(
                    &admin,
                    NewUser {
                        username: role.code().to_string(),
                        display_name: role.zh().to_string(),
                        role: *role,
                        password: PASSWORD.to_string(),
                        station_id: Some(station_id),
                        department_id: None,
                    },
                )
                .await
                .expect("add user");
            users.insert(*role, actor_of(&u));
        }

        let mut customers = HashMap::new();
        if b.customers {
            let (rows, errors) = parse_customers(CUSTOMERS_CSV);
            svc.import_customers(&admin, rows, errors, false, &|_| {})
                .await
                .expect("import customers");
            for account in [ZHANG_SAN, LI_SI, WANG_WU] {
                let c = svc
                    .lookup_customers(&principal(users[&Role::Agent].clone()), None, Some(account))
                    .await
                    .expect("lookup");
                customers.insert(account.to_string(), c[0].id);
            }
        }

        TestApp {
            svc,
            clock,
            url,
            _dir: dir,
            station_id,
            areas,
            departments,
            users,
            customers,
        }
    }

    /// Closes the store and opens a new store and service on the same database, as a
    /// restarted server does. The clock carries on where it was.
    pub async fn restart(self) -> TestApp {
        self.svc.store().close().await;
        let svc = open_service(&self.url, self.clock.clone()).await;
        TestApp { svc, ..self }
    }

    // ---- the seeded world ----

    pub fn actor(&self, role: Role) -> Actor {
        self.users[&role].clone()
    }

    /// A signed-in user of `role` (a session: no token scopes).
    pub fn principal(&self, role: Role) -> Principal {
        principal(self.actor(role))
    }

    pub fn user_id(&self, role: Role) -> i64 {
        self.users[&role].user_id.expect("a seeded user")
    }

    pub fn department(&self, kind: DepartmentKind) -> i64 {
        self.departments[&kind]
    }

    pub fn area(&self, code: &str) -> i64 {
        self.areas[code]
    }

    pub fn customer(&self, account_no: &str) -> i64 {
        *self
            .customers
            .get(account_no)
            .unwrap_or_else(|| panic!("customer {account_no} is not seeded"))
    }

    // ---- time ----

    pub fn now(&self) -> Millis {
        self.svc.now()
    }

    pub fn set_time(&self, at: Millis) {
        self.clock.set(at);
    }

    pub fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }

    // ---- orders ----

    /// An agent takes the contact and opens an order; it must be new, not a replay.
    pub async fn open(&self, n: NewOrder) -> OrderView {
        let (view, replayed) = self
            .svc
            .create_order(
                &self.actor(Role::Agent),
                n.parse().expect("a valid contact"),
            )
            .await
            .expect("create order");
        assert!(!replayed, "a fresh contact must not be a replay");
        view
    }

    pub async fn act(&self, role: Role, id: i64, cmd: Command) -> Result<OrderView> {
        self.svc.act(&self.actor(role), id, cmd).await
    }

    /// Like `act`, for steps a test expects to succeed.
    pub async fn step(&self, role: Role, id: i64, cmd: Command) -> OrderView {
        let what = format!("{cmd:?}");
        self.act(role, id, cmd)
            .await
            .unwrap_or_else(|e| panic!("{what} by {role}: {e:?}"))
    }

    pub async fn order(&self, id: i64) -> OrderView {
        self.svc.order(id).await.expect("order")
    }

    /// The kinds of the order's trace events, oldest first.
    pub async fn trace_kinds(&self, id: i64) -> Vec<String> {
        self.svc
            .order_trace(id)
            .await
            .expect("order trace")
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    pub async fn order_count(&self) -> i64 {
        self.svc
            .orders(&OrderFilter {
                limit: 1,
                ..OrderFilter::default()
            })
            .await
            .expect("orders")
            .1
    }

    pub async fn customer_count(&self) -> i64 {
        self.svc
            .customers(&CustomerFilter {
                limit: 1,
                ..CustomerFilter::default()
            })
            .await
            .expect("customers")
            .1
    }
}

fn principal(actor: Actor) -> Principal {
    Principal {
        actor,
        scopes: None,
    }
}

async fn open_service(url: &str, clock: Arc<ManualClock>) -> Service {
    let store = Store::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    store.migrate().await.expect("migrate");
    Service::open(store, clock, Policies::bundled())
        .await
        .expect("open service")
}

// ---- contacts as they come in ----

/// A customer calls 95598: no power at home.
pub fn outage_call(customer_id: i64) -> NewOrder {
    NewOrder {
        customer_id: Some(customer_id),
        order_type: Some(OrderType::Repair),
        channel: Some(Channel::Hotline95598),
        title: Some("家中停电".into()),
        description: Some("整栋楼没电，邻居家也停了".into()),
        ..NewOrder::default()
    }
}

/// A customer calls 95598 to complain about `subject`.
pub fn complaint_call(customer_id: i64, subject: SubjectArea) -> NewOrder {
    NewOrder {
        customer_id: Some(customer_id),
        order_type: Some(OrderType::Complaint),
        channel: Some(Channel::Hotline95598),
        subject: Some(subject),
        title: Some("投诉".into()),
        description: Some("客户对处理结果不满".into()),
        ..NewOrder::default()
    }
}

/// A customer has paid the arrears and asks for the power back.
pub fn reconnect_request(customer_id: i64) -> NewOrder {
    NewOrder {
        customer_id: Some(customer_id),
        order_type: Some(OrderType::ServiceRequest),
        service_kind: Some(ServiceKind::Reconnect),
        channel: Some(Channel::App),
        title: Some("欠费已缴清，申请复电".into()),
        ..NewOrder::default()
    }
}

// ---- reading clocks ----

/// The order's only clock of `kind`.
pub fn clock(view: &OrderView, kind: ClockKind) -> ClockDetail {
    let mut of_kind = clocks(view, kind);
    assert_eq!(
        of_kind.len(),
        1,
        "expected one {kind} clock on order {}",
        view.order.id
    );
    of_kind.remove(0)
}

/// The order's clocks of `kind`, oldest first.
pub fn clocks(view: &OrderView, kind: ClockKind) -> Vec<ClockDetail> {
    view.clocks
        .iter()
        .map(|c| c.clock.clone())
        .filter(|c| c.kind == kind)
        .collect()
}
