//! Cross-site request forgery: a request that changes state under a cookie session must come
//! from this server's own pages. Browsers say where a request comes from: `Sec-Fetch-Site`
//! (every current browser) and `Origin` (older ones, on every POST). A request that carries
//! neither is not from a browser that could be tricked (a script with its own cookie jar), and
//! passes. Requests with a bearer token carry no ambient credential and are not checked.

use axum::http::{HeaderMap, Method, header};

/// GET, HEAD and OPTIONS change nothing; everything else may.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The browser says the request was started by a page of another origin (another site, or
/// another port or scheme of this host, which `Sec-Fetch-Site` calls `same-site`).
pub fn from_elsewhere(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if origin == "null" {
        return true;
    }
    let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or(origin);
    let host = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    // Behind a proxy the Host header may be the proxy's upstream name; the proxy forwards the
    // name the browser used.
    ![host("host"), host("x-forwarded-host")]
        .into_iter()
        .flatten()
        .any(|h| h.eq_ignore_ascii_case(authority))
}

/// The content types a plain HTML form on another site can send without the browser asking
/// first (CORS "simple" requests). The JSON API refuses them under a cookie session.
pub fn form_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    matches!(
        essence,
        "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
    )
}

/// A JSON body must say it is one.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(!from_elsewhere(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(!from_elsewhere(&headers(&[("sec-fetch-site", "none")])));
        assert!(from_elsewhere(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(from_elsewhere(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
    }

    #[test]
    fn origin_must_name_this_host() {
        let here = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ];
        assert!(!from_elsewhere(&headers(&here)));
        let other_port = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:9090"),
        ];
        assert!(from_elsewhere(&headers(&other_port)));
        assert!(from_elsewhere(&headers(&[
            ("host", "a"),
            ("origin", "null")
        ])));
        assert!(!from_elsewhere(&headers(&[("host", "a")])), "no browser");
    }

    #[test]
    fn simple_form_types_are_told_apart_from_json() {
        let plain = headers(&[("content-type", "text/plain;charset=UTF-8")]);
        assert!(form_content_type(&plain) && !is_json(&plain));
        let json = headers(&[("content-type", "application/json; charset=utf-8")]);
        assert!(!form_content_type(&json) && is_json(&json));
        assert!(!form_content_type(&headers(&[(
            "content-type",
            "text/csv"
        )])));
    }
}
