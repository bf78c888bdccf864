//! Service-commitment policy: which clocks run on a work order and how long each may take.
//!
//! A policy is data (`config/policy/sgcc.toml`, `config/policy/csg.toml`). Each `[[rule]]`
//! names a clock kind, where it starts, its limit, and criteria (order type, channel, service
//! kind, region class) that select the orders it applies to.

use crate::Millis;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::enums::{Channel, ClockKind, OrderType, RegionClass, ServiceKind};

/// How long a clock may run. Written `45m`, `24h`, `7d` (calendar days) or `4wd` (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Minutes(u32),
    Hours(u32),
    /// Calendar days, in wall time of the policy's time zone.
    Days(u32),
    /// Working days per the calendar (weekends and holidays skipped, make-up days counted).
    WorkingDays(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid limit `{0}`: expected a whole number followed by m, h, d or wd (e.g. 45m, 24h, 7d, 4wd)"
)]
pub struct LimitParseError(pub String);

impl Limit {
    pub fn parse(s: &str) -> Result<Self, LimitParseError> {
        let t = s.trim();
        let err = || LimitParseError(s.to_string());
        let (num, ctor): (&str, fn(u32) -> Limit) = if let Some(n) = t.strip_suffix("wd") {
            (n, Limit::WorkingDays)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, Limit::Minutes)
        } else if let Some(n) = t.strip_suffix('h') {
            (n, Limit::Hours)
        } else if let Some(n) = t.strip_suffix('d') {
            (n, Limit::Days)
        } else {
            return Err(err());
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        num.parse::<u32>().map(ctor).map_err(|_| err())
    }

    /// The number, whatever the unit.
    pub fn amount(self) -> u32 {
        match self {
            Limit::Minutes(n) | Limit::Hours(n) | Limit::Days(n) | Limit::WorkingDays(n) => n,
        }
    }

    /// The unit suffix: `m`, `h`, `d` or `wd`.
    pub fn unit(self) -> &'static str {
        match self {
            Limit::Minutes(_) => "m",
            Limit::Hours(_) => "h",
            Limit::Days(_) => "d",
            Limit::WorkingDays(_) => "wd",
        }
    }

    /// Chinese label for the UI, e.g. `45分钟`, `4个工作日`.
    pub fn zh(self) -> String {
        match self {
            Limit::Minutes(n) => format!("{n}分钟"),
            Limit::Hours(n) => format!("{n}小时"),
            Limit::Days(n) => format!("{n}天"),
            Limit::WorkingDays(n) => format!("{n}个工作日"),
        }
    }

    /// English label for the UI, e.g. `45 minutes`, `4 working days`.
    pub fn en(self) -> String {
        let (n, unit) = match self {
            Limit::Minutes(n) => (n, "minute"),
            Limit::Hours(n) => (n, "hour"),
            Limit::Days(n) => (n, "day"),
            Limit::WorkingDays(n) => (n, "working day"),
        };
        let s = if n == 1 { "" } else { "s" };
        format!("{n} {unit}{s}")
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount(), self.unit())
    }
}

impl FromStr for Limit {
    type Err = LimitParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Limit::parse(s)
    }
}

impl Serialize for Limit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl utoipa::PartialSchema for Limit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("a duration such as 24h or 4wd (working days)"))
            .into()
    }
}

impl utoipa::ToSchema for Limit {}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Limit::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The event that starts a clock.
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
#[serde(rename_all = "lowercase")]
pub enum ClockStart {
    /// When the order is accepted (受理).
    Accepted,
    /// When the crew arrives on site (restore clocks of repairs).
    Arrived,
}

impl ClockStart {
    pub fn code(self) -> &'static str {
        match self {
            ClockStart::Accepted => "accepted",
            ClockStart::Arrived => "arrived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(ClockStart::Accepted),
            "arrived" => Some(ClockStart::Arrived),
            _ => None,
        }
    }
}

impl fmt::Display for ClockStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One service commitment: a clock of `kind` with `limit`, for the orders its criteria select.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClockRule {
    pub kind: ClockKind,
    pub start: ClockStart,
    pub limit: Limit,
    pub order_type: Option<OrderType>,
    pub channel: Option<Channel>,
    pub service_kind: Option<ServiceKind>,
    pub region: Option<RegionClass>,
    /// Share of the limit after which the clock warns; `None` uses the policy's.
    pub warn_share: Option<f64>,
    /// Where the number comes from.
    pub source: String,
}

