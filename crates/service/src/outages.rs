//! Outages: the dispatch system registers planned, temporary and fault outages (API or CSV
//! import), restores supply and reports the repair; the service works out who is affected,
//! queues their notices, raises care tasks for the care-group households, and links repair
//! calls from an outage's areas to the outage instead of dispatching a crew again.
//!
//! Registration is one transaction: the outage, its areas, the affected count (counted per
//! area on `customers(area_id)`), the `outage.registered` trace event, the notices (one
//! `INSERT ... SELECT` per 500 areas: the database resolves the customers, so 50,000 notices
//! cost one statement) and the `call_before` care tasks. It is idempotent on the dispatch
//! system's `external_ref`: a re-send returns the first registration.
//!
//! Notices (DOMAIN.md, 十项承诺): a planned outage goes to every affected customer, flagged
//! `late_notice` when registered less than 7 days ahead; temporary maintenance goes to the
//! important customers (`voltdesk_domain::outage::is_important`) and is late under 24 h; a
//! fault is not announced; the restoration goes to every affected customer. An outage
//! registered after it has started gets no advance notice, and one registered already
//! restored (a record of the past, e.g. a CSV import) gets no notices and no care tasks.
//!
//! Repair calls: intake keeps the unrestored outages' areas in memory ([`OutageCache`],
//! refreshed after every register/restore and every few seconds for other servers), so the
//! check per order costs a hash look-up, never a query. A repair order from an area with an
//! active outage is linked to it (`work_orders.outage_id`), keeps status `accepted`, gets
//! no arrive clock (no crew is sent for it: the outage's crew is at work) and takes the
//! outage's expected restoration as its `next_due_at`. The order can still be dispatched by
//! hand (a second fault behind the outage); nothing forbids it.

use crate::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use voltdesk_domain::outage::{
    self, Audience, CareTaskKind, EndRefused, EndReport, IMPORTANT_SEGMENTS, IMPORTANT_USAGE,
    OutageCsvRow, OutageEnd, OutageKind, OutagePlace, OutageTimes,
};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::{ClockKind, HOUR_MS, MINUTE_MS, Millis, OrderType};
use voltdesk_store::{
    AreaCover, ClockRow, CustomerPick, NewOutageRow, NewTrace, OrderRow, OutageFilter,
    OutageRecord, OutageRow, OutageState, Tx,
};

/// How far ahead of the server's clock a reported restoration or repair may be (clock skew
/// between the dispatch system and this server).
const CLOCK_SKEW_MS: i64 = 5 * MINUTE_MS;
/// How often the in-memory look-up is reloaded from the database (other servers' outages).
const CACHE_REFRESH: Duration = Duration::from_secs(5);
/// How often long outages are checked for care tasks.
const CARE_TICK: Duration = Duration::from_secs(60);

/// An outage as the dispatch system reports it (API body). Instants are epoch ms.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutage {
    /// The dispatch system's id; a re-send with the same id returns the first registration.
    pub external_ref: Option<String>,
    pub kind: Option<OutageKind>,
    /// A whole feeder (every transformer area on it) ...
    pub feeder_code: Option<String>,
    pub feeder_id: Option<i64>,
    /// ... or one transformer area.
    pub area_code: Option<String>,
    pub area_id: Option<i64>,
    pub cause: Option<String>,
    pub started_at: Option<Millis>,
    pub expected_restore_at: Option<Millis>,
    pub restored_at: Option<Millis>,
    pub repaired_at: Option<Millis>,
}

impl From<OutageCsvRow> for NewOutage {
    fn from(r: OutageCsvRow) -> NewOutage {
        let (feeder_code, area_code) = match r.place {
            OutagePlace::Feeder(f) => (Some(f), None),
            OutagePlace::Area(a) => (None, Some(a)),
        };
        NewOutage {
            external_ref: r.external_ref,
            kind: Some(r.kind),
            feeder_code,
            feeder_id: None,
            area_code,
            area_id: None,
            cause: Some(r.cause),
            started_at: Some(r.started_at),
            expected_restore_at: r.expected_restore_at,
            restored_at: r.restored_at,
            repaired_at: r.repaired_at,
        }
    }
}

/// An outage as the API and the board show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutageView {
    #[serde(flatten)]
    pub record: OutageRecordView,
    /// The transformer areas it covers (on the single-outage view; empty in lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub area_ids: Vec<i64>,
    /// Started and not restored.
    pub active: bool,
    /// Longer than the station's long-outage threshold (8 h by default), so far or in all.
    pub long: bool,
    /// Supply off so far (active) or in all (restored); 0 before the start.
    pub duration_ms: i64,
    /// Restore first: how long after restoration the repair was finished (negative when the
    /// repair came first).
    pub repair_after_restore_ms: Option<i64>,
}

