//! Generated history written in bulk with explicit ids, deterministic for a seed, while
//! nothing else writes (the demo and benchmark seeders call it before serving):
//! `seed_history` spreads uniform orders, clocks and trace events over the customers for
//! benchmarks; `seed_county_history` (`county.rs`, texts in `texts.rs`) writes a county's
//! realistic year of outages, orders, return visits and traces for the demo.

mod county;
mod texts;

pub use county::*;

use crate::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use voltdesk_domain::order::OrderEvent;
use voltdesk_domain::trace::TraceEvent;
use voltdesk_domain::*;
use voltdesk_store::{ClockRow, ClockState, NewTrace, OrderRow};

#[derive(Debug, Clone)]
pub struct HistorySpec {
    pub orders: u64,
    /// Trace events per order (at least 1: the acceptance).
    pub traces_per_order: u32,
    /// Share of orders still open, each with one running clock.
    pub open_share: f64,
    /// Orders are accepted in [from, to), evenly in id order (as intake numbers them).
    pub from: Millis,
    pub to: Millis,
    /// Open clocks fall due uniformly in [due_from, due_from + due_spread).
    pub due_from: Millis,
    pub due_spread: i64,
    pub seed: u64,
}

const TYPES: &[(OrderType, u32)] = &[
    (OrderType::Consultation, 55),
    (OrderType::Repair, 24),
    (OrderType::ServiceRequest, 10),
    (OrderType::Opinion, 3),
    (OrderType::Suggestion, 2),
    (OrderType::Praise, 2),
    (OrderType::Complaint, 3),
    (OrderType::Report, 1),
];
const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Hotline95598, 50),
    (Channel::App, 25),
    (Channel::Wechat, 8),
    (Channel::Counter, 8),
    (Channel::GridStaff, 4),
    (Channel::Gov12345, 3),
    (Channel::Regulator12398, 1),
    (Channel::Web, 1),
];

fn pick<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in table {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    table[0].0
}

/// Villages of the benchmark's texts (the customers' own addresses are not read).
const BENCH_VILLAGES: &[&str] = &[
    "樟树村",
    "石门村",
    "上塘村",
    "下沙村",
    "柳林村",
    "东溪村",
    "溪口村",
    "何家村",
    "竹园村",
    "新桥村",
    "荷花村",
    "南岙村",
    "大坞村",
    "春晖社区",
    "学府社区",
    "江滨社区",
    "迎春社区",
];

/// A title and text for a generated order of type `t`: the demo county's phrasings, with
/// an address and the last four digits of a contact number, so that a phrase search meets
/// common words, village names and rare numbers as it would in a real year.
fn bench_text(t: OrderType, rng: &mut StdRng) -> (String, String, SubjectArea) {
    use texts::*;
    let (subject, title, text) = match t {
        OrderType::Consultation => {
            let c = CONSULTATIONS[rng.random_range(0..CONSULTATIONS.len())];
            (c.0, c.1, c.2)
        }
        OrderType::Repair => {
            let c = REPAIRS[rng.random_range(0..REPAIRS.len())];
            (c.0, c.1, c.2)
        }
        OrderType::ServiceRequest => {
            let c = SERVICE_REQUESTS[rng.random_range(0..SERVICE_REQUESTS.len())];
            (c.1, c.2, c.3)
        }
        OrderType::Complaint => {
            let c = COMPLAINTS[rng.random_range(0..COMPLAINTS.len())];
            (c.1, c.2, c.3)
        }
        _ => {
            let c = OTHERS[rng.random_range(0..OTHERS.len())];
            (c.1, c.2, c.3)
        }
    };
    let village = BENCH_VILLAGES[rng.random_range(0..BENCH_VILLAGES.len())];
    let address = format!(
        "{village}{}组{}号",
        rng.random_range(1..13),
        rng.random_range(1..90)
    );
    let tail = rng.random_range(0..10_000);
    let area = format!("{village}{}号台区", rng.random_range(1..4));
    let fill = |s: &str| {
        s.replace("{址}", &address)
            .replace("{村}", village)
            .replace("{台区}", &area)
            .replace("{线路}", "10kV城南线")
            .replace("{原因}", "线路故障")
            .replace("{时}", "18:30")
            .replace("{人}", "抢修人员")
    };
    let text = format!("{}（联系电话尾号{:04}）", fill(text), tail);
    (fill(title), text, subject)
}

