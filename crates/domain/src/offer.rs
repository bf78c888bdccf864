//! Which lifecycle actions a person is offered on an order now: the state machine says what
//! the order's status allows; this says whose move it is. Once an order went to a
//! department or a person, the handling moves (接单, 到场, 回单, 退单, 联系客户) belong to
//! them: the assignee, or anyone of the department while nobody took it. The desk that
//! took the contact keeps routing, urging and the follow-up. Role permissions are checked
//! besides (the route table); this only narrows.

use crate::Role;
use crate::order::OrderState;

/// The person looking at the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who {
    pub role: Role,
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
}

/// The moves of whoever handles the order.
pub const HANDLING: &[&str] = &[
    "acknowledge",
    "contact",
    "arrive",
    "reply",
    "return_to_sender",
];

/// Whether the order is `who`'s to handle: not yet sent anywhere (the desk answers it
/// itself), or sent to them, or to their department with nobody assigned. A grid manager
/// oversees the handling of the grid's orders.
pub fn handles(who: &Who, state: &OrderState) -> bool {
    match (state.assignee_id, state.department_id) {
        (None, None) => true,
        _ if who.role == Role::GridManager => true,
        (Some(a), _) => who.user_id == Some(a),
        (None, Some(d)) => who.department_id == Some(d),
    }
}

/// Whether `action` (a command name) is offered to `who` on an order in `state`, given
/// that the state machine allows it.
pub fn offered(who: &Who, state: &OrderState, action: &str) -> bool {
    if HANDLING.contains(&action) {
        return handles(who, state);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrderType;
    use crate::order::{Command, execute};

    fn who(role: Role, user: i64, dept: Option<i64>) -> Who {
        Who {
            role,
            user_id: Some(user),
            department_id: dept,
        }
    }

    fn dispatched(assignee: Option<i64>) -> OrderState {
        let mut s = OrderState::new(OrderType::Repair);
        execute(
            &mut s,
            1,
            &Command::Dispatch {
                department_id: 7,
                assignee_id: assignee,
            },
        )
        .unwrap();
        s
    }

    #[test]
    fn handling_belongs_to_whom_the_order_went() {
        let agent = who(Role::Agent, 1, None);
        let handler = who(Role::Handler, 2, Some(7));
        let colleague = who(Role::Handler, 3, Some(7));
        let elsewhere = who(Role::Handler, 4, Some(8));
        let manager = who(Role::GridManager, 5, None);
        // (who, assignee, offered 接单/退单)
        let table = [
            (agent, None, false),
            (agent, Some(2), false),
            (handler, Some(2), true),
            (colleague, Some(2), false),
            (colleague, None, true),
            (elsewhere, None, false),
            (elsewhere, Some(2), false),
            (manager, Some(2), true),
        ];
        for (w, assignee, want) in table {
            let s = dispatched(assignee);
            for a in ["acknowledge", "return_to_sender", "reply", "contact"] {
                assert_eq!(offered(&w, &s, a), want, "{w:?} {a} with {assignee:?}");
            }
            // Routing and follow-up stay with the desk and the supervisors.
            for a in ["urge", "transfer", "cancel", "close"] {
                assert!(offered(&w, &s, a), "{w:?} {a}");
            }
        }
        // Before it is sent anywhere the desk handles it itself.
        let fresh = OrderState::new(OrderType::Consultation);
        assert!(offered(&agent, &fresh, "reply"));
        assert!(offered(&agent, &fresh, "contact"));
    }
}
