//! The analyst's dashboard: figures and charts over a date range for a station or grid, and
//! the same figures as CSV.

use super::*;
use axum::extract::Query;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use voltdesk_service::{Dashboard, DashboardQuery};
use voltdesk_store::{GridRow, StationRow};

#[derive(Deserialize, Default)]
pub struct DashQ {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    station_id: Option<String>,
    #[serde(default)]
    grid_id: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

fn date(field: &str, s: &Option<String>) -> PageResult<Option<NaiveDate>> {
    match s.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PageError::bad(format!("{field}: expected yyyy-mm-dd"))),
    }
}

fn query_of(q: &DashQ) -> PageResult<DashboardQuery> {
    Ok(DashboardQuery {
        from: date("from", &q.from)?,
        to: date("to", &q.to)?,
        station_id: q.station_id.as_deref().and_then(|s| s.parse().ok()),
        grid_id: q.grid_id.as_deref().and_then(|s| s.parse().ok()),
    })
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    d: Dashboard,
    stations: Vec<StationRow>,
    grids: Vec<GridRow>,
    station_id: Option<i64>,
    grid_id: Option<i64>,
    chart_json: String,
    query: String,
    grid_names: std::collections::HashMap<i64, String>,
    on_time: String,
    satisfied: String,
    per_10k: String,
}

impl DashboardPage {
    fn is_station(&self, id: impl i18n::Ms) -> bool {
        self.station_id == Some(id.ms())
    }
    fn is_grid(&self, id: impl i18n::Ms) -> bool {
        self.grid_id == Some(id.ms())
    }
}

fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The chart data the page's script draws, with labels in the viewer's language.
fn chart_data(tr: i18n::Tr, d: &Dashboard) -> serde_json::Value {
    // A day not counted yet draws as a gap, not as a fall to zero; today, the day so far, is in
    // the totals and the bars but not on the daily lines, which end at the last full day.
    let known = |i: usize| {
        d.counted.get(i).copied().unwrap_or(true)
            && d.partial_day.as_deref() != d.days.get(i).map(String::as_str)
    };
    let counts = |v: &[i64]| -> Vec<Option<i64>> {
        v.iter()
            .enumerate()
            .map(|(i, x)| known(i).then_some(*x))
            .collect()
    };
    let shares = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        v.iter()
            .enumerate()
            .map(|(i, x)| x.filter(|_| known(i)))
            .collect()
    };
    let series = |dim: &str, v: &[voltdesk_service::Series]| -> Vec<serde_json::Value> {
        v.iter()
            .map(|s| json!({"code": s.code, "label": tr.code_label(dim, &s.code), "values": counts(&s.values), "total": s.total}))
            .collect()
    };
    json!({
        "x": d.day_starts,
        "by_type": series("type", &d.by_type),
        "by_channel": series("channel", &d.by_channel),
        "by_class": series("class", &d.by_class),
        "on_time": shares(&d.on_time_share),
        "satisfied": shares(&d.satisfied_share),
        "top_areas": d.top_areas.iter().map(|a| json!({"label": a.area, "complaints": a.complaints, "per_10k": a.per_10k})).collect::<Vec<_>>(),
        "labels": {
            "on_time": tr.t("on_time"),
            "satisfied": tr.t("satisfied_rate"),
            "complaints": tr.t("complaints"),
        }
    })
}

pub async fn dashboard(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<DashQ>,
) -> PageResult {
    let dq = query_of(&q).map_err(|e| e.back("/dashboard"))?;
    let d = svc
        .dashboard(&dq)
        .await
        .map_err(|e| PageError::from(e).back("/dashboard"))?;
    let grids = svc.grids(dq.station_id).await?;
    // Script data inside <script>: "</" must not end the element.
    let chart_json = chart_data(v.tr, &d).to_string().replace("</", "<\\/");
    let query = format!(
        "from={}&to={}{}{}",
        d.from,
        d.to,
        dq.station_id
            .map(|s| format!("&station_id={s}"))
            .unwrap_or_default(),
        dq.grid_id
            .map(|g| format!("&grid_id={g}"))
            .unwrap_or_default()
    );
    render(&DashboardPage {
        c: v.chrome("/dashboard", &q.flash),
        stations: svc.stations().await?,
        grid_names: grids.iter().map(|g| (g.id, g.name.clone())).collect(),
        grids,
        station_id: dq.station_id,
        grid_id: dq.grid_id,
        chart_json,
        query,
        on_time: pct(d.totals.closed_on_time, d.totals.closed),
        satisfied: pct(d.totals.satisfied, d.totals.visits),
        per_10k: format!("{:.2}", d.complaints_per_10k),
        d,
    })
}

/// The dashboard's figures as CSV: one row per day, then the areas with most complaints.
pub async fn export(State(svc): State<Service>, v: Viewer, Query(q): Query<DashQ>) -> PageResult {
    let dq = query_of(&q)?;
    let d = svc.dashboard(&dq).await?;
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let tr = v.tr;
    let mut head = vec![
        "date".to_string(),
        tr.t("volume").to_string(),
        tr.t("on_time").to_string(),
        tr.t("satisfied_rate").to_string(),
    ];
    head.extend(d.by_type.iter().map(|s| tr.code_label("type", &s.code)));
    head.extend(
        d.by_channel
            .iter()
            .map(|s| tr.code_label("channel", &s.code)),
    );
    let csv_err = |e: csv::Error| PageError::bad(e.to_string());
    w.write_record(&head).map_err(csv_err)?;
    let share = |s: Option<f64>| s.map(|x| format!("{:.2}%", x * 100.0)).unwrap_or_default();
    for (i, day) in d.days.iter().enumerate() {
        let mut row = vec![
            day.clone(),
            d.created_per_day[i].to_string(),
            share(d.on_time_share[i]),
            share(d.satisfied_share[i]),
        ];
        row.extend(d.by_type.iter().map(|s| s.values[i].to_string()));
        row.extend(d.by_channel.iter().map(|s| s.values[i].to_string()));
        w.write_record(&row).map_err(csv_err)?;
    }
    w.write_record([
        tr.t("area"),
        tr.t("complaints"),
        tr.t("orders"),
        tr.t("customers"),
        tr.t("complaints_per_10k"),
    ])
    .map_err(csv_err)?;
    for a in &d.top_areas {
        w.write_record([
            a.area.clone(),
            a.complaints.to_string(),
            a.orders.to_string(),
            a.customers.to_string(),
            format!("{:.1}", a.per_10k),
        ])
        .map_err(csv_err)?;
    }
    let body = w.into_inner().map_err(|e| PageError::bad(e.to_string()))?;
    // A byte-order mark so that spreadsheet programs read the Chinese as UTF-8.
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(body);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"dashboard-{}-{}.csv\"", d.from, d.to),
            ),
        ],
        out,
    )
        .into_response())
}
