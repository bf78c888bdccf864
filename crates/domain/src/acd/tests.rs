use super::*;

const T0: Millis = 1_700_000_000_000;
const SEC: i64 = 1_000;

fn queue(id: &str, skill: &str) -> QueueConfig {
    QueueConfig::new(id, id, skill)
}

fn qid(id: &str) -> QueueId {
    QueueId::new(id)
}

const NORMAL: CallerFlags = CallerFlags {
    sensitive: false,
    care_group: false,
    repeat: false,
};

/// An ACD driven through its inputs at a clock the test moves; every input must be
/// accepted and leave the machine consistent.
struct Desk {
    acd: Acd,
    now: Millis,
}

impl Desk {
    fn new(queues: Vec<QueueConfig>) -> Desk {
        Desk {
            acd: Acd::new(queues).unwrap(),
            now: T0,
        }
    }

    /// Moves the clock to `ms` after T0.
    fn at(&mut self, ms: i64) -> &mut Desk {
        assert!(T0 + ms >= self.now, "time runs forward");
        self.now = T0 + ms;
        self
    }

    fn run(&mut self, input: impl FnOnce(&mut Acd, Millis) -> Outcome) -> Vec<AcdEvent> {
        let ev = input(&mut self.acd, self.now).unwrap();
        self.acd.audit().unwrap();
        ev
    }

    fn login(&mut self, agent: i64, skills: &[(&str, u8)]) -> Vec<AcdEvent> {
        let skills = skills.iter().map(|&(s, l)| Skill::new(s, l)).collect();
        self.run(|a, now| a.login(AgentId(agent), skills, now))
    }

    fn ready(&mut self, agent: i64) -> Vec<AcdEvent> {
        self.run(|a, now| a.set_ready(AgentId(agent), now))
    }

    fn login_ready(&mut self, agent: i64, skills: &[(&str, u8)]) -> Vec<AcdEvent> {
        self.login(agent, skills);
        self.ready(agent)
    }

    fn call(&mut self, call: u64, queue: &str, flags: CallerFlags) -> Vec<AcdEvent> {
        self.run(|a, now| a.enqueue(CallId(call), &qid(queue), flags, now))
    }

    fn answer(&mut self, agent: i64, call: u64) -> Vec<AcdEvent> {
        self.run(|a, now| a.answered(AgentId(agent), CallId(call), now))
    }

    fn hang_up(&mut self, call: u64) -> Vec<AcdEvent> {
        self.run(|a, now| a.hang_up(CallId(call), now))
    }

    fn tick(&mut self) -> Vec<AcdEvent> {
        let ev = self.acd.tick(self.now);
        self.acd.audit().unwrap();
        ev
    }

    fn state(&self, agent: i64) -> AgentState {
        self.acd.agent_state(AgentId(agent)).unwrap().clone()
    }

    fn stage(&self, call: u64) -> CallStage {
        self.acd.call(CallId(call)).unwrap().stage
    }
}

/// The (call, agent) pairs offered, in order.
fn offers(ev: &[AcdEvent]) -> Vec<(u64, i64)> {
    ev.iter()
        .filter_map(|e| match e {
            AcdEvent::Offered { call, agent, .. } => Some((call.0, agent.0)),
            _ => None,
        })
        .collect()
}

fn ended(ev: &[AcdEvent]) -> Vec<(u64, CallOutcome)> {
    ev.iter()
        .filter_map(|e| match e {
            AcdEvent::Ended { call, outcome, .. } => Some((call.0, outcome.clone())),
            _ => None,
        })
        .collect()
}

fn not_ready(reason: &str, since: Millis) -> AgentState {
    AgentState::NotReady {
        reason: reason.to_string(),
        since,
    }
}

#[test]
fn caller_flags_give_the_documented_priority() {
    let f = |sensitive, care_group, repeat| {
        CallerFlags {
            sensitive,
            care_group,
            repeat,
        }
        .priority()
    };
    assert_eq!(f(false, false, false), Priority::Normal);
    assert_eq!(f(false, false, true), Priority::Repeat);
    assert_eq!(f(false, true, true), Priority::CareGroup);
    assert_eq!(f(true, true, true), Priority::Sensitive);
    assert!(Priority::Transferred < Priority::Sensitive);
    assert!(Priority::Sensitive < Priority::CareGroup);
    assert!(Priority::CareGroup < Priority::Repeat);
    assert!(Priority::Repeat < Priority::Normal);
}

