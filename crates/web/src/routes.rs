//! The route table: every API endpoint with the permission it requires and its summary.
//! The auth layer enforces it, the OpenAPI document and docs page are generated from it,
//! and the role test walks it. A route missing here is refused (fail closed).

use voltdesk_domain::auth::Permission::{self, *};

#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    SignedIn,
    Needs(Permission),
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Name of the request body shape, documented in the OpenAPI components.
    pub body: Option<&'static str>,
}

const fn r(method: &'static str, path: &'static str, access: Access, tag: &'static str, summary: &'static str, body: Option<&'static str>) -> Route {
    Route { method, path, access, tag, summary, body }
}

use Access::*;

pub const ROUTES: &[Route] = &[
    r("GET", "/api/v1/health", Public, "system", "Liveness and database check", None),
    r("GET", "/api/v1/openapi.json", Public, "system", "This API as OpenAPI 3.1", None),
    r("GET", "/api/v1/docs", Public, "system", "Readable API documentation", None),
    r("POST", "/api/v1/session", Public, "auth", "Sign in with username and password; sets the session cookie", Some("Login")),
    r("DELETE", "/api/v1/session", SignedIn, "auth", "Sign out", None),
    r("GET", "/api/v1/me", SignedIn, "auth", "The signed-in user and permissions", None),
    // organisation
    r("GET", "/api/v1/stations", Needs(OrgRead), "organisation", "Supply stations", None),
    r("PUT", "/api/v1/stations/{id}/policy", Needs(PolicyWrite), "organisation", "Choose the service-commitment policy of a station", Some("PolicyChoice")),
    r("GET", "/api/v1/departments", Needs(OrgRead), "organisation", "Departments (?station_id)", None),
    r("GET", "/api/v1/grids", Needs(OrgRead), "organisation", "Grids (?station_id)", None),
    r("GET", "/api/v1/feeders", Needs(OrgRead), "organisation", "Feeders (?station_id)", None),
    r("GET", "/api/v1/areas", Needs(OrgRead), "organisation", "Transformer areas (?grid_id, page, per_page)", None),
    r("POST", "/api/v1/org/import", Needs(OrgWrite), "organisation", "Import the organisation from CSV (UTF-8 or GBK); all or nothing", Some("CSV")),
    // customers
    r("GET", "/api/v1/customers", Needs(CustomerRead), "customers", "Search customers (q prefix of account, phone or name; station_id, area_id, segment, sensitive; page, per_page)", None),
    r("GET", "/api/v1/customers/lookup", Needs(CustomerRead), "customers", "Identify a caller by phone or account_no", None),
    r("POST", "/api/v1/customers/import", Needs(CustomerWrite), "customers", "Import customers from CSV (UTF-8 or GBK); all or nothing unless skip_invalid=true", Some("CSV")),
    r("GET", "/api/v1/customers/{id}", Needs(CustomerRead), "customers", "A customer, masked; reveal=true unmasks for roles that may (traced)", None),
    r("GET", "/api/v1/customers/{id}/trace", Needs(TraceRead), "customers", "The customer's timeline across channels, newest first (limit, before)", None),
    r("GET", "/api/v1/customers/{id}/orders", Needs(OrderRead), "customers", "The customer's work orders", None),
    r("PUT", "/api/v1/customers/{id}/sensitive", Needs(OrderSupervise), "customers", "Set or clear the sensitive flag with a reason", Some("SensitiveFlag")),
    // work orders
    r("GET", "/api/v1/work-orders", Needs(OrderRead), "work orders", "List orders: station, grid, area, customer_id, type, status (comma list), open, overdue, escalated, department_id, assignee_id, from, to; sort=created_at|due_at|updated_at|id, order=asc|desc; page, per_page", None),
    r("POST", "/api/v1/work-orders", Needs(OrderCreate), "work orders", "Take a contact as a work order; Idempotency-Key header makes retries safe", Some("NewOrder")),
    r("GET", "/api/v1/work-orders/export.csv", Needs(Export), "work orders", "The filtered list as CSV (same filters as the list)", None),
    r("GET", "/api/v1/work-orders/{id}", Needs(OrderRead), "work orders", "An order with its clocks (id or order number)", None),
    r("GET", "/api/v1/work-orders/{id}/trace", Needs(TraceRead), "work orders", "Every trace event of the order, oldest first", None),
    r("GET", "/api/v1/work-orders/{id}/return-visits", Needs(OrderRead), "work orders", "Return visits of the order", None),
    r("POST", "/api/v1/work-orders/{id}/dispatch", Needs(OrderRoute), "lifecycle", "Dispatch to a department (and assignee)", Some("Dispatch")),
    r("POST", "/api/v1/work-orders/{id}/transfer", Needs(OrderRoute), "lifecycle", "Transfer to another department", Some("Dispatch")),
    r("POST", "/api/v1/work-orders/{id}/merge", Needs(OrderRoute), "lifecycle", "Merge into another order (duplicates of one event)", Some("Merge")),
    r("POST", "/api/v1/work-orders/{id}/cancel", Needs(OrderRoute), "lifecycle", "Cancel with a reason", Some("Reason")),
    r("POST", "/api/v1/work-orders/{id}/acknowledge", Needs(OrderWork), "lifecycle", "Acknowledge (take) a dispatched order", Some("Acknowledge")),
    r("POST", "/api/v1/work-orders/{id}/contact", Needs(OrderWork), "lifecycle", "Record contact with the customer (stops the contact clock)", Some("Note")),
    r("POST", "/api/v1/work-orders/{id}/arrive", Needs(OrderWork), "lifecycle", "Crew on site (repair); starts the restore clock", None),
    r("POST", "/api/v1/work-orders/{id}/reply", Needs(OrderWork), "lifecycle", "Reply with the result; complaints need verdict and root_cause", Some("Reply")),
    r("POST", "/api/v1/work-orders/{id}/return-to-sender", Needs(OrderWork), "lifecycle", "Return the order to the sender with a reason", Some("Reason")),
    r("POST", "/api/v1/work-orders/{id}/co-handle", Needs(OrderWork), "lifecycle", "Add co-handling departments", Some("CoHandle")),
    r("POST", "/api/v1/work-orders/{id}/close", Needs(OrderWork), "lifecycle", "Close a replied order that needs no return visit", None),
    r("POST", "/api/v1/work-orders/{id}/pause", Needs(OrderWork), "lifecycle", "Pause the running clocks while waiting on the customer", Some("Reason")),
    r("POST", "/api/v1/work-orders/{id}/resume", Needs(OrderWork), "lifecycle", "Resume paused clocks", None),
    r("POST", "/api/v1/work-orders/{id}/urge", Needs(OrderCreate), "lifecycle", "Record an urging contact (催办) on an open order", Some("Note")),
    r("POST", "/api/v1/work-orders/{id}/return-visit", Needs(OrderSupervise), "lifecycle", "Record the return visit; dissatisfied reopens", Some("ReturnVisit")),
    r("POST", "/api/v1/work-orders/{id}/reopen", Needs(OrderSupervise), "lifecycle", "Reopen a closed order with a reason", Some("Reason")),
    r("PUT", "/api/v1/work-orders/{id}/problem", Needs(ProblemWrite), "problems", "Group the order under a problem", Some("ProblemLink")),
    // problems, escalations
    r("GET", "/api/v1/problems", Needs(ProblemRead), "problems", "Problems (station_id, open, page, per_page)", None),
    r("POST", "/api/v1/problems", Needs(ProblemWrite), "problems", "Open a problem", Some("NewProblem")),
    r("GET", "/api/v1/problems/{id}", Needs(ProblemRead), "problems", "A problem", None),
    r("POST", "/api/v1/problems/{id}/close", Needs(ProblemWrite), "problems", "Close a problem with its root cause", Some("CloseProblem")),
    r("GET", "/api/v1/escalations", Needs(OrderRead), "supervision", "Escalations (order_id, open)", None),
    r("POST", "/api/v1/escalations/{id}/acknowledge", Needs(OrderSupervise), "supervision", "Acknowledge an escalation", None),
    // policies and calendar
    r("GET", "/api/v1/policies", Needs(PolicyRead), "policies", "Loaded service-commitment policies", None),
    r("GET", "/api/v1/policies/{id}", Needs(PolicyRead), "policies", "One policy with its rules", None),
    r("GET", "/api/v1/calendar", Needs(PolicyRead), "policies", "Holidays and make-up working days (from, to)", None),
    r("PUT", "/api/v1/calendar/{day}", Needs(PolicyWrite), "policies", "Set a holiday or make-up working day", Some("CalendarDay")),
    r("DELETE", "/api/v1/calendar/{day}", Needs(PolicyWrite), "policies", "Remove a calendar entry", None),
    // administration
    r("GET", "/api/v1/users", Needs(UserAdmin), "administration", "Users", None),
    r("POST", "/api/v1/users", Needs(UserAdmin), "administration", "Create a user", Some("NewUser")),
    r("GET", "/api/v1/tokens", Needs(UserAdmin), "administration", "API tokens (never their secrets)", None),
    r("POST", "/api/v1/tokens", Needs(UserAdmin), "administration", "Create an API token; the secret is shown once", Some("NewToken")),
    r("DELETE", "/api/v1/tokens/{id}", Needs(UserAdmin), "administration", "Revoke a token", None),
    r("GET", "/api/v1/audit", Needs(AuditRead), "administration", "The audit trail: all trace events (kind prefix, before, limit)", None),
    r("GET", "/api/v1/outbox", Needs(AuditRead), "administration", "Queued notifications and webhooks", None),
];

pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}
