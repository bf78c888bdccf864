//! Supply voltage deviation limits (GB/T 12325-2008) and the voltage pass rate (电压合格率).
//!
//! | level                | nominal  | limits                                     |
//! |----------------------|----------|--------------------------------------------|
//! | `220v` single phase  | 220 V    | +7 % / −10 %: 198.0–235.4 V                |
//! | `380v` three phase   | 380 V    | ±7 %: 353.4–406.6 V                        |
//! | `6kv` `10kv` `20kv`  | 6–20 kV  | ±7 % (three phase, 20 kV and below)        |
//! | `35kv` `66kv` `110kv`| 35 kV+   | the sum of the absolute positive and negative deviations at most 10 % |
//!
//! For 35 kV and above the standard bounds the *sum* of the two deviations, and the split is
//! agreed between utility and customer. A single reading needs a band, so [`VoltageLevel::band`]
//! uses a symmetric ±5 % (sum 10 %); [`check_with`] takes another split (e.g. +7 % / −3 %),
//! and [`deviation_sum_ok`] checks a whole series the way the standard words it (the largest
//! rise plus the largest drop at most 10 %; when both deviations have the same sign, the
//! larger one at most 10 %).
//!
//! The pass rate of a monitoring point is time-weighted: each reading stands for the
//! minutes it covers; pass rate = 1 − (time above + time below) / time monitored.
//!
//! Readings come in by API or as CSV (`area_code,level,at,volts,minutes`, times as
//! `YYYY-MM-DD HH:MM` in Beijing time): [`reading_rows`] parses a file into rows or
//! line-numbered [`RowError`]s with the codes of [`crate::import::code`].

use crate::Millis;
use crate::import::{RowError, code};
use chrono::TimeZone;
use serde::{Deserialize, Serialize};

/// A supply voltage level with its GB/T 12325 limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VoltageLevel {
    /// 220 V single phase (low-voltage residential).
    SinglePhase220,
    /// 380 V three phase.
    ThreePhase380,
    Kv6,
    Kv10,
    Kv20,
    Kv35,
    Kv66,
    Kv110,
}

/// Allowed deviation from nominal, in percent: `up` above, `down` below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub up_pct: f64,
    pub down_pct: f64,
}

/// The allowed range of a level in volts, both ends allowed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    pub low: f64,
    pub high: f64,
}

