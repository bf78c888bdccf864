//! Work orders: intake with idempotency, the lifecycle commands, clocks, problems.

use crate::*;
use serde::Serialize;
use voltdesk_domain::clock::{ClockTimes, PlannedClock, plan_for_order};
use voltdesk_domain::order::{
    ClockEnd, ClockOfOrder, Command, OrderEvent, OrderState, clock_changes, execute,
};
use voltdesk_domain::policy::{ClockStart, OrderFacts, Policy};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::*;
use voltdesk_store::{ClockRow, ClockState, NewTrace, OrderFilter, OrderRow, TraceRow, Tx};

pub use voltdesk_domain::intake::{CustomerRef, NewOrder, OrderDraft};

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub order_no: String,
    #[serde(flatten)]
    pub order: OrderDetail,
    pub clocks: Vec<ClockView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    #[serde(flatten)]
    pub clock: ClockDetail,
    /// Milliseconds left until due (negative when late), for running clocks.
    pub remaining_ms: Option<i64>,
}

/// `GD` + the local acceptance date + the id: readable on the phone, derived, never stored.
pub fn order_no(o: &impl Numbered) -> String {
    let (id, created_at) = o.number_parts();
    voltdesk_domain::search::order_number(id, created_at)
}

/// What an order number is made of: the id and the acceptance instant.
pub trait Numbered {
    fn number_parts(&self) -> (i64, Millis);
}

impl Numbered for OrderRow {
    fn number_parts(&self) -> (i64, Millis) {
        (self.id, self.created_at)
    }
}

impl Numbered for OrderDetail {
    fn number_parts(&self) -> (i64, Millis) {
        (self.id, self.created_at)
    }
}

/// The id inside an order number, or a plain id.
pub fn parse_order_ref(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("GD") {
        return rest.get(8..).and_then(|d| d.parse().ok());
    }
    s.parse().ok()
}

/// An accepted order with nothing filled in yet, to build rows from.
pub(crate) fn blank_order() -> OrderRow {
    OrderRow {
        id: 0,
        station_id: 0,
        area_id: None,
        grid_id: None,
        customer_id: None,
        order_type: OrderType::Consultation,
        service_kind: None,
        channel: Channel::Hotline95598,
        subject: None,
        complaint_class: None,
        severity: Severity::General,
        status: OrderStatus::Accepted,
        title: String::new(),
        description: String::new(),
        contact_phone: None,
        department_id: None,
        assignee_id: None,
        co_handlers: vec![],
        policy_id: String::new(),
        policy_version: String::new(),
        idem_key: None,
        created_by: None,
        created_at: 0,
        updated_at: 0,
        closed_at: None,
        next_due_at: None,
        overdue: false,
        escalated: false,
        contacted: false,
        replied: false,
        reply_text: None,
        verdict: None,
        root_cause: None,
        satisfaction: None,
        urge_count: 0,
        reopen_count: 0,
        merged_into: None,
        repeat_of: None,
        problem_id: None,
    }
}

/// The running clock row of a planned clock.
pub(crate) fn clock_row(order_id: i64, id: i64, c: PlannedClock) -> ClockRow {
    let p = c.plan;
    ClockRow {
        id,
        order_id,
        kind: p.kind,
        state: ClockState::Running,
        limit_text: p.limit.to_string(),
        source: c.source,
        started_at: p.started_at,
        due_at: p.due_at,
        warn_at: p.warn_at,
        paused_at: None,
        paused_ms: 0,
        pause_reason: None,
        warned_at: None,
        breached_at: None,
        stopped_at: None,
        next_fire_at: Some(p.first_fire_at()),
    }
}

/// How a clock that ends is stored.
pub(crate) fn end_state(how: ClockEnd) -> ClockState {
    match how {
        ClockEnd::Met => ClockState::Met,
        ClockEnd::Stopped => ClockState::Stopped,
    }
}

/// A clock as the clock decision sees it.
pub(crate) fn clock_of_order(c: &ClockRow) -> ClockOfOrder {
    ClockOfOrder {
        kind: c.kind,
        live: matches!(c.state, ClockState::Running | ClockState::Paused),
    }
}

pub(crate) fn trace(o: &OrderRow, by: &Actor, at: Millis, event: TraceEvent) -> NewTrace {
    NewTrace {
        at,
        station_id: Some(o.station_id),
        customer_id: o.customer_id,
        order_id: Some(o.id),
        channel: Some(o.channel),
        actor_id: by.user_id,
        actor: by.name.clone(),
        event,
    }
}

