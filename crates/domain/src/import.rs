//! Bulk import of the organisation tree and the customer register from CSV files as the
//! marketing systems export them: UTF-8 (with or without BOM) or GBK, English or Chinese
//! headers, columns in any order.
//!
//! Parsing streams: [`org_rows`] and [`customer_rows`] check the header up front and then
//! yield one validated row (or one [`RowError`]) at a time, so a million-row file costs its
//! text plus the duplicate-key index, never a `Vec` of rows.
//!
//! Stable error codes ([`RowError::code`]), one table for the API to document:
//!
//! | code                | where         | meaning                                                   |
//! |---------------------|---------------|-----------------------------------------------------------|
//! | `missing_header`    | line 1        | the file has no header line (it is empty)                 |
//! | `unknown_column`    | header        | a column name that is neither an English nor a Chinese key |
//! | `duplicate_column`  | header        | the same column twice (also once in English, once in Chinese) |
//! | `missing_column`    | header        | a required column is absent                               |
//! | `malformed_row`     | data line     | wrong number of fields                                    |
//! | `missing_field`     | data line     | a required value is empty                                 |
//! | `invalid_value`     | data line     | a value that does not parse (unknown code, bad number, ...) |
//! | `duplicate_key`     | data line     | an account number or transformer area seen on an earlier line |
//! | `conflicting_value` | org data line | a station, grid or feeder described differently than before |

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use csv::StringRecord;
use serde::Serialize;

use crate::{
    AccountNo, CareGroup, IdNumber, MeterId, PaymentMethod, PhoneNumber, RegionClass, Segment,
    UsageClass,
};

/// The stable codes of [`RowError::code`].
pub mod code {
    pub const MISSING_HEADER: &str = "missing_header";
    pub const UNKNOWN_COLUMN: &str = "unknown_column";
    pub const DUPLICATE_COLUMN: &str = "duplicate_column";
    pub const MISSING_COLUMN: &str = "missing_column";
    pub const MALFORMED_ROW: &str = "malformed_row";
    pub const MISSING_FIELD: &str = "missing_field";
    pub const INVALID_VALUE: &str = "invalid_value";
    pub const DUPLICATE_KEY: &str = "duplicate_key";
    pub const CONFLICTING_VALUE: &str = "conflicting_value";
}

// ---------------------------------------------------------------------------------------
// Encoding

/// The encoding a file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    /// GBK, decoded as GB18030 (a superset), which is what Excel on Chinese Windows writes.
    Gbk,
}

/// A file that cannot be imported as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Neither UTF-8 nor GBK. `offset` is the first byte that fits neither, counted in the
    /// bytes as given (BOM included); `line` is its 1-based line.
    #[error(
        "line {line}: the file is neither UTF-8 nor GBK text (bad byte at offset {offset}); save it as CSV in UTF-8 or GBK"
    )]
    Encoding { line: u64, offset: usize },
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Turns file bytes into text: a UTF-8 BOM is stripped, valid UTF-8 is taken as it is
/// (borrowed), anything else is decoded as GBK and must be free of malformed sequences.
///
/// A file that starts with a UTF-8 BOM but is not valid UTF-8 is an error rather than GBK:
/// the BOM says what the file meant to be, and guessing again would import mojibake.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), ImportError> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok((Cow::Borrowed(text), TextEncoding::Utf8)),
            Err(e) => Err(encoding_error(bytes, UTF8_BOM.len() + e.valid_up_to())),
        };
    }
    let utf8_valid = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok((Cow::Borrowed(text), TextEncoding::Utf8)),
        Err(e) => e.valid_up_to(),
    };
    // Chinese written in UTF-8 before the bad byte says the file is UTF-8 with one broken
    // value (a line pasted from a GBK file): that is where it breaks. Read as GBK it would
    // turn into other characters or fail at its first Chinese character. A GBK file's
    // bytes form a UTF-8 character now and then by chance, hardly ever four in a row.
    let wide_utf8 = std::str::from_utf8(&bytes[..utf8_valid])
        .map(|t| t.chars().filter(|c| c.len_utf8() >= 3).take(4).count())
        .unwrap_or(0);
    if wide_utf8 >= 4 {
        return Err(encoding_error(bytes, utf8_valid));
    }
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((text, TextEncoding::Gbk)),
        None => Err(encoding_error(bytes, first_malformed_gbk(bytes))),
    }
}

