//! One task per call: answer, run the IVR flow, queue through the switchboard, ring the
//! chosen agent's phone, bridge, survey, and hand over the call record exactly once.

use crate::board::{Board, BoardMsg, Stage};
use crate::media::sdp::{self, LocalMedia};
use crate::media::{Codec, PromptLibrary};
use crate::rtp_io::{MediaLeg, PortPool};
use crate::sip::{DialOutcome, DialTarget, EndReason, InboundCall, Leg, LegEvent, Sip};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};
use voltdesk_domain::Millis;
use voltdesk_domain::acd::{
    AgentId, CallId, CallerFlags, RemoveReason, RingFailure, TransferTarget,
};
use voltdesk_domain::ivr::{Flow, IvrAction, IvrEvent, IvrRun, LookupRequest};
use voltdesk_domain::speech;

/// What a call needs from the rest of voltdesk. The service implements it; keeping it a trait
/// keeps this crate's call logic testable and its dependencies one-way.
pub trait Services: Send + Sync + 'static {
    fn identify_phone(
        &self,
        phone: &str,
    ) -> impl Future<Output = Option<voltdesk_domain::ivr::CustomerFacts>> + Send;
    fn identify_account(
        &self,
        account: &str,
    ) -> impl Future<Output = Option<voltdesk_domain::ivr::CustomerFacts>> + Send;
    fn call_facts(&self) -> impl Future<Output = voltdesk_domain::ivr::CallFacts> + Send;
    /// Creates a repair order from the call; the order's number.
    fn create_repair(
        &self,
        customer_id: Option<i64>,
        phone: &str,
        call_key: &str,
    ) -> impl Future<Output = Option<(i64, String)>> + Send;
    /// Where an agent's phone is: registered binding or static contact.
    fn agent_target(&self, agent: i64) -> impl Future<Output = Option<DialTarget>> + Send;
    fn record_call(&self, record: CallSummary) -> impl Future<Output = ()> + Send;
    fn now(&self) -> Millis;
}

/// The call record as the engine knows it at the end.
#[derive(Debug, Clone, Default)]
pub struct CallSummary {
    pub key: String,
    pub caller: String,
    pub dialled: String,
    pub source: String,
    pub customer_id: Option<i64>,
    pub started_at: Millis,
    pub ivr_path: Vec<voltdesk_domain::ivr::PathStep>,
    pub queue: Option<String>,
    pub queued_at: Option<Millis>,
    pub offered_at: Option<Millis>,
    pub agent: Option<i64>,
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    /// answered, abandoned, callback, self_served, refused, failed
    pub outcome: &'static str,
    pub order_ids: Vec<i64>,
    pub survey: Option<u8>,
    pub recording: Option<String>,
    pub caller_codec: String,
    pub agent_codec: Option<String>,
    pub agent_leg_started: Option<Millis>,
    /// Packets relayed caller→agent and agent→caller, for the record and the tests.
    pub relayed_to_agent: u64,
    pub relayed_to_caller: u64,
}

pub struct Engine<S: Services> {
    pub sip: Arc<Sip>,
    pub board: Arc<Board>,
    pub services: Arc<S>,
    pub prompts: Arc<PromptLibrary>,
    pub flow: Arc<Flow>,
    pub ports: PortPool,
    pub recordings: Option<PathBuf>,
    /// Every call's summary once it is recorded (the relay counters are only here).
    pub ended: tokio::sync::broadcast::Sender<CallSummary>,
}

impl<S: Services> Engine<S> {
    /// Takes calls from the SIP side until it stops.
    pub async fn serve(self: Arc<Self>, mut calls: tokio::sync::mpsc::Receiver<InboundCall>) {
        while let Some(call) = calls.recv().await {
            let me = self.clone();
            tokio::spawn(async move { me.run_call(call).await });
        }
    }

