//! The orders list: every order the viewer may see, found by number, phrase, status, type,
//! channel, grid, acceptance dates and overdue; sorted by a whitelisted column; paged. The
//! filters live in the query string, so a view can be bookmarked, and the export link
//! carries the same filters to the API's CSV export.

use super::*;
use crate::api::{OrderQ, order_filter};
use axum::extract::{Query, RawQuery};
use axum::http::Uri;
use voltdesk_domain::{Channel, OrderStatus, OrderType};
use voltdesk_service::OrderView;
use voltdesk_store::GridRow;

pub const PAGES: &[Route] = &[p(
    "GET",
    "/orders",
    Needs(OrderRead),
    "Orders list and search",
)];

pub fn router() -> Router<Service> {
    Router::new().route("/orders", get(list))
}

/// The filters the list understands (the API's list parameters); anything else in the
/// query string (a message after a redirect) is not a filter.
pub(super) const FILTERS: &[&str] = &[
    "number", "q", "status", "type", "channel", "grid_id", "from", "to", "overdue", "sort",
    "order", "per_page", "page",
];
const PER_PAGE: &[i64] = &[20, 50, 100];

/// A sortable column: its `sort` value and its heading.
pub struct Column {
    pub sort: &'static str,
    pub key: &'static str,
    /// The link that sorts by it (the other way when it is the current sort).
    pub href: String,
    /// `asc` or `desc` when the list is sorted by it.
    pub current: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "order_list.html")]
struct ListPage {
    c: Chrome,
    f: std::collections::BTreeMap<String, String>,
    orders: Vec<OrderView>,
    total: i64,
    /// False when `total` is the cap and more orders match.
    total_exact: bool,
    page: i64,
    pages: i64,
    per_page: i64,
    per_pages: &'static [i64],
    prev: Option<String>,
    next: Option<String>,
    columns: Vec<Column>,
    statuses: &'static [OrderStatus],
    types: &'static [OrderType],
    channels: &'static [Channel],
    grids: Vec<GridRow>,
    export: Option<String>,
    error: Option<String>,
    /// The viewer's saved filters, and the form that saves the filters shown.
    saved: super::saved_filters::SavedLinks,
}

impl ListPage {
    /// A filter's value as given, or empty.
    fn value(&self, k: &str) -> &str {
        self.given(k).unwrap_or("")
    }
    fn given(&self, k: &str) -> Option<&str> {
        self.f.get(k).map(String::as_str)
    }
}

