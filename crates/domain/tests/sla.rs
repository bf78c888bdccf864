//! Service-commitment clocks against the real policy and calendar files.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;
use voltdesk_domain::calendar::{Calendar, CalendarError, DayKind};
use voltdesk_domain::clock::{self, ClockError, ClockTimes};
use voltdesk_domain::policy::{ClockRule, ClockStart, Limit, OrderFacts, Policy, PolicyError};
use voltdesk_domain::{
    Channel, ClockKind, HOUR_MS, MINUTE_MS, Millis, OrderType, RegionClass, ServiceKind,
};

const SGCC: &str = include_str!("../../../config/policy/sgcc.toml");
const CSG: &str = include_str!("../../../config/policy/csg.toml");
const CN: &str = include_str!("../../../config/calendar/cn.toml");

fn sgcc() -> Policy {
    Policy::from_toml(SGCC).expect("sgcc.toml parses")
}

fn csg() -> Policy {
    Policy::from_toml(CSG).expect("csg.toml parses")
}

fn cn() -> Calendar {
    Calendar::from_toml(CN).expect("cn.toml parses")
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Beijing wall time "YYYY-MM-DD HH:MM" as epoch ms.
fn bj(s: &str) -> Millis {
    Shanghai
        .from_local_datetime(&local(s))
        .single()
        .unwrap()
        .timestamp_millis()
}

/// Epoch ms as Beijing wall time "YYYY-MM-DD HH:MM".
fn show(ms: Millis) -> String {
    Shanghai
        .timestamp_millis_opt(ms)
        .single()
        .unwrap()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn facts(order_type: OrderType, channel: Channel) -> OrderFacts {
    OrderFacts {
        order_type,
        channel,
        service_kind: None,
        region: None,
    }
}

fn repair(region: Option<RegionClass>) -> OrderFacts {
    OrderFacts {
        region,
        ..facts(OrderType::Repair, Channel::Hotline95598)
    }
}

fn service(kind: ServiceKind) -> OrderFacts {
    OrderFacts {
        service_kind: Some(kind),
        ..facts(OrderType::ServiceRequest, Channel::Hotline95598)
    }
}

/// The clock of `kind` that `policy` runs for `facts` from `start`: asserts its limit and
/// that, started at Beijing time `from`, it is due at Beijing time `due`. Returns the rule.
fn check<'p>(
    policy: &'p Policy,
    f: OrderFacts,
    start: ClockStart,
    kind: ClockKind,
    limit: &str,
    from: &str,
    due: &str,
) -> &'p ClockRule {
    let cal = cn();
    let rules = policy.rules_for(&f, start);
    let rule = rules
        .iter()
        .copied()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("{}: no {kind} clock for {f:?} from {start}", policy.id));
    assert_eq!(
        rule.limit.to_string(),
        limit,
        "{}: {kind} limit for {f:?}",
        policy.id
    );
    let plan = clock::plan(rule, policy, &cal, bj(from));
    assert_eq!(plan.kind, kind);
    assert_eq!(plan.started_at, bj(from));
    assert_eq!(
        show(plan.due_at),
        due,
        "{}: {kind} {limit} for {f:?} from {from}",
        policy.id
    );
    rule
}

/// Kinds and limits of all clocks that run for `f` from `start`, in kind order.
fn clocks(policy: &Policy, f: OrderFacts, start: ClockStart) -> Vec<(ClockKind, String)> {
    policy
        .rules_for(&f, start)
        .into_iter()
        .map(|r| (r.kind, r.limit.to_string()))
        .collect()
}

fn kl(v: &[(ClockKind, &str)]) -> Vec<(ClockKind, String)> {
    v.iter().map(|(k, l)| (*k, l.to_string())).collect()
}

use ClockKind::{Answer, Arrive, Close, Contact, Restore};
use ClockStart::{Accepted, Arrived};

// ------------------------------------------------------------------ the State Grid table

