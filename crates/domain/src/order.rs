//! The work-order lifecycle as a pure state machine: `decide` turns a command into events
//! (or refuses it), `apply` folds an event into the state. The service layer writes each
//! event as a trace event in the same transaction as the new state.

use crate::policy::ClockStart;
use crate::{ClockKind, OrderStatus, OrderType, RootCause, Satisfaction, Verdict};
use serde::{Deserialize, Serialize};

/// What the state machine needs to know about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order_type: OrderType,
    pub status: OrderStatus,
    /// A reply (回单) stands for the current round of handling.
    pub replied: bool,
    pub contacted: bool,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub co_handlers: Vec<i64>,
    pub verdict: Option<Verdict>,
    pub root_cause: Option<RootCause>,
    pub satisfaction: Option<Satisfaction>,
    pub merged_into: Option<i64>,
    pub urge_count: u32,
    pub reopen_count: u32,
}

impl OrderState {
    pub fn new(order_type: OrderType) -> Self {
        OrderState {
            order_type,
            status: OrderStatus::Accepted,
            replied: false,
            contacted: false,
            department_id: None,
            assignee_id: None,
            co_handlers: Vec::new(),
            verdict: None,
            root_cause: None,
            satisfaction: None,
            merged_into: None,
            urge_count: 0,
            reopen_count: 0,
        }
    }
}

/// Whether an order of this type is called back (回访) before it closes.
pub fn needs_return_visit(t: OrderType) -> bool {
    matches!(
        t,
        OrderType::Repair | OrderType::ServiceRequest | OrderType::Complaint | OrderType::Report
    )
}

/// Whether the agent may answer an order of this type on first contact, without dispatch.
pub fn answerable_at_intake(t: OrderType) -> bool {
    matches!(
        t,
        OrderType::Consultation | OrderType::Opinion | OrderType::Suggestion | OrderType::Praise
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Dispatch {
        department_id: i64,
        assignee_id: Option<i64>,
    },
    Acknowledge {
        assignee_id: i64,
    },
    Contact {
        note: String,
    },
    Arrive,
    Reply {
        text: String,
        verdict: Option<Verdict>,
        root_cause: Option<RootCause>,
    },
    ReturnVisit {
        satisfaction: Satisfaction,
        comment: String,
    },
    Close,
    ReturnToSender {
        reason: String,
    },
    Transfer {
        department_id: i64,
        assignee_id: Option<i64>,
    },
    CoHandle {
        department_ids: Vec<i64>,
    },
    Merge {
        into: i64,
    },
    Urge {
        note: String,
    },
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Dispatch { .. } => "dispatch",
            Command::Acknowledge { .. } => "acknowledge",
            Command::Contact { .. } => "contact",
            Command::Arrive => "arrive",
            Command::Reply { .. } => "reply",
            Command::ReturnVisit { .. } => "return_visit",
            Command::Close => "close",
            Command::ReturnToSender { .. } => "return_to_sender",
            Command::Transfer { .. } => "transfer",
            Command::CoHandle { .. } => "co_handle",
            Command::Merge { .. } => "merge",
            Command::Urge { .. } => "urge",
            Command::Reopen { .. } => "reopen",
            Command::Cancel { .. } => "cancel",
        }
    }
}

/// What happened to an order. Each event becomes one trace event (`order.<kind>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OrderEvent {
    Dispatched {
        department_id: i64,
        assignee_id: Option<i64>,
    },
    Acknowledged {
        assignee_id: i64,
    },
    Contacted {
        note: String,
    },
    Arrived,
    Replied {
        text: String,
        verdict: Option<Verdict>,
        root_cause: Option<RootCause>,
    },
    ReturnVisited {
        satisfaction: Satisfaction,
        comment: String,
    },
    Closed,
    Returned {
        reason: String,
    },
    Transferred {
        from_department_id: Option<i64>,
        department_id: i64,
        assignee_id: Option<i64>,
    },
    CoHandlersAdded {
        department_ids: Vec<i64>,
    },
    Merged {
        into: i64,
    },
    Urged {
        note: String,
        count: u32,
    },
    Reopened {
        reason: String,
        /// Reopened by a dissatisfied return visit (the reason is then the customer's
        /// comment); a page says so in its reader's language.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        after_visit: bool,
    },
    Cancelled {
        reason: String,
    },
}

