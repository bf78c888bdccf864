//! Reliability indices of supply (IEEE 1366, DL/T 836) from a list of interruptions.
//!
//! Pure arithmetic: the caller says which interruptions belong to the feeder, station and
//! period, how many customers the scope serves (N_T) and how long the period is (T).
//!
//! | index    | formula                                   | unit                        |
//! |----------|-------------------------------------------|-----------------------------|
//! | SAIFI    | ΣNᵢ / N_T (sustained)                     | interruptions per customer  |
//! | SAIDI    | Σrᵢ·Nᵢ / N_T (sustained)                  | minutes per customer        |
//! | CAIDI    | SAIDI / SAIFI                             | minutes per interruption    |
//! | CAIFI    | ΣNᵢ / CN (sustained)                      | interruptions per customer interrupted |
//! | ASAI     | 1 − Σrᵢ·Nᵢ / (N_T·T)                      | fraction                    |
//! | MAIFI_E  | Σ IM_E·N_mi / N_T (momentary events)      | events per customer         |
//! | AIHC-1   | Σ(rᵢ·Nᵢ) / N_T, in hours (DL/T 836)       | hours per customer          |
//! | RS-1     | (1 − AIHC-1 / T) × 100 %                  | percent                     |
//! | RS-3     | RS-1 leaving out supply-shortage outages  | percent                     |
//!
//! *Sustained* means longer than the momentary limit (5 minutes by default, IEEE 1366; the
//! limit is a parameter of [`Interruption::new`] because DL/T 836-2016 draws the line at
//! 3 minutes). Momentary interruptions only count in MAIFI_E: each momentary interruption
//! record is taken as one momentary *event* (a reclosing sequence recorded as several
//! records would count several times).
//!
//! **CAIFI's CN** (distinct customers interrupted at least once) needs per-customer data,
//! which the outage records do not carry. It is approximated from the transformer areas
//! each sustained interruption touched (its footprint): the customers of the distinct areas
//! touched, plus Nᵢ for interruptions without a footprint, kept between the largest single
//! Nᵢ and min(ΣNᵢ, N_T) so that CAIFI ≥ 1 as it must be. When an outage took out only part
//! of an area, CN is over-counted and CAIFI comes out low.
//!
//! **Major event days** by the 2.5β method: the daily SAIDI of the history (five years,
//! chosen by the caller), days with zero SAIDI dropped, natural logarithms, α their mean,
//! β their standard deviation (population or sample: [`Sigma`]), T_MED = exp(α + 2.5β).
//! A day whose SAIDI exceeds T_MED is a major event day; "excluding MED" leaves out every
//! interruption (sustained and momentary) that began on such a day. The period length T
//! stays the same.
//!
//! **RS-1/RS-3** use the sustained interruptions of the set they are given: the totals
//! with MEDs are the figures DL/T 836 reports (it knows no MED). RS-3 leaves out the
//! interruptions marked as supply shortage ([`is_supply_shortage`]).

use crate::{HOUR_MS, MINUTE_MS};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The IEEE 1366 line between momentary and sustained: at most this long is momentary.
pub const MOMENTARY_MAX_MS: i64 = 5 * MINUTE_MS;

/// The multiplier of β in T_MED = exp(α + kβ).
pub const MED_K: f64 = 2.5;

/// Words in an outage's cause that mark a supply shortage (限电, 缺电, 有序用电): what RS-3
/// leaves out.
pub const SUPPLY_SHORTAGE_WORDS: &[&str] = &["限电", "缺电", "有序用电"];

/// Whether an outage's cause says it was a supply shortage (power rationing).
pub fn is_supply_shortage(cause: &str) -> bool {
    SUPPLY_SHORTAGE_WORDS.iter().any(|w| cause.contains(w))
}

/// Which standard deviation β is: of the population (divide by n) or of a sample (n − 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sigma {
    Population,
    /// The usual choice in utilities' spreadsheets (`STDEV`), and the default.
    #[default]
    Sample,
}

impl Sigma {
    pub const ALL: &'static [Sigma] = &[Sigma::Population, Sigma::Sample];

    pub fn code(self) -> &'static str {
        match self {
            Sigma::Population => "population",
            Sigma::Sample => "sample",
        }
    }

    pub fn parse(s: &str) -> Option<Sigma> {
        Sigma::ALL.iter().copied().find(|x| x.code() == s)
    }
}

