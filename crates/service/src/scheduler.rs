//! The scheduler: fires clock warnings and breaches from deadlines stored in the database.
//! Nothing lives in memory but the time of the next wake-up, so a restart loses nothing:
//! clocks whose time passed while the server was down fire on the first tick.

use crate::orders::times_of;
use crate::*;
use voltdesk_store::{ClockState, NewTrace};

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FireReport {
    pub warned: usize,
    pub breached: usize,
}

/// Clocks handled per transaction.
const BATCH: i64 = 500;

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
            let mut traces = Vec::new();
            let mut published = Vec::new();
            let system = Actor::system();
            for seen in due {
                let Some(o) = self.store.order_in(&mut tx, seen.order_id).await? else {
                    continue;
                };
                // `due_clocks` read the clock before the order was locked: a command on the
                // order (a contact, a reply, a pause) or another tick may have changed it
                // since. Read it again under the lock, or a met clock would be written back
                // as running and breach later.
                let Some(mut c) = self
                    .store
                    .clocks_in(&mut tx, o.id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == seen.id)
                else {
                    continue;
                };
                if c.next_fire_at.is_none_or(|t| t > now) {
                    continue;
                }
                let base = |kind: &str, payload: serde_json::Value| NewTrace {
                    at: now,
                    station_id: Some(o.station_id),
                    customer_id: o.customer_id,
                    order_id: Some(o.id),
                    channel: Some(o.channel),
                    actor_id: None,
                    actor: system.name.clone(),
                    kind: kind.to_string(),
                    payload,
                };
                if c.state != ClockState::Running {
                    c.next_fire_at = None;
                    self.store.update_clock(&mut tx, &c).await?;
                    continue;
                }
                if c.warned_at.is_none() && c.warn_at <= now {
                    c.warned_at = Some(now);
                    report.warned += 1;
                    traces.push(base(
                        "clock.warned",
                        serde_json::json!({"clock_id": c.id, "kind": c.kind, "warn_at": c.warn_at, "due_at": c.due_at}),
                    ));
                    self.store
                        .insert_outbox(&mut tx, now, "notify", "clock.warned", &serde_json::json!({"order_id": o.id, "clock_id": c.id, "kind": c.kind, "due_at": c.due_at}))
                        .await?;
                    published.push(("clock.warned", o.id, o.customer_id, o.station_id));
                }
                if c.breached_at.is_none() && c.due_at <= now {
                    c.breached_at = Some(now);
                    report.breached += 1;
                    let reason = format!("{}时限已超期（{}）", c.kind.zh(), c.limit_text);
                    let esc = self
                        .store
                        .insert_escalation(
                            &mut tx,
                            o.id,
                            Some(c.id),
                            &reason,
                            Role::Supervisor.code(),
                            now,
                        )
                        .await?;
                    self.store.mark_order_breached(&mut tx, o.id, now).await?;
                    traces.push(base(
                        "clock.breached",
                        serde_json::json!({"clock_id": c.id, "kind": c.kind, "due_at": c.due_at}),
                    ));
                    traces.push(base("order.escalated", serde_json::json!({"escalation_id": esc, "to_role": "supervisor", "reason": reason})));
                    self.store
                        .insert_outbox(&mut tx, now, "webhook", "order.escalated", &serde_json::json!({"order_id": o.id, "escalation_id": esc, "clock_kind": c.kind}))
                        .await?;
                    published.push(("order.escalated", o.id, o.customer_id, o.station_id));
                }
                c.next_fire_at =
                    times_of(&c).next_fire(c.warned_at.is_some(), c.breached_at.is_some());
                self.store.update_clock(&mut tx, &c).await?;
            }
            self.store.insert_traces(&mut tx, &traces).await?;
            commit(tx).await?;
            for (kind, order_id, customer_id, station_id) in published {
                self.publish(Committed {
                    kind: kind.into(),
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
