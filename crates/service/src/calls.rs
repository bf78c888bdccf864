//! The contact centre's records and configuration: agents' SIP accounts (the secret kept
//! as HA1, never the password) and desk phones, each call as the telephony side hands it
//! over when it ends (checked by `domain::call`, stored once per key with its trace events
//! in one transaction), calls refused at the door, callbacks promised to callers, and the
//! agent's own state through the switchboard (`switchboard.rs`).
//!
//! Call records carry the caller's number; every view masks it, as it masks an order's
//! contact phone. A role that watches the centre (`call.monitor`) reads every record, an
//! agent only the calls they took.

use crate::delivery::require;
use crate::*;
use md5::{Digest, Md5};
use voltdesk_domain::auth::{Permission, allows, takes_calls};
use voltdesk_domain::call::{
    CallFault, CallLeg, CallRecordDraft, IvrStep, SipUri, StateRefusal, sip_password,
};
use voltdesk_domain::trace::{self, TraceEvent, TraceKind};
use voltdesk_domain::{CallOutcome, CallbackStatus, NotReadyReason, mask_phone};
use voltdesk_store::{CallFilter, CallRow, CallbackRow, NewCallback, NewTrace};

/// The digest realm of agents' SIP accounts: part of every stored HA1, so changing it makes
/// every agent set a new SIP password.
pub const REALM: &str = "voltdesk";

/// The longest note on a callback, in characters.
pub const CALLBACK_NOTE_MAX: usize = 500;

/// HA1 = MD5(username:realm:password) in lowercase hex (RFC 2617 §3.2.2.2): what a SIP
/// registrar needs to check a digest, and all that is stored of the password.
pub fn sip_ha1(username: &str, password: &str) -> String {
    hex::encode(Md5::digest(
        format!("{username}:{REALM}:{password}").as_bytes(),
    ))
}

/// Masks every run of seven or more digits (a phone number inside a SIP address).
fn mask_numbers_in(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str(&mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A call record as the API and the pages show it: the caller's number masked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallView {
    pub id: i64,
    pub call_key: String,
    /// The caller's number, masked (`138****5678`).
    pub caller: String,
    pub dialled: String,
    /// The trunk's or phone's address the call came from.
    pub source: String,
    pub customer_id: Option<i64>,
    pub station_id: Option<i64>,
    pub started_at: Millis,
    pub ivr_path: Vec<IvrStep>,
    pub queue: Option<String>,
    pub queued_at: Option<Millis>,
    pub offered_at: Option<Millis>,
    pub agent_user_id: Option<i64>,
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    /// Queued to answered, or to the end; absent: never queued.
    pub wait_ms: Option<i64>,
    /// Answered to the end; absent: never answered.
    pub talk_ms: Option<i64>,
    pub wrap_up_ms: Option<i64>,
    pub outcome: CallOutcome,
    /// The work orders taken during the call.
    pub order_ids: Vec<i64>,
    /// The caller's survey answer, 1 (satisfied) to 3.
    pub survey: Option<i64>,
    /// The recording's file name.
    pub recording: Option<String>,
    /// The call's media legs; phone numbers in a peer's address are masked.
    pub legs: Vec<CallLeg>,
}

impl From<CallRow> for CallView {
    fn from(r: CallRow) -> Self {
        CallView {
            id: r.id,
            call_key: r.call_key,
            caller: mask_phone(&r.caller),
            dialled: r.dialled,
            source: r.source,
            customer_id: r.customer_id,
            station_id: r.station_id,
            started_at: r.started_at,
            ivr_path: r.ivr_path,
            queue: r.queue,
            queued_at: r.queued_at,
            offered_at: r.offered_at,
            agent_user_id: r.agent_user_id,
            answered_at: r.answered_at,
            ended_at: r.ended_at,
            wait_ms: r.wait_ms,
            talk_ms: r.talk_ms,
            wrap_up_ms: r.wrap_up_ms,
            outcome: r.outcome,
            order_ids: r.order_ids,
            survey: r.survey,
            recording: r.recording,
            legs: r
                .legs
                .into_iter()
                .map(|l| CallLeg {
                    peer: mask_numbers_in(&l.peer),
                    ..l
                })
                .collect(),
        }
    }
}

/// A callback promised to a caller: the number masked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub id: i64,
    pub call_id: i64,
    pub customer_id: Option<i64>,
    /// The number to call back, masked.
    pub phone: String,
    pub queue: String,
    pub requested_at: Millis,
    pub due_at: Millis,
    pub status: CallbackStatus,
    pub done_at: Option<Millis>,
    pub done_by: Option<i64>,
    pub note: Option<String>,
}

