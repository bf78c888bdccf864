//! The harness: a fresh SQLite store per test, a small seeded county, the contact centre on
//! free ports, and ways to wait for what it writes.
//!
//! SQLite only: what is checked here is the telephony side (SIP, RTP, the IVR, the ACD run
//! live). The records it hands over go through `Service::record_call`, whose queries the
//! service's own tests run on both backends.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use voltdesk_domain::Role;
use voltdesk_domain::call::SipUri;
use voltdesk_domain::import::{customer_rows, org_rows};
use voltdesk_domain::outage::OutageKind;
use voltdesk_service::*;
use voltdesk_store::{CallFilter, TraceRow};
use voltdesk_telephony::engine::CallSummary;
use voltdesk_telephony::{Telephony, TelephonyConfig};

/// One supply station, two transformer areas.
const ORG_CSV: &str = "\
station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ST-CD,城东供电所,G-TOWN,城东镇区网格,F-101,10kV东一线,TA-URBAN,东街1号台区,urban
ST-CD,城东供电所,G-TOWN,城东镇区网格,F-102,10kV东二线,TA-RURAL,李家村台区,rural
";

/// Zhang San's area has a fault outage now.
pub const ZHANG_SAN: &str = "3100000001";
pub const ZHANG_SAN_PHONE: &str = "13812345678";
/// Li Si lives where the power is on.
pub const LI_SI: &str = "3100000002";
pub const LI_SI_PHONE: &str = "13900001111";
/// Wang Wu calls from a number the register does not know and keys this account number.
/// Its digits rise (see `ivr::a_caller_keys_an_account_number`).
pub const WANG_WU: &str = "3456789";
/// A landline no customer has.
pub const UNKNOWN_PHONE: &str = "01088886666";

const CUSTOMERS_CSV: &str = "\
account_no,name,phone,id_number,address,usage_class,area_code
3100000001,张三,13812345678,,城东镇东街1号3单元101室,residential,TA-URBAN
3100000002,李四,13900001111,,城东镇李家村12号,residential,TA-RURAL
3456789,王五,13700002222,,城东镇李家村20号,residential,TA-RURAL
";

/// The repository's configuration files.
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

// ---- ports ----

static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

fn take(port: u16) -> bool {
    TAKEN
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(port)
}

fn udp_free(port: u16) -> bool {
    std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
}

/// A port free for UDP and TCP on loopback, never handed out twice in this process.
pub fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind port 0");
        let port = udp.local_addr().unwrap().port();
        let tcp_free = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        drop(udp);
        if tcp_free && take(port) {
            return port;
        }
    }
}

/// An even port with the three above it free: SIPp's media port (RTP, RTCP, and the
/// "video" pair it also binds).
pub fn free_media_port() -> u16 {
    loop {
        let p = free_port() & !1;
        if !(1024..=65_000).contains(&p) {
            continue;
        }
        if (p..p + 4).all(udp_free) && (p + 1..p + 4).all(take) {
            take(p);
            return p;
        }
    }
}

/// A range of 60 ports for the centre's RTP, distinct for each test of this process (and,
/// likely, from another run's), below the ephemeral ports the other parties get.
fn rtp_range() -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let block = NEXT.fetch_add(1, Ordering::Relaxed) % 50;
    let first = 20_000 + ((std::process::id() % 4) as u16 * 50 + block) * 60;
    (first, first + 59)
}

// ---- the centre ----

/// What a test's centre is made of.
pub struct Setup {
    record: bool,
    trust_loopback: bool,
    trusted_peers: Vec<std::net::IpAddr>,
    trunks: Vec<(String, String)>,
    queues: Option<&'static str>,
    /// Agents and their desk phones' ports.
    agents: Vec<(String, u16)>,
}

impl Setup {
    pub fn new() -> Setup {
        Setup {
            record: false,
            trust_loopback: true,
            trusted_peers: Vec::new(),
            trunks: Vec::new(),
            queues: None,
            agents: Vec::new(),
        }
    }

