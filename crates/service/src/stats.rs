//! The analyst's dashboard: volumes by type, channel and complaint class, deadline
//! compliance, satisfaction, complaints per 10,000 customers and the transformer areas with
//! most complaints, over a date range, for a station or a grid.
//!
//! Days that have ended are computed once into the statistics tables (`settle_stats`, run at
//! start-up and then every few minutes); the current day is computed live on each request
//! (cached for a few seconds), so the dashboard reads a few hundred rows a day whatever the
//! order volume.

use crate::*;
use chrono::{Datelike, NaiveDate, TimeZone};
use serde::Serialize;
use std::collections::BTreeMap;
use voltdesk_domain::OrderType;
use voltdesk_store::{AreaDayStat, DayCounts, DayStat, StatsScope};

/// Days are cut at midnight in China.
const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
/// How long the live figures of today are reused.
const TODAY_TTL_MS: i64 = 10_000;

/// `yyyymmdd` of a date.
pub fn day_number(d: NaiveDate) -> i64 {
    d.year() as i64 * 10_000 + d.month() as i64 * 100 + d.day() as i64
}

pub fn day_of_number(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        (n / 10_000) as i32,
        (n / 100 % 100) as u32,
        (n % 100) as u32,
    )
}

/// The local date of an instant.
pub fn local_date(at: Millis) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap_or_default()
        .with_timezone(&TZ)
        .date_naive()
}

/// The instant a local date starts.
pub fn day_start(d: NaiveDate) -> Millis {
    TZ.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

/// (from, to, station, grid, last settled day)
type RangeKey = (i64, i64, Option<i64>, Option<i64>, Option<i64>);

#[derive(Default)]
pub(crate) struct StatsCache {
    today: Option<(Millis, i64, Vec<DayStat>, Vec<AreaDayStat>)>,
    /// One computation of today at a time; requests in between read the last copy.
    today_gate: Arc<tokio::sync::Mutex<()>>,
    refreshing: bool,
    /// Settled figures of recent ranges, valid while no further day is settled: settled
    /// days never change, so a range asked again is not summed again.
    ranges: HashMap<RangeKey, (Vec<DayStat>, Vec<AreaDayStat>)>,
    customers: Option<(Millis, HashMap<i64, i64>)>,
}

#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub station_id: Option<i64>,
    pub grid_id: Option<i64>,
}

