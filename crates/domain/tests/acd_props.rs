//! Property tests of the ACD: no sequence of inputs offers a call to two agents, puts an
//! agent in two calls, leaves a ready agent idle beside a call they could take, or ends a
//! call other than exactly once.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use voltdesk_domain::Millis;
use voltdesk_domain::acd::{
    self, Acd, AcdEvent, AgentId, AgentState, CallId, CallStage, CallerFlags, QueueConfig, QueueId,
    RemoveReason, RingFailure, Skill, TransferTarget,
};

const T0: Millis = 1_700_000_000_000;
const AGENTS: i64 = 4;
const SKILLS: [&str; 3] = ["bill", "outage", "english"];
const QUEUES: [&str; 3] = ["general", "outage", "expert"];

/// Three queues: two share a skill at different levels, two overflow (one into a queue
/// that overflows back), the strategies and wrap-up times differ, one has no wrap-up.
fn queues() -> Vec<QueueConfig> {
    let mut general = QueueConfig::new("general", "综合", "bill");
    general.overflow_after_ms = Some(40_000);
    general.overflow_to = Some(QueueId::new("outage"));
    general.wrap_up_ms = 10_000;
    let mut outage = QueueConfig::new("outage", "停电", "outage");
    outage.min_level = 3;
    outage.strategy = acd::Strategy::FewestCalls;
    outage.ring_timeout_ms = 10_000;
    outage.wrap_up_ms = 0;
    let mut expert = QueueConfig::new("expert", "专家", "bill");
    expert.min_level = 5;
    expert.strategy = acd::Strategy::SkillLevel;
    expert.overflow_after_ms = Some(20_000);
    expert.overflow_to = Some(QueueId::new("general"));
    vec![general, outage, expert]
}

#[derive(Debug, Clone)]
enum Op {
    Login(i64, Vec<(usize, u8)>),
    Logout(i64),
    Ready(i64),
    NotReady(i64),
    Enqueue(usize, CallerFlags),
    /// Picks up the call ringing the agent, or tries a call that is not.
    Answer(i64),
    Reject(i64, RingFailure),
    Abandon(usize),
    HangUp(usize),
    Transfer(usize, Result<usize, i64>),
    Remove(usize),
    Tick,
    StartDay,
}

fn skills() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((0..SKILLS.len(), 1u8..=9), 0..4)
}

fn op() -> impl Strategy<Value = Op> {
    let agent = 1..=AGENTS;
    let pick = 0usize..16;
    let flags = (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(s, c, r)| CallerFlags {
        sensitive: s,
        care_group: c,
        repeat: r,
    });
    let failure = prop::sample::select(vec![
        RingFailure::Declined,
        RingFailure::Busy,
        RingFailure::Unreachable,
    ]);
    prop_oneof![
        1 => (agent.clone(), skills()).prop_map(|(a, s)| Op::Login(a, s)),
        1 => agent.clone().prop_map(Op::Logout),
        5 => agent.clone().prop_map(Op::Ready),
        1 => agent.clone().prop_map(Op::NotReady),
        5 => (0..QUEUES.len(), flags).prop_map(|(q, f)| Op::Enqueue(q, f)),
        8 => agent.clone().prop_map(Op::Answer),
        1 => (agent.clone(), failure).prop_map(|(a, f)| Op::Reject(a, f)),
        2 => pick.clone().prop_map(Op::Abandon),
        4 => pick.clone().prop_map(Op::HangUp),
        2 => (pick.clone(), prop_oneof![(0..QUEUES.len()).prop_map(Ok), agent.prop_map(Err)])
            .prop_map(|(c, to)| Op::Transfer(c, to)),
        1 => pick.prop_map(Op::Remove),
        4 => Just(Op::Tick),
        1 => Just(Op::StartDay),
    ]
}

/// What the events said, checked as they come, independently of the machine's state.
#[derive(Default)]
struct Ledger {
    entered: Vec<CallId>,
    ends: BTreeMap<CallId, u32>,
    ringing: BTreeMap<CallId, AgentId>,
    talking: BTreeMap<CallId, AgentId>,
    /// Skills of each agent as of their last accepted login.
    skills: HashMap<AgentId, Vec<Skill>>,
}

impl Ledger {
    /// Mostly a call in the ACD at a stage the input fits; now and then any call that
    /// ever entered (or none), so that refusals are exercised too.
    fn pick(&self, acd: &Acd, i: usize, fits: fn(&CallStage) -> bool) -> CallId {
        let mut fitting: Vec<CallId> = acd
            .calls()
            .filter(|c| fits(&c.stage))
            .map(|c| c.call)
            .collect();
        fitting.sort();
        if i % 4 != 3 && !fitting.is_empty() {
            return fitting[i % fitting.len()];
        }
        match self.entered.len() {
            0 => CallId(999),
            n => self.entered[i % n],
        }
    }

