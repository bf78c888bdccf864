//! Outages (停电): planned, temporary and fault interruptions of supply on a feeder or one
//! transformer area, and the rules around them that the 十项承诺 and seed 000 set:
//!
//! - a planned outage is announced to every affected customer at least 7 days before it
//!   starts; one registered later than that is flagged `late_notice`;
//! - temporary maintenance is announced 24 h ahead to the important customers (see
//!   [`is_important`]);
//! - a fault is not announced ahead; every affected customer is told when supply is back;
//! - restoration and repair are two instants ("restore first", 先复电后抢修): supply may
//!   come back on a generator truck or by switching long before the fault is repaired;
//! - an outage longer than 8 h is long (care-group households are checked on during it).
//!
//! Also the CSV import of outages as a dispatch system exports them. Pure: every instant is
//! passed in as epoch milliseconds.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::import::{RowError, code};
use crate::{CareGroup, DAY_MS, HOUR_MS, Millis, Segment, UnknownCode, UsageClass};

// ---------------------------------------------------------------------------------------
// Kinds

/// What kind of interruption an outage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutageKind {
    /// Planned maintenance (计划停电), announced at least 7 days ahead.
    Planned,
    /// Temporary maintenance (临时停电), announced 24 h ahead to important customers.
    Temporary,
    /// A fault (故障停电): no notice ahead.
    Fault,
}

impl OutageKind {
    pub const ALL: &'static [OutageKind] = &[
        OutageKind::Planned,
        OutageKind::Temporary,
        OutageKind::Fault,
    ];
    pub const KIND: &'static str = "outage_kind";

    /// Stable code, as stored and as spoken by the API.
    pub fn code(self) -> &'static str {
        match self {
            OutageKind::Planned => "planned",
            OutageKind::Temporary => "temporary",
            OutageKind::Fault => "fault",
        }
    }

    /// Chinese label for the UI.
    pub fn zh(self) -> &'static str {
        match self {
            OutageKind::Planned => "计划停电",
            OutageKind::Temporary => "临时停电",
            OutageKind::Fault => "故障停电",
        }
    }

    /// English label for the UI.
    pub fn en(self) -> String {
        match self {
            OutageKind::Planned => "Planned",
            OutageKind::Temporary => "Temporary",
            OutageKind::Fault => "Fault",
        }
        .to_string()
    }

    pub fn parse(s: &str) -> Result<OutageKind, UnknownCode> {
        OutageKind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: OutageKind::KIND,
                value: s.to_string(),
            })
    }

    /// By code (any ASCII case), Chinese label, or its short form (计划, 临时, 故障): how
    /// an export may write it.
    pub fn parse_loose(s: &str) -> Option<OutageKind> {
        let s = s.trim();
        OutageKind::ALL.iter().copied().find(|k| {
            k.code().eq_ignore_ascii_case(s)
                || k.zh() == s
                || k.zh().strip_suffix("停电") == Some(s)
        })
    }
}

impl std::fmt::Display for OutageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for OutageKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for OutageKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        OutageKind::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for OutageKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<&str> = OutageKind::ALL.iter().map(|k| k.code()).collect();
        crate::enums::code_schema(&codes)
    }
}

impl utoipa::ToSchema for OutageKind {}

impl std::str::FromStr for OutageKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutageKind::parse(s)
    }
}

/// What a grid manager is to do for a care-group household in an outage.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CareTaskKind {
    /// Call before an announced outage starts (planned or temporary).
    CallBefore,
    /// Check on the household during a long outage.
    CheckDuring,
    /// Call back after supply returns from a long outage.
    FollowUp,
}

impl CareTaskKind {
    pub const ALL: &'static [CareTaskKind] = &[
        CareTaskKind::CallBefore,
        CareTaskKind::CheckDuring,
        CareTaskKind::FollowUp,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CareTaskKind::CallBefore => "call_before",
            CareTaskKind::CheckDuring => "check_during",
            CareTaskKind::FollowUp => "follow_up",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            CareTaskKind::CallBefore => "停电前告知",
            CareTaskKind::CheckDuring => "停电中探访",
            CareTaskKind::FollowUp => "复电后回访",
        }
    }

    pub fn en(self) -> String {
        match self {
            CareTaskKind::CallBefore => "Call before",
            CareTaskKind::CheckDuring => "Check during",
            CareTaskKind::FollowUp => "Follow up",
        }
        .to_string()
    }

    pub fn parse(s: &str) -> Option<CareTaskKind> {
        CareTaskKind::ALL.iter().copied().find(|k| k.code() == s)
    }
}

// ---------------------------------------------------------------------------------------
// Notice rules

