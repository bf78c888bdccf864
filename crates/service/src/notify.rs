//! Notifications in the app's bell: written by the early-warning reader (`rules.rs`) in the
//! transaction that advances its cursor, read and marked read by their user, announced to
//! the user's open pages on their own bus.

use crate::{Actor, Result, Service, ServiceError, commit};
use serde::Serialize;
use std::collections::HashMap;
use voltdesk_domain::notify::{self, Happened, RaisedFor};
use voltdesk_domain::order::OrderEvent;
use voltdesk_domain::search::order_number;
use voltdesk_domain::trace::TraceEvent;
use voltdesk_domain::{Millis, NotifyKind, RuleKind};
use voltdesk_store::{NewNotification, NotificationRow, TraceRow, Tx};

/// One notification as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub kind: NotifyKind,
    pub order_id: Option<i64>,
    /// The order's number (`GD…`), when about an order.
    pub order_no: Option<String>,
    pub warning_id: Option<i64>,
    /// The warning's rule, for "deadline near" and "warning for you".
    pub rule: Option<RuleKind>,
    /// The clock of a deadline near.
    pub clock: Option<String>,
    /// How many times the order has been urged, for "urged".
    pub count: Option<i64>,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

impl From<NotificationRow> for NotificationView {
    fn from(r: NotificationRow) -> Self {
        NotificationView {
            id: r.id,
            kind: NotifyKind::parse(&r.kind).unwrap_or(NotifyKind::Warning),
            order_id: r.order_id,
            order_no: r
                .order_id
                .zip(r.order_created_at)
                .map(|(id, at)| order_number(id, at)),
            warning_id: r.warning_id,
            rule: r
                .params
                .get("rule")
                .and_then(|v| v.as_str())
                .and_then(|s| RuleKind::parse(s).ok()),
            clock: r
                .params
                .get("clock")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            count: r.params.get("count").and_then(|v| v.as_i64()),
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

/// A page of a user's notifications, with how many are unread in all.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub unread: i64,
    pub total: i64,
    pub items: Vec<NotificationView>,
}

fn signed_in(by: &Actor) -> Result<i64> {
    by.user_id
        .ok_or_else(|| ServiceError::Forbidden("notifications belong to a user".into()))
}

impl Service {
    /// Tells the users' open pages that their notifications changed.
    pub fn subscribe_notifications(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.notes.subscribe()
    }

    pub async fn notifications(
        &self,
        by: &Actor,
        unread_only: bool,
        limit: i64,
        offset: i64,
    ) -> Result<NotificationList> {
        let user = signed_in(by)?;
        let (rows, total) = self
            .store
            .notifications_of(user, unread_only, limit, offset)
            .await?;
        Ok(NotificationList {
            unread: self.store.unread_notifications(user).await?,
            total,
            items: rows.into_iter().map(Into::into).collect(),
        })
    }

    pub async fn unread_notifications(&self, by: &Actor) -> Result<i64> {
        Ok(self.store.unread_notifications(signed_in(by)?).await?)
    }

    /// Marks one's own notifications read (these, or all when `None`); answers how many
    /// stay unread.
    pub async fn mark_notifications_read(&self, by: &Actor, ids: Option<&[i64]>) -> Result<i64> {
        let user = signed_in(by)?;
        let mut tx = self.store.begin().await?;
        let changed = self
            .store
            .mark_notifications_read(&mut tx, user, ids, self.now())
            .await?;
        commit(tx).await?;
        if changed > 0 {
            let _ = self.notes.send(user);
        }
        Ok(self.store.unread_notifications(user).await?)
    }

    /// Writes, in the rules' transaction, the notifications a judged batch gives (see
    /// `domain::notify`); answers the users to tell once it commits.
    pub(crate) async fn write_notifications(
        &self,
        tx: &mut Tx,
        rows: &[TraceRow],
        raised: Vec<RaisedFor>,
    ) -> Result<Vec<i64>> {
        let events: Vec<_> = rows.iter().map(|r| (r, r.event())).collect();
        let mut orders: Vec<i64> = events
            .iter()
            .filter(|(_, e)| matches!(e, TraceEvent::Order(OrderEvent::Urged { .. })))
            .filter_map(|(r, _)| r.order_id)
            .chain(raised.iter().filter_map(|w| w.order_id))
            .collect();
        orders.sort_unstable();
        orders.dedup();
        let assignees: HashMap<i64, i64> = self
            .store
            .order_assignees(&orders)
            .await?
            .into_iter()
            .collect();
        let happened: Vec<Happened<'_>> = events
            .iter()
            .map(|(r, e)| Happened {
                at: r.at,
                order_id: r.order_id,
                actor_id: r.actor_id,
                event: e,
            })
            .collect();
        let notices = notify::notices(&happened, &assignees, &raised);
        let new: Vec<NewNotification> = notices
            .iter()
            .map(|n| NewNotification {
                user_id: n.user_id,
                kind: n.kind.code().into(),
                order_id: n.order_id,
                warning_id: n.warning_id,
                params: n.params.clone(),
                created_at: n.at,
            })
            .collect();
        self.store.insert_notifications(tx, &new).await?;
        let mut users: Vec<i64> = notices.iter().map(|n| n.user_id).collect();
        users.sort_unstable();
        users.dedup();
        Ok(users)
    }

    /// Announces changed notifications to the users' pages (after the commit).
    pub(crate) fn announce_notifications(&self, users: &[i64]) {
        for u in users {
            let _ = self.notes.send(*u);
        }
    }
}
