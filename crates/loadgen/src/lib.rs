//! Load generator for the voltdesk HTTP API.
//!
//! [`run`] drives a running voltdesk server with `clients` concurrent virtual clients, each
//! with its own keep-alive connection, for a bounded time or number of requests, and returns
//! a [`Report`]: counts, errors by kind, throughput and latency percentiles from an HDR
//! histogram, and for the intake scenario every order the server acknowledged. The pages
//! scenario reads the server-rendered pages signed in with a session cookie per role
//! ([`PagesPlan`]), and [`weigh`] measures what each page loads.
//!
//! It only ever talks to loopback (`127.0.0.1`, `localhost`, `[::1]`): load tests on this
//! project never leave the machine. A run also stops by itself once the server has refused
//! connections for a few seconds, which is what the crash test relies on when it kills the
//! server mid-run.

mod config;
mod engine;
mod keys;
mod pages;
mod report;
mod target;
mod verify;
mod workload;

pub use config::{LoadConfig, LookupBy, Scenario, parse_duration, parse_range};
pub use engine::run;
pub use keys::{idempotency_key, new_run_id};
pub use pages::{
    BUILTIN_PAGES, DEFAULT_NAMES, DEFAULT_PLACES, Mix, PageParams, PageSpec, PageWeight, PagesPlan,
    Param, UrlTemplate, civil_date, parse_page, parse_user_pair, static_refs, today_at, weigh,
};
pub use report::{Ack, ErrorCounts, LatencySummary, OpReport, Report, StopReason};
pub use target::check_loopback_url;
pub use verify::{VerifyReport, parse_ack_line, read_ack_log, verify_acks};