/// One named series of daily values.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub code: String,
    pub values: Vec<i64>,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaComplaints {
    pub area_id: i64,
    pub area: String,
    pub grid_id: i64,
    pub orders: i64,
    pub complaints: i64,
    pub customers: i64,
    /// Complaints per 10,000 customers of the area.
    pub per_10k: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The days of the range, as `yyyy-mm-dd`.
    pub days: Vec<String>,
    /// Day starts in seconds, for time axes.
    pub day_starts: Vec<i64>,
    pub by_type: Vec<Series>,
    pub by_channel: Vec<Series>,
    pub by_class: Vec<Series>,
    pub totals: DayCountsView,
    pub created_per_day: Vec<i64>,
    /// Share of closed orders closed within their deadlines, per day (None: nothing closed).
    pub on_time_share: Vec<Option<f64>>,
    pub satisfied_share: Vec<Option<f64>>,
    pub complaints: i64,
    pub customers: i64,
    pub complaints_per_10k: f64,
    pub top_areas: Vec<AreaComplaints>,
    /// The last settled day; later days come from the live computation.
    pub settled_through: Option<String>,
    /// Per day: whether its figures are counted yet (settled, or today's live figures). A day
    /// after the last settled one and before today is not, and draws as a gap, not as zero.
    pub counted: Vec<bool>,
    /// Today, when the range ends today: its figures are the day so far.
    pub partial_day: Option<String>,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Service {
    /// Computes and stores every ended day not yet settled, from the first order on. Returns
    /// the number of days computed.
    pub async fn settle_stats(&self) -> Result<usize> {
        let Some(first) = self.store.first_order_at().await? else {
            return Ok(0);
        };
        let today = local_date(self.now());
        let settled: std::collections::HashSet<i64> =
            self.store.settled_days().await?.into_iter().collect();
        let mut day = local_date(first);
        let mut pending = (Vec::new(), Vec::new(), Vec::new());
        let mut count = 0;
        while day < today {
            let n = day_number(day);
            let next = day.succ_opt().unwrap_or(day);
            if !settled.contains(&n) {
                let (s, a) = self
                    .store
                    .compute_day(n, day_start(day), day_start(next))
                    .await?;
                pending.0.push(n);
                pending.1.extend(s);
                pending.2.extend(a);
                count += 1;
                if pending.0.len() >= 31 {
                    self.store
                        .save_days(&pending.0, &pending.1, &pending.2, self.now())
                        .await?;
                    pending = (Vec::new(), Vec::new(), Vec::new());
                }
            }
            day = next;
        }
        if !pending.0.is_empty() {
            self.store
                .save_days(&pending.0, &pending.1, &pending.2, self.now())
                .await?;
        }
        Ok(count)
    }

    /// Settles the statistics now and then every `every`, until the process ends.
    pub async fn run_stats(self, every: std::time::Duration) {
        loop {
            if let Err(e) = self.settle_stats().await {
                tracing::warn!(error = %e, "settling the daily statistics failed");
            }
            if let Err(e) = self.count_customers_per_area().await {
                tracing::warn!(error = %e, "counting customers per area failed");
            }
            if let Err(e) = self.compute_today().await {
                tracing::warn!(error = %e, "computing today's statistics failed");
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Today's figures. A copy older than `TODAY_TTL_MS` is still answered while one
    /// background task computes the next, so no request waits for today's orders to be
    /// counted once the first copy exists, and concurrent requests never count them twice.
    async fn today_stats(&self) -> Result<(i64, Vec<DayStat>, Vec<AreaDayStat>)> {
        let now = self.now();
        let n = day_number(local_date(now));
        let gate = {
            let mut c = self.stats.lock().expect("stats lock");
            if let Some((at, d, s, a)) = &c.today
                && *d == n
            {
                let copy = (n, s.clone(), a.clone());
                if now - at >= TODAY_TTL_MS && !c.refreshing {
                    c.refreshing = true;
                    let svc = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = svc.compute_today().await {
                            tracing::warn!(error = %e, "computing today's statistics failed");
                        }
                        svc.stats.lock().expect("stats lock").refreshing = false;
                    });
                }
                return Ok(copy);
            }
            c.today_gate.clone()
        };
        // No copy of today yet: the first request computes it, the others wait for it.
        let _held = gate.lock().await;
        if let Some((_, d, s, a)) = &self.stats.lock().expect("stats lock").today
            && *d == n
        {
            return Ok((n, s.clone(), a.clone()));
        }
        self.compute_today().await
    }

    async fn compute_today(&self) -> Result<(i64, Vec<DayStat>, Vec<AreaDayStat>)> {
        let today = local_date(self.now());
        let n = day_number(today);
        let next = today.succ_opt().unwrap_or(today);
        let (s, a) = self
            .store
            .compute_day(n, day_start(today), day_start(next))
            .await?;
        // Stamped when computed, so a slow computation is not stale on arrival.
        self.stats.lock().expect("stats lock").today = Some((self.now(), n, s.clone(), a.clone()));
        Ok((n, s, a))
    }

    /// Customers per area: counted by the statistics task (`run_stats`) in the background, so
    /// a dashboard request counts them itself only when nothing was counted yet.
    async fn customers_per_area(&self) -> Result<HashMap<i64, i64>> {
        if let Some((_, m)) = &self.stats.lock().expect("stats lock").customers {
            return Ok(m.clone());
        }
        self.count_customers_per_area().await
    }

    async fn count_customers_per_area(&self) -> Result<HashMap<i64, i64>> {
        let m: HashMap<i64, i64> = self.store.customers_per_area().await?.into_iter().collect();
        self.stats.lock().expect("stats lock").customers = Some((self.now(), m.clone()));
        Ok(m)
    }

    /// The dashboard over [from, to] (default: the last 30 days up to today).
    pub async fn dashboard(&self, q: &DashboardQuery) -> Result<Dashboard> {
        let today = local_date(self.now());
        let to = q.to.unwrap_or(today).min(today);
        let from = q.from.unwrap_or(to - chrono::Duration::days(29));
        if from > to {
            return Err(ServiceError::invalid(
                "from",
                "the range starts after it ends",
            ));
        }
        if (to - from).num_days() > 800 {
            return Err(ServiceError::invalid("from", "a range is at most 800 days"));
        }
        let scope = StatsScope {
            station_id: q.station_id,
            grid_id: q.grid_id,
            station_rows: true,
        };
        let settled_through = self.store.settled_days().await?.last().copied();
        let key = (
            day_number(from),
            day_number(to),
            q.station_id,
            q.grid_id,
            settled_through,
        );
        let cached = self
            .stats
            .lock()
            .expect("stats lock")
            .ranges
            .get(&key)
            .cloned();
        let (mut stats, mut areas) = match cached {
            Some(c) => c,
            None => {
                let stats = self
                    .store
                    .stats_range(day_number(from), day_number(to), scope)
                    .await?;
                let areas = self
                    .store
                    .area_stats_range(day_number(from), day_number(to), scope)
                    .await?;
                let mut c = self.stats.lock().expect("stats lock");
                c.ranges.retain(|k, _| k.4 == settled_through);
                if c.ranges.len() >= 32 {
                    c.ranges.clear();
                }
                c.ranges.insert(key, (stats.clone(), areas.clone()));
                (stats, areas)
            }
        };
        if to == today {
            let (n, s, a) = self.today_stats().await?;
            let in_scope = |st: i64, g: i64| {
                scope.station_id.is_none_or(|x| x == st) && scope.grid_id.is_none_or(|x| x == g)
            };
            // Station-wide rows when no grid is asked for, else that grid's rows.
            let wanted_grid = |g: i64| match scope.grid_id {
                None => g == voltdesk_store::ALL_GRIDS,
                Some(x) => g == x,
            };
            let mut merged: BTreeMap<(String, String), DayCounts> = BTreeMap::new();
            for r in s.iter().filter(|r| {
                scope.station_id.is_none_or(|x| x == r.station_id) && wanted_grid(r.grid_id)
            }) {
                merged
                    .entry((r.dim.clone(), r.value.clone()))
                    .or_default()
                    .add(&r.counts);
            }
            stats.retain(|r| r.day != n);
            stats.extend(merged.into_iter().map(|((dim, value), counts)| DayStat {
                day: n,
                station_id: 0,
                grid_id: 0,
                dim,
                value,
                counts,
            }));
            for r in a.into_iter().filter(|r| in_scope(r.station_id, r.grid_id)) {
                match areas.iter_mut().find(|x| x.area_id == r.area_id) {
                    Some(x) => {
                        x.orders += r.orders;
                        x.complaints += r.complaints;
                    }
                    None => areas.push(r),
                }
            }
        }
        let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        let index: HashMap<i64, usize> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (day_number(*d), i))
            .collect();
        let n = days.len();
        let mut per_dim: BTreeMap<(String, String), Vec<DayCounts>> = BTreeMap::new();
        for r in &stats {
            let Some(i) = index.get(&r.day) else { continue };
            per_dim
                .entry((r.dim.clone(), r.value.clone()))
                .or_insert_with(|| vec![DayCounts::default(); n])[*i]
                .add(&r.counts);
        }
        let series = |dim: &str| -> Vec<Series> {
            let mut v: Vec<Series> = per_dim
                .iter()
                .filter(|((d, _), _)| d == dim)
                .map(|((_, value), counts)| {
                    let values: Vec<i64> = counts.iter().map(|c| c.created).collect();
                    Series {
                        code: value.clone(),
                        total: values.iter().sum(),
                        values,
                    }
                })
                .filter(|s| s.total > 0)
                .collect();
            v.sort_by(|a, b| b.total.cmp(&a.total).then(a.code.cmp(&b.code)));
            v
        };
        let all = per_dim
            .get(&("all".to_string(), String::new()))
            .cloned()
            .unwrap_or_else(|| vec![DayCounts::default(); n]);
        let mut totals = DayCounts::default();
        for c in &all {
            totals.add(c);
        }
        let by_type = series("type");
        let complaints = by_type
            .iter()
            .find(|s| s.code == OrderType::Complaint.code())
            .map(|s| s.total)
            .unwrap_or(0);
        let per_area = self.customers_per_area().await?;
        let (names, in_scope_areas): (HashMap<i64, String>, Vec<i64>) = {
            let org = self.org.read().expect("org cache lock");
            let names = org.areas.values().map(|a| (a.id, a.name.clone())).collect();
            let ids = org
                .areas
                .values()
                .filter(|a| {
                    q.station_id.is_none_or(|s| s == a.station_id)
                        && q.grid_id.is_none_or(|g| g == a.grid_id)
                })
                .map(|a| a.id)
                .collect();
            (names, ids)
        };
        let customers: i64 = in_scope_areas.iter().filter_map(|a| per_area.get(a)).sum();
        areas.sort_by(|a, b| {
            b.complaints
                .cmp(&a.complaints)
                .then(b.orders.cmp(&a.orders))
                .then(a.area_id.cmp(&b.area_id))
        });
        let top_areas = areas
            .iter()
            .filter(|a| a.complaints > 0)
            .take(15)
            .map(|a| {
                let c = per_area.get(&a.area_id).copied().unwrap_or(0);
                AreaComplaints {
                    area_id: a.area_id,
                    area: names.get(&a.area_id).cloned().unwrap_or_default(),
                    grid_id: a.grid_id,
                    orders: a.orders,
                    complaints: a.complaints,
                    customers: c,
                    per_10k: if c > 0 {
                        a.complaints as f64 * 10_000.0 / c as f64
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let counted = days
            .iter()
            .map(|d| *d == today || settled_through.is_some_and(|s| day_number(*d) <= s))
            .collect();
        Ok(Dashboard {
            from,
            to,
            counted,
            partial_day: (to == today).then(|| today.format("%Y-%m-%d").to_string()),
            days: days
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
            day_starts: days.iter().map(|d| day_start(*d) / 1000).collect(),
            by_channel: series("channel"),
            by_class: series("class"),
            by_type,
            created_per_day: all.iter().map(|c| c.created).collect(),
            on_time_share: all
                .iter()
                .map(|c| share(c.closed_on_time, c.closed))
                .collect(),
            satisfied_share: all.iter().map(|c| share(c.satisfied, c.visits)).collect(),
            totals: totals.into(),
            complaints,
            customers,
            complaints_per_10k: if customers > 0 {
                complaints as f64 * 10_000.0 / customers as f64
            } else {
                0.0
            },
            top_areas,
            settled_through: settled_through
                .and_then(day_of_number)
                .map(|d| d.format("%Y-%m-%d").to_string()),
        })
    }
}
