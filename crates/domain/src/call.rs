//! Calls to the contact centre as records. The telephony side hands over what happened on a
//! call once, when it ends ([`CallRecordDraft`]); this module checks that the record holds
//! together before the service stores it ([`CallRecordDraft::check`]) and derives the wait
//! and talk times from its instants. Also here: the static address of a desk phone that
//! does not register ([`SipUri`]), what a SIP password must be, and the stable codes under
//! which the web reports a refused agent-state change ([`StateRefusal`]).

use crate::{CallOutcome, DAY_MS, Millis};
use serde::{Deserialize, Serialize};

/// The longest call key (the telephony side's own id of the call), in bytes.
pub const KEY_MAX: usize = 128;
/// The longest caller number, dialled number or source address, in characters.
pub const NUMBER_MAX: usize = 64;
/// The longest queue name or voice-menu node name, in characters.
pub const NAME_MAX: usize = 64;
/// The most keys recorded for one menu step.
pub const DIGITS_MAX: usize = 32;
/// The longest peer address of a leg, in characters.
pub const PEER_MAX: usize = 255;
/// The longest codec name, in characters.
pub const CODEC_MAX: usize = 32;
/// The longest recording file name, in characters.
pub const RECORDING_MAX: usize = 128;
/// How many menu steps, legs and orders one record may carry.
pub const STEPS_MAX: usize = 200;
pub const LEGS_MAX: usize = 20;
pub const ORDERS_MAX: usize = 20;
/// The shortest and longest SIP password, in characters.
pub const SIP_PASSWORD_MIN: usize = 8;
pub const SIP_PASSWORD_MAX: usize = 128;

/// A step through the voice menu: the node entered, the keys pressed there (if any), when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IvrStep {
    pub node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    pub at: Millis,
}

/// Which side of a call a leg reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegRole {
    /// The caller's leg, from the trunk or the caller's phone.
    Caller,
    /// The leg to the agent's phone.
    Agent,
}

/// One media leg of a call: whom it reached, the codec agreed, when it was up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallLeg {
    pub role: LegRole,
    /// The far end's address or contact URI.
    pub peer: String,
    /// The codec the leg's media used, e.g. `PCMA/8000`.
    pub codec: String,
    pub started_at: Millis,
    pub ended_at: Millis,
}

/// A call as the telephony side hands it over when it ends, exactly once (`call_key` keeps
/// a repeated hand-over from being a second record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecordDraft {
    /// The telephony side's own id of the call, unique.
    pub call_key: String,
    /// The caller's number as the network gave it.
    pub caller: String,
    /// The number dialled (95598, 12398, ...).
    pub dialled: String,
    /// Where the call came from: the trunk's or phone's address.
    pub source: String,
    /// The customer the call was identified as, if one.
    pub customer_id: Option<i64>,
    /// The supply station the call concerns, if known (else the customer's).
    pub station_id: Option<i64>,
    pub started_at: Millis,
    /// The voice-menu steps, in order.
    pub ivr_path: Vec<IvrStep>,
    /// The queue the call waited in, if it reached one.
    pub queue: Option<String>,
    pub queued_at: Option<Millis>,
    /// When the call was first offered to an agent.
    pub offered_at: Option<Millis>,
    /// The agent who answered (or was last offered) the call.
    pub agent_user_id: Option<i64>,
    /// When the agent answered.
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    /// The agent's wrap-up after the call, if the agent answered.
    pub wrap_up_ms: Option<i64>,
    pub outcome: CallOutcome,
    /// The work orders taken during the call.
    pub order_ids: Vec<i64>,
    /// The caller's answer to the satisfaction survey after the call: 1 (satisfied) to 3.
    pub survey: Option<u8>,
    /// The recording's file name, if the call was recorded.
    pub recording: Option<String>,
    pub legs: Vec<CallLeg>,
}

/// Why a call record cannot be stored as handed over: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CallFault {
    pub field: &'static str,
    pub message: &'static str,
}

fn fault(field: &'static str, message: &'static str) -> Result<(), CallFault> {
    Err(CallFault { field, message })
}

