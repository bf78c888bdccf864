//! `import org` and `import customers`: read the file and hand it to the service's one
//! import path (decode UTF-8 or GBK, parse, check, write all or nothing unless
//! `--skip-invalid`), showing its progress; then report.

use crate::args::ImportArgs;
use crate::cli_actor;
use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use voltdesk_domain::import::{RowError, TextEncoding};
use voltdesk_domain::job::ImportKind;
use voltdesk_service::{
    ImportFailure, ImportOptions, ImportOutcome, ImportProgress, ImportReport, Service,
};

/// Errors printed in full; the rest are counted.
const SHOWN_ERRORS: usize = 50;

pub async fn org(svc: &Service, args: ImportArgs) -> Result<()> {
    let run = Run::new(&args);
    let done = run.import(svc, ImportKind::Org, &args).await?;
    let ImportOutcome::Org { report, skipped } = done.outcome else {
        bail!("the import answered with another kind's report");
    };
    if !skipped.is_empty() {
        print_errors(&skipped);
    }
    let elapsed = run.started.elapsed();
    println!(
        "imported {} transformer areas of {} station(s), skipped {}, in {} ({})",
        report.areas,
        report.stations,
        skipped.len(),
        seconds(elapsed),
        rate(report.rows, elapsed)
    );
    Ok(())
}

pub async fn customers(svc: &Service, args: ImportArgs) -> Result<()> {
    let run = Run::new(&args);
    let done = run.import(svc, ImportKind::Customers, &args).await?;
    let ImportOutcome::Customers(report) = done.outcome else {
        bail!("the import answered with another kind's report");
    };
    if !report.errors.is_empty() {
        print_errors(&report.errors);
    }
    let elapsed = run.started.elapsed();
    println!(
        "imported {} customers, skipped {}, in {} ({})",
        report.imported,
        report.skipped,
        seconds(elapsed),
        rate(report.imported, elapsed)
    );
    if let (Some(read), Some(first)) = (run.read_at.get(), run.first_write.get()) {
        eprintln!(
            "time: parse {}, check {}, write {}",
            seconds(read.saturating_duration_since(run.started)),
            seconds(first.saturating_duration_since(*read)),
            seconds(first.elapsed())
        );
    }
    let total = svc.store().count_customers().await?;
    println!("customers in the database: {total}");
    Ok(())
}

/// One import on the terminal: the bars that follow the service's progress, and what the
/// report needs to know of it.
struct Run {
    file: std::path::PathBuf,
    started: Instant,
    /// Data rows in the file, once it is parsed.
    rows: OnceLock<usize>,
    read_at: OnceLock<Instant>,
    /// When the first rows were written: the checks before it, the inserts after.
    first_write: OnceLock<Instant>,
    bar: Mutex<Option<ProgressBar>>,
}

impl Run {
    fn new(args: &ImportArgs) -> Run {
        Run {
            file: args.file.clone(),
            started: Instant::now(),
            rows: OnceLock::new(),
            read_at: OnceLock::new(),
            first_write: OnceLock::new(),
            bar: Mutex::new(None),
        }
    }

    async fn import(
        &self,
        svc: &Service,
        kind: ImportKind,
        args: &ImportArgs,
    ) -> Result<ImportReport> {
        let bytes = std::fs::read(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        let options = ImportOptions {
            skip_invalid: args.skip_invalid,
        };
        let result = svc
            .import_csv(kind, bytes, &cli_actor(), options, &|p| self.show(kind, p))
            .await;
        self.clear();
        result.map_err(|f| self.failure(f))
    }

    fn show(&self, kind: ImportKind, p: ImportProgress) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            ImportProgress::Parsing { read, of } => {
                let b = bar.get_or_insert_with(|| {
                    let b = ProgressBar::new(of as u64).with_style(style(
                        "{msg:9} [{elapsed_precise}] {wide_bar:.cyan/blue} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
                    ));
                    b.set_message("parsing");
                    b
                });
                b.set_position(read as u64);
            }
            ImportProgress::Read {
                rows,
                invalid,
                encoding,
            } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                let now = Instant::now();
                let _ = self.rows.set(rows);
                let _ = self.read_at.set(now);
                say_read(&self.file, rows, encoding, now - self.started);
                *bar = Some(if kind == ImportKind::Customers {
                    let b = ProgressBar::new((rows - invalid) as u64).with_style(rows_style());
                    b.set_message("checking");
                    b.enable_steady_tick(Duration::from_millis(200));
                    b
                } else {
                    spinner("writing")
                });
            }
            ImportProgress::Writing { done, .. } => {
                self.first_write.get_or_init(Instant::now);
                if let Some(b) = bar.as_ref()
                    && kind == ImportKind::Customers
                {
                    b.set_message("writing");
                    b.set_position(done as u64);
                }
            }
        }
    }

    fn clear(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            b.finish_and_clear();
        }
    }

    fn failure(&self, f: ImportFailure) -> anyhow::Error {
        match f {
            ImportFailure::Encoding(e) => anyhow!(e),
            ImportFailure::Header(e) => header_error(&e),
            ImportFailure::Rows(errors) => {
                print_errors(&errors);
                let rows = self.rows.get().copied().unwrap_or(errors.len());
                anyhow!(rejected(errors.len(), rows.saturating_sub(errors.len())))
            }
            ImportFailure::Service(e) => anyhow!(e).context("import failed; nothing was imported"),
        }
    }
}

fn say_read(file: &std::path::Path, rows: usize, encoding: TextEncoding, took: Duration) {
    let enc = match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Gbk => "GBK",
    };
    eprintln!(
        "read {}: {rows} data rows, {enc}, in {}",
        file.display(),
        seconds(took)
    );
}

fn rejected(invalid: usize, valid: usize) -> String {
    format!(
        "import rejected: {invalid} invalid row(s), nothing was imported; fix the file, \
         or use --skip-invalid to import the {valid} valid row(s)"
    )
}

fn header_error(e: &RowError) -> anyhow::Error {
    anyhow!("{}", format_error(e)).context("the file cannot be imported")
}

/// `line N: field: message [code]`
pub fn format_error(e: &RowError) -> String {
    match &e.field {
        Some(f) if !f.is_empty() => format!("line {}: {f}: {} [{}]", e.line, e.message, e.code),
        _ => format!("line {}: {} [{}]", e.line, e.message, e.code),
    }
}

fn print_errors(errors: &[RowError]) {
    for e in errors.iter().take(SHOWN_ERRORS) {
        eprintln!("{}", format_error(e));
    }
    if errors.len() > SHOWN_ERRORS {
        eprintln!("… and {} more", errors.len() - SHOWN_ERRORS);
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A bar counting rows, with a whole-number rate.
pub fn rows_style() -> ProgressStyle {
    style(
        "{msg:9} [{elapsed_precise}] {wide_bar:.cyan/blue} {human_pos}/{human_len} rows {rate} ETA {eta}",
    )
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} rows/s", state.per_sec());
        },
    )
}

fn spinner(message: &'static str) -> ProgressBar {
    let s = ProgressBar::new_spinner();
    s.set_message(message);
    s.enable_steady_tick(Duration::from_millis(120));
    s
}

pub fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn rate(rows: usize, d: Duration) -> String {
    let secs = d.as_secs_f64().max(1e-6);
    format!("{:.0} rows/s", rows as f64 / secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines() {
        let e = RowError {
            line: 7,
            field: Some("usage_class".into()),
            code: "invalid_value",
            message: "unknown usage class".into(),
        };
        assert_eq!(
            format_error(&e),
            "line 7: usage_class: unknown usage class [invalid_value]"
        );
    }
}
