//! SIP signalling: the only module that knows the SIP stack (rsipstack, pinned).
//!
//! The rest of the crate sees [`Sip`] (start, dial), [`InboundCall`] and [`Leg`] (answer,
//! reject, hang up, events): plain types with SDP as bytes, so the stack can be replaced
//! without touching the call logic. What is decided here, before a call reaches the engine:
//! - who may call: a trusted peer address, or a trunk with digest credentials; anyone else
//!   gets 403 and is reported to the [`Directory`] as refused;
//! - which numbers are ours: an INVITE to any other number gets 404;
//! - REGISTER from agent softphones, with digest against the stored HA1;
//! - OPTIONS outside a dialog is answered 200; in-dialog requests for unknown dialogs get 481.

pub mod digest;
pub mod registrar;

use registrar::Registrar;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::TransactionHandle;
use rsipstack::dialog::dialog::{Dialog, DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, SipConnection, TransportLayer};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

pub use registrar::Binding;

/// What the SIP side needs to know from the rest of the system.
pub trait Directory: Send + Sync + 'static {
    /// The stored HA1 of an agent's SIP account, if the user has one.
    fn agent_ha1(&self, user: &str) -> impl std::future::Future<Output = Option<String>> + Send;
    /// The HA1 of a trunk account allowed to send calls with credentials.
    fn trunk_ha1(&self, user: &str) -> impl std::future::Future<Output = Option<String>> + Send;
    /// A call refused at the door (403 or 404), for the trace.
    fn refused(&self, source: SocketAddr, caller: &str, dialled: &str, status: u16);
    /// A softphone registered (`true`) or unregistered.
    fn registered(&self, user: &str, bound: bool);
}

/// How the SIP side listens and whom it lets in.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// UDP and TCP on this address.
    pub listen: SocketAddr,
    /// The digest realm.
    pub realm: String,
    /// The numbers this centre answers (the Request-URI user), e.g. 95598 and 12398.
    pub service_numbers: Vec<String>,
    /// Peers allowed to call without credentials (the demo allows loopback).
    pub trusted_peers: Vec<IpAddr>,
    /// Let any loopback address call without credentials.
    pub trust_loopback: bool,
}

/// A new call that passed the door, for the engine to answer.
pub struct InboundCall {
    pub leg: Leg,
    /// The caller's number (From user), as given.
    pub caller: String,
    /// The dialled number (Request-URI user).
    pub dialled: String,
    /// The SDP offer.
    pub offer: Vec<u8>,
    pub source: SocketAddr,
}

/// Why a leg ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// The far end hung up (BYE) or cancelled before the answer.
    RemoteHangup,
    Cancelled,
    /// We hung up.
    LocalHangup,
    /// No ACK, or no answer within the transaction timers.
    Timeout,
    /// Rejected with a final status.
    Rejected(u16),
}

/// Answers an in-dialog request (re-INVITE, REFER) the engine was handed.
pub struct Responder {
    handle: TransactionHandle,
    /// REFER: fires once the stack has sent the final response (the dialog is back to
    /// Confirmed), so that what the engine sends next follows it on the wire.
    sent: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl Responder {
    fn new(handle: TransactionHandle) -> Responder {
        Responder { handle, sent: None }
    }

    /// Sends the final response. The stack sends it from its own task: for a REFER this
    /// waits (at most a second) until it has.
    pub async fn respond(self, status: u16, sdp: Option<Vec<u8>>) {
        let headers = sdp
            .as_ref()
            .map(|_| vec![Header::ContentType("application/sdp".into())]);
        self.handle
            .respond(StatusCode::from(status), headers, sdp)
            .await
            .ok();
        if let Some(sent) = self.sent {
            tokio::time::timeout(Duration::from_secs(1), sent)
                .await
                .ok();
        }
    }
}

/// What happens on a leg, in order.
pub enum LegEvent {
    /// The far end is ringing (outbound legs).
    Ringing,
    /// The dialog is confirmed (our 200 was ACKed, or the agent answered).
    Confirmed,
    /// A re-INVITE with a new offer (hold, resume); answer with an SDP.
    Reinvite {
        offer: Vec<u8>,
        reply: Responder,
    },
    /// A blind transfer request (REFER) with its Refer-To user part.
    Refer {
        target: String,
        reply: Responder,
    },
    /// A key pressed, sent as SIP INFO (application/dtmf-relay or application/dtmf).
    Dtmf(char),
    Ended(EndReason),
}

/// One side of a call: the caller's dialog (we are the server) or an agent's (we called).
pub struct Leg {
    dialog: InviteDialog,
    server: bool,
    events: mpsc::UnboundedReceiver<LegEvent>,
    layer: Arc<DialogLayer>,
}

impl Leg {
    pub fn id(&self) -> String {
        self.dialog.id().to_string()
    }