impl OrderEvent {
    /// The trace-event kind, e.g. `order.dispatched`.
    pub fn kind(&self) -> &'static str {
        match self {
            OrderEvent::Dispatched { .. } => "order.dispatched",
            OrderEvent::Acknowledged { .. } => "order.acknowledged",
            OrderEvent::Contacted { .. } => "order.contacted",
            OrderEvent::Arrived => "order.arrived",
            OrderEvent::Replied { .. } => "order.replied",
            OrderEvent::ReturnVisited { .. } => "order.return_visited",
            OrderEvent::Closed => "order.closed",
            OrderEvent::Returned { .. } => "order.returned",
            OrderEvent::Transferred { .. } => "order.transferred",
            OrderEvent::CoHandlersAdded { .. } => "order.co_handlers_added",
            OrderEvent::Merged { .. } => "order.merged",
            OrderEvent::Urged { .. } => "order.urged",
            OrderEvent::Reopened { .. } => "order.reopened",
            OrderEvent::Cancelled { .. } => "order.cancelled",
        }
    }

    /// Whether the event does anything to the order's clocks (else they need not be read).
    pub fn touches_clocks(&self) -> bool {
        self.clock_effect() != ClockEffect::None
    }

    /// What the event does to the order's service-commitment clocks.
    pub fn clock_effect(&self) -> ClockEffect {
        use ClockKind::*;
        match self {
            OrderEvent::Contacted { .. } => ClockEffect::Stop(vec![Contact]),
            OrderEvent::Arrived => ClockEffect::StopAndStartArrived(vec![Arrive]),
            // A reply is no contact: the contact clock runs until one is recorded.
            OrderEvent::Replied { .. } => ClockEffect::Stop(vec![Arrive, Restore, Answer]),
            OrderEvent::Closed | OrderEvent::Merged { .. } | OrderEvent::Cancelled { .. } => {
                ClockEffect::StopAll
            }
            OrderEvent::Reopened { .. } => ClockEffect::Restart(vec![Answer, Close]),
            _ => ClockEffect::None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockEffect {
    None,
    /// These clocks are met (stopped) now.
    Stop(Vec<ClockKind>),
    /// Stop these and start the clocks whose rule starts on arrival.
    StopAndStartArrived(Vec<ClockKind>),
    StopAll,
    /// Start these clocks afresh from now (rules that start on acceptance).
    Restart(Vec<ClockKind>),
}

/// How a clock ends: met (the commitment was kept, in time or late) or stopped (the order
/// went away: merged, cancelled, or reopened for a fresh round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEnd {
    Met,
    Stopped,
}

/// One of an order's clocks as the clock decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockOfOrder {
    pub kind: ClockKind,
    /// Running or paused (not yet met or stopped).
    pub live: bool,
}

/// What one event does to an order's clocks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClockChanges {
    /// The clocks that end now, by their position in the clocks given, in that order.
    pub end: Vec<(usize, ClockEnd)>,
    /// The policy's clocks to start now: those that start at this event, limited to these
    /// kinds (all when `None`).
    pub start: Option<(ClockStart, Option<Vec<ClockKind>>)>,
}

