//! Chinese speech from recorded clips: digit strings, whole numbers, amounts of money and
//! times read the way a 95598 voice reads them, as lists of clip names. The telephony layer
//! plays one WAV file per clip name; [`ALL_CLIPS`] gives the Chinese text of each, from which
//! a script can record or synthesise the files (`clip_texts`).
//!
//! Reading rules:
//! - digit strings (`say_digits`: phone, order and account numbers) read each digit, and 1
//!   as 幺 (`d1_yao`), as telephone operators do so that 1 is not heard as 7; `One::Yi` reads
//!   it 一. Anything but a digit is skipped: an order number's `GD` is not spoken;
//! - numbers (`say_number`) use 十/百/千/万 with one 零 for any run of zeros inside
//!   (1005 一千零五, 10010 一万零一十), 十 rather than 一十 at the very start (15 十五,
//!   100000 十万) and 一十 inside (110 一百一十), 两 before 千 and for exactly two 万
//!   (2000 两千, 20000 两万, but 200 二百 and 120000 十二万);
//! - amounts (`say_amount`) in 元, 角 and 分, a 零 for missing 角 between 元 and 分
//!   (1205.05 一千二百零五元零五分), no 整; the sign is the caller's business;
//! - times (`say_time`) as day word, part of the day, hour on the 12-hour clock and minutes
//!   (明天下午3点30分 → 明天 下午 三 点 三十 分), 两点 for 2 o'clock.
//!
//! Pure: no clock is read; `now` is passed in.

use chrono::{Datelike, FixedOffset, Timelike};

use crate::Millis;

/// China Standard Time, UTC+8 (no daylight saving).
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

/// The largest number `say_number` reads in words (九千九百九十九万九千九百九十九); larger
/// ones are read digit by digit.
pub const MAX_NUMBER: u64 = 99_999_999;

/// Every clip the speech functions and the IVR's built-in nodes can produce, with its
/// Chinese text. A flow's own prompts (welcome, menus) are in its `[prompts]` table.
pub const ALL_CLIPS: &[(&str, &str)] = &[
    // Digits of a digit string (phone, order and account numbers).
    ("d0", "零"),
    ("d1", "一"),
    ("d1_yao", "幺"),
    ("d2", "二"),
    ("d3", "三"),
    ("d4", "四"),
    ("d5", "五"),
    ("d6", "六"),
    ("d7", "七"),
    ("d8", "八"),
    ("d9", "九"),
    // Numbers.
    ("n_0", "零"),
    ("n_1", "一"),
    ("n_2", "二"),
    ("n_liang", "两"),
    ("n_3", "三"),
    ("n_4", "四"),
    ("n_5", "五"),
    ("n_6", "六"),
    ("n_7", "七"),
    ("n_8", "八"),
    ("n_9", "九"),
    ("n_10", "十"),
    ("unit_bai", "百"),
    ("unit_qian", "千"),
    ("unit_wan", "万"),
    // Money.
    ("yuan", "元"),
    ("jiao", "角"),
    ("fen", "分"),
    // Time.
    ("yesterday", "昨天"),
    ("today", "今天"),
    ("tomorrow", "明天"),
    ("day_after_tomorrow", "后天"),
    ("month", "月"),
    ("day", "日"),
    ("early_morning", "凌晨"),
    ("morning", "上午"),
    ("noon", "中午"),
    ("afternoon", "下午"),
    ("evening", "晚上"),
    ("oclock", "点"),
    ("minute", "分"),
    // Phrases of the IVR's built-in nodes (`ivr`).
    ("invalid_input", "您的输入有误，请重新输入。"),
    ("outage_planned", "您所在的区域正在进行计划停电检修，"),
    ("outage_temporary", "您所在的区域正在进行临时停电检修，"),
    (
        "outage_fault",
        "您所在的区域发生故障停电，抢修人员正在全力处理，",
    ),
    ("outage_restore_at", "预计恢复供电时间为"),
    ("outage_restore_soon", "预计很快恢复供电"),
    ("outage_restore_unknown", "恢复供电时间正在确定中"),
    ("outage_apology", "，给您带来不便，敬请谅解。"),
    ("no_outage_known", "目前没有查询到您所在区域的停电信息。"),
    (
        "outage_area_unknown",
        "未能确定您的用电地址，暂时无法查询停电信息。",
    ),
    ("balance_is", "您的账户余额为"),
    ("balance_overdrawn", "您的账户已透支"),
    ("arrears_is", "，当前欠费"),
    ("arrears_pay", "，请您及时缴纳电费。"),
    ("no_arrears", "，目前没有欠费。"),
    ("balance_unavailable", "未能查询到您的账户信息。"),
    ("repair_created", "您的报修已受理，工单号为"),
    ("repair_created_end", "。抢修人员将尽快与您联系。"),
    ("repair_failed", "报修登记未能完成。"),
    ("queue_position", "您前面还有"),
    ("queue_position_after", "位客户在等待，请您耐心等候。"),
    ("recording_notice", "为了提高服务质量，您的通话可能被录音。"),
];

