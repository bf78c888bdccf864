//! The engine's, the SIP door's and the switchboard's view of voltdesk's service.

use crate::board::{Board, EventSink};
use crate::engine::{CallSummary, Services};
use crate::sip::{DialTarget, Directory, Sip};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use tracing::warn;
use voltdesk_domain::Millis;
use voltdesk_domain::acd::{AcdEvent, AgentId, AgentState};
use voltdesk_domain::call::{CallLeg, CallRecordDraft, IvrStep, LegRole};
use voltdesk_domain::ivr::{CallFacts, CustomerFacts, PathStep};
use voltdesk_domain::{CallOutcome, NotReadyReason};
use voltdesk_service::{
    AgentWant, LiveAgent, LiveBoard, LiveCall, LiveQueue, Service, Switchboard,
};

pub struct ServiceBridge {
    service: Service,
    sip: OnceLock<Arc<Sip>>,
    board: OnceLock<Arc<Board>>,
    /// ACD events are written to the trace in order, by one task.
    trace_tx: tokio::sync::mpsc::UnboundedSender<(Vec<AcdEvent>, Millis)>,
    /// Usernames by user id, for the registrar (filled as phones register and agents ask).
    names: Arc<Mutex<HashMap<i64, String>>>,
    /// Agents with a desk phone set (a static contact), refreshed every minute.
    desk_phones: Mutex<HashSet<i64>>,
    /// Trunk accounts: user → HA1.
    trunks: HashMap<String, String>,
}

impl ServiceBridge {
    pub fn new(service: Service) -> ServiceBridge {
        let (trace_tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Vec<AcdEvent>, Millis)>();
        let svc = service.clone();
        tokio::spawn(async move {
            while let Some((mut events, at)) = rx.recv().await {
                // Whatever else is waiting goes in the same transaction.
                while let Ok((more, _)) = rx.try_recv() {
                    events.extend(more);
                    if events.len() > 500 {
                        break;
                    }
                }
                if let Err(e) = svc.record_acd_events(&events, at).await {
                    warn!(error = %e, "ACD events not traced");
                }
            }
        });
        ServiceBridge {
            service,
            sip: OnceLock::new(),
            board: OnceLock::new(),
            trace_tx,
            names: Arc::new(Mutex::new(HashMap::new())),
            desk_phones: Mutex::new(HashSet::new()),
            trunks: HashMap::new(),
        }
    }

    /// Lets these trunk accounts (user, HA1) call with digest credentials.
    pub fn with_trunks(mut self, trunks: &[(String, String)]) -> ServiceBridge {
        self.trunks = trunks.iter().cloned().collect();
        self
    }

    /// Learns the users' names and desk phones now and every minute after.
    pub async fn refresh_directory(self: Arc<Self>) {
        loop {
            if let Ok(users) = self.service.store().users().await {
                let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
                for u in users {
                    names.insert(u.id, u.username);
                }
            }
            if let Ok(phones) = self.service.agent_phones().await {
                let set: HashSet<i64> = phones
                    .into_iter()
                    .filter(|p| p.static_contact.is_some())
                    .map(|p| p.user_id)
                    .collect();
                *self.desk_phones.lock().unwrap_or_else(|e| e.into_inner()) = set;
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }

    fn username(&self, user_id: i64) -> Option<String> {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user_id)
            .cloned()
    }

    fn has_phone(&self, user_id: i64) -> bool {
        let registered = self
            .username(user_id)
            .zip(self.sip.get())
            .is_some_and(|(u, sip)| sip.registrar().registered(&u));
        registered
            || self
                .desk_phones
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&user_id)
    }

    fn live_agent(&self, user_id: i64, state: Option<AgentState>) -> LiveAgent {
        use voltdesk_domain::AgentState as Code;
        let registered = self.has_phone(user_id);
        let (code, reason, since) = match state {
            None | Some(AgentState::LoggedOut) => (Code::LoggedOut, None, 0),
            Some(AgentState::Ready { since }) => (Code::Ready, None, since),
            Some(AgentState::NotReady { reason, since }) => (Code::NotReady, Some(reason), since),
            Some(AgentState::Offered { since, .. }) => (Code::Offered, None, since),
            Some(AgentState::Talking { since, .. }) => (Code::Talking, None, since),
            Some(AgentState::WrapUp { until, .. }) => (Code::WrapUp, None, until),
        };
        LiveAgent {
            user_id,
            state: code.code(),
            reason,
            since,
            registered,
        }
    }