/// Decides what `ev` does to the order's `clocks`: which live clocks end and how, and which
/// clocks start. The service and the history generator both write what this returns.
pub fn clock_changes(ev: &OrderEvent, clocks: &[ClockOfOrder]) -> ClockChanges {
    let (stop, how, start) = match ev.clock_effect() {
        ClockEffect::None => return ClockChanges::default(),
        ClockEffect::Stop(k) => (k, ClockEnd::Met, None),
        ClockEffect::StopAndStartArrived(k) => {
            (k, ClockEnd::Met, Some((ClockStart::Arrived, None)))
        }
        ClockEffect::StopAll => (
            ClockKind::ALL.to_vec(),
            if matches!(ev, OrderEvent::Closed) {
                ClockEnd::Met
            } else {
                ClockEnd::Stopped
            },
            None,
        ),
        ClockEffect::Restart(k) => (
            k.clone(),
            ClockEnd::Stopped,
            Some((ClockStart::Accepted, Some(k))),
        ),
    };
    let end = clocks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.live && stop.contains(&c.kind))
        .map(|(i, _)| (i, how))
        .collect();
    ClockChanges { end, start }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("`{action}` is not allowed while the order is {status}")]
    NotAllowed {
        action: &'static str,
        status: OrderStatus,
    },
    #[error("`{action}` applies only to repair orders")]
    RepairOnly { action: &'static str },
    #[error("field `{field}` is required for this action")]
    Missing { field: &'static str },
    #[error("a return visit must be recorded before this order can close")]
    ReturnVisitRequired,
    #[error("an order cannot be merged into itself")]
    MergeIntoSelf,
}

fn need(text: &str, field: &'static str) -> Result<(), TransitionError> {
    if text.trim().is_empty() {
        Err(TransitionError::Missing { field })
    } else {
        Ok(())
    }
}

/// Decides what a command does to an order in `state`. `self_id` is the order's own id.
pub fn decide(
    state: &OrderState,
    self_id: i64,
    cmd: &Command,
) -> Result<Vec<OrderEvent>, TransitionError> {
    use OrderStatus as S;
    let action = cmd.name();
    let refuse = || {
        Err(TransitionError::NotAllowed {
            action,
            status: state.status,
        })
    };
    let s = state.status;
    let working = matches!(s, S::Dispatched | S::Acknowledged | S::OnSite);
    match cmd {
        Command::Dispatch {
            department_id,
            assignee_id,
        } => {
            if s != S::Accepted {
                return refuse();
            }
            Ok(vec![OrderEvent::Dispatched {
                department_id: *department_id,
                assignee_id: *assignee_id,
            }])
        }
        Command::Acknowledge { assignee_id } => {
            if s != S::Dispatched {
                return refuse();
            }
            Ok(vec![OrderEvent::Acknowledged {
                assignee_id: *assignee_id,
            }])
        }
        Command::Contact { note } => {
            // A contact after the reply still counts (the clock runs until one is recorded).
            if !(s == S::Accepted || s == S::Replied || working) {
                return refuse();
            }
            need(note, "note")?;
            Ok(vec![OrderEvent::Contacted { note: note.clone() }])
        }
        Command::Arrive => {
            if state.order_type != OrderType::Repair {
                return Err(TransitionError::RepairOnly { action });
            }
            if s != S::Acknowledged {
                return refuse();
            }
            Ok(vec![OrderEvent::Arrived])
        }
        Command::Reply {
            text,
            verdict,
            root_cause,
        } => {
            let at_intake = s == S::Accepted && answerable_at_intake(state.order_type);
            let allowed = match state.order_type {
                OrderType::Repair => s == S::OnSite,
                _ => matches!(s, S::Acknowledged | S::OnSite) || at_intake,
            };
            if !allowed {
                return refuse();
            }
            need(text, "text")?;
            if state.order_type == OrderType::Complaint {
                if verdict.is_none() {
                    return Err(TransitionError::Missing { field: "verdict" });
                }
                if root_cause.is_none() {
                    return Err(TransitionError::Missing {
                        field: "root_cause",
                    });
                }
            }
            Ok(vec![OrderEvent::Replied {
                text: text.clone(),
                verdict: *verdict,
                root_cause: *root_cause,
            }])
        }
        Command::ReturnVisit {
            satisfaction,
            comment,
        } => {
            if s != S::Replied {
                return refuse();
            }
            let visited = OrderEvent::ReturnVisited {
                satisfaction: *satisfaction,
                comment: comment.clone(),
            };
            if *satisfaction == crate::Satisfaction::Dissatisfied {
                need(comment, "comment")?;
                Ok(vec![
                    visited,
                    OrderEvent::Reopened {
                        reason: comment.clone(),
                        after_visit: true,
                    },
                ])
            } else {
                Ok(vec![visited, OrderEvent::Closed])
            }
        }
        Command::Close => {
            if s != S::Replied || !state.replied {
                return refuse();
            }
            if needs_return_visit(state.order_type) && state.satisfaction.is_none() {
                return Err(TransitionError::ReturnVisitRequired);
            }
            Ok(vec![OrderEvent::Closed])
        }
        Command::ReturnToSender { reason } => {
            if !matches!(s, S::Dispatched | S::Acknowledged) {
                return refuse();
            }
            need(reason, "reason")?;
            Ok(vec![OrderEvent::Returned {
                reason: reason.clone(),
            }])
        }
        Command::Transfer {
            department_id,
            assignee_id,
        } => {
            if !matches!(s, S::Dispatched | S::Acknowledged) {
                return refuse();
            }
            Ok(vec![OrderEvent::Transferred {
                from_department_id: state.department_id,
                department_id: *department_id,
                assignee_id: *assignee_id,
            }])
        }
        Command::CoHandle { department_ids } => {
            if !working {
                return refuse();
            }
            let new: Vec<i64> = department_ids
                .iter()
                .copied()
                .filter(|d| Some(*d) != state.department_id && !state.co_handlers.contains(d))
                .collect();
            if new.is_empty() {
                return Err(TransitionError::Missing {
                    field: "department_ids",
                });
            }
            Ok(vec![OrderEvent::CoHandlersAdded {
                department_ids: new,
            }])
        }
        Command::Merge { into } => {
            if !s.is_open() {
                return refuse();
            }
            if *into == self_id {
                return Err(TransitionError::MergeIntoSelf);
            }
            Ok(vec![OrderEvent::Merged { into: *into }])
        }
        Command::Urge { note } => {
            if !s.is_open() {
                return refuse();
            }
            Ok(vec![OrderEvent::Urged {
                note: note.clone(),
                count: state.urge_count + 1,
            }])
        }
        Command::Reopen { reason } => {
            if s != S::Closed {
                return refuse();
            }
            need(reason, "reason")?;
            Ok(vec![OrderEvent::Reopened {
                reason: reason.clone(),
                after_visit: false,
            }])
        }
        Command::Cancel { reason } => {
            if !matches!(s, S::Accepted | S::Dispatched | S::Acknowledged) {
                return refuse();
            }
            need(reason, "reason")?;
            Ok(vec![OrderEvent::Cancelled {
                reason: reason.clone(),
            }])
        }
    }
}

/// Folds one event into the state.
pub fn apply(state: &mut OrderState, ev: &OrderEvent) {
    use OrderStatus as S;
    match ev {
        OrderEvent::Dispatched {
            department_id,
            assignee_id,
        } => {
            state.status = S::Dispatched;
            state.department_id = Some(*department_id);
            state.assignee_id = *assignee_id;
        }
        OrderEvent::Acknowledged { assignee_id } => {
            state.status = S::Acknowledged;
            state.assignee_id = Some(*assignee_id);
        }
        OrderEvent::Contacted { .. } => state.contacted = true,
        OrderEvent::Arrived => state.status = S::OnSite,
        OrderEvent::Replied {
            verdict,
            root_cause,
            ..
        } => {
            state.status = S::Replied;
            state.replied = true;
            state.verdict = *verdict;
            state.root_cause = *root_cause;
        }
        OrderEvent::ReturnVisited { satisfaction, .. } => state.satisfaction = Some(*satisfaction),
        OrderEvent::Closed => state.status = S::Closed,
        OrderEvent::Returned { .. } => {
            state.status = S::Accepted;
            state.department_id = None;
            state.assignee_id = None;
        }
        OrderEvent::Transferred {
            department_id,
            assignee_id,
            ..
        } => {
            state.status = S::Dispatched;
            state.department_id = Some(*department_id);
            state.assignee_id = *assignee_id;
        }
        OrderEvent::CoHandlersAdded { department_ids } => state.co_handlers.extend(department_ids),
        OrderEvent::Merged { into } => {
            state.status = S::Merged;
            state.merged_into = Some(*into);
        }
        OrderEvent::Urged { count, .. } => state.urge_count = *count,
        OrderEvent::Reopened { .. } => {
            state.status = if state.department_id.is_some() {
                S::Dispatched
            } else {
                S::Accepted
            };
            state.replied = false;
            state.satisfaction = None;
            state.reopen_count += 1;
        }
        OrderEvent::Cancelled { .. } => state.status = S::Cancelled,
    }
}

/// Decides and applies in one step; returns the events for the trace.
pub fn execute(
    state: &mut OrderState,
    self_id: i64,
    cmd: &Command,
) -> Result<Vec<OrderEvent>, TransitionError> {
    let events = decide(state, self_id, cmd)?;
    for e in &events {
        apply(state, e);
    }
    Ok(events)
}

/// A repeat complaint (重复投诉): the same customer complains about the same subject again
/// after an earlier complaint about it was closed. Returns the earlier order to link to.
pub fn find_repeat_of<'a>(
    new_subject: crate::SubjectArea,
    earlier: impl IntoIterator<Item = &'a EarlierOrder>,
) -> Option<i64> {
    earlier
        .into_iter()
        .filter(|o| o.subject == Some(new_subject) && o.status == OrderStatus::Closed)
        .max_by_key(|o| o.closed_at)
        .map(|o| o.id)
}