impl VoltageLevel {
    pub const ALL: &'static [VoltageLevel] = &[
        VoltageLevel::SinglePhase220,
        VoltageLevel::ThreePhase380,
        VoltageLevel::Kv6,
        VoltageLevel::Kv10,
        VoltageLevel::Kv20,
        VoltageLevel::Kv35,
        VoltageLevel::Kv66,
        VoltageLevel::Kv110,
    ];

    /// Stable code, as stored and as spoken by the API and the import.
    pub fn code(self) -> &'static str {
        match self {
            VoltageLevel::SinglePhase220 => "220v",
            VoltageLevel::ThreePhase380 => "380v",
            VoltageLevel::Kv6 => "6kv",
            VoltageLevel::Kv10 => "10kv",
            VoltageLevel::Kv20 => "20kv",
            VoltageLevel::Kv35 => "35kv",
            VoltageLevel::Kv66 => "66kv",
            VoltageLevel::Kv110 => "110kv",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            VoltageLevel::SinglePhase220 => "220V单相",
            VoltageLevel::ThreePhase380 => "380V三相",
            VoltageLevel::Kv6 => "6kV",
            VoltageLevel::Kv10 => "10kV",
            VoltageLevel::Kv20 => "20kV",
            VoltageLevel::Kv35 => "35kV",
            VoltageLevel::Kv66 => "66kV",
            VoltageLevel::Kv110 => "110kV",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            VoltageLevel::SinglePhase220 => "220 V single phase",
            VoltageLevel::ThreePhase380 => "380 V three phase",
            VoltageLevel::Kv6 => "6 kV",
            VoltageLevel::Kv10 => "10 kV",
            VoltageLevel::Kv20 => "20 kV",
            VoltageLevel::Kv35 => "35 kV",
            VoltageLevel::Kv66 => "66 kV",
            VoltageLevel::Kv110 => "110 kV",
        }
    }

    /// The code, or the way people write it: `220V`, `220v单相`, `10kV`, `10 kV`, `0.38kV`.
    pub fn parse(s: &str) -> Option<VoltageLevel> {
        let norm: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        let norm = norm
            .trim_end_matches("单相")
            .trim_end_matches("三相")
            .trim_start_matches("单相")
            .trim_start_matches("三相");
        match norm {
            "0.22kv" => return Some(VoltageLevel::SinglePhase220),
            "0.38kv" | "0.4kv" => return Some(VoltageLevel::ThreePhase380),
            _ => {}
        }
        VoltageLevel::ALL.iter().copied().find(|l| l.code() == norm)
    }

    /// Nominal voltage in volts (phase-to-neutral for 220 V, line-to-line otherwise).
    pub fn nominal(self) -> f64 {
        match self {
            VoltageLevel::SinglePhase220 => 220.0,
            VoltageLevel::ThreePhase380 => 380.0,
            VoltageLevel::Kv6 => 6_000.0,
            VoltageLevel::Kv10 => 10_000.0,
            VoltageLevel::Kv20 => 20_000.0,
            VoltageLevel::Kv35 => 35_000.0,
            VoltageLevel::Kv66 => 66_000.0,
            VoltageLevel::Kv110 => 110_000.0,
        }
    }

    /// 35 kV and above: only the sum of the deviations is fixed by the standard.
    pub fn sum_rule(self) -> bool {
        matches!(
            self,
            VoltageLevel::Kv35 | VoltageLevel::Kv66 | VoltageLevel::Kv110
        )
    }

    /// The band a single reading is checked against (see the module notes for 35 kV+).
    pub fn band(self) -> Band {
        match self {
            VoltageLevel::SinglePhase220 => Band {
                up_pct: 7.0,
                down_pct: 10.0,
            },
            l if l.sum_rule() => Band {
                up_pct: 5.0,
                down_pct: 5.0,
            },
            _ => Band {
                up_pct: 7.0,
                down_pct: 7.0,
            },
        }
    }

    pub fn limits(self) -> Limits {
        limits_of(self.nominal(), self.band())
    }
}

impl std::fmt::Display for VoltageLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl utoipa::PartialSchema for VoltageLevel {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<&str> = VoltageLevel::ALL.iter().map(|l| l.code()).collect();
        crate::enums::code_schema(&codes)
    }
}

impl utoipa::ToSchema for VoltageLevel {}

impl Serialize for VoltageLevel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for VoltageLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        VoltageLevel::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown voltage level `{s}`; use {}", codes()))
        })
    }
}

fn codes() -> String {
    VoltageLevel::ALL
        .iter()
        .map(|l| l.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Limits rounded to the centivolt, so that 220 V + 7 % is exactly 235.4 V.
fn limits_of(nominal: f64, band: Band) -> Limits {
    let r = |x: f64| (x * 100.0).round() / 100.0;
    Limits {
        low: r(nominal * (100.0 - band.down_pct) / 100.0),
        high: r(nominal * (100.0 + band.up_pct) / 100.0),
    }
}

/// Where a reading lies against its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    Above,
    Below,
    Ok,
}

impl Violation {
    pub fn code(self) -> &'static str {
        match self {
            Violation::Above => "above",
            Violation::Below => "below",
            Violation::Ok => "ok",
        }
    }

    pub fn parse(s: &str) -> Option<Violation> {
        [Violation::Above, Violation::Below, Violation::Ok]
            .into_iter()
            .find(|v| v.code() == s)
    }

    pub fn is_violation(self) -> bool {
        self != Violation::Ok
    }
}

/// One measurement: the voltage a monitoring point saw, standing for `minutes` of time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reading {
    pub level: VoltageLevel,
    pub volts: f64,
    pub minutes: f64,
}

/// A reading against its level's band; the limits themselves pass.
pub fn check(r: &Reading) -> Violation {
    check_with(r.volts, r.level.limits())
}

/// A voltage against given limits (another agreed split for 35 kV+).
pub fn check_with(volts: f64, limits: Limits) -> Violation {
    const EPS: f64 = 1e-9;
    if volts > limits.high + EPS {
        Violation::Above
    } else if volts < limits.low - EPS {
        Violation::Below
    } else {
        Violation::Ok
    }
}

