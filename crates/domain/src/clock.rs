//! Service-commitment clocks: when a clock is due, when it warns, and pausing.
//!
//! Pure arithmetic on epoch milliseconds; local time (for calendar days and working days) is
//! the policy's time zone.

use chrono::{DateTime, Days, LocalResult, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::enums::ClockKind;
use crate::policy::{ClockRule, ClockStart, Limit, OrderFacts, Policy};
use crate::{HOUR_MS, MINUTE_MS, Millis};

/// A clock as planned when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockPlan {
    pub kind: ClockKind,
    pub started_at: Millis,
    pub due_at: Millis,
    pub warn_at: Millis,
    pub limit: Limit,
}

impl ClockPlan {
    /// The running, not yet paused clock for this plan.
    pub fn times(&self) -> ClockTimes {
        ClockTimes::new(self.started_at, self.due_at, self.warn_at)
    }
}

/// Plans the clock `rule` of `policy` starting at `started_at`.
///
/// due = start + limit: Minutes/Hours/Days in wall time; WorkingDays via
/// `calendar.add_working_days` in the policy's time zone. warn_at = started_at +
/// round(share × (due_at − started_at)) with share = rule.warn_share or policy.warn_share.
pub fn plan(
    rule: &ClockRule,
    policy: &Policy,
    calendar: &Calendar,
    started_at: Millis,
) -> ClockPlan {
    let due = due_at(rule.limit, policy.timezone, calendar, started_at);
    ClockPlan {
        kind: rule.kind,
        started_at,
        due_at: due,
        warn_at: warn_at(started_at, due, policy.warn_share_for(rule)),
        limit: rule.limit,
    }
}

/// A clock planned for an order, with where its rule's number comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedClock {
    pub plan: ClockPlan,
    pub source: String,
}

impl ClockPlan {
    /// The first instant the scheduler looks at the new clock: its warning, or its due time
    /// when that comes first.
    pub fn first_fire_at(&self) -> Millis {
        self.warn_at.min(self.due_at)
    }
}

/// The clocks an order with `facts` gets under `policy` when `start` happens at `now`: one
/// per rule that applies (`Policy::rules_for`), of the `kinds` given (all when `None`).
pub fn plan_for_order(
    policy: &Policy,
    calendar: &Calendar,
    facts: &OrderFacts,
    start: ClockStart,
    kinds: Option<&[ClockKind]>,
    now: Millis,
) -> Vec<PlannedClock> {
    policy
        .rules_for(facts, start)
        .into_iter()
        .filter(|r| kinds.is_none_or(|k| k.contains(&r.kind)))
        .map(|r| PlannedClock {
            plan: plan(r, policy, calendar, now),
            source: r.source.clone(),
        })
        .collect()
}

/// started_at + round(share × (due_at − started_at)).
pub fn warn_at(started_at: Millis, due_at: Millis, share: f64) -> Millis {
    let span = due_at.saturating_sub(started_at);
    started_at.saturating_add((share * span as f64).round() as i64)
}

/// The instant a clock with `limit` started at `start` is due.
///
/// Minutes and hours are exact durations. Calendar days keep the local time of day in `tz`
/// (the same as n × 24 h where the zone has no daylight saving, as in China). Working days
/// convert to local time in `tz`, add working days per `calendar` (a start on a non-working
/// day first moves to 00:00 of the next working day) and convert back.
pub fn due_at(limit: Limit, tz: chrono_tz::Tz, calendar: &Calendar, start: Millis) -> Millis {
    let n = limit.amount();
    match limit {
        Limit::Minutes(_) => start.saturating_add(i64::from(n) * MINUTE_MS),
        Limit::Hours(_) => start.saturating_add(i64::from(n) * HOUR_MS),
        Limit::Days(_) => local_shift(tz, start, |t| t.checked_add_days(Days::new(n.into())))
            .unwrap_or_else(|| start.saturating_add(i64::from(n) * crate::DAY_MS)),
        Limit::WorkingDays(_) => local_shift(tz, start, |t| Some(calendar.add_working_days(t, n)))
            .unwrap_or_else(|| start.saturating_add(i64::from(n) * crate::DAY_MS)),
    }
}

/// The local wall time of `ms` in `tz`, or `None` outside chrono's range.
pub fn to_local(tz: chrono_tz::Tz, ms: Millis) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|utc| utc.with_timezone(&tz).naive_local())
}

