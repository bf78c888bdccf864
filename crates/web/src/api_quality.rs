//! The quality-of-supply API: voltage readings (JSON or CSV, all or nothing), voltage pass
//! rates per transformer area and month, and the reliability indices of a feeder or station.
//!
//! Every handler takes the `Caller` and checks the route's permission again, so that a
//! router merged outside the auth layer fails closed.

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, J, Q};
use crate::routes::{Access, ApiRoute, get, post};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use voltdesk_domain::auth::Permission::{self, OrgRead, OrgWrite, StatsRead};
use voltdesk_domain::job::ImportKind;
use voltdesk_domain::reliability::Sigma;
use voltdesk_service::{
    PassRateQuery, PassRates, ReadingInput, ReliabilityReport, ReliabilityScope, Service,
    VoltageRecorded,
};

/// The routes of this module: method, path, the permission each needs, summary, handler.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        post(
            "/api/v1/voltage/readings",
            Access::Needs(OrgWrite),
            "quality",
            "Record voltage readings: a JSON array of {area_id or area_code, level, at (epoch ms or \"YYYY-MM-DD HH:MM\" Beijing), volts, minutes}; all or nothing",
            record_readings,
        ),
        post(
            "/api/v1/voltage/import",
            Access::Needs(OrgWrite),
            "quality",
            "Import voltage readings from CSV (area_code,level,at,volts,minutes; UTF-8 or GBK); all or nothing, bad lines named",
            import_readings,
        )
        .csv()
        .body_limit(64 << 20),
        get(
            "/api/v1/voltage/pass-rates",
            Access::Needs(OrgRead),
            "quality",
            "Voltage pass rate per transformer area and month (?from&to&area_id&station_id&feeder_id)",
            pass_rates,
        ),
        get(
            "/api/v1/reliability",
            Access::Needs(StatsRead),
            "quality",
            "Reliability indices SAIFI, SAIDI, CAIDI, CAIFI, ASAI, MAIFI_E with and without major event days, RS-1, RS-3 (?from&to&feeder_id|station_id&sigma=population|sample)",
            reliability,
        ),
    ]
}

type S = State<Service>;

fn needs(p: &voltdesk_service::Principal, perm: Permission, what: &str) -> ApiResult<()> {
    if p.may(perm) {
        Ok(())
    } else {
        Err(ApiError::forbidden(what))
    }
}

fn bad_query(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message).field(field)
}

fn date(field: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad_query(field, "a date as YYYY-MM-DD")),
    }
}

pub async fn record_readings(
    State(svc): S,
    Caller(p): Caller,
    J(items): J<Vec<ReadingInput>>,
) -> ApiResult<(StatusCode, Json<VoltageRecorded>)> {
    needs(&p, OrgWrite, "record voltage readings")?;
    let done = svc.record_voltage(&p.actor, items).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

pub async fn import_readings(
    State(svc): S,
    Caller(p): Caller,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<VoltageRecorded>)> {
    needs(&p, OrgWrite, "import voltage readings")?;
    let options = voltdesk_service::ImportOptions::default();
    let done = svc
        .import_csv(ImportKind::Voltage, body.into(), &p.actor, options, &|_| {})
        .await
        .map_err(crate::api_imports::import_error)?;
    match done.outcome {
        voltdesk_service::ImportOutcome::Voltage(recorded) => {
            Ok((StatusCode::CREATED, Json(recorded)))
        }
        _ => Err(crate::api_imports::unexpected_outcome()),
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PassRateQ {
    from: Option<String>,
    to: Option<String>,
    area_id: Option<i64>,
    station_id: Option<i64>,
    feeder_id: Option<i64>,
}

pub async fn pass_rates(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<PassRateQ>,
) -> ApiResult<Json<PassRates>> {
    needs(&p, OrgRead, "read voltage pass rates")?;
    let rates = svc
        .voltage_pass_rates(&PassRateQuery {
            from: date("from", &q.from)?,
            to: date("to", &q.to)?,
            area_id: q.area_id,
            station_id: q.station_id,
            feeder_id: q.feeder_id,
        })
        .await?;
    Ok(Json(rates))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReliabilityQ {
    from: Option<String>,
    to: Option<String>,
    station_id: Option<i64>,
    feeder_id: Option<i64>,
    sigma: Option<String>,
}

/// The scope of a query: a feeder, a station, or everything; not both.
pub fn scope_of(station_id: Option<i64>, feeder_id: Option<i64>) -> ApiResult<ReliabilityScope> {
    match (station_id, feeder_id) {
        (Some(_), Some(_)) => Err(bad_query(
            "feeder_id",
            "give station_id or feeder_id, not both",
        )),
        (_, Some(f)) => Ok(ReliabilityScope::Feeder(f)),
        (Some(s), None) => Ok(ReliabilityScope::Station(s)),
        (None, None) => Ok(ReliabilityScope::All),
    }
}

/// `population` or `sample` (the default).
pub fn sigma_of(s: Option<&str>) -> ApiResult<Sigma> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Sigma::default()),
        Some(s) => Sigma::parse(s).ok_or_else(|| bad_query("sigma", "population or sample")),
    }
}

/// The range of a report: both ends given, or twelve months up to `to` (default today).
pub fn range_of(
    svc: &Service,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or_else(|| voltdesk_service::local_date(svc.now()));
    let from = from.unwrap_or_else(|| voltdesk_service::quality_default_range(to).0);
    (from, to)
}

pub async fn reliability(
    State(svc): S,
    Caller(p): Caller,
    Q(q): Q<ReliabilityQ>,
) -> ApiResult<Json<ReliabilityReport>> {
    needs(&p, StatsRead, "read reliability indices")?;
    let scope = scope_of(q.station_id, q.feeder_id)?;
    let sigma = sigma_of(q.sigma.as_deref())?;
    let (from, to) = range_of(&svc, date("from", &q.from)?, date("to", &q.to)?);
    let report = svc.reliability(scope, from, to, sigma).await?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once_with_a_permission() {
        let mut seen = std::collections::HashSet::new();
        for r in routes() {
            let r = r.entry.route;
            assert!(seen.insert((r.method, r.path)), "{} {}", r.method, r.path);
            assert!(matches!(r.access, Access::Needs(_)));
            assert!(r.path.starts_with("/api/v1/"));
        }
    }

    #[test]
    fn scope_and_sigma() {
        assert!(matches!(
            scope_of(Some(1), None),
            Ok(ReliabilityScope::Station(1))
        ));
        assert!(matches!(
            scope_of(None, Some(2)),
            Ok(ReliabilityScope::Feeder(2))
        ));
        assert!(scope_of(Some(1), Some(2)).is_err());
        assert_eq!(sigma_of(None).ok(), Some(Sigma::Sample));
        assert_eq!(sigma_of(Some("population")).ok(), Some(Sigma::Population));
        assert!(sigma_of(Some("median")).is_err());
    }
}