/// One interruption of supply as the indices see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interruption {
    /// The day it began, as any day key (the service uses local days since the epoch);
    /// only compared for equality, to find major event days.
    pub day: i64,
    /// How long it lasted (rᵢ), in milliseconds.
    pub duration_ms: i64,
    /// Customers interrupted (Nᵢ).
    pub customers: i64,
    /// At most the momentary limit: counts in MAIFI_E only.
    pub momentary: bool,
    /// A supply shortage (power rationing): left out of RS-3.
    pub supply_shortage: bool,
    /// Transformer areas it touched, for CAIFI's distinct customers (may be empty).
    pub areas: Vec<i64>,
}

impl Interruption {
    /// An interruption, momentary when it lasted at most `momentary_max_ms`.
    pub fn new(day: i64, duration_ms: i64, customers: i64, momentary_max_ms: i64) -> Self {
        Interruption {
            day,
            duration_ms: duration_ms.max(0),
            customers: customers.max(0),
            momentary: duration_ms <= momentary_max_ms,
            supply_shortage: false,
            areas: Vec::new(),
        }
    }

    pub fn with_areas(mut self, areas: Vec<i64>) -> Self {
        self.areas = areas;
        self
    }

    pub fn shortage(mut self, yes: bool) -> Self {
        self.supply_shortage = yes;
        self
    }

    /// rᵢ·Nᵢ in customer-minutes.
    pub fn customer_minutes(&self) -> f64 {
        self.duration_ms as f64 / MINUTE_MS as f64 * self.customers as f64
    }
}

/// The indices of one set of interruptions over one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Indices {
    pub saifi: f64,
    /// Minutes per customer served.
    pub saidi: f64,
    /// Minutes per customer interrupted; none without sustained interruptions.
    pub caidi: Option<f64>,
    /// None without sustained interruptions.
    pub caifi: Option<f64>,
    /// Fraction of customer-hours available, 0..1.
    pub asai: f64,
    pub maifi_e: f64,
    /// Hours per customer served (DL/T 836 AIHC-1).
    pub aihc1: f64,
    /// Percent.
    pub rs1: f64,
    /// Percent, supply-shortage outages left out.
    pub rs3: f64,
    /// Sustained interruptions counted.
    pub sustained: usize,
    /// Momentary interruptions (events) counted.
    pub momentary: usize,
    /// ΣNᵢ of the sustained interruptions.
    pub customers_interrupted: i64,
    /// CN as approximated (see the module notes).
    pub distinct_customers: i64,
    /// Σrᵢ·Nᵢ of the sustained interruptions.
    pub customer_minutes: f64,
}

/// The indices of `list` for `n_t` customers over a period of `period_ms`; none when there
/// are no customers or no period. `area_customers` gives the customers of each area, for
/// CAIFI.
pub fn indices(
    list: &[Interruption],
    n_t: i64,
    period_ms: i64,
    area_customers: &HashMap<i64, i64>,
) -> Option<Indices> {
    if n_t <= 0 || period_ms <= 0 {
        return None;
    }
    let n = n_t as f64;
    let mut sustained = 0;
    let mut momentary = 0;
    let mut ci = 0i64;
    let mut cmi = 0.0;
    let mut cmi_shortage = 0.0;
    let mut momentary_customers = 0i64;
    let mut largest = 0i64;
    let mut areas = BTreeSet::new();
    let mut unplaced = 0i64;
    for i in list {
        if i.momentary {
            momentary += 1;
            momentary_customers += i.customers;
            continue;
        }
        sustained += 1;
        ci += i.customers;
        cmi += i.customer_minutes();
        if i.supply_shortage {
            cmi_shortage += i.customer_minutes();
        }
        largest = largest.max(i.customers);
        if i.areas.is_empty() {
            unplaced += i.customers;
        } else {
            areas.extend(i.areas.iter().copied());
        }
    }
    let by_area: i64 = areas
        .iter()
        .map(|a| area_customers.get(a).copied().unwrap_or(0))
        .sum();
    let distinct = (by_area + unplaced)
        .min(ci)
        .min(n_t.max(largest))
        .max(largest);
    let saifi = ci as f64 / n;
    let saidi = cmi / n;
    let period_min = period_ms as f64 / MINUTE_MS as f64;
    let period_h = period_ms as f64 / HOUR_MS as f64;
    let aihc1 = saidi / 60.0;
    let aihc3 = (cmi - cmi_shortage) / n / 60.0;
    Some(Indices {
        saifi,
        saidi,
        caidi: (ci > 0).then(|| saidi / saifi),
        caifi: (distinct > 0).then(|| ci as f64 / distinct as f64),
        asai: 1.0 - cmi / (n * period_min),
        maifi_e: momentary_customers as f64 / n,
        aihc1,
        rs1: (1.0 - aihc1 / period_h) * 100.0,
        rs3: (1.0 - aihc3 / period_h) * 100.0,
        sustained,
        momentary,
        customers_interrupted: ci,
        distinct_customers: distinct,
        customer_minutes: cmi,
    })
}

