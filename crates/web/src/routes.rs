//! The route table. Each resource module declares its routes once, beside its handlers
//! (`api::routes`, `api_outages::routes`, `api_quality::routes`): method, path, what the
//! caller needs, summary and handler. The router, the auth layer, the role test and the
//! OpenAPI document are all built from that one list; the documented request and response
//! bodies come from the handler's own argument and return types. A route missing here is
//! refused (fail closed).

use crate::error::ApiError;
use crate::extract::Path;
use crate::extract::{Caller, J, Q};
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use std::sync::LazyLock;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use voltdesk_domain::auth::Permission;
use voltdesk_service::Service;

#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    SignedIn,
    Needs(Permission),
}

/// What the auth layer, the docs and the role test know of a route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub tag: &'static str,
    pub summary: &'static str,
}

/// Named schemas a body refers to, for the document's components.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// A documented body.
#[derive(Clone, Copy)]
pub enum Body {
    /// JSON of a Rust type: its schema, registering the components it refers to.
    Json(fn(&mut Schemas) -> RefOr<Schema>),
    /// CSV text (UTF-8 or GBK).
    Csv,
    Html,
    /// A file's raw bytes.
    Binary,
}

fn json_of<T: ToSchema>(out: &mut Schemas) -> RefOr<Schema> {
    T::schemas(out);
    T::schema()
}

/// The body of a successful response: the status it is documented under and the body.
#[derive(Clone, Copy)]
pub struct Reply {
    pub status: &'static str,
    pub body: Option<Body>,
}

/// A route with how it is documented.
#[derive(Clone, Copy)]
pub struct Entry {
    pub route: Route,
    pub request: Option<Body>,
    pub reply: Option<Reply>,
}

/// A route as a resource module declares it: the entry and the handler that serves it.
pub struct ApiRoute {
    pub entry: Entry,
    pub handler: MethodRouter<Service>,
}

impl ApiRoute {
    /// The largest request body this route accepts.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }

    /// No body limit of the router's own: the handler counts the bytes against its limit.
    pub fn unlimited_body(mut self) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::disable());
        self
    }

    /// The body is a file's raw bytes.
    pub fn binary(mut self) -> Self {
        self.entry.request = Some(Body::Binary);
        self
    }

    /// The successful response is a file's bytes.
    pub fn replies_binary(mut self) -> Self {
        self.entry.reply = Some(Reply {
            status: "200",
            body: Some(Body::Binary),
        });
        self
    }

    /// The body is CSV text (a handler that takes the raw bytes).
    pub fn csv(mut self) -> Self {
        self.entry.request = Some(Body::Csv);
        self
    }

    /// The body is JSON of `T` that may be left out (a handler that takes the raw bytes).
    pub fn optional_body<T: ToSchema>(mut self) -> Self {
        self.entry.request = Some(Body::Json(json_of::<T>));
        self
    }

    /// The successful response of a handler that builds its own `Response`.
    pub fn replies<T: ToSchema>(mut self, status: &'static str) -> Self {
        self.entry.reply = Some(Reply {
            status,
            body: Some(Body::Json(json_of::<T>)),
        });
        self
    }

    /// The successful response is CSV text.
    pub fn replies_csv(mut self) -> Self {
        self.entry.reply = Some(Reply {
            status: "200",
            body: Some(Body::Csv),
        });
        self
    }
}

fn declare<H, T, M>(
    method: &'static str,
    filter: MethodFilter,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
    handler: H,
) -> ApiRoute
where
    H: Handler<T, Service> + Documented<M>,
    T: 'static,
{
    ApiRoute {
        entry: Entry {
            route: Route {
                method,
                path,
                access,
                tag,
                summary,
            },
            request: H::request(),
            reply: H::reply(),
        },
        handler: on(filter, handler),
    }
}

macro_rules! verb {
    ($name:ident, $method:literal, $filter:ident) => {
        #[doc = concat!("A `", $method, "` route.")]
        pub fn $name<H, T, M>(
            path: &'static str,
            access: Access,
            tag: &'static str,
            summary: &'static str,
            handler: H,
        ) -> ApiRoute
        where
            H: Handler<T, Service> + Documented<M>,
            T: 'static,
        {
            declare(
                $method,
                MethodFilter::$filter,
                path,
                access,
                tag,
                summary,
                handler,
            )
        }
    };
}

verb!(get, "GET", GET);
verb!(post, "POST", POST);
verb!(put, "PUT", PUT);
verb!(patch, "PATCH", PATCH);
verb!(delete, "DELETE", DELETE);

// ---- what a handler's types say about its bodies ----

