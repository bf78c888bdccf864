//! Finding orders: what an order number, whole or begun, says about the orders it can name,
//! and a phrase made safe for a `LIKE` pattern.
//!
//! An order number is `GD`, the acceptance day in the station's time (UTC+8, `YYYYMMDD`) and
//! the id zero-padded to eight digits (`GD2026120300000042`). A begun number names the orders
//! accepted in the days its date digits allow and, with the whole date, those whose padded
//! id starts with the digits that follow.

use crate::{DAY_MS, HOUR_MS, Millis};
use chrono::{Datelike, NaiveDate};

/// The station's offset from UTC (China Standard Time, no daylight saving).
const STATION_OFFSET_MS: i64 = 8 * HOUR_MS;
const ID_DIGITS: u32 = 8;
/// Longer phrases are refused: nobody types them, and they cost a scan.
pub const MAX_PHRASE_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("an order number is GD and digits")]
    BadNumber,
    #[error("a phrase is at most {MAX_PHRASE_CHARS} characters")]
    PhraseTooLong,
}

/// The order number of an order.
pub fn order_number(id: i64, created_at: Millis) -> String {
    let day = chrono::DateTime::from_timestamp_millis(created_at + STATION_OFFSET_MS)
        .map(|d| d.format("%Y%m%d").to_string())
        .unwrap_or_default();
    format!("GD{day}{id:08}")
}

/// The orders a number (whole or begun) can name: ids in `[id_from, id_to]` accepted in
/// `[created_from, created_to)`. An impossible number (a 13th month) names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberMatch {
    pub id_from: i64,
    pub id_to: i64,
    pub created_from: Millis,
    pub created_to: Millis,
    /// The whole number was given: at most one order has it.
    pub exact: bool,
}

impl NumberMatch {
    const NONE: NumberMatch = NumberMatch {
        id_from: 1,
        id_to: 0,
        created_from: 0,
        created_to: 0,
        exact: false,
    };

    pub fn is_empty(&self) -> bool {
        self.id_from > self.id_to || self.created_from >= self.created_to
    }

    pub fn contains(&self, id: i64, created_at: Millis) -> bool {
        (self.id_from..=self.id_to).contains(&id)
            && (self.created_from..self.created_to).contains(&created_at)
    }
}

fn day_start(d: NaiveDate) -> Millis {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
        - STATION_OFFSET_MS
}

fn last_day(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// The first day whose `YYYYMMDD` is at least `s` (eight digits), if any.
fn first_day_from(s: &str) -> Option<NaiveDate> {
    let (y, m, d) = (
        s[..4].parse::<i32>().ok()?,
        s[4..6].parse::<u32>().ok()?,
        s[6..].parse::<u32>().ok()?,
    );
    if m > 12 {
        return NaiveDate::from_ymd_opt(y + 1, 1, 1);
    }
    let m = m.max(1);
    if d > last_day(y, m) {
        return if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
    }
    NaiveDate::from_ymd_opt(y, m, d.max(1))
}

/// The last day whose `YYYYMMDD` is at most `s` (eight digits), if any.
fn last_day_to(s: &str) -> Option<NaiveDate> {
    let (y, m, d) = (
        s[..4].parse::<i32>().ok()?,
        s[4..6].parse::<u32>().ok()?,
        s[6..].parse::<u32>().ok()?,
    );
    if m == 0 {
        return NaiveDate::from_ymd_opt(y - 1, 12, 31);
    }
    let m = m.min(12);
    if d == 0 {
        return NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt());
    }
    NaiveDate::from_ymd_opt(y, m, d.min(last_day(y, m)))
}

/// Reads an order number, whole or begun: `GD` (any case) is optional, the rest is digits.
pub fn parse_number(s: &str) -> Result<NumberMatch, SearchError> {
    let s = s.trim();
    let digits = match s.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("gd") => &s[2..],
        _ => s,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 27 {
        return Err(SearchError::BadNumber);
    }
    let (date, id) = digits.split_at(digits.len().min(8));
    let lo = format!("{date:0<8}");
    let hi = format!("{date:9<8}");
    let (Some(first), Some(last)) = (first_day_from(&lo), last_day_to(&hi)) else {
        return Ok(NumberMatch::NONE);
    };
    if first > last {
        return Ok(NumberMatch::NONE);
    }
    let (created_from, created_to) = (day_start(first), day_start(last) + DAY_MS);
    let (id_from, id_to, exact) = if id.is_empty() {
        (0, i64::MAX, false)
    } else if id.len() as u32 >= ID_DIGITS {
        let n = id.parse::<i64>().map_err(|_| SearchError::BadNumber)?;
        (n, n, true)
    } else {
        let p: i64 = id.parse().map_err(|_| SearchError::BadNumber)?;
        let scale = 10_i64.pow(ID_DIGITS - id.len() as u32);
        (p * scale, (p + 1) * scale - 1, false)
    };
    Ok(NumberMatch {
        id_from,
        id_to,
        created_from,
        created_to,
        exact,
    })
}

