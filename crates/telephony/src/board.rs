//! The switchboard: the domain's ACD run live. It owns one [`Acd`] behind a mutex, feeds it
//! what happens (calls queued, agents ready, phones answering), hands each of its decisions to
//! the call it concerns, and writes every decision and state change to the trace.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use voltdesk_domain::Millis;
use voltdesk_domain::acd::{
    Acd, AcdEvent, AgentId, AgentState, CallId, CallerFlags, Position, QueueConfig, QueueId,
    RemoveReason, RingFailure, Skill, TransferTarget, WithdrawReason,
};

/// What the switchboard tells a call's task.
#[derive(Debug, Clone)]
pub enum BoardMsg {
    /// Ring this agent until `ring_deadline`.
    Offer {
        agent: AgentId,
        ring_deadline: Millis,
    },
    /// Stop ringing `agent`.
    Withdraw {
        agent: AgentId,
        reason: WithdrawReason,
    },
}

/// A call's live stage, for the supervisors' page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Ivr,
    Queued,
    Ringing,
    Talking,
    WrapUp,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Ivr => "ivr",
            Stage::Queued => "queued",
            Stage::Ringing => "ringing",
            Stage::Talking => "talking",
            Stage::WrapUp => "wrap_up",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LiveCallInfo {
    pub key: String,
    pub caller: String,
    pub customer_id: Option<i64>,
    pub stage: Stage,
    pub queue: Option<String>,
    pub agent: Option<i64>,
    pub since: Millis,
}

struct CallEntry {
    tx: mpsc::UnboundedSender<BoardMsg>,
    info: LiveCallInfo,
}

/// Where the switchboard's events go besides the calls (the trace).
pub trait EventSink: Send + Sync + 'static {
    fn acd_events(&self, events: Vec<AcdEvent>, now: Millis);
}

