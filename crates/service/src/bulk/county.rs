//! A county's year of history, generated and written in bulk: outages on its feeders and
//! transformer areas, the work orders its customers opened (bursts of repair calls during
//! faults, consultations before planned outages, a mix of types and channels with seasons,
//! weekdays and hours), each order driven through the domain's state machine with its
//! clocks, return visits and trace events, and closed by the end of the period.
//!
//! Deterministic for the seed and the database's contents. Two phases: first every order is
//! planned (time, customer, type, channel, text, fate) and the plans are sorted by time, so
//! ids grow with time as live ones do; then each is played through `order::execute` step by
//! step, with the clocks warned, breached and stopped as the scheduler and the commands
//! would, and written in batches. Trace events are written in time order across orders.

use super::pick;
use super::texts::*;
use crate::orders::{
    accepted, blank_order, clock_ended, clock_of_order, clock_row, clock_started, copy_state,
    end_state, trace,
};
use crate::*;
use chrono::Datelike;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use voltdesk_domain::calendar::Calendar;
use voltdesk_domain::clock::plan_for_order;
use voltdesk_domain::order::{Command, OrderEvent, OrderState, clock_changes, execute};
use voltdesk_domain::policy::{ClockStart, OrderFacts, Policy};
use voltdesk_domain::trace::{self, TraceEvent};
use voltdesk_domain::*;
use voltdesk_store::{
    ClockRow, ClockState, EscalationRow, NewTrace, OrderRow, OutageKind, OutageRow, ReturnVisitRow,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct CountySpec {
    pub seed: u64,
    /// Orders are created in [from, to).
    pub from: Millis,
    pub to: Millis,
    /// Every step of every order (and every outage) is over before this instant (at least
    /// `to`): orders taken just before `to` are handled after it.
    pub settle_by: Millis,
    /// Work orders per customer and year (about 0.25 in a rural county).
    pub orders_per_customer_year: f64,
    /// Usernames of who takes, handles, repairs and calls back; a missing user leaves the
    /// order's assignee empty and the trace names `system`.
    pub agent: String,
    pub handler: String,
    pub crew: String,
    pub supervisor: String,
}

impl CountySpec {
    /// The year before `to` with the demo's users.
    pub fn year_before(to: Millis, seed: u64) -> CountySpec {
        CountySpec {
            seed,
            from: to - 365 * DAY_MS,
            to,
            settle_by: to,
            orders_per_customer_year: 0.25,
            agent: "agent1".into(),
            handler: "handler1".into(),
            crew: "crew1".into(),
            supervisor: "supervisor1".into(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct CountyReport {
    pub orders: u64,
    pub by_type: BTreeMap<OrderType, u64>,
    pub by_channel: BTreeMap<Channel, u64>,
    pub by_status: BTreeMap<OrderStatus, u64>,
    pub complaint_classes: BTreeMap<ComplaintClass, u64>,
    /// Closed orders that missed a deadline.
    pub overdue: u64,
    pub return_visits: u64,
    pub by_satisfaction: BTreeMap<Satisfaction, u64>,
    pub outages: BTreeMap<OutageKind, u64>,
    pub trace_events: u64,
    /// Instants of the first and the last order.
    pub first_at: Option<Millis>,
    pub last_at: Option<Millis>,
}

/// Orders per write transaction.
const BATCH: usize = 20_000;

/// Shares of the order types (per thousand): consultations dominate, complaints are rare.
const TYPE_SHARES: &[(OrderType, u32)] = &[
    (OrderType::Consultation, 550),
    (OrderType::Repair, 240),
    (OrderType::ServiceRequest, 110),
    (OrderType::Opinion, 25),
    (OrderType::Suggestion, 15),
    (OrderType::Praise, 25),
    (OrderType::Complaint, 25),
    (OrderType::Report, 10),
];

fn channels_for(t: OrderType) -> &'static [(Channel, u32)] {
    use Channel::*;
    match t {
        OrderType::Consultation => &[
            (Hotline95598, 50),
            (App, 26),
            (Wechat, 10),
            (Counter, 7),
            (GridStaff, 3),
            (Gov12345, 2),
            (Web, 2),
        ],
        OrderType::Repair => &[
            (Hotline95598, 74),
            (App, 13),
            (Wechat, 6),
            (GridStaff, 5),
            (Gov12345, 2),
        ],
        OrderType::ServiceRequest => &[
            (Hotline95598, 34),
            (App, 30),
            (Counter, 22),
            (Wechat, 6),
            (GridStaff, 8),
        ],
        OrderType::Complaint => &[
            (Hotline95598, 70),
            (Gov12345, 15),
            (Regulator12398, 7),
            (App, 5),
            (Wechat, 3),
        ],
        OrderType::Report => &[(Hotline95598, 70), (Gov12345, 15), (App, 10), (Wechat, 5)],
        OrderType::Praise => &[
            (Hotline95598, 55),
            (Wechat, 15),
            (App, 10),
            (Counter, 10),
            (GridStaff, 10),
        ],
        _ => &[
            (Hotline95598, 45),
            (App, 25),
            (Wechat, 10),
            (Gov12345, 10),
            (Counter, 5),
            (Web, 5),
        ],
    }
}

/// Channels of calls during an outage.
const OUTAGE_CHANNELS: &[(Channel, u32)] = &[
    (Channel::Hotline95598, 80),
    (Channel::App, 12),
    (Channel::Wechat, 5),
    (Channel::GridStaff, 3),
];

/// Month factors (January first) of the volume of each pattern.
const REPAIR_MONTHS: [f64; 12] = [1.25, 1.1, 0.8, 0.8, 0.9, 1.1, 1.6, 1.7, 1.1, 0.8, 0.85, 1.2];
const BUSINESS_MONTHS: [f64; 12] = [
    1.15, 0.8, 1.0, 0.95, 0.95, 1.0, 1.2, 1.25, 1.05, 0.9, 0.95, 1.05,
];
const COMPLAINT_MONTHS: [f64; 12] = [
    1.1, 0.8, 0.9, 0.9, 0.95, 1.05, 1.35, 1.4, 1.05, 0.85, 0.9, 1.0,
];
const FAULT_MONTHS: [f64; 12] = [1.1, 0.8, 0.6, 0.8, 1.0, 1.5, 2.2, 2.4, 1.2, 0.6, 0.6, 1.0];
/// Planned maintenance: spring and autumn, never in the summer peak or the Spring Festival.
const PLANNED_MONTHS: [f64; 12] = [0.3, 0.2, 1.2, 1.5, 1.5, 0.8, 0.2, 0.2, 1.2, 1.5, 1.3, 0.8];

/// Hour weights (local time, 00:00 first).
const REPAIR_HOURS: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.0, 5.0, 5.5, 5.5, 5.0, 5.0, 5.5, 6.0, 6.5, 7.5, 8.5,
    8.5, 7.0, 5.0, 3.0, 1.8,
];
const BUSINESS_HOURS: [f64; 24] = [
    0.1, 0.05, 0.02, 0.02, 0.02, 0.1, 0.4, 2.0, 6.5, 9.0, 9.0, 8.0, 5.0, 6.5, 8.5, 8.5, 7.5, 6.0,
    4.5, 4.5, 4.0, 3.0, 1.5, 0.5,
];
/// Counters and field visits: office hours only.
const OFFICE_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 9.0, 9.0, 7.0, 2.0, 4.0, 8.0, 8.0, 6.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0,
];
const STORM_HOURS: [f64; 24] = [
    0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.5, 5.0, 6.0, 6.5, 6.0, 5.0,
    3.5, 2.5, 1.5, 1.0, 0.7,
];
const FAULT_HOURS: [f64; 24] = [
    1.0, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0, 1.3, 1.6, 1.8, 1.8, 1.8, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4,
    2.3, 2.0, 1.6, 1.3, 1.1,
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Repair,
    Business,
    Complaint,
    Other,
}

/// One local day of the period.
struct Day {
    start: Millis,
    month: usize,
    working: bool,
    storm: bool,
}

/// Picks an index by non-negative weights.
struct Cumulative(Vec<f64>);

impl Cumulative {
    fn new(weights: impl IntoIterator<Item = f64>) -> Cumulative {
        let mut acc = 0.0;
        Cumulative(
            weights
                .into_iter()
                .map(|w| {
                    acc += w.max(0.0);
                    acc
                })
                .collect(),
        )
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return rng.random_range(0..self.0.len().max(1));
        }
        let x = rng.random::<f64>() * total;
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

fn local_hour(t: Millis) -> i64 {
    (t + 8 * HOUR_MS).rem_euclid(DAY_MS) / HOUR_MS
}

/// Local midnight (UTC+8, as Asia/Shanghai) at or before `t`.
fn local_midnight(t: Millis) -> Millis {
    t - (t + 8 * HOUR_MS).rem_euclid(DAY_MS)
}

fn local_time_text(t: Millis) -> String {
    let m = (t + 8 * HOUR_MS).rem_euclid(DAY_MS) / MINUTE_MS;
    format!("{}:{:02}", m / 60, m % 60)
}

fn minutes(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo..=hi.max(lo)) * MINUTE_MS
}

fn between(rng: &mut StdRng, lo: Millis, hi: Millis) -> Millis {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

/// Moves `t` into local office hours (08:00–18:00), forward.
fn office(rng: &mut StdRng, t: Millis) -> Millis {
    match local_hour(t) {
        8..18 => t,
        h if h < 8 => local_midnight(t) + 8 * HOUR_MS + minutes(rng, 0, 90),
        _ => local_midnight(t) + DAY_MS + 8 * HOUR_MS + minutes(rng, 0, 90),
    }
}

/// `office(t + lo..hi minutes)`.
fn office_after(rng: &mut StdRng, t: Millis, lo: i64, hi: i64) -> Millis {
    let t = t + minutes(rng, lo, hi);
    office(rng, t)
}

/// When the return visit is made: a day or two after the reply, 08:30–20:00.
fn visit_after(rng: &mut StdRng, reply: Millis) -> Millis {
    let t = reply + minutes(rng, 20 * 60, 44 * 60);
    match local_hour(t) {
        9..20 => t,
        h if h < 9 => local_midnight(t) + 9 * HOUR_MS + minutes(rng, 0, 120),
        _ => local_midnight(t) + DAY_MS + 9 * HOUR_MS + minutes(rng, 0, 120),
    }
}

/// The village or community of an area named like 王家村3号台区.
fn village_of(area_name: &str) -> String {
    let end = area_name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(area_name.len());
    let v = &area_name[..end];
    if v.is_empty() {
        area_name.to_string()
    } else {
        v.to_string()
    }
}

/// The detail of a cause such as 雷击：线路避雷器击穿跳闸.
fn cause_detail(cause: &str) -> &str {
    cause.split_once('：').map_or(cause, |(_, d)| d)
}

struct AreaInfo {
    id: i64,
    station: i64,
    grid: i64,
    feeder: usize,
    region: RegionClass,
    name: String,
    village: String,
    customers: Vec<u32>,
}

struct FeederInfo {
    id: i64,
    station: i64,
    name: String,
    areas: Vec<usize>,
    customers: Vec<u32>,
}

struct StationInfo {
    policy: Policy,
    distribution: Option<i64>,
    marketing: Option<i64>,
    service: Option<i64>,
}

/// Who acts in the history.
struct Cast {
    agent: Actor,
    handler: Actor,
    crew: Actor,
    supervisor: Actor,
    crew_name: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Agent,
    Handler,
    Crew,
    Supervisor,
}

impl Cast {
    fn actor(&self, w: Who) -> &Actor {
        match w {
            Who::Agent => &self.agent,
            Who::Handler => &self.handler,
            Who::Crew => &self.crew,
            Who::Supervisor => &self.supervisor,
        }
    }
}

/// An outage being generated, with the areas it cut off.
struct Outage {
    row: OutageRow,
    /// Area indices cut off.
    areas: Vec<usize>,
    /// Feeder or area name, for texts.
    place: String,
    /// When the crew of the first repair order got there.
    crew_at: Option<Millis>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Consultation(&'static Consultation),
    Repair(&'static Repair),
    FaultCall(&'static (SubjectArea, &'static str, &'static str)),
    Request(&'static Request),
    Complaint(&'static Complaint),
    Other(&'static Other),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Burst {
    /// The first call of a fault: the crew's order.
    Master,
    /// Later calls handled as their own orders.
    Follower,
    /// Later calls merged into the master (duplicates of one outage).
    Merged(usize),
}

/// One planned order (phase one).
struct Draft {
    created: Millis,
    customer: Option<u32>,
    /// Area index for the text (the customer's, or where an anonymous caller is).
    area: usize,
    t: OrderType,
    channel: Channel,
    kind: Option<ServiceKind>,
    class: Option<ComplaintClass>,
    text: Text,
    outage: Option<(usize, Burst)>,
    /// Answered by the agent on first contact (consultations, praise).
    at_intake: bool,
    late: bool,
    cancel: bool,
    first_visit: Satisfaction,
}

/// A step of an order's life.
struct Step {
    at: Millis,
    who: Who,
    cmd: Command,
}

/// Everything a batch writes.
#[derive(Default)]
struct Batch {
    orders: Vec<OrderRow>,
    clocks: Vec<ClockRow>,
    escalations: Vec<EscalationRow>,
    visits: Vec<ReturnVisitRow>,
}

/// Fixed facts the generator reads while it plays orders.
struct World {
    customers: Vec<(i64, usize)>,
    areas: Vec<AreaInfo>,
    feeders: Vec<FeederInfo>,
    stations: BTreeMap<i64, StationInfo>,
    calendar: Calendar,
    cast: Cast,
    handler_id: Option<i64>,
    crew_id: Option<i64>,
    supervisor_id: Option<i64>,
    /// Every step happens before this.
    settle_by: Millis,
}

impl World {
    fn station_of(&self, d: &Draft) -> i64 {
        self.areas[d.area].station
    }

    /// Plans the clocks of `kinds` (all when `None`) that start at `start` (the service's
    /// `plan_clocks`, with ids drawn from `next_id`).
    #[allow(clippy::too_many_arguments)]
    fn plan_clocks(
        &self,
        o: &OrderRow,
        region: Option<RegionClass>,
        start: ClockStart,
        kinds: Option<&[ClockKind]>,
        now: Millis,
        next_id: &mut i64,
    ) -> Vec<ClockRow> {
        let Some(st) = self.stations.get(&o.station_id) else {
            return vec![];
        };
        let facts = OrderFacts {
            order_type: o.order_type,
            channel: o.channel,
            service_kind: o.service_kind,
            region,
        };
        plan_for_order(&st.policy, &self.calendar, &facts, start, kinds, now)
            .into_iter()
            .map(|c| {
                let id = *next_id;
                *next_id += 1;
                clock_row(o.id, id, c)
            })
            .collect()
    }

    /// The latest instant a draft's life may need: its last deadline plus the handling
    /// after it (late answer, return visit, a second round after a dissatisfied visit).
    fn life_end(&self, d: &Draft, created: Millis) -> Millis {
        let probe = OrderRow {
            station_id: self.station_of(d),
            order_type: d.t,
            channel: d.channel,
            service_kind: d.kind,
            ..blank_order()
        };
        let mut none = 0;
        let due = self
            .plan_clocks(
                &probe,
                Some(self.areas[d.area].region),
                ClockStart::Accepted,
                None,
                created,
                &mut none,
            )
            .iter()
            .map(|c| c.due_at)
            .max()
            .unwrap_or(created);
        let base = match d.t {
            _ if d.at_intake => HOUR_MS,
            OrderType::Repair => 12 * HOUR_MS,
            OrderType::Consultation | OrderType::Praise => 4 * DAY_MS,
            _ => DAY_MS,
        };
        let mut end = due.max(created + base) + HOUR_MS;
        if d.late {
            end += 3 * DAY_MS;
        }
        if voltdesk_domain::order::needs_return_visit(d.t) {
            end += 3 * DAY_MS;
        }
        if d.first_visit == Satisfaction::Dissatisfied {
            end += 7 * DAY_MS;
        }
        end
    }

    fn department(&self, station: i64, kind: DepartmentKind) -> Option<i64> {
        let st = self.stations.get(&station)?;
        match kind {
            DepartmentKind::Distribution => st.distribution,
            DepartmentKind::Marketing => st.marketing.or(st.distribution),
            DepartmentKind::Service => st.service.or(st.marketing).or(st.distribution),
            DepartmentKind::Dispatch => st.distribution,
        }
    }
}

impl Service {
    /// Writes a county's history over the customers and organisation already imported:
    /// outages, closed work orders with their clocks, escalations, return visits and trace
    /// events. Run it while nothing else writes, before the live orders (their ids follow).
    /// `progress` gets (orders written, orders planned).
    pub async fn seed_county_history(
        &self,
        spec: &CountySpec,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<CountyReport> {
        let world = self.county_world(spec).await?;
        if world.customers.is_empty() {
            return Err(ServiceError::invalid(
                "customers",
                "import customers before generating history",
            ));
        }
        let mut rng = StdRng::seed_from_u64(spec.seed ^ 0xC0_11E7_0000);
        let days = county_days(spec, &world.calendar, &mut rng);
        let mut outages = plan_outages(&world, &days, spec, &mut rng);
        let drafts = plan_orders(&world, &days, &outages, spec, &mut rng);

        let mut ids: Vec<i64> = drafts
            .iter()
            .filter_map(|d| d.customer.map(|c| world.customers[c as usize].0))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let addresses: std::collections::HashMap<i64, String> = self
            .store
            .customer_addresses(&ids)
            .await?
            .into_iter()
            .collect();

        let mut report = CountyReport::default();
        let mut tx = self.store.begin().await?;
        let first_id = self.store.max_id(&mut tx, "work_orders").await? + 1;
        let mut next_clock = self.store.max_id(&mut tx, "clocks").await? + 1;
        let mut next_escalation = self.store.max_id(&mut tx, "escalations").await? + 1;
        let mut next_visit = self.store.max_id(&mut tx, "return_visits").await? + 1;
        let first_outage = self.store.max_id(&mut tx, "outages").await? + 1;
        for (k, o) in outages.iter_mut().enumerate() {
            o.row.id = first_outage + k as i64;
        }
        let rows: Vec<OutageRow> = outages.iter().map(|o| o.row.clone()).collect();
        self.store.insert_outages(&mut tx, &rows).await?;
        self.store.sync_sequence(&mut tx, "outages").await?;
        commit(tx).await?;
        for o in &rows {
            *report.outages.entry(o.kind).or_default() += 1;
        }
        let mut pending: Vec<NewTrace> = outage_traces(&rows);

        let order_ids: Vec<i64> = (0..drafts.len() as i64).map(|k| first_id + k).collect();
        // Closed complaints by (customer, subject), for repeat detection.
        let mut complaints: std::collections::HashMap<(u32, SubjectArea), (i64, Millis)> =
            Default::default();
        let total = drafts.len() as u64;
        let mut batch = Batch::default();
        let mut written = 0u64;
        for (k, d) in drafts.iter().enumerate() {
            let id = order_ids[k];
            let mut play = Play {
                world: &world,
                o: blank_order(),
                state: OrderState::new(d.t),
                clocks: Vec::new(),
                traces: Vec::new(),
                batch: &mut batch,
                next_clock: &mut next_clock,
                next_escalation: &mut next_escalation,
                next_visit: &mut next_visit,
            };
            play.open(d, id, &addresses, &outages, &complaints);
            let steps = play.steps(&mut rng, d, &mut outages, &order_ids);
            play.run(&mut rng, steps)?;
            let Play {
                o, clocks, traces, ..
            } = play;
            if d.t == OrderType::Complaint
                && let (Some(c), Some(s), Some(closed)) = (d.customer, o.subject, o.closed_at)
            {
                complaints.insert((c, s), (o.id, closed));
            }
            count(&mut report, &o);
            batch.clocks.extend(clocks);
            pending.extend(traces);
            batch.orders.push(o);
            if batch.orders.len() >= BATCH || k + 1 == drafts.len() {
                let cutoff = drafts.get(k + 1).map_or(Millis::MAX, |n| n.created);
                let now_due = take_before(&mut pending, cutoff);
                report.trace_events += now_due.len() as u64;
                report.return_visits += batch.visits.len() as u64;
                for v in &batch.visits {
                    *report.by_satisfaction.entry(v.satisfaction).or_default() += 1;
                }
                let done = std::mem::take(&mut batch);
                let mut tx = self.store.begin().await?;
                self.store
                    .insert_history_orders(&mut tx, &done.orders)
                    .await?;
                self.store
                    .insert_history_clocks(&mut tx, &done.clocks)
                    .await?;
                self.store
                    .insert_history_escalations(&mut tx, &done.escalations)
                    .await?;
                self.store
                    .insert_return_visits(&mut tx, &done.visits)
                    .await?;
                self.store.insert_traces(&mut tx, &now_due).await?;
                commit(tx).await?;
                written += done.orders.len() as u64;
                progress(written, total);
            }
        }
        if !pending.is_empty() {
            let rest = take_before(&mut pending, Millis::MAX);
            report.trace_events += rest.len() as u64;
            let mut tx = self.store.begin().await?;
            self.store.insert_traces(&mut tx, &rest).await?;
            commit(tx).await?;
        }
        let mut tx = self.store.begin().await?;
        for table in ["work_orders", "clocks", "escalations", "return_visits"] {
            self.store.sync_sequence(&mut tx, table).await?;
        }
        commit(tx).await?;
        self.store.analyze().await?;
        self.store.checkpoint().await?;
        report.first_at = drafts.first().map(|d| d.created);
        report.last_at = drafts.last().map(|d| d.created);
        Ok(report)
    }

    async fn county_world(&self, spec: &CountySpec) -> Result<World> {
        let (areas_by_id, stations) = {
            let org = self.org.read().expect("org cache lock");
            (org.areas.clone(), org.stations.clone())
        };
        let mut feeder_rows = self.store.feeders(None).await?;
        feeder_rows.sort_by_key(|f| f.id);
        let mut feeders: Vec<FeederInfo> = feeder_rows
            .iter()
            .map(|f| FeederInfo {
                id: f.id,
                station: f.station_id,
                name: f.name.clone(),
                areas: vec![],
                customers: vec![],
            })
            .collect();
        let feeder_index: std::collections::HashMap<i64, usize> =
            feeders.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
        let mut area_rows: Vec<_> = areas_by_id.values().cloned().collect();
        area_rows.sort_by_key(|a| a.id);
        let mut areas = Vec::with_capacity(area_rows.len());
        let mut area_index = std::collections::HashMap::new();
        for a in area_rows {
            let Some(&f) = feeder_index.get(&a.feeder_id) else {
                continue;
            };
            area_index.insert(a.id, areas.len());
            feeders[f].areas.push(areas.len());
            areas.push(AreaInfo {
                id: a.id,
                station: a.station_id,
                grid: a.grid_id,
                feeder: f,
                region: a.region_class,
                village: village_of(&a.name),
                name: a.name,
                customers: vec![],
            });
        }
        let mut customers = Vec::new();
        for (id, area, _) in self.store.customer_areas().await? {
            let Some(&a) = area_index.get(&area) else {
                continue;
            };
            let k = customers.len() as u32;
            areas[a].customers.push(k);
            feeders[areas[a].feeder].customers.push(k);
            customers.push((id, a));
        }
        let departments = self.store.departments(None).await?;
        let dept = |station: i64, kind: DepartmentKind| {
            departments
                .iter()
                .find(|d| d.station_id == station && d.kind == kind)
                .map(|d| d.id)
        };
        let mut station_infos = BTreeMap::new();
        for (id, st) in &stations {
            let policy = self
                .policies
                .get(&st.policy_id)
                .cloned()
                .ok_or(ServiceError::NotFound { what: "policy" })?;
            station_infos.insert(
                *id,
                StationInfo {
                    policy,
                    distribution: dept(*id, DepartmentKind::Distribution),
                    marketing: dept(*id, DepartmentKind::Marketing),
                    service: dept(*id, DepartmentKind::Service),
                },
            );
        }
        let user = |name: &str| {
            let name = name.to_string();
            async move { self.store.user_by_name(&name).await }
        };
        let agent = user(&spec.agent).await?;
        let handler = user(&spec.handler).await?;
        let crew = user(&spec.crew).await?;
        let supervisor = user(&spec.supervisor).await?;
        let actor =
            |u: &Option<voltdesk_store::UserRow>| u.as_ref().map_or_else(Actor::system, actor_of);
        let cast = Cast {
            agent: actor(&agent),
            handler: actor(&handler),
            crew: actor(&crew),
            supervisor: actor(&supervisor),
            crew_name: crew
                .as_ref()
                .map_or_else(|| "抢修班".to_string(), |u| u.display_name.clone()),
        };
        let calendar = self.calendar.read().expect("calendar lock").clone();
        Ok(World {
            customers,
            areas,
            feeders,
            stations: station_infos,
            calendar,
            cast,
            handler_id: handler.as_ref().map(|u| u.id),
            crew_id: crew.as_ref().map(|u| u.id),
            supervisor_id: supervisor.as_ref().map(|u| u.id),
            settle_by: spec.settle_by.max(spec.to),
        })
    }
}

/// Removes and returns the events before `cutoff`, in time order (ties keep their order).
fn take_before(pending: &mut Vec<NewTrace>, cutoff: Millis) -> Vec<NewTrace> {
    pending.sort_by_key(|t| t.at);
    let n = pending.partition_point(|t| t.at < cutoff);
    let rest = pending.split_off(n);
    std::mem::replace(pending, rest)
}

fn count(r: &mut CountyReport, o: &OrderRow) {
    r.orders += 1;
    *r.by_type.entry(o.order_type).or_default() += 1;
    *r.by_channel.entry(o.channel).or_default() += 1;
    *r.by_status.entry(o.status).or_default() += 1;
    if let Some(c) = o.complaint_class {
        *r.complaint_classes.entry(c).or_default() += 1;
    }
    if o.overdue && o.status == OrderStatus::Closed {
        r.overdue += 1;
    }
}

/// The days of the period with their month, working-day flag and summer storms.
fn county_days(spec: &CountySpec, cal: &Calendar, rng: &mut StdRng) -> Vec<Day> {
    let first = local_midnight(spec.from);
    let mut days = Vec::new();
    let mut start = first;
    while start < spec.to {
        let date = chrono::DateTime::from_timestamp_millis(start + 8 * HOUR_MS)
            .map(|d| d.date_naive())
            .unwrap_or_default();
        days.push(Day {
            start,
            month: date.month0() as usize,
            working: cal.is_working_day(date),
            storm: false,
        });
        start += DAY_MS;
    }
    // About ten thunderstorm days a summer (June to September), each with several faults.
    let summer: Vec<usize> = (0..days.len())
        .filter(|&d| (5..=8).contains(&days[d].month))
        .collect();
    let storms = (summer.len() / 12).max(usize::from(!summer.is_empty()));
    for _ in 0..storms {
        let d = summer[rng.random_range(0..summer.len())];
        days[d].storm = true;
    }
    days
}

fn day_weights(days: &[Day], p: Pattern) -> Cumulative {
    Cumulative::new(days.iter().map(|d| {
        let (month, rest, storm) = match p {
            Pattern::Repair => (REPAIR_MONTHS[d.month], 1.05, 2.5),
            Pattern::Business => (BUSINESS_MONTHS[d.month], 0.55, 1.0),
            Pattern::Complaint => (COMPLAINT_MONTHS[d.month], 0.7, 1.3),
            Pattern::Other => (1.0, 0.6, 1.0),
        };
        month * if d.working { 1.0 } else { rest } * if d.storm { storm } else { 1.0 }
    }))
}

/// A time on a day picked by `days`, at an hour picked by `hours`, inside [lo, hi).
fn sample_time(
    rng: &mut StdRng,
    days: &[Day],
    by_day: &Cumulative,
    hours: &Cumulative,
    lo: Millis,
    hi: Millis,
    working_only: bool,
) -> Option<Millis> {
    for _ in 0..40 {
        let d = &days[by_day.pick(rng)];
        if working_only && !d.working {
            continue;
        }
        let t = d.start + hours.pick(rng) as i64 * HOUR_MS + rng.random_range(0..HOUR_MS);
        if t >= lo && t < hi {
            return Some(t);
        }
    }
    None
}

/// The period's outages: planned maintenance per feeder in spring and autumn, temporary
/// maintenance, and faults on feeders and areas with summer storms and winter peaks.
fn plan_outages(world: &World, days: &[Day], spec: &CountySpec, rng: &mut StdRng) -> Vec<Outage> {
    let mut out = Vec::new();
    if days.len() < 30 || world.feeders.is_empty() {
        return out;
    }
    let years = days.len() as f64 / 365.0;
    let lo = days[0].start + 14 * DAY_MS;
    let hi = spec.to - 2 * DAY_MS;
    let count =
        |rng: &mut StdRng, x: f64| x.floor() as usize + usize::from(rng.random_bool(x.fract()));
    let feeder_customers = |f: usize| world.feeders[f].customers.len() as i64;
    let area_customers = |a: usize| world.areas[a].customers.len() as i64;

    // Planned: about two per feeder a year, on working days, announced 7–12 days ahead.
    let planned_days = Cumulative::new(days.iter().map(|d| {
        if d.working {
            PLANNED_MONTHS[d.month]
        } else {
            0.0
        }
    }));
    for f in 0..world.feeders.len() {
        if world.feeders[f].customers.is_empty() {
            continue;
        }
        for _ in 0..count(rng, 2.0 * years) {
            let d = &days[planned_days.pick(rng)];
            let start = d.start + 7 * HOUR_MS + rng.random_range(0..4) * 30 * MINUTE_MS;
            if start < lo || start > hi {
                continue;
            }
            let planned = rng.random_range(8..=20) * 30 * MINUTE_MS;
            let notified = local_midnight(start) - rng.random_range(8..=13) * DAY_MS
                + 9 * HOUR_MS
                + minutes(rng, 0, 120);
            let restored = match rng.random_range(0..100) {
                0..75 => start + planned - minutes(rng, 0, 90),
                75..95 => start + planned + minutes(rng, 0, 10),
                _ => start + planned + minutes(rng, 20, 90),
            };
            out.push(Outage {
                row: OutageRow {
                    id: 0,
                    station_id: world.feeders[f].station,
                    kind: OutageKind::Planned,
                    feeder_id: Some(world.feeders[f].id),
                    area_id: None,
                    cause: PLANNED_CAUSES[rng.random_range(0..PLANNED_CAUSES.len())].into(),
                    started_at: start,
                    expected_restore_at: Some(start + planned),
                    restored_at: Some(restored),
                    repaired_at: Some(restored),
                    notified_at: Some(notified),
                    affected_customers: feeder_customers(f),
                    created_at: notified - minutes(rng, 24 * 60, 5 * 24 * 60),
                },
                areas: world.feeders[f].areas.clone(),
                place: world.feeders[f].name.clone(),
                crew_at: None,
            });
        }
    }

    // Temporary maintenance: about ten a year, announced a day or two ahead.
    let working = Cumulative::new(days.iter().map(|d| if d.working { 1.0 } else { 0.0 }));
    for _ in 0..count(rng, 10.0 * years * world.feeders.len() as f64 / 15.0) {
        let d = &days[working.pick(rng)];
        let start = d.start + 9 * HOUR_MS + rng.random_range(0..10) * 30 * MINUTE_MS;
        if start < lo || start > hi {
            continue;
        }
        let planned = rng.random_range(4..=12) * 30 * MINUTE_MS;
        let notified = start - minutes(rng, 24 * 60, 48 * 60);
        let restored = start + planned - minutes(rng, 0, 40);
        let (feeder_id, area_id, areas, place, affected, station) = if rng.random_bool(0.6) {
            let a = rng.random_range(0..world.areas.len());
            let ar = &world.areas[a];
            (
                None,
                Some(ar.id),
                vec![a],
                ar.name.clone(),
                area_customers(a),
                ar.station,
            )
        } else {
            let f = rng.random_range(0..world.feeders.len());
            let fr = &world.feeders[f];
            (
                Some(fr.id),
                None,
                fr.areas.clone(),
                fr.name.clone(),
                feeder_customers(f),
                fr.station,
            )
        };
        if affected == 0 {
            continue;
        }
        out.push(Outage {
            row: OutageRow {
                id: 0,
                station_id: station,
                kind: OutageKind::Temporary,
                feeder_id,
                area_id,
                cause: TEMPORARY_CAUSES[rng.random_range(0..TEMPORARY_CAUSES.len())].into(),
                started_at: start,
                expected_restore_at: Some(start + planned),
                restored_at: Some(restored),
                repaired_at: Some(restored),
                notified_at: Some(notified),
                affected_customers: affected,
                created_at: notified - minutes(rng, 0, 240),
            },
            areas,
            place,
            crew_at: None,
        });
    }

    // Faults: about one per feeder and one per 13 areas a year; half the summer ones on
    // storm days.
    let fault_days = Cumulative::new(
        days.iter()
            .map(|d| FAULT_MONTHS[d.month] * if d.storm { 8.0 } else { 1.0 }),
    );
    let storm_hours = Cumulative::new(STORM_HOURS);
    let fault_hours = Cumulative::new(FAULT_HOURS);
    let feeder_faults = count(rng, years * world.feeders.len() as f64);
    let area_faults = count(rng, years * world.areas.len() as f64 / 13.0);
    for n in 0..feeder_faults + area_faults {
        let on_feeder = n < feeder_faults;
        let d = &days[fault_days.pick(rng)];
        let hours = if d.storm { &storm_hours } else { &fault_hours };
        let start = d.start + hours.pick(rng) as i64 * HOUR_MS + rng.random_range(0..HOUR_MS);
        if start < lo || start > hi {
            continue;
        }
        let season = match d.month {
            11 | 0 | 1 => 0,
            5..=8 => 1,
            _ => 2,
        };
        let causes: Vec<(&str, u32)> = FAULT_CAUSES
            .iter()
            .map(|(c, w, s, o)| (*c, [*w, *s, *o][season]))
            .collect();
        let mut cause = pick(rng, &causes);
        if d.storm && rng.random_bool(0.6) {
            cause = FAULT_CAUSES[0].0;
        }
        let (feeder_id, area_id, areas, place, affected, station, remote) = if on_feeder {
            let f = rng.random_range(0..world.feeders.len());
            let fr = &world.feeders[f];
            let remote = fr
                .areas
                .iter()
                .any(|&a| world.areas[a].region == RegionClass::Remote);
            (
                Some(fr.id),
                None,
                fr.areas.clone(),
                fr.name.clone(),
                feeder_customers(f),
                fr.station,
                remote,
            )
        } else {
            // Areas with more customers (and older equipment in the hills) fail more.
            let a = rng.random_range(0..world.areas.len());
            let ar = &world.areas[a];
            (
                None,
                Some(ar.id),
                vec![a],
                ar.name.clone(),
                area_customers(a),
                ar.station,
                ar.region == RegionClass::Remote,
            )
        };
        if affected == 0 {
            continue;
        }
        let long = cause.starts_with("台风") || cause.starts_with("覆冰");
        let mut dur = match rng.random_range(0..100) {
            0..70 => minutes(rng, 50, 180),
            70..90 => minutes(rng, 180, 300),
            90..97 => minutes(rng, 300, 480),
            _ => minutes(rng, 480, 660),
        };
        if long {
            dur = minutes(rng, 360, 720);
        }
        if remote {
            dur = dur * 6 / 5;
        }
        // Feeder faults are often restored by switching first and repaired afterwards.
        let (restored, repaired) = if on_feeder && !long && rng.random_bool(0.6) {
            let r = start + minutes(rng, 40, 150);
            (r, r + minutes(rng, 60, 600))
        } else {
            (start + dur, start + dur)
        };
        let estimate = ((restored - start) as f64 * rng.random_range(0.7..1.3)) as i64;
        let estimate = (estimate / (30 * MINUTE_MS)).max(1) * 30 * MINUTE_MS;
        out.push(Outage {
            row: OutageRow {
                id: 0,
                station_id: station,
                kind: OutageKind::Fault,
                feeder_id,
                area_id,
                cause: cause.into(),
                started_at: start,
                expected_restore_at: Some(start + estimate),
                restored_at: Some(restored),
                repaired_at: Some(repaired),
                notified_at: None,
                affected_customers: affected,
                created_at: start + minutes(rng, 3, 15),
            },
            areas,
            place,
            crew_at: None,
        });
    }
    out.sort_by_key(|o| (o.row.started_at, o.row.feeder_id, o.row.area_id));
    out
}

/// `outage.announced` (planned and temporary), `outage.started`, `outage.restored`.
fn outage_traces(rows: &[OutageRow]) -> Vec<NewTrace> {
    let system = Actor::system();
    let mut out = Vec::new();
    let ev = |at: Millis, o: &OutageRow, event: TraceEvent| NewTrace {
        at,
        station_id: Some(o.station_id),
        customer_id: None,
        order_id: None,
        channel: None,
        actor_id: None,
        actor: system.name.clone(),
        event,
    };
    for o in rows {
        if let Some(n) = o.notified_at {
            out.push(ev(
                n,
                o,
                TraceEvent::OutageAnnounced(trace::OutageAnnounced {
                    outage_id: o.id,
                    kind: o.kind,
                    feeder_id: o.feeder_id,
                    area_id: o.area_id,
                    cause: o.cause.clone(),
                    starts_at: o.started_at,
                    expected_restore_at: o.expected_restore_at,
                    affected_customers: o.affected_customers,
                }),
            ));
        }
        out.push(ev(
            o.started_at,
            o,
            TraceEvent::OutageStarted(trace::OutageStarted {
                outage_id: o.id,
                kind: o.kind,
                feeder_id: o.feeder_id,
                area_id: o.area_id,
                cause: o.cause.clone(),
                expected_restore_at: o.expected_restore_at,
                affected_customers: o.affected_customers,
            }),
        ));
        if let Some(r) = o.restored_at {
            out.push(ev(
                r,
                o,
                TraceEvent::OutageRestored(trace::OutageRestored {
                    outage_id: o.id,
                    kind: Some(o.kind),
                    feeder_id: o.feeder_id,
                    area_id: o.area_id,
                    minutes: Some((r - o.started_at) / MINUTE_MS),
                    repaired_at: o.repaired_at,
                    affected_customers: Some(o.affected_customers),
                    ..Default::default()
                }),
            ));
        }
    }
    out
}

/// Satisfaction at the first return visit: about 90 / 7 / 3, worse for complaints and for
/// orders that were late.
fn first_visit(rng: &mut StdRng, t: OrderType, late: bool) -> Satisfaction {
    let (s, b) = match (t, late) {
        (OrderType::Complaint, _) => (72, 15),
        (_, true) => (82, 11),
        _ => (92, 6),
    };
    let x = rng.random_range(0..100);
    if x < s {
        Satisfaction::Satisfied
    } else if x < s + b {
        Satisfaction::BasicallySatisfied
    } else {
        Satisfaction::Dissatisfied
    }
}

/// Probability that an order with deadlines misses one (about 3 % of all closed orders).
fn late_share(t: OrderType) -> f64 {
    match t {
        OrderType::Repair => 0.05,
        OrderType::Complaint | OrderType::Report => 0.08,
        OrderType::ServiceRequest => 0.08,
        OrderType::Opinion | OrderType::Suggestion => 0.05,
        _ => 0.0,
    }
}

/// Picks a customer: a fifth of the contacts come from one customer in twenty.
fn pick_customer(rng: &mut StdRng, n: usize) -> u32 {
    if rng.random_bool(0.2) {
        rng.random_range(0..(n / 20).max(1)) as u32
    } else {
        rng.random_range(0..n) as u32
    }
}

/// Phase one: every order of the period, sorted by creation time.
fn plan_orders(
    world: &World,
    days: &[Day],
    outages: &[Outage],
    spec: &CountySpec,
    rng: &mut StdRng,
) -> Vec<Draft> {
    let n_customers = world.customers.len();
    let years = days.len() as f64 / 365.0;
    let total = (n_customers as f64 * spec.orders_per_customer_year * years)
        .round()
        .max(0.0) as usize;
    let target = |t: OrderType| -> usize {
        let w = TYPE_SHARES
            .iter()
            .find(|(x, _)| *x == t)
            .map_or(0, |(_, w)| *w);
        (total as f64 * f64::from(w) / 1000.0).round() as usize
    };
    let mut drafts: Vec<Draft> = Vec::with_capacity(total + 64);
    let new_draft = |created: Millis,
                     customer: Option<u32>,
                     area: usize,
                     t: OrderType,
                     channel: Channel,
                     text: Text| Draft {
        created,
        customer,
        area,
        t,
        channel,
        kind: None,
        class: None,
        text,
        outage: None,
        at_intake: false,
        late: false,
        cancel: false,
        first_visit: Satisfaction::Satisfied,
    };
    let customer_in = |rng: &mut StdRng, areas: &[usize]| -> Option<(u32, usize)> {
        if areas.is_empty() {
            return None;
        }
        // Customers of the cut-off areas, weighted by area size.
        let sizes = Cumulative::new(areas.iter().map(|&a| world.areas[a].customers.len() as f64));
        let a = areas[sizes.pick(rng)];
        let cs = &world.areas[a].customers;
        (!cs.is_empty()).then(|| (cs[rng.random_range(0..cs.len())], a))
    };

    // Calls during faults: the first caller's order sends the crew, later ones follow it or
    // are merged into it. Bursts take at most 45 % of the year's repairs.
    let repair_target = target(OrderType::Repair);
    let expected: Vec<f64> = outages
        .iter()
        .map(|o| {
            if o.row.kind != OutageKind::Fault {
                return 0.0;
            }
            let share = if o.row.feeder_id.is_some() {
                0.012
            } else {
                0.05
            };
            let night = matches!(local_hour(o.row.started_at), 0..6);
            o.row.affected_customers as f64 * share * if night { 0.4 } else { 1.0 }
        })
        .collect();
    let sum: f64 = expected.iter().sum();
    let scale = if sum > 0.45 * repair_target as f64 {
        0.45 * repair_target as f64 / sum
    } else {
        1.0
    };
    let mut driven: BTreeMap<OrderType, usize> = BTreeMap::new();
    for (k, o) in outages.iter().enumerate() {
        let Some(restored) = o.row.restored_at else {
            continue;
        };
        let start = o.row.started_at;
        match o.row.kind {
            OutageKind::Fault => {
                let x = expected[k] * scale;
                let calls = x.floor() as usize + usize::from(rng.random_bool(x.fract()));
                let mut master: Option<(usize, Millis)> = None;
                for _ in 0..calls {
                    let Some((c, a)) = customer_in(rng, &o.areas) else {
                        continue;
                    };
                    let created = match master {
                        None => start + minutes(rng, 2, 8),
                        Some((_, m)) => {
                            let wait = (-(1.0 - rng.random::<f64>()).ln() * 25.0) as i64;
                            (m + minutes(rng, 1, 3) + wait * MINUTE_MS)
                                .min(restored - 2 * MINUTE_MS)
                        }
                    };
                    if created <= master.map_or(i64::MIN, |(_, m)| m) {
                        continue;
                    }
                    let call = &FAULT_CALLS[rng.random_range(0..FAULT_CALLS.len())];
                    let mut d = new_draft(
                        created,
                        Some(c),
                        a,
                        OrderType::Repair,
                        pick(rng, OUTAGE_CHANNELS),
                        Text::FaultCall(call),
                    );
                    d.outage = Some((
                        k,
                        match master {
                            None => Burst::Master,
                            Some((m, _)) if rng.random_bool(0.35) => Burst::Merged(m),
                            Some(_) => Burst::Follower,
                        },
                    ));
                    if master.is_none() {
                        master = Some((drafts.len(), created));
                    }
                    d.first_visit =
                        first_visit(rng, OrderType::Repair, restored - start > 4 * HOUR_MS);
                    let extra = if d.first_visit == Satisfaction::Dissatisfied {
                        10
                    } else {
                        3
                    };
                    if restored + extra * DAY_MS >= spec.settle_by {
                        continue;
                    }
                    drafts.push(d);
                    *driven.entry(OrderType::Repair).or_default() += 1;
                }
                // Long outages bring complaints afterwards.
                let hours = (restored - start) as f64 / HOUR_MS as f64;
                if hours > 5.0 {
                    let x = o.row.affected_customers as f64 * 0.003 * (hours - 4.0) / 4.0
                        * scale.sqrt();
                    let n = x.floor() as usize + usize::from(rng.random_bool(x.fract().min(1.0)));
                    let tpl = COMPLAINTS
                        .iter()
                        .find(|c| c.2 == "投诉停电时间过长")
                        .unwrap_or(&COMPLAINTS[0]);
                    for _ in 0..n {
                        let Some((c, a)) = customer_in(rng, &o.areas) else {
                            continue;
                        };
                        let created = restored + minutes(rng, 60, 36 * 60);
                        let mut d = new_draft(
                            created,
                            Some(c),
                            a,
                            OrderType::Complaint,
                            pick(rng, channels_for(OrderType::Complaint)),
                            Text::Complaint(tpl),
                        );
                        d.class = Some(tpl.0);
                        d.first_visit = first_visit(rng, OrderType::Complaint, false);
                        if world.life_end(&d, created) >= spec.settle_by {
                            continue;
                        }
                        drafts.push(d);
                        *driven.entry(OrderType::Complaint).or_default() += 1;
                    }
                }
            }
            OutageKind::Planned | OutageKind::Temporary => {
                // Questions about the notice, and calls from those who missed it.
                let before = o.row.affected_customers as f64 * 0.003;
                let during = o.row.affected_customers as f64 * 0.002;
                let notified = o.row.notified_at.unwrap_or(start - DAY_MS);
                for (x, lo, hi, texts) in [
                    (before, notified + HOUR_MS, start, [0usize, 2, 3].as_slice()),
                    (during, start, restored, [1usize].as_slice()),
                ] {
                    let n = x.floor() as usize + usize::from(rng.random_bool(x.fract()));
                    for _ in 0..n {
                        let Some((c, a)) = customer_in(rng, &o.areas) else {
                            continue;
                        };
                        let created = between(rng, lo, hi);
                        let created = office(rng, created).min(hi - MINUTE_MS);
                        let tpl = &OUTAGE_CONSULTATIONS[texts[rng.random_range(0..texts.len())]];
                        let mut d = new_draft(
                            created,
                            Some(c),
                            a,
                            OrderType::Consultation,
                            pick(rng, OUTAGE_CHANNELS),
                            Text::Consultation(tpl),
                        );
                        d.outage = Some((k, Burst::Follower));
                        d.at_intake = rng.random_bool(0.95);
                        if world.life_end(&d, created) >= spec.settle_by {
                            continue;
                        }
                        drafts.push(d);
                        *driven.entry(OrderType::Consultation).or_default() += 1;
                    }
                }
            }
        }
    }

    // The everyday contacts: exactly the remaining share of each type.
    let weights = |p: Pattern| day_weights(days, p);
    let by_pattern = [
        weights(Pattern::Repair),
        weights(Pattern::Business),
        weights(Pattern::Complaint),
        weights(Pattern::Other),
    ];
    let repair_hours = Cumulative::new(REPAIR_HOURS);
    let business_hours = Cumulative::new(BUSINESS_HOURS);
    let office_hours = Cumulative::new(OFFICE_HOURS);
    let kinds: Vec<(ServiceKind, u32)> = SERVICE_KIND_SHARES.to_vec();
    let lo = days.first().map_or(spec.from, |d| d.start.max(spec.from));
    for &(t, _) in TYPE_SHARES {
        let n = target(t).saturating_sub(driven.get(&t).copied().unwrap_or(0));
        let pattern = match t {
            OrderType::Repair => Pattern::Repair,
            OrderType::Consultation | OrderType::ServiceRequest | OrderType::Report => {
                Pattern::Business
            }
            OrderType::Complaint => Pattern::Complaint,
            _ => Pattern::Other,
        };
        for _ in 0..n {
            let c = pick_customer(rng, n_customers);
            let area = world.customers[c as usize].1;
            let anonymous = t == OrderType::Consultation && rng.random_bool(0.05);
            let channel = pick(rng, channels_for(t));
            let mut d = new_draft(
                0,
                (!anonymous).then_some(c),
                area,
                t,
                channel,
                Text::Consultation(&CONSULTATIONS[0]),
            );
            match t {
                OrderType::Consultation => {
                    d.text = Text::Consultation(
                        &CONSULTATIONS[rng.random_range(0..CONSULTATIONS.len())],
                    );
                    d.at_intake = rng.random_bool(0.88);
                }
                OrderType::Repair => {
                    d.text = Text::Repair(&REPAIRS[rng.random_range(0..REPAIRS.len())]);
                    d.cancel = rng.random_bool(0.025);
                }
                OrderType::ServiceRequest => {
                    let kind = pick(rng, &kinds);
                    let options: Vec<&'static Request> =
                        SERVICE_REQUESTS.iter().filter(|r| r.0 == kind).collect();
                    d.kind = Some(kind);
                    d.text = Text::Request(options[rng.random_range(0..options.len())]);
                    d.cancel = rng.random_bool(0.02);
                }
                OrderType::Complaint => {
                    let class = pick(rng, COMPLAINT_CLASS_SHARES);
                    let options: Vec<&'static Complaint> = COMPLAINTS
                        .iter()
                        .filter(|c| {
                            c.0 == class && (c.1 != SubjectArea::Integrity || rng.random_bool(0.15))
                        })
                        .collect();
                    let options = if options.is_empty() {
                        COMPLAINTS.iter().filter(|c| c.0 == class).collect()
                    } else {
                        options
                    };
                    d.class = Some(class);
                    d.text = Text::Complaint(options[rng.random_range(0..options.len())]);
                }
                OrderType::Report => {
                    d.text = Text::Other(&REPORTS[rng.random_range(0..REPORTS.len())]);
                }
                _ => {
                    let options: Vec<&'static Other> = OTHERS.iter().filter(|o| o.0 == t).collect();
                    d.text = Text::Other(options[rng.random_range(0..options.len())]);
                    d.at_intake = t == OrderType::Praise && rng.random_bool(0.6);
                }
            }
            d.late = !d.cancel && rng.random_bool(late_share(t));
            d.first_visit = first_visit(rng, t, d.late);
            let office_only = matches!(channel, Channel::Counter | Channel::GridStaff);
            let hours = if office_only {
                &office_hours
            } else if t == OrderType::Repair {
                &repair_hours
            } else {
                &business_hours
            };
            let by_day = &by_pattern[pattern as usize];
            // Resample until the whole life of the order fits before the end.
            let mut created = None;
            for _ in 0..20 {
                let Some(at) = sample_time(rng, days, by_day, hours, lo, spec.to, office_only)
                else {
                    continue;
                };
                if world.life_end(&d, at) < spec.settle_by {
                    created = Some(at);
                    break;
                }
            }
            let Some(created) = created else {
                continue;
            };
            d.created = created;
            drafts.push(d);
        }
    }

    // Sort by time; merges point at their master's new position.
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by_key(|&i| (drafts[i].created, i));
    let mut position = vec![0; drafts.len()];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos;
    }
    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&i| {
            let mut d = slots[i].take().expect("each draft once");
            if let Some((k, Burst::Merged(m))) = d.outage {
                d.outage = Some((k, Burst::Merged(position[m])));
            }
            d
        })
        .collect()
}

/// Phase two for one order: its row, clocks and trace as its steps happen.
struct Play<'a> {
    world: &'a World,
    o: OrderRow,
    state: OrderState,
    clocks: Vec<ClockRow>,
    traces: Vec<NewTrace>,
    batch: &'a mut Batch,
    next_clock: &'a mut i64,
    next_escalation: &'a mut i64,
    next_visit: &'a mut i64,
}

fn fill(s: &str, vars: &[(&str, &str)]) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        if out.contains(k) {
            out = out.replace(k, v);
        }
    }
    out
}

impl Play<'_> {
    fn region(&self) -> Option<RegionClass> {
        self.o
            .area_id
            .and(Some(self.world.areas[self.area_index()].region))
    }

    fn area_index(&self) -> usize {
        self.world
            .areas
            .binary_search_by_key(&self.o.area_id.unwrap_or(-1), |a| a.id)
            .unwrap_or(0)
    }

    /// The order as taken: its row, its clocks, the `order.accepted` event.
    fn open(
        &mut self,
        d: &Draft,
        id: i64,
        addresses: &std::collections::HashMap<i64, String>,
        outages: &[Outage],
        complaints: &std::collections::HashMap<(u32, SubjectArea), (i64, Millis)>,
    ) {
        let w = self.world;
        let area = &w.areas[d.area];
        let customer_id = d.customer.map(|c| w.customers[c as usize].0);
        let address = customer_id
            .and_then(|c| addresses.get(&c).cloned())
            .unwrap_or_else(|| area.village.clone());
        let outage = d.outage.map(|(k, _)| &outages[k]);
        let (line, cause, restored) = match outage {
            Some(o) => (
                o.place.clone(),
                cause_detail(&o.row.cause).to_string(),
                o.row.restored_at.map(local_time_text).unwrap_or_default(),
            ),
            None => (
                w.feeders[area.feeder].name.clone(),
                String::new(),
                String::new(),
            ),
        };
        let vars = [
            ("{村}", area.village.as_str()),
            ("{址}", address.as_str()),
            ("{台区}", area.name.as_str()),
            ("{线路}", line.as_str()),
            ("{原因}", cause.as_str()),
            ("{时}", restored.as_str()),
            ("{人}", w.cast.crew_name.as_str()),
        ];
        let (subject, title, text) = match d.text {
            Text::Consultation(c) => (c.0, c.1, c.2),
            Text::Repair(r) => (r.0, r.1, r.2),
            Text::FaultCall(f) => (f.0, f.1, f.2),
            Text::Request(r) => (r.1, r.2, r.3),
            Text::Complaint(c) => (c.1, c.2, c.3),
            Text::Other(o) => (o.1, o.2, o.3),
        };
        let station = area.station;
        let (policy_id, policy_version) = w
            .stations
            .get(&station)
            .map(|s| (s.policy.id.clone(), s.policy.version.clone()))
            .unwrap_or_default();
        self.o = OrderRow {
            id,
            station_id: station,
            area_id: customer_id.map(|_| area.id),
            grid_id: customer_id.map(|_| area.grid),
            customer_id,
            order_type: d.t,
            service_kind: d.kind,
            channel: d.channel,
            subject: Some(subject),
            complaint_class: d.class,
            severity: if subject == SubjectArea::Integrity {
                Severity::Serious
            } else {
                Severity::General
            },
            title: fill(title, &vars),
            description: fill(text, &vars),
            policy_id,
            policy_version,
            created_by: w.cast.agent.user_id,
            created_at: d.created,
            updated_at: d.created,
            ..blank_order()
        };
        if d.t == OrderType::Complaint
            && let Some(c) = d.customer
            && let Some((prev, closed)) = complaints.get(&(c, subject))
            && *closed < d.created
        {
            self.o.repeat_of = Some(*prev);
        }
        let region = self.region();
        self.clocks = w.plan_clocks(
            &self.o,
            region,
            ClockStart::Accepted,
            None,
            d.created,
            self.next_clock,
        );
        self.o.next_due_at = self.clocks.iter().map(|c| c.due_at).min();
        let o = &self.o;
        let accepted = TraceEvent::OrderAccepted(accepted(o, &self.clocks));
        let t = trace(o, &w.cast.agent, d.created, accepted);
        self.traces.push(t);
        if let Some(prev) = o.repeat_of {
            let t = trace(
                o,
                &w.cast.agent,
                d.created,
                TraceEvent::OrderRepeatDetected(trace::RepeatDetected { repeat_of: prev }),
            );
            self.traces.push(t);
        }
    }

    fn clock_due(&self, kind: ClockKind) -> Option<Millis> {
        self.clocks
            .iter()
            .find(|c| c.kind == kind && c.state == ClockState::Running)
            .map(|c| c.due_at)
    }

    /// The earliest deadline a final reply must meet for the order to be on time.
    fn reply_by(&self) -> Option<Millis> {
        [ClockKind::Answer, ClockKind::Restore, ClockKind::Arrive]
            .iter()
            .filter_map(|k| self.clock_due(*k))
            .min()
    }

    /// Phase two's plan: the steps of this order's life, in time order.
    fn steps(
        &mut self,
        rng: &mut StdRng,
        d: &Draft,
        outages: &mut [Outage],
        ids: &[i64],
    ) -> Vec<Step> {
        let w = self.world;
        let station = self.o.station_id;
        let created = d.created;
        let mut steps: Vec<Step> = Vec::new();
        let mut at: Millis;
        let push = |steps: &mut Vec<Step>, t: Millis, who: Who, cmd: Command| -> Millis {
            let last = steps.last().map_or(created, |s| s.at);
            let t = t
                .max(last + MINUTE_MS)
                .min(w.settle_by - MINUTE_MS)
                .max(last);
            steps.push(Step { at: t, who, cmd });
            t
        };
        let handler = w.handler_id;
        let crew = w.crew_id;
        let dispatch = |dept: DepartmentKind, assignee: Option<i64>| Command::Dispatch {
            department_id: w.department(station, dept).unwrap_or_default(),
            assignee_id: assignee,
        };
        let close_due = self.clock_due(ClockKind::Close);
        let contact_note = CONTACT_NOTES[rng.random_range(0..CONTACT_NOTES.len())];

        // Merged duplicates and cancellations end early.
        if let Some((_, Burst::Merged(m))) = d.outage {
            push(
                &mut steps,
                created + minutes(rng, 2, 12),
                Who::Agent,
                Command::Merge { into: ids[m] },
            );
            return steps;
        }

        let reply_text: String;
        let mut verdict = None;
        let mut root_cause = None;
        match d.t {
            OrderType::Consultation
            | OrderType::Praise
            | OrderType::Opinion
            | OrderType::Suggestion => {
                let text = match d.text {
                    Text::Consultation(c) => c.3,
                    Text::Other(o) => o.4,
                    _ => "已答复客户。",
                };
                let at_intake = d.at_intake;
                let text = self.fill_reply(text, d, outages);
                if at_intake && self.clocks.is_empty() {
                    at = push(
                        &mut steps,
                        created + minutes(rng, 2, 12),
                        Who::Agent,
                        Command::Reply {
                            text,
                            verdict: None,
                            root_cause: None,
                        },
                    );
                } else {
                    let dept = if d.t == OrderType::Consultation {
                        DepartmentKind::Marketing
                    } else {
                        DepartmentKind::Service
                    };
                    at = push(
                        &mut steps,
                        created + minutes(rng, 3, 30),
                        Who::Agent,
                        dispatch(dept, handler),
                    );
                    if let Some(h) = handler {
                        at = push(
                            &mut steps,
                            office_after(rng, at, 10, 120),
                            Who::Handler,
                            Command::Acknowledge { assignee_id: h },
                        );
                    }
                    let natural = office_after(rng, at, 120, 3 * 24 * 60);
                    let t = match close_due {
                        Some(due) if d.late => due + minutes(rng, 120, 36 * 60),
                        Some(due) if natural > due - 2 * HOUR_MS => {
                            between(rng, at + HOUR_MS, due - 2 * HOUR_MS)
                        }
                        _ => natural,
                    };
                    at = push(
                        &mut steps,
                        t,
                        Who::Handler,
                        Command::Reply {
                            text,
                            verdict: None,
                            root_cause: None,
                        },
                    );
                }
                push(
                    &mut steps,
                    at + minutes(rng, 1, 30),
                    Who::Agent,
                    Command::Close,
                );
                return steps;
            }
            OrderType::Repair => {
                at = push(
                    &mut steps,
                    created + minutes(rng, 1, 6),
                    Who::Agent,
                    dispatch(DepartmentKind::Distribution, crew),
                );
                if let Some(c) = crew {
                    at = push(
                        &mut steps,
                        at + minutes(rng, 1, 8),
                        Who::Crew,
                        Command::Acknowledge { assignee_id: c },
                    );
                }
                if d.cancel {
                    let reason = CANCEL_REASONS[rng.random_range(0..CANCEL_REASONS.len())];
                    push(
                        &mut steps,
                        at + minutes(rng, 5, 30),
                        Who::Agent,
                        Command::Cancel {
                            reason: reason.into(),
                        },
                    );
                    return steps;
                }
                if crew.is_none() {
                    // Nobody to send: the agent explains on the phone and cancels.
                    push(
                        &mut steps,
                        at + minutes(rng, 5, 30),
                        Who::Agent,
                        Command::Cancel {
                            reason: "无抢修人员，已电话指导客户。".into(),
                        },
                    );
                    return steps;
                }
                let arrive_due = self
                    .clock_due(ClockKind::Arrive)
                    .unwrap_or(created + 90 * MINUTE_MS);
                let limit = arrive_due - created;
                let late_arrival = d.late && rng.random_bool(0.6);
                let own = if late_arrival {
                    arrive_due + minutes(rng, 5, 45)
                } else {
                    created + (limit as f64 * rng.random_range(0.3..0.92)) as i64
                };
                let arrival = match d.outage {
                    Some((k, Burst::Master)) => {
                        outages[k].crew_at = Some(own);
                        own
                    }
                    Some((k, _)) => outages[k]
                        .crew_at
                        .unwrap_or(own)
                        .max(at + minutes(rng, 1, 3)),
                    None => own,
                };
                if rng.random_bool(0.03) && arrival - created > 20 * MINUTE_MS {
                    let note = URGE_NOTES[rng.random_range(0..URGE_NOTES.len())];
                    push(
                        &mut steps,
                        created + (arrival - created) * 2 / 3,
                        Who::Agent,
                        Command::Urge { note: note.into() },
                    );
                }
                at = push(&mut steps, arrival, Who::Crew, Command::Arrive);
                reply_text = match d.text {
                    Text::Repair(r) => r.3.to_string(),
                    _ => self.fill_reply(FAULT_REPLY, d, outages),
                };
                let region = self.region();
                let restore_limit = self
                    .world
                    .plan_clocks(
                        &self.o,
                        region,
                        ClockStart::Arrived,
                        Some(&[ClockKind::Restore]),
                        at,
                        &mut 0,
                    )
                    .first()
                    .map_or(3 * HOUR_MS, |c| c.due_at - at);
                let reply = match d.outage {
                    Some((k, _)) => outages[k].row.restored_at.unwrap_or(at) + minutes(rng, 1, 15),
                    _ if d.late && !late_arrival => at + restore_limit + minutes(rng, 10, 90),
                    _ => {
                        let work =
                            (15.0 - (1.0 - rng.random::<f64>()).ln() * 50.0) as i64 * MINUTE_MS;
                        at + work.min(restore_limit * 9 / 10)
                    }
                };
                at = push(
                    &mut steps,
                    reply.max(at + 5 * MINUTE_MS),
                    Who::Crew,
                    Command::Reply {
                        text: reply_text,
                        verdict: None,
                        root_cause: None,
                    },
                );
            }
            OrderType::ServiceRequest | OrderType::Report | OrderType::Complaint => {
                let dept = match (d.t, d.kind, d.class) {
                    (OrderType::ServiceRequest, Some(ServiceKind::ApplianceDamage), _) => {
                        DepartmentKind::Distribution
                    }
                    (OrderType::Complaint, _, Some(ComplaintClass::Service)) => {
                        DepartmentKind::Service
                    }
                    (OrderType::Complaint, _, Some(ComplaintClass::Business)) => {
                        DepartmentKind::Marketing
                    }
                    (OrderType::Complaint, _, _) => DepartmentKind::Distribution,
                    _ => DepartmentKind::Marketing,
                };
                at = push(
                    &mut steps,
                    created + minutes(rng, 5, 40),
                    Who::Agent,
                    dispatch(dept, handler),
                );
                let Some(h) = handler else {
                    // Nobody to hand it to: the agent cancels after explaining.
                    push(
                        &mut steps,
                        at + minutes(rng, 5, 60),
                        Who::Agent,
                        Command::Cancel {
                            reason: "无处理人，已电话答复客户。".into(),
                        },
                    );
                    return steps;
                };
                at = push(
                    &mut steps,
                    at + minutes(rng, 10, 90),
                    Who::Handler,
                    Command::Acknowledge { assignee_id: h },
                );
                if d.cancel {
                    push(
                        &mut steps,
                        office_after(rng, at, 60, 24 * 60),
                        Who::Handler,
                        Command::Cancel {
                            reason: "客户表示暂不办理，撤销申请。".into(),
                        },
                    );
                    return steps;
                }
                let contact_due = self.clock_due(ClockKind::Contact);
                if contact_due.is_some() || rng.random_bool(0.6) {
                    let t = at + minutes(rng, 20, 10 * 60);
                    at = push(
                        &mut steps,
                        t,
                        Who::Handler,
                        Command::Contact {
                            note: contact_note.into(),
                        },
                    );
                }
                if d.t != OrderType::ServiceRequest && rng.random_bool(0.08) {
                    let note = URGE_NOTES[rng.random_range(0..URGE_NOTES.len())];
                    at = push(
                        &mut steps,
                        at + minutes(rng, 60, 24 * 60),
                        Who::Agent,
                        Command::Urge { note: note.into() },
                    );
                }
                // The reply: before the answer (or arrive/restore) deadline, leaving room for the
                // return visit before a close deadline; or late.
                let by = self.reply_by();
                let natural = match d.kind {
                    Some(ServiceKind::Reconnect) => at + minutes(rng, 20, 8 * 60),
                    Some(ServiceKind::ApplianceDamage) => office_after(rng, at, 2 * 60, 20 * 60),
                    _ => office_after(rng, at, 4 * 60, 4 * 24 * 60),
                };
                let limit = by
                    .into_iter()
                    .chain(close_due.map(|c| c - 30 * HOUR_MS))
                    .min();
                let t = match (by.or(close_due), limit) {
                    (Some(due), _) if d.late => due + minutes(rng, 60, 40 * 60),
                    (_, Some(limit)) if natural > limit - HOUR_MS => {
                        between(rng, at + 30 * MINUTE_MS, limit - HOUR_MS)
                    }
                    _ => natural,
                };
                let (text, v, r) = self.reply_of(rng, d);
                verdict = v;
                root_cause = r;
                reply_text = text;
                at = push(
                    &mut steps,
                    t,
                    Who::Handler,
                    Command::Reply {
                        text: reply_text.clone(),
                        verdict,
                        root_cause,
                    },
                );
            }
        }

        // The return visit closes the order, or reopens it for a second round.
        let mut visit = visit_after(rng, at);
        if let Some(due) = close_due
            && !d.late
            && visit > due - HOUR_MS
        {
            visit = between(rng, at + HOUR_MS, due - HOUR_MS).max(at + 30 * MINUTE_MS);
        }
        let comment = |rng: &mut StdRng, s: Satisfaction| -> String {
            let list = match s {
                Satisfaction::Satisfied if d.t == OrderType::Repair => SATISFIED_REPAIR,
                Satisfaction::Satisfied => SATISFIED,
                Satisfaction::BasicallySatisfied => BASICALLY_SATISFIED,
                Satisfaction::Dissatisfied => DISSATISFIED,
            };
            list[rng.random_range(0..list.len())].to_string()
        };
        let first = d.first_visit;
        let c = comment(rng, first);
        at = push(
            &mut steps,
            visit,
            Who::Supervisor,
            Command::ReturnVisit {
                satisfaction: first,
                comment: c,
            },
        );
        if first == Satisfaction::Dissatisfied {
            if d.t == OrderType::Repair {
                if let Some(c) = crew {
                    at = push(
                        &mut steps,
                        at + minutes(rng, 20, 180),
                        Who::Crew,
                        Command::Acknowledge { assignee_id: c },
                    );
                    at = push(
                        &mut steps,
                        at + minutes(rng, 30, 240),
                        Who::Crew,
                        Command::Arrive,
                    );
                }
            } else if let Some(h) = handler {
                at = push(
                    &mut steps,
                    at + minutes(rng, 20, 180),
                    Who::Handler,
                    Command::Acknowledge { assignee_id: h },
                );
                at = push(
                    &mut steps,
                    at + minutes(rng, 30, 240),
                    Who::Handler,
                    Command::Contact {
                        note: RECONTACT_NOTE.into(),
                    },
                );
            }
            let second = SECOND_REPLIES[rng.random_range(0..SECOND_REPLIES.len())];
            at = push(
                &mut steps,
                office_after(rng, at, 180, 2 * 24 * 60),
                if d.t == OrderType::Repair {
                    Who::Crew
                } else {
                    Who::Handler
                },
                Command::Reply {
                    text: second.into(),
                    verdict,
                    root_cause,
                },
            );
            let again = if rng.random_bool(0.45) {
                Satisfaction::BasicallySatisfied
            } else {
                Satisfaction::Satisfied
            };
            let c = comment(rng, again);
            push(
                &mut steps,
                visit_after(rng, at),
                Who::Supervisor,
                Command::ReturnVisit {
                    satisfaction: again,
                    comment: c,
                },
            );
        }
        steps
    }

    fn fill_reply(&self, text: &str, d: &Draft, outages: &[Outage]) -> String {
        let w = self.world;
        let area = &w.areas[d.area];
        let (line, cause, restored) = match d.outage.map(|(k, _)| &outages[k]) {
            Some(o) => (
                o.place.clone(),
                cause_detail(&o.row.cause).to_string(),
                o.row.restored_at.map(local_time_text).unwrap_or_default(),
            ),
            None => (
                w.feeders[area.feeder].name.clone(),
                String::new(),
                String::new(),
            ),
        };
        fill(
            text,
            &[
                ("{村}", area.village.as_str()),
                ("{台区}", area.name.as_str()),
                ("{线路}", line.as_str()),
                ("{原因}", cause.as_str()),
                ("{时}", restored.as_str()),
                ("{人}", w.cast.crew_name.as_str()),
            ],
        )
    }

    /// The final reply of a dispatched order: text, and for complaints verdict and cause.
    fn reply_of(
        &self,
        rng: &mut StdRng,
        d: &Draft,
    ) -> (String, Option<Verdict>, Option<RootCause>) {
        let area = &self.world.areas[d.area];
        let vars = [
            ("{村}", area.village.as_str()),
            ("{台区}", area.name.as_str()),
        ];
        match d.text {
            Text::Complaint(c) => {
                let odds = if c.1 == SubjectArea::Integrity {
                    0.2
                } else {
                    0.4
                };
                let substantiated = rng.random_bool(odds);
                let cause = if substantiated {
                    match c.0 {
                        ComplaintClass::Service => RootCause::ServiceQuality,
                        ComplaintClass::Business => {
                            if rng.random_bool(0.7) {
                                RootCause::ServiceQuality
                            } else {
                                RootCause::CompanyPolicy
                            }
                        }
                        ComplaintClass::Outage | ComplaintClass::SupplyQuality => {
                            RootCause::SupplyQuality
                        }
                        ComplaintClass::GridConstruction => RootCause::EnterpriseSide,
                    }
                } else if c.0 == ComplaintClass::Outage && rng.random_bool(0.5) {
                    RootCause::Chance
                } else {
                    RootCause::CustomerSide
                };
                let text = if substantiated { c.4 } else { c.5 };
                (
                    fill(text, &vars),
                    Some(if substantiated {
                        Verdict::Substantiated
                    } else {
                        Verdict::Unsubstantiated
                    }),
                    Some(cause),
                )
            }
            Text::Request(r) => (fill(r.4, &vars), None, None),
            Text::Other(o) => (fill(o.4, &vars), None, None),
            _ => ("已处理完毕。".into(), None, None),
        }
    }

    /// Fires the clocks' warnings and breaches that fall before `at`, as the scheduler does.
    fn fire_until(&mut self, rng: &mut StdRng, at: Millis) {
        let w = self.world;
        let system = Actor::system();
        let mut fired = Vec::new();
        for c in self.clocks.iter_mut() {
            if c.state != ClockState::Running {
                continue;
            }
            if c.warned_at.is_none() && c.warn_at <= at && c.warn_at < c.due_at {
                c.warned_at = Some(c.warn_at);
                fired.push((
                    c.warn_at,
                    TraceEvent::ClockWarned(trace::ClockWarned {
                        clock_id: c.id,
                        kind: c.kind,
                        warn_at: c.warn_at,
                        due_at: c.due_at,
                    }),
                    None,
                ));
            }
            if c.breached_at.is_none() && c.due_at <= at {
                c.breached_at = Some(c.due_at);
                c.warned_at.get_or_insert(c.due_at);
                fired.push((
                    c.due_at,
                    TraceEvent::ClockBreached(trace::ClockBreached {
                        clock_id: c.id,
                        kind: c.kind,
                        due_at: c.due_at,
                        limit: None,
                    }),
                    Some((
                        c.id,
                        format!("{}时限已超期（{}）", c.kind.zh(), c.limit_text),
                    )),
                ));
            }
            c.next_fire_at = if c.breached_at.is_some() {
                None
            } else if c.warned_at.is_some() {
                Some(c.due_at)
            } else {
                Some(c.warn_at)
            };
        }
        for (t, event, breach) in fired {
            self.traces.push(trace(&self.o, &system, t, event));
            if let Some((clock_id, reason)) = breach {
                let id = *self.next_escalation;
                *self.next_escalation += 1;
                let ack = (t + minutes(rng, 20, 240)).min(w.settle_by - MINUTE_MS);
                self.traces.push(trace(
                    &self.o,
                    &system,
                    t,
                    TraceEvent::OrderEscalated(trace::Escalated {
                        warning_id: None,
                        escalation_id: Some(id),
                        to_role: Role::Supervisor,
                        reason: reason.clone(),
                        words: None,
                    }),
                ));
                self.batch.escalations.push(EscalationRow {
                    id,
                    order_id: self.o.id,
                    clock_id: Some(clock_id),
                    reason,
                    to_role: Role::Supervisor.code().to_string(),
                    created_at: t,
                    acknowledged_by: w.supervisor_id,
                    acknowledged_at: w.supervisor_id.map(|_| ack.max(t)),
                });
                self.o.overdue = true;
                self.o.escalated = true;
            }
        }
    }

    /// Plays the steps through the state machine.
    fn run(&mut self, rng: &mut StdRng, steps: Vec<Step>) -> Result<()> {
        for s in steps {
            self.fire_until(rng, s.at);
            let by = self.world.cast.actor(s.who).clone();
            let events = execute(&mut self.state, self.o.id, &s.cmd)?;
            for ev in &events {
                match ev {
                    OrderEvent::Replied { text, .. } => self.o.reply_text = Some(text.clone()),
                    OrderEvent::ReturnVisited {
                        satisfaction,
                        comment,
                    } => {
                        let id = *self.next_visit;
                        *self.next_visit += 1;
                        self.batch.visits.push(ReturnVisitRow {
                            id,
                            order_id: self.o.id,
                            satisfaction: *satisfaction,
                            comment: comment.clone(),
                            actor_id: by.user_id,
                            at: s.at,
                        });
                    }
                    OrderEvent::Closed => self.o.closed_at = Some(s.at),
                    OrderEvent::Reopened { .. } => self.o.closed_at = None,
                    _ => {}
                }
                let t = trace(&self.o, &by, s.at, TraceEvent::Order(ev.clone()));
                self.traces.push(t);
                self.clock_effect(ev, &by, s.at);
            }
            copy_state(&self.state, &mut self.o);
            self.o.updated_at = s.at;
        }
        Ok(())
    }

    /// What an event does to the clocks (the service's `apply_clock_effect`).
    fn clock_effect(&mut self, ev: &OrderEvent, by: &Actor, now: Millis) {
        if !ev.touches_clocks() {
            return;
        }
        let live: Vec<_> = self.clocks.iter().map(clock_of_order).collect();
        let changes = clock_changes(ev, &live);
        for (i, how) in changes.end {
            let c = &mut self.clocks[i];
            let end_state = end_state(how);
            c.state = end_state;
            c.stopped_at = Some(now);
            c.next_fire_at = None;
            let t = trace(&self.o, by, now, clock_ended(c, now));
            self.traces.push(t);
        }
        if let Some((start, kinds)) = changes.start {
            let region = self.region();
            let fresh = self.world.plan_clocks(
                &self.o,
                region,
                start,
                kinds.as_deref(),
                now,
                self.next_clock,
            );
            for c in fresh {
                let t = trace(&self.o, by, now, clock_started(&c));
                self.traces.push(t);
                self.clocks.push(c);
            }
        }
        self.o.next_due_at = self
            .clocks
            .iter()
            .filter(|c| matches!(c.state, ClockState::Running | ClockState::Paused))
            .map(|c| c.due_at)
            .min();
    }
}