/// An argument of a handler: the JSON body extractor documents the request body.
pub trait DocArg {
    fn request() -> Option<Body> {
        None
    }
}

impl<T: ToSchema> DocArg for J<T> {
    fn request() -> Option<Body> {
        Some(Body::Json(json_of::<T>))
    }
}
impl DocArg for State<Service> {}
impl DocArg for Caller {}
impl DocArg for HeaderMap {}
impl<T> DocArg for axum::Extension<T> {}
impl DocArg for axum::body::Bytes {}
impl DocArg for axum::body::Body {}
impl<T> DocArg for Path<T> {}
impl<T> DocArg for Q<T> {}
impl DocArg for crate::extract::ClientAddr {}

/// What a handler returns: the successful response it documents.
pub trait DocReply {
    fn reply() -> Option<Reply>;
}

fn json_reply<T: ToSchema>(status: &'static str) -> Option<Reply> {
    Some(Reply {
        status,
        body: Some(Body::Json(json_of::<T>)),
    })
}

impl<T: ToSchema> DocReply for Json<T> {
    fn reply() -> Option<Reply> {
        json_reply::<T>("200")
    }
}
/// A status chosen at run time (201 created, or 200 for a replay).
impl<T: ToSchema> DocReply for (StatusCode, Json<T>) {
    fn reply() -> Option<Reply> {
        json_reply::<T>("2XX")
    }
}
impl<T: ToSchema> DocReply for (StatusCode, HeaderMap, Json<T>) {
    fn reply() -> Option<Reply> {
        json_reply::<T>("2XX")
    }
}
impl<T: ToSchema> DocReply for (HeaderMap, Json<T>) {
    fn reply() -> Option<Reply> {
        json_reply::<T>("200")
    }
}
impl DocReply for StatusCode {
    fn reply() -> Option<Reply> {
        Some(Reply {
            status: "204",
            body: None,
        })
    }
}
impl DocReply for (HeaderMap, StatusCode) {
    fn reply() -> Option<Reply> {
        StatusCode::reply()
    }
}
impl DocReply for Html<String> {
    fn reply() -> Option<Reply> {
        Some(Reply {
            status: "200",
            body: Some(Body::Html),
        })
    }
}
/// A handler that builds its own response says what it is with [`ApiRoute::replies`].
impl DocReply for Response {
    fn reply() -> Option<Reply> {
        None
    }
}
impl<R: DocReply> DocReply for Result<R, ApiError> {
    fn reply() -> Option<Reply> {
        R::reply()
    }
}

/// A handler function, documented by its argument and return types.
pub trait Documented<M> {
    fn request() -> Option<Body>;
    fn reply() -> Option<Reply>;
}

macro_rules! documented {
    ($($a:ident),*) => {
        impl<F, Fut, R, $($a,)*> Documented<($($a,)* R,)> for F
        where
            F: FnOnce($($a),*) -> Fut,
            Fut: std::future::Future<Output = R>,
            R: DocReply,
            $($a: DocArg,)*
        {
            fn request() -> Option<Body> {
                None$(.or($a::request()))*
            }
            fn reply() -> Option<Reply> {
                R::reply()
            }
        }
    };
}

documented!();
documented!(A1);
documented!(A1, A2);
documented!(A1, A2, A3);
documented!(A1, A2, A3, A4);
documented!(A1, A2, A3, A4, A5);
documented!(A1, A2, A3, A4, A5, A6);

// ---- the table ----

/// Every API route with its handler, in table order: the core's and the feature modules'.
pub fn api_routes() -> Vec<ApiRoute> {
    let mut all = crate::api::routes();
    all.extend(crate::api_imports::routes());
    all.extend(crate::api_outages::routes());
    all.extend(crate::api_quality::routes());
    all.extend(crate::api_notify::routes());
    all.extend(crate::api_users::routes());
    all.extend(crate::api_attachments::routes());
    all.extend(crate::api_reply_templates::routes());
    all.extend(crate::api_saved_filters::routes());
    all.extend(crate::api_calls::routes());
    all
}

static TABLE: LazyLock<Vec<Entry>> =
    LazyLock::new(|| api_routes().into_iter().map(|r| r.entry).collect());

/// Every API route with how it is documented.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    TABLE.iter()
}

/// Every API route, in table order.
pub fn all() -> impl Iterator<Item = &'static Route> {
    entries().map(|e| &e.route)
}

pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    all().find(|r| r.method == method && r.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once_under_the_api() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert!(!r.summary.is_empty(), "{} {}", r.method, r.path);
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn every_route_documents_its_reply() {
        for e in entries() {
            assert!(
                e.reply.is_some(),
                "{} {} documents no response",
                e.route.method,
                e.route.path
            );
        }
    }
}