    /// The door trusts no address: every INVITE without credentials is refused.
    pub fn trust_nobody(mut self) -> Self {
        self.trust_loopback = false;
        self
    }

    /// The door trusts this address only (loopback as a whole is not trusted).
    pub fn trust_only(mut self, ip: &str) -> Self {
        self.trust_loopback = false;
        self.trusted_peers = vec![ip.parse().expect("an IP address")];
        self
    }

    /// A trunk account that may call with digest credentials (user, password).
    pub fn trunk(mut self, user: &str, password: &str) -> Self {
        self.trunks.push((
            user.to_string(),
            voltdesk_telephony::sip::digest::ha1(user, "voltdesk", password),
        ));
        self
    }

    /// Answered calls are recorded into `<temp dir>/recordings`.
    pub fn record_calls(mut self) -> Self {
        self.record = true;
        self
    }

    /// A queues file of the test's own instead of `config/queues.toml`.
    pub fn queues(mut self, toml: &'static str) -> Self {
        self.queues = Some(toml);
        self
    }

    /// An agent whose desk phone is at the static contact `sip:<user>@127.0.0.1:<port>`
    /// (an agent with a softphone joins the running centre: `Centre::add_softphone_agent`).
    pub fn desk_agent(mut self, username: &str, port: u16) -> Self {
        self.agents.push((username.to_string(), port));
        self
    }

    pub async fn start(self) -> Centre {
        // The centre's own warnings (a call record refused, a trace not written) go to
        // stderr even for a passing test; RUST_LOG asks for more.
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| {
            "error,voltdesk_telephony::services=warn,voltdesk_telephony::engine=warn".into()
        });
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init()
            .ok();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("voltdesk.db").display());
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        store.migrate().await.expect("migrate");
        // The real clock: SIP timers, ring timeouts and the ACD's clock all run on it.
        let svc = Service::open(store, std::sync::Arc::new(SystemClock), Policies::bundled())
            .await
            .expect("open service");
        let system = Actor::system();

        let org: Vec<_> = org_rows(ORG_CSV)
            .expect("org header")
            .map(|r| r.map(|(_, row)| row))
            .collect::<std::result::Result<Vec<_>, _>>()
            .expect("org rows");
        svc.import_org(&system, &org).await.expect("import org");
        let station_id = svc.station_by_code("ST-CD").await.expect("station").id;

        let user = |username: &str, role: Role| NewUser {
            username: username.to_string(),
            display_name: username.to_string(),
            role,
            password: "dianli-95598".to_string(),
            station_id: Some(station_id),
            department_id: None,
        };
        let admin = actor_of(
            &svc.add_user(&system, user("admin", Role::Admin))
                .await
                .expect("add admin"),
        );
        let supervisor = actor_of(
            &svc.add_user(&system, user("supervisor", Role::Supervisor))
                .await
                .expect("add supervisor"),
        );

        let mut rows = Vec::new();
        for item in customer_rows(CUSTOMERS_CSV).expect("customer header") {
            rows.push(item.expect("a valid customer row"));
        }
        svc.import_customers(&admin, rows, Vec::new(), false, &|_| {})
            .await
            .expect("import customers");
        let mut customers = HashMap::new();
        for account in [ZHANG_SAN, LI_SI, WANG_WU] {
            let found = svc
                .lookup_customers(&principal(supervisor.clone()), None, Some(account))
                .await
                .expect("lookup");
            customers.insert(account, found[0].id);
        }

        // A fault on Zhang San's transformer area since an hour ago, back in three.
        let now = svc.now();
        svc.register_outage(
            &admin,
            NewOutage {
                external_ref: Some("DMS-T1".into()),
                kind: Some(OutageKind::Fault),
                area_code: Some("TA-URBAN".into()),
                cause: Some("10kV线路故障".into()),
                started_at: Some(now - 3_600_000),
                expected_restore_at: Some(now + 3 * 3_600_000),
                ..NewOutage::default()
            },
        )
        .await
        .expect("register outage");

        let mut agents = HashMap::new();
        for (name, port) in &self.agents {
            let u = svc
                .add_user(&system, user(name, Role::Agent))
                .await
                .expect("add agent");
            let uri =
                SipUri::parse(&format!("sip:{name}@127.0.0.1:{port}")).expect("a desk phone URI");
            svc.set_agent_phone(&admin, u.id, Some(uri))
                .await
                .expect("set desk phone");
            agents.insert(name.clone(), u.id);
        }

        let queues_file = match self.queues {
            Some(text) => {
                let p = dir.path().join("queues.toml");
                std::fs::write(&p, text).unwrap();
                p
            }
            None => repo_file("config/queues.toml"),
        };
        let prompts = dir.path().join("prompts");
        std::fs::create_dir(&prompts).unwrap();
        let sip_port = free_port();
        let rtp_ports = rtp_range();
        let cfg = TelephonyConfig {
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            rtp_ports,
            service_numbers: vec!["95598".into(), "12398".into()],
            trust_loopback: self.trust_loopback,
            trusted_peers: self.trusted_peers.clone(),
            trunks: self.trunks.clone(),
            flow_file: repo_file("config/ivr/95598.toml"),
            queues_file,
            // Empty: every prompt is a half-second tone, which keeps the calls short.
            prompts_dir: prompts,
            recordings: self.record.then(|| {
                let d = dir.path().join("recordings");
                std::fs::create_dir(&d).unwrap();
                d
            }),
        };
        let tel = voltdesk_telephony::start(svc.clone(), cfg)
            .await
            .expect("start the contact centre");
        let summaries = tel.ended_calls();
        Centre {
            svc,
            tel,
            dir,
            rtp_ports,
            supervisor: principal(supervisor),
            agents,
            customers,
            summaries: tokio::sync::Mutex::new(summaries),
        }
    }
}

