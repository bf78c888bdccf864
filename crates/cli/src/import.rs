//! `import org` and `import customers`: read, decode (UTF-8 or GBK), parse with progress,
//! hand the rows to the service (all or nothing unless `--skip-invalid`), and report.

use crate::args::ImportArgs;
use crate::cli_actor;
use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};
use voltdesk_domain::import::{self, RowError, TextEncoding};
use voltdesk_service::{Service, ServiceError};

/// Errors printed in full; the rest are counted.
const SHOWN_ERRORS: usize = 50;

pub async fn org(svc: &Service, args: ImportArgs) -> Result<()> {
    let started = Instant::now();
    let bytes = read(&args)?;
    let (text, encoding) = import::decode(&bytes).map_err(|e| anyhow!(e))?;
    let rows_iter = import::org_rows(&text).map_err(|e| header_error(&e))?;
    let (rows, errors) = parse_with_progress(&text, rows_iter);
    let rows: Vec<_> = rows.into_iter().map(|(_, row)| row).collect();
    say_read(
        &args,
        rows.len() + errors.len(),
        encoding,
        started.elapsed(),
    );
    if !errors.is_empty() {
        print_errors(&errors);
        if !args.skip_invalid {
            bail!(rejected(errors.len(), rows.len()));
        }
    }
    let spinner = spinner("writing");
    let report = svc
        .import_org(&cli_actor(), &rows)
        .await
        .context("import failed; nothing was imported")?;
    spinner.finish_and_clear();
    let elapsed = started.elapsed();
    println!(
        "imported {} transformer areas of {} station(s), skipped {}, in {} ({})",
        report.areas,
        report.stations,
        errors.len(),
        seconds(elapsed),
        rate(report.rows, elapsed)
    );
    Ok(())
}

pub async fn customers(svc: &Service, args: ImportArgs) -> Result<()> {
    let started = Instant::now();
    let bytes = read(&args)?;
    let (text, encoding) = import::decode(&bytes).map_err(|e| anyhow!(e))?;
    let rows_iter = import::customer_rows(&text).map_err(|e| header_error(&e))?;
    let (rows, errors) = parse_with_progress(&text, rows_iter);
    let parsed = rows.len();
    let total = parsed + errors.len();
    let parse_time = started.elapsed();
    say_read(&args, total, encoding, parse_time);
    drop(text);
    drop(bytes);

    let bar = ProgressBar::new(parsed as u64).with_style(rows_style());
    bar.set_message("checking");
    bar.enable_steady_tick(Duration::from_millis(200));
    // When the first rows were written: the checks before it, the inserts after.
    let first_write = std::sync::OnceLock::new();
    let progress = |done: usize| {
        first_write.get_or_init(Instant::now);
        bar.set_message("writing");
        bar.set_position(done as u64);
    };
    let service_started = Instant::now();
    let result = svc
        .import_customers(&cli_actor(), rows, errors, args.skip_invalid, &progress)
        .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(ServiceError::Import(errors)) => {
            print_errors(&errors);
            bail!(rejected(errors.len(), total.saturating_sub(errors.len())));
        }
        Err(e) => return Err(anyhow!(e).context("import failed; nothing was imported")),
    };
    if !report.errors.is_empty() {
        print_errors(&report.errors);
    }
    let elapsed = started.elapsed();
    println!(
        "imported {} customers, skipped {}, in {} ({})",
        report.imported,
        report.skipped,
        seconds(elapsed),
        rate(report.imported, elapsed)
    );
    if let Some(first) = first_write.get() {
        eprintln!(
            "time: parse {}, check {}, write {}",
            seconds(parse_time),
            seconds(first.saturating_duration_since(service_started)),
            seconds(first.elapsed())
        );
    }
    let total = svc.store().count_customers().await?;
    println!("customers in the database: {total}");
    Ok(())
}

fn read(args: &ImportArgs) -> Result<Vec<u8>> {
    std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))
}

fn say_read(args: &ImportArgs, rows: usize, encoding: TextEncoding, took: Duration) {
    let enc = match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Gbk => "GBK",
    };
    eprintln!(
        "read {}: {rows} data rows, {enc}, in {}",
        args.file.display(),
        seconds(took)
    );
}

fn rejected(invalid: usize, valid: usize) -> String {
    format!(
        "import rejected: {invalid} invalid row(s), nothing was imported; fix the file, \
         or use --skip-invalid to import the {valid} valid row(s)"
    )
}

/// Collects rows and row errors, showing progress through the text in bytes.
fn parse_with_progress<T>(
    text: &str,
    items: impl Iterator<Item = Result<(u64, T), RowError>>,
) -> (Vec<(u64, T)>, Vec<RowError>) {
    let bar = ProgressBar::new(text.len() as u64).with_style(style(
        "{msg:9} [{elapsed_precise}] {wide_bar:.cyan/blue} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
    ));
    bar.set_message("parsing");
    let mut cursor = LineCursor::new(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
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
            bar.set_position(cursor.offset_of(line) as u64);
        }
    }
    bar.finish_and_clear();
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
    fn line_offsets() {
        let text = b"h\nab\n\ncd\n";
        let mut c = LineCursor::new(text);
        assert_eq!(c.offset_of(1), 0);
        assert_eq!(c.offset_of(2), 2);
        assert_eq!(c.offset_of(4), 6);
        assert_eq!(c.offset_of(9), 9);
    }

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
