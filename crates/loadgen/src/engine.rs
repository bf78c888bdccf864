//! The run: virtual clients in a loop, sharing stop conditions, each with its own
//! connection and histograms, merged at the end.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use reqwest::{StatusCode, Url};
use serde_json::Value;
use tokio::task::JoinSet;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until};

use crate::config::{LoadConfig, LookupBy, Scenario};
use crate::keys::{idempotency_key, new_run_id};
use crate::pages::{PagesPlan, sign_in_all, today_at};
use crate::report::{
    Ack, ErrorCounts, LatencySummary, OpReport, Report, StopReason, new_histogram,
};
use crate::target::{base_string, check_loopback_url, http_client};
use crate::workload::{Rng, client_seed, customer_id, order_body, order_id, order_list_query};

/// How long a client waits after a refused connection before it tries again, so a dead
/// server is not hammered in a tight loop.
const CONNECT_BACKOFF: Duration = Duration::from_millis(50);

/// Runs the load described by `cfg` and reports what it measured.
///
/// Stops when `cfg.duration` has passed, when `cfg.max_requests` requests have been issued,
/// or when every connection attempt has been refused for `cfg.unreachable_after` (the
/// server is down: [`StopReason::ServerUnreachable`]). Requests in flight at the stop are
/// finished (each is bounded by `cfg.request_timeout`). Fails before sending anything if
/// the config is invalid or the URL is not loopback, and fails the run if the ack log
/// cannot be written.
pub async fn run(cfg: LoadConfig) -> anyhow::Result<Report> {
    cfg.validate()?;
    let base = base_string(&check_loopback_url(&cfg.url)?);
    let run_id = cfg.run_id.clone().unwrap_or_else(new_run_id);
    let ack_log = match &cfg.ack_log {
        Some(path) => Some(Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open ack log {}", path.display()))?,
        )),
        None => None,
    };
    // Pages are read signed in: one session per role, before the clock starts.
    let sessions = match &cfg.scenario {
        Scenario::Pages(plan) => sign_in_all(&base, plan, cfg.request_timeout).await?,
        _ => HashMap::new(),
    };
    let start = Instant::now();
    let shared = Arc::new(Shared {
        base,
        run_id: run_id.clone(),
        start,
        deadline: start + cfg.duration,
        issued: AtomicU64::new(0),
        stop_reason: AtomicU8::new(RUNNING),
        unreachable_since_us: AtomicU64::new(0),
        ack_log,
        sessions,
        cfg,
    });

    let mut clients = JoinSet::new();
    for idx in 0..shared.cfg.clients {
        let client = VirtualClient::new(idx, Arc::clone(&shared))?;
        clients.spawn(client.run());
    }
    let mut total = ClientStats::default();
    let mut failure = None;
    while let Some(joined) = clients.join_next().await {
        match joined {
            Ok(Ok(stats)) => total.merge(stats)?,
            Ok(Err(e)) => {
                shared.stop(ABORTED);
                failure.get_or_insert(e);
            }
            Err(e) => {
                shared.stop(ABORTED);
                failure.get_or_insert(anyhow::Error::new(e).context("a load client panicked"));
            }
        }
    }
    let elapsed = start.elapsed();
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(total.into_report(&shared, run_id, elapsed))
}

const RUNNING: u8 = 0;
const ABORTED: u8 = 4;

fn stop_code(reason: StopReason) -> u8 {
    match reason {
        StopReason::Duration => 1,
        StopReason::MaxRequests => 2,
        StopReason::ServerUnreachable => 3,
    }
}

/// What all clients share: the target, the stop conditions, the ack log.
struct Shared {
    cfg: LoadConfig,
    base: String,
    run_id: String,
    start: Instant,
    deadline: Instant,
    issued: AtomicU64,
    /// `RUNNING`, a `stop_code`, or `ABORTED`; the first stop wins.
    stop_reason: AtomicU8,
    /// Microseconds since `start` (plus one, so 0 means "reachable") of the first refused
    /// connection since the last answer.
    unreachable_since_us: AtomicU64,
    ack_log: Option<Mutex<File>>,
    /// Pages: the session cookie (`vd_session=..`) per user key.
    sessions: HashMap<String, String>,
}

