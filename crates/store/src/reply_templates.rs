//! Reply templates (canned answers): their name, the subject they are offered for, the body
//! with its placeholders, whether they are offered, who changed them last and when.

use crate::*;
use voltdesk_domain::SubjectArea;

#[derive(Debug, Clone)]
pub struct ReplyTemplateRow {
    pub id: i64,
    pub name: String,
    /// `None`: offered for orders of any subject.
    pub subject: Option<SubjectArea>,
    pub body: String,
    pub active: bool,
    pub updated_by: Option<i64>,
    pub updated_by_name: String,
    pub updated_at: i64,
}

/// A template's words and who writes them.
#[derive(Debug, Clone)]
pub struct ReplyTemplateWrite<'a> {
    pub name: &'a str,
    pub subject: Option<SubjectArea>,
    pub body: &'a str,
    pub active: bool,
    pub updated_by: Option<i64>,
    pub updated_by_name: &'a str,
    pub updated_at: i64,
}

/// Which templates a list holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplyTemplateFilter {
    /// Those offered for this subject: the subject's own and those for any subject.
    pub subject: Option<SubjectArea>,
    pub active: Option<bool>,
}

const COLS: &str = "id, name, subject, body, active, updated_by, updated_by_name, updated_at";

fn template(r: &AnyRow) -> Result<ReplyTemplateRow> {
    Ok(ReplyTemplateRow {
        id: get_i64(r, "id")?,
        name: get_str(r, "name")?,
        subject: get_opt_enum(r, "subject")?,
        body: get_str(r, "body")?,
        active: get_bool(r, "active")?,
        updated_by: get_opt_i64(r, "updated_by")?,
        updated_by_name: get_str(r, "updated_by_name")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

impl Store {
    /// Records a template in the command's transaction; returns its id. A name already used
    /// is a `Conflict` on `name`.
    pub async fn insert_reply_template(
        &self,
        tx: &mut Tx,
        t: &ReplyTemplateWrite<'_>,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO reply_templates (name, subject, body, active, updated_by, updated_by_name, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(t.name)
        .bind(t.subject.map(|s| s.code()))
        .bind(t.body)
        .bind(b(t.active))
        .bind(t.updated_by)
        .bind(t.updated_by_name)
        .bind(t.updated_at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    /// Writes every field of a template.
    pub async fn update_reply_template(
        &self,
        tx: &mut Tx,
        id: i64,
        t: &ReplyTemplateWrite<'_>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE reply_templates SET name = $1, subject = $2, body = $3, active = $4, \
             updated_by = $5, updated_by_name = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(t.name)
        .bind(t.subject.map(|s| s.code()))
        .bind(t.body)
        .bind(b(t.active))
        .bind(t.updated_by)
        .bind(t.updated_by_name)
        .bind(t.updated_at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        changed_one(done.rows_affected())
    }

    /// A template read inside a transaction, locked until it ends (PostgreSQL).
    pub async fn reply_template_for_update(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<Option<ReplyTemplateRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM reply_templates WHERE id = $1{}",
            self.dialect.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        r.as_ref().map(template).transpose()
    }

    pub async fn reply_template(&self, id: i64) -> Result<Option<ReplyTemplateRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM reply_templates WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(template).transpose()
    }

    /// The templates a filter holds, by id.
    pub async fn reply_templates(&self, f: &ReplyTemplateFilter) -> Result<Vec<ReplyTemplateRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM reply_templates \
             WHERE ($1 IS NULL OR subject IS NULL OR subject = $1) AND ($2 IS NULL OR active = $2) \
             ORDER BY id"
        )))
        .bind(f.subject.map(|s| s.code()))
        .bind(f.active.map(b))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(template).collect()
    }
}
