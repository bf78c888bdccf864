//! Import jobs: which CSV files can be imported, the states a job goes through, the
//! line-numbered errors it keeps, and the two decisions about old jobs (when a running job
//! has been abandoned by its server, when a finished one may be removed).

use serde::{Deserialize, Serialize};

use crate::auth::Permission;
use crate::import::RowError;
use crate::{Millis, UnknownCode};

/// What a CSV import loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// The customer register.
    Customers,
    /// The organisation tree: stations, grids, feeders, transformer areas.
    Org,
    /// Outages from the dispatch system.
    Outages,
    /// Voltage readings of the transformer areas.
    Voltage,
}

impl ImportKind {
    pub const ALL: &'static [ImportKind] = &[
        ImportKind::Customers,
        ImportKind::Org,
        ImportKind::Outages,
        ImportKind::Voltage,
    ];
    pub const KIND: &'static str = "import kind";

    /// Stable code, as stored, in the API and in the upload path.
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Org => "org",
            ImportKind::Outages => "outages",
            ImportKind::Voltage => "voltage",
        }
    }

    /// The permission an import of this kind needs (the same as its API route).
    pub fn permission(self) -> Permission {
        match self {
            ImportKind::Customers => Permission::CustomerWrite,
            ImportKind::Org | ImportKind::Outages | ImportKind::Voltage => Permission::OrgWrite,
        }
    }

    pub fn parse(s: &str) -> Result<ImportKind, UnknownCode> {
        ImportKind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: ImportKind::KIND,
                value: s.to_string(),
            })
    }
}

/// Where a job is. `Done` and `Failed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Recorded, not started yet.
    Queued,
    Running,
    /// Everything was imported (or, when invalid rows may be skipped, every valid row).
    Done,
    /// Nothing was imported: the file, a row or the database refused it.
    Failed,
}

impl JobState {
    pub const ALL: &'static [JobState] = &[
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];
    pub const KIND: &'static str = "job state";

    /// Stable code, as stored and in the API.
    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<JobState, UnknownCode> {
        JobState::ALL
            .iter()
            .copied()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: JobState::KIND,
                value: s.to_string(),
            })
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

macro_rules! code_serde {
    ($($t:ty),+) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
        impl std::str::FromStr for $t {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )+};
}
code_serde!(ImportKind, JobState);

impl utoipa::PartialSchema for ImportKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<&str> = ImportKind::ALL.iter().map(|k| k.code()).collect();
        crate::enums::code_schema(&codes)
    }
}
impl utoipa::ToSchema for ImportKind {}

impl utoipa::PartialSchema for JobState {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<&str> = JobState::ALL.iter().map(|k| k.code()).collect();
        crate::enums::code_schema(&codes)
    }
}
impl utoipa::ToSchema for JobState {}

/// One line-numbered problem a job keeps: a [`RowError`] as stored (its code owned, so it
/// reads back from the job's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobError {
    /// 1-based line in the file; the header is line 1.
    pub line: u64,
    #[serde(default)]
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

impl From<&RowError> for JobError {
    fn from(e: &RowError) -> JobError {
        JobError {
            line: e.line,
            field: e.field.clone(),
            code: e.code.to_string(),
            message: e.message.clone(),
        }
    }
}

/// How many errors a job keeps; the rest are only counted.
pub const KEPT_ERRORS: usize = 1000;

/// `line 3: phone 12 is not a phone number; line 9: …`, the first `n` errors.
pub fn summary(errors: &[JobError], n: usize) -> String {
    errors
        .iter()
        .take(n)
        .map(|e| match e.field.as_deref() {
            Some(f) if !f.is_empty() => format!("line {}: {f} {}", e.line, e.message),
            _ => format!("line {}: {}", e.line, e.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How often a running job's server says it is still at work.
pub const HEARTBEAT_MS: i64 = 10_000;
/// A job not finished and not heard of for this long was left by a server that stopped.
pub const LEASE_MS: i64 = 6 * HEARTBEAT_MS;
/// How long finished jobs are kept by default.
pub const RETENTION_DAYS: i64 = 30;

/// Whether a job its server stopped working on: not final, and its last heartbeat older
/// than the lease.
pub fn abandoned(state: JobState, heartbeat_at: Millis, now: Millis) -> bool {
    !state.is_final() && now - heartbeat_at >= LEASE_MS
}

/// Finished jobs that ended at or before this instant may be removed.
pub fn removable_until(now: Millis, retention_ms: i64) -> Millis {
    now - retention_ms
}

/// Whether a job may be removed: final, and finished `retention_ms` ago or longer.
pub fn expired(
    state: JobState,
    finished_at: Option<Millis>,
    now: Millis,
    retention_ms: i64,
) -> bool {
    match finished_at {
        Some(at) if state.is_final() => at <= removable_until(now, retention_ms),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DAY_MS;

    #[test]
    fn codes_round_trip() {
        for k in ImportKind::ALL {
            assert_eq!(ImportKind::parse(k.code()), Ok(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(serde_json::from_str::<ImportKind>(&json).unwrap(), *k);
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.code()), Ok(*s));
            assert_eq!(s.to_string().parse::<JobState>(), Ok(*s));
        }
        assert!(ImportKind::parse("users").is_err());
        assert!(JobState::parse("paused").is_err());
    }

    #[test]
    fn only_done_and_failed_are_final() {
        let finals: Vec<_> = JobState::ALL.iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [&JobState::Done, &JobState::Failed]);
    }

    fn check_abandoned(state: JobState, silent_ms: i64, expected: bool) {
        assert_eq!(
            abandoned(state, 1_000_000, 1_000_000 + silent_ms),
            expected,
            "{state} silent {silent_ms} ms"
        );
    }

    #[test]
    fn a_silent_unfinished_job_is_abandoned() {
        check_abandoned(JobState::Running, 0, false);
        check_abandoned(JobState::Running, LEASE_MS - 1, false);
        check_abandoned(JobState::Running, LEASE_MS, true);
        check_abandoned(JobState::Queued, LEASE_MS, true);
        check_abandoned(JobState::Done, 10 * LEASE_MS, false);
        check_abandoned(JobState::Failed, 10 * LEASE_MS, false);
    }

    #[test]
    fn finished_jobs_expire_after_the_retention() {
        let keep = 30 * DAY_MS;
        assert!(!expired(JobState::Done, Some(0), keep - 1, keep));
        assert!(expired(JobState::Done, Some(0), keep, keep));
        assert!(expired(JobState::Failed, Some(0), keep, keep));
        assert!(!expired(JobState::Running, None, 10 * keep, keep));
        assert!(!expired(JobState::Running, Some(0), 10 * keep, keep));
    }

    #[test]
    fn summaries_name_lines() {
        let errors = vec![
            JobError {
                line: 3,
                field: Some("phone".into()),
                code: "invalid_value".into(),
                message: "not a phone number".into(),
            },
            JobError {
                line: 9,
                field: None,
                code: "malformed_row".into(),
                message: "3 fields, expected 6".into(),
            },
        ];
        assert_eq!(
            summary(&errors, 5),
            "line 3: phone not a phone number; line 9: 3 fields, expected 6"
        );
        assert_eq!(summary(&errors, 1), "line 3: phone not a phone number");
    }
}
