//! The reliability page: IEEE 1366 indices with and without major event days, DL/T 836
//! RS-1/RS-3, the major event days found, monthly SAIDI/SAIFI and voltage pass rate charts,
//! and the transformer areas with the lowest voltage pass rate, for a station or feeder.
//!
//! The page's words live in a table here (keyed by the viewer's language) rather than in
//! `i18n.rs`; the template calls them with `self.word("key")`.

use super::*;
use crate::routes::{Access, Route};
use axum::extract::Query;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use voltdesk_domain::reliability::{Indices, Sigma};
use voltdesk_service::{PassRateQuery, ReliabilityReport, ReliabilityScope};
use voltdesk_store::{FeederRow, StationRow};

/// The page routes of this module with what they need.
pub const PAGES: &[Route] = &[Route {
    method: "GET",
    path: "/reliability",
    access: Access::Needs(StatsRead),
    tag: "pages",
    summary: "Reliability indices and voltage quality",
}];

/// The routes of this module (without the page auth layer: merge before it).
pub fn router() -> Router<Service> {
    Router::new().route("/reliability", get(reliability))
}

/// (key, Chinese, English), sorted by key.
const WORDS: &[(&str, &str, &str)] = &[
    ("above", "越上限(分钟)", "Above (min)"),
    ("all_events", "全部事件", "All events"),
    ("alpha", "α（ln日SAIDI均值）", "α (mean of ln daily SAIDI)"),
    ("area", "台区", "Transformer area"),
    ("below", "越下限(分钟)", "Below (min)"),
    ("beta", "β（标准差）", "β (standard deviation)"),
    (
        "chart_saidi",
        "月度SAIDI（分钟/户）",
        "Monthly SAIDI (min per customer)",
    ),
    (
        "chart_saifi",
        "月度SAIFI / MAIFI_E（次/户）",
        "Monthly SAIFI / MAIFI_E (per customer)",
    ),
    (
        "chart_voltage",
        "月度电压合格率",
        "Monthly voltage pass rate",
    ),
    ("customers", "用户数 N_T", "Customers N_T"),
    ("date", "日期", "Date"),
    ("day_saidi", "当日SAIDI(分钟)", "Day SAIDI (min)"),
    ("days_used", "参与计算的天数", "Days used"),
    ("excluding_med", "剔除重大事件日", "Excluding MEDs"),
    ("feeder", "线路", "Feeder"),
    ("history", "历史区间", "History"),
    ("index", "指标", "Index"),
    ("interruptions", "停电次数", "Interruptions"),
    (
        "med",
        "重大事件日（2.5β法）",
        "Major event days (2.5β method)",
    ),
    ("monitored", "监测时长(小时)", "Monitored (h)"),
    (
        "no_customers",
        "范围内没有登记用户，无法计算指标。",
        "No customers are registered in this scope; no indices.",
    ),
    (
        "no_med",
        "历史数据不足，未计算阈值。",
        "Too little history for a threshold.",
    ),
    (
        "no_med_days",
        "期间无重大事件日。",
        "No major event days in the period.",
    ),
    (
        "no_voltage",
        "期间没有电压监测数据。",
        "No voltage readings in the period.",
    ),
    ("pass_rate", "电压合格率", "Voltage pass rate"),
    ("period_hours", "统计时长(小时)", "Period (h)"),
    ("population", "总体标准差", "Population σ"),
    ("sample", "样本标准差", "Sample σ"),
    ("sigma", "β取法", "β convention"),
    ("t_med", "阈值 T_MED（分钟）", "Threshold T_MED (min)"),
    (
        "targets",
        "参考目标：城市供电可靠率 99.9%，城市居民电压合格率 98.5%。",
        "Targets: urban reliability 99.9 %, urban residential voltage pass rate 98.5 %.",
    ),
    (
        "title",
        "供电可靠性与电压质量",
        "Reliability and voltage quality",
    ),
    ("unit", "单位", "Unit"),
    ("violations", "越限次数", "Violations"),
    (
        "voltage",
        "电压质量（最低合格率台区）",
        "Voltage quality (lowest pass rates)",
    ),
    ("whole", "全部", "All"),
];

fn word(lang: i18n::Lang, key: &str) -> &'static str {
    match WORDS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
        Ok(i) => match lang {
            i18n::Lang::Zh => WORDS[i].1,
            i18n::Lang::En => WORDS[i].2,
        },
        Err(_) => "??",
    }
}

