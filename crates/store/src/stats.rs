//! Daily statistics for the analyst's dashboard: computed from the orders and return visits
//! of one day, kept for settled days, read back summed over a date range.
//!
//! A day's rows are the orders created that day, the orders closed that day and the return
//! visits made that day, each counted under the order's station, grid, type, channel and
//! complaint class; a closed order is on time when none of its clocks was breached.
//! `stats_daily` keeps them along one dimension at a time (see the
//! migration), so a range query reads a few hundred rows a day whatever the order volume.

use crate::*;
use std::collections::BTreeMap;
use voltdesk_domain::Millis;

/// Counts of one day under one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub created: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub visits: i64,
    pub satisfied: i64,
    pub dissatisfied: i64,
}

impl DayCounts {
    pub fn add(&mut self, o: &DayCounts) {
        self.created += o.created;
        self.closed += o.closed;
        self.closed_on_time += o.closed_on_time;
        self.visits += o.visits;
        self.satisfied += o.satisfied;
        self.dissatisfied += o.dissatisfied;
    }
}

/// One row of `stats_daily`: `dim` is `all`, `type`, `channel` or `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStat {
    pub day: i64,
    pub station_id: i64,
    pub grid_id: i64,
    pub dim: String,
    pub value: String,
    pub counts: DayCounts,
}

/// Orders and complaints of one transformer area on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaDayStat {
    pub day: i64,
    pub area_id: i64,
    pub station_id: i64,
    pub grid_id: i64,
    pub orders: i64,
    pub complaints: i64,
}

/// What a range query may be narrowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatsScope {
    pub station_id: Option<i64>,
    pub grid_id: Option<i64>,
    /// Read the station-wide rows when no grid is given (`stats_daily` has them,
    /// `stats_area_daily` does not).
    pub station_rows: bool,
}

const DAILY_COLS: &[&str] = &[
    "day",
    "station_id",
    "grid_id",
    "dim",
    "value",
    "created",
    "closed",
    "closed_on_time",
    "visits",
    "satisfied",
    "dissatisfied",
];

const AREA_DAILY_COLS: &[&str] = &[
    "day",
    "area_id",
    "station_id",
    "grid_id",
    "orders",
    "complaints",
];

type Key = (i64, i64, String, String, String);

/// The `grid_id` of the rows that count a whole station (every grid, and orders without one).
pub const ALL_GRIDS: i64 = -1;

