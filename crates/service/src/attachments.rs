//! Attachments and internal notes on work orders. An upload is judged by the domain (size,
//! sniffed type, name), written durably to the attachments folder, and only then recorded:
//! the row and its `order.attached` trace event commit together. A note is an
//! `order.noted` trace event and nothing else: no outbox notice, nothing for the customer.

use crate::orders::trace;
use crate::*;
use serde::Serialize;
use std::path::PathBuf;
use utoipa::ToSchema;
use voltdesk_domain::attachment::{self, AttachmentFault, ContentType};
use voltdesk_domain::trace::{self as tr, TraceEvent, TraceKind};
use voltdesk_store::{AttachmentRow, BlobError, BlobStore, NewAttachment};

/// Where attachments are kept and how large one may be.
#[derive(Debug, Clone)]
pub struct AttachmentSettings {
    pub blobs: BlobStore,
    pub max_bytes: u64,
}

/// An attachment as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub order_id: i64,
    /// The sanitised file name.
    pub name: String,
    /// Sniffed from the bytes: image/jpeg, image/png, image/gif, image/webp,
    /// application/pdf or text/plain.
    pub content_type: String,
    pub size: i64,
    /// Lowercase hex SHA-256 of the bytes, checked on every download.
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_at: Millis,
    /// Where the bytes are served.
    pub url: String,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(r: AttachmentRow) -> Self {
        AttachmentView {
            url: format!("/api/v1/attachments/{}", r.id),
            id: r.id,
            order_id: r.order_id,
            name: r.name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            uploaded_by_name: r.uploaded_by_name,
            uploaded_at: r.uploaded_at,
        }
    }
}

impl AttachmentView {
    pub fn kind(&self) -> Option<ContentType> {
        ContentType::parse(&self.content_type)
    }
    pub fn is_image(&self) -> bool {
        self.kind().is_some_and(ContentType::is_image)
    }
}

impl From<AttachmentFault> for ServiceError {
    fn from(e: AttachmentFault) -> Self {
        ServiceError::Attachment(e)
    }
}

impl Service {
    /// Keeps attachments in `dir`, each at most `max_bytes`.
    pub fn set_attachments(&self, dir: impl Into<PathBuf>, max_bytes: u64) {
        *self.attachments.write().expect("attachment settings lock") = Some(AttachmentSettings {
            blobs: BlobStore::new(dir),
            max_bytes,
        });
    }

    /// The attachment folder and limit, when attachments are set up.
    pub fn attachment_settings(&self) -> Option<AttachmentSettings> {
        self.attachments
            .read()
            .expect("attachment settings lock")
            .clone()
    }

    fn settings(&self) -> Result<AttachmentSettings> {
        self.attachment_settings().ok_or(ServiceError::Unavailable {
            what: "attachments",
        })
    }

    /// The largest attachment accepted, in bytes.
    pub fn attachment_limit(&self) -> u64 {
        self.attachment_settings()
            .map_or(attachment::DEFAULT_MAX_BYTES, |s| s.max_bytes)
    }

    /// Stores a file on an order: the file first (durably), then its row and trace event.
    pub async fn attach(
        &self,
        by: &Actor,
        order_id: i64,
        sent_name: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentView> {
        let settings = self.settings()?;
        self.store
            .order(order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let (name, kind) = attachment::accept(sent_name, &bytes, settings.max_bytes)?;
        let size = bytes.len() as i64;
        let sha256 = settings.blobs.put(bytes.into()).await.map_err(blob_error)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let o = self
            .store
            .order_in(&mut tx, order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let id = self
            .store
            .insert_attachment(
                &mut tx,
                &NewAttachment {
                    order_id,
                    name: &name,
                    content_type: kind.mime(),
                    size,
                    sha256: &sha256,
                    uploaded_by: by.user_id,
                    uploaded_by_name: &by.name,
                    uploaded_at: now,
                },
            )
            .await?;
        let event = TraceEvent::OrderAttached(tr::AttachmentAdded {
            attachment_id: id,
            name: name.clone(),
            content_type: kind.mime().to_string(),
            size,
            sha256: sha256.clone(),
        });
        self.store
            .insert_traces(&mut tx, &[trace(&o, by, now, event)])
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::OrderAttached,
            order_id: Some(o.id),
            customer_id: o.customer_id,
            station_id: Some(o.station_id),
            at: now,
        });
        self.attachment(id).await
    }

    /// An order's attachments, oldest first.
    pub async fn attachments(&self, order_id: i64) -> Result<Vec<AttachmentView>> {
        self.store
            .order(order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        Ok(self
            .store
            .attachments_of(order_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn attachment(&self, id: i64) -> Result<AttachmentView> {
        Ok(self
            .store
            .attachment(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "attachment" })?
            .into())
    }

    /// An attachment with its bytes, checked against the stored checksum.
    pub async fn attachment_bytes(&self, id: i64) -> Result<(AttachmentView, Vec<u8>)> {
        let settings = self.settings()?;
        let a = self.attachment(id).await?;
        let bytes = settings.blobs.get(&a.sha256).await.map_err(|e| {
            tracing::error!(attachment = id, error = %e, "attachment file unreadable");
            blob_error(e)
        })?;
        Ok((a, bytes))
    }

    /// Writes an internal note on an order: a trace event for staff, nothing for the customer.
    pub async fn add_note(&self, by: &Actor, order_id: i64, text: &str) -> Result<TraceView> {
        let text = attachment::note_text(text)
            .map_err(|e| ServiceError::invalid("text", e.to_string()))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let o = self
            .store
            .order_in(&mut tx, order_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "work order" })?;
        let event = TraceEvent::OrderNoted(tr::NoteAdded {
            text: text.to_string(),
        });
        self.store
            .insert_traces(&mut tx, &[trace(&o, by, now, event)])
            .await?;
        commit(tx).await?;
        self.publish(Committed {
            kind: TraceKind::OrderNoted,
            order_id: Some(o.id),
            customer_id: o.customer_id,
            station_id: Some(o.station_id),
            at: now,
        });
        let note = self
            .store
            .order_trace(order_id)
            .await?
            .into_iter()
            .rev()
            .find(|t| t.kind == TraceKind::OrderNoted.code())
            .ok_or(ServiceError::NotFound { what: "note" })?;
        Ok(note.into())
    }
}

fn blob_error(e: BlobError) -> ServiceError {
    match e {
        BlobError::Missing(_) | BlobError::Mismatch(_) => {
            ServiceError::Corrupt { what: "attachment" }
        }
        BlobError::Io(io) => {
            tracing::error!(error = %io, "attachment folder");
            ServiceError::Unavailable {
                what: "the attachment folder",
            }
        }
    }
}
