//! CSV imports as jobs: one path for every kind of file (customers, organisation, outages,
//! voltage readings) and every caller (the CLI, the API, the upload page, the demo). It
//! decodes (UTF-8 or GBK), parses, collects the line-numbered errors and imports all or
//! nothing (or every valid row, when invalid rows may be skipped).
//!
//! Every import is a row in `import_jobs` with its state, progress and errors, so any server
//! and a restarted one can read it. While it runs, its server keeps the live progress in
//! memory and writes it to the row with a heartbeat; a job whose heartbeat stopped (its
//! server died) is marked failed by the sweep, which also removes finished jobs after the
//! retention period.

use crate::*;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use voltdesk_domain::import::{self as csv, RowError, TextEncoding};
use voltdesk_domain::job::{self, ImportKind, JobError, JobState};
use voltdesk_store::{JobEnd, JobRow, NewJob};

/// How an import treats invalid rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import the valid rows and report the invalid ones (customers and organisation only;
    /// outages and voltage readings are always all or nothing).
    pub skip_invalid: bool,
}

/// What an import reports while it works.
#[derive(Debug, Clone, Copy)]
pub enum ImportProgress {
    /// Parsing: bytes of the text read so far, of all of them.
    Parsing { read: usize, of: usize },
    /// The file is read: data rows (valid and invalid) and its encoding.
    Read {
        rows: usize,
        invalid: usize,
        encoding: TextEncoding,
    },
    /// Writing: rows written so far, of the rows to write.
    Writing { done: usize, of: usize },
}

/// What an import did, by kind.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    Customers(CustomerImportReport),
    Org {
        report: OrgImportReport,
        /// Invalid rows left out (only when they may be skipped).
        skipped: Vec<RowError>,
    },
    Outages(OutageImportReport),
    Voltage(VoltageRecorded),
}

/// A finished import.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub job_id: i64,
    pub encoding: TextEncoding,
    pub outcome: ImportOutcome,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file is neither UTF-8 nor GBK text.
    #[error(transparent)]
    Encoding(csv::ImportError),
    /// The header cannot be used (missing, unknown or duplicate columns).
    #[error("{0}")]
    Header(RowError),
    /// Rows are invalid; every one is named by its line.
    #[error("import rejected: {} row(s) invalid", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Service(ServiceError),
}

impl From<ServiceError> for ImportFailure {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Import(rows) => ImportFailure::Rows(rows),
            e => ImportFailure::Service(e),
        }
    }
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> Self {
        ImportFailure::Service(e.into())
    }
}

impl ImportFailure {
    /// The stable code a failed job keeps as its reason.
    pub fn reason(&self) -> &'static str {
        match self {
            ImportFailure::Encoding(_) => "invalid_encoding",
            ImportFailure::Header(_) => "invalid_header",
            ImportFailure::Rows(_) => "invalid_rows",
            ImportFailure::Service(e) => e.code(),
        }
    }

    /// The line-numbered errors a failed job keeps.
    fn errors(&self) -> Vec<JobError> {
        match self {
            ImportFailure::Encoding(e @ csv::ImportError::Encoding { line, .. }) => {
                vec![JobError {
                    line: *line,
                    field: None,
                    code: "invalid_encoding".into(),
                    message: e.to_string(),
                }]
            }
            ImportFailure::Header(e) => vec![e.into()],
            ImportFailure::Rows(rows) => rows.iter().map(JobError::from).collect(),
            ImportFailure::Service(_) => Vec::new(),
        }
    }
}

/// The reason of a job its server stopped working on.
pub const ABANDONED: &str = "abandoned";

/// An import job as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJobView {
    pub id: i64,
    pub kind: ImportKind,
    pub state: JobState,
    /// Rows imported so far (at the end: imported).
    pub done: i64,
    /// Data rows in the file (known once it is parsed).
    pub total: i64,
    /// Invalid rows: the file's errors, or the rows skipped.
    pub error_count: i64,
    /// The errors by line, the first ones (see `error_count`).
    pub errors: Vec<JobError>,
    /// Why a failed job failed: `invalid_encoding`, `invalid_header`, `invalid_rows`,
    /// `abandoned` (its server stopped) or an error code of the API.
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: Millis,
    pub finished_at: Option<Millis>,
}

/// The result of one sweep of the jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobSweep {
    /// Unfinished jobs marked failed: their server stopped.
    pub abandoned: usize,
    /// Finished jobs removed after the retention period.
    pub removed: u64,
}

/// The progress of a job running on this server.
#[derive(Default)]
struct Live {
    done: AtomicUsize,
    total: AtomicUsize,
}

