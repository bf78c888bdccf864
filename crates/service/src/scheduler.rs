//! The scheduler: fires clock warnings and breaches from deadlines stored in the database.
//! It is the clock tick of the early-warning rules: it marks the clocks and writes
//! `clock.warned` / `clock.breached` trace events; the rules (`rules.rs`) turn those into the
//! supervisor's warnings, and a missed deadline's warning is the order's escalation.
//! Nothing lives in memory but the time of the next wake-up, so a restart loses nothing:
//! clocks whose time passed while the server was down fire on the first tick.
//!
//! Each tick handles up to `BATCH` due clocks in one transaction with set-wise statements.
//! It reads the due clocks, locks their orders (in id order, as single-order commands do),
//! then reads the clocks again under those locks: a command that met or paused a clock in
//! between wins, and overlapping ticks (several servers) never fire a clock twice.

use crate::*;
use std::collections::{BTreeSet, HashMap};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_store::{ClockState, NewTrace};

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FireReport {
    pub warned: usize,
    pub breached: usize,
}

/// Clocks handled per transaction.
const BATCH: i64 = 1000;

impl Service {
    /// Fires every warning and breach due at or before the service clock's now.
    pub async fn fire_due(&self) -> Result<FireReport> {
        let mut report = FireReport::default();
        loop {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            let due = self.store.due_clocks(&mut tx, now, BATCH).await?;
            if due.is_empty() {
                break;
            }
            let batch_len = due.len();
            let order_ids: Vec<i64> = due
                .iter()
                .map(|c| c.order_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let orders: HashMap<i64, voltdesk_store::OrderRow> = self
                .store
                .orders_locked(&mut tx, &order_ids)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
            let clock_ids: Vec<i64> = due.iter().map(|c| c.id).collect();
            let fresh = self.store.clocks_by_ids(&mut tx, &clock_ids).await?;
            let system = Actor::system();
            let mut warned = Vec::new();
            let mut breached = Vec::new();
            let mut traces = Vec::new();
            let mut breached_orders = BTreeSet::new();
            let mut published = Vec::new();
            for c in &fresh {
                if c.state != ClockState::Running || c.next_fire_at.is_none_or(|t| t > now) {
                    continue;
                }
                let Some(o) = orders.get(&c.order_id) else {
                    continue;
                };
                let base = |event: TraceEvent| NewTrace {
                    at: now,
                    station_id: Some(o.station_id),
                    customer_id: o.customer_id,
                    order_id: Some(o.id),
                    channel: Some(o.channel),
                    actor_id: None,
                    actor: system.name.clone(),
                    event,
                };
                if c.warned_at.is_none() && c.warn_at <= now {
                    report.warned += 1;
                    traces.push(base(TraceEvent::ClockWarned(trace::ClockWarned {
                        clock_id: c.id,
                        kind: c.kind,
                        warn_at: c.warn_at,
                        due_at: c.due_at,
                    })));
                    published.push((TraceKind::ClockWarned, o.id, o.customer_id, o.station_id));
                }
                if c.breached_at.is_none() && c.due_at <= now {
                    report.breached += 1;
                    traces.push(base(TraceEvent::ClockBreached(trace::ClockBreached {
                        clock_id: c.id,
                        kind: c.kind,
                        due_at: c.due_at,
                        limit: Some(c.limit_text.clone()),
                    })));
                    breached.push(c.id);
                    breached_orders.insert(o.id);
                    published.push((TraceKind::ClockBreached, o.id, o.customer_id, o.station_id));
                } else {
                    warned.push(c.id);
                }
            }
            let breached_orders: Vec<i64> = breached_orders.into_iter().collect();
            self.store.mark_clocks_warned(&mut tx, &warned, now).await?;
            self.store
                .mark_clocks_breached(&mut tx, &breached, now)
                .await?;
            self.store
                .mark_orders_breached(&mut tx, &breached_orders, now)
                .await?;
            self.store.insert_traces(&mut tx, &traces).await?;
            commit(tx).await?;
            for (kind, order_id, customer_id, station_id) in published {
                self.publish(Committed {
                    kind,
                    order_id: Some(order_id),
                    customer_id,
                    station_id: Some(station_id),
                    at: now,
                });
            }
            if (batch_len as i64) < BATCH {
                break;
            }
        }
        Ok(report)
    }

    /// Runs the scheduler until the task is dropped: wakes at the next stored deadline, at
    /// most `max_sleep` later, and fires what is due.
    pub async fn run_scheduler(self, max_sleep: std::time::Duration) {
        loop {
            if let Err(e) = self.fire_due().await {
                tracing::error!(error = %e, "scheduler tick failed");
            }
            let wait = match self.store.next_clock_fire().await {
                Ok(Some(t)) => std::time::Duration::from_millis(
                    (t - self.now()).clamp(0, max_sleep.as_millis() as i64) as u64,
                ),
                _ => max_sleep,
            };
            tokio::time::sleep(wait.max(std::time::Duration::from_millis(20))).await;
        }
    }
}
