//! The early-warning judgement (DOMAIN.md "Early warning"), pure: which warnings a batch of
//! trace events raises, given the facts the rules read about them.
//!
//! The rules engine of the service works in four steps: it reads a batch of events and the
//! orders they are about; [`needs`] says which further facts the judgement will read (recent
//! orders of a customer, counts over a window, texts to score); the service fetches them into
//! [`Facts`]; [`judge`] decides. Nothing here reads a database or a clock, so every rule is
//! tested with plain values.

use crate::order::OrderEvent;
use crate::policy::WarningSettings;
use crate::trace::{OutageRegistered, TraceEvent};
use crate::{
    ClockKind, DAY_MS, Millis, OrderType, Role, RuleKind, Satisfaction, Severity, SubjectArea,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// The words of a warning's title as data (`{"key": …, params…}`), kept in its detail under
/// `words` so a page can say it in the reader's language; the stored title is the Chinese.
pub fn with_words(
    mut detail: serde_json::Value,
    key: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    let mut words = params;
    words["key"] = json!(key);
    if !detail.is_object() {
        detail = json!({});
    }
    detail["words"] = words;
    detail
}

/// A trace event as the rules see it: where it sits and what happened.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The trace event's id (the warning's source).
    pub id: i64,
    pub at: Millis,
    pub station_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub event: TraceEvent,
}

/// What the rules know of a work order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBrief {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub area_id: Option<i64>,
    pub order_type: OrderType,
    pub subject: Option<SubjectArea>,
    pub created_at: Millis,
    pub merged_into: Option<i64>,
    /// Empty when read without texts.
    pub title: String,
    pub description: String,
}

/// The thresholds of each station and the switches of the rules.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    /// The policy's `[warnings]` of each station (`None`: events about no station).
    pub settings: HashMap<Option<i64>, WarningSettings>,
    /// A station's own switch of a rule, where it set one.
    pub switches: HashMap<(i64, RuleKind), bool>,
}

impl RuleBook {
    pub fn settings(&self, station: Option<i64>) -> WarningSettings {
        self.settings.get(&station).cloned().unwrap_or_default()
    }

    /// Whether `rule` is on at `station`: the station's switch, else the policy's default.
    pub fn on(&self, station: Option<i64>, rule: RuleKind) -> bool {
        if let Some(s) = station
            && let Some(on) = self.switches.get(&(s, rule))
        {
            return *on;
        }
        let disabled = match self.settings.get(&station) {
            Some(s) => s.disabled.iter().any(|d| d == rule.code()),
            None => WarningSettings::default()
                .disabled
                .iter()
                .any(|d| d == rule.code()),
        };
        !disabled
    }
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Customer(i64),
    Area(i64),
    Order(i64),
    Outage(i64),
}

impl Subject {
    /// The stable code of the subject's kind, as stored.
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Customer(_) => "customer",
            Subject::Area(_) => "area",
            Subject::Order(_) => "order",
            Subject::Outage(_) => "outage",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Subject::Customer(id)
            | Subject::Area(id)
            | Subject::Order(id)
            | Subject::Outage(id) => id,
        }
    }
}

/// A warning to raise (or, when its key matches a live warning, to count again).
#[derive(Debug, Clone, PartialEq)]
pub struct Raise {
    pub rule: RuleKind,
    pub severity: Severity,
    pub owner: Role,
    pub owner_id: Option<i64>,
    pub subject: Subject,
    /// One situation, one key: a raise whose key is live is another occurrence.
    pub key: String,
    pub title: String,
    pub detail: serde_json::Value,
    /// Where it came from: station, customer, order and trace event.
    pub station_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub trace_id: Option<i64>,
}

/// A customer the rules make sensitive, with the date of the review.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSensitive {
    pub customer_id: i64,
    pub review_at: Millis,
    pub at: Millis,
    pub reason: String,
}

/// What a batch raises.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judgement {
    pub raises: Vec<Raise>,
    pub sensitive: Vec<MakeSensitive>,
}

