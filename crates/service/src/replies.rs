//! Reply templates (canned answers): administrators add, change, disable and enable them,
//! each change one transaction with its trace event; whoever replies to an order reads the
//! templates of the order's subject with their placeholders filled in for that order
//! (`domain::reply::fill`).

use crate::delivery::require;
use crate::*;
use voltdesk_domain::SubjectArea;
use voltdesk_domain::auth::Permission;
use voltdesk_domain::reply::{FillIn, TemplateFault, fill, template_body, template_name};
use voltdesk_domain::trace::{self, FieldChange, TraceEvent};
use voltdesk_store::{ReplyTemplateFilter, ReplyTemplateRow, ReplyTemplateWrite};

/// A new template: its name, the subject it is for (`None`: any) and its body.
#[derive(Debug, Clone)]
pub struct NewReplyTemplate {
    pub name: String,
    pub subject: Option<SubjectArea>,
    pub body: String,
}

/// What changes in a template; `None` leaves a field as it is. The subject takes
/// `Some(None)` to offer the template for any subject.
#[derive(Debug, Clone, Default)]
pub struct ReplyTemplateChanges {
    pub name: Option<String>,
    pub subject: Option<Option<SubjectArea>>,
    pub body: Option<String>,
    pub active: Option<bool>,
}

/// A template as offered for one order: its body filled in for the order's customer and
/// number.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FilledTemplateView {
    pub id: i64,
    pub name: String,
    /// The subject it is for; absent (`null`): any subject.
    pub subject: Option<SubjectArea>,
    /// The body with `{客户姓名}` / `{customer_name}` and `{工单号}` / `{order_no}` filled in.
    pub body: String,
}

impl From<TemplateFault> for ServiceError {
    fn from(f: TemplateFault) -> Self {
        ServiceError::invalid(f.field(), f.to_string())
    }
}

/// Templates in the order a person picks from: those of a subject before those for any,
/// then by name.
fn sorted(mut rows: Vec<ReplyTemplateRow>) -> Vec<ReplyTemplateRow> {
    rows.sort_by(|a, b| {
        (a.subject.is_none(), &a.name, a.id).cmp(&(b.subject.is_none(), &b.name, b.id))
    });
    rows
}

fn code(s: Option<SubjectArea>) -> Option<String> {
    s.map(|s| s.code().to_string())
}

impl Service {
    /// The templates a filter holds, a subject's own first, then by name.
    pub async fn reply_templates(&self, f: &ReplyTemplateFilter) -> Result<Vec<ReplyTemplateView>> {
        let rows = self.store.reply_templates(f).await?;
        Ok(sorted(rows).into_iter().map(Into::into).collect())
    }

    pub async fn reply_template(&self, id: i64) -> Result<ReplyTemplateView> {
        self.store
            .reply_template(id)
            .await?
            .map(Into::into)
            .ok_or(ServiceError::NotFound {
                what: "reply template",
            })
    }

    /// The active templates offered for an order (its subject's and those for any subject),
    /// filled in for its customer and number.
    pub async fn order_reply_templates(&self, order_id: i64) -> Result<Vec<FilledTemplateView>> {
        let o = self
            .store
            .order(order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let customer = match o.customer_id {
            Some(c) => self.store.customer(c).await?.map(|c| c.name),
            None => None,
        };
        let number = order_no(&o);
        let rows = self
            .store
            .reply_templates(&ReplyTemplateFilter {
                subject: o.subject,
                active: Some(true),
            })
            .await?;
        // An order without a subject gets the templates for any subject only.
        let rows = rows
            .into_iter()
            .filter(|t| t.subject.is_none() || t.subject == o.subject);
        Ok(sorted(rows.collect())
            .into_iter()
            .map(|t| FilledTemplateView {
                body: fill(
                    &t.body,
                    FillIn {
                        customer_name: customer.as_deref(),
                        order_no: &number,
                    },
                ),
                id: t.id,
                name: t.name,
                subject: t.subject,
            })
            .collect())
    }

    /// Adds a template (active), traced with its words.
    pub async fn create_reply_template(
        &self,
        by: &Actor,
        t: NewReplyTemplate,
    ) -> Result<ReplyTemplateView> {
        require(by, Permission::ReplyTemplateWrite)?;
        let name = template_name(&t.name)?;
        let body = template_body(&t.body)?;
        let mut tx = self.store.begin().await?;
        let id = self
            .store
            .insert_reply_template(
                &mut tx,
                &ReplyTemplateWrite {
                    name,
                    subject: t.subject,
                    body: &body,
                    active: true,
                    updated_by: by.user_id,
                    updated_by_name: &by.name,
                    updated_at: self.now(),
                },
            )
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::ReplyTemplateCreated(trace::ReplyTemplateCreated {
                template_id: id,
                name: name.to_string(),
                subject: t.subject,
                body: body.clone(),
            }),
        )
        .await?;
        commit(tx).await?;
        self.reply_template(id).await
    }