/// A planned outage is announced this long before it starts (十项承诺: 7 days).
pub const PLANNED_NOTICE_LEAD_MS: i64 = 7 * DAY_MS;
/// Temporary maintenance is announced this long before it starts (十项承诺: 24 h).
pub const TEMPORARY_NOTICE_LEAD_MS: i64 = 24 * HOUR_MS;
/// An outage longer than this is long (seed 000: 8 h). The station policy's
/// `[warnings] long_outage_hours` overrides it where the service has a policy at hand.
pub const LONG_OUTAGE_MS: i64 = 8 * HOUR_MS;
/// A care-group household is called this long before an announced outage starts.
pub const CALL_BEFORE_LEAD_MS: i64 = 24 * HOUR_MS;

/// Who is told ahead of an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Every affected customer.
    All,
    /// The important customers only ([`is_important`]).
    Important,
}

/// How far ahead an outage of a kind is announced, and to whom; `None` for a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticeRule {
    pub lead_ms: i64,
    pub audience: Audience,
}

pub fn notice_rule(kind: OutageKind) -> Option<NoticeRule> {
    match kind {
        OutageKind::Planned => Some(NoticeRule {
            lead_ms: PLANNED_NOTICE_LEAD_MS,
            audience: Audience::All,
        }),
        OutageKind::Temporary => Some(NoticeRule {
            lead_ms: TEMPORARY_NOTICE_LEAD_MS,
            audience: Audience::Important,
        }),
        OutageKind::Fault => None,
    }
}

/// The instant the advance notice had to be out by: `start − lead`. `None` for a fault.
pub fn notice_due_at(kind: OutageKind, start: Millis) -> Option<Millis> {
    notice_rule(kind).map(|r| start - r.lead_ms)
}

/// Whether an outage registered at `registered_at` was registered too late to be announced
/// in time (a fault never is).
pub fn is_late_notice(kind: OutageKind, start: Millis, registered_at: Millis) -> bool {
    notice_due_at(kind, start).is_some_and(|due| registered_at > due)
}

/// What registering an outage at `now` means for its advance notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticePlan {
    /// When the notice had to be out by (`None` for a fault).
    pub due_at: Option<Millis>,
    /// Registered after `due_at`: the notice is late (a warning for the station).
    pub late: bool,
    /// Whom to tell now; `None` when nobody is told ahead: a fault, or an outage that has
    /// already started (or already ended) by the time it is registered.
    pub audience: Option<Audience>,
}

pub fn plan_notice(kind: OutageKind, start: Millis, now: Millis) -> NoticePlan {
    let rule = notice_rule(kind);
    NoticePlan {
        due_at: notice_due_at(kind, start),
        late: is_late_notice(kind, start, now),
        audience: rule.filter(|_| start > now).map(|r| r.audience),
    }
}

/// The segments whose customers are important for temporary-maintenance notices.
pub const IMPORTANT_SEGMENTS: &[Segment] = &[Segment::A, Segment::B];
/// The usage classes whose customers are important: businesses that lose production.
pub const IMPORTANT_USAGE: &[UsageClass] = &[UsageClass::LargeIndustry, UsageClass::NonResidential];

/// An important customer (重要客户) for the 24-hour notice of temporary maintenance: a
/// customer of segment A or B (high value), a large-industry or non-residential customer
/// (production and services that need to prepare), or a care-group household (oxygen,
/// electric heating, medical equipment: a life may depend on the supply; the service also
/// counts a household with a care plan). Commercial and agricultural customers of segments
/// C/D are not: they get the public notice only.
pub fn is_important(segment: Segment, usage: UsageClass, care_groups: &[CareGroup]) -> bool {
    IMPORTANT_SEGMENTS.contains(&segment)
        || IMPORTANT_USAGE.contains(&usage)
        || !care_groups.is_empty()
}

/// When a care-group household is to be called before an announced outage: a day before it
/// starts, or now when that is already past (never after the start, unless the start has
/// passed too).
pub fn call_before_due(start: Millis, now: Millis) -> Millis {
    (start - CALL_BEFORE_LEAD_MS).max(now.min(start))
}

// ---------------------------------------------------------------------------------------
// Durations

/// How long supply has been (or was) off: to restoration, or to `now` while it lasts.
pub fn duration(started: Millis, restored: Option<Millis>, now: Millis) -> i64 {
    (restored.unwrap_or(now) - started).max(0)
}

/// Whether the outage is (or was) longer than `threshold_ms` (usually [`LONG_OUTAGE_MS`]).
pub fn is_long(started: Millis, restored: Option<Millis>, now: Millis, threshold_ms: i64) -> bool {
    duration(started, restored, now) > threshold_ms
}

