//! Customers: import, lookup, the masked view, the trace timeline.

use crate::*;
use serde::Serialize;
use voltdesk_domain::auth::Permission;
use voltdesk_domain::import::CustomerRow as ImportRow;
use voltdesk_domain::trace::{self, TraceEvent};
use voltdesk_domain::{
    CareGroup, PaymentMethod, Segment, UsageClass, mask_address, mask_id_number, mask_phone,
};
use voltdesk_store::{CustomerFilter, CustomerRow, NewCustomer, TraceRow};

/// A customer as the API shows it; personal data masked unless revealed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub account_no: String,
    pub name: String,
    pub phone: Option<String>,
    pub phone2: Option<String>,
    pub id_number: Option<String>,
    pub address: String,
    pub usage_class: UsageClass,
    pub station_id: i64,
    pub area_id: i64,
    pub meter_id: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub care_groups: Vec<CareGroup>,
    pub segment: Segment,
    pub sensitive: bool,
    pub grid_manager_id: Option<i64>,
    pub arrears_fen: i64,
    pub masked: bool,
    /// Live early warnings about the customer, for the agent the moment the customer is
    /// identified (filled by `customer` and `lookup_customers`; empty in lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WarningView>,
}

impl CustomerView {
    pub(crate) fn of(c: CustomerRow, reveal: bool) -> CustomerView {
        let m = |s: Option<String>| if reveal { s } else { s.map(|p| mask_phone(&p)) };
        CustomerView {
            id: c.id,
            account_no: c.account_no,
            name: c.name,
            phone: m(c.phone),
            phone2: m(c.phone2),
            id_number: if reveal {
                c.id_number
            } else {
                c.id_number.map(|s| mask_id_number(&s))
            },
            address: if reveal {
                c.address
            } else {
                mask_address(&c.address)
            },
            usage_class: c.usage_class,
            station_id: c.station_id,
            area_id: c.area_id,
            meter_id: c.meter_id,
            payment_method: c.payment_method,
            care_groups: c.care_groups,
            segment: c.segment,
            sensitive: c.sensitive,
            grid_manager_id: c.grid_manager_id,
            arrears_fen: c.arrears_fen,
            masked: !reveal,
            warnings: Vec::new(),
        }
    }
}

/// What an import did or would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerImportReport {
    pub imported: usize,
    pub skipped: usize,
    pub errors: Vec<voltdesk_domain::import::RowError>,
}

impl Service {
    /// Imports customers all-or-nothing: with `skip_invalid` false, one bad row (bad field,
    /// unknown area or grid manager, existing account number) rejects the whole file and the
    /// database is unchanged. `progress` is called with the rows written so far.
    pub async fn import_customers(
        &self,
        by: &Actor,
        rows: Vec<(u64, ImportRow)>,
        mut errors: Vec<voltdesk_domain::import::RowError>,
        skip_invalid: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<CustomerImportReport> {
        use voltdesk_domain::import::RowError;
        let areas: HashMap<String, (i64, i64)> = self
            .store
            .area_index()
            .await?
            .into_iter()
            .map(|(c, id, s)| (c, (id, s)))
            .collect();
        let managers: HashMap<String, i64> = self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role == Role::GridManager)
            .map(|u| (u.username, u.id))
            .collect();
        // A first load into an empty register needs no look-up of existing accounts.
        let existing: std::collections::HashSet<String> =
            if self.store.count_customers().await? == 0 {
                Default::default()
            } else {
                let accounts: Vec<String> = rows
                    .iter()
                    .map(|(_, r)| r.account_no.as_str().to_string())
                    .collect();
                self.store
                    .existing_accounts(&accounts)
                    .await?
                    .into_iter()
                    .collect()
            };
        let mut good = Vec::with_capacity(rows.len());
        for (line, r) in rows {
            let Some(&(area_id, station_id)) = areas.get(&r.area_code) else {
                errors.push(RowError {
                    line,
                    field: Some("area_code".into()),
                    code: "unknown_reference",
                    message: format!("no transformer area `{}`", r.area_code),
                });
                continue;
            };
            let grid_manager_id = match &r.grid_manager {
                None => None,
                Some(name) => match managers.get(name) {
                    Some(id) => Some(*id),
                    None => {
                        errors.push(RowError {
                            line,
                            field: Some("grid_manager".into()),
                            code: "unknown_reference",
                            message: format!("no grid manager `{name}`"),
                        });
                        continue;
                    }
                },
            };
            if existing.contains(r.account_no.as_str()) {
                errors.push(RowError {
                    line,
                    field: Some("account_no".into()),
                    code: "duplicate_key",
                    message: format!("account {} already exists", r.account_no),
                });
                continue;
            }
            good.push(NewCustomer {
                account_no: r.account_no,
                name: r.name,
                phone: r.phone,
                phone2: r.phone2,
                id_number: r.id_number,
                address: r.address,
                usage_class: r.usage_class,
                station_id,
                area_id,
                meter_id: r.meter_id,
                payment_method: r.payment_method,
                care_groups: r.care_groups,
                segment: r.segment,
                sensitive: r.sensitive,
                grid_manager_id,
                arrears_fen: r.arrears_fen,
            });
        }
        errors.sort_by_key(|e| e.line);
        if !errors.is_empty() && !skip_invalid {
            return Err(ServiceError::Import(errors));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut done = 0;
        for chunk in good.chunks(10_000) {
            self.store.insert_customers(&mut tx, chunk, now).await?;
            done += chunk.len();
            progress(done);
        }
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::CustomersImported(trace::CustomersImported {
                imported: good.len() as i64,
                skipped: errors.len() as i64,
            }),
        )
        .await?;
        commit(tx).await?;
        // New customers may start areas' addresses: learn the localities again.
        self.org.write().expect("org cache lock").localities = None;
        Ok(CustomerImportReport {
            imported: good.len(),
            skipped: errors.len(),
            errors,
        })
    }