/// The Chinese text of a clip, `None` for a name that is no clip.
pub fn clip_text(name: &str) -> Option<&'static str> {
    ALL_CLIPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Whether `name` is one of [`ALL_CLIPS`].
pub fn is_clip(name: &str) -> bool {
    clip_text(name).is_some()
}

/// Every clip name with its text, in table order.
pub fn clip_texts() -> impl Iterator<Item = (&'static str, &'static str)> {
    ALL_CLIPS.iter().copied()
}

/// How the digit 1 is read in a digit string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum One {
    /// 幺, the telephone reading (`d1_yao`).
    Yao,
    /// 一 (`d1`).
    Yi,
}

const DIGIT_CLIPS: [&str; 10] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"];
const NUMBER_CLIPS: [&str; 10] = [
    "n_0", "n_1", "n_2", "n_3", "n_4", "n_5", "n_6", "n_7", "n_8", "n_9",
];

/// Each digit of `s`, 1 read as 幺; any other character is skipped.
pub fn say_digits(s: &str) -> Vec<&'static str> {
    say_digits_as(s, One::Yao)
}

/// Each digit of `s` with the given reading of 1; any other character is skipped.
pub fn say_digits_as(s: &str, one: One) -> Vec<&'static str> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| match (b, one) {
            (b'1', One::Yao) => "d1_yao",
            _ => DIGIT_CLIPS[usize::from(b - b'0')],
        })
        .collect()
}

/// A whole number in words, up to [`MAX_NUMBER`]; a larger one digit by digit (1 as 一).
pub fn say_number(n: u64) -> Vec<&'static str> {
    if n > MAX_NUMBER {
        return say_digits_as(&n.to_string(), One::Yi);
    }
    if n == 0 {
        return vec!["n_0"];
    }
    let mut out = Vec::new();
    let (wan, rest) = (n / 10_000, n % 10_000);
    if wan > 0 {
        if wan == 2 {
            out.push("n_liang");
        } else {
            section(wan, true, &mut out);
        }
        out.push("unit_wan");
        if rest > 0 && rest < 1000 {
            out.push("n_0");
        }
    }
    if rest > 0 {
        section(rest, wan == 0, &mut out);
    }
    out
}

/// Reads 1..=9999. `leading`: nothing was said before, so 1x reads 十x, not 一十x.
fn section(n: u64, leading: bool, out: &mut Vec<&'static str>) {
    const UNITS: [Option<&str>; 4] = [Some("unit_qian"), Some("unit_bai"), Some("n_10"), None];
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut zero_pending = false;
    for (i, d) in digits.into_iter().enumerate() {
        if d == 0 {
            zero_pending = started;
            continue;
        }
        if zero_pending {
            out.push("n_0");
            zero_pending = false;
        }
        let ten_alone = i == 2 && d == 1 && leading && !started;
        if !ten_alone {
            out.push(if i == 0 && d == 2 {
                "n_liang"
            } else {
                NUMBER_CLIPS[d as usize]
            });
        }
        out.extend(UNITS[i]);
        started = true;
    }
}

/// An amount of money given in fen, read in 元, 角 and 分; the sign is ignored (whether the
/// amount is owed is for the sentence around it to say). Zero is 零元.
pub fn say_amount(fen: i64) -> Vec<&'static str> {
    let abs = fen.unsigned_abs();
    let (yuan, jiao, fen) = (abs / 100, abs / 10 % 10, abs % 10);
    if abs == 0 {
        return vec!["n_0", "yuan"];
    }
    let mut out = Vec::new();
    if yuan > 0 {
        out.extend(say_number(yuan));
        out.push("yuan");
    }
    if jiao > 0 {
        out.extend([NUMBER_CLIPS[jiao as usize], "jiao"]);
    } else if fen > 0 && yuan > 0 {
        out.push("n_0");
    }
    if fen > 0 {
        out.extend([NUMBER_CLIPS[fen as usize], "fen"]);
    }
    out
}