    /// Sends 180 Ringing (server legs).
    pub fn ringing(&self) {
        if self.server {
            self.dialog.ringing(None, None).ok();
        }
    }

    /// Sends 200 OK with our SDP answer (server legs).
    pub fn answer(&self, sdp: Vec<u8>) -> bool {
        self.server
            && self
                .dialog
                .accept(
                    Some(vec![Header::ContentType("application/sdp".into())]),
                    Some(sdp),
                )
                .is_ok()
    }

    /// Refuses an unanswered call with `status` (486 busy, 488 not acceptable, 503 ...).
    pub fn reject(&self, status: u16) {
        if self.server {
            self.dialog
                .reject(Some(StatusCode::from(status)), None)
                .ok();
        }
    }

    /// Ends the leg: BYE when confirmed, CANCEL or a final error otherwise.
    pub async fn hangup(&self) {
        let d = &self.dialog;
        if d.state().is_confirmed() {
            d.bye().await.ok();
        } else if self.server {
            d.reject(Some(StatusCode::TemporarilyUnavailable), None)
                .ok();
        } else {
            d.hangup().await.ok();
        }
        self.layer.remove_dialog(&d.id());
    }

    /// Tells the phone that sent a REFER that the transfer is carried out: the NOTIFY with
    /// the final status (RFC 3515 §2.4.5), ending the implicit subscription. Waits for the
    /// phone's answer for at most two seconds.
    pub async fn refer_done(&self) {
        let notify = self
            .dialog
            .notify_refer(StatusCode::OK, "terminated;reason=noresource");
        tokio::time::timeout(Duration::from_secs(2), notify)
            .await
            .ok();
    }

    /// Sends a re-INVITE with a new offer (hold or resume the far end).
    pub async fn reinvite(&self, sdp: Vec<u8>) -> Option<Vec<u8>> {
        let headers = vec![Header::ContentType("application/sdp".into())];
        let resp = self
            .dialog
            .reinvite(Some(headers), Some(sdp))
            .await
            .ok()??;
        (resp.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful)
            .then(|| resp.body().to_vec())
    }

