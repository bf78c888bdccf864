//! A contact as it arrives and the order draft it becomes. The edges (the API, the desk's
//! form, the demo) fill a [`NewOrder`], every field optional as the JSON body is, and parse it
//! into an [`OrderDraft`]: its required fields are there, its values are typed and its
//! defaults (complaint class, severity) decided. The service takes only drafts.

use serde::Deserialize;

use crate::{
    AccountNo, Channel, ComplaintClass, OrderType, PhoneNumber, ServiceKind, Severity, SubjectArea,
};

/// A contact that becomes a work order, as the API's body carries it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub customer_id: Option<i64>,
    pub customer_account_no: Option<String>,
    pub station_code: Option<String>,
    pub order_type: Option<OrderType>,
    pub service_kind: Option<ServiceKind>,
    pub channel: Option<Channel>,
    pub subject: Option<SubjectArea>,
    pub complaint_class: Option<ComplaintClass>,
    pub severity: Option<Severity>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub contact_phone: Option<String>,
    /// The channel's message id; a retry with the same key returns the first order.
    pub idempotency_key: Option<String>,
}

/// Who the contact is about, as the caller named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(i64),
    Account(AccountNo),
}

/// A contact ready to be taken: made only by [`NewOrder::parse`], so every draft is valid.
/// What needs the database (the customer exists, the station code is known) is checked by
/// the service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderDraft {
    /// `None`: an anonymous caller, taken at `station_code` or the agent's station.
    pub customer: Option<CustomerRef>,
    pub station_code: Option<String>,
    pub order_type: OrderType,
    /// Set exactly for service requests.
    pub service_kind: Option<ServiceKind>,
    pub channel: Channel,
    pub subject: Option<SubjectArea>,
    /// Always set for a complaint.
    pub complaint_class: Option<ComplaintClass>,
    pub severity: Severity,
    /// Trimmed, 1 to 200 characters.
    pub title: String,
    /// At most 10,000 characters.
    pub description: String,
    pub contact_phone: Option<PhoneNumber>,
    /// 1 to 200 bytes.
    pub idempotency_key: Option<String>,
}

impl OrderDraft {
    /// The subject a repeat complaint is looked for under: a complaint's subject.
    pub fn repeat_subject(&self) -> Option<SubjectArea> {
        if self.order_type == OrderType::Complaint {
            self.subject
        } else {
            None
        }
    }
}

/// The longest title, in characters (forms say it as `maxlength`).
pub const TITLE_MAX: usize = 200;
/// The longest description, in characters.
pub const DESCRIPTION_MAX: usize = 10_000;

/// A contact that cannot be taken as it is: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DraftError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> DraftError {
    DraftError {
        field,
        message: message.into(),
    }
}

impl NewOrder {
    /// Parses the contact, checking its fields in a fixed order so that the first problem
    /// is the one reported: order type, channel, title, description, service kind,
    /// idempotency key, contact phone, customer.
    pub fn parse(self) -> Result<OrderDraft, DraftError> {
        let order_type = self
            .order_type
            .ok_or_else(|| invalid("order_type", "required"))?;
        let channel = self.channel.ok_or_else(|| invalid("channel", "required"))?;
        let title = self
            .title
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_string();
        match crate::values::plain_line(&title, TITLE_MAX) {
            Ok(_) => {}
            Err(crate::values::LineFault::Hidden) => {
                return Err(invalid("title", "no control or text-direction characters"));
            }
            Err(_) => return Err(invalid("title", "1 to 200 characters")),
        }
        let description = self.description.unwrap_or_default();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(invalid("description", "at most 10,000 characters"));
        }
        match (order_type == OrderType::ServiceRequest, self.service_kind) {
            (true, None) => {
                return Err(invalid("service_kind", "required for a service request"));
            }
            (false, Some(_)) => return Err(invalid("service_kind", "only for service requests")),
            _ => {}
        }
        if let Some(k) = &self.idempotency_key
            && (k.is_empty() || k.len() > 200)
        {
            return Err(invalid("idempotency_key", "1 to 200 characters"));
        }
        let contact_phone = match self
            .contact_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            Some(p) => {
                Some(PhoneNumber::parse(p).map_err(|e| invalid("contact_phone", e.to_string()))?)
            }
            None => None,
        };
        // A customer id wins over an account number; which exists is the service's to check.
        let customer = match (self.customer_id, self.customer_account_no.as_deref()) {
            (Some(id), _) => Some(CustomerRef::Id(id)),
            (None, Some(a)) => {
                Some(CustomerRef::Account(AccountNo::parse(a).map_err(|e| {
                    invalid("customer_account_no", e.to_string())
                })?))
            }
            (None, None) => None,
        };
        let complaint_class = if order_type == OrderType::Complaint {
            Some(
                self.complaint_class
                    .unwrap_or(complaint_class_for(self.subject)),
            )
        } else {
            self.complaint_class
        };
        Ok(OrderDraft {
            customer,
            station_code: self.station_code,
            order_type,
            service_kind: self.service_kind,
            channel,
            subject: self.subject,
            complaint_class,
            severity: self
                .severity
                .unwrap_or(severity_for(order_type, self.subject)),
            title,
            description,
            contact_phone,
            idempotency_key: self.idempotency_key,
        })
    }
}

/// The severity an order gets when the contact names none: a complaint about integrity
/// (廉洁) is serious, everything else general.
pub fn severity_for(t: OrderType, subject: Option<SubjectArea>) -> Severity {
    match (t, subject) {
        (OrderType::Complaint, Some(SubjectArea::Integrity)) => Severity::Serious,
        _ => Severity::General,
    }
}

