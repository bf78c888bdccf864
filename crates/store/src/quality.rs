//! Quality of supply: voltage readings of the transformer areas (with the verdict the domain
//! gave each when it was recorded) summed into pass rates per area and month, and the
//! outages a reliability report reads: the interruptions of a feeder or station in a
//! period, and the daily customer-minutes of their history for major event days.
//!
//! Days here are Beijing days: China keeps UTC+8 all year, so a local day is
//! `(at + 8 h) / 24 h` on both backends.

use crate::*;
use voltdesk_domain::Millis;

/// Beijing is UTC+8 without daylight saving.
const UTC8_MS: i64 = 8 * 3_600_000;

/// A reading to store, checked already: `verdict` is `above`, `below` or `ok`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVoltageReading {
    pub area_id: i64,
    pub level: String,
    pub at: Millis,
    pub volts: f64,
    pub minutes: f64,
    /// `yyyymm` of `at` in Beijing time.
    pub month: i64,
    pub verdict: String,
}

/// Minutes monitored, above and below the limits, of one area in one month.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaMonthVoltage {
    pub area_id: i64,
    pub month: i64,
    pub minutes: f64,
    pub above: f64,
    pub below: f64,
    pub readings: i64,
    pub violations: i64,
}

/// Which readings a pass-rate query sums: every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct VoltageFilter {
    pub area_id: Option<i64>,
    pub station_id: Option<i64>,
    pub feeder_id: Option<i64>,
}

/// The outages a reliability report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageScope {
    All,
    Station(i64),
    /// Outages of the whole feeder and of any one of its areas.
    Feeder(i64),
}

/// An outage as the reliability indices need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptionRow {
    pub id: i64,
    pub station_id: i64,
    pub kind: String,
    pub feeder_id: Option<i64>,
    pub area_id: Option<i64>,
    pub cause: String,
    pub started_at: Millis,
    pub restored_at: Option<Millis>,
    pub affected_customers: i64,
}

/// `station_id = $n` or the feeder's outages, binding the scope's id as parameter `n`.
fn scope_sql(scope: OutageScope, n: usize) -> (String, Option<i64>) {
    match scope {
        OutageScope::All => ("1 = 1".into(), None),
        OutageScope::Station(id) => (format!("station_id = ${n}"), Some(id)),
        OutageScope::Feeder(id) => (
            format!(
                "(feeder_id = ${n} OR area_id IN (SELECT id FROM transformer_areas WHERE feeder_id = ${n}))"
            ),
            Some(id),
        ),
    }
}

