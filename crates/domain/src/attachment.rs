//! Attachments on work orders and internal notes: what may be stored and under which name.
//! The content type is sniffed from the first bytes (the declared one is not trusted), the
//! size is held to a limit, and the file name a browser sent is made a plain line.

use serde::{Deserialize, Serialize};

/// The default largest attachment: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest internal note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// How many leading bytes of a file decide whether it is plain text.
const TEXT_SNIFF_BYTES: usize = 8192;

/// The kinds of file an order may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ContentType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "text/plain")]
    Text,
}

impl ContentType {
    pub const ALL: &'static [ContentType] = &[
        ContentType::Jpeg,
        ContentType::Png,
        ContentType::Gif,
        ContentType::Webp,
        ContentType::Pdf,
        ContentType::Text,
    ];

    /// The MIME type, as stored and sent.
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Jpeg => "image/jpeg",
            ContentType::Png => "image/png",
            ContentType::Gif => "image/gif",
            ContentType::Webp => "image/webp",
            ContentType::Pdf => "application/pdf",
            ContentType::Text => "text/plain",
        }
    }

    pub fn parse(mime: &str) -> Option<ContentType> {
        ContentType::ALL.iter().copied().find(|c| c.mime() == mime)
    }

    /// Shown as a thumbnail (an `<img>`) rather than a file icon.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            ContentType::Jpeg | ContentType::Png | ContentType::Gif | ContentType::Webp
        )
    }

    /// Opened in the browser (`Content-Disposition: inline`) rather than downloaded.
    pub fn inline(self) -> bool {
        self.is_image() || self == ContentType::Pdf
    }

    /// The usual file name ending, for a name that has none.
    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Jpeg => "jpg",
            ContentType::Png => "png",
            ContentType::Gif => "gif",
            ContentType::Webp => "webp",
            ContentType::Pdf => "pdf",
            ContentType::Text => "txt",
        }
    }
}

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentFault {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit of {limit} bytes ({} MB)", limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    #[error(
        "only JPEG, PNG, GIF and WebP images, PDF documents and UTF-8 plain text may be attached"
    )]
    Unsupported,
}

impl AttachmentFault {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentFault::Empty => "invalid_field",
            AttachmentFault::TooLarge { .. } => "payload_too_large",
            AttachmentFault::Unsupported => "unsupported_attachment",
        }
    }
}

/// Whether a file of `size` bytes may be stored under `limit`.
pub fn check_size(size: u64, limit: u64) -> Result<(), AttachmentFault> {
    match size {
        0 => Err(AttachmentFault::Empty),
        s if s > limit => Err(AttachmentFault::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// The content type of a file by its first bytes, if it is one of the allowed kinds.
pub fn sniff(head: &[u8]) -> Option<ContentType> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ContentType::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ContentType::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(ContentType::Gif);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(ContentType::Webp);
    }
    if head.starts_with(b"%PDF-") {
        return Some(ContentType::Pdf);
    }
    if is_plain_text(head) {
        return Some(ContentType::Text);
    }
    None
}

/// UTF-8 text (a byte order mark allowed) without control characters other than tab, line
/// breaks and form feed, judged on its first bytes; a character cut at that end is fine.
fn is_plain_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let head = &bytes[..bytes.len().min(TEXT_SNIFF_BYTES)];
    let cut = head.len() < bytes.len();
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // Only a sequence the sniffing window cut in two may be incomplete.
        Err(e) if cut && e.error_len().is_none() => {
            match std::str::from_utf8(&head[..e.valid_up_to()]) {
                Ok(t) => t,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{000C}'))
}

/// The name a file is kept under: the last part of what the browser sent (no folders), with
/// control and direction characters dropped, whitespace runs made one space, at most
/// [`MAX_NAME_CHARS`] characters (the ending kept); an empty one becomes
/// `attachment.<ending of the type>`.
pub fn file_name(sent: &str, kind: ContentType) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
    let mut clean = String::with_capacity(last.len());
    let mut space = false;
    for c in last.chars() {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !clean.is_empty() {
            clean.push(' ');
        }
        space = false;
        clean.push(c);
    }
    let clean = clean.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if clean.is_empty() || crate::values::plain_line(clean, usize::MAX).is_err() {
        return format!("attachment.{}", kind.extension());
    }
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean.to_string();
    }
    // Keep a short ending (`.jpg`) and cut the stem.
    let ending = clean
        .rfind('.')
        .map(|i| &clean[i..])
        .filter(|e| e.chars().count() <= 10)
        .unwrap_or("");
    let keep = MAX_NAME_CHARS - ending.chars().count();
    let stem: String = clean.chars().take(keep).collect();
    format!("{}{ending}", stem.trim_end())
}

/// What a file is to be stored as: its kept name and sniffed type, or why it is refused.
pub fn accept(
    sent_name: &str,
    bytes: &[u8],
    limit: u64,
) -> Result<(String, ContentType), AttachmentFault> {
    check_size(bytes.len() as u64, limit)?;
    let kind = sniff(bytes).ok_or(AttachmentFault::Unsupported)?;
    Ok((file_name(sent_name, kind), kind))
}

/// Why a note is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteFault {
    #[error("a note needs some text")]
    Blank,
    #[error("a note is at most 2000 characters")]
    TooLong,
    #[error("a note may not contain control or text-direction characters")]
    Hidden,
}

