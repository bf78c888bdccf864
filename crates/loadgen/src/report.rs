//! What a run measured.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency the histograms track, in µs (2 minutes); longer ones count as this.
pub(crate) const MAX_TRACKED_US: u64 = 120_000_000;

/// A fresh latency histogram: 1 µs to 2 min, 3 significant digits.
pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, 3).expect("constant histogram bounds are valid")
}

/// Requests that failed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    /// The connection could not be made (refused, or connect timed out).
    pub connect: u64,
    /// The request or its response body took longer than the request timeout.
    pub timeout: u64,
    /// The connection broke mid-request (reset, closed early).
    pub transport: u64,
    /// The server answered 4xx.
    pub status_4xx: u64,
    /// The server answered 5xx.
    pub status_5xx: u64,
    /// A 2xx answer whose body was not what the API promises (e.g. no order id).
    pub bad_response: u64,
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.connect
            + self.timeout
            + self.transport
            + self.status_4xx
            + self.status_5xx
            + self.bad_response
    }

    pub(crate) fn add(&mut self, other: &ErrorCounts) {
        self.connect += other.connect;
        self.timeout += other.timeout;
        self.transport += other.transport;
        self.status_4xx += other.status_4xx;
        self.status_5xx += other.status_5xx;
        self.bad_response += other.bad_response;
    }
}

impl fmt::Display for ErrorCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (connect {}, timeout {}, transport {}, 4xx {}, 5xx {}, bad_response {})",
            self.total(),
            self.connect,
            self.timeout,
            self.transport,
            self.status_4xx,
            self.status_5xx,
            self.bad_response
        )
    }
}

/// Latency percentiles in microseconds, from an HDR histogram (3 significant digits, so a
/// percentile is exact to 0.1 %).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub samples: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl LatencySummary {
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            samples: h.len(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

/// One kind of request (`create_order`, `lookup_phone`, `customer_trace`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpReport {
    /// Requests sent and finished, whatever the outcome.
    pub count: u64,
    pub ok: u64,
    pub errors: ErrorCounts,
    /// Latency of every request that got an HTTP answer, whatever its status.
    pub latency: LatencySummary,
}

/// An order the server acknowledged: the idempotency key sent and the order id returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ack {
    pub key: String,
    pub id: i64,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The configured duration passed.
    Duration,
    /// The configured number of requests was issued.
    MaxRequests,
    /// Every connection attempt was refused for `unreachable_after` (server down).
    ServerUnreachable,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::Duration => "duration",
            StopReason::MaxRequests => "max_requests",
            StopReason::ServerUnreachable => "server_unreachable",
        })
    }
}

/// The outcome of [`crate::run`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: String,
    pub scenario: &'static str,
    pub clients: usize,
    pub rate_limit: Option<f64>,
    pub stop_reason: StopReason,
    /// Requests sent and finished, whatever the outcome.
    pub count: u64,
    /// Requests that got the answer the API promises.
    pub ok: u64,
    pub errors: ErrorCounts,
    /// From the start of the run until the last client finished.
    #[serde(rename = "elapsed_s", serialize_with = "secs")]
    pub elapsed: Duration,
    /// Successful requests per second (`ok / elapsed`).
    pub throughput: f64,
    /// Over all kinds of request.
    pub latency: LatencySummary,
    pub ops: BTreeMap<String, OpReport>,
    /// Intake: orders acknowledged (201, or 200 for a replayed key).
    pub acked: u64,
    /// Intake: acknowledgements that were replays (200) of a key sent before.
    pub replayed: u64,
    /// Intake: every acknowledged (key, order id), in no particular order. Not in the JSON
    /// output (it can hold hundreds of thousands of pairs); see `ack_log`.
    #[serde(skip)]
    pub acks: Vec<Ack>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Report {
    /// One `name value` line per metric, for people.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("run_id        {}", self.run_id),
            format!("scenario      {}", self.scenario),
            format!("clients       {}", self.clients),
            format!(
                "rate_limit    {}",
                self.rate_limit
                    .map_or("none".to_string(), |r| format!("{r} req/s"))
            ),
            format!("stop_reason   {}", self.stop_reason),
            format!("elapsed       {:.3} s", self.elapsed.as_secs_f64()),
            format!("requests      {}", self.count),
            format!("ok            {}", self.ok),
            format!("errors        {}", self.errors),
            format!("throughput    {:.1} req/s", self.throughput),
        ];
        out.extend(latency_lines("latency", &self.latency));
        if self.scenario == "intake" {
            out.push(format!("acked         {}", self.acked));
            out.push(format!("replayed      {}", self.replayed));
        }
        if self.ops.len() > 1 || self.scenario == "pages" {
            for (name, op) in &self.ops {
                out.push(format!(
                    "op {name}: count {} ok {} errors {} p50 {} us p90 {} us p99 {} us max {} us",
                    op.count,
                    op.ok,
                    op.errors.total(),
                    op.latency.p50_us,
                    op.latency.p90_us,
                    op.latency.p99_us,
                    op.latency.max_us
                ));
            }
        }
        out
    }
}

