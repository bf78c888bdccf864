//! User administration beyond creating users: editing a user (display name, role, station,
//! department, the grids a grid manager looks after), disabling and enabling an account.
//!
//! Every change is one transaction with one trace event naming each field old → new; the
//! domain's `guard_account_change` keeps an administrator from locking themselves out and
//! the organisation from losing its last active administrator.

use crate::*;
use voltdesk_domain::auth::{AccountChange, AccountGuard, guard_account_change};
use voltdesk_domain::trace::{self, FieldChange, TraceEvent};
use voltdesk_store::{GridRow, UserFilter, UserRow};

/// What an administrator changes about a user; `None` leaves a field as it is. Station and
/// department take `Some(None)` to clear them.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub station_id: Option<Option<i64>>,
    pub department_id: Option<Option<i64>>,
    /// The grids the user manages, by code (or id): the whole set, replacing the one before.
    /// Each grid's previous manager loses it. Only for the grid-manager role, and only grids
    /// of the user's station.
    pub grids: Option<Vec<String>>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.role.is_none()
            && self.station_id.is_none()
            && self.department_id.is_none()
            && self.grids.is_none()
    }
}

/// A display name as the create and edit paths take it: a plain visible line.
pub fn display_name(s: &str) -> Result<&str> {
    voltdesk_domain::values::plain_line(s, DISPLAY_NAME_MAX).map_err(|_| {
        ServiceError::invalid(
            "display_name",
            "1 to 64 visible characters, without control or text-direction characters",
        )
    })
}

fn guard(g: AccountGuard, field: Option<&'static str>) -> ServiceError {
    ServiceError::Guard { guard: g, field }
}

