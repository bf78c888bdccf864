//! A queue's configuration and the checks `Acd::new` makes of the set of queues.

use super::QueueId;
use serde::{Deserialize, Serialize};

/// How long an offered call rings an agent's phone before it is withdrawn.
pub const DEFAULT_RING_TIMEOUT_MS: i64 = 15_000;
/// How long an agent stays in after-call work before the next call may reach them.
pub const DEFAULT_WRAP_UP_MS: i64 = 30_000;
/// The handle time a queue is assumed to have before it has handled a call.
pub const DEFAULT_HANDLE_MS: i64 = 180_000;

/// Skill levels run from 1 (novice) to 9 (expert).
pub const MIN_LEVEL: u8 = 1;
pub const MAX_LEVEL: u8 = 9;

/// Which of the ready agents able to take a queue's call is offered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent whose last call ended longest ago (or who logged in longest ago, if they
    /// have had none since).
    #[default]
    LongestIdle,
    /// The agent who answered the fewest calls today; ties go to the longest idle.
    FewestCalls,
    /// The agent with the highest level of the queue's skill; ties go to the longest idle.
    SkillLevel,
}

/// One queue of the contact centre: the calls of one kind, served by the agents who have
/// its skill at `min_level` or above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub id: QueueId,
    /// What the wallboard shows.
    pub name: String,
    pub skill: String,
    #[serde(default = "default_min_level")]
    pub min_level: u8,
    #[serde(default)]
    pub strategy: Strategy,
    /// A call that waited this long in the queue moves on to `overflow_to`. Both or neither.
    #[serde(default)]
    pub overflow_after_ms: Option<i64>,
    #[serde(default)]
    pub overflow_to: Option<QueueId>,
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_ms: i64,
    /// Zero means no after-call work: the agent is free again when the call ends.
    #[serde(default = "default_wrap_up")]
    pub wrap_up_ms: i64,
}

fn default_min_level() -> u8 {
    MIN_LEVEL
}

fn default_ring_timeout() -> i64 {
    DEFAULT_RING_TIMEOUT_MS
}

fn default_wrap_up() -> i64 {
    DEFAULT_WRAP_UP_MS
}

impl QueueConfig {
    /// A queue with the defaults: any level of the skill, longest idle first, no overflow.
    pub fn new(id: impl Into<String>, name: impl Into<String>, skill: impl Into<String>) -> Self {
        QueueConfig {
            id: QueueId::new(id),
            name: name.into(),
            skill: skill.into(),
            min_level: MIN_LEVEL,
            strategy: Strategy::LongestIdle,
            overflow_after_ms: None,
            overflow_to: None,
            ring_timeout_ms: DEFAULT_RING_TIMEOUT_MS,
            wrap_up_ms: DEFAULT_WRAP_UP_MS,
        }
    }
}

/// Why a set of queues cannot run. Each names the queue at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdConfigError {
    #[error("queue `{0}` is configured twice")]
    DuplicateQueue(QueueId),
    #[error("the queue named `{0}` has no id")]
    EmptyId(String),
    #[error("queue `{0}` names no skill")]
    NoSkill(QueueId),
    #[error("queue `{queue}`: minimum level {level} is not between 1 and 9")]
    MinLevel { queue: QueueId, level: u8 },
    #[error("queue `{queue}`: ring timeout must be positive (got {ms} ms)")]
    RingTimeout { queue: QueueId, ms: i64 },
    #[error("queue `{queue}`: wrap-up time must not be negative (got {ms} ms)")]
    WrapUp { queue: QueueId, ms: i64 },
    #[error("queue `{queue}`: overflow time must be positive (got {ms} ms)")]
    OverflowAfter { queue: QueueId, ms: i64 },
    #[error("queue `{0}`: an overflow needs both a time and a target queue")]
    OverflowHalf(QueueId),
    #[error("queue `{0}` overflows to itself")]
    OverflowToSelf(QueueId),
    #[error("queue `{queue}` overflows to `{target}`, which is not a configured queue")]
    UnknownOverflow { queue: QueueId, target: QueueId },
}

/// Checks each queue alone, then the overflow targets against the set.
pub(super) fn validate(queues: &[QueueConfig]) -> Result<(), AcdConfigError> {
    use AcdConfigError as E;
    let mut seen = std::collections::HashSet::new();
    for q in queues {
        let id = || q.id.clone();
        if q.id.as_str().trim().is_empty() {
            return Err(E::EmptyId(q.name.clone()));
        }
        if !seen.insert(&q.id) {
            return Err(E::DuplicateQueue(id()));
        }
        if q.skill.trim().is_empty() {
            return Err(E::NoSkill(id()));
        }
        if !(MIN_LEVEL..=MAX_LEVEL).contains(&q.min_level) {
            return Err(E::MinLevel {
                queue: id(),
                level: q.min_level,
            });
        }
        if q.ring_timeout_ms <= 0 {
            return Err(E::RingTimeout {
                queue: id(),
                ms: q.ring_timeout_ms,
            });
        }
        if q.wrap_up_ms < 0 {
            return Err(E::WrapUp {
                queue: id(),
                ms: q.wrap_up_ms,
            });
        }
        match (q.overflow_after_ms, &q.overflow_to) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return Err(E::OverflowHalf(id())),
            (Some(ms), Some(_)) if ms <= 0 => {
                return Err(E::OverflowAfter { queue: id(), ms });
            }
            (Some(_), Some(to)) if *to == q.id => return Err(E::OverflowToSelf(id())),
            (Some(_), Some(_)) => {}
        }
    }
    for q in queues {
        if let Some(to) = &q.overflow_to
            && !seen.contains(to)
        {
            return Err(E::UnknownOverflow {
                queue: q.id.clone(),
                target: to.clone(),
            });
        }
    }
    Ok(())
}