#[test]
fn callers_are_served_by_priority_then_by_how_long_they_waited() {
    let mut d = Desk::new(vec![queue("q", "power")]);
    let flags = |sensitive, care_group, repeat| CallerFlags {
        sensitive,
        care_group,
        repeat,
    };
    let arrivals = [
        (1, NORMAL),
        (2, flags(false, false, true)),
        (3, flags(false, true, false)),
        (4, flags(true, false, false)),
        (5, NORMAL),
        (6, flags(true, false, false)),
        (7, flags(true, true, true)),
    ];
    for (i, &(call, f)) in arrivals.iter().enumerate() {
        d.at(i as i64 * SEC).call(call, "q", f);
    }
    assert_eq!(d.acd.position(CallId(4)).unwrap().place, 1);
    assert_eq!(d.acd.position(CallId(5)).unwrap().place, 7);

    d.at(10 * SEC).login(100, &[("power", 5)]);
    let mut served = Vec::new();
    let mut ev = d.ready(100);
    for round in 0..arrivals.len() as i64 {
        let [(call, agent)] = offers(&ev)[..] else {
            panic!("one offer expected, got {ev:?}");
        };
        served.push(call);
        d.at(20 * SEC + round * 100 * SEC).answer(agent, call);
        d.at(20 * SEC + round * 100 * SEC + 50 * SEC).hang_up(call);
        ev = d.ready(100);
    }
    assert_eq!(served, [4, 6, 7, 3, 2, 1, 5]);
}

/// Agents (id, level, idle since in seconds after T0, calls answered today), all ready
/// before one call arrives in a queue with `strategy` and `min_level`: who is offered it.
fn check_pick(
    strategy: Strategy,
    min_level: u8,
    agents: &[(i64, u8, i64, u32)],
    want: Option<i64>,
) {
    let mut q = queue("q", "bill");
    q.strategy = strategy;
    q.min_level = min_level;
    let mut d = Desk::new(vec![q]);
    for &(id, level, idle, answered) in agents {
        d.login(id, &[("bill", level)]);
        let a = d.acd.agents.get_mut(&AgentId(id)).unwrap();
        a.idle_since = T0 + idle * SEC;
        a.answered_today = answered;
    }
    for &(id, ..) in agents.iter().rev() {
        d.ready(id);
    }
    let ev = d.at(100 * SEC).call(1, "q", NORMAL);
    let got = offers(&ev).first().map(|&(_, a)| a);
    assert_eq!(got, want, "{strategy:?} min {min_level} among {agents:?}");
}

#[test]
fn across_queues_an_agent_gets_the_best_caller_of_all_they_can_take() {
    let mut d = Desk::new(vec![queue("bill", "bill"), queue("outage", "outage")]);
    let care = CallerFlags {
        care_group: true,
        ..NORMAL
    };
    d.call(1, "bill", NORMAL);
    d.at(SEC).call(2, "outage", NORMAL);
    d.at(2 * SEC).call(3, "outage", care);
    d.login(1, &[("bill", 5), ("outage", 5)]);
    let mut served = Vec::new();
    for round in 0..3 {
        let ev = d.at(10 * SEC + round * 100 * SEC).ready(1);
        let [(call, _)] = offers(&ev)[..] else {
            panic!("one offer expected, got {ev:?}");
        };
        served.push(call);
        d.answer(1, call);
        d.hang_up(call);
    }
    assert_eq!(served, [3, 1, 2]);
}

#[test]
fn longest_idle_picks_the_agent_whose_last_call_ended_first() {
    let agents = [(1, 5, 30, 0), (2, 5, 10, 9), (3, 9, 20, 0)];
    check_pick(Strategy::LongestIdle, 1, &agents, Some(2));
    // Below the queue's level an agent is not asked, however idle.
    check_pick(Strategy::LongestIdle, 6, &agents, Some(3));
    check_pick(
        Strategy::LongestIdle,
        1,
        &[(1, 5, 10, 0), (2, 5, 10, 0)],
        Some(1),
    );
}