/// Whether supply is off at `at`: started and not restored by then.
pub fn is_active_at(started: Millis, restored: Option<Millis>, at: Millis) -> bool {
    started <= at && restored.is_none_or(|r| r > at)
}

// ---------------------------------------------------------------------------------------
// Validation

/// The times of an outage as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutageTimes {
    pub kind: OutageKind,
    pub started_at: Millis,
    pub expected_restore_at: Option<Millis>,
    pub restored_at: Option<Millis>,
    pub repaired_at: Option<Millis>,
}

/// A reported outage that cannot be taken: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct OutageInvalid {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: &str) -> OutageInvalid {
    OutageInvalid {
        field,
        message: message.to_string(),
    }
}

/// The longest cause text.
pub const CAUSE_MAX: usize = 200;

/// Checks a new outage: an announced (planned or temporary) outage needs its expected
/// restoration; an expected restoration comes after the start; restoration is not before the
/// start; repair is not before the start either but may come after restoration (restore
/// first) or before it.
pub fn validate(t: &OutageTimes) -> Result<(), OutageInvalid> {
    match t.expected_restore_at {
        None if t.kind != OutageKind::Fault => {
            return Err(invalid(
                "expected_restore_at",
                "required for a planned or temporary outage",
            ));
        }
        Some(e) if e <= t.started_at => {
            return Err(invalid("expected_restore_at", "must be after the start"));
        }
        _ => {}
    }
    if let Some(r) = t.restored_at
        && r < t.started_at
    {
        return Err(invalid("restored_at", "must not be before the start"));
    }
    if let Some(r) = t.repaired_at
        && r < t.started_at
    {
        return Err(invalid("repaired_at", "must not be before the start"));
    }
    Ok(())
}

/// The two ends of an outage, kept apart: supply back (restoration) and the fault repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageEnd {
    Restored,
    Repaired,
}

impl OutageEnd {
    /// The field the time is reported in.
    pub fn field(self) -> &'static str {
        match self {
            OutageEnd::Restored => "restored_at",
            OutageEnd::Repaired => "repaired_at",
        }
    }
}

/// What reporting an end of an outage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReport {
    /// The same time is recorded already: a repeated report, nothing to write.
    Repeated,
    /// A new end: record it.
    Record,
}

/// Why an end time cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndRefused {
    /// Another time is recorded already.
    #[error("{field} is recorded already")]
    Recorded { field: &'static str },
    #[error(transparent)]
    Invalid(OutageInvalid),
}

/// Checks a report that the outage started at `started_at` reached `end` at `at`, with
/// `recorded` the time stored for that end (if any) and `latest` the latest believable
/// instant (now plus the clock skew allowed): not before the start, not in the future,
/// and once only (repeating the same time is harmless).
pub fn check_end(
    end: OutageEnd,
    started_at: Millis,
    recorded: Option<Millis>,
    at: Millis,
    latest: Millis,
) -> Result<EndReport, EndRefused> {
    let field = end.field();
    match recorded {
        Some(r) if r == at => return Ok(EndReport::Repeated),
        Some(_) => return Err(EndRefused::Recorded { field }),
        None => {}
    }
    if at < started_at {
        return Err(EndRefused::Invalid(invalid(
            field,
            "must not be before the start",
        )));
    }
    if at > latest {
        return Err(EndRefused::Invalid(invalid(
            field,
            "must not be in the future",
        )));
    }
    Ok(EndReport::Record)
}

/// Checks a cause text: 1 to [`CAUSE_MAX`] characters, no control characters.
pub fn validate_cause(cause: &str) -> Result<String, OutageInvalid> {
    let c = cause.trim();
    if c.is_empty() {
        return Err(invalid("cause", "required"));
    }
    if c.chars().count() > CAUSE_MAX {
        return Err(invalid("cause", "at most 200 characters"));
    }
    if c.chars().any(char::is_control) {
        return Err(invalid(
            "cause",
            "contains a line break or control character",
        ));
    }
    Ok(c.to_string())
}

/// Checks the dispatch system's id of an outage: 1 to 64 printable ASCII characters.
pub fn validate_external_ref(r: &str) -> Result<String, OutageInvalid> {
    let r = r.trim();
    if r.is_empty() || r.len() > 64 || !r.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "external_ref",
            "1 to 64 printable ASCII characters",
        ));
    }
    Ok(r.to_string())
}

// ---------------------------------------------------------------------------------------
// Local time

