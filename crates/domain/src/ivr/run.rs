//! One call's walk through a flow, as a pure state machine: the telephony layer and the
//! service feed it events and carry out the actions it returns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::flow::{ACCOUNT_VAR, Fact, Flow, IdentifyBy, Node};
use crate::Millis;
use crate::outage::OutageKind;
use crate::speech;

/// Node entries allowed since the caller last keyed something. A caller who never keys
/// anything in a flow whose menus fall back on one another would otherwise go round for
/// ever; past this the run hangs up with an `ivr.runaway` step.
pub const MAX_HOPS_WITHOUT_INPUT: u32 = 100;

/// The name of a recorded clip: a flow prompt or a built-in clip of [`speech::ALL_CLIPS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Clip(String);

impl Clip {
    pub fn new(name: impl Into<String>) -> Clip {
        Clip(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Clip {
    fn from(name: &str) -> Clip {
        Clip(name.to_string())
    }
}

/// The outage covering the caller's area now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageFacts {
    pub kind: OutageKind,
    pub expected_restore: Option<Millis>,
    /// The area's name, for the call record; not spoken (no clip can say a free name).
    pub area: String,
}

/// What the service knows of an identified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFacts {
    pub customer_id: i64,
    pub outage: Option<OutageFacts>,
    /// Prepaid balance; negative when overdrawn.
    pub balance_fen: i64,
    pub arrears_fen: i64,
    pub sensitive: bool,
    pub care_group: bool,
}

/// What the service knows of the call centre now, for `branch` nodes on call facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFacts {
    pub open_hours: bool,
    /// Estimated wait in seconds, by queue; a queue not listed has no wait.
    pub queue_wait_s: BTreeMap<String, u32>,
}

/// What the run asks the service to look up; answered by an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupRequest {
    /// Who owns the calling number: answered by `IvrEvent::Identified`.
    IdentifyCaller,
    /// Who owns this account number: answered by `IvrEvent::Identified`.
    IdentifyAccount(String),
    /// The call centre's facts: answered by `IvrEvent::Facts`.
    Facts,
}

/// What the run asks the telephony layer or the service to do, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvrAction {
    /// Play these clips in a row. When a batch ends with `Play`, the run waits for
    /// `PlayDone`; when `Collect` follows, the clips are the prompt of the input.
    Play {
        clips: Vec<Clip>,
    },
    /// Collect keys while and after the prompt plays (barge-in), until `max_digits`, the
    /// `finish_on` key, or `timeout_ms` of silence; answered by `Digits` or `Timeout`.
    Collect {
        max_digits: u8,
        finish_on: Option<char>,
        timeout_ms: u32,
    },
    Lookup(LookupRequest),
    /// Create a repair order from this call: answered by `RepairCreated` or `RepairFailed`.
    CreateRepair,
    /// Put the call in a queue. The service reports `QueueWaitEstimate`s, `AgentAnswered`
    /// and `AgentCallEnded`.
    Queue {
        queue: String,
        callback_after_s: Option<u32>,
    },
    /// The caller accepted a callback: register it for the calling number.
    OfferCallbackAccepted,
    /// The caller's mark of the service, 1 to 3.
    RecordSurvey(u8),
    /// Hand the call to this number; the run is over.
    Transfer(String),
    /// Hang up; the run is over.
    Hangup,
}

/// What happened on the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvrEvent {
    /// The clips of a batch that ended with `Play` have played.
    PlayDone,
    /// Keys the caller pressed, as collected (the finishing key included or not).
    Digits(String),
    /// The caller keyed nothing in time. `Digits("")` means the same.
    Timeout,
    Identified(Option<CustomerFacts>),
    Facts(CallFacts),
    RepairCreated {
        order_no: String,
    },
    RepairFailed,
    /// The queue's current estimate of the caller's wait, in seconds.
    QueueWaitEstimate(u32),
    AgentAnswered,
    /// The agent's part of the call is over: on to the survey if the flow has one.
    AgentCallEnded,
    /// The caller hung up; the run is over.
    HungUp,
}