/// The instant of local wall time `t` in `tz`. Ambiguous times (a clock turned back) take
/// the earlier instant; times in a gap (a clock turned forward) move forward past the gap.
pub fn from_local(tz: chrono_tz::Tz, t: NaiveDateTime) -> Option<Millis> {
    let mut t = t;
    // Gaps are at most a few hours; step in 15-minute increments (some zones shift by 30 min).
    for _ in 0..=16 {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(dt) => return Some(dt.timestamp_millis()),
            LocalResult::Ambiguous(a, b) => return Some(a.min(b).timestamp_millis()),
            LocalResult::None => t = t.checked_add_signed(chrono::TimeDelta::minutes(15))?,
        }
    }
    None
}

fn local_shift(
    tz: chrono_tz::Tz,
    start: Millis,
    f: impl FnOnce(NaiveDateTime) -> Option<NaiveDateTime>,
) -> Option<Millis> {
    let local = to_local(tz, start)?;
    // Keep the sub-minute part of `start` exactly (local conversion keeps milliseconds).
    from_local(tz, f(local)?)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("clock is already paused (since {since})")]
    AlreadyPaused { since: Millis },
    #[error("clock is not paused")]
    NotPaused,
    #[error("cannot resume at {now}, before the pause at {paused_at}")]
    ResumeBeforePause { paused_at: Millis, now: Millis },
}

/// A running clock that can pause (waiting on the customer) and resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockTimes {
    pub started_at: Millis,
    /// Current due instant, already shifted by completed pauses.
    pub due_at: Millis,
    /// Current warn instant, already shifted by completed pauses.
    pub warn_at: Millis,
    /// Set while paused.
    pub paused_at: Option<Millis>,
    /// Total length of completed pauses.
    pub paused_ms: i64,
}