/// One test per row of DOMAIN.md's "Time limits" table (order deadlines), and a check that
/// every rule of sgcc.toml is exercised by some row.
#[test]
fn sgcc_every_clock_of_the_table() {
    use RegionClass::{Remote, Rural, Urban};
    use ServiceKind as S;
    let p = sgcc();
    let wed = "2026-11-18 10:00"; // Wednesday, an ordinary week
    let fri = "2026-11-20 10:00"; // Friday: working days cross the weekend
    let hot = Channel::Hotline95598;
    let rows: Vec<(OrderFacts, ClockStart, ClockKind, &str, &str, &str)> = vec![
        // repair: arrive on site, urban 45 min, rural 90 min, remote 2 h
        (
            repair(Some(Urban)),
            Accepted,
            Arrive,
            "45m",
            wed,
            "2026-11-18 10:45",
        ),
        (
            repair(Some(Rural)),
            Accepted,
            Arrive,
            "90m",
            wed,
            "2026-11-18 11:30",
        ),
        (
            repair(Some(Remote)),
            Accepted,
            Arrive,
            "2h",
            wed,
            "2026-11-18 12:00",
        ),
        // region unknown: urban (extra fallback rule)
        (
            repair(None),
            Accepted,
            Arrive,
            "45m",
            wed,
            "2026-11-18 10:45",
        ),
        // repair: restore after arrival, urban 3 h, rural 4 h, remote follows rural
        (
            repair(Some(Urban)),
            Arrived,
            Restore,
            "3h",
            wed,
            "2026-11-18 13:00",
        ),
        (
            repair(Some(Rural)),
            Arrived,
            Restore,
            "4h",
            wed,
            "2026-11-18 14:00",
        ),
        (
            repair(Some(Remote)),
            Arrived,
            Restore,
            "4h",
            wed,
            "2026-11-18 14:00",
        ),
        (
            repair(None),
            Arrived,
            Restore,
            "3h",
            wed,
            "2026-11-18 13:00",
        ),
        // complaint: contact 24 h, answer 4 working days
        (
            facts(OrderType::Complaint, hot),
            Accepted,
            Contact,
            "24h",
            fri,
            "2026-11-21 10:00",
        ),
        (
            facts(OrderType::Complaint, hot),
            Accepted,
            Answer,
            "4wd",
            fri,
            "2026-11-26 10:00",
        ),
        // report: contact 24 h, answer 9 working days
        (
            facts(OrderType::Report, hot),
            Accepted,
            Contact,
            "24h",
            wed,
            "2026-11-19 10:00",
        ),
        (
            facts(OrderType::Report, hot),
            Accepted,
            Answer,
            "9wd",
            fri,
            "2026-12-03 10:00",
        ),
        // 12398: close within 10 working days, any type
        (
            facts(OrderType::Consultation, Channel::Regulator12398),
            Accepted,
            Close,
            "10wd",
            wed,
            "2026-12-02 10:00",
        ),
        // 12345: close within 7 calendar days
        (
            facts(OrderType::Consultation, Channel::Gov12345),
            Accepted,
            Close,
            "7d",
            wed,
            "2026-11-25 10:00",
        ),
        // opinion / suggestion, other channels: 10 days
        (
            facts(OrderType::Opinion, Channel::Web),
            Accepted,
            Close,
            "10d",
            wed,
            "2026-11-28 10:00",
        ),
        (
            facts(OrderType::Suggestion, Channel::App),
            Accepted,
            Close,
            "10d",
            wed,
            "2026-11-28 10:00",
        ),
        // service requests
        (
            service(S::Reconnect),
            Accepted,
            Restore,
            "24h",
            wed,
            "2026-11-19 10:00",
        ),
        (
            service(S::ApplianceDamage),
            Accepted,
            Arrive,
            "24h",
            wed,
            "2026-11-19 10:00",
        ),
        (
            service(S::MeterAnomaly),
            Accepted,
            Answer,
            "4wd",
            wed,
            "2026-11-24 10:00",
        ),
        (
            service(S::ReadingAnomaly),
            Accepted,
            Answer,
            "6wd",
            wed,
            "2026-11-26 10:00",
        ),
        (
            service(S::Other),
            Accepted,
            Answer,
            "5wd",
            wed,
            "2026-11-25 10:00",
        ),
        (
            service(S::MeterCalibration),
            Accepted,
            Answer,
            "5wd",
            wed,
            "2026-11-25 10:00",
        ),
        // new connection, supplier's steps
        (
            service(S::NewConnectionResidential),
            Accepted,
            Close,
            "5wd",
            wed,
            "2026-11-25 10:00",
        ),
        (
            service(S::NewConnectionLvNonResidential),
            Accepted,
            Close,
            "6wd",
            wed,
            "2026-11-26 10:00",
        ),
        (
            service(S::NewConnectionHvSingle),
            Accepted,
            Close,
            "22wd",
            wed,
            "2026-12-18 10:00",
        ),
        // 32 working days run into 2027: 2027-01-01 (provisional 元旦) is skipped
        (
            service(S::NewConnectionHvDual),
            Accepted,
            Close,
            "32wd",
            wed,
            "2027-01-04 10:00",
        ),
    ];
    let mut used = vec![false; p.rules.len()];
    for (f, start, kind, limit, from, due) in rows {
        let rule = check(&p, f, start, kind, limit, from, due);
        let i = p.rules.iter().position(|r| std::ptr::eq(r, rule)).unwrap();
        used[i] = true;
    }
    for (i, r) in p.rules.iter().enumerate() {
        assert!(
            used[i],
            "sgcc rule[{i}] not covered by the table test: {r:?}"
        );
    }
}

