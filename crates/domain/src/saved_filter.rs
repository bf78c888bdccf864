//! Saved filters of the orders list: a person's named views of `/orders`. A saved filter is
//! the list's query string with only the list's own filters kept; what a user may keep, and
//! what saving under a name does, is decided here.

use crate::values::{LineFault, plain_line};

/// The longest name of a saved filter, in characters.
pub const NAME_MAX: usize = 40;
/// How many saved filters one user keeps.
pub const PER_USER: usize = 20;
/// The longest query string a saved filter keeps, in characters.
pub const QUERY_MAX: usize = 2000;

/// The orders list's filters a saved filter keeps (the list's query keys but the page: a
/// saved view opens on its first page).
pub const KEYS: &[&str] = &[
    "number", "q", "status", "type", "channel", "grid_id", "from", "to", "overdue", "sort",
    "order", "per_page",
];

/// Why a filter cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SavedFilterFault {
    #[error("1 to 40 visible characters on one line, without control or text-direction characters")]
    Name(LineFault),
    #[error("the filters are longer than 2000 characters")]
    Query,
    /// The user has [`PER_USER`] saved filters and this name is none of them.
    #[error(
        "at most 20 saved filters per user: delete one, or save under a name already used to replace it"
    )]
    Full,
}

impl SavedFilterFault {
    /// The input it concerns, as the API names it.
    pub fn field(self) -> &'static str {
        match self {
            SavedFilterFault::Name(_) | SavedFilterFault::Full => "name",
            SavedFilterFault::Query => "query",
        }
    }
}

/// A saved filter's name: a plain visible line of at most [`NAME_MAX`] characters, trimmed.
pub fn filter_name(s: &str) -> Result<&str, SavedFilterFault> {
    plain_line(s, NAME_MAX).map_err(SavedFilterFault::Name)
}

/// The list's filters in a query string (a leading `?` allowed): only [`KEYS`], each with a
/// value that is not blank, trimmed, the last one given when a key comes twice (as the list
/// reads them), in the order of [`KEYS`], encoded again.
pub fn keep_filters(query: &str) -> Result<String, SavedFilterFault> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut kept: Vec<(&str, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = v.trim();
        let Some(&key) = KEYS.iter().find(|key| **key == k.as_ref()) else {
            continue;
        };
        kept.retain(|(have, _)| *have != key);
        if !v.is_empty() {
            kept.push((key, v.to_string()));
        }
    }
    kept.sort_by_key(|(k, _)| KEYS.iter().position(|key| key == k));
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        out.append_pair(k, v);
    }
    let out = out.finish();
    if out.chars().count() > QUERY_MAX {
        return Err(SavedFilterFault::Query);
    }
    Ok(out)
}

/// What saving a filter under a name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Save {
    /// A new saved filter.
    Add,
    /// The user's saved filter of that name (this id) takes the new filters.
    Replace(i64),
}

/// Saving under `name` (already checked) with the user's saved filters `existing` (id,
/// name): the same name replaces that one, a new name adds one while the user has fewer
/// than [`PER_USER`].
pub fn decide_save(existing: &[(i64, &str)], name: &str) -> Result<Save, SavedFilterFault> {
    if let Some((id, _)) = existing.iter().find(|(_, n)| *n == name) {
        return Ok(Save::Replace(*id));
    }
    if existing.len() >= PER_USER {
        return Err(SavedFilterFault::Full);
    }
    Ok(Save::Add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, want: &str) {
        assert_eq!(keep_filters(query).as_deref(), Ok(want), "{query}");
    }

    #[test]
    fn only_the_lists_filters_are_kept() {
        check(
            "?status=dispatched&type=complaint&page=3&lang=en&ok=1",
            "status=dispatched&type=complaint",
        );
        check(
            "overdue=true&q=%E5%81%9C%E7%94%B5&number=GD2026",
            "number=GD2026&q=%E5%81%9C%E7%94%B5&overdue=true",
        );
        // Blank values are no filter; a key given twice keeps its last value, as the list.
        check("q=+&channel=&grid_id=3&grid_id=4", "grid_id=4");
        check(
            "status=dispatched%2Caccepted",
            "status=dispatched%2Caccepted",
        );
        check(
            "sort=due_at&order=asc&per_page=50",
            "sort=due_at&order=asc&per_page=50",
        );
        check("", "");
        check("page=2", "");
        check("q=%20停电%20", "q=%E5%81%9C%E7%94%B5");
        // A last blank value clears the key.
        check("q=停电&q=", "");
        assert_eq!(
            keep_filters(&format!("q={}", "x".repeat(QUERY_MAX))),
            Err(SavedFilterFault::Query)
        );
    }

    #[test]
    fn names_are_plain_short_lines() {
        assert_eq!(filter_name(" 我的超时投诉 "), Ok("我的超时投诉"));
        assert_eq!(
            filter_name("  "),
            Err(SavedFilterFault::Name(LineFault::Blank))
        );
        assert!(filter_name(&"名".repeat(NAME_MAX)).is_ok());
        assert_eq!(
            filter_name(&"名".repeat(NAME_MAX + 1)),
            Err(SavedFilterFault::Name(LineFault::TooLong))
        );
        assert_eq!(
            filter_name("a\u{202E}b"),
            Err(SavedFilterFault::Name(LineFault::Hidden))
        );
    }

    #[test]
    fn a_name_used_before_replaces_and_the_twenty_first_is_refused() {
        let names: Vec<String> = (0..PER_USER).map(|i| format!("筛选{i}")).collect();
        let existing: Vec<(i64, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (i as i64 + 100, n.as_str()))
            .collect();
        assert_eq!(decide_save(&existing[..3], "新的"), Ok(Save::Add));
        assert_eq!(decide_save(&existing[..3], "筛选1"), Ok(Save::Replace(101)));
        assert_eq!(decide_save(&existing, "新的"), Err(SavedFilterFault::Full));
        assert_eq!(decide_save(&existing, "筛选19"), Ok(Save::Replace(119)));
        assert_eq!(
            decide_save(&existing[..PER_USER - 1], "新的"),
            Ok(Save::Add)
        );
        assert_eq!(decide_save(&[], "新的"), Ok(Save::Add));
        assert_eq!(SavedFilterFault::Full.field(), "name");
    }
}