fn encoding_error(bytes: &[u8], offset: usize) -> ImportError {
    let offset = offset.min(bytes.len());
    // 0x0A is never part of a GBK multi-byte sequence, so counting it counts lines.
    let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
    ImportError::Encoding { line, offset }
}

/// Only called once the whole-buffer decode has failed, so speed does not matter here.
fn first_malformed_gbk(bytes: &[u8]) -> usize {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    let mut out = [0u8; 4096];
    let mut pos = 0;
    loop {
        let (result, read, _written) =
            decoder.decode_to_utf8_without_replacement(&bytes[pos..], &mut out, true);
        pos += read;
        match result {
            DecoderResult::OutputFull => {}
            DecoderResult::InputEmpty => return bytes.len(),
            DecoderResult::Malformed(bad, after) => {
                return pos.saturating_sub(usize::from(bad) + usize::from(after));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors and columns

/// One problem with one line of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, utoipa::ToSchema)]
#[error("line {line}: {message}")]
pub struct RowError {
    /// 1-based line in the file; the header is line 1. For a quoted value spanning several
    /// lines, the line where the row starts.
    pub line: u64,
    /// The column's English key (`account_no`); for `unknown_column`, the name as written.
    pub field: Option<String>,
    /// One of the stable codes in [`code`].
    pub code: &'static str,
    /// For the person who prepared the file.
    pub message: String,
}

impl RowError {
    fn new(line: u64, field: Option<&str>, code: &'static str, message: String) -> Self {
        RowError {
            line,
            field: field.map(str::to_owned),
            code,
            message,
        }
    }
}

/// A column an import file may have: its English key and its Chinese header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    /// Must be present in the header and non-empty on every row.
    pub required: bool,
}

const fn required(key: &'static str, zh: &'static str) -> Column {
    Column {
        key,
        zh,
        required: true,
    }
}

const fn optional(key: &'static str, zh: &'static str) -> Column {
    Column {
        key,
        zh,
        required: false,
    }
}

/// Maps each known column to its position in the file. Header names are trimmed; English
/// keys match regardless of ASCII case.
fn resolve_header<const N: usize>(
    header: &StringRecord,
    line: u64,
    columns: &[Column; N],
) -> Result<[Option<usize>; N], RowError> {
    let mut slots = [None; N];
    for (pos, name) in header.iter().enumerate() {
        let name = name.trim();
        let Some(col) = columns
            .iter()
            .position(|c| c.key.eq_ignore_ascii_case(name) || c.zh == name)
        else {
            let message = if name.is_empty() {
                format!("column {} has no name", pos + 1)
            } else {
                format!("unknown column `{}`", shown(name))
            };
            return Err(RowError::new(
                line,
                Some(name),
                code::UNKNOWN_COLUMN,
                message,
            ));
        };
        if slots[col].replace(pos).is_some() {
            let key = columns[col].key;
            let message = format!("column {key} ({}) appears twice", columns[col].zh);
            return Err(RowError::new(
                line,
                Some(key),
                code::DUPLICATE_COLUMN,
                message,
            ));
        }
    }
    if let Some(c) = columns
        .iter()
        .zip(&slots)
        .find_map(|(c, s)| (c.required && s.is_none()).then_some(c))
    {
        let message = format!("required column {} ({}) is missing", c.key, c.zh);
        return Err(RowError::new(
            line,
            Some(c.key),
            code::MISSING_COLUMN,
            message,
        ));
    }
    Ok(slots)
}

/// A value echoed in a message, cut short so a garbage cell cannot flood the report.
fn shown(s: &str) -> Cow<'_, str> {
    const MAX: usize = 32;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

// ---------------------------------------------------------------------------------------
// Reading records

/// The CSV reader under both files. Fields are trimmed when read rather than by the csv
/// crate, whose `Trim` copies every record; `str::trim` also drops the full-width spaces
/// (U+3000) that Chinese spreadsheets leave behind.
struct Table<'a> {
    text: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: StringRecord,
    done: bool,
    /// A byte offset and its 1-based line, moving forward with the records.
    cursor: (usize, u64),
}

impl<'a> Table<'a> {
    /// Opens `text` and reads its header; returns the header and its line.
    fn open(text: &'a str) -> Result<(Self, StringRecord, u64), RowError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes();
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(text);
        let mut table = Table {
            text,
            reader,
            record: StringRecord::new(),
            done: false,
            cursor: (0, 1),
        };
        let mut header = StringRecord::new();
        match table.reader.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                let message = "the file is empty: no header line".into();
                return Err(RowError::new(1, None, code::MISSING_HEADER, message));
            }
            Err(e) => return Err(table.csv_error(&e)),
        }
        let line = table.line_at(header.position());
        Ok((table, header, line))
    }

    /// Reads the next data record into `self.record`; returns its line.
    fn advance(&mut self) -> Option<Result<u64, RowError>> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                let position = self.record.position().cloned();
                Some(Ok(self.line_at(position.as_ref())))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Reading from memory, only field-count errors leave the reader usable.
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    self.done = true;
                }
                Some(Err(self.csv_error(&e)))
            }
        }
    }

    /// The line a record starts on. The csv crate's own `Position::line` is one short
    /// after a CRLF line end (it counts the `\n` only when it reads the next record), so
    /// lines are counted here, from the record's byte offset past any line-end bytes.
    fn line_at(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(byte) = position.map(csv::Position::byte) else {
            return self.cursor.1;
        };
        let text = self.text;
        let mut start = usize::try_from(byte).map_or(text.len(), |b| b.min(text.len()));
        while start < text.len() && matches!(text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.cursor.0 {
            self.cursor = (0, 1);
        }
        let newlines = text[self.cursor.0..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.cursor = (start, self.cursor.1 + newlines as u64);
        self.cursor.1
    }

    fn csv_error(&mut self, e: &csv::Error) -> RowError {
        let line = self.line_at(e.position());
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("expected {expected_len} fields as in the header, found {len}")
            }
            _ => format!("unreadable row: {e}"),
        };
        RowError::new(line, None, code::MALFORMED_ROW, message)
    }
}