/// A clock that ended now: met, or stopped (its state says which).
pub(crate) fn clock_ended(c: &ClockRow, now: Millis) -> TraceEvent {
    let ended = trace::ClockEnded {
        clock_id: c.id,
        kind: c.kind,
        due_at: c.due_at,
        late: now > c.due_at,
    };
    if c.state == ClockState::Met {
        TraceEvent::ClockMet(ended)
    } else {
        TraceEvent::ClockStopped(ended)
    }
}

pub(crate) fn clock_started(c: &ClockRow) -> TraceEvent {
    TraceEvent::ClockStarted(trace::ClockStarted {
        clock_id: c.id,
        kind: c.kind,
        limit: c.limit_text.clone(),
        due_at: c.due_at,
    })
}

/// What the acceptance of an order records: its number, kind, the policy and its clocks.
pub(crate) fn accepted(o: &OrderRow, clocks: &[ClockRow]) -> trace::OrderAccepted {
    trace::OrderAccepted {
        order_no: order_no(o),
        order_type: o.order_type,
        channel: o.channel,
        subject: o.subject,
        title: o.title.clone(),
        policy: format!("{}@{}", o.policy_id, o.policy_version),
        clocks: clocks
            .iter()
            .map(|c| trace::PlannedClock {
                kind: c.kind,
                limit: c.limit_text.clone(),
                due_at: c.due_at,
            })
            .collect(),
        outage: None,
    }
}

impl Service {
    pub(crate) fn policy_of_station(&self, station_id: i64) -> Result<&Policy> {
        let policy_id = {
            let org = self.org.read().expect("org cache lock");
            let st = org
                .stations
                .get(&station_id)
                .ok_or(ServiceError::NotFound { what: "station" })?;
            st.policy_id.clone()
        };
        self.policy_by_id(&policy_id)
    }

    fn policy_by_id(&self, id: &str) -> Result<&Policy> {
        self.policies.get(id).ok_or_else(|| {
            ServiceError::invalid("policy_id", format!("policy `{id}` is not loaded"))
        })
    }

    pub(crate) fn region_of(&self, area_id: Option<i64>) -> Option<RegionClass> {
        area_id.and_then(|a| {
            self.org
                .read()
                .expect("org cache lock")
                .areas
                .get(&a)
                .map(|a| a.region_class)
        })
    }

    /// The clock plans (with the policy rule each comes from) that `start` starts for an
    /// order with these facts.
    pub(crate) fn plan_rules(
        &self,
        facts: &OrderFacts,
        policy: &Policy,
        start: ClockStart,
        kinds: Option<&[ClockKind]>,
        now: Millis,
    ) -> Vec<(voltdesk_domain::clock::ClockPlan, String)> {
        let cal = self.calendar.read().expect("calendar lock");
        plan_for_order(policy, &cal, facts, start, kinds, now)
            .into_iter()
            .map(|c| (c.plan, c.source))
            .collect()
    }

    /// Plans the clocks of `kinds` (all when `None`) that start at `start` for this order.
    fn plan_clocks(
        &self,
        o: &OrderRow,
        policy: &Policy,
        start: ClockStart,
        kinds: Option<&[ClockKind]>,
        now: Millis,
    ) -> Vec<ClockRow> {
        let facts = OrderFacts {
            order_type: o.order_type,
            channel: o.channel,
            service_kind: o.service_kind,
            region: self.region_of(o.area_id),
        };
        let cal = self.calendar.read().expect("calendar lock");
        plan_for_order(policy, &cal, &facts, start, kinds, now)
            .into_iter()
            .map(|c| clock_row(o.id, 0, c))
            .collect()
    }

    /// Fills in what an order takes from its customer (station, area, grid) and its station's
    /// policy (id, version, clocks, next due time). Returns the clocks to start.
    pub(crate) fn complete_order(
        &self,
        o: &mut OrderRow,
        customer: Option<&voltdesk_store::CustomerRow>,
    ) -> Result<Vec<ClockRow>> {
        if let Some(c) = customer {
            o.customer_id = Some(c.id);
            o.station_id = c.station_id;
            o.area_id = Some(c.area_id);
            o.grid_id = self
                .org
                .read()
                .expect("org cache lock")
                .areas
                .get(&c.area_id)
                .map(|a| a.grid_id);
        }
        let policy = self.policy_of_station(o.station_id)?;
        o.policy_id = policy.id.clone();
        o.policy_version = policy.version.clone();
        let clocks = self.plan_clocks(o, policy, ClockStart::Accepted, None, o.created_at);
        o.next_due_at = clocks.iter().map(|c| c.due_at).min();
        Ok(clocks)
    }

