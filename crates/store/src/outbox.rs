//! Delivery of the outbox: claiming due notices, settling what became of each send, the
//! dead-letter list, and the editable notice templates.
//!
//! A claim moves the rows' `next_attempt_at` forward by a lease and counts the attempt in
//! the same statement, so a sender that dies mid-batch loses nothing: its rows come due
//! again when the lease ends (at-least-once; the gateway's idempotency key keeps a repeat
//! from being a second message). On PostgreSQL several servers claim at once with
//! `FOR UPDATE SKIP LOCKED`; SQLite has one writer, so one statement is enough.

use crate::{Result, Store, StoreError, Tx, get_i64, get_opt_i64, get_opt_str, get_str};
use sqlx::any::AnyRow;
use std::collections::HashMap;
use voltdesk_domain::Millis;

/// A notice in the outbox, with what became of it.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub created_at: Millis,
    pub topic: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Attempts started so far (a claim counts one).
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
    pub dead_at: Option<Millis>,
}

/// What became of one claimed notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Delivered {
        id: i64,
    },
    /// Failed; try again at `at`.
    Retry {
        id: i64,
        at: Millis,
        error: String,
    },
    /// Failed for the last time, or refused in a way no retry changes.
    Dead {
        id: i64,
        error: String,
    },
    /// Not sent (quiet hours): due again at `until`, and the claim's attempt is given back.
    Deferred {
        id: i64,
        until: Millis,
    },
}

/// The text of a notice of one kind on one channel in one language (minijinja source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeTemplate {
    pub kind: String,
    pub channel: String,
    pub lang: String,
    pub body: String,
    pub updated_at: Millis,
    pub updated_by: String,
}

/// Whom a customer notice goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecipient {
    pub customer_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub phone2: Option<String>,
}

const TEMPLATE_COLS: &str = "kind, channel, lang, body, updated_at, updated_by";

const ITEM_COLS: &str = "id, created_at, topic, kind, payload, status, attempts, next_attempt_at, last_error, delivered_at, dead_at";

fn item(r: &AnyRow) -> Result<OutboxItem> {
    Ok(OutboxItem {
        id: get_i64(r, "id")?,
        created_at: get_i64(r, "created_at")?,
        topic: get_str(r, "topic")?,
        kind: get_str(r, "kind")?,
        payload: serde_json::from_str(&get_str(r, "payload")?)
            .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?,
        status: get_str(r, "status")?,
        attempts: get_i64(r, "attempts")?,
        next_attempt_at: get_i64(r, "next_attempt_at")?,
        last_error: get_opt_str(r, "last_error")?,
        delivered_at: get_opt_i64(r, "delivered_at")?,
        dead_at: get_opt_i64(r, "dead_at")?,
    })
}

fn template(r: &AnyRow) -> Result<NoticeTemplate> {
    Ok(NoticeTemplate {
        kind: get_str(r, "kind")?,
        channel: get_str(r, "channel")?,
        lang: get_str(r, "lang")?,
        body: get_str(r, "body")?,
        updated_at: get_i64(r, "updated_at")?,
        updated_by: get_str(r, "updated_by")?,
    })
}

