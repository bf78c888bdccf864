//! The pure core of voltdesk: types, the work-order state machine, service commitments
//! (policy, calendar, clocks), roles and masking. No I/O, no async, no clock reads: every
//! instant is passed in as epoch milliseconds (UTC).

pub mod acd;
pub mod attachment;
pub mod auth;
pub mod calendar;
pub mod call;
pub mod clock;
pub mod enums;
pub mod import;
pub mod intake;
pub mod ivr;
pub mod job;
pub mod notify;
pub mod offer;
pub mod order;
pub mod outage;
pub mod policy;
pub mod reliability;
pub mod reply;
pub mod routing;
pub mod saved_filter;
pub mod search;
pub mod signin;
pub mod speech;
pub mod staffing;
pub mod trace;
pub mod values;
pub mod voltage;
pub mod warning;

pub use enums::*;
pub use values::*;

/// Milliseconds since the Unix epoch, UTC. The one representation of an instant in the core.
pub type Millis = i64;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
