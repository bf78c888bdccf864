//! `demo`: a working station in one command. On a new database it generates the sample
//! organisation and customers (the `gen` generators), imports them through the service,
//! adds one user per role and a few reply templates, writes twelve months of history in
//! bulk, and then about 200 work orders over the last ten days with their lifecycle steps,
//! all deterministic for a seed; then it serves like `serve`.
//!
//! The year of history (`Service::seed_county_history`) ends where the recent orders begin:
//! outages (planned maintenance, temporary maintenance, faults) with their trace events, and
//! about 0.25 work orders per customer, closed, with their clocks, return visits and traces,
//! written in bulk with explicit ids (the service path would take minutes for a large county).
//!
//! The recent orders are written through the service on a hand-moved clock, one event at a
//! time in time order, so traces, clocks and SLA breaches look as if the orders had really
//! come in, and some are still open when the demo starts.

use crate::args::DemoArgs;
use crate::generate::{self, FIRST_ACCOUNT, OrgModel, STATION_CODE};
use crate::{Opened, open, server};
use anyhow::{Context, Result, anyhow, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use voltdesk_domain::job::ImportKind;
use voltdesk_domain::order::Command;
use voltdesk_domain::*;
use voltdesk_service::{
    Actor, Clock, CountyReport, CountySpec, ImportFailure, ImportOutcome, ManualClock, NewOrder,
    NewReplyTemplate, NewUser, Service, SystemClock, actor_of,
};
use voltdesk_store::UserRow;

pub const PASSWORD: &str = "voltdesk-demo";
const ORDERS: usize = 200;
/// The sample orders come in over this many days before now.
const HISTORY_DAYS: i64 = 10;
/// The bulk history covers this many days before the first sample order.
const YEAR_DAYS: i64 = 365;

/// One user per role: (username, role, display name, tied to the distribution department).
const USERS: &[(&str, Role, &str, bool)] = &[
    ("agent1", Role::Agent, "陈静", false),
    ("handler1", Role::Handler, "刘强", true),
    ("grid1", Role::GridManager, "张建国", false),
    ("crew1", Role::Crew, "李军", true),
    ("supervisor1", Role::Supervisor, "赵敏", false),
    ("analyst1", Role::Analyst, "孙浩", false),
    ("admin1", Role::Admin, "周平", false),
    ("auditor1", Role::Auditor, "吴芳", false),
];

pub async fn run(url: &str, policy_dir: Option<PathBuf>, args: DemoArgs) -> Result<()> {
    if args.fresh {
        delete_sqlite(url)?;
    }
    // Bound first, so a port already in use fails before any work.
    let listener = match args.no_serve {
        true => None,
        false => Some(server::bind(args.listen).await?),
    };
    let Opened { store, policies } = open::store(url, policy_dir.as_deref()).await?;
    let now = SystemClock.now();
    // The organisation, users and customers are there a day before the year of history.
    let clock = ManualClock::new(first_day(now) - (YEAR_DAYS + 1) * DAY_MS);
    let seeding = Service::open(store.clone(), clock.clone(), policies.clone())
        .await
        .context("cannot open the service")?;
    let fresh = seeding.stations().await?.is_empty();
    if fresh {
        let started = Instant::now();
        seed(&seeding, &clock, now, &args).await?;
        eprintln!(
            "demo data ready in {}",
            crate::import::seconds(started.elapsed())
        );
    } else {
        eprintln!("using the existing demo database {url} (--fresh starts over)");
    }
    drop(seeding);
    let svc = Service::open(store, Arc::new(SystemClock), policies)
        .await
        .context("cannot open the service")?;
    svc.set_attachments(
        open::attachments_dir(url, args.attachments.as_deref()),
        args.attachment_limit_mb * 1024 * 1024,
    );
    let Some((listener, http)) = listener else {
        print_users(&svc).await?;
        return Ok(());
    };
    println!("voltdesk demo: {http}");
    print_users(&svc).await?;
    server::run(
        svc,
        listener,
        true,
        None,
        server::Web::default(),
        args.sip.config(),
    )
    .await
}

async fn print_users(svc: &Service) -> Result<()> {
    let users = svc.users().await?;
    let demo: Vec<_> = USERS
        .iter()
        .filter(|(name, ..)| users.iter().any(|u| u.username == *name))
        .collect();
    if demo.is_empty() {
        println!("this database has no demo users (it was not made by `voltdesk demo`)");
        return Ok(());
    }
    println!("users (password {PASSWORD}):");
    for (name, role, _, _) in demo {
        println!("  {name:<12} {} {}", role.code(), role.zh());
    }
    println!("softphone: SIP user agent1, password {PASSWORD}, realm voltdesk (with --sip)");
    Ok(())
}

/// Deletes a SQLite database and its WAL files; refuses other databases.
fn delete_sqlite(url: &str) -> Result<()> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        bail!("--fresh deletes a SQLite file only; drop and recreate other databases yourself");
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{path}{suffix}");
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow!(e).context(format!("cannot delete {p}"))),
        }
    }
    Ok(())
}