    /// Takes a contact and opens a work order with its clocks, in one transaction.
    /// Returns the order and whether it was a replay of an earlier request with the same key.
    pub async fn create_order(&self, by: &Actor, d: OrderDraft) -> Result<(OrderView, bool)> {
        // A customer named by account number is looked up by the intake writer, together with
        // the others in its batch (one query instead of one per request).
        let mut pending_account = None;
        let customer = match &d.customer {
            Some(CustomerRef::Id(id)) => Some(
                self.store
                    .customer(*id)
                    .await?
                    .ok_or_else(|| ServiceError::invalid("customer_id", "no such customer"))?,
            ),
            Some(CustomerRef::Account(a)) => {
                pending_account = Some(a.clone());
                None
            }
            None => None,
        };
        let station_id = match (&customer, d.station_code.as_deref()) {
            (Some(c), _) => c.station_id,
            _ if pending_account.is_some() => 0,
            (None, Some(code)) => {
                let org = self.org.read().expect("org cache lock");
                org.stations
                    .values()
                    .find(|s| s.code == code)
                    .map(|s| s.id)
                    .ok_or_else(|| ServiceError::invalid("station_code", "no such station"))?
            }
            (None, None) => {
                let org = self.org.read().expect("org cache lock");
                match (org.stations.len(), by.station_id) {
                    (_, Some(s)) => s,
                    (1, None) => *org.stations.keys().next().expect("one station"),
                    _ => {
                        return Err(ServiceError::invalid(
                            "station_code",
                            "required when the customer is unknown",
                        ));
                    }
                }
            }
        };
        let now = self.now();
        let job_subject = d.repeat_subject();
        let mut o = OrderRow {
            station_id,
            customer_id: customer.as_ref().map(|c| c.id),
            order_type: d.order_type,
            service_kind: d.service_kind,
            channel: d.channel,
            subject: d.subject,
            complaint_class: d.complaint_class,
            severity: d.severity,
            title: d.title,
            description: d.description,
            contact_phone: d.contact_phone.map(PhoneNumber::into_string),
            idem_key: d.idempotency_key,
            created_by: by.user_id,
            created_at: now,
            updated_at: now,
            ..blank_order()
        };

        let clocks = match &pending_account {
            Some(_) => vec![],
            None => self.complete_order(&mut o, customer.as_ref())?,
        };
        match self
            .intake
            .submit(by.clone(), o, clocks, pending_account, job_subject)
            .await?
        {
            crate::intake::Outcome::Replayed(id) => Ok((self.order(id).await?, true)),
            crate::intake::Outcome::Rejected(e) => Err(e),
            crate::intake::Outcome::Created(o, clocks) => {
                let o = *o;
                self.publish(Committed {
                    kind: TraceKind::OrderAccepted,
                    order_id: Some(o.id),
                    customer_id: o.customer_id,
                    station_id: Some(o.station_id),
                    at: now,
                });
                let clocks = clocks.into_iter().map(|c| clock_view(c, now)).collect();
                Ok((
                    OrderView {
                        order_no: order_no(&o),
                        order: o.into(),
                        clocks,
                    },
                    false,
                ))
            }
        }
    }