/// Minutes monitored, above and below the limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PassTally {
    pub monitored: f64,
    pub above: f64,
    pub below: f64,
}

impl PassTally {
    pub fn add(&mut self, minutes: f64, v: Violation) {
        self.monitored += minutes;
        match v {
            Violation::Above => self.above += minutes,
            Violation::Below => self.below += minutes,
            Violation::Ok => {}
        }
    }

    pub fn merge(&mut self, o: &PassTally) {
        self.monitored += o.monitored;
        self.above += o.above;
        self.below += o.below;
    }

    /// 1 − (above + below) / monitored; none when nothing was monitored.
    pub fn rate(&self) -> Option<f64> {
        (self.monitored > 0.0).then(|| 1.0 - (self.above + self.below) / self.monitored)
    }
}

/// The tally of a series of readings, each checked against its level.
pub fn pass_rate(readings: &[Reading]) -> PassTally {
    let mut t = PassTally::default();
    for r in readings {
        t.add(r.minutes, check(r));
    }
    t
}

/// The GB/T 12325 rule for 35 kV and above over a series: the largest rise plus the largest
/// drop (in percent of nominal) at most `sum_pct` (10); when the deviations all have the
/// same sign, the largest one at most `sum_pct`.
pub fn deviation_sum_ok(nominal: f64, volts: &[f64], sum_pct: f64) -> bool {
    let dev = |v: f64| (v - nominal) / nominal * 100.0;
    let rise = volts.iter().map(|v| dev(*v)).fold(0.0f64, f64::max);
    let drop = volts.iter().map(|v| -dev(*v)).fold(0.0f64, f64::max);
    rise + drop <= sum_pct + 1e-9
}

/// The longest time one reading may stand for: a day.
pub const MAX_READING_MINUTES: f64 = 1440.0;

/// Checks a reading's values: volts within 30 %–200 % of nominal (anything else is a unit
/// mistake, kV for V, or a meter fault), minutes in (0, 1440]. Returns the field at fault.
pub fn validate(
    level: VoltageLevel,
    volts: f64,
    minutes: f64,
) -> Result<(), (&'static str, String)> {
    let n = level.nominal();
    if !volts.is_finite() || volts < 0.3 * n || volts > 2.0 * n {
        return Err((
            "volts",
            format!(
                "{volts} V is not a plausible {} reading (expected volts, {}–{})",
                level.code(),
                0.3 * n,
                2.0 * n
            ),
        ));
    }
    if !minutes.is_finite() || minutes <= 0.0 || minutes > MAX_READING_MINUTES {
        return Err((
            "minutes",
            format!("minutes must be more than 0 and at most {MAX_READING_MINUTES}"),
        ));
    }
    Ok(())
}

/// Beijing wall time `YYYY-MM-DD HH:MM` (seconds allowed) as an instant.
pub fn parse_local_time(s: &str) -> Option<Millis> {
    let s = s.trim();
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp_millis())
}

/// One data line of a readings file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingRow {
    /// Code of the transformer area; whether it exists is for the service to check.
    pub area_code: String,
    pub level: VoltageLevel,
    pub at: Millis,
    pub volts: f64,
    pub minutes: f64,
}

/// One data line of a readings file: the row with its 1-based line, or what is wrong.
pub type ReadingLine = Result<(u64, ReadingRow), RowError>;

/// The columns of a readings file: English key and Chinese header.
pub const READING_COLUMNS: &[(&str, &str)] = &[
    ("area_code", "台区编号"),
    ("level", "电压等级"),
    ("at", "时间"),
    ("volts", "电压"),
    ("minutes", "时长"),
];