#[test]
fn fewest_calls_picks_the_least_loaded_then_the_longest_idle() {
    let agents = [(1, 5, 10, 4), (2, 5, 30, 2), (3, 5, 20, 2), (4, 2, 0, 0)];
    check_pick(Strategy::FewestCalls, 1, &agents, Some(4));
    check_pick(Strategy::FewestCalls, 3, &agents, Some(3));
}

#[test]
fn skill_level_picks_the_most_skilled_then_the_longest_idle() {
    let agents = [(1, 3, 0, 0), (2, 7, 30, 0), (3, 7, 20, 5), (4, 6, 10, 0)];
    check_pick(Strategy::SkillLevel, 1, &agents, Some(3));
    check_pick(Strategy::SkillLevel, 8, &agents, None);
}

#[test]
fn an_agent_without_the_skill_or_below_the_level_is_never_offered_the_call() {
    let mut q = queue("q", "bill");
    q.min_level = 4;
    let mut d = Desk::new(vec![q]);
    d.login_ready(1, &[("outage", 9)]);
    d.login_ready(2, &[("bill", 3)]);
    let ev = d.call(1, "q", NORMAL);
    assert!(offers(&ev).is_empty());
    assert_eq!(d.stage(1), CallStage::Waiting);
    let ev = d.at(SEC).login_ready(3, &[("outage", 2), ("bill", 4)]);
    assert_eq!(offers(&ev), [(1, 3)]);
}

#[test]
fn after_a_call_the_agent_counts_as_idle_from_its_end() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.at(SEC).login_ready(2, &[("bill", 5)]);
    assert_eq!(offers(&d.at(2 * SEC).call(1, "q", NORMAL)), [(1, 1)]);
    d.at(3 * SEC).answer(1, 1);
    d.at(60 * SEC).hang_up(1);
    d.ready(1);
    // Agent 2 has been idle since logging in at 1 s; agent 1 since 60 s.
    assert_eq!(offers(&d.at(61 * SEC).call(2, "q", NORMAL)), [(2, 2)]);
}

#[test]
fn a_ring_timeout_withdraws_the_offer_and_tries_the_next_agent() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.at(SEC).login_ready(2, &[("bill", 5)]);
    let ev = d.at(2 * SEC).call(7, "q", NORMAL);
    let deadline = T0 + 2 * SEC + DEFAULT_RING_TIMEOUT_MS;
    assert_eq!(offers(&ev), [(7, 1)]);
    assert_eq!(d.acd.next_deadline(), Some(deadline));

    assert!(d.at(deadline - T0 - 1).tick().is_empty());
    let ev = d.at(deadline - T0).tick();
    let now = deadline;
    assert_eq!(
        ev,
        [
            AcdEvent::OfferWithdrawn {
                call: CallId(7),
                agent: AgentId(1),
                reason: WithdrawReason::RingTimeout,
            },
            AcdEvent::AgentState {
                agent: AgentId(1),
                from: AgentStateKind::Offered,
                to: not_ready("ring_timeout", now),
            },
            AcdEvent::Offered {
                call: CallId(7),
                queue: qid("q"),
                agent: AgentId(2),
                ring_deadline: now + DEFAULT_RING_TIMEOUT_MS,
            },
            AcdEvent::AgentState {
                agent: AgentId(2),
                from: AgentStateKind::Ready,
                to: AgentState::Offered {
                    call: CallId(7),
                    since: now,
                },
            },
        ]
    );
    // A pick-up after the deadline but before the tick still connects.
    d.at(deadline - T0 + DEFAULT_RING_TIMEOUT_MS + 5);
    d.answer(2, 7);
    assert!(matches!(d.stage(7), CallStage::Talking { .. }));
}

#[test]
fn a_rejected_call_keeps_its_place_and_goes_to_the_next_agent() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    let sensitive = CallerFlags {
        sensitive: true,
        ..NORMAL
    };
    d.call(1, "q", sensitive);
    d.at(SEC).call(2, "q", NORMAL);
    let ev = d.at(2 * SEC).login_ready(10, &[("bill", 5)]);
    assert_eq!(offers(&ev), [(1, 10)]);
    let ev = d.run(|a, now| a.rejected(AgentId(10), CallId(1), RingFailure::Busy, now));
    assert!(
        offers(&ev).is_empty(),
        "the agent who missed it is not ready"
    );
    assert_eq!(d.state(10), not_ready("busy", d.now));
    assert_eq!(d.acd.position(CallId(1)).unwrap().place, 1);
    let ev = d.at(3 * SEC).login_ready(11, &[("bill", 5)]);
    assert_eq!(offers(&ev), [(1, 11)]);
}

