//! The outage board (`/outages`): outages now, the ones announced, the ones just restored,
//! with affected customers, expected restoration, linked repair calls and open care tasks;
//! and the care page (`/care`): the grid manager's care tasks tracked to done, and the
//! ledger of potential demands.
//!
//! The page words live in [`WORDS`] (key, 中文, English) until they move into `i18n.rs`;
//! templates call them as `w.w("key")`.

use super::Path;
use super::*;
use axum::extract::Query;
use serde::Deserialize;
use std::collections::HashMap;
use voltdesk_domain::CareGroup;
use voltdesk_domain::outage::OutageKind;
use voltdesk_service::{CareTaskQuery, CareTaskView, NewDemand, OutageView};
use voltdesk_store::OutageState;

const fn p(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        tag: "pages",
        summary,
    }
}

/// The page routes of this module with what each needs (the same permissions as the API
/// routes they act through).
pub const PAGES: &[Route] = &[
    p("GET", "/outages", Access::Needs(OrgRead), "Outage board"),
    p(
        "GET",
        "/care",
        Access::Needs(OrderWork),
        "Care tasks and the demand ledger",
    ),
    p(
        "POST",
        "/care/{id}/done",
        Access::Needs(OrderWork),
        "Mark a care task done",
    ),
    p(
        "POST",
        "/care/demands",
        Access::Needs(OrderWork),
        "Note a potential demand",
    ),
    p(
        "POST",
        "/care/demands/{id}/close",
        Access::Needs(OrderWork),
        "Close a potential demand",
    ),
];

pub fn router() -> Router<Service> {
    Router::new()
        .route("/outages", get(board))
        .route("/care", get(care))
        .route("/care/{id}/done", post(care_done))
        .route("/care/demands", post(add_demand))
        .route("/care/demands/{id}/close", post(close_demand))
}

// ---- words ----

/// (key, 中文, English), sorted by key.
pub const WORDS: &[(&str, &str, &str)] = &[
    ("care.all", "全部任务", "All tasks"),
    ("care.done", "完成", "Done"),
    ("care.done_ok", "关爱任务已完成", "Care task done"),
    ("care.due", "应办时间", "Due"),
    ("care.empty", "暂无关爱任务", "No care tasks"),
    ("care.household", "关爱户", "Household"),
    ("care.kind", "任务", "Task"),
    ("care.mine", "我的任务", "My tasks"),
    (
        "care.note_hint",
        "电话或走访情况",
        "What the call or visit found",
    ),
    ("care.outage", "停电", "Outage"),
    ("care.plan", "关爱方案", "Care plan"),
    ("care.status_done", "已完成", "Done"),
    ("care.status_open", "待办", "Open"),
    ("care.title", "关爱任务", "Care tasks"),
    ("ledger.add", "登记", "Add"),
    ("ledger.added", "已登记潜在需求", "Potential demand noted"),
    ("ledger.close", "销号", "Close"),
    ("ledger.closed", "已销号", "Closed"),
    ("ledger.detail", "说明", "Detail"),
    (
        "ledger.empty",
        "暂无登记的潜在需求",
        "No potential demands noted",
    ),
    ("ledger.resolution", "处理结果", "Resolution"),
    ("ledger.title", "潜在需求台账", "Potential demands"),
    ("ob.active", "正在停电", "Outages now"),
    ("ob.affected", "影响户数", "Customers"),
    ("ob.calls", "关联报修", "Repair calls"),
    ("ob.care", "关爱任务", "Care tasks"),
    ("ob.cause", "停电原因", "Cause"),
    ("ob.duration", "停电时长", "Duration"),
    ("ob.empty_active", "当前没有停电", "No outage right now"),
    (
        "ob.empty_planned",
        "暂无已公告的停电",
        "No outage announced",
    ),
    (
        "ob.empty_recent",
        "近期没有恢复送电的停电",
        "Nothing restored lately",
    ),
    ("ob.expected", "预计恢复", "Expected restoration"),
    ("ob.kind", "类型", "Kind"),
    ("ob.late_notice", "通知不及时", "Notice late"),
    ("ob.long", "长时间停电", "Long outage"),
    ("ob.notice_due", "应通知时间", "Notice due"),
    ("ob.notified", "已通知", "Notified"),
    ("ob.off_now", "当前停电户数", "Customers off now"),
    (
        "ob.past_expected",
        "已超预计恢复时间",
        "Past expected restoration",
    ),
    ("ob.place", "停电范围", "Where"),
    ("ob.planned", "计划/临时停电", "Announced outages"),
    ("ob.recent", "最近恢复送电", "Recently restored"),
    ("ob.repaired", "抢修完成", "Repaired"),
    ("ob.restored", "恢复送电", "Restored"),
    ("ob.start", "停电开始", "Start"),
    ("ob.title", "停电看板", "Outage board"),
];