#[test]
fn sgcc_top_level() {
    let p = sgcc();
    assert_eq!(p.id, "sgcc");
    assert_eq!(p.version, "2025.1");
    assert_eq!(p.timezone, Shanghai);
    assert_eq!(p.warn_share, 0.8);
    assert!(p.name.contains("国家电网"));
    assert!(p.rules.iter().all(|r| !r.source.is_empty()));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["timezone"], "Asia/Shanghai");
    assert_eq!(json["rules"][0]["limit"], "45m");
    assert_eq!(json["rules"][0]["start"], "accepted");
}

#[test]
fn sets_of_clocks_per_order() {
    let p = sgcc();
    let hot = Channel::Hotline95598;
    assert_eq!(
        clocks(&p, facts(OrderType::Complaint, hot), Accepted),
        kl(&[(Contact, "24h"), (Answer, "4wd")])
    );
    assert!(clocks(&p, facts(OrderType::Complaint, hot), Arrived).is_empty());
    assert!(clocks(&p, facts(OrderType::Consultation, hot), Accepted).is_empty());
    assert!(clocks(&p, facts(OrderType::Praise, Channel::Wechat), Accepted).is_empty());
    assert_eq!(
        clocks(&p, repair(Some(RegionClass::Rural)), Accepted),
        kl(&[(Arrive, "90m")])
    );
    assert_eq!(
        clocks(&p, repair(Some(RegionClass::Rural)), Arrived),
        kl(&[(Restore, "4h")])
    );
    // A reconnect's restore clock starts at acceptance, not at arrival.
    assert_eq!(
        clocks(&p, service(ServiceKind::Reconnect), Accepted),
        kl(&[(Restore, "24h")])
    );
    assert!(clocks(&p, service(ServiceKind::Reconnect), Arrived).is_empty());
    // A service request without a kind matches no kind-specific rule.
    assert!(clocks(&p, facts(OrderType::ServiceRequest, hot), Accepted).is_empty());
    // A rule with a service kind does not apply to other order types.
    let odd = OrderFacts {
        service_kind: Some(ServiceKind::Reconnect),
        ..facts(OrderType::Complaint, hot)
    };
    assert_eq!(
        clocks(&p, odd, Accepted),
        kl(&[(Contact, "24h"), (Answer, "4wd")])
    );
}

