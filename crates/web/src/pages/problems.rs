//! Problems: many orders, one cause. `/problems` lists a station's problems (open or all,
//! paged), `/problems/{id}` shows one with the orders grouped under it and closes it with
//! its root cause. Orders are grouped from their own page (the `problem` action).

use super::Path;
use super::*;
use axum::extract::Query;
use serde::Deserialize;
use voltdesk_service::OrderView;
use voltdesk_store::{OrderFilter, ProblemRow};

pub const PAGES: &[Route] = &[
    p("GET", "/problems", Needs(ProblemRead), "Problems"),
    p(
        "GET",
        "/problems/{id}",
        Needs(ProblemRead),
        "A problem and its orders",
    ),
    p(
        "POST",
        "/problems/{id}/close",
        Needs(ProblemWrite),
        "Close a problem with its root cause",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/problems", get(list))
        .route("/problems/{id}", get(show))
        .route("/problems/{id}/close", post(close))
}

const PER_PAGE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQ {
    /// `all` lists closed problems too.
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage {
    c: Chrome,
    problems: Vec<ProblemRow>,
    all: bool,
    total: i64,
    page: i64,
    pages: i64,
}

pub async fn list(
    State(svc): State<Service>,
    v: Viewer,
    Query(q): Query<ListQ>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let all = q.show == "all";
    let want = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let station = v.principal.actor.station_id;
    let (mut problems, mut total) = svc
        .problems(station, !all, PER_PAGE, (want - 1) * PER_PAGE)
        .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = want.min(pages);
    if page != want {
        (problems, total) = svc
            .problems(station, !all, PER_PAGE, (page - 1) * PER_PAGE)
            .await?;
    }
    render(&ListPage {
        c: v.chrome("/problems", &flash),
        problems,
        all,
        total,
        page,
        pages,
    })
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    c: Chrome,
    p: ProblemRow,
    orders: Vec<OrderView>,
    total: i64,
    may_close: bool,
    /// After a refused close: what was typed and the words of the error.
    typed: String,
    error: Option<String>,
}

async fn problem_page(
    svc: &Service,
    v: &Viewer,
    id: i64,
    failed: Option<(String, &PageError)>,
    flash: &Flash,
) -> PageResult {
    let p = match svc.problem(id).await {
        Ok(p) => p,
        Err(voltdesk_service::ServiceError::NotFound { .. }) => {
            return Ok(not_found(v.tr, Some(v)));
        }
        Err(e) => return Err(e.into()),
    };
    // Another station's problem is not this viewer's to see.
    if v.principal
        .actor
        .station_id
        .is_some_and(|s| s != p.station_id)
    {
        return Ok(not_found(v.tr, Some(v)));
    }
    let (orders, total) = svc
        .orders(&OrderFilter {
            problem_id: Some(id),
            descending: true,
            limit: 200,
            ..Default::default()
        })
        .await?;
    let (typed, error) = match failed {
        Some((t, e)) => (t, Some(e.text(v.tr))),
        None => (String::new(), None),
    };
    let page = render(&ProblemPage {
        c: v.chrome("/problems", flash),
        may_close: p.status == "open" && v.may(ProblemWrite),
        p,
        orders,
        total,
        typed,
        error: error.clone(),
    })?;
    Ok(if error.is_some() {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    })
}

pub async fn show(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> PageResult {
    problem_page(&svc, &v, id, None, &flash).await
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    root_cause: String,
}

pub async fn close(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CloseForm>,
) -> PageResult {
    let at = format!("/problems/{id}");
    let p = match svc.problem(id).await {
        Ok(p) => p,
        Err(voltdesk_service::ServiceError::NotFound { .. }) => {
            return Ok(not_found(v.tr, Some(&v)));
        }
        Err(e) => return Err(e.into()),
    };
    if v.principal
        .actor
        .station_id
        .is_some_and(|s| s != p.station_id)
    {
        return Ok(not_found(v.tr, Some(&v)));
    }
    match svc
        .close_problem(&v.principal.actor, id, f.root_cause.trim())
        .await
    {
        Ok(_) => Ok(done(&at, v.tr.t("problem.closed_done"))),
        Err(e) => {
            let e = PageError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            problem_page(&svc, &v, id, Some((f.root_cause, &e)), &Flash::default()).await
        }
    }
}