impl Shared {
    fn stop(&self, code: u8) {
        let _ =
            self.stop_reason
                .compare_exchange(RUNNING, code, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn reason(&self) -> StopReason {
        match self.stop_reason.load(Ordering::SeqCst) {
            2 => StopReason::MaxRequests,
            3 => StopReason::ServerUnreachable,
            _ => StopReason::Duration,
        }
    }

    fn since_start_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX - 1) + 1
    }

    /// True once the run should stop; notices the deadline and a server that stayed down.
    fn stopped(&self) -> bool {
        if self.stop_reason.load(Ordering::SeqCst) != RUNNING {
            return true;
        }
        if Instant::now() >= self.deadline {
            self.stop(stop_code(StopReason::Duration));
            return true;
        }
        let since = self.unreachable_since_us.load(Ordering::SeqCst);
        if since != 0 {
            let down_for = Duration::from_micros(self.since_start_us().saturating_sub(since));
            if down_for >= self.cfg.unreachable_after {
                self.stop(stop_code(StopReason::ServerUnreachable));
                return true;
            }
        }
        false
    }

    /// Takes one request from the `max_requests` budget.
    fn claim(&self) -> bool {
        let n = self.issued.fetch_add(1, Ordering::SeqCst);
        match self.cfg.max_requests {
            Some(max) if n >= max => {
                self.stop(stop_code(StopReason::MaxRequests));
                false
            }
            _ => true,
        }
    }

    fn connect_refused(&self) {
        let now = self.since_start_us();
        let _ =
            self.unreachable_since_us
                .compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn answered(&self) {
        if self.unreachable_since_us.load(Ordering::Relaxed) != 0 {
            self.unreachable_since_us.store(0, Ordering::SeqCst);
        }
    }

    /// Appends `key,id` to the ack log in one write, so the line is in the file (the OS's
    /// page cache) before the next request: a crash of the server cannot lose it.
    fn log_ack(&self, ack: &Ack) -> anyhow::Result<()> {
        if let Some(log) = &self.ack_log {
            let line = format!("{},{}\n", ack.key, ack.id);
            let mut file = log
                .lock()
                .map_err(|_| anyhow::anyhow!("ack log lock poisoned"))?;
            file.write_all(line.as_bytes())
                .context("cannot append to the ack log")?;
        }
        Ok(())
    }
}

/// Counters and latencies of one kind of request, kept per client (no sharing while the
/// run goes) and merged at the end.
struct OpStats {
    hist: Histogram<u64>,
    count: u64,
    ok: u64,
    errors: ErrorCounts,
    /// A breakdown of another op (the same requests again, e.g. by length typed): reported,
    /// but not added to the run's totals.
    breakdown: bool,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            hist: new_histogram(),
            count: 0,
            ok: 0,
            errors: ErrorCounts::default(),
            breakdown: false,
        }
    }
}

#[derive(Default)]
struct ClientStats {
    ops: BTreeMap<String, OpStats>,
    acks: Vec<Ack>,
    replayed: u64,
}

impl ClientStats {
    fn op(&mut self, name: &str) -> &mut OpStats {
        self.ops.entry(name.to_owned()).or_default()
    }

    fn merge(&mut self, other: ClientStats) -> anyhow::Result<()> {
        for (name, theirs) in other.ops {
            let ours = self.op(&name);
            ours.hist
                .add(&theirs.hist)
                .context("merging latency histograms")?;
            ours.count += theirs.count;
            ours.ok += theirs.ok;
            ours.errors.add(&theirs.errors);
            ours.breakdown |= theirs.breakdown;
        }
        self.acks.extend(other.acks);
        self.replayed += other.replayed;
        Ok(())
    }

