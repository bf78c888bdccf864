//! The automatic call distribution (ACD) of the contact centre as a pure state machine.
//!
//! The service owns one [`Acd`], feeds it what happens (an agent logs in or gets ready, a
//! call arrives, a phone is picked up, a caller hangs up, time passes) and acts on the
//! [`AcdEvent`]s each input returns: ring an agent's phone, stop ringing it, bridge the
//! caller. Refused inputs return an [`AcdError`] and change nothing.
//!
//! After every input the machine dispatches: while some queue has a waiting call and a
//! ready agent with the queue's skill at its minimum level or above, the best waiting call
//! (by [`Priority`], then by how long it has waited) of all such queues is offered to the
//! agent its queue's [`Strategy`] picks. So once an input is done, no ready agent able to
//! take a waiting call is left idle.
//!
//! Time only moves when it is passed in: ring timeouts, the end of after-call work and
//! overflows happen in [`Acd::tick`], which the service calls at [`Acd::next_deadline`].
//! Other inputs do not look at the timers, so a pick-up reported after the ring deadline
//! but before the tick still connects.

mod config;
mod event;
mod pool;
#[cfg(test)]
mod tests;

pub use config::{
    AcdConfigError, DEFAULT_HANDLE_MS, DEFAULT_RING_TIMEOUT_MS, DEFAULT_WRAP_UP_MS, MAX_LEVEL,
    MIN_LEVEL, QueueConfig, Strategy,
};
pub use event::{AcdEvent, CallOutcome, RemoveReason, RingFailure, TransferTarget, WithdrawReason};

use crate::Millis;
use pool::{Pool, ReadyKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A call in the ACD, numbered by the telephony side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub u64);

/// An agent: the id of the user signed in at the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentId(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueId(String);

impl QueueId {
    pub fn new(id: impl Into<String>) -> Self {
        QueueId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for AgentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for QueueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the service knows of the caller when the call arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CallerFlags {
    /// A sensitive customer (敏感客户): likely to escalate a complaint.
    pub sensitive: bool,
    /// A care-group household (关爱群体): oxygen at home, living alone, medical equipment.
    pub care_group: bool,
    /// Called about the same matter recently (重复来电).
    pub repeat: bool,
}

/// The order in which waiting callers are served, first first; callers of the same
/// priority are served in the order they began waiting.
///
/// A caller transferred by an agent has already waited and spoken, so they come before
/// everyone. Then a sensitive customer, whose wait risks an escalated complaint; then a
/// care-group household, for whom an outage can be a danger; then a repeat caller, whose
/// matter is already late; then everyone else. A caller with several flags takes the
/// highest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Transferred,
    Sensitive,
    CareGroup,
    Repeat,
    #[default]
    Normal,
}

impl CallerFlags {
    pub fn priority(self) -> Priority {
        if self.sensitive {
            Priority::Sensitive
        } else if self.care_group {
            Priority::CareGroup
        } else if self.repeat {
            Priority::Repeat
        } else {
            Priority::Normal
        }
    }
}

/// One skill of an agent and how well they have it, from 1 to 9.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    pub level: u8,
}

impl Skill {
    pub fn new(name: impl Into<String>, level: u8) -> Self {
        Skill {
            name: name.into(),
            level,
        }
    }
}

/// Where an agent is. Only a ready agent is offered calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    LoggedOut,
    Ready {
        since: Millis,
    },
    /// On a break, in training, or put there by a missed call (the reason is then the
    /// [`WithdrawReason::code`]). Logging in starts here, with [`LOGIN_REASON`].
    NotReady {
        reason: String,
        since: Millis,
    },
    /// The agent's phone is ringing with the call.
    Offered {
        call: CallId,
        since: Millis,
    },
    Talking {
        call: CallId,
        since: Millis,
    },
    /// After-call work on the call that ended.
    WrapUp {
        call: CallId,
        until: Millis,
    },
}

/// An agent state's name, for events and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStateKind {
    LoggedOut,
    Ready,
    NotReady,
    Offered,
    Talking,
    WrapUp,
}

impl AgentState {
    pub fn kind(&self) -> AgentStateKind {
        match self {
            AgentState::LoggedOut => AgentStateKind::LoggedOut,
            AgentState::Ready { .. } => AgentStateKind::Ready,
            AgentState::NotReady { .. } => AgentStateKind::NotReady,
            AgentState::Offered { .. } => AgentStateKind::Offered,
            AgentState::Talking { .. } => AgentStateKind::Talking,
            AgentState::WrapUp { .. } => AgentStateKind::WrapUp,
        }
    }

    /// The call ringing the agent's phone or being talked, if any.
    pub fn call(&self) -> Option<CallId> {
        match self {
            AgentState::Offered { call, .. } | AgentState::Talking { call, .. } => Some(*call),
            _ => None,
        }
    }
}