    pub async fn order(&self, id: i64) -> Result<OrderView> {
        let o = self
            .store
            .order(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let now = self.now();
        let clocks = self
            .store
            .clocks_of(id)
            .await?
            .into_iter()
            .map(|c| clock_view(c, now))
            .collect();
        Ok(OrderView {
            order_no: order_no(&o),
            order: o.into(),
            clocks,
        })
    }

    pub async fn orders(&self, f: &OrderFilter) -> Result<(Vec<OrderView>, i64)> {
        let (rows, total) = self.store.orders(f).await?;
        let views = rows
            .into_iter()
            .map(|o| OrderView {
                order_no: order_no(&o),
                order: o.into(),
                clocks: vec![],
            })
            .collect();
        Ok((views, total))
    }

    pub async fn order_trace(&self, id: i64) -> Result<Vec<TraceRow>> {
        self.store
            .order(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        Ok(self.store.order_trace(id).await?)
    }

    /// Runs one lifecycle command on an order: state, clocks, trace and outbox in one transaction.
    pub async fn act(&self, by: &Actor, id: i64, cmd: Command) -> Result<OrderView> {
        match &cmd {
            Command::Dispatch { department_id, .. } | Command::Transfer { department_id, .. } => {
                self.store
                    .department(*department_id)
                    .await?
                    .ok_or_else(|| ServiceError::invalid("department_id", "no such department"))?;
            }
            Command::CoHandle { department_ids } => {
                for d in department_ids {
                    self.store.department(*d).await?.ok_or_else(|| {
                        ServiceError::invalid("department_ids", format!("no department {d}"))
                    })?;
                }
            }
            Command::Merge { into } => {
                let target = self
                    .store
                    .order(*into)
                    .await?
                    .ok_or_else(|| ServiceError::invalid("into", "no such order"))?;
                if !target.status.is_open() {
                    return Err(ServiceError::invalid(
                        "into",
                        "the target order is not open",
                    ));
                }
            }
            _ => {}
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut o = self
            .store
            .order_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let mut state = state_of(&o);
        let events = execute(&mut state, id, &cmd)?;
        let mut traces = Vec::new();
        for ev in &events {
            match ev {
                OrderEvent::Replied { text, .. } => o.reply_text = Some(text.clone()),
                OrderEvent::ReturnVisited {
                    satisfaction,
                    comment,
                } => {
                    self.store
                        .insert_return_visit(&mut tx, id, *satisfaction, comment, by.user_id, now)
                        .await?;
                }
                OrderEvent::Closed => o.closed_at = Some(now),
                OrderEvent::Reopened { .. } => o.closed_at = None,
                _ => {}
            }
            traces.push(trace(&o, by, now, TraceEvent::Order(ev.clone())));
            let policy = self.policy_by_id(&o.policy_id)?;
            self.apply_clock_effect(&mut tx, &mut o, policy, ev, by, now, &mut traces)
                .await?;
            if let Some((topic, kind)) = notice_of(ev) {
                self.store.insert_outbox(&mut tx, now, topic, kind, &serde_json::json!({"order_id": id, "order_no": order_no(&o), "customer_id": o.customer_id})).await?;
            }
        }
        copy_state(&state, &mut o);
        o.updated_at = now;
        self.store.update_order(&mut tx, &o).await?;
        self.store.insert_traces(&mut tx, &traces).await?;
        commit(tx).await?;
        for ev in &events {
            self.publish(Committed {
                kind: ev.trace_kind(),
                order_id: Some(id),
                customer_id: o.customer_id,
                station_id: Some(o.station_id),
                at: now,
            });
        }
        self.order(id).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_clock_effect(
        &self,
        tx: &mut Tx,
        o: &mut OrderRow,
        policy: &Policy,
        ev: &OrderEvent,
        by: &Actor,
        now: Millis,
        traces: &mut Vec<NewTrace>,
    ) -> Result<()> {
        if !ev.touches_clocks() {
            return Ok(());
        }
        let clocks = self.store.clocks_in(tx, o.id).await?;
        let changes = clock_changes(ev, &clocks.iter().map(clock_of_order).collect::<Vec<_>>());
        for (i, how) in changes.end {
            let mut c = clocks[i].clone();
            let end_state = end_state(how);
            c.state = end_state;
            c.stopped_at = Some(now);
            c.next_fire_at = None;
            self.store.update_clock(tx, &c).await?;
            traces.push(trace(o, by, now, clock_ended(&c, now)));
        }
        if let Some((start, kinds)) = changes.start {
            for mut c in self.plan_clocks(o, policy, start, kinds.as_deref(), now) {
                c.id = self.store.insert_clock(tx, &c).await?;
                traces.push(trace(o, by, now, clock_started(&c)));
            }
        }
        self.refresh_due(tx, o).await
    }

    /// Recomputes the order's next due time and overdue flag from its live clocks.
    async fn refresh_due(&self, tx: &mut Tx, o: &mut OrderRow) -> Result<()> {
        let clocks = self.store.clocks_in(tx, o.id).await?;
        let live: Vec<&ClockRow> = clocks
            .iter()
            .filter(|c| matches!(c.state, ClockState::Running | ClockState::Paused))
            .collect();
        o.next_due_at = live.iter().map(|c| c.due_at).min();
        o.overdue = live.iter().any(|c| c.breached_at.is_some());
        Ok(())
    }

    /// Pauses the order's running clocks while waiting on the customer, with the reason traced.
    pub async fn pause_clocks(&self, by: &Actor, id: i64, reason: &str) -> Result<OrderView> {
        self.pause_or_resume(by, id, Some(reason)).await
    }

    pub async fn resume_clocks(&self, by: &Actor, id: i64) -> Result<OrderView> {
        self.pause_or_resume(by, id, None).await
    }

    async fn pause_or_resume(
        &self,
        by: &Actor,
        id: i64,
        pause_reason: Option<&str>,
    ) -> Result<OrderView> {
        if let Some(r) = pause_reason
            && r.trim().is_empty()
        {
            return Err(ServiceError::invalid("reason", "a reason is required"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut o = self
            .store
            .order_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let want = if pause_reason.is_some() {
            ClockState::Running
        } else {
            ClockState::Paused
        };
        let mut traces = Vec::new();
        for mut c in self
            .store
            .clocks_in(&mut tx, id)
            .await?
            .into_iter()
            .filter(|c| c.state == want)
        {
            let mut t = times_of(&c);
            match pause_reason {
                Some(reason) => {
                    t.pause(now)
                        .map_err(|e| ServiceError::invalid("clock", e.to_string()))?;
                    c.state = ClockState::Paused;
                    c.pause_reason = Some(reason.to_string());
                }
                None => {
                    t.resume(now)
                        .map_err(|e| ServiceError::invalid("clock", e.to_string()))?;
                    c.state = ClockState::Running;
                    c.pause_reason = None;
                }
            }
            c.due_at = t.due_at;
            c.warn_at = t.warn_at;
            c.paused_at = t.paused_at;
            c.paused_ms = t.paused_ms;
            c.next_fire_at = t.next_fire(c.warned_at.is_some(), c.breached_at.is_some());
            self.store.update_clock(&mut tx, &c).await?;
            let event = match pause_reason {
                Some(r) => TraceEvent::ClockPaused(trace::ClockPaused {
                    clock_id: c.id,
                    kind: c.kind,
                    reason: r.to_string(),
                }),
                None => TraceEvent::ClockResumed(trace::ClockResumed {
                    clock_id: c.id,
                    kind: c.kind,
                    due_at: c.due_at,
                }),
            };
            traces.push(trace(&o, by, now, event));
        }
        if traces.is_empty() {
            return Err(ServiceError::invalid(
                "clock",
                if pause_reason.is_some() {
                    "no running clock to pause"
                } else {
                    "no paused clock to resume"
                },
            ));
        }
        self.refresh_due(&mut tx, &mut o).await?;
        o.updated_at = now;
        self.store.update_order(&mut tx, &o).await?;
        self.store.insert_traces(&mut tx, &traces).await?;
        commit(tx).await?;
        self.order(id).await
    }

    // ---- the full-text index ----

    /// Indexes the orders written before the full-text index existed, a batch at a time
    /// (each batch one transaction with how far it got), until none is left.
    pub async fn backfill_order_text(&self) -> Result<()> {
        loop {
            let left = self.store.backfill_order_text(2_000).await?;
            if left == 0 {
                return Ok(());
            }
            // A line per hundred thousand orders or so, not per batch.
            if left % 100_000 < 2_000 {
                tracing::info!(left, "indexing the text of earlier orders");
            }
            tokio::task::yield_now().await;
        }
    }

    /// The back-fill as a server task: retried after a minute if the database fails.
    pub async fn run_text_backfill(self) {
        loop {
            match self.backfill_order_text().await {
                Ok(_) => return,
                Err(e) => tracing::warn!(error = %e, "cannot index the text of earlier orders"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }

    // ---- problems ----

    pub async fn create_problem(
        &self,
        by: &Actor,
        station_id: i64,
        title: &str,
        description: &str,
    ) -> Result<voltdesk_store::ProblemRow> {
        if title.trim().is_empty() {
            return Err(ServiceError::invalid("title", "required"));
        }
        if !self
            .org
            .read()
            .expect("org cache lock")
            .stations
            .contains_key(&station_id)
        {
            return Err(ServiceError::invalid("station_id", "no such station"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = self
            .store
            .insert_problem(
                &mut tx,
                station_id,
                title.trim(),
                description,
                by.user_id,
                now,
            )
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::ProblemOpened(trace::ProblemOpened {
                problem_id: id,
                title: title.to_string(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.store
            .problem(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "problem" })
    }

    /// Groups an order under a problem (many orders, one cause).
    pub async fn link_problem(
        &self,
        by: &Actor,
        order_id: i64,
        problem_id: i64,
    ) -> Result<OrderView> {
        let p = self
            .store
            .problem(problem_id)
            .await?
            .ok_or_else(|| ServiceError::invalid("problem_id", "no such problem"))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut o = self
            .store
            .order_in(&mut tx, order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        o.problem_id = Some(p.id);
        o.updated_at = now;
        self.store.update_order(&mut tx, &o).await?;
        self.store
            .insert_traces(
                &mut tx,
                &[trace(
                    &o,
                    by,
                    now,
                    TraceEvent::OrderProblemLinked(trace::ProblemRef { problem_id: p.id }),
                )],
            )
            .await?;
        commit(tx).await?;
        self.order(order_id).await
    }

    /// Closes a problem once its cause is fixed.
    pub async fn close_problem(
        &self,
        by: &Actor,
        id: i64,
        root_cause: &str,
    ) -> Result<voltdesk_store::ProblemRow> {
        if root_cause.trim().is_empty() {
            return Err(ServiceError::invalid(
                "root_cause",
                "required to close a problem",
            ));
        }
        let mut tx = self.store.begin().await?;
        self.store
            .close_problem(&mut tx, id, root_cause, self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound {
                    what: "open problem",
                },
                e => e.into(),
            })?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::ProblemClosed(trace::ProblemClosed {
                problem_id: id,
                root_cause: root_cause.to_string(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.store
            .problem(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "problem" })
    }

    pub async fn problems(
        &self,
        station_id: Option<i64>,
        open_only: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<voltdesk_store::ProblemRow>, i64)> {
        Ok(self
            .store
            .problems(station_id, open_only, limit.clamp(1, 500), offset.max(0))
            .await?)
    }

    pub async fn problem(&self, id: i64) -> Result<voltdesk_store::ProblemRow> {
        self.store
            .problem(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "problem" })
    }

    pub async fn return_visits(
        &self,
        order_id: i64,
    ) -> Result<Vec<voltdesk_store::ReturnVisitRow>> {
        Ok(self.store.return_visits(order_id).await?)
    }

    pub async fn outbox(&self, limit: i64) -> Result<Vec<voltdesk_store::OutboxRow>> {
        Ok(self.store.outbox(limit.clamp(1, 1000)).await?)
    }
}

/// The notice an event sends (topic, and the notice's kind: the event's trace code).
fn notice_of(ev: &OrderEvent) -> Option<(&'static str, &'static str)> {
    let topic = match ev {
        OrderEvent::Dispatched { .. } | OrderEvent::Transferred { .. } => {
            return Some(("notify", TraceKind::OrderDispatched.code()));
        }
        OrderEvent::Replied { .. } => "sms",
        OrderEvent::Closed => "webhook",
        OrderEvent::Reopened { .. } => "notify",
        _ => return None,
    };
    Some((topic, ev.trace_kind().code()))
}

pub(crate) fn times_of(c: &ClockRow) -> ClockTimes {
    ClockTimes {
        started_at: c.started_at,
        due_at: c.due_at,
        warn_at: c.warn_at,
        paused_at: c.paused_at,
        paused_ms: c.paused_ms,
    }
}

fn clock_view(c: ClockRow, now: Millis) -> ClockView {
    let remaining_ms = match c.state {
        ClockState::Running | ClockState::Paused => Some(times_of(&c).remaining(now)),
        _ => None,
    };
    ClockView {
        clock: c.into(),
        remaining_ms,
    }
}

/// The lifecycle state of a stored order.
pub fn state_of(o: &OrderRow) -> OrderState {
    OrderState {
        order_type: o.order_type,
        status: o.status,
        replied: o.replied,
        contacted: o.contacted,
        department_id: o.department_id,
        assignee_id: o.assignee_id,
        co_handlers: o.co_handlers.clone(),
        verdict: o.verdict,
        root_cause: o.root_cause,
        satisfaction: o.satisfaction,
        merged_into: o.merged_into,
        urge_count: o.urge_count as u32,
        reopen_count: o.reopen_count as u32,
    }
}

/// Writes the lifecycle state back into the stored order.
pub(crate) fn copy_state(s: &OrderState, o: &mut OrderRow) {
    o.status = s.status;
    o.replied = s.replied;
    o.contacted = s.contacted;
    o.department_id = s.department_id;
    o.assignee_id = s.assignee_id;
    o.co_handlers = s.co_handlers.clone();
    o.verdict = s.verdict;
    o.root_cause = s.root_cause;
    o.satisfaction = s.satisfaction;
    o.merged_into = s.merged_into;
    o.urge_count = s.urge_count as i64;
    o.reopen_count = s.reopen_count as i64;
}
