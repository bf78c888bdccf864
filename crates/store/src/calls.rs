//! The contact centre's records: each agent's SIP account and desk phone, every call as the
//! telephony side handed it over when it ended (once per `call_key`), and the callbacks
//! promised to callers.

use crate::customers::Bind;
use crate::*;
use voltdesk_domain::call::{CallLeg, CallRecordDraft, IvrStep};
use voltdesk_domain::{CallOutcome, CallbackStatus, Millis};

/// An agent's SIP account and desk phone.
#[derive(Debug, Clone)]
pub struct AgentPhoneRow {
    pub user_id: i64,
    /// MD5(username:realm:password), lowercase hex; `None`: no SIP account.
    pub sip_ha1: Option<String>,
    /// The desk phone dialled for this agent when no softphone is registered.
    pub static_contact: Option<String>,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct CallRow {
    pub id: i64,
    pub call_key: String,
    pub caller: String,
    pub dialled: String,
    pub source: String,
    pub customer_id: Option<i64>,
    pub station_id: Option<i64>,
    pub started_at: Millis,
    pub queue: Option<String>,
    pub queued_at: Option<Millis>,
    pub offered_at: Option<Millis>,
    pub agent_user_id: Option<i64>,
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    pub wait_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub wrap_up_ms: Option<i64>,
    pub outcome: CallOutcome,
    pub ivr_path: Vec<IvrStep>,
    pub legs: Vec<CallLeg>,
    pub order_ids: Vec<i64>,
    pub survey: Option<i64>,
    pub recording: Option<String>,
}

/// Which calls a list holds, newest first.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// Calls that started at or after this instant.
    pub from: Option<Millis>,
    /// Calls that started before this instant.
    pub to: Option<Millis>,
    pub outcome: Option<CallOutcome>,
    pub agent_user_id: Option<i64>,
    pub queue: Option<String>,
    pub customer_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
    /// Count at most this many (plus one, to tell "more"); `None`: count them all.
    pub count_cap: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct CallbackRow {
    pub id: i64,
    pub call_id: i64,
    pub customer_id: Option<i64>,
    pub phone: String,
    pub queue: String,
    pub requested_at: Millis,
    pub due_at: Millis,
    pub status: CallbackStatus,
    pub done_at: Option<Millis>,
    pub done_by: Option<i64>,
    pub note: Option<String>,
}

/// A callback to promise.
#[derive(Debug, Clone)]
pub struct NewCallback<'a> {
    pub call_id: i64,
    pub customer_id: Option<i64>,
    pub phone: &'a str,
    pub queue: &'a str,
    pub requested_at: Millis,
    pub due_at: Millis,
    pub note: Option<&'a str>,
}

const PHONE_COLS: &str = "user_id, sip_ha1, static_contact, updated_at";

const CALL_COLS: &str = "id, call_key, caller, dialled, source, customer_id, station_id, started_at, \
     queue, queued_at, offered_at, agent_user_id, answered_at, ended_at, wait_ms, talk_ms, wrap_up_ms, \
     outcome, ivr_path, legs, order_ids, survey, recording";

const CALLBACK_COLS: &str = "id, call_id, customer_id, phone, queue, requested_at, due_at, status, \
     done_at, done_by, note";

