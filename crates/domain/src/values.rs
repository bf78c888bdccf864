//! Typed values parsed at the edge: once a value of one of these types exists, it is valid.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("account number must be 6 to 16 digits")]
    AccountNo,
    #[error(
        "phone number must be a mainland mobile (11 digits starting 1) or a landline with area code"
    )]
    Phone,
    #[error("meter id must be 6 to 24 letters or digits")]
    MeterId,
    #[error("ID number must be 18 characters (17 digits and a digit or X)")]
    IdNumber,
}

macro_rules! string_value {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_value!(AccountNo);
string_value!(PhoneNumber);
string_value!(MeterId);
string_value!(IdNumber);

impl AccountNo {
    /// 户号: digits only, 6 to 16 of them (State Grid uses 10, some provinces 13).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let t = s.trim();
        if (6..=16).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountNo(t.to_string()))
        } else {
            Err(ValueError::AccountNo)
        }
    }
}

impl PhoneNumber {
    /// Accepts `13812345678`, `+86 138-1234-5678`, `0571-88886666`; stores digits only.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let mut t = s.trim();
        if let Some(rest) = t.strip_prefix("+86") {
            t = rest;
        } else if let Some(rest) = t.strip_prefix("0086") {
            t = rest;
        }
        let mut digits = String::with_capacity(t.len());
        for c in t.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' => {}
                _ => return Err(ValueError::Phone),
            }
        }
        let b = digits.as_bytes();
        let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
        if mobile || landline {
            Ok(PhoneNumber(digits))
        } else {
            Err(ValueError::Phone)
        }
    }

    /// `138****5678`: keeps the first three and last four digits.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl MeterId {
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let t = s.trim();
        if (6..=24).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(MeterId(t.to_ascii_uppercase()))
        } else {
            Err(ValueError::MeterId)
        }
    }
}

impl IdNumber {
    /// Resident identity card number (18 characters, checksum verified).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
            return Err(ValueError::IdNumber);
        }
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const C: &[u8; 11] = b"10X98765432";
        let sum: u32 = b[..17]
            .iter()
            .zip(W)
            .map(|(d, w)| (d - b'0') as u32 * w)
            .sum();
        if C[(sum % 11) as usize] != b[17] {
            return Err(ValueError::IdNumber);
        }
        Ok(IdNumber(t))
    }
}

/// Masks a phone number for display: `138****5678`, `0571****6666`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let keep_head = if chars[0] == '0' { 4 } else { 3 };
    let head: String = chars[..keep_head].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Masks an ID number: first four and last four characters kept.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Masks an address: keeps the first six characters (county, town), hides the rest.
pub fn mask_address(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return format!("{}***", chars.iter().take(2).collect::<String>());
    }
    format!("{}****", chars[..6].iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_forms() {
        assert_eq!(
            PhoneNumber::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            PhoneNumber::parse("0571-88886666").unwrap().as_str(),
            "057188886666"
        );
        assert!(PhoneNumber::parse("12345").is_err());
        assert!(PhoneNumber::parse("1381234567a").is_err());
        assert!(PhoneNumber::parse("12812345678").is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("057188886666"), "0571****6666");
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(
            mask_address("浙江省杭州市桐庐县城南街道1号"),
            "浙江省杭州市****"
        );
    }

    #[test]
    fn id_number_checksum() {
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("110105194912310021").is_err());
    }

    #[test]
    fn account_and_meter() {
        assert!(AccountNo::parse("3300123456").is_ok());
        assert!(AccountNo::parse("33a0123456").is_err());
        assert_eq!(
            MeterId::parse("zj0001234567").unwrap().as_str(),
            "ZJ0001234567"
        );
    }
}

/// Why a one-line text (a title, a display name) cannot be shown as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFault {
    /// Empty, or nothing but spaces and invisible characters.
    Blank,
    /// Longer than the limit, in characters.
    TooLong,
    /// A control character (NUL, ESC, a line break) or a direction override, which would
    /// reorder or hide what the page around it shows.
    Hidden,
}

/// Direction embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no space: zero-width space, joiners, word joiner, BOM.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// A one-line text as shown to people: trimmed, at most `max` characters, with no control or
/// direction characters and something visible in it.
pub fn plain_line(s: &str, max: usize) -> Result<&str, LineFault> {
    let t = s.trim();
    if t.chars().any(|c| c.is_control() || is_direction_control(c)) {
        return Err(LineFault::Hidden);
    }
    if t.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(LineFault::Blank);
    }
    if t.chars().count() > max {
        return Err(LineFault::TooLong);
    }
    Ok(t)
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn a_line_is_visible_plain_and_short() {
        assert_eq!(plain_line("  张三 ", 64), Ok("张三"));
        assert_eq!(plain_line("", 64), Err(LineFault::Blank));
        assert_eq!(
            plain_line("\u{200B}\u{200D} \u{FEFF}", 64),
            Err(LineFault::Blank)
        );
        assert_eq!(plain_line("a\u{0}b", 64), Err(LineFault::Hidden));
        assert_eq!(plain_line("\u{1b}[31m红", 64), Err(LineFault::Hidden));
        assert_eq!(plain_line("abc\u{202E}fdp.exe", 64), Err(LineFault::Hidden));
        assert_eq!(plain_line("a\nb", 64), Err(LineFault::Hidden));
        assert_eq!(
            plain_line(&"长".repeat(64), 64).map(|s| s.chars().count()),
            Ok(64)
        );
        assert_eq!(plain_line(&"长".repeat(65), 64), Err(LineFault::TooLong));
        // A joiner inside visible text (emoji sequences) is fine.
        assert!(plain_line("👨\u{200D}🔧 抢修", 64).is_ok());
    }
}