/// The not-ready reason of an agent who has just logged in.
pub const LOGIN_REASON: &str = "login";

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum CallStage {
    Waiting,
    Offered {
        agent: AgentId,
        ring_deadline: Millis,
    },
    Talking {
        agent: AgentId,
        since: Millis,
    },
}

/// A call as the ACD holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallView {
    pub call: CallId,
    pub queue: QueueId,
    pub priority: Priority,
    /// When the caller began waiting: on arrival, or at their last transfer.
    pub waiting_since: Millis,
    pub stage: CallStage,
}

/// A waiting caller's place in the line and the wait they may be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1 for the next caller to be served.
    pub place: usize,
    /// The place times the queue's average handle time, shared among the agents logged
    /// in with the skill (at least one).
    pub estimated_wait_ms: i64,
}

/// Why an input was refused. A refused input changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    #[error("agent {0} is not logged in")]
    NotLoggedIn(AgentId),
    #[error("agent {0} is already logged in")]
    AlreadyLoggedIn(AgentId),
    #[error("agent {agent} is on call {call}")]
    OnCall { agent: AgentId, call: CallId },
    #[error("skill `{skill}`: level {level} is not between 1 and 9")]
    SkillLevel { skill: String, level: u8 },
    #[error("skill `{0}` is given twice")]
    DuplicateSkill(String),
    #[error("no queue `{0}`")]
    UnknownQueue(QueueId),
    #[error("call {0} is already in the ACD")]
    DuplicateCall(CallId),
    #[error("no call {0} in the ACD")]
    UnknownCall(CallId),
    #[error("call {call} is not ringing agent {agent}")]
    NotOffered { agent: AgentId, call: CallId },
    #[error("call {0} is not being talked")]
    NotTalking(CallId),
    #[error("call {0} was answered: it ends by hanging up")]
    Answered(CallId),
    #[error("agent {0} is not ready")]
    AgentNotReady(AgentId),
}

/// What a wallboard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcdSnapshot {
    /// In the order they were configured.
    pub queues: Vec<QueueSnapshot>,
    /// Logged-in agents by id.
    pub agents: Vec<AgentSnapshot>,
    pub agent_counts: AgentCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueSnapshot {
    pub id: QueueId,
    pub name: String,
    pub waiting: usize,
    pub ringing: usize,
    pub talking: usize,
    /// Of the callers waiting now; 0 when none is.
    pub longest_wait_ms: i64,
    /// Agents logged in with the queue's skill at its minimum level or above.
    pub agents_logged_in: u32,
    pub agents_ready: usize,
    pub average_handle_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentSnapshot {
    pub agent: AgentId,
    pub state: AgentState,
    pub skills: Vec<Skill>,
    pub answered_today: u32,
    /// Asked for while busy; taken once the call and its after-call work are done.
    pub pending_not_ready: Option<String>,
}

/// Logged-in agents by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct AgentCounts {
    pub ready: usize,
    pub not_ready: usize,
    pub offered: usize,
    pub talking: usize,
    pub wrap_up: usize,
}

/// A waiting call's place: priority, then when it began waiting, then id for ties.
type WaitKey = (Priority, Millis, CallId);

