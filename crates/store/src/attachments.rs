//! Attachment rows: which order a stored file belongs to, under what name and type, who
//! uploaded it and when. The bytes are in the attachments folder (`blob.rs`).

use crate::*;

#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: i64,
    pub order_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_at: i64,
}

/// An attachment to record.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub order_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: &'a str,
    pub uploaded_at: i64,
}

const COLS: &str =
    "id, order_id, name, content_type, size, sha256, uploaded_by, uploaded_by_name, uploaded_at";

fn attachment(r: &AnyRow) -> Result<AttachmentRow> {
    Ok(AttachmentRow {
        id: get_i64(r, "id")?,
        order_id: get_i64(r, "order_id")?,
        name: get_str(r, "name")?,
        content_type: get_str(r, "content_type")?,
        size: get_i64(r, "size")?,
        sha256: get_str(r, "sha256")?,
        uploaded_by: get_opt_i64(r, "uploaded_by")?,
        uploaded_by_name: get_str(r, "uploaded_by_name")?,
        uploaded_at: get_i64(r, "uploaded_at")?,
    })
}

impl Store {
    /// Records an attachment in the command's transaction; returns its id.
    pub async fn insert_attachment(&self, tx: &mut Tx, a: &NewAttachment<'_>) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO attachments (order_id, name, content_type, size, sha256, uploaded_by, \
             uploaded_by_name, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(a.order_id)
        .bind(a.name)
        .bind(a.content_type)
        .bind(a.size)
        .bind(a.sha256)
        .bind(a.uploaded_by)
        .bind(a.uploaded_by_name)
        .bind(a.uploaded_at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM attachments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(attachment).transpose()
    }

    /// An order's attachments, oldest first.
    pub async fn attachments_of(&self, order_id: i64) -> Result<Vec<AttachmentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM attachments WHERE order_id = $1 ORDER BY id"
        )))
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(attachment).collect()
    }
}
