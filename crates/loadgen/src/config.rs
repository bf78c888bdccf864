//! What a load run does: [`LoadConfig`] and its [`Scenario`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail, ensure};

/// One load run against one server.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`; loopback only.
    pub url: String,
    /// Bearer token sent with every request.
    pub token: String,
    /// Concurrent virtual clients, each with its own connection.
    pub clients: usize,
    /// The run stops issuing requests after this long.
    pub duration: Duration,
    /// Requests per second over all clients; `None` sends as fast as the server answers.
    pub rate_limit: Option<f64>,
    pub scenario: Scenario,
    /// Inclusive range of customer account numbers (户号, e.g. 3300000000..=3300999999),
    /// written as plain decimal: intake orders name one, account lookups look one up.
    pub account_range: Option<(u64, u64)>,
    /// Intake: every acknowledged order is appended as a `key,id` line and flushed.
    pub ack_log: Option<PathBuf>,
    /// The run stops after issuing this many requests.
    pub max_requests: Option<u64>,
    /// Whole-request timeout (connect, send, response body).
    pub request_timeout: Duration,
    /// The run stops once every attempt to connect has been refused for this long.
    pub unreachable_after: Duration,
    /// Prefix of the idempotency keys; a fresh one per run when `None`.
    pub run_id: Option<String>,
}

impl LoadConfig {
    /// A config with defaults: 1 client, 10 s, no rate limit, 10 s request timeout, stop
    /// after 3 s unreachable.
    pub fn new(url: impl Into<String>, token: impl Into<String>, scenario: Scenario) -> Self {
        LoadConfig {
            url: url.into(),
            token: token.into(),
            clients: 1,
            duration: Duration::from_secs(10),
            rate_limit: None,
            scenario,
            account_range: None,
            ack_log: None,
            max_requests: None,
            request_timeout: Duration::from_secs(10),
            unreachable_after: Duration::from_secs(3),
            run_id: None,
        }
    }

    /// Checks what [`crate::run`] needs before it sends anything.
    pub fn validate(&self) -> anyhow::Result<()> {
        crate::target::check_loopback_url(&self.url)?;
        ensure!(self.clients >= 1, "clients must be at least 1");
        ensure!(self.clients <= 10_000, "clients must be at most 10000");
        ensure!(!self.duration.is_zero(), "duration must be positive");
        ensure!(
            !self.request_timeout.is_zero(),
            "request timeout must be positive"
        );
        if let Some(rate) = self.rate_limit {
            ensure!(
                rate.is_finite() && rate > 0.0,
                "rate limit must be a positive number of requests per second"
            );
        }
        check_range("account range", self.account_range)?;
        match &self.scenario {
            Scenario::Intake => {}
            Scenario::Lookup {
                by,
                phone_range,
                customer_id_range,
                trace_limit,
            } => {
                check_range("phone range", *phone_range)?;
                check_range("customer id range", *customer_id_range)?;
                match by {
                    LookupBy::Phone => {
                        ensure!(phone_range.is_some(), "lookup by phone needs a phone range")
                    }
                    LookupBy::Account => ensure!(
                        self.account_range.is_some(),
                        "lookup by account needs an account range"
                    ),
                    LookupBy::Alternate => ensure!(
                        phone_range.is_some() && self.account_range.is_some(),
                        "alternating lookups need a phone range and an account range"
                    ),
                }
                if let Some(limit) = trace_limit {
                    ensure!(*limit >= 1, "trace limit must be at least 1");
                }
            }
            Scenario::OrderList {
                stations,
                status,
                per_page,
                max_page,
            } => {
                ensure!(
                    !stations.is_empty(),
                    "order list needs at least one station code"
                );
                ensure!(!status.is_empty(), "order list needs a status");
                ensure!(*per_page >= 1, "per_page must be at least 1");
                ensure!(*max_page >= 1, "max_page must be at least 1");
            }
            Scenario::Pages(plan) => plan.validate()?,
        }
        Ok(())
    }
}