/// One cue of escalation found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub category: String,
    pub word: String,
    /// 0 for a negated or dampened cue, which does not count.
    pub weight: f32,
}

/// The complaint-tendency reading of a contact's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Tendency {
    pub score: f32,
    pub escalating: bool,
    pub cues: Vec<Cue>,
}

/// The facts [`needs`] asked for, keyed as it asked.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The orders the events are about, by id.
    pub orders: HashMap<i64, OrderBrief>,
    /// Orders of each customer created since [`Needs::recent_since`].
    pub recent: HashMap<i64, Vec<OrderBrief>>,
    /// Complaints of a customer since a time.
    pub complaints: HashMap<(i64, Millis), i64>,
    /// Dissatisfied return visits of a customer since a time.
    pub dissatisfied: HashMap<(i64, Millis), i64>,
    /// Of the customers asked about, those already marked sensitive.
    pub sensitive: HashSet<i64>,
    /// Outages that started on an area since a time.
    pub outages_on_area: HashMap<(i64, Millis), i64>,
    /// Out-of-limit voltage readings on an area since a time.
    pub voltage_violations: HashMap<(i64, Millis), i64>,
    pub area_names: HashMap<i64, String>,
    /// The tendency of each text asked for, by trace event id.
    pub tendency: HashMap<i64, Tendency>,
}

/// The facts a judgement will read beyond the events' orders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    pub recent_customers: HashSet<i64>,
    pub recent_since: Millis,
    pub complaints: HashSet<(i64, Millis)>,
    pub dissatisfied: HashSet<(i64, Millis)>,
    pub sensitive: HashSet<i64>,
    pub outages_on_area: HashSet<(i64, Millis)>,
    pub voltage_violations: HashSet<(i64, Millis)>,
    pub areas: HashSet<i64>,
    /// Texts to score for complaint tendency: (trace event id, text).
    pub texts: Vec<(i64, String)>,
}

/// The text of a contact the tendency rule reads: the order's title and description at
/// acceptance, and what was written with the event.
pub fn contact_text(event: &TraceEvent, order: Option<&OrderBrief>) -> String {
    let mut text = String::new();
    if let Some(o) = order {
        text.push_str(&o.title);
        text.push('。');
        text.push_str(&o.description);
    }
    if let Some(t) = event.text() {
        text.push('。');
        text.push_str(t);
    }
    text
}

/// Events that are a customer's contact: the tendency and customer rules read them.
fn is_contact(e: &TraceEvent) -> bool {
    matches!(
        e,
        TraceEvent::OrderAccepted(_)
            | TraceEvent::Order(
                OrderEvent::Contacted { .. }
                    | OrderEvent::Urged { .. }
                    | OrderEvent::ReturnVisited { .. }
            )
    )
}

fn is_dissatisfied_visit(e: &TraceEvent) -> bool {
    matches!(
        e,
        TraceEvent::Order(OrderEvent::ReturnVisited {
            satisfaction: Satisfaction::Dissatisfied,
            ..
        })
    )
}

/// Whether this contact counts towards making its customer sensitive: a complaint accepted,
/// or a dissatisfied return visit.
fn counts_to_sensitive(e: &TraceEvent, o: &OrderBrief) -> bool {
    (matches!(e, TraceEvent::OrderAccepted(_)) && o.order_type == OrderType::Complaint)
        || is_dissatisfied_visit(e)
}

/// The areas of a registered outage and the start of the window that counts them.
fn outage_window(p: &OutageRegistered, s: &WarningSettings) -> Millis {
    p.started_at - s.frequent_outage_days * DAY_MS
}

