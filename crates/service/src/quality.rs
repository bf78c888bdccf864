//! Quality of supply: voltage readings of the transformer areas (by API or CSV import) with
//! their GB/T 12325 verdicts and pass rates, and the reliability indices of a feeder or
//! station (IEEE 1366 with major event days, DL/T 836 RS-1/RS-3) with monthly series for
//! the charts.
//!
//! Recording is all-or-nothing: every reading is checked (area known, values plausible, not
//! already recorded) before anything is written; a batch with a bad line is rejected with
//! every bad line named. Each out-of-limit reading writes a `voltage.violation` trace event
//! (`area_id`, `area_code`, `level`, `volts`, `verdict`, `reading_at`, `minutes`, `low`,
//! `high`) for the early-warning rules; the batch itself is traced as `voltage.recorded`.
//!
//! Reliability choices (see `voltdesk_domain::reliability` for the formulas):
//! - N_T is the customers registered today in the scope's transformer areas (the register
//!   keeps no history), used for the whole period and for the MED history;
//! - an interruption is an outage row: Nᵢ its `affected_customers`, rᵢ from start to
//!   restoration (until now when not restored), counted on the Beijing day it began;
//!   outages longer than 5 minutes are sustained, the others momentary events;
//! - a feeder's interruptions are the outages of the feeder and of its areas; a station's,
//!   the outages recorded under it; an outage's footprint (for CAIFI) is its area, or every
//!   area of its feeder (or of its station when it names neither);
//! - T is the period from the first day's start to the last day's end, cut at now;
//! - T_MED comes from the daily SAIDI of the five years before the period (IEEE 1366: the
//!   threshold of a reporting period is set from the five years before it); with no such
//!   history there are no major event days, and the report says how many days it used;
//! - supply-shortage outages (RS-3) are those whose cause says 限电, 缺电 or 有序用电.

use crate::*;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use voltdesk_domain::import::{RowError, code};
use voltdesk_domain::reliability::{self, Indices, Interruption, MedThreshold, Sigma};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::voltage::{self, PassTally, Reading, Violation, VoltageLevel};
use voltdesk_domain::{DAY_MS, HOUR_MS};
use voltdesk_store::{NewVoltageReading, OutageScope, VoltageFilter};

/// Beijing is UTC+8 all year: a local day is `(at + 8 h) / 24 h`.
const UTC8_MS: i64 = 8 * HOUR_MS;
/// The longest period a report covers.
const MAX_DAYS: i64 = 5 * 366;

/// When a reading was taken: epoch milliseconds, or Beijing time `YYYY-MM-DD HH:MM`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReadingTime {
    Millis(i64),
    Local(String),
}

/// One reading as the API takes it: the area by id or code.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingInput {
    #[serde(default)]
    pub area_id: Option<i64>,
    #[serde(default)]
    pub area_code: Option<String>,
    pub level: VoltageLevel,
    pub at: ReadingTime,
    pub volts: f64,
    pub minutes: f64,
}

/// What a batch of readings did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoltageRecorded {
    pub recorded: usize,
    /// Readings out of limits (each traced as `voltage.violation`).
    pub violations: usize,
    pub above: usize,
    pub below: usize,
}

/// A reading ready to check against the store: the line (or 1-based position) it came from.
struct Pending {
    line: u64,
    area_id: i64,
    level: VoltageLevel,
    at: Millis,
    volts: f64,
    minutes: f64,
}

/// `yyyymm` of an instant in Beijing.
fn month_of(at: Millis) -> i64 {
    let d = local_date(at);
    d.year() as i64 * 100 + d.month() as i64
}

