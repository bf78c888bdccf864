//! The engine's, the SIP door's and the switchboard's view of voltdesk's service.

use crate::board::{Board, EventSink};
use crate::engine::{CallSummary, Services};
use crate::sip::{DialTarget, Directory, Sip};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tracing::warn;
use voltdesk_domain::Millis;
use voltdesk_domain::acd::AcdEvent;
use voltdesk_domain::ivr::{CallFacts, CustomerFacts};
use voltdesk_service::Service;

pub struct ServiceBridge {
    service: Service,
    sip: OnceLock<Arc<Sip>>,
    board: OnceLock<Arc<Board>>,
    /// ACD events are written to the trace in order, by one task.
    trace_tx: tokio::sync::mpsc::UnboundedSender<(Vec<AcdEvent>, Millis)>,
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

    async fn trunk_ha1(&self, _user: &str) -> Option<String> {
        None
    }

    fn refused(&self, source: SocketAddr, caller: &str, dialled: &str, status: u16) {
        let svc = self.service.clone();
        let (caller, dialled) = (caller.to_string(), dialled.to_string());
        tokio::spawn(async move {
            if let Err(e) = svc
                .record_refused(&source.to_string(), &caller, &dialled, status)
                .await
            {
                warn!(error = %e, "refused call not traced");
            }
        });
    }

    fn registered(&self, user: &str, bound: bool) {
        tracing::info!(user, bound, "softphone registration");
    }
}

impl Services for ServiceBridge {
    async fn identify_phone(&self, phone: &str) -> Option<CustomerFacts> {
        self.service.ivr_caller_by_phone(phone).await.ok().flatten()
    }

    async fn identify_account(&self, account: &str) -> Option<CustomerFacts> {
        self.service.ivr_caller_by_account(account).await.ok().flatten()
    }

    async fn call_facts(&self) -> CallFacts {
        CallFacts {
            open_hours: true,
            ..CallFacts::default()
        }
    }

    async fn create_repair(&self, customer_id: Option<i64>, phone: &str, call_key: &str) -> Option<(i64, String)> {
        match self.service.ivr_create_repair(customer_id, phone, call_key).await {
            Ok(x) => Some(x),
            Err(e) => {
                warn!(error = %e, "repair from the phone not created");
                None
            }
        }
    }

    async fn request_callback(&self, customer_id: Option<i64>, phone: &str, queue: &str, call_key: &str) {
        if let Err(e) = self
            .service
            .request_callback_from_call(customer_id, phone, queue, call_key)
            .await
        {
            warn!(error = %e, "callback not registered");
        }
    }

    async fn agent_target(&self, agent: i64) -> Option<DialTarget> {
        let (username, static_contact) = self.service.agent_dial_info(agent).await.ok().flatten()?;
        if let Some(b) = self.sip.get().and_then(|s| s.registrar().lookup(&username)) {
            return Some(DialTarget {
                uri: b.contact,
                via: Some(b.source),
                tcp: b.tcp,
            });
        }
        static_contact.map(|uri| DialTarget {
            uri,
            via: None,
            tcp: false,
        })
    }

    async fn record_call(&self, r: CallSummary) {
        if let Err(e) = self.service.record_call_summary(to_draft(r)).await {
            warn!(error = %e, "call record not written");
        }
    }

    fn now(&self) -> Millis {
        self.service.now()
    }
}

fn to_draft(r: CallSummary) -> voltdesk_service::CallSummaryDraft {
    voltdesk_service::CallSummaryDraft {
        key: r.key,
        caller: r.caller,
        dialled: r.dialled,
        source: r.source,
        customer_id: r.customer_id,
        started_at: r.started_at,
        ivr_path: serde_json::to_string(&r.ivr_path).unwrap_or_else(|_| "[]".into()),
        queue: r.queue,
        queued_at: r.queued_at,
        offered_at: r.offered_at,
        agent: r.agent,
        answered_at: r.answered_at,
        ended_at: r.ended_at,
        outcome: r.outcome.to_string(),
        order_ids: r.order_ids,
        survey: r.survey,
        recording: r.recording,
        caller_codec: r.caller_codec,
        agent_codec: r.agent_codec,
        relayed_to_agent: r.relayed_to_agent,
        relayed_to_caller: r.relayed_to_caller,
    }
}