/// Parses Beijing wall time (Asia/Shanghai): `YYYY-MM-DD HH:MM`, with optional `:SS`, and
/// `/` accepted for `-` (as spreadsheets write it).
pub fn parse_local_time(s: &str) -> Result<Millis, String> {
    let s = s.trim().replace('/', "-");
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S"))
        .map_err(|_| format!("`{s}` is not a time: write YYYY-MM-DD HH:MM (Beijing time)"))?;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| format!("`{s}` does not exist in Beijing time"))
}

/// An instant as Beijing wall time, `2026-11-24 14:05`.
pub fn local_time(at: Millis) -> String {
    chrono_tz::Asia::Shanghai
        .timestamp_millis_opt(at)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// CSV import

/// A column of the outage file: its English key and its Chinese header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutageColumn {
    pub key: &'static str,
    pub zh: &'static str,
    pub required: bool,
}

const fn col(key: &'static str, zh: &'static str, required: bool) -> OutageColumn {
    OutageColumn { key, zh, required }
}

/// The columns of an outage file. One of `feeder_code` and `area_code` is given per row.
pub const OUTAGE_COLUMNS: [OutageColumn; 9] = [
    col("external_ref", "停电编号", false),
    col("kind", "停电类型", true),
    col("feeder_code", "线路编码", false),
    col("area_code", "台区编码", false),
    col("cause", "停电原因", true),
    col("start", "停电开始时间", true),
    col("expected_restore", "预计恢复时间", false),
    col("restored", "实际恢复时间", false),
    col("repaired", "抢修完成时间", false),
];

mod c {
    pub const EXTERNAL_REF: usize = 0;
    pub const KIND: usize = 1;
    pub const FEEDER: usize = 2;
    pub const AREA: usize = 3;
    pub const CAUSE: usize = 4;
    pub const START: usize = 5;
    pub const EXPECTED: usize = 6;
    pub const RESTORED: usize = 7;
    pub const REPAIRED: usize = 8;
}

/// Where an outage is: a whole feeder or one transformer area, by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutagePlace {
    Feeder(String),
    Area(String),
}

/// One valid line of an outage file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutageCsvRow {
    pub external_ref: Option<String>,
    pub kind: OutageKind,
    pub place: OutagePlace,
    pub cause: String,
    pub started_at: Millis,
    pub expected_restore_at: Option<Millis>,
    pub restored_at: Option<Millis>,
    pub repaired_at: Option<Millis>,
}

fn row_error(line: u64, field: Option<&str>, code: &'static str, message: String) -> RowError {
    RowError {
        line,
        field: field.map(str::to_string),
        code,
        message,
    }
}

/// The line a byte offset of `text` is on (1-based), skipping line ends at the offset.
fn line_of(text: &[u8], byte: u64, cursor: &mut (usize, u64)) -> u64 {
    let mut start = usize::try_from(byte).map_or(text.len(), |b| b.min(text.len()));
    while start < text.len() && matches!(text[start], b'\r' | b'\n') {
        start += 1;
    }
    if start < cursor.0 {
        *cursor = (0, 1);
    }
    let newlines = text[cursor.0..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    *cursor = (start, cursor.1 + newlines as u64);
    cursor.1
}

/// Parses an outage file (UTF-8 text; decode GBK first with `import::decode`). `Err` is a
/// header problem; otherwise one item per data line: its line and row, or what is wrong
/// with it. Blank lines are skipped. An external ref seen on an earlier line is a
/// `duplicate_key`. Headers may be the English keys or the Chinese names, in any order.
#[allow(clippy::type_complexity)]
pub fn outage_rows(text: &str) -> Result<Vec<Result<(u64, OutageCsvRow), RowError>>, RowError> {
    let bytes = text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut cursor = (0usize, 1u64);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(row_error(
                1,
                None,
                code::MISSING_HEADER,
                "the file is empty: no header line".into(),
            ));
        }
        Some(Err(e)) => {
            return Err(row_error(
                1,
                None,
                code::MALFORMED_ROW,
                format!("unreadable header: {e}"),
            ));
        }
        Some(Ok(h)) => h,
    };
    let header_line = header
        .position()
        .map_or(1, |p| line_of(bytes, p.byte(), &mut cursor));
    let mut slots: [Option<usize>; 9] = [None; 9];
    for (pos, name) in header.iter().enumerate() {
        let name = name.trim();
        let Some(i) = OUTAGE_COLUMNS
            .iter()
            .position(|c| c.key.eq_ignore_ascii_case(name) || c.zh == name)
        else {
            return Err(row_error(
                header_line,
                Some(name),
                code::UNKNOWN_COLUMN,
                format!("unknown column `{name}`"),
            ));
        };
        if slots[i].replace(pos).is_some() {
            let c = OUTAGE_COLUMNS[i];
            return Err(row_error(
                header_line,
                Some(c.key),
                code::DUPLICATE_COLUMN,
                format!("column {} ({}) appears twice", c.key, c.zh),
            ));
        }
    }
    if let Some(c) = OUTAGE_COLUMNS
        .iter()
        .zip(&slots)
        .find_map(|(c, s)| (c.required && s.is_none()).then_some(c))
    {
        return Err(row_error(
            header_line,
            Some(c.key),
            code::MISSING_COLUMN,
            format!("required column {} ({}) is missing", c.key, c.zh),
        ));
    }
    if slots[c::FEEDER].is_none() && slots[c::AREA].is_none() {
        return Err(row_error(
            header_line,
            Some("feeder_code"),
            code::MISSING_COLUMN,
            "a feeder_code (线路编码) or area_code (台区编码) column is required".into(),
        ));
    }
    let width = header.len();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(cursor.1, |p| line_of(bytes, p.byte(), &mut cursor));
                out.push(Err(row_error(
                    line,
                    None,
                    code::MALFORMED_ROW,
                    format!("unreadable row: {e}"),
                )));
                continue;
            }
        };
        let line = rec
            .position()
            .map_or(cursor.1, |p| line_of(bytes, p.byte(), &mut cursor));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != width {
            out.push(Err(row_error(
                line,
                None,
                code::MALFORMED_ROW,
                format!(
                    "expected {width} fields as in the header, found {}",
                    rec.len()
                ),
            )));
            continue;
        }
        let get = |i: usize| slots[i].and_then(|p| rec.get(p)).map_or("", str::trim);
        let row = parse_row(line, &get).and_then(|row| {
            if let Some(r) = &row.external_ref {
                if let Some(first) = seen.get(r) {
                    return Err(row_error(
                        line,
                        Some("external_ref"),
                        code::DUPLICATE_KEY,
                        format!("external_ref `{r}` was already on line {first}"),
                    ));
                }
                seen.insert(r.clone(), line);
            }
            Ok((line, row))
        });
        out.push(row);
    }
    Ok(out)
}