#[test]
fn wrap_up_ends_at_its_time_and_the_agent_takes_the_next_call() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.at(SEC).answer(1, 1);
    let ev = d.at(100 * SEC).hang_up(1);
    let until = T0 + 100 * SEC + DEFAULT_WRAP_UP_MS;
    assert_eq!(
        ev,
        [
            AcdEvent::Ended {
                call: CallId(1),
                queue: qid("q"),
                outcome: CallOutcome::Answered {
                    agent: AgentId(1),
                    talk_ms: 99 * SEC,
                },
            },
            AcdEvent::AgentState {
                agent: AgentId(1),
                from: AgentStateKind::Talking,
                to: AgentState::WrapUp {
                    call: CallId(1),
                    until,
                },
            },
        ]
    );
    d.at(101 * SEC).call(2, "q", NORMAL);
    assert_eq!(d.acd.next_deadline(), Some(until));
    assert!(d.at(until - T0 - 1).tick().is_empty());
    let ev = d.at(until - T0).tick();
    assert_eq!(offers(&ev), [(2, 1)]);
    assert_eq!(
        d.acd.snapshot(d.now).queues[0].average_handle_ms,
        99 * SEC + DEFAULT_WRAP_UP_MS
    );
}

#[test]
fn ready_during_wrap_up_ends_it_early_and_no_wrap_up_means_free_at_once() {
    let mut q = queue("q", "bill");
    let mut fast = queue("fast", "bill");
    fast.wrap_up_ms = 0;
    q.wrap_up_ms = 60 * SEC;
    let mut d = Desk::new(vec![q, fast]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.answer(1, 1);
    d.at(10 * SEC).hang_up(1);
    d.at(20 * SEC).ready(1);
    assert_eq!(
        d.state(1),
        AgentState::Ready {
            since: T0 + 20 * SEC
        }
    );
    assert_eq!(d.acd.next_deadline(), None);

    d.call(2, "fast", NORMAL);
    d.answer(1, 2);
    let ev = d.at(30 * SEC).hang_up(2);
    assert_eq!(
        d.state(1),
        AgentState::Ready {
            since: T0 + 30 * SEC
        }
    );
    assert!(matches!(
        ev.last(),
        Some(AcdEvent::AgentState {
            from: AgentStateKind::Talking,
            ..
        })
    ));
}

#[test]
fn a_call_overflows_after_its_time_and_keeps_its_age() {
    let mut first = queue("first", "bill");
    first.overflow_after_ms = Some(60 * SEC);
    first.overflow_to = Some(qid("general"));
    let mut d = Desk::new(vec![first, queue("general", "any")]);
    d.call(1, "first", NORMAL);
    d.at(10 * SEC).call(2, "general", NORMAL);
    assert_eq!(d.acd.next_deadline(), Some(T0 + 60 * SEC));
    assert!(d.at(59 * SEC).tick().is_empty());
    let ev = d.at(60 * SEC).tick();
    assert_eq!(
        ev,
        [
            AcdEvent::Overflowed {
                call: CallId(1),
                from: qid("first"),
                to: qid("general"),
            },
            AcdEvent::Queued {
                call: CallId(1),
                queue: qid("general"),
                position: 1,
            },
        ]
    );
    assert_eq!(d.acd.next_deadline(), None);
    let ev = d.at(70 * SEC).login_ready(5, &[("any", 1)]);
    assert_eq!(offers(&ev), [(1, 5)]);
    let ev = d.answer(5, 1);
    assert!(ev.contains(&AcdEvent::Connected {
        call: CallId(1),
        queue: qid("general"),
        agent: AgentId(5),
        waited_ms: 70 * SEC,
    }));
}

#[test]
fn a_caller_who_hangs_up_while_ringing_frees_the_agent_for_the_next() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.at(SEC).call(2, "q", NORMAL);
    let ev = d.at(5 * SEC).run(|a, now| a.abandon(CallId(1), now));
    assert_eq!(
        ev[..3],
        [
            AcdEvent::OfferWithdrawn {
                call: CallId(1),
                agent: AgentId(1),
                reason: WithdrawReason::Abandoned,
            },
            AcdEvent::AgentState {
                agent: AgentId(1),
                from: AgentStateKind::Offered,
                to: AgentState::Ready {
                    since: T0 + 5 * SEC
                },
            },
            AcdEvent::Ended {
                call: CallId(1),
                queue: qid("q"),
                outcome: CallOutcome::Abandoned { waited_ms: 5 * SEC },
            },
        ]
    );
    assert_eq!(offers(&ev), [(2, 1)]);
    assert!(d.acd.call(CallId(1)).is_none());
}