/// One data record being validated: trimmed access by column, errors that name the line.
struct Row<'r, const N: usize> {
    record: &'r StringRecord,
    slots: &'r [Option<usize>; N],
    columns: &'static [Column; N],
    line: u64,
}

impl<'r, const N: usize> Row<'r, N> {
    /// The trimmed value; empty when the column is absent from the file.
    fn get(&self, col: usize) -> &'r str {
        self.slots[col]
            .and_then(|pos| self.record.get(pos))
            .map_or("", str::trim)
    }

    fn error(&self, col: usize, code: &'static str, message: String) -> RowError {
        RowError::new(self.line, Some(self.columns[col].key), code, message)
    }

    fn invalid(&self, col: usize, message: impl Into<String>) -> RowError {
        self.error(col, code::INVALID_VALUE, message.into())
    }

    fn required(&self, col: usize) -> Result<&'r str, RowError> {
        let value = self.get(col);
        if value.is_empty() {
            let c = &self.columns[col];
            return Err(self.error(
                col,
                code::MISSING_FIELD,
                format!("{} ({}) is required", c.key, c.zh),
            ));
        }
        Ok(value)
    }

    /// An empty value is `None`; anything else must parse.
    fn optional<T, E: std::fmt::Display>(
        &self,
        col: usize,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, RowError> {
        match self.get(col) {
            "" => Ok(None),
            value => parse(value)
                .map(Some)
                .map_err(|e| self.invalid(col, e.to_string())),
        }
    }

    /// An organisation or area code: 1–32 of `[A-Za-z0-9_-]`.
    fn code(&self, col: usize) -> Result<String, RowError> {
        let value = self.required(col)?;
        if is_code(value) {
            Ok(value.to_owned())
        } else {
            Err(self.invalid(
                col,
                format!(
                    "`{}` is not a code: use 1 to 32 letters, digits, _ or -",
                    shown(value)
                ),
            ))
        }
    }

    /// A required free-text name: at most `max` characters, no control characters.
    fn text(&self, col: usize, max: usize) -> Result<String, RowError> {
        let value = self.required(col)?;
        // Byte length bounds the character count, so most values skip the count.
        if value.len() > max && value.chars().count() > max {
            return Err(self.invalid(col, format!("longer than {max} characters")));
        }
        if value.chars().any(char::is_control) {
            return Err(self.invalid(col, "contains a line break or control character"));
        }
        Ok(value.to_owned())
    }

    fn closed<T: ClosedSet>(&self, col: usize, value: &str) -> Result<T, RowError> {
        lookup(value).ok_or_else(|| self.invalid(col, unknown_message::<T>(value)))
    }
}

fn is_code(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The closed sets a file may name by code or by Chinese label.
trait ClosedSet: Copy + 'static {
    const MEMBERS: &'static [Self];
    const KIND: &'static str;
    fn code(self) -> &'static str;
    fn zh(self) -> &'static str;
}