impl From<CallbackRow> for CallbackView {
    fn from(r: CallbackRow) -> Self {
        CallbackView {
            id: r.id,
            call_id: r.call_id,
            customer_id: r.customer_id,
            phone: mask_phone(&r.phone),
            queue: r.queue,
            requested_at: r.requested_at,
            due_at: r.due_at,
            status: r.status,
            done_at: r.done_at,
            done_by: r.done_by,
            note: r.note,
        }
    }
}

/// An agent's phone: the desk phone set for them and whether they have a SIP account (the
/// secret itself never leaves the store).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AgentPhoneView {
    pub user_id: i64,
    /// The desk phone dialled when no softphone is registered.
    pub static_contact: Option<String>,
    /// Whether a SIP password is set.
    pub sip_account: bool,
    /// When either last changed; absent: never set.
    pub updated_at: Option<Millis>,
}

/// A callback an agent promises on a recorded call.
#[derive(Debug, Clone)]
pub struct NewCallbackRequest {
    pub call_id: i64,
    pub due_at: Millis,
    pub note: Option<String>,
}

impl From<CallFault> for ServiceError {
    fn from(f: CallFault) -> Self {
        ServiceError::invalid(f.field, f.message)
    }
}

/// Wire text kept for the trace: control characters dropped, at most 64 characters.
fn clip(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// A note as typed: at most [`CALLBACK_NOTE_MAX`] characters, line breaks allowed, no other
/// control characters.
fn callback_note(s: &str) -> Result<Option<String>> {
    let t = s.trim();
    if t.chars().count() > CALLBACK_NOTE_MAX
        || t.chars().any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(ServiceError::invalid(
            "note",
            "at most 500 characters, without control characters",
        ));
    }
    Ok((!t.is_empty()).then(|| t.to_string()))
}

fn system_trace(
    at: Millis,
    customer_id: Option<i64>,
    station_id: Option<i64>,
    event: TraceEvent,
) -> NewTrace {
    NewTrace {
        at,
        station_id,
        customer_id,
        order_id: None,
        channel: None,
        actor_id: None,
        actor: Actor::system().name,
        event,
    }
}

impl Service {
    // ---- agents' SIP accounts and desk phones ----

    /// Sets a SIP password for an agent: an administrator for anyone who takes calls, an
    /// agent for themselves. Stores only HA1 over [`REALM`]; traced without the secret.
    pub async fn set_sip_password(&self, by: &Actor, user_id: i64, password: &str) -> Result<()> {
        let own = by.user_id == Some(user_id) && takes_calls(by.role);
        if !own && !allows(by.role, Permission::AgentPhoneWrite) {
            return Err(ServiceError::Forbidden(format!(
                "{} may set only their own SIP password",
                by.role
            )));
        }
        let u = self
            .store
            .user(user_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        if !takes_calls(u.role) {
            return Err(ServiceError::invalid(
                "user_id",
                "only a user whose role takes calls has a SIP account",
            ));
        }
        let password =
            sip_password(password).map_err(|e| ServiceError::invalid("password", e.to_string()))?;
        let ha1 = sip_ha1(&u.username, password);
        let mut tx = self.store.begin().await?;
        self.store
            .set_agent_sip_ha1(&mut tx, user_id, &ha1, self.now())
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::AgentSipPasswordSet(trace::UserRef { user_id }),
        )
        .await?;
        commit(tx).await
    }

    /// The HA1 a SIP registrar checks an agent's REGISTER against: only for an active user
    /// whose role takes calls and who has a SIP password.
    pub async fn agent_sip_ha1(&self, username: &str) -> Result<Option<String>> {
        let Some(u) = self.store.user_by_name(username).await? else {
            return Ok(None);
        };
        if !u.active || !takes_calls(u.role) {
            return Ok(None);
        }
        Ok(self.store.agent_phone(u.id).await?.and_then(|p| p.sip_ha1))
    }