/// SAIDI of each day that had a sustained interruption, in minutes, by day key.
pub fn daily_saidi(list: &[Interruption], n_t: i64) -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    if n_t <= 0 {
        return out;
    }
    for i in list.iter().filter(|i| !i.momentary) {
        *out.entry(i.day).or_insert(0.0) += i.customer_minutes() / n_t as f64;
    }
    out
}

/// The major-event-day threshold and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MedThreshold {
    /// Mean of ln(daily SAIDI).
    pub alpha: f64,
    /// Standard deviation of ln(daily SAIDI).
    pub beta: f64,
    pub sigma: Sigma,
    pub k: f64,
    /// Minutes of daily SAIDI above which a day is a major event day.
    pub t_med: f64,
    /// Days with non-zero SAIDI the threshold was computed from.
    pub days_used: usize,
}

/// T_MED = exp(α + 2.5β) from a history of daily SAIDI values (minutes). Days with zero
/// (or negative, or non-finite) SAIDI are dropped. None when too few days remain: one for
/// the population deviation, two for the sample deviation.
pub fn med_threshold(daily_saidi: &[f64], sigma: Sigma) -> Option<MedThreshold> {
    med_threshold_k(daily_saidi, sigma, MED_K)
}

/// [`med_threshold`] with another multiplier of β.
pub fn med_threshold_k(daily_saidi: &[f64], sigma: Sigma, k: f64) -> Option<MedThreshold> {
    let logs: Vec<f64> = daily_saidi
        .iter()
        .filter(|x| x.is_finite() && **x > 0.0)
        .map(|x| x.ln())
        .collect();
    let n = logs.len();
    let denominator = match sigma {
        Sigma::Population if n >= 1 => n as f64,
        Sigma::Sample if n >= 2 => (n - 1) as f64,
        _ => return None,
    };
    let alpha = logs.iter().sum::<f64>() / n as f64;
    let beta = (logs.iter().map(|x| (x - alpha).powi(2)).sum::<f64>() / denominator).sqrt();
    Some(MedThreshold {
        alpha,
        beta,
        sigma,
        k,
        t_med: (alpha + k * beta).exp(),
        days_used: n,
    })
}

/// The days of `list` whose SAIDI exceeds T_MED, with their SAIDI, in day order.
pub fn major_event_days(
    list: &[Interruption],
    n_t: i64,
    threshold: &MedThreshold,
) -> Vec<(i64, f64)> {
    daily_saidi(list, n_t)
        .into_iter()
        .filter(|(_, s)| *s > threshold.t_med)
        .collect()
}

/// The indices with and without major event days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Every interruption.
    pub all: Indices,
    /// Interruptions that began on a major event day left out.
    pub excluding_med: Indices,
    /// Major event days found, with their SAIDI (minutes).
    pub med_days: Vec<(i64, f64)>,
}