/// A phrase as a `LIKE '%…%'` pattern with `\` as the escape character, so that `%`, `_`
/// and `\` in it match themselves. An empty phrase is no filter.
pub fn like_pattern(phrase: &str) -> Result<Option<String>, SearchError> {
    let p = phrase.trim();
    if p.is_empty() {
        return Ok(None);
    }
    if p.chars().count() > MAX_PHRASE_CHARS {
        return Err(SearchError::PhraseTooLong);
    }
    let mut out = String::with_capacity(p.len() + 2);
    out.push('%');
    for c in p.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    Ok(Some(out))
}

// ---- full-text search over Chinese text ----
//
// Chinese is written without spaces, so the index keeps overlapping character pairs
// (bigrams): "停电通知" is kept as 停电 电通 通知 知, each run of Chinese characters ending with
// its last character alone so that a one-character query finds it at a run's end. A phrase
// of Chinese characters is then found exactly as the pairs it is made of, one after the
// other. Latin letters and digits are kept as whole words, lower case, found from their
// start. Everything else (punctuation, spaces) only separates.

/// Longer Latin or digit runs are cut: nobody searches by them.
const MAX_WORD_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharClass {
    /// Letters and digits of any script but Latin: Chinese characters, mostly.
    Cjk,
    /// ASCII letters and digits.
    Latin,
    Separator,
}

/// Full-width Latin letters, digits and signs as their ASCII forms, ASCII letters in lower
/// case.
fn fold(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn class(c: char) -> CharClass {
    if c.is_ascii_alphanumeric() {
        CharClass::Latin
    } else if !c.is_ascii() && c.is_alphanumeric() {
        CharClass::Cjk
    } else {
        CharClass::Separator
    }
}

/// The runs of one class in `text`, folded, separators dropped.
fn runs(text: &str) -> Vec<(CharClass, Vec<char>)> {
    let mut out: Vec<(CharClass, Vec<char>)> = Vec::new();
    for c in text.chars().map(fold) {
        let k = class(c);
        if k == CharClass::Separator {
            if out.last().is_some_and(|(k, _)| *k != CharClass::Separator) {
                out.push((CharClass::Separator, Vec::new()));
            }
            continue;
        }
        match out.last_mut() {
            Some((last, run)) if *last == k => run.push(c),
            _ => out.push((k, vec![c])),
        }
    }
    out.retain(|(k, _)| *k != CharClass::Separator);
    out
}

fn push_cjk(run: &[char], trailing: bool, out: &mut Vec<String>) {
    for pair in run.windows(2) {
        out.push(pair.iter().collect());
    }
    if trailing || run.len() == 1 {
        out.push(run[run.len() - 1].to_string());
    }
}

/// The tokens the full-text index keeps of an order's title and text, in order.
pub fn index_tokens(title: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in [title, text] {
        for (k, run) in runs(part) {
            match k {
                CharClass::Cjk => push_cjk(&run, true, &mut out),
                CharClass::Latin => out.push(run.iter().take(MAX_WORD_CHARS).collect()),
                CharClass::Separator => {}
            }
        }
    }
    out
}

/// One token of a query: matched whole, or as the start of a kept token (`prefix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryToken {
    pub token: String,
    pub prefix: bool,
}

/// A phrase as the full-text index is asked: each word of the phrase (split at spaces) is a
/// run of tokens that must stand one after the other; every word must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    pub words: Vec<Vec<QueryToken>>,
    /// Per word, where an index that cannot weigh its tokens should ask fewer: a word with
    /// a Latin or digit run of three or more (`尾号4821`) is asked by those runs alone (few
    /// orders carry a given number, while every order may carry 尾号), the other words of
    /// such a phrase by nothing (an empty list), and each such word as typed, as a `LIKE`
    /// pattern (`like`), confirms each order found.
    pub narrow: Vec<Option<Vec<QueryToken>>>,
    /// Per word, the word as typed as an escaped `LIKE '%…%'` pattern.
    pub like: Vec<String>,
}

/// The tokens a word is asked by when the index cannot weigh them: its Latin or digit runs
/// of three or more, when it has other tokens too.
fn narrow(tokens: &[QueryToken]) -> Option<Vec<QueryToken>> {
    let long: Vec<QueryToken> = tokens
        .iter()
        .filter(|t| t.token.is_ascii() && t.token.chars().count() >= 3)
        .cloned()
        .collect();
    (!long.is_empty() && long.len() < tokens.len()).then_some(long)
}

