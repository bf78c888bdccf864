//! Early warning: rules over the committed trace and over time (DOMAIN.md "Early warning").
//!
//! One reader task follows `trace_events` from a stored cursor. Each batch of events is
//! judged by the rules, and the warnings they raise are written together with the new
//! cursor in one transaction, so a restart neither loses nor repeats a judgement. Commands
//! never wait for the rules: intake stays as fast as without them.
//!
//! A warning has a severity, a subject (customer, transformer area, order or outage), an
//! owner (agent, grid manager or supervisor) and a lifecycle: open → acknowledged → handled,
//! or dismissed with a reason. One situation is one warning: a raise whose key matches a live
//! warning counts as another occurrence of it. Thresholds come from the station's policy
//! (`[warnings]`); a station can switch a rule off or on.
//!
//! The deadline warnings are rules of this engine: the scheduler marks clocks warned and
//! breached (the clock tick, as trace events) and the rules turn those into warnings for
//! the supervisor; a missed deadline is the order's escalation.

use crate::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use voltdesk_domain::policy::WarningSettings;
use voltdesk_domain::*;
use voltdesk_store::{NewWarning, Raised, TraceRow, WarningFilter};

/// The cursor name of the rules' reader.
const CURSOR: &str = "rules";
/// Trace events judged per transaction.
const BATCH: i64 = 2000;

/// The shared complaint-tendency detector (built on first use: jieba's dictionary).
pub fn detector() -> &'static voltdesk_text::Detector {
    static D: OnceLock<voltdesk_text::Detector> = OnceLock::new();
    D.get_or_init(voltdesk_text::Detector::bundled)
}

/// What one pass of the rules did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RulesReport {
    pub events: usize,
    pub raised: usize,
    pub seen_again: usize,
}

/// A rule and whether it is on, for a station.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleSwitch {
    pub rule: RuleKind,
    pub label: &'static str,
    pub enabled: bool,
}

/// A raise with where it came from: station, customer, order, trace event.
type Sourced = (Option<i64>, Option<i64>, Option<i64>, i64, Raise);

struct Raise {
    rule: RuleKind,
    severity: Severity,
    owner: Role,
    owner_id: Option<i64>,
    subject: (&'static str, i64),
    key: String,
    title: String,
    detail: serde_json::Value,
}

/// Texts of a contact the tendency rule reads.
fn contact_text(ev: &TraceRow, order: Option<&voltdesk_store::OrderBrief>) -> String {
    let mut text = String::new();
    if let Some(o) = order {
        text.push_str(&o.title);
        text.push('。');
        text.push_str(&o.description);
    }
    for k in ["note", "text", "comment"] {
        if let Some(v) = ev.payload.get(k).and_then(|v| v.as_str()) {
            text.push('。');
            text.push_str(v);
        }
    }
    text
}

impl Service {
    fn warning_settings(&self, station_id: Option<i64>) -> WarningSettings {
        station_id
            .and_then(|s| self.policy_of_station(s).ok())
            .map(|p| p.warnings.clone())
            .unwrap_or_default()
    }

    /// Whether `rule` is on at `station`: the station's switch, else the policy's default.
    fn rule_on(
        &self,
        switches: &HashMap<(i64, String), bool>,
        station: Option<i64>,
        rule: RuleKind,
    ) -> bool {
        if let Some(s) = station
            && let Some(on) = switches.get(&(s, rule.code().to_string()))
        {
            return *on;
        }
        !self
            .warning_settings(station)
            .disabled
            .iter()
            .any(|d| d == rule.code())
    }

    /// The rules of every station with their switches.
    pub async fn rule_switches(&self, station_id: i64) -> Result<Vec<RuleSwitch>> {
        let switches: HashMap<(i64, String), bool> = self
            .store
            .station_rules()
            .await?
            .into_iter()
            .map(|(s, r, on)| ((s, r), on))
            .collect();
        Ok(RuleKind::ALL
            .iter()
            .map(|r| RuleSwitch {
                rule: *r,
                label: r.zh(),
                enabled: self.rule_on(&switches, Some(station_id), *r),
            })
            .collect())
    }