    fn record(&mut self, events: &[AcdEvent]) -> Result<(), TestCaseError> {
        for e in events {
            let json = serde_json::to_string(e).unwrap();
            let back: AcdEvent = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, e);
            if let Some(call) = e.call() {
                prop_assert!(!self.ends.contains_key(&call), "{e:?} after the call ended");
            }
            match e {
                AcdEvent::Offered { call, agent, .. } => {
                    prop_assert!(
                        !self.ringing.contains_key(call) && !self.talking.contains_key(call),
                        "{call} offered while ringing or talking"
                    );
                    let busy = self.ringing.values().chain(self.talking.values());
                    prop_assert!(
                        !busy.clone().any(|a| a == agent),
                        "{agent} offered two calls"
                    );
                    self.ringing.insert(*call, *agent);
                }
                AcdEvent::OfferWithdrawn { call, agent, .. } => {
                    prop_assert_eq!(self.ringing.remove(call), Some(*agent));
                }
                AcdEvent::Connected { call, agent, .. } => {
                    prop_assert_eq!(self.ringing.remove(call), Some(*agent));
                    self.talking.insert(*call, *agent);
                }
                AcdEvent::Transferred {
                    call, from_agent, ..
                } => {
                    prop_assert_eq!(self.talking.remove(call), Some(*from_agent));
                }
                AcdEvent::Ended { call, .. } => {
                    prop_assert!(!self.ringing.contains_key(call));
                    self.talking.remove(call);
                    *self.ends.entry(*call).or_default() += 1;
                }
                AcdEvent::Queued { .. } | AcdEvent::Overflowed { .. } => {}
                AcdEvent::AgentState { .. } => {}
            }
        }
        Ok(())
    }
}

/// The invariants that hold between inputs.
fn check(acd: &Acd, ledger: &Ledger) -> Result<(), TestCaseError> {
    if let Err(e) = acd.audit() {
        return Err(TestCaseError::fail(e));
    }
    // Agents and calls agree, each agent is in at most one call and each call rings or
    // talks to at most one agent; and the event stream says the same.
    let mut ringing = BTreeMap::new();
    let mut talking = BTreeMap::new();
    for a in 1..=AGENTS {
        let agent = AgentId(a);
        match acd.agent_state(agent) {
            Some(AgentState::Offered { call, .. }) => {
                prop_assert!(ringing.insert(*call, agent).is_none(), "{call} rings twice");
                let agrees = matches!(
                    acd.call(*call).unwrap().stage,
                    CallStage::Offered { agent: x, .. } if x == agent
                );
                prop_assert!(agrees, "{} and {} disagree", agent, call);
            }
            Some(AgentState::Talking { call, .. }) => {
                prop_assert!(
                    talking.insert(*call, agent).is_none(),
                    "{call} talked twice"
                );
                let agrees = matches!(
                    acd.call(*call).unwrap().stage,
                    CallStage::Talking { agent: x, .. } if x == agent
                );
                prop_assert!(agrees, "{} and {} disagree", agent, call);
            }
            _ => {}
        }
    }
    prop_assert!(ringing.keys().all(|c| !talking.contains_key(c)));
    prop_assert_eq!(&ringing, &ledger.ringing);
    prop_assert_eq!(&talking, &ledger.talking);

    // Work-conserving: no ready agent with a queue's skill at its level while that queue
    // has a caller waiting.
    let calls: Vec<_> = acd.calls().collect();
    for q in acd.queue_configs() {
        let mut line: Vec<_> = calls
            .iter()
            .filter(|c| c.queue == q.id && c.stage == CallStage::Waiting)
            .collect();
        if line.is_empty() {
            continue;
        }
        for a in 1..=AGENTS {
            let agent = AgentId(a);
            if !matches!(acd.agent_state(agent), Some(AgentState::Ready { .. })) {
                continue;
            }
            let able = ledger.skills[&agent]
                .iter()
                .any(|s| s.name == q.skill && s.level >= q.min_level);
            prop_assert!(
                !able,
                "{agent} ready while {} waits in {}",
                line[0].call,
                q.id
            );
        }
        // Places in the line follow priority, then the start of the wait.
        line.sort_by_key(|c| (c.priority, c.waiting_since, c.call));
        for (i, c) in line.iter().enumerate() {
            prop_assert_eq!(acd.position(c.call).unwrap().place, i + 1);
        }
    }
    Ok(())
}

fn answered(stage: &CallStage) -> bool {
    matches!(stage, CallStage::Talking { .. })
}

fn unanswered(stage: &CallStage) -> bool {
    !answered(stage)
}