/// The words of these pages in the viewer's language.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    lang: i18n::Lang,
}

impl Words {
    pub fn of(tr: Tr) -> Words {
        Words { lang: tr.lang }
    }

    pub fn w(&self, key: &str) -> &'static str {
        match WORDS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self.lang {
                i18n::Lang::Zh => WORDS[i].1,
                i18n::Lang::En => WORDS[i].2,
            },
            Err(_) => "??",
        }
    }

    fn kind(&self, k: OutageKind) -> String {
        match self.lang {
            i18n::Lang::Zh => k.zh().to_string(),
            i18n::Lang::En => k.en(),
        }
    }
}

// ---- the outage board ----

/// One outage as a line of the board.
pub struct OutageLine {
    pub id: i64,
    pub kind: String,
    pub kind_code: &'static str,
    pub place: String,
    pub cause: String,
    pub start: i64,
    pub expected: Option<i64>,
    pub restored: Option<i64>,
    pub repaired: Option<i64>,
    pub duration: i64,
    pub affected: i64,
    pub calls: i64,
    pub care: i64,
    pub long: bool,
    pub late_notice: bool,
    pub notice_due: Option<i64>,
    pub notified: Option<i64>,
    pub past_expected: bool,
}

#[derive(Template)]
#[template(path = "outages.html")]
struct BoardPage {
    c: Chrome,
    w: Words,
    active: Vec<OutageLine>,
    planned: Vec<OutageLine>,
    recent: Vec<OutageLine>,
    active_total: i64,
    planned_total: i64,
    off_now: i64,
}

async fn lines(svc: &Service, w: Words, views: Vec<OutageView>) -> PageResult<Vec<OutageLine>> {
    let feeders: HashMap<i64, String> = svc
        .feeders(None)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect();
    let now = svc.now();
    Ok(views
        .into_iter()
        .map(|v| {
            let o = &v.record.outage;
            let place = match (o.area_id, o.feeder_id) {
                (Some(a), _) => svc.area_name(a).unwrap_or_default(),
                (None, Some(f)) => feeders.get(&f).cloned().unwrap_or_default(),
                (None, None) => String::new(),
            };
            OutageLine {
                id: o.id,
                kind: w.kind(o.kind),
                kind_code: o.kind.code(),
                place,
                cause: o.cause.clone(),
                start: o.started_at,
                expected: o.expected_restore_at,
                restored: o.restored_at,
                repaired: o.repaired_at,
                duration: v.duration_ms,
                affected: o.affected_customers,
                calls: v.record.linked_orders,
                care: v.record.open_care_tasks,
                long: v.long,
                late_notice: v.record.late_notice,
                notice_due: v.record.notice_due_at,
                notified: o.notified_at,
                past_expected: v.active && o.expected_restore_at.is_some_and(|e| e < now),
            }
        })
        .collect())
}

pub async fn board(
    State(svc): State<Service>,
    v: Viewer,
    Query(flash): Query<Flash>,
) -> PageResult {
    let w = Words::of(v.tr);
    let station = v.principal.actor.station_id;
    let (active, active_total) = svc
        .outages_list(OutageState::Active, station, 200, 0)
        .await?;
    let (planned, planned_total) = svc
        .outages_list(OutageState::Planned, station, 100, 0)
        .await?;
    let (recent, _) = svc
        .outages_list(OutageState::Recent, station, 15, 0)
        .await?;
    let off_now = active
        .iter()
        .map(|o| o.record.outage.affected_customers)
        .sum();
    render(&BoardPage {
        c: v.chrome("/outages", &flash),
        w,
        active: lines(&svc, w, active).await?,
        planned: lines(&svc, w, planned).await?,
        recent: lines(&svc, w, recent).await?,
        active_total,
        planned_total,
        off_now,
    })
}

// ---- care tasks and the ledger ----

/// One care task as a line of the care page.
pub struct TaskLine {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub phone: String,
    pub care: String,
    pub area: String,
    pub kind: String,
    pub due: i64,
    pub overdue: bool,
    pub open: bool,
    pub done_at: Option<i64>,
    pub note: String,
    pub outage: String,
    pub outage_start: i64,
    pub outage_end: Option<i64>,
    pub plan: String,
}

/// One ledger entry as a line.
pub struct DemandLine {
    pub id: i64,
    pub grid: String,
    pub customer_id: Option<i64>,
    pub title: String,
    pub detail: String,
    pub created: i64,
}

#[derive(Template)]
#[template(path = "care.html")]
struct CarePage {
    c: Chrome,
    w: Words,
    scope: String,
    status: String,
    tasks: Vec<TaskLine>,
    total: i64,
    demands: Vec<DemandLine>,
    grids: Vec<(i64, String)>,
}

