//! Where an order goes when it is sent on: the kind of department that handles its type
//! and subject. A repair goes to the distribution crews, a question of bills or meters to
//! marketing, a complaint about how staff behaved to customer service. The desk may send it
//! elsewhere; this is only the choice offered first.

use crate::{ComplaintClass, DepartmentKind, OrderType, ServiceKind, SubjectArea};

/// The department kind an order of this type and subject goes to by default.
pub fn default_department(
    order_type: OrderType,
    subject: Option<SubjectArea>,
    class: Option<ComplaintClass>,
    service: Option<ServiceKind>,
) -> DepartmentKind {
    use DepartmentKind as D;
    if order_type == OrderType::Repair {
        return D::Distribution;
    }
    if let Some(s) = subject {
        return match s {
            SubjectArea::SupplyQuality | SubjectArea::Outage | SubjectArea::RepairQuality => {
                D::Distribution
            }
            SubjectArea::Metering
            | SubjectArea::TariffBill
            | SubjectArea::ReadingCollection
            | SubjectArea::MeterInstallation
            | SubjectArea::Expansion
            | SubjectArea::UsageInspection => D::Marketing,
            SubjectArea::ServiceChannel | SubjectArea::ServiceConduct | SubjectArea::Integrity => {
                D::Service
            }
        };
    }
    if let Some(c) = class {
        return match c {
            ComplaintClass::Service => D::Service,
            ComplaintClass::Business => D::Marketing,
            ComplaintClass::Outage => D::Dispatch,
            ComplaintClass::SupplyQuality | ComplaintClass::GridConstruction => D::Distribution,
        };
    }
    match service {
        Some(ServiceKind::Other) | None => D::Service,
        Some(_) => D::Marketing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repair_goes_to_distribution_whatever_its_subject() {
        assert_eq!(
            default_department(OrderType::Repair, Some(SubjectArea::TariffBill), None, None),
            DepartmentKind::Distribution
        );
    }

    #[test]
    fn a_complaint_goes_where_its_subject_belongs() {
        let by = |s| default_department(OrderType::Complaint, Some(s), None, None);
        assert_eq!(by(SubjectArea::TariffBill), DepartmentKind::Marketing);
        assert_eq!(by(SubjectArea::ServiceConduct), DepartmentKind::Service);
        assert_eq!(by(SubjectArea::SupplyQuality), DepartmentKind::Distribution);
    }

    #[test]
    fn without_a_subject_the_class_then_the_service_kind_decide() {
        assert_eq!(
            default_department(
                OrderType::Complaint,
                None,
                Some(ComplaintClass::Outage),
                None
            ),
            DepartmentKind::Dispatch
        );
        assert_eq!(
            default_department(
                OrderType::ServiceRequest,
                None,
                None,
                Some(ServiceKind::Reconnect)
            ),
            DepartmentKind::Marketing
        );
        assert_eq!(
            default_department(OrderType::Consultation, None, None, None),
            DepartmentKind::Service
        );
    }
}
