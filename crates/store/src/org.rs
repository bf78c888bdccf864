//! Stations, departments, grids, feeders and transformer areas; the holiday calendar.

use crate::*;
use voltdesk_domain::calendar::{CalendarEntry, DayKind};
use voltdesk_domain::{DepartmentKind, RegionClass};

const STATION_COLS: &str = "id, code, name, policy_id";
const DEPARTMENT_COLS: &str = "id, station_id, code, name, kind";
const GRID_COLS: &str = "id, station_id, code, name, manager_id";
pub(crate) const FEEDER_COLS: &str = "id, station_id, code, name";
pub(crate) const AREA_COLS: &str = "id, station_id, grid_id, feeder_id, code, name, region_class";

fn station(r: &AnyRow) -> Result<StationRow> {
    Ok(StationRow {
        id: get_i64(r, "id")?,
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        policy_id: get_str(r, "policy_id")?,
    })
}
fn department(r: &AnyRow) -> Result<DepartmentRow> {
    Ok(DepartmentRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        kind: get_enum(r, "kind")?,
    })
}
fn grid(r: &AnyRow) -> Result<GridRow> {
    Ok(GridRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        manager_id: get_opt_i64(r, "manager_id")?,
    })
}
pub(crate) fn feeder(r: &AnyRow) -> Result<FeederRow> {
    Ok(FeederRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
    })
}
pub(crate) fn area(r: &AnyRow) -> Result<AreaRow> {
    Ok(AreaRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        grid_id: get_i64(r, "grid_id")?,
        feeder_id: get_i64(r, "feeder_id")?,
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        region_class: get_enum(r, "region_class")?,
    })
}