/// What an outage CSV import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutageImportReport {
    pub registered: usize,
    /// Rows whose `external_ref` was registered before (left as they were).
    pub replayed: usize,
    pub notices: u64,
    pub care_tasks: u64,
}

/// What one care tick raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CareTick {
    pub long_outages: usize,
    pub tasks_raised: u64,
}

/// A validated outage, its place resolved, ready to write.
struct Prepared {
    kind: OutageKind,
    times: OutageTimes,
    cause: String,
    external_ref: Option<String>,
    station_id: i64,
    feeder_id: Option<i64>,
    area_id: Option<i64>,
    area_ids: Vec<i64>,
    /// The place in words, for the notices (`10kV东一线` or an area's name).
    scope: String,
}

/// What a registration wrote.
struct Written {
    id: i64,
    notices: u64,
    care_tasks: u64,
}

// ---- the intake's in-memory look-up ----

/// The unrestored outages by the areas they cover. Shared by the service's clones (it lives
/// in the intake handle); reloads are serialized so that the last one started is the last
/// one installed.
#[derive(Clone, Default)]
pub(crate) struct OutageCache {
    by_area: Arc<RwLock<HashMap<i64, Vec<AreaCover>>>>,
    /// Set when any outage is unrestored: the common case (none) skips the lock.
    any: Arc<AtomicBool>,
    reload: Arc<tokio::sync::Mutex<()>>,
}

/// The outage covering an area at `at` among the unrestored ones covering it: started by
/// then, the latest started first (then the highest id).
pub(crate) fn cover_at(covers: &[AreaCover], at: Millis) -> Option<AreaCover> {
    covers
        .iter()
        .filter(|c| c.started_at <= at)
        .max_by_key(|c| (c.started_at, c.outage_id))
        .copied()
}

/// Joins a new repair order to the outage covering its area, if any: no arrive clock (no
/// crew is dispatched for it), and the outage's expected restoration as its next due time.
/// Returns the outage it joined.
pub(crate) fn join_outage(
    cover: Option<AreaCover>,
    o: &mut OrderRow,
    clocks: &mut Vec<ClockRow>,
) -> Option<AreaCover> {
    let c = cover.filter(|_| o.order_type == OrderType::Repair)?;
    clocks.retain(|k| k.kind != ClockKind::Arrive);
    o.next_due_at = c
        .expected_restore_at
        .or_else(|| clocks.iter().map(|k| k.due_at).min());
    Some(c)
}

impl OutageCache {
    /// The active outage covering `area_id` at `at`: a hash look-up, no query.
    pub(crate) fn covering(&self, area_id: Option<i64>, at: Millis) -> Option<AreaCover> {
        if !self.any.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        let area = area_id?;
        let map = self.by_area.read().expect("outage cache lock");
        cover_at(map.get(&area)?, at)
    }

    /// Joins a repair order to the active outage of its area (see [`join_outage`]).
    pub(crate) fn link_repair(
        &self,
        o: &mut OrderRow,
        clocks: &mut Vec<ClockRow>,
    ) -> Option<AreaCover> {
        if o.order_type != OrderType::Repair {
            return None;
        }
        join_outage(self.covering(o.area_id, o.created_at), o, clocks)
    }

    async fn reload(&self, store: &Store) -> Result<()> {
        let _one_at_a_time = self.reload.lock().await;
        let covers = store.unrestored_area_covers().await?;
        let mut map: HashMap<i64, Vec<AreaCover>> = HashMap::new();
        for c in covers {
            map.entry(c.area_id).or_default().push(c);
        }
        let any = !map.is_empty();
        *self.by_area.write().expect("outage cache lock") = map;
        self.any.store(any, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}

/// Loads the look-up (the intake writer calls this before its first batch).
pub(crate) async fn load_cache(svc: &Service) {
    if let Err(e) = svc.intake.outages.reload(&svc.store).await {
        tracing::warn!(error = %e, "could not load the active outages");
    }
}

/// Keeps the look-up fresh (outages registered by other servers) and raises care tasks for
/// long outages, for as long as the runtime runs.
pub(crate) fn start_keeper(svc: Service) {
    tokio::spawn(async move {
        let mut refresh = tokio::time::interval(CACHE_REFRESH);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut care = tokio::time::interval_at(tokio::time::Instant::now() + CARE_TICK, CARE_TICK);
        care.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = refresh.tick() => {
                    if let Err(e) = svc.intake.outages.reload(&svc.store).await {
                        tracing::debug!(error = %e, "outage look-up not refreshed");
                    }
                }
                _ = care.tick() => {
                    if let Err(e) = svc.care_tick(svc.now()).await {
                        tracing::warn!(error = %e, "care tick failed");
                    }
                }
            }
        }
    });
}