/// The class a complaint gets from its subject when the contact names none.
pub fn complaint_class_for(subject: Option<SubjectArea>) -> ComplaintClass {
    use SubjectArea as S;
    match subject {
        Some(S::Outage) | Some(S::RepairQuality) => ComplaintClass::Outage,
        Some(S::SupplyQuality) => ComplaintClass::SupplyQuality,
        Some(S::ServiceConduct) | Some(S::ServiceChannel) | Some(S::Integrity) => {
            ComplaintClass::Service
        }
        _ => ComplaintClass::Business,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> NewOrder {
        NewOrder {
            order_type: Some(OrderType::Repair),
            channel: Some(Channel::App),
            title: Some("  家中停电 ".into()),
            ..NewOrder::default()
        }
    }

    /// The field the first problem names, or the draft.
    fn check(n: NewOrder, field: &str) {
        match n.parse() {
            Err(e) => assert_eq!(e.field, field, "{e}"),
            Ok(d) => panic!("expected a problem with `{field}`, got {d:?}"),
        }
    }

    #[test]
    fn a_minimal_call_parses_with_defaults() {
        let d = call().parse().unwrap();
        assert_eq!(d.title, "家中停电");
        assert_eq!(d.description, "");
        assert_eq!(d.customer, None);
        assert_eq!(d.severity, Severity::General);
        assert_eq!(d.complaint_class, None);
        assert_eq!(d.repeat_subject(), None);
    }

    #[test]
    fn required_fields_are_checked_in_order() {
        check(NewOrder::default(), "order_type");
        check(
            NewOrder {
                channel: None,
                ..call()
            },
            "channel",
        );
        check(
            NewOrder {
                title: Some("   ".into()),
                ..call()
            },
            "title",
        );
        check(
            NewOrder {
                title: Some("长".repeat(201)),
                ..call()
            },
            "title",
        );
        check(
            NewOrder {
                description: Some("字".repeat(10_001)),
                ..call()
            },
            "description",
        );
        // The title is reported before a bad phone.
        check(
            NewOrder {
                title: None,
                contact_phone: Some("12".into()),
                ..call()
            },
            "title",
        );
    }

    #[test]
    fn service_kind_goes_with_service_requests_only() {
        check(
            NewOrder {
                order_type: Some(OrderType::ServiceRequest),
                ..call()
            },
            "service_kind",
        );
        check(
            NewOrder {
                service_kind: Some(ServiceKind::Reconnect),
                ..call()
            },
            "service_kind",
        );
        let d = NewOrder {
            order_type: Some(OrderType::ServiceRequest),
            service_kind: Some(ServiceKind::Reconnect),
            ..call()
        }
        .parse()
        .unwrap();
        assert_eq!(d.service_kind, Some(ServiceKind::Reconnect));
    }

    #[test]
    fn keys_phones_and_customers_are_typed() {
        check(
            NewOrder {
                idempotency_key: Some(String::new()),
                ..call()
            },
            "idempotency_key",
        );
        check(
            NewOrder {
                contact_phone: Some("12".into()),
                ..call()
            },
            "contact_phone",
        );
        check(
            NewOrder {
                customer_account_no: Some("12".into()),
                ..call()
            },
            "customer_account_no",
        );
        let d = NewOrder {
            contact_phone: Some("+86 138-1234-5678".into()),
            customer_account_no: Some(" 3300000001 ".into()),
            idempotency_key: Some("ivr-1".into()),
            ..call()
        }
        .parse()
        .unwrap();
        assert_eq!(d.contact_phone.unwrap().as_str(), "13812345678");
        assert_eq!(
            d.customer,
            Some(CustomerRef::Account(
                AccountNo::parse("3300000001").unwrap()
            ))
        );
        assert_eq!(d.idempotency_key.as_deref(), Some("ivr-1"));
        // A blank phone is no phone; an id wins over a (even malformed) account number.
        let d = NewOrder {
            contact_phone: Some("  ".into()),
            customer_id: Some(7),
            customer_account_no: Some("12".into()),
            ..call()
        }
        .parse()
        .unwrap();
        assert_eq!(d.contact_phone, None);
        assert_eq!(d.customer, Some(CustomerRef::Id(7)));
    }

    #[test]
    fn complaints_get_a_class_and_severity_from_their_subject() {
        let complaint = |subject, class| NewOrder {
            order_type: Some(OrderType::Complaint),
            subject,
            complaint_class: class,
            ..call()
        };
        let d = complaint(Some(SubjectArea::Integrity), None)
            .parse()
            .unwrap();
        assert_eq!(d.severity, Severity::Serious);
        assert_eq!(d.complaint_class, Some(ComplaintClass::Service));
        assert_eq!(d.repeat_subject(), Some(SubjectArea::Integrity));
        let d = complaint(Some(SubjectArea::Outage), None).parse().unwrap();
        assert_eq!(d.complaint_class, Some(ComplaintClass::Outage));
        assert_eq!(d.severity, Severity::General);
        let d = complaint(None, Some(ComplaintClass::GridConstruction))
            .parse()
            .unwrap();
        assert_eq!(d.complaint_class, Some(ComplaintClass::GridConstruction));
        assert_eq!(complaint_class_for(None), ComplaintClass::Business);
        // A named severity stands; other order types keep what the contact says.
        let d = NewOrder {
            severity: Some(Severity::Serious),
            complaint_class: Some(ComplaintClass::Business),
            ..call()
        }
        .parse()
        .unwrap();
        assert_eq!(d.severity, Severity::Serious);
        assert_eq!(d.complaint_class, Some(ComplaintClass::Business));
    }
}