fn parse_row<'a>(line: u64, get: &dyn Fn(usize) -> &'a str) -> Result<OutageCsvRow, RowError> {
    let key = |i: usize| OUTAGE_COLUMNS[i].key;
    let bad =
        |i: usize, message: String| row_error(line, Some(key(i)), code::INVALID_VALUE, message);
    let required = |i: usize| -> Result<&'a str, RowError> {
        match get(i) {
            "" => Err(row_error(
                line,
                Some(key(i)),
                code::MISSING_FIELD,
                format!("{} ({}) is required", key(i), OUTAGE_COLUMNS[i].zh),
            )),
            v => Ok(v),
        }
    };
    let time = |i: usize| -> Result<Option<Millis>, RowError> {
        match get(i) {
            "" => Ok(None),
            v => parse_local_time(v).map(Some).map_err(|m| bad(i, m)),
        }
    };
    let external_ref = match get(c::EXTERNAL_REF) {
        "" => None,
        v => Some(validate_external_ref(v).map_err(|e| bad(c::EXTERNAL_REF, e.message))?),
    };
    let kind_text = required(c::KIND)?;
    let kind = OutageKind::parse_loose(kind_text).ok_or_else(|| {
        bad(
            c::KIND,
            format!(
                "unknown outage kind `{kind_text}`; use one of: planned (计划停电), temporary (临时停电), fault (故障停电)"
            ),
        )
    })?;
    let place = match (get(c::FEEDER), get(c::AREA)) {
        ("", "") => {
            return Err(row_error(
                line,
                Some("feeder_code"),
                code::MISSING_FIELD,
                "give feeder_code (线路编码) or area_code (台区编码)".into(),
            ));
        }
        (f, "") => OutagePlace::Feeder(code_value(f).map_err(|m| bad(c::FEEDER, m))?),
        ("", a) => OutagePlace::Area(code_value(a).map_err(|m| bad(c::AREA, m))?),
        _ => {
            return Err(bad(
                c::AREA,
                "give either feeder_code or area_code, not both".into(),
            ));
        }
    };
    let cause = validate_cause(required(c::CAUSE)?).map_err(|e| bad(c::CAUSE, e.message))?;
    let started_at = parse_local_time(required(c::START)?).map_err(|m| bad(c::START, m))?;
    let row = OutageCsvRow {
        external_ref,
        kind,
        place,
        cause,
        started_at,
        expected_restore_at: time(c::EXPECTED)?,
        restored_at: time(c::RESTORED)?,
        repaired_at: time(c::REPAIRED)?,
    };
    validate(&row.times()).map_err(|e| {
        let col = match e.field {
            "expected_restore_at" => c::EXPECTED,
            "restored_at" => c::RESTORED,
            "repaired_at" => c::REPAIRED,
            _ => c::START,
        };
        bad(col, e.message)
    })?;
    Ok(row)
}