#[test]
fn most_specific_rule_selection() {
    let p = sgcc();
    // A complaint from 12398 gets the complaint's contact and answer clocks plus 12398's close.
    assert_eq!(
        clocks(
            &p,
            facts(OrderType::Complaint, Channel::Regulator12398),
            Accepted
        ),
        kl(&[(Contact, "24h"), (Answer, "4wd"), (Close, "10wd")])
    );
    // From 12345: contact + answer + 7 calendar days.
    assert_eq!(
        clocks(&p, facts(OrderType::Complaint, Channel::Gov12345), Accepted),
        kl(&[(Contact, "24h"), (Answer, "4wd"), (Close, "7d")])
    );
    // An opinion forwarded by 12345 ties (one criterion each): the channel rule, first in file.
    assert_eq!(
        clocks(&p, facts(OrderType::Opinion, Channel::Gov12345), Accepted),
        kl(&[(Close, "7d")])
    );
    assert_eq!(
        clocks(
            &p,
            facts(OrderType::Suggestion, Channel::Regulator12398),
            Accepted
        ),
        kl(&[(Close, "10wd")])
    );
    // Region-specific beats the region-less fallback, wherever it sits in the file.
    for (region, limit) in [
        (RegionClass::Urban, "45m"),
        (RegionClass::Rural, "90m"),
        (RegionClass::Remote, "2h"),
    ] {
        assert_eq!(
            clocks(&p, repair(Some(region)), Accepted),
            kl(&[(Arrive, limit)])
        );
    }

    // Specificity, not file order: the specific rule is last here and still wins.
    let t = Policy::from_toml(
        r#"
id = "t"
version = "1"
name = "t"
timezone = "Asia/Shanghai"
warn_share = 0.8
[[rule]]
kind = "close"
start = "accepted"
limit = "10d"
source = "generic"
[[rule]]
kind = "close"
start = "accepted"
limit = "3d"
order_type = "complaint"
channel = "gov_12345"
source = "specific"
[[rule]]
kind = "close"
start = "accepted"
limit = "7d"
channel = "gov_12345"
source = "channel"
"#,
    )
    .unwrap();
    let pick = |f| t.rules_for(&f, Accepted)[0].source.as_str();
    assert_eq!(
        pick(facts(OrderType::Complaint, Channel::Gov12345)),
        "specific"
    );
    assert_eq!(
        pick(facts(OrderType::Opinion, Channel::Gov12345)),
        "channel"
    );
    assert_eq!(pick(facts(OrderType::Opinion, Channel::Web)), "generic");
}

// ------------------------------------------------------------------ working days

#[test]
fn working_days_across_a_weekend() {
    let p = sgcc();
    // Friday 10:00 + 4 wd -> Mon, Tue, Wed, Thu -> Thursday 10:00.
    check(
        &p,
        facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
        Answer,
        "4wd",
        "2026-11-20 10:00",
        "2026-11-26 10:00",
    );
    let cal = cn();
    assert_eq!(
        cal.add_working_days(local("2026-11-20 10:00"), 4),
        local("2026-11-26 10:00")
    );
}

#[test]
fn working_days_across_national_day_with_make_up_saturday() {
    let p = sgcc();
    // 2026-09-30 (Wed) 10:00; Oct 1–7 holiday; Oct 10 (Sat) is a make-up working day:
    // Oct 8, 9, 10, 12 -> due Monday 2026-10-12 10:00.
    check(
        &p,
        facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
        Answer,
        "4wd",
        "2026-09-30 10:00",
        "2026-10-12 10:00",
    );
    // 2025: Oct 1–8 holiday, Oct 11 (Sat) make-up: 12398 item, 10 wd from 2025-09-30.
    check(
        &p,
        facts(OrderType::Complaint, Channel::Regulator12398),
        Accepted,
        Close,
        "10wd",
        "2025-09-30 09:00",
        "2025-10-21 09:00",
    );
}

#[test]
fn working_days_across_spring_festival() {
    let p = sgcc();
    let complaint = facts(OrderType::Complaint, Channel::Hotline95598);
    // 2026: Fri Feb 13; Sat Feb 14 make-up (1); Feb 15–23 holiday; Feb 24, 25, 26.
    check(
        &p,
        complaint,
        Accepted,
        Answer,
        "4wd",
        "2026-02-13 10:00",
        "2026-02-26 10:00",
    );
    // 2025: Fri Jan 24; Sun Jan 26 make-up (1); Mon Jan 27 (2); Jan 28–Feb 4 holiday; Feb 5 (3).
    let cal = cn();
    assert_eq!(
        cal.add_working_days(local("2025-01-24 09:00"), 3),
        local("2025-02-05 09:00")
    );
}

