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
use std::collections::HashSet;
use std::sync::OnceLock;
use voltdesk_domain::policy::WarningSettings;
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::warning::{
    self, Facts, OrderBrief, Raise, RuleBook, RunningOutage, Seen, Subject, Tendency,
};
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

/// A raise as the store writes it; `area` is the order's area where the subject is not one.
fn new_warning(r: Raise, area: Option<i64>, at: Millis) -> NewWarning {
    NewWarning {
        rule: r.rule.code().into(),
        severity: r.severity.code().into(),
        station_id: r.station_id,
        subject_kind: r.subject.kind(),
        subject_id: r.subject.id(),
        customer_id: r.customer_id,
        order_id: r.order_id,
        area_id: match r.subject {
            Subject::Area(a) => Some(a),
            _ => area,
        },
        owner_role: r.owner.code().into(),
        owner_id: r.owner_id,
        dedup_key: r.key,
        title: r.title,
        detail: r.detail,
        at,
        trace_id: r.trace_id,
    }
}

fn brief_of(o: voltdesk_store::OrderBrief) -> OrderBrief {
    OrderBrief {
        id: o.id,
        customer_id: o.customer_id,
        area_id: o.area_id,
        order_type: o.order_type,
        subject: o.subject,
        created_at: o.created_at,
        merged_into: o.merged_into,
        title: o.title,
        description: o.description,
    }
}

impl Service {
    fn warning_settings(&self, station_id: Option<i64>) -> WarningSettings {
        station_id
            .and_then(|s| self.policy_of_station(s).ok())
            .map(|p| p.warnings.clone())
            .unwrap_or_default()
    }