pub struct Board {
    acd: Mutex<Acd>,
    calls: Mutex<HashMap<CallId, CallEntry>>,
    next_call: std::sync::atomic::AtomicU64,
    sink: Arc<dyn EventSink>,
    wake: Notify,
    /// Skills given to an agent who signs in without skills of their own.
    default_skills: Vec<Skill>,
    agent_skills: HashMap<String, Vec<Skill>>,
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Board {
    pub fn new(
        queues: Vec<QueueConfig>,
        agent_skills: HashMap<String, Vec<Skill>>,
        sink: Arc<dyn EventSink>,
    ) -> Result<Arc<Board>, String> {
        // Each skill once: queues may share one (general and priority do), and the ACD
        // refuses a login that names a skill twice.
        let mut default_skills: Vec<Skill> = Vec::new();
        for q in &queues {
            if !default_skills.iter().any(|s| s.name == q.skill) {
                default_skills.push(Skill::new(q.skill.clone(), 5));
            }
        }
        let acd = Acd::new(queues).map_err(|e| e.to_string())?;
        Ok(Arc::new(Board {
            acd: Mutex::new(acd),
            calls: Mutex::new(HashMap::new()),
            next_call: std::sync::atomic::AtomicU64::new(1),
            sink,
            wake: Notify::new(),
            default_skills,
            agent_skills,
        }))
    }

    /// Runs the ACD's timers (ring timeouts, wrap-up ends, overflow) for as long as the
    /// process lives.
    pub async fn run_timers(self: Arc<Self>) {
        loop {
            let next = self.lock().next_deadline();
            let wait = match next {
                Some(at) => Duration::from_millis((at - now_ms()).clamp(0, 1000) as u64),
                None => Duration::from_millis(1000),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
            let now = now_ms();
            let events = self.lock().tick(now);
            self.dispatch(events, now);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Acd> {
        self.acd.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, CallEntry>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new call (still in the IVR) and returns its id and its message channel.
    pub fn open_call(
        &self,
        key: &str,
        caller: &str,
    ) -> (CallId, mpsc::UnboundedReceiver<BoardMsg>) {
        let id = CallId(
            self.next_call
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        self.calls().insert(
            id,
            CallEntry {
                tx,
                info: LiveCallInfo {
                    key: key.to_string(),
                    caller: caller.to_string(),
                    customer_id: None,
                    stage: Stage::Ivr,
                    queue: None,
                    agent: None,
                    since: now_ms(),
                },
            },
        );
        (id, rx)
    }

    pub fn set_customer(&self, call: CallId, customer: Option<i64>) {
        if let Some(c) = self.calls().get_mut(&call) {
            c.info.customer_id = customer;
        }
    }

    pub fn set_stage(&self, call: CallId, stage: Stage) {
        if let Some(c) = self.calls().get_mut(&call) {
            c.info.stage = stage;
            c.info.since = now_ms();
        }
    }

    /// Forgets a call that is over (after its ACD outcome, if it entered the ACD).
    pub fn close_call(&self, call: CallId) {
        self.calls().remove(&call);
    }

    fn apply<F>(&self, f: F) -> Result<(), String>
    where
        F: FnOnce(&mut Acd, Millis) -> Result<Vec<AcdEvent>, voltdesk_domain::acd::AcdError>,
    {
        let now = now_ms();
        let events = {
            let mut acd = self.lock();
            f(&mut acd, now).map_err(|e| e.to_string())?
        };
        self.dispatch(events, now);
        self.wake.notify_one();
        Ok(())
    }

    fn dispatch(&self, events: Vec<AcdEvent>, now: Millis) {
        if events.is_empty() {
            return;
        }
        {
            let mut calls = self.calls();
            for ev in &events {
                match ev {
                    AcdEvent::Offered {
                        call,
                        agent,
                        ring_deadline,
                        ..
                    } => {
                        if let Some(c) = calls.get_mut(call) {
                            c.info.stage = Stage::Ringing;
                            c.info.agent = Some(agent.0);
                            c.tx.send(BoardMsg::Offer {
                                agent: *agent,
                                ring_deadline: *ring_deadline,
                            })
                            .ok();
                        }
                    }
                    AcdEvent::OfferWithdrawn {
                        call,
                        agent,
                        reason,
                    } => {
                        if let Some(c) = calls.get_mut(call) {
                            c.info.stage = Stage::Queued;
                            c.info.agent = None;
                            c.tx.send(BoardMsg::Withdraw {
                                agent: *agent,
                                reason: *reason,
                            })
                            .ok();
                        }
                    }
                    AcdEvent::Queued { call, queue, .. }
                    | AcdEvent::Overflowed {
                        call, to: queue, ..
                    } => {
                        if let Some(c) = calls.get_mut(call) {
                            c.info.stage = Stage::Queued;
                            c.info.queue = Some(queue.as_str().to_string());
                        }
                    }
                    AcdEvent::Connected { call, agent, .. } => {
                        if let Some(c) = calls.get_mut(call) {
                            c.info.stage = Stage::Talking;
                            c.info.agent = Some(agent.0);
                            c.info.since = now;
                        }
                    }
                    _ => {}
                }
            }
        }
        self.sink.acd_events(events, now);
    }

    pub fn enqueue(&self, call: CallId, queue: &str, flags: CallerFlags) -> Result<(), String> {
        let q = QueueId::new(queue);
        self.apply(|acd, now| acd.enqueue(call, &q, flags, now))
    }

    pub fn answered(&self, agent: AgentId, call: CallId) -> Result<(), String> {
        self.apply(|acd, now| acd.answered(agent, call, now))
    }

    pub fn rejected(
        &self,
        agent: AgentId,
        call: CallId,
        reason: RingFailure,
    ) -> Result<(), String> {
        self.apply(|acd, now| acd.rejected(agent, call, reason, now))
    }

    pub fn abandon(&self, call: CallId) -> Result<(), String> {
        self.apply(|acd, now| acd.abandon(call, now))
    }

    pub fn remove(&self, call: CallId, reason: RemoveReason) -> Result<(), String> {
        self.apply(|acd, now| acd.remove(call, reason, now))
    }

    pub fn hang_up(&self, call: CallId) -> Result<(), String> {
        self.apply(|acd, now| acd.hang_up(call, now))
    }

    pub fn transfer(&self, call: CallId, to: TransferTarget) -> Result<(), String> {
        self.apply(|acd, now| acd.transfer(call, to, now))
    }

    pub fn position(&self, call: CallId) -> Option<Position> {
        self.lock().position(call)
    }

    /// Signs an agent in (when out) and makes them ready.
    pub fn ready(&self, agent: AgentId, username: &str) -> Result<(), String> {
        let skills = self
            .agent_skills
            .get(username)
            .cloned()
            .unwrap_or_else(|| self.default_skills.clone());
        self.apply(|acd, now| {
            let mut events = Vec::new();
            if matches!(acd.agent_state(agent), None | Some(AgentState::LoggedOut)) {
                events.extend(acd.login(agent, skills, now)?);
            }
            events.extend(acd.set_ready(agent, now)?);
            Ok(events)
        })
    }

    pub fn not_ready(&self, agent: AgentId, username: &str, reason: &str) -> Result<(), String> {
        let skills = self
            .agent_skills
            .get(username)
            .cloned()
            .unwrap_or_else(|| self.default_skills.clone());
        self.apply(|acd, now| {
            let mut events = Vec::new();
            if matches!(acd.agent_state(agent), None | Some(AgentState::LoggedOut)) {
                events.extend(acd.login(agent, skills, now)?);
            }
            events.extend(acd.set_not_ready(agent, reason, now)?);
            Ok(events)
        })
    }

    pub fn logout(&self, agent: AgentId) -> Result<(), String> {
        self.apply(|acd, now| acd.logout(agent, now))
    }

    pub fn agent_state(&self, agent: AgentId) -> Option<AgentState> {
        self.lock().agent_state(agent).cloned()
    }

    pub fn snapshot(&self) -> voltdesk_domain::acd::AcdSnapshot {
        self.lock().snapshot(now_ms())
    }

    pub fn live_calls(&self) -> Vec<LiveCallInfo> {
        let mut v: Vec<LiveCallInfo> = self.calls().values().map(|c| c.info.clone()).collect();
        v.sort_by_key(|c| c.since);
        v
    }

    pub fn live_count(&self) -> usize {
        self.calls().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nowhere;

    impl EventSink for Nowhere {
        fn acd_events(&self, _: Vec<AcdEvent>, _: Millis) {}
    }

    #[test]
    fn an_agent_without_skills_of_their_own_serves_queues_that_share_a_skill() {
        let queues = vec![
            QueueConfig::new("general", "综合服务", "general"),
            QueueConfig::new("priority", "优先服务", "general"),
            QueueConfig::new("business", "业务受理", "business"),
        ];
        let board = Board::new(queues, HashMap::new(), Arc::new(Nowhere)).unwrap();
        board.ready(AgentId(7), "agent7").unwrap();
        assert!(matches!(
            board.agent_state(AgentId(7)),
            Some(AgentState::Ready { .. })
        ));
    }
}