#[derive(Deserialize, Default)]
pub struct RelQ {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    station_id: Option<String>,
    #[serde(default)]
    feeder_id: Option<String>,
    #[serde(default)]
    sigma: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

/// One row of the indices table.
pub struct Kpi {
    pub name: &'static str,
    pub unit: &'static str,
    pub all: String,
    pub excl: String,
}

/// One transformer area's voltage over the period.
pub struct AreaVoltage {
    pub area: String,
    pub monitored_h: String,
    pub above: String,
    pub below: String,
    pub pass_rate: String,
    pub violations: i64,
    rate: f64,
}

pub struct MedRow {
    pub date: String,
    pub saidi: String,
    pub interruptions: usize,
}

#[derive(Template)]
#[template(path = "reliability.html")]
struct ReliabilityPage {
    c: Chrome,
    r: ReliabilityReport,
    stations: Vec<StationRow>,
    feeders: Vec<FeederRow>,
    station_id: Option<i64>,
    feeder_id: Option<i64>,
    sigma: &'static str,
    kpis: Vec<Kpi>,
    t_med: String,
    alpha: String,
    beta: String,
    med_rows: Vec<MedRow>,
    areas: Vec<AreaVoltage>,
    voltage_rate: String,
    chart_json: String,
}

impl ReliabilityPage {
    fn word(&self, key: &str) -> &'static str {
        word(self.c.tr.lang, key)
    }
    fn is_station(&self, id: impl i18n::Ms) -> bool {
        self.station_id == Some(id.ms())
    }
    fn is_feeder(&self, id: impl i18n::Ms) -> bool {
        self.feeder_id == Some(id.ms())
    }
}

fn num(x: Option<f64>, places: usize) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.places$}"),
        _ => "—".into(),
    }
}

fn pct(x: Option<f64>, places: usize) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{:.places$}%", x * 100.0),
        _ => "—".into(),
    }
}

fn kpis(lang: i18n::Lang, all: Option<&Indices>, excl: Option<&Indices>) -> Vec<Kpi> {
    let zh = lang == i18n::Lang::Zh;
    let u = |z: &'static str, e: &'static str| if zh { z } else { e };
    type Get = fn(&Indices) -> Option<f64>;
    let rows: [(&'static str, &'static str, Get, usize, bool); 9] = [
        (
            "SAIFI",
            u("次/户", "per customer"),
            |x| Some(x.saifi),
            4,
            false,
        ),
        (
            "SAIDI",
            u("分钟/户", "min per customer"),
            |x| Some(x.saidi),
            2,
            false,
        ),
        (
            "CAIDI",
            u("分钟/次", "min per interruption"),
            |x| x.caidi,
            2,
            false,
        ),
        (
            "CAIFI",
            u("次/受影响户", "per customer interrupted"),
            |x| x.caifi,
            3,
            false,
        ),
        ("ASAI", "%", |x| Some(x.asai), 5, true),
        (
            "MAIFI_E",
            u("次/户", "events per customer"),
            |x| Some(x.maifi_e),
            4,
            false,
        ),
        (
            "AIHC-1",
            u("小时/户", "h per customer"),
            |x| Some(x.aihc1),
            3,
            false,
        ),
        ("RS-1", "%", |x| Some(x.rs1 / 100.0), 4, true),
        ("RS-3", "%", |x| Some(x.rs3 / 100.0), 4, true),
    ];
    rows.iter()
        .map(|(name, unit, get, places, percent)| {
            let show = |x: Option<&Indices>| {
                let v = x.and_then(get);
                if *percent {
                    pct(v, *places)
                } else {
                    num(v, *places)
                }
            };
            Kpi {
                name,
                unit,
                all: show(all),
                excl: show(excl),
            }
        })
        .collect()
}

/// The chart data the page's script draws, with labels in the viewer's language.
fn chart_data(lang: i18n::Lang, r: &ReliabilityReport) -> serde_json::Value {
    let w = |k| word(lang, k);
    let m = &r.months;
    json!({
        "x": m.iter().map(|p| p.start).collect::<Vec<_>>(),
        "months": m.iter().map(|p| p.month.clone()).collect::<Vec<_>>(),
        "saidi": m.iter().map(|p| p.saidi).collect::<Vec<_>>(),
        "saidi_excl": m.iter().map(|p| p.saidi_excluding_med).collect::<Vec<_>>(),
        "saifi": m.iter().map(|p| p.saifi).collect::<Vec<_>>(),
        "saifi_excl": m.iter().map(|p| p.saifi_excluding_med).collect::<Vec<_>>(),
        "maifi": m.iter().map(|p| p.maifi_e).collect::<Vec<_>>(),
        "voltage": m.iter().map(|p| p.voltage_pass_rate).collect::<Vec<_>>(),
        "labels": {
            "month": if lang == i18n::Lang::Zh { "月份" } else { "Month" },
            "all": w("all_events"),
            "excl": w("excluding_med"),
            "saidi": "SAIDI",
            "saifi": "SAIFI",
            "maifi": "MAIFI_E",
            "voltage": w("pass_rate"),
        }
    })
}

