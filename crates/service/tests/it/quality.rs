//! Quality of supply: reliability indices from registered outages (checked against a hand
//! computation), major event days, voltage readings recorded all or nothing, pass rates per
//! area and month, and the `voltage.violation` trace for the early-warning rules.
//!
//! The seeded station gets 100 customers: 20 in the urban area (feeder F-101), 30 in the
//! village and 50 up the hill (both on feeder F-102).

use crate::support::*;
use chrono::NaiveDate;
use voltdesk_domain::reliability::Sigma;
use voltdesk_domain::*;
use voltdesk_service::*;
use voltdesk_store::{OutageKind, OutageRow};

on_both_backends!(
    indices_match_a_hand_computation,
    a_major_event_day_is_left_out,
    a_feeder_takes_its_own_and_its_areas_outages,
    readings_import_all_or_nothing,
    pass_rate_per_area_and_month,
    violations_are_traced,
);

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

/// Adds customers so that the areas have 20, 30 and 50.
async fn more_customers(app: &TestApp) {
    let mut csv = String::from("account_no,name,address,usage_class,area_code\n");
    let mut n = 0;
    for (area, count) in [(URBAN_AREA, 19), (RURAL_AREA, 29), (REMOTE_AREA, 49)] {
        for _ in 0..count {
            n += 1;
            csv += &format!(
                "{},客户{n},城东镇{n}号,residential,{area}\n",
                3300000000u64 + n
            );
        }
    }
    let (rows, errors) = parse_customers(&csv);
    assert!(errors.is_empty(), "{errors:?}");
    app.svc
        .import_customers(&Actor::system(), rows, errors, false, &|_| {})
        .await
        .expect("import customers");
    assert_eq!(app.customer_count().await, 100);
}

async fn feeder(app: &TestApp, code: &str) -> i64 {
    app.svc
        .feeders(Some(app.station_id))
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.code == code)
        .unwrap()
        .id
}

/// (start in Beijing, minutes, customers, feeder code or area code, cause)
type Spec = (
    (i32, u32, u32, u32, u32),
    i64,
    i64,
    &'static str,
    &'static str,
);

async fn outages(app: &TestApp, specs: &[Spec]) {
    let store = app.svc.store();
    let mut rows = Vec::new();
    for ((y, mo, d, h, mi), minutes, customers, place, cause) in specs {
        let start = beijing(*y, *mo, *d, *h, *mi);
        let (feeder_id, area_id) = if place.starts_with("F-") {
            (Some(feeder(app, place).await), None)
        } else {
            (None, Some(app.area(place)))
        };
        rows.push(OutageRow {
            id: 0,
            station_id: app.station_id,
            kind: OutageKind::Fault,
            feeder_id,
            area_id,
            cause: cause.to_string(),
            started_at: start,
            expected_restore_at: None,
            restored_at: Some(start + minutes * MINUTE),
            repaired_at: Some(start + minutes * MINUTE),
            notified_at: None,
            affected_customers: *customers,
            created_at: start,
        });
    }
    let mut tx = store.begin().await.unwrap();
    let first = store.max_id(&mut tx, "outages").await.unwrap() + 1;
    for (i, r) in rows.iter_mut().enumerate() {
        r.id = first + i as i64;
    }
    store.insert_outages(&mut tx, &rows).await.unwrap();
    store.sync_sequence(&mut tx, "outages").await.unwrap();
    tx.commit().await.unwrap();
}

/// Five years of history before 2026: daily SAIDI 1, 2, 4 and 8 minutes (100 customers),
/// plus a momentary interruption and a huge outage more than five years back, both of which
/// the threshold must not see. ln: 0, 1, 2, 3 × ln 2; α = 1.5 ln 2 = 1.039 72;
/// β population = √(5/4) ln 2 = 0.774 96, sample = √(5/3) ln 2 = 0.894 84;
/// T_MED = exp(α + 2.5β) = 19.632 (population) or 26.492 (sample).
const HISTORY: &[Spec] = &[
    ((2020, 6, 1, 10, 0), 600, 20, URBAN_AREA, "台风"),
    ((2025, 3, 10, 10, 0), 10, 10, URBAN_AREA, "树障"),
    ((2025, 4, 10, 10, 0), 10, 20, URBAN_AREA, "树障"),
    ((2025, 5, 5, 10, 0), 4, 20, URBAN_AREA, "重合闸"),
    ((2025, 5, 10, 10, 0), 20, 20, URBAN_AREA, "树障"),
    ((2025, 6, 10, 9, 0), 20, 20, URBAN_AREA, "树障"),
    ((2025, 6, 10, 15, 0), 20, 20, URBAN_AREA, "树障"),
];

