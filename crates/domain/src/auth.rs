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
    /// Read the reply templates (canned answers): whoever replies to orders, and who keeps
    /// the templates.
    ReplyTemplateRead,
    /// Add, change, disable and enable reply templates.
    ReplyTemplateWrite,
    /// Read call records: all of them with [`Permission::CallMonitor`], else one's own calls.
    CallRead,
    /// Watch the contact centre live (calls, queues, agents' states) and every call record.
    CallMonitor,
    /// Take calls: a phone and a state in the contact centre (ready, not ready, logged out).
    CallTake,
    /// Make the callbacks promised to callers and mark them done.
    CallbackWork,
    /// Set any agent's desk phone and SIP password.
    AgentPhoneWrite,
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
            Permission::ReplyTemplateRead => "reply_template.read",
            Permission::ReplyTemplateWrite => "reply_template.write",
            Permission::CallRead => "call.read",
            Permission::CallMonitor => "call.monitor",
            Permission::CallTake => "call.take",
            Permission::CallbackWork => "callback.work",
            Permission::AgentPhoneWrite => "agent_phone.write",
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
        Permission::ReplyTemplateRead,
        Permission::ReplyTemplateWrite,
        Permission::CallRead,
        Permission::CallMonitor,
        Permission::CallTake,
        Permission::CallbackWork,
        Permission::AgentPhoneWrite,
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
            ReplyTemplateRead,
            CallRead,
            CallTake,
            CallbackWork,
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
            ReplyTemplateRead,
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
            ReplyTemplateRead,
        ],
        Role::Crew => &[
            CustomerRead,
            PiiReveal,
            OrgRead,
            OrderRead,
            OrderWork,
            TraceRead,
            ReplyTemplateRead,
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
            ReplyTemplateRead,
            CallRead,
            CallMonitor,
            CallbackWork,
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
            ReplyTemplateRead,
            ReplyTemplateWrite,
            CallRead,
            CallMonitor,
            AgentPhoneWrite,
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

/// Whether a user of `role` takes calls in the contact centre: has a phone, a SIP account
/// and a state (ready, not ready, logged out). Agents do.
pub fn takes_calls(role: Role) -> bool {
    allows(role, Permission::CallTake)
}

/// Why a change to a user's account is refused: an administrator may not lock themselves out,
/// and the organisation always keeps one active administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountGuard {
    /// An administrator tried to disable their own account.
    DisableSelf,
    /// An administrator tried to give themselves another role.
    DemoteSelf,
    /// The change would leave no active administrator.
    LastAdmin,
}

impl AccountGuard {
    /// The stable error code the API reports.
    pub fn code(self) -> &'static str {
        match self {
            AccountGuard::DisableSelf => "self_disable",
            AccountGuard::DemoteSelf => "self_demote",
            AccountGuard::LastAdmin => "last_admin",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            AccountGuard::DisableSelf => "an administrator cannot disable their own account",
            AccountGuard::DemoteSelf => "an administrator cannot take away their own role",
            AccountGuard::LastAdmin => {
                "the last active administrator cannot be disabled or demoted"
            }
        }
    }
}

/// What a change does to an account, as [`guard_account_change`] judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountChange {
    /// Who asks (`None`: the command line).
    pub by: Option<i64>,
    pub user_id: i64,
    /// The account's role and state before the change.
    pub role: Role,
    pub active: bool,
    /// After the change.
    pub new_role: Role,
    pub new_active: bool,
    /// How many active administrators there are now, the account included.
    pub active_admins: i64,
}

/// Refuses a change that disables or demotes the one asking, or that leaves no active
/// administrator.
pub fn guard_account_change(c: AccountChange) -> Result<(), AccountGuard> {
    let own = c.by == Some(c.user_id);
    if own && c.active && !c.new_active {
        return Err(AccountGuard::DisableSelf);
    }
    if own && c.role == Role::Admin && c.new_role != Role::Admin {
        return Err(AccountGuard::DemoteSelf);
    }
    let was_admin = c.active && c.role == Role::Admin;
    let stays_admin = c.new_active && c.new_role == Role::Admin;
    if was_admin && !stays_admin && c.active_admins <= 1 {
        return Err(AccountGuard::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(by: i64, role: Role, new_role: Role, new_active: bool, admins: i64) -> AccountChange {
        AccountChange {
            by: Some(by),
            user_id: 1,
            role,
            active: true,
            new_role,
            new_active,
            active_admins: admins,
        }
    }

    #[test]
    fn an_admin_keeps_their_own_account_and_the_last_admin_stays() {
        use AccountGuard::*;
        use Role::*;
        let check =
            |c, want: Result<(), AccountGuard>| assert_eq!(guard_account_change(c), want, "{c:?}");
        check(change(1, Admin, Admin, false, 3), Err(DisableSelf));
        check(change(1, Admin, Agent, true, 3), Err(DemoteSelf));
        check(change(2, Admin, Agent, true, 1), Err(LastAdmin));
        check(change(2, Admin, Admin, false, 1), Err(LastAdmin));
        check(change(2, Admin, Agent, true, 2), Ok(()));
        check(change(2, Admin, Admin, false, 2), Ok(()));
        check(change(2, Agent, Handler, false, 1), Ok(()));
        // Enabling or renaming oneself is no loss.
        check(change(1, Admin, Admin, true, 1), Ok(()));
        // A disabled admin made an agent takes no administrator away.
        let mut c = change(2, Admin, Agent, true, 1);
        c.active = false;
        check(c, Ok(()));
    }

    #[test]
    fn pii_is_not_for_analysts_admins_auditors() {
        assert!(allows(Role::Agent, Permission::PiiReveal));
        assert!(!allows(Role::Analyst, Permission::PiiReveal));
        assert!(!allows(Role::Admin, Permission::PiiReveal));
        assert!(!allows(Role::Auditor, Permission::PiiReveal));
    }

    #[test]
    fn whoever_replies_reads_the_templates_and_only_an_admin_writes_them() {
        for role in Role::ALL {
            if allows(*role, Permission::OrderWork) {
                assert!(allows(*role, Permission::ReplyTemplateRead), "{role}");
            }
            assert_eq!(
                allows(*role, Permission::ReplyTemplateWrite),
                *role == Role::Admin,
                "{role}"
            );
        }
        assert!(allows(Role::Admin, Permission::ReplyTemplateRead));
        assert!(!allows(Role::Analyst, Permission::ReplyTemplateRead));
        assert!(!allows(Role::Auditor, Permission::ReplyTemplateRead));
    }

    #[test]
    fn agents_take_calls_supervisors_watch_and_admins_keep_the_phones() {
        for role in Role::ALL {
            let (take, monitor) = (
                allows(*role, Permission::CallTake),
                allows(*role, Permission::CallMonitor),
            );
            assert_eq!(take, *role == Role::Agent, "{role}");
            assert_eq!(
                monitor,
                matches!(role, Role::Supervisor | Role::Admin),
                "{role}"
            );
            // Whoever takes or watches calls reads their records.
            if take || monitor {
                assert!(allows(*role, Permission::CallRead), "{role}");
            }
            assert_eq!(
                allows(*role, Permission::AgentPhoneWrite),
                *role == Role::Admin,
                "{role}"
            );
        }
    }

    #[test]
    fn codes_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.code()), Some(*p));
        }
    }
}