#[test]
fn a_waiting_caller_who_hangs_up_or_is_removed_ends_once() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.call(1, "q", NORMAL);
    d.call(2, "q", NORMAL);
    let ev = d.at(8 * SEC).run(|a, now| a.abandon(CallId(1), now));
    assert_eq!(
        ended(&ev),
        [(1, CallOutcome::Abandoned { waited_ms: 8 * SEC })]
    );
    let ev = d.run(|a, now| a.remove(CallId(2), RemoveReason::CallbackAccepted, now));
    assert_eq!(
        ended(&ev),
        [(
            2,
            CallOutcome::Removed {
                reason: RemoveReason::CallbackAccepted,
                waited_ms: 8 * SEC
            }
        )]
    );
    assert_eq!(
        d.acd.abandon(CallId(1), d.now),
        Err(AcdError::UnknownCall(CallId(1)))
    );
}

#[test]
fn an_answered_call_cannot_be_abandoned_or_removed() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.answer(1, 1);
    let before = d.acd.clone();
    assert_eq!(
        d.acd.abandon(CallId(1), d.now),
        Err(AcdError::Answered(CallId(1)))
    );
    assert_eq!(
        d.acd.remove(CallId(1), RemoveReason::Voicemail, d.now),
        Err(AcdError::Answered(CallId(1)))
    );
    assert_eq!(d.acd, before);
}

#[test]
fn a_transfer_to_a_queue_puts_the_caller_ahead_of_everyone_waiting() {
    let mut d = Desk::new(vec![queue("front", "general"), queue("bill", "bill")]);
    d.login_ready(1, &[("general", 5)]);
    d.call(1, "front", NORMAL);
    d.at(SEC).answer(1, 1);
    let sensitive = CallerFlags {
        sensitive: true,
        ..NORMAL
    };
    d.call(2, "bill", sensitive);
    let ev = d
        .at(40 * SEC)
        .run(|a, now| a.transfer(CallId(1), TransferTarget::Queue(qid("bill")), now));
    assert_eq!(
        ev,
        [
            AcdEvent::Transferred {
                call: CallId(1),
                from_agent: AgentId(1),
                from_queue: qid("front"),
                to: TransferTarget::Queue(qid("bill")),
                talk_ms: 39 * SEC,
            },
            AcdEvent::AgentState {
                agent: AgentId(1),
                from: AgentStateKind::Talking,
                to: AgentState::WrapUp {
                    call: CallId(1),
                    until: T0 + 40 * SEC + DEFAULT_WRAP_UP_MS,
                },
            },
            AcdEvent::Queued {
                call: CallId(1),
                queue: qid("bill"),
                position: 1,
            },
        ]
    );
    let ev = d.at(50 * SEC).login_ready(2, &[("bill", 5)]);
    assert_eq!(offers(&ev), [(1, 2)]);
    let ev = d.answer(2, 1);
    assert!(ev.contains(&AcdEvent::Connected {
        call: CallId(1),
        queue: qid("bill"),
        agent: AgentId(2),
        waited_ms: 10 * SEC,
    }));
}

#[test]
fn a_transfer_to_an_agent_rings_them_if_ready_and_is_refused_otherwise() {
    let mut d = Desk::new(vec![queue("q", "general")]);
    d.login_ready(1, &[("general", 5)]);
    d.login(2, &[]);
    d.call(1, "q", NORMAL);
    d.answer(1, 1);
    let before = d.acd.clone();
    let to_2 = TransferTarget::Agent(AgentId(2));
    assert_eq!(
        d.acd.transfer(CallId(1), to_2.clone(), d.now),
        Err(AcdError::AgentNotReady(AgentId(2)))
    );
    assert_eq!(d.acd, before);

    d.at(SEC).ready(2);
    let ev = d.at(2 * SEC).run(|a, now| a.transfer(CallId(1), to_2, now));
    // Agent 2 lacks the queue's skill: a transfer to a person goes to the person.
    assert_eq!(offers(&ev), [(1, 2)]);
    // Missed, the caller waits in the call's queue ahead of everyone not transferred.
    d.call(
        2,
        "q",
        CallerFlags {
            sensitive: true,
            ..NORMAL
        },
    );
    d.at(3 * SEC)
        .run(|a, now| a.rejected(AgentId(2), CallId(1), RingFailure::Declined, now));
    assert_eq!(d.acd.position(CallId(1)).unwrap().place, 1);
    assert_eq!(
        d.acd.call(CallId(1)).unwrap().priority,
        Priority::Transferred
    );
}

