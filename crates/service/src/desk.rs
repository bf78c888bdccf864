//! What the role pages ask that the JSON API does not: deadlines before an order is saved,
//! the open orders a new contact may duplicate, the actions an order allows, and the
//! supervisor's board.

use crate::*;
use serde::Serialize;
use voltdesk_domain::order::{Command, decide};
use voltdesk_domain::policy::{ClockStart, OrderFacts};
use voltdesk_domain::*;
use voltdesk_store::{OrderFilter, OrderSort};

/// A deadline an order would get if it were saved now.
#[derive(Debug, Clone, Serialize)]
pub struct ClockPreview {
    pub kind: ClockKind,
    pub limit_text: String,
    pub source: String,
    pub due_at: Millis,
}

/// The supervisor's board of one station (or all).
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// Open orders whose next deadline falls within `NEAR_DUE_MS`.
    pub near_due: Vec<OrderView>,
    pub overdue: Vec<OrderView>,
    pub escalations: Vec<(EscalationView, OrderView)>,
    /// Replied orders waiting for their return visit.
    pub visits: Vec<OrderView>,
    /// Open orders handled again after a dissatisfied return visit, latest first.
    pub reopened: Vec<OrderView>,
    pub counts: BoardCounts,
}

#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct BoardCounts {
    pub near_due: i64,
    pub overdue: i64,
    pub escalations: i64,
    pub visits: i64,
    pub reopened: i64,
}

/// "Near due" on the board: the next four hours.
pub const NEAR_DUE_MS: i64 = 4 * HOUR_MS;
const BOARD_ROWS: i64 = 50;

/// The lifecycle actions an order's state allows, by command name, in the order the order
/// page shows them. Data the user still has to give (texts, departments) is filled with
/// stand-ins: only the state decides here.
pub fn possible_actions(v: &OrderView) -> Vec<&'static str> {
    let o = &v.order;
    let state = o.state();
    let note = || "-".to_string();
    let samples = [
        Command::Dispatch {
            department_id: 1,
            assignee_id: None,
        },
        Command::Acknowledge { assignee_id: 1 },
        Command::Contact { note: note() },
        Command::Arrive,
        Command::Reply {
            text: note(),
            verdict: Some(Verdict::Substantiated),
            root_cause: Some(RootCause::ServiceQuality),
        },
        Command::ReturnVisit {
            satisfaction: Satisfaction::Satisfied,
            comment: note(),
        },
        Command::Close,
        Command::Urge { note: note() },
        Command::Transfer {
            department_id: 1,
            assignee_id: None,
        },
        Command::ReturnToSender { reason: note() },
        Command::Reopen { reason: note() },
        Command::Cancel { reason: note() },
        // Another order and a department not yet on it: the state decides, not the sample.
        Command::Merge { into: i64::MAX },
        Command::CoHandle {
            department_ids: vec![i64::MAX],
        },
    ];
    let mut actions: Vec<&'static str> = samples
        .iter()
        .filter(|c| decide(&state, o.id, c).is_ok())
        .map(|c| c.name())
        .collect();
    // Pausing stops running clocks (the customer asked to wait); resuming starts them again.
    let clock = |s: voltdesk_store::ClockState| {
        o.status.is_open() && v.clocks.iter().any(|k| k.clock.state == s)
    };
    if clock(voltdesk_store::ClockState::Running) {
        actions.push("pause");
    }
    if clock(voltdesk_store::ClockState::Paused) {
        actions.push("resume");
    }
    actions
}

