//! `export orders`: the work-order list as CSV, in pages, with times in the station's zone.

use crate::args::ExportOrdersArgs;
use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use std::io::Write;
use voltdesk_domain::{Millis, OrderStatus};
use voltdesk_service::Service;
use voltdesk_store::{OrderFilter, OrderSort};

/// Rows per page read from the service.
const PAGE: i64 = 1000;

/// Excel takes a CSV file as UTF-8 only when it starts with this mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

const HEADER: [&str; 17] = [
    "order_no",
    "id",
    "created_at",
    "order_type",
    "order_type_zh",
    "channel",
    "subject",
    "status",
    "title",
    "customer_id",
    "station_id",
    "department_id",
    "next_due_at",
    "overdue",
    "escalated",
    "satisfaction",
    "closed_at",
];

/// An instant as local time in Asia/Shanghai, e.g. `2025-03-31 14:05:09`.
pub fn local_time(at: Millis) -> String {
    match Shanghai.timestamp_millis_opt(at).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => String::new(),
    }
}

/// Midnight at the start of `day` in Asia/Shanghai, as epoch milliseconds.
fn start_of_day(day: NaiveDate) -> Result<Millis> {
    let midnight = day.and_hms_opt(0, 0, 0).context("invalid day")?;
    Shanghai
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp_millis())
        .with_context(|| format!("{day} has no midnight in Asia/Shanghai"))
}

/// A status by code (`dispatched`) or Chinese label (已派单).
fn parse_status(s: &str) -> Result<OrderStatus> {
    let s = s.trim();
    OrderStatus::ALL
        .iter()
        .copied()
        .find(|x| x.code().eq_ignore_ascii_case(s) || x.zh() == s)
        .with_context(|| {
            let all: Vec<&str> = OrderStatus::ALL.iter().map(|x| x.code()).collect();
            format!("unknown status `{s}`; use one of: {}", all.join(", "))
        })
}

pub async fn orders(svc: &Service, a: ExportOrdersArgs) -> Result<()> {
    let station_id = match &a.station {
        Some(code) => Some(
            svc.station_by_code(code)
                .await
                .with_context(|| format!("station `{code}`"))?
                .id,
        ),
        None => None,
    };
    let statuses = a
        .status
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_status(s))
        .collect::<Result<Vec<_>>>()?;
    if let (Some(from), Some(to)) = (a.from, a.to)
        && from > to
    {
        bail!("--from {from} is after --to {to}");
    }
    let created_from = a.from.map(start_of_day).transpose()?;
    let created_to = match a.to {
        Some(day) => Some(start_of_day(
            day.succ_opt().context("--to is too far ahead")?,
        )?),
        None => None,
    };
    let filter = OrderFilter {
        station_id,
        statuses,
        created_from,
        created_to,
        sort: OrderSort::Id,
        descending: false,
        limit: PAGE,
        offset: 0,
        ..OrderFilter::default()
    };

    // A file is written beside its name and renamed at the end: never a half export.
    let Some(path) = &a.out else {
        write_csv(svc, filter, std::io::stdout().lock(), !a.no_bom).await?;
        return Ok(());
    };
    let mut tmp = path.clone().into_os_string();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let written = match write_csv(svc, filter, file, !a.no_bom).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    eprintln!("exported {written} work orders to {}", path.display());
    Ok(())
}

/// Writes every order the filter selects, a page at a time; returns how many.
async fn write_csv(
    svc: &Service,
    mut filter: OrderFilter,
    sink: impl Write,
    bom: bool,
) -> Result<u64> {
    let mut sink = std::io::BufWriter::with_capacity(1 << 16, sink);
    if bom {
        sink.write_all(UTF8_BOM)?;
    }
    let mut w = csv::Writer::from_writer(sink);
    w.write_record(HEADER)?;
    let mut written = 0u64;
    loop {
        let (page, _) = svc.orders(&filter).await.context("cannot read orders")?;
        for v in &page {
            let o = &v.order;
            let opt = |x: Option<i64>| x.map(|i| i.to_string()).unwrap_or_default();
            let time = |x: Option<Millis>| x.map(local_time).unwrap_or_default();
            w.write_record([
                v.order_no.as_str(),
                &o.id.to_string(),
                &local_time(o.created_at),
                o.order_type.code(),
                o.order_type.zh(),
                o.channel.code(),
                o.subject.map(|s| s.code()).unwrap_or_default(),
                o.status.code(),
                &o.title,
                &opt(o.customer_id),
                &o.station_id.to_string(),
                &opt(o.department_id),
                &time(o.next_due_at),
                if o.overdue { "1" } else { "0" },
                if o.escalated { "1" } else { "0" },
                o.satisfaction.map(|s| s.code()).unwrap_or_default(),
                &time(o.closed_at),
            ])?;
        }
        written += page.len() as u64;
        if (page.len() as i64) < PAGE {
            break;
        }
        filter.offset += PAGE;
    }
    w.into_inner()
        .map_err(|e| anyhow::Error::new(e.into_error()))?
        .flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_shanghai() {
        // 2025-01-01T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(local_time(1_735_689_600_000), "2025-01-01 08:00:00");
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            start_of_day(day).unwrap(),
            1_735_689_600_000 - 8 * 3_600_000
        );
    }

    #[test]
    fn statuses_by_code_or_label() {
        assert_eq!(parse_status("dispatched").unwrap(), OrderStatus::Dispatched);
        assert_eq!(parse_status("已归档").unwrap(), OrderStatus::Closed);
        assert!(parse_status("done").is_err());
    }
}