/// Indices with and without the major event days that `threshold` finds in `list`
/// (without a threshold there are none). None when there are no customers or no period.
pub fn assess(
    list: &[Interruption],
    n_t: i64,
    period_ms: i64,
    area_customers: &HashMap<i64, i64>,
    threshold: Option<&MedThreshold>,
) -> Option<Assessment> {
    let all = indices(list, n_t, period_ms, area_customers)?;
    let med_days = threshold
        .map(|t| major_event_days(list, n_t, t))
        .unwrap_or_default();
    let med: BTreeSet<i64> = med_days.iter().map(|(d, _)| *d).collect();
    let normal: Vec<Interruption> = list
        .iter()
        .filter(|i| !med.contains(&i.day))
        .cloned()
        .collect();
    let excluding_med = indices(&normal, n_t, period_ms, area_customers)?;
    Some(Assessment {
        all,
        excluding_med,
        med_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DAY_MS;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} != {b}");
    }

    const YEAR_MS: i64 = 365 * DAY_MS;

    fn minutes(m: i64) -> i64 {
        m * MINUTE_MS
    }

    /// An IEEE 1366-style worked example, computed by hand: a system of 2,000 customers in
    /// three areas (A: 200, B: 500, C: 400, the rest unaffected) over a year (8,760 h).
    ///
    /// | day | r (min) | N     | area | note                 |
    /// |-----|---------|-------|------|----------------------|
    /// | 1   | 120     | 200   | A    |                      |
    /// | 3   | 60      | 500   | B    |                      |
    /// | 3   | 3       | 1,000 | —    | momentary            |
    /// | 10  | 30      | 100   | A    |                      |
    /// | 20  | 90      | 400   | C    | supply shortage (限电) |
    ///
    /// ΣNᵢ = 1,200; Σrᵢ·Nᵢ = 24,000 + 30,000 + 3,000 + 36,000 = 93,000 customer-minutes.
    /// SAIFI = 1,200 / 2,000 = 0.6; SAIDI = 93,000 / 2,000 = 46.5 min; CAIDI = 77.5 min.
    /// CN = 200 + 500 + 400 = 1,100 (areas A, B, C), CAIFI = 1,200 / 1,100 = 1.0909.
    /// ASAI = 1 − 93,000 / (2,000 × 525,600) = 0.999 911 530 8.
    /// MAIFI_E = 1,000 / 2,000 = 0.5.
    /// AIHC-1 = 93,000 / 60 / 2,000 = 0.775 h; RS-1 = (1 − 0.775 / 8,760) × 100 = 99.991 153 %.
    /// Without the shortage: 57,000 customer-minutes, 0.475 h, RS-3 = 99.994 577 %.
    #[test]
    fn worked_example() {
        let m = MOMENTARY_MAX_MS;
        let list = vec![
            Interruption::new(1, minutes(120), 200, m).with_areas(vec![1]),
            Interruption::new(3, minutes(60), 500, m).with_areas(vec![2]),
            Interruption::new(3, minutes(3), 1000, m),
            Interruption::new(10, minutes(30), 100, m).with_areas(vec![1]),
            Interruption::new(20, minutes(90), 400, m)
                .with_areas(vec![3])
                .shortage(is_supply_shortage("迎峰度夏有序用电限电")),
        ];
        let areas = HashMap::from([(1, 200), (2, 500), (3, 400), (4, 900)]);
        let x = indices(&list, 2000, YEAR_MS, &areas).unwrap();
        close(x.saifi, 0.6);
        close(x.saidi, 46.5);
        close(x.caidi.unwrap(), 77.5);
        close(x.caifi.unwrap(), 1200.0 / 1100.0);
        close(x.asai, 1.0 - 93_000.0 / (2000.0 * 525_600.0));
        close(x.maifi_e, 0.5);
        close(x.aihc1, 0.775);
        close(x.rs1, (1.0 - 0.775 / 8760.0) * 100.0);
        close(x.rs3, (1.0 - 0.475 / 8760.0) * 100.0);
        assert_eq!((x.sustained, x.momentary), (4, 1));
        assert_eq!(x.customers_interrupted, 1200);
        assert_eq!(x.distinct_customers, 1100);
        close(x.customer_minutes, 93_000.0);
        // RS-1 is ASAI in percent.
        close(x.rs1, x.asai * 100.0);
    }

    #[test]
    fn five_minutes_is_momentary_and_a_second_more_is_not() {
        let m = MOMENTARY_MAX_MS;
        assert!(Interruption::new(0, minutes(5), 10, m).momentary);
        assert!(!Interruption::new(0, minutes(5) + 1000, 10, m).momentary);
        // DL/T 836-2016 counts from 3 minutes.
        assert!(!Interruption::new(0, minutes(4), 10, minutes(3)).momentary);
    }

    #[test]
    fn nothing_to_divide_by() {
        let none = HashMap::new();
        assert!(indices(&[], 0, YEAR_MS, &none).is_none());
        assert!(indices(&[], 10, 0, &none).is_none());
        let x = indices(&[], 10, YEAR_MS, &none).unwrap();
        assert_eq!((x.saifi, x.saidi, x.asai, x.rs1), (0.0, 0.0, 1.0, 100.0));
        assert_eq!((x.caidi, x.caifi), (None, None));
    }

    #[test]
    fn caifi_stays_at_least_one() {
        // The register says the area has 50 customers but the outage took out 80.
        let list = vec![
            Interruption::new(1, minutes(60), 80, MOMENTARY_MAX_MS).with_areas(vec![7]),
            Interruption::new(2, minutes(60), 80, MOMENTARY_MAX_MS).with_areas(vec![7]),
        ];
        let x = indices(&list, 1000, YEAR_MS, &HashMap::from([(7, 50)])).unwrap();
        assert_eq!(x.distinct_customers, 80);
        close(x.caifi.unwrap(), 2.0);
        // Without footprints, each interruption counts its own customers: CAIFI 1.
        let bare = vec![
            Interruption::new(1, minutes(60), 30, MOMENTARY_MAX_MS),
            Interruption::new(2, minutes(60), 20, MOMENTARY_MAX_MS),
        ];
        let y = indices(&bare, 1000, YEAR_MS, &HashMap::new()).unwrap();
        close(y.caifi.unwrap(), 1.0);
    }

    /// ln of the history {1, e, e²} is {0, 1, 2}: α = 1; the population deviation is
    /// √(2/3) = 0.816 497, the sample one 1. T_MED = exp(1 + 2.5 × 0.816 497) = 20.931 or
    /// exp(3.5) = 33.115. Zero days are dropped.
    #[test]
    fn med_threshold_by_hand() {
        let e = std::f64::consts::E;
        let history = [1.0, 0.0, e, e * e, 0.0];
        let p = med_threshold(&history, Sigma::Population).unwrap();
        close(p.alpha, 1.0);
        close(p.beta, (2.0f64 / 3.0).sqrt());
        close(p.t_med, (1.0 + 2.5 * (2.0f64 / 3.0).sqrt()).exp());
        assert_eq!(p.days_used, 3);
        let s = med_threshold(&history, Sigma::Sample).unwrap();
        close(s.beta, 1.0);
        close(s.t_med, 3.5f64.exp());
        assert!((p.t_med - 20.931).abs() < 1e-3 && (s.t_med - 33.115).abs() < 1e-3);
        assert!(med_threshold(&[0.0, 3.0], Sigma::Sample).is_none());
        assert!(med_threshold(&[3.0], Sigma::Population).is_some());
        assert!(med_threshold(&[], Sigma::Population).is_none());
    }

    /// 1,000 customers; a storm day with 25 min of SAIDI is a major event day under the
    /// population threshold (20.93) and not under the sample one (33.12).
    #[test]
    fn major_event_days_depend_on_sigma_and_are_left_out() {
        let e = std::f64::consts::E;
        let history = [1.0, e, e * e];
        let m = MOMENTARY_MAX_MS;
        let list = vec![
            // day 5: 25,000 customer-minutes → 25 min SAIDI (two interruptions)
            Interruption::new(5, minutes(100), 200, m),
            Interruption::new(5, minutes(50), 100, m),
            Interruption::new(5, minutes(2), 300, m),
            // day 6: 2 min SAIDI
            Interruption::new(6, minutes(40), 50, m),
        ];
        let none = HashMap::new();
        let pop = med_threshold(&history, Sigma::Population).unwrap();
        let a = assess(&list, 1000, YEAR_MS, &none, Some(&pop)).unwrap();
        assert_eq!(a.med_days.len(), 1);
        assert_eq!(a.med_days[0].0, 5);
        close(a.med_days[0].1, 25.0);
        close(a.all.saidi, 27.0);
        close(a.all.saifi, 0.35);
        close(a.all.maifi_e, 0.3);
        close(a.excluding_med.saidi, 2.0);
        close(a.excluding_med.saifi, 0.05);
        assert_eq!(a.excluding_med.maifi_e, 0.0);
        let sample = med_threshold(&history, Sigma::Sample).unwrap();
        let b = assess(&list, 1000, YEAR_MS, &none, Some(&sample)).unwrap();
        assert!(b.med_days.is_empty());
        assert_eq!(b.all, b.excluding_med);
        let c = assess(&list, 1000, YEAR_MS, &none, None).unwrap();
        assert!(c.med_days.is_empty());
    }

    #[test]
    fn supply_shortage_words() {
        assert!(is_supply_shortage("电网缺电，执行有序用电"));
        assert!(is_supply_shortage("拉闸限电"));
        assert!(!is_supply_shortage("10kV线路故障跳闸"));
    }

    #[test]
    fn sigma_codes() {
        for s in Sigma::ALL {
            assert_eq!(Sigma::parse(s.code()), Some(*s));
        }
        assert_eq!(Sigma::default(), Sigma::Sample);
        assert_eq!(Sigma::parse("median"), None);
    }
}