impl ClockRule {
    /// Whether every criterion this rule sets equals the corresponding fact.
    pub fn matches(&self, facts: &OrderFacts) -> bool {
        self.order_type.is_none_or(|t| t == facts.order_type)
            && self.channel.is_none_or(|c| c == facts.channel)
            && self
                .service_kind
                .is_none_or(|k| facts.service_kind == Some(k))
            && self.region.is_none_or(|r| facts.region == Some(r))
    }

    /// Number of criteria set; more means more specific.
    pub fn specificity(&self) -> usize {
        usize::from(self.order_type.is_some())
            + usize::from(self.channel.is_some())
            + usize::from(self.service_kind.is_some())
            + usize::from(self.region.is_some())
    }
}

/// What a policy needs to know about an order to pick its clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderFacts {
    pub order_type: OrderType,
    pub channel: Channel,
    pub service_kind: Option<ServiceKind>,
    pub region: Option<RegionClass>,
}

/// A utility's set of service commitments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub id: String,
    pub version: String,
    pub name: String,
    #[serde(serialize_with = "serialize_tz")]
    pub timezone: chrono_tz::Tz,
    /// Default share of a limit after which a clock warns (e.g. 0.8).
    pub warn_share: f64,
    pub rules: Vec<ClockRule>,
    /// Thresholds of the early-warning rules (`[warnings]`; defaults when absent).
    pub warnings: WarningSettings,
}

/// Thresholds of the early-warning rules, from the policy's `[warnings]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WarningSettings {
    /// The same customer on the same subject again within this many days.
    pub repeat_contact_days: i64,
    /// Complaints plus dissatisfied return visits within the window that make a customer
    /// sensitive.
    pub sensitive_count: i64,
    pub sensitive_window_days: i64,
    /// A sensitive flag is reviewed this many days after it was set.
    pub sensitive_review_days: i64,
    /// An outage longer than this is a long outage.
    pub long_outage_hours: i64,
    /// This many outages on one transformer area within the window are frequent.
    pub frequent_outages: i64,
    pub frequent_outage_days: i64,
    /// This many out-of-limit voltage readings on one area within the window.
    pub voltage_violations: i64,
    pub voltage_days: i64,
    /// Rules switched off unless a station switches them on (codes of `RuleKind`).
    pub disabled: Vec<String>,
}

impl Default for WarningSettings {
    fn default() -> Self {
        WarningSettings {
            repeat_contact_days: 30,
            sensitive_count: 2,
            sensitive_window_days: 365,
            sensitive_review_days: 90,
            long_outage_hours: 8,
            frequent_outages: 3,
            frequent_outage_days: 30,
            voltage_violations: 3,
            voltage_days: 7,
            disabled: Vec::new(),
        }
    }
}

impl WarningSettings {
    /// Whether `count` complaints and dissatisfied visits in the window make a customer
    /// sensitive.
    pub fn makes_sensitive(&self, count: i64) -> bool {
        count >= self.sensitive_count
    }

    /// Whether an earlier order on the same subject, created at `earlier`, makes a contact
    /// at `now` a repeat.
    pub fn is_repeat(&self, earlier: Millis, now: Millis) -> bool {
        now - earlier <= self.repeat_contact_days * crate::DAY_MS && earlier <= now
    }

    /// Whether an outage started at `started` and not restored by `now` is long.
    pub fn is_long_outage(&self, started: Millis, restored: Option<Millis>, now: Millis) -> bool {
        restored.unwrap_or(now) - started > self.long_outage_hours * crate::HOUR_MS
    }
}

fn serialize_tz<S: serde::Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not TOML, or a top-level key has the wrong type or is missing.
    #[error("policy TOML: {0}")]
    Toml(String),
    /// A top-level field has a bad value.
    #[error("policy field `{field}`: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// A field of the `[[rule]]` at `index` (0-based, file order) is missing or bad.
    #[error("rule[{index}] field `{field}`: {message}")]
    Rule {
        index: usize,
        field: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: String,
    version: String,
    name: String,
    timezone: String,
    warn_share: f64,
    #[serde(default)]
    rule: Vec<toml::Table>,
    #[serde(default)]
    warnings: WarningSettings,
}