async fn seed(svc: &Service, clock: &ManualClock, now: Millis, args: &DemoArgs) -> Result<()> {
    let by = crate::cli_actor();

    // Organisation and customers go through the same import as any file.
    let mut org_csv = Vec::new();
    OrgModel::build().write_csv(&mut org_csv)?;
    import_generated(svc, &by, ImportKind::Org, org_csv, "organisation").await?;
    let station = svc.station_by_code(STATION_CODE).await?;

    let departments = svc.departments(Some(station.id)).await?;
    let dept = |kind: DepartmentKind| {
        departments
            .iter()
            .find(|d| d.kind == kind)
            .map(|d| d.id)
            .ok_or_else(|| anyhow!("station has no {} department", kind.code()))
    };
    let distribution = dept(DepartmentKind::Distribution)?;
    let marketing = dept(DepartmentKind::Marketing)?;

    let mut users = Vec::new();
    for (username, role, name, in_distribution) in USERS {
        let u = svc
            .add_user(
                &by,
                NewUser {
                    username: username.to_string(),
                    display_name: name.to_string(),
                    role: *role,
                    password: PASSWORD.to_string(),
                    station_id: Some(station.id),
                    department_id: in_distribution.then_some(distribution),
                },
            )
            .await
            .with_context(|| format!("cannot add demo user {username}"))?;
        users.push(u);
    }
    let user = |name: &str| -> Result<&UserRow> {
        users
            .iter()
            .find(|u| u.username == name)
            .ok_or_else(|| anyhow!("no demo user {name}"))
    };
    reply_templates(svc, &actor_of(user("admin1")?)).await?;
    // The demo agent can register a softphone at once (`demo --sip`), with the same password.
    svc.set_sip_password(&actor_of(user("admin1")?), user("agent1")?.id, PASSWORD)
        .await
        .context("cannot set the demo agent's SIP password")?;
    let org = OrgModel::build();
    for grid in org.grids.iter().take(2) {
        svc.set_grid_manager(&by, &grid.code, "grid1").await?;
    }

    eprintln!(
        "generating {} customers (seed {})",
        args.customers, args.seed
    );
    let mut csv = Vec::with_capacity(args.customers as usize * 200);
    generate::write_customers(&mut csv, args.customers, args.seed, |_| {})?;
    let done = import_generated(svc, &by, ImportKind::Customers, csv, "customers").await?;
    if let ImportOutcome::Customers(report) = done.outcome {
        eprintln!("imported {} customers", report.imported);
    }

    let started = Instant::now();
    let spec = CountySpec {
        from: first_day(now) - YEAR_DAYS * DAY_MS,
        // Orders taken just before the recent ones are handled in the days after.
        settle_by: now,
        ..CountySpec::year_before(first_day(now), args.seed)
    };
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let history = svc
        .seed_county_history(&spec, &|done, total| {
            if terminal {
                eprint!("\rwriting twelve months of history: {done}/{total} orders");
            }
        })
        .await
        .context("cannot write the history")?;
    if terminal {
        eprintln!();
    }
    print_history(&history, started.elapsed());

    let cast = Cast {
        agent: actor_of(user("agent1")?),
        handler: actor_of(user("handler1")?),
        crew: actor_of(user("crew1")?),
        supervisor: actor_of(user("supervisor1")?),
        handler_id: user("handler1")?.id,
        crew_id: user("crew1")?.id,
        distribution,
        marketing,
    };
    let created = sample_orders(svc, clock, now, args, &cast).await?;
    eprintln!("created {created} sample work orders");
    Ok(())
}