/// Which facts [`judge`] will read for `events`, given the orders they are about.
pub fn needs(events: &[Seen], orders: &HashMap<i64, OrderBrief>, book: &RuleBook) -> Needs {
    let mut n = Needs::default();
    let window_days = book
        .settings
        .values()
        .map(|s| s.repeat_contact_days.max(s.sensitive_window_days))
        .max()
        .unwrap_or(365);
    n.recent_since = events.iter().map(|e| e.at).min().unwrap_or(0) - window_days * DAY_MS;
    for ev in events {
        let station = ev.station_id;
        let s = book.settings(station);
        let on = |r: RuleKind| book.on(station, r);
        match &ev.event {
            e if is_contact(e) => {
                let Some(o) = ev.order_id.and_then(|id| orders.get(&id)) else {
                    continue;
                };
                if on(RuleKind::ComplaintTendency) && o.order_type != OrderType::Praise {
                    let accepted = matches!(e, TraceEvent::OrderAccepted(_));
                    n.texts
                        .push((ev.id, contact_text(e, accepted.then_some(o))));
                }
                let Some(cid) = o.customer_id else { continue };
                if matches!(e, TraceEvent::OrderAccepted(_))
                    && let Some(c) = ev.customer_id
                {
                    n.recent_customers.insert(c);
                }
                if counts_to_sensitive(e, o) && on(RuleKind::SensitiveCustomer) {
                    let since = ev.at - s.sensitive_window_days * DAY_MS;
                    if !matches!(e, TraceEvent::OrderAccepted(_)) {
                        n.complaints.insert((cid, since));
                    }
                    n.dissatisfied.insert((cid, since));
                    n.sensitive.insert(cid);
                }
            }
            TraceEvent::OutageRegistered(p) if on(RuleKind::FrequentOutages) => {
                for area in &p.area_ids {
                    n.outages_on_area.insert((*area, outage_window(p, &s)));
                    n.areas.insert(*area);
                }
            }
            TraceEvent::VoltageViolation(v) if on(RuleKind::VoltageOutOfLimits) => {
                n.voltage_violations
                    .insert((v.area_id, ev.at - s.voltage_days * DAY_MS));
                n.areas.insert(v.area_id);
            }
            _ => {}
        }
    }
    n
}