macro_rules! closed_set {
    ($($t:ty),+) => {$(
        impl ClosedSet for $t {
            const MEMBERS: &'static [Self] = <$t>::ALL;
            const KIND: &'static str = <$t>::KIND;
            fn code(self) -> &'static str { <$t>::code(self) }
            fn zh(self) -> &'static str { <$t>::zh(self) }
        }
    )+};
}

closed_set!(RegionClass, UsageClass, PaymentMethod, Segment, CareGroup);

/// By code (any ASCII case) or by Chinese label.
fn lookup<T: ClosedSet>(value: &str) -> Option<T> {
    T::MEMBERS
        .iter()
        .copied()
        .find(|m| m.code().eq_ignore_ascii_case(value) || m.zh() == value)
}

fn unknown_message<T: ClosedSet>(value: &str) -> String {
    let choices: Vec<String> = T::MEMBERS
        .iter()
        .map(|m| format!("{} ({})", m.code(), m.zh()))
        .collect();
    format!(
        "unknown {} `{}`; use one of: {}",
        T::KIND,
        shown(value),
        choices.join(", ")
    )
}

// ---------------------------------------------------------------------------------------
// Organisation file

/// The columns of an organisation file, all required, one row per transformer area.
pub const ORG_COLUMNS: [Column; 9] = [
    required("station_code", "供电所编码"),
    required("station_name", "供电所名称"),
    required("grid_code", "网格编码"),
    required("grid_name", "网格名称"),
    required("feeder_code", "线路编码"),
    required("feeder_name", "线路名称"),
    required("area_code", "台区编码"),
    required("area_name", "台区名称"),
    required("region_class", "区域类别"),
];

mod org_col {
    pub const STATION_CODE: usize = 0;
    pub const STATION_NAME: usize = 1;
    pub const GRID_CODE: usize = 2;
    pub const GRID_NAME: usize = 3;
    pub const FEEDER_CODE: usize = 4;
    pub const FEEDER_NAME: usize = 5;
    pub const AREA_CODE: usize = 6;
    pub const AREA_NAME: usize = 7;
    pub const REGION_CLASS: usize = 8;
}

const ORG_NAME_MAX: usize = 64;

/// One transformer area with the station, grid and feeder it hangs from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRow {
    pub station_code: String,
    pub station_name: String,
    pub grid_code: String,
    pub grid_name: String,
    pub feeder_code: String,
    pub feeder_name: String,
    pub area_code: String,
    pub area_name: String,
    pub region_class: RegionClass,
}

/// Parses an organisation file. `Err` is a header problem (nothing can be read); each item
/// is then one data line: its line number and row, or what is wrong with it.
///
/// Beyond each field, the file must describe one tree: a transformer area appears once,
/// a station and a feeder keep one name, a grid keeps one name and one station.
pub fn org_rows(
    text: &str,
) -> Result<impl Iterator<Item = Result<(u64, OrgRow), RowError>>, RowError> {
    let (table, header, header_line) = Table::open(text)?;
    let slots = resolve_header(&header, header_line, &ORG_COLUMNS)?;
    Ok(OrgRows {
        table,
        slots,
        tree: OrgTree::default(),
    })
}

struct OrgRows<'a> {
    table: Table<'a>,
    slots: [Option<usize>; 9],
    tree: OrgTree,
}

/// What earlier lines said, to catch a file that contradicts itself. Each entry keeps the
/// line that introduced it so the error can point there.
#[derive(Default)]
struct OrgTree {
    areas: HashMap<String, u64>,
    stations: HashMap<String, (String, u64)>,
    grids: HashMap<String, (String, String, u64)>,
    feeders: HashMap<String, (String, u64)>,
}

impl Iterator for OrgRows<'_> {
    type Item = Result<(u64, OrgRow), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.table.advance()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let row = Row {
            record: &self.table.record,
            slots: &self.slots,
            columns: &ORG_COLUMNS,
            line,
        };
        Some(
            parse_org(&row)
                .and_then(|org| self.tree.admit(&row, org))
                .map(|org| (line, org)),
        )
    }
}