impl Store {
    /// The statistics of the instants [from, to), labelled `day`, computed from the orders.
    pub async fn compute_day(
        &self,
        day: i64,
        from: Millis,
        to: Millis,
    ) -> Result<(Vec<DayStat>, Vec<AreaDayStat>)> {
        const DIMS: &str = "w.station_id AS st, COALESCE(w.grid_id, 0) AS g, w.order_type AS t, \
                            w.channel AS ch, COALESCE(w.complaint_class, '') AS cc";
        const GROUP: &str = " GROUP BY w.station_id, COALESCE(w.grid_id, 0), w.order_type, w.channel, \
                             COALESCE(w.complaint_class, '')";
        let d = self.dialect;
        let created = format!(
            "SELECT {DIMS}, COUNT(*) AS a, 0 AS b, 0 AS c FROM work_orders w \
             WHERE w.created_at >= $1 AND w.created_at < $2{GROUP}"
        );
        let closed = format!(
            "SELECT {DIMS}, COUNT(*) AS a, {} AS b, 0 AS c FROM work_orders w \
             WHERE w.closed_at >= $1 AND w.closed_at < $2 AND w.status = 'closed'{GROUP}",
            d.sum_int(
                "CASE WHEN EXISTS (SELECT 1 FROM clocks k WHERE k.order_id = w.id \
                 AND k.breached_at IS NOT NULL) THEN 0 ELSE 1 END"
            )
        );
        let visits = format!(
            "SELECT {DIMS}, COUNT(*) AS a, {} AS b, {} AS c \
             FROM return_visits r JOIN work_orders w ON w.id = r.order_id \
             WHERE r.at >= $1 AND r.at < $2{GROUP}",
            d.sum_int("CASE WHEN r.satisfaction = 'dissatisfied' THEN 0 ELSE 1 END"),
            d.sum_int("CASE WHEN r.satisfaction = 'dissatisfied' THEN 1 ELSE 0 END")
        );
        let mut by_key: BTreeMap<Key, DayCounts> = BTreeMap::new();
        for (n, sql) in [created, closed, visits].into_iter().enumerate() {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from)
                .bind(to)
                .fetch_all(self.reader())
                .await?;
            for r in &rows {
                let key = (
                    get_i64(r, "st")?,
                    get_i64(r, "g")?,
                    get_str(r, "t")?,
                    get_str(r, "ch")?,
                    get_str(r, "cc")?,
                );
                let (a, b, c) = (get_i64(r, "a")?, get_i64(r, "b")?, get_i64(r, "c")?);
                let e = by_key.entry(key).or_default();
                match n {
                    0 => e.created += a,
                    1 => {
                        e.closed += a;
                        e.closed_on_time += b;
                    }
                    _ => {
                        e.visits += a;
                        e.satisfied += b;
                        e.dissatisfied += c;
                    }
                }
            }
        }
        // Spread each key over the four dimensions, per grid and for the whole station
        // (`ALL_GRIDS`), so that a station-wide range reads a few dozen rows a day.
        let mut dims: BTreeMap<(i64, i64, &'static str, String), DayCounts> = BTreeMap::new();
        let per_station = by_key
            .iter()
            .map(|((st, _, t, ch, cc), c)| {
                ((*st, ALL_GRIDS, t.clone(), ch.clone(), cc.clone()), *c)
            })
            .collect::<Vec<_>>();
        for ((st, g, t, ch, cc), c) in by_key
            .iter()
            .map(|(k, c)| (k.clone(), *c))
            .chain(per_station)
        {
            let (st, g, t, ch, cc, c) = (&st, &g, &t, &ch, &cc, &c);
            dims.entry((*st, *g, "all", String::new()))
                .or_default()
                .add(c);
            dims.entry((*st, *g, "type", t.clone())).or_default().add(c);
            dims.entry((*st, *g, "channel", ch.clone()))
                .or_default()
                .add(c);
            if !cc.is_empty() {
                dims.entry((*st, *g, "class", cc.clone()))
                    .or_default()
                    .add(c);
            }
        }
        let stats = dims
            .into_iter()
            .map(|((station_id, grid_id, dim, value), counts)| DayStat {
                day,
                station_id,
                grid_id,
                dim: dim.to_string(),
                value,
                counts,
            })
            .collect();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT area_id, station_id, COALESCE(grid_id, 0) AS grid_id, COUNT(*) AS orders, {} AS complaints \
             FROM work_orders WHERE created_at >= $1 AND created_at < $2 AND area_id IS NOT NULL \
             GROUP BY area_id, station_id, COALESCE(grid_id, 0)",
            d.sum_int("CASE WHEN order_type = 'complaint' THEN 1 ELSE 0 END")
        )))
        .bind(from)
        .bind(to)
        .fetch_all(self.reader())
        .await?;
        let areas = rows
            .iter()
            .map(|r| area_day(r, day))
            .collect::<Result<_>>()?;
        Ok((stats, areas))
    }

    /// When the first order came in.
    pub async fn first_order_at(&self) -> Result<Option<Millis>> {
        let r = sqlx::query("SELECT MIN(created_at) AS t FROM work_orders")
            .fetch_one(self.reader())
            .await?;
        get_opt_i64(&r, "t")
    }

    /// The days already settled, ascending.
    pub async fn settled_days(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT day FROM stats_days ORDER BY day")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| get_i64(r, "day")).collect()
    }

    /// Stores computed days (replacing what they had) and marks them settled, in one
    /// transaction.
    pub async fn save_days(
        &self,
        days: &[i64],
        stats: &[DayStat],
        areas: &[AreaDayStat],
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for d in days {
            for table in ["stats_daily", "stats_area_daily", "stats_days"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE day = $1"
                )))
                .bind(d)
                .execute(&mut *tx)
                .await?;
            }
        }
        let stat_cells = stats
            .iter()
            .map(|s| {
                let c = &s.counts;
                vec![
                    s.day.into(),
                    s.station_id.into(),
                    s.grid_id.into(),
                    s.dim.clone().into(),
                    s.value.clone().into(),
                    c.created.into(),
                    c.closed.into(),
                    c.closed_on_time.into(),
                    c.visits.into(),
                    c.satisfied.into(),
                    c.dissatisfied.into(),
                ]
            })
            .collect();
        self.insert_rows(&mut tx, "stats_daily", DAILY_COLS, stat_cells)
            .await?;
        let area_cells = areas
            .iter()
            .map(|a| {
                vec![
                    a.day.into(),
                    a.area_id.into(),
                    a.station_id.into(),
                    a.grid_id.into(),
                    a.orders.into(),
                    a.complaints.into(),
                ]
            })
            .collect();
        self.insert_rows(&mut tx, "stats_area_daily", AREA_DAILY_COLS, area_cells)
            .await?;
        let day_cells = days.iter().map(|d| vec![(*d).into(), now.into()]).collect();
        self.insert_rows(&mut tx, "stats_days", &["day", "computed_at"], day_cells)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settled statistics of the days [from_day, to_day], summed over the scope per day,
    /// dimension and value.
    pub async fn stats_range(
        &self,
        from_day: i64,
        to_day: i64,
        scope: StatsScope,
    ) -> Result<Vec<DayStat>> {
        let scope = StatsScope {
            station_rows: true,
            ..scope
        };
        let (filter, binds) = scope_sql(scope, 2);
        let sql = format!(
            "SELECT day, dim, value, {} \
             FROM stats_daily WHERE day >= $1 AND day <= $2{filter} GROUP BY day, dim, value ORDER BY day",
            self.sums(&[
                "created",
                "closed",
                "closed_on_time",
                "visits",
                "satisfied",
                "dissatisfied"
            ])
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_day)
            .bind(to_day);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(DayStat {
                    day: get_i64(r, "day")?,
                    station_id: scope.station_id.unwrap_or(0),
                    grid_id: scope.grid_id.unwrap_or(0),
                    dim: get_str(r, "dim")?,
                    value: get_str(r, "value")?,
                    counts: DayCounts {
                        created: get_i64(r, "created")?,
                        closed: get_i64(r, "closed")?,
                        closed_on_time: get_i64(r, "closed_on_time")?,
                        visits: get_i64(r, "visits")?,
                        satisfied: get_i64(r, "satisfied")?,
                        dissatisfied: get_i64(r, "dissatisfied")?,
                    },
                })
            })
            .collect()
    }

    /// Settled orders and complaints per transformer area over [from_day, to_day], most
    /// complaints first.
    pub async fn area_stats_range(
        &self,
        from_day: i64,
        to_day: i64,
        scope: StatsScope,
    ) -> Result<Vec<AreaDayStat>> {
        let scope = StatsScope {
            station_rows: false,
            ..scope
        };
        let (filter, binds) = scope_sql(scope, 2);
        let sql = format!(
            "SELECT area_id, MIN(station_id) AS station_id, MIN(grid_id) AS grid_id, {} \
             FROM stats_area_daily WHERE day >= $1 AND day <= $2{filter} GROUP BY area_id",
            self.sums(&["orders", "complaints"])
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_day)
            .bind(to_day);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(|r| area_day(r, to_day)).collect()
    }

    /// Customers per transformer area.
    pub async fn customers_per_area(&self) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT area_id, COUNT(*) AS n FROM customers GROUP BY area_id")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok((get_i64(r, "area_id")?, get_i64(r, "n")?)))
            .collect()
    }
}