    /// Changes a template: every field checked first, then the row and its trace events in
    /// one transaction — `reply_template.updated` naming each word field old → new,
    /// `reply_template.disabled` or `.enabled` for the switch. A change that changes nothing
    /// writes nothing.
    pub async fn update_reply_template(
        &self,
        by: &Actor,
        id: i64,
        c: ReplyTemplateChanges,
    ) -> Result<ReplyTemplateView> {
        require(by, Permission::ReplyTemplateWrite)?;
        let name = c.name.as_deref().map(template_name).transpose()?;
        let body = c.body.as_deref().map(template_body).transpose()?;
        let mut tx = self.store.begin().await?;
        let old = self
            .store
            .reply_template_for_update(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound {
                what: "reply template",
            })?;
        let name = name.unwrap_or(&old.name).to_string();
        let body = body.unwrap_or_else(|| old.body.clone());
        let subject = c.subject.unwrap_or(old.subject);
        let active = c.active.unwrap_or(old.active);
        let mut changes = Vec::new();
        let mut change = |field: &str, old: Option<String>, new: Option<String>| {
            if old != new {
                changes.push(FieldChange {
                    field: field.into(),
                    old,
                    new,
                });
            }
        };
        change("name", Some(old.name.clone()), Some(name.clone()));
        change("subject", code(old.subject), code(subject));
        change("body", Some(old.body.clone()), Some(body.clone()));
        if changes.is_empty() && active == old.active {
            return Ok(old.into());
        }
        self.store
            .update_reply_template(
                &mut tx,
                id,
                &ReplyTemplateWrite {
                    name: &name,
                    subject,
                    body: &body,
                    active,
                    updated_by: by.user_id,
                    updated_by_name: &by.name,
                    updated_at: self.now(),
                },
            )
            .await?;
        if !changes.is_empty() {
            self.trace_admin(
                &mut tx,
                by,
                TraceEvent::ReplyTemplateUpdated(trace::ReplyTemplateUpdated {
                    template_id: id,
                    name: name.clone(),
                    changes,
                }),
            )
            .await?;
        }
        if active != old.active {
            let r = trace::ReplyTemplateRef {
                template_id: id,
                name: name.clone(),
            };
            let event = if active {
                TraceEvent::ReplyTemplateEnabled(r)
            } else {
                TraceEvent::ReplyTemplateDisabled(r)
            };
            self.trace_admin(&mut tx, by, event).await?;
        }
        commit(tx).await?;
        self.reply_template(id).await
    }

    /// Disables (no longer offered) or enables a template.
    pub async fn set_reply_template_active(
        &self,
        by: &Actor,
        id: i64,
        active: bool,
    ) -> Result<ReplyTemplateView> {
        self.update_reply_template(
            by,
            id,
            ReplyTemplateChanges {
                active: Some(active),
                ..Default::default()
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, subject: Option<SubjectArea>) -> ReplyTemplateRow {
        ReplyTemplateRow {
            id,
            name: name.into(),
            subject,
            body: String::new(),
            active: true,
            updated_by: None,
            updated_by_name: String::new(),
            updated_at: 0,
        }
    }

    #[test]
    fn a_subjects_own_templates_come_first_then_by_name() {
        let rows = vec![
            row(1, "通用致谢", None),
            row(2, "停电致歉", Some(SubjectArea::Outage)),
            row(3, "抢修进度", Some(SubjectArea::Outage)),
            row(4, "初步答复", None),
        ];
        let names: Vec<String> = sorted(rows).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["停电致歉", "抢修进度", "初步答复", "通用致谢"]);
    }
}