fn parse_org(row: &Row<'_, 9>) -> Result<OrgRow, RowError> {
    use org_col::*;
    Ok(OrgRow {
        station_code: row.code(STATION_CODE)?,
        station_name: row.text(STATION_NAME, ORG_NAME_MAX)?,
        grid_code: row.code(GRID_CODE)?,
        grid_name: row.text(GRID_NAME, ORG_NAME_MAX)?,
        feeder_code: row.code(FEEDER_CODE)?,
        feeder_name: row.text(FEEDER_NAME, ORG_NAME_MAX)?,
        area_code: row.code(AREA_CODE)?,
        area_name: row.text(AREA_NAME, ORG_NAME_MAX)?,
        region_class: row.closed(REGION_CLASS, row.required(REGION_CLASS)?)?,
    })
}

impl OrgTree {
    /// Checks `org` against earlier lines and, when it agrees, remembers what it says.
    fn admit(&mut self, row: &Row<'_, 9>, org: OrgRow) -> Result<OrgRow, RowError> {
        use org_col::*;
        let line = row.line;
        let conflict =
            |col: usize, message: String| row.error(col, code::CONFLICTING_VALUE, message);

        if let Some(first) = self.areas.get(&org.area_code) {
            let message = format!(
                "transformer area {} already appears on line {first}",
                org.area_code
            );
            return Err(row.error(AREA_CODE, code::DUPLICATE_KEY, message));
        }
        if let Some((name, first)) = self.stations.get(&org.station_code)
            && *name != org.station_name
        {
            let message = format!(
                "station {} is named {name} on line {first}",
                org.station_code
            );
            return Err(conflict(STATION_NAME, message));
        }
        if let Some((station, name, first)) = self.grids.get(&org.grid_code) {
            if *station != org.station_code {
                let message = format!(
                    "grid {} belongs to station {station} on line {first}",
                    org.grid_code
                );
                return Err(conflict(STATION_CODE, message));
            }
            if *name != org.grid_name {
                let message = format!("grid {} is named {name} on line {first}", org.grid_code);
                return Err(conflict(GRID_NAME, message));
            }
        }
        if let Some((name, first)) = self.feeders.get(&org.feeder_code)
            && *name != org.feeder_name
        {
            let message = format!("feeder {} is named {name} on line {first}", org.feeder_code);
            return Err(conflict(FEEDER_NAME, message));
        }

        self.areas.insert(org.area_code.clone(), line);
        if !self.stations.contains_key(&org.station_code) {
            self.stations
                .insert(org.station_code.clone(), (org.station_name.clone(), line));
        }
        if !self.grids.contains_key(&org.grid_code) {
            let entry = (org.station_code.clone(), org.grid_name.clone(), line);
            self.grids.insert(org.grid_code.clone(), entry);
        }
        if !self.feeders.contains_key(&org.feeder_code) {
            self.feeders
                .insert(org.feeder_code.clone(), (org.feeder_name.clone(), line));
        }
        Ok(org)
    }
}

// ---------------------------------------------------------------------------------------
// Customer file

/// The columns of a customer file, in any order; optional ones may be left out.
pub const CUSTOMER_COLUMNS: [Column; 15] = [
    required("account_no", "户号"),
    required("name", "户名"),
    optional("phone", "联系电话"),
    optional("phone2", "备用电话"),
    optional("id_number", "证件号码"),
    required("address", "用电地址"),
    required("usage_class", "用电类别"),
    required("area_code", "台区编码"),
    optional("meter_id", "电表资产号"),
    optional("payment_method", "缴费方式"),
    optional("care_groups", "关爱标签"),
    optional("segment", "客户分级"),
    optional("sensitive", "敏感客户"),
    optional("grid_manager", "网格经理"),
    optional("arrears_yuan", "欠费金额"),
];

mod customer_col {
    pub const ACCOUNT_NO: usize = 0;
    pub const NAME: usize = 1;
    pub const PHONE: usize = 2;
    pub const PHONE2: usize = 3;
    pub const ID_NUMBER: usize = 4;
    pub const ADDRESS: usize = 5;
    pub const USAGE_CLASS: usize = 6;
    pub const AREA_CODE: usize = 7;
    pub const METER_ID: usize = 8;
    pub const PAYMENT_METHOD: usize = 9;
    pub const CARE_GROUPS: usize = 10;
    pub const SEGMENT: usize = 11;
    pub const SENSITIVE: usize = 12;
    pub const GRID_MANAGER: usize = 13;
    pub const ARREARS_YUAN: usize = 14;
}

const CUSTOMER_NAME_MAX: usize = 100;
const ADDRESS_MAX: usize = 200;

