//! Attachments and internal notes on work orders. An upload is the file's raw bytes as the
//! body, its name in `?name=`; the type is sniffed from the bytes (the declared
//! `Content-Type` is not trusted, and under a cookie session a form type is refused by the
//! CSRF check, so pages send `application/octet-stream`). A download carries the stored
//! type, the name (RFC 5987), `nosniff`, and a sandboxing CSP for anything not an image.

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, J, Path, Q};
use crate::routes::Access::Needs;
use crate::routes::{ApiRoute, get, post};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voltdesk_domain::attachment::{AttachmentFault, ContentType};
use voltdesk_domain::auth::Permission::*;
use voltdesk_service::{AttachmentView, Service, TraceView};

type S = State<Service>;

/// What a browser may do with a document it opens from here that is not an image: nothing
/// (no script, no form, no plugin, its own origin).
pub const SANDBOX_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

pub fn routes() -> Vec<ApiRoute> {
    vec![
        post(
            "/api/v1/work-orders/{id}/attachments",
            Needs(OrderWork),
            "attachments",
            "Attach a file to the order: the raw bytes as the body, the file name in ?name= (kept as a plain line of at most 200 characters). The type is sniffed from the bytes: JPEG, PNG, GIF, WebP, PDF or UTF-8 plain text, else 415 unsupported_attachment; larger than the server's limit (10 MB unless --attachment-limit-mb) is 413 payload_too_large",
            upload,
        )
        .binary()
        .unlimited_body(),
        get(
            "/api/v1/work-orders/{id}/attachments",
            Needs(OrderRead),
            "attachments",
            "The order's attachments, oldest first",
            list,
        ),
        get(
            "/api/v1/attachments/{id}",
            Needs(OrderRead),
            "attachments",
            "An attachment's bytes, checked against its SHA-256 (a damaged file is 500 attachment_corrupt); images and PDF inline, others as a download",
            download,
        )
        .replies_binary(),
        post(
            "/api/v1/work-orders/{id}/notes",
            Needs(OrderWork),
            "work orders",
            "Write an internal note on the order (text, at most 2000 characters): shown to staff in the order's timeline, never sent to the customer",
            note,
        ),
    ]
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UploadQ {
    /// The file's name as the uploader had it.
    name: String,
}

pub async fn upload(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    Q(q): Q<UploadQ>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let id = crate::api::order_id(&id)?;
    let limit = svc.attachment_limit();
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            AttachmentFault::TooLarge { limit }.to_string(),
        )
    };
    // Counted as it arrives. A body over the limit is read on (and thrown away) up to as
    // much again, so that the client, still sending, reads the refusal instead of a reset
    // connection; a larger one is cut off.
    let mut bytes = Vec::new();
    let mut over = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                "the body could not be read",
            )
            .field("body")
        })?;
        if over > 0 || (bytes.len() + chunk.len()) as u64 > limit {
            over += chunk.len() as u64;
            bytes = Vec::new();
            if over > limit {
                break;
            }
            continue;
        }
        bytes.extend_from_slice(&chunk);
    }
    if over > 0 {
        return Err(too_large());
    }
    let view = svc.attach(&p.actor, id, &q.name, bytes).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// An order's attachments.
#[derive(Serialize, ToSchema)]
pub struct Attachments {
    items: Vec<AttachmentView>,
}

pub async fn list(State(svc): S, Path(id): Path<String>) -> ApiResult<Json<Attachments>> {
    let items = svc.attachments(crate::api::order_id(&id)?).await?;
    Ok(Json(Attachments { items }))
}

/// `inline` or `attachment`, with the name as a plain ASCII fallback and RFC 5987 UTF-8.
pub fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        percent_encoding::utf8_percent_encode(name, ATTR)
    )
}

pub async fn download(State(svc): S, Path(id): Path<i64>) -> ApiResult<Response> {
    let (a, bytes) = svc.attachment_bytes(id).await?;
    let kind = a.kind();
    let mime = match kind {
        Some(ContentType::Text) => "text/plain; charset=utf-8",
        Some(k) => k.mime(),
        None => "application/octet-stream",
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(
        kind.is_some_and(ContentType::inline),
        &a.name,
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if !kind.is_some_and(ContentType::is_image) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOX_CSP),
        );
    }
    Ok(res)
}

/// An internal note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// Plain text, at most 2000 characters.
    text: String,
}

pub async fn note(
    State(svc): S,
    Caller(p): Caller,
    Path(id): Path<String>,
    J(n): J<NewNote>,
) -> ApiResult<(StatusCode, Json<TraceView>)> {
    let view = svc
        .add_note(&p.actor, crate::api::order_id(&id)?, &n.text)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sent_in_both_forms() {
        assert_eq!(
            content_disposition(true, "photo 1.png"),
            "inline; filename=\"photo 1.png\"; filename*=UTF-8''photo%201.png"
        );
        assert_eq!(
            content_disposition(false, "电表\"读数\".txt"),
            "attachment; filename=\"______.txt\"; filename*=UTF-8''%E7%94%B5%E8%A1%A8%22%E8%AF%BB%E6%95%B0%22.txt"
        );
    }
}