fn latency_lines(prefix: &str, l: &LatencySummary) -> Vec<String> {
    vec![
        format!("{prefix}_p50   {} us", l.p50_us),
        format!("{prefix}_p90   {} us", l.p90_us),
        format!("{prefix}_p99   {} us", l.p99_us),
        format!("{prefix}_p999  {} us", l.p999_us),
        format!("{prefix}_max   {} us", l.max_us),
        format!("{prefix}_mean  {:.1} us", l.mean_us),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within the histogram's 3 significant digits.
    fn close(actual: u64, expected: u64) -> bool {
        actual.abs_diff(expected) <= expected / 1000 + 1
    }

    #[test]
    fn percentiles_of_a_uniform_spread() {
        let mut h = new_histogram();
        for us in 1..=10_000u64 {
            h.record(us).unwrap();
        }
        let l = LatencySummary::from_histogram(&h);
        assert_eq!(l.samples, 10_000);
        assert!(close(l.p50_us, 5_000), "{l:?}");
        assert!(close(l.p90_us, 9_000), "{l:?}");
        assert!(close(l.p99_us, 9_900), "{l:?}");
        assert!(close(l.max_us, 10_000), "{l:?}");
        assert!((l.mean_us - 5_000.5).abs() < 10.0, "{l:?}");
    }

    #[test]
    fn a_slow_tail_shows_in_p99_not_p50() {
        let mut h = new_histogram();
        for _ in 0..980 {
            h.record(1_000).unwrap();
        }
        for _ in 0..20 {
            h.record(50_000).unwrap();
        }
        let l = LatencySummary::from_histogram(&h);
        assert!(close(l.p50_us, 1_000), "{l:?}");
        assert!(close(l.p90_us, 1_000), "{l:?}");
        assert!(close(l.p99_us, 50_000), "{l:?}");
        assert!(close(l.max_us, 50_000), "{l:?}");
    }

    #[test]
    fn empty_histogram_gives_zeros() {
        assert_eq!(
            LatencySummary::from_histogram(&new_histogram()),
            LatencySummary::default()
        );
    }

    #[test]
    fn merged_histograms_give_overall_percentiles() {
        let mut a = new_histogram();
        let mut b = new_histogram();
        for _ in 0..50 {
            a.record(100).unwrap();
            b.record(10_000).unwrap();
        }
        a.add(&b).unwrap();
        let l = LatencySummary::from_histogram(&a);
        assert_eq!(l.samples, 100);
        assert!(close(l.p50_us, 100), "{l:?}");
        assert!(close(l.p90_us, 10_000), "{l:?}");
    }

    #[test]
    fn error_totals_and_json() {
        let mut e = ErrorCounts {
            connect: 1,
            status_5xx: 2,
            ..Default::default()
        };
        e.add(&ErrorCounts {
            status_4xx: 3,
            ..Default::default()
        });
        assert_eq!(e.total(), 6);
        assert_eq!(
            e.to_string(),
            "6 (connect 1, timeout 0, transport 0, 4xx 3, 5xx 2, bad_response 0)"
        );

        let report = Report {
            run_id: "lgx".into(),
            scenario: "intake",
            clients: 2,
            rate_limit: None,
            stop_reason: StopReason::ServerUnreachable,
            count: 10,
            ok: 4,
            errors: e,
            elapsed: Duration::from_millis(1500),
            throughput: 4.0 / 1.5,
            latency: LatencySummary::default(),
            ops: BTreeMap::new(),
            acked: 1,
            replayed: 0,
            acks: vec![Ack {
                key: "lgx-0-0".into(),
                id: 7,
            }],
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["stop_reason"], "server_unreachable");
        assert_eq!(json["elapsed_s"], 1.5);
        assert_eq!(json["errors"]["status_4xx"], 3);
        assert!(json.get("acks").is_none());
        let lines = report.summary_lines();
        assert!(
            lines
                .iter()
                .any(|l| l == "stop_reason   server_unreachable")
        );
        assert!(lines.iter().any(|l| l == "acked         1"));
    }
}
