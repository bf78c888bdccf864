//! Notifications in the app's bell, and the two facts their writer reads: who is assigned
//! an order, and who holds a role at a station.

use crate::*;
use voltdesk_domain::Millis;

/// A notification to write.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: String,
    pub order_id: Option<i64>,
    pub warning_id: Option<i64>,
    pub params: serde_json::Value,
    pub created_at: Millis,
}

/// A notification as stored, with its order's acceptance time (for the order number).
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub order_id: Option<i64>,
    pub order_created_at: Option<Millis>,
    pub warning_id: Option<i64>,
    pub params: serde_json::Value,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

fn notification(r: &AnyRow) -> Result<NotificationRow> {
    Ok(NotificationRow {
        id: get_i64(r, "id")?,
        user_id: get_i64(r, "user_id")?,
        kind: get_str(r, "kind")?,
        order_id: get_opt_i64(r, "order_id")?,
        order_created_at: get_opt_i64(r, "order_created_at")?,
        warning_id: get_opt_i64(r, "warning_id")?,
        params: serde_json::from_str(&get_str(r, "params")?)
            .map_err(|e| StoreError::Corrupt(format!("notification params: {e}")))?,
        created_at: get_i64(r, "created_at")?,
        read_at: get_opt_i64(r, "read_at")?,
    })
}

impl Store {
    pub async fn insert_notifications(&self, tx: &mut Tx, ns: &[NewNotification]) -> Result<()> {
        for chunk in ns.chunks(200) {
            let sql = format!(
                "INSERT INTO notifications (user_id, kind, order_id, warning_id, params, created_at) VALUES {}",
                self.dialect.values(chunk.len(), 6)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for n in chunk {
                q = q
                    .bind(n.user_id)
                    .bind(n.kind.clone())
                    .bind(n.order_id)
                    .bind(n.warning_id)
                    .bind(n.params.to_string())
                    .bind(n.created_at);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// A user's notifications, newest first (`unread`: only those not read), and how many
    /// match.
    pub async fn notifications_of(
        &self,
        user_id: i64,
        unread: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<NotificationRow>, i64)> {
        let only = if unread { " AND n.read_at IS NULL" } else { "" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT n.id, n.user_id, n.kind, n.order_id, o.created_at AS order_created_at, n.warning_id, \
             n.params, n.created_at, n.read_at FROM notifications n \
             LEFT JOIN work_orders o ON o.id = n.order_id \
             WHERE n.user_id = $1{only} ORDER BY n.id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM notifications n WHERE n.user_id = $1{only}"
        )))
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(notification).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        get_i64(&r, "n")
    }

    /// Marks a user's notifications read: these ids, or all of them when `ids` is `None`.
    /// Another user's ids are left alone. Answers how many changed.
    pub async fn mark_notifications_read(
        &self,
        tx: &mut Tx,
        user_id: i64,
        ids: Option<&[i64]>,
        at: Millis,
    ) -> Result<u64> {
        let mut changed = 0;
        match ids {
            None => {
                changed += sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                )
                .bind(at)
                .bind(user_id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            }
            Some(ids) => {
                for chunk in ids.chunks(500) {
                    let mut p = self.dialect.params();
                    let sql = format!(
                        "UPDATE notifications SET read_at = {} WHERE user_id = {} AND read_at IS NULL AND id IN ({})",
                        p.next(),
                        p.next(),
                        p.list(chunk.len())
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(user_id);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    changed += q.execute(&mut **tx).await?.rows_affected();
                }
            }
        }
        Ok(changed)
    }

    /// The current assignee of each of these orders that has one.
    pub async fn order_assignees(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, assignee_id FROM work_orders WHERE assignee_id IS NOT NULL AND id IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push((get_i64(&r, "id")?, get_i64(&r, "assignee_id")?));
            }
        }
        Ok(out)
    }

    /// The active users of a role at a station (any station when `None`).
    pub async fn active_users_with_role(
        &self,
        role: &str,
        station_id: Option<i64>,
    ) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM users WHERE role = $1 AND active = 1 AND ($2 IS NULL OR station_id = $2) ORDER BY id",
        )
        .bind(role)
        .bind(station_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| get_i64(r, "id")).collect()
    }
}