/// Parses a readings file (already decoded text). `Err` is a header problem; otherwise one
/// item per data line, the row with its 1-based line or what is wrong with it. A line
/// repeating an earlier line's area, level and time is a `duplicate_key`.
pub fn reading_rows(text: &str) -> Result<Vec<ReadingLine>, RowError> {
    let err = |line: u64, field: Option<&str>, code: &'static str, message: String| RowError {
        line,
        field: field.map(str::to_string),
        code,
        message,
    };
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = rd.records();
    let header = loop {
        match records.next() {
            None => {
                return Err(err(
                    1,
                    None,
                    code::MISSING_HEADER,
                    "the file is empty; the first line names the columns".into(),
                ));
            }
            Some(Err(e)) => {
                let line = e.position().map(|p| p.line()).unwrap_or(1);
                return Err(err(line, None, code::MALFORMED_ROW, e.to_string()));
            }
            Some(Ok(r)) if r.iter().all(|f| f.trim().is_empty()) => continue,
            Some(Ok(r)) => break r,
        }
    };
    let mut lines = LineCounter::new(text);
    let header_line = header.position().map(|p| lines.at(p.byte())).unwrap_or(1);
    let mut slots = [None; 5];
    for (pos, name) in header.iter().enumerate() {
        let name = name.trim();
        let Some(col) = READING_COLUMNS
            .iter()
            .position(|(k, zh)| k.eq_ignore_ascii_case(name) || *zh == name)
        else {
            return Err(err(
                header_line,
                Some(name),
                code::UNKNOWN_COLUMN,
                format!("unknown column `{name}`"),
            ));
        };
        if slots[col].is_some() {
            return Err(err(
                header_line,
                Some(READING_COLUMNS[col].0),
                code::DUPLICATE_COLUMN,
                format!("column `{}` appears twice", READING_COLUMNS[col].0),
            ));
        }
        slots[col] = Some(pos);
    }
    if let Some(i) = slots.iter().position(Option::is_none) {
        return Err(err(
            header_line,
            Some(READING_COLUMNS[i].0),
            code::MISSING_COLUMN,
            format!("the column `{}` is missing", READING_COLUMNS[i].0),
        ));
    }
    let slot = |i: usize| slots[i].unwrap_or(0);
    let mut seen: std::collections::HashMap<(String, VoltageLevel, Millis), u64> =
        Default::default();
    let mut out = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                out.push(Err(err(line, None, code::MALFORMED_ROW, e.to_string())));
                continue;
            }
        };
        let line = rec.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            out.push(Err(err(
                line,
                None,
                code::MALFORMED_ROW,
                format!("{} fields where the header has {}", rec.len(), header.len()),
            )));
            continue;
        }
        let get = |i: usize| rec.get(slot(i)).unwrap_or("").trim();
        let row = (|| {
            for (i, (key, _)) in READING_COLUMNS.iter().enumerate() {
                if get(i).is_empty() {
                    return Err(err(
                        line,
                        Some(key),
                        code::MISSING_FIELD,
                        format!("{key} is empty"),
                    ));
                }
            }
            let invalid = |f: &str, m: String| err(line, Some(f), code::INVALID_VALUE, m);
            let level = VoltageLevel::parse(get(1)).ok_or_else(|| {
                invalid(
                    "level",
                    format!("unknown voltage level `{}`; use {}", get(1), codes()),
                )
            })?;
            let at = parse_local_time(get(2)).ok_or_else(|| {
                invalid(
                    "at",
                    format!("`{}` is not a time like 2026-11-20 14:05", get(2)),
                )
            })?;
            let volts: f64 = get(3)
                .parse()
                .map_err(|_| invalid("volts", format!("`{}` is not a number", get(3))))?;
            let minutes: f64 = get(4)
                .parse()
                .map_err(|_| invalid("minutes", format!("`{}` is not a number", get(4))))?;
            validate(level, volts, minutes).map_err(|(f, m)| invalid(f, m))?;
            let area_code = get(0).to_string();
            if let Some(first) = seen.insert((area_code.clone(), level, at), line) {
                return Err(err(
                    line,
                    Some("at"),
                    code::DUPLICATE_KEY,
                    format!("the same area, level and time as line {first}"),
                ));
            }
            Ok((
                line,
                ReadingRow {
                    area_code,
                    level,
                    at,
                    volts,
                    minutes,
                },
            ))
        })();
        out.push(row);
    }
    Ok(out)
}