/// A line of text as the wire gave it: not blank, at most `max` characters, no control
/// characters.
fn wire_text(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

fn within(t: Millis, from: Millis, to: Millis) -> bool {
    (from..=to).contains(&t)
}

impl CallRecordDraft {
    /// Checks that the record holds together, field by field in the order they are declared,
    /// so that the first problem is the one reported.
    pub fn check(&self) -> Result<(), CallFault> {
        let (start, end) = (self.started_at, self.ended_at);
        if self.call_key.is_empty()
            || self.call_key.len() > KEY_MAX
            || !self.call_key.bytes().all(|b| b.is_ascii_graphic())
        {
            return fault(
                "call_key",
                "1 to 128 visible ASCII characters, without spaces",
            );
        }
        if !wire_text(&self.caller, NUMBER_MAX) {
            return fault("caller", "1 to 64 characters without control characters");
        }
        if !wire_text(&self.dialled, NUMBER_MAX) {
            return fault("dialled", "1 to 64 characters without control characters");
        }
        if !wire_text(&self.source, NUMBER_MAX) {
            return fault("source", "1 to 64 characters without control characters");
        }
        for (field, id) in [
            ("customer_id", self.customer_id),
            ("station_id", self.station_id),
            ("agent_user_id", self.agent_user_id),
        ] {
            if id.is_some_and(|i| i <= 0) {
                return fault(field, "an id is a positive number");
            }
        }
        if end < start {
            return fault("ended_at", "a call cannot end before it started");
        }
        if end - start > DAY_MS {
            return fault("ended_at", "a call lasts at most a day");
        }
        if self.ivr_path.len() > STEPS_MAX {
            return fault("ivr_path", "at most 200 menu steps");
        }
        let mut last = start;
        for step in &self.ivr_path {
            if !wire_text(&step.node, NAME_MAX) {
                return fault(
                    "ivr_path",
                    "a menu node is 1 to 64 characters without control characters",
                );
            }
            if step.digits.as_deref().is_some_and(|d| {
                d.is_empty()
                    || d.len() > DIGITS_MAX
                    || !d
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b"*#ABCD".contains(&b))
            }) {
                return fault(
                    "ivr_path",
                    "the keys of a menu step are 1 to 32 of 0-9, *, # and A-D",
                );
            }
            if !within(step.at, last, end) {
                return fault("ivr_path", "menu steps are in order, within the call");
            }
            last = step.at;
        }
        if let Some(q) = &self.queue
            && !wire_text(q, NAME_MAX)
        {
            return fault("queue", "1 to 64 characters without control characters");
        }
        if let Some(q) = self.queued_at {
            if self.queue.is_none() {
                return fault("queue", "a queued call names its queue");
            }
            if !within(q, start, end) {
                return fault("queued_at", "within the call");
            }
        }
        if let Some(o) = self.offered_at {
            let Some(q) = self.queued_at else {
                return fault("queued_at", "a call offered to an agent was queued first");
            };
            if !within(o, q, end) {
                return fault("offered_at", "after the call was queued, within the call");
            }
        }
        if let Some(a) = self.answered_at {
            if self.agent_user_id.is_none() {
                return fault("agent_user_id", "an answered call names its agent");
            }
            let earliest = self.offered_at.or(self.queued_at).unwrap_or(start);
            if !within(a, earliest, end) {
                return fault("answered_at", "after the call was offered, within the call");
            }
            if !matches!(self.outcome, CallOutcome::Answered | CallOutcome::Failed) {
                return fault("outcome", "a call an agent answered is answered or failed");
            }
        }
        match self.outcome {
            CallOutcome::Answered if self.answered_at.is_none() => {
                return fault(
                    "answered_at",
                    "an answered call says when the agent answered",
                );
            }
            CallOutcome::Refused
                if !self.ivr_path.is_empty()
                    || self.queue.is_some()
                    || self.agent_user_id.is_some() =>
            {
                return fault(
                    "outcome",
                    "a refused call has no menu steps, queue or agent",
                );
            }
            CallOutcome::Callback if self.queue.is_none() => {
                return fault("queue", "a callback is promised by a queue");
            }
            _ => {}
        }
        if let Some(w) = self.wrap_up_ms {
            if self.answered_at.is_none() {
                return fault("wrap_up_ms", "only a call an agent answered has a wrap-up");
            }
            if !(0..=DAY_MS).contains(&w) {
                return fault("wrap_up_ms", "0 to a day, in milliseconds");
            }
        }
        if self.order_ids.len() > ORDERS_MAX {
            return fault("order_ids", "at most 20 orders");
        }
        for (i, id) in self.order_ids.iter().enumerate() {
            if *id <= 0 || self.order_ids[..i].contains(id) {
                return fault("order_ids", "positive order ids, each once");
            }
        }
        if let Some(s) = self.survey {
            if !(1..=3).contains(&s) {
                return fault("survey", "1 (satisfied) to 3 (dissatisfied)");
            }
            if self.answered_at.is_none() {
                return fault("survey", "only a call an agent answered is surveyed");
            }
        }
        if let Some(r) = &self.recording
            && (r.is_empty()
                || r.len() > RECORDING_MAX
                || r.starts_with('.')
                || !r
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        {
            return fault(
                "recording",
                "a file name of 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'",
            );
        }
        if self.legs.len() > LEGS_MAX {
            return fault("legs", "at most 20 legs");
        }
        for leg in &self.legs {
            if !wire_text(&leg.peer, PEER_MAX) {
                return fault(
                    "legs",
                    "a leg's peer is 1 to 255 characters without control characters",
                );
            }
            if leg.codec.is_empty()
                || leg.codec.len() > CODEC_MAX
                || !leg
                    .codec
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-._".contains(&b))
            {
                return fault(
                    "legs",
                    "a leg's codec is 1 to 32 letters, digits, '/', '-', '.' or '_'",
                );
            }
            if leg.ended_at < leg.started_at || !within(leg.started_at, start, end) {
                return fault(
                    "legs",
                    "a leg starts within the call and ends after it starts",
                );
            }
            if leg.role == LegRole::Agent && self.agent_user_id.is_none() {
                return fault(
                    "agent_user_id",
                    "a call with an agent's leg names the agent",
                );
            }
        }
        Ok(())
    }

    /// How long the caller waited: from joining the queue to the agent's answer, or to the
    /// end for a call no agent answered; `None` for a call that never queued.
    pub fn wait_ms(&self) -> Option<i64> {
        self.queued_at
            .map(|q| self.answered_at.unwrap_or(self.ended_at) - q)
    }

    /// How long the caller talked with the agent: from the answer to the end.
    pub fn talk_ms(&self) -> Option<i64> {
        self.answered_at.map(|a| self.ended_at - a)
    }
}

/// Why a SIP password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a SIP password is 8 to 128 characters without control characters")]
pub struct SipPasswordFault;

/// A SIP password as typed: 8 to 128 characters, no control characters (a phone's keypad
/// and its configuration pages take anything printable).
pub fn sip_password(p: &str) -> Result<&str, SipPasswordFault> {
    let n = p.chars().count();
    if (SIP_PASSWORD_MIN..=SIP_PASSWORD_MAX).contains(&n) && !p.chars().any(char::is_control) {
        Ok(p)
    } else {
        Err(SipPasswordFault)
    }
}

/// Why a text is not a desk phone's SIP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a phone's address is sip:user@host[:port][;params], e.g. sip:8001@10.0.0.21:5060")]
pub struct SipUriFault;

/// The static SIP address of a desk phone that does not register, `sip:user@host[:port]`
/// with optional `;name=value` parameters (`;transport=tcp`). Parsed, so a value of this
/// type can be dialled: the scheme and host are lower case, the host is a name, an IPv4
/// address or a bracketed IPv6 address, the port 1 to 65535.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri {
    text: String,
    user_end: usize,
    host: (usize, usize),
    port: Option<u16>,
}