fn phone(r: &AnyRow) -> Result<AgentPhoneRow> {
    Ok(AgentPhoneRow {
        user_id: get_i64(r, "user_id")?,
        sip_ha1: get_opt_str(r, "sip_ha1")?,
        static_contact: get_opt_str(r, "static_contact")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

fn json_col<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&get_str(r, col)?).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn call(r: &AnyRow) -> Result<CallRow> {
    Ok(CallRow {
        id: get_i64(r, "id")?,
        call_key: get_str(r, "call_key")?,
        caller: get_str(r, "caller")?,
        dialled: get_str(r, "dialled")?,
        source: get_str(r, "source")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        station_id: get_opt_i64(r, "station_id")?,
        started_at: get_i64(r, "started_at")?,
        queue: get_opt_str(r, "queue")?,
        queued_at: get_opt_i64(r, "queued_at")?,
        offered_at: get_opt_i64(r, "offered_at")?,
        agent_user_id: get_opt_i64(r, "agent_user_id")?,
        answered_at: get_opt_i64(r, "answered_at")?,
        ended_at: get_i64(r, "ended_at")?,
        wait_ms: get_opt_i64(r, "wait_ms")?,
        talk_ms: get_opt_i64(r, "talk_ms")?,
        wrap_up_ms: get_opt_i64(r, "wrap_up_ms")?,
        outcome: get_enum(r, "outcome")?,
        ivr_path: json_col(r, "ivr_path")?,
        legs: json_col(r, "legs")?,
        order_ids: json_col(r, "order_ids")?,
        survey: get_opt_i64(r, "survey")?,
        recording: get_opt_str(r, "recording")?,
    })
}

fn callback(r: &AnyRow) -> Result<CallbackRow> {
    Ok(CallbackRow {
        id: get_i64(r, "id")?,
        call_id: get_i64(r, "call_id")?,
        customer_id: get_opt_i64(r, "customer_id")?,
        phone: get_str(r, "phone")?,
        queue: get_str(r, "queue")?,
        requested_at: get_i64(r, "requested_at")?,
        due_at: get_i64(r, "due_at")?,
        status: get_enum(r, "status")?,
        done_at: get_opt_i64(r, "done_at")?,
        done_by: get_opt_i64(r, "done_by")?,
        note: get_opt_str(r, "note")?,
    })
}

impl Store {
    // ---- agents' phones ----

    pub async fn agent_phone(&self, user_id: i64) -> Result<Option<AgentPhoneRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PHONE_COLS} FROM agent_phones WHERE user_id = $1"
        )))
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(phone).transpose()
    }

    /// Every agent's phone row, by user id.
    pub async fn agent_phones(&self) -> Result<Vec<AgentPhoneRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PHONE_COLS} FROM agent_phones ORDER BY user_id"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(phone).collect()
    }

    /// Sets an agent's SIP secret (HA1), keeping the desk phone.
    pub async fn set_agent_sip_ha1(
        &self,
        tx: &mut Tx,
        user_id: i64,
        ha1: &str,
        at: Millis,
    ) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO agent_phones (user_id, sip_ha1, updated_at) VALUES ($1, $2, $3){}",
            self.dialect
                .upsert(&["user_id"], &["sip_ha1", "updated_at"])
        )))
        .bind(user_id)
        .bind(ha1)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Sets or clears an agent's desk phone, keeping the SIP secret.
    pub async fn set_agent_contact(
        &self,
        tx: &mut Tx,
        user_id: i64,
        contact: Option<&str>,
        at: Millis,
    ) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO agent_phones (user_id, static_contact, updated_at) VALUES ($1, $2, $3){}",
            self.dialect
                .upsert(&["user_id"], &["static_contact", "updated_at"])
        )))
        .bind(user_id)
        .bind(contact)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    // ---- calls ----

    /// Stores a call record in the command's transaction, once per `call_key`: answers the
    /// new row's id and `true`, or, for a key already stored, that row's id and `false` (and
    /// writes nothing). `station_id` is the record's, or the one the service found for it.
    pub async fn insert_call(
        &self,
        tx: &mut Tx,
        d: &CallRecordDraft,
        station_id: Option<i64>,
    ) -> Result<(i64, bool)> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO calls (call_key, caller, dialled, source, customer_id, station_id, started_at, \
             queue, queued_at, offered_at, agent_user_id, answered_at, ended_at, wait_ms, talk_ms, \
             wrap_up_ms, outcome, ivr_path, legs, order_ids, survey, recording) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22){}{}",
            self.dialect.insert_or_skip(&["call_key"]),
            self.dialect.returning("id")
        )))
        .bind(&d.call_key)
        .bind(&d.caller)
        .bind(&d.dialled)
        .bind(&d.source)
        .bind(d.customer_id)
        .bind(station_id)
        .bind(d.started_at)
        .bind(d.queue.as_deref())
        .bind(d.queued_at)
        .bind(d.offered_at)
        .bind(d.agent_user_id)
        .bind(d.answered_at)
        .bind(d.ended_at)
        .bind(d.wait_ms())
        .bind(d.talk_ms())
        .bind(d.wrap_up_ms)
        .bind(d.outcome.code())
        .bind(to_json(&d.ivr_path))
        .bind(to_json(&d.legs))
        .bind(to_json(&d.order_ids))
        .bind(d.survey.map(i64::from))
        .bind(d.recording.as_deref())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = r {
            return Ok((get_i64(&r, "id")?, true));
        }
        // The key is taken: by a committed record, or by one whose transaction this insert
        // waited for (PostgreSQL), which this statement now sees.
        let r = sqlx::query("SELECT id FROM calls WHERE call_key = $1")
            .bind(&d.call_key)
            .fetch_one(&mut **tx)
            .await?;
        Ok((get_i64(&r, "id")?, false))
    }

    pub async fn call(&self, id: i64) -> Result<Option<CallRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALL_COLS} FROM calls WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(call).transpose()
    }

    pub async fn call_by_key(&self, key: &str) -> Result<Option<CallRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALL_COLS} FROM calls WHERE call_key = $1"
        )))
        .bind(key)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(call).transpose()
    }

    /// The calls a filter holds, newest first, and how many there are (up to the cap, plus
    /// one to tell "more than").
    pub async fn calls(&self, f: &CallFilter) -> Result<(Vec<CallRow>, i64)> {
        let mut where_ = String::from(" WHERE 1=1");
        let mut binds: Vec<Bind> = Vec::new();
        let mut push = |clause: &str, v: Bind, binds: &mut Vec<Bind>| {
            binds.push(v);
            where_ += &clause.replace('?', &format!("${}", binds.len()));
        };
        if let Some(v) = f.from {
            push(" AND started_at >= ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.to {
            push(" AND started_at < ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = f.outcome {
            push(" AND outcome = ?", Bind::S(v.code().into()), &mut binds);
        }
        if let Some(v) = f.agent_user_id {
            push(" AND agent_user_id = ?", Bind::I(v), &mut binds);
        }
        if let Some(v) = &f.queue {
            push(" AND queue = ?", Bind::S(v.clone()), &mut binds);
        }
        if let Some(v) = f.customer_id {
            push(" AND customer_id = ?", Bind::I(v), &mut binds);
        }
        let limit = f.limit.clamp(1, 1000);
        let offset = f.offset.max(0);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALL_COLS} FROM calls{where_} ORDER BY started_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        )));
        for v in &binds {
            q = v.bind(q);
        }
        let rows = q.fetch_all(self.reader()).await?;
        // A capped count stops after `cap + 1` rows; deep pages count exactly.
        let sql = match f.count_cap.filter(|c| offset + limit <= *c) {
            Some(c) => format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM calls{where_} LIMIT {}) capped",
                c + 1
            ),
            None => format!("SELECT COUNT(*) AS n FROM calls{where_}"),
        };
        let mut cq = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in &binds {
            cq = v.bind(cq);
        }
        let total = get_i64(&cq.fetch_one(self.reader()).await?, "n")?;
        Ok((rows.iter().map(call).collect::<Result<_>>()?, total))
    }

    /// A customer's latest calls, newest first.
    pub async fn customer_calls(&self, customer_id: i64, limit: i64) -> Result<Vec<CallRow>> {
        Ok(self
            .calls(&CallFilter {
                customer_id: Some(customer_id),
                limit,
                count_cap: Some(0),
                ..CallFilter::default()
            })
            .await?
            .0)
    }

    /// The queue names calls were recorded in, by name.
    pub async fn call_queues(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT queue FROM calls WHERE queue IS NOT NULL ORDER BY queue LIMIT 200",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| get_str(r, "queue")).collect()
    }

    // ---- callbacks ----

    pub async fn insert_callback(&self, tx: &mut Tx, c: &NewCallback<'_>) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO callbacks (call_id, customer_id, phone, queue, requested_at, due_at, status, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(c.call_id)
        .bind(c.customer_id)
        .bind(c.phone)
        .bind(c.queue)
        .bind(c.requested_at)
        .bind(c.due_at)
        .bind(CallbackStatus::Open.code())
        .bind(c.note)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn callback(&self, id: i64) -> Result<Option<CallbackRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALLBACK_COLS} FROM callbacks WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(callback).transpose()
    }

    /// A callback read inside a transaction, locked until it ends (PostgreSQL).
    pub async fn callback_for_update(&self, tx: &mut Tx, id: i64) -> Result<Option<CallbackRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALLBACK_COLS} FROM callbacks WHERE id = $1{}",
            self.dialect.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        r.as_ref().map(callback).transpose()
    }

    /// The open callbacks, the earliest due first; or every callback, the latest promised
    /// first. At most `limit`.
    pub async fn callbacks(&self, open_only: bool, limit: i64) -> Result<Vec<CallbackRow>> {
        let limit = limit.clamp(1, 1000);
        let rows = if open_only {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {CALLBACK_COLS} FROM callbacks WHERE status = $1 ORDER BY due_at, id LIMIT $2"
            )))
            .bind(CallbackStatus::Open.code())
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {CALLBACK_COLS} FROM callbacks ORDER BY requested_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(self.reader())
            .await?
        };
        rows.iter().map(callback).collect()
    }

    /// The callbacks promised on a call, by id.
    pub async fn call_callbacks(&self, call_id: i64) -> Result<Vec<CallbackRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CALLBACK_COLS} FROM callbacks WHERE call_id = $1 ORDER BY id"
        )))
        .bind(call_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(callback).collect()
    }

    /// Closes an open callback (done or cancelled); `NotFound` when it is not open.
    pub async fn close_callback(
        &self,
        tx: &mut Tx,
        id: i64,
        status: CallbackStatus,
        by: Option<i64>,
        at: Millis,
        note: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE callbacks SET status = $1, done_at = $2, done_by = $3, note = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(status.code())
        .bind(at)
        .bind(by)
        .bind(note)
        .bind(id)
        .bind(CallbackStatus::Open.code())
        .execute(&mut **tx)
        .await?;
        changed_one(done.rows_affected())
    }
}
