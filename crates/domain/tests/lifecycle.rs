//! Property tests of the work-order state machine: no sequence of commands breaks its
//! invariants.

use proptest::prelude::*;
use voltdesk_domain::order::{Command, OrderEvent, OrderState, apply, decide, needs_return_visit};
use voltdesk_domain::{OrderStatus, OrderType, RootCause, Satisfaction, Verdict};

fn order_type() -> impl Strategy<Value = OrderType> {
    prop::sample::select(OrderType::ALL.to_vec())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), Just("处理说明".to_string())]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (1i64..4, prop::option::of(1i64..4)).prop_map(|(d, a)| Command::Dispatch {
            department_id: d,
            assignee_id: a
        }),
        (1i64..4).prop_map(|a| Command::Acknowledge { assignee_id: a }),
        text().prop_map(|note| Command::Contact { note }),
        Just(Command::Arrive),
        (
            text(),
            prop::option::of(Just(Verdict::Substantiated)),
            prop::option::of(Just(RootCause::Chance))
        )
            .prop_map(|(text, verdict, root_cause)| Command::Reply {
                text,
                verdict,
                root_cause
            }),
        (prop::sample::select(Satisfaction::ALL.to_vec()), text()).prop_map(
            |(satisfaction, comment)| Command::ReturnVisit {
                satisfaction,
                comment
            }
        ),
        Just(Command::Close),
        text().prop_map(|reason| Command::ReturnToSender { reason }),
        (1i64..4).prop_map(|d| Command::Transfer {
            department_id: d,
            assignee_id: None
        }),
        prop::collection::vec(1i64..5, 0..3)
            .prop_map(|department_ids| Command::CoHandle { department_ids }),
        (0i64..3).prop_map(|into| Command::Merge { into }),
        text().prop_map(|note| Command::Urge { note }),
        text().prop_map(|reason| Command::Reopen { reason }),
        text().prop_map(|reason| Command::Cancel { reason }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// No sequence closes an order without a reply in the current round; a closed order
    /// that needs a return visit has one; refused commands change nothing; every accepted
    /// command yields at least one event, and replaying the events rebuilds the state.
    #[test]
    fn lifecycle_invariants(t in order_type(), cmds in prop::collection::vec(command(), 0..40)) {
        let mut state = OrderState::new(t);
        let mut log: Vec<OrderEvent> = Vec::new();
        for cmd in &cmds {
            let before = state.clone();
            match decide(&state, 1, cmd) {
                Ok(events) => {
                    prop_assert!(!events.is_empty(), "command {:?} produced no event", cmd);
                    for e in &events {
                        let was = state.status;
                        apply(&mut state, e);
                        if matches!(e, OrderEvent::Closed) {
                            prop_assert!(state.replied, "closed without a reply from {:?}", was);
                            prop_assert_eq!(was, OrderStatus::Replied);
                            if needs_return_visit(t) {
                                prop_assert!(state.satisfaction.is_some());
                            }
                        }
                        log.push(e.clone());
                    }
                }
                Err(_) => prop_assert_eq!(&state, &before),
            }
            if state.status == OrderStatus::Closed {
                prop_assert!(state.replied);
            }
        }
        let mut replayed = OrderState::new(t);
        for e in &log {
            apply(&mut replayed, e);
        }
        prop_assert_eq!(replayed, state);
    }
}