#[test]
fn not_ready_asked_for_during_a_call_applies_after_wrap_up() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.answer(1, 1);
    let ev = d.run(|a, now| a.set_not_ready(AgentId(1), "lunch", now));
    assert!(ev.is_empty());
    d.at(60 * SEC).hang_up(1);
    d.call(2, "q", NORMAL);
    let ev = d.at(60 * SEC + DEFAULT_WRAP_UP_MS).tick();
    assert!(offers(&ev).is_empty());
    assert_eq!(d.state(1), not_ready("lunch", d.now));

    // Ready again while talking cancels the request.
    d.ready(1);
    d.answer(1, 2);
    d.run(|a, now| a.set_not_ready(AgentId(1), "lunch", now));
    d.ready(1);
    d.at(200 * SEC).hang_up(2);
    d.at(300 * SEC).tick();
    assert_eq!(d.state(1), AgentState::Ready { since: d.now });
}

#[test]
fn a_missed_call_overrides_a_pending_not_ready() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.run(|a, now| a.set_not_ready(AgentId(1), "lunch", now));
    d.at(DEFAULT_RING_TIMEOUT_MS).tick();
    assert_eq!(d.state(1), not_ready("ring_timeout", d.now));
    let snap = d.acd.snapshot(d.now);
    assert_eq!(snap.agents[0].pending_not_ready, None);
}

#[test]
fn logout_is_refused_while_ringing_or_talking() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    let refused = Err(AcdError::OnCall {
        agent: AgentId(1),
        call: CallId(1),
    });
    assert_eq!(d.acd.logout(AgentId(1), d.now), refused);
    d.answer(1, 1);
    assert_eq!(d.acd.logout(AgentId(1), d.now), refused);
    d.hang_up(1);
    let ev = d.run(|a, now| a.logout(AgentId(1), now));
    assert_eq!(
        ev,
        [AcdEvent::AgentState {
            agent: AgentId(1),
            from: AgentStateKind::WrapUp,
            to: AgentState::LoggedOut,
        }]
    );
    assert_eq!(d.acd.next_deadline(), None);
    assert_eq!(
        d.acd.set_ready(AgentId(1), d.now),
        Err(AcdError::NotLoggedIn(AgentId(1)))
    );
}

#[test]
fn login_checks_the_skills_and_starts_not_ready() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    let login = |d: &mut Desk, skills: Vec<Skill>| d.acd.login(AgentId(1), skills, d.now);
    assert_eq!(
        login(&mut d, vec![Skill::new("bill", 0)]),
        Err(AcdError::SkillLevel {
            skill: "bill".into(),
            level: 0
        })
    );
    assert_eq!(
        login(&mut d, vec![Skill::new("bill", 3), Skill::new("bill", 4)]),
        Err(AcdError::DuplicateSkill("bill".into()))
    );
    let ev = d.login(1, &[("bill", 9)]);
    assert_eq!(
        ev,
        [AcdEvent::AgentState {
            agent: AgentId(1),
            from: AgentStateKind::LoggedOut,
            to: not_ready(LOGIN_REASON, T0),
        }]
    );
    assert_eq!(
        login(&mut d, vec![]),
        Err(AcdError::AlreadyLoggedIn(AgentId(1)))
    );
}

