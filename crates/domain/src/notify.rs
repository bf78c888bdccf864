//! Notifications in the app (the bell on every page): who hears of what. Pure: the service
//! hands over the trace events the early-warning reader judged, the orders' assignees and
//! the warnings that batch raised; [`notices`] says which user gets which notification.
//!
//! - an order dispatched or transferred to a person: "assigned to you" for that person;
//! - an order urged: "urged" for its assignee;
//! - a deadline near: "deadline near" for the order's assignee (else the warning's owner);
//! - any other new warning: "warning for you" for its owner, or every user of the owning
//!   role at the station when no one person owns it.
//!
//! Nobody is told of their own act.

use crate::order::OrderEvent;
use crate::trace::TraceEvent;
use crate::{Millis, NotifyKind, RuleKind};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// A trace event of the batch, with who did it.
#[derive(Debug, Clone, Copy)]
pub struct Happened<'a> {
    pub at: Millis,
    pub order_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub event: &'a TraceEvent,
}

/// A warning the batch raised (not one seen again), with the people it may concern.
#[derive(Debug, Clone)]
pub struct RaisedFor {
    pub warning_id: i64,
    pub rule: RuleKind,
    pub order_id: Option<i64>,
    pub at: Millis,
    /// The one person who owns the warning, if any.
    pub owner_id: Option<i64>,
    /// The active users of the owning role at the warning's station.
    pub owners: Vec<i64>,
    /// The warning's detail (a deadline's clock, ...), kept for the text.
    pub detail: Value,
}

/// One notification for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub user_id: i64,
    pub kind: NotifyKind,
    pub order_id: Option<i64>,
    pub warning_id: Option<i64>,
    pub at: Millis,
    /// What the text needs besides the order: `rule`, `clock`, `count`.
    pub params: Value,
}

/// The notifications a batch gives; `assignees` maps an order to its current assignee.
pub fn notices(
    events: &[Happened<'_>],
    assignees: &HashMap<i64, i64>,
    raised: &[RaisedFor],
) -> Vec<Notice> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |n: Notice, actor: Option<i64>| {
        if Some(n.user_id) == actor {
            return;
        }
        if seen.insert((n.user_id, n.kind, n.order_id, n.warning_id)) {
            out.push(n);
        }
    };
    for e in events {
        let TraceEvent::Order(ev) = e.event else {
            continue;
        };
        let (user, kind, params) = match ev {
            OrderEvent::Dispatched {
                assignee_id: Some(u),
                ..
            }
            | OrderEvent::Transferred {
                assignee_id: Some(u),
                ..
            } => (*u, NotifyKind::Assigned, json!({})),
            OrderEvent::Urged { count, .. } => {
                let Some(u) = e.order_id.and_then(|o| assignees.get(&o)) else {
                    continue;
                };
                (*u, NotifyKind::Urged, json!({ "count": count }))
            }
            _ => continue,
        };
        push(
            Notice {
                user_id: user,
                kind,
                order_id: e.order_id,
                warning_id: None,
                at: e.at,
                params,
            },
            e.actor_id,
        );
    }
    for w in raised {
        let (kind, people): (NotifyKind, Vec<i64>) = match w.rule {
            RuleKind::DeadlineNear => {
                let assignee = w.order_id.and_then(|o| assignees.get(&o)).copied();
                let people = match (assignee, w.owner_id) {
                    (Some(a), _) | (None, Some(a)) => vec![a],
                    (None, None) => w.owners.clone(),
                };
                (NotifyKind::DeadlineNear, people)
            }
            _ => (
                NotifyKind::Warning,
                w.owner_id.map_or_else(|| w.owners.clone(), |o| vec![o]),
            ),
        };
        let mut params = json!({ "rule": w.rule.code() });
        // A deadline's warning carries its clock event (the clock's kind under `kind`).
        if let Some(clock) = w.detail.get("clock").or_else(|| w.detail.get("kind")) {
            params["clock"] = clock.clone();
        }
        for user_id in people {
            push(
                Notice {
                    user_id,
                    kind,
                    order_id: w.order_id,
                    warning_id: Some(w.warning_id),
                    at: w.at,
                    params: params.clone(),
                },
                None,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dispatched(to: Option<i64>) -> TraceEvent {
        TraceEvent::Order(OrderEvent::Dispatched {
            department_id: 3,
            assignee_id: to,
        })
    }

    fn happened(e: &TraceEvent, order: i64, actor: i64) -> Happened<'_> {
        Happened {
            at: 1_000,
            order_id: Some(order),
            actor_id: Some(actor),
            event: e,
        }
    }

    #[test]
    fn dispatch_to_a_person_tells_that_person() {
        let e = dispatched(Some(7));
        let n = notices(&[happened(&e, 1, 2)], &HashMap::new(), &[]);
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].user_id, n[0].kind), (7, NotifyKind::Assigned));
        assert_eq!(n[0].order_id, Some(1));
    }

    #[test]
    fn dispatch_to_a_department_or_to_oneself_tells_nobody() {
        let to_dept = dispatched(None);
        let to_me = dispatched(Some(2));
        let n = notices(
            &[happened(&to_dept, 1, 2), happened(&to_me, 1, 2)],
            &HashMap::new(),
            &[],
        );
        assert!(n.is_empty());
    }

    #[test]
    fn urging_tells_the_assignee_with_the_count() {
        let e = TraceEvent::Order(OrderEvent::Urged {
            note: "快点".into(),
            count: 2,
        });
        let assignees = HashMap::from([(1, 9)]);
        let n = notices(&[happened(&e, 1, 2)], &assignees, &[]);
        assert_eq!((n[0].user_id, n[0].kind), (9, NotifyKind::Urged));
        assert_eq!(n[0].params["count"], 2);
        // No assignee yet: nobody to tell.
        assert!(notices(&[happened(&e, 1, 2)], &HashMap::new(), &[]).is_empty());
    }

    fn raised(rule: RuleKind, owner: Option<i64>, owners: Vec<i64>) -> RaisedFor {
        RaisedFor {
            warning_id: 5,
            rule,
            order_id: Some(1),
            at: 2_000,
            owner_id: owner,
            owners,
            detail: json!({"clock": "reply"}),
        }
    }

    #[test]
    fn deadline_near_goes_to_the_assignee_first() {
        let assignees = HashMap::from([(1, 9)]);
        let w = raised(RuleKind::DeadlineNear, None, vec![20, 21]);
        let n = notices(&[], &assignees, std::slice::from_ref(&w));
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].user_id, n[0].kind), (9, NotifyKind::DeadlineNear));
        assert_eq!(n[0].params["clock"], "reply");
        // Without an assignee, the owning role's people hear of it.
        let n = notices(&[], &HashMap::new(), &[w]);
        assert_eq!(n.iter().map(|n| n.user_id).collect::<Vec<_>>(), [20, 21]);
    }

    #[test]
    fn other_warnings_go_to_their_owner_or_the_role() {
        let one = raised(RuleKind::RepeatComplaint, Some(4), vec![20, 21]);
        let role = raised(RuleKind::ComplaintTendency, None, vec![20, 21, 20]);
        let n = notices(&[], &HashMap::from([(1, 9)]), &[one, role]);
        let who: Vec<(i64, NotifyKind)> = n.iter().map(|n| (n.user_id, n.kind)).collect();
        assert_eq!(
            who,
            [
                (4, NotifyKind::Warning),
                (20, NotifyKind::Warning),
                (21, NotifyKind::Warning)
            ]
        );
        assert_eq!(n[0].params["rule"], "repeat_complaint");
    }
}