/// The period January to October 2026 (304 days, 7,296 h):
///
/// | when        | where  | r  | N  | r·N   | note                          |
/// |-------------|--------|----|----|-------|-------------------------------|
/// | 02-10 09:00 | urban  | 60 | 20 | 1,200 |                               |
/// | 04-05 14:00 | F-102  | 15 | 80 | 1,200 |                               |
/// | 04-05 20:00 | rural  | 3  | 30 |       | momentary                     |
/// | 07-20 03:00 | F-102  | 25 | 80 | 2,000 | storm: the day's SAIDI 22.5   |
/// | 07-20 05:00 | urban  | 25 | 10 | 250   |                               |
/// | 08-01 10:00 | remote | 30 | 50 | 1,500 | 有序用电: supply shortage     |
/// | 09-15 10:00 | urban  | 5  | 20 |       | momentary (exactly 5 min)     |
/// | 11-05 10:00 | urban  | 60 | 20 |       | after the period              |
const PERIOD: &[Spec] = &[
    ((2026, 2, 10, 9, 0), 60, 20, URBAN_AREA, "树障"),
    ((2026, 4, 5, 14, 0), 15, 80, "F-102", "计划检修"),
    ((2026, 4, 5, 20, 0), 3, 30, RURAL_AREA, "重合闸成功"),
    ((2026, 7, 20, 3, 0), 25, 80, "F-102", "雷击"),
    ((2026, 7, 20, 5, 0), 25, 10, URBAN_AREA, "雷击"),
    ((2026, 8, 1, 10, 0), 30, 50, REMOTE_AREA, "迎峰度夏有序用电"),
    ((2026, 9, 15, 10, 0), 5, 20, URBAN_AREA, "重合闸"),
    ((2026, 11, 5, 10, 0), 60, 20, URBAN_AREA, "树障"),
];

async fn seeded(app: &TestApp) {
    more_customers(app).await;
    outages(app, HISTORY).await;
    outages(app, PERIOD).await;
}

const T_HOURS: f64 = 304.0 * 24.0;

/// Station, sample σ (no major event day: 22.5 < 26.492):
/// ΣN = 20 + 80 + 80 + 10 + 50 = 240 → SAIFI 2.4; Σr·N = 6,150 → SAIDI 61.5 min;
/// CAIDI = 25.625 min; CN = 20 + 30 + 50 = 100 → CAIFI 2.4; MAIFI_E = (30 + 20) / 100 = 0.5;
/// ASAI = 1 − 6,150 / (100 × 437,760); AIHC-1 = 1.025 h, RS-1 = (1 − 1.025 / 7,296) × 100;
/// RS-3 without the 1,500 of the shortage: 0.775 h, (1 − 0.775 / 7,296) × 100.
async fn indices_match_a_hand_computation(app: TestApp) {
    seeded(&app).await;
    let r = app
        .svc
        .reliability(
            ReliabilityScope::Station(app.station_id),
            day(2026, 1, 1),
            day(2026, 10, 31),
            Sigma::Sample,
        )
        .await
        .unwrap();
    assert_eq!(r.customers, 100);
    close(r.period_hours, T_HOURS);
    let x = r.all.unwrap();
    close(x.saifi, 2.4);
    close(x.saidi, 61.5);
    close(x.caidi.unwrap(), 25.625);
    close(x.caifi.unwrap(), 2.4);
    close(x.maifi_e, 0.5);
    close(x.asai, 1.0 - 6150.0 / (100.0 * 437_760.0));
    close(x.aihc1, 1.025);
    close(r.rs1.unwrap(), (1.0 - 1.025 / T_HOURS) * 100.0);
    close(r.rs3.unwrap(), (1.0 - 0.775 / T_HOURS) * 100.0);
    assert_eq!((x.sustained, x.momentary), (5, 2));

    let med = r.med.unwrap();
    assert_eq!(
        med.days_used, 4,
        "zero, momentary and too-old days are not history"
    );
    let ln2 = std::f64::consts::LN_2;
    close(med.alpha, 1.5 * ln2);
    close(med.beta, (5.0f64 / 3.0).sqrt() * ln2);
    assert!((med.t_med - 26.492).abs() < 1e-3, "{}", med.t_med);
    assert!(r.med_days.is_empty());
    assert_eq!(r.excluding_med.unwrap(), x);

    // Monthly SAIDI: February 12, April 12, July 22.5, August 15.
    let months: Vec<(String, f64)> = r
        .months
        .iter()
        .map(|m| (m.month.clone(), m.saidi.unwrap()))
        .collect();
    assert_eq!(months.len(), 10);
    assert_eq!(months[0], ("2026-01".to_string(), 0.0));
    close(months[1].1, 12.0);
    close(months[3].1, 12.0);
    close(months[6].1, 22.5);
    close(months[7].1, 15.0);
    close(r.months[6].saifi.unwrap(), 0.9);
}