const RULE_FIELDS: &[&str] = &[
    "kind",
    "start",
    "limit",
    "order_type",
    "channel",
    "service_kind",
    "region",
    "warn_share",
    "source",
];

fn share_ok(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

struct RuleReader<'a> {
    index: usize,
    table: &'a toml::Table,
}

impl RuleReader<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> PolicyError {
        PolicyError::Rule {
            index: self.index,
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn opt_str(&self, field: &str) -> Result<Option<&str>, PolicyError> {
        match self.table.get(field) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(self.err(field, format!("expected a string, found {}", v.type_str()))),
        }
    }

    fn req_str(&self, field: &str) -> Result<&str, PolicyError> {
        self.opt_str(field)?
            .ok_or_else(|| self.err(field, "missing (required)"))
    }

    fn opt_code<T>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Result<T, crate::enums::UnknownCode>,
    ) -> Result<Option<T>, PolicyError> {
        self.opt_str(field)?
            .map(|s| parse(s).map_err(|e| self.err(field, e.to_string())))
            .transpose()
    }

    fn read(&self) -> Result<ClockRule, PolicyError> {
        if let Some(k) = self
            .table
            .keys()
            .find(|k| !RULE_FIELDS.contains(&k.as_str()))
        {
            return Err(self.err(
                k,
                format!("unknown field; expected one of {}", RULE_FIELDS.join(", ")),
            ));
        }
        let kind =
            ClockKind::parse(self.req_str("kind")?).map_err(|e| self.err("kind", e.to_string()))?;
        let start_s = self.req_str("start")?;
        let start = ClockStart::parse(start_s).ok_or_else(|| {
            self.err(
                "start",
                format!("unknown start `{start_s}`; expected accepted or arrived"),
            )
        })?;
        let limit =
            Limit::parse(self.req_str("limit")?).map_err(|e| self.err("limit", e.to_string()))?;
        if limit.amount() == 0 {
            return Err(self.err("limit", format!("`{limit}` must be greater than 0")));
        }
        let order_type = self.opt_code("order_type", OrderType::parse)?;
        let channel = self.opt_code("channel", Channel::parse)?;
        let service_kind = self.opt_code("service_kind", ServiceKind::parse)?;
        let region = self.opt_code("region", RegionClass::parse)?;
        let warn_share = match self.table.get("warn_share") {
            None => None,
            Some(v) => {
                let x = match v {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(i) => *i as f64,
                    other => {
                        return Err(self.err(
                            "warn_share",
                            format!("expected a number, found {}", other.type_str()),
                        ));
                    }
                };
                if !share_ok(x) {
                    return Err(self.err(
                        "warn_share",
                        format!("{x} must be strictly between 0 and 1"),
                    ));
                }
                Some(x)
            }
        };
        let source = self.req_str("source")?.trim().to_string();
        if source.is_empty() {
            return Err(self.err("source", "must name where the number comes from"));
        }
        Ok(ClockRule {
            kind,
            start,
            limit,
            order_type,
            channel,
            service_kind,
            region,
            warn_share,
            source,
        })
    }
}