#[derive(Deserialize, Default)]
pub struct CareQ {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

fn task_line(tr: Tr, w: Words, t: CareTaskView) -> TaskLine {
    let k = &t.task;
    let care = k
        .care_groups
        .split(',')
        .filter_map(|c| CareGroup::parse(c).ok())
        .map(|c| tr.label(c))
        .collect::<Vec<_>>()
        .join("、");
    let kind = match tr.lang {
        i18n::Lang::Zh => k.kind.zh().to_string(),
        i18n::Lang::En => k.kind.en(),
    };
    TaskLine {
        id: k.id,
        customer_id: k.customer_id,
        name: k.customer_name.clone(),
        phone: k.phone.clone().unwrap_or_default(),
        care,
        area: t.area_name.clone(),
        kind,
        due: k.due_at,
        overdue: t.overdue,
        open: k.status == "open",
        done_at: k.done_at,
        note: k.note.clone().unwrap_or_default(),
        outage: w.kind(k.outage_kind),
        outage_start: k.outage_started_at,
        outage_end: k.outage_restored_at.or(k.outage_expected_restore_at),
        plan: k.plan.clone().unwrap_or_default(),
    }
}

pub async fn care(State(svc): State<Service>, v: Viewer, Query(q): Query<CareQ>) -> PageResult {
    let w = Words::of(v.tr);
    let scope = match q.scope.as_deref() {
        Some("all") => "all",
        Some("mine") => "mine",
        _ if v.role() == Role::GridManager => "mine",
        _ => "all",
    };
    let status = match q.status.as_deref() {
        Some("done") => "done",
        Some("all") => "all",
        _ => "open",
    };
    let (tasks, total) = svc
        .care_tasks(
            &v.principal,
            &CareTaskQuery {
                mine: scope == "mine",
                status: Some(status.into()),
                ..CareTaskQuery::default()
            },
            200,
            0,
        )
        .await?;
    let grids: Vec<(i64, String)> = svc
        .grids(v.principal.actor.station_id)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let grid_names: HashMap<i64, String> = grids.iter().cloned().collect();
    let (demands, _) = svc.demands(None, Some("open"), 100, 0).await?;
    render(&CarePage {
        c: v.chrome("/care", &q.flash),
        w,
        scope: scope.into(),
        status: status.into(),
        tasks: tasks.into_iter().map(|t| task_line(v.tr, w, t)).collect(),
        total,
        demands: demands
            .into_iter()
            .map(|d| DemandLine {
                id: d.id,
                grid: grid_names.get(&d.grid_id).cloned().unwrap_or_default(),
                customer_id: d.customer_id,
                title: d.title,
                detail: d.detail,
                created: d.created_at,
            })
            .collect(),
        grids,
    })
}

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

pub async fn care_done(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<NoteForm>,
) -> PageResult {
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    svc.complete_care_task(&v.principal.actor, id, note)
        .await
        .map_err(|e| PageError::from(e).back("/care"))?;
    Ok(done("/care", Words::of(v.tr).w("care.done_ok")))
}

#[derive(Deserialize, Default)]
pub struct DemandForm {
    #[serde(default)]
    grid_id: Option<i64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

pub async fn add_demand(
    State(svc): State<Service>,
    v: Viewer,
    axum::Form(f): axum::Form<DemandForm>,
) -> PageResult {
    svc.add_demand(
        &v.principal.actor,
        NewDemand {
            grid_id: f.grid_id,
            title: Some(f.title),
            detail: Some(f.detail),
            ..NewDemand::default()
        },
    )
    .await
    .map_err(|e| PageError::from(e).back("/care"))?;
    Ok(done("/care", Words::of(v.tr).w("ledger.added")))
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    resolution: String,
}

pub async fn close_demand(
    State(svc): State<Service>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CloseForm>,
) -> PageResult {
    svc.close_demand(&v.principal.actor, id, Some(f.resolution))
        .await
        .map_err(|e| PageError::from(e).back("/care"))?;
    Ok(done("/care", Words::of(v.tr).w("ledger.closed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_sorted_and_unique() {
        for w in WORDS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_word_the_templates_use_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for name in ["outages.html", "care.html"] {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            for part in text.split("w.w(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    WORDS.binary_search_by(|(k, _, _)| (*k).cmp(key)).is_ok(),
                    "{name}: `{key}` is not in WORDS"
                );
            }
        }
    }

    #[test]
    fn pages_have_permissions() {
        for r in PAGES {
            assert!(matches!(r.access, Access::Needs(_)), "{}", r.path);
        }
        let w = Words {
            lang: i18n::Lang::En,
        };
        assert_eq!(w.w("ob.title"), "Outage board");
        assert_eq!(w.w("nope"), "??");
    }
}
