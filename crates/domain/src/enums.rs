//! Closed sets of the domain. Each enum knows its stable code (used in the API, the
//! database and policy files) and its Chinese label (used in the UI).

use serde::{Deserialize, Serialize};

/// Error for a code that names no member of a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub value: String,
}

/// The documented schema of a closed set: a string, one of its codes.
pub fn code_schema(codes: &[&str]) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes.iter().copied()))
        .into()
}

/// "hotline_95598" → "Hotline 95598".
fn english(code: &str) -> String {
    let words = code.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const KIND: &'static str = $kind;
            /// Stable code, as stored and as spoken by the API.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            /// Chinese label for the UI.
            pub fn zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            /// English label for the UI: the code in words.
            pub fn en(self) -> String { english(self.code()) }
            pub fn parse(s: &str) -> Result<Self, UnknownCode> {
                match s { $($code => Ok($name::$variant),)+ _ => Err(UnknownCode { kind: $kind, value: s.to_string() }) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.code()) }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Self::parse(s) }
        }
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::enums::code_schema(&[$($code),+])
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

code_enum!(
    /// Where a contact came from.
    Channel, "channel" {
    Hotline95598 = "hotline_95598" / "95598电话",
    Web = "web" / "95598网站",
    App = "app" / "网上国网",
    Wechat = "wechat" / "微信",
    Sms = "sms" / "短信",
    Email = "email" / "电子邮件",
    Regulator12398 = "regulator_12398" / "12398",
    Gov12345 = "gov_12345" / "12345",
    Counter = "counter" / "营业厅",
    Social = "social" / "社交媒体",
    GridStaff = "grid_staff" / "网格走访",
    System = "system" / "系统",
});

code_enum!(
    /// 95598 business classification of a work order.
    OrderType, "order_type" {
    Repair = "repair" / "故障报修",
    Consultation = "consultation" / "业务咨询",
    ServiceRequest = "service_request" / "服务申请",
    Complaint = "complaint" / "投诉",
    Report = "report" / "举报",
    Opinion = "opinion" / "意见",
    Suggestion = "suggestion" / "建议",
    Praise = "praise" / "表扬",
});

code_enum!(
    /// Kind of a service request; it selects the service commitment that applies.
    ServiceKind, "service_kind" {
    Reconnect = "reconnect" / "欠费复电",
    ApplianceDamage = "appliance_damage" / "家电损坏",
    MeterAnomaly = "meter_anomaly" / "计量异常",
    ReadingAnomaly = "reading_anomaly" / "抄表异常",
    MeterCalibration = "meter_calibration" / "电表校验",
    NewConnectionResidential = "new_connection_residential" / "居民新装",
    NewConnectionLvNonResidential = "new_connection_lv_non_residential" / "低压非居民新装",
    NewConnectionHvSingle = "new_connection_hv_single" / "高压单电源新装",
    NewConnectionHvDual = "new_connection_hv_dual" / "高压双电源新装",
    Other = "other" / "其他",
});

code_enum!(
    /// State Grid's five complaint classes.
    ComplaintClass, "complaint_class" {
    Service = "service" / "服务",
    Business = "business" / "营业",
    Outage = "outage" / "停送电",
    SupplyQuality = "supply_quality" / "供电质量",
    GridConstruction = "grid_construction" / "电网建设",
});

code_enum!(
    /// Subject areas (seed 000).
    SubjectArea, "subject" {
    SupplyQuality = "supply_quality" / "供电质量",
    Outage = "outage" / "停电问题",
    RepairQuality = "repair_quality" / "抢修质量",
    Metering = "metering" / "电能计量",
    TariffBill = "tariff_bill" / "电价电费",
    ReadingCollection = "reading_collection" / "抄表催费",
    MeterInstallation = "meter_installation" / "装表接电",
    Expansion = "expansion" / "业扩工程",
    UsageInspection = "usage_inspection" / "用电检查",
    ServiceChannel = "service_channel" / "服务渠道",
    ServiceConduct = "service_conduct" / "服务行为",
    Integrity = "integrity" / "行风问题",
});