    async fn run_call(self: Arc<Self>, call: InboundCall) {
        let InboundCall {
            mut leg,
            caller,
            dialled,
            offer,
            source,
        } = call;
        let started_at = self.services.now();
        let key = format!(
            "{started_at:x}-{}",
            leg.id()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(12)
                .collect::<String>()
        );
        let mut rec = CallSummary {
            key: key.clone(),
            caller: caller.clone(),
            dialled,
            source: source.to_string(),
            started_at,
            outcome: "failed",
            ..CallSummary::default()
        };
        let offer = std::str::from_utf8(&offer)
            .ok()
            .and_then(|s| sdp::parse_offer(s).ok());
        let neg = offer.as_ref().and_then(|o| sdp::negotiate(o).ok());
        let (Some(offer), Some(neg)) = (offer, neg) else {
            leg.reject(488);
            rec.ended_at = self.services.now();
            self.hand_over(rec).await;
            return;
        };
        let Some((socket, port)) = self.ports.bind().await else {
            leg.reject(503);
            rec.ended_at = self.services.now();
            self.hand_over(rec).await;
            return;
        };
        let mut media = MediaLeg::start(socket, port, Some(&neg));
        rec.caller_codec = neg.codec.encoding_name().to_string();
        let local = LocalMedia {
            ip: self.ports.ip(),
            rtp_port: port,
            session_id: rand::random::<u32>() as u64,
            session_version: 1,
        };
        let answer = sdp::build_answer(&offer, &neg, &local);
        if !leg.answer(answer.into_bytes()) {
            rec.ended_at = self.services.now();
            self.hand_over(rec).await;
            return;
        }
        let (call_id, mut board_rx) = self.board.open_call(&key, &caller);
        let mut ctx = CallCtx {
            engine: &self,
            leg: &mut leg,
            media: &mut media,
            board_rx: &mut board_rx,
            call_id,
            rec: &mut rec,
            local,
            in_acd: false,
            hung_up: false,
            customer_flags: CallerFlags::default(),
            callback_offered: false,
            held_msg: None,
        };
        ctx.run_ivr().await;
        let hung_up = ctx.hung_up;
        let in_acd = ctx.in_acd;
        if in_acd {
            // Every call that entered the ACD leaves it exactly once.
            if rec.answered_at.is_some() {
                self.board.hang_up(call_id).ok();
            } else {
                self.board.abandon(call_id).ok();
            }
        }
        self.board.close_call(call_id);
        if !hung_up {
            leg.hangup().await;
        }
        rec.ended_at = self.services.now();
        rec.ivr_path.shrink_to_fit();
        info!(call = %rec.key, outcome = rec.outcome, "call ended");
        self.hand_over(rec).await;
    }

    /// Records the call, then tells whoever watches.
    async fn hand_over(&self, rec: CallSummary) {
        self.services.record_call(rec.clone()).await;
        self.ended.send(rec).ok();
    }
}

struct CallCtx<'a, S: Services> {
    engine: &'a Arc<Engine<S>>,
    leg: &'a mut Leg,
    media: &'a mut MediaLeg,
    board_rx: &'a mut tokio::sync::mpsc::UnboundedReceiver<BoardMsg>,
    call_id: CallId,
    rec: &'a mut CallSummary,
    local: LocalMedia,
    in_acd: bool,
    hung_up: bool,
    customer_flags: CallerFlags,
    /// A callback is offered once per call: a caller who declined it waits in line.
    callback_offered: bool,
    /// A switchboard message that arrived while a ring was winding down (the next offer
    /// comes right after the withdrawal of the last one), for the queue to act on.
    held_msg: Option<BoardMsg>,
}

/// What interrupted waiting on the call.
enum Wake {
    HungUp,
    Key(char),
    Done,
}