#[test]
fn accepted_on_a_non_working_day() {
    let p = sgcc();
    let complaint = facts(OrderType::Complaint, Channel::Hotline95598);
    // Saturday afternoon: the count starts Monday 00:00 -> due Friday 00:00.
    check(
        &p,
        complaint,
        Accepted,
        Answer,
        "4wd",
        "2026-11-21 15:00",
        "2026-11-27 00:00",
    );
    // On a holiday (Sat Oct 3 2026): first working day is Thu Oct 8 -> 9, 10 (make-up), 12, 13.
    check(
        &p,
        complaint,
        Accepted,
        Answer,
        "4wd",
        "2026-10-03 11:00",
        "2026-10-13 00:00",
    );
    // The contact clock (hours) ignores the calendar.
    check(
        &p,
        complaint,
        Accepted,
        Contact,
        "24h",
        "2026-10-03 11:00",
        "2026-10-04 11:00",
    );
}

#[test]
fn working_days_use_beijing_date_not_utc_date() {
    let p = sgcc();
    // Saturday 01:00 in Beijing is Friday 17:00 UTC: Saturday counts, so Monday 00:00 + 4 wd.
    check(
        &p,
        facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
        Answer,
        "4wd",
        "2026-11-21 01:00",
        "2026-11-27 00:00",
    );
    // Seconds and milliseconds are kept.
    let start = bj("2026-11-20 10:00") + 12_345;
    let due = clock::due_at(Limit::WorkingDays(4), Shanghai, &cn(), start);
    assert_eq!(due, bj("2026-11-26 10:00") + 12_345);
}

#[test]
fn calendar_file_is_consistent() {
    let cal = cn();
    let entries = cal.entries();
    assert!(entries.windows(2).all(|w| w[0].day < w[1].day));
    for e in &entries {
        assert!(!e.name.is_empty(), "{e:?}");
        assert!((2025..=2027).contains(&e.day.year()), "{e:?}");
        if e.kind == DayKind::Workday {
            assert!(
                matches!(e.day.weekday(), Weekday::Sat | Weekday::Sun),
                "make-up day on a weekday: {e:?}"
            );
        }
    }
    // 2027 is provisional: statutory days only, no make-up days.
    assert!(
        entries
            .iter()
            .filter(|e| e.day.year() == 2027)
            .all(|e| e.kind == DayKind::Holiday)
    );
    for (d, working) in [
        ("2025-01-01", false),
        ("2025-01-26", true),
        ("2025-02-04", false),
        ("2025-02-08", true),
        ("2025-04-04", false),
        ("2025-04-27", true),
        ("2025-05-05", false),
        ("2025-06-02", false),
        ("2025-09-28", true),
        ("2025-10-08", false),
        ("2025-10-11", true),
        ("2026-01-02", false),
        ("2026-01-04", true),
        ("2026-02-14", true),
        ("2026-02-23", false),
        ("2026-02-28", true),
        ("2026-04-06", false),
        ("2026-05-05", false),
        ("2026-05-09", true),
        ("2026-06-19", false),
        ("2026-09-20", true),
        ("2026-09-25", false),
        ("2026-10-07", false),
        ("2026-10-10", true),
        ("2026-10-11", false),
        ("2027-01-01", false),
        ("2027-02-10", false),
        ("2027-10-07", false),
        ("2026-11-20", true),
    ] {
        assert_eq!(cal.is_working_day(day(d)), working, "{d}");
    }
    assert_eq!(cal.get(day("2026-10-10")).unwrap().name, "国庆节调休上班");
    assert_eq!(cal.get(day("2025-01-28")).unwrap().name, "春节");
}

// ------------------------------------------------------------------ warn, pause, resume