impl Policy {
    /// Parses and validates a policy file. Every error names what is wrong: a top-level
    /// field, or the rule index (0-based, file order) and its field.
    pub fn from_toml(s: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(s).map_err(|e| PolicyError::Toml(e.to_string()))?;
        for (field, value) in [("id", &raw.id), ("version", &raw.version)] {
            if value.trim().is_empty() {
                return Err(PolicyError::Field {
                    field,
                    message: "must not be empty".into(),
                });
            }
        }
        let timezone: chrono_tz::Tz = raw.timezone.parse().map_err(|_| PolicyError::Field {
            field: "timezone",
            message: format!("unknown IANA time zone `{}`", raw.timezone),
        })?;
        if !share_ok(raw.warn_share) {
            return Err(PolicyError::Field {
                field: "warn_share",
                message: format!("{} must be strictly between 0 and 1", raw.warn_share),
            });
        }
        let rules = raw
            .rule
            .iter()
            .enumerate()
            .map(|(index, table)| RuleReader { index, table }.read())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            id: raw.id,
            version: raw.version,
            name: raw.name,
            timezone,
            warn_share: raw.warn_share,
            rules,
            warnings: raw.warnings,
        })
    }

    /// Clocks that apply to an order with these facts and start point. A rule matches when
    /// every criterion it sets equals the fact (a rule with service_kind matches only that
    /// kind; region None matches all regions). When several rules of the same ClockKind
    /// match, the most specific (most criteria set) wins; ties: the first in file order.
    /// Result sorted by kind.
    pub fn rules_for(&self, facts: &OrderFacts, start: ClockStart) -> Vec<&ClockRule> {
        let mut best: std::collections::BTreeMap<ClockKind, &ClockRule> =
            std::collections::BTreeMap::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.start == start && r.matches(facts))
        {
            best.entry(rule.kind)
                .and_modify(|cur| {
                    if rule.specificity() > cur.specificity() {
                        *cur = rule;
                    }
                })
                .or_insert(rule);
        }
        best.into_values().collect()
    }

    /// The warn share for a rule: its own, else the policy's.
    pub fn warn_share_for(&self, rule: &ClockRule) -> f64 {
        rule.warn_share.unwrap_or(self.warn_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_parse_display_round_trip() {
        for (s, l) in [
            ("45m", Limit::Minutes(45)),
            ("24h", Limit::Hours(24)),
            ("7d", Limit::Days(7)),
            ("4wd", Limit::WorkingDays(4)),
        ] {
            assert_eq!(Limit::parse(s).unwrap(), l);
            assert_eq!(l.to_string(), s);
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{s}\""));
        }
        for bad in ["", "m", "45", "4 wd", "-3h", "4w", "1.5h", "99999999999m"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }

    const MINI: &str = r#"
id = "t"
version = "1"
name = "测试"
timezone = "Asia/Shanghai"
warn_share = 0.8

[[rule]]
kind = "close"
start = "accepted"
limit = "10d"
source = "generic"

[[rule]]
kind = "close"
start = "accepted"
limit = "7d"
channel = "gov_12345"
source = "channel"

[[rule]]
kind = "close"
start = "accepted"
limit = "5d"
channel = "gov_12345"
source = "channel, later tie"

[[rule]]
kind = "close"
start = "accepted"
limit = "3d"
channel = "gov_12345"
order_type = "complaint"
source = "most specific"
"#;

    fn facts(order_type: OrderType, channel: Channel) -> OrderFacts {
        OrderFacts {
            order_type,
            channel,
            service_kind: None,
            region: None,
        }
    }

    #[test]
    fn specificity_and_ties() {
        let p = Policy::from_toml(MINI).unwrap();
        let pick = |f: OrderFacts| p.rules_for(&f, ClockStart::Accepted)[0].source.clone();
        assert_eq!(pick(facts(OrderType::Opinion, Channel::Web)), "generic");
        assert_eq!(
            pick(facts(OrderType::Opinion, Channel::Gov12345)),
            "channel"
        );
        assert_eq!(
            pick(facts(OrderType::Complaint, Channel::Gov12345)),
            "most specific"
        );
        assert!(
            p.rules_for(
                &facts(OrderType::Opinion, Channel::Web),
                ClockStart::Arrived
            )
            .is_empty()
        );
    }

    #[test]
    fn rule_errors_name_index_and_field() {
        let bad = MINI.replace("limit = \"5d\"", "limit = \"0d\"");
        let e = Policy::from_toml(&bad).unwrap_err();
        assert_eq!(
            e,
            PolicyError::Rule {
                index: 2,
                field: "limit".into(),
                message: "`0d` must be greater than 0".into()
            }
        );
        let bad = MINI.replace(
            "channel = \"gov_12345\"\nsource = \"channel\"\n",
            "channel = \"12345\"\nsource = \"channel\"\n",
        );
        let e = Policy::from_toml(&bad).unwrap_err().to_string();
        assert!(
            e.contains("rule[1]") && e.contains("channel") && e.contains("12345"),
            "{e}"
        );
    }

    #[test]
    fn limits_read_as_words() {
        assert_eq!(Limit::WorkingDays(4).zh(), "4个工作日");
        assert_eq!(Limit::WorkingDays(4).en(), "4 working days");
        assert_eq!(Limit::Hours(1).en(), "1 hour");
        assert_eq!(Limit::Minutes(45).en(), "45 minutes");
    }
}