/// One step of the call's path through the flow, for the call record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum PathStep {
    Entered {
        node: String,
        at: Millis,
    },
    Keyed {
        node: String,
        digits: String,
        at: Millis,
    },
    TimedOut {
        node: String,
        at: Millis,
    },
    AgentAnswered {
        node: String,
        at: Millis,
    },
    HungUp {
        node: String,
        at: Millis,
    },
    /// The run stopped itself: `ivr.runaway`, or `ivr.unknown_node` for a flow that is not
    /// the one the run was started on.
    Error {
        node: String,
        code: String,
        at: Millis,
    },
}

impl PathStep {
    /// The node the step happened at.
    pub fn node(&self) -> &str {
        match self {
            PathStep::Entered { node, .. }
            | PathStep::Keyed { node, .. }
            | PathStep::TimedOut { node, .. }
            | PathStep::AgentAnswered { node, .. }
            | PathStep::HungUp { node, .. }
            | PathStep::Error { node, .. } => node,
        }
    }
}

/// What the run waits for at its current node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Wait {
    /// `PlayDone`, then go on.
    Play(Then),
    /// `Digits` or `Timeout` for the current node's `Collect`.
    Input,
    Identified,
    Facts,
    Repair,
    Queued,
    AgentCall,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Then {
    Go(String),
    Hangup,
}

/// What entering a node leads to.
enum Enter {
    Wait(Wait),
    Go(String),
    End,
}

/// One call's run through a flow. Pass the same flow to every call of `on_event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrRun {
    node: String,
    wait: Wait,
    /// Times the current node's prompt was played for input.
    attempts: u32,
    vars: BTreeMap<String, String>,
    customer: Option<CustomerFacts>,
    path: Vec<PathStep>,
    /// Node entries since the caller last keyed something.
    hops: u32,
    /// A callback is offered once per call.
    callback_offered: bool,
}

impl IvrRun {
    /// Starts a call at the flow's start node.
    pub fn start(flow: &Flow, now: Millis) -> (IvrRun, Vec<IvrAction>) {
        let mut run = IvrRun {
            node: flow.start.clone(),
            wait: Wait::Done,
            attempts: 0,
            vars: BTreeMap::new(),
            customer: None,
            path: Vec::new(),
            hops: 0,
            callback_offered: false,
        };
        let mut out = Vec::new();
        run.goto(flow, flow.start.clone(), now, &mut out);
        (run, out)
    }