/// The reply templates a station starts with: a few ready answers for the common subjects
/// (outages, voltage, bills, metering, new connections) and one for any subject.
const REPLY_TEMPLATES: &[(&str, Option<SubjectArea>, &str)] = &[
    (
        "故障停电已复电",
        Some(SubjectArea::Outage),
        "尊敬的{客户姓名}，您好！您反映的停电问题（工单号：{工单号}）经抢修人员现场查明，系所在台区低压线路故障引起，现已抢修完毕并恢复供电。给您带来的不便，我们深表歉意，感谢您的理解与支持。",
    ),
    (
        "计划检修停电说明",
        Some(SubjectArea::Outage),
        "尊敬的{客户姓名}，您好！经查询，您所在区域的停电为供电设备计划检修停电，已按规定提前七天通过公告和短信发布停电通知，检修结束后将立即恢复供电。如有疑问请拨打95598。工单号：{工单号}。",
    ),
    (
        "电压偏低处理结果",
        Some(SubjectArea::SupplyQuality),
        "尊敬的{客户姓名}，您好！针对您反映的电压偏低问题（工单号：{工单号}），我们已安排人员现场测量，确认为台区负荷过重所致，已调整变压器分接头并平衡三相负荷，目前电压已恢复至合格范围。后续我们将持续监测，感谢您的反馈。",
    ),
    (
        "电费核查结果",
        Some(SubjectArea::TariffBill),
        "尊敬的{客户姓名}，您好！我们已对您反映的电费问题（工单号：{工单号}）进行核查：电能表运行正常，抄表示数准确，本期电费增加主要因用电量上升并进入第二档阶梯电价所致。您可通过“网上国网”App查询每月用电明细。",
    ),
    (
        "电能表校验结果",
        Some(SubjectArea::Metering),
        "尊敬的{客户姓名}，您好！针对您对电能表计量准确性的疑问（工单号：{工单号}），我们已对电能表进行现场校验，误差在国家规定的允许范围内，计量准确。如仍有疑问，可申请送检复核。",
    ),
    (
        "新装申请受理进度",
        Some(SubjectArea::Expansion),
        "尊敬的{客户姓名}，您好！您的用电申请（工单号：{工单号}）已受理，我们将在承诺时限内安排现场勘查，请保持电话畅通。勘查后将为您答复供电方案，感谢您对国家电网的信任。",
    ),
    (
        "通用初步答复",
        None,
        "尊敬的{客户姓名}，您好！您的诉求（工单号：{工单号}）我们已收到，正在安排专人处理，将在承诺时限内给您答复，请保持电话畅通。",
    ),
];

async fn reply_templates(svc: &Service, by: &Actor) -> Result<()> {
    for (name, subject, body) in REPLY_TEMPLATES {
        svc.create_reply_template(
            by,
            NewReplyTemplate {
                name: name.to_string(),
                subject: *subject,
                body: body.to_string(),
            },
        )
        .await
        .with_context(|| format!("cannot add the reply template {name}"))?;
    }
    Ok(())
}