/// The characters RFC 3261 allows in the user part, without `;` (read as a parameter here)
/// and `:` (a password, which a stored address must not carry).
fn user_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,?/%".contains(&b)
}

fn param_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'%[]/:&+$".contains(&b)
}

fn escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn hostname_ok(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl SipUri {
    pub fn parse(s: &str) -> Result<SipUri, SipUriFault> {
        let t = s.trim();
        if t.len() > 255 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SipUriFault);
        }
        let rest = match t.get(..4) {
            Some(scheme) if scheme.eq_ignore_ascii_case("sip:") => &t[4..],
            _ => return Err(SipUriFault),
        };
        let (addr, params) = match rest.split_once(';') {
            Some((a, p)) => (a, Some(p)),
            None => (rest, None),
        };
        let (user, hostport) = addr.split_once('@').ok_or(SipUriFault)?;
        if user.is_empty() || user.len() > 64 || !user.bytes().all(user_char) || !escapes_ok(user) {
            return Err(SipUriFault);
        }
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (inside, after) = v6.split_once(']').ok_or(SipUriFault)?;
            inside
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| SipUriFault)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or(SipUriFault)?),
            };
            (format!("[{}]", inside.to_ascii_lowercase()), port)
        } else {
            let (host, port) = match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            };
            let numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if numeric {
                host.parse::<std::net::Ipv4Addr>()
                    .map_err(|_| SipUriFault)?;
            } else if !hostname_ok(host) {
                return Err(SipUriFault);
            }
            (host.to_ascii_lowercase(), port)
        };
        let port = match port {
            None => None,
            Some(p) => {
                if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SipUriFault);
                }
                match p.parse::<u16>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => return Err(SipUriFault),
                }
            }
        };
        if let Some(params) = params {
            for param in params.split(';') {
                let (name, value) = match param.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (param, None),
                };
                let token = |s: &str| !s.is_empty() && s.bytes().all(param_char) && escapes_ok(s);
                if !token(name) || value.is_some_and(|v| !token(v)) {
                    return Err(SipUriFault);
                }
            }
        }
        let mut text = format!("sip:{user}@");
        let user_end = 4 + user.len();
        let host_start = text.len();
        text.push_str(&host);
        let host_end = text.len();
        if let Some(p) = port {
            text.push_str(&format!(":{p}"));
        }
        if let Some(params) = params {
            text.push(';');
            text.push_str(params);
        }
        Ok(SipUri {
            text,
            user_end,
            host: (host_start, host_end),
            port,
        })
    }

    /// The address as stored and dialled.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn user(&self) -> &str {
        &self.text[4..self.user_end]
    }

    /// The host: a name, an IPv4 address, or an IPv6 address in brackets.
    pub fn host(&self) -> &str {
        &self.text[self.host.0..self.host.1]
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl std::fmt::Display for SipUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for SipUri {
    type Err = SipUriFault;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SipUri::parse(s)
    }
}