fn month_label(m: i64) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// The default range of the quality reports: twelve calendar months up to `today`.
pub fn quality_default_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let mut from = month_start(today);
    for _ in 0..11 {
        from = month_start(from.pred_opt().unwrap_or(from));
    }
    (from, today)
}

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if from > to {
        return Err(ServiceError::invalid(
            "from",
            "the range starts after it ends",
        ));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(ServiceError::invalid(
            "from",
            format!("a range is at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

// ---- voltage ----

/// What a pass-rate query covers; dates are Beijing days, both included.
#[derive(Debug, Clone, Default)]
pub struct PassRateQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub area_id: Option<i64>,
    pub station_id: Option<i64>,
    pub feeder_id: Option<i64>,
}

/// The voltage pass rate of one area in one month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaPassRate {
    pub area_id: i64,
    pub area_code: String,
    pub area: String,
    pub station_id: i64,
    /// `yyyy-mm`.
    pub month: String,
    pub monitored_minutes: f64,
    pub above_minutes: f64,
    pub below_minutes: f64,
    /// 1 − (above + below) / monitored.
    pub pass_rate: Option<f64>,
    pub readings: i64,
    pub violations: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassRates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By area, then month.
    pub items: Vec<AreaPassRate>,
    /// Every area of the query together.
    pub total: PassTally,
    pub pass_rate: Option<f64>,
}

impl Service {
    /// Records readings given by the API; an item's "line" in errors is its 1-based
    /// position in the array.
    pub async fn record_voltage(
        &self,
        by: &Actor,
        items: Vec<ReadingInput>,
    ) -> Result<VoltageRecorded> {
        let codes = self.area_codes();
        let mut errors = Vec::new();
        let mut pending = Vec::with_capacity(items.len());
        for (i, it) in items.into_iter().enumerate() {
            let line = i as u64 + 1;
            let bad = |field: &str, code: &'static str, message: String| RowError {
                line,
                field: Some(field.to_string()),
                code,
                message,
            };
            let area_id = match (it.area_id, it.area_code.as_deref()) {
                (Some(id), _) => {
                    if !self
                        .org
                        .read()
                        .expect("org cache lock")
                        .areas
                        .contains_key(&id)
                    {
                        errors.push(bad(
                            "area_id",
                            "unknown_reference",
                            format!("no transformer area {id}"),
                        ));
                        continue;
                    }
                    id
                }
                (None, Some(c)) => match codes.get(c.trim()) {
                    Some(id) => *id,
                    None => {
                        errors.push(bad(
                            "area_code",
                            "unknown_reference",
                            format!("no transformer area `{c}`"),
                        ));
                        continue;
                    }
                },
                (None, None) => {
                    errors.push(bad(
                        "area_id",
                        code::MISSING_FIELD,
                        "give area_id or area_code".into(),
                    ));
                    continue;
                }
            };
            let at = match &it.at {
                ReadingTime::Millis(ms) => *ms,
                ReadingTime::Local(s) => match voltage::parse_local_time(s) {
                    Some(ms) => ms,
                    None => {
                        errors.push(bad(
                            "at",
                            code::INVALID_VALUE,
                            format!("`{s}` is not a time like 2026-11-20 14:05"),
                        ));
                        continue;
                    }
                },
            };
            if let Err((field, message)) = voltage::validate(it.level, it.volts, it.minutes) {
                errors.push(bad(field, code::INVALID_VALUE, message));
                continue;
            }
            pending.push(Pending {
                line,
                area_id,
                level: it.level,
                at,
                volts: it.volts,
                minutes: it.minutes,
            });
        }
        self.store_readings(by, pending, errors, "api").await
    }

    /// Imports a readings file (`area_code,level,at,volts,minutes`, UTF-8 or GBK): all or
    /// nothing, every bad line named.
    pub async fn import_voltage(&self, by: &Actor, text: &str) -> Result<VoltageRecorded> {
        let rows = voltage::reading_rows(text).map_err(|e| ServiceError::Import(vec![e]))?;
        let codes = self.area_codes();
        let mut errors = Vec::new();
        let mut pending = Vec::with_capacity(rows.len());
        for r in rows {
            match r {
                Err(e) => errors.push(e),
                Ok((line, row)) => match codes.get(&row.area_code) {
                    None => errors.push(RowError {
                        line,
                        field: Some("area_code".into()),
                        code: "unknown_reference",
                        message: format!("no transformer area `{}`", row.area_code),
                    }),
                    Some(area_id) => pending.push(Pending {
                        line,
                        area_id: *area_id,
                        level: row.level,
                        at: row.at,
                        volts: row.volts,
                        minutes: row.minutes,
                    }),
                },
            }
        }
        self.store_readings(by, pending, errors, "import").await
    }

    fn area_codes(&self) -> HashMap<String, i64> {
        self.org
            .read()
            .expect("org cache lock")
            .areas
            .values()
            .map(|a| (a.code.clone(), a.id))
            .collect()
    }

    async fn store_readings(
        &self,
        by: &Actor,
        pending: Vec<Pending>,
        mut errors: Vec<RowError>,
        source: &str,
    ) -> Result<VoltageRecorded> {
        // The same area, level and instant twice in one batch.
        let mut seen: HashMap<(i64, VoltageLevel, Millis), u64> = HashMap::new();
        for p in &pending {
            if let Some(first) = seen.insert((p.area_id, p.level, p.at), p.line) {
                errors.push(RowError {
                    line: p.line,
                    field: Some("at".into()),
                    code: code::DUPLICATE_KEY,
                    message: format!("the same area, level and time as line {first}"),
                });
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ServiceError::Import(errors));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let (Some(lo), Some(hi)) = (
            pending.iter().map(|p| p.at).min(),
            pending.iter().map(|p| p.at).max(),
        ) {
            let areas: Vec<i64> = pending
                .iter()
                .map(|p| p.area_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let stored: HashSet<(i64, String, Millis)> = self
                .store
                .voltage_reading_keys(&mut tx, &areas, lo, hi)
                .await?
                .into_iter()
                .collect();
            for p in &pending {
                if stored.contains(&(p.area_id, p.level.code().to_string(), p.at)) {
                    errors.push(RowError {
                        line: p.line,
                        field: Some("at".into()),
                        code: code::DUPLICATE_KEY,
                        message: format!(
                            "a {} reading of this area at {} is already recorded",
                            p.level.code(),
                            crate::quality::local_minute(p.at)
                        ),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Import(errors));
        }
        let org = self.org.read().expect("org cache lock").areas.clone();
        let mut rows = Vec::with_capacity(pending.len());
        let mut traces = Vec::new();
        let (mut above, mut below) = (0, 0);
        for p in &pending {
            let verdict = voltage::check(&Reading {
                level: p.level,
                volts: p.volts,
                minutes: p.minutes,
            });
            match verdict {
                Violation::Above => above += 1,
                Violation::Below => below += 1,
                Violation::Ok => {}
            }
            if verdict.is_violation() {
                let area = org.get(&p.area_id);
                let limits = p.level.limits();
                traces.push(voltdesk_store::NewTrace {
                    at: now,
                    station_id: area.map(|a| a.station_id),
                    customer_id: None,
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    event: TraceEvent::VoltageViolation(trace::VoltageViolation {
                        area_id: p.area_id,
                        area_code: area.map(|a| a.code.clone()),
                        level: p.level.code().to_string(),
                        volts: p.volts,
                        verdict: verdict.code().to_string(),
                        reading_at: p.at,
                        minutes: p.minutes,
                        low: limits.low,
                        high: limits.high,
                    }),
                });
            }
            rows.push(NewVoltageReading {
                area_id: p.area_id,
                level: p.level.code().to_string(),
                at: p.at,
                volts: p.volts,
                minutes: p.minutes,
                month: month_of(p.at),
                verdict: verdict.code().to_string(),
            });
        }
        self.store
            .insert_voltage_readings(&mut tx, &rows, now)
            .await?;
        self.store.insert_traces(&mut tx, &traces).await?;
        let report = VoltageRecorded {
            recorded: rows.len(),
            violations: above + below,
            above,
            below,
        };
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::VoltageRecorded(trace::VoltageRecorded {
                source: source.to_string(),
                readings: report.recorded as i64,
                violations: report.violations as i64,
            }),
        )
        .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::VoltageRecorded,
            order_id: None,
            customer_id: None,
            station_id: by.station_id,
            at: now,
        });
        Ok(report)
    }

    /// Voltage pass rates per area and month over a range of days (default: twelve months
    /// up to today).
    pub async fn voltage_pass_rates(&self, q: &PassRateQuery) -> Result<PassRates> {
        let today = local_date(self.now());
        let (dfrom, dto) = quality_default_range(today);
        let to = q.to.unwrap_or(dto);
        let from = q.from.unwrap_or(if q.to.is_some() {
            quality_default_range(to).0
        } else {
            dfrom
        });
        check_range(from, to)?;
        let rows = self
            .store
            .voltage_pass_rates(
                VoltageFilter {
                    area_id: q.area_id,
                    station_id: q.station_id,
                    feeder_id: q.feeder_id,
                },
                day_start(from),
                day_start(to.succ_opt().unwrap_or(to)),
            )
            .await?;
        let areas = self.org.read().expect("org cache lock").areas.clone();
        let mut total = PassTally::default();
        let items = rows
            .into_iter()
            .map(|r| {
                let t = PassTally {
                    monitored: r.minutes,
                    above: r.above,
                    below: r.below,
                };
                total.merge(&t);
                let a = areas.get(&r.area_id);
                AreaPassRate {
                    area_id: r.area_id,
                    area_code: a.map(|a| a.code.clone()).unwrap_or_default(),
                    area: a.map(|a| a.name.clone()).unwrap_or_default(),
                    station_id: a.map(|a| a.station_id).unwrap_or_default(),
                    month: month_label(r.month),
                    monitored_minutes: r.minutes,
                    above_minutes: r.above,
                    below_minutes: r.below,
                    pass_rate: t.rate(),
                    readings: r.readings,
                    violations: r.violations,
                }
            })
            .collect();
        Ok(PassRates {
            from,
            to,
            items,
            pass_rate: total.rate(),
            total,
        })
    }

    /// Out-of-limit readings of an area taken at or after `since`.
    pub async fn voltage_violations(&self, area_id: i64, since: Millis) -> Result<i64> {
        Ok(self.store.voltage_violations(area_id, since).await?)
    }
}

/// Beijing wall time of an instant, to the minute.
pub(crate) fn local_minute(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

// ---- reliability ----

/// What a reliability report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ReliabilityScope {
    All,
    Station(i64),
    Feeder(i64),
}

/// A major event day found in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MedDay {
    pub date: NaiveDate,
    /// SAIDI of the day, minutes.
    pub saidi: f64,
    /// Interruptions (sustained and momentary) that began that day.
    pub interruptions: usize,
}

/// One month of the period, for the charts. Indices are none without customers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthPoint {
    /// `yyyy-mm`.
    pub month: String,
    /// Start of the month (or of the period) in seconds, for time axes.
    pub start: i64,
    pub saifi: Option<f64>,
    pub saidi: Option<f64>,
    pub saifi_excluding_med: Option<f64>,
    pub saidi_excluding_med: Option<f64>,
    pub maifi_e: Option<f64>,
    pub voltage_pass_rate: Option<f64>,
    pub voltage_minutes: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReliabilityReport {
    pub scope: ReliabilityScope,
    pub scope_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// T: from the first day's start to the last day's end, cut at now.
    pub period_hours: f64,
    /// N_T.
    pub customers: i64,
    pub sigma: Sigma,
    /// Interruptions up to this long are momentary.
    pub momentary_max_minutes: f64,
    /// Every interruption; none without customers or period.
    pub all: Option<Indices>,
    /// Interruptions on major event days left out.
    pub excluding_med: Option<Indices>,
    /// T_MED and how it was found; none with too little history.
    pub med: Option<MedThreshold>,
    /// The history T_MED was computed from: the five years before the period.
    pub med_history_from: NaiveDate,
    pub med_history_to: NaiveDate,
    pub med_days: Vec<MedDay>,
    /// DL/T 836 RS-1 and RS-3 of every interruption, percent.
    pub rs1: Option<f64>,
    pub rs3: Option<f64>,
    /// Voltage pass rate of the scope's areas over the period.
    pub voltage_pass_rate: Option<f64>,
    pub months: Vec<MonthPoint>,
}

/// The local day key of an instant: days since the epoch in Beijing.
fn day_key(at: Millis) -> i64 {
    (at + UTC8_MS).div_euclid(DAY_MS)
}

fn date_of_key(k: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(k * 86_400, 0)
        .unwrap_or_default()
        .date_naive()
}

impl Service {
    /// The reliability indices of a scope over the days [from, to] (Beijing), with and
    /// without major event days found by the 2.5β method with the given σ convention.
    pub async fn reliability(
        &self,
        scope: ReliabilityScope,
        from: NaiveDate,
        to: NaiveDate,
        sigma: Sigma,
    ) -> Result<ReliabilityReport> {
        check_range(from, to)?;
        let now = self.now();
        let (scope_name, areas, all_areas) = self.scope_areas(scope).await?;
        let per_area: HashMap<i64, i64> =
            self.store.customers_per_area().await?.into_iter().collect();
        let n_t: i64 = areas.iter().filter_map(|a| per_area.get(a)).sum();
        let start = day_start(from);
        let end = day_start(to.succ_opt().unwrap_or(to));
        let period_end = end.min(now).max(start);
        let store_scope = match scope {
            ReliabilityScope::All => OutageScope::All,
            ReliabilityScope::Station(id) => OutageScope::Station(id),
            ReliabilityScope::Feeder(id) => OutageScope::Feeder(id),
        };
        let momentary_max = reliability::MOMENTARY_MAX_MS;

        // The interruptions of the period, with their footprints.
        let rows = self.store.interruptions(store_scope, start, end).await?;
        let list: Vec<(Millis, Interruption)> = rows
            .iter()
            .map(|o| {
                let footprint = match (o.area_id, o.feeder_id) {
                    (Some(a), _) => vec![a],
                    (None, Some(f)) => all_areas
                        .iter()
                        .filter(|(_, (feeder, _))| *feeder == f)
                        .map(|(id, _)| *id)
                        .collect(),
                    (None, None) => all_areas
                        .iter()
                        .filter(|(_, (_, station))| *station == o.station_id)
                        .map(|(id, _)| *id)
                        .collect(),
                };
                let duration = o.restored_at.unwrap_or(now) - o.started_at;
                (
                    o.started_at,
                    Interruption::new(
                        day_key(o.started_at),
                        duration,
                        o.affected_customers,
                        momentary_max,
                    )
                    .with_areas(footprint)
                    .shortage(reliability::is_supply_shortage(&o.cause)),
                )
            })
            .collect();
        let interruptions: Vec<Interruption> = list.iter().map(|(_, i)| i.clone()).collect();

        // T_MED from the five years before the period.
        let history_from = from
            .with_year(from.year() - 5)
            .unwrap_or_else(|| from - chrono::Duration::days(5 * 365 + 1));
        let med = if n_t > 0 {
            let daily: Vec<f64> = self
                .store
                .daily_customer_ms(
                    store_scope,
                    day_start(history_from),
                    start,
                    now,
                    momentary_max,
                )
                .await?
                .into_iter()
                .map(|(_, cm)| cm as f64 / 60_000.0 / n_t as f64)
                .collect();
            reliability::med_threshold(&daily, sigma)
        } else {
            None
        };
        let assessment = reliability::assess(
            &interruptions,
            n_t,
            period_end - start,
            &per_area,
            med.as_ref(),
        );
        let med_keys: BTreeSet<i64> = assessment
            .as_ref()
            .map(|a| a.med_days.iter().map(|(d, _)| *d).collect())
            .unwrap_or_default();
        let med_days = assessment
            .as_ref()
            .map(|a| {
                a.med_days
                    .iter()
                    .map(|(d, s)| MedDay {
                        date: date_of_key(*d),
                        saidi: *s,
                        interruptions: interruptions.iter().filter(|i| i.day == *d).count(),
                    })
                    .collect()
            })
            .unwrap_or_default();

        // Voltage of the scope's areas, by month.
        let filter = match scope {
            ReliabilityScope::All => VoltageFilter::default(),
            ReliabilityScope::Station(id) => VoltageFilter {
                station_id: Some(id),
                ..VoltageFilter::default()
            },
            ReliabilityScope::Feeder(id) => VoltageFilter {
                feeder_id: Some(id),
                ..VoltageFilter::default()
            },
        };
        let mut voltage_by_month: BTreeMap<i64, PassTally> = BTreeMap::new();
        let mut voltage_total = PassTally::default();
        for r in self.store.voltage_pass_rates(filter, start, end).await? {
            let t = PassTally {
                monitored: r.minutes,
                above: r.above,
                below: r.below,
            };
            voltage_by_month.entry(r.month).or_default().merge(&t);
            voltage_total.merge(&t);
        }

        // The months of the period.
        let mut months = Vec::new();
        let mut m = month_start(from);
        while m <= to {
            let next = next_month(m);
            let lo = day_start(m).max(start);
            let hi = day_start(next).min(end);
            let in_month: Vec<Interruption> = list
                .iter()
                .filter(|(at, _)| *at >= lo && *at < hi)
                .map(|(_, i)| i.clone())
                .collect();
            let normal: Vec<Interruption> = in_month
                .iter()
                .filter(|i| !med_keys.contains(&i.day))
                .cloned()
                .collect();
            let t = hi.min(now).max(lo + 1) - lo;
            let x = reliability::indices(&in_month, n_t, t, &per_area);
            let y = reliability::indices(&normal, n_t, t, &per_area);
            let key = m.year() as i64 * 100 + m.month() as i64;
            let v = voltage_by_month.get(&key).copied().unwrap_or_default();
            months.push(MonthPoint {
                month: month_label(key),
                start: lo / 1000,
                saifi: x.map(|x| x.saifi),
                saidi: x.map(|x| x.saidi),
                saifi_excluding_med: y.map(|y| y.saifi),
                saidi_excluding_med: y.map(|y| y.saidi),
                maifi_e: x.map(|x| x.maifi_e),
                voltage_pass_rate: v.rate(),
                voltage_minutes: v.monitored,
            });
            m = next;
        }

        let all = assessment.as_ref().map(|a| a.all);
        Ok(ReliabilityReport {
            scope,
            scope_name,
            from,
            to,
            period_hours: (period_end - start) as f64 / HOUR_MS as f64,
            customers: n_t,
            sigma,
            momentary_max_minutes: momentary_max as f64 / 60_000.0,
            excluding_med: assessment.as_ref().map(|a| a.excluding_med),
            med,
            med_history_from: history_from,
            med_history_to: from.pred_opt().unwrap_or(from),
            med_days,
            rs1: all.map(|x| x.rs1),
            rs3: all.map(|x| x.rs3),
            all,
            voltage_pass_rate: voltage_total.rate(),
            months,
        })
    }

    /// The scope's name, its areas, and every area's (feeder, station).
    async fn scope_areas(
        &self,
        scope: ReliabilityScope,
    ) -> Result<(String, Vec<i64>, HashMap<i64, (i64, i64)>)> {
        let feeder_name = match scope {
            ReliabilityScope::Feeder(id) => Some(
                self.store
                    .feeders(None)
                    .await?
                    .into_iter()
                    .find(|f| f.id == id)
                    .map(|f| f.name)
                    .ok_or(ServiceError::NotFound { what: "feeder" })?,
            ),
            _ => None,
        };
        let org = self.org.read().expect("org cache lock");
        let all: HashMap<i64, (i64, i64)> = org
            .areas
            .values()
            .map(|a| (a.id, (a.feeder_id, a.station_id)))
            .collect();
        let (name, areas) = match scope {
            ReliabilityScope::All => (String::new(), all.keys().copied().collect()),
            ReliabilityScope::Station(id) => {
                let s = org
                    .stations
                    .get(&id)
                    .ok_or(ServiceError::NotFound { what: "station" })?;
                (
                    s.name.clone(),
                    all.iter()
                        .filter(|(_, (_, st))| *st == id)
                        .map(|(a, _)| *a)
                        .collect(),
                )
            }
            ReliabilityScope::Feeder(id) => (
                feeder_name.unwrap_or_default(),
                all.iter()
                    .filter(|(_, (f, _))| *f == id)
                    .map(|(a, _)| *a)
                    .collect(),
            ),
        };
        Ok((name, areas, all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_range_is_twelve_months() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let (from, to) = quality_default_range(today);
        assert_eq!(from, NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        assert_eq!(to, today);
    }

    #[test]
    fn days_and_months_in_beijing() {
        // 2026-01-31 17:00 UTC is 2026-02-01 01:00 in Beijing.
        let at = 1_769_878_800_000;
        assert_eq!(month_of(at), 202602);
        assert_eq!(
            date_of_key(day_key(at)),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(local_minute(at), "2026-02-01 01:00");
        assert_eq!(
            next_month(NaiveDate::from_ymd_opt(2026, 12, 9).unwrap()),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }
}