/// Population σ: T_MED = 19.632, so 2026-07-20 (SAIDI 22.5) is a major event day. Without
/// it: ΣN = 150 → SAIFI 1.5, Σr·N = 3,900 → SAIDI 39; the momentary events stay (0.5).
async fn a_major_event_day_is_left_out(app: TestApp) {
    seeded(&app).await;
    let r = app
        .svc
        .reliability(
            ReliabilityScope::Station(app.station_id),
            day(2026, 1, 1),
            day(2026, 10, 31),
            Sigma::Population,
        )
        .await
        .unwrap();
    let med = r.med.unwrap();
    close(med.beta, (5.0f64 / 4.0).sqrt() * std::f64::consts::LN_2);
    assert!((med.t_med - 19.632).abs() < 1e-3, "{}", med.t_med);
    assert_eq!(r.med_days.len(), 1);
    assert_eq!(r.med_days[0].date, day(2026, 7, 20));
    close(r.med_days[0].saidi, 22.5);
    assert_eq!(r.med_days[0].interruptions, 2);
    let all = r.all.unwrap();
    let x = r.excluding_med.unwrap();
    close(all.saidi, 61.5);
    close(x.saifi, 1.5);
    close(x.saidi, 39.0);
    close(x.caidi.unwrap(), 26.0);
    close(x.maifi_e, 0.5);
    close(r.months[6].saidi_excluding_med.unwrap(), 0.0);
    close(r.months[6].saidi.unwrap(), 22.5);
    // RS-1 is DL/T 836's: every interruption counts.
    close(r.rs1.unwrap(), (1.0 - 1.025 / T_HOURS) * 100.0);
}

/// Feeder F-102 serves 80 customers (village and hill): its own outages and those of its
/// areas, not the town's. Sustained: 1,200 + 2,000 + 1,500 customer-minutes, ΣN = 210:
/// SAIFI 2.625, SAIDI 58.75; MAIFI_E = 30 / 80. No history on the feeder: no threshold.
async fn a_feeder_takes_its_own_and_its_areas_outages(app: TestApp) {
    seeded(&app).await;
    let f = feeder(&app, "F-102").await;
    let r = app
        .svc
        .reliability(
            ReliabilityScope::Feeder(f),
            day(2026, 1, 1),
            day(2026, 10, 31),
            Sigma::Population,
        )
        .await
        .unwrap();
    assert_eq!(r.customers, 80);
    assert_eq!(r.scope_name, "10kV东二线");
    let x = r.all.unwrap();
    close(x.saifi, 2.625);
    close(x.saidi, 58.75);
    close(x.maifi_e, 0.375);
    close(x.caifi.unwrap(), 210.0 / 80.0);
    assert!(r.med.is_none() && r.med_days.is_empty());
    let missing = app
        .svc
        .reliability(
            ReliabilityScope::Feeder(999_999),
            day(2026, 1, 1),
            day(2026, 10, 31),
            Sigma::Sample,
        )
        .await;
    assert_eq!(missing.err().map(|e| e.code()), Some("not_found"));
    let backwards = app
        .svc
        .reliability(
            ReliabilityScope::All,
            day(2026, 10, 1),
            day(2026, 1, 1),
            Sigma::Sample,
        )
        .await;
    assert_eq!(backwards.err().map(|e| e.code()), Some("invalid_field"));
}

fn rejected(r: Result<VoltageRecorded>) -> Vec<(u64, String, &'static str)> {
    match r {
        Err(ServiceError::Import(rows)) => rows
            .into_iter()
            .map(|e| (e.line, e.field.unwrap_or_default(), e.code))
            .collect(),
        other => panic!("expected the readings to be rejected, got {other:?}"),
    }
}