impl<S: Services> CallCtx<'_, S> {
    fn flow(&self) -> Arc<Flow> {
        self.engine.flow.clone()
    }

    fn now(&self) -> Millis {
        self.engine.services.now()
    }

    fn codec(&self) -> Codec {
        self.media.codec()
    }

    /// Handles a leg event that needs no decision; `true` when the caller is gone.
    async fn leg_event(&mut self, ev: Option<LegEvent>) -> bool {
        match ev {
            None | Some(LegEvent::Ended(_)) => {
                self.hung_up = true;
                true
            }
            Some(LegEvent::Reinvite { offer, reply }) => {
                self.answer_reinvite(offer, reply).await;
                false
            }
            Some(LegEvent::Refer { reply, .. }) => {
                reply.respond(403, None).await;
                false
            }
            Some(LegEvent::Dtmf(key)) => {
                self.media.push_key(key);
                false
            }
            Some(LegEvent::Ringing) | Some(LegEvent::Confirmed) => false,
        }
    }

    async fn answer_reinvite(&mut self, offer: Vec<u8>, reply: crate::sip::Responder) {
        let parsed = std::str::from_utf8(&offer)
            .ok()
            .and_then(|s| sdp::parse_offer(s).ok());
        match parsed
            .as_ref()
            .and_then(|o| sdp::negotiate(o).ok().map(|n| (o, n)))
        {
            Some((o, n)) => {
                self.media.renegotiate(&n);
                self.local.session_version += 1;
                let answer = sdp::build_answer(o, &n, &self.local);
                reply.respond(200, Some(answer.into_bytes())).await;
            }
            None => reply.respond(488, None).await,
        }
    }

    /// Plays clips; keys pressed meanwhile are kept for a following collect.
    async fn play(&mut self, clips: &[String], interruptible: bool) -> Wake {
        let names: Vec<&str> = clips.iter().map(String::as_str).collect();
        let frames = self.engine.prompts.sequence(&names, self.codec());
        let mut done = self.media.play_detached(frames);
        loop {
            tokio::select! {
                _ = &mut done => return Wake::Done,
                ev = self.leg.event() => {
                    if self.leg_event_owned(ev).await { self.media.stop(); return Wake::HungUp; }
                }
                k = self.media.key(), if interruptible => {
                    self.media.stop();
                    return match k { Some(k) => Wake::Key(k), None => Wake::HungUp };
                }
            }
        }
    }

    async fn leg_event_owned(&mut self, ev: Option<LegEvent>) -> bool {
        self.leg_event(ev).await
    }

    /// Collects keys until `max`, the finishing key, or `timeout` of silence.
    async fn collect(
        &mut self,
        first: Option<char>,
        max: u8,
        finish: Option<char>,
        timeout: Duration,
    ) -> Option<String> {
        let mut got = String::new();
        if let Some(k) = first {
            if Some(k) == finish {
                return Some(got);
            }
            got.push(k);
        }
        while got.len() < max as usize {
            let sleep = tokio::time::sleep(timeout);
            tokio::pin!(sleep);
            tokio::select! {
                _ = &mut sleep => break,
                k = self.media.key() => match k {
                    Some(k) if Some(k) == finish => break,
                    Some(k) => got.push(k),
                    None => { self.hung_up = true; return None; }
                },
                ev = self.leg.event() => {
                    if self.leg_event_owned(ev).await { return None; }
                }
            }
        }
        Some(got)
    }

    async fn run_ivr(&mut self) {
        let flow = self.flow();
        let (mut run, first) = IvrRun::start(&flow, self.now());
        let mut actions: VecDeque<IvrAction> = first.into();
        if self.engine.recordings.is_some() {
            // Callers hear that calls may be recorded before anything else.
            let notice = ["recording_notice".to_string()];
            if let Wake::HungUp = self.play(&notice, false).await {
                run.on_event(&flow, IvrEvent::HungUp, self.now());
                actions.clear();
            }
        }
        let mut hops = 0u32;
        loop {
            hops += 1;
            if hops > 10_000 {
                break;
            }
            let Some(action) = actions.pop_front() else {
                // Nothing to do and nothing to wait for: the flow is over.
                break;
            };
            let event = match action {
                IvrAction::Play { clips } => {
                    let names: Vec<String> = clips.iter().map(|c| c.as_str().to_string()).collect();
                    let collect_next = matches!(actions.front(), Some(IvrAction::Collect { .. }));
                    match self.play(&names, collect_next).await {
                        Wake::HungUp => Some(IvrEvent::HungUp),
                        Wake::Key(k) => {
                            if let Some(IvrAction::Collect {
                                max_digits,
                                finish_on,
                                timeout_ms,
                            }) = actions.pop_front()
                            {
                                Some(
                                    self.digits_event(Some(k), max_digits, finish_on, timeout_ms)
                                        .await,
                                )
                            } else {
                                None
                            }
                        }
                        _ if collect_next => None,
                        _ => Some(IvrEvent::PlayDone),
                    }
                }
                IvrAction::Collect {
                    max_digits,
                    finish_on,
                    timeout_ms,
                } => Some(
                    self.digits_event(None, max_digits, finish_on, timeout_ms)
                        .await,
                ),
                IvrAction::Lookup(LookupRequest::IdentifyCaller) => {
                    let facts = self.engine.services.identify_phone(&self.rec.caller).await;
                    self.note_customer(facts.as_ref());
                    Some(IvrEvent::Identified(facts))
                }
                IvrAction::Lookup(LookupRequest::IdentifyAccount(a)) => {
                    let facts = self.engine.services.identify_account(&a).await;
                    self.note_customer(facts.as_ref());
                    Some(IvrEvent::Identified(facts))
                }
                IvrAction::Lookup(LookupRequest::Facts) => {
                    let mut facts = self.engine.services.call_facts().await;
                    for q in self.engine.board.snapshot().queues {
                        let est = (q.waiting as i64 + 1) * q.average_handle_ms.max(1)
                            / (q.agents_logged_in.max(1) as i64);
                        let est = if q.agents_ready > 0 && q.waiting == 0 {
                            0
                        } else {
                            est
                        };
                        facts
                            .queue_wait_s
                            .insert(q.id.as_str().to_string(), (est / 1000) as u32);
                    }
                    Some(IvrEvent::Facts(facts))
                }
                IvrAction::CreateRepair => {
                    let cid = self.rec.customer_id;
                    let phone = self.rec.caller.clone();
                    match self
                        .engine
                        .services
                        .create_repair(cid, &phone, &self.rec.key)
                        .await
                    {
                        Some((id, no)) => {
                            self.rec.order_ids.push(id);
                            self.rec.outcome = "self_served";
                            Some(IvrEvent::RepairCreated { order_no: no })
                        }
                        None => Some(IvrEvent::RepairFailed),
                    }
                }
                IvrAction::Queue {
                    queue,
                    callback_after_s,
                } => self.queue(&queue, callback_after_s).await,
                IvrAction::OfferCallbackAccepted => {
                    // The call record with the outcome `callback` promises the callback.
                    self.rec.outcome = "callback";
                    None
                }
                IvrAction::RecordSurvey(n) => {
                    self.rec.survey = Some(n);
                    None
                }
                IvrAction::Transfer(to) => {
                    debug!(
                        to,
                        "transfer to another number is not connected; ending the call"
                    );
                    break;
                }
                IvrAction::Hangup => break,
            };
            if let Some(ev) = event {
                let gone = matches!(ev, IvrEvent::HungUp);
                let more = run.on_event(&flow, ev, self.now());
                actions.extend(more);
                if gone {
                    break;
                }
            }
            if self.hung_up {
                let more = run.on_event(&flow, IvrEvent::HungUp, self.now());
                drop(more);
                break;
            }
        }
        self.rec.ivr_path = run.path().to_vec();
        if self.rec.outcome == "failed" {
            self.rec.outcome = if self.rec.answered_at.is_some() {
                "answered"
            } else if self.in_acd || self.rec.queue.is_some() {
                "abandoned"
            } else {
                "self_served"
            };
        }
    }

    fn note_customer(&mut self, facts: Option<&voltdesk_domain::ivr::CustomerFacts>) {
        if let Some(f) = facts {
            self.rec.customer_id = Some(f.customer_id);
            self.customer_flags.sensitive = f.sensitive;
            self.customer_flags.care_group = f.care_group;
            self.engine
                .board
                .set_customer(self.call_id, Some(f.customer_id));
        }
    }

    async fn digits_event(
        &mut self,
        first: Option<char>,
        max: u8,
        finish: Option<char>,
        timeout_ms: u32,
    ) -> IvrEvent {
        match self
            .collect(first, max, finish, Duration::from_millis(timeout_ms as u64))
            .await
        {
            None => IvrEvent::HungUp,
            Some(d) if d.is_empty() => IvrEvent::Timeout,
            Some(d) => IvrEvent::Digits(d),
        }
    }

    /// Waits in the queue (hold music, position announcements), rings the agents the
    /// switchboard picks, and talks. Returns the IVR event that ends the wait.
    async fn queue(&mut self, queue: &str, callback_after_s: Option<u32>) -> Option<IvrEvent> {
        if let Err(e) = self
            .engine
            .board
            .enqueue(self.call_id, queue, self.customer_flags)
        {
            debug!(error = e, "enqueue refused");
            return Some(IvrEvent::QueueWaitEstimate(u32::MAX));
        }
        self.in_acd = true;
        self.rec.queue = Some(queue.to_string());
        self.rec.queued_at.get_or_insert(self.now());
        // Announce the place in line once, then hold music until an agent answers.
        let (_, mut playing) = tokio::sync::oneshot::channel::<()>();
        if let Some(p) = self.engine.board.position(self.call_id) {
            let secs = (p.estimated_wait_ms / 1000).max(0) as u32;
            if let Some(limit) = callback_after_s
                && secs > limit
                && !self.callback_offered
            {
                self.callback_offered = true;
                self.engine
                    .board
                    .remove(self.call_id, RemoveReason::CallbackAccepted)
                    .ok();
                self.in_acd = false;
                return Some(IvrEvent::QueueWaitEstimate(secs));
            }
            let mut clips = vec!["queue_position".to_string()];
            clips.extend(
                speech::say_number(p.place as u64)
                    .into_iter()
                    .map(str::to_string),
            );
            clips.push("queue_position_after".to_string());
            let frames = self.engine.prompts.sequence(
                &clips.iter().map(String::as_str).collect::<Vec<_>>(),
                self.codec(),
            );
            playing = self.media.play_detached(frames);
        }
        loop {
            let msg = match self.held_msg.take() {
                Some(m) => Some(m),
                None => tokio::select! {
                    m = self.board_rx.recv() => m,
                    ev = self.leg.event() => {
                        if self.leg_event_owned(ev).await { return Some(IvrEvent::HungUp); }
                        continue;
                    }
                    // Hold music, over and over, while the caller waits.
                    _ = &mut playing => {
                        let hold = self.engine.prompts.sequence(&["hold_music"], self.codec());
                        playing = self.media.play_detached(hold);
                        continue;
                    }
                },
            };
            let Some(BoardMsg::Offer {
                agent,
                ring_deadline,
            }) = msg
            else {
                continue;
            };
            match self.ring(agent, ring_deadline).await {
                Rang::Talked => return Some(IvrEvent::AgentCallEnded),
                Rang::CallerGone => return Some(IvrEvent::HungUp),
                // The switchboard has the caller in line for the transfer's target.
                Rang::Transferred | Rang::Missed => continue,
            }
        }
    }

    async fn ring(&mut self, agent: AgentId, ring_deadline: Millis) -> Rang {
        self.rec.offered_at.get_or_insert(self.now());
        let Some(target) = self.engine.services.agent_target(agent.0).await else {
            self.engine
                .board
                .rejected(agent, self.call_id, RingFailure::Unreachable)
                .ok();
            return Rang::Missed;
        };
        let (socket, port) = match self.engine.ports.bind().await {
            Some(x) => x,
            None => {
                self.engine
                    .board
                    .rejected(agent, self.call_id, RingFailure::Unreachable)
                    .ok();
                return Rang::Missed;
            }
        };
        let agent_local = LocalMedia {
            ip: self.engine.ports.ip(),
            rtp_port: port,
            session_id: rand::random::<u32>() as u64,
            session_version: 1,
        };
        let offer = sdp::build_offer(&agent_local);
        let called_off = CancellationToken::new();
        let ring_for =
            Duration::from_millis((ring_deadline - self.now()).clamp(1_000, 120_000) as u64 + 500);
        let sip = self.engine.sip.clone();
        let caller = self.rec.caller.clone();
        let cancel = called_off.clone();
        let mut dial = tokio::spawn(async move {
            sip.dial(
                &target,
                &caller,
                offer.into_bytes(),
                ring_for,
                cancel,
                || {},
            )
            .await
        });
        let outcome = loop {
            tokio::select! {
                r = &mut dial => break r.ok(),
                m = self.board_rx.recv() => match m {
                    Some(BoardMsg::Withdraw { agent: a, .. }) if a == agent => called_off.cancel(),
                    // The next offer, sent with this one's withdrawal: the queue takes it.
                    Some(other) => self.held_msg = Some(other),
                    None => {}
                },
                ev = self.leg.event() => {
                    if self.leg_event_owned(ev).await {
                        called_off.cancel();
                        let r = (&mut dial).await.ok();
                        if let Some(DialOutcome::Answered { leg, .. }) = r { leg.hangup().await; }
                        return Rang::CallerGone;
                    }
                }
            }
        };
        let (mut agent_leg, answer) = match outcome {
            Some(DialOutcome::Answered { leg, answer }) => (leg, answer),
            Some(DialOutcome::Failed(code)) => {
                let reason = match code {
                    486 | 600 => RingFailure::Busy,
                    603 => RingFailure::Declined,
                    _ => RingFailure::Unreachable,
                };
                self.engine.board.rejected(agent, self.call_id, reason).ok();
                return Rang::Missed;
            }
            // The switchboard's own ring timeout withdraws the offer.
            Some(DialOutcome::NoAnswer) => return Rang::Missed,
            Some(DialOutcome::CalledOff) | None => return Rang::Missed,
        };
        let neg = std::str::from_utf8(&answer)
            .ok()
            .and_then(|s| sdp::parse_offer(s).ok())
            .and_then(|o| sdp::negotiate(&o).ok());
        let agent_media = MediaLeg::start(socket, port, neg.as_ref());
        if self.engine.board.answered(agent, self.call_id).is_err() {
            // The offer was withdrawn while the phone answered: let the agent go.
            agent_leg.hangup().await;
            return Rang::Missed;
        }
        let now = self.now();
        self.rec.answered_at.get_or_insert(now);
        self.rec.agent = Some(agent.0);
        self.rec.agent_codec = Some(agent_media.codec().encoding_name().to_string());
        self.rec.agent_leg_started = Some(now);
        self.rec.outcome = "answered";
        if let Some(dir) = &self.engine.recordings {
            // The record names the file; the folder is the server's setting.
            let name = format!("{}.wav", self.rec.key);
            if self.media.record_to(dir.join(&name)).is_ok() {
                self.rec.recording = Some(name);
            }
        }
        MediaLeg::bridge(self.media, &agent_media);
        self.engine.board.set_stage(self.call_id, Stage::Talking);
        let started = Instant::now();
        let result = loop {
            tokio::select! {
                ev = self.leg.event() => {
                    match ev {
                        None | Some(LegEvent::Ended(_)) => {
                            self.hung_up = true;
                            agent_leg.hangup().await;
                            break Rang::CallerGone;
                        }
                        Some(LegEvent::Reinvite { offer, reply }) => self.answer_reinvite(offer, reply).await,
                        Some(LegEvent::Refer { reply, .. }) => reply.respond(403, None).await,
                        _ => {}
                    }
                }
                ev = agent_leg.event() => {
                    match ev {
                        None | Some(LegEvent::Ended(EndReason::RemoteHangup)) | Some(LegEvent::Ended(_)) => break Rang::Talked,
                        Some(LegEvent::Reinvite { offer, reply }) => {
                            // The agent holds or resumes: answer, and stop or restart the relay.
                            let parsed = std::str::from_utf8(&offer).ok().and_then(|s| sdp::parse_offer(s).ok());
                            match parsed.as_ref().and_then(|o| sdp::negotiate(o).ok().map(|n| (o, n))) {
                                Some((o, n)) => {
                                    agent_media.renegotiate(&n);
                                    if o.on_hold() {
                                        MediaLeg::unbridge(self.media, &agent_media);
                                        let hold = self.engine.prompts.sequence(&["hold_music"; 30], self.codec());
                                        self.media.play_detached(hold);
                                    } else {
                                        MediaLeg::bridge(self.media, &agent_media);
                                    }
                                    let mut l = agent_local;
                                    l.session_version += 1;
                                    reply.respond(200, Some(sdp::build_answer(o, &n, &l).into_bytes())).await;
                                }
                                None => reply.respond(488, None).await,
                            }
                        }
                        Some(LegEvent::Refer { target, reply }) => {
                            let to = match target.strip_prefix("q.") {
                                Some(q) => TransferTarget::Queue(voltdesk_domain::acd::QueueId::new(q)),
                                None => match target.parse::<i64>() {
                                    Ok(id) => TransferTarget::Agent(AgentId(id)),
                                    Err(_) => TransferTarget::Queue(voltdesk_domain::acd::QueueId::new(target.clone())),
                                },
                            };
                            // The switchboard takes the call first: a target it refuses (no
                            // such queue, an agent who is not ready) is refused to the agent,
                            // who keeps the caller, instead of leaving the caller in a line
                            // that leads nowhere.
                            if let Err(e) = self.engine.board.transfer(self.call_id, to) {
                                debug!(error = e, target, "transfer refused");
                                reply.respond(403, None).await;
                                continue;
                            }
                            reply.respond(202, None).await;
                            MediaLeg::unbridge(self.media, &agent_media);
                            // The NOTIFY that the transfer is done, answered before the BYE.
                            agent_leg.refer_done().await;
                            agent_leg.hangup().await;
                            break Rang::Transferred;
                        }
                        _ => {}
                    }
                }
            }
        };
        MediaLeg::unbridge(self.media, &agent_media);
        // Keys pressed while talking were meant for the agent, not for the menu that follows
        // (the survey would take the first of them for the caller's mark).
        self.media.clear_keys();
        self.rec.relayed_to_agent += self
            .media
            .stats()
            .relayed
            .load(std::sync::atomic::Ordering::Relaxed);
        self.rec.relayed_to_caller += agent_media
            .stats()
            .relayed
            .load(std::sync::atomic::Ordering::Relaxed);
        debug!(
            talk_ms = started.elapsed().as_millis() as u64,
            "agent leg over"
        );
        if !matches!(result, Rang::Transferred) {
            self.engine.board.hang_up(self.call_id).ok();
            self.in_acd = false;
        }
        result
    }
}

enum Rang {
    Talked,
    CallerGone,
    Missed,
    Transferred,
}