/// Imports a generated file through the service's import path, as any file is.
async fn import_generated(
    svc: &Service,
    by: &voltdesk_service::Actor,
    kind: ImportKind,
    csv: Vec<u8>,
    what: &str,
) -> Result<voltdesk_service::ImportReport> {
    let options = voltdesk_service::ImportOptions::default();
    svc.import_csv(kind, csv, by, options, &|_| {})
        .await
        .map_err(|e| match e {
            // A generator bug: the first bad line says which.
            ImportFailure::Rows(rows) if !rows.is_empty() => {
                anyhow!("generated {what}: {} ({} rows)", rows[0], rows.len())
            }
            e => anyhow!("generated {what}: {e}"),
        })
        .with_context(|| format!("cannot import the generated {what}"))
}

/// One line each: orders by type and channel, return visits, outages.
fn print_history(h: &CountyReport, took: std::time::Duration) {
    let share = |n: u64| 100.0 * n as f64 / h.orders.max(1) as f64;
    let list = |items: Vec<(&str, u64)>| {
        items
            .iter()
            .map(|(k, n)| format!("{k} {n} ({:.1} %)", share(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut types: Vec<_> = h.by_type.iter().map(|(t, n)| (t.zh(), *n)).collect();
    types.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let mut channels: Vec<_> = h.by_channel.iter().map(|(c, n)| (c.zh(), *n)).collect();
    channels.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let visits: Vec<String> = h
        .by_satisfaction
        .iter()
        .map(|(s, n)| format!("{} {n}", s.zh()))
        .collect();
    let outages: Vec<String> = h
        .outages
        .iter()
        .map(|(k, n)| format!("{} {n}", k.zh()))
        .collect();
    eprintln!(
        "wrote twelve months of history in {}: {} orders, {} trace events",
        crate::import::seconds(took),
        h.orders,
        h.trace_events
    );
    eprintln!("  by type: {}", list(types));
    eprintln!("  by channel: {}", list(channels));
    eprintln!(
        "  return visits: {} ({}); overdue closed orders: {}",
        h.return_visits,
        visits.join(", "),
        h.overdue
    );
    eprintln!(
        "  outages: {} ({})",
        h.outages.values().sum::<u64>(),
        outages.join(", ")
    );
}

/// Who does what in the sample history.
struct Cast {
    agent: Actor,
    handler: Actor,
    crew: Actor,
    supervisor: Actor,
    handler_id: i64,
    crew_id: i64,
    distribution: i64,
    marketing: i64,
}

/// One lifecycle step of a sample order, at minutes after its creation.
struct Step {
    after_min: i64,
    by: Who,
    cmd: Command,
}

#[derive(Clone, Copy)]
enum Who {
    Agent,
    Handler,
    Crew,
    Supervisor,
}

struct Plan {
    at: Millis,
    order: NewOrder,
    steps: Vec<Step>,
}

fn step(after_min: i64, by: Who, cmd: Command) -> Step {
    Step { after_min, by, cmd }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

const CONSULTATIONS: &[(SubjectArea, &str, &str)] = &[
    (
        SubjectArea::TariffBill,
        "咨询本月电费账单明细",
        "客户反映本月电费比上月高，询问计费明细。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询居民阶梯电价标准",
        "客户询问阶梯电价各档电量及单价。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询电费缴纳方式",
        "客户询问如何通过网上国网缴纳电费。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询抄表日期",
        "客户询问本户抄表例日。",
    ),
    (
        SubjectArea::Expansion,
        "咨询新装用电办理流程",
        "客户新建住房，询问新装低压居民用电所需资料。",
    ),
    (
        SubjectArea::Metering,
        "咨询电表显示含义",
        "客户询问智能电表屏幕各项读数含义。",
    ),
    (
        SubjectArea::ServiceChannel,
        "咨询网上国网绑定户号",
        "客户不会在网上国网绑定户号，请求指导。",
    ),
    (
        SubjectArea::Outage,
        "咨询计划停电时间",
        "客户询问所在台区本周计划停电的起止时间。",
    ),
];

const REPAIRS: &[(SubjectArea, &str, &str)] = &[
    (
        SubjectArea::Outage,
        "家中停电，邻居有电",
        "客户反映家中突然停电，邻居家有电，表箱内开关未跳。",
    ),
    (
        SubjectArea::Outage,
        "整个村民小组停电",
        "客户反映本组十余户同时停电，已超过半小时。",
    ),
    (
        SubjectArea::SupplyQuality,
        "电压低，空调无法启动",
        "客户反映傍晚电压偏低，空调、水泵无法启动。",
    ),
    (
        SubjectArea::Outage,
        "表箱冒烟",
        "客户反映楼道表箱有焦味并冒烟，请求尽快处理。",
    ),
    (
        SubjectArea::Outage,
        "入户线被大风刮断",
        "大风后入户线断落在院内，客户已远离，请求抢修。",
    ),
];

const REPAIR_REPLIES: &[&str] = &[
    "更换熔断的进户保险，已恢复供电。",
    "台区低压出线开关跳闸，检查无故障后合闸送电。",
    "调整配变分接头，电压恢复正常。",
    "更换烧损的表前开关，已恢复供电。",
    "重新架设入户线，已恢复供电。",
];

const COMPLAINTS: &[(SubjectArea, &str, &str)] = &[
    (
        SubjectArea::Outage,
        "投诉频繁停电",
        "客户反映本月已停电三次，影响生活，要求给出说法。",
    ),
    (
        SubjectArea::SupplyQuality,
        "投诉长期电压偏低",
        "客户反映入夏以来电压长期偏低，多次反映未解决。",
    ),
    (
        SubjectArea::ServiceConduct,
        "投诉营业厅人员态度差",
        "客户反映在营业厅办理业务时工作人员态度生硬。",
    ),
    (
        SubjectArea::TariffBill,
        "投诉电费异常偏高",
        "客户认为电费异常偏高，怀疑电表计量不准。",
    ),
];

const SERVICE_REQUESTS: &[(ServiceKind, SubjectArea, &str, &str)] = &[
    (
        ServiceKind::Reconnect,
        SubjectArea::ReadingCollection,
        "欠费已缴清，申请复电",
        "客户已通过网上国网缴清欠费，申请尽快恢复供电。",
    ),
    (
        ServiceKind::MeterAnomaly,
        SubjectArea::Metering,
        "电表走字异常",
        "客户反映家中无人时电表仍在走字。",
    ),
    (
        ServiceKind::ApplianceDamage,
        SubjectArea::SupplyQuality,
        "电压突升损坏家电",
        "客户反映昨晚电压突升，电视机和冰箱损坏，申请核实。",
    ),
    (
        ServiceKind::NewConnectionResidential,
        SubjectArea::Expansion,
        "申请居民新装用电",
        "客户新建住房，申请低压居民新装。",
    ),
];

const OTHERS: &[(OrderType, &str, &str)] = &[
    (
        OrderType::Opinion,
        "建议延长营业厅周末营业时间",
        "客户认为营业厅周末只开半天不方便。",
    ),
    (
        OrderType::Suggestion,
        "建议停电通知增加短信提醒",
        "客户建议计划停电除张贴公告外再发短信。",
    ),
    (
        OrderType::Praise,
        "表扬抢修人员冒雨抢修",
        "客户表扬抢修人员深夜冒雨恢复供电。",
    ),
];

/// Local (Beijing time) midnight starting the first day of the sample history: the orders
/// come in on the `HISTORY_DAYS` days before today, so all of them exist by now.
fn first_day(now: Millis) -> Millis {
    let today = (now + 8 * HOUR_MS).div_euclid(DAY_MS) * DAY_MS - 8 * HOUR_MS;
    today - HISTORY_DAYS * DAY_MS
}

/// Plans the sample orders: deterministic for the seed and the number of customers.
fn plan_orders(seed: u64, customers: u64, first_day: Millis, cast: &Cast) -> Vec<Plan> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0D3E_0000_0000);
    let mut plans = Vec::with_capacity(ORDERS);
    let mut first_complaint: Option<(u64, SubjectArea)> = None;
    for k in 0..ORDERS {
        // Spread over the days, in the hotline's busy hours (08:00–21:00 Beijing time).
        let day = (k as i64 * HISTORY_DAYS) / ORDERS as i64;
        let local_minute = rng.random_range(8 * 60..21 * 60);
        let at =
            first_day + day * DAY_MS + local_minute * MINUTE_MS + rng.random_range(0..MINUTE_MS);
        let mut customer = Some(rng.random_range(0..customers));
        let mut o = NewOrder {
            idempotency_key: Some(format!("demo-{seed}-{k}")),
            ..NewOrder::default()
        };
        let mut steps = Vec::new();
        let roll = rng.random_range(0..100);
        let dissatisfied = rng.random_bool(0.15);
        // How far the order got: 0 = just taken, up to the full lifecycle.
        let progress = rng.random_range(0..100);
        match roll {
            0..55 => {
                let (subject, title, text) = *pick(&mut rng, CONSULTATIONS);
                o.order_type = Some(OrderType::Consultation);
                o.channel = Some(*pick(
                    &mut rng,
                    &[
                        Channel::Hotline95598,
                        Channel::Hotline95598,
                        Channel::App,
                        Channel::Web,
                        Channel::Wechat,
                    ],
                ));
                o.subject = Some(subject);
                o.title = Some(title.into());
                o.description = Some(text.into());
                if rng.random_bool(0.05) {
                    customer = None;
                }
                if progress < 85 {
                    steps.push(step(
                        rng.random_range(2..9),
                        Who::Agent,
                        Command::Reply {
                            text: "已向客户解释，客户表示清楚。".into(),
                            verdict: None,
                            root_cause: None,
                        },
                    ));
                    steps.push(step(10, Who::Agent, Command::Close));
                } else if progress < 95 {
                    steps.push(step(
                        5,
                        Who::Agent,
                        Command::Dispatch {
                            department_id: cast.marketing,
                            assignee_id: None,
                        },
                    ));
                }
            }
            55..75 => {
                let (subject, title, text) = *pick(&mut rng, REPAIRS);
                o.order_type = Some(OrderType::Repair);
                o.channel = Some(*pick(
                    &mut rng,
                    &[Channel::Hotline95598, Channel::Hotline95598, Channel::App],
                ));
                o.subject = Some(subject);
                o.title = Some(title.into());
                o.description = Some(text.into());
                let arrive = rng.random_range(25..110);
                let restore = arrive + rng.random_range(40..260);
                let lifecycle = [
                    step(
                        3,
                        Who::Agent,
                        Command::Dispatch {
                            department_id: cast.distribution,
                            assignee_id: Some(cast.crew_id),
                        },
                    ),
                    step(
                        8,
                        Who::Crew,
                        Command::Acknowledge {
                            assignee_id: cast.crew_id,
                        },
                    ),
                    step(arrive, Who::Crew, Command::Arrive),
                    step(
                        restore,
                        Who::Crew,
                        Command::Reply {
                            text: (*pick(&mut rng, REPAIR_REPLIES)).into(),
                            verdict: None,
                            root_cause: None,
                        },
                    ),
                    step(
                        restore + rng.random_range(60..1440),
                        Who::Supervisor,
                        Command::ReturnVisit {
                            satisfaction: if dissatisfied {
                                Satisfaction::BasicallySatisfied
                            } else {
                                Satisfaction::Satisfied
                            },
                            comment: "客户确认已恢复供电。".into(),
                        },
                    ),
                ];
                let keep = match progress {
                    0..5 => 0,
                    5..10 => 2,
                    10..15 => 3,
                    15..25 => 4,
                    _ => 5,
                };
                steps.extend(lifecycle.into_iter().take(keep));
            }
            75..85 => {
                let (kind, subject, title, text) = *pick(&mut rng, SERVICE_REQUESTS);
                o.order_type = Some(OrderType::ServiceRequest);
                o.service_kind = Some(kind);
                o.channel = Some(*pick(
                    &mut rng,
                    &[Channel::Hotline95598, Channel::App, Channel::Counter],
                ));
                o.subject = Some(subject);
                o.title = Some(title.into());
                o.description = Some(text.into());
                if kind == ServiceKind::ApplianceDamage {
                    // The distribution department investigates damage claims.
                    let lifecycle = [
                        step(
                            5,
                            Who::Agent,
                            Command::Dispatch {
                                department_id: cast.distribution,
                                assignee_id: Some(cast.handler_id),
                            },
                        ),
                        step(
                            30,
                            Who::Handler,
                            Command::Acknowledge {
                                assignee_id: cast.handler_id,
                            },
                        ),
                        step(
                            90,
                            Who::Handler,
                            Command::Contact {
                                note: "已电话联系客户，约定上门核实。".into(),
                            },
                        ),
                        step(
                            1500,
                            Who::Handler,
                            Command::Reply {
                                text: "现场核实为配变中性线松动，已修复并按规定赔偿。".into(),
                                verdict: None,
                                root_cause: None,
                            },
                        ),
                        step(
                            1800,
                            Who::Supervisor,
                            Command::ReturnVisit {
                                satisfaction: Satisfaction::Satisfied,
                                comment: "客户对处理结果满意。".into(),
                            },
                        ),
                    ];
                    let keep = if progress < 30 { 2 } else { 5 };
                    steps.extend(lifecycle.into_iter().take(keep));
                } else {
                    // Marketing has no demo handler: these wait in its queue.
                    steps.push(step(
                        6,
                        Who::Agent,
                        Command::Dispatch {
                            department_id: cast.marketing,
                            assignee_id: None,
                        },
                    ));
                }
            }
            85..93 => {
                let (mut subject, title, text) = *pick(&mut rng, COMPLAINTS);
                // The last complaint comes back from the first one's customer: a repeat.
                if k + 20 > ORDERS
                    && let Some((c, s)) = first_complaint
                {
                    customer = Some(c);
                    subject = s;
                }
                o.order_type = Some(OrderType::Complaint);
                o.channel = Some(*pick(
                    &mut rng,
                    &[
                        Channel::Hotline95598,
                        Channel::Hotline95598,
                        Channel::Regulator12398,
                        Channel::Gov12345,
                    ],
                ));
                o.subject = Some(subject);
                o.title = Some(title.into());
                o.description = Some(text.into());
                // The first complaint closes satisfied, so the repeat can refer to it.
                let dissatisfied = dissatisfied && first_complaint.is_some();
                if first_complaint.is_none() {
                    first_complaint = customer.map(|c| (c, subject));
                }
                let substantiated = rng.random_bool(0.4);
                let lifecycle = [
                    step(
                        10,
                        Who::Agent,
                        Command::Dispatch {
                            department_id: cast.distribution,
                            assignee_id: Some(cast.handler_id),
                        },
                    ),
                    step(
                        40,
                        Who::Handler,
                        Command::Acknowledge {
                            assignee_id: cast.handler_id,
                        },
                    ),
                    step(
                        180,
                        Who::Handler,
                        Command::Contact {
                            note: "已联系客户，了解诉求并致歉。".into(),
                        },
                    ),
                    step(
                        2880,
                        Who::Handler,
                        Command::Reply {
                            text: "经核实已整改，向客户说明原因及整改措施。".into(),
                            verdict: Some(if substantiated {
                                Verdict::Substantiated
                            } else {
                                Verdict::Unsubstantiated
                            }),
                            root_cause: Some(if substantiated {
                                RootCause::SupplyQuality
                            } else {
                                RootCause::CustomerSide
                            }),
                        },
                    ),
                    step(
                        3200,
                        Who::Supervisor,
                        Command::ReturnVisit {
                            satisfaction: if dissatisfied {
                                Satisfaction::Dissatisfied
                            } else {
                                Satisfaction::Satisfied
                            },
                            comment: if dissatisfied {
                                "客户认为问题未根本解决。".into()
                            } else {
                                "客户认可处理结果。".into()
                            },
                        },
                    ),
                ];
                let keep = if k < 60 {
                    5
                } else if progress < 30 {
                    1
                } else {
                    3
                };
                steps.extend(lifecycle.into_iter().take(keep));
            }
            93..98 => {
                let (t, title, text) = *pick(&mut rng, OTHERS);
                o.order_type = Some(t);
                o.channel = Some(*pick(&mut rng, &[Channel::Hotline95598, Channel::Web]));
                o.subject = Some(SubjectArea::ServiceChannel);
                o.title = Some(title.into());
                o.description = Some(text.into());
                steps.push(step(
                    5,
                    Who::Agent,
                    Command::Reply {
                        text: "感谢您的反馈，已转相关部门。".into(),
                        verdict: None,
                        root_cause: None,
                    },
                ));
                steps.push(step(6, Who::Agent, Command::Close));
            }
            _ => {
                o.order_type = Some(OrderType::Report);
                o.channel = Some(Channel::Hotline95598);
                o.subject = Some(SubjectArea::UsageInspection);
                o.title = Some("举报邻居私拉乱接用电".into());
                o.description = Some("客户举报附近有人从路灯线路私接用电。".into());
                steps.push(step(
                    8,
                    Who::Agent,
                    Command::Dispatch {
                        department_id: cast.marketing,
                        assignee_id: None,
                    },
                ));
            }
        }
        match customer {
            Some(i) => o.customer_account_no = Some((FIRST_ACCOUNT + i).to_string()),
            None => o.station_code = Some(STATION_CODE.into()),
        }
        plans.push(Plan {
            at,
            order: o,
            steps,
        });
    }
    plans
}

/// Writes the planned history in time order; steps still in the future are left out.
async fn sample_orders(
    svc: &Service,
    clock: &ManualClock,
    now: Millis,
    args: &DemoArgs,
    cast: &Cast,
) -> Result<usize> {
    let plans = plan_orders(args.seed, args.customers, first_day(now), cast);
    // (time, order, step): step 0 creates the order, step n runs steps[n - 1].
    let mut events: Vec<(Millis, usize, usize)> = Vec::new();
    for (k, p) in plans.iter().enumerate() {
        events.push((p.at, k, 0));
        for (n, s) in p.steps.iter().enumerate() {
            events.push((p.at + s.after_min * MINUTE_MS, k, n + 1));
        }
    }
    events.retain(|(at, _, _)| *at <= now);
    events.sort_unstable();
    let mut ids = vec![None; plans.len()];
    for (at, k, n) in events {
        clock.set(at);
        let plan = &plans[k];
        if n == 0 {
            let draft = plan
                .order
                .clone()
                .parse()
                .with_context(|| format!("demo order {k}: not a valid contact"))?;
            let (view, _) = svc
                .create_order(&cast.agent, draft)
                .await
                .with_context(|| format!("demo order {k}: cannot create it"))?;
            ids[k] = Some(view.order.id);
            continue;
        }
        let Some(id) = ids[k] else { continue };
        let s = &plan.steps[n - 1];
        let by = match s.by {
            Who::Agent => &cast.agent,
            Who::Handler => &cast.handler,
            Who::Crew => &cast.crew,
            Who::Supervisor => &cast.supervisor,
        };
        svc.act(by, id, s.cmd.clone())
            .await
            .with_context(|| format!("demo order {k}: step {} failed", s.cmd.name()))?;
    }
    Ok(ids.iter().flatten().count())
}