code_enum!(
    Severity, "severity" {
    Major = "major" / "重大",
    Serious = "serious" / "较大",
    General = "general" / "一般",
});

code_enum!(
    /// Where a work order stands in its lifecycle.
    OrderStatus, "status" {
    Accepted = "accepted" / "已受理",
    Dispatched = "dispatched" / "已派单",
    Acknowledged = "acknowledged" / "已接单",
    OnSite = "on_site" / "已到场",
    Replied = "replied" / "已回单",
    Closed = "closed" / "已归档",
    Cancelled = "cancelled" / "已撤销",
    Merged = "merged" / "已合并",
});

impl OrderStatus {
    /// Whether the order is still being worked on.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            OrderStatus::Closed | OrderStatus::Cancelled | OrderStatus::Merged
        )
    }
}

code_enum!(
    Role, "role" {
    Agent = "agent" / "话务员",
    Handler = "handler" / "工单处理人",
    GridManager = "grid_manager" / "网格客户经理",
    Crew = "crew" / "抢修人员",
    Supervisor = "supervisor" / "督办",
    Analyst = "analyst" / "分析员",
    Admin = "admin" / "管理员",
    Auditor = "auditor" / "审计员",
});

code_enum!(
    /// Region class of a transformer area; it sets repair deadlines.
    RegionClass, "region_class" {
    Urban = "urban" / "城区",
    Rural = "rural" / "农村",
    Remote = "remote" / "特殊边远",
});

code_enum!(
    UsageClass, "usage_class" {
    Residential = "residential" / "居民",
    NonResidential = "non_residential" / "非居民",
    Commercial = "commercial" / "商业",
    LargeIndustry = "large_industry" / "大工业",
    Agricultural = "agricultural" / "农业生产",
});

code_enum!(
    PaymentMethod, "payment_method" {
    BankDebit = "bank_debit" / "代扣",
    Prepaid = "prepaid" / "预存",
    App = "app" / "网上国网",
    Cash = "cash" / "现金",
});

code_enum!(
    Segment, "segment" {
    A = "A" / "A类",
    B = "B" / "B类",
    C = "C" / "C类",
    D = "D" / "D类",
});

code_enum!(
    /// Care groups (special attention households).
    CareGroup, "care_group" {
    Oxygen = "oxygen" / "吸氧老人",
    ElectricHeating = "electric_heating" / "电采暖",
    Elderly = "elderly" / "独居老人",
    Disabled = "disabled" / "残疾人",
    Medical = "medical" / "医疗设备",
});

code_enum!(
    DepartmentKind, "department_kind" {
    Marketing = "marketing" / "营销",
    Distribution = "distribution" / "配电",
    Dispatch = "dispatch" / "调控",
    Service = "service" / "客服",
});

code_enum!(
    /// What a service-commitment clock measures.
    ClockKind, "clock_kind" {
    Contact = "contact" / "联系客户",
    Arrive = "arrive" / "到达现场",
    Restore = "restore" / "恢复送电",
    Answer = "answer" / "答复",
    Close = "close" / "办结",
});

code_enum!(
    Satisfaction, "satisfaction" {
    Satisfied = "satisfied" / "满意",
    BasicallySatisfied = "basically_satisfied" / "基本满意",
    Dissatisfied = "dissatisfied" / "不满意",
});

code_enum!(
    /// Whether a complaint was found substantiated (属实).
    Verdict, "verdict" {
    Substantiated = "substantiated" / "属实",
    Unsubstantiated = "unsubstantiated" / "不属实",
});

code_enum!(
    /// Root cause of a complaint (seeds 000 and 002).
    RootCause, "root_cause" {
    ServiceQuality = "service_quality" / "服务质量",
    CompanyPolicy = "company_policy" / "公司政策",
    SupplyQuality = "supply_quality" / "供电质量",
    EnterpriseSide = "enterprise_side" / "企业方",
    CustomerSide = "customer_side" / "客户方",
    Chance = "chance" / "偶然因素",
});

