//! What the contact centre asks of the service while a call is in the IVR: who is calling,
//! what is wrong in their area, a repair order from the phone, and the ACD's trace.

use crate::*;
use voltdesk_domain::acd::AcdEvent;
use voltdesk_domain::ivr::{CustomerFacts, OutageFacts};
use voltdesk_domain::trace::TraceEvent;
use voltdesk_domain::{Channel, OrderType, PhoneNumber, Severity};
use voltdesk_store::{CustomerRow, NewTrace};

/// The digest realm of voltdesk's SIP accounts (HA1 = MD5(user:realm:password)).
pub const SIP_REALM: &str = "voltdesk";

impl Service {
    async fn caller_facts(&self, c: CustomerRow) -> Result<CustomerFacts> {
        let now = self.clock.now();
        let outage = self
            .store
            .active_outage_for_area(c.area_id, now)
            .await?
            .map(|o| OutageFacts {
                kind: o.kind,
                expected_restore: o.expected_restore_at,
                area: self
                    .org
                    .read()
                    .expect("org cache lock")
                    .areas
                    .get(&c.area_id)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            });
        Ok(CustomerFacts {
            customer_id: c.id,
            outage,
            balance_fen: -c.arrears_fen,
            arrears_fen: c.arrears_fen,
            sensitive: c.sensitive,
            care_group: !c.care_groups.is_empty(),
        })
    }

    /// The customer owning a calling number, when exactly one does.
    pub async fn ivr_caller_by_phone(&self, phone: &str) -> Result<Option<CustomerFacts>> {
        let Ok(p) = PhoneNumber::parse(phone) else {
            return Ok(None);
        };
        let mut rows = self.store.customers_by_phone(p.as_str()).await?;
        if rows.len() != 1 {
            return Ok(None);
        }
        let c = rows.remove(0);
        Ok(Some(self.caller_facts(c).await?))
    }

    /// The customer of a keyed account number.
    pub async fn ivr_caller_by_account(&self, account: &str) -> Result<Option<CustomerFacts>> {
        let Ok(a) = voltdesk_domain::AccountNo::parse(account) else {
            return Ok(None);
        };
        match self.store.customer_by_account(a.as_str()).await? {
            Some(c) => Ok(Some(self.caller_facts(c).await?)),
            None => Ok(None),
        }
    }

    /// A repair order reported from the phone (channel 95598 phone): its id and number.
    pub async fn ivr_create_repair(
        &self,
        customer_id: Option<i64>,
        phone: &str,
        call_key: &str,
    ) -> Result<(i64, String)> {
        let station_code = match customer_id {
            Some(_) => None,
            None => self
                .org
                .read()
                .expect("org cache lock")
                .stations
                .values()
                .min_by_key(|s| s.id)
                .map(|s| s.code.clone()),
        };
        let draft = voltdesk_domain::intake::NewOrder {
            customer_id,
            customer_account_no: None,
            station_code,
            order_type: Some(OrderType::Repair),
            service_kind: None,
            channel: Some(Channel::Hotline95598),
            subject: None,
            complaint_class: None,
            severity: Some(Severity::General),
            title: Some("电话自助报修".to_string()),
            description: Some(format!("客户通过95598语音自助报修，来电号码 {phone}。")),
            contact_phone: PhoneNumber::parse(phone)
                .ok()
                .map(|p| p.as_str().to_string()),
            idempotency_key: Some(format!("call:{call_key}:repair")),
        }
        .parse()
        .map_err(|e| ServiceError::invalid("order", e.to_string()))?;
        let actor = Actor {
            name: "IVR".to_string(),
            ..Actor::system()
        };
        let (view, _) = self.create_order(&actor, draft).await?;
        Ok((view.order.id, view.order_no))
    }

    /// Writes the ACD's decisions and agents' state changes to the trace, in one transaction.
    pub async fn record_acd_events(&self, events: &[AcdEvent], at: Millis) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows: Vec<NewTrace> = events
            .iter()
            .map(|e| NewTrace {
                at,
                station_id: None,
                customer_id: None,
                order_id: None,
                channel: Some(Channel::Hotline95598),
                actor_id: None,
                actor: "ACD".to_string(),
                event: TraceEvent::AcdDecision(e.clone()),
            })
            .collect();
        let mut tx = self.store.begin().await?;
        self.store.insert_traces(&mut tx, &rows).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