fn principal(actor: Actor) -> Principal {
    Principal {
        actor,
        scopes: None,
    }
}

/// A running contact centre on its own store.
pub struct Centre {
    pub svc: Service,
    pub tel: Telephony,
    pub dir: tempfile::TempDir,
    /// The centre's RTP port range.
    pub rtp_ports: (u16, u16),
    supervisor: Principal,
    agents: HashMap<String, i64>,
    customers: HashMap<&'static str, i64>,
    summaries: tokio::sync::Mutex<tokio::sync::broadcast::Receiver<CallSummary>>,
}

impl Drop for Centre {
    fn drop(&mut self) {
        self.tel.stop();
    }
}

/// Polls `f` every 50 ms until it gives `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Centre {
    pub fn sip(&self) -> SocketAddr {
        self.tel.local_addr()
    }

    pub fn agent(&self, username: &str) -> i64 {
        self.agents[username]
    }

    pub fn customer(&self, account: &str) -> i64 {
        self.customers[account]
    }

    /// Adds an agent with a SIP password to the running centre, as an administrator does.
    pub async fn add_softphone_agent(&mut self, username: &str, password: &str) -> i64 {
        let system = Actor::system();
        let station_id = self.svc.station_by_code("ST-CD").await.expect("station").id;
        let u = self
            .svc
            .add_user(
                &system,
                NewUser {
                    username: username.to_string(),
                    display_name: username.to_string(),
                    role: Role::Agent,
                    password: "dianli-95598".to_string(),
                    station_id: Some(station_id),
                    department_id: None,
                },
            )
            .await
            .expect("add agent");
        let admin = actor_of(
            &self
                .svc
                .store()
                .user_by_name("admin")
                .await
                .expect("admin")
                .expect("the seeded admin"),
        );
        self.svc
            .set_sip_password(&admin, u.id, password)
            .await
            .expect("set SIP password");
        self.agents.insert(username.to_string(), u.id);
        u.id
    }

    /// Makes an agent ready, as the agent's page does; waits for the centre to know the
    /// agent's phone (it reads the directory as it starts).
    pub async fn ready(&self, username: &str) {
        let id = self.agent(username);
        let board = self.svc.switchboard();
        let now = self.svc.now();
        let last = std::sync::Mutex::new(String::new());
        let what = format!("{username} ready");
        let what = &what;
        let got = tokio::time::timeout(
            Duration::from_secs(10),
            eventually(what, 10, || {
                let r = board.set_agent_state(id, AgentWant::Ready, now);
                if let Err(e) = &r {
                    *last.lock().unwrap() = e.clone();
                }
                async move { r.ok() }
            }),
        )
        .await;
        assert!(got.is_ok(), "{what}: {}", last.lock().unwrap());
    }

    /// The call records once there are `n`, oldest first.
    pub async fn calls(&self, n: usize) -> Vec<CallView> {
        let f = CallFilter {
            limit: 100,
            ..CallFilter::default()
        };
        let mut calls = eventually(&format!("{n} call records"), 30, || async {
            let (calls, _) = self.svc.calls(&self.supervisor, &f).await.expect("calls");
            (calls.len() >= n).then_some(calls)
        })
        .await;
        calls.reverse();
        calls
    }

    /// The one call record of a test's single call.
    pub async fn call(&self) -> CallView {
        let mut calls = self.calls(1).await;
        assert_eq!(calls.len(), 1, "{calls:#?}");
        calls.remove(0)
    }

    /// The engine's own summary of the next call that ends (with the relay counters).
    pub async fn summary(&self) -> CallSummary {
        let mut rx = self.summaries.lock().await;
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("a call ended in time")
            .expect("the centre runs")
    }

    /// Trace events of kinds starting with `prefix`, oldest first.
    pub async fn traces(&self, prefix: &str) -> Vec<TraceRow> {
        let mut rows = self
            .svc
            .audit_trail(Some(prefix), None, 1000)
            .await
            .expect("trace");
        rows.reverse();
        rows
    }

    /// Waits until at least `n` trace events of `prefix` were written.
    pub async fn wait_traces(&self, prefix: &str, n: usize) -> Vec<TraceRow> {
        eventually(&format!("{n} {prefix} events"), 15, || async {
            let rows = self.traces(prefix).await;
            (rows.len() >= n).then_some(rows)
        })
        .await
    }

    /// What the switchboard decided, oldest first, once `done` holds for it.
    pub async fn acd_events(
        &self,
        done: impl Fn(&[voltdesk_domain::acd::AcdEvent]) -> bool,
    ) -> Vec<voltdesk_domain::acd::AcdEvent> {
        use voltdesk_domain::trace::TraceEvent;
        eventually("the ACD's events", 15, || async {
            let events: Vec<_> = self
                .traces("acd.event")
                .await
                .iter()
                .filter_map(|t| match t.event() {
                    TraceEvent::AcdDecision(e) => Some(e),
                    _ => None,
                })
                .collect();
            done(&events).then_some(events)
        })
        .await
    }

    /// Every dialog the SIP stack opened is gone again.
    pub async fn no_open_dialogs(&self) {
        eventually("no open dialogs", 10, || async {
            (self.tel.sip.open_dialogs() == 0).then_some(())
        })
        .await;
    }
}

/// The nodes of a record's IVR path, in order.
pub fn nodes(call: &CallView) -> Vec<&str> {
    call.ivr_path.iter().map(|s| s.node.as_str()).collect()
}

/// The keys pressed at `node`, as recorded.
pub fn keyed_at<'a>(call: &'a CallView, node: &str) -> Vec<&'a str> {
    call.ivr_path
        .iter()
        .filter(|s| s.node == node)
        .filter_map(|s| s.digits.as_deref())
        .collect()
}