    /// A customer; `reveal` shows personal data to a role that may see it, and traces the read.
    pub async fn customer(&self, who: &Principal, id: i64, reveal: bool) -> Result<CustomerView> {
        let c = self
            .store
            .customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        self.view(who, c, reveal).await
    }

    async fn view(&self, who: &Principal, c: CustomerRow, reveal: bool) -> Result<CustomerView> {
        if reveal {
            if !who.may(Permission::PiiReveal) {
                return Err(ServiceError::Forbidden(format!(
                    "role {} may not see personal data unmasked",
                    who.actor.role
                )));
            }
            let mut tx = self.store.begin().await?;
            self.store
                .insert_traces(
                    &mut tx,
                    &[voltdesk_store::NewTrace {
                        at: self.now(),
                        station_id: Some(c.station_id),
                        customer_id: Some(c.id),
                        order_id: None,
                        channel: None,
                        actor_id: who.actor.user_id,
                        actor: who.actor.name.clone(),
                        event: TraceEvent::PiiRevealed(trace::PiiRevealed {
                            fields: ["phone", "phone2", "id_number", "address"]
                                .map(String::from)
                                .to_vec(),
                        }),
                    }],
                )
                .await?;
            commit(tx).await?;
        }
        let mut v = CustomerView::of(c, reveal);
        v.warnings = self.customer_warnings(v.id).await?;
        Ok(v)
    }

    /// Identifies a caller by phone number or account number.
    pub async fn lookup_customers(
        &self,
        who: &Principal,
        phone: Option<&str>,
        account_no: Option<&str>,
    ) -> Result<Vec<CustomerView>> {
        let rows = match (phone, account_no) {
            (_, Some(a)) => {
                let a = voltdesk_domain::AccountNo::parse(a)
                    .map_err(|e| ServiceError::invalid("account_no", e.to_string()))?;
                self.store
                    .customer_by_account(a.as_str())
                    .await?
                    .into_iter()
                    .collect()
            }
            (Some(p), None) => {
                let p = voltdesk_domain::PhoneNumber::parse(p)
                    .map_err(|e| ServiceError::invalid("phone", e.to_string()))?;
                self.store.customers_by_phone(p.as_str()).await?
            }
            (None, None) => return Err(ServiceError::invalid("phone", "give phone or account_no")),
        };
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            out.push(self.view(who, c, false).await?);
        }
        Ok(out)
    }

    pub async fn customers(&self, f: &CustomerFilter) -> Result<(Vec<CustomerView>, i64)> {
        let (rows, total) = self.store.customers(f).await?;
        Ok((
            rows.into_iter()
                .map(|c| CustomerView::of(c, false))
                .collect(),
            total,
        ))
    }

    /// The customer's timeline across channels, newest first.
    pub async fn customer_trace(
        &self,
        customer_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TraceRow>> {
        Ok(self
            .store
            .customer_trace(customer_id, before, limit)
            .await?)
    }

    pub async fn audit_trail(
        &self,
        kind_prefix: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TraceRow>> {
        Ok(self.store.trace_all(kind_prefix, before, limit).await?)
    }

    /// Sets or clears the sensitive flag by hand, with a reason.
    pub async fn set_sensitive(
        &self,
        by: &Actor,
        customer_id: i64,
        sensitive: bool,
        reason: &str,
    ) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "a reason is required"));
        }
        let c = self
            .store
            .customer(customer_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let now = self.now();
        // A flag set by hand is reviewed after the policy's period, like an automatic one.
        let review_at = sensitive.then(|| {
            let days = self
                .policy_of_station(c.station_id)
                .map(|p| p.warnings.sensitive_review_days)
                .unwrap_or(90);
            now + days * voltdesk_domain::DAY_MS
        });
        let mut tx = self.store.begin().await?;
        self.store
            .set_customer_sensitive_review(&mut tx, customer_id, sensitive, review_at, now)
            .await?;
        self.store
            .insert_traces(
                &mut tx,
                &[voltdesk_store::NewTrace {
                    at: now,
                    station_id: Some(c.station_id),
                    customer_id: Some(c.id),
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    event: {
                        let s = trace::Sensitive {
                            reason: reason.to_string(),
                            automatic: false,
                            review_at,
                        };
                        if sensitive {
                            TraceEvent::CustomerSensitiveSet(s)
                        } else {
                            TraceEvent::CustomerSensitiveCleared(s)
                        }
                    },
                }],
            )
            .await?;
        commit(tx).await
    }
}
