//! Proactive care (seed 001): care plans for care-group households, the care tasks grid
//! managers work through when an outage touches one (raised by `outages.rs`: call before an
//! announced outage, check during a long one, follow up after it) tracked to done, and the
//! ledger of potential demands per grid.
//!
//! Lists show personal data masked (the phone to call is one click away on the customer's
//! page, where showing it in full is traced).

use crate::*;
use serde::{Deserialize, Serialize};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::{Millis, PhoneNumber, mask_address, mask_phone};
use voltdesk_store::{CarePlanItem, CarePlanRow, CareTaskFilter, CareTaskRow, DemandRow, NewTrace};

/// A care task as the API and the care page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CareTaskView {
    #[serde(flatten)]
    pub task: CareTaskDetail,
    /// Open and past its due time.
    pub overdue: bool,
    pub area_name: String,
}

/// Which care tasks to list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CareTaskQuery {
    pub assignee_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub outage_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// `open`, `done` or `all` (default `open`).
    pub status: Option<String>,
    /// Only the caller's own tasks.
    pub mine: bool,
}

/// A care plan to set (API body).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarePlanInput {
    pub plan: Option<String>,
    pub contact_phone: Option<String>,
}

/// A potential demand to note (API body): the grid by id or code, optionally a customer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDemand {
    pub grid_id: Option<i64>,
    pub grid_code: Option<String>,
    pub customer_id: Option<i64>,
    pub title: Option<String>,
    pub detail: Option<String>,
}

const PLAN_MAX: usize = 2000;
const TITLE_MAX: usize = 200;
const DETAIL_MAX: usize = 5000;

fn text(field: &str, v: Option<&str>, max: usize, required: bool) -> Result<String> {
    let v = v.map(str::trim).unwrap_or("");
    if required && v.is_empty() {
        return Err(ServiceError::invalid(field, "required"));
    }
    if v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

fn status_filter(s: Option<&str>) -> Result<Option<&'static str>> {
    match s.unwrap_or("open") {
        "open" => Ok(Some("open")),
        "done" => Ok(Some("done")),
        "closed" => Ok(Some("closed")),
        "all" => Ok(None),
        _ => Err(ServiceError::invalid("status", "open, done or all")),
    }
}

impl Service {
    fn care_trace(
        &self,
        by: &Actor,
        station_id: Option<i64>,
        customer_id: Option<i64>,
        event: TraceEvent,
    ) -> NewTrace {
        NewTrace {
            at: self.now(),
            station_id: station_id.or(by.station_id),
            customer_id,
            order_id: None,
            channel: None,
            actor_id: by.user_id,
            actor: by.name.clone(),
            event,
        }
    }

    fn care_task_view(&self, mut t: CareTaskRow, now: Millis) -> CareTaskView {
        t.phone = t.phone.map(|p| mask_phone(&p));
        t.plan_contact_phone = t.plan_contact_phone.map(|p| mask_phone(&p));
        t.address = mask_address(&t.address);
        CareTaskView {
            overdue: t.status == "open" && t.due_at < now,
            area_name: self.area_name(t.area_id).unwrap_or_default(),
            task: t.into(),
        }
    }

    // ---- care tasks ----

    /// Care tasks, open ones first by due time; `mine` narrows to the caller's own.
    pub async fn care_tasks(
        &self,
        who: &Principal,
        q: &CareTaskQuery,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CareTaskView>, i64)> {
        let assignee_id = if q.mine {
            Some(who.actor.user_id.ok_or(ServiceError::Unauthorized)?)
        } else {
            q.assignee_id
        };
        let (rows, total) = self
            .store
            .care_tasks(&CareTaskFilter {
                assignee_id,
                grid_id: q.grid_id,
                outage_id: q.outage_id,
                customer_id: q.customer_id,
                status: status_filter(q.status.as_deref())?,
                limit,
                offset,
            })
            .await?;
        let now = self.now();
        Ok((
            rows.into_iter()
                .map(|t| self.care_task_view(t, now))
                .collect(),
            total,
        ))
    }