fn get_f64(r: &AnyRow, col: &str) -> Result<f64> {
    r.try_get::<f64, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

impl Store {
    /// Inserts checked readings. A reading of the same area, level and instant as a stored
    /// one is a `Conflict` on `at` (the service looks for those first and names the line).
    pub async fn insert_voltage_readings(
        &self,
        tx: &mut Tx,
        rows: &[NewVoltageReading],
        now: Millis,
    ) -> Result<()> {
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO voltage_readings (area_id, level, at, volts, minutes, month, verdict, created_at) VALUES {}",
                self.dialect.values(chunk.len(), 8)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.area_id)
                    .bind(r.level.clone())
                    .bind(r.at)
                    .bind(r.volts)
                    .bind(r.minutes)
                    .bind(r.month)
                    .bind(r.verdict.clone())
                    .bind(now);
            }
            q.execute(&mut **tx)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict { .. } => StoreError::Conflict { field: "at".into() },
                    e => e,
                })?;
        }
        Ok(())
    }

    /// (area, level, at) of the stored readings of `area_ids` at instants in [from, to].
    pub async fn voltage_reading_keys(
        &self,
        tx: &mut Tx,
        area_ids: &[i64],
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(i64, String, Millis)>> {
        let mut out = Vec::new();
        for chunk in area_ids.chunks(500) {
            let mut p = self.dialect.params();
            let sql = format!(
                "SELECT area_id, level, at FROM voltage_readings WHERE at >= {} AND at <= {} AND area_id IN ({})",
                p.next(),
                p.next(),
                p.list(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
            for a in chunk {
                q = q.bind(*a);
            }
            for r in q.fetch_all(&mut **tx).await? {
                out.push((
                    get_i64(&r, "area_id")?,
                    get_str(&r, "level")?,
                    get_i64(&r, "at")?,
                ));
            }
        }
        Ok(out)
    }

    /// Minutes monitored, above and below the limits per area and month, of the readings at
    /// instants in [from, to), by area and month.
    pub async fn voltage_pass_rates(
        &self,
        f: VoltageFilter,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<AreaMonthVoltage>> {
        let d = self.dialect;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT r.area_id, r.month, {} AS minutes, {} AS above, {} AS below, COUNT(*) AS n, {} AS v \
             FROM voltage_readings r JOIN transformer_areas a ON a.id = r.area_id \
             WHERE r.at >= $1 AND r.at < $2 AND ($3 IS NULL OR r.area_id = $3) \
             AND ($4 IS NULL OR a.station_id = $4) AND ($5 IS NULL OR a.feeder_id = $5) \
             GROUP BY r.area_id, r.month ORDER BY r.area_id, r.month",
            d.sum_real("r.minutes"),
            d.sum_real("CASE WHEN r.verdict = 'above' THEN r.minutes ELSE 0.0 END"),
            d.sum_real("CASE WHEN r.verdict = 'below' THEN r.minutes ELSE 0.0 END"),
            d.sum_int("CASE WHEN r.verdict = 'ok' THEN 0 ELSE 1 END")
        )))
        .bind(from)
        .bind(to)
        .bind(f.area_id)
        .bind(f.station_id)
        .bind(f.feeder_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AreaMonthVoltage {
                    area_id: get_i64(r, "area_id")?,
                    month: get_i64(r, "month")?,
                    minutes: get_f64(r, "minutes")?,
                    above: get_f64(r, "above")?,
                    below: get_f64(r, "below")?,
                    readings: get_i64(r, "n")?,
                    violations: get_i64(r, "v")?,
                })
            })
            .collect()
    }

    /// Out-of-limit readings of an area taken at or after `since` (the early-warning rule
    /// "voltage out of limits again and again").
    pub async fn voltage_violations(&self, area_id: i64, since: Millis) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM voltage_readings WHERE area_id = $1 AND at >= $2 AND verdict <> 'ok'",
        )
        .bind(area_id)
        .bind(since)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }

    /// Outages of the scope that started in [from, to), oldest first.
    pub async fn interruptions(
        &self,
        scope: OutageScope,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<InterruptionRow>> {
        let (filter, id) = scope_sql(scope, 3);
        let sql = format!(
            "SELECT id, station_id, kind, feeder_id, area_id, cause, started_at, restored_at, affected_customers \
             FROM outages WHERE started_at >= $1 AND started_at < $2 AND {filter} ORDER BY started_at, id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        if let Some(id) = id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(InterruptionRow {
                    id: get_i64(r, "id")?,
                    station_id: get_i64(r, "station_id")?,
                    kind: get_str(r, "kind")?,
                    feeder_id: get_opt_i64(r, "feeder_id")?,
                    area_id: get_opt_i64(r, "area_id")?,
                    cause: get_str(r, "cause")?,
                    started_at: get_i64(r, "started_at")?,
                    restored_at: get_opt_i64(r, "restored_at")?,
                    affected_customers: get_i64(r, "affected_customers")?,
                })
            })
            .collect()
    }

    /// Customer-milliseconds (duration × affected customers) of the sustained outages of the
    /// scope per Beijing day they started on, for the days in [from, to): the history the
    /// major-event-day threshold is computed from. An outage longer than `momentary_max_ms`
    /// is sustained; one not yet restored lasts until `now`. Days are numbered from the
    /// epoch (`(at + 8 h) / 24 h`); days without a sustained outage are absent.
    pub async fn daily_customer_ms(
        &self,
        scope: OutageScope,
        from: Millis,
        to: Millis,
        now: Millis,
        momentary_max_ms: i64,
    ) -> Result<Vec<(i64, i64)>> {
        let (filter, id) = scope_sql(scope, 5);
        let day = self.dialect.local_day("started_at", UTC8_MS);
        let sql = format!(
            "SELECT {day} AS d, {} AS cm \
             FROM outages WHERE started_at >= $2 AND started_at < $3 \
             AND COALESCE(restored_at, $1) - started_at > $4 AND {filter} \
             GROUP BY {day} ORDER BY d",
            self.dialect
                .sum_int("(COALESCE(restored_at, $1) - started_at) * affected_customers")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(from)
            .bind(to)
            .bind(momentary_max_ms);
        if let Some(id) = id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| Ok((get_i64(r, "d")?, get_i64(r, "cm")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeder_scope_takes_its_areas_outages() {
        let (sql, id) = scope_sql(OutageScope::Feeder(7), 3);
        assert_eq!(id, Some(7));
        assert!(sql.contains("feeder_id = $3 OR area_id IN"));
        assert_eq!(scope_sql(OutageScope::All, 3).1, None);
    }
}