fn date(field: &str, s: &Option<String>) -> PageResult<Option<NaiveDate>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PageError::bad(format!("{field}: expected yyyy-mm-dd"))),
    }
}

fn id(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|s| s.trim().parse().ok())
}

pub async fn reliability(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<RelQ>,
) -> PageResult {
    let back = |e: PageError| e.back("/reliability");
    let to = date("to", &q.to).map_err(back)?;
    let from = date("from", &q.from).map_err(back)?;
    let to = to.unwrap_or_else(|| voltdesk_service::local_date(svc.now()));
    let from = from.unwrap_or_else(|| voltdesk_service::quality_default_range(to).0);
    let sigma = match q.sigma.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Sigma::default(),
        Some(s) => {
            Sigma::parse(s).ok_or_else(|| back(PageError::bad("sigma: population or sample")))?
        }
    };
    let station_id = id(&q.station_id);
    let feeders = svc.feeders(station_id).await?;
    // A feeder of another station than the one chosen is dropped.
    let feeder_id = id(&q.feeder_id).filter(|f| feeders.iter().any(|x| x.id == *f));
    let scope = match (feeder_id, station_id) {
        (Some(f), _) => ReliabilityScope::Feeder(f),
        (None, Some(s)) => ReliabilityScope::Station(s),
        (None, None) => ReliabilityScope::All,
    };
    let r = svc
        .reliability(scope, from, to, sigma)
        .await
        .map_err(|e| PageError::from(e).back("/reliability"))?;
    let rates = svc
        .voltage_pass_rates(&PassRateQuery {
            from: Some(from),
            to: Some(to),
            area_id: None,
            station_id: if feeder_id.is_some() {
                None
            } else {
                station_id
            },
            feeder_id,
        })
        .await?;
    // Per area over the period, lowest pass rate first.
    let mut by_area: BTreeMap<i64, (String, voltdesk_domain::voltage::PassTally, i64)> =
        BTreeMap::new();
    for it in &rates.items {
        let e = by_area
            .entry(it.area_id)
            .or_insert_with(|| (it.area.clone(), Default::default(), 0));
        e.1.merge(&voltdesk_domain::voltage::PassTally {
            monitored: it.monitored_minutes,
            above: it.above_minutes,
            below: it.below_minutes,
        });
        e.2 += it.violations;
    }
    let mut areas: Vec<AreaVoltage> = by_area
        .into_values()
        .map(|(area, t, violations)| AreaVoltage {
            area,
            monitored_h: format!("{:.1}", t.monitored / 60.0),
            above: format!("{:.0}", t.above),
            below: format!("{:.0}", t.below),
            pass_rate: pct(t.rate(), 2),
            violations,
            rate: t.rate().unwrap_or(1.0),
        })
        .collect();
    areas.sort_by(|a, b| {
        a.rate
            .total_cmp(&b.rate)
            .then(b.violations.cmp(&a.violations))
    });
    areas.truncate(20);
    let lang = v.tr.lang;
    let chart_json = chart_data(lang, &r).to_string().replace("</", "<\\/");
    render(&ReliabilityPage {
        c: v.chrome("/reliability", &q.flash),
        stations: svc.stations().await?,
        feeders,
        station_id,
        feeder_id,
        sigma: sigma.code(),
        kpis: kpis(lang, r.all.as_ref(), r.excluding_med.as_ref()),
        t_med: num(r.med.map(|m| m.t_med), 3),
        alpha: num(r.med.map(|m| m.alpha), 4),
        beta: num(r.med.map(|m| m.beta), 4),
        med_rows: r
            .med_days
            .iter()
            .map(|d| MedRow {
                date: d.date.to_string(),
                saidi: format!("{:.2}", d.saidi),
                interruptions: d.interruptions,
            })
            .collect(),
        areas,
        voltage_rate: pct(r.voltage_pass_rate, 2),
        chart_json,
        r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_sorted_unique_and_complete() {
        for w in WORDS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        let text = include_str!("../../templates/reliability.html");
        let mut missing = Vec::new();
        for part in text.split("word(\"").skip(1) {
            let key = part.split('"').next().unwrap_or_default();
            if WORDS.binary_search_by(|(k, _, _)| (*k).cmp(key)).is_err() {
                missing.push(key.to_string());
            }
        }
        assert!(missing.is_empty(), "words missing: {missing:?}");
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(num(Some(1.23456), 2), "1.23");
        assert_eq!(num(None, 2), "—");
        assert_eq!(pct(Some(0.99912), 2), "99.91%");
        assert_eq!(pct(Some(f64::NAN), 2), "—");
    }
}