impl Store {
    pub async fn upsert_station(
        &self,
        tx: &mut Tx,
        code: &str,
        name: &str,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO stations (code, name, created_at) VALUES ($1, $2, $3){}{}",
            self.dialect.upsert(&["code"], &["name"]),
            self.dialect.returning("id")
        )))
        .bind(code)
        .bind(name)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn upsert_department(
        &self,
        tx: &mut Tx,
        station_id: i64,
        code: &str,
        name: &str,
        kind: DepartmentKind,
    ) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO departments (station_id, code, name, kind) VALUES ($1, $2, $3, $4){}{}",
            self.dialect.upsert(&["code"], &["name", "kind"]),
            self.dialect.returning("id")
        )))
        .bind(station_id)
        .bind(code)
        .bind(name)
        .bind(kind.code())
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn upsert_grid(
        &self,
        tx: &mut Tx,
        station_id: i64,
        code: &str,
        name: &str,
    ) -> Result<i64> {
        self.upsert_station_part(tx, "grids", station_id, code, name)
            .await
    }

    pub async fn set_grid_manager(
        &self,
        tx: &mut Tx,
        grid_id: i64,
        manager_id: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE grids SET manager_id = $1 WHERE id = $2")
            .bind(manager_id)
            .bind(grid_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn upsert_feeder(
        &self,
        tx: &mut Tx,
        station_id: i64,
        code: &str,
        name: &str,
    ) -> Result<i64> {
        self.upsert_station_part(tx, "feeders", station_id, code, name)
            .await
    }

    /// Creates or renames (and moves) a grid or a feeder by its code; returns its id.
    async fn upsert_station_part(
        &self,
        tx: &mut Tx,
        table: &'static str,
        station_id: i64,
        code: &str,
        name: &str,
    ) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (station_id, code, name) VALUES ($1, $2, $3){}{}",
            self.dialect.upsert(&["code"], &["name", "station_id"]),
            self.dialect.returning("id")
        )))
        .bind(station_id)
        .bind(code)
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_area(
        &self,
        tx: &mut Tx,
        station_id: i64,
        grid_id: i64,
        feeder_id: i64,
        code: &str,
        name: &str,
        region: RegionClass,
    ) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO transformer_areas (station_id, grid_id, feeder_id, code, name, region_class) \
             VALUES ($1, $2, $3, $4, $5, $6){}{}",
            self.dialect.upsert(
                &["code"],
                &["station_id", "grid_id", "feeder_id", "name", "region_class"]
            ),
            self.dialect.returning("id")
        )))
        .bind(station_id)
        .bind(grid_id)
        .bind(feeder_id)
        .bind(code)
        .bind(name)
        .bind(region.code())
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn set_station_policy(
        &self,
        tx: &mut Tx,
        station_id: i64,
        policy_id: &str,
    ) -> Result<()> {
        let n = sqlx::query("UPDATE stations SET policy_id = $1 WHERE id = $2")
            .bind(policy_id)
            .bind(station_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn stations(&self) -> Result<Vec<StationRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STATION_COLS} FROM stations ORDER BY code"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(station).collect()
    }

    pub async fn station(&self, id: i64) -> Result<StationRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STATION_COLS} FROM stations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        station(&r.ok_or(StoreError::NotFound)?)
    }

    pub async fn station_by_code(&self, code: &str) -> Result<Option<StationRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STATION_COLS} FROM stations WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(station).transpose()
    }

    pub async fn departments(&self, station_id: Option<i64>) -> Result<Vec<DepartmentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {DEPARTMENT_COLS} FROM departments WHERE ($1 IS NULL OR station_id = $1) ORDER BY code")))
            .bind(station_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(department).collect()
    }

    pub async fn department(&self, id: i64) -> Result<Option<DepartmentRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEPARTMENT_COLS} FROM departments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(department).transpose()
    }

    pub async fn grids(&self, station_id: Option<i64>) -> Result<Vec<GridRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {GRID_COLS} FROM grids WHERE ($1 IS NULL OR station_id = $1) ORDER BY code"
        )))
        .bind(station_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(grid).collect()
    }

    pub async fn grid_by_code(&self, code: &str) -> Result<Option<GridRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {GRID_COLS} FROM grids WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(grid).transpose()
    }

    pub async fn feeders(&self, station_id: Option<i64>) -> Result<Vec<FeederRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FEEDER_COLS} FROM feeders WHERE ($1 IS NULL OR station_id = $1) ORDER BY code"
        )))
        .bind(station_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(feeder).collect()
    }

    pub async fn areas(
        &self,
        grid_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AreaRow>, i64)> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AREA_COLS} FROM transformer_areas WHERE ($1 IS NULL OR grid_id = $1) ORDER BY code LIMIT $2 OFFSET $3"
        )))
        .bind(grid_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(
            "SELECT COUNT(*) AS n FROM transformer_areas WHERE ($1 IS NULL OR grid_id = $1)",
        )
        .bind(grid_id)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(area).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    pub async fn area(&self, id: i64) -> Result<Option<AreaRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AREA_COLS} FROM transformer_areas WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(area).transpose()
    }

    pub async fn area_by_code(&self, code: &str) -> Result<Option<AreaRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AREA_COLS} FROM transformer_areas WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(area).transpose()
    }

    /// Every area code with its id and station, for resolving an import in memory.
    pub async fn area_index(&self) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query("SELECT code, id, station_id FROM transformer_areas")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get_str(r, "code")?,
                    get_i64(r, "id")?,
                    get_i64(r, "station_id")?,
                ))
            })
            .collect()
    }

    // ---- calendar ----

    pub async fn calendar(&self) -> Result<Vec<CalendarEntry>> {
        let rows = sqlx::query("SELECT day, kind, name FROM calendar_days ORDER BY day")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                let day = get_str(r, "day")?;
                let kind = match get_str(r, "kind")?.as_str() {
                    "holiday" => DayKind::Holiday,
                    "workday" => DayKind::Workday,
                    k => return Err(StoreError::Corrupt(format!("calendar kind `{k}`"))),
                };
                Ok(CalendarEntry {
                    day: day
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("calendar day `{day}`")))?,
                    kind,
                    name: get_str(r, "name")?,
                })
            })
            .collect()
    }

    pub async fn set_calendar_day(&self, tx: &mut Tx, e: &CalendarEntry) -> Result<()> {
        let kind = match e.kind {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3){}",
            self.dialect.upsert(&["day"], &["kind", "name"])
        )))
        .bind(e.day.to_string())
        .bind(kind)
        .bind(&e.name)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn delete_calendar_day(&self, tx: &mut Tx, day: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM calendar_days WHERE day = $1")
            .bind(day)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0)
    }

    pub async fn calendar_is_empty(&self) -> Result<bool> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM calendar_days")
            .fetch_one(self.reader())
            .await?;
        Ok(get_i64(&r, "n")? == 0)
    }
}