/// One customer (户) as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRow {
    pub account_no: AccountNo,
    pub name: String,
    pub phone: Option<PhoneNumber>,
    pub phone2: Option<PhoneNumber>,
    pub id_number: Option<IdNumber>,
    pub address: String,
    pub usage_class: UsageClass,
    /// Code of the transformer area; whether it exists is for the store to check.
    pub area_code: String,
    pub meter_id: Option<MeterId>,
    pub payment_method: Option<PaymentMethod>,
    /// Sorted, without repeats.
    pub care_groups: Vec<CareGroup>,
    pub segment: Segment,
    pub sensitive: bool,
    /// Username of the assigned grid manager; whether the user exists is for the store.
    pub grid_manager: Option<String>,
    /// Arrears in fen (分), never negative.
    pub arrears_fen: i64,
}

/// Parses a customer file. `Err` is a header problem; each item is then one data line.
/// An account number seen on an earlier line makes the later line a `duplicate_key`.
pub fn customer_rows(
    text: &str,
) -> Result<impl Iterator<Item = Result<(u64, CustomerRow), RowError>>, RowError> {
    let (table, header, header_line) = Table::open(text)?;
    let slots = resolve_header(&header, header_line, &CUSTOMER_COLUMNS)?;
    Ok(CustomerRows {
        table,
        slots,
        seen: HashMap::new(),
    })
}

struct CustomerRows<'a> {
    table: Table<'a>,
    slots: [Option<usize>; 15],
    /// Account number (packed, see [`account_key`]) to the line it first appeared on.
    seen: HashMap<u64, u64>,
}

impl Iterator for CustomerRows<'_> {
    type Item = Result<(u64, CustomerRow), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.table.advance()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let row = Row {
            record: &self.table.record,
            slots: &self.slots,
            columns: &CUSTOMER_COLUMNS,
            line,
        };
        Some(parse_customer(&row, &mut self.seen).map(|c| (line, c)))
    }
}

fn parse_customer(
    row: &Row<'_, 15>,
    seen: &mut HashMap<u64, u64>,
) -> Result<CustomerRow, RowError> {
    use customer_col::*;
    let account_no = AccountNo::parse(row.required(ACCOUNT_NO)?)
        .map_err(|e| row.invalid(ACCOUNT_NO, e.to_string()))?;
    // Checked before the other fields, so the duplicate shows even when the line has
    // other faults, and a line fixed later cannot unmask one.
    match seen.entry(account_key(&account_no)) {
        Entry::Occupied(first) => {
            let message = format!(
                "account number {account_no} already appears on line {}",
                first.get()
            );
            return Err(row.error(ACCOUNT_NO, code::DUPLICATE_KEY, message));
        }
        Entry::Vacant(slot) => {
            slot.insert(row.line);
        }
    }
    Ok(CustomerRow {
        account_no,
        name: row.text(NAME, CUSTOMER_NAME_MAX)?,
        phone: row.optional(PHONE, PhoneNumber::parse)?,
        phone2: row.optional(PHONE2, PhoneNumber::parse)?,
        id_number: row.optional(ID_NUMBER, IdNumber::parse)?,
        address: row.text(ADDRESS, ADDRESS_MAX)?,
        usage_class: row.closed(USAGE_CLASS, row.required(USAGE_CLASS)?)?,
        area_code: row.code(AREA_CODE)?,
        meter_id: row.optional(METER_ID, MeterId::parse)?,
        payment_method: match row.get(PAYMENT_METHOD) {
            "" => None,
            value => Some(row.closed(PAYMENT_METHOD, value)?),
        },
        care_groups: care_groups(row)?,
        segment: match row.get(SEGMENT) {
            "" => Segment::C,
            value => row.closed(SEGMENT, value)?,
        },
        sensitive: match row.get(SENSITIVE) {
            "" => false,
            value => parse_flag(value).ok_or_else(|| {
                row.invalid(
                    SENSITIVE,
                    format!(
                        "`{}` is not a yes/no value: use 0/1, true/false or 是/否",
                        shown(value)
                    ),
                )
            })?,
        },
        grid_manager: row.optional(GRID_MANAGER, parse_username)?,
        arrears_fen: match row.get(ARREARS_YUAN) {
            "" => 0,
            value => parse_fen(value).map_err(|m| row.invalid(ARREARS_YUAN, m))?,
        },
    })
}