    /// Feeds one event. An event the run is not waiting for changes nothing and returns no
    /// action; so does any event once the run is over.
    pub fn on_event(&mut self, flow: &Flow, event: IvrEvent, now: Millis) -> Vec<IvrAction> {
        let mut out = Vec::new();
        if self.wait == Wait::Done {
            return out;
        }
        if let IvrEvent::HungUp = event {
            self.step(|node| PathStep::HungUp { node, at: now });
            self.wait = Wait::Done;
            return out;
        }
        let Some(node) = flow.node(&self.node) else {
            self.abort("ivr.unknown_node", now, &mut out);
            return out;
        };
        match (event, self.wait.clone()) {
            (IvrEvent::PlayDone, Wait::Play(Then::Go(next))) => {
                self.goto(flow, next, now, &mut out);
            }
            (IvrEvent::PlayDone, Wait::Play(Then::Hangup)) => {
                out.push(IvrAction::Hangup);
                self.wait = Wait::Done;
            }
            (IvrEvent::Digits(digits), Wait::Input) if !digits.is_empty() => {
                self.step(|node| PathStep::Keyed {
                    node,
                    digits: digits.clone(),
                    at: now,
                });
                self.hops = 0;
                self.on_digits(flow, node, &digits, now, &mut out);
            }
            (IvrEvent::Digits(_) | IvrEvent::Timeout, Wait::Input) => {
                self.step(|node| PathStep::TimedOut { node, at: now });
                self.on_timeout(flow, node, now, &mut out);
            }
            (IvrEvent::Identified(customer), Wait::Identified) => {
                if let Node::Identify {
                    found, not_found, ..
                } = node
                {
                    let target = if customer.is_some() { found } else { not_found };
                    if customer.is_some() {
                        self.customer = customer;
                    }
                    self.goto(flow, target.clone(), now, &mut out);
                }
            }
            (IvrEvent::Facts(facts), Wait::Facts) => {
                if let Node::Branch { fact, yes, no } = node {
                    let target = if call_fact(fact, &facts) { yes } else { no };
                    self.goto(flow, target.clone(), now, &mut out);
                }
            }
            (IvrEvent::RepairCreated { order_no }, Wait::Repair) => {
                if let Node::ReportRepair(r) = node {
                    let mut clips = vec!["repair_created"];
                    clips.extend(speech::say_digits(&order_no));
                    clips.push("repair_created_end");
                    out.push(play(clips));
                    self.wait = Wait::Play(Then::Go(r.next.clone()));
                }
            }
            (IvrEvent::RepairFailed, Wait::Repair) => {
                if let Node::ReportRepair(r) = node {
                    out.push(play(["repair_failed"]));
                    self.wait = Wait::Play(Then::Go(r.on_fail.clone()));
                }
            }
            (IvrEvent::QueueWaitEstimate(secs), Wait::Queued) => {
                if let Node::Queue(q) = node
                    && let (Some(limit), Some(target)) = (q.callback_after_s, &q.on_callback)
                    && secs > limit
                    && !self.callback_offered
                {
                    self.callback_offered = true;
                    self.goto(flow, target.clone(), now, &mut out);
                }
            }
            (IvrEvent::AgentAnswered, Wait::Queued) => {
                self.step(|node| PathStep::AgentAnswered { node, at: now });
                self.wait = Wait::AgentCall;
            }
            // From the queue too: a service that did not report the answer still ends it.
            (IvrEvent::AgentCallEnded, Wait::Queued | Wait::AgentCall) => {
                match flow.survey_node() {
                    Some(survey) => self.goto(flow, survey.to_string(), now, &mut out),
                    None => {
                        out.push(IvrAction::Hangup);
                        self.wait = Wait::Done;
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The path so far: nodes entered, keys, timeouts, the agent's answer, the end.
    pub fn path(&self) -> &[PathStep] {
        &self.path
    }

    /// The node the run is at (the last one entered).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Variables collected so far (`account`, ...).
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// The identified customer, if any.
    pub fn customer(&self) -> Option<&CustomerFacts> {
        self.customer.as_ref()
    }

    /// Whether the call has left the flow (hung up, transferred or stopped).
    pub fn is_finished(&self) -> bool {
        self.wait == Wait::Done
    }

    fn step(&mut self, make: impl FnOnce(String) -> PathStep) {
        let step = make(self.node.clone());
        self.path.push(step);
    }

    fn abort(&mut self, code: &str, now: Millis, out: &mut Vec<IvrAction>) {
        self.step(|node| PathStep::Error {
            node,
            code: code.to_string(),
            at: now,
        });
        out.push(IvrAction::Hangup);
        self.wait = Wait::Done;
    }

    /// Enters `target` and every node it leads to without waiting, until one waits or the
    /// call ends.
    fn goto(&mut self, flow: &Flow, target: String, now: Millis, out: &mut Vec<IvrAction>) {
        let mut id = target;
        loop {
            self.hops += 1;
            if self.hops > MAX_HOPS_WITHOUT_INPUT {
                self.abort("ivr.runaway", now, out);
                return;
            }
            let Some(node) = flow.node(&id) else {
                self.abort("ivr.unknown_node", now, out);
                return;
            };
            self.path.push(PathStep::Entered {
                node: id.clone(),
                at: now,
            });
            self.node = id;
            self.attempts = 0;
            match self.enter(node, now, out) {
                Enter::Wait(wait) => {
                    self.wait = wait;
                    return;
                }
                Enter::Go(next) => id = next,
                Enter::End => {
                    self.wait = Wait::Done;
                    return;
                }
            }
        }
    }

    fn enter(&mut self, node: &Node, now: Millis, out: &mut Vec<IvrAction>) -> Enter {
        if let Some((prompt, collect)) = ask(node) {
            self.attempts = 1;
            out.push(play([prompt]));
            out.push(collect);
            return Enter::Wait(Wait::Input);
        }
        let played = |out: &mut Vec<IvrAction>, clips: Vec<&str>, next: &String| {
            out.push(play(clips));
            Enter::Wait(Wait::Play(Then::Go(next.clone())))
        };
        match node {
            Node::Play { prompts, next } => {
                out.push(play(prompts.iter().map(String::as_str)));
                Enter::Wait(Wait::Play(Then::Go(next.clone())))
            }
            Node::Identify { by, not_found, .. } => {
                let request = match by {
                    IdentifyBy::Caller => LookupRequest::IdentifyCaller,
                    IdentifyBy::Account => match self.vars.get(ACCOUNT_VAR) {
                        Some(account) => LookupRequest::IdentifyAccount(account.clone()),
                        None => return Enter::Go(not_found.clone()),
                    },
                };
                out.push(IvrAction::Lookup(request));
                Enter::Wait(Wait::Identified)
            }
            Node::Branch { fact, yes, no } => {
                if fact.needs_call_facts() {
                    out.push(IvrAction::Lookup(LookupRequest::Facts));
                    Enter::Wait(Wait::Facts)
                } else if self.customer_fact(fact) {
                    Enter::Go(yes.clone())
                } else {
                    Enter::Go(no.clone())
                }
            }
            Node::AnnounceOutage { next } => {
                match self.customer.as_ref().and_then(|c| c.outage.as_ref()) {
                    Some(outage) => played(out, outage_clips(outage, now), next),
                    None => Enter::Go(next.clone()),
                }
            }
            Node::OutageStatus { next } => {
                let clips = match &self.customer {
                    None => vec!["outage_area_unknown"],
                    Some(CustomerFacts {
                        outage: Some(outage),
                        ..
                    }) => outage_clips(outage, now),
                    Some(_) => vec!["no_outage_known"],
                };
                played(out, clips, next)
            }
            Node::SayBalance { next } => {
                let clips = match &self.customer {
                    None => vec!["balance_unavailable"],
                    Some(c) => balance_clips(c),
                };
                played(out, clips, next)
            }
            Node::Queue(q) => {
                out.push(IvrAction::Queue {
                    queue: q.queue.clone(),
                    callback_after_s: q.callback_after_s,
                });
                Enter::Wait(Wait::Queued)
            }
            Node::Transfer { to } => {
                out.push(IvrAction::Transfer(to.clone()));
                Enter::End
            }
            Node::Hangup { prompt: Some(p) } => {
                out.push(play([p.as_str()]));
                Enter::Wait(Wait::Play(Then::Hangup))
            }
            Node::Hangup { prompt: None } => {
                out.push(IvrAction::Hangup);
                Enter::End
            }
            // Nodes that ask for input are handled by `ask` above.
            Node::Menu(_)
            | Node::Collect(_)
            | Node::ReportRepair(_)
            | Node::CallbackOffer(_)
            | Node::Survey(_) => Enter::End,
        }
    }

    fn on_digits(
        &mut self,
        flow: &Flow,
        node: &Node,
        digits: &str,
        now: Millis,
        out: &mut Vec<IvrAction>,
    ) {
        match node {
            Node::Menu(m) => match single(digits).and_then(|k| m.options.get(&k)) {
                Some(target) => self.goto(flow, target.clone(), now, out),
                None => self.retry(flow, node, Some(&m.invalid_prompt), now, out),
            },
            Node::Collect(c) => {
                let value = digits.strip_suffix(c.finish_on).unwrap_or(digits);
                let fits = (usize::from(c.min_digits)..=usize::from(c.max_digits))
                    .contains(&value.len())
                    && value.bytes().all(|b| b.is_ascii_digit());
                if fits {
                    self.vars.insert(c.into.clone(), value.to_string());
                    self.goto(flow, c.next.clone(), now, out);
                } else {
                    self.retry(flow, node, Some(&c.invalid_prompt), now, out);
                }
            }
            Node::ReportRepair(r) => {
                if single(digits) == Some(r.confirm_digit) {
                    out.push(IvrAction::CreateRepair);
                    self.wait = Wait::Repair;
                } else {
                    self.goto(flow, r.on_decline.clone(), now, out);
                }
            }
            Node::CallbackOffer(c) => {
                if single(digits) == Some(c.accept_digit) {
                    out.push(IvrAction::OfferCallbackAccepted);
                    self.goto(flow, c.next_accepted.clone(), now, out);
                } else {
                    self.goto(flow, c.next_declined.clone(), now, out);
                }
            }
            Node::Survey(s) => match single(digits) {
                Some(mark @ '1'..='3') => {
                    out.push(IvrAction::RecordSurvey(mark as u8 - b'0'));
                    self.goto(flow, s.next.clone(), now, out);
                }
                _ => self.retry(flow, node, Some(&s.invalid_prompt), now, out),
            },
            _ => {}
        }
    }

    fn on_timeout(&mut self, flow: &Flow, node: &Node, now: Millis, out: &mut Vec<IvrAction>) {
        match node {
            Node::CallbackOffer(c) => self.goto(flow, c.next_declined.clone(), now, out),
            _ => self.retry(flow, node, None, now, out),
        }
    }

    /// Asks again (after `invalid`, when the input was wrong) while retries are left, else
    /// goes to the node's fallback.
    fn retry(
        &mut self,
        flow: &Flow,
        node: &Node,
        invalid: Option<&str>,
        now: Millis,
        out: &mut Vec<IvrAction>,
    ) {
        let (retries, fallback) = match node {
            Node::Menu(m) => (m.retries, &m.on_fail),
            Node::Collect(c) => (c.retries, &c.on_fail),
            Node::ReportRepair(r) => (r.retries, &r.on_decline),
            Node::Survey(s) => (s.retries, &s.next),
            _ => return,
        };
        let Some((prompt, collect)) = ask(node) else {
            return;
        };
        if self.attempts <= retries {
            self.attempts += 1;
            out.push(play(invalid.into_iter().chain([prompt])));
            out.push(collect);
        } else {
            self.goto(flow, fallback.clone(), now, out);
        }
    }

    fn customer_fact(&self, fact: &Fact) -> bool {
        let Some(c) = &self.customer else {
            return false;
        };
        match fact {
            Fact::OutageInArea => c.outage.is_some(),
            Fact::Sensitive => c.sensitive,
            Fact::CareGroup => c.care_group,
            Fact::Identified => true,
            Fact::HasArrears => c.arrears_fen > 0,
            Fact::OpenHours | Fact::QueueWaitOver { .. } => false,
        }
    }
}

fn call_fact(fact: &Fact, facts: &CallFacts) -> bool {
    match fact {
        Fact::OpenHours => facts.open_hours,
        Fact::QueueWaitOver { queue, seconds } => {
            facts.queue_wait_s.get(queue).is_some_and(|w| w > seconds)
        }
        _ => false,
    }
}

/// The prompt and the `Collect` of a node that asks the caller for keys.
fn ask(node: &Node) -> Option<(&str, IvrAction)> {
    let one_key = |timeout_ms| IvrAction::Collect {
        max_digits: 1,
        finish_on: None,
        timeout_ms,
    };
    match node {
        Node::Menu(m) => Some((&m.prompt, one_key(m.timeout_ms))),
        Node::Collect(c) => Some((
            &c.prompt,
            IvrAction::Collect {
                max_digits: c.max_digits,
                finish_on: Some(c.finish_on),
                timeout_ms: c.timeout_ms,
            },
        )),
        Node::ReportRepair(r) => Some((&r.confirm_prompt, one_key(r.timeout_ms))),
        Node::CallbackOffer(c) => Some((&c.prompt, one_key(c.timeout_ms))),
        Node::Survey(s) => Some((&s.prompt, one_key(s.timeout_ms))),
        _ => None,
    }
}

/// The one key of a one-key answer.
fn single(digits: &str) -> Option<char> {
    let mut chars = digits.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

fn play<'a>(clips: impl IntoIterator<Item = &'a str>) -> IvrAction {
    IvrAction::Play {
        clips: clips.into_iter().map(Clip::from).collect(),
    }
}

/// 您所在的区域正在进行计划停电检修，预计恢复供电时间为明天下午三点，给您带来不便，敬请谅解。
fn outage_clips(outage: &OutageFacts, now: Millis) -> Vec<&'static str> {
    let mut clips = vec![match outage.kind {
        OutageKind::Planned => "outage_planned",
        OutageKind::Temporary => "outage_temporary",
        OutageKind::Fault => "outage_fault",
    }];
    let when = outage
        .expected_restore
        .map(|at| (at, speech::say_time(at, now, speech::BEIJING)));
    match when {
        Some((at, time)) if at > now && !time.is_empty() => {
            clips.push("outage_restore_at");
            clips.extend(time);
        }
        Some((at, _)) if at <= now => clips.push("outage_restore_soon"),
        _ => clips.push("outage_restore_unknown"),
    }
    clips.push("outage_apology");
    clips
}

/// 您的账户余额为一百元，当前欠费五十元，请您及时缴纳电费。
fn balance_clips(c: &CustomerFacts) -> Vec<&'static str> {
    let mut clips = vec![if c.balance_fen < 0 {
        "balance_overdrawn"
    } else {
        "balance_is"
    }];
    clips.extend(speech::say_amount(c.balance_fen));
    if c.arrears_fen > 0 {
        clips.push("arrears_is");
        clips.extend(speech::say_amount(c.arrears_fen));
        clips.push("arrears_pay");
    } else {
        clips.push("no_arrears");
    }
    clips
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivr::{Fact, Flow, Node};

    const T0: Millis = 1_795_136_400_000;

    fn parse(text: &str) -> Flow {
        Flow::parse("t", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn entered(run: &IvrRun) -> Vec<&str> {
        run.path()
            .iter()
            .filter(|s| matches!(s, PathStep::Entered { .. }))
            .map(PathStep::node)
            .collect()
    }

    /// Two menus that fall back on each other: a silent caller goes round them.
    const PING_PONG: &str = r#"
start = "m1"
[prompts]
p = "请按1。"
[nodes.m1]
kind = "menu"
prompt = "p"
options = { "1" = "bye" }
retries = 0
on_fail = "m2"
[nodes.m2]
kind = "menu"
prompt = "p"
options = { "1" = "bye" }
retries = 0
on_fail = "m1"
[nodes.bye]
kind = "hangup"
"#;

    #[test]
    fn a_silent_caller_is_hung_up_on_after_the_hop_limit() {
        let flow = parse(PING_PONG);
        let (mut run, _) = IvrRun::start(&flow, T0);
        for _ in 1..MAX_HOPS_WITHOUT_INPUT {
            let out = run.on_event(&flow, IvrEvent::Timeout, T0);
            assert!(matches!(
                out[..],
                [IvrAction::Play { .. }, IvrAction::Collect { .. }]
            ));
        }
        assert_eq!(
            run.on_event(&flow, IvrEvent::Timeout, T0),
            [IvrAction::Hangup]
        );
        assert!(run.is_finished());
        assert!(matches!(
            run.path().last(),
            Some(PathStep::Error { code, .. }) if code == "ivr.runaway"
        ));
        assert!(run.on_event(&flow, IvrEvent::Timeout, T0).is_empty());
    }

    #[test]
    fn a_key_resets_the_hop_count() {
        let flow = parse(PING_PONG);
        let (mut run, _) = IvrRun::start(&flow, T0);
        for i in 0..3 * MAX_HOPS_WITHOUT_INPUT {
            let event = if i % 50 == 49 {
                IvrEvent::Digits("9".into())
            } else {
                IvrEvent::Timeout
            };
            run.on_event(&flow, event, T0);
        }
        assert!(!run.is_finished());
        assert!(matches!(run.path().last(), Some(PathStep::Entered { .. })));
    }

    #[test]
    fn a_loop_that_never_waits_stops_at_the_limit() {
        // Parse refuses this flow; built by hand, the run must still not spin.
        let branch = |to: &str| Node::Branch {
            fact: Fact::Identified,
            yes: to.into(),
            no: to.into(),
        };
        let flow = Flow {
            name: "loop".into(),
            title: None,
            start: "a".into(),
            nodes: [("a".into(), branch("b")), ("b".into(), branch("a"))].into(),
            prompts: BTreeMap::new(),
        };
        let (run, out) = IvrRun::start(&flow, T0);
        assert_eq!(out, [IvrAction::Hangup]);
        assert!(run.is_finished());
        assert_eq!(entered(&run).len(), MAX_HOPS_WITHOUT_INPUT as usize);
    }

    #[test]
    fn events_not_waited_for_change_nothing() {
        let flow = parse(PING_PONG);
        let (mut run, _) = IvrRun::start(&flow, T0);
        let before = run.clone();
        for event in [
            IvrEvent::PlayDone,
            IvrEvent::Identified(None),
            IvrEvent::Facts(CallFacts::default()),
            IvrEvent::RepairFailed,
            IvrEvent::QueueWaitEstimate(999),
            IvrEvent::AgentAnswered,
            IvrEvent::AgentCallEnded,
        ] {
            assert!(run.on_event(&flow, event, T0).is_empty());
        }
        assert_eq!(run, before);
    }

    #[test]
    fn another_flow_stops_the_run() {
        let flow = parse(PING_PONG);
        let (mut run, _) = IvrRun::start(&flow, T0);
        let other = parse(&PING_PONG.replace("m1", "x1"));
        assert_eq!(
            run.on_event(&other, IvrEvent::Timeout, T0),
            [IvrAction::Hangup]
        );
        assert!(matches!(
            run.path().last(),
            Some(PathStep::Error { code, node, .. }) if code == "ivr.unknown_node" && node == "m1"
        ));
    }

    const HOURS: &str = r#"
start = "open"
[nodes.open]
kind = "branch"
fact = "open_hours"
yes = "busy"
no = "closed"
[nodes.busy]
kind = "branch"
fact = "queue_wait_over"
seconds = 120
yes = "regulator"
no = "line"
[nodes.line]
kind = "queue"
queue = "general"
[nodes.regulator]
kind = "transfer"
to = "12398"
[nodes.closed]
kind = "hangup"
"#;

    fn facts(open_hours: bool, general_wait: u32) -> IvrEvent {
        IvrEvent::Facts(CallFacts {
            open_hours,
            queue_wait_s: [("general".to_string(), general_wait)].into(),
        })
    }

    #[test]
    fn call_facts_are_asked_at_each_branch_on_them() {
        let flow = parse(HOURS);
        let (mut run, out) = IvrRun::start(&flow, T0);
        assert_eq!(out, [IvrAction::Lookup(LookupRequest::Facts)]);
        assert_eq!(
            run.on_event(&flow, facts(true, 300), T0),
            [IvrAction::Lookup(LookupRequest::Facts)]
        );
        assert_eq!(
            run.on_event(&flow, facts(true, 300), T0),
            [IvrAction::Transfer("12398".into())]
        );
        assert!(run.is_finished());
        assert_eq!(entered(&run), ["open", "busy", "regulator"]);

        let (mut run, _) = IvrRun::start(&flow, T0);
        run.on_event(&flow, facts(true, 0), T0);
        assert_eq!(
            run.on_event(&flow, facts(true, 120), T0),
            [IvrAction::Queue {
                queue: "general".into(),
                callback_after_s: None
            }]
        );
        let (mut run, _) = IvrRun::start(&flow, T0);
        assert_eq!(
            run.on_event(&flow, facts(false, 0), T0),
            [IvrAction::Hangup]
        );
    }

    #[test]
    fn a_run_survives_a_round_trip_through_json() {
        let flow = parse(PING_PONG);
        let (mut run, _) = IvrRun::start(&flow, T0);
        run.on_event(&flow, IvrEvent::Timeout, T0 + 5000);
        let json = serde_json::to_string(&run).unwrap();
        let mut back: IvrRun = serde_json::from_str(&json).unwrap();
        assert_eq!(back, run);
        assert_eq!(
            back.on_event(&flow, IvrEvent::Digits("1".into()), T0 + 6000),
            [IvrAction::Hangup]
        );
        assert_eq!(
            serde_json::to_value(IvrEvent::Digits("1".into())).unwrap(),
            serde_json::json!({ "digits": "1" })
        );
        assert_eq!(
            serde_json::to_value(&back.path()[0]).unwrap(),
            serde_json::json!({ "step": "entered", "node": "m1", "at": T0 })
        );
    }
}