impl Service {
    /// Writes `spec.orders` orders over the existing customers. `progress` gets orders written.
    pub async fn seed_history(
        &self,
        spec: &HistorySpec,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<()> {
        let customers = self.store.customer_areas().await?;
        if customers.is_empty() {
            return Err(ServiceError::invalid(
                "customers",
                "import customers before generating history",
            ));
        }
        let grids: HashMap<i64, i64> = self
            .org
            .read()
            .expect("org cache lock")
            .areas
            .values()
            .map(|a| (a.id, a.grid_id))
            .collect();
        let policy = {
            let org = self.org.read().expect("org cache lock");
            let st = org
                .stations
                .values()
                .next()
                .ok_or(ServiceError::NotFound { what: "station" })?;
            self.policies
                .get(&st.policy_id)
                .cloned()
                .ok_or(ServiceError::NotFound { what: "policy" })?
        };
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let mut tx = self.store.begin().await?;
        let mut next_id = self.store.max_id(&mut tx, "work_orders").await? + 1;
        drop(tx);
        let span = (spec.to - spec.from).max(1);
        let mut written = 0u64;
        while written < spec.orders {
            let n = (spec.orders - written).min(20_000);
            let mut orders = Vec::with_capacity(n as usize);
            let mut clocks = Vec::new();
            let mut traces = Vec::with_capacity(n as usize * spec.traces_per_order as usize);
            for _ in 0..n {
                let (cid, area, station) = customers[rng.random_range(0..customers.len())];
                let t = pick(&mut rng, TYPES);
                let channel = pick(&mut rng, CHANNELS);
                // Acceptance follows the ids, as intake's does, a little jittered.
                let at = spec.from
                    + (span as f64 * (written + orders.len() as u64) as f64
                        / spec.orders.max(1) as f64) as i64;
                let created = (at + rng.random_range(0..1_000)).min(spec.to - 1);
                let open = rng.random_bool(spec.open_share.clamp(0.0, 1.0));
                let (title, text, subject) = bench_text(t, &mut rng);
                let due = spec.due_from
                    + if spec.due_spread > 0 {
                        rng.random_range(0..spec.due_spread)
                    } else {
                        0
                    };
                let o = OrderRow {
                    id: next_id,
                    station_id: station,
                    area_id: Some(area),
                    grid_id: grids.get(&area).copied(),
                    customer_id: Some(cid),
                    order_type: t,
                    service_kind: (t == OrderType::ServiceRequest).then_some(ServiceKind::Other),
                    channel,
                    subject: Some(subject),
                    complaint_class: (t == OrderType::Complaint)
                        .then_some(ComplaintClass::Business),
                    severity: Severity::General,
                    status: if open {
                        OrderStatus::Accepted
                    } else {
                        OrderStatus::Closed
                    },
                    title,
                    description: text,
                    contact_phone: None,
                    department_id: None,
                    assignee_id: None,
                    co_handlers: vec![],
                    policy_id: policy.id.clone(),
                    policy_version: policy.version.clone(),
                    idem_key: None,
                    created_by: None,
                    created_at: created,
                    updated_at: created,
                    closed_at: (!open).then_some(created + HOUR_MS),
                    next_due_at: open.then_some(due),
                    overdue: false,
                    escalated: false,
                    contacted: false,
                    replied: !open,
                    reply_text: (!open).then(|| "已处理".to_string()),
                    verdict: None,
                    root_cause: None,
                    satisfaction: (!open).then_some(Satisfaction::Satisfied),
                    urge_count: 0,
                    reopen_count: 0,
                    merged_into: None,
                    repeat_of: None,
                    problem_id: None,
                };
                if open {
                    clocks.push(ClockRow {
                        id: 0,
                        order_id: o.id,
                        kind: ClockKind::Answer,
                        state: ClockState::Running,
                        limit_text: "4wd".into(),
                        source: "seed".into(),
                        started_at: created.min(due),
                        due_at: due,
                        warn_at: due,
                        paused_at: None,
                        paused_ms: 0,
                        pause_reason: None,
                        warned_at: None,
                        breached_at: None,
                        stopped_at: None,
                        next_fire_at: Some(due),
                    });
                }
                let own_clocks = match clocks.last() {
                    Some(c) if open && c.order_id == o.id => std::slice::from_ref(c),
                    _ => &[],
                };
                let accepted = crate::orders::accepted(&o, own_clocks);
                for k in 0..spec.traces_per_order.max(1) {
                    let event = match (k, open) {
                        (0, _) => TraceEvent::OrderAccepted(accepted.clone()),
                        (k, false) if k + 1 == spec.traces_per_order => {
                            TraceEvent::Order(OrderEvent::Closed)
                        }
                        _ => TraceEvent::Order(OrderEvent::Contacted {
                            note: String::new(),
                        }),
                    };
                    traces.push(NewTrace {
                        at: created + k as i64 * 10 * MINUTE_MS,
                        station_id: Some(station),
                        customer_id: Some(cid),
                        order_id: Some(o.id),
                        channel: Some(channel),
                        actor_id: None,
                        actor: "seed".into(),
                        event,
                    });
                }
                next_id += 1;
                orders.push(o);
            }
            let mut tx = self.store.begin().await?;
            let clock_ids = self
                .store
                .reserve_ids(&mut tx, "clocks", clocks.len())
                .await?;
            for (c, id) in clocks.iter_mut().zip(clock_ids) {
                c.id = id;
            }
            self.store.insert_orders(&mut tx, &orders).await?;
            self.store.insert_clocks(&mut tx, &clocks).await?;
            self.store.insert_traces(&mut tx, &traces).await?;
            self.store.sync_sequence(&mut tx, "work_orders").await?;
            commit(tx).await?;
            written += n;
            progress(written);
        }
        self.store.analyze().await?;
        Ok(())
    }
}