impl Serialize for SipUri {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for SipUri {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        SipUri::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for SipUri {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .examples(["sip:8001@10.0.0.21:5060"])
            .into()
    }
}
impl utoipa::ToSchema for SipUri {}

/// Why the switchboard refused an agent's state change, under the code the API reports.
/// The switchboard answers a refusal with its own code; the known ones keep their meaning,
/// any other reads as [`StateRefusal::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// The contact centre is not running (no SIP service configured or started).
    SipOff,
    /// Ready needs a phone: a registered softphone or a static desk phone.
    NotRegistered,
    /// The agent is being offered a call or is talking.
    OnCall,
    /// Anything else the switchboard refused.
    Other,
}

impl StateRefusal {
    /// Reads the switchboard's code (`sip_off`, `not_registered`, `on_call`, ...).
    pub fn from_switchboard(code: &str) -> StateRefusal {
        match code {
            "sip_off" => StateRefusal::SipOff,
            "not_registered" => StateRefusal::NotRegistered,
            "on_call" => StateRefusal::OnCall,
            _ => StateRefusal::Other,
        }
    }

    /// The stable error code the API reports.
    pub fn code(self) -> &'static str {
        match self {
            StateRefusal::SipOff => "sip_off",
            StateRefusal::NotRegistered => "phone_not_registered",
            StateRefusal::OnCall => "agent_on_call",
            StateRefusal::Other => "agent_state_refused",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            StateRefusal::SipOff => "the contact centre is not running",
            StateRefusal::NotRegistered => {
                "ready needs a phone: register a softphone or ask for a desk phone"
            }
            StateRefusal::OnCall => "not while a call is offered or in progress",
            StateRefusal::Other => "the switchboard refused the change",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HOUR_MS, MINUTE_MS};

    const T: Millis = 1_795_140_000_000;