fn code_value(s: &str) -> Result<String, String> {
    if (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a code: use 1 to 32 letters, digits, _ or -"
        ))
    }
}

impl OutageCsvRow {
    pub fn times(&self) -> OutageTimes {
        OutageTimes {
            kind: self.kind,
            started_at: self.started_at,
            expected_restore_at: self.expected_restore_at,
            restored_at: self.restored_at,
            repaired_at: self.repaired_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bj(s: &str) -> Millis {
        parse_local_time(s).unwrap()
    }

    #[test]
    fn kinds_round_trip_with_labels() {
        for k in OutageKind::ALL {
            assert_eq!(OutageKind::parse(k.code()), Ok(*k));
            assert_eq!(OutageKind::parse_loose(k.zh()), Some(*k));
            assert_eq!(k.code().parse::<OutageKind>(), Ok(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(serde_json::from_str::<OutageKind>(&json).unwrap(), *k);
        }
        assert_eq!(OutageKind::parse_loose("故障"), Some(OutageKind::Fault));
        assert_eq!(
            OutageKind::parse_loose("PLANNED"),
            Some(OutageKind::Planned)
        );
        assert!(OutageKind::parse("scheduled").is_err());
        assert_eq!(OutageKind::Temporary.zh(), "临时停电");
        for k in CareTaskKind::ALL {
            assert_eq!(CareTaskKind::parse(k.code()), Some(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.code());
        }
    }

    #[test]
    fn planned_notice_is_due_seven_days_ahead() {
        let start = bj("2026-12-01 08:00");
        assert_eq!(
            notice_due_at(OutageKind::Planned, start),
            Some(bj("2026-11-24 08:00"))
        );
        assert!(!is_late_notice(
            OutageKind::Planned,
            start,
            bj("2026-11-24 08:00")
        ));
        assert!(is_late_notice(
            OutageKind::Planned,
            start,
            bj("2026-11-24 08:01")
        ));
        let p = plan_notice(OutageKind::Planned, start, bj("2026-11-26 10:00"));
        assert!(p.late);
        assert_eq!(p.audience, Some(Audience::All), "late is still told");
        let on_time = plan_notice(OutageKind::Planned, start, bj("2026-11-20 10:00"));
        assert!(!on_time.late);
    }

    #[test]
    fn temporary_goes_to_important_customers_a_day_ahead() {
        let start = bj("2026-12-01 08:00");
        let p = plan_notice(OutageKind::Temporary, start, bj("2026-11-30 07:00"));
        assert_eq!(p.due_at, Some(bj("2026-11-30 08:00")));
        assert!(!p.late);
        assert_eq!(p.audience, Some(Audience::Important));
        assert!(plan_notice(OutageKind::Temporary, start, bj("2026-11-30 09:00")).late);
    }

    #[test]
    fn faults_and_started_outages_are_not_announced() {
        let start = bj("2026-12-01 08:00");
        let f = plan_notice(OutageKind::Fault, start, start);
        assert_eq!(
            f,
            NoticePlan {
                due_at: None,
                late: false,
                audience: None
            }
        );
        let started = plan_notice(OutageKind::Planned, start, start + HOUR_MS);
        assert!(started.late);
        assert_eq!(started.audience, None);
    }

    #[test]
    fn important_customers() {
        assert!(is_important(Segment::A, UsageClass::Residential, &[]));
        assert!(is_important(Segment::B, UsageClass::Residential, &[]));
        assert!(is_important(Segment::C, UsageClass::LargeIndustry, &[]));
        assert!(is_important(Segment::D, UsageClass::NonResidential, &[]));
        assert!(is_important(
            Segment::C,
            UsageClass::Residential,
            &[CareGroup::Oxygen]
        ));
        assert!(!is_important(Segment::C, UsageClass::Residential, &[]));
        assert!(!is_important(Segment::C, UsageClass::Commercial, &[]));
    }

    #[test]
    fn durations_and_long_outages() {
        let s = bj("2026-12-01 08:00");
        assert_eq!(duration(s, None, s + 3 * HOUR_MS), 3 * HOUR_MS);
        assert_eq!(duration(s, Some(s + HOUR_MS), s + 9 * HOUR_MS), HOUR_MS);
        assert!(!is_long(s, None, s + 8 * HOUR_MS, LONG_OUTAGE_MS));
        assert!(is_long(s, None, s + 8 * HOUR_MS + 1, LONG_OUTAGE_MS));
        assert!(!is_long(
            s,
            Some(s + 2 * HOUR_MS),
            s + 20 * HOUR_MS,
            LONG_OUTAGE_MS
        ));
        assert!(is_active_at(s, None, s));
        assert!(!is_active_at(s, None, s - 1));
        assert!(!is_active_at(s, Some(s + 5), s + 5));
    }

    #[test]
    fn call_before_is_a_day_ahead_or_now() {
        let s = bj("2026-12-01 08:00");
        assert_eq!(call_before_due(s, s - 7 * DAY_MS), s - DAY_MS);
        assert_eq!(call_before_due(s, s - HOUR_MS), s - HOUR_MS);
        assert_eq!(call_before_due(s, s + HOUR_MS), s);
    }

    #[test]
    fn validation_keeps_restore_and_repair_apart() {
        let s = bj("2026-12-01 08:00");
        let t = |kind, e: Option<i64>, r: Option<i64>, p: Option<i64>| OutageTimes {
            kind,
            started_at: s,
            expected_restore_at: e,
            restored_at: r,
            repaired_at: p,
        };
        assert!(validate(&t(OutageKind::Fault, None, None, None)).is_ok());
        assert_eq!(
            validate(&t(OutageKind::Planned, None, None, None))
                .unwrap_err()
                .field,
            "expected_restore_at"
        );
        assert_eq!(
            validate(&t(OutageKind::Planned, Some(s), None, None))
                .unwrap_err()
                .field,
            "expected_restore_at"
        );
        assert_eq!(
            validate(&t(OutageKind::Fault, None, Some(s - 1), None))
                .unwrap_err()
                .field,
            "restored_at"
        );
        assert!(validate(&t(OutageKind::Fault, None, Some(s), None)).is_ok());
        // Restore first: supply back after 1 h, the fault repaired after 6 h.
        assert!(
            validate(&t(
                OutageKind::Fault,
                Some(s + HOUR_MS),
                Some(s + HOUR_MS),
                Some(s + 6 * HOUR_MS)
            ))
            .is_ok()
        );
        assert_eq!(
            validate(&t(OutageKind::Fault, None, None, Some(s - 1)))
                .unwrap_err()
                .field,
            "repaired_at"
        );
        assert!(validate_cause("  ").is_err());
        assert!(validate_cause(&"长".repeat(201)).is_err());
        assert_eq!(validate_cause(" 线路检修 ").unwrap(), "线路检修");
        assert!(validate_external_ref("DMS-2026-0001").is_ok());
        assert!(validate_external_ref("编号").is_err());
    }

    #[test]
    fn an_end_is_recorded_once_between_the_start_and_now() {
        let s = bj("2026-12-01 08:00");
        let latest = s + 2 * HOUR_MS;
        for end in [OutageEnd::Restored, OutageEnd::Repaired] {
            let check = |recorded, at| check_end(end, s, recorded, at, latest);
            assert_eq!(check(None, s + HOUR_MS), Ok(EndReport::Record));
            assert_eq!(check(None, s), Ok(EndReport::Record), "at the start");
            assert_eq!(check(None, latest), Ok(EndReport::Record), "up to the skew");
            assert_eq!(
                check(Some(s + HOUR_MS), s + HOUR_MS),
                Ok(EndReport::Repeated)
            );
            assert_eq!(
                check(Some(s + HOUR_MS), s + 2 * HOUR_MS),
                Err(EndRefused::Recorded { field: end.field() })
            );
            // A stored time wins over the other checks: a repeat of it is fine, anything
            // else is a conflict even if it is also out of range.
            assert_eq!(
                check(Some(s + HOUR_MS), s - 1),
                Err(EndRefused::Recorded { field: end.field() })
            );
            assert_eq!(
                check(None, s - 1),
                Err(EndRefused::Invalid(invalid(
                    end.field(),
                    "must not be before the start"
                )))
            );
            assert_eq!(
                check(None, latest + 1),
                Err(EndRefused::Invalid(invalid(
                    end.field(),
                    "must not be in the future"
                )))
            );
        }
        assert_eq!(OutageEnd::Restored.field(), "restored_at");
        assert_eq!(OutageEnd::Repaired.field(), "repaired_at");
    }

    #[test]
    fn local_times_are_beijing() {
        assert_eq!(bj("1970-01-01 08:00"), 0);
        assert_eq!(bj("2026/12/01 08:00"), bj("2026-12-01 08:00:00"));
        assert!(parse_local_time("2026-12-01").is_err());
        assert!(parse_local_time("2026-13-01 08:00").is_err());
        assert_eq!(local_time(bj("2026-12-01 08:05")), "2026-12-01 08:05");
    }

    const GOOD: &str = "\
external_ref,kind,feeder_code,area_code,cause,start,expected_restore,restored,repaired
DMS-1,planned,F-101,,线路检修,2026-12-01 08:00,2026-12-01 18:00,,
DMS-2,故障停电,,TA-URBAN,树障,2026-11-20 09:00,,2026-11-20 10:00,2026-11-20 15:00
";

    #[test]
    fn a_good_file_parses() {
        let rows = outage_rows(GOOD).unwrap();
        assert_eq!(rows.len(), 2);
        let (line, r) = rows[0].clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(r.kind, OutageKind::Planned);
        assert_eq!(r.place, OutagePlace::Feeder("F-101".into()));
        assert_eq!(r.expected_restore_at, Some(bj("2026-12-01 18:00")));
        let (line, r) = rows[1].clone().unwrap();
        assert_eq!(line, 3);
        assert_eq!(r.kind, OutageKind::Fault);
        assert_eq!(r.place, OutagePlace::Area("TA-URBAN".into()));
        assert_eq!(r.repaired_at, Some(bj("2026-11-20 15:00")));
    }

    #[test]
    fn chinese_headers_and_crlf() {
        let text = "停电类型,台区编码,停电原因,停电开始时间,预计恢复时间\r\n临时,TA-1,抢修,2026-12-01 08:00,2026-12-01 12:00\r\n\r\n故障,TA-2,雷击,2026-12-01 08:00,\r\n";
        let rows = outage_rows(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().unwrap().0, 2);
        assert_eq!(rows[1].as_ref().unwrap().0, 4);
        assert_eq!(rows[1].as_ref().unwrap().1.external_ref, None);
    }

    #[test]
    fn bad_rows_name_line_field_and_code() {
        let text = "\
external_ref,kind,feeder_code,area_code,cause,start,expected_restore,restored,repaired
DMS-1,planned,F-101,,检修,2026-12-01 08:00,2026-12-01 07:00,,
DMS-2,outage,F-101,,检修,2026-12-01 08:00,2026-12-01 18:00,,
DMS-3,fault,,,检修,2026-12-01 08:00,,,
DMS-4,fault,F-1,TA-1,检修,2026-12-01 08:00,,,
DMS-5,fault,F-1,,检修,12/01/2026,,,
DMS-1,fault,F-1,,检修,2026-12-01 08:00,,,
DMS-7,fault,F-1,,,2026-12-01 08:00,,,
DMS-8,fault,F-1
DMS-9,fault,F-1,,检修,2026-12-01 08:00,,2026-12-01 07:00,
";
        let rows = outage_rows(text).unwrap();
        let errs: Vec<(u64, Option<String>, &str)> = rows
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| (e.line, e.field.clone(), e.code))
            .collect();
        assert_eq!(
            errs,
            vec![
                (2, Some("expected_restore".into()), code::INVALID_VALUE),
                (3, Some("kind".into()), code::INVALID_VALUE),
                (4, Some("feeder_code".into()), code::MISSING_FIELD),
                (5, Some("area_code".into()), code::INVALID_VALUE),
                (6, Some("start".into()), code::INVALID_VALUE),
                (8, Some("cause".into()), code::MISSING_FIELD),
                (9, None, code::MALFORMED_ROW),
                (10, Some("restored".into()), code::INVALID_VALUE),
            ]
        );
        // The repeated DMS-1 on line 7 is fine on its own but line 2 was invalid, so it
        // was never seen: only valid rows claim their ref.
        assert!(rows[5].is_ok());
    }

    #[test]
    fn duplicate_refs_are_caught() {
        let text = "kind,area_code,cause,start,external_ref\nfault,TA-1,雷击,2026-12-01 08:00,X1\nfault,TA-2,雷击,2026-12-01 08:00,X1\n";
        let rows = outage_rows(text).unwrap();
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.line, e.code), (3, code::DUPLICATE_KEY));
        assert!(e.message.contains("line 2"));
    }

    #[test]
    fn header_problems() {
        assert_eq!(outage_rows("").unwrap_err().code, code::MISSING_HEADER);
        assert_eq!(
            outage_rows("kind,cause,start,color\n").unwrap_err().code,
            code::UNKNOWN_COLUMN
        );
        assert_eq!(
            outage_rows("kind,cause,area_code\n")
                .unwrap_err()
                .field
                .as_deref(),
            Some("start")
        );
        assert_eq!(
            outage_rows("kind,cause,start\n")
                .unwrap_err()
                .field
                .as_deref(),
            Some("feeder_code")
        );
        assert_eq!(
            outage_rows("kind,停电类型,cause,start,area_code\n")
                .unwrap_err()
                .code,
            code::DUPLICATE_COLUMN
        );
    }
}