async fn readings_import_all_or_nothing(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let bad = "area_code,level,at,volts,minutes\n\
               TA-URBAN,220v,2026-10-01 08:00,230,60\n\
               TA-NOWHERE,220v,2026-10-01 08:00,230,60\n\
               TA-URBAN,220v,2026-10-01 09:00,23.1,60\n\
               TA-URBAN,220v,2026-10-01 08:00,231,60\n";
    let errors = rejected(app.svc.import_voltage(&admin, bad).await);
    assert_eq!(
        errors,
        [
            (3, "area_code".to_string(), "unknown_reference"),
            (4, "volts".to_string(), "invalid_value"),
            (5, "at".to_string(), "duplicate_key"),
        ]
    );
    let rates = app
        .svc
        .voltage_pass_rates(&PassRateQuery::default())
        .await
        .unwrap();
    assert!(rates.items.is_empty(), "nothing was recorded");

    let good = "台区编号,电压等级,时间,电压,时长\n\
                TA-URBAN,220V,2026-10-01 08:00,230,60\n\
                TA-URBAN,220V,2026-10-01 09:00,240,60\n";
    let done = app.svc.import_voltage(&admin, good).await.unwrap();
    assert_eq!((done.recorded, done.violations, done.above), (2, 1, 1));

    // A later file repeating a stored reading is refused as a whole, naming the line.
    let again = "area_code,level,at,volts,minutes\n\
                 TA-URBAN,220v,2026-10-01 10:00,230,60\n\
                 TA-URBAN,220v,2026-10-01 09:00,240,60\n";
    let errors = rejected(app.svc.import_voltage(&admin, again).await);
    assert_eq!(errors, [(3, "at".to_string(), "duplicate_key")]);

    // The API takes the area by id or code and the time as epoch ms or Beijing time.
    let items: Vec<ReadingInput> = serde_json::from_value(serde_json::json!([
        {"area_id": app.area(RURAL_AREA), "level": "380v", "at": beijing(2026, 10, 1, 8, 0), "volts": 400.0, "minutes": 15},
        {"area_code": REMOTE_AREA, "level": "220v", "at": "2026-10-01 08:00", "volts": 190.5, "minutes": 15},
        {"area_code": "TA-NOWHERE", "level": "220v", "at": "2026-10-01 08:00", "volts": 220.0, "minutes": 15},
    ]))
    .unwrap();
    let errors = rejected(app.svc.record_voltage(&admin, items.clone()).await);
    assert_eq!(errors, [(3, "area_code".to_string(), "unknown_reference")]);
    let done = app
        .svc
        .record_voltage(&admin, items[..2].to_vec())
        .await
        .unwrap();
    assert_eq!((done.recorded, done.below), (2, 1));
    let rates = app
        .svc
        .voltage_pass_rates(&PassRateQuery::default())
        .await
        .unwrap();
    let readings: i64 = rates.items.iter().map(|r| r.readings).sum();
    assert_eq!(readings, 4);
}