    fn into_report(self, shared: &Shared, run_id: String, elapsed: Duration) -> Report {
        let mut all = new_histogram();
        let mut errors = ErrorCounts::default();
        let (mut count, mut ok) = (0, 0);
        let mut ops = BTreeMap::new();
        for (name, op) in &self.ops {
            if !op.breakdown {
                // Same bounds everywhere, so adding cannot fail.
                let _ = all.add(&op.hist);
                errors.add(&op.errors);
                count += op.count;
                ok += op.ok;
            }
            ops.insert(
                name.clone(),
                OpReport {
                    count: op.count,
                    ok: op.ok,
                    errors: op.errors,
                    latency: LatencySummary::from_histogram(&op.hist),
                },
            );
        }
        let secs = elapsed.as_secs_f64();
        Report {
            run_id,
            scenario: shared.cfg.scenario.name(),
            clients: shared.cfg.clients,
            rate_limit: shared.cfg.rate_limit,
            stop_reason: shared.reason(),
            count,
            ok,
            errors,
            elapsed,
            throughput: if secs > 0.0 { ok as f64 / secs } else { 0.0 },
            latency: LatencySummary::from_histogram(&all),
            ops,
            acked: self.acks.len() as u64,
            replayed: self.replayed,
            acks: self.acks,
        }
    }
}

/// Why a request failed, for the error counts.
#[derive(Clone, Copy)]
enum Failure {
    Connect,
    Timeout,
    Transport,
    Status4xx,
    Status5xx,
    BadResponse,
}

impl Failure {
    fn count(self, e: &mut ErrorCounts) {
        match self {
            Failure::Connect => e.connect += 1,
            Failure::Timeout => e.timeout += 1,
            Failure::Transport => e.transport += 1,
            Failure::Status4xx => e.status_4xx += 1,
            Failure::Status5xx => e.status_5xx += 1,
            Failure::BadResponse => e.bad_response += 1,
        }
    }
}

/// The outcome of one request.
enum Sent {
    /// An HTTP answer (error statuses already counted).
    Answer { status: StatusCode, body: Value },
    /// No usable answer (already counted).
    Failed,
    /// Not sent: the run is over.
    Stopped,
}

struct VirtualClient {
    idx: usize,
    http: reqwest::Client,
    shared: Arc<Shared>,
    rng: Rng,
    pacer: Option<Interval>,
    seq: u64,
    /// Pages: position in the round-robin mix.
    cursor: u64,
    stats: ClientStats,
}

impl VirtualClient {
    fn new(idx: usize, shared: Arc<Shared>) -> anyhow::Result<Self> {
        let http = http_client(shared.cfg.request_timeout)?;
        let pacer = shared.cfg.rate_limit.map(|rate| {
            // Each client sends its share of the rate; starts are staggered over one period
            // so the clients do not fire in lockstep.
            let clients = shared.cfg.clients as f64;
            let period = Duration::from_secs_f64(clients / rate).max(Duration::from_micros(1));
            let offset = period.mul_f64(idx as f64 / clients);
            let mut pacer = interval_at(shared.start + offset, period);
            pacer.set_missed_tick_behavior(MissedTickBehavior::Skip);
            pacer
        });
        Ok(VirtualClient {
            idx,
            http,
            rng: Rng::new(client_seed(&shared.run_id, idx)),
            shared,
            pacer,
            seq: 0,
            cursor: idx as u64,
            stats: ClientStats::default(),
        })
    }

    async fn run(mut self) -> anyhow::Result<ClientStats> {
        let shared = Arc::clone(&self.shared);
        while !shared.stopped() {
            match &shared.cfg.scenario {
                Scenario::Intake => self.intake().await?,
                Scenario::Lookup {
                    by,
                    phone_range,
                    customer_id_range,
                    trace_limit,
                } => {
                    self.lookup(*by, *phone_range, *customer_id_range, *trace_limit)
                        .await
                }
                Scenario::OrderList {
                    stations,
                    status,
                    per_page,
                    max_page,
                } => {
                    self.order_list(stations, status, *per_page, *max_page)
                        .await?
                }
                Scenario::Pages(plan) => self.pages(plan).await?,
            }
            self.seq += 1;
        }
        Ok(self.stats)
    }

    /// Sends one API request (bearer token) and parses its JSON answer.
    async fn send(&mut self, op: &str, req: reqwest::RequestBuilder) -> Sent {
        self.send_raw(&[op], req, true).await
    }

