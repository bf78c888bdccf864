//! Roles and what they may do. The web layer checks every endpoint against this table.

use crate::Role;
use serde::Serialize;

/// A permission an endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read customers and the organisation (masked).
    CustomerRead,
    /// See phone numbers, ID numbers and addresses unmasked (each such read is traced).
    PiiReveal,
    CustomerWrite,
    OrgRead,
    OrgWrite,
    OrderRead,
    /// Take a contact and open an order.
    OrderCreate,
    /// Dispatch, transfer, merge, cancel: the front and back office moving orders.
    OrderRoute,
    /// Acknowledge, contact, arrive, reply, return to sender: working an order.
    OrderWork,
    /// Return visits, urging, reopening, escalation handling.
    OrderSupervise,
    ProblemRead,
    ProblemWrite,
    TraceRead,
    PolicyRead,
    PolicyWrite,
    UserAdmin,
    /// Read the audit trail (every trace event, including unmasked reads).
    AuditRead,
    Export,
    /// The dashboard's statistics (volumes, compliance, satisfaction).
    StatsRead,
}

impl Permission {
    pub fn code(self) -> &'static str {
        match self {
            Permission::CustomerRead => "customer.read",
            Permission::PiiReveal => "pii.reveal",
            Permission::CustomerWrite => "customer.write",
            Permission::OrgRead => "org.read",
            Permission::OrgWrite => "org.write",
            Permission::OrderRead => "order.read",
            Permission::OrderCreate => "order.create",
            Permission::OrderRoute => "order.route",
            Permission::OrderWork => "order.work",
            Permission::OrderSupervise => "order.supervise",
            Permission::ProblemRead => "problem.read",
            Permission::ProblemWrite => "problem.write",
            Permission::TraceRead => "trace.read",
            Permission::PolicyRead => "policy.read",
            Permission::PolicyWrite => "policy.write",
            Permission::UserAdmin => "user.admin",
            Permission::AuditRead => "audit.read",
            Permission::Export => "export",
            Permission::StatsRead => "stats.read",
        }
    }

    pub const ALL: &'static [Permission] = &[
        Permission::CustomerRead,
        Permission::PiiReveal,
        Permission::CustomerWrite,
        Permission::OrgRead,
        Permission::OrgWrite,
        Permission::OrderRead,
        Permission::OrderCreate,
        Permission::OrderRoute,
        Permission::OrderWork,
        Permission::OrderSupervise,
        Permission::ProblemRead,
        Permission::ProblemWrite,
        Permission::TraceRead,
        Permission::PolicyRead,
        Permission::PolicyWrite,
        Permission::UserAdmin,
        Permission::AuditRead,
        Permission::Export,
        Permission::StatsRead,
    ];

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.iter().copied().find(|p| p.code() == s)
    }
}

/// The permissions of a role. This table is the whole of the role model.
pub fn permissions(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Agent => &[
            CustomerRead,
            PiiReveal,
            OrgRead,
            OrderRead,
            OrderCreate,
            OrderRoute,
            OrderWork,
            ProblemRead,
            TraceRead,
            PolicyRead,
        ],
        Role::Handler => &[
            CustomerRead,
            PiiReveal,
            OrgRead,
            OrderRead,
            OrderWork,
            OrderRoute,
            ProblemRead,
            TraceRead,
            PolicyRead,
        ],
        Role::GridManager => &[
            CustomerRead,
            PiiReveal,
            CustomerWrite,
            OrgRead,
            OrderRead,
            OrderCreate,
            OrderWork,
            ProblemRead,
            TraceRead,
            PolicyRead,
        ],
        Role::Crew => &[
            CustomerRead,
            PiiReveal,
            OrgRead,
            OrderRead,
            OrderWork,
            TraceRead,
        ],
        Role::Supervisor => &[
            CustomerRead,
            PiiReveal,
            OrgRead,
            OrderRead,
            OrderCreate,
            OrderRoute,
            OrderWork,
            OrderSupervise,
            ProblemRead,
            ProblemWrite,
            TraceRead,
            PolicyRead,
            Export,
            StatsRead,
        ],
        Role::Analyst => &[
            CustomerRead,
            OrgRead,
            OrderRead,
            ProblemRead,
            TraceRead,
            PolicyRead,
            Export,
            StatsRead,
        ],
        Role::Admin => &[
            CustomerRead,
            CustomerWrite,
            OrgRead,
            OrgWrite,
            OrderRead,
            ProblemRead,
            PolicyRead,
            PolicyWrite,
            UserAdmin,
            Export,
            StatsRead,
        ],
        Role::Auditor => &[
            CustomerRead,
            OrgRead,
            OrderRead,
            ProblemRead,
            TraceRead,
            PolicyRead,
            AuditRead,
        ],
    }
}

/// Whether `role` holds `perm`; an API token may narrow this further with its scopes.
pub fn allows(role: Role, perm: Permission) -> bool {
    permissions(role).contains(&perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pii_is_not_for_analysts_admins_auditors() {
        assert!(allows(Role::Agent, Permission::PiiReveal));
        assert!(!allows(Role::Analyst, Permission::PiiReveal));
        assert!(!allows(Role::Admin, Permission::PiiReveal));
        assert!(!allows(Role::Auditor, Permission::PiiReveal));
    }

    #[test]
    fn codes_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.code()), Some(*p));
        }
    }
}
