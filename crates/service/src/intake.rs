//! Intake with group commit. Requests prepare their order (customer, policy, clocks) on their
//! own task and hand it to one writer task, which writes whatever has queued up (up to
//! `MAX_BATCH` orders) in one transaction with multi-row statements: the idempotency check,
//! repeat-complaint detection, orders, clocks, trace events and outbox notices. Every order
//! is acknowledged only after that transaction commits. If a batch fails, its orders are
//! written one by one so that one bad order cannot fail the others.

use crate::orders::{accepted, order_no, trace};
use crate::*;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use voltdesk_domain::order::{EarlierOrder, find_repeat_of};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::{AccountNo, OrderType, SubjectArea};
use voltdesk_store::{ClockRow, NewTrace, OrderRow, Tx};

const MAX_BATCH: usize = 128;

pub(crate) enum Outcome {
    Created(Box<OrderRow>, Vec<ClockRow>),
    Replayed(i64),
    /// This order could not be taken (its customer does not exist); the rest of the batch was.
    Rejected(ServiceError),
}

struct Job {
    by: Actor,
    order: OrderRow,
    clocks: Vec<ClockRow>,
    /// Account number still to resolve; the order is completed in the writer.
    pending_account: Option<AccountNo>,
    /// Subject of a complaint, for repeat detection.
    complaint_subject: Option<SubjectArea>,
    reply: oneshot::Sender<Result<Outcome>>,
}

/// The handle requests use. The writer task holds a clone of the service (to complete orders
/// with their customer's station and policy), so it lives as long as the runtime.
#[derive(Clone, Default)]
pub(crate) struct Intake {
    tx: std::sync::Arc<std::sync::OnceLock<mpsc::Sender<Job>>>,
    /// The unrestored outages by area: a repair call from one joins the outage (outages.rs).
    pub(crate) outages: crate::outages::OutageCache,
}

impl Intake {
    pub(crate) fn start(&self, svc: Service) {
        let (tx, rx) = mpsc::channel(4096);
        if self.tx.set(tx).is_ok() {
            crate::outages::start_keeper(svc.clone());
            tokio::spawn(writer(svc, rx));
        }
    }

    pub(crate) async fn submit(
        &self,
        by: Actor,
        order: OrderRow,
        clocks: Vec<ClockRow>,
        pending_account: Option<AccountNo>,
        complaint_subject: Option<SubjectArea>,
    ) -> Result<Outcome> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            by,
            order,
            clocks,
            pending_account,
            complaint_subject,
            reply,
        };
        // Not started, or stopped with the runtime: no order can be taken now.
        let closed = || ServiceError::Unavailable { what: "intake" };
        let tx = self.tx.get().ok_or_else(closed)?;
        tx.send(job).await.map_err(|_| closed())?;
        match rx.await.map_err(|_| closed())?? {
            Outcome::Rejected(e) => Err(e),
            o => Ok(o),
        }
    }
}

async fn writer(svc: Service, mut rx: mpsc::Receiver<Job>) {
    let svc = &svc;
    crate::outages::load_cache(svc).await;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if batch.len() > 1 {
            match write(svc, &batch).await {
                Ok(outcomes) => {
                    for (job, o) in batch.into_iter().zip(outcomes) {
                        let _ = job.reply.send(Ok(o));
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, size = batch.len(), "intake batch failed; writing its orders one by one")
                }
            }
        }
        for job in batch {
            let one = std::slice::from_ref(&job);
            let result = match write(svc, one).await {
                Ok(mut o) => Ok(o.remove(0)),
                // A concurrent writer (another server on PostgreSQL) took the key first.
                Err(ServiceError::Conflict { .. }) if job.order.idem_key.is_some() => {
                    replayed(&svc.store, &job).await
                }
                Err(e) => Err(e),
            };
            let _ = job.reply.send(result);
        }
    }
}

async fn replayed(store: &Store, job: &Job) -> Result<Outcome> {
    let mut tx = store.begin().await?;
    let id = store
        .order_by_idem(
            &mut tx,
            job.order.channel,
            job.order.idem_key.as_deref().unwrap_or(""),
        )
        .await?;
    drop(tx);
    id.map(Outcome::Replayed)
        .ok_or(ServiceError::NotFound { what: "work order" })
}