/// The facts about an earlier order of the same customer that repeat detection needs.
#[derive(Debug, Clone)]
pub struct EarlierOrder {
    pub id: i64,
    pub subject: Option<crate::SubjectArea>,
    pub status: OrderStatus,
    pub closed_at: Option<crate::Millis>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubjectArea;

    fn run(t: OrderType, cmds: &[Command]) -> Result<OrderState, TransitionError> {
        let mut s = OrderState::new(t);
        for c in cmds {
            execute(&mut s, 1, c)?;
        }
        Ok(s)
    }

    fn reply(v: Option<Verdict>) -> Command {
        Command::Reply {
            text: "已处理".into(),
            verdict: v,
            root_cause: v.map(|_| RootCause::ServiceQuality),
        }
    }

    #[test]
    fn complaint_happy_path_closes_after_return_visit() {
        let s = run(
            OrderType::Complaint,
            &[
                Command::Dispatch {
                    department_id: 7,
                    assignee_id: None,
                },
                Command::Acknowledge { assignee_id: 3 },
                Command::Contact {
                    note: "已电话联系".into(),
                },
                reply(Some(Verdict::Substantiated)),
                Command::ReturnVisit {
                    satisfaction: Satisfaction::Satisfied,
                    comment: String::new(),
                },
            ],
        )
        .unwrap();
        assert_eq!(s.status, OrderStatus::Closed);
    }