fn notice_rest(v: serde_json::Value) -> String {
    // `{"a":1,...}` without its `{`: the store prefixes `{"customer_id":<id>,`.
    let s = v.to_string();
    s.strip_prefix('{').unwrap_or(&s).to_string()
}

fn important() -> CustomerPick {
    CustomerPick {
        segments: IMPORTANT_SEGMENTS.iter().map(|s| s.code()).collect(),
        usage_classes: IMPORTANT_USAGE.iter().map(|u| u.code()).collect(),
        care: true,
    }
}

fn outage_trace(o: &OutageRow, by: &Actor, at: Millis, event: TraceEvent) -> NewTrace {
    NewTrace {
        at,
        station_id: Some(o.station_id),
        customer_id: None,
        order_id: None,
        channel: None,
        actor_id: by.user_id,
        actor: by.name.clone(),
        event,
    }
}

impl Service {
    // ---- registration ----

    /// Registers an outage from the dispatch system (see the module notes). Returns the
    /// outage and whether it was a re-send of an earlier registration.
    pub async fn register_outage(&self, by: &Actor, n: NewOutage) -> Result<(OutageView, bool)> {
        self.register(by, n, "api").await
    }

    async fn register(
        &self,
        by: &Actor,
        n: NewOutage,
        source: &'static str,
    ) -> Result<(OutageView, bool)> {
        let now = self.now();
        let p = self.prepare_outage(n, now).await?;
        let mut tx = self.store.begin().await?;
        if let Some(r) = &p.external_ref
            && let Some(id) = self.store.outage_by_external_ref(&mut tx, r).await?
        {
            drop(tx);
            return Ok((self.outage(id).await?, true));
        }
        let written = match self.register_in(&mut tx, by, &p, source, now).await {
            Ok(w) => w,
            // Another server took the same external_ref first: that registration stands.
            Err(ServiceError::Conflict { .. }) if p.external_ref.is_some() => {
                drop(tx);
                let mut tx = self.store.begin().await?;
                let r = p.external_ref.as_deref().unwrap_or_default();
                let id = self.store.outage_by_external_ref(&mut tx, r).await?;
                drop(tx);
                let id = id.ok_or(ServiceError::NotFound { what: "outage" })?;
                return Ok((self.outage(id).await?, true));
            }
            Err(e) => return Err(e),
        };
        commit(tx).await?;
        self.after_outage_change(
            written.id,
            TraceKind::OutageRegistered,
            Some(p.station_id),
            now,
        )
        .await;
        Ok((self.outage(written.id).await?, false))
    }