/// Town, October: 60 min ok, 30 above, 30 below → 1 − 60/120 = 0.5. A reading at 00:30 on
/// 1 November in Beijing (still 31 October in UTC) belongs to November: 60 min ok → 1.
/// Village, October: 380 V at 410 V for 60 min → 0. The station: 120 of 240 min out → 0.5.
async fn pass_rate_per_area_and_month(app: TestApp) {
    let csv = "area_code,level,at,volts,minutes\n\
               TA-URBAN,220v,2026-10-10 08:00,228.4,60\n\
               TA-URBAN,220v,2026-10-10 09:00,236,30\n\
               TA-URBAN,220v,2026-10-10 09:30,197.5,30\n\
               TA-URBAN,220v,2026-11-01 00:30,221,60\n\
               TA-RURAL,380v,2026-10-12 18:00,410,60\n";
    app.svc
        .import_voltage(&app.actor(Role::Admin), csv)
        .await
        .unwrap();
    let q = PassRateQuery {
        from: Some(day(2026, 10, 1)),
        to: Some(day(2026, 11, 20)),
        ..PassRateQuery::default()
    };
    let rates = app.svc.voltage_pass_rates(&q).await.unwrap();
    let got: Vec<(String, String, f64, f64, f64, Option<f64>)> = rates
        .items
        .iter()
        .map(|r| {
            (
                r.area_code.clone(),
                r.month.clone(),
                r.monitored_minutes,
                r.above_minutes,
                r.below_minutes,
                r.pass_rate,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                URBAN_AREA.into(),
                "2026-10".into(),
                120.0,
                30.0,
                30.0,
                Some(0.5)
            ),
            (
                URBAN_AREA.into(),
                "2026-11".into(),
                60.0,
                0.0,
                0.0,
                Some(1.0)
            ),
            (
                RURAL_AREA.into(),
                "2026-10".into(),
                60.0,
                60.0,
                0.0,
                Some(0.0)
            ),
        ]
    );
    close(rates.pass_rate.unwrap(), 0.5);
    let urban = app
        .svc
        .voltage_pass_rates(&PassRateQuery {
            area_id: Some(app.area(URBAN_AREA)),
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(urban.items.len(), 2);
    close(urban.pass_rate.unwrap(), 1.0 - 60.0 / 180.0);
    let f101 = feeder(&app, "F-101").await;
    let on_feeder = app
        .svc
        .voltage_pass_rates(&PassRateQuery {
            feeder_id: Some(f101),
            ..q.clone()
        })
        .await
        .unwrap();
    assert!(on_feeder.items.iter().all(|r| r.area_code == URBAN_AREA));

    // The reliability report carries the scope's monthly pass rate for the chart.
    let r = app
        .svc
        .reliability(
            ReliabilityScope::Station(app.station_id),
            day(2026, 10, 1),
            day(2026, 11, 20),
            Sigma::Sample,
        )
        .await
        .unwrap();
    let by_month: Vec<(String, Option<f64>)> = r
        .months
        .iter()
        .map(|m| (m.month.clone(), m.voltage_pass_rate))
        .collect();
    assert_eq!(
        by_month,
        [
            ("2026-10".to_string(), Some(1.0 - 120.0 / 180.0)),
            ("2026-11".to_string(), Some(1.0)),
        ]
    );
    close(r.voltage_pass_rate.unwrap(), 0.5);
}

async fn violations_are_traced(app: TestApp) {
    let csv = "area_code,level,at,volts,minutes\n\
               TA-URBAN,220v,2026-11-18 08:00,236,60\n\
               TA-URBAN,220v,2026-11-19 08:00,235.4,60\n\
               TA-URBAN,220v,2026-11-19 20:00,196,60\n\
               TA-RURAL,220v,2026-11-19 08:00,250,60\n";
    let admin = app.actor(Role::Admin);
    let done = app.svc.import_voltage(&admin, csv).await.unwrap();
    assert_eq!((done.above, done.below), (2, 1));
    let mut events = app
        .svc
        .audit_trail(Some("voltage.violation"), None, 100)
        .await
        .unwrap();
    events.reverse();
    let got: Vec<(String, String, f64, String)> = events
        .iter()
        .map(|e| {
            (
                e.payload["area_code"].as_str().unwrap().to_string(),
                e.payload["level"].as_str().unwrap().to_string(),
                e.payload["volts"].as_f64().unwrap(),
                e.payload["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (URBAN_AREA.into(), "220v".into(), 236.0, "above".into()),
            (URBAN_AREA.into(), "220v".into(), 196.0, "below".into()),
            (RURAL_AREA.into(), "220v".into(), 250.0, "above".into()),
        ]
    );
    for e in &events {
        assert_eq!(e.kind, "voltage.violation");
        assert_eq!(e.station_id, Some(app.station_id));
        assert_eq!(
            e.payload["area_id"].as_i64(),
            Some(app.area(e.payload["area_code"].as_str().unwrap()))
        );
        assert_eq!(e.payload["high"].as_f64(), Some(235.4));
    }
    assert_eq!(
        events[0].payload["reading_at"].as_i64(),
        Some(beijing(2026, 11, 18, 8, 0))
    );
    let recorded = app
        .svc
        .audit_trail(Some("voltage.recorded"), None, 10)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].payload["violations"], 3);

    // What the early-warning rule counts.
    let urban = app.area(URBAN_AREA);
    assert_eq!(
        app.svc
            .voltage_violations(urban, beijing(2026, 11, 13, 10, 0))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        app.svc
            .voltage_violations(urban, beijing(2026, 11, 19, 0, 0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.svc
            .store()
            .voltage_violations(app.area(REMOTE_AREA), 0)
            .await
            .unwrap(),
        0
    );
}