fn apply(acd: &mut Acd, ledger: &mut Ledger, op: &Op, now: Millis) -> Option<Vec<AcdEvent>> {
    // Mostly an agent whose phone rings, with the call ringing it; now and then anyone.
    let ringing = |acd: &Acd, a: i64| {
        let offered: Vec<(AgentId, CallId)> = (1..=AGENTS)
            .filter_map(|a| match acd.agent_state(AgentId(a)) {
                Some(AgentState::Offered { call, .. }) => Some((AgentId(a), *call)),
                _ => None,
            })
            .collect();
        match offered.len() {
            0 => (AgentId(a), CallId(999)),
            _ if a == AGENTS => (AgentId(a), offered[0].1),
            n => offered[a as usize % n],
        }
    };
    let result = match op {
        Op::Login(a, skills) => {
            let skills: Vec<Skill> = skills
                .iter()
                .map(|&(s, l)| (SKILLS[s], l))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .map(|(s, l)| Skill::new(s, l))
                .collect();
            let r = acd.login(AgentId(*a), skills.clone(), now);
            if r.is_ok() {
                ledger.skills.insert(AgentId(*a), skills);
            }
            r
        }
        Op::Logout(a) => acd.logout(AgentId(*a), now),
        Op::Ready(a) => acd.set_ready(AgentId(*a), now),
        Op::NotReady(a) => acd.set_not_ready(AgentId(*a), "break", now),
        Op::Enqueue(q, flags) => {
            let call = CallId(ledger.entered.len() as u64 + 1);
            let r = acd.enqueue(call, &QueueId::new(QUEUES[*q]), *flags, now);
            if r.is_ok() {
                ledger.entered.push(call);
            }
            r
        }
        Op::Answer(a) => {
            let (agent, call) = ringing(acd, *a);
            acd.answered(agent, call, now)
        }
        Op::Reject(a, f) => {
            let (agent, call) = ringing(acd, *a);
            acd.rejected(agent, call, *f, now)
        }
        Op::Abandon(i) => acd.abandon(ledger.pick(acd, *i, unanswered), now),
        Op::HangUp(i) => acd.hang_up(ledger.pick(acd, *i, answered), now),
        Op::Transfer(i, to) => {
            let to = match to {
                Ok(q) => TransferTarget::Queue(QueueId::new(QUEUES[*q])),
                Err(a) => TransferTarget::Agent(AgentId(*a)),
            };
            acd.transfer(ledger.pick(acd, *i, answered), to, now)
        }
        Op::Remove(i) => {
            let call = ledger.pick(acd, *i, unanswered);
            acd.remove(call, RemoveReason::CallbackAccepted, now)
        }
        Op::Tick => Ok(acd.tick(now)),
        Op::StartDay => {
            acd.start_day();
            Ok(Vec::new())
        }
    };
    result.ok()
}

/// Mostly a few seconds between inputs, now and then long enough for timers to run out.
fn pause() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..3_000, 1 => 0i64..45_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_sequence_of_inputs_breaks_the_acd(
        staff in prop::collection::vec(skills(), AGENTS as usize),
        steps in prop::collection::vec((pause(), op()), 1..100)
    ) {
        let mut acd = Acd::new(queues()).unwrap();
        let mut ledger = Ledger::default();
        let mut now = T0;
        for (a, skills) in (1..).zip(staff) {
            for op in [Op::Login(a, skills), Op::Ready(a)] {
                let events = apply(&mut acd, &mut ledger, &op, now).unwrap();
                ledger.record(&events)?;
            }
        }
        for (advance, op) in &steps {
            now += advance;
            let before = acd.clone();
            match apply(&mut acd, &mut ledger, op, now) {
                Some(events) => ledger.record(&events)?,
                None => prop_assert_eq!(&acd, &before, "a refused {:?} changed the ACD", op),
            }
            if matches!(op, Op::Tick) {
                prop_assert!(acd.next_deadline().is_none_or(|t| t > now));
            }
            check(&acd, &ledger)?;
        }

        // Every caller still in the ACD hangs up; then each call that entered has ended
        // exactly once.
        now += 1_000;
        let left: Vec<_> = acd.calls().map(|c| (c.call, c.stage)).collect();
        for (call, stage) in left {
            let events = match stage {
                CallStage::Talking { .. } => acd.hang_up(call, now),
                _ => acd.abandon(call, now),
            };
            ledger.record(&events.unwrap())?;
            check(&acd, &ledger)?;
        }
        prop_assert_eq!(acd.calls().count(), 0);
        let entered: BTreeSet<_> = ledger.entered.iter().copied().collect();
        prop_assert_eq!(entered.len(), ledger.entered.len());
        prop_assert_eq!(ledger.ends.keys().copied().collect::<BTreeSet<_>>(), entered);
        prop_assert!(ledger.ends.values().all(|&n| n == 1));
    }
}