/// The warnings a batch of events raises, and the customers it makes sensitive.
pub fn judge(events: &[Seen], facts: &Facts, book: &RuleBook) -> Judgement {
    let mut out = Judgement::default();
    let mut sensitive_now: HashSet<i64> = HashSet::new();
    for ev in events {
        let station = ev.station_id;
        let s = book.settings(station);
        let on = |r: RuleKind| book.on(station, r);
        let mut push = |rule: RuleKind,
                        severity: Severity,
                        owner: Role,
                        subject: Subject,
                        key: String,
                        title: String,
                        detail: serde_json::Value| {
            out.raises.push(Raise {
                rule,
                severity,
                owner,
                owner_id: None,
                subject,
                key,
                title,
                detail,
                station_id: station,
                customer_id: ev.customer_id,
                order_id: ev.order_id,
                trace_id: Some(ev.id),
            });
        };
        match &ev.event {
            TraceEvent::ClockWarned(_) | TraceEvent::ClockBreached(_) => {
                let missed = matches!(ev.event, TraceEvent::ClockBreached(_));
                let rule = if missed {
                    RuleKind::DeadlineMissed
                } else {
                    RuleKind::DeadlineNear
                };
                let (Some(order_id), true) = (ev.order_id, on(rule)) else {
                    continue;
                };
                let (clock_id, kind): (i64, ClockKind) = match &ev.event {
                    TraceEvent::ClockWarned(c) => (c.clock_id, c.kind),
                    TraceEvent::ClockBreached(c) => (c.clock_id, c.kind),
                    _ => continue,
                };
                let what = kind.zh();
                push(
                    rule,
                    if missed {
                        Severity::Serious
                    } else {
                        Severity::General
                    },
                    Role::Supervisor,
                    Subject::Order(order_id),
                    format!("{}:{}", rule.code(), clock_id),
                    if missed {
                        format!("{what}时限已超期")
                    } else {
                        format!("{what}时限即将到期")
                    },
                    with_words(ev.event.payload(), rule.code(), json!({"clock": kind})),
                );
            }
            e if is_contact(e) => {
                let Some(o) = ev.order_id.and_then(|id| facts.orders.get(&id)) else {
                    continue;
                };
                let order_id = o.id;
                let accepted = matches!(e, TraceEvent::OrderAccepted(_));
                // Complaint tendency in what the customer said.
                if on(RuleKind::ComplaintTendency)
                    && o.order_type != OrderType::Praise
                    && let Some(t) = facts.tendency.get(&ev.id)
                    && t.escalating
                {
                    let counted: Vec<&Cue> = t.cues.iter().filter(|c| c.weight > 0.0).collect();
                    let words: Vec<&str> = counted.iter().map(|c| c.word.as_str()).collect();
                    push(
                        RuleKind::ComplaintTendency,
                        Severity::Serious,
                        Role::Supervisor,
                        Subject::Order(order_id),
                        format!("complaint_tendency:{order_id}"),
                        format!("投诉升级倾向：{}", words.join("、")),
                        with_words(
                            json!({"score": t.score, "cues": counted.iter().map(|c| json!({"category": c.category, "word": c.word})).collect::<Vec<_>>()}),
                            "complaint_tendency",
                            json!({"words": words.join("、")}),
                        ),
                    );
                }
                let Some(cid) = o.customer_id else { continue };
                let earlier_orders = facts.recent.get(&cid).map(Vec::as_slice).unwrap_or(&[]);
                // The same customer on the same subject again within the window.
                if accepted
                    && on(RuleKind::RepeatContact)
                    && let Some(subject) = o.subject
                {
                    let mut earlier: Vec<&OrderBrief> = earlier_orders
                        .iter()
                        .filter(|e| {
                            e.id < o.id
                                && e.subject == Some(subject)
                                && e.merged_into.is_none()
                                && s.is_repeat(e.created_at, o.created_at)
                        })
                        .collect();
                    earlier.sort_by_key(|e| e.id);
                    if let Some(first) = earlier.first() {
                        push(
                            RuleKind::RepeatContact,
                            Severity::General,
                            Role::Agent,
                            Subject::Customer(cid),
                            format!("repeat_contact:{cid}:{}", subject.code()),
                            format!(
                                "{}天内第{}次就“{}”来电",
                                s.repeat_contact_days,
                                earlier.len() + 1,
                                subject.zh()
                            ),
                            with_words(
                                json!({"orders": earlier.iter().map(|e| e.id).collect::<Vec<_>>(), "first": first.id, "subject": subject}),
                                "repeat_contact",
                                json!({"days": s.repeat_contact_days, "n": earlier.len() + 1, "subject": subject}),
                            ),
                        );
                    }
                }
                // Complaints and dissatisfied visits make a customer sensitive.
                if counts_to_sensitive(e, o)
                    && on(RuleKind::SensitiveCustomer)
                    && !sensitive_now.contains(&cid)
                {
                    let since = ev.at - s.sensitive_window_days * DAY_MS;
                    let complaints = if accepted {
                        earlier_orders
                            .iter()
                            .filter(|e| {
                                e.order_type == OrderType::Complaint
                                    && e.id <= o.id
                                    && e.created_at >= since
                            })
                            .count() as i64
                    } else {
                        facts.complaints.get(&(cid, since)).copied().unwrap_or(0)
                    };
                    let dissatisfied = facts.dissatisfied.get(&(cid, since)).copied().unwrap_or(0);
                    let total = complaints + dissatisfied;
                    if s.makes_sensitive(total) && !facts.sensitive.contains(&cid) {
                        sensitive_now.insert(cid);
                        let reason = format!(
                            "{}个月内投诉{}次、不满意回访{}次",
                            s.sensitive_window_days / 30,
                            complaints,
                            dissatisfied
                        );
                        out.sensitive.push(MakeSensitive {
                            customer_id: cid,
                            review_at: ev.at + s.sensitive_review_days * DAY_MS,
                            at: ev.at,
                            reason: reason.clone(),
                        });
                        push(
                            RuleKind::SensitiveCustomer,
                            Severity::Serious,
                            Role::Agent,
                            Subject::Customer(cid),
                            format!("sensitive_customer:{cid}"),
                            format!("敏感客户：{reason}"),
                            with_words(
                                json!({"complaints": complaints, "dissatisfied": dissatisfied, "automatic": true}),
                                "sensitive_customer",
                                json!({"months": s.sensitive_window_days / 30, "complaints": complaints, "dissatisfied": dissatisfied}),
                            ),
                        );
                    }
                }
            }
            TraceEvent::OutageRegistered(p) => {
                let outage_id = p.outage_id;
                // A planned outage announced less than 7 days ahead.
                if p.late_notice && on(RuleKind::LatePlannedNotice) {
                    push(
                        RuleKind::LatePlannedNotice,
                        Severity::General,
                        Role::Supervisor,
                        Subject::Outage(outage_id),
                        format!("late_planned_notice:{outage_id}"),
                        "计划停电登记晚于提前7天通知期限".into(),
                        with_words(ev.event.payload(), "late_planned_notice", json!({})),
                    );
                }
                // Care households inside the outage: one warning per outage.
                let care = p.care_tasks;
                if care > 0 && on(RuleKind::CareInOutage) {
                    push(
                        RuleKind::CareInOutage,
                        Severity::Serious,
                        Role::GridManager,
                        Subject::Outage(outage_id),
                        format!("care_in_outage:{outage_id}"),
                        format!("停电范围内有{care}户关爱客户，请逐户联系"),
                        with_words(
                            json!({"outage_id": outage_id, "care_households": care}),
                            "care_in_outage",
                            json!({"care": care}),
                        ),
                    );
                }
                // Outages accumulating on one transformer area.
                if on(RuleKind::FrequentOutages) {
                    let since = outage_window(p, &s);
                    for area in &p.area_ids {
                        let n = facts
                            .outages_on_area
                            .get(&(*area, since))
                            .copied()
                            .unwrap_or(0);
                        if n >= s.frequent_outages {
                            let name = facts.area_names.get(area).cloned().unwrap_or_default();
                            push(
                                RuleKind::FrequentOutages,
                                Severity::Serious,
                                Role::GridManager,
                                Subject::Area(*area),
                                format!("frequent_outages:{area}"),
                                format!("{name}{}天内停电{n}次", s.frequent_outage_days),
                                with_words(
                                    json!({"area_id": area, "outages": n, "latest": outage_id}),
                                    "frequent_outages",
                                    json!({"name": name, "days": s.frequent_outage_days, "n": n}),
                                ),
                            );
                        }
                    }
                }
            }
            TraceEvent::VoltageViolation(v) => {
                if !on(RuleKind::VoltageOutOfLimits) {
                    continue;
                }
                let area = v.area_id;
                let n = facts
                    .voltage_violations
                    .get(&(area, ev.at - s.voltage_days * DAY_MS))
                    .copied()
                    .unwrap_or(0);
                if n >= s.voltage_violations {
                    let name = facts.area_names.get(&area).cloned().unwrap_or_default();
                    push(
                        RuleKind::VoltageOutOfLimits,
                        Severity::General,
                        Role::GridManager,
                        Subject::Area(area),
                        format!("voltage_out_of_limits:{area}"),
                        format!("{name}{}天内电压越限{n}次", s.voltage_days),
                        with_words(
                            json!({"area_id": area, "violations": n, "last": ev.event.payload()}),
                            "voltage_out_of_limits",
                            json!({"name": name, "days": s.voltage_days, "n": n}),
                        ),
                    );
                }
            }
            TraceEvent::OrderRepeatDetected(r) => {
                let (Some(order_id), Some(cid)) = (ev.order_id, ev.customer_id) else {
                    continue;
                };
                if !on(RuleKind::RepeatComplaint) {
                    continue;
                }
                push(
                    RuleKind::RepeatComplaint,
                    Severity::Serious,
                    Role::Supervisor,
                    Subject::Customer(cid),
                    format!("repeat_complaint:{cid}"),
                    "重复投诉".into(),
                    with_words(
                        json!({"order_id": order_id, "repeat_of": r.repeat_of}),
                        "repeat_complaint",
                        json!({}),
                    ),
                );
            }
            _ => {}
        }
    }
    out
}