    pub fn attach(&self, sip: Arc<Sip>, board: Arc<Board>) {
        self.sip.set(sip).ok();
        self.board.set(board).ok();
    }

    pub fn sip(&self) -> Option<&Arc<Sip>> {
        self.sip.get()
    }

    pub fn board(&self) -> Option<&Arc<Board>> {
        self.board.get()
    }

    pub fn service(&self) -> &Service {
        &self.service
    }
}

impl EventSink for ServiceBridge {
    fn acd_events(&self, events: Vec<AcdEvent>, now: Millis) {
        self.trace_tx.send((events, now)).ok();
    }
}

impl Directory for ServiceBridge {
    async fn agent_ha1(&self, user: &str) -> Option<String> {
        self.service.agent_sip_ha1(user).await.ok().flatten()
    }

    async fn trunk_ha1(&self, user: &str) -> Option<String> {
        // "" asks whether there are trunk accounts at all (the door then challenges).
        if user.is_empty() {
            return (!self.trunks.is_empty()).then(String::new);
        }
        self.trunks.get(user).cloned()
    }

    fn refused(&self, source: SocketAddr, caller: &str, dialled: &str, status: u16) {
        let svc = self.service.clone();
        let (caller, dialled) = (caller.to_string(), dialled.to_string());
        tokio::spawn(async move {
            if let Err(e) = svc
                .record_refused(&source.to_string(), &caller, &dialled, status, svc.now())
                .await
            {
                warn!(error = %e, "refused call not traced");
            }
        });
    }

    fn registered(&self, user: &str, bound: bool) {
        tracing::info!(user, bound, "softphone registration");
        let known = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .any(|n| n == user);
        if bound && !known {
            // An agent added since the last directory refresh: learn their id now, or they
            // could not be set ready (no phone, as far as we knew) for up to a minute.
            let (svc, names, user) = (self.service.clone(), self.names.clone(), user.to_string());
            tokio::spawn(async move {
                if let Ok(Some(u)) = svc.store().user_by_name(&user).await {
                    names
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(u.id, u.username);
                }
            });
        }
    }
}

impl Services for ServiceBridge {
    async fn identify_phone(&self, phone: &str) -> Option<CustomerFacts> {
        self.service.ivr_caller_by_phone(phone).await.ok().flatten()
    }

    async fn identify_account(&self, account: &str) -> Option<CustomerFacts> {
        self.service
            .ivr_caller_by_account(account)
            .await
            .ok()
            .flatten()
    }

    async fn call_facts(&self) -> CallFacts {
        CallFacts {
            open_hours: true,
            ..CallFacts::default()
        }
    }

    async fn create_repair(
        &self,
        customer_id: Option<i64>,
        phone: &str,
        call_key: &str,
    ) -> Option<(i64, String)> {
        match self
            .service
            .ivr_create_repair(customer_id, phone, call_key)
            .await
        {
            Ok(x) => Some(x),
            Err(e) => {
                warn!(error = %e, "repair from the phone not created");
                None
            }
        }
    }

    async fn agent_target(&self, agent: i64) -> Option<DialTarget> {
        let username = match self.username(agent) {
            Some(u) => u,
            None => {
                let u = self
                    .service
                    .store()
                    .user(agent)
                    .await
                    .ok()
                    .flatten()?
                    .username;
                self.names
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(agent, u.clone());
                u
            }
        };
        if let Some(b) = self.sip.get().and_then(|s| s.registrar().lookup(&username)) {
            return Some(DialTarget {
                uri: b.contact,
                via: Some(b.source),
                tcp: b.tcp,
            });
        }
        let phone = self.service.agent_phone(agent).await.ok()?;
        phone.static_contact.map(|uri| DialTarget {
            uri,
            via: None,
            tcp: false,
        })
    }

    async fn record_call(&self, r: CallSummary) {
        if let Err(e) = self.service.record_call(to_draft(r)).await {
            warn!(error = %e, "call record not written");
        }
    }

    fn now(&self) -> Millis {
        self.service.now()
    }
}

