//! What the ACD tells the service: one event per thing that happened, in the order it
//! happened. The service acts on them (ring a phone, stop ringing, bridge the caller) and
//! writes each to the trace.

use super::{AgentId, AgentState, AgentStateKind, CallId, QueueId};
use crate::Millis;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AcdEvent {
    /// The call joined a queue's line: on arrival, on overflow, or on a transfer to a queue.
    Queued {
        call: CallId,
        queue: QueueId,
        /// 1-based place in the line on joining.
        position: usize,
    },
    /// Ring the agent's phone with the call until `ring_deadline`.
    Offered {
        call: CallId,
        queue: QueueId,
        agent: AgentId,
        ring_deadline: Millis,
    },
    /// Stop ringing the agent's phone. Unless the caller is gone, the call is back in its
    /// place in the line.
    OfferWithdrawn {
        call: CallId,
        agent: AgentId,
        reason: WithdrawReason,
    },
    /// The agent picked up: bridge the caller to them.
    Connected {
        call: CallId,
        queue: QueueId,
        agent: AgentId,
        /// Since the call joined the ACD, or since its last transfer.
        waited_ms: i64,
    },
    /// The call waited its queue's overflow time and moved to the overflow queue, keeping
    /// its priority and its age.
    Overflowed {
        call: CallId,
        from: QueueId,
        to: QueueId,
    },
    /// The talking agent passed the call on. Followed by `Queued` or `Offered`.
    Transferred {
        call: CallId,
        from_agent: AgentId,
        from_queue: QueueId,
        to: TransferTarget,
        /// How long the agent talked before passing it on.
        talk_ms: i64,
    },
    /// The call left the ACD. Every call that entered gets exactly one.
    Ended {
        call: CallId,
        /// The last queue it belonged to.
        queue: QueueId,
        outcome: CallOutcome,
    },
    /// An agent changed state.
    AgentState {
        agent: AgentId,
        from: AgentStateKind,
        to: AgentState,
    },
}

impl AcdEvent {
    /// The call the event is about, if it is about one.
    pub fn call(&self) -> Option<CallId> {
        match self {
            AcdEvent::Queued { call, .. }
            | AcdEvent::Offered { call, .. }
            | AcdEvent::OfferWithdrawn { call, .. }
            | AcdEvent::Connected { call, .. }
            | AcdEvent::Overflowed { call, .. }
            | AcdEvent::Transferred { call, .. }
            | AcdEvent::Ended { call, .. } => Some(*call),
            AcdEvent::AgentState { .. } => None,
        }
    }
}

/// How a call left the ACD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallOutcome {
    /// Answered, and the talk ended (either side hung up, or the agent sent it out of the
    /// ACD).
    Answered { agent: AgentId, talk_ms: i64 },
    /// The caller hung up before an agent answered (while waiting or while ringing).
    Abandoned { waited_ms: i64 },
    /// The service took the call out of the line.
    Removed {
        reason: RemoveReason,
        waited_ms: i64,
    },
}

/// Why the service took a waiting call out of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoveReason {
    /// The caller chose to be called back instead of waiting (预约回拨).
    CallbackAccepted,
    /// The caller left a voice message instead of waiting.
    Voicemail,
    /// The line closed (out of hours, shutdown) with the caller still in it.
    Closed,
}

/// Why an agent's phone stopped ringing without the agent picking up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// Nobody picked up within the queue's ring timeout.
    RingTimeout,
    /// The agent declined the call.
    Declined,
    /// The agent's phone was busy.
    Busy,
    /// The agent's phone could not be reached.
    Unreachable,
    /// The caller hung up.
    Abandoned,
    /// The service took the call out (`Acd::remove`).
    Removed,
}

/// Why the agent's phone reports it did not take an offered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingFailure {
    Declined,
    Busy,
    Unreachable,
}

impl RingFailure {
    pub fn withdraw_reason(self) -> WithdrawReason {
        match self {
            RingFailure::Declined => WithdrawReason::Declined,
            RingFailure::Busy => WithdrawReason::Busy,
            RingFailure::Unreachable => WithdrawReason::Unreachable,
        }
    }
}

impl WithdrawReason {
    /// The not-ready reason of an agent who missed a call this way.
    pub fn code(self) -> &'static str {
        match self {
            WithdrawReason::RingTimeout => "ring_timeout",
            WithdrawReason::Declined => "declined",
            WithdrawReason::Busy => "busy",
            WithdrawReason::Unreachable => "unreachable",
            WithdrawReason::Abandoned => "abandoned",
            WithdrawReason::Removed => "removed",
        }
    }
}

/// Where a blind transfer sends the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// Into the queue's line, ahead of every caller not transferred.
    Queue(QueueId),
    /// Straight to the agent, who must be ready.
    Agent(AgentId),
}