    /// Sets (or, with `None`, clears) the desk phone dialled for an agent who has no
    /// registered softphone. Administrators only; traced.
    pub async fn set_agent_phone(
        &self,
        by: &Actor,
        user_id: i64,
        uri: Option<SipUri>,
    ) -> Result<AgentPhoneView> {
        require(by, Permission::AgentPhoneWrite)?;
        let u = self
            .store
            .user(user_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        if !takes_calls(u.role) {
            return Err(ServiceError::invalid(
                "user_id",
                "only a user whose role takes calls has a phone",
            ));
        }
        let contact = uri.as_ref().map(SipUri::as_str);
        let mut tx = self.store.begin().await?;
        self.store
            .set_agent_contact(&mut tx, user_id, contact, self.now())
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::AgentPhoneSet(trace::AgentPhoneSet {
                user_id,
                contact: contact.map(str::to_string),
            }),
        )
        .await?;
        commit(tx).await?;
        self.agent_phone(user_id).await
    }

    /// An agent's phone (none set: no desk phone, no SIP account).
    pub async fn agent_phone(&self, user_id: i64) -> Result<AgentPhoneView> {
        let p = self.store.agent_phone(user_id).await?;
        Ok(AgentPhoneView {
            user_id,
            static_contact: p.as_ref().and_then(|p| p.static_contact.clone()),
            sip_account: p.as_ref().is_some_and(|p| p.sip_ha1.is_some()),
            updated_at: p.map(|p| p.updated_at),
        })
    }

    /// Every agent's phone that was ever set, by user id (the switchboard loads the desk
    /// phones from here).
    pub async fn agent_phones(&self) -> Result<Vec<AgentPhoneView>> {
        Ok(self
            .store
            .agent_phones()
            .await?
            .into_iter()
            .map(|p| AgentPhoneView {
                user_id: p.user_id,
                sip_account: p.sip_ha1.is_some(),
                static_contact: p.static_contact,
                updated_at: Some(p.updated_at),
            })
            .collect())
    }

    // ---- the agent's own state ----

    /// The agent's state as the switchboard reports it (logged out when it does not know
    /// them).
    pub fn agent_state(&self, by: &Actor) -> Result<LiveAgent> {
        require(by, Permission::CallTake)?;
        let user = by
            .user_id
            .ok_or_else(|| ServiceError::Forbidden("a state belongs to a user".into()))?;
        Ok(self
            .switchboard()
            .agent(user)
            .unwrap_or_else(|| LiveAgent::logged_out(user)))
    }

    /// Asks the switchboard to make the agent ready, not ready (with a reason) or logged out.
    pub fn set_agent_state(&self, by: &Actor, want: AgentWant) -> Result<LiveAgent> {
        require(by, Permission::CallTake)?;
        let user = by
            .user_id
            .ok_or_else(|| ServiceError::Forbidden("a state belongs to a user".into()))?;
        if let AgentWant::NotReady(reason) = &want {
            NotReadyReason::parse(reason)
                .map_err(|e| ServiceError::invalid("reason", e.to_string()))?;
        }
        self.switchboard()
            .set_agent_state(user, want, self.now())
            .map_err(|code| ServiceError::AgentState(StateRefusal::from_switchboard(&code)))
    }

    /// The contact centre now, for those who watch it.
    pub fn live_board(&self, by: &Actor) -> Result<LiveBoard> {
        require(by, Permission::CallMonitor)?;
        Ok(self.switchboard().live())
    }