    /// The next event, or `None` once the leg is gone.
    pub async fn event(&mut self) -> Option<LegEvent> {
        self.events.recv().await
    }
}

/// Where to send an INVITE for an agent.
#[derive(Debug, Clone)]
pub struct DialTarget {
    /// The Request-URI (the registered Contact or the static phone URI).
    pub uri: String,
    /// Where to send it, when it differs from the URI's host (a registered phone's source).
    pub via: Option<SocketAddr>,
    pub tcp: bool,
}

/// How a dial attempt ended.
pub enum DialOutcome {
    Answered {
        leg: Leg,
        answer: Vec<u8>,
    },
    /// A final error status from the phone (486 busy, 603 declined, 404 ...).
    Failed(u16),
    /// No answer before the ring timeout (we sent CANCEL).
    NoAnswer,
    /// The dial was called off (the caller hung up); CANCEL sent.
    CalledOff,
}

/// The running SIP side.
pub struct Sip {
    layer: Arc<DialogLayer>,
    registrar: Arc<Registrar>,
    config: SipConfig,
    local: SocketAddr,
    cancel: CancellationToken,
}

impl Sip {
    /// Binds UDP and TCP on `config.listen` and starts serving. Calls that pass the door arrive
    /// on the returned receiver.
    pub async fn start<D: Directory>(
        config: SipConfig,
        directory: Arc<D>,
        cancel: CancellationToken,
    ) -> std::io::Result<(Arc<Sip>, mpsc::Receiver<InboundCall>)> {
        let io = |e: rsipstack::Error| std::io::Error::other(e.to_string());
        let transport = TransportLayer::new(cancel.child_token());
        let udp = UdpConnection::create_connection(config.listen, None, Some(cancel.child_token()))
            .await
            .map_err(io)?;
        let local = udp.get_addr().get_socketaddr().map_err(io)?;
        transport.add_transport(udp.into());
        let tcp = TcpListenerConnection::new(local, None).await.map_err(io)?;
        transport.add_transport(tcp.into());
        let endpoint = EndpointBuilder::new()
            .with_user_agent("voltdesk")
            .with_cancel_token(cancel.child_token())
            .with_transport_layer(transport)
            .build();
        let incoming = endpoint.incoming_transactions().map_err(io)?;
        let layer = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let sip = Arc::new(Sip {
            layer,
            registrar: Arc::new(Registrar::default()),
            config,
            local,
            cancel: cancel.clone(),
        });
        let serve_cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = endpoint.serve() => {}
                _ = serve_cancel.cancelled() => {}
            }
        });
        let (calls_tx, calls_rx) = mpsc::channel(1024);
        let me = sip.clone();
        tokio::spawn(async move { me.accept_loop(incoming, directory, calls_tx).await });
        Ok((sip, calls_rx))
    }

    /// The address SIP listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    pub fn realm(&self) -> &str {
        &self.config.realm
    }

    async fn accept_loop<D: Directory>(
        self: Arc<Self>,
        mut incoming: rsipstack::transaction::TransactionReceiver,
        directory: Arc<D>,
        calls: mpsc::Sender<InboundCall>,
    ) {
        let nonces = Arc::new(digest::Nonces::new());
        loop {
            let tx = tokio::select! {
                tx = incoming.recv() => tx,
                _ = self.cancel.cancelled() => None,
            };
            let Some(tx) = tx else { break };
            let me = self.clone();
            let directory = directory.clone();
            let calls = calls.clone();
            let nonces = nonces.clone();
            tokio::spawn(async move {
                me.on_transaction(tx, &*directory, &calls, &nonces).await;
            });
        }
    }

    async fn on_transaction<D: Directory>(
        &self,
        mut tx: Transaction,
        directory: &D,
        calls: &mpsc::Sender<InboundCall>,
        nonces: &digest::Nonces,
    ) {
        let has_to_tag = tx
            .original
            .to_header()
            .ok()
            .and_then(|t| t.tag().ok().flatten())
            .is_some();
        if has_to_tag {
            return self.in_dialog(tx).await;
        }
        let method = tx.original.method;
        match method {
            Method::Invite => self.on_invite(tx, directory, calls, nonces).await,
            Method::Register => self.on_register(tx, directory, nonces).await,
            Method::Options => {
                let allow =
                    Header::Allow("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, UPDATE".into());
                tx.reply_with(StatusCode::OK, vec![allow], None).await.ok();
            }
            Method::Ack => {}
            Method::Cancel | Method::Bye | Method::Info | Method::Refer | Method::Update => {
                tx.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
            }
            _ => {
                tx.reply(StatusCode::NotImplemented).await.ok();
            }
        }
    }

    async fn in_dialog(&self, mut tx: Transaction) {
        match self.layer.match_dialog(&tx) {
            Some(Dialog::Invite(mut d)) => {
                if let Err(e) = d.handle(&mut tx).await {
                    debug!(error = %e, "in-dialog request");
                }
            }
            _ => {
                if tx.original.method != Method::Ack {
                    tx.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
                }
            }
        }
    }

    /// Where the request really came from: the transport writes the packet's source into
    /// the top Via (`received`, `rport`) whenever the Via's sent-by does not name it.
    /// (`SipConnection::get_destination` of a request is its Request-URI: our own address.)
    fn source(tx: &Transaction) -> Option<SocketAddr> {
        let via = tx.original.via_header().ok()?;
        let (_, host_port) = SipConnection::parse_target_from_via(via).ok()?;
        host_port.try_into().ok()
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        (self.config.trust_loopback && ip.is_loopback()) || self.config.trusted_peers.contains(&ip)
    }

    /// Checks the request's Authorization against `lookup`; `Ok(user)` when valid.
    async fn authorize<F, Fut>(
        &self,
        tx: &Transaction,
        nonces: &digest::Nonces,
        lookup: F,
    ) -> Option<String>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Option<String>>,
    {
        let value = tx.original.header_value("Authorization")?;
        let creds = digest::parse(&value)?;
        if !nonces.valid(&creds.nonce) || creds.realm != self.config.realm {
            return None;
        }
        let ha1 = lookup(creds.username.clone()).await?;
        digest::verify(&creds, &ha1, tx.original.method.to_string().as_str())
            .then_some(creds.username)
    }

    async fn challenge(&self, tx: &mut Transaction, nonces: &digest::Nonces) {
        let h =
            Header::WwwAuthenticate(digest::challenge(&self.config.realm, &nonces.issue()).into());
        tx.reply_with(StatusCode::Unauthorized, vec![h], None)
            .await
            .ok();
    }

    async fn on_register<D: Directory>(
        &self,
        mut tx: Transaction,
        directory: &D,
        nonces: &digest::Nonces,
    ) {
        let Some(source) = Self::source(&tx) else {
            tx.reply(StatusCode::BadRequest).await.ok();
            return;
        };
        let Some(user) = self
            .authorize(
                &tx,
                nonces,
                |u| async move { directory.agent_ha1(&u).await },
            )
            .await
        else {
            return self.challenge(&mut tx, nonces).await;
        };
        let to_user = tx
            .original
            .to_header()
            .ok()
            .and_then(|t| t.uri().ok())
            .and_then(|u| u.user().map(str::to_string));
        if to_user.as_deref() != Some(user.as_str()) {
            tx.reply(StatusCode::Forbidden).await.ok();
            return;
        }
        let expires_header = tx
            .original
            .header_value("Expires")
            .and_then(|v| v.trim().parse::<u32>().ok());
        let contact = tx.original.contact_header().ok().cloned();
        let Some(contact) = contact else {
            // A query for the bindings: answer with what we hold.
            let mut headers = vec![];
            if let Some(b) = self.registrar.lookup(&user) {
                headers.push(Header::Contact(format!("<{}>", b.contact).into()));
            }
            tx.reply_with(StatusCode::OK, headers, None).await.ok();
            return;
        };
        let raw = contact.value().to_string();
        let star = raw.trim() == "*";
        let param_expires = raw.split(';').find_map(|p| {
            p.trim()
                .strip_prefix("expires=")
                .and_then(|v| v.trim().parse::<u32>().ok())
        });
        let expires = if star {
            0
        } else {
            param_expires.or(expires_header).unwrap_or(3600)
        };
        let uri = contact
            .typed()
            .map(|c| c.uri.to_string())
            .unwrap_or_else(|_| raw.clone());
        let tcp = !matches!(
            tx.connection.as_ref().map(|c| c.transport()),
            Some(rsipstack::sip::Transport::Udp) | None
        );
        let granted = self
            .registrar
            .bind(&user, uri.clone(), source, tcp, expires);
        directory.registered(&user, granted > 0);
        let mut headers = vec![Header::Expires(granted.to_string().into())];
        if granted > 0 {
            headers.push(Header::Contact(format!("<{uri}>;expires={granted}").into()));
        }
        tx.reply_with(StatusCode::OK, headers, None).await.ok();
    }

    async fn on_invite<D: Directory>(
        &self,
        mut tx: Transaction,
        directory: &D,
        calls: &mpsc::Sender<InboundCall>,
        nonces: &digest::Nonces,
    ) {
        let Some(source) = Self::source(&tx) else {
            tx.reply(StatusCode::BadRequest).await.ok();
            return;
        };
        let caller = tx
            .original
            .from_header()
            .ok()
            .and_then(|f| f.uri().ok())
            .and_then(|u| u.user().map(str::to_string))
            .unwrap_or_default();
        let dialled = tx.original.uri.user().unwrap_or_default().to_string();
        if !self.trusted(source.ip()) {
            let has_auth = tx.original.header_value("Authorization").is_some();
            let ok = self
                .authorize(
                    &tx,
                    nonces,
                    |u| async move { directory.trunk_ha1(&u).await },
                )
                .await
                .is_some();
            if !ok {
                if !has_auth && self.has_trunk_accounts(directory).await {
                    return self.challenge(&mut tx, nonces).await;
                }
                directory.refused(source, &caller, &dialled, 403);
                tx.reply(StatusCode::Forbidden).await.ok();
                return;
            }
        }
        if !self.config.service_numbers.contains(&dialled) {
            directory.refused(source, &caller, &dialled, 404);
            tx.reply(StatusCode::NotFound).await.ok();
            return;
        }
        let offer = tx.original.body().to_vec();
        let (state_tx, state_rx) = self.layer.new_dialog_state_channel();
        let contact = self.contact_uri("95598");
        let dialog = match self
            .layer
            .get_or_create_server_invite(&tx, state_tx, None, contact)
        {
            Ok(d) => d,
            Err(e) => {
                warn!(error = %e, "INVITE refused: no dialog");
                tx.reply(StatusCode::BadRequest).await.ok();
                return;
            }
        };
        let server = dialog;
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        tokio::spawn(pump_states(
            state_rx,
            ev_tx,
            self.layer.clone(),
            server.id(),
        ));
        let leg = Leg {
            dialog: server.clone(),
            server: true,
            events: ev_rx,
            layer: self.layer.clone(),
        };
        let call = InboundCall {
            leg,
            caller,
            dialled,
            offer,
            source,
        };
        if calls.try_send(call).is_err() {
            tx.reply(StatusCode::ServiceUnavailable).await.ok();
            self.layer.remove_dialog(&server.id());
            return;
        }
        let mut server = server;
        if let Err(e) = server.handle(&mut tx).await {
            debug!(error = %e, "INVITE transaction");
        }
    }

    async fn has_trunk_accounts<D: Directory>(&self, directory: &D) -> bool {
        // A trunk account is looked up by the user it presents; asking for "" tells whether
        // the directory offers credentials at all.
        directory.trunk_ha1("").await.is_some()
    }

    fn contact_uri(&self, user: &str) -> Option<rsipstack::sip::Uri> {
        rsipstack::sip::Uri::try_from(format!("sip:{user}@{}", self.local).as_str()).ok()
    }

    /// Calls an agent's phone with our SDP offer, waiting up to `ring_timeout` for an answer;
    /// `called_off` cancels the attempt (the caller hung up, or the ACD withdrew the offer).
    pub async fn dial(
        &self,
        target: &DialTarget,
        from_user: &str,
        offer: Vec<u8>,
        ring_timeout: Duration,
        called_off: CancellationToken,
        mut on_ringing: impl FnMut() + Send,
    ) -> DialOutcome {
        let Ok(callee) = rsipstack::sip::Uri::try_from(target.uri.as_str()) else {
            return DialOutcome::Failed(400);
        };
        let Ok(caller) =
            rsipstack::sip::Uri::try_from(format!("sip:{from_user}@{}", self.local).as_str())
        else {
            return DialOutcome::Failed(400);
        };
        let destination = target.via.map(|a| {
            let mut s = SipAddr::from(a);
            if target.tcp {
                s.r#type = Some(rsipstack::sip::Transport::Tcp);
            }
            s
        });
        let opt = InviteOption {
            caller: caller.clone(),
            callee,
            destination,
            content_type: Some("application/sdp".into()),
            offer: Some(offer),
            contact: caller,
            ..Default::default()
        };
        let (state_tx, mut state_rx) = self.layer.new_dialog_state_channel();
        let Ok((dialog, handle)) = self.layer.do_invite_async(opt, state_tx) else {
            return DialOutcome::Failed(500);
        };
        let client = dialog;
        let deadline = tokio::time::sleep(ring_timeout);
        tokio::pin!(deadline);
        let mut handle = handle;
        let result = loop {
            tokio::select! {
                r = &mut handle => break r.ok(),
                Some(s) = state_rx.recv() => {
                    if let DialogState::Early(..) = s { on_ringing() }
                }
                _ = &mut deadline => {
                    client.cancel().await.ok();
                    self.layer.remove_dialog(&client.id());
                    return DialOutcome::NoAnswer;
                }
                _ = called_off.cancelled() => {
                    client.cancel().await.ok();
                    self.layer.remove_dialog(&client.id());
                    return DialOutcome::CalledOff;
                }
            }
        };
        let resp = match result {
            Some(Ok((_, Some(resp)))) => resp,
            Some(Ok((_, None))) | Some(Err(_)) | None => {
                self.layer.remove_dialog(&client.id());
                return DialOutcome::Failed(408);
            }
        };
        let code = u16::from(resp.status_code.clone());
        if !(200..300).contains(&code) {
            self.layer.remove_dialog(&client.id());
            return DialOutcome::Failed(code);
        }
        let answer = resp.body().to_vec();
        // The dialog's id changes once the remote tag is known: follow the confirmed one.
        let id = self
            .layer
            .get_client_dialog_by_call_id(&client.id().call_id)
            .into_iter()
            .next()
            .unwrap_or(client);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        tokio::spawn(pump_states(state_rx, ev_tx, self.layer.clone(), id.id()));
        DialOutcome::Answered {
            leg: Leg {
                dialog: id,
                server: false,
                events: ev_rx,
                layer: self.layer.clone(),
            },
            answer,
        }
    }

    /// Open dialogs held by the stack (for leak checks and the supervisor page).
    pub fn open_dialogs(&self) -> usize {
        self.layer.len()
    }
}