/// A phrase as a query of the full-text index. `Ok(None)`: no phrase, or nothing in it the
/// index keeps (only punctuation), which a caller matches some other way.
pub fn text_query(phrase: &str) -> Result<Option<TextQuery>, SearchError> {
    let p = phrase.trim();
    if p.chars().count() > MAX_PHRASE_CHARS {
        return Err(SearchError::PhraseTooLong);
    }
    let (mut words, mut narrowed, mut likes) = (Vec::new(), Vec::new(), Vec::new());
    for word in p.split(|c: char| fold(c) == ' ' || c.is_whitespace()) {
        let segs = runs(word);
        let mut tokens = Vec::new();
        for (i, (k, run)) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            match k {
                CharClass::Cjk if last && run.len() == 1 => tokens.push(QueryToken {
                    token: run[0].to_string(),
                    prefix: true,
                }),
                CharClass::Cjk => {
                    let mut t = Vec::new();
                    // Followed by Latin within the word: the run ends here in the text too.
                    push_cjk(run, !last, &mut t);
                    tokens.extend(t.into_iter().map(|token| QueryToken {
                        token,
                        prefix: false,
                    }));
                }
                CharClass::Latin => tokens.push(QueryToken {
                    token: run.iter().take(MAX_WORD_CHARS).collect(),
                    prefix: last,
                }),
                CharClass::Separator => {}
            }
        }
        if !tokens.is_empty() {
            narrowed.push(narrow(&tokens));
            likes.push(like_pattern(word)?.unwrap_or_default());
            words.push(tokens);
        }
    }
    // One word asked by its number finds few orders; the other words then only confirm
    // them as typed (asked nothing of the index).
    if narrowed.iter().any(Option::is_some) {
        for n in &mut narrowed {
            n.get_or_insert_with(Vec::new);
        }
    }
    Ok((!words.is_empty()).then_some(TextQuery {
        words,
        narrow: narrowed,
        like: likes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(title: &str, text: &str) -> String {
        index_tokens(title, text).join(" ")
    }

    fn query(p: &str) -> String {
        match text_query(p).unwrap() {
            None => "-".into(),
            Some(q) => q
                .words
                .iter()
                .map(|w| {
                    w.iter()
                        .map(|t| format!("{}{}", t.token, if t.prefix { "*" } else { "" }))
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }

    #[test]
    fn chinese_is_kept_as_pairs_and_the_last_character() {
        assert_eq!(tokens("停电通知", ""), "停电 电通 通知 知");
        assert_eq!(tokens("电", ""), "电");
        assert_eq!(
            tokens("表号尾号4821，ＡＢＣ停电", "10kV线路"),
            "表号 号尾 尾号 号 4821 abc 停电 电 10kv 线路 路"
        );
    }

    #[test]
    fn a_word_with_a_long_number_is_asked_by_the_number() {
        let q = text_query("尾号4821 停电").unwrap().unwrap();
        let asked = |i: usize| {
            q.narrow[i]
                .as_ref()
                .map(|w| w.iter().map(|t| t.token.as_str()).collect::<Vec<_>>())
        };
        assert_eq!(asked(0), Some(vec!["4821"]));
        assert_eq!(asked(1), Some(vec![]), "confirmed as typed only");
        assert_eq!(q.like, ["%尾号4821%", "%停电%"]);
        assert_eq!(text_query("4821").unwrap().unwrap().narrow, [None]);
        assert_eq!(text_query("3组").unwrap().unwrap().narrow, [None]);
    }

    #[test]
    fn a_query_asks_for_the_pairs_in_a_row() {
        assert_eq!(query("停电"), "停电");
        assert_eq!(query("停电通知"), "停电+电通+通知");
        assert_eq!(query("电"), "电*");
        assert_eq!(query("尾号4821"), "尾号+号+4821*");
        assert_eq!(query("号4821"), "号+4821*");
        assert_eq!(query("停电  樟树村"), "停电 & 樟树+树村");
        assert_eq!(query("KV"), "kv*");
        assert_eq!(query("。。"), "-");
        assert_eq!(query(""), "-");
        assert!(text_query(&"电".repeat(101)).is_err());
    }

    /// What the index finds for a query: every word's tokens stand in a row among the kept
    /// tokens (a prefix token matches the start of one).
    fn finds(text: &str, phrase: &str) -> bool {
        let kept = index_tokens("", text);
        let Some(q) = text_query(phrase).unwrap() else {
            return false;
        };
        q.words.iter().all(|w| {
            (0..kept.len()).any(|i| {
                w.iter().enumerate().all(|(j, t)| {
                    kept.get(i + j).is_some_and(|k| {
                        if t.prefix {
                            k.starts_with(&t.token)
                        } else {
                            *k == t.token
                        }
                    })
                })
            })
        })
    }

    #[test]
    fn a_phrase_is_found_wherever_it_stands_in_chinese_text() {
        let text = "樟树村3组停电已经两天了，表号尾号4821，电压低。";
        for (i, _) in text.char_indices() {
            for (j, _) in text[i..].char_indices().skip(1) {
                let sub = &text[i..i + j];
                // Latin words are found from their start only.
                let mid_word = text[..i].chars().next_back().is_some_and(|p| {
                    p.is_ascii_alphanumeric()
                        && sub.starts_with(|c: char| c.is_ascii_alphanumeric())
                });
                if sub.chars().all(char::is_alphanumeric) && !mid_word {
                    assert!(finds(text, sub), "{sub}");
                }
            }
        }
        assert!(!finds(text, "停电三天"));
        assert!(!finds(text, "电低"));
        assert!(finds(text, "两天 4821"));
        assert!(!finds(text, "两天 4822"));
    }

    fn at(y: i32, m: u32, d: u32) -> Millis {
        day_start(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn check(input: &str, from: Millis, to: Millis, ids: (i64, i64), exact: bool) {
        let m = parse_number(input).unwrap();
        assert_eq!(
            (m.created_from, m.created_to, (m.id_from, m.id_to), m.exact),
            (from, to, ids, exact),
            "{input}"
        );
    }

    #[test]
    fn a_whole_number_names_one_order_on_its_day() {
        let created = at(2026, 12, 3) + 10 * HOUR_MS;
        let no = order_number(42, created);
        assert_eq!(no, "GD2026120300000042");
        let m = parse_number(&no).unwrap();
        assert!(m.exact && m.contains(42, created));
        assert!(!m.contains(43, created));
        assert!(!m.contains(42, created + DAY_MS));
        check(
            &no.to_lowercase(),
            at(2026, 12, 3),
            at(2026, 12, 4),
            (42, 42),
            true,
        );
    }

    #[test]
    fn the_station_day_starts_at_midnight_in_china() {
        // 23:30 UTC on 2 December is 07:30 on 3 December in the station.
        let created = at(2026, 12, 3) - 30 * crate::MINUTE_MS + 8 * HOUR_MS;
        assert!(order_number(1, created).starts_with("GD20261203"));
    }

    #[test]
    fn a_begun_number_names_a_span_of_days_and_ids() {
        check(
            "GD2026",
            at(2026, 1, 1),
            at(2027, 1, 1),
            (0, i64::MAX),
            false,
        );
        check(
            "gd202612",
            at(2026, 12, 1),
            at(2027, 1, 1),
            (0, i64::MAX),
            false,
        );
        check(
            "GD20261",
            at(2026, 10, 1),
            at(2027, 1, 1),
            (0, i64::MAX),
            false,
        );
        check(
            "GD2026020",
            at(2026, 2, 1),
            at(2026, 2, 10),
            (0, i64::MAX),
            false,
        );
        check(
            "GD2026022",
            at(2026, 2, 20),
            at(2026, 3, 1),
            (0, i64::MAX),
            false,
        );
        check(
            "2026120300001",
            at(2026, 12, 3),
            at(2026, 12, 4),
            (1000, 1999),
            false,
        );
        check(
            "GD202612030",
            at(2026, 12, 3),
            at(2026, 12, 4),
            (0, 9_999_999),
            false,
        );
    }

    #[test]
    fn an_impossible_date_names_nothing() {
        for s in [
            "GD20262",
            "GD202613",
            "GD2026023",
            "GD20261300",
            "GD2026000",
        ] {
            assert!(parse_number(s).unwrap().is_empty(), "{s}");
        }
    }

    #[test]
    fn other_text_is_not_a_number() {
        for s in [
            "",
            "GD",
            "GD2026-12",
            "工单",
            "GD１２",
            "GD9999999999999999999999999999",
        ] {
            assert_eq!(parse_number(s), Err(SearchError::BadNumber), "{s:?}");
        }
    }

    #[test]
    fn wildcards_in_a_phrase_match_themselves() {
        assert_eq!(like_pattern("  ").unwrap(), None);
        assert_eq!(like_pattern("停电").unwrap().as_deref(), Some("%停电%"));
        assert_eq!(
            like_pattern("100%_a\\b").unwrap().as_deref(),
            Some("%100\\%\\_a\\\\b%")
        );
        assert_eq!(
            like_pattern(&"电".repeat(101)),
            Err(SearchError::PhraseTooLong)
        );
    }
}