/// What each virtual client does in a loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// `POST /api/v1/work-orders` with a fresh idempotency key each time.
    Intake,
    /// `GET /api/v1/customers/lookup?phone=..|account_no=..`, then (with `trace_limit`)
    /// `GET /api/v1/customers/{id}/trace?limit=N` for the customer found. The id comes from
    /// the lookup's answer, or, if it has none, from `customer_id_range`.
    Lookup {
        by: LookupBy,
        /// Inclusive range of mobile numbers, e.g. 13800000000..=13800999999.
        phone_range: Option<(u64, u64)>,
        customer_id_range: Option<(u64, u64)>,
        trace_limit: Option<u32>,
    },
    /// `GET /api/v1/work-orders?station=S&status=..&sort=due_at&per_page=N&page=P`, with the
    /// station picked at random from `stations` and the page from `1..=max_page`.
    OrderList {
        stations: Vec<String>,
        status: String,
        per_page: u32,
        max_page: u32,
    },
    /// `GET` of the server-rendered pages with a session cookie per role (signed in once
    /// before the run), picked from the plan's pages; the token is not used.
    Pages(Box<crate::pages::PagesPlan>),
}

impl Scenario {
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Intake => "intake",
            Scenario::Lookup { .. } => "lookup",
            Scenario::OrderList { .. } => "order-list",
            Scenario::Pages(_) => "pages",
        }
    }
}

/// Which key a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupBy {
    Phone,
    Account,
    /// Phone and account in turn.
    Alternate,
}

fn check_range(what: &str, range: Option<(u64, u64)>) -> anyhow::Result<()> {
    if let Some((lo, hi)) = range {
        ensure!(lo <= hi, "{what}: {lo} is above {hi}");
    }
    Ok(())
}

/// Parses `250ms`, `10s`, `2m`, `1h` or a bare number of seconds (`1.5`).
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .with_context(|| format!("invalid duration {s:?} (try 500ms, 10s, 2m)"))?;
    let secs = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => bail!("invalid duration unit {other:?} in {s:?} (ms, s, m, h)"),
    };
    ensure!((0.0..1e9).contains(&secs), "duration {s:?} out of range");
    Ok(Duration::from_secs_f64(secs))
}

/// Parses an inclusive range `LO-HI` or `LO..HI` (or a single number).
pub fn parse_range(s: &str) -> anyhow::Result<(u64, u64)> {
    let t = s.trim();
    let (lo, hi) = if let Some((a, b)) = t.split_once("..") {
        (a, b.strip_prefix('=').unwrap_or(b))
    } else if let Some((a, b)) = t.split_once('-') {
        (a, b)
    } else {
        (t, t)
    };
    let lo: u64 = lo
        .trim()
        .parse()
        .with_context(|| format!("invalid range {s:?} (try 3300000000-3300999999)"))?;
    let hi: u64 = hi
        .trim()
        .parse()
        .with_context(|| format!("invalid range {s:?} (try 3300000000-3300999999)"))?;
    ensure!(lo <= hi, "range {s:?}: {lo} is above {hi}");
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let check =
            |s: &str, ms: u64| assert_eq!(parse_duration(s).unwrap().as_millis() as u64, ms, "{s}");
        check("250ms", 250);
        check("10s", 10_000);
        check("10", 10_000);
        check("1.5", 1_500);
        check("2m", 120_000);
        check("1h", 3_600_000);
        for bad in ["", "s", "10x", "-1s", "1..2s", "abc"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("3300000000-3300999999").unwrap(),
            (3_300_000_000, 3_300_999_999)
        );
        assert_eq!(parse_range("1..10").unwrap(), (1, 10));
        assert_eq!(parse_range("1..=10").unwrap(), (1, 10));
        assert_eq!(parse_range("7").unwrap(), (7, 7));
        for bad in ["", "10-1", "a-b", "1-", "-5"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation() {
        let cfg = LoadConfig::new("http://127.0.0.1:8080", "t", Scenario::Intake);
        cfg.validate().unwrap();

        let mut remote = cfg.clone();
        remote.url = "http://10.1.2.3:8080".into();
        assert!(remote.validate().is_err());

        let mut zero = cfg.clone();
        zero.clients = 0;
        assert!(zero.validate().is_err());

        let mut bad_rate = cfg.clone();
        bad_rate.rate_limit = Some(0.0);
        assert!(bad_rate.validate().is_err());

        let lookup = LoadConfig::new(
            "http://localhost:8080",
            "t",
            Scenario::Lookup {
                by: LookupBy::Phone,
                phone_range: None,
                customer_id_range: None,
                trace_limit: Some(50),
            },
        );
        assert!(lookup.validate().is_err(), "phone lookups need phones");

        let list = LoadConfig::new(
            "http://localhost:8080",
            "t",
            Scenario::OrderList {
                stations: vec![],
                status: "accepted".into(),
                per_page: 50,
                max_page: 1,
            },
        );
        assert!(list.validate().is_err(), "order list needs a station");
    }
}