/// Lines of records: the csv reader counts the blank lines it skips into the next record,
/// so the line is counted here from the first byte that is not a line break.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record starting at byte `start` (called with increasing offsets).
    fn at(&mut self, start: u64) -> u64 {
        let mut start = (start as usize).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.offset {
            self.line += self.bytes[self.offset..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = start;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(level: VoltageLevel, volts: f64, minutes: f64) -> Reading {
        Reading {
            level,
            volts,
            minutes,
        }
    }

    #[test]
    fn single_phase_220_is_198_to_235_4() {
        use VoltageLevel::SinglePhase220 as L;
        assert_eq!(
            L.limits(),
            Limits {
                low: 198.0,
                high: 235.4
            }
        );
        assert_eq!(check(&r(L, 235.4, 1.0)), Violation::Ok);
        assert_eq!(check(&r(L, 235.5, 1.0)), Violation::Above);
        assert_eq!(check(&r(L, 198.0, 1.0)), Violation::Ok);
        assert_eq!(check(&r(L, 197.9, 1.0)), Violation::Below);
        assert_eq!(check(&r(L, 220.0, 1.0)), Violation::Ok);
    }

    #[test]
    fn three_phase_is_plus_minus_seven_percent() {
        assert_eq!(
            VoltageLevel::ThreePhase380.limits(),
            Limits {
                low: 353.4,
                high: 406.6
            }
        );
        assert_eq!(
            VoltageLevel::Kv10.limits(),
            Limits {
                low: 9_300.0,
                high: 10_700.0
            }
        );
        assert_eq!(
            check(&r(VoltageLevel::Kv10, 10_701.0, 5.0)),
            Violation::Above
        );
        assert_eq!(
            check(&r(VoltageLevel::ThreePhase380, 353.0, 5.0)),
            Violation::Below
        );
        assert_eq!(VoltageLevel::Kv20.limits().high, 21_400.0);
    }

    #[test]
    fn thirty_five_kv_and_up_by_the_sum_of_deviations() {
        let l = VoltageLevel::Kv35;
        assert!(l.sum_rule() && !VoltageLevel::Kv20.sum_rule());
        // The single-reading band is ±5 %; another split can be agreed.
        assert_eq!(check(&r(l, 36_700.0, 1.0)), Violation::Ok);
        assert_eq!(check(&r(l, 36_800.0, 1.0)), Violation::Above);
        let agreed = limits_of(
            35_000.0,
            Band {
                up_pct: 7.0,
                down_pct: 3.0,
            },
        );
        assert_eq!(check_with(37_400.0, agreed), Violation::Ok);
        assert_eq!(check_with(33_900.0, agreed), Violation::Below);
        // +6 % and −4 %: 10 % in sum, passes; +6 % and −5 %: fails.
        assert!(deviation_sum_ok(35_000.0, &[37_100.0, 33_600.0], 10.0));
        assert!(!deviation_sum_ok(35_000.0, &[37_100.0, 33_250.0], 10.0));
        // Same sign: the larger deviation counts.
        assert!(deviation_sum_ok(35_000.0, &[38_500.0, 36_000.0], 10.0));
        assert!(!deviation_sum_ok(35_000.0, &[38_600.0], 10.0));
    }

    /// 60 min at 230 V, 30 min at 240 V (above), 20 min at 195 V (below), 10 min at 220 V:
    /// 120 min monitored, 50 out of limits, pass rate 1 − 50/120 = 0.583 33.
    #[test]
    fn pass_rate_is_time_weighted() {
        use VoltageLevel::SinglePhase220 as L;
        let t = pass_rate(&[
            r(L, 230.0, 60.0),
            r(L, 240.0, 30.0),
            r(L, 195.0, 20.0),
            r(L, 220.0, 10.0),
        ]);
        assert_eq!(
            t,
            PassTally {
                monitored: 120.0,
                above: 30.0,
                below: 20.0
            }
        );
        assert!((t.rate().unwrap() - (1.0 - 50.0 / 120.0)).abs() < 1e-12);
        assert_eq!(PassTally::default().rate(), None);
    }

    #[test]
    fn level_codes_and_spellings() {
        for l in VoltageLevel::ALL {
            assert_eq!(VoltageLevel::parse(l.code()), Some(*l));
        }
        assert_eq!(
            VoltageLevel::parse("220V"),
            Some(VoltageLevel::SinglePhase220)
        );
        assert_eq!(
            VoltageLevel::parse("单相220V"),
            Some(VoltageLevel::SinglePhase220)
        );
        assert_eq!(VoltageLevel::parse("10 kV"), Some(VoltageLevel::Kv10));
        assert_eq!(
            VoltageLevel::parse("0.38kV"),
            Some(VoltageLevel::ThreePhase380)
        );
        assert_eq!(VoltageLevel::parse("500kv"), None);
        let json = serde_json::to_string(&VoltageLevel::Kv10).unwrap();
        assert_eq!(json, "\"10kv\"");
        let back: VoltageLevel = serde_json::from_str("\"220V\"").unwrap();
        assert_eq!(back, VoltageLevel::SinglePhase220);
    }

    #[test]
    fn local_times_are_beijing() {
        // 2026-11-20 08:00 in Beijing is 00:00 UTC.
        assert_eq!(
            parse_local_time("2026-11-20 08:00"),
            Some(1_795_132_800_000)
        );
        assert_eq!(
            parse_local_time("2026-11-20 08:00:00"),
            Some(1_795_132_800_000)
        );
        assert_eq!(parse_local_time("2026-11-20T08:00"), None);
        assert_eq!(parse_local_time("2026-13-01 00:00"), None);
    }

    #[test]
    fn a_file_parses_with_line_numbered_errors() {
        let text = "\u{feff}area_code,level,at,volts,minutes\n\
                    TA-1,220v,2026-11-20 08:00,231.5,60\n\
                    TA-1,220v,2026-11-20 09:00,abc,60\n\
                    \n\
                    TA-1,380kv,2026-11-20 10:00,231,60\n\
                    TA-1,220v,2026-11-20 08:00,230,60\n\
                    TA-2,10kv,2026-11-20 08:00,10.2,60\n\
                    TA-2,10kv,2026-11-20 08:00\n\
                    TA-2,220v,2026-11-20 11:00,230,0\n\
                    ,220v,2026-11-20 11:00,230,5\n";
        let text = text.trim_start_matches('\u{feff}');
        let rows = reading_rows(text).unwrap();
        let summary: Vec<_> = rows
            .iter()
            .map(|r| match r {
                Ok((line, _)) => (*line, "ok".to_string(), String::new()),
                Err(e) => (
                    e.line,
                    e.code.to_string(),
                    e.field.clone().unwrap_or_default(),
                ),
            })
            .collect();
        let expect = [
            (2, "ok", ""),
            (3, "invalid_value", "volts"),
            (5, "invalid_value", "level"),
            (6, "duplicate_key", "at"),
            (7, "invalid_value", "volts"),
            (8, "malformed_row", ""),
            (9, "invalid_value", "minutes"),
            (10, "missing_field", "area_code"),
        ];
        let expect: Vec<_> = expect
            .iter()
            .map(|(l, c, f)| (*l as u64, c.to_string(), f.to_string()))
            .collect();
        assert_eq!(summary, expect);
        let Ok((_, first)) = &rows[0] else {
            panic!("first row")
        };
        assert_eq!(first.area_code, "TA-1");
        assert_eq!(first.volts, 231.5);
        assert_eq!(first.minutes, 60.0);
    }

    #[test]
    fn chinese_headers_in_any_order() {
        let text = "电压,台区编号,时间,时长,电压等级\n236,TA-9,2026-01-05 12:00,15,220V\n";
        let rows = reading_rows(text).unwrap();
        let Ok((2, row)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(row.area_code, "TA-9");
        assert_eq!(row.level, VoltageLevel::SinglePhase220);
        assert_eq!(
            check(&Reading {
                level: row.level,
                volts: row.volts,
                minutes: row.minutes
            }),
            Violation::Above
        );
    }

    #[test]
    fn header_problems() {
        assert_eq!(reading_rows("").unwrap_err().code, code::MISSING_HEADER);
        assert_eq!(
            reading_rows("area_code,level,at,volts\n").unwrap_err().code,
            code::MISSING_COLUMN
        );
        assert_eq!(
            reading_rows("area_code,level,at,volts,minutes,foo\n")
                .unwrap_err()
                .code,
            code::UNKNOWN_COLUMN
        );
        assert_eq!(
            reading_rows("area_code,level,at,volts,minutes,台区编号\n")
                .unwrap_err()
                .code,
            code::DUPLICATE_COLUMN
        );
    }
}