impl ClockTimes {
    pub fn new(started_at: Millis, due_at: Millis, warn_at: Millis) -> Self {
        ClockTimes {
            started_at,
            due_at,
            warn_at,
            paused_at: None,
            paused_ms: 0,
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Pauses the clock at `now`; an error if it is already paused.
    pub fn pause(&mut self, now: Millis) -> Result<(), ClockError> {
        if let Some(since) = self.paused_at {
            return Err(ClockError::AlreadyPaused { since });
        }
        self.paused_at = Some(now);
        Ok(())
    }

    /// Resumes the clock at `now`: shifts due_at and warn_at by the paused duration and adds
    /// it to paused_ms. An error if the clock is not paused or `now` is before the pause.
    pub fn resume(&mut self, now: Millis) -> Result<(), ClockError> {
        let paused_at = self.paused_at.ok_or(ClockError::NotPaused)?;
        if now < paused_at {
            return Err(ClockError::ResumeBeforePause { paused_at, now });
        }
        let d = now - paused_at;
        self.due_at = self.due_at.saturating_add(d);
        self.warn_at = self.warn_at.saturating_add(d);
        self.paused_ms = self.paused_ms.saturating_add(d);
        self.paused_at = None;
        Ok(())
    }

    /// The next instant the scheduler must look at this clock: warn_at if not yet warned,
    /// else due_at if not yet breached, else None; None while paused.
    pub fn next_fire(&self, warned: bool, breached: bool) -> Option<Millis> {
        if self.is_paused() {
            None
        } else if !warned {
            Some(self.warn_at)
        } else if !breached {
            Some(self.due_at)
        } else {
            None
        }
    }

    /// due_at − now; while paused, frozen at due_at − paused_at. Negative once overdue.
    pub fn remaining(&self, now: Millis) -> i64 {
        self.due_at.saturating_sub(self.paused_at.unwrap_or(now))
    }

    /// Whether the clock is past due at `now` (never while paused).
    pub fn is_overdue(&self, now: Millis) -> bool {
        self.remaining(now) < 0
    }

    /// Share of the allowed time used at `now`, pauses excluded (may exceed 1).
    pub fn used_share(&self, now: Millis) -> f64 {
        let total = self.due_at - self.started_at - self.paused_ms;
        if total <= 0 {
            return 1.0;
        }
        let used = self.paused_at.unwrap_or(now) - self.started_at - self.paused_ms;
        used as f64 / total as f64
    }
}

impl From<ClockPlan> for ClockTimes {
    fn from(p: ClockPlan) -> Self {
        p.times()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;

    #[test]
    fn pause_resume_shifts() {
        let mut t = ClockTimes::new(0, 10 * H, 8 * H);
        assert_eq!(t.next_fire(false, false), Some(8 * H));
        t.pause(2 * H).unwrap();
        assert_eq!(
            t.pause(3 * H),
            Err(ClockError::AlreadyPaused { since: 2 * H })
        );
        assert_eq!(t.next_fire(false, false), None);
        assert_eq!(t.remaining(5 * H), 8 * H);
        assert_eq!(
            t.resume(H),
            Err(ClockError::ResumeBeforePause {
                paused_at: 2 * H,
                now: H
            })
        );
        t.resume(5 * H).unwrap();
        assert_eq!(t.resume(6 * H), Err(ClockError::NotPaused));
        assert_eq!((t.due_at, t.warn_at, t.paused_ms), (13 * H, 11 * H, 3 * H));
        assert_eq!(t.remaining(6 * H), 7 * H);
        assert_eq!(t.next_fire(true, false), Some(13 * H));
        assert_eq!(t.next_fire(true, true), None);
        assert!((t.used_share(6 * H) - 0.3).abs() < 1e-9);
    }

    fn repair_policy() -> Policy {
        Policy::from_toml(
            r#"
id = "t"
version = "1"
name = "t"
timezone = "Asia/Shanghai"
warn_share = 0.8
[[rule]]
kind = "arrive"
start = "accepted"
limit = "45m"
order_type = "repair"
source = "arrive"
[[rule]]
kind = "restore"
start = "arrived"
limit = "4h"
order_type = "repair"
warn_share = 0.5
source = "restore"
[[rule]]
kind = "close"
start = "accepted"
limit = "2h"
source = "close"
"#,
        )
        .expect("policy parses")
    }

    #[test]
    fn an_order_gets_the_clocks_of_its_start() {
        let p = repair_policy();
        let cal = Calendar::new();
        let facts = OrderFacts {
            order_type: crate::OrderType::Repair,
            channel: crate::Channel::Hotline95598,
            service_kind: None,
            region: None,
        };
        let kinds_and_sources = |v: &[PlannedClock]| {
            v.iter()
                .map(|c| (c.plan.kind, c.source.clone(), c.plan.due_at))
                .collect::<Vec<_>>()
        };
        let accepted = plan_for_order(&p, &cal, &facts, ClockStart::Accepted, None, 0);
        assert_eq!(
            kinds_and_sources(&accepted),
            [
                (ClockKind::Arrive, "arrive".to_string(), 45 * MINUTE_MS),
                (ClockKind::Close, "close".to_string(), 2 * H),
            ]
        );
        assert_eq!(accepted[0].plan.warn_at, 36 * MINUTE_MS);
        assert_eq!(accepted[0].plan.first_fire_at(), 36 * MINUTE_MS);
        let arrived = plan_for_order(&p, &cal, &facts, ClockStart::Arrived, None, H);
        assert_eq!(
            kinds_and_sources(&arrived),
            [(ClockKind::Restore, "restore".to_string(), 5 * H)]
        );
        assert_eq!(arrived[0].plan.warn_at, 3 * H, "the rule's own warn share");
        // Restarting only some kinds.
        let close_only = plan_for_order(
            &p,
            &cal,
            &facts,
            ClockStart::Accepted,
            Some(&[ClockKind::Close, ClockKind::Answer]),
            H,
        );
        assert_eq!(
            kinds_and_sources(&close_only),
            [(ClockKind::Close, "close".to_string(), 3 * H)]
        );
        // A consultation gets no arrive clock.
        let consultation = OrderFacts {
            order_type: crate::OrderType::Consultation,
            ..facts
        };
        let plans = plan_for_order(&p, &cal, &consultation, ClockStart::Accepted, None, 0);
        assert_eq!(
            plans.iter().map(|c| c.plan.kind).collect::<Vec<_>>(),
            [ClockKind::Close]
        );
    }

    #[test]
    fn warn_rounds() {
        assert_eq!(warn_at(0, 3, 0.5), 2); // 1.5 rounds away from zero
        assert_eq!(warn_at(100, 200, 0.8), 180);
    }

    #[test]
    fn local_round_trip_shanghai() {
        let tz = chrono_tz::Asia::Shanghai;
        let ms = 1_790_000_000_123;
        assert_eq!(from_local(tz, to_local(tz, ms).unwrap()), Some(ms));
    }

    #[test]
    fn days_keep_wall_time_across_dst() {
        // 2026-03-07 12:00 in New York (EST, UTC-5) + 2 days = 2026-03-09 12:00 EDT (UTC-4).
        let tz = chrono_tz::America::New_York;
        let start = 1_772_902_800_000; // 2026-03-07T17:00:00Z
        let due = due_at(Limit::Days(2), tz, &Calendar::new(), start);
        assert_eq!(due - start, 47 * H);
    }
}