/// Turns the stack's dialog states into [`LegEvent`]s, answering what needs no decision.
async fn pump_states(
    mut rx: DialogStateReceiver,
    out: mpsc::UnboundedSender<LegEvent>,
    layer: Arc<DialogLayer>,
    id: DialogId,
) {
    let mut confirmed = false;
    let mut refer_answered: Option<tokio::sync::oneshot::Sender<()>> = None;
    while let Some(state) = rx.recv().await {
        let ev = match state {
            DialogState::Early(..) => Some(LegEvent::Ringing),
            DialogState::Confirmed(..) if !confirmed => {
                confirmed = true;
                Some(LegEvent::Confirmed)
            }
            DialogState::Confirmed(..) => {
                // Back to Confirmed after an in-dialog request: its response is sent.
                if let Some(done) = refer_answered.take() {
                    done.send(()).ok();
                }
                None
            }
            DialogState::Updated(_, req, handle) => {
                if req.method == Method::Invite {
                    Some(LegEvent::Reinvite {
                        offer: req.body().to_vec(),
                        reply: Responder::new(handle),
                    })
                } else {
                    // UPDATE (session refresh): accept without a new offer.
                    handle.reply(StatusCode::OK).await.ok();
                    None
                }
            }
            DialogState::Info(_, req, handle) => {
                let key = dtmf_from_info(&req);
                handle.reply(StatusCode::OK).await.ok();
                key.map(LegEvent::Dtmf)
            }
            DialogState::Options(_, _, handle) => {
                handle.reply(StatusCode::OK).await.ok();
                None
            }
            DialogState::Refer(_, req, handle) => {
                let target = req
                    .header_value("Refer-To")
                    .map(|v| refer_user(&v))
                    .unwrap_or_default();
                let (done, sent) = tokio::sync::oneshot::channel();
                refer_answered = Some(done);
                Some(LegEvent::Refer {
                    target,
                    reply: Responder {
                        handle,
                        sent: Some(sent),
                    },
                })
            }
            DialogState::Message(_, _, handle) | DialogState::Notify(_, _, handle) => {
                handle.reply(StatusCode::OK).await.ok();
                None
            }
            DialogState::Publish(_, _, handle) => {
                handle.reply(StatusCode::NotImplemented).await.ok();
                None
            }
            DialogState::Terminated(_, reason) => {
                let why = match reason {
                    TerminatedReason::UacBye | TerminatedReason::UasBye => EndReason::RemoteHangup,
                    TerminatedReason::UacCancel => EndReason::Cancelled,
                    TerminatedReason::Timeout => EndReason::Timeout,
                    TerminatedReason::UacBusy | TerminatedReason::UasBusy => {
                        EndReason::Rejected(486)
                    }
                    TerminatedReason::UasDecline => EndReason::Rejected(603),
                    TerminatedReason::ProxyError(c)
                    | TerminatedReason::UacOther(c)
                    | TerminatedReason::UasOther(c) => EndReason::Rejected(u16::from(c)),
                    TerminatedReason::ProxyAuthRequired => EndReason::Rejected(407),
                };
                out.send(LegEvent::Ended(why)).ok();
                layer.remove_dialog(&id);
                break;
            }
            _ => None,
        };
        if let Some(ev) = ev
            && out.send(ev).is_err()
        {
            break;
        }
    }
}

/// The key of an INFO carrying `application/dtmf-relay` ("Signal=5") or `application/dtmf`.
fn dtmf_from_info(req: &rsipstack::sip::Request) -> Option<char> {
    let body = std::str::from_utf8(req.body()).ok()?;
    let value = body
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then_some(v.trim())
        })
        .or_else(|| Some(body.trim()))?;
    let c = value.chars().next()?;
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

/// The user part of a Refer-To value such as `<sip:1002@host>`.
fn refer_user(v: &str) -> String {
    let v = v.trim().trim_start_matches('<');
    let v = v.split('>').next().unwrap_or(v);
    let v = v
        .strip_prefix("sip:")
        .or_else(|| v.strip_prefix("sips:"))
        .unwrap_or(v);
    v.split(['@', ';']).next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refer_to_user() {
        assert_eq!(refer_user("<sip:agent2@127.0.0.1:5060>"), "agent2");
        assert_eq!(refer_user("sip:q.business@x;transport=tcp"), "q.business");
        assert_eq!(refer_user(""), "");
    }
}