/// What the time rules know of a running outage.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningOutage {
    pub id: i64,
    pub station_id: i64,
    pub area_id: Option<i64>,
    pub started_at: Millis,
    pub restored_at: Option<Millis>,
    pub cause: String,
    pub affected_customers: i64,
}

/// The long-outage warning for an outage still running at `now`, when it is one.
pub fn long_outage(o: &RunningOutage, book: &RuleBook, now: Millis) -> Option<Raise> {
    let station = Some(o.station_id);
    let s = book.settings(station);
    if !s.is_long_outage(o.started_at, o.restored_at, now)
        || !book.on(station, RuleKind::LongOutage)
    {
        return None;
    }
    let hours = (now - o.started_at) / crate::HOUR_MS;
    Some(Raise {
        rule: RuleKind::LongOutage,
        severity: Severity::Serious,
        owner: Role::Supervisor,
        owner_id: None,
        subject: Subject::Outage(o.id),
        key: format!("long_outage:{}", o.id),
        title: format!(
            "停电已超过{}小时（{}），影响{}户",
            s.long_outage_hours, o.cause, o.affected_customers
        ),
        detail: with_words(
            json!({"outage_id": o.id, "hours": hours, "affected": o.affected_customers}),
            "long_outage",
            json!({"hours": s.long_outage_hours, "cause": o.cause, "affected": o.affected_customers}),
        ),
        station_id: station,
        customer_id: None,
        order_id: None,
        trace_id: None,
    })
}