/// Account numbers are at most 16 digits (< 2^54), so value and length pack into a `u64`
/// (the length keeps `0012345` apart from `012345`): a million keys cost 16 MB, not 50.
fn account_key(account: &AccountNo) -> u64 {
    let digits = account.as_str().as_bytes();
    let value = digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    value | (digits.len() as u64) << 56
}

fn care_groups(row: &Row<'_, 15>) -> Result<Vec<CareGroup>, RowError> {
    let col = customer_col::CARE_GROUPS;
    let mut groups = Vec::new();
    for part in row.get(col).split([';', '；', '、']) {
        let part = part.trim();
        if !part.is_empty() {
            groups.push(row.closed(col, part)?);
        }
    }
    groups.sort_unstable();
    groups.dedup();
    Ok(groups)
}

fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "1" | "是" => Some(true),
        "0" | "否" => Some(false),
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A login name: 1–64 of `[A-Za-z0-9_.@-]`.
fn parse_username(value: &str) -> Result<String, String> {
    let ok = value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "`{}` is not a username: use up to 64 letters, digits, _ . @ or -",
            shown(value)
        ))
    }
}

/// Yuan with at most two decimals (`12`, `12.5`, `12.05`) to fen.
fn parse_fen(value: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{}` is not an amount in yuan with at most 2 decimals",
            shown(value)
        )
    };
    if value.starts_with('-') {
        return Err("arrears must not be negative".into());
    }
    let (yuan, cents) = value.split_once('.').unwrap_or((value, "00"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(yuan) || !digits(cents) || cents.len() > 2 {
        return Err(bad());
    }
    let yuan: i64 = yuan.parse().map_err(|_| bad())?;
    let cents: i64 =
        cents.parse::<i64>().map_err(|_| bad())? * if cents.len() == 1 { 10 } else { 1 };
    yuan.checked_mul(100)
        .and_then(|f| f.checked_add(cents))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a customer file whose header is the required columns plus `extra` and whose
    /// only data line is `line`. Returns the row as JSON, or the error as `line field code`.
    fn parse_one(extra: &str, line: &str) -> String {
        let base = "account_no,name,address,usage_class,area_code";
        let header = if extra.is_empty() {
            base.to_string()
        } else {
            format!("{base},{extra}")
        };
        let text = format!("{header}\n{line}\n");
        let mut rows = customer_rows(&text).unwrap();
        let got = match rows.next().unwrap() {
            Ok((_, row)) => serde_json::to_string(&row).unwrap(),
            Err(e) => format!("{} {} {}", e.line, e.field.unwrap_or_default(), e.code),
        };
        assert!(rows.next().is_none());
        got
    }

    /// `cases` are (value of the single extra column, expected JSON of `field` or error).
    fn check(column: &str, field: &str, cases: &[(&str, &str)]) {
        for (value, expected) in cases {
            let got = parse_one(column, &format!("3300123456,张三,地址,居民,T1,{value}"));
            let got = match serde_json::from_str::<serde_json::Value>(&got) {
                Ok(row) => row[field].to_string(),
                Err(_) => got,
            };
            assert_eq!(&got, expected, "\n{column} = {value}");
        }
    }

    #[test]
    fn minimal_row_takes_defaults() {
        assert_eq!(
            parse_one("", "3300123456,张三,浙江省杭州市1号,居民,T001"),
            r#"{"account_no":"3300123456","name":"张三","phone":null,"phone2":null,"id_number":null,"address":"浙江省杭州市1号","usage_class":"residential","area_code":"T001","meter_id":null,"payment_method":null,"care_groups":[],"segment":"C","sensitive":false,"grid_manager":null,"arrears_fen":0}"#
        );
    }

    #[test]
    fn arrears_in_fen() {
        let bad = "2 arrears_yuan invalid_value";
        #[rustfmt::skip]
        check("arrears_yuan", "arrears_fen", &[
            ("12", "1200"), ("12.5", "1250"), ("0.05", "5"), (" 7.10 ", "710"), ("", "0"),
            ("-1", bad), ("1.234", bad), ("1.", bad), (".5", bad), ("\"1,000\"", bad),
            ("abc", bad), ("99999999999999999999", bad), ("+1", bad),
        ]);
    }

    #[test]
    fn flags_and_closed_sets() {
        #[rustfmt::skip]
        check("sensitive", "sensitive", &[
            ("是", "true"), ("TRUE", "true"), ("0", "false"), ("", "false"),
            ("maybe", "2 sensitive invalid_value"),
        ]);
        #[rustfmt::skip]
        check("care_groups", "care_groups", &[
            ("吸氧老人、elderly；oxygen", r#"["oxygen","elderly"]"#), ("", "[]"),
            ("oxygen;飞行员", "2 care_groups invalid_value"),
        ]);
        #[rustfmt::skip]
        check("segment", "segment", &[
            ("b", r#""B""#), ("A类", r#""A""#), ("", r#""C""#), ("E", "2 segment invalid_value"),
        ]);
        #[rustfmt::skip]
        check("payment_method", "payment_method", &[
            ("预存", r#""prepaid""#), ("bank_debit", r#""bank_debit""#), ("", "null"),
            ("支付宝", "2 payment_method invalid_value"),
        ]);
        #[rustfmt::skip]
        check("grid_manager", "grid_manager", &[
            ("zhang.san", r#""zhang.san""#), ("张 三", "2 grid_manager invalid_value"),
        ]);
    }

    #[test]
    fn required_and_typed_fields() {
        #[rustfmt::skip]
        let cases = [
            ("", ",张三,地址,居民,T1", "2 account_no missing_field"),
            ("", "33001,张三,地址,居民,T1", "2 account_no invalid_value"),
            ("", "3300123456,\u{3000},地址,居民,T1", "2 name missing_field"),
            ("", "3300123456,张三,地址,学生,T1", "2 usage_class invalid_value"),
            ("", "3300123456,张三,地址,居民,T 1", "2 area_code invalid_value"),
            ("", "3300123456,\"张\n三\",地址,居民,T1", "2 name invalid_value"),
            ("phone", "3300123456,张三,地址,居民,T1,12345", "2 phone invalid_value"),
            ("id_number", "3300123456,张三,地址,居民,T1,110105194912310021", "2 id_number invalid_value"),
            ("meter_id", "3300123456,张三,地址,居民,T1,ZJ-01", "2 meter_id invalid_value"),
            ("", "3300123456,张三,地址,居民", "2  malformed_row"),
        ];
        for (extra, line, expected) in cases {
            assert_eq!(parse_one(extra, line), expected, "\nline: {line}");
        }
    }

    #[test]
    fn header_problems() {
        let header_error = |text: &str| {
            let e = customer_rows(text).err().unwrap();
            format!("{} {} {}", e.line, e.field.unwrap_or_default(), e.code)
        };
        #[rustfmt::skip]
        let cases = [
            ("", "1  missing_header"),
            ("\n\n", "1  missing_header"),
            ("account_no,name,address,usage_class,area_code,colour", "1 colour unknown_column"),
            ("account_no,户号,name,address,usage_class,area_code", "1 account_no duplicate_column"),
            ("account_no,name,address,usage_class", "1 area_code missing_column"),
            ("account_no,name,address,usage_class,area_code,", "1  unknown_column"),
        ];
        for (text, expected) in cases {
            assert_eq!(header_error(text), expected, "\nheader: {text}");
        }
    }

    #[test]
    fn account_keys_keep_leading_zeros_apart() {
        let key = |s: &str| account_key(&AccountNo::parse(s).unwrap());
        assert_ne!(key("0012345"), key("012345"));
        assert_ne!(key("9999999999999999"), key("999999999999999"));
        assert_eq!(key("9999999999999999"), key("9999999999999999"));
    }

    #[test]
    fn decode_reports_where_gbk_breaks() {
        // 0xFF is never a GBK lead byte.
        let bytes = b"a,b\n\xd6\xd0,\xff\n";
        assert_eq!(
            decode(bytes).unwrap_err(),
            ImportError::Encoding { line: 2, offset: 7 }
        );
        // Mostly UTF-8 with a GBK value on line 3: the error is there, not at line 1's
        // first Chinese character (which GBK would misread).
        let mut bytes = "户号,姓名\n1,张三\n".as_bytes().to_vec();
        let at = bytes.len() + 2;
        bytes.extend_from_slice(b"2,\xd5\xc5\xc8\xfd\n");
        assert_eq!(
            decode(&bytes).unwrap_err(),
            ImportError::Encoding {
                line: 3,
                offset: at
            }
        );
        // After a BOM, only UTF-8 will do, even where GBK would decode.
        let bytes = b"\xEF\xBB\xBFa\n\xd6\xd0";
        assert_eq!(
            decode(bytes).unwrap_err(),
            ImportError::Encoding { line: 2, offset: 5 }
        );
    }
}