impl Service {
    /// The deadlines an order of this kind, for this customer, would get if saved now.
    pub async fn preview_clocks(
        &self,
        customer_id: Option<i64>,
        order_type: OrderType,
        service_kind: Option<ServiceKind>,
        channel: Channel,
    ) -> Result<Vec<ClockPreview>> {
        let (station_id, area_id) = match customer_id {
            Some(id) => {
                let c = self
                    .store
                    .customer(id)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "customer" })?;
                (c.station_id, Some(c.area_id))
            }
            None => {
                let org = self.org.read().expect("org cache lock");
                let id = org
                    .stations
                    .keys()
                    .min()
                    .copied()
                    .ok_or(ServiceError::NotFound { what: "station" })?;
                (id, None)
            }
        };
        let policy = self.policy_of_station(station_id)?;
        let facts = OrderFacts {
            order_type,
            channel,
            service_kind,
            region: self.region_of(area_id),
        };
        let mut v: Vec<ClockPreview> = self
            .plan_rules(&facts, policy, ClockStart::Accepted, None, self.now())
            .into_iter()
            .map(|(p, source)| ClockPreview {
                kind: p.kind,
                limit_text: p.limit.to_string(),
                source,
                due_at: p.due_at,
            })
            .collect();
        v.sort_by_key(|c| c.due_at);
        Ok(v)
    }

    /// The customer's open orders, newest first; the desk warns when a new contact is on the
    /// subject of one of them.
    pub async fn open_orders_of(&self, customer_id: i64) -> Result<Vec<OrderView>> {
        let (orders, _) = self
            .orders(&OrderFilter {
                customer_id: Some(customer_id),
                open_only: true,
                sort: OrderSort::CreatedAt,
                descending: true,
                limit: 50,
                count_cap: Some(50),
                ..Default::default()
            })
            .await?;
        Ok(orders)
    }

    /// The board: near-due, overdue and escalated orders and the return-visit worklist.
    pub async fn board(&self, station_id: Option<i64>) -> Result<Board> {
        let now = self.now();
        let base = OrderFilter {
            station_id,
            open_only: true,
            sort: OrderSort::DueAt,
            limit: BOARD_ROWS,
            count_cap: Some(999),
            ..Default::default()
        };
        let (near_due, near_n) = self
            .orders(&OrderFilter {
                due_from: Some(now),
                due_to: Some(now + NEAR_DUE_MS),
                ..base.clone()
            })
            .await?;
        let (overdue, overdue_n) = self
            .orders(&OrderFilter {
                overdue: Some(true),
                ..base.clone()
            })
            .await?;
        let (visits, visits_n) = self
            .orders(&OrderFilter {
                statuses: vec![OrderStatus::Replied],
                sort: OrderSort::UpdatedAt,
                ..base.clone()
            })
            .await?;
        let (reopened, reopened_n) = self
            .orders(&OrderFilter {
                reopened: Some(true),
                sort: OrderSort::UpdatedAt,
                descending: true,
                ..base.clone()
            })
            .await?;
        let open = self.escalations(None, true, BOARD_ROWS).await?;
        let mut escalations = Vec::new();
        for e in open {
            let o = self.order(e.order_id).await?;
            if station_id.is_none_or(|s| s == o.order.station_id) {
                escalations.push((e.into(), o));
            }
        }
        Ok(Board {
            counts: BoardCounts {
                near_due: near_n,
                overdue: overdue_n,
                escalations: escalations.len() as i64,
                visits: visits_n,
                reopened: reopened_n,
            },
            reopened,
            near_due,
            overdue,
            escalations,
            visits,
        })
    }
}

/// The place (village or community) a transformer area serves: its name without the
/// trailing `N号台区` / `台区`.
pub fn place_of_area(name: &str) -> &str {
    let s = name.strip_suffix("台区").unwrap_or(name);
    let s = s.strip_suffix('号').unwrap_or(s);
    s.trim_end_matches(|c: char| c.is_ascii_digit())
}