    /// Switches a rule on or off for a station (traced).
    pub async fn set_rule_switch(
        &self,
        by: &Actor,
        station_id: i64,
        rule: RuleKind,
        enabled: bool,
    ) -> Result<()> {
        if !self
            .org
            .read()
            .expect("org cache lock")
            .stations
            .contains_key(&station_id)
        {
            return Err(ServiceError::NotFound { what: "station" });
        }
        let now = self.now();
        self.store
            .set_station_rule(station_id, rule.code(), enabled, now)
            .await?;
        let mut tx = self.store.begin().await?;
        self.store
            .insert_traces(
                &mut tx,
                &[voltdesk_store::NewTrace {
                    at: now,
                    station_id: Some(station_id),
                    customer_id: None,
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    kind: "rules.switched".into(),
                    payload: serde_json::json!({"rule": rule, "enabled": enabled}),
                }],
            )
            .await?;
        commit(tx).await
    }

    /// Judges the trace events written since the last pass, a batch at a time, until none
    /// is left; then runs the rules that depend on time alone (`rules_tick`).
    pub async fn process_rules(&self) -> Result<RulesReport> {
        let mut report = self.process_trace().await?;
        let t = self.rules_tick().await?;
        report.raised += t.raised;
        report.seen_again += t.seen_again;
        Ok(report)
    }

