//! Saved filters on the orders list: the viewer's saved filters as links above the list
//! (one click applies one), each with a delete button, and a form that saves the filters
//! shown under a name. A refused save draws the list again with the name kept and the error
//! beside it.

use super::Path;
use super::*;
use serde::Deserialize;
use voltdesk_domain::saved_filter::NAME_MAX;

pub const PAGES: &[Route] = &[
    p(
        "POST",
        "/orders/filters",
        Needs(OrderRead),
        "Save the orders list's filters under a name",
    ),
    p(
        "POST",
        "/orders/filters/{id}/delete",
        Needs(OrderRead),
        "Delete a saved filter",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/orders/filters", post(save))
        .route("/orders/filters/{id}/delete", post(delete))
}

/// A saved filter as a link that applies it.
pub struct SavedLink {
    pub id: i64,
    pub name: String,
    pub href: String,
    /// The filters shown are this one's.
    pub here: bool,
}

/// The saved filters above the list and the save form's state.
pub struct SavedLinks {
    pub links: Vec<SavedLink>,
    /// The filters shown, as the save form sends them.
    pub query: String,
    /// Where a delete goes back to: the list as shown.
    pub back: String,
    /// A refused save: the name typed and the error beside it.
    pub name: String,
    pub error: Option<String>,
    pub name_max: usize,
}

/// The viewer's saved filters for the list showing `query`.
pub(super) async fn links(
    svc: &Service,
    v: &Viewer,
    query: &str,
    refused: Option<(String, String)>,
) -> PageResult<SavedLinks> {
    let shown = voltdesk_domain::saved_filter::keep_filters(query).unwrap_or_default();
    let links = svc
        .saved_filters(&v.principal.actor)
        .await?
        .into_iter()
        .map(|s| SavedLink {
            id: s.id,
            here: s.query == shown,
            href: format!("/orders?{}", s.query),
            name: s.name,
        })
        .collect();
    let (name, error) = match refused {
        Some((name, error)) => (name, Some(error)),
        None => (String::new(), None),
    };
    Ok(SavedLinks {
        links,
        back: if query.is_empty() {
            "/orders".into()
        } else {
            format!("/orders?{query}")
        },
        query: query.to_string(),
        name,
        error,
        name_max: NAME_MAX,
    })
}

#[derive(Deserialize, Default)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    /// The list's query string when the form was drawn.
    #[serde(default)]
    query: String,
}

/// Saves the filters shown; on success the list opens with them, under its name.
pub async fn save(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<SaveForm>,
) -> PageResult {
    match svc.save_filter(&v.principal.actor, &f.name, &f.query).await {
        Ok((saved, _)) => Ok(done(
            &format!("/orders?{}", saved.query),
            &format!("{} · {}", v.tr.t("filters.saved_ok"), saved.name),
        )),
        Err(e) => {
            let e = PageError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            // The words of the filter's fields: `filter_name`, not a person's name.
            let field = format!("filter_{}", e.field.as_deref().unwrap_or("name"));
            let text = v.tr.error(e.code, Some(&field));
            let query = voltdesk_domain::saved_filter::keep_filters(&f.query).unwrap_or_default();
            order_list::list_page(
                &svc,
                &v,
                Some(query),
                &Flash::default(),
                Some((f.name, text)),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    /// The list to go back to.
    #[serde(default)]
    back: String,
}

pub async fn delete(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DeleteForm>,
) -> PageResult {
    let back = super::safe_next(&f.back)
        .filter(|b| b == "/orders" || b.starts_with("/orders?"))
        .unwrap_or_else(|| "/orders".into());
    svc.delete_saved_filter(&v.principal.actor, id)
        .await
        .map_err(|e| PageError::from(e).back(back.clone()))?;
    Ok(done(&back, v.tr.t("filters.deleted")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_filter_keeps_every_filter_of_the_list_but_the_page() {
        let mut list: Vec<&str> = order_list::FILTERS
            .iter()
            .copied()
            .filter(|k| *k != "page")
            .collect();
        let mut kept = voltdesk_domain::saved_filter::KEYS.to_vec();
        list.sort();
        kept.sort();
        assert_eq!(
            list, kept,
            "the list's filters and what a saved filter keeps"
        );
    }
}
