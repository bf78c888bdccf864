//! Import jobs. Each write commits on its own (no command transaction): a job's row must be
//! visible to other servers while the import it describes is still running.

use crate::*;
use voltdesk_domain::job::{ImportKind, JobState};

/// One import job as stored. `errors` is JSON text (the service reads it).
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: i64,
    pub kind: ImportKind,
    pub state: JobState,
    pub done: i64,
    pub total: i64,
    pub error_count: i64,
    pub errors: String,
    /// Why a failed job failed: a stable code.
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: i64,
    pub heartbeat_at: i64,
    pub finished_at: Option<i64>,
}

/// A job to record.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: ImportKind,
    pub state: JobState,
    pub created_by: Option<i64>,
    pub created_by_name: &'a str,
    pub now: i64,
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct JobEnd<'a> {
    pub state: JobState,
    pub done: i64,
    pub total: i64,
    pub error_count: i64,
    pub errors: &'a str,
    pub reason: Option<&'a str>,
    pub now: i64,
}

const COLS: &str = "id, kind, state, done, total, error_count, errors, reason, created_by, \
                    created_by_name, created_at, heartbeat_at, finished_at";

fn job(r: &AnyRow) -> Result<JobRow> {
    Ok(JobRow {
        id: get_i64(r, "id")?,
        kind: get_str(r, "kind")?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("kind: {e}")))?,
        state: get_str(r, "state")?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("state: {e}")))?,
        done: get_i64(r, "done")?,
        total: get_i64(r, "total")?,
        error_count: get_i64(r, "error_count")?,
        errors: get_str(r, "errors")?,
        reason: get_opt_str(r, "reason")?,
        created_by: get_opt_i64(r, "created_by")?,
        created_by_name: get_str(r, "created_by_name")?,
        created_at: get_i64(r, "created_at")?,
        heartbeat_at: get_i64(r, "heartbeat_at")?,
        finished_at: get_opt_i64(r, "finished_at")?,
    })
}

impl Store {
    /// Records a job; returns its id.
    pub async fn insert_job(&self, j: &NewJob<'_>) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO import_jobs (kind, state, done, total, error_count, errors, created_by, \
             created_by_name, created_at, heartbeat_at) \
             VALUES ($1, $2, 0, 0, 0, '[]', $3, $4, $5, $6) RETURNING id",
        )
        .bind(j.kind.code())
        .bind(j.state.code())
        .bind(j.created_by)
        .bind(j.created_by_name)
        .bind(j.now)
        .bind(j.now)
        .fetch_one(&self.write)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM import_jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(job).transpose()
    }

    /// The newest jobs first.
    pub async fn jobs(&self, limit: i64) -> Result<Vec<JobRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(job).collect()
    }

    /// The jobs not finished, oldest first.
    pub async fn unfinished_jobs(&self) -> Result<Vec<JobRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM import_jobs WHERE state IN ('queued', 'running') ORDER BY id"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(job).collect()
    }

    /// Progress of an unfinished job, and the heartbeat of its server.
    pub async fn set_job_progress(
        &self,
        id: i64,
        state: JobState,
        done: i64,
        total: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE import_jobs SET state = $1, done = $2, total = $3, heartbeat_at = $4 \
             WHERE id = $5 AND state IN ('queued', 'running')",
        )
        .bind(state.code())
        .bind(done)
        .bind(total)
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Ends an unfinished job; `false` when it had already ended.
    pub async fn finish_job(&self, id: i64, end: &JobEnd<'_>) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE import_jobs SET state = $1, done = $2, total = $3, error_count = $4, \
             errors = $5, reason = $6, heartbeat_at = $7, finished_at = $8 \
             WHERE id = $9 AND state IN ('queued', 'running')",
        )
        .bind(end.state.code())
        .bind(end.done)
        .bind(end.total)
        .bind(end.error_count)
        .bind(end.errors)
        .bind(end.reason)
        .bind(end.now)
        .bind(end.now)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Removes the finished jobs that ended at or before `cutoff`; returns how many.
    pub async fn delete_jobs_finished_by(&self, cutoff: i64) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM import_jobs WHERE finished_at <= $1 AND state IN ('done', 'failed')",
        )
        .bind(cutoff)
        .execute(&self.write)
        .await?
        .rows_affected())
    }
}