#[test]
fn warns_at_80_percent() {
    let p = sgcc();
    let cal = cn();
    let urban = p.rules_for(&repair(Some(RegionClass::Urban)), Accepted)[0];
    let plan = clock::plan(urban, &p, &cal, bj("2026-11-18 10:00"));
    assert_eq!(plan.warn_at - plan.started_at, 36 * MINUTE_MS);
    assert_eq!(plan.limit, Limit::Minutes(45));

    // Working-day clocks warn at 80 % of the wall time between start and due.
    let answer = p.rules_for(
        &facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
    )[1];
    assert_eq!(answer.kind, Answer);
    let plan = clock::plan(answer, &p, &cal, bj("2026-11-20 10:00"));
    assert_eq!(show(plan.due_at), "2026-11-26 10:00");
    assert_eq!(show(plan.warn_at), "2026-11-25 05:12"); // 0.8 × 144 h = 115 h 12 min

    // A rule's own warn_share overrides the policy's.
    let t = Policy::from_toml(
        r#"
id = "t"
version = "1"
name = "t"
timezone = "Asia/Shanghai"
warn_share = 0.8
[[rule]]
kind = "contact"
start = "accepted"
limit = "24h"
warn_share = 0.5
source = "test"
"#,
    )
    .unwrap();
    let plan = clock::plan(&t.rules[0], &t, &cal, 0);
    assert_eq!((plan.due_at, plan.warn_at), (24 * HOUR_MS, 12 * HOUR_MS));
}

#[test]
fn pause_and_resume_shift_due() {
    let p = sgcc();
    let cal = cn();
    let contact = p.rules_for(
        &facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
    )[0];
    let start = bj("2026-11-18 10:00");
    let plan = clock::plan(contact, &p, &cal, start);
    let mut t: ClockTimes = plan.into();
    assert_eq!(t.next_fire(false, false), Some(start + 1152 * MINUTE_MS)); // 19.2 h
    assert_eq!(t.remaining(start + HOUR_MS), 23 * HOUR_MS);

    // Waiting on the customer from 12:00 to 15:30.
    t.pause(bj("2026-11-18 12:00")).unwrap();
    assert_eq!(
        t.pause(bj("2026-11-18 13:00")),
        Err(ClockError::AlreadyPaused {
            since: bj("2026-11-18 12:00")
        })
    );
    assert_eq!(t.next_fire(false, false), None);
    assert_eq!(t.remaining(bj("2026-11-18 15:00")), 22 * HOUR_MS); // frozen
    t.resume(bj("2026-11-18 15:30")).unwrap();
    assert_eq!(t.resume(bj("2026-11-18 16:00")), Err(ClockError::NotPaused));
    assert_eq!(show(t.due_at), "2026-11-19 13:30");
    assert_eq!(t.warn_at, plan.warn_at + 210 * MINUTE_MS);
    assert_eq!(t.paused_ms, 210 * MINUTE_MS);
    assert_eq!(t.next_fire(true, false), Some(bj("2026-11-19 13:30")));
    assert_eq!(t.next_fire(true, true), None);

    // A second pause adds up.
    t.pause(bj("2026-11-19 09:00")).unwrap();
    t.resume(bj("2026-11-19 10:00")).unwrap();
    assert_eq!(show(t.due_at), "2026-11-19 14:30");
    assert_eq!(t.paused_ms, 270 * MINUTE_MS);
    assert_eq!(t.remaining(bj("2026-11-19 15:00")), -30 * MINUTE_MS);
}

// ------------------------------------------------------------------ Southern Grid

#[test]
fn csg_differences() {
    let s = csg();
    assert_eq!(s.id, "csg");
    let wed = "2026-11-18 10:00";
    use RegionClass::{Remote, Rural, Urban};
    check(
        &s,
        service(ServiceKind::Reconnect),
        Accepted,
        Restore,
        "12h",
        wed,
        "2026-11-18 22:00",
    );
    check(
        &s,
        repair(Some(Urban)),
        Arrived,
        Restore,
        "4h",
        wed,
        "2026-11-18 14:00",
    );
    check(
        &s,
        repair(Some(Rural)),
        Arrived,
        Restore,
        "5h",
        wed,
        "2026-11-18 15:00",
    );
    check(
        &s,
        repair(Some(Remote)),
        Arrived,
        Restore,
        "5h",
        wed,
        "2026-11-18 15:00",
    );
    check(
        &s,
        repair(None),
        Arrived,
        Restore,
        "4h",
        wed,
        "2026-11-18 14:00",
    );
    // Same as State Grid:
    check(
        &s,
        repair(Some(Urban)),
        Accepted,
        Arrive,
        "45m",
        wed,
        "2026-11-18 10:45",
    );
    check(
        &s,
        facts(OrderType::Complaint, Channel::Hotline95598),
        Accepted,
        Answer,
        "4wd",
        "2026-09-30 10:00",
        "2026-10-12 10:00",
    );

    // Every other rule equals State Grid's, criteria and limit alike.
    let g = sgcc();
    assert_eq!(s.rules.len(), g.rules.len());
    let mut differ = 0;
    for (a, b) in s.rules.iter().zip(&g.rules) {
        let key = |r: &ClockRule| {
            (
                r.kind,
                r.start,
                r.order_type,
                r.channel,
                r.service_kind,
                r.region,
            )
        };
        assert_eq!(key(a), key(b));
        if a.limit != b.limit {
            differ += 1;
            assert!(a.kind == Restore, "unexpected difference: {a:?} vs {b:?}");
        }
    }
    assert_eq!(differ, 5); // reconnect + restore urban/rural/remote/unknown
}