    /// The rules of every station with their switches.
    pub async fn rule_switches(&self, station_id: i64) -> Result<Vec<RuleSwitch>> {
        let book = self.rule_book([Some(station_id)]).await?;
        Ok(RuleKind::ALL
            .iter()
            .map(|r| RuleSwitch {
                rule: *r,
                label: r.zh(),
                enabled: book.on(Some(station_id), *r),
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
                    event: TraceEvent::RulesSwitched(trace::RulesSwitched { rule, enabled }),
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

    /// The thresholds and switches of every station the events are about.
    async fn rule_book(&self, stations: impl IntoIterator<Item = Option<i64>>) -> Result<RuleBook> {
        let mut book = RuleBook::default();
        for (s, r, on) in self.store.station_rules().await? {
            if let Ok(rule) = RuleKind::parse(&r) {
                book.switches.insert((s, rule), on);
            }
        }
        for station in stations {
            book.settings
                .entry(station)
                .or_insert_with(|| self.warning_settings(station));
        }
        Ok(book)
    }

    /// Judges a batch: reads the facts the rules need (`warning::needs`), asks the domain
    /// (`warning::judge`), and writes the warnings, their notices, the automatic sensitive
    /// flags and the cursor in one transaction.
    async fn judge(&self, rows: &[TraceRow], last: i64) -> Result<RulesReport> {
        let events: Vec<Seen> = rows
            .iter()
            .map(|r| Seen {
                id: r.id,
                at: r.at,
                station_id: r.station_id,
                customer_id: r.customer_id,
                order_id: r.order_id,
                event: r.event(),
            })
            .collect();
        let book = self.rule_book(events.iter().map(|e| e.station_id)).await?;
        let order_ids: Vec<i64> = events
            .iter()
            .filter_map(|e| e.order_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut facts = Facts {
            orders: self
                .store
                .order_briefs_by_ids(&order_ids)
                .await?
                .into_iter()
                .map(|o| (o.id, brief_of(o)))
                .collect(),
            ..Default::default()
        };
        let needs = warning::needs(&events, &facts.orders, &book);
        let customers: Vec<i64> = needs.recent_customers.iter().copied().collect();
        for o in self
            .store
            .order_briefs_of_customers_since(&customers, needs.recent_since)
            .await?
        {
            if let Some(c) = o.customer_id {
                facts.recent.entry(c).or_default().push(brief_of(o));
            }
        }
        for &(cid, since) in &needs.complaints {
            let n = self
                .store
                .customer_orders_since(cid, since)
                .await?
                .iter()
                .filter(|e| e.order_type == OrderType::Complaint)
                .count() as i64;
            facts.complaints.insert((cid, since), n);
        }
        for &(cid, since) in &needs.dissatisfied {
            let n = self.store.dissatisfied_visits_since(cid, since).await?;
            facts.dissatisfied.insert((cid, since), n);
        }
        let candidates: Vec<i64> = needs.sensitive.iter().copied().collect();
        facts
            .sensitive
            .extend(self.store.sensitive_among(&candidates).await?);
        for &(area, since) in &needs.outages_on_area {
            let n = self.store.outages_on_area_since(area, since).await?;
            facts.outages_on_area.insert((area, since), n);
        }
        for &(area, since) in &needs.voltage_violations {
            let n = self.store.voltage_violations(area, since).await?;
            facts.voltage_violations.insert((area, since), n);
        }
        for &area in &needs.areas {
            if let Some(name) = self.area_name(area) {
                facts.area_names.insert(area, name);
            }
        }
        for (id, text) in &needs.texts {
            let t = detector().detect(text);
            facts.tendency.insert(
                *id,
                Tendency {
                    score: t.score,
                    escalating: t.escalating,
                    cues: t
                        .cues
                        .into_iter()
                        .map(|c| warning::Cue {
                            category: c.category,
                            word: c.word,
                            weight: c.weight,
                        })
                        .collect(),
                },
            );
        }
        let judgement = warning::judge(&events, &facts, &book);

        // Write the warnings, their notices, the automatic sensitive flags and the cursor
        // together.
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut report = RulesReport::default();
        let mut traces = Vec::new();
        for m in &judgement.sensitive {
            self.store
                .set_customer_sensitive_review(&mut tx, m.customer_id, true, Some(m.review_at), now)
                .await?;
            let station = self
                .store
                .customer(m.customer_id)
                .await?
                .map(|c| c.station_id);
            traces.push(voltdesk_store::NewTrace {
                at: m.at,
                station_id: station,
                customer_id: Some(m.customer_id),
                order_id: None,
                channel: None,
                actor_id: None,
                actor: Actor::system().name,
                event: TraceEvent::CustomerSensitiveSet(trace::Sensitive {
                    reason: m.reason.clone(),
                    automatic: true,
                    review_at: Some(m.review_at),
                }),
            });
        }
        let rules: Vec<RuleKind> = judgement.raises.iter().map(|r| r.rule).collect();
        let new: Vec<NewWarning> = judgement
            .raises
            .into_iter()
            .map(|r| {
                let area = r
                    .order_id
                    .and_then(|o| facts.orders.get(&o))
                    .and_then(|o| o.area_id);
                new_warning(r, area, now)
            })
            .collect();
        let raised = self.store.raise_warnings(&mut tx, &new).await?;
        let mut notify = Vec::new();
        let mut webhooks = Vec::new();
        let mut fresh = Vec::new();
        let mut raised_for = Vec::new();
        for ((w, rule), r) in new.iter().zip(&rules).zip(&raised) {
            let id = match r {
                Raised::New(id) => *id,
                Raised::Again(_) => {
                    report.seen_again += 1;
                    continue;
                }
            };
            report.raised += 1;
            raised_for.push(voltdesk_domain::notify::RaisedFor {
                warning_id: id,
                rule: *rule,
                order_id: w.order_id,
                at: now,
                owner_id: w.owner_id,
                owners: if w.owner_id.is_some() {
                    Vec::new()
                } else {
                    self.store
                        .active_users_with_role(&w.owner_role, w.station_id)
                        .await?
                },
                detail: w.detail.clone(),
            });
            fresh.push((*rule, w.station_id, w.customer_id, w.order_id));
            match rule {
                RuleKind::DeadlineNear => notify.push((
                    TraceKind::ClockWarned.code().to_string(),
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
                        event: TraceEvent::OrderEscalated(trace::Escalated {
                            warning_id: Some(id),
                            escalation_id: None,
                            to_role: Role::Supervisor,
                            reason: w.title.clone(),
                            words: w.detail.get("words").cloned(),
                        }),
                    });
                    webhooks.push((
                        TraceKind::OrderEscalated.code().to_string(),
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
        let told = self.write_notifications(&mut tx, rows, raised_for).await?;
        self.store.set_rule_cursor(&mut tx, CURSOR, last).await?;
        commit(tx).await?;
        self.announce_notifications(&told);
        for (rule, station, customer, order) in fresh {
            self.publish(Committed {
                kind: if rule == RuleKind::DeadlineMissed {
                    TraceKind::OrderEscalated
                } else {
                    TraceKind::WarningRaised
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
        let book = self
            .rule_book(due.iter().map(|c| Some(c.station_id)))
            .await?;
        let mut tx = self.store.begin().await?;
        for c in due {
            let s = book.settings(Some(c.station_id));
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
            let Some(r) = warning::sensitive_review(c.id, &c.name, c.station_id, &book) else {
                continue;
            };
            match self
                .store
                .raise_warning(&mut tx, &new_warning(r, Some(c.area_id), now))
                .await?
            {
                Raised::New(_) => report.raised += 1,
                Raised::Again(_) => report.seen_again += 1,
            }
        }
        commit(tx).await?;
        Ok(report)
    }

    async fn long_outages(&self, now: Millis) -> Result<RulesReport> {
        let running = self.store.running_outages(now).await?;
        let book = self
            .rule_book(running.iter().map(|o| Some(o.station_id)))
            .await?;
        let new: Vec<NewWarning> = running
            .iter()
            .filter_map(|o| {
                let r = warning::long_outage(
                    &RunningOutage {
                        id: o.id,
                        station_id: o.station_id,
                        area_id: o.area_id,
                        started_at: o.started_at,
                        restored_at: o.restored_at,
                        cause: o.cause.clone(),
                        affected_customers: o.affected_customers,
                    },
                    &book,
                    now,
                )?;
                Some(new_warning(r, o.area_id, now))
            })
            .collect();
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
                        Ok(c)
                            if c.kind.code().starts_with("warning.")
                                || c.kind == TraceKind::OrderEscalated =>
                        {
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
        let rule = RuleKind::parse(&w.rule)
            .map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))?;
        let step = |escalation: bool| {
            TraceEvent::warning_step(
                to,
                escalation,
                trace::WarningStep {
                    warning_id: id,
                    rule,
                    note: note.trim().to_string(),
                },
            )
        };
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
                    event: step(rule == RuleKind::DeadlineMissed),
                }],
            )
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: step(false).kind().unwrap_or(TraceKind::WarningRaised),
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

    /// Acknowledges the open escalations `ids` (a page of the board at once), each in its own
    /// transaction. One acknowledged meanwhile by someone else, or no longer open, is skipped,
    /// not an error; any other refusal stops there, with the ones before it kept.
    pub async fn acknowledge_escalations(&self, by: &Actor, ids: &[i64]) -> Result<BulkAck> {
        if ids.is_empty() {
            return Err(ServiceError::invalid(
                "id",
                "choose at least one escalation",
            ));
        }
        if ids.len() > MAX_BULK_ACK {
            return Err(ServiceError::invalid(
                "id",
                format!("at most {MAX_BULK_ACK} escalations at once"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut done = BulkAck::default();
        for &id in ids.iter().filter(|id| seen.insert(**id)) {
            match self.acknowledge_escalation(by, id).await {
                Ok(()) => done.acknowledged += 1,
                Err(ServiceError::NotFound { .. }) => done.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// The most escalations acknowledged in one request (a board page holds fewer).
pub const MAX_BULK_ACK: usize = 200;

/// What a bulk acknowledgement did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkAck {
    pub acknowledged: usize,
    /// Already acknowledged, or not an open escalation.
    pub skipped: usize,
}