impl Service {
    /// Customers as the agent types: by phone (start or last digits), account number, name,
    /// or address (a village or community name and what follows it). Masked; at most
    /// `limit`, best matches first.
    pub async fn search_customers(&self, q: &str, limit: usize) -> Result<Vec<CustomerView>> {
        use voltdesk_store::PrefixColumn as P;
        let q = q.trim();
        let n = limit.clamp(1, 50) as i64;
        let mut found: Vec<voltdesk_store::CustomerRow> = Vec::new();
        let digits: String = q
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            if digits.len() >= 3 {
                found.extend(
                    self.store
                        .customers_with_prefix(P::Phone, &digits, n)
                        .await?,
                );
                found.extend(
                    self.store
                        .customers_with_prefix(P::Account, &digits, n)
                        .await?,
                );
            }
            if digits.len() >= 4 {
                found.extend(self.store.customers_with_phone_suffix(&digits, n).await?);
            }
        } else if q.chars().count() >= 1 {
            found.extend(self.store.customers_with_prefix(P::Name, q, n).await?);
            found.extend(self.store.customers_with_prefix(P::Address, q, n).await?);
            if q.chars().count() >= 2 {
                // "城南", "城南街道迎", "幸福村3组": the areas whose addresses begin with a
                // locality that holds the words, then the words in their addresses.
                let areas = self.areas_by_locality(q).await?;
                if !areas.is_empty() {
                    found.extend(self.store.customers_in_areas_matching(&areas, q, n).await?);
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        found.retain(|c| seen.insert(c.id));
        found.truncate(limit);
        Ok(found
            .into_iter()
            .map(|c| CustomerView::of(c, false))
            .collect())
    }
}

/// How the addresses of an area begin, from one of them: up to and including the area's
/// place (`桐溪县城南街道迎春社区` for `迎春社区1号台区`), or the place alone.
pub fn locality_of(area_name: &str, address: Option<&str>) -> String {
    let place = place_of_area(area_name);
    match address.and_then(|a| a.find(place).map(|i| &a[..i + place.len()])) {
        Some(head) if !place.is_empty() => head.to_string(),
        _ => place.to_string(),
    }
}

/// Whether typed words name a locality: they are part of it (`城南`, `城南街道迎`), or they
/// begin with its last characters and go on into the address (`幸福村3组`).
pub fn names_locality(locality: &str, q: &str) -> bool {
    if locality.chars().count() < 2 {
        return false;
    }
    if locality.contains(q) {
        return true;
    }
    q.char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .skip(1)
        .any(|end| locality.ends_with(&q[..end]))
}

/// At most this many areas are searched for one query's words.
const LOCALITY_AREAS_MAX: usize = 400;

impl Service {
    /// The areas whose locality the words name, learning the localities on first use.
    async fn areas_by_locality(&self, q: &str) -> Result<Vec<i64>> {
        let known = self
            .org
            .read()
            .expect("org cache lock")
            .localities
            .is_some();
        if !known {
            let firsts: HashMap<i64, String> = self
                .store
                .first_address_per_area()
                .await?
                .into_iter()
                .collect();
            let mut org = self.org.write().expect("org cache lock");
            let localities = org
                .areas
                .values()
                .map(|a| {
                    (
                        a.id,
                        locality_of(&a.name, firsts.get(&a.id).map(|s| s.as_str())),
                    )
                })
                .collect();
            org.localities = Some(localities);
        }
        let org = self.org.read().expect("org cache lock");
        let mut ids: Vec<i64> = org
            .localities
            .iter()
            .flatten()
            .filter(|(_, l)| names_locality(l, q))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids.truncate(LOCALITY_AREAS_MAX);
        Ok(ids)
    }

    /// The name of a transformer area, from the organisation in memory.
    pub fn area_name(&self, id: i64) -> Option<String> {
        self.org
            .read()
            .expect("org cache lock")
            .areas
            .get(&id)
            .map(|a| a.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locality_runs_to_the_area_s_place() {
        assert_eq!(
            locality_of("迎春社区1号台区", Some("桐溪县城南街道迎春社区迎宾路12号")),
            "桐溪县城南街道迎春社区"
        );
        assert_eq!(locality_of("王家村2号台区", None), "王家村");
        assert_eq!(locality_of("王家村2号台区", Some("别处1号")), "王家村");
    }

    #[test]
    fn words_name_a_locality_inside_it_or_going_on_from_its_end() {
        let l = "桐溪县城南街道迎春社区";
        assert!(names_locality(l, "城南"));
        assert!(names_locality(l, "城南街道迎"));
        assert!(names_locality(l, "迎春社区迎宾路"));
        assert!(names_locality(l, "社区迎宾路"));
        assert!(!names_locality(l, "城北"));
        assert!(
            !names_locality(l, "区迎宾路"),
            "one character is not a place"
        );
        assert!(!names_locality("村", "村"));
    }
}