impl Store {
    /// `CAST(SUM(c) AS BIGINT) AS c, ...`: the sums of counting columns, under their names.
    fn sums(&self, cols: &[&str]) -> String {
        cols.iter()
            .map(|c| format!("{} AS {c}", self.dialect.sum_int(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An area's orders and complaints (columns named as in `stats_area_daily`), labelled `day`.
fn area_day(r: &AnyRow, day: i64) -> Result<AreaDayStat> {
    Ok(AreaDayStat {
        day,
        area_id: get_i64(r, "area_id")?,
        station_id: get_i64(r, "station_id")?,
        grid_id: get_i64(r, "grid_id")?,
        orders: get_i64(r, "orders")?,
        complaints: get_i64(r, "complaints")?,
    })
}

fn scope_sql(scope: StatsScope, skip: usize) -> (String, Vec<i64>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    if scope.grid_id.is_none() && scope.station_rows {
        sql += &format!(" AND grid_id = {ALL_GRIDS}");
    }
    if let Some(s) = scope.station_id {
        binds.push(s);
        sql += &format!(" AND station_id = ${}", skip + binds.len());
    }
    if let Some(g) = scope.grid_id {
        binds.push(g);
        sql += &format!(" AND grid_id = ${}", skip + binds.len());
    }
    (sql, binds)
}