async fn write(svc: &Service, jobs: &[Job]) -> Result<Vec<Outcome>> {
    let mut tx = svc.store.begin().await?;
    let outcomes = write_in(svc, &mut tx, jobs).await?;
    commit(tx).await?;
    Ok(outcomes)
}

async fn write_in(svc: &Service, tx: &mut Tx, jobs: &[Job]) -> Result<Vec<Outcome>> {
    let store = &svc.store;
    // Customers named by account number, for the whole batch in one query.
    let accounts: Vec<String> = jobs
        .iter()
        .filter_map(|j| j.pending_account.as_ref().map(|a| a.as_str().to_string()))
        .collect();
    let customers: HashMap<String, voltdesk_store::CustomerRow> = if accounts.is_empty() {
        HashMap::new()
    } else {
        store
            .customers_by_accounts(tx, &accounts)
            .await?
            .into_iter()
            .map(|c| (c.account_no.clone(), c))
            .collect()
    };
    let mut rejected: HashMap<usize, ServiceError> = HashMap::new();
    let mut completed: HashMap<usize, (OrderRow, Vec<ClockRow>)> = HashMap::new();
    for (i, j) in jobs.iter().enumerate() {
        let Some(a) = &j.pending_account else {
            continue;
        };
        let Some(c) = customers.get(a.as_str()) else {
            rejected.insert(
                i,
                ServiceError::invalid("customer_account_no", "no such customer"),
            );
            continue;
        };
        let mut o = j.order.clone();
        match svc.complete_order(&mut o, Some(c)) {
            Ok(clocks) => {
                completed.insert(i, (o, clocks));
            }
            Err(e) => {
                rejected.insert(i, e);
            }
        }
    }
    // Idempotency: keys already stored, and keys repeated inside this batch.
    let keys: Vec<(voltdesk_domain::Channel, String)> = jobs
        .iter()
        .filter_map(|j| j.order.idem_key.clone().map(|k| (j.order.channel, k)))
        .collect();
    let existing: HashMap<(String, String), i64> = if keys.is_empty() {
        HashMap::new()
    } else {
        store
            .orders_by_idem_keys(tx, &keys)
            .await?
            .into_iter()
            .map(|(id, ch, k)| ((ch, k), id))
            .collect()
    };
    enum Slot {
        New(usize),
        Existing(i64),
        SameAs(usize),
        Rejected(usize),
    }
    let mut slots = Vec::with_capacity(jobs.len());
    let mut first_in_batch: HashMap<(String, String), usize> = HashMap::new();
    let mut fresh: Vec<usize> = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        if rejected.contains_key(&i) {
            slots.push(Slot::Rejected(i));
            continue;
        }
        let slot = match &j.order.idem_key {
            Some(k) => {
                let key = (j.order.channel.code().to_string(), k.clone());
                if let Some(id) = existing.get(&key) {
                    Slot::Existing(*id)
                } else if let Some(first) = first_in_batch.get(&key) {
                    Slot::SameAs(*first)
                } else {
                    first_in_batch.insert(key, i);
                    fresh.push(i);
                    Slot::New(i)
                }
            }
            None => {
                fresh.push(i);
                Slot::New(i)
            }
        };
        slots.push(slot);
    }

    // Earlier complaints of the batch's complaining customers, in one query. The batch's own
    // orders are not written yet: an order is never the repeat of one in its own batch.
    let customer_of = |i: usize| {
        completed
            .get(&i)
            .map_or(jobs[i].order.customer_id, |(o, _)| o.customer_id)
    };
    let mut complainants: Vec<i64> = fresh
        .iter()
        .filter(|i| jobs[**i].complaint_subject.is_some())
        .filter_map(|i| customer_of(*i))
        .collect();
    complainants.sort_unstable();
    complainants.dedup();
    let mut earlier: HashMap<i64, Vec<EarlierOrder>> = HashMap::new();
    if !complainants.is_empty() {
        for e in store
            .recent_orders_of_customers(tx, &complainants, OrderType::Complaint)
            .await?
        {
            if let Some(cid) = e.customer_id {
                earlier.entry(cid).or_default().push(EarlierOrder {
                    id: e.id,
                    subject: e.subject,
                    status: e.status,
                    closed_at: e.closed_at,
                });
            }
        }
    }

    let order_ids = store.reserve_ids(tx, "work_orders", fresh.len()).await?;
    let clocks_of = |i: usize| completed.get(&i).map_or(&jobs[i].clocks, |(_, c)| c);
    let clock_count: usize = fresh.iter().map(|i| clocks_of(*i).len()).sum();
    let clock_ids = store.reserve_ids(tx, "clocks", clock_count).await?;
    let mut orders: Vec<OrderRow> = Vec::with_capacity(fresh.len());
    let mut clocks: Vec<Vec<ClockRow>> = Vec::with_capacity(fresh.len());
    let mut traces: Vec<NewTrace> = Vec::with_capacity(fresh.len() * 2);
    let mut notices: Vec<(String, serde_json::Value)> = Vec::new();
    let mut outage_links: Vec<(i64, i64)> = Vec::new();
    let mut next_clock = clock_ids.into_iter();
    for (n, i) in fresh.iter().enumerate() {
        let j = &jobs[*i];
        let mut o = completed
            .get(i)
            .map_or_else(|| j.order.clone(), |(o, _)| o.clone());
        o.id = order_ids[n];
        if let (Some(subject), Some(cid)) = (j.complaint_subject, o.customer_id) {
            o.repeat_of = find_repeat_of(subject, earlier.get(&cid).into_iter().flatten());
        }
        let mut cs = clocks_of(*i).clone();
        let outage = svc.intake.outages.link_repair(&mut o, &mut cs);
        for c in &mut cs {
            c.order_id = o.id;
            c.id = next_clock
                .next()
                .ok_or(ServiceError::Store(StoreError::Corrupt("clock ids".into())))?;
        }
        let mut accepted = accepted(&o, &cs);
        if let Some(c) = outage {
            outage_links.push((o.id, c.outage_id));
            accepted.outage = Some(trace::OutageLink {
                outage_id: c.outage_id,
                expected_restore_at: c.expected_restore_at,
                note: "所在台区停电中，已关联停电事件，不再派单".into(),
            });
        }
        traces.push(trace(
            &o,
            &j.by,
            o.created_at,
            TraceEvent::OrderAccepted(accepted),
        ));
        if let Some(prev) = o.repeat_of {
            traces.push(trace(
                &o,
                &j.by,
                o.created_at,
                TraceEvent::OrderRepeatDetected(trace::RepeatDetected { repeat_of: prev }),
            ));
        }
        if o.customer_id.is_some() {
            notices.push((TraceKind::OrderAccepted.code().into(), serde_json::json!({"order_id": o.id, "order_no": order_no(&o), "customer_id": o.customer_id})));
        }
        orders.push(o);
        clocks.push(cs);
    }
    store.insert_orders(tx, &orders).await?;
    if !outage_links.is_empty() {
        store.link_orders_to_outage(tx, &outage_links).await?;
    }
    let all_clocks: Vec<ClockRow> = clocks.iter().flatten().cloned().collect();
    store.insert_clocks(tx, &all_clocks).await?;
    store.insert_traces(tx, &traces).await?;
    let now = jobs.iter().map(|j| j.order.created_at).max().unwrap_or(0);
    store.insert_outbox_many(tx, now, "sms", &notices).await?;

    let mut created: HashMap<usize, (OrderRow, Vec<ClockRow>)> = HashMap::new();
    for ((i, o), cs) in fresh.iter().zip(orders).zip(clocks) {
        created.insert(*i, (o, cs));
    }
    let ids: HashMap<usize, i64> = created.iter().map(|(i, (o, _))| (*i, o.id)).collect();
    let mut out = Vec::with_capacity(jobs.len());
    for slot in &slots {
        out.push(match slot {
            Slot::Existing(id) => Outcome::Replayed(*id),
            Slot::SameAs(first) => Outcome::Replayed(ids[first]),
            Slot::Rejected(i) => Outcome::Rejected(
                rejected
                    .remove(i)
                    .unwrap_or(ServiceError::NotFound { what: "customer" }),
            ),
            Slot::New(i) => {
                let (o, cs) = created
                    .remove(i)
                    .ok_or(ServiceError::Store(StoreError::Corrupt(
                        "intake slot".into(),
                    )))?;
                Outcome::Created(Box::new(o), cs)
            }
        });
    }
    Ok(out)
}