impl Store {
    /// Claims up to `limit` pending notices of `topics` due at `now`, oldest due first:
    /// counts an attempt on each and leases them until `lease_until`.
    pub async fn claim_outbox(
        &self,
        now: Millis,
        lease_until: Millis,
        topics: &[String],
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        if topics.is_empty() || limit <= 0 {
            return Ok(vec![]);
        }
        let mut p = self.dialect.params();
        let sql = format!(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = {lease} \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= {now} \
             AND topic IN ({topics}) ORDER BY next_attempt_at, id LIMIT {limit}{lock}){returning}",
            lease = p.next(),
            now = p.next(),
            topics = p.list(topics.len()),
            limit = p.next(),
            lock = self.dialect.for_update_skip_locked(),
            returning = self.dialect.returning(ITEM_COLS),
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now);
        for t in topics {
            q = q.bind(t.clone());
        }
        let rows = q.bind(limit).fetch_all(&self.write).await?;
        let mut items = rows.iter().map(item).collect::<Result<Vec<_>>>()?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Records what became of claimed notices. A row that is no longer pending (settled by
    /// another sender whose lease ran out first) is left alone.
    pub async fn settle_outbox(
        &self,
        tx: &mut Tx,
        now: Millis,
        outcomes: &[Settled],
    ) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let delivered: Vec<i64> = outcomes
            .iter()
            .filter_map(|o| match o {
                Settled::Delivered { id } => Some(*id),
                _ => None,
            })
            .collect();
        for chunk in delivered.chunks(500) {
            let mut p = self.dialect.params();
            let sql = format!(
                "UPDATE outbox SET status = 'delivered', delivered_at = {}, last_error = NULL \
                 WHERE status = 'pending' AND id IN ({})",
                p.next(),
                p.list(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await?;
        }
        for o in outcomes {
            match o {
                Settled::Delivered { .. } => {}
                Settled::Retry { id, at, error } => {
                    sqlx::query("UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3 AND status = 'pending'")
                        .bind(*at)
                        .bind(error.clone())
                        .bind(*id)
                        .execute(&mut **tx)
                        .await?;
                }
                Settled::Dead { id, error } => {
                    sqlx::query("UPDATE outbox SET status = 'dead', dead_at = $1, last_error = $2 WHERE id = $3 AND status = 'pending'")
                        .bind(now)
                        .bind(error.clone())
                        .bind(*id)
                        .execute(&mut **tx)
                        .await?;
                }
                Settled::Deferred { id, until } => {
                    sqlx::query("UPDATE outbox SET next_attempt_at = $1, attempts = attempts - 1 WHERE id = $2 AND status = 'pending'")
                        .bind(*until)
                        .bind(*id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// When the next pending notice of `topics` comes due, if any.
    pub async fn next_outbox_due(&self, topics: &[String]) -> Result<Option<Millis>> {
        if topics.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending' AND topic IN ({})",
            self.dialect.marks(topics.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in topics {
            q = q.bind(t.clone());
        }
        get_opt_i64(&q.fetch_one(self.reader()).await?, "t")
    }

    pub async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM outbox WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(item)
            .transpose()
    }

    /// Notices by status (`pending`, `delivered`, `dead`), oldest first.
    pub async fn outbox_by_status(
        &self,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM outbox WHERE status = $1 ORDER BY id LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(item).collect()
    }

    /// How many notices there are of each status.
    pub async fn outbox_counts(&self) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok((get_str(r, "status")?, get_i64(r, "n")?)))
            .collect()
    }

    /// The dead letters, the most recently dead first.
    pub async fn dead_letters(&self, limit: i64, offset: i64) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM outbox WHERE status = 'dead' ORDER BY dead_at DESC, id DESC LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(item).collect()
    }

    /// Puts a dead letter back in the queue, due at `now`, with its attempts reset (its
    /// last error stays until a send settles it). `NotFound` unless the notice is dead.
    pub async fn requeue_dead_letter(
        &self,
        tx: &mut Tx,
        id: i64,
        now: Millis,
    ) -> Result<OutboxItem> {
        let sql = format!(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, dead_at = NULL \
             WHERE id = $2 AND status = 'dead'{}",
            self.dialect.returning(ITEM_COLS)
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        r.as_ref()
            .map(item)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The names and phone numbers of the customers notices go to.
    pub async fn notice_recipients(
        &self,
        customer_ids: &[i64],
    ) -> Result<HashMap<i64, NoticeRecipient>> {
        let mut out = HashMap::with_capacity(customer_ids.len());
        for chunk in customer_ids.chunks(500) {
            let sql = format!(
                "SELECT id, name, phone, phone2 FROM customers WHERE id IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.reader()).await? {
                let customer_id = get_i64(&r, "id")?;
                out.insert(
                    customer_id,
                    NoticeRecipient {
                        customer_id,
                        name: get_str(&r, "name")?,
                        phone: get_opt_str(&r, "phone")?,
                        phone2: get_opt_str(&r, "phone2")?,
                    },
                );
            }
        }
        Ok(out)
    }

    // ---- templates ----

    pub async fn notice_templates(&self) -> Result<Vec<NoticeTemplate>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLS} FROM notice_templates ORDER BY kind, channel, lang"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(template).collect()
    }

    pub async fn notice_template(
        &self,
        kind: &str,
        channel: &str,
        lang: &str,
    ) -> Result<Option<NoticeTemplate>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLS} FROM notice_templates WHERE kind = $1 AND channel = $2 AND lang = $3"
        )))
        .bind(kind)
        .bind(channel)
        .bind(lang)
        .fetch_optional(self.reader())
        .await?
        .as_ref()
        .map(template)
        .transpose()
    }

    /// Creates or replaces the template of (kind, channel, lang).
    pub async fn set_notice_template(&self, tx: &mut Tx, t: &NoticeTemplate) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO notice_templates ({TEMPLATE_COLS}) VALUES ($1, $2, $3, $4, $5, $6){}",
            self.dialect.upsert(
                &["kind", "channel", "lang"],
                &["body", "updated_at", "updated_by"]
            )
        )))
        .bind(t.kind.clone())
        .bind(t.channel.clone())
        .bind(t.lang.clone())
        .bind(t.body.clone())
        .bind(t.updated_at)
        .bind(t.updated_by.clone())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