fn query_of(f: &std::collections::BTreeMap<String, String>, skip: &[&str]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in f {
        if !skip.contains(&k.as_str()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

pub async fn list(
    State(svc): State<Service>,
    v: Viewer,
    RawQuery(raw): RawQuery,
    Query(flash): Query<Flash>,
) -> PageResult {
    list_page(&svc, &v, raw, &flash, None).await
}

/// The list for a query string; `save_refused` is a save of its filters that was refused
/// (the name typed and the error beside it), drawn as a 422.
pub(super) async fn list_page(
    svc: &Service,
    v: &Viewer,
    raw: Option<String>,
    flash: &Flash,
    save_refused: Option<(String, String)>,
) -> PageResult {
    let mut f = std::collections::BTreeMap::new();
    for (k, val) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let val = val.trim();
        if FILTERS.contains(&k.as_ref()) && !val.is_empty() {
            f.insert(k.into_owned(), val.to_string());
        }
    }
    // Out-of-range page numbers land on the nearest page, not on an error.
    let want_page = f
        .remove("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let per_page = f
        .get("per_page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| PER_PAGE.contains(p))
        .unwrap_or(PER_PAGE[0]);
    f.remove("per_page");
    if per_page != PER_PAGE[0] {
        f.insert("per_page".into(), per_page.to_string());
    }
    let grids_of_me: Vec<i64> = match (v.role(), v.principal.actor.user_id) {
        (Role::GridManager, Some(me)) => svc
            .grids(None)
            .await?
            .into_iter()
            .filter(|g| g.manager_id == Some(me))
            .map(|g| g.id)
            .collect(),
        _ => Vec::new(),
    };
    let grids: Vec<GridRow> = svc
        .grids(None)
        .await?
        .into_iter()
        .filter(|g| grids_of_me.is_empty() || grids_of_me.contains(&g.id))
        .collect();
    let filter = |page: i64| {
        let q = format!(
            "/orders?{}&page={page}&per_page={per_page}",
            query_of(&f, &["per_page"])
        );
        let uri: Uri = q.parse().map_err(|_| None)?;
        Query::<OrderQ>::try_from_uri(&uri)
            .map(|q| q.0)
            .map_err(|_| None)
    };
    // The field a refusal names, in words (the API's message is for developers).
    let refused = |field: Option<String>| {
        let key = match field.as_deref() {
            Some("number") => "list.number",
            Some("q") => "list.phrase",
            Some("from") => "from",
            Some("to") => "to",
            _ => "filter",
        };
        format!("{}：{}", v.tr.t("list.bad"), v.tr.t(key))
    };
    let mut error = None;
    let (mut orders, mut total, mut page) = (Vec::new(), 0, want_page);
    let mut total_exact = true;
    match filter(want_page) {
        Ok(q) => match order_filter(svc, q, 100).await {
            Ok(mut of) => {
                // A grid manager works the orders of the grids they manage.
                if !grids_of_me.is_empty() && of.grid_id.is_none() {
                    of.grid_ids = grids_of_me.clone();
                }
                // Totals past the cap read "more than": counting millions costs a scan.
                of.count_cap = Some(crate::api::list_count_cap(&of));
                (orders, total) = svc.orders(&of).await?;
                let last = ((total + per_page - 1) / per_page).max(1);
                if page > last {
                    page = last;
                    of.offset = (page - 1) * per_page;
                    (orders, total) = svc.orders(&of).await?;
                }
                (total, total_exact) = crate::api::shown_total(&of, total);
            }
            Err(e) => error = Some(refused(e.field)),
        },
        Err(field) => error = Some(refused(field)),
    }
    let pages = ((total + per_page - 1) / per_page).max(1);
    let base = query_of(&f, &[]);
    let at = |p: i64| {
        format!(
            "/orders?{base}{}page={p}",
            if base.is_empty() { "" } else { "&" }
        )
    };
    let (sort, dir) = (
        f.get("sort").map(String::as_str).unwrap_or("created_at"),
        f.get("order").map(String::as_str),
    );
    let columns = [
        ("created_at", "created"),
        ("due_at", "due"),
        ("status", "status"),
        ("type", "order_type"),
    ]
    .into_iter()
    .map(|(s, key)| {
        let shown = if s == "due_at" { "asc" } else { "desc" };
        let current = (s == sort).then_some(match dir {
            Some("asc") => "asc",
            Some("desc") => "desc",
            _ => shown,
        });
        let mut g = f.clone();
        g.insert("sort".into(), s.into());
        g.insert(
            "order".into(),
            match current {
                Some("desc") => "asc",
                Some(_) => "desc",
                None => shown,
            }
            .into(),
        );
        Column {
            sort: s,
            key,
            href: format!("/orders?{}", query_of(&g, &[])),
            current,
        }
    })
    .collect();
    let saved = super::saved_filters::links(svc, v, &query_of(&f, &[]), save_refused).await?;
    let status = if saved.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        c: v.chrome("/orders", flash),
        export: v.may(Export).then(|| query_of(&f, &["per_page"])),
        prev: (page > 1).then(|| at(page - 1)),
        next: (page < pages).then(|| at(page + 1)),
        statuses: OrderStatus::ALL,
        types: OrderType::ALL,
        channels: Channel::ALL,
        per_pages: PER_PAGE,
        f,
        orders,
        total,
        total_exact,
        page,
        pages,
        per_page,
        columns,
        grids,
        error,
        saved,
    };
    Ok((status, Html(page.render()?)).into_response())
}