    pub async fn care_task(&self, id: i64) -> Result<CareTaskView> {
        let t = self
            .store
            .care_task(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "care task" })?;
        Ok(self.care_task_view(t, self.now()))
    }

    /// Marks a care task done with what was found (traced on the customer's timeline). Any
    /// user who works orders may close it (a colleague can cover); the trace names who did.
    pub async fn complete_care_task(
        &self,
        by: &Actor,
        id: i64,
        note: Option<String>,
    ) -> Result<CareTaskView> {
        let note = text("note", note.as_deref(), PLAN_MAX, false)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let t = self
            .store
            .care_task_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "care task" })?;
        if t.status != "open" {
            return Err(ServiceError::invalid(
                "status",
                "the care task is already done",
            ));
        }
        let note = (!note.is_empty()).then_some(note);
        self.store
            .complete_care_task(&mut tx, id, by.user_id, now, note.as_deref())
            .await?;
        let station = self.station_of_area(t.area_id);
        self.store
            .insert_traces(
                &mut tx,
                &[self.care_trace(
                    by,
                    station,
                    Some(t.customer_id),
                    TraceEvent::CareTaskDone(trace::CareTaskDone {
                        task_id: id,
                        kind: t.kind,
                        outage_id: t.outage_id,
                        note: note.clone(),
                        late: t.due_at < now,
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::CareTaskDone,
            order_id: None,
            customer_id: Some(t.customer_id),
            station_id: station,
            at: now,
        });
        self.care_task(id).await
    }

    fn station_of_area(&self, area_id: i64) -> Option<i64> {
        self.org
            .read()
            .expect("org cache lock")
            .areas
            .get(&area_id)
            .map(|a| a.station_id)
    }

    // ---- care plans ----

    /// A customer's care plan, if one is set.
    pub async fn care_plan(&self, customer_id: i64) -> Result<Option<CarePlanRow>> {
        Ok(self.store.care_plan(customer_id).await?)
    }

    /// Sets (creates or replaces) a customer's care plan. A customer with a plan counts as a
    /// care household in outages even without a care group on the register.
    pub async fn set_care_plan(
        &self,
        by: &Actor,
        customer_id: i64,
        input: CarePlanInput,
    ) -> Result<CarePlanRow> {
        let plan = text("plan", input.plan.as_deref(), PLAN_MAX, true)?;
        let contact_phone = match input.contact_phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(
                PhoneNumber::parse(p)
                    .map_err(|e| ServiceError::invalid("contact_phone", e.to_string()))?
                    .into_string(),
            ),
        };
        let c = self
            .store
            .customer(customer_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let row = CarePlanRow {
            customer_id,
            plan,
            contact_phone,
            updated_at: self.now(),
            updated_by: by.user_id,
        };
        let mut tx = self.store.begin().await?;
        self.store.upsert_care_plan(&mut tx, &row).await?;
        self.store
            .insert_traces(
                &mut tx,
                &[self.care_trace(
                    by,
                    Some(c.station_id),
                    Some(customer_id),
                    TraceEvent::CarePlanSet(trace::CarePlanSet {
                        chars: row.plan.chars().count() as i64,
                        contact_phone: row.contact_phone.is_some(),
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        Ok(row)
    }

    /// Care plans, of one grid's customers when given.
    pub async fn care_plans(
        &self,
        grid_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CarePlanItem>, i64)> {
        let (mut items, total) = self.store.care_plans(grid_id, limit, offset).await?;
        for i in &mut items {
            i.plan.contact_phone = i.plan.contact_phone.as_deref().map(mask_phone);
        }
        Ok((items, total))
    }

    // ---- the demand ledger ----

    /// Notes a potential demand in a grid's ledger.
    pub async fn add_demand(&self, by: &Actor, n: NewDemand) -> Result<DemandRow> {
        let title = text("title", n.title.as_deref(), TITLE_MAX, true)?;
        let detail = text("detail", n.detail.as_deref(), DETAIL_MAX, false)?;
        let grid = match (n.grid_id, n.grid_code.as_deref()) {
            (Some(id), _) => self
                .store
                .grids(None)
                .await?
                .into_iter()
                .find(|g| g.id == id)
                .ok_or_else(|| ServiceError::invalid("grid_id", "no such grid"))?,
            (None, Some(code)) => self
                .store
                .grid_by_code(code.trim())
                .await?
                .ok_or_else(|| ServiceError::invalid("grid_code", "no such grid"))?,
            (None, None) => return Err(ServiceError::invalid("grid_id", "required")),
        };
        if let Some(cid) = n.customer_id
            && self.store.customer(cid).await?.is_none()
        {
            return Err(ServiceError::invalid("customer_id", "no such customer"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = self
            .store
            .insert_demand(
                &mut tx,
                grid.id,
                n.customer_id,
                &title,
                &detail,
                by.user_id,
                now,
            )
            .await?;
        self.store
            .insert_traces(
                &mut tx,
                &[self.care_trace(
                    by,
                    Some(grid.station_id),
                    n.customer_id,
                    TraceEvent::DemandNoted(trace::DemandNoted {
                        demand_id: id,
                        grid_id: grid.id,
                        title: title.to_string(),
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        self.store
            .demand(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "demand" })
    }

    /// The ledger, of one grid and status (`open`, `closed`, `all`; default `open`).
    pub async fn demands(
        &self,
        grid_id: Option<i64>,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DemandRow>, i64)> {
        let status = match status.unwrap_or("open") {
            "open" => Some("open"),
            "closed" => Some("closed"),
            "all" => None,
            _ => return Err(ServiceError::invalid("status", "open, closed or all")),
        };
        Ok(self.store.demands(grid_id, status, limit, offset).await?)
    }

    /// Closes a ledger entry with what came of it.
    pub async fn close_demand(
        &self,
        by: &Actor,
        id: i64,
        resolution: Option<String>,
    ) -> Result<DemandRow> {
        let resolution = text("resolution", resolution.as_deref(), DETAIL_MAX, true)?;
        let d = self
            .store
            .demand(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "demand" })?;
        if d.status != "open" {
            return Err(ServiceError::invalid(
                "status",
                "the entry is already closed",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let row = self
            .store
            .close_demand(&mut tx, id, by.user_id, now, &resolution)
            .await?;
        self.store
            .insert_traces(
                &mut tx,
                &[self.care_trace(
                    by,
                    None,
                    d.customer_id,
                    TraceEvent::DemandClosed(trace::DemandClosed {
                        demand_id: id,
                        grid_id: d.grid_id,
                        resolution: resolution.to_string(),
                    }),
                )],
            )
            .await?;
        commit(tx).await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(text("t", Some("  a "), 5, true).unwrap(), "a");
        assert!(text("t", Some(" "), 5, true).is_err());
        assert_eq!(text("t", None, 5, false).unwrap(), "");
        assert!(text("t", Some("六个汉字六个"), 5, false).is_err());
    }

    #[test]
    fn statuses() {
        assert_eq!(status_filter(None).unwrap(), Some("open"));
        assert_eq!(status_filter(Some("all")).unwrap(), None);
        assert!(status_filter(Some("late")).is_err());
    }
}