#[test]
fn the_estimated_wait_shares_the_line_among_the_skilled_agents() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    for call in 1..=3 {
        d.call(call, "q", NORMAL);
    }
    let est = |d: &Desk, call| d.acd.position(CallId(call)).unwrap();
    // Nobody logged in counts as one agent.
    assert_eq!(est(&d, 3).estimated_wait_ms, 3 * DEFAULT_HANDLE_MS);
    d.login(1, &[("bill", 5)]);
    d.login(2, &[("bill", 5)]);
    d.login(3, &[("outage", 5)]);
    assert_eq!(
        est(&d, 3),
        Position {
            place: 3,
            estimated_wait_ms: 3 * DEFAULT_HANDLE_MS / 2
        }
    );
    d.ready(1);
    assert_eq!(d.acd.position(CallId(1)), None, "ringing is not waiting");
    d.answer(1, 1);
    d.at(60 * SEC).hang_up(1);
    let aht = 60 * SEC + DEFAULT_WRAP_UP_MS;
    assert_eq!(est(&d, 2).estimated_wait_ms, aht / 2);
}

#[test]
fn the_snapshot_counts_lines_and_agents() {
    let mut d = Desk::new(vec![queue("a", "bill"), queue("b", "outage")]);
    d.login_ready(1, &[("bill", 5)]);
    d.login(2, &[("bill", 5), ("outage", 5)]);
    d.call(1, "a", NORMAL);
    d.at(SEC).call(2, "a", NORMAL);
    d.at(3 * SEC).call(3, "b", NORMAL);
    d.at(10 * SEC);
    let s = d.acd.snapshot(d.now);
    let a = &s.queues[0];
    assert_eq!(
        (a.waiting, a.ringing, a.longest_wait_ms, a.agents_logged_in),
        (1, 1, 9 * SEC, 2)
    );
    assert_eq!(
        (s.queues[1].waiting, s.queues[1].longest_wait_ms),
        (1, 7 * SEC)
    );
    assert_eq!(
        s.agent_counts,
        AgentCounts {
            offered: 1,
            not_ready: 1,
            ..AgentCounts::default()
        }
    );
}

#[test]
fn a_new_day_resets_the_calls_answered() {
    let mut q = queue("q", "bill");
    q.strategy = Strategy::FewestCalls;
    let mut d = Desk::new(vec![q]);
    d.login_ready(1, &[("bill", 5)]);
    d.login(2, &[("bill", 5)]);
    for call in 1..=2 {
        d.call(call, "q", NORMAL);
        d.answer(1, call);
        d.at(call as i64 * SEC).hang_up(call);
        d.ready(1);
    }
    d.run(|a, now| a.set_not_ready(AgentId(1), "break", now));
    d.at(3 * SEC).ready(2);
    d.call(3, "q", NORMAL);
    d.answer(2, 3);
    d.at(4 * SEC).hang_up(3);
    d.ready(2);
    d.ready(1);
    // Agent 1: two calls, idle since 2 s; agent 2: one call, idle since 4 s.
    let mut next_day = d.acd.clone();
    next_day.start_day();
    next_day.audit().unwrap();
    assert_eq!(offers(&d.at(5 * SEC).call(4, "q", NORMAL)), [(4, 2)]);
    let ev = next_day
        .enqueue(CallId(4), &qid("q"), NORMAL, d.now)
        .unwrap();
    assert_eq!(offers(&ev), [(4, 1)]);
}

#[test]
fn refused_inputs_change_nothing() {
    let mut d = Desk::new(vec![queue("q", "bill")]);
    d.login_ready(1, &[("bill", 5)]);
    d.call(1, "q", NORMAL);
    d.call(2, "q", NORMAL);
    let before = d.acd.clone();
    let now = d.now;
    let a = &mut d.acd;
    assert!(a.enqueue(CallId(1), &qid("q"), NORMAL, now).is_err());
    assert!(a.enqueue(CallId(9), &qid("nope"), NORMAL, now).is_err());
    assert!(a.answered(AgentId(1), CallId(2), now).is_err());
    assert!(a.answered(AgentId(2), CallId(1), now).is_err());
    assert!(
        a.rejected(AgentId(1), CallId(2), RingFailure::Busy, now)
            .is_err()
    );
    assert!(a.hang_up(CallId(1), now).is_err());
    assert!(
        a.transfer(CallId(2), TransferTarget::Queue(qid("q")), now)
            .is_err()
    );
    assert!(a.set_not_ready(AgentId(5), "x", now).is_err());
    assert_eq!(*a, before);
}