    /// A call answered after a menu and a wait: 10 s in the menu, 40 s in the queue, 5 s
    /// ringing, 3 minutes talking.
    fn answered() -> CallRecordDraft {
        CallRecordDraft {
            call_key: "c-0001".into(),
            caller: "13812345678".into(),
            dialled: "95598".into(),
            source: "10.0.0.1:5060".into(),
            customer_id: Some(1),
            station_id: None,
            started_at: T,
            ivr_path: vec![
                IvrStep {
                    node: "welcome".into(),
                    digits: None,
                    at: T,
                },
                IvrStep {
                    node: "menu".into(),
                    digits: Some("2".into()),
                    at: T + 8_000,
                },
            ],
            queue: Some("repair".into()),
            queued_at: Some(T + 10_000),
            offered_at: Some(T + 50_000),
            agent_user_id: Some(7),
            answered_at: Some(T + 55_000),
            ended_at: T + 55_000 + 3 * MINUTE_MS,
            wrap_up_ms: Some(30_000),
            outcome: CallOutcome::Answered,
            order_ids: vec![12],
            survey: Some(1),
            recording: Some("c-0001.wav".into()),
            legs: vec![
                CallLeg {
                    role: LegRole::Caller,
                    peer: "sip:13812345678@10.0.0.1".into(),
                    codec: "PCMA/8000".into(),
                    started_at: T,
                    ended_at: T + 55_000 + 3 * MINUTE_MS,
                },
                CallLeg {
                    role: LegRole::Agent,
                    peer: "sip:agent1@10.0.0.21:5062".into(),
                    codec: "PCMA/8000".into(),
                    started_at: T + 50_000,
                    ended_at: T + 55_000 + 3 * MINUTE_MS,
                },
            ],
        }
    }

    fn check(change: impl FnOnce(&mut CallRecordDraft), field: &str) {
        let mut d = answered();
        change(&mut d);
        let got = d.check().map_err(|f| f.field);
        assert_eq!(got, Err(field), "{d:?}");
    }

    #[test]
    fn a_whole_call_is_fine_and_its_times_are_derived() {
        let d = answered();
        assert_eq!(d.check(), Ok(()));
        assert_eq!(d.wait_ms(), Some(45_000));
        assert_eq!(d.talk_ms(), Some(3 * MINUTE_MS));
        // Abandoned in the queue: waited until the caller hung up, never talked.
        let mut gone = answered();
        gone.outcome = CallOutcome::Abandoned;
        gone.answered_at = None;
        gone.agent_user_id = None;
        gone.wrap_up_ms = None;
        gone.survey = None;
        gone.legs.truncate(1);
        gone.ended_at = T + 70_000;
        gone.legs[0].ended_at = gone.ended_at;
        assert_eq!(gone.check(), Ok(()));
        assert_eq!(gone.wait_ms(), Some(60_000));
        assert_eq!(gone.talk_ms(), None);
        // Served by the menu alone.
        let menu = CallRecordDraft {
            queue: None,
            queued_at: None,
            offered_at: None,
            ..gone.clone()
        };
        assert_eq!(
            CallRecordDraft {
                outcome: CallOutcome::SelfServed,
                ..menu.clone()
            }
            .check(),
            Ok(())
        );
        assert_eq!(menu.wait_ms(), None);
    }

    #[test]
    fn each_broken_field_is_named() {
        check(|d| d.call_key = "has space".into(), "call_key");
        check(|d| d.call_key = String::new(), "call_key");
        check(|d| d.caller = "138\n".into(), "caller");
        check(|d| d.dialled = " ".into(), "dialled");
        check(|d| d.source = "x".repeat(65), "source");
        check(|d| d.customer_id = Some(0), "customer_id");
        check(|d| d.ended_at = T - 1, "ended_at");
        check(|d| d.ended_at = T + 25 * HOUR_MS, "ended_at");
        check(|d| d.ivr_path[1].at = T - 1, "ivr_path");
        check(|d| d.ivr_path[1].digits = Some("9x".into()), "ivr_path");
        check(|d| d.queue = None, "queue");
        check(|d| d.queued_at = Some(T + HOUR_MS), "queued_at");
        check(|d| d.offered_at = Some(T + 5_000), "offered_at");
        check(|d| d.agent_user_id = None, "agent_user_id");
        check(|d| d.answered_at = Some(T + 20_000), "answered_at");
        check(|d| d.outcome = CallOutcome::Abandoned, "outcome");
        check(|d| d.answered_at = None, "answered_at");
        check(|d| d.wrap_up_ms = Some(-1), "wrap_up_ms");
        check(|d| d.order_ids = vec![3, 3], "order_ids");
        check(|d| d.survey = Some(4), "survey");
        check(|d| d.recording = Some("../etc/passwd".into()), "recording");
        check(|d| d.legs[0].codec = String::new(), "legs");
        check(|d| d.legs[1].started_at = T - 1, "legs");
    }

