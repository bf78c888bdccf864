//! What the service shows: view types it owns, built from the store's rows. The rows are
//! the schema and never reach JSON; a view names each field a client sees, so a column added
//! to a table is not published by accident, and a secret (a password hash) has no field here
//! to travel in. Every view derives its OpenAPI schema (`ToSchema`).

use serde::Serialize;
use utoipa::ToSchema;
use voltdesk_domain::outage::{CareTaskKind, OutageKind};
use voltdesk_domain::*;
use voltdesk_store as store;

/// A view with the same fields as a row, taken from it by value.
/// With `then f`, the view passes through `f` (masking personal fields) on its way out.
macro_rules! view {
    ($(#[$m:meta])* $view:ident from $row:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        view!($(#[$m])* $view from $row { $($(#[$fm])* $f: $t),* } then std::convert::identity);
    };
    ($(#[$m:meta])* $view:ident from $row:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? } then $then:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
        pub struct $view { $($(#[$fm])* pub $f: $t),* }

        impl From<store::$row> for $view {
            fn from(r: store::$row) -> Self {
                $then($view { $($f: r.$f),* })
            }
        }
    };
}

/// An order's contact phone is personal data like a customer's phone: masked in every view
/// (JSON, exports, pages), for every role. The stored number stays for the notices.
fn mask_order(mut o: OrderDetail) -> OrderDetail {
    o.contact_phone = o.contact_phone.map(|p| mask_phone(&p));
    o
}

view!(
    /// The API view of a `StationRow`.
    StationView from StationRow {
    id: i64,
    code: String,
    name: String,
    policy_id: String,
    }
);

view!(
    /// The API view of a `DepartmentRow`.
    DepartmentView from DepartmentRow {
    id: i64,
    station_id: i64,
    code: String,
    name: String,
    kind: DepartmentKind,
    }
);

view!(
    /// The API view of a `GridRow`.
    GridView from GridRow {
    id: i64,
    station_id: i64,
    code: String,
    name: String,
    manager_id: Option<i64>,
    }
);

view!(
    /// The API view of a `FeederRow`.
    FeederView from FeederRow {
    id: i64,
    station_id: i64,
    code: String,
    name: String,
    }
);

view!(
    /// The API view of a `AreaRow`.
    AreaView from AreaRow {
    id: i64,
    station_id: i64,
    grid_id: i64,
    feeder_id: i64,
    code: String,
    name: String,
    region_class: RegionClass,
    }
);

view!(
    /// A user as the API shows it: there is no password hash to leak.
    UserView from UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: Role,
    station_id: Option<i64>,
    department_id: Option<i64>,
    active: bool,
    created_at: Millis,
    locked_at: Option<Millis>,
    }
);

view!(
    /// The API view of a `TokenRow`.
    TokenView from TokenRow {
    id: i64,
    name: String,
    user_id: i64,
    /// The administrator who made the token for `user_id` and in whose name its acts are traced.
    issued_by: Option<i64>,
    scopes: String,
    created_at: Millis,
    expires_at: Option<Millis>,
    revoked_at: Option<Millis>,
    }
);

view!(
    /// A reply template (canned answer) as the API shows it.
    ReplyTemplateView from ReplyTemplateRow {
    id: i64,
    name: String,
    /// The subject it is offered for; absent (`null`): orders of any subject.
    subject: Option<SubjectArea>,
    /// The words, with placeholders such as `{客户姓名}` and `{工单号}` unfilled.
    body: String,
    /// Offered on the order page; a disabled template is kept but not offered.
    active: bool,
    updated_by: Option<i64>,
    updated_by_name: String,
    updated_at: Millis,
    }
);

view!(
    /// A saved filter of the orders list: open `/orders?{query}` to apply it.
    SavedFilterView from SavedFilterRow {
    id: i64,
    name: String,
    /// The list's filters, e.g. `status=dispatched&overdue=true`.
    query: String,
    created_at: Millis,
    updated_at: Millis,
    }
);

view!(
    /// A work order's own fields, as the API shows them (`OrderView` adds its number and clocks).
    OrderDetail from OrderRow {
    id: i64,
    station_id: i64,
    area_id: Option<i64>,
    grid_id: Option<i64>,
    customer_id: Option<i64>,
    order_type: OrderType,
    service_kind: Option<ServiceKind>,
    channel: Channel,
    subject: Option<SubjectArea>,
    complaint_class: Option<ComplaintClass>,
    severity: Severity,
    status: OrderStatus,
    title: String,
    description: String,
    contact_phone: Option<String>,
    department_id: Option<i64>,
    assignee_id: Option<i64>,
    co_handlers: Vec<i64>,
    policy_id: String,
    policy_version: String,
    idem_key: Option<String>,
    created_by: Option<i64>,
    created_at: Millis,
    updated_at: Millis,
    closed_at: Option<Millis>,
    next_due_at: Option<Millis>,
    overdue: bool,
    escalated: bool,
    contacted: bool,
    replied: bool,
    reply_text: Option<String>,
    verdict: Option<Verdict>,
    root_cause: Option<RootCause>,
    satisfaction: Option<Satisfaction>,
    urge_count: i64,
    reopen_count: i64,
    merged_into: Option<i64>,
    repeat_of: Option<i64>,
    problem_id: Option<i64>,
    } then mask_order
);

view!(
    /// A service-commitment clock's own fields (`ClockView` adds the time left).
    ClockDetail from ClockRow {
    id: i64,
    order_id: i64,
    kind: ClockKind,
    #[schema(value_type = String)]
    state: store::ClockState,
    limit_text: String,
    source: String,
    started_at: Millis,
    due_at: Millis,
    warn_at: Millis,
    paused_at: Option<Millis>,
    paused_ms: i64,
    pause_reason: Option<String>,
    warned_at: Option<Millis>,
    breached_at: Option<Millis>,
    stopped_at: Option<Millis>,
    next_fire_at: Option<Millis>,
    }
);

view!(
    /// One trace event as the API shows it.
    TraceView from TraceRow {
    id: i64,
    at: Millis,
    station_id: Option<i64>,
    customer_id: Option<i64>,
    order_id: Option<i64>,
    channel: Option<String>,
    actor_id: Option<i64>,
    actor: String,
    kind: String,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    }
);

view!(
    /// The API view of a `EscalationRow`.
    EscalationView from EscalationRow {
    id: i64,
    order_id: i64,
    clock_id: Option<i64>,
    reason: String,
    to_role: String,
    created_at: Millis,
    acknowledged_by: Option<i64>,
    acknowledged_at: Option<Millis>,
    }
);

view!(
    /// The API view of a `ReturnVisitRow`.
    ReturnVisitView from ReturnVisitRow {
    id: i64,
    order_id: i64,
    satisfaction: Satisfaction,
    comment: String,
    actor_id: Option<i64>,
    at: Millis,
    }
);

view!(
    /// The API view of a `ProblemRow`.
    ProblemView from ProblemRow {
    id: i64,
    station_id: i64,
    title: String,
    description: String,
    status: String,
    root_cause: Option<String>,
    created_by: Option<i64>,
    created_at: Millis,
    closed_at: Option<Millis>,
    order_count: i64,
    }
);

view!(
    /// The API view of a `OutboxRow`.
    OutboxView from OutboxRow {
    id: i64,
    created_at: Millis,
    topic: String,
    kind: String,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    status: String,
    attempts: i64,
    }
);

view!(
    /// An early warning as the API shows it.
    WarningView from WarningRow {
    id: i64,
    rule: String,
    severity: String,
    station_id: Option<i64>,
    subject_kind: String,
    subject_id: i64,
    customer_id: Option<i64>,
    order_id: Option<i64>,
    area_id: Option<i64>,
    owner_role: String,
    owner_id: Option<i64>,
    dedup_key: String,
    title: String,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    status: String,
    occurrences: i64,
    raised_at: Millis,
    last_seen_at: Millis,
    trace_id: Option<i64>,
    acknowledged_at: Option<Millis>,
    acknowledged_by: Option<i64>,
    closed_at: Option<Millis>,
    closed_by: Option<i64>,
    close_reason: Option<String>,
    }
);

impl WarningView {
    /// The title as data (`warning::with_words`), for a page in another language.
    pub fn words(&self) -> Option<&serde_json::Value> {
        self.detail.get("words")
    }
}

view!(
    /// An outage's own fields.
    OutageDetail from OutageRow {
    id: i64,
    station_id: i64,
    kind: OutageKind,
    feeder_id: Option<i64>,
    area_id: Option<i64>,
    cause: String,
    started_at: Millis,
    expected_restore_at: Option<Millis>,
    restored_at: Option<Millis>,
    /// When the fault itself was repaired; may come after `restored_at` (restore first).
    repaired_at: Option<Millis>,
    /// When the customers were told in advance (planned and temporary outages).
    notified_at: Option<Millis>,
    affected_customers: i64,
    created_at: Millis,
    }
);

view!(
    /// The API view of a `CarePlanRow`.
    CarePlanView from CarePlanRow {
    customer_id: i64,
    plan: String,
    /// Whom to call (a relative, a neighbour), if not the customer's own phone.
    contact_phone: Option<String>,
    updated_at: Millis,
    updated_by: Option<i64>,
    }
);

view!(
    /// The API view of a `CareTaskRow`.
    CareTaskDetail from CareTaskRow {
    id: i64,
    customer_id: i64,
    outage_id: i64,
    grid_id: Option<i64>,
    assignee_id: Option<i64>,
    kind: CareTaskKind,
    due_at: Millis,
    /// `open` or `done`.
    status: String,
    note: Option<String>,
    created_at: Millis,
    done_at: Option<Millis>,
    done_by: Option<i64>,
    customer_name: String,
    account_no: String,
    phone: Option<String>,
    address: String,
    /// Comma-separated care group codes.
    care_groups: String,
    area_id: i64,
    outage_kind: OutageKind,
    outage_started_at: Millis,
    outage_expected_restore_at: Option<Millis>,
    outage_restored_at: Option<Millis>,
    plan: Option<String>,
    plan_contact_phone: Option<String>,
    }
);

view!(
    /// The API view of a `DemandRow`.
    DemandView from DemandRow {
    id: i64,
    grid_id: i64,
    customer_id: Option<i64>,
    title: String,
    detail: String,
    /// `open` or `closed`.
    status: String,
    created_at: Millis,
    created_by: Option<i64>,
    closed_at: Option<Millis>,
    closed_by: Option<i64>,
    resolution: Option<String>,
    }
);

view!(
    /// The API view of a `OutboxItem`.
    OutboxItemView from OutboxItem {
    id: i64,
    created_at: Millis,
    topic: String,
    kind: String,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// `pending`, `delivered` or `dead`.
    status: String,
    /// Attempts started so far (a claim counts one).
    attempts: i64,
    next_attempt_at: Millis,
    last_error: Option<String>,
    delivered_at: Option<Millis>,
    dead_at: Option<Millis>,
    }
);

view!(
    /// The API view of a `NoticeTemplate`.
    NoticeTemplateView from NoticeTemplate {
    kind: String,
    channel: String,
    lang: String,
    body: String,
    updated_at: Millis,
    updated_by: String,
    }
);

view!(
    /// The API view of a `AreaMonthVoltage`.
    AreaMonthVoltageView from AreaMonthVoltage {
    area_id: i64,
    month: i64,
    minutes: f64,
    above: f64,
    below: f64,
    readings: i64,
    violations: i64,
    }
);

view!(
    /// The API view of a `InterruptionRow`.
    InterruptionView from InterruptionRow {
    id: i64,
    station_id: i64,
    kind: String,
    feeder_id: Option<i64>,
    area_id: Option<i64>,
    cause: String,
    started_at: Millis,
    restored_at: Option<Millis>,
    affected_customers: i64,
    }
);

view!(
    /// The API view of a `DayCounts`.
    DayCountsView from DayCounts {
    created: i64,
    closed: i64,
    closed_on_time: i64,
    visits: i64,
    satisfied: i64,
    dissatisfied: i64,
    }
);

/// An outage with what registration records beside it, and what hangs off it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutageRecordView {
    #[serde(flatten)]
    pub outage: OutageDetail,
    /// `api`, `import`, `desk` or `generated`.
    pub source: String,
    /// The dispatch system's id.
    pub external_ref: Option<String>,
    /// When the advance notice had to be out by (`None` for a fault).
    pub notice_due_at: Option<Millis>,
    /// Registered too late to be announced in time.
    pub late_notice: bool,
    pub created_by: Option<i64>,
    pub updated_at: Option<Millis>,
    /// Repair orders linked to this outage.
    pub linked_orders: i64,
    /// Care tasks of this outage not done yet.
    pub open_care_tasks: i64,
}

impl From<store::OutageRecord> for OutageRecordView {
    fn from(r: store::OutageRecord) -> Self {
        OutageRecordView {
            outage: r.outage.into(),
            source: r.source,
            external_ref: r.external_ref,
            notice_due_at: r.notice_due_at,
            late_notice: r.late_notice,
            created_by: r.created_by,
            updated_at: r.updated_at,
            linked_orders: r.linked_orders,
            open_care_tasks: r.open_care_tasks,
        }
    }
}

/// A care plan with the customer it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CarePlanItemView {
    #[serde(flatten)]
    pub plan: CarePlanView,
    pub customer_name: String,
    pub account_no: String,
    pub area_id: i64,
    pub care_groups: String,
}

impl From<store::CarePlanItem> for CarePlanItemView {
    fn from(r: store::CarePlanItem) -> Self {
        CarePlanItemView {
            plan: r.plan.into(),
            customer_name: r.customer_name,
            account_no: r.account_no,
            area_id: r.area_id,
            care_groups: r.care_groups,
        }
    }
}

impl OrderDetail {
    /// The lifecycle state the order's fields describe.
    pub fn state(&self) -> voltdesk_domain::order::OrderState {
        voltdesk_domain::order::OrderState {
            order_type: self.order_type,
            status: self.status,
            replied: self.replied,
            contacted: self.contacted,
            department_id: self.department_id,
            assignee_id: self.assignee_id,
            co_handlers: self.co_handlers.clone(),
            verdict: self.verdict,
            root_cause: self.root_cause,
            satisfaction: self.satisfaction,
            merged_into: self.merged_into,
            urge_count: self.urge_count as u32,
            reopen_count: self.reopen_count as u32,
        }
    }
}