#[test]
fn queue_configs_are_checked_and_the_error_names_the_queue() {
    let check = |edit: &dyn Fn(&mut Vec<QueueConfig>), want: AcdConfigError| {
        let mut qs = vec![queue("a", "bill"), queue("b", "outage")];
        edit(&mut qs);
        assert_eq!(Acd::new(qs).unwrap_err(), want);
    };
    check(
        &|qs| qs[1].id = qid("a"),
        AcdConfigError::DuplicateQueue(qid("a")),
    );
    check(
        &|qs| qs[1].skill = " ".into(),
        AcdConfigError::NoSkill(qid("b")),
    );
    check(
        &|qs| qs[0].min_level = 10,
        AcdConfigError::MinLevel {
            queue: qid("a"),
            level: 10,
        },
    );
    check(
        &|qs| qs[0].ring_timeout_ms = 0,
        AcdConfigError::RingTimeout {
            queue: qid("a"),
            ms: 0,
        },
    );
    check(
        &|qs| qs[1].wrap_up_ms = -1,
        AcdConfigError::WrapUp {
            queue: qid("b"),
            ms: -1,
        },
    );
    check(
        &|qs| qs[0].overflow_after_ms = Some(1),
        AcdConfigError::OverflowHalf(qid("a")),
    );
    check(
        &|qs| {
            qs[0].overflow_after_ms = Some(0);
            qs[0].overflow_to = Some(qid("b"));
        },
        AcdConfigError::OverflowAfter {
            queue: qid("a"),
            ms: 0,
        },
    );
    check(
        &|qs| {
            qs[0].overflow_after_ms = Some(1);
            qs[0].overflow_to = Some(qid("a"));
        },
        AcdConfigError::OverflowToSelf(qid("a")),
    );
    check(
        &|qs| {
            qs[1].overflow_after_ms = Some(1);
            qs[1].overflow_to = Some(qid("c"));
        },
        AcdConfigError::UnknownOverflow {
            queue: qid("b"),
            target: qid("c"),
        },
    );
    let err = AcdConfigError::UnknownOverflow {
        queue: qid("b"),
        target: qid("c"),
    };
    assert_eq!(
        err.to_string(),
        "queue `b` overflows to `c`, which is not a configured queue"
    );
}

#[test]
fn a_queue_config_reads_from_toml_with_defaults() {
    let q: QueueConfig = toml::from_str(
        r#"
        id = "billing"
        name = "电费咨询"
        skill = "bill"
        strategy = "skill_level"
        "#,
    )
    .unwrap();
    assert_eq!(q.strategy, Strategy::SkillLevel);
    assert_eq!(
        (q.min_level, q.ring_timeout_ms, q.wrap_up_ms),
        (1, 15_000, 30_000)
    );
}

#[test]
fn events_serialize_with_a_kind_tag_in_snake_case() {
    let e = AcdEvent::AgentState {
        agent: AgentId(7),
        from: AgentStateKind::WrapUp,
        to: not_ready("ring_timeout", 5),
    };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "agent_state",
            "agent": 7,
            "from": "wrap_up",
            "to": {"state": "not_ready", "reason": "ring_timeout", "since": 5}
        })
    );
    let e = AcdEvent::Ended {
        call: CallId(3),
        queue: qid("q"),
        outcome: CallOutcome::Removed {
            reason: RemoveReason::CallbackAccepted,
            waited_ms: 9,
        },
    };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "ended",
            "call": 3,
            "queue": "q",
            "outcome": {"kind": "removed", "reason": "callback_accepted", "waited_ms": 9}
        })
    );
    let t = AcdEvent::Transferred {
        call: CallId(3),
        from_agent: AgentId(1),
        from_queue: qid("q"),
        to: TransferTarget::Agent(AgentId(2)),
        talk_ms: 4,
    };
    assert_eq!(
        serde_json::to_value(&t).unwrap()["to"],
        serde_json::json!({"agent": 2})
    );
    for e in [e, t] {
        let back: AcdEvent = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}

#[test]
fn a_place_in_line_counts_from_the_nearer_end() {
    for len in 1..8u64 {
        let line: BTreeSet<WaitKey> = (0..len)
            .map(|i| (Priority::Normal, i as Millis, CallId(i)))
            .collect();
        for (i, &key) in line.iter().enumerate() {
            assert_eq!(place_in(&line, key), i + 1, "{key:?} in a line of {len}");
        }
    }
}
