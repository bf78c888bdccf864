//! Plain records the store reads and writes. Enums are domain types; ids are i64.

use voltdesk_domain::trace::TraceEvent;
use voltdesk_domain::*;

#[derive(Debug, Clone)]
pub struct StationRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub policy_id: String,
}

#[derive(Debug, Clone)]
pub struct DepartmentRow {
    pub id: i64,
    pub station_id: i64,
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
}

#[derive(Debug, Clone)]
pub struct GridRow {
    pub id: i64,
    pub station_id: i64,
    pub code: String,
    pub name: String,
    pub manager_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct FeederRow {
    pub id: i64,
    pub station_id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct AreaRow {
    pub id: i64,
    pub station_id: i64,
    pub grid_id: i64,
    pub feeder_id: i64,
    pub code: String,
    pub name: String,
    pub region_class: RegionClass,
}

/// A customer as stored (unmasked: masking is the service's job).
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub id: i64,
    pub account_no: String,
    pub name: String,
    pub phone: Option<String>,
    pub phone2: Option<String>,
    pub id_number: Option<String>,
    pub address: String,
    pub usage_class: UsageClass,
    pub station_id: i64,
    pub area_id: i64,
    pub meter_id: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub care_groups: Vec<CareGroup>,
    pub segment: Segment,
    pub sensitive: bool,
    pub grid_manager_id: Option<i64>,
    pub arrears_fen: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub account_no: AccountNo,
    pub name: String,
    pub phone: Option<PhoneNumber>,
    pub phone2: Option<PhoneNumber>,
    pub id_number: Option<IdNumber>,
    pub address: String,
    pub usage_class: UsageClass,
    pub station_id: i64,
    pub area_id: i64,
    pub meter_id: Option<MeterId>,
    pub payment_method: Option<PaymentMethod>,
    pub care_groups: Vec<CareGroup>,
    pub segment: Segment,
    pub sensitive: bool,
    pub grid_manager_id: Option<i64>,
    pub arrears_fen: i64,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub station_id: Option<i64>,
    pub department_id: Option<i64>,
    pub active: bool,
    pub created_at: Millis,
    /// Locked after too many failed sign-ins, until an admin unlocks it.
    pub locked_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    /// The administrator who made this token for `user_id`; `None` for one's own token and
    /// for tokens made at the command line.
    pub issued_by: Option<i64>,
    pub scopes: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// A work order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub station_id: i64,
    pub area_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_type: OrderType,
    pub service_kind: Option<ServiceKind>,
    pub channel: Channel,
    pub subject: Option<SubjectArea>,
    pub complaint_class: Option<ComplaintClass>,
    pub severity: Severity,
    pub status: OrderStatus,
    pub title: String,
    pub description: String,
    pub contact_phone: Option<String>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub co_handlers: Vec<i64>,
    pub policy_id: String,
    pub policy_version: String,
    pub idem_key: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub closed_at: Option<Millis>,
    pub next_due_at: Option<Millis>,
    pub overdue: bool,
    pub escalated: bool,
    pub contacted: bool,
    pub replied: bool,
    pub reply_text: Option<String>,
    pub verdict: Option<Verdict>,
    pub root_cause: Option<RootCause>,
    pub satisfaction: Option<Satisfaction>,
    pub urge_count: i64,
    pub reopen_count: i64,
    pub merged_into: Option<i64>,
    pub repeat_of: Option<i64>,
    pub problem_id: Option<i64>,
}

/// A value, not a row: views show it by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    Met,
    Stopped,
}

impl ClockState {
    pub fn code(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Stopped => "stopped",
        }
    }
    pub fn parse(s: &str) -> Option<ClockState> {
        Some(match s {
            "running" => ClockState::Running,
            "paused" => ClockState::Paused,
            "met" => ClockState::Met,
            "stopped" => ClockState::Stopped,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ClockRow {
    pub id: i64,
    pub order_id: i64,
    pub kind: ClockKind,
    pub state: ClockState,
    pub limit_text: String,
    pub source: String,
    pub started_at: Millis,
    pub due_at: Millis,
    pub warn_at: Millis,
    pub paused_at: Option<Millis>,
    pub paused_ms: i64,
    pub pause_reason: Option<String>,
    pub warned_at: Option<Millis>,
    pub breached_at: Option<Millis>,
    pub stopped_at: Option<Millis>,
    pub next_fire_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct TraceRow {
    pub id: i64,
    pub at: Millis,
    pub station_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub channel: Option<String>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub kind: String,
    pub payload: serde_json::Value,
}

impl TraceRow {
    /// The typed event of the row (an unknown kind or payload is `TraceEvent::Unknown`).
    pub fn event(&self) -> TraceEvent {
        TraceEvent::decode(&self.kind, self.payload.clone())
    }
}

/// A trace event to write: who, when, about what, and the typed event.
#[derive(Debug, Clone)]
pub struct NewTrace {
    pub at: Millis,
    pub station_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub channel: Option<Channel>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub event: TraceEvent,
}

#[derive(Debug, Clone)]
pub struct EscalationRow {
    pub id: i64,
    pub order_id: i64,
    pub clock_id: Option<i64>,
    pub reason: String,
    pub to_role: String,
    pub created_at: Millis,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct ReturnVisitRow {
    pub id: i64,
    pub order_id: i64,
    pub satisfaction: Satisfaction,
    pub comment: String,
    pub actor_id: Option<i64>,
    pub at: Millis,
}

#[derive(Debug, Clone)]
pub struct ProblemRow {
    pub id: i64,
    pub station_id: i64,
    pub title: String,
    pub description: String,
    pub status: String,
    pub root_cause: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub closed_at: Option<Millis>,
    pub order_count: i64,
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub created_at: Millis,
    pub topic: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i64,
}

/// Filter, sort and page of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub station_id: Option<i64>,
    pub grid_id: Option<i64>,
    /// Orders of any of these grids (a grid manager's); empty is no filter.
    pub grid_ids: Vec<i64>,
    pub area_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Orders grouped under this problem.
    pub problem_id: Option<i64>,
    pub order_type: Option<OrderType>,
    pub channel: Option<Channel>,
    /// Ids in `[id_from, id_to]` (what an order number names).
    pub id_from: Option<i64>,
    pub id_to: Option<i64>,
    /// A `LIKE` pattern (escape `\`) over the title and the text.
    pub text_like: Option<String>,
    /// Orders the full-text index finds (title and text); with the default sort, newest
    /// first by id.
    pub text_query: Option<voltdesk_domain::search::TextQuery>,
    pub statuses: Vec<OrderStatus>,
    pub open_only: bool,
    pub overdue: Option<bool>,
    pub escalated: Option<bool>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    /// Open orders whose next deadline falls in [due_from, due_to).
    pub due_from: Option<Millis>,
    pub due_to: Option<Millis>,
    /// Orders handled again after a dissatisfied return visit (or a reopen).
    pub reopened: Option<bool>,
    pub sort: OrderSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
    /// Count at most this many matching orders (the total is then `cap + 1` or more when it
    /// says `cap + 1`); `None` counts them all. Pages past the cap always count exactly.
    pub count_cap: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrderSort {
    #[default]
    CreatedAt,
    DueAt,
    UpdatedAt,
    Id,
    /// By status code, then acceptance time.
    Status,
    /// By order type code, then acceptance time.
    Type,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub station_id: Option<i64>,
    pub area_id: Option<i64>,
    pub segment: Option<Segment>,
    pub sensitive: Option<bool>,
    /// Prefix of account number, phone or name.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}