/// An internal note's text: trimmed, not blank, at most [`MAX_NOTE_CHARS`] characters, line
/// breaks and tabs allowed but no other control or direction characters.
pub fn note_text(text: &str) -> Result<&str, NoteFault> {
    let t = text.trim();
    if t.is_empty() {
        return Err(NoteFault::Blank);
    }
    if t.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err(NoteFault::Hidden);
    }
    if t.chars().count() > MAX_NOTE_CHARS {
        return Err(NoteFault::TooLong);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn types_are_told_by_their_first_bytes() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ContentType::Jpeg)
        );
        assert_eq!(sniff(PNG), Some(ContentType::Png));
        assert_eq!(sniff(b"GIF89a\x01\0"), Some(ContentType::Gif));
        assert_eq!(sniff(b"GIF87a\x01\0"), Some(ContentType::Gif));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ContentType::Webp));
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WAVEfmt "),
            None,
            "a WAV file is RIFF too"
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(ContentType::Pdf));
        assert_eq!(
            sniff("电表读数异常\r\n第二行\t完".as_bytes()),
            Some(ContentType::Text)
        );
        assert_eq!(
            sniff("\u{FEFF}with a BOM".as_bytes()),
            Some(ContentType::Text)
        );
        assert_eq!(sniff(b"MZ\x90\0\x03\0"), None, "an executable");
        assert_eq!(sniff(b"PK\x03\x04"), None, "a zip");
        assert_eq!(sniff(b"text with a NUL\0"), None);
        assert_eq!(sniff(b"\x1b[31mred"), None);
        assert_eq!(sniff(&[0xB5, 0xE7, 0xB1, 0xED]), None, "GBK is not UTF-8");
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_character_cut_by_the_window_is_still_text() {
        let mut t = "a".repeat(TEXT_SNIFF_BYTES - 1).into_bytes();
        t.extend_from_slice("电".as_bytes());
        assert_eq!(sniff(&t), Some(ContentType::Text));
        let mut bad = "a".repeat(10).into_bytes();
        bad.extend_from_slice(&"电".as_bytes()[..2]);
        assert_eq!(sniff(&bad), None, "a whole short file must be whole UTF-8");
    }

    #[test]
    fn sizes_are_held_to_the_limit() {
        assert_eq!(check_size(0, 10), Err(AttachmentFault::Empty));
        assert_eq!(check_size(10, 10), Ok(()));
        assert_eq!(
            check_size(11, 10),
            Err(AttachmentFault::TooLarge { limit: 10 })
        );
        let e = check_size(DEFAULT_MAX_BYTES + 1, DEFAULT_MAX_BYTES).unwrap_err();
        assert_eq!(e.code(), "payload_too_large");
        assert!(e.to_string().contains("10485760"), "{e}");
        assert!(e.to_string().contains("10 MB"), "{e}");
    }

    #[test]
    fn names_are_plain_lines_without_folders() {
        let png = ContentType::Png;
        assert_eq!(file_name("现场照片.png", png), "现场照片.png");
        assert_eq!(file_name("C:\\Users\\a\\电表.png", png), "电表.png");
        assert_eq!(file_name("../../etc/passwd", png), "passwd");
        assert_eq!(file_name("a\nb\u{202E}gnp.exe", png), "abgnp.exe");
        assert_eq!(file_name("  many   spaces .png ", png), "many spaces .png");
        assert_eq!(file_name("", png), "attachment.png");
        assert_eq!(file_name("..", png), "attachment.png");
        assert_eq!(file_name("dir/", ContentType::Pdf), "attachment.pdf");
        assert_eq!(file_name("\u{200B}", ContentType::Text), "attachment.txt");
        let long = format!("{}.jpeg", "长".repeat(300));
        let kept = file_name(&long, ContentType::Jpeg);
        assert_eq!(kept.chars().count(), MAX_NAME_CHARS);
        assert!(kept.ends_with("长.jpeg"), "{kept}");
    }

    #[test]
    fn a_file_is_accepted_or_refused_with_a_code() {
        assert_eq!(
            accept("p.png", PNG, 1024),
            Ok(("p.png".to_string(), ContentType::Png))
        );
        assert_eq!(
            accept("x.exe", b"MZ\x90\0", 1024).unwrap_err().code(),
            "unsupported_attachment"
        );
        assert_eq!(
            accept("p.png", PNG, 4).unwrap_err().code(),
            "payload_too_large"
        );
    }

    #[test]
    fn what_is_shown_inline() {
        assert!(ContentType::Png.inline() && ContentType::Png.is_image());
        assert!(ContentType::Pdf.inline() && !ContentType::Pdf.is_image());
        assert!(!ContentType::Text.inline());
        for c in ContentType::ALL {
            assert_eq!(ContentType::parse(c.mime()), Some(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.mime().into())
            );
        }
    }

    #[test]
    fn notes_are_plain_text_of_bounded_length() {
        assert_eq!(
            note_text("  客户电话未接通\n稍后再联系 "),
            Ok("客户电话未接通\n稍后再联系")
        );
        assert_eq!(note_text("   "), Err(NoteFault::Blank));
        assert_eq!(note_text("a\u{0}b"), Err(NoteFault::Hidden));
        assert_eq!(note_text("a\u{202E}b"), Err(NoteFault::Hidden));
        assert!(note_text(&"长".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            note_text(&"长".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteFault::TooLong)
        );
    }
}