fn opt(v: Option<i64>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn codes(grids: &[&GridRow]) -> Option<String> {
    let mut c: Vec<&str> = grids.iter().map(|g| g.code.as_str()).collect();
    c.sort();
    (!c.is_empty()).then(|| c.join(","))
}

impl Service {
    pub async fn user(&self, id: i64) -> Result<UserRow> {
        self.store
            .user(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })
    }

    /// A page of users matching a filter, and how many match in all.
    pub async fn find_users(&self, f: &UserFilter) -> Result<(Vec<UserRow>, i64)> {
        Ok(self.store.find_users(f).await?)
    }

    /// The grids whose manager is the user.
    pub async fn managed_grids(&self, user_id: i64) -> Result<Vec<GridRow>> {
        Ok(self
            .store
            .grids(None)
            .await?
            .into_iter()
            .filter(|g| g.manager_id == Some(user_id))
            .collect())
    }

    /// Edits a user: every field checked before anything is written, then the row, the grids
    /// and one `user.updated` trace event (each field old → new) in one transaction. A
    /// change that changes nothing writes nothing.
    pub async fn update_user(&self, by: &Actor, id: i64, c: UserChanges) -> Result<UserRow> {
        let mut tx = self.store.begin().await?;
        let u = self
            .store
            .user_for_update(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        let name = match &c.display_name {
            Some(n) => display_name(n)?.to_string(),
            None => u.display_name.clone(),
        };
        let role = c.role.unwrap_or(u.role);
        let station_id = c.station_id.unwrap_or(u.station_id);
        if let Some(s) = station_id
            && self.store.station(s).await.is_err()
        {
            return Err(ServiceError::invalid("station_id", "no such station"));
        }
        let department_id = c.department_id.unwrap_or(u.department_id);
        if let Some(d) = department_id {
            let dept = self
                .store
                .department(d)
                .await?
                .ok_or_else(|| ServiceError::invalid("department_id", "no such department"))?;
            if station_id != Some(dept.station_id) {
                return Err(ServiceError::invalid(
                    "department_id",
                    "the department belongs to another station",
                ));
            }
        }
        let all_grids = self.store.grids(None).await?;
        let before: Vec<&GridRow> = all_grids
            .iter()
            .filter(|g| g.manager_id == Some(u.id))
            .collect();
        let after: Vec<&GridRow> = match &c.grids {
            Some(wanted) => {
                let mut picked: Vec<&GridRow> = Vec::new();
                for w in wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
                    let g = all_grids
                        .iter()
                        .find(|g| g.code == w)
                        .or_else(|| {
                            let id = w.parse::<i64>().ok()?;
                            all_grids.iter().find(|g| g.id == id)
                        })
                        .ok_or_else(|| ServiceError::invalid("grids", format!("no grid `{w}`")))?;
                    if !picked.iter().any(|p| p.id == g.id) {
                        picked.push(g);
                    }
                }
                picked
            }
            // A user who is no longer a grid manager gives up their grids.
            None if role != Role::GridManager => Vec::new(),
            None => before.clone(),
        };
        if !after.is_empty() && role != Role::GridManager {
            return Err(ServiceError::invalid(
                "grids",
                "only a grid manager manages grids",
            ));
        }
        if after.iter().any(|g| Some(g.station_id) != station_id) {
            return Err(ServiceError::invalid(
                "grids",
                "a grid of another station than the user's",
            ));
        }
        let admins = self.store.active_admins(&mut tx).await?;
        guard_account_change(AccountChange {
            by: by.user_id,
            user_id: u.id,
            role: u.role,
            active: u.active,
            new_role: role,
            new_active: u.active,
            active_admins: admins.len() as i64,
        })
        .map_err(|g| guard(g, Some("role")))?;

        let mut changes = Vec::new();
        let mut change = |field: &str, old: Option<String>, new: Option<String>| {
            if old != new {
                changes.push(FieldChange {
                    field: field.into(),
                    old,
                    new,
                });
            }
        };
        change(
            "display_name",
            Some(u.display_name.clone()),
            Some(name.clone()),
        );
        change("role", Some(u.role.code().into()), Some(role.code().into()));
        change("station_id", opt(u.station_id), opt(station_id));
        change("department_id", opt(u.department_id), opt(department_id));
        change("grids", codes(&before), codes(&after));
        if changes.is_empty() {
            return Ok(u);
        }
        self.store
            .update_user(&mut tx, u.id, &name, role, station_id, department_id)
            .await?;
        for g in &before {
            if !after.iter().any(|a| a.id == g.id) {
                self.store.set_grid_manager(&mut tx, g.id, None).await?;
            }
        }
        for g in &after {
            if g.manager_id != Some(u.id) {
                self.store
                    .set_grid_manager(&mut tx, g.id, Some(u.id))
                    .await?;
                // The grid's own history: who manages it now (its previous manager lost it).
                self.trace_admin(
                    &mut tx,
                    by,
                    TraceEvent::GridManagerSet(trace::GridManagerSet {
                        grid_id: g.id,
                        user_id: u.id,
                    }),
                )
                .await?;
            }
        }
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::UserUpdated(trace::UserUpdated {
                user_id: u.id,
                changes,
            }),
        )
        .await?;
        commit(tx).await?;
        // A token remembers its user's role: forget them all.
        self.token_cache.lock().expect("token cache lock").clear();
        self.user(u.id).await
    }

    /// Disables (`active = false`) or enables an account. Disabling ends every session of
    /// the user and revokes every API token of theirs in the same transaction; a disabled
    /// user cannot sign in. Enabling gives back the sign-in, not the tokens.
    pub async fn set_user_active(&self, by: &Actor, id: i64, active: bool) -> Result<UserRow> {
        let mut tx = self.store.begin().await?;
        let u = self
            .store
            .user_for_update(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        if u.active == active {
            return Ok(u);
        }
        let admins = self.store.active_admins(&mut tx).await?;
        guard_account_change(AccountChange {
            by: by.user_id,
            user_id: u.id,
            role: u.role,
            active: u.active,
            new_role: u.role,
            new_active: active,
            active_admins: admins.len() as i64,
        })
        .map_err(|g| guard(g, None))?;
        self.store.set_user_active(&mut tx, u.id, active).await?;
        let event = if active {
            TraceEvent::UserEnabled(trace::UserRef { user_id: u.id })
        } else {
            let sessions = self.store.delete_sessions_of(&mut tx, u.id).await?;
            let tokens = self
                .store
                .revoke_tokens_of(&mut tx, u.id, self.now())
                .await?;
            TraceEvent::UserDisabled(trace::UserDisabled {
                user_id: u.id,
                sessions_ended: sessions as i64,
                tokens_revoked: tokens as i64,
            })
        };
        self.trace_admin(&mut tx, by, event).await?;
        commit(tx).await?;
        self.token_cache.lock().expect("token cache lock").clear();
        self.user(u.id).await
    }
}