/// An instant as wall time in `offset`, relative to `now`: 昨天/今天/明天/后天 or the month
/// and day, the part of the day (凌晨 0–6, 上午 6–12, 中午 12–13, 下午 13–18, 晚上 18–24),
/// the hour on the 12-hour clock (凌晨零点 for midnight) and the minutes when not zero
/// (3点05分 reads 三点零五分). An instant outside chrono's range says nothing.
pub fn say_time(at: Millis, now: Millis, offset: FixedOffset) -> Vec<&'static str> {
    let local =
        |t: Millis| chrono::DateTime::from_timestamp_millis(t).map(|d| d.with_timezone(&offset));
    let (Some(at_local), Some(now_local)) = (local(at), local(now)) else {
        return Vec::new();
    };
    let days = i64::from(at_local.num_days_from_ce()) - i64::from(now_local.num_days_from_ce());
    let mut out = Vec::new();
    match days {
        -1 => out.push("yesterday"),
        0 => out.push("today"),
        1 => out.push("tomorrow"),
        2 => out.push("day_after_tomorrow"),
        _ => {
            out.extend(say_number(u64::from(at_local.month())));
            out.push("month");
            out.extend(say_number(u64::from(at_local.day())));
            out.push("day");
        }
    }
    let hour = at_local.hour();
    out.push(match hour {
        0..6 => "early_morning",
        6..12 => "morning",
        12..13 => "noon",
        13..18 => "afternoon",
        _ => "evening",
    });
    let hour12 = if hour > 12 { hour - 12 } else { hour };
    if hour12 == 2 {
        out.push("n_liang");
    } else {
        out.extend(say_number(u64::from(hour12)));
    }
    out.push("oclock");
    let minute = at_local.minute();
    if minute > 0 {
        if minute < 10 {
            out.push("n_0");
        }
        out.extend(say_number(u64::from(minute)));
        out.push("minute");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the clips back as text, so that a test states the Chinese it expects.
    fn text(clips: &[&str]) -> String {
        clips
            .iter()
            .map(|c| clip_text(c).unwrap_or_else(|| panic!("unknown clip {c}")))
            .collect()
    }

    fn check_amount(fen: i64, expected: &str) {
        assert_eq!(text(&say_amount(fen)), expected, "{fen} fen");
    }

    fn check_number(n: u64, expected: &str) {
        assert_eq!(text(&say_number(n)), expected, "{n}");
    }

    #[test]
    fn clip_names_are_unique_and_file_safe() {
        let mut names: Vec<&str> = ALL_CLIPS.iter().map(|(n, _)| *n).collect();
        assert!(names.iter().all(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a clip name appears twice");
        assert!(ALL_CLIPS.iter().all(|(_, t)| !t.is_empty()));
        assert_eq!(clip_text("unit_wan"), Some("万"));
        assert_eq!(clip_text("welcome"), None);
        assert_eq!(clip_texts().count(), ALL_CLIPS.len());
    }

    #[test]
    fn digits_read_one_by_one() {
        assert_eq!(say_digits("95598"), ["d9", "d5", "d5", "d9", "d8"]);
        assert_eq!(say_digits("110"), ["d1_yao", "d1_yao", "d0"]);
        assert_eq!(say_digits_as("110", One::Yi), ["d1", "d1", "d0"]);
        assert_eq!(say_digits("GD-20#1"), ["d2", "d0", "d1_yao"]);
        assert!(say_digits("").is_empty());
        assert_eq!(text(&say_digits("12398")), "幺二三九八");
    }

    #[test]
    fn numbers_in_words() {
        for (n, zh) in [
            (0, "零"),
            (1, "一"),
            (2, "二"),
            (10, "十"),
            (11, "十一"),
            (15, "十五"),
            (20, "二十"),
            (99, "九十九"),
            (100, "一百"),
            (101, "一百零一"),
            (110, "一百一十"),
            (115, "一百一十五"),
            (200, "二百"),
            (1000, "一千"),
            (1005, "一千零五"),
            (1010, "一千零一十"),
            (1205, "一千二百零五"),
            (2000, "两千"),
            (2222, "两千二百二十二"),
            (10000, "一万"),
            (10010, "一万零一十"),
            (10100, "一万零一百"),
            (11000, "一万一千"),
            (20000, "两万"),
            (22000, "两万两千"),
            (100000, "十万"),
            (100100, "十万零一百"),
            (120000, "十二万"),
            (1000000, "一百万"),
            (1100000, "一百一十万"),
            (1001000, "一百万一千"),
            (10000001, "一千万零一"),
            (20000000, "两千万"),
            (99_999_999, "九千九百九十九万九千九百九十九"),
        ] {
            check_number(n, zh);
        }
        assert_eq!(
            say_number(100_000_000),
            ["d1", "d0", "d0", "d0", "d0", "d0", "d0", "d0", "d0"]
        );
    }

    #[test]
    fn amounts_in_yuan_jiao_fen() {
        for (fen, zh) in [
            (0, "零元"),
            (5, "五分"),
            (30, "三角"),
            (35, "三角五分"),
            (100, "一元"),
            (1000, "十元"),
            (1500, "十五元"),
            (10000, "一百元"),
            (10100, "一百零一元"),
            (100000, "一千元"),
            (100500, "一千零五元"),
            (120530, "一千二百零五元三角"),
            (120505, "一千二百零五元零五分"),
            (120535, "一千二百零五元三角五分"),
            (1001000, "一万零一十元"),
            (10000000, "十万元"),
            (100000005, "一百万元零五分"),
            (-120530, "一千二百零五元三角"),
        ] {
            check_amount(fen, zh);
        }
        // i64::MIN has no positive counterpart in i64; it must still be read.
        assert!(say_amount(i64::MIN).iter().all(|c| is_clip(c)));
    }

    // 2026-11-20 00:00 in Beijing, in UTC epoch ms.
    const DAY0: Millis = 1_795_104_000_000;
    const HOUR: i64 = crate::HOUR_MS;
    const MINUTE: i64 = crate::MINUTE_MS;

    fn days(n: i64) -> i64 {
        n * crate::DAY_MS
    }

    fn check_time(at: Millis, now: Millis, expected: &str) {
        assert_eq!(text(&say_time(at, now, BEIJING)), expected);
    }

    #[test]
    fn times_relative_to_now() {
        assert_eq!(crate::outage::local_time(DAY0), "2026-11-20 00:00");
        let now = DAY0 + 9 * HOUR;
        check_time(DAY0 + 15 * HOUR + 30 * MINUTE, now, "今天下午三点三十分");
        assert_eq!(
            say_time(DAY0 + 15 * HOUR + 30 * MINUTE, now, BEIJING),
            [
                "today",
                "afternoon",
                "n_3",
                "oclock",
                "n_3",
                "n_10",
                "minute"
            ]
        );
        check_time(DAY0 + days(1) + 14 * HOUR, now, "明天下午两点");
        check_time(
            DAY0 + days(1) + 2 * HOUR + 5 * MINUTE,
            now,
            "明天凌晨两点零五分",
        );
        check_time(
            DAY0 + days(2) + 10 * HOUR + 10 * MINUTE,
            now,
            "后天上午十点十分",
        );
        check_time(DAY0 - days(1) + 20 * HOUR, now, "昨天晚上八点");
        check_time(DAY0 + 12 * HOUR + 15 * MINUTE, now, "今天中午十二点十五分");
        check_time(DAY0 + 30 * MINUTE, now, "今天凌晨零点三十分");
        check_time(DAY0 + days(5) + 8 * HOUR, now, "十一月二十五日上午八点");
        check_time(DAY0 + days(12) + 18 * HOUR, now, "十二月二日晚上六点");
    }

    #[test]
    fn the_day_turns_at_local_midnight() {
        // 23:59 and 00:01 Beijing time are on different days though 2 minutes apart.
        let late = DAY0 - MINUTE;
        check_time(DAY0 + MINUTE, late, "明天凌晨零点零一分");
        check_time(late, DAY0 + MINUTE, "昨天晚上十一点五十九分");
    }

    #[test]
    fn out_of_range_time_says_nothing() {
        assert!(say_time(i64::MAX, 0, BEIJING).is_empty());
        assert!(say_time(0, i64::MIN, BEIJING).is_empty());
    }
}