// ------------------------------------------------------------------ errors

const HEAD: &str = r#"
id = "t"
version = "1"
name = "t"
timezone = "Asia/Shanghai"
warn_share = 0.8
"#;

fn rule(body: &str) -> String {
    format!(
        "{HEAD}\n[[rule]]\nkind = \"contact\"\nstart = \"accepted\"\nlimit = \"24h\"\nsource = \"ok\"\n\n[[rule]]\n{body}\n"
    )
}

fn rule_err(body: &str) -> (usize, String, String) {
    match Policy::from_toml(&rule(body)) {
        Err(PolicyError::Rule {
            index,
            field,
            message,
        }) => (index, field, message),
        other => panic!("expected a rule error for {body:?}, got {other:?}"),
    }
}

#[test]
fn bad_policy_toml_gives_clear_errors() {
    // Not TOML at all.
    let e = Policy::from_toml("id = \"t\"\nversion = ").unwrap_err();
    assert!(matches!(e, PolicyError::Toml(_)), "{e}");
    assert!(e.to_string().starts_with("policy TOML:"), "{e}");
    // A missing top-level key.
    let e = Policy::from_toml("id = \"t\"").unwrap_err().to_string();
    assert!(e.contains("version"), "{e}");

    // Top-level values.
    let e = Policy::from_toml(&HEAD.replace("Asia/Shanghai", "Asia/Beijing")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "policy field `timezone`: unknown IANA time zone `Asia/Beijing`"
    );
    for bad in ["0.0", "1.0", "1.5", "-0.2"] {
        let e = Policy::from_toml(&HEAD.replace("0.8", bad)).unwrap_err();
        assert!(
            matches!(
                e,
                PolicyError::Field {
                    field: "warn_share",
                    ..
                }
            ),
            "{bad}: {e}"
        );
    }

    // Rule fields: index (0-based) and field are named.
    let ok = "kind = \"answer\"\nstart = \"accepted\"\nsource = \"x\"";
    let (i, f, m) = rule_err(&format!("{ok}\nlimit = \"0wd\""));
    assert_eq!((i, f.as_str()), (1, "limit"));
    assert!(m.contains("greater than 0"), "{m}");
    let (_, f, m) = rule_err(&format!("{ok}\nlimit = \"4 days\""));
    assert_eq!(f, "limit");
    assert!(m.contains("4 days"), "{m}");
    let (_, f, m) = rule_err(&format!("{ok}\nlimit = \"4wd\"\norder_type = \"complain\""));
    assert_eq!(f, "order_type");
    assert!(m.contains("complain"), "{m}");
    let (_, f, _) = rule_err(&format!("{ok}\nlimit = \"4wd\"\nchannel = \"12398\""));
    assert_eq!(f, "channel");
    let (_, f, _) = rule_err(&format!(
        "{ok}\nlimit = \"4wd\"\nservice_kind = \"reconnection\""
    ));
    assert_eq!(f, "service_kind");
    let (_, f, _) = rule_err(&format!("{ok}\nlimit = \"4wd\"\nregion = \"city\""));
    assert_eq!(f, "region");
    let (_, f, _) = rule_err(&format!("{ok}\nlimit = \"4wd\"\nwarn_share = 1.2"));
    assert_eq!(f, "warn_share");
    let (_, f, m) = rule_err(&format!("{ok}\nlimit = \"4wd\"\nlimt = \"4wd\""));
    assert_eq!(f, "limt");
    assert!(m.contains("unknown field"), "{m}");
    let (_, f, m) = rule_err(&format!("{ok}\nlimit = 4"));
    assert_eq!(f, "limit");
    assert!(m.contains("expected a string"), "{m}");
    let (_, f, m) = rule_err("kind = \"answer\"\nstart = \"accepted\"\nlimit = \"4wd\"");
    assert_eq!((f.as_str(), m.as_str()), ("source", "missing (required)"));
    let (_, f, _) =
        rule_err("kind = \"answer\"\nstart = \"received\"\nlimit = \"4wd\"\nsource = \"x\"");
    assert_eq!(f, "start");
    let (_, f, _) =
        rule_err("kind = \"reply\"\nstart = \"accepted\"\nlimit = \"4wd\"\nsource = \"x\"");
    assert_eq!(f, "kind");

    let e = Policy::from_toml(&rule(&format!("{ok}\nlimit = \"0h\""))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rule[1] field `limit`: `0h` must be greater than 0"
    );
}

