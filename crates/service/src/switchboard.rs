//! The live side of the contact centre as the rest of the system sees it: calls in progress,
//! queues, agents' states. The telephony side keeps that state in memory and offers it
//! through [`Switchboard`]; the service holds one (by default [`NoSwitchboard`], a centre
//! that is not running) and the web reads it for the supervisors' board and each agent's
//! phone widget. Nothing here is stored: the records are written when a call ends
//! (`Service::record_call`).

use crate::*;
use serde::Serialize;
use utoipa::ToSchema;
use voltdesk_domain::Millis;

/// What the contact centre is doing now, and the one command the web gives it: an agent's
/// wish to be ready, not ready or logged out.
pub trait Switchboard: Send + Sync {
    /// Calls in progress, queues and agents, as of now.
    fn live(&self) -> LiveBoard;

    /// One agent's state; `None` for a user the switchboard does not know.
    fn agent(&self, user_id: i64) -> Option<LiveAgent>;

    /// Asks for an agent's state to change. A refusal is a stable code the API reports:
    /// `sip_off` (the centre is not running), `not_registered` (ready needs a registered
    /// softphone or a desk phone), `on_call` (not while a call is offered or in progress);
    /// any other code is reported as `agent_state_refused`
    /// (`voltdesk_domain::call::StateRefusal`). A `NotReady` reason is one of
    /// `voltdesk_domain::NotReadyReason`'s codes, checked before it gets here.
    fn set_agent_state(
        &self,
        user_id: i64,
        want: AgentWant,
        now: Millis,
    ) -> std::result::Result<LiveAgent, String>;
}

/// The contact centre now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LiveBoard {
    /// Whether the SIP service runs (false: no calls can come in).
    pub sip_on: bool,
    pub calls: Vec<LiveCall>,
    pub queues: Vec<LiveQueue>,
    pub agents: Vec<LiveAgent>,
}

/// A call in progress.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LiveCall {
    pub call_key: String,
    /// The caller's number masked (`138****5678`).
    pub caller_masked: String,
    pub customer_id: Option<i64>,
    /// `ivr`, `queued`, `ringing`, `talking` or `wrap_up` (`voltdesk_domain::CallStage`).
    pub stage: &'static str,
    pub queue: Option<String>,
    pub agent_user_id: Option<i64>,
    /// Since when the call is in its stage.
    pub since: Millis,
}

/// A queue now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LiveQueue {
    /// The queue's code, as call records name it.
    pub id: String,
    pub name: String,
    /// Callers waiting.
    pub waiting: usize,
    /// How long the longest waiting caller has waited.
    pub longest_wait_ms: i64,
    /// The queue's agents who are ready, and those offered a call, talking or in wrap-up.
    pub ready: usize,
    pub busy: usize,
}

/// An agent now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LiveAgent {
    pub user_id: i64,
    /// `logged_out`, `ready`, `not_ready`, `offered`, `talking` or `wrap_up`
    /// (`voltdesk_domain::AgentState`).
    pub state: &'static str,
    /// Why not ready (`break`, `meal`, `training`, `meeting`, `other`).
    pub reason: Option<String>,
    /// Since when the agent is in this state.
    pub since: Millis,
    /// Whether the agent's softphone is registered (or a desk phone is set).
    pub registered: bool,
}

impl LiveAgent {
    /// An agent the switchboard does not know: logged out, no phone.
    pub fn logged_out(user_id: i64) -> LiveAgent {
        LiveAgent {
            user_id,
            state: voltdesk_domain::AgentState::LoggedOut.code(),
            reason: None,
            since: 0,
            registered: false,
        }
    }
}

/// What an agent asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentWant {
    Ready,
    /// Not ready, with a reason code: `break`, `meal`, `training`, `meeting` or `other`.
    NotReady(String),
    LogOut,
}

/// The switchboard of a contact centre that is not running: no calls, every agent logged
/// out, every state change refused with `sip_off`.
pub struct NoSwitchboard;

impl Switchboard for NoSwitchboard {
    fn live(&self) -> LiveBoard {
        LiveBoard {
            sip_on: false,
            calls: Vec::new(),
            queues: Vec::new(),
            agents: Vec::new(),
        }
    }

    fn agent(&self, user_id: i64) -> Option<LiveAgent> {
        Some(LiveAgent::logged_out(user_id))
    }

    fn set_agent_state(
        &self,
        _: i64,
        _: AgentWant,
        _: Millis,
    ) -> std::result::Result<LiveAgent, String> {
        Err("sip_off".into())
    }
}

impl Service {
    /// Puts the contact centre's switchboard in place (the telephony side, once it runs).
    pub fn set_switchboard(&self, s: Arc<dyn Switchboard>) {
        *self.switchboard.write().expect("switchboard lock") = s;
    }

    /// The switchboard in place.
    pub fn switchboard(&self) -> Arc<dyn Switchboard> {
        self.switchboard.read().expect("switchboard lock").clone()
    }
}