    #[test]
    fn a_refused_call_never_reached_the_menu_and_a_callback_names_its_queue() {
        let refused = CallRecordDraft {
            ivr_path: vec![],
            queue: None,
            queued_at: None,
            offered_at: None,
            agent_user_id: None,
            answered_at: None,
            wrap_up_ms: None,
            survey: None,
            legs: vec![],
            order_ids: vec![],
            recording: None,
            outcome: CallOutcome::Refused,
            ended_at: T,
            ..answered()
        };
        assert_eq!(refused.check(), Ok(()));
        let with_menu = CallRecordDraft {
            ivr_path: answered().ivr_path,
            ended_at: T + 10_000,
            ..refused.clone()
        };
        assert_eq!(with_menu.check().map_err(|f| f.field), Err("outcome"));
        let callback = CallRecordDraft {
            outcome: CallOutcome::Callback,
            ..refused
        };
        assert_eq!(callback.check().map_err(|f| f.field), Err("queue"));
    }

    #[test]
    fn sip_addresses_of_desk_phones() {
        let ok = |s: &str, want: &str| {
            let u = SipUri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(u.as_str(), want);
        };
        ok("sip:8001@10.0.0.21:5060", "sip:8001@10.0.0.21:5060");
        ok(
            " SIP:8001@Desk-12.Example.cn ",
            "sip:8001@desk-12.example.cn",
        );
        ok(
            "sip:agent.1@[2001:DB8::1]:5070",
            "sip:agent.1@[2001:db8::1]:5070",
        );
        ok(
            "sip:8001@10.0.0.21;transport=tcp;lr",
            "sip:8001@10.0.0.21;transport=tcp;lr",
        );
        let u = SipUri::parse("sip:8001@10.0.0.21:5060;transport=udp").unwrap();
        assert_eq!(
            (u.user(), u.host(), u.port()),
            ("8001", "10.0.0.21", Some(5060))
        );
        for bad in [
            "",
            "8001@10.0.0.21",
            "sips:8001@10.0.0.21",
            "tel:+8695598",
            "sip:10.0.0.21",
            "sip:@10.0.0.21",
            "sip:8001:secret@10.0.0.21",
            "sip:8001@",
            "sip:8001@10.0.0.256",
            "sip:8001@10.0.0.21:0",
            "sip:8001@10.0.0.21:70000",
            "sip:8001@10.0.0.21:",
            "sip:8001@-bad-.cn",
            "sip:8001@[::1",
            "sip:80 01@10.0.0.21",
            "sip:8001@10.0.0.21;",
            "sip:8001@10.0.0.21;a=<b>",
            "sip:8%2@10.0.0.21",
        ] {
            assert_eq!(SipUri::parse(bad), Err(SipUriFault), "{bad}");
        }
        let json: SipUri = serde_json::from_str("\"sip:8001@10.0.0.21\"").unwrap();
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            "\"sip:8001@10.0.0.21\""
        );
        assert!(serde_json::from_str::<SipUri>("\"sip:x\"").is_err());
    }

    #[test]
    fn sip_passwords_and_refusals() {
        assert!(sip_password("secret12").is_ok());
        assert!(sip_password("short").is_err());
        assert!(sip_password("tab\there1").is_err());
        assert!(sip_password(&"x".repeat(129)).is_err());
        assert_eq!(StateRefusal::from_switchboard("sip_off").code(), "sip_off");
        assert_eq!(
            StateRefusal::from_switchboard("not_registered").code(),
            "phone_not_registered"
        );
        assert_eq!(
            StateRefusal::from_switchboard("on_call").code(),
            "agent_on_call"
        );
        assert_eq!(
            StateRefusal::from_switchboard("whatever").code(),
            "agent_state_refused"
        );
    }
}