    /// Judges the trace events written since the last pass.
    async fn process_trace(&self) -> Result<RulesReport> {
        let mut report = RulesReport::default();
        loop {
            let cursor = self.store.rule_cursor(CURSOR).await?;
            let events = self.store.traces_after(cursor, BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            let r = self.judge(&events, last).await?;
            report.events += events.len();
            report.raised += r.raised;
            report.seen_again += r.seen_again;
            if (events.len() as i64) < BATCH {
                break;
            }
        }
        Ok(report)
    }

    async fn judge(&self, events: &[TraceRow], last: i64) -> Result<RulesReport> {
        let switches: HashMap<(i64, String), bool> = self
            .store
            .station_rules()
            .await?
            .into_iter()
            .map(|(s, r, on)| ((s, r), on))
            .collect();
        // The facts of the whole batch, read at once: the orders the events are about, and
        // the recent orders of their customers.
        let mut settings: HashMap<Option<i64>, WarningSettings> = HashMap::new();
        for ev in events {
            settings
                .entry(ev.station_id)
                .or_insert_with(|| self.warning_settings(ev.station_id));
        }
        let order_ids: Vec<i64> = events
            .iter()
            .filter_map(|e| e.order_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let orders: HashMap<i64, voltdesk_store::OrderBrief> = self
            .store
            .order_briefs_by_ids(&order_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let customer_ids: Vec<i64> = events
            .iter()
            .filter(|e| e.kind == "order.accepted")
            .filter_map(|e| e.customer_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let window_days = settings
            .values()
            .map(|s| s.repeat_contact_days.max(s.sensitive_window_days))
            .max()
            .unwrap_or(365);
        let first_at = events.iter().map(|e| e.at).min().unwrap_or(0);
        let mut recent: HashMap<i64, Vec<voltdesk_store::OrderBrief>> = HashMap::new();
        for o in self
            .store
            .order_briefs_of_customers_since(&customer_ids, first_at - window_days * DAY_MS)
            .await?
        {
            if let Some(c) = o.customer_id {
                recent.entry(c).or_default().push(o);
            }
        }
        let mut raises: Vec<Sourced> = Vec::new();
        let mut sensitive_now: HashSet<i64> = HashSet::new();
        let mut make_sensitive: Vec<(i64, i64, Millis, String)> = Vec::new();
        for ev in events {
            let station = ev.station_id;
            let s = &settings[&station];
            let on = |r: RuleKind| self.rule_on(&switches, station, r);
            let mut push = |r: Raise| {
                raises.push((station, ev.customer_id, ev.order_id, ev.id, r));
            };
            match ev.kind.as_str() {
                "clock.warned" | "clock.breached" => {
                    let missed = ev.kind == "clock.breached";
                    let rule = if missed {
                        RuleKind::DeadlineMissed
                    } else {
                        RuleKind::DeadlineNear
                    };
                    let (Some(order_id), true) = (ev.order_id, on(rule)) else {
                        continue;
                    };
                    let clock_id = ev.payload.get("clock_id").and_then(|v| v.as_i64());
                    let kind = ev
                        .payload
                        .get("kind")
                        .and_then(|v| v.as_str())
                        .and_then(|k| ClockKind::parse(k).ok());
                    let what = kind.map(|k| k.zh()).unwrap_or("时限");
                    push(Raise {
                        rule,
                        severity: if missed {
                            Severity::Serious
                        } else {
                            Severity::General
                        },
                        owner: Role::Supervisor,
                        owner_id: None,
                        subject: ("order", order_id),
                        key: format!("{}:{}", rule.code(), clock_id.unwrap_or(order_id)),
                        title: if missed {
                            format!("{what}时限已超期")
                        } else {
                            format!("{what}时限即将到期")
                        },
                        detail: ev.payload.clone(),
                    });
                }
                "order.accepted" | "order.contacted" | "order.urged" | "order.return_visited" => {
                    let Some(o) = ev.order_id.and_then(|id| orders.get(&id)) else {
                        continue;
                    };
                    let order_id = o.id;
                    // Complaint tendency in what the customer said.
                    if on(RuleKind::ComplaintTendency) && o.order_type != OrderType::Praise {
                        let t = detector().detect(&contact_text(
                            ev,
                            (ev.kind == "order.accepted").then_some(o),
                        ));
                        if t.escalating {
                            let counted: Vec<_> =
                                t.cues.iter().filter(|c| c.weight > 0.0).collect();
                            let words: Vec<&str> =
                                counted.iter().map(|c| c.word.as_str()).collect();
                            push(Raise {
                                rule: RuleKind::ComplaintTendency,
                                severity: Severity::Serious,
                                owner: Role::Supervisor,
                                owner_id: None,
                                subject: ("order", order_id),
                                key: format!("complaint_tendency:{order_id}"),
                                title: format!("投诉升级倾向：{}", words.join("、")),
                                detail: serde_json::json!({"score": t.score, "cues": counted.iter().map(|c| serde_json::json!({"category": c.category, "word": c.word})).collect::<Vec<_>>()}),
                            });
                        }
                    }
                    let Some(cid) = o.customer_id else { continue };
                    let earlier_orders = recent.get(&cid).map(Vec::as_slice).unwrap_or(&[]);
                    // The same customer on the same subject again within the window.
                    if ev.kind == "order.accepted"
                        && on(RuleKind::RepeatContact)
                        && let Some(subject) = o.subject
                    {
                        let mut earlier: Vec<&voltdesk_store::OrderBrief> = earlier_orders
                            .iter()
                            .filter(|e| {
                                e.id != o.id
                                    && e.id < o.id
                                    && e.subject == Some(subject)
                                    && e.merged_into.is_none()
                                    && s.is_repeat(e.created_at, o.created_at)
                            })
                            .collect();
                        earlier.sort_by_key(|e| e.id);
                        if let Some(first) = earlier.first() {
                            push(Raise {
                                rule: RuleKind::RepeatContact,
                                severity: Severity::General,
                                owner: Role::Agent,
                                owner_id: None,
                                subject: ("customer", cid),
                                key: format!("repeat_contact:{cid}:{}", subject.code()),
                                title: format!(
                                    "{}天内第{}次就“{}”来电",
                                    s.repeat_contact_days,
                                    earlier.len() + 1,
                                    subject.zh()
                                ),
                                detail: serde_json::json!({"orders": earlier.iter().map(|e| e.id).collect::<Vec<_>>(), "first": first.id, "subject": subject}),
                            });
                        }
                    }
                    // Complaints and dissatisfied visits make a customer sensitive.
                    let counts = (ev.kind == "order.accepted"
                        && o.order_type == OrderType::Complaint)
                        || (ev.kind == "order.return_visited"
                            && ev.payload.get("satisfaction").and_then(|v| v.as_str())
                                == Some(Satisfaction::Dissatisfied.code()));
                    if counts && on(RuleKind::SensitiveCustomer) && !sensitive_now.contains(&cid) {
                        let since = ev.at - s.sensitive_window_days * DAY_MS;
                        let complaints = if ev.kind == "order.accepted" {
                            earlier_orders
                                .iter()
                                .filter(|e| {
                                    e.order_type == OrderType::Complaint
                                        && e.id <= o.id
                                        && e.created_at >= since
                                })
                                .count() as i64
                        } else {
                            self.store
                                .customer_orders_since(cid, since)
                                .await?
                                .iter()
                                .filter(|e| e.order_type == OrderType::Complaint)
                                .count() as i64
                        };
                        let dissatisfied = self.store.dissatisfied_visits_since(cid, since).await?;
                        let total = complaints + dissatisfied;
                        if s.makes_sensitive(total)
                            && self
                                .store
                                .customer(cid)
                                .await?
                                .is_some_and(|c| !c.sensitive)
                        {
                            sensitive_now.insert(cid);
                            let reason = format!(
                                "{}个月内投诉{}次、不满意回访{}次",
                                s.sensitive_window_days / 30,
                                complaints,
                                dissatisfied
                            );
                            make_sensitive.push((
                                cid,
                                ev.at + s.sensitive_review_days * DAY_MS,
                                ev.at,
                                reason.clone(),
                            ));
                            push(Raise {
                                rule: RuleKind::SensitiveCustomer,
                                severity: Severity::Serious,
                                owner: Role::Agent,
                                owner_id: None,
                                subject: ("customer", cid),
                                key: format!("sensitive_customer:{cid}"),
                                title: format!("敏感客户：{reason}"),
                                detail: serde_json::json!({"complaints": complaints, "dissatisfied": dissatisfied, "automatic": true}),
                            });
                        }
                    }
                }
                "outage.registered" => {
                    let Some(outage_id) = ev.payload.get("outage_id").and_then(|v| v.as_i64())
                    else {
                        continue;
                    };
                    let p = &ev.payload;
                    // A planned outage announced less than 7 days ahead.
                    if p.get("late_notice").and_then(|v| v.as_bool()) == Some(true)
                        && on(RuleKind::LatePlannedNotice)
                    {
                        push(Raise {
                            rule: RuleKind::LatePlannedNotice,
                            severity: Severity::General,
                            owner: Role::Supervisor,
                            owner_id: None,
                            subject: ("outage", outage_id),
                            key: format!("late_planned_notice:{outage_id}"),
                            title: "计划停电登记晚于提前7天通知期限".into(),
                            detail: p.clone(),
                        });
                    }
                    // Care households inside the outage: one warning per outage.
                    let care = p.get("care_tasks").and_then(|v| v.as_i64()).unwrap_or(0);
                    if care > 0 && on(RuleKind::CareInOutage) {
                        push(Raise {
                            rule: RuleKind::CareInOutage,
                            severity: Severity::Serious,
                            owner: Role::GridManager,
                            owner_id: None,
                            subject: ("outage", outage_id),
                            key: format!("care_in_outage:{outage_id}"),
                            title: format!("停电范围内有{care}户关爱客户，请逐户联系"),
                            detail: serde_json::json!({"outage_id": outage_id, "care_households": care}),
                        });
                    }
                    // Outages accumulating on one transformer area.
                    if on(RuleKind::FrequentOutages) {
                        let areas: Vec<i64> = p
                            .get("area_ids")
                            .and_then(|v| v.as_array())
                            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
                            .unwrap_or_default();
                        let started = p
                            .get("started_at")
                            .and_then(|v| v.as_i64())
                            .unwrap_or(ev.at);
                        for area in areas {
                            let n = self
                                .store
                                .outages_on_area_since(
                                    area,
                                    started - s.frequent_outage_days * DAY_MS,
                                )
                                .await?;
                            if n >= s.frequent_outages {
                                let name = self.area_name(area).unwrap_or_default();
                                push(Raise {
                                    rule: RuleKind::FrequentOutages,
                                    severity: Severity::Serious,
                                    owner: Role::GridManager,
                                    owner_id: None,
                                    subject: ("area", area),
                                    key: format!("frequent_outages:{area}"),
                                    title: format!("{name}{}天内停电{n}次", s.frequent_outage_days),
                                    detail: serde_json::json!({"area_id": area, "outages": n, "latest": outage_id}),
                                });
                            }
                        }
                    }
                }
                "voltage.violation" => {
                    let Some(area) = ev.payload.get("area_id").and_then(|v| v.as_i64()) else {
                        continue;
                    };
                    if !on(RuleKind::VoltageOutOfLimits) {
                        continue;
                    }
                    let n = self
                        .store
                        .voltage_violations(area, ev.at - s.voltage_days * DAY_MS)
                        .await?;
                    if n >= s.voltage_violations {
                        let name = self.area_name(area).unwrap_or_default();
                        push(Raise {
                            rule: RuleKind::VoltageOutOfLimits,
                            severity: Severity::General,
                            owner: Role::GridManager,
                            owner_id: None,
                            subject: ("area", area),
                            key: format!("voltage_out_of_limits:{area}"),
                            title: format!("{name}{}天内电压越限{n}次", s.voltage_days),
                            detail: serde_json::json!({"area_id": area, "violations": n, "last": ev.payload}),
                        });
                    }
                }
                "order.repeat_detected" => {
                    let (Some(order_id), Some(cid)) = (ev.order_id, ev.customer_id) else {
                        continue;
                    };
                    if !on(RuleKind::RepeatComplaint) {
                        continue;
                    }
                    push(Raise {
                        rule: RuleKind::RepeatComplaint,
                        severity: Severity::Serious,
                        owner: Role::Supervisor,
                        owner_id: None,
                        subject: ("customer", cid),
                        key: format!("repeat_complaint:{cid}"),
                        title: "重复投诉".into(),
                        detail: serde_json::json!({"order_id": order_id, "repeat_of": ev.payload.get("repeat_of")}),
                    });
                }
                _ => {}
            }
        }
        // Write the warnings, their notices, the automatic sensitive flags and the cursor
        // together.
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut report = RulesReport::default();
        let mut traces = Vec::new();
        for (cid, review_at, at, reason) in &make_sensitive {
            self.store
                .set_customer_sensitive_review(&mut tx, *cid, true, Some(*review_at), now)
                .await?;
            let station = self.store.customer(*cid).await?.map(|c| c.station_id);
            traces.push(voltdesk_store::NewTrace {
                at: *at,
                station_id: station,
                customer_id: Some(*cid),
                order_id: None,
                channel: None,
                actor_id: None,
                actor: Actor::system().name,
                kind: "customer.sensitive_set".into(),
                payload: serde_json::json!({"reason": reason, "automatic": true, "review_at": review_at}),
            });
        }
        let rules: Vec<RuleKind> = raises.iter().map(|r| r.4.rule).collect();
        let new: Vec<NewWarning> = raises
            .into_iter()
            .map(|(station, customer, order, trace_id, r)| NewWarning {
                rule: r.rule.code().into(),
                severity: r.severity.code().into(),
                station_id: station,
                subject_kind: r.subject.0,
                subject_id: r.subject.1,
                customer_id: customer,
                order_id: order,
                area_id: if r.subject.0 == "area" {
                    Some(r.subject.1)
                } else {
                    order.and_then(|o| orders.get(&o)).and_then(|o| o.area_id)
                },
                owner_role: r.owner.code().into(),
                owner_id: r.owner_id,
                dedup_key: r.key,
                title: r.title,
                detail: r.detail,
                at: now,
                trace_id: Some(trace_id),
            })
            .collect();
        let raised = self.store.raise_warnings(&mut tx, &new).await?;
        let mut notify = Vec::new();
        let mut webhooks = Vec::new();
        let mut fresh = Vec::new();
        for ((w, rule), r) in new.iter().zip(&rules).zip(&raised) {
            let id = match r {
                Raised::New(id) => *id,
                Raised::Again(_) => {
                    report.seen_again += 1;
                    continue;
                }
            };
            report.raised += 1;
            fresh.push((*rule, w.station_id, w.customer_id, w.order_id));
            match rule {
                RuleKind::DeadlineNear => notify.push((
                    "clock.warned".to_string(),
                    serde_json::json!({"order_id": w.order_id, "warning_id": id, "clock": w.detail}),
                )),
                RuleKind::DeadlineMissed => {
                    // A missed deadline is the order's escalation to the supervisor, in its
                    // history and to other systems.
                    traces.push(voltdesk_store::NewTrace {
                        at: now,
                        station_id: w.station_id,
                        customer_id: w.customer_id,
                        order_id: w.order_id,
                        channel: None,
                        actor_id: None,
                        actor: Actor::system().name,
                        kind: "order.escalated".into(),
                        payload: serde_json::json!({"warning_id": id, "to_role": "supervisor", "reason": w.title}),
                    });
                    webhooks.push((
                        "order.escalated".to_string(),
                        serde_json::json!({"order_id": w.order_id, "warning_id": id, "reason": w.title}),
                    ));
                }
                _ => {}
            }
        }
        self.store
            .insert_outbox_many(&mut tx, now, "notify", &notify)
            .await?;
        self.store
            .insert_outbox_many(&mut tx, now, "webhook", &webhooks)
            .await?;
        self.store.insert_traces(&mut tx, &traces).await?;
        self.store.set_rule_cursor(&mut tx, CURSOR, last).await?;
        commit(tx).await?;
        for (rule, station, customer, order) in fresh {
            self.publish(Committed {
                kind: if rule == RuleKind::DeadlineMissed {
                    "order.escalated".into()
                } else {
                    "warning.raised".into()
                },
                order_id: order,
                customer_id: customer,
                station_id: station,
                at: now,
            });
        }
        Ok(report)
    }

    /// The rules that depend on time alone: outages running longer than the policy allows,
    /// sensitive flags due for review.
    pub async fn rules_tick(&self) -> Result<RulesReport> {
        let now = self.now();
        let mut report = self.long_outages(now).await?;
        let due = self.store.sensitive_due_for_review(now, 500).await?;
        if due.is_empty() {
            return Ok(report);
        }
        let switches: HashMap<(i64, String), bool> = self
            .store
            .station_rules()
            .await?
            .into_iter()
            .map(|(s, r, on)| ((s, r), on))
            .collect();
        let mut tx = self.store.begin().await?;
        for c in due {
            let s = self.warning_settings(Some(c.station_id));
            // The next review is due a period later, whatever the outcome of this one.
            self.store
                .set_customer_sensitive_review(
                    &mut tx,
                    c.id,
                    true,
                    Some(now + s.sensitive_review_days * DAY_MS),
                    now,
                )
                .await?;
            if !self.rule_on(&switches, Some(c.station_id), RuleKind::SensitiveReview) {
                continue;
            }
            let w = NewWarning {
                rule: RuleKind::SensitiveReview.code().into(),
                severity: Severity::General.code().into(),
                station_id: Some(c.station_id),
                subject_kind: "customer",
                subject_id: c.id,
                customer_id: Some(c.id),
                order_id: None,
                area_id: Some(c.area_id),
                owner_role: Role::Supervisor.code().into(),
                owner_id: None,
                dedup_key: format!("sensitive_review:{}", c.id),
                title: format!("敏感客户到期复核：{}", c.name),
                detail: serde_json::json!({}),
                at: now,
                trace_id: None,
            };
            match self.store.raise_warning(&mut tx, &w).await? {
                Raised::New(_) => report.raised += 1,
                Raised::Again(_) => report.seen_again += 1,
            }
        }
        commit(tx).await?;
        Ok(report)
    }

    async fn long_outages(&self, now: Millis) -> Result<RulesReport> {
        let switches: HashMap<(i64, String), bool> = self
            .store
            .station_rules()
            .await?
            .into_iter()
            .map(|(s, r, on)| ((s, r), on))
            .collect();
        let mut new = Vec::new();
        for o in self.store.running_outages(now).await? {
            let s = self.warning_settings(Some(o.station_id));
            if !s.is_long_outage(o.started_at, o.restored_at, now)
                || !self.rule_on(&switches, Some(o.station_id), RuleKind::LongOutage)
            {
                continue;
            }
            let hours = (now - o.started_at) / HOUR_MS;
            new.push(NewWarning {
                rule: RuleKind::LongOutage.code().into(),
                severity: Severity::Serious.code().into(),
                station_id: Some(o.station_id),
                subject_kind: "outage",
                subject_id: o.id,
                customer_id: None,
                order_id: None,
                area_id: o.area_id,
                owner_role: Role::Supervisor.code().into(),
                owner_id: None,
                dedup_key: format!("long_outage:{}", o.id),
                title: format!("停电已超过{}小时（{}），影响{}户", s.long_outage_hours, o.cause, o.affected_customers),
                detail: serde_json::json!({"outage_id": o.id, "hours": hours, "affected": o.affected_customers}),
                at: now,
                trace_id: None,
            });
        }
        if new.is_empty() {
            return Ok(RulesReport::default());
        }
        let mut report = RulesReport::default();
        let mut tx = self.store.begin().await?;
        // An outage still running is the same situation: seen again, not raised again.
        for r in self.store.raise_warnings(&mut tx, &new).await? {
            match r {
                Raised::New(_) => report.raised += 1,
                Raised::Again(_) => {}
            }
        }
        commit(tx).await?;
        Ok(report)
    }

    /// Follows the trace until the task is dropped: judges what was committed when the bus
    /// says so, but at most every `PASS_GAP` so that passes come in batches and leave the
    /// single writer to the commands; runs the time rules every `max_sleep`.
    pub async fn run_rules(self, max_sleep: std::time::Duration) {
        const PASS_GAP: std::time::Duration = std::time::Duration::from_millis(250);
        let mut rx = self.subscribe();
        let mut last_tick: Option<std::time::Instant> = None;
        loop {
            if let Err(e) = self.process_trace().await {
                tracing::warn!(error = %e, "the early-warning rules failed; retrying");
            }
            if last_tick.is_none_or(|t| t.elapsed() >= max_sleep) {
                if let Err(e) = self.rules_tick().await {
                    tracing::warn!(error = %e, "the early-warning time rules failed");
                }
                last_tick = Some(std::time::Instant::now());
            }
            tokio::time::sleep(PASS_GAP).await;
            let _ = tokio::time::timeout(max_sleep, async {
                loop {
                    match rx.recv().await {
                        // Our own announcements do not need another pass.
                        Ok(c) if c.kind.starts_with("warning.") || c.kind == "order.escalated" => {
                            continue;
                        }
                        _ => break,
                    }
                }
            })
            .await;
        }
    }

    pub async fn warnings(&self, f: &WarningFilter) -> Result<(Vec<WarningView>, i64)> {
        let (rows, total) = self.store.warnings(f).await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    pub async fn warning(&self, id: i64) -> Result<WarningView> {
        self.store
            .warning(id)
            .await?
            .map(Into::into)
            .ok_or(ServiceError::NotFound { what: "warning" })
    }

    /// Moves a warning along its lifecycle: `acknowledged`, `handled` or `dismissed` (a
    /// dismissal needs a reason). Traced.
    pub async fn warning_step(
        &self,
        by: &Actor,
        id: i64,
        to: WarningStatus,
        note: &str,
    ) -> Result<WarningView> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let w = self
            .store
            .warning_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "warning" })?;
        let from = WarningStatus::parse(&w.status)
            .map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))?;
        let allowed = match to {
            WarningStatus::Acknowledged => from == WarningStatus::Open,
            WarningStatus::Handled | WarningStatus::Dismissed => from.is_live(),
            WarningStatus::Open => false,
        };
        if !allowed {
            return Err(ServiceError::invalid(
                "status",
                format!("a {} warning cannot become {}", from.code(), to.code()),
            ));
        }
        if to == WarningStatus::Dismissed && note.trim().is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "a dismissal needs a reason",
            ));
        }
        let user = by.user_id.unwrap_or(0);
        match to {
            WarningStatus::Acknowledged => {
                self.store
                    .acknowledge_warning(&mut tx, id, user, now)
                    .await?
            }
            _ => {
                self.store
                    .close_warning(&mut tx, id, to.code(), user, note.trim(), now)
                    .await?
            }
        }
        self.store
            .insert_traces(
                &mut tx,
                &[voltdesk_store::NewTrace {
                    at: now,
                    station_id: w.station_id,
                    customer_id: w.customer_id,
                    order_id: w.order_id,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    kind: if w.rule == RuleKind::DeadlineMissed.code()
                        && to == WarningStatus::Acknowledged
                    {
                        "escalation.acknowledged".into()
                    } else {
                        format!("warning.{}", to.code())
                    },
                    payload: serde_json::json!({"warning_id": id, "rule": w.rule, "note": note.trim()}),
                }],
            )
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: format!("warning.{}", to.code()),
            order_id: w.order_id,
            customer_id: w.customer_id,
            station_id: w.station_id,
            at: now,
        });
        self.warning(id).await
    }

    /// Live warnings about a customer, newest first: what the agent sees the moment the
    /// customer is identified.
    pub async fn customer_warnings(&self, customer_id: i64) -> Result<Vec<WarningView>> {
        let (w, _) = self
            .store
            .warnings(&WarningFilter {
                customer_id: Some(customer_id),
                statuses: vec!["open".into(), "acknowledged".into()],
                limit: 20,
                ..Default::default()
            })
            .await?;
        Ok(w.into_iter().map(Into::into).collect())
    }

    /// Escalations: the warnings of missed deadlines, in the shape the escalation API has
    /// always had.
    pub async fn escalations(
        &self,
        order_id: Option<i64>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<voltdesk_store::EscalationRow>> {
        let (w, _) = self
            .store
            .warnings(&WarningFilter {
                rule: Some(RuleKind::DeadlineMissed.code().into()),
                order_id,
                statuses: if open_only {
                    vec!["open".into()]
                } else {
                    Vec::new()
                },
                limit: limit.clamp(1, 500),
                ..Default::default()
            })
            .await?;
        Ok(w.into_iter()
            .map(|w| voltdesk_store::EscalationRow {
                id: w.id,
                order_id: w.order_id.unwrap_or(w.subject_id),
                clock_id: w.detail.get("clock_id").and_then(|v| v.as_i64()),
                reason: w.title,
                to_role: w.owner_role,
                created_at: w.raised_at,
                acknowledged_by: w.acknowledged_by,
                acknowledged_at: w.acknowledged_at,
            })
            .collect())
    }

    /// The supervisor takes up an escalation (acknowledges the missed-deadline warning).
    pub async fn acknowledge_escalation(&self, by: &Actor, id: i64) -> Result<()> {
        let w = self.warning(id).await?;
        if w.rule != RuleKind::DeadlineMissed.code() || w.status != "open" {
            return Err(ServiceError::NotFound {
                what: "open escalation",
            });
        }
        self.warning_step(by, id, WarningStatus::Acknowledged, "")
            .await
            .map(|_| ())
    }
}