/// The jobs this server runs, and how long finished jobs are kept.
pub(crate) struct Jobs {
    live: Mutex<HashMap<i64, Arc<Live>>>,
    retention_ms: AtomicI64,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            live: Mutex::default(),
            retention_ms: AtomicI64::new(job::RETENTION_DAYS * voltdesk_domain::DAY_MS),
        }
    }
}

impl Jobs {
    fn live(&self, id: i64) -> Option<Arc<Live>> {
        self.live.lock().expect("jobs lock").get(&id).cloned()
    }

    fn mine(&self) -> HashSet<i64> {
        self.live
            .lock()
            .expect("jobs lock")
            .keys()
            .copied()
            .collect()
    }
}

/// Ends the job's live progress when the run ends, however it ends.
struct Running {
    svc: Service,
    id: i64,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.heartbeat.abort();
        self.svc
            .jobs
            .live
            .lock()
            .expect("jobs lock")
            .remove(&self.id);
    }
}

impl Service {
    /// Imports a CSV file of `kind` and waits for the end. The import is recorded as a job
    /// (visible while it runs); `progress` follows parsing and writing.
    pub async fn import_csv(
        &self,
        kind: ImportKind,
        bytes: Vec<u8>,
        by: &Actor,
        options: ImportOptions,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> std::result::Result<ImportReport, ImportFailure> {
        let id = self.record_job(kind, by).await?;
        self.run_job(id, kind, decode(bytes), by, options, progress)
            .await
    }

    /// Starts an import of a CSV file of `kind` in the background; returns the job's id at
    /// once. The job's row tells how it goes ([`Service::import_job`]). A file that is not
    /// text at all is refused at once (its job is recorded as failed).
    pub async fn start_import(
        &self,
        kind: ImportKind,
        bytes: Vec<u8>,
        by: &Actor,
        options: ImportOptions,
    ) -> std::result::Result<i64, ImportFailure> {
        let id = self.record_job(kind, by).await?;
        let decoded = match decode(bytes) {
            Ok(text) => Ok(text),
            // Ends the job as failed, and says why.
            Err(e) => {
                return self
                    .run_job(id, kind, Err(e), by, options, &|_| {})
                    .await
                    .map(|r| r.job_id);
            }
        };
        let svc = self.clone();
        let by = by.clone();
        tokio::spawn(async move {
            if let Err(e) = svc.run_job(id, kind, decoded, &by, options, &|_| {}).await {
                tracing::info!(
                    job = id,
                    kind = kind.code(),
                    reason = e.reason(),
                    "import failed"
                );
            }
        });
        Ok(id)
    }

    /// One import job, with its live progress when this server runs it.
    pub async fn import_job(&self, id: i64) -> Result<ImportJobView> {
        let row = self
            .store
            .job(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "import job" })?;
        Ok(self.job_view(row, usize::MAX))
    }

    /// The newest import jobs first, each with its first errors only.
    pub async fn import_jobs(&self, limit: i64) -> Result<Vec<ImportJobView>> {
        const LISTED_ERRORS: usize = 10;
        Ok(self
            .store
            .jobs(limit)
            .await?
            .into_iter()
            .map(|r| self.job_view(r, LISTED_ERRORS))
            .collect())
    }

    /// How long finished import jobs are kept (30 days unless set).
    pub fn set_import_retention(&self, days: i64) {
        self.jobs
            .retention_ms
            .store(days * voltdesk_domain::DAY_MS, Ordering::Relaxed);
    }

    pub fn import_retention_ms(&self) -> i64 {
        self.jobs.retention_ms.load(Ordering::Relaxed)
    }

    /// Marks failed the unfinished jobs whose server stopped (no heartbeat for the lease),
    /// then removes the finished jobs older than the retention period.
    pub async fn sweep_import_jobs(&self) -> Result<JobSweep> {
        let now = self.now();
        let mine = self.jobs.mine();
        let mut sweep = JobSweep::default();
        for j in self.store.unfinished_jobs().await? {
            if mine.contains(&j.id) || !job::abandoned(j.state, j.heartbeat_at, now) {
                continue;
            }
            let end = JobEnd {
                state: JobState::Failed,
                done: j.done,
                total: j.total,
                error_count: 0,
                errors: "[]",
                reason: Some(ABANDONED),
                now,
            };
            if self.store.finish_job(j.id, &end).await? {
                sweep.abandoned += 1;
            }
        }
        let cutoff = job::removable_until(now, self.import_retention_ms());
        sweep.removed = self.store.delete_jobs_finished_by(cutoff).await?;
        Ok(sweep)
    }