/// The 1-based place of `key` in the line that holds it. Counts from both ends at once and
/// stops at the nearer, so a caller joining at the back (most) or the front (transferred,
/// sensitive) of a long line costs a few steps, not the length of the line.
fn place_in(line: &BTreeSet<WaitKey>, key: WaitKey) -> usize {
    use std::ops::Bound::{Excluded, Unbounded};
    let mut ahead = line.range(..key);
    let mut behind = line.range((Excluded(key), Unbounded));
    let mut steps = 0;
    loop {
        if ahead.next().is_none() {
            return steps + 1;
        }
        if behind.next().is_none() {
            return line.len() - steps;
        }
        steps += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Queue {
    cfg: QueueConfig,
    /// Index into `Acd::pools` of the queue's skill.
    pool: usize,
    overflow_to: Option<usize>,
    waiting: BTreeSet<WaitKey>,
    handled: u64,
    handle_ms: i64,
}

impl Queue {
    fn average_handle_ms(&self) -> i64 {
        match self.handled {
            0 => DEFAULT_HANDLE_MS,
            n => self.handle_ms / n as i64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    queue: usize,
    priority: Priority,
    waiting_since: Millis,
    /// When it joined its current queue: the overflow clock.
    queued_at: Millis,
    stage: CallStage,
}

impl Call {
    fn key(&self, id: CallId) -> WaitKey {
        (self.priority, self.waiting_since, id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Agent {
    state: AgentState,
    skills: Vec<Skill>,
    /// The skills some queue asks for, as (pool, level).
    routed: Vec<(usize, u8)>,
    pending_not_ready: Option<String>,
    answered_today: u32,
    /// When the agent's last call ended, or when they logged in if later.
    idle_since: Millis,
}

impl Agent {
    fn ready_key(&self, id: AgentId, level: u8) -> ReadyKey {
        ReadyKey {
            agent: id,
            level,
            idle_since: self.idle_since,
            answered_today: self.answered_today,
        }
    }
}

/// The ACD: queues, agents, calls and the timers between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acd {
    queues: Vec<Queue>,
    queue_ix: HashMap<QueueId, usize>,
    /// The skills the queues ask for, each with its pool of agents.
    skill_ix: HashMap<String, usize>,
    pools: Vec<Pool>,
    agents: BTreeMap<AgentId, Agent>,
    calls: HashMap<CallId, Call>,
    ring_deadlines: BTreeSet<(Millis, CallId)>,
    wrap_ups: BTreeSet<(Millis, AgentId)>,
    overflows: BTreeSet<(Millis, CallId)>,
}

type Outcome = Result<Vec<AcdEvent>, AcdError>;

impl Acd {
    /// An ACD with these queues, no agents and no calls.
    pub fn new(queues: Vec<QueueConfig>) -> Result<Acd, AcdConfigError> {
        config::validate(&queues)?;
        let queue_ix: HashMap<QueueId, usize> = queues
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i))
            .collect();
        let mut skill_ix = HashMap::new();
        let mut built = Vec::with_capacity(queues.len());
        for cfg in queues {
            let next = skill_ix.len();
            let pool = *skill_ix.entry(cfg.skill.clone()).or_insert(next);
            built.push(Queue {
                pool,
                overflow_to: cfg.overflow_to.as_ref().map(|to| queue_ix[to]),
                cfg,
                waiting: BTreeSet::new(),
                handled: 0,
                handle_ms: 0,
            });
        }
        Ok(Acd {
            queues: built,
            queue_ix,
            pools: vec![Pool::default(); skill_ix.len()],
            skill_ix,
            agents: BTreeMap::new(),
            calls: HashMap::new(),
            ring_deadlines: BTreeSet::new(),
            wrap_ups: BTreeSet::new(),
            overflows: BTreeSet::new(),
        })
    }

    // ---- agents ----

    /// The agent logs in with these skills and starts not ready ([`LOGIN_REASON`]). Calls
    /// answered earlier today still count.
    pub fn login(&mut self, agent: AgentId, skills: Vec<Skill>, now: Millis) -> Outcome {
        let mut names = HashSet::new();
        for s in &skills {
            if !(MIN_LEVEL..=MAX_LEVEL).contains(&s.level) {
                return Err(AcdError::SkillLevel {
                    skill: s.name.clone(),
                    level: s.level,
                });
            }
            if !names.insert(s.name.as_str()) {
                return Err(AcdError::DuplicateSkill(s.name.clone()));
            }
        }
        if self
            .agents
            .get(&agent)
            .is_some_and(|a| a.state != AgentState::LoggedOut)
        {
            return Err(AcdError::AlreadyLoggedIn(agent));
        }
        let routed = skills
            .iter()
            .filter_map(|s| self.skill_ix.get(&s.name).map(|&p| (p, s.level)))
            .collect();
        let a = self.agents.entry(agent).or_insert_with(|| Agent {
            state: AgentState::LoggedOut,
            skills: Vec::new(),
            routed: Vec::new(),
            pending_not_ready: None,
            answered_today: 0,
            idle_since: now,
        });
        a.skills = skills;
        a.routed = routed;
        a.pending_not_ready = None;
        a.idle_since = now;
        let mut ev = Vec::new();
        let to = AgentState::NotReady {
            reason: LOGIN_REASON.to_string(),
            since: now,
        };
        self.move_agent(agent, to, &mut ev);
        self.settle(now, ev)
    }

    /// Refused while the agent's phone rings or they are talking.
    pub fn logout(&mut self, agent: AgentId, now: Millis) -> Outcome {
        let a = self.logged_in(agent)?;
        if let Some(call) = a.state.call() {
            return Err(AcdError::OnCall { agent, call });
        }
        let mut ev = Vec::new();
        self.agents
            .get_mut(&agent)
            .expect("checked")
            .pending_not_ready = None;
        self.move_agent(agent, AgentState::LoggedOut, &mut ev);
        self.settle(now, ev)
    }

    /// Ready for calls. During after-call work this ends it early; while ringing or
    /// talking it only cancels a not-ready asked for meanwhile.
    pub fn set_ready(&mut self, agent: AgentId, now: Millis) -> Outcome {
        let state = self.logged_in(agent)?.state.kind();
        let mut ev = Vec::new();
        self.agents
            .get_mut(&agent)
            .expect("checked")
            .pending_not_ready = None;
        match state {
            AgentStateKind::NotReady | AgentStateKind::WrapUp => {
                self.move_agent(agent, AgentState::Ready { since: now }, &mut ev)
            }
            _ => {}
        }
        self.settle(now, ev)
    }

    /// Not ready for calls, for the reason given. Asked while ringing, talking or in
    /// after-call work, it waits until the agent is free (a missed call overrides it).
    pub fn set_not_ready(&mut self, agent: AgentId, reason: &str, now: Millis) -> Outcome {
        let state = self.logged_in(agent)?.state.kind();
        let mut ev = Vec::new();
        match state {
            AgentStateKind::Ready | AgentStateKind::NotReady => {
                let to = AgentState::NotReady {
                    reason: reason.to_string(),
                    since: now,
                };
                self.move_agent(agent, to, &mut ev);
            }
            _ => {
                self.agents
                    .get_mut(&agent)
                    .expect("checked")
                    .pending_not_ready = Some(reason.to_string());
            }
        }
        self.settle(now, ev)
    }

    /// A new day: every agent's calls answered today go back to zero. The service calls it
    /// at local midnight.
    pub fn start_day(&mut self) {
        for (&id, a) in self.agents.iter_mut() {
            let ready = matches!(a.state, AgentState::Ready { .. });
            if ready {
                for &(p, level) in &a.routed {
                    self.pools[p].remove_ready(a.ready_key(id, level));
                }
            }
            a.answered_today = 0;
            if ready {
                for &(p, level) in &a.routed {
                    self.pools[p].add_ready(a.ready_key(id, level));
                }
            }
        }
    }

    // ---- calls ----

    /// A call arrives in the queue.
    pub fn enqueue(
        &mut self,
        call: CallId,
        queue: &QueueId,
        flags: CallerFlags,
        now: Millis,
    ) -> Outcome {
        let q = self.queue_index(queue)?;
        if self.calls.contains_key(&call) {
            return Err(AcdError::DuplicateCall(call));
        }
        self.calls.insert(
            call,
            Call {
                queue: q,
                priority: flags.priority(),
                waiting_since: now,
                queued_at: now,
                stage: CallStage::Waiting,
            },
        );
        let mut ev = Vec::new();
        self.join_queue(call, &mut ev);
        self.settle(now, ev)
    }

    /// The agent picked up the call ringing their phone.
    pub fn answered(&mut self, agent: AgentId, call: CallId, now: Millis) -> Outcome {
        let ring_deadline = self.ringing(agent, call)?;
        self.ring_deadlines.remove(&(ring_deadline, call));
        let c = self.calls.get_mut(&call).expect("checked");
        c.stage = CallStage::Talking { agent, since: now };
        let waited_ms = now - c.waiting_since;
        let queue = self.queues[c.queue].cfg.id.clone();
        self.agents.get_mut(&agent).expect("checked").answered_today += 1;
        let mut ev = vec![AcdEvent::Connected {
            call,
            queue,
            agent,
            waited_ms,
        }];
        self.move_agent(agent, AgentState::Talking { call, since: now }, &mut ev);
        self.settle(now, ev)
    }

    /// The agent's phone did not take the call ringing it. The agent is made not ready
    /// (so the call is not offered to them again at once) and the call goes back to its
    /// place in the line, for the next agent.
    pub fn rejected(
        &mut self,
        agent: AgentId,
        call: CallId,
        why: RingFailure,
        now: Millis,
    ) -> Outcome {
        self.ringing(agent, call)?;
        let mut ev = Vec::new();
        self.miss(call, why.withdraw_reason(), now, &mut ev);
        self.settle(now, ev)
    }

    /// The caller hung up before an agent answered: waiting, or while an agent's phone
    /// rang (that agent is free again).
    pub fn abandon(&mut self, call: CallId, now: Millis) -> Outcome {
        let mut ev = Vec::new();
        let waited_ms = self.leave_unanswered(call, WithdrawReason::Abandoned, now, &mut ev)?;
        self.end(call, CallOutcome::Abandoned { waited_ms }, &mut ev);
        self.settle(now, ev)
    }

    /// The service takes an unanswered call out of the line (the caller chose a callback,
    /// say).
    pub fn remove(&mut self, call: CallId, reason: RemoveReason, now: Millis) -> Outcome {
        let mut ev = Vec::new();
        let waited_ms = self.leave_unanswered(call, WithdrawReason::Removed, now, &mut ev)?;
        self.end(call, CallOutcome::Removed { reason, waited_ms }, &mut ev);
        self.settle(now, ev)
    }

    /// The talk ended (either side hung up): the call leaves the ACD and the agent goes
    /// into after-call work.
    pub fn hang_up(&mut self, call: CallId, now: Millis) -> Outcome {
        let (agent, since) = self.talking(call)?;
        let queue = self.calls[&call].queue;
        let talk_ms = now - since;
        let mut ev = Vec::new();
        self.end(call, CallOutcome::Answered { agent, talk_ms }, &mut ev);
        self.after_talk(agent, call, queue, talk_ms, now, &mut ev);
        self.settle(now, ev)
    }

    /// A blind transfer by the talking agent, who goes into after-call work. To a queue,
    /// the caller waits ahead of everyone not transferred; to an agent, who must be ready,
    /// their phone rings at once, and if they miss it the caller waits in the call's queue
    /// ahead of everyone not transferred.
    pub fn transfer(&mut self, call: CallId, to: TransferTarget, now: Millis) -> Outcome {
        let (from, since) = self.talking(call)?;
        let target_queue = match &to {
            TransferTarget::Queue(q) => Some(self.queue_index(q)?),
            TransferTarget::Agent(a) => match self.agents.get(a).map(|a| &a.state) {
                Some(AgentState::Ready { .. }) => None,
                _ => return Err(AcdError::AgentNotReady(*a)),
            },
        };
        let c = self.calls.get_mut(&call).expect("checked");
        let from_queue = c.queue;
        let talk_ms = now - since;
        c.priority = Priority::Transferred;
        c.waiting_since = now;
        c.queued_at = now;
        c.stage = CallStage::Waiting;
        if let Some(q) = target_queue {
            c.queue = q;
        }
        let mut ev = vec![AcdEvent::Transferred {
            call,
            from_agent: from,
            from_queue: self.queues[from_queue].cfg.id.clone(),
            to: to.clone(),
            talk_ms,
        }];
        self.after_talk(from, call, from_queue, talk_ms, now, &mut ev);
        match to {
            TransferTarget::Queue(_) => self.join_queue(call, &mut ev),
            TransferTarget::Agent(a) => self.offer(call, a, now, &mut ev),
        }
        self.settle(now, ev)
    }

    /// Time passed: phones that rang too long stop (the agent is made not ready, the call
    /// goes back to its place), after-call work ends, calls that waited their queue's
    /// overflow time move on. Then dispatch.
    pub fn tick(&mut self, now: Millis) -> Vec<AcdEvent> {
        let mut ev = Vec::new();
        while let Some(&(t, call)) = self.ring_deadlines.first()
            && t <= now
        {
            self.miss(call, WithdrawReason::RingTimeout, now, &mut ev);
        }
        while let Some(&(t, agent)) = self.wrap_ups.first()
            && t <= now
        {
            self.free(agent, now, &mut ev);
        }
        while let Some(&(t, call)) = self.overflows.first()
            && t <= now
        {
            self.overflow(call, now, &mut ev);
        }
        self.dispatch(now, &mut ev);
        ev
    }

    // ---- queries ----

    /// The earliest instant at which [`Acd::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Millis> {
        [
            self.ring_deadlines.first().map(|d| d.0),
            self.wrap_ups.first().map(|d| d.0),
            self.overflows.first().map(|d| d.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// A waiting call's place in its queue's line; `None` for a call not waiting (ringing
    /// an agent, talking, or unknown).
    pub fn position(&self, call: CallId) -> Option<Position> {
        let c = self.calls.get(&call)?;
        if c.stage != CallStage::Waiting {
            return None;
        }
        let q = &self.queues[c.queue];
        let place = place_in(&q.waiting, c.key(call));
        let agents = self.pools[q.pool].logged_in(q.cfg.min_level).max(1);
        Some(Position {
            place,
            estimated_wait_ms: place as i64 * q.average_handle_ms() / i64::from(agents),
        })
    }

    /// `None` for an agent who never logged in.
    pub fn agent_state(&self, agent: AgentId) -> Option<&AgentState> {
        self.agents.get(&agent).map(|a| &a.state)
    }

    pub fn call(&self, call: CallId) -> Option<CallView> {
        self.calls.get(&call).map(|c| CallView {
            call,
            queue: self.queues[c.queue].cfg.id.clone(),
            priority: c.priority,
            waiting_since: c.waiting_since,
            stage: c.stage,
        })
    }

    /// The calls in the ACD, in no particular order.
    pub fn calls(&self) -> impl Iterator<Item = CallView> + '_ {
        self.calls.keys().filter_map(|&id| self.call(id))
    }

    pub fn queue_configs(&self) -> impl Iterator<Item = &QueueConfig> {
        self.queues.iter().map(|q| &q.cfg)
    }

    pub fn snapshot(&self, now: Millis) -> AcdSnapshot {
        let mut queues: Vec<QueueSnapshot> = self
            .queues
            .iter()
            .map(|q| {
                let pool = &self.pools[q.pool];
                QueueSnapshot {
                    id: q.cfg.id.clone(),
                    name: q.cfg.name.clone(),
                    waiting: q.waiting.len(),
                    ringing: 0,
                    talking: 0,
                    longest_wait_ms: q
                        .waiting
                        .iter()
                        .map(|&(_, since, _)| now - since)
                        .max()
                        .unwrap_or(0)
                        .max(0),
                    agents_logged_in: pool.logged_in(q.cfg.min_level),
                    agents_ready: pool.ready(q.cfg.min_level),
                    average_handle_ms: q.average_handle_ms(),
                }
            })
            .collect();
        for c in self.calls.values() {
            match c.stage {
                CallStage::Waiting => {}
                CallStage::Offered { .. } => queues[c.queue].ringing += 1,
                CallStage::Talking { .. } => queues[c.queue].talking += 1,
            }
        }
        let mut counts = AgentCounts::default();
        let mut agents = Vec::new();
        for (&id, a) in &self.agents {
            match a.state.kind() {
                AgentStateKind::LoggedOut => continue,
                AgentStateKind::Ready => counts.ready += 1,
                AgentStateKind::NotReady => counts.not_ready += 1,
                AgentStateKind::Offered => counts.offered += 1,
                AgentStateKind::Talking => counts.talking += 1,
                AgentStateKind::WrapUp => counts.wrap_up += 1,
            }
            agents.push(AgentSnapshot {
                agent: id,
                state: a.state.clone(),
                skills: a.skills.clone(),
                answered_today: a.answered_today,
                pending_not_ready: a.pending_not_ready.clone(),
            });
        }
        AcdSnapshot {
            queues,
            agents,
            agent_counts: counts,
        }
    }

    // ---- the moves ----

    /// Offers waiting calls to ready agents until no queue with a waiting call has a ready
    /// agent able to take it. Of the queues that have one, the best head of line goes
    /// first, so callers are served by priority and age across queues too.
    fn dispatch(&mut self, now: Millis, ev: &mut Vec<AcdEvent>) {
        loop {
            let mut best: Option<(WaitKey, AgentId)> = None;
            for q in &self.queues {
                let Some(&head) = q.waiting.first() else {
                    continue;
                };
                if best.is_some_and(|(b, _)| b <= head) {
                    continue;
                }
                if let Some(agent) = self.pools[q.pool].best(q.cfg.strategy, q.cfg.min_level) {
                    best = Some((head, agent));
                }
            }
            let Some(((_, _, call), agent)) = best else {
                return;
            };
            self.leave_line(call);
            self.offer(call, agent, now, ev);
        }
    }

    /// Rings the (ready) agent's phone with the call, which is in no line.
    fn offer(&mut self, call: CallId, agent: AgentId, now: Millis, ev: &mut Vec<AcdEvent>) {
        let c = self.calls.get_mut(&call).expect("offered call is known");
        let q = &self.queues[c.queue];
        let ring_deadline = now + q.cfg.ring_timeout_ms;
        c.stage = CallStage::Offered {
            agent,
            ring_deadline,
        };
        self.ring_deadlines.insert((ring_deadline, call));
        ev.push(AcdEvent::Offered {
            call,
            queue: q.cfg.id.clone(),
            agent,
            ring_deadline,
        });
        self.move_agent(agent, AgentState::Offered { call, since: now }, ev);
    }

    /// Stops ringing; returns the agent whose phone rang. The call is then in no line.
    fn withdraw(
        &mut self,
        call: CallId,
        reason: WithdrawReason,
        ev: &mut Vec<AcdEvent>,
    ) -> AgentId {
        let c = self.calls.get_mut(&call).expect("withdrawn call is known");
        let CallStage::Offered {
            agent,
            ring_deadline,
        } = c.stage
        else {
            unreachable!("only an offered call is withdrawn");
        };
        self.ring_deadlines.remove(&(ring_deadline, call));
        c.stage = CallStage::Waiting;
        ev.push(AcdEvent::OfferWithdrawn {
            call,
            agent,
            reason,
        });
        agent
    }

    /// The agent missed the call: they are made not ready for that reason (over any
    /// not-ready they asked for), the call goes back to its place in the line.
    fn miss(&mut self, call: CallId, reason: WithdrawReason, now: Millis, ev: &mut Vec<AcdEvent>) {
        let agent = self.withdraw(call, reason, ev);
        self.agents
            .get_mut(&agent)
            .expect("known")
            .pending_not_ready = None;
        let to = AgentState::NotReady {
            reason: reason.code().to_string(),
            since: now,
        };
        self.move_agent(agent, to, ev);
        self.enter_line(call);
    }

    /// Takes an unanswered call out: from the line, or from the phone ringing with it.
    /// Returns how long the caller waited.
    fn leave_unanswered(
        &mut self,
        call: CallId,
        reason: WithdrawReason,
        now: Millis,
        ev: &mut Vec<AcdEvent>,
    ) -> Result<i64, AcdError> {
        let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        let waited_ms = now - c.waiting_since;
        match c.stage {
            CallStage::Waiting => self.leave_line(call),
            CallStage::Offered { .. } => {
                let agent = self.withdraw(call, reason, ev);
                self.free(agent, now, ev);
            }
            CallStage::Talking { .. } => return Err(AcdError::Answered(call)),
        }
        Ok(waited_ms)
    }

    /// The agent's talk on the call ended: count the handle time to the queue and start
    /// the after-call work.
    fn after_talk(
        &mut self,
        agent: AgentId,
        call: CallId,
        queue: usize,
        talk_ms: i64,
        now: Millis,
        ev: &mut Vec<AcdEvent>,
    ) {
        let q = &mut self.queues[queue];
        let wrap_up_ms = q.cfg.wrap_up_ms;
        q.handled += 1;
        q.handle_ms += talk_ms + wrap_up_ms;
        self.agents.get_mut(&agent).expect("known").idle_since = now;
        if wrap_up_ms == 0 {
            self.free(agent, now, ev);
        } else {
            let until = now + wrap_up_ms;
            self.move_agent(agent, AgentState::WrapUp { call, until }, ev);
        }
    }

    /// The agent is free of a call: ready, unless they asked for not ready meanwhile.
    fn free(&mut self, agent: AgentId, now: Millis, ev: &mut Vec<AcdEvent>) {
        let to = match self
            .agents
            .get_mut(&agent)
            .expect("known")
            .pending_not_ready
            .take()
        {
            Some(reason) => AgentState::NotReady { reason, since: now },
            None => AgentState::Ready { since: now },
        };
        self.move_agent(agent, to, ev);
    }

    fn overflow(&mut self, call: CallId, now: Millis, ev: &mut Vec<AcdEvent>) {
        self.leave_line(call);
        let c = self
            .calls
            .get_mut(&call)
            .expect("overflowing call is known");
        let from = c.queue;
        let to = self.queues[from]
            .overflow_to
            .expect("only a queue with an overflow arms its timer");
        c.queue = to;
        c.queued_at = now;
        ev.push(AcdEvent::Overflowed {
            call,
            from: self.queues[from].cfg.id.clone(),
            to: self.queues[to].cfg.id.clone(),
        });
        self.join_queue(call, ev);
    }

    fn end(&mut self, call: CallId, outcome: CallOutcome, ev: &mut Vec<AcdEvent>) {
        let c = self.calls.remove(&call).expect("ended call is known");
        ev.push(AcdEvent::Ended {
            call,
            queue: self.queues[c.queue].cfg.id.clone(),
            outcome,
        });
    }

    /// Puts the call in its queue's line and says so.
    fn join_queue(&mut self, call: CallId, ev: &mut Vec<AcdEvent>) {
        self.enter_line(call);
        let c = &self.calls[&call];
        let q = &self.queues[c.queue];
        ev.push(AcdEvent::Queued {
            call,
            queue: q.cfg.id.clone(),
            position: place_in(&q.waiting, c.key(call)),
        });
    }

    /// Puts the call in its queue's line at the place its key gives it, and arms its
    /// overflow clock.
    fn enter_line(&mut self, call: CallId) {
        let c = self.calls.get_mut(&call).expect("known");
        c.stage = CallStage::Waiting;
        let q = &mut self.queues[c.queue];
        q.waiting.insert(c.key(call));
        if let Some(after) = q.cfg.overflow_after_ms {
            self.overflows.insert((c.queued_at + after, call));
        }
    }

    fn leave_line(&mut self, call: CallId) {
        let c = &self.calls[&call];
        let q = &mut self.queues[c.queue];
        q.waiting.remove(&c.key(call));
        if let Some(after) = q.cfg.overflow_after_ms {
            self.overflows.remove(&(c.queued_at + after, call));
        }
    }

    /// The one place an agent changes state: keeps the ready pools, the logged-in counts
    /// and the after-call timers in step, and says so.
    fn move_agent(&mut self, id: AgentId, to: AgentState, ev: &mut Vec<AcdEvent>) {
        let a = self.agents.get_mut(&id).expect("moved agent is known");
        let from = std::mem::replace(&mut a.state, to.clone());
        match from {
            AgentState::LoggedOut => {
                for &(p, level) in &a.routed {
                    self.pools[p].log_in(level);
                }
            }
            AgentState::Ready { .. } => {
                for &(p, level) in &a.routed {
                    self.pools[p].remove_ready(a.ready_key(id, level));
                }
            }
            AgentState::WrapUp { until, .. } => {
                self.wrap_ups.remove(&(until, id));
            }
            _ => {}
        }
        match to {
            AgentState::LoggedOut => {
                for &(p, level) in &a.routed {
                    self.pools[p].log_out(level);
                }
            }
            AgentState::Ready { .. } => {
                for &(p, level) in &a.routed {
                    self.pools[p].add_ready(a.ready_key(id, level));
                }
            }
            AgentState::WrapUp { until, .. } => {
                self.wrap_ups.insert((until, id));
            }
            _ => {}
        }
        ev.push(AcdEvent::AgentState {
            agent: id,
            from: from.kind(),
            to,
        });
    }

    fn settle(&mut self, now: Millis, mut ev: Vec<AcdEvent>) -> Outcome {
        self.dispatch(now, &mut ev);
        Ok(ev)
    }

    // ---- checks of inputs ----

    fn queue_index(&self, queue: &QueueId) -> Result<usize, AcdError> {
        self.queue_ix
            .get(queue)
            .copied()
            .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))
    }

    fn logged_in(&self, agent: AgentId) -> Result<&Agent, AcdError> {
        match self.agents.get(&agent) {
            Some(a) if a.state != AgentState::LoggedOut => Ok(a),
            _ => Err(AcdError::NotLoggedIn(agent)),
        }
    }

    /// The ring deadline of the call ringing the agent's phone.
    fn ringing(&self, agent: AgentId, call: CallId) -> Result<Millis, AcdError> {
        match self.calls.get(&call).map(|c| c.stage) {
            Some(CallStage::Offered {
                agent: a,
                ring_deadline,
            }) if a == agent => Ok(ring_deadline),
            _ => Err(AcdError::NotOffered { agent, call }),
        }
    }

    /// The agent talking on the call, and since when.
    fn talking(&self, call: CallId) -> Result<(AgentId, Millis), AcdError> {
        match self.calls.get(&call).map(|c| c.stage) {
            Some(CallStage::Talking { agent, since }) => Ok((agent, since)),
            Some(_) => Err(AcdError::NotTalking(call)),
            None => Err(AcdError::UnknownCall(call)),
        }
    }

    // ---- self-check ----

    /// Checks the machine's indexes against its states, and that no ready agent is left
    /// idle beside a call they could take. For tests and for debugging a live system: it
    /// reads everything.
    pub fn audit(&self) -> Result<(), String> {
        let mut ready: Vec<Vec<(u8, Millis, u32, AgentId)>> = vec![Vec::new(); self.pools.len()];
        let mut logged: Vec<[u32; MAX_LEVEL as usize + 1]> =
            vec![[0; MAX_LEVEL as usize + 1]; self.pools.len()];
        let mut wrapping = 0;
        for (&id, a) in &self.agents {
            if a.state != AgentState::LoggedOut {
                for &(p, l) in &a.routed {
                    logged[p][l as usize] += 1;
                }
            }
            match a.state {
                AgentState::Ready { .. } => {
                    for &(p, l) in &a.routed {
                        ready[p].push((l, a.idle_since, a.answered_today, id));
                    }
                }
                AgentState::WrapUp { until, .. } => {
                    wrapping += 1;
                    if !self.wrap_ups.contains(&(until, id)) {
                        return Err(format!("agent {id} in wrap-up has no timer"));
                    }
                }
                AgentState::Offered { call, .. } => match self.calls.get(&call).map(|c| c.stage) {
                    Some(CallStage::Offered { agent, .. }) if agent == id => {}
                    other => {
                        return Err(format!("agent {id} rings with {call}, which is {other:?}"));
                    }
                },
                AgentState::Talking { call, .. } => match self.calls.get(&call).map(|c| c.stage) {
                    Some(CallStage::Talking { agent, .. }) if agent == id => {}
                    other => return Err(format!("agent {id} talks on {call}, which is {other:?}")),
                },
                _ => {}
            }
        }
        if wrapping != self.wrap_ups.len() {
            return Err("a wrap-up timer has no agent in wrap-up".into());
        }
        for (p, pool) in self.pools.iter().enumerate() {
            let mut want = std::mem::take(&mut ready[p]);
            want.sort();
            let mut have = pool.entries();
            have.sort();
            if want != have || !pool.consistent() {
                return Err(format!(
                    "ready pool {p} holds {have:?}, agents say {want:?}"
                ));
            }
            if pool.logged_in_by_level() != logged[p] {
                return Err(format!("pool {p} counts the wrong agents logged in"));
            }
        }
        let (mut waiting, mut ringing, mut overflowing) = (0, 0, 0);
        for (&id, c) in &self.calls {
            let q = &self.queues[c.queue];
            match c.stage {
                CallStage::Waiting => {
                    waiting += 1;
                    if !q.waiting.contains(&c.key(id)) {
                        return Err(format!("waiting call {id} is not in its line"));
                    }
                    if let Some(after) = q.cfg.overflow_after_ms {
                        overflowing += 1;
                        if !self.overflows.contains(&(c.queued_at + after, id)) {
                            return Err(format!("waiting call {id} has no overflow timer"));
                        }
                    }
                }
                CallStage::Offered {
                    agent,
                    ring_deadline,
                } => {
                    ringing += 1;
                    if !self.ring_deadlines.contains(&(ring_deadline, id)) {
                        return Err(format!("offered call {id} has no ring timer"));
                    }
                    if self.agents.get(&agent).and_then(|a| a.state.call()) != Some(id) {
                        return Err(format!("call {id} rings agent {agent}, who is elsewhere"));
                    }
                }
                CallStage::Talking { agent, .. } => {
                    if self.agents.get(&agent).and_then(|a| a.state.call()) != Some(id) {
                        return Err(format!(
                            "call {id} talks to agent {agent}, who is elsewhere"
                        ));
                    }
                }
            }
        }
        if waiting != self.queues.iter().map(|q| q.waiting.len()).sum::<usize>() {
            return Err("a line holds a call that is not waiting".into());
        }
        if ringing != self.ring_deadlines.len() || overflowing != self.overflows.len() {
            return Err("a timer is left over from a call".into());
        }
        for q in &self.queues {
            if !q.waiting.is_empty()
                && let Some(agent) = self.pools[q.pool].best(q.cfg.strategy, q.cfg.min_level)
            {
                return Err(format!(
                    "agent {agent} is ready while queue {} has a caller waiting",
                    q.cfg.id
                ));
            }
        }
        Ok(())
    }
}