#[test]
fn bad_calendar_toml_gives_clear_errors() {
    let e =
        Calendar::from_toml("[[day]]\ndate = \"2026-02-30\"\nkind = \"holiday\"\n").unwrap_err();
    assert!(matches!(e, CalendarError::Toml(_)), "{e}");
    let e = Calendar::from_toml("[[day]]\ndate = \"2026-10-01\"\nkind = \"off\"\n").unwrap_err();
    assert!(e.to_string().contains("off"), "{e}");
    let e = Calendar::from_toml(
        "[[day]]\ndate = \"2026-10-01\"\nkind = \"holiday\"\n[[day]]\ndate = \"2026-10-01\"\nkind = \"holiday\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        CalendarError::Duplicate {
            day: day("2026-10-01"),
            first: 0,
            second: 1
        }
    );
    assert!(Calendar::from_toml("").unwrap().is_empty());
}

// ------------------------------------------------------------------ properties

fn any_start() -> impl Strategy<Value = NaiveDateTime> {
    // 2024-12-01 .. 2027-12-31, any minute of the day.
    (0i64..1126, 0u32..1440).prop_map(|(d, m)| {
        day("2024-12-01")
            .checked_add_days(chrono::Days::new(d as u64))
            .unwrap()
            .and_hms_opt(m / 60, m % 60, 0)
            .unwrap()
    })
}

proptest! {
    #[test]
    fn add_working_days_lands_on_working_day_and_is_monotonic(
        start in any_start(),
        n in 1u32..60,
    ) {
        let cal = cn();
        let a = cal.add_working_days(start, n);
        let b = cal.add_working_days(start, n + 1);
        prop_assert!(cal.is_working_day(a.date()), "{start} + {n} = {a}");
        prop_assert!(cal.is_working_day(b.date()));
        prop_assert!(a > start);
        prop_assert!(b > a, "{start}: +{n} = {a}, +{} = {b}", n + 1);
        // Exactly n working days lie after the (moved) start day, up to and including a.
        let first = cal.add_working_days(start, 0).date();
        prop_assert_eq!(
            cal.working_days_between(first.succ_opt().unwrap(), a.date().succ_opt().unwrap()),
            n
        );
        // Time of day is kept when the start is a working day, else it is midnight.
        if cal.is_working_day(start.date()) {
            prop_assert_eq!(a.time(), start.time());
        } else {
            prop_assert_eq!(a.time(), chrono::NaiveTime::MIN);
        }
    }

    #[test]
    fn due_is_never_before_start(start in 1_700_000_000_000i64..1_830_000_000_000, n in 1u32..40) {
        let cal = cn();
        for limit in [Limit::Minutes(n), Limit::Hours(n), Limit::Days(n), Limit::WorkingDays(n)] {
            let due = clock::due_at(limit, Shanghai, &cal, start);
            prop_assert!(due > start, "{limit} from {start}: {due}");
            let warn = clock::warn_at(start, due, 0.8);
            prop_assert!(start < warn && warn < due);
        }
    }
}