    /// Checks an outage and finds its place (feeder or area) and the areas it covers.
    async fn prepare_outage(&self, n: NewOutage, now: Millis) -> Result<Prepared> {
        let inv = |e: outage::OutageInvalid| ServiceError::invalid(e.field, e.message);
        let kind = n
            .kind
            .ok_or_else(|| ServiceError::invalid("kind", "required"))?;
        let cause = outage::validate_cause(n.cause.as_deref().unwrap_or("")).map_err(inv)?;
        let external_ref = match n.external_ref.as_deref().filter(|r| !r.trim().is_empty()) {
            Some(r) => Some(outage::validate_external_ref(r).map_err(inv)?),
            None => None,
        };
        let started_at = n
            .started_at
            .ok_or_else(|| ServiceError::invalid("started_at", "required"))?;
        let times = OutageTimes {
            kind,
            started_at,
            expected_restore_at: n.expected_restore_at,
            restored_at: n.restored_at,
            repaired_at: n.repaired_at,
        };
        outage::validate(&times).map_err(inv)?;
        for (field, at) in [
            ("restored_at", n.restored_at),
            ("repaired_at", n.repaired_at),
        ] {
            if at.is_some_and(|t| t > now + CLOCK_SKEW_MS) {
                return Err(ServiceError::invalid(field, "must not be in the future"));
            }
        }
        let feeder = match (n.feeder_id, n.feeder_code.as_deref()) {
            (Some(id), _) => Some(
                self.store
                    .feeders(None)
                    .await?
                    .into_iter()
                    .find(|f| f.id == id)
                    .ok_or_else(|| ServiceError::invalid("feeder_id", "no such feeder"))?,
            ),
            (None, Some(code)) => Some(
                self.store
                    .feeder_by_code(code.trim())
                    .await?
                    .ok_or_else(|| ServiceError::invalid("feeder_code", "no such feeder"))?,
            ),
            (None, None) => None,
        };
        let area = match (n.area_id, n.area_code.as_deref()) {
            (Some(id), _) => Some(
                self.store
                    .area(id)
                    .await?
                    .ok_or_else(|| ServiceError::invalid("area_id", "no such transformer area"))?,
            ),
            (None, Some(code)) => {
                Some(self.store.area_by_code(code.trim()).await?.ok_or_else(|| {
                    ServiceError::invalid("area_code", "no such transformer area")
                })?)
            }
            (None, None) => None,
        };
        let (station_id, feeder_id, area_id, area_ids, scope) = match (feeder, area) {
            (Some(f), None) => {
                let areas = self.store.feeder_areas(f.id).await?;
                (
                    f.station_id,
                    Some(f.id),
                    None,
                    areas.iter().map(|a| a.id).collect(),
                    f.name,
                )
            }
            (None, Some(a)) => (a.station_id, None, Some(a.id), vec![a.id], a.name),
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(
                    "area_code",
                    "give a feeder or a transformer area, not both",
                ));
            }
            (None, None) => {
                return Err(ServiceError::invalid(
                    "feeder_code",
                    "give a feeder (feeder_code) or a transformer area (area_code)",
                ));
            }
        };
        Ok(Prepared {
            kind,
            times,
            cause,
            external_ref,
            station_id,
            feeder_id,
            area_id,
            area_ids,
            scope,
        })
    }

    /// The writes of a registration, inside the caller's transaction.
    async fn register_in(
        &self,
        tx: &mut Tx,
        by: &Actor,
        p: &Prepared,
        source: &'static str,
        now: Millis,
    ) -> Result<Written> {
        let store = &self.store;
        let t = &p.times;
        let affected: i64 = store
            .customers_in_areas(tx, &p.area_ids)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let plan = outage::plan_notice(p.kind, t.started_at, now);
        let historic = t.restored_at.is_some();
        let row = OutageRow {
            id: 0,
            station_id: p.station_id,
            kind: p.kind,
            feeder_id: p.feeder_id,
            area_id: p.area_id,
            cause: p.cause.clone(),
            started_at: t.started_at,
            expected_restore_at: t.expected_restore_at,
            restored_at: t.restored_at,
            repaired_at: t.repaired_at,
            notified_at: None,
            affected_customers: affected,
            created_at: now,
        };
        let id = store
            .insert_outage(
                tx,
                &NewOutageRow {
                    row: row.clone(),
                    source,
                    external_ref: p.external_ref.clone(),
                    notice_due_at: plan.due_at,
                    late_notice: plan.late,
                    created_by: by.user_id,
                },
            )
            .await?;
        let row = OutageRow { id, ..row };
        store.insert_outage_areas(tx, id, &p.area_ids).await?;

        // Advance notices: the audience the notice rule names, unless it has started or ended.
        let mut notices = 0;
        if let (Some(audience), false) = (plan.audience, historic) {
            let rest = notice_rest(serde_json::json!({
                "outage_id": id,
                "outage_kind": p.kind,
                "cause": p.cause,
                "scope": p.scope,
                "start_local": outage::local_time(t.started_at),
                "restore_local": t.expected_restore_at.map(outage::local_time).unwrap_or_default(),
            }));
            let pick = match audience {
                Audience::All => None,
                Audience::Important => Some(important()),
            };
            let kind = format!("outage.{}", p.kind.code());
            notices = store
                .queue_area_notices(tx, now, now, &kind, &p.area_ids, pick.as_ref(), &rest)
                .await?;
            if notices > 0 {
                store
                    .set_outage_affected(tx, id, affected, Some(now))
                    .await?;
            }
        }
        // Care: call the care households before an announced outage; check on them at once
        // when it is registered already long.
        let mut care_tasks = 0;
        if !historic {
            if plan.audience.is_some() {
                let due = outage::call_before_due(t.started_at, now);
                care_tasks += store
                    .raise_care_tasks(
                        tx,
                        id,
                        CareTaskKind::CallBefore.code(),
                        due,
                        &p.area_ids,
                        now,
                    )
                    .await?;
            }
            if outage::is_long(t.started_at, None, now, self.long_outage_ms(p.station_id)) {
                care_tasks += store
                    .raise_care_tasks(
                        tx,
                        id,
                        CareTaskKind::CheckDuring.code(),
                        now,
                        &p.area_ids,
                        now,
                    )
                    .await?;
            }
        }
        store
            .insert_traces(
                tx,
                &[outage_trace(
                    &row,
                    by,
                    now,
                    TraceEvent::OutageRegistered(trace::OutageRegistered {
                        outage_id: id,
                        kind: p.kind,
                        feeder_id: p.feeder_id,
                        area_id: p.area_id,
                        area_ids: p.area_ids.clone(),
                        affected: affected as i64,
                        started_at: t.started_at,
                        expected_restore_at: t.expected_restore_at,
                        restored_at: t.restored_at,
                        repaired_at: t.repaired_at,
                        late_notice: plan.late,
                        notice_due_at: plan.due_at,
                        notices: notices as i64,
                        care_tasks: care_tasks as i64,
                        cause: p.cause.clone(),
                        external_ref: p.external_ref.clone(),
                        source: source.to_string(),
                    }),
                )],
            )
            .await?;
        Ok(Written {
            id,
            notices,
            care_tasks,
        })
    }

    /// After a committed change: reload the intake's look-up and tell the bus.
    async fn after_outage_change(
        &self,
        id: i64,
        kind: TraceKind,
        station_id: Option<i64>,
        at: Millis,
    ) {
        if let Err(e) = self.intake.outages.reload(&self.store).await {
            tracing::warn!(error = %e, outage_id = id, "outage look-up not refreshed");
        }
        self.publish(Committed {
            kind,
            order_id: None,
            customer_id: None,
            station_id,
            at,
        });
    }

    /// The long-outage threshold of the station's policy (8 h by default).
    fn long_outage_ms(&self, station_id: i64) -> i64 {
        self.policy_of_station(station_id)
            .map(|p| p.warnings.long_outage_hours * HOUR_MS)
            .unwrap_or(outage::LONG_OUTAGE_MS)
    }

    /// Imports outages from a CSV file, all or nothing: every row is checked (format, then
    /// feeder/area codes and times) before anything is written, and the rows are registered
    /// in one transaction. A bad row rejects the file with line-numbered errors. Rows whose
    /// `external_ref` is already registered are left as they are (a re-import is harmless).
    pub async fn import_outages(&self, by: &Actor, text: &str) -> Result<OutageImportReport> {
        use voltdesk_domain::import::RowError;
        let items = outage::outage_rows(text).map_err(|e| ServiceError::Import(vec![e]))?;
        let now = self.now();
        let mut errors: Vec<RowError> = Vec::new();
        let mut prepared: Vec<(u64, Prepared)> = Vec::new();
        for item in items {
            match item {
                Err(e) => errors.push(e),
                Ok((line, row)) => {
                    let field_of = |f: &str| {
                        match f {
                            "started_at" => "start",
                            "expected_restore_at" => "expected_restore",
                            "restored_at" => "restored",
                            "repaired_at" => "repaired",
                            other => other,
                        }
                        .to_string()
                    };
                    match self.prepare_outage(row.into(), now).await {
                        Ok(p) => prepared.push((line, p)),
                        Err(ServiceError::Invalid { field, message }) => errors.push(RowError {
                            line,
                            code: if message.starts_with("no such") {
                                "unknown_reference"
                            } else {
                                "invalid_value"
                            },
                            field: Some(field_of(&field)),
                            message,
                        }),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ServiceError::Import(errors));
        }
        let mut tx = self.store.begin().await?;
        let mut report = OutageImportReport {
            registered: 0,
            replayed: 0,
            notices: 0,
            care_tasks: 0,
        };
        let mut ids = Vec::new();
        for (_, p) in &prepared {
            if let Some(r) = &p.external_ref
                && self
                    .store
                    .outage_by_external_ref(&mut tx, r)
                    .await?
                    .is_some()
            {
                report.replayed += 1;
                continue;
            }
            let w = self.register_in(&mut tx, by, p, "import", now).await?;
            report.registered += 1;
            report.notices += w.notices;
            report.care_tasks += w.care_tasks;
            ids.push(w.id);
        }
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::OutagesImported(trace::OutagesImported {
                registered: report.registered as i64,
                replayed: report.replayed as i64,
                outage_ids: ids.clone(),
            }),
        )
        .await?;
        commit(tx).await?;
        let station = prepared.first().map(|(_, p)| p.station_id);
        self.after_outage_change(0, TraceKind::OutagesImported, station, now)
            .await;
        Ok(report)
    }

    // ---- restoration and repair ----

    /// Opens the transaction that records that outage `id` reached `end` at `at`, with the
    /// outage and the time now, once `outage::check_end` accepts the report; `None` when the
    /// report repeats the time recorded (nothing to write).
    async fn begin_end(
        &self,
        id: i64,
        end: OutageEnd,
        at: Millis,
    ) -> Result<Option<(Tx, OutageRow, Millis)>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let o = self
            .store
            .outage_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "outage" })?;
        let recorded = match end {
            OutageEnd::Restored => o.restored_at,
            OutageEnd::Repaired => o.repaired_at,
        };
        let report = outage::check_end(end, o.started_at, recorded, at, now + CLOCK_SKEW_MS)
            .map_err(|e| match e {
                EndRefused::Recorded { field } => ServiceError::Conflict {
                    field: field.into(),
                },
                EndRefused::Invalid(e) => ServiceError::invalid(e.field, e.message),
            })?;
        Ok(match report {
            EndReport::Repeated => None,
            EndReport::Record => Some((tx, o, now)),
        })
    }

    /// Supply is back (restore first: the repair may come later). Queues the restoration
    /// notice to every affected customer, notes it on the open repair orders linked to the
    /// outage, and raises follow-up care tasks when the outage was long. Repeating the same
    /// restoration is a no-op; another time is a conflict.
    pub async fn restore_outage(&self, by: &Actor, id: i64, at: Millis) -> Result<OutageView> {
        let Some((mut tx, o, now)) = self.begin_end(id, OutageEnd::Restored, at).await? else {
            return self.outage(id).await;
        };
        self.store.set_outage_restored(&mut tx, id, at, now).await?;
        let areas = self.store.outage_area_ids(id).await?;
        let scope = self.outage_scope(&o).await?;
        let rest = notice_rest(serde_json::json!({
            "outage_id": id,
            "outage_kind": o.kind,
            "scope": scope,
            "restored_local": outage::local_time(at),
        }));
        let notices = self
            .store
            .queue_area_notices(
                &mut tx,
                now,
                now,
                TraceKind::OutageRestored.code(),
                &areas,
                None,
                &rest,
            )
            .await?;
        let long = outage::is_long(
            o.started_at,
            Some(at),
            now,
            self.long_outage_ms(o.station_id),
        );
        let follow_ups = if long {
            self.store
                .raise_care_tasks(&mut tx, id, CareTaskKind::FollowUp.code(), now, &areas, now)
                .await?
        } else {
            0
        };
        let linked = self
            .store
            .trace_linked_orders(
                &mut tx,
                id,
                now,
                by.user_id,
                &by.name,
                &TraceEvent::OutageRestored(trace::OutageRestored {
                    outage_id: id,
                    restored_at: Some(at),
                    note: Some("停电已恢复送电".into()),
                    ..Default::default()
                }),
            )
            .await?;
        let restored = trace::OutageRestored {
            outage_id: id,
            kind: Some(o.kind),
            feeder_id: o.feeder_id,
            area_id: o.area_id,
            restored_at: Some(at),
            minutes: Some((at - o.started_at) / MINUTE_MS),
            repaired_at: o.repaired_at,
            affected_customers: Some(o.affected_customers),
            notices: Some(notices as i64),
            follow_up_tasks: Some(follow_ups as i64),
            long: Some(long),
            linked_open_orders: Some(linked as i64),
            note: None,
        };
        self.store
            .insert_traces(
                &mut tx,
                &[outage_trace(
                    &o,
                    by,
                    now,
                    TraceEvent::OutageRestored(restored),
                )],
            )
            .await?;
        commit(tx).await?;
        self.after_outage_change(id, TraceKind::OutageRestored, Some(o.station_id), now)
            .await;
        self.outage(id).await
    }

    /// The fault is repaired. Kept apart from restoration: supply may have come back
    /// earlier by switching or a generator truck. Repeating the same time is a no-op.
    pub async fn mark_repaired(&self, by: &Actor, id: i64, at: Millis) -> Result<OutageView> {
        let Some((mut tx, o, now)) = self.begin_end(id, OutageEnd::Repaired, at).await? else {
            return self.outage(id).await;
        };
        self.store.set_outage_repaired(&mut tx, id, at, now).await?;
        self.store
            .insert_traces(
                &mut tx,
                &[outage_trace(
                    &o,
                    by,
                    now,
                    TraceEvent::OutageRepaired(trace::OutageRepaired {
                        outage_id: id,
                        repaired_at: at,
                        restored_at: o.restored_at,
                        restored_first: o.restored_at.is_some_and(|r| r <= at),
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::OutageRepaired,
            order_id: None,
            customer_id: None,
            station_id: Some(o.station_id),
            at: now,
        });
        self.outage(id).await
    }

    /// Moves the expected restoration of an unrestored outage (the dispatch system's new
    /// estimate). Linked repair orders keep the time they were given.
    pub async fn set_expected_restore(
        &self,
        by: &Actor,
        id: i64,
        at: Millis,
    ) -> Result<OutageView> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let o = self
            .store
            .outage_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "outage" })?;
        if o.restored_at.is_some() {
            return Err(ServiceError::invalid(
                "expected_restore_at",
                "the outage is restored",
            ));
        }
        if at <= o.started_at {
            return Err(ServiceError::invalid(
                "expected_restore_at",
                "must be after the start",
            ));
        }
        self.store.set_outage_expected(&mut tx, id, at, now).await?;
        self.store
            .insert_traces(
                &mut tx,
                &[outage_trace(
                    &o,
                    by,
                    now,
                    TraceEvent::OutageExpectedChanged(trace::OutageExpectedChanged {
                        outage_id: id,
                        from: o.expected_restore_at,
                        to: at,
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        self.after_outage_change(
            id,
            TraceKind::OutageExpectedChanged,
            Some(o.station_id),
            now,
        )
        .await;
        self.outage(id).await
    }

    async fn outage_scope(&self, o: &OutageRow) -> Result<String> {
        if let Some(a) = o.area_id {
            return Ok(self
                .store
                .area(a)
                .await?
                .map(|a| a.name)
                .unwrap_or_default());
        }
        let feeders = self.store.feeders(Some(o.station_id)).await?;
        Ok(feeders
            .into_iter()
            .find(|f| Some(f.id) == o.feeder_id)
            .map(|f| f.name)
            .unwrap_or_default())
    }

    // ---- care during outages ----

    /// Raises `check_during` care tasks for the care households of every outage that has run
    /// longer than its station's long-outage threshold at `now` (8 h by default). A task is
    /// raised once per household and outage, so the tick can run as often as wanted.
    pub async fn care_tick(&self, now: Millis) -> Result<CareTick> {
        let running = self.store.running_outages(now).await?;
        let long: Vec<&OutageRow> = running
            .iter()
            .filter(|o| outage::is_long(o.started_at, None, now, self.long_outage_ms(o.station_id)))
            .collect();
        let mut tick = CareTick {
            long_outages: long.len(),
            tasks_raised: 0,
        };
        if long.is_empty() {
            return Ok(tick);
        }
        let system = Actor::system();
        let mut tx = self.store.begin().await?;
        let mut traces = Vec::new();
        for o in long {
            let areas = self.store.outage_area_ids(o.id).await?;
            let n = self
                .store
                .raise_care_tasks(
                    &mut tx,
                    o.id,
                    CareTaskKind::CheckDuring.code(),
                    now,
                    &areas,
                    now,
                )
                .await?;
            if n > 0 {
                tick.tasks_raised += n;
                traces.push(outage_trace(
                    o,
                    &system,
                    now,
                    TraceEvent::CareTasksRaised(trace::CareTasksRaised {
                        outage_id: o.id,
                        kind: CareTaskKind::CheckDuring,
                        count: n as i64,
                        hours: (now - o.started_at) / HOUR_MS,
                    }),
                ));
            }
        }
        self.store.insert_traces(&mut tx, &traces).await?;
        commit(tx).await?;
        Ok(tick)
    }

    // ---- reading ----

    /// One outage with the areas it covers.
    pub async fn outage(&self, id: i64) -> Result<OutageView> {
        let r = self
            .store
            .outage(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "outage" })?;
        let mut v = self.outage_view(r);
        v.area_ids = self.store.outage_area_ids(id).await?;
        Ok(v)
    }

    /// Outages in one state (active, planned, recent), paged, with the total.
    pub async fn outages_list(
        &self,
        state: OutageState,
        station_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<OutageView>, i64)> {
        let (rows, total) = self
            .store
            .outage_list(&OutageFilter {
                state,
                station_id,
                now: self.now(),
                limit,
                offset,
            })
            .await?;
        Ok((
            rows.into_iter().map(|r| self.outage_view(r)).collect(),
            total,
        ))
    }

    fn outage_view(&self, record: OutageRecord) -> OutageView {
        let now = self.now();
        let o = &record.outage;
        let active = outage::is_active_at(o.started_at, o.restored_at, now);
        let long = outage::is_long(
            o.started_at,
            o.restored_at,
            now,
            self.long_outage_ms(o.station_id),
        );
        let duration_ms = if o.started_at > now {
            0
        } else {
            outage::duration(o.started_at, o.restored_at, now)
        };
        let repair_after_restore_ms = match (o.restored_at, o.repaired_at) {
            (Some(r), Some(p)) => Some(p - r),
            _ => None,
        };
        OutageView {
            record: record.into(),
            area_ids: Vec::new(),
            active,
            long,
            duration_ms,
            repair_after_restore_ms,
        }
    }

    /// The outage covering a transformer area at `at` (started, not restored by then), read
    /// from the database: for the desk and the IVR's "a known outage in your area" message.
    /// Intake uses the in-memory look-up instead.
    pub async fn active_outage_for_area(
        &self,
        area_id: i64,
        at: Millis,
    ) -> Result<Option<OutageRow>> {
        Ok(self.store.active_outage_for_area(area_id, at).await?)
    }

    /// The outage an order was linked to at intake, if any.
    pub async fn outage_of_order(&self, order_id: i64) -> Result<Option<i64>> {
        Ok(self.store.outage_of_order(order_id).await?)
    }

    /// The repair orders linked to an outage, by id.
    pub async fn orders_of_outage(&self, outage_id: i64) -> Result<Vec<i64>> {
        Ok(self.store.orders_of_outage(outage_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voltdesk_domain::OrderStatus;

    fn cover(outage_id: i64, started_at: Millis, expected: Option<Millis>) -> AreaCover {
        AreaCover {
            area_id: 7,
            outage_id,
            started_at,
            expected_restore_at: expected,
        }
    }

    #[test]
    fn the_latest_started_outage_covers() {
        let covers = [
            cover(1, 100, None),
            cover(2, 300, Some(900)),
            cover(3, 200, None),
        ];
        assert_eq!(cover_at(&covers, 50), None, "nothing started yet");
        assert_eq!(cover_at(&covers, 150).map(|c| c.outage_id), Some(1));
        assert_eq!(cover_at(&covers, 250).map(|c| c.outage_id), Some(3));
        assert_eq!(cover_at(&covers, 300).map(|c| c.outage_id), Some(2));
        assert_eq!(cover_at(&[], 300), None);
    }

    fn repair_order(t: OrderType) -> OrderRow {
        OrderRow {
            id: 1,
            station_id: 1,
            area_id: Some(7),
            customer_id: Some(1),
            order_type: t,
            title: "停电".into(),
            policy_id: "sgcc".into(),
            policy_version: "1".into(),
            created_at: 1000,
            updated_at: 1000,
            next_due_at: Some(1000 + 45 * MINUTE_MS),
            ..crate::orders::blank_order()
        }
    }

    fn arrive_clock() -> ClockRow {
        let plan = voltdesk_domain::clock::ClockPlan {
            kind: ClockKind::Arrive,
            started_at: 1000,
            due_at: 1000 + 45 * MINUTE_MS,
            warn_at: 1000 + 36 * MINUTE_MS,
            limit: voltdesk_domain::policy::Limit::Minutes(45),
        };
        let source = String::new();
        crate::orders::clock_row(1, 0, voltdesk_domain::clock::PlannedClock { plan, source })
    }

    #[test]
    fn a_repair_call_joins_the_outage_without_a_crew_clock() {
        let mut o = repair_order(OrderType::Repair);
        let mut clocks = vec![arrive_clock()];
        let c = join_outage(Some(cover(5, 0, Some(50_000))), &mut o, &mut clocks);
        assert_eq!(c.map(|c| c.outage_id), Some(5));
        assert!(clocks.is_empty(), "no arrive clock: no crew is sent");
        assert_eq!(
            o.next_due_at,
            Some(50_000),
            "the outage's expected restoration"
        );
        assert_eq!(o.status, OrderStatus::Accepted);
    }

    #[test]
    fn other_orders_and_quiet_areas_are_untouched() {
        let mut o = repair_order(OrderType::Complaint);
        let mut clocks = vec![arrive_clock()];
        assert_eq!(
            join_outage(Some(cover(5, 0, None)), &mut o, &mut clocks),
            None
        );
        assert_eq!(clocks.len(), 1);
        let mut o = repair_order(OrderType::Repair);
        assert_eq!(join_outage(None, &mut o, &mut clocks), None);
        assert_eq!(o.next_due_at, Some(1000 + 45 * MINUTE_MS));
    }

    #[test]
    fn notice_payload_rest_joins_the_customer_id() {
        let rest = notice_rest(serde_json::json!({"outage_id": 3, "scope": "东一线"}));
        let full = format!("{{\"customer_id\":42,{rest}");
        let v: serde_json::Value = serde_json::from_str(&full).unwrap();
        assert_eq!(v["customer_id"], 42);
        assert_eq!(v["scope"], "东一线");
    }
}