/// The review of a sensitive customer whose review date has come, when the rule is on.
pub fn sensitive_review(
    customer_id: i64,
    name: &str,
    station_id: i64,
    book: &RuleBook,
) -> Option<Raise> {
    let station = Some(station_id);
    book.on(station, RuleKind::SensitiveReview).then(|| Raise {
        rule: RuleKind::SensitiveReview,
        severity: Severity::General,
        owner: Role::Supervisor,
        owner_id: None,
        subject: Subject::Customer(customer_id),
        key: format!("sensitive_review:{customer_id}"),
        title: format!("敏感客户到期复核：{name}"),
        detail: with_words(json!({}), "sensitive_review", json!({"name": name})),
        station_id: station,
        customer_id: Some(customer_id),
        order_id: None,
        trace_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ClockBreached, OrderAccepted, RepeatDetected, VoltageViolation};
    use crate::{Channel, SubjectArea};

    const T0: Millis = 1_760_000_000_000;

    fn book() -> RuleBook {
        let mut b = RuleBook::default();
        b.settings.insert(Some(1), WarningSettings::default());
        b
    }

    fn seen(id: i64, at: Millis, order: Option<i64>, customer: Option<i64>, e: TraceEvent) -> Seen {
        Seen {
            id,
            at,
            station_id: Some(1),
            customer_id: customer,
            order_id: order,
            event: e,
        }
    }

    fn brief(id: i64, customer: i64, t: OrderType, subject: SubjectArea, at: Millis) -> OrderBrief {
        OrderBrief {
            id,
            customer_id: Some(customer),
            area_id: Some(9),
            order_type: t,
            subject: Some(subject),
            created_at: at,
            merged_into: None,
            title: "停电".into(),
            description: String::new(),
        }
    }

    fn accepted(o: &OrderBrief) -> TraceEvent {
        TraceEvent::OrderAccepted(OrderAccepted {
            order_no: format!("GD{}", o.id),
            order_type: o.order_type,
            channel: Channel::Hotline95598,
            subject: o.subject,
            title: o.title.clone(),
            policy: "sgcc@1".into(),
            clocks: vec![],
            outage: None,
        })
    }

    fn rules_of(j: &Judgement) -> Vec<RuleKind> {
        j.raises.iter().map(|r| r.rule).collect()
    }

    #[test]
    fn a_second_contact_on_a_subject_within_the_window_is_a_repeat() {
        let first = brief(1, 7, OrderType::Consultation, SubjectArea::Outage, T0);
        let second = brief(
            2,
            7,
            OrderType::Consultation,
            SubjectArea::Outage,
            T0 + DAY_MS,
        );
        let other = brief(
            3,
            7,
            OrderType::Consultation,
            SubjectArea::TariffBill,
            T0 + DAY_MS,
        );
        let events = vec![
            seen(10, second.created_at, Some(2), Some(7), accepted(&second)),
            seen(11, other.created_at, Some(3), Some(7), accepted(&other)),
        ];
        let mut f = Facts::default();
        for o in [&first, &second, &other] {
            f.orders.insert(o.id, o.clone());
            f.recent.entry(7).or_default().push(o.clone());
        }
        let n = needs(&events, &f.orders, &book());
        assert!(n.recent_customers.contains(&7));
        let j = judge(&events, &f, &book());
        assert_eq!(rules_of(&j), vec![RuleKind::RepeatContact]);
        let r = &j.raises[0];
        assert_eq!(r.subject, Subject::Customer(7));
        assert_eq!(r.key, "repeat_contact:7:outage");
        assert_eq!(r.trace_id, Some(10));
        assert!(r.title.contains("第2次"), "{}", r.title);
    }

    #[test]
    fn forty_days_later_is_not_a_repeat() {
        let first = brief(1, 7, OrderType::Consultation, SubjectArea::Outage, T0);
        let later = brief(
            2,
            7,
            OrderType::Consultation,
            SubjectArea::Outage,
            T0 + 40 * DAY_MS,
        );
        let events = vec![seen(
            10,
            later.created_at,
            Some(2),
            Some(7),
            accepted(&later),
        )];
        let mut f = Facts::default();
        f.orders.insert(2, later.clone());
        f.recent.insert(7, vec![first, later]);
        assert!(judge(&events, &f, &book()).raises.is_empty());
    }

    #[test]
    fn the_second_complaint_makes_a_customer_sensitive_once() {
        let a = brief(1, 7, OrderType::Complaint, SubjectArea::Outage, T0);
        let b = brief(
            2,
            7,
            OrderType::Complaint,
            SubjectArea::TariffBill,
            T0 + DAY_MS,
        );
        let events = vec![seen(10, b.created_at, Some(2), Some(7), accepted(&b))];
        let mut f = Facts::default();
        f.orders.insert(2, b.clone());
        f.recent.insert(7, vec![a, b.clone()]);
        let n = needs(&events, &f.orders, &book());
        assert!(n.sensitive.contains(&7));
        let j = judge(&events, &f, &book());
        assert_eq!(rules_of(&j), vec![RuleKind::SensitiveCustomer]);
        assert_eq!(j.sensitive.len(), 1);
        assert_eq!(j.sensitive[0].review_at, b.created_at + 90 * DAY_MS);
        // Already sensitive: nothing.
        f.sensitive.insert(7);
        assert!(judge(&events, &f, &book()).sensitive.is_empty());
    }

    #[test]
    fn a_dissatisfied_visit_counts_with_the_complaints_read_for_it() {
        let o = brief(2, 7, OrderType::Complaint, SubjectArea::Outage, T0);
        let at = T0 + 5 * DAY_MS;
        let visit = TraceEvent::Order(OrderEvent::ReturnVisited {
            satisfaction: Satisfaction::Dissatisfied,
            comment: "还是不满意".into(),
        });
        let events = vec![seen(10, at, Some(2), Some(7), visit)];
        let mut f = Facts::default();
        f.orders.insert(2, o);
        let n = needs(&events, &f.orders, &book());
        let since = at - 365 * DAY_MS;
        assert!(n.complaints.contains(&(7, since)) && n.dissatisfied.contains(&(7, since)));
        f.complaints.insert((7, since), 1);
        f.dissatisfied.insert((7, since), 1);
        let j = judge(&events, &f, &book());
        assert_eq!(rules_of(&j), vec![RuleKind::SensitiveCustomer]);
        assert!(j.sensitive[0].reason.contains("投诉1次、不满意回访1次"));
    }

    #[test]
    fn tendency_raises_with_its_counted_cues_and_needs_the_text() {
        let o = brief(2, 7, OrderType::Complaint, SubjectArea::Outage, T0);
        let events = vec![seen(10, T0, Some(2), Some(7), accepted(&o))];
        let mut f = Facts::default();
        f.orders.insert(2, o);
        let n = needs(&events, &f.orders, &book());
        assert_eq!(n.texts, vec![(10, "停电。".to_string())]);
        f.tendency.insert(
            10,
            Tendency {
                score: 1.5,
                escalating: true,
                cues: vec![
                    Cue {
                        category: "media".into(),
                        word: "电视台".into(),
                        weight: 1.0,
                    },
                    Cue {
                        category: "legal".into(),
                        word: "起诉".into(),
                        weight: 0.0,
                    },
                ],
            },
        );
        let j = judge(&events, &f, &book());
        let r = j
            .raises
            .iter()
            .find(|r| r.rule == RuleKind::ComplaintTendency)
            .unwrap();
        assert_eq!(r.title, "投诉升级倾向：电视台");
        assert_eq!(r.subject, Subject::Order(2));
    }

    #[test]
    fn a_breached_clock_is_a_missed_deadline_keyed_by_its_clock() {
        let e = TraceEvent::ClockBreached(ClockBreached {
            clock_id: 33,
            kind: ClockKind::Answer,
            due_at: T0,
            limit: None,
        });
        let j = judge(
            &[seen(10, T0, Some(2), None, e)],
            &Facts::default(),
            &book(),
        );
        assert_eq!(rules_of(&j), vec![RuleKind::DeadlineMissed]);
        assert_eq!(j.raises[0].key, "deadline_missed:33");
        assert_eq!(j.raises[0].severity, Severity::Serious);
    }

    #[test]
    fn a_switched_off_rule_raises_nothing() {
        let mut b = book();
        b.switches.insert((1, RuleKind::RepeatComplaint), false);
        let e = TraceEvent::OrderRepeatDetected(RepeatDetected { repeat_of: 1 });
        let events = [seen(10, T0, Some(2), Some(7), e)];
        assert!(judge(&events, &Facts::default(), &b).raises.is_empty());
        assert_eq!(
            rules_of(&judge(&events, &Facts::default(), &book())),
            vec![RuleKind::RepeatComplaint]
        );
    }

    #[test]
    fn the_third_violation_on_an_area_within_the_week_raises() {
        let v = |at| {
            TraceEvent::VoltageViolation(VoltageViolation {
                area_id: 9,
                area_code: None,
                level: "220v".into(),
                volts: 190.0,
                verdict: "below".into(),
                reading_at: at,
                minutes: 15.0,
                low: 198.0,
                high: 235.4,
            })
        };
        let events = [seen(10, T0, None, None, v(T0))];
        let n = needs(&events, &HashMap::new(), &book());
        let key = (9, T0 - 7 * DAY_MS);
        assert!(n.voltage_violations.contains(&key) && n.areas.contains(&9));
        let mut f = Facts::default();
        f.voltage_violations.insert(key, 2);
        assert!(judge(&events, &f, &book()).raises.is_empty());
        f.voltage_violations.insert(key, 3);
        f.area_names.insert(9, "幸福村1号台区".into());
        let j = judge(&events, &f, &book());
        assert_eq!(j.raises[0].title, "幸福村1号台区7天内电压越限3次");
    }

    #[test]
    fn long_outages_after_the_threshold_only() {
        let o = RunningOutage {
            id: 4,
            station_id: 1,
            area_id: None,
            started_at: T0,
            restored_at: None,
            cause: "线路故障".into(),
            affected_customers: 120,
        };
        assert!(long_outage(&o, &book(), T0 + 6 * crate::HOUR_MS).is_none());
        let r = long_outage(&o, &book(), T0 + 9 * crate::HOUR_MS).unwrap();
        assert_eq!(r.key, "long_outage:4");
        assert_eq!(r.title, "停电已超过8小时（线路故障），影响120户");
    }
}