    /// Writes an agent's state change the switchboard made (`agent.state`), in the agent's
    /// name.
    pub async fn record_agent_state(&self, e: trace::AgentStateChanged, at: Millis) -> Result<()> {
        let u = self
            .store
            .user(e.user_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        let mut tx = self.store.begin().await?;
        self.store
            .insert_traces(
                &mut tx,
                &[NewTrace {
                    at,
                    station_id: u.station_id,
                    customer_id: None,
                    order_id: None,
                    channel: None,
                    actor_id: Some(u.id),
                    actor: u.username,
                    event: TraceEvent::AgentStateChanged(e),
                }],
            )
            .await?;
        commit(tx).await
    }

    // ---- call records ----

    /// Stores a call the telephony side hands over when it ends: checked, then the record,
    /// its `call.ended` trace event (a `call.refused` one for a refused call) and, for a
    /// caller who chose to be called back, the callback due at once with its
    /// `callback.requested` event, in one transaction. Handed over again (the same
    /// `call_key`), it is the stored record's id and nothing is written. The station is the
    /// record's, else the customer's.
    pub async fn record_call(&self, d: CallRecordDraft) -> Result<i64> {
        d.check()?;
        let customer = match d.customer_id {
            Some(id) => Some(
                self.store
                    .customer(id)
                    .await?
                    .ok_or_else(|| ServiceError::invalid("customer_id", "no such customer"))?,
            ),
            None => None,
        };
        if let Some(s) = d.station_id
            && !self
                .org
                .read()
                .expect("org cache lock")
                .stations
                .contains_key(&s)
        {
            return Err(ServiceError::invalid("station_id", "no such station"));
        }
        if let Some(a) = d.agent_user_id
            && self.store.user(a).await?.is_none()
        {
            return Err(ServiceError::invalid("agent_user_id", "no such user"));
        }
        for id in &d.order_ids {
            if self.store.order(*id).await?.is_none() {
                return Err(ServiceError::invalid("order_ids", "no such work order"));
            }
        }
        let station_id = d.station_id.or(customer.as_ref().map(|c| c.station_id));
        let mut tx = self.store.begin().await?;
        let (id, new) = self.store.insert_call(&mut tx, &d, station_id).await?;
        if !new {
            return Ok(id);
        }
        let at = d.ended_at;
        let event = |e| system_trace(at, d.customer_id, station_id, e);
        let mut traces = vec![event(TraceEvent::CallEnded(trace::CallEnded {
            call_id: id,
            call_key: d.call_key.clone(),
            outcome: d.outcome,
            queue: d.queue.clone(),
            agent_user_id: d.agent_user_id,
            wait_ms: d.wait_ms(),
            talk_ms: d.talk_ms(),
            order_ids: d.order_ids.clone(),
        }))];
        match (d.outcome, &d.queue) {
            (CallOutcome::Refused, _) => {
                traces.push(event(TraceEvent::CallRefused(trace::CallRefused {
                    source: d.source.clone(),
                    caller: d.caller.clone(),
                    dialled: d.dialled.clone(),
                    status: None,
                })))
            }
            (CallOutcome::Callback, Some(queue)) => {
                let callback_id = self
                    .store
                    .insert_callback(
                        &mut tx,
                        &NewCallback {
                            call_id: id,
                            customer_id: d.customer_id,
                            phone: &d.caller,
                            queue,
                            requested_at: at,
                            due_at: at,
                            note: None,
                        },
                    )
                    .await?;
                traces.push(event(TraceEvent::CallbackRequested(
                    trace::CallbackRequested {
                        callback_id,
                        call_id: id,
                        queue: queue.clone(),
                        due_at: at,
                    },
                )));
            }
            _ => {}
        }
        self.store.insert_traces(&mut tx, &traces).await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::CallEnded,
            order_id: None,
            customer_id: d.customer_id,
            station_id,
            at,
        });
        Ok(id)
    }

    /// Writes a call refused at the door (an unknown peer, a number that is not ours) as a
    /// `call.refused` trace event with the SIP status sent; no call record.
    pub async fn record_refused(
        &self,
        source: &str,
        caller: &str,
        dialled: &str,
        status: u16,
        at: Millis,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.store
            .insert_traces(
                &mut tx,
                &[system_trace(
                    at,
                    None,
                    None,
                    TraceEvent::CallRefused(trace::CallRefused {
                        source: clip(source),
                        caller: clip(caller),
                        dialled: clip(dialled),
                        status: Some(status),
                    }),
                )],
            )
            .await?;
        commit(tx).await
    }

    /// The calls a filter holds, newest first, and how many (up to the filter's cap, plus
    /// one). Whoever does not watch the centre sees only the calls they took.
    pub async fn calls(&self, by: &Principal, f: &CallFilter) -> Result<(Vec<CallView>, i64)> {
        let mut f = f.clone();
        if !by.may(Permission::CallMonitor) {
            f.agent_user_id = Some(own_calls(by)?);
        }
        let (rows, total) = self.store.calls(&f).await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    /// One call; another agent's call is not found for an agent.
    pub async fn call(&self, by: &Principal, id: i64) -> Result<CallView> {
        let c = self
            .store
            .call(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "call" })?;
        if !by.may(Permission::CallMonitor) && c.agent_user_id != Some(own_calls(by)?) {
            return Err(ServiceError::NotFound { what: "call" });
        }
        Ok(c.into())
    }

    /// A customer's latest calls (as [`Service::calls`] lets the reader see them).
    pub async fn customer_calls(
        &self,
        by: &Principal,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<CallView>> {
        if by.may(Permission::CallMonitor) {
            return Ok(self
                .store
                .customer_calls(customer_id, limit)
                .await?
                .into_iter()
                .map(Into::into)
                .collect());
        }
        let f = CallFilter {
            customer_id: Some(customer_id),
            limit,
            count_cap: Some(0),
            ..CallFilter::default()
        };
        Ok(self.calls(by, &f).await?.0)
    }

    /// The queue names calls were recorded in (the list's filter offers them).
    pub async fn call_queues(&self) -> Result<Vec<String>> {
        Ok(self.store.call_queues().await?)
    }

    // ---- callbacks ----

    /// Promises a callback on a recorded call, to its caller, by its queue's agents.
    pub async fn request_callback(
        &self,
        by: &Actor,
        r: NewCallbackRequest,
    ) -> Result<CallbackView> {
        require(by, Permission::CallbackWork)?;
        let note = callback_note(r.note.as_deref().unwrap_or(""))?;
        let c = self
            .store
            .call(r.call_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "call" })?;
        let Some(queue) = c.queue.clone() else {
            return Err(ServiceError::invalid(
                "call_id",
                "a callback is made by a queue's agents: this call reached none",
            ));
        };
        let now = self.now();
        if r.due_at < c.started_at || r.due_at > now + 30 * voltdesk_domain::DAY_MS {
            return Err(ServiceError::invalid(
                "due_at",
                "after the call, within 30 days",
            ));
        }
        let mut tx = self.store.begin().await?;
        let id = self
            .store
            .insert_callback(
                &mut tx,
                &NewCallback {
                    call_id: c.id,
                    customer_id: c.customer_id,
                    phone: &c.caller,
                    queue: &queue,
                    requested_at: now,
                    due_at: r.due_at,
                    note: note.as_deref(),
                },
            )
            .await?;
        self.store
            .insert_traces(
                &mut tx,
                &[NewTrace {
                    at: now,
                    station_id: c.station_id,
                    customer_id: c.customer_id,
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    event: TraceEvent::CallbackRequested(trace::CallbackRequested {
                        callback_id: id,
                        call_id: c.id,
                        queue,
                        due_at: r.due_at,
                    }),
                }],
            )
            .await?;
        commit(tx).await?;
        self.callback(id).await
    }

    pub async fn callback(&self, id: i64) -> Result<CallbackView> {
        self.store
            .callback(id)
            .await?
            .map(Into::into)
            .ok_or(ServiceError::NotFound { what: "callback" })
    }

    /// The open callbacks, the earliest due first; or all of them, the latest first (at most
    /// 500).
    pub async fn callbacks(&self, open_only: bool) -> Result<Vec<CallbackView>> {
        Ok(self
            .store
            .callbacks(open_only, 500)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Marks an open callback done, with what was said; traced on the customer's history.
    /// A callback already done or cancelled is `callback_not_open`.
    pub async fn complete_callback(&self, by: &Actor, id: i64, note: &str) -> Result<CallbackView> {
        require(by, Permission::CallbackWork)?;
        let note = callback_note(note)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let c = self
            .store
            .callback_for_update(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound { what: "callback" })?;
        if c.status != CallbackStatus::Open {
            return Err(ServiceError::CallbackClosed);
        }
        self.store
            .close_callback(
                &mut tx,
                id,
                CallbackStatus::Done,
                by.user_id,
                now,
                note.as_deref(),
            )
            .await?;
        self.store
            .insert_traces(
                &mut tx,
                &[NewTrace {
                    at: now,
                    station_id: by.station_id,
                    customer_id: c.customer_id,
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    event: TraceEvent::CallbackDone(trace::CallbackDone {
                        callback_id: id,
                        call_id: c.call_id,
                        note: note.unwrap_or_default(),
                    }),
                }],
            )
            .await?;
        commit(tx).await?;
        self.callback(id).await
    }
}

/// The user whose calls a reader who does not watch the centre may see: their own.
fn own_calls(by: &Principal) -> Result<i64> {
    by.actor
        .user_id
        .ok_or_else(|| ServiceError::Forbidden("call records belong to a user".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_addresses_are_masked() {
        assert_eq!(
            mask_numbers_in("sip:13812345678@10.0.0.1:5060"),
            "sip:138****5678@10.0.0.1:5060"
        );
        assert_eq!(mask_numbers_in("sip:8001@10.0.0.21"), "sip:8001@10.0.0.21");
    }

    #[test]
    fn ha1_is_md5_of_user_realm_password() {
        // RFC 2617's example, over our realm's formula.
        assert_eq!(
            hex::encode(Md5::digest(b"Mufasa:testrealm@host.com:Circle Of Life")),
            "939e7578ed9e3c518a452acee763bce9"
        );
        assert_eq!(sip_ha1("1001", "secret123").len(), 32);
    }
}
