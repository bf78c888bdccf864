//! Organisation import, departments, policy choice and the working-day calendar.

use crate::*;
use voltdesk_domain::DepartmentKind;
use voltdesk_domain::calendar::CalendarEntry;
use voltdesk_domain::import::OrgRow;
use voltdesk_domain::trace::{self, TraceEvent};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OrgImportReport {
    pub rows: usize,
    pub stations: usize,
    pub areas: usize,
}

impl Service {
    /// Loads organisation rows in one transaction: all or nothing. Existing codes are updated.
    pub async fn import_org(&self, by: &Actor, rows: &[OrgRow]) -> Result<OrgImportReport> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut stations = HashMap::new();
        let mut grids = HashMap::new();
        let mut feeders = HashMap::new();
        for r in rows {
            let sid = match stations.get(&r.station_code) {
                Some(id) => *id,
                None => {
                    let id = self
                        .store
                        .upsert_station(&mut tx, &r.station_code, &r.station_name, now)
                        .await?;
                    // Every station gets the three back-office departments and the service desk.
                    for kind in DepartmentKind::ALL {
                        let code = format!("{}-{}", r.station_code, kind.code());
                        let name = format!("{}{}", r.station_name, kind.zh());
                        self.store
                            .upsert_department(&mut tx, id, &code, &name, *kind)
                            .await?;
                    }
                    stations.insert(r.station_code.clone(), id);
                    id
                }
            };
            let gid = match grids.get(&r.grid_code) {
                Some(id) => *id,
                None => {
                    let id = self
                        .store
                        .upsert_grid(&mut tx, sid, &r.grid_code, &r.grid_name)
                        .await?;
                    grids.insert(r.grid_code.clone(), id);
                    id
                }
            };
            let fid = match feeders.get(&r.feeder_code) {
                Some(id) => *id,
                None => {
                    let id = self
                        .store
                        .upsert_feeder(&mut tx, sid, &r.feeder_code, &r.feeder_name)
                        .await?;
                    feeders.insert(r.feeder_code.clone(), id);
                    id
                }
            };
            self.store
                .upsert_area(
                    &mut tx,
                    sid,
                    gid,
                    fid,
                    &r.area_code,
                    &r.area_name,
                    r.region_class,
                )
                .await?;
        }
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::OrgImported(trace::OrgImported {
                rows: rows.len() as i64,
                stations: stations.len() as i64,
            }),
        )
        .await?;
        commit(tx).await?;
        self.reload_org().await?;
        Ok(OrgImportReport {
            rows: rows.len(),
            stations: stations.len(),
            areas: rows.len(),
        })
    }

    pub async fn stations(&self) -> Result<Vec<voltdesk_store::StationRow>> {
        Ok(self.store.stations().await?)
    }

    pub async fn station_by_code(&self, code: &str) -> Result<voltdesk_store::StationRow> {
        self.store
            .station_by_code(code)
            .await?
            .ok_or(ServiceError::NotFound { what: "station" })
    }

    pub async fn departments(
        &self,
        station_id: Option<i64>,
    ) -> Result<Vec<voltdesk_store::DepartmentRow>> {
        Ok(self.store.departments(station_id).await?)
    }

    pub async fn grids(&self, station_id: Option<i64>) -> Result<Vec<voltdesk_store::GridRow>> {
        Ok(self.store.grids(station_id).await?)
    }

    pub async fn feeders(&self, station_id: Option<i64>) -> Result<Vec<voltdesk_store::FeederRow>> {
        Ok(self.store.feeders(station_id).await?)
    }

    pub async fn areas(
        &self,
        grid_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<voltdesk_store::AreaRow>, i64)> {
        Ok(self
            .store
            .areas(grid_id, limit.clamp(1, 500), offset.max(0))
            .await?)
    }

    /// Assigns a grid's customer manager (a user with the grid_manager role).
    pub async fn set_grid_manager(
        &self,
        by: &Actor,
        grid_code: &str,
        username: &str,
    ) -> Result<()> {
        let g = self
            .store
            .grid_by_code(grid_code)
            .await?
            .ok_or(ServiceError::NotFound { what: "grid" })?;
        let u = self.user_by_name(username).await?;
        if u.role != Role::GridManager {
            return Err(ServiceError::invalid(
                "username",
                "the user is not a grid manager",
            ));
        }
        let mut tx = self.store.begin().await?;
        self.store
            .set_grid_manager(&mut tx, g.id, Some(u.id))
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::GridManagerSet(trace::GridManagerSet {
                grid_id: g.id,
                user_id: u.id,
            }),
        )
        .await?;
        commit(tx).await
    }

    /// Picks the service-commitment policy a station works under. Open orders keep theirs.
    pub async fn set_station_policy(
        &self,
        by: &Actor,
        station_id: i64,
        policy_id: &str,
    ) -> Result<()> {
        if self.policies.get(policy_id).is_none() {
            return Err(ServiceError::invalid(
                "policy_id",
                format!("no policy `{policy_id}`"),
            ));
        }
        let mut tx = self.store.begin().await?;
        self.store
            .set_station_policy(&mut tx, station_id, policy_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound { what: "station" },
                e => e.into(),
            })?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::PolicySelected(trace::PolicySelected {
                station_id,
                policy_id: policy_id.to_string(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.reload_org().await
    }

    pub fn calendar_entries(&self) -> Vec<CalendarEntry> {
        self.calendar.read().expect("calendar lock").entries()
    }

    pub fn is_working_day(&self, day: chrono::NaiveDate) -> bool {
        self.calendar
            .read()
            .expect("calendar lock")
            .is_working_day(day)
    }

    /// Sets a public holiday or a make-up working day. Clocks already running keep their due times.
    pub async fn set_calendar_day(&self, by: &Actor, e: CalendarEntry) -> Result<()> {
        if e.name.trim().is_empty() {
            return Err(ServiceError::invalid("name", "a calendar day needs a name"));
        }
        let mut tx = self.store.begin().await?;
        self.store.set_calendar_day(&mut tx, &e).await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::CalendarDaySet(trace::CalendarDaySet {
                day: e.day.to_string(),
                kind: e.kind.code().to_string(),
                name: e.name.clone(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.calendar.write().expect("calendar lock").set(e);
        Ok(())
    }

    pub async fn delete_calendar_day(&self, by: &Actor, day: chrono::NaiveDate) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !self
            .store
            .delete_calendar_day(&mut tx, &day.to_string())
            .await?
        {
            return Err(ServiceError::NotFound {
                what: "calendar day",
            });
        }
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::CalendarDayDeleted(trace::CalendarDayDeleted {
                day: day.to_string(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.calendar.write().expect("calendar lock").remove(day);
        Ok(())
    }
}