code_enum!(
    /// The early-warning rules (DOMAIN.md "Early warning").
    RuleKind, "rule" {
    DeadlineNear = "deadline_near" / "时限预警",
    DeadlineMissed = "deadline_missed" / "时限超期",
    RepeatContact = "repeat_contact" / "重复来电",
    RepeatComplaint = "repeat_complaint" / "重复投诉",
    SensitiveCustomer = "sensitive_customer" / "敏感客户",
    SensitiveReview = "sensitive_review" / "敏感客户复核",
    ComplaintTendency = "complaint_tendency" / "投诉倾向",
    LongOutage = "long_outage" / "长时间停电",
    FrequentOutages = "frequent_outages" / "频繁停电",
    VoltageOutOfLimits = "voltage_out_of_limits" / "电压反复越限",
    CareInOutage = "care_in_outage" / "关爱客户停电",
    LatePlannedNotice = "late_planned_notice" / "计划停电通知不足",
});

code_enum!(
    /// What a notification in the app's bell tells its user.
    NotifyKind, "notify" {
    Assigned = "assigned" / "派给你的工单",
    Urged = "urged" / "工单被催办",
    DeadlineNear = "deadline_near" / "时限将至",
    Warning = "warning" / "给你的预警",
});

code_enum!(
    /// Where a warning stands: open, then acknowledged, then handled or dismissed.
    WarningStatus, "warning_status" {
    Open = "open" / "待处理",
    Acknowledged = "acknowledged" / "已确认",
    Handled = "handled" / "已处理",
    Dismissed = "dismissed" / "已忽略",
});

impl WarningStatus {
    /// Open and acknowledged warnings are live: a new raise of the same situation joins them.
    pub fn is_live(self) -> bool {
        matches!(self, WarningStatus::Open | WarningStatus::Acknowledged)
    }
}

code_enum!(
    /// How a call to the contact centre ended (`call::CallRecordDraft::outcome`).
    CallOutcome, "call_outcome" {
    Answered = "answered" / "接通",
    Abandoned = "abandoned" / "放弃",
    Callback = "callback" / "预约回拨",
    SelfServed = "self_served" / "自助服务",
    Refused = "refused" / "拒绝接入",
    Failed = "failed" / "失败",
});

code_enum!(
    /// Where a promised callback stands.
    CallbackStatus, "callback_status" {
    Open = "open" / "待回拨",
    Done = "done" / "已回拨",
    Cancelled = "cancelled" / "已取消",
});

code_enum!(
    /// An agent's state in the contact centre, as the switchboard reports it.
    AgentState, "agent_state" {
    LoggedOut = "logged_out" / "未签入",
    Ready = "ready" / "就绪",
    NotReady = "not_ready" / "小休",
    Offered = "offered" / "振铃中",
    Talking = "talking" / "通话中",
    WrapUp = "wrap_up" / "话后整理",
});

code_enum!(
    /// Why an agent is not ready for calls.
    NotReadyReason, "not_ready_reason" {
    Break = "break" / "休息",
    Meal = "meal" / "用餐",
    Training = "training" / "培训",
    Meeting = "meeting" / "会议",
    Other = "other" / "其他",
});

code_enum!(
    /// Where a live call is: in the voice menu, waiting in a queue, ringing an agent, talking
    /// with one, or in the agent's wrap-up after the caller hung up.
    CallStage, "call_stage" {
    Ivr = "ivr" / "自助语音",
    Queued = "queued" / "排队中",
    Ringing = "ringing" / "振铃中",
    Talking = "talking" / "通话中",
    WrapUp = "wrap_up" / "话后整理",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()).unwrap(), *c);
        }
        for s in OrderStatus::ALL {
            assert_eq!(s.code().parse::<OrderStatus>().unwrap(), *s);
        }
        assert!(OrderType::parse("nope").is_err());
    }

    #[test]
    fn serde_uses_codes() {
        assert_eq!(
            serde_json::to_string(&Channel::Regulator12398).unwrap(),
            "\"regulator_12398\""
        );
    }
}
