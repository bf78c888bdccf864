//! Extractors: who is calling, and JSON bodies and query strings parsed with the failing
//! field named.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use voltdesk_service::Principal;

pub const SESSION_COOKIE: &str = "vd_session";

/// The authenticated caller, put in the request extensions by the auth layer.
#[derive(Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The client's address, when the server was started with connection info (`serve`).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<crate::tls::TlsPeer>>()
                    .map(|c| c.0.0.ip())
            });
        let behind_proxy = parts
            .extensions
            .get::<crate::WebOptions>()
            .is_some_and(|o| o.behind_proxy);
        if behind_proxy && let Some(ip) = forwarded_for(&parts.headers) {
            return Ok(ClientAddr(Some(ip)));
        }
        Ok(ClientAddr(peer))
    }
}

/// The address the proxy in front saw: the last entry of the last `X-Forwarded-For` header
/// (entries before it are the client's own claims and can be forged).
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The bearer token or session cookie of a request.
pub fn credentials(parts: &axum::http::HeaderMap) -> Option<(bool, String)> {
    if let Some(v) = parts
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some((true, t.trim().to_string()));
    }
    let cookies = parts.get_all(axum::http::header::COOKIE);
    for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in c.split(';') {
            if let Some(v) = pair
                .trim()
                .strip_prefix(SESSION_COOKIE)
                .and_then(|r| r.strip_prefix('='))
            {
                return Some((false, v.to_string()));
            }
        }
    }
    None
}

/// Put in the request extensions when a state-changing call rides on a session cookie: its
/// JSON body must then say `application/json`, which a cross-site form cannot send.
#[derive(Clone, Copy)]
pub struct CookieSession;

/// A JSON body; a bad one is a 400 naming the path of the field that failed.
pub struct J<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for J<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if req.extensions().get::<CookieSession>().is_some() && !crate::csrf::is_json(req.headers())
        {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the request body is too large",
                    )
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text())
                }
            })?;
        parse_json(&bytes).map(J)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", inner.to_string());
        if path != "." {
            err = err.field(path);
        } else if let Some(f) = missing_field(&inner.to_string()) {
            err = err.field(f);
        }
        err
    })
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg
        .split("missing field `")
        .nth(1)
        .or_else(|| msg.split("unknown field `").nth(1))?;
    Some(rest.split('`').next()?.to_string())
}

/// A query string; a bad parameter is a 400 naming it.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(Q).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", msg.clone());
            if path != "." {
                err = err.field(path);
            } else if let Some(f) = missing_field(&msg) {
                err = err.field(f);
            }
            err
        })
    }
}

/// A path parameter; one that does not parse (a word where an id goes) names no record, so
/// it answers the JSON `not_found` error instead of axum's plain-text rejection.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => {
                tracing::debug!(error = %e, "path parameter did not parse");
                Err(ApiError::not_found("record"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn the_proxy_appends_the_address_it_saw() {
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_for(&h), None);
        // The client claims 1.2.3.4; the proxy saw 10.0.0.7.
        h.append("x-forwarded-for", "1.2.3.4, 10.0.0.7".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("10.0.0.7".parse().unwrap()));
        h.append("x-forwarded-for", " 2001:db8::1 ".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("2001:db8::1".parse().unwrap()));
        h.append("x-forwarded-for", "not-an-address".parse().unwrap());
        assert_eq!(forwarded_for(&h), None);
    }
}
