//! Working-day calendar: weekends plus public holidays and make-up working days (调休).
//!
//! The calendar is data (`config/calendar/cn.toml`): Saturday and Sunday are non-working,
//! Monday to Friday are working, and an entry overrides either way.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// What an entry makes of its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A non-working day (public holiday), typically on a weekday.
    Holiday,
    /// A make-up working day (调休上班), typically on a weekend.
    Workday,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DayKind::Holiday => "节假日",
            DayKind::Workday => "调休上班",
        }
    }
}

/// One day that differs from the weekday/weekend rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarEntry {
    /// The day; `date` is accepted as an alias (the calendar file's spelling).
    #[serde(alias = "date")]
    pub day: NaiveDate,
    pub kind: DayKind,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar TOML: {0}")]
    Toml(String),
    #[error("calendar: day {day} is listed twice (entries {first} and {second}, 0-based)")]
    Duplicate {
        day: NaiveDate,
        first: usize,
        second: usize,
    },
}

/// Working-day calendar. `Default` is the bare weekday/weekend rule with no entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, (DayKind, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    day: Vec<CalendarEntry>,
}

impl Calendar {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a calendar from entries; a later entry for the same day replaces an earlier one.
    pub fn from_entries(entries: impl IntoIterator<Item = CalendarEntry>) -> Self {
        let mut c = Self::new();
        for e in entries {
            c.set(e);
        }
        c
    }

    /// Parses the calendar file format (`[[day]] date = "2025-01-01" kind = "holiday" name = "元旦"`).
    /// A day listed twice is an error.
    pub fn from_toml(s: &str) -> Result<Self, CalendarError> {
        let file: CalendarFile =
            toml::from_str(s).map_err(|e| CalendarError::Toml(e.to_string()))?;
        let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for (i, e) in file.day.iter().enumerate() {
            if let Some(&first) = seen.get(&e.day) {
                return Err(CalendarError::Duplicate {
                    day: e.day,
                    first,
                    second: i,
                });
            }
            seen.insert(e.day, i);
        }
        Ok(Self::from_entries(file.day))
    }

    /// Adds or replaces the entry for `e.day`.
    pub fn set(&mut self, e: CalendarEntry) {
        self.days.insert(e.day, (e.kind, e.name));
    }

    /// Removes the entry for `day`; returns whether there was one.
    pub fn remove(&mut self, day: NaiveDate) -> bool {
        self.days.remove(&day).is_some()
    }

    /// The entry for `day`, if any.
    pub fn get(&self, day: NaiveDate) -> Option<CalendarEntry> {
        self.days.get(&day).map(|(kind, name)| CalendarEntry {
            day,
            kind: *kind,
            name: name.clone(),
        })
    }

    pub fn len(&self) -> usize {
        self.days.len()
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// All entries, sorted by day.
    pub fn entries(&self) -> Vec<CalendarEntry> {
        self.days
            .iter()
            .map(|(day, (kind, name))| CalendarEntry {
                day: *day,
                kind: *kind,
                name: name.clone(),
            })
            .collect()
    }

    /// Adds n working days keeping the time of day. If `start` (local) falls on a non-working
    /// day it first moves to 00:00 of the next working day. Then steps day by day, counting
    /// only working days, n times.
    ///
    /// At the very end of chrono's date range the walk stops at the last representable day.
    pub fn add_working_days(&self, start: NaiveDateTime, n: u32) -> NaiveDateTime {
        let mut day = start.date();
        let mut time = start.time();
        if !self.is_working_day(day) {
            day = self.next_working_day(day);
            time = NaiveTime::MIN;
        }
        for _ in 0..n {
            day = self.next_working_day(day);
        }
        day.and_time(time)
    }

    /// The first working day strictly after `d`.
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        while let Some(next) = day.succ_opt() {
            day = next;
            if self.is_working_day(day) {
                break;
            }
        }
        day
    }

    /// Number of working days in the half-open range `[from, to)`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .take_while(|d| *d < to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn weekends_are_off_by_default() {
        let c = Calendar::new();
        assert!(c.is_working_day(d("2026-11-20"))); // Friday
        assert!(!c.is_working_day(d("2026-11-21"))); // Saturday
        assert!(!c.is_working_day(d("2026-11-22"))); // Sunday
        assert!(c.is_working_day(d("2026-11-23"))); // Monday
    }

    #[test]
    fn entries_override_and_sort() {
        let mut c = Calendar::from_entries([
            CalendarEntry {
                day: d("2026-10-10"),
                kind: DayKind::Workday,
                name: "国庆节调休上班".into(),
            },
            CalendarEntry {
                day: d("2026-10-01"),
                kind: DayKind::Holiday,
                name: "国庆节".into(),
            },
        ]);
        assert!(!c.is_working_day(d("2026-10-01")));
        assert!(c.is_working_day(d("2026-10-10")));
        let days: Vec<_> = c.entries().into_iter().map(|e| e.day).collect();
        assert_eq!(days, vec![d("2026-10-01"), d("2026-10-10")]);
        assert!(c.remove(d("2026-10-10")));
        assert!(!c.remove(d("2026-10-10")));
        assert!(!c.is_working_day(d("2026-10-10")));
    }

    #[test]
    fn add_working_days_basic() {
        let c = Calendar::new();
        assert_eq!(
            c.add_working_days(dt("2026-11-20 10:00"), 4),
            dt("2026-11-26 10:00")
        );
        assert_eq!(
            c.add_working_days(dt("2026-11-20 10:00"), 0),
            dt("2026-11-20 10:00")
        );
        // Saturday: moves to Monday 00:00 first.
        assert_eq!(
            c.add_working_days(dt("2026-11-21 15:30"), 0),
            dt("2026-11-23 00:00")
        );
        assert_eq!(
            c.add_working_days(dt("2026-11-21 15:30"), 1),
            dt("2026-11-24 00:00")
        );
    }

    #[test]
    fn toml_parse_and_errors() {
        let c = Calendar::from_toml(
            "[[day]]\ndate = \"2026-10-01\"\nkind = \"holiday\"\nname = \"国庆节\"\n",
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(d("2026-10-01")).unwrap().name, "国庆节");

        let e = Calendar::from_toml("[[day]]\ndate = \"2026-10-01\"\nkind = \"vacation\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("vacation"), "{e}");

        let e = Calendar::from_toml(
            "[[day]]\ndate = \"2026-10-01\"\nkind = \"holiday\"\n\
             [[day]]\ndate = \"2026-10-01\"\nkind = \"workday\"\n",
        )
        .unwrap_err();
        assert!(matches!(e, CalendarError::Duplicate { .. }), "{e}");
    }

    #[test]
    fn day_kind_serde() {
        assert_eq!(
            serde_json::to_string(&DayKind::Holiday).unwrap(),
            "\"holiday\""
        );
        let e: CalendarEntry =
            serde_json::from_str(r#"{"day":"2026-10-10","kind":"workday","name":"x"}"#).unwrap();
        assert_eq!(e.kind, DayKind::Workday);
    }

    #[test]
    fn working_days_between_counts() {
        let c = Calendar::new();
        assert_eq!(c.working_days_between(d("2026-11-20"), d("2026-11-27")), 5);
    }
}