    /// Sends one request (paced, within the budget), times it to the end of its body and
    /// counts its outcome under each of `ops`: the first is the request's own, any others
    /// are breakdowns, not added to the totals again. An `api` request carries the token and its
    /// 2xx answer must be JSON; otherwise the body is read and dropped (`Value::Null`).
    async fn send_raw(&mut self, ops: &[&str], req: reqwest::RequestBuilder, api: bool) -> Sent {
        let shared = Arc::clone(&self.shared);
        if shared.stopped() {
            return Sent::Stopped;
        }
        if let Some(pacer) = &mut self.pacer {
            tokio::select! {
                _ = pacer.tick() => {}
                _ = sleep_until(shared.deadline) => {}
            }
            if shared.stopped() {
                return Sent::Stopped;
            }
        }
        if !shared.claim() {
            return Sent::Stopped;
        }
        let req = if api {
            req.bearer_auth(&shared.cfg.token)
        } else {
            req
        };
        let t0 = Instant::now();
        let result = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.bytes().await.map(|body| (status, body))
            }
            Err(e) => Err(e),
        };
        let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        let error = match &result {
            Ok((status, _)) if status.is_client_error() => Some(Failure::Status4xx),
            Ok((status, _)) if status.is_server_error() => Some(Failure::Status5xx),
            Ok((status, _)) if !status.is_success() => Some(Failure::BadResponse),
            Ok(_) => None,
            Err(e) if e.is_connect() => Some(Failure::Connect),
            Err(e) if e.is_timeout() => Some(Failure::Timeout),
            Err(_) => Some(Failure::Transport),
        };
        for (i, op) in ops.iter().enumerate() {
            let stats = self.stats.op(op);
            stats.breakdown = i > 0;
            stats.count += 1;
            if result.is_ok() {
                stats.hist.saturating_record(micros.max(1));
            }
            if let Some(f) = error {
                f.count(&mut stats.errors);
            }
        }
        match result {
            Ok((status, body)) => {
                shared.answered();
                if !status.is_success() {
                    return Sent::Failed;
                }
                if !api {
                    return Sent::Answer {
                        status,
                        body: Value::Null,
                    };
                }
                match serde_json::from_slice(&body) {
                    Ok(body) => Sent::Answer { status, body },
                    Err(_) => {
                        for op in ops {
                            self.stats.op(op).errors.bad_response += 1;
                        }
                        Sent::Failed
                    }
                }
            }
            Err(e) if e.is_connect() => {
                shared.connect_refused();
                sleep_until((Instant::now() + CONNECT_BACKOFF).min(shared.deadline)).await;
                Sent::Failed
            }
            Err(_) => Sent::Failed,
        }
    }

    /// Counts a 2xx answer as ok, or as a bad response if it lacks what the API promises.
    fn judge(&mut self, op: &str, valid: bool) {
        let stats = self.stats.op(op);
        if valid {
            stats.ok += 1;
        } else {
            stats.errors.bad_response += 1;
        }
    }

    async fn intake(&mut self) -> anyhow::Result<()> {
        const OP: &str = "create_order";
        let key = idempotency_key(&self.shared.run_id, self.idx, self.seq);
        let body = order_body(&mut self.rng, &key, self.shared.cfg.account_range);
        let req = self
            .http
            .post(format!("{}/api/v1/work-orders", self.shared.base))
            .header("Idempotency-Key", &key)
            .json(&body);
        if let Sent::Answer { status, body } = self.send(OP, req).await {
            let created = status == StatusCode::CREATED;
            let replayed = status == StatusCode::OK;
            match order_id(&body) {
                Some(id) if created || replayed => {
                    let ack = Ack { key, id };
                    self.shared.log_ack(&ack)?;
                    self.stats.acks.push(ack);
                    if replayed {
                        self.stats.replayed += 1;
                    }
                    self.judge(OP, true);
                }
                _ => self.judge(OP, false),
            }
        }
        Ok(())
    }

    async fn lookup(
        &mut self,
        by: LookupBy,
        phone_range: Option<(u64, u64)>,
        customer_id_range: Option<(u64, u64)>,
        trace_limit: Option<u32>,
    ) {
        let by_phone = match by {
            LookupBy::Phone => true,
            LookupBy::Account => false,
            LookupBy::Alternate => self.seq.is_multiple_of(2),
        };
        // validate() made sure the range for the chosen key is there.
        let (op, param, range) = if by_phone {
            ("lookup_phone", "phone", phone_range)
        } else {
            (
                "lookup_account",
                "account_no",
                self.shared.cfg.account_range,
            )
        };
        let Some(range) = range else { return };
        let value = self.rng.in_range(range);
        let url = format!(
            "{}/api/v1/customers/lookup?{param}={value}",
            self.shared.base
        );
        let found = match self.send(op, self.http.get(url)).await {
            Sent::Answer { body, .. } => {
                self.judge(op, true);
                customer_id(&body)
            }
            Sent::Failed => None,
            Sent::Stopped => return,
        };
        let Some(limit) = trace_limit else { return };
        let id = found.or_else(|| {
            customer_id_range.map(|r| i64::try_from(self.rng.in_range(r)).unwrap_or(i64::MAX))
        });
        if let Some(id) = id {
            const OP: &str = "customer_trace";
            let url = format!(
                "{}/api/v1/customers/{id}/trace?limit={limit}",
                self.shared.base
            );
            if let Sent::Answer { .. } = self.send(OP, self.http.get(url)).await {
                self.judge(OP, true);
            }
        }
    }

    async fn order_list(
        &mut self,
        stations: &[String],
        status: &str,
        per_page: u32,
        max_page: u32,
    ) -> anyhow::Result<()> {
        const OP: &str = "list_orders";
        let station = &stations[(self.rng.next_u64() % stations.len() as u64) as usize];
        let page = self.rng.in_range((1, u64::from(max_page)));
        let page = u32::try_from(page).unwrap_or(max_page);
        let mut url = Url::parse(&format!("{}/api/v1/work-orders", self.shared.base))
            .context("building the order list URL")?;
        url.query_pairs_mut()
            .extend_pairs(order_list_query(station, status, per_page, page));
        if let Sent::Answer { body, .. } = self.send(OP, self.http.get(url)).await {
            let valid = body.get("items").is_some_and(Value::is_array)
                && body.get("total").is_some_and(Value::is_u64);
            self.judge(OP, valid);
        }
        Ok(())
    }

    /// One page, or one search as you type: the text typed one character at a time, a
    /// request per keystroke, each after the answer to the one before (as a browser whose
    /// search box replaces the request in flight would, with no typing pause).
    async fn pages(&mut self, plan: &PagesPlan) -> anyhow::Result<()> {
        let page = plan.pick(&mut self.rng, &mut self.cursor);
        let cookie = self
            .shared
            .sessions
            .get(&page.user)
            .with_context(|| format!("no session for {}", page.user))?
            .clone();
        let today = today_at(plan.params.utc_offset_minutes);
        if !page.url.is_typing() {
            let path = page.url.expand(&plan.params, &mut self.rng, today, None)?;
            self.get_page(&[&page.name], &path, &cookie).await;
            return Ok(());
        }
        let text = plan.params.typing_text(&mut self.rng)?;
        let mut typed = String::new();
        for (n, c) in text.chars().enumerate() {
            typed.push(c);
            let path = page
                .url
                .expand(&plan.params, &mut self.rng, today, Some(&typed))?;
            let by_length = format!("{}/{:02}", page.name, n + 1);
            let ops: &[&str] = if plan.by_length {
                &[&page.name, &by_length]
            } else {
                &[&page.name]
            };
            if matches!(self.get_page(ops, &path, &cookie).await, Sent::Stopped) {
                break;
            }
            if !plan.keystroke_delay.is_zero() {
                sleep_until((Instant::now() + plan.keystroke_delay).min(self.shared.deadline))
                    .await;
            }
        }
        Ok(())
    }

    /// GETs one page with the session cookie, counted under each of `ops`; 2xx is ok.
    async fn get_page(&mut self, ops: &[&str], path: &str, cookie: &str) -> Sent {
        let req = self
            .http
            .get(format!("{}{path}", self.shared.base))
            .header(reqwest::header::COOKIE, cookie);
        let sent = self.send_raw(ops, req, false).await;
        if matches!(sent, Sent::Answer { .. }) {
            for op in ops {
                self.judge(op, true);
            }
        }
        sent
    }
}
