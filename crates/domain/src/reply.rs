//! Reply templates (canned answers): what a template may be called and say, and how its
//! placeholders are filled in for one order.
//!
//! A template's body may name the customer and the order: `{客户姓名}` or `{customer_name}`,
//! `{工单号}` or `{order_no}`. [`fill`] puts in the order's values; a placeholder it does not
//! know stays as typed, and an order without a customer's name gets a polite "客户".

use crate::values::{LineFault, plain_line};

/// The longest template name, in characters.
pub const NAME_MAX: usize = 64;
/// The longest template body, in characters.
pub const BODY_MAX: usize = 2000;

/// What stands for a customer whose name the order does not know: "尊敬的{客户姓名}" reads
/// "尊敬的客户".
pub const NAME_FALLBACK: &str = "客户";

/// The placeholders a body may use: the Chinese and the English spelling of each.
pub const PLACEHOLDERS: &[(Placeholder, &str, &str)] = &[
    (Placeholder::CustomerName, "{客户姓名}", "{customer_name}"),
    (Placeholder::OrderNo, "{工单号}", "{order_no}"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    CustomerName,
    OrderNo,
}

/// Why a template's name or body is refused; `field` names the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateFault {
    #[error("1 to 64 visible characters on one line, without control or text-direction characters")]
    Name(LineFault),
    #[error("1 to 2000 characters, without control or text-direction characters")]
    Body,
}

impl TemplateFault {
    /// The input it concerns, as the API names it.
    pub fn field(self) -> &'static str {
        match self {
            TemplateFault::Name(_) => "name",
            TemplateFault::Body => "body",
        }
    }
}

/// A template's name: a plain visible line of at most [`NAME_MAX`] characters, trimmed.
pub fn template_name(s: &str) -> Result<&str, TemplateFault> {
    plain_line(s, NAME_MAX).map_err(TemplateFault::Name)
}

/// A template's body as kept: line breaks as `\n`, surrounding blank space trimmed, 1 to
/// [`BODY_MAX`] characters, tabs and line breaks the only control characters, and no
/// direction override (which would reorder what the customer reads).
pub fn template_body(s: &str) -> Result<String, TemplateFault> {
    let t = s.replace("\r\n", "\n").replace('\r', "\n");
    let t = t.trim();
    let hidden = t.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    });
    let n = t.chars().count();
    if hidden || n == 0 || n > BODY_MAX {
        return Err(TemplateFault::Body);
    }
    Ok(t.to_string())
}

/// The order a template is filled in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillIn<'a> {
    /// The customer's name; `None` (or blank) when the order has no identified customer.
    pub customer_name: Option<&'a str>,
    pub order_no: &'a str,
}

fn placeholder(key: &str) -> Option<Placeholder> {
    PLACEHOLDERS
        .iter()
        .find(|(_, zh, en)| &zh[1..zh.len() - 1] == key || &en[1..en.len() - 1] == key)
        .map(|(p, _, _)| *p)
}

/// The body with its placeholders filled in for one order. Anything in braces that is not a
/// placeholder, and a brace never closed, stays as typed.
pub fn fill(body: &str, order: FillIn<'_>) -> String {
    let name = order
        .customer_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(NAME_FALLBACK);
    let mut out = String::with_capacity(body.len() + 16);
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let key = after.find('}').map(|close| (&after[..close], close));
        match key.and_then(|(k, close)| placeholder(k).map(|p| (p, close))) {
            Some((p, close)) => {
                out.push_str(match p {
                    Placeholder::CustomerName => name,
                    Placeholder::OrderNo => order.order_no,
                });
                rest = &after[close + 1..];
            }
            // Not a placeholder: the brace as typed, and on from the next character (a
            // placeholder may start right after it, as in `{{工单号}}`).
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, name: Option<&str>, want: &str) {
        let got = fill(
            body,
            FillIn {
                customer_name: name,
                order_no: "GD202611200042",
            },
        );
        assert_eq!(got, want, "{body:?} for {name:?}");
    }

    #[test]
    fn placeholders_are_filled_in_both_spellings() {
        check(
            "尊敬的{客户姓名}，您的工单{工单号}已受理。",
            Some("张三"),
            "尊敬的张三，您的工单GD202611200042已受理。",
        );
        check(
            "Dear {customer_name}, order {order_no}; again {order_no}.",
            Some("张三"),
            "Dear 张三, order GD202611200042; again GD202611200042.",
        );
        check("{客户姓名}{工单号}", Some("李四"), "李四GD202611200042");
    }

    #[test]
    fn a_missing_name_reads_politely() {
        check("尊敬的{客户姓名}，您好", None, "尊敬的客户，您好");
        check("尊敬的{客户姓名}，您好", Some("  "), "尊敬的客户，您好");
    }

    #[test]
    fn what_is_not_a_placeholder_stays_as_typed() {
        check("请于{日期}前缴费", Some("张三"), "请于{日期}前缴费");
        check("{ 客户姓名 }", Some("张三"), "{ 客户姓名 }");
        check("未闭合的{客户姓名", Some("张三"), "未闭合的{客户姓名");
        check("{{客户姓名}}", Some("张三"), "{张三}");
        check("}{", Some("张三"), "}{");
        check("", Some("张三"), "");
        check("{}", Some("张三"), "{}");
        // A name that looks like a placeholder is not filled in again.
        check(
            "{客户姓名}，{工单号}",
            Some("{工单号}"),
            "{工单号}，GD202611200042",
        );
    }

    #[test]
    fn names_are_plain_lines() {
        assert_eq!(template_name("  停电致歉 "), Ok("停电致歉"));
        assert_eq!(
            template_name(""),
            Err(TemplateFault::Name(LineFault::Blank))
        );
        assert_eq!(
            template_name(&"长".repeat(65)),
            Err(TemplateFault::Name(LineFault::TooLong))
        );
        assert!(template_name(&"长".repeat(64)).is_ok());
        assert_eq!(
            template_name("a\nb"),
            Err(TemplateFault::Name(LineFault::Hidden))
        );
        assert_eq!(TemplateFault::Name(LineFault::Blank).field(), "name");
    }

    #[test]
    fn bodies_keep_their_lines_within_the_limit() {
        assert_eq!(
            template_body(" 第一行\r\n第二行\n "),
            Ok("第一行\n第二行".into())
        );
        assert_eq!(template_body("   \n "), Err(TemplateFault::Body));
        assert_eq!(
            template_body(&"字".repeat(BODY_MAX)).map(|b| b.chars().count()),
            Ok(BODY_MAX)
        );
        assert_eq!(
            template_body(&"字".repeat(BODY_MAX + 1)),
            Err(TemplateFault::Body)
        );
        assert_eq!(template_body("a\u{0}b"), Err(TemplateFault::Body));
        assert_eq!(template_body("a\u{202E}b"), Err(TemplateFault::Body));
        assert!(template_body("列\t对齐").is_ok());
        assert_eq!(TemplateFault::Body.field(), "body");
    }
}