fn to_draft(r: CallSummary) -> CallRecordDraft {
    let ivr_path = r
        .ivr_path
        .iter()
        .map(|p| IvrStep {
            node: p.node().to_string(),
            digits: match p {
                PathStep::Keyed { digits, .. } if !digits.is_empty() => Some(digits.clone()),
                _ => None,
            },
            at: step_at(p),
        })
        .collect();
    let outcome = CallOutcome::parse(r.outcome).unwrap_or(CallOutcome::Failed);
    let mut legs = vec![CallLeg {
        role: LegRole::Caller,
        peer: r.source.clone(),
        codec: format!("{}/8000", r.caller_codec),
        started_at: r.started_at,
        ended_at: r.ended_at,
    }];
    if let (Some(codec), Some(at)) = (&r.agent_codec, r.agent_leg_started) {
        legs.push(CallLeg {
            role: LegRole::Agent,
            peer: r.agent.map(|a| format!("agent {a}")).unwrap_or_default(),
            codec: format!("{codec}/8000"),
            started_at: at,
            ended_at: r.ended_at,
        });
    }
    CallRecordDraft {
        call_key: r.key,
        caller: r.caller,
        dialled: r.dialled,
        source: r.source,
        customer_id: r.customer_id,
        station_id: None,
        started_at: r.started_at,
        ivr_path,
        queue: r.queue,
        queued_at: r.queued_at,
        offered_at: r.offered_at,
        agent_user_id: r.agent,
        answered_at: r.answered_at,
        ended_at: r.ended_at,
        wrap_up_ms: None,
        outcome,
        order_ids: r.order_ids,
        survey: r.survey,
        recording: r.recording,
        legs,
    }
}

fn step_at(p: &PathStep) -> Millis {
    match p {
        PathStep::Entered { at, .. }
        | PathStep::Keyed { at, .. }
        | PathStep::TimedOut { at, .. }
        | PathStep::AgentAnswered { at, .. }
        | PathStep::HungUp { at, .. }
        | PathStep::Error { at, .. } => *at,
    }
}

impl Switchboard for ServiceBridge {
    fn live(&self) -> LiveBoard {
        let Some(board) = self.board.get() else {
            return LiveBoard {
                sip_on: false,
                calls: vec![],
                queues: vec![],
                agents: vec![],
            };
        };
        let snap = board.snapshot();
        let calls = board
            .live_calls()
            .into_iter()
            .map(|c| LiveCall {
                call_key: c.key,
                caller_masked: mask(&c.caller),
                customer_id: c.customer_id,
                stage: c.stage.code(),
                queue: c.queue,
                agent_user_id: c.agent,
                since: c.since,
            })
            .collect();
        let queues = snap
            .queues
            .iter()
            .map(|q| LiveQueue {
                id: q.id.as_str().to_string(),
                name: q.name.clone(),
                waiting: q.waiting,
                longest_wait_ms: q.longest_wait_ms,
                ready: q.agents_ready,
                busy: (q.agents_logged_in as usize).saturating_sub(q.agents_ready),
            })
            .collect();
        let agents = snap
            .agents
            .iter()
            .map(|a| self.live_agent(a.agent.0, Some(a.state.clone())))
            .collect();
        LiveBoard {
            sip_on: true,
            calls,
            queues,
            agents,
        }
    }

    fn agent(&self, user_id: i64) -> Option<LiveAgent> {
        let board = self.board.get()?;
        Some(self.live_agent(user_id, board.agent_state(AgentId(user_id))))
    }

    fn set_agent_state(
        &self,
        user_id: i64,
        want: AgentWant,
        _now: Millis,
    ) -> Result<LiveAgent, String> {
        let board = self.board.get().ok_or_else(|| "sip_off".to_string())?;
        let agent = AgentId(user_id);
        let name = self.username(user_id).unwrap_or_default();
        let busy = matches!(
            board.agent_state(agent),
            Some(AgentState::Offered { .. } | AgentState::Talking { .. })
        );
        match want {
            AgentWant::Ready => {
                if !self.has_phone(user_id) {
                    return Err("not_registered".into());
                }
                board.ready(agent, &name)?;
            }
            AgentWant::NotReady(reason) => {
                let reason = NotReadyReason::parse(&reason)
                    .map(|r| r.code())
                    .unwrap_or("other");
                board.not_ready(agent, &name, reason)?;
            }
            AgentWant::LogOut => {
                if busy {
                    return Err("on_call".into());
                }
                board.logout(agent)?;
            }
        }
        Ok(self.live_agent(user_id, board.agent_state(agent)))
    }
}

/// `13812345678` → `138****5678`; short numbers are shown as they are.
fn mask(n: &str) -> String {
    let c: Vec<char> = n.chars().collect();
    if c.len() < 7 {
        return n.to_string();
    }
    let (head, tail) = (&c[..3], &c[c.len() - 4..]);
    format!(
        "{}****{}",
        head.iter().collect::<String>(),
        tail.iter().collect::<String>()
    )
}