    /// Sweeps the import jobs at start and then every `every`, until the task is dropped.
    pub async fn run_import_jobs(self, every: Duration) {
        loop {
            match self.sweep_import_jobs().await {
                Ok(s) if s != JobSweep::default() => {
                    tracing::info!(
                        abandoned = s.abandoned,
                        removed = s.removed,
                        "import jobs swept"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot sweep the import jobs"),
            }
            tokio::time::sleep(every).await;
        }
    }

    fn job_view(&self, r: JobRow, errors: usize) -> ImportJobView {
        let (mut done, mut total) = (r.done, r.total);
        if !r.state.is_final()
            && let Some(live) = self.jobs.live(r.id)
        {
            done = live.done.load(Ordering::Relaxed) as i64;
            total = live.total.load(Ordering::Relaxed) as i64;
        }
        let mut list: Vec<JobError> = serde_json::from_str(&r.errors).unwrap_or_default();
        list.truncate(errors);
        ImportJobView {
            id: r.id,
            kind: r.kind,
            state: r.state,
            done,
            total,
            error_count: r.error_count,
            errors: list,
            reason: r.reason,
            created_by: r.created_by,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }

    async fn record_job(&self, kind: ImportKind, by: &Actor) -> Result<i64> {
        let id = self
            .store
            .insert_job(&NewJob {
                kind,
                state: JobState::Running,
                created_by: by.user_id,
                created_by_name: &by.name,
                now: self.now(),
            })
            .await?;
        self.jobs
            .live
            .lock()
            .expect("jobs lock")
            .insert(id, Arc::default());
        Ok(id)
    }

    /// Runs a recorded job to its end and writes the end to its row.
    async fn run_job(
        &self,
        id: i64,
        kind: ImportKind,
        decoded: std::result::Result<(String, TextEncoding), csv::ImportError>,
        by: &Actor,
        options: ImportOptions,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> std::result::Result<ImportReport, ImportFailure> {
        let live = self.jobs.live(id).unwrap_or_default();
        let _running = Running {
            svc: self.clone(),
            id,
            heartbeat: tokio::spawn(heartbeat(self.clone(), id, live.clone())),
        };
        let result = match decoded {
            Ok((text, encoding)) => {
                self.import(kind, text, encoding, by, options, &live, progress)
                    .await
            }
            Err(e) => Err(ImportFailure::Encoding(e)),
        };
        let now = self.now();
        let (state, errors, reason) = match &result {
            Ok(r) => (JobState::Done, skipped(&r.outcome), None),
            Err(f) => (JobState::Failed, f.errors(), Some(f.reason())),
        };
        let error_count = errors.len() as i64;
        let kept = &errors[..errors.len().min(job::KEPT_ERRORS)];
        let errors = serde_json::to_string(kept).unwrap_or_else(|_| "[]".into());
        let end = JobEnd {
            state,
            done: live.done.load(Ordering::Relaxed) as i64,
            total: live.total.load(Ordering::Relaxed) as i64,
            error_count,
            errors: &errors,
            reason,
            now,
        };
        if let Err(e) = self.store.finish_job(id, &end).await {
            tracing::warn!(job = id, error = %e, "cannot record the end of an import job");
        }
        result.map(|mut r| {
            r.job_id = id;
            r
        })
    }

    /// Parses and imports; `live` follows the rows.
    #[allow(clippy::too_many_arguments)]
    async fn import(
        &self,
        kind: ImportKind,
        text: String,
        encoding: TextEncoding,
        by: &Actor,
        options: ImportOptions,
        live: &Live,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> std::result::Result<ImportReport, ImportFailure> {
        let read = |rows: usize, invalid: usize| {
            live.total.store(rows, Ordering::Relaxed);
            progress(ImportProgress::Read {
                rows,
                invalid,
                encoding,
            });
        };
        let outcome = match kind {
            ImportKind::Customers => {
                let items = csv::customer_rows(&text).map_err(ImportFailure::Header)?;
                let (rows, errors) = parse(&text, items, progress);
                read(rows.len() + errors.len(), errors.len());
                // A big register: the rows are all that is needed from here on.
                drop(text);
                let of = rows.len();
                let written = |done: usize| {
                    live.done.store(done, Ordering::Relaxed);
                    progress(ImportProgress::Writing { done, of });
                };
                let report = self
                    .import_customers(by, rows, errors, options.skip_invalid, &written)
                    .await?;
                live.done.store(report.imported, Ordering::Relaxed);
                ImportOutcome::Customers(report)
            }
            ImportKind::Org => {
                let items = csv::org_rows(&text).map_err(ImportFailure::Header)?;
                let (rows, errors) = parse(&text, items, progress);
                read(rows.len() + errors.len(), errors.len());
                if !errors.is_empty() && !options.skip_invalid {
                    return Err(ImportFailure::Rows(errors));
                }
                let rows: Vec<_> = rows.into_iter().map(|(_, row)| row).collect();
                progress(ImportProgress::Writing {
                    done: 0,
                    of: rows.len(),
                });
                let report = self.import_org(by, &rows).await?;
                live.done.store(report.rows, Ordering::Relaxed);
                progress(ImportProgress::Writing {
                    done: report.rows,
                    of: rows.len(),
                });
                ImportOutcome::Org {
                    report,
                    skipped: errors,
                }
            }
            ImportKind::Outages => {
                let report = self.import_outages(by, &text).await?;
                let rows = report.registered + report.replayed;
                read(rows, 0);
                live.done.store(rows, Ordering::Relaxed);
                ImportOutcome::Outages(report)
            }
            ImportKind::Voltage => {
                let report = self.import_voltage(by, &text).await?;
                read(report.recorded, 0);
                live.done.store(report.recorded, Ordering::Relaxed);
                ImportOutcome::Voltage(report)
            }
        };
        Ok(ImportReport {
            job_id: 0,
            encoding,
            outcome,
        })
    }
}

/// The file's text, owned: UTF-8 bytes become the text without a copy (the BOM dropped),
/// GBK is decoded.
fn decode(bytes: Vec<u8>) -> std::result::Result<(String, TextEncoding), csv::ImportError> {
    let (bom, encoding) = match csv::decode(&bytes)? {
        (std::borrow::Cow::Owned(text), encoding) => return Ok((text, encoding)),
        (std::borrow::Cow::Borrowed(text), encoding) => (bytes.len() - text.len(), encoding),
    };
    let mut bytes = bytes;
    bytes.drain(..bom);
    // Checked by `csv::decode` above; a failure here would be a bug, reported as bad text.
    String::from_utf8(bytes)
        .map(|text| (text, encoding))
        .map_err(|e| csv::ImportError::Encoding {
            line: 1,
            offset: e.utf8_error().valid_up_to(),
        })
}

/// The rows an import left out, by line.
fn skipped(outcome: &ImportOutcome) -> Vec<JobError> {
    match outcome {
        ImportOutcome::Customers(r) => r.errors.iter().map(JobError::from).collect(),
        ImportOutcome::Org { skipped, .. } => skipped.iter().map(JobError::from).collect(),
        ImportOutcome::Outages(_) | ImportOutcome::Voltage(_) => Vec::new(),
    }
}

/// Writes the job's progress to its row now and then, so that other servers see it and the
/// sweep knows its server is alive.
async fn heartbeat(svc: Service, id: i64, live: Arc<Live>) {
    let every = Duration::from_millis(job::HEARTBEAT_MS as u64);
    loop {
        tokio::time::sleep(every).await;
        let done = live.done.load(Ordering::Relaxed) as i64;
        let total = live.total.load(Ordering::Relaxed) as i64;
        if let Err(e) = svc
            .store
            .set_job_progress(id, JobState::Running, done, total, svc.now())
            .await
        {
            tracing::debug!(job = id, error = %e, "cannot record an import job's progress");
        }
    }
}

/// Collects rows and row errors, reporting progress through the text in bytes.
fn parse<T>(
    text: &str,
    items: impl Iterator<Item = std::result::Result<(u64, T), RowError>>,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> (Vec<(u64, T)>, Vec<RowError>) {
    let of = text.len();
    let mut cursor = LineCursor::new(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    progress(ImportProgress::Parsing { read: 0, of });
    for (n, item) in items.enumerate() {
        let line = match item {
            Ok((line, row)) => {
                rows.push((line, row));
                line
            }
            Err(e) => {
                let line = e.line;
                errors.push(e);
                line
            }
        };
        if n % 4096 == 0 {
            progress(ImportProgress::Parsing {
                read: cursor.offset_of(line),
                of,
            });
        }
    }
    progress(ImportProgress::Parsing { read: of, of });
    (rows, errors)
}

/// Byte offsets of 1-based lines, found moving forward only (one pass over the text).
struct LineCursor<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCursor {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn offset_of(&mut self, line: u64) -> usize {
        while self.line < line {
            match self.text[self.offset..].iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.offset += i + 1;
                    self.line += 1;
                }
                None => {
                    self.offset = self.text.len();
                    break;
                }
            }
        }
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_offsets() {
        let text = b"h\nab\n\ncd\n";
        let mut c = LineCursor::new(text);
        assert_eq!(c.offset_of(1), 0);
        assert_eq!(c.offset_of(2), 2);
        assert_eq!(c.offset_of(4), 6);
        assert_eq!(c.offset_of(9), 9);
    }
}