    #[test]
    fn complaint_reply_needs_verdict() {
        let err = run(
            OrderType::Complaint,
            &[
                Command::Dispatch {
                    department_id: 7,
                    assignee_id: None,
                },
                Command::Acknowledge { assignee_id: 3 },
                reply(None),
            ],
        )
        .unwrap_err();
        assert_eq!(err, TransitionError::Missing { field: "verdict" });
    }

    #[test]
    fn dissatisfied_visit_reopens_to_department() {
        let s = run(
            OrderType::Complaint,
            &[
                Command::Dispatch {
                    department_id: 7,
                    assignee_id: None,
                },
                Command::Acknowledge { assignee_id: 3 },
                reply(Some(Verdict::Unsubstantiated)),
                Command::ReturnVisit {
                    satisfaction: Satisfaction::Dissatisfied,
                    comment: "还是没来电".into(),
                },
            ],
        )
        .unwrap();
        assert_eq!(s.status, OrderStatus::Dispatched);
        assert_eq!(s.reopen_count, 1);
        assert!(!s.replied);
    }

    #[test]
    fn repair_needs_arrival_before_reply() {
        let err = run(
            OrderType::Repair,
            &[
                Command::Dispatch {
                    department_id: 2,
                    assignee_id: None,
                },
                Command::Acknowledge { assignee_id: 9 },
                reply(None),
            ],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            TransitionError::NotAllowed {
                action: "reply",
                ..
            }
        ));
        assert!(matches!(
            run(OrderType::Consultation, &[Command::Arrive]).unwrap_err(),
            TransitionError::RepairOnly { .. }
        ));
    }

    #[test]
    fn consultation_answered_at_intake_closes_without_visit() {
        let s = run(OrderType::Consultation, &[reply(None), Command::Close]).unwrap();
        assert_eq!(s.status, OrderStatus::Closed);
    }

    #[test]
    fn a_reply_is_no_contact_and_a_contact_can_follow_it() {
        let contact = [ClockOfOrder {
            kind: ClockKind::Contact,
            live: true,
        }];
        let replied = OrderEvent::Replied {
            text: "已答复".into(),
            verdict: None,
            root_cause: None,
        };
        assert!(clock_changes(&replied, &contact).end.is_empty());
        let s = run(OrderType::Consultation, &[reply(None)]).unwrap();
        assert_eq!(s.status, OrderStatus::Replied);
        let ev = decide(
            &s,
            1,
            &Command::Contact {
                note: "已电话联系".into(),
            },
        )
        .unwrap();
        assert_eq!(
            clock_changes(&ev[0], &contact).end,
            vec![(0, ClockEnd::Met)]
        );
    }

    fn clocks(v: &[(ClockKind, bool)]) -> Vec<ClockOfOrder> {
        v.iter()
            .map(|&(kind, live)| ClockOfOrder { kind, live })
            .collect()
    }

    /// The changes `ev` makes to clocks of these kinds and liveness.
    fn check_clocks(
        ev: OrderEvent,
        given: &[(ClockKind, bool)],
        end: &[(usize, ClockEnd)],
        start: Option<(ClockStart, Option<Vec<ClockKind>>)>,
    ) {
        assert_eq!(
            clock_changes(&ev, &clocks(given)),
            ClockChanges {
                end: end.to_vec(),
                start
            },
            "{ev:?}"
        );
    }

    #[test]
    fn events_end_and_start_clocks() {
        use ClockEnd::*;
        use ClockKind::*;
        let all = [
            (Contact, true),
            (Arrive, true),
            (Answer, false),
            (Answer, true),
            (Close, true),
        ];
        check_clocks(
            OrderEvent::Contacted { note: "x".into() },
            &all,
            &[(0, Met)],
            None,
        );
        check_clocks(
            OrderEvent::Arrived,
            &all,
            &[(1, Met)],
            Some((ClockStart::Arrived, None)),
        );
        check_clocks(
            OrderEvent::Replied {
                text: "x".into(),
                verdict: None,
                root_cause: None,
            },
            &all,
            &[(1, Met), (3, Met)],
            None,
        );
        check_clocks(
            OrderEvent::Closed,
            &all,
            &[(0, Met), (1, Met), (3, Met), (4, Met)],
            None,
        );
        for gone in [
            OrderEvent::Merged { into: 2 },
            OrderEvent::Cancelled { reason: "x".into() },
        ] {
            check_clocks(
                gone,
                &all,
                &[(0, Stopped), (1, Stopped), (3, Stopped), (4, Stopped)],
                None,
            );
        }
        check_clocks(
            OrderEvent::Reopened {
                reason: "x".into(),
                after_visit: false,
            },
            &all,
            &[(3, Stopped), (4, Stopped)],
            Some((ClockStart::Accepted, Some(vec![Answer, Close]))),
        );
        check_clocks(
            OrderEvent::Urged {
                note: "x".into(),
                count: 1,
            },
            &all,
            &[],
            None,
        );
        assert!(
            !OrderEvent::Urged {
                note: "x".into(),
                count: 1
            }
            .touches_clocks()
        );
        assert!(OrderEvent::Closed.touches_clocks());
        check_clocks(
            OrderEvent::Arrived,
            &[],
            &[],
            Some((ClockStart::Arrived, None)),
        );
    }

    #[test]
    fn repeat_complaint_links_latest_closed_same_subject() {
        let earlier = [
            EarlierOrder {
                id: 1,
                subject: Some(SubjectArea::Outage),
                status: OrderStatus::Closed,
                closed_at: Some(10),
            },
            EarlierOrder {
                id: 2,
                subject: Some(SubjectArea::Outage),
                status: OrderStatus::Closed,
                closed_at: Some(20),
            },
            EarlierOrder {
                id: 3,
                subject: Some(SubjectArea::TariffBill),
                status: OrderStatus::Closed,
                closed_at: Some(30),
            },
            EarlierOrder {
                id: 4,
                subject: Some(SubjectArea::Outage),
                status: OrderStatus::Dispatched,
                closed_at: None,
            },
        ];
        assert_eq!(find_repeat_of(SubjectArea::Outage, &earlier), Some(2));
        assert_eq!(find_repeat_of(SubjectArea::Metering, &earlier), None);
    }
}
