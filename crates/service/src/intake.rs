//! Intake with group commit. Requests prepare their order (customer, policy, clocks) on their
//! own task and hand it to one writer task, which writes whatever has queued up (up to
//! `MAX_BATCH` orders) in one transaction with multi-row statements: the idempotency check,
//! repeat-complaint detection, orders, clocks, trace events and outbox notices. Every order
//! is acknowledged only after that transaction commits. If a batch fails, its orders are
//! written one by one so that one bad order cannot fail the others.

use crate::orders::{order_no, trace};
use crate::*;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use voltdesk_domain::order::{EarlierOrder, find_repeat_of};
use voltdesk_domain::{OrderType, SubjectArea};
use voltdesk_store::{ClockRow, NewTrace, OrderRow, Tx};

const MAX_BATCH: usize = 128;

pub(crate) enum Outcome {
    Created(Box<OrderRow>, Vec<ClockRow>),
    Replayed(i64),
}

struct Job {
    by: Actor,
    order: OrderRow,
    clocks: Vec<ClockRow>,
    /// Subject of a complaint, for repeat detection.
    complaint_subject: Option<SubjectArea>,
    reply: oneshot::Sender<Result<Outcome>>,
}

/// The handle requests use; the writer task ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Intake {
    tx: mpsc::Sender<Job>,
}

impl Intake {
    pub(crate) fn start(store: Store) -> Intake {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(store, rx));
        Intake { tx }
    }

    pub(crate) async fn submit(
        &self,
        by: Actor,
        order: OrderRow,
        clocks: Vec<ClockRow>,
        complaint_subject: Option<SubjectArea>,
    ) -> Result<Outcome> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            by,
            order,
            clocks,
            complaint_subject,
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| ServiceError::Store(StoreError::NotFound))?;
        rx.await
            .map_err(|_| ServiceError::Store(StoreError::NotFound))?
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if batch.len() > 1 {
            match write(&store, &batch).await {
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
            let result = match write(&store, one).await {
                Ok(mut o) => Ok(o.remove(0)),
                // A concurrent writer (another server on PostgreSQL) took the key first.
                Err(ServiceError::Conflict { .. }) if job.order.idem_key.is_some() => {
                    replayed(&store, &job).await
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

async fn write(store: &Store, jobs: &[Job]) -> Result<Vec<Outcome>> {
    let mut tx = store.begin().await?;
    let outcomes = write_in(store, &mut tx, jobs).await?;
    commit(tx).await?;
    Ok(outcomes)
}

async fn write_in(store: &Store, tx: &mut Tx, jobs: &[Job]) -> Result<Vec<Outcome>> {
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
    }
    let mut slots = Vec::with_capacity(jobs.len());
    let mut first_in_batch: HashMap<(String, String), usize> = HashMap::new();
    let mut fresh: Vec<usize> = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
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

    let order_ids = store.reserve_ids(tx, "work_orders", fresh.len()).await?;
    let clock_count: usize = fresh.iter().map(|i| jobs[*i].clocks.len()).sum();
    let clock_ids = store.reserve_ids(tx, "clocks", clock_count).await?;
    let mut orders: Vec<OrderRow> = Vec::with_capacity(fresh.len());
    let mut clocks: Vec<Vec<ClockRow>> = Vec::with_capacity(fresh.len());
    let mut traces: Vec<NewTrace> = Vec::with_capacity(fresh.len() * 2);
    let mut notices: Vec<(String, serde_json::Value)> = Vec::new();
    let mut next_clock = clock_ids.into_iter();
    for (n, i) in fresh.iter().enumerate() {
        let j = &jobs[*i];
        let mut o = j.order.clone();
        o.id = order_ids[n];
        if let (Some(subject), Some(cid)) = (j.complaint_subject, o.customer_id) {
            let earlier: Vec<EarlierOrder> = store
                .customer_orders_of_type(tx, cid, OrderType::Complaint)
                .await?
                .into_iter()
                .map(|e| EarlierOrder {
                    id: e.id,
                    subject: e.subject,
                    status: e.status,
                    closed_at: e.closed_at,
                })
                .collect();
            o.repeat_of = find_repeat_of(subject, &earlier);
        }
        let mut cs = j.clocks.clone();
        for c in &mut cs {
            c.order_id = o.id;
            c.id = next_clock
                .next()
                .ok_or(ServiceError::Store(StoreError::Corrupt("clock ids".into())))?;
        }
        traces.push(trace(
            &o,
            &j.by,
            o.created_at,
            "order.accepted",
            serde_json::json!({
                "order_no": order_no(&o), "order_type": o.order_type, "channel": o.channel, "subject": o.subject,
                "title": o.title, "policy": format!("{}@{}", o.policy_id, o.policy_version),
                "clocks": cs.iter().map(|c| serde_json::json!({"kind": c.kind, "limit": c.limit_text, "due_at": c.due_at})).collect::<Vec<_>>(),
            }),
        ));
        if let Some(prev) = o.repeat_of {
            traces.push(trace(
                &o,
                &j.by,
                o.created_at,
                "order.repeat_detected",
                serde_json::json!({"repeat_of": prev}),
            ));
        }
        if o.customer_id.is_some() {
            notices.push(("order.accepted".into(), serde_json::json!({"order_id": o.id, "order_no": order_no(&o), "customer_id": o.customer_id})));
        }
        orders.push(o);
        clocks.push(cs);
    }
    store.insert_orders(tx, &orders).await?;
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
